//! State: what forge has created, as recorded after each operation.
//!
//! The in-memory [`State`] keeps attribute values with their sensitivity
//! marks; its JSON form (format version 1, described by
//! `state-schema/forge-state.v1.schema.json`) replaces sensitive values by
//! their SHA-256 unless the resource opted in to storing them (see
//! [`codec`]). Backends ([`StateBackend`]) store it with compare-and-swap
//! and locking.

pub mod backend;
pub mod codec;
pub mod heartbeat;
pub mod local;
mod local_lock;
pub mod memory;
pub mod open;
pub mod ops;
pub mod read;

pub use backend::{BackendError, LockError, LockGuard, LockInfo, StateBackend, VersionToken};
pub use heartbeat::Heartbeats;
pub use local::LocalBackend;
pub use memory::MemoryBackend;
pub use open::{BackendFactory, BackendRegistry, open_backend};
pub use read::StateReadError;

use chrono::{DateTime, Utc};
use forge_core::{Address, Attrs};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The state format version this engine reads and writes.
pub const STATE_VERSION: u32 = 1;

/// A resource's recorded state and its bookkeeping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    try_from = "codec::ResourceStateJson",
    into = "codec::ResourceStateJson"
)]
pub struct ResourceState {
    /// Its address in the stack.
    pub address: Address,
    /// Its kind.
    pub kind: String,
    /// Its region.
    pub region: String,
    /// The stack's credential alias (`aws: NAME`) it was created with, so
    /// it is read and deleted with those credentials even after it left
    /// the spec; `None`: the stack's own credentials.
    pub alias: Option<String>,
    /// The cloud's id; `None` while only a create intent is recorded.
    pub id: Option<String>,
    /// Its attributes (always including `id` once created); sensitive
    /// values carry their mark in memory.
    pub attributes: Attrs,
    /// Store sensitive attributes in plain text instead of their hash.
    pub store_sensitive: bool,
    /// What it depended on when last applied (deletes run in reverse).
    pub dependencies: BTreeSet<Address>,
    /// `lifecycle.prevent_destroy` when last applied, so a resource removed
    /// from the spec is still protected.
    pub prevent_destroy: bool,
    /// An operation started but not known to have finished.
    pub pending: Option<PendingIntent>,
    /// Whether the object is usable.
    pub status: ResourceStatus,
    /// Objects replaced with create-before-destroy whose delete has not
    /// completed yet; planned for deletion.
    pub deposed: Vec<DeposedObject>,
}

impl ResourceState {
    /// A fresh entry with no id and no attributes.
    pub fn new(address: Address, kind: impl Into<String>, region: impl Into<String>) -> Self {
        ResourceState {
            address,
            kind: kind.into(),
            region: region.into(),
            alias: None,
            id: None,
            attributes: Attrs::new(),
            store_sensitive: false,
            dependencies: BTreeSet::new(),
            prevent_destroy: false,
            pending: None,
            status: ResourceStatus::Ready,
            deposed: Vec::new(),
        }
    }
}

/// An operation recorded before it was started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingIntent {
    /// `create` (the only operation whose loss would leak a resource).
    pub operation: PendingOperation,
    /// The idempotency token passed to the provider.
    pub token: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
}

/// Which operation an intent is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PendingOperation {
    /// A create.
    Create,
}

/// Whether a recorded object is usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceStatus {
    /// Created and ready.
    #[default]
    Ready,
    /// Created but never became ready: the next plan replaces it.
    Tainted,
    /// Created (or changed) but still on its way to ready when the run was
    /// interrupted: the next apply waits for it instead of creating it
    /// again.
    NotReady,
}

/// A previous object of a resource, kept until its delete completes.
#[derive(Debug, Clone, PartialEq)]
pub struct DeposedObject {
    /// The cloud's id.
    pub id: String,
    /// Its attributes.
    pub attributes: Attrs,
}

/// A recorded output value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputState {
    /// The value (plain JSON; `forge output NAME` prints it even if
    /// sensitive).
    pub value: serde_json::Value,
    /// Masked in plan/apply output.
    #[serde(default)]
    pub sensitive: bool,
}

/// A stack's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Format version ([`STATE_VERSION`]).
    pub version: u32,
    /// A UUID identifying this state's history; a plan made against one
    /// lineage never applies to another.
    pub lineage: String,
    /// Incremented on every write.
    pub serial: u64,
    /// The stack's name.
    pub stack: String,
    /// The environment (`-e`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The forge version that wrote it.
    pub forge_version: String,
    /// Resources, sorted by address.
    pub resources: Vec<ResourceState>,
    /// Outputs by name.
    #[serde(default)]
    pub outputs: BTreeMap<String, OutputState>,
}

impl State {
    /// An empty state with a fresh lineage.
    pub fn new(stack: impl Into<String>, environment: Option<String>) -> Self {
        Self::with_lineage(stack, environment, uuid::Uuid::new_v4().to_string())
    }

    /// An empty state with the given lineage.
    pub fn with_lineage(
        stack: impl Into<String>,
        environment: Option<String>,
        lineage: String,
    ) -> Self {
        State {
            version: STATE_VERSION,
            lineage,
            serial: 0,
            stack: stack.into(),
            environment,
            forge_version: env!("CARGO_PKG_VERSION").to_string(),
            resources: Vec::new(),
            outputs: BTreeMap::new(),
        }
    }

    fn position(&self, address: &Address) -> Result<usize, usize> {
        self.resources.binary_search_by(|r| r.address.cmp(address))
    }

    /// The resource at `address`.
    pub fn get(&self, address: &Address) -> Option<&ResourceState> {
        self.position(address).ok().map(|i| &self.resources[i])
    }

    /// The resource at `address`, mutably.
    pub fn get_mut(&mut self, address: &Address) -> Option<&mut ResourceState> {
        self.position(address).ok().map(|i| &mut self.resources[i])
    }

    /// The resource at `address`, created empty if absent.
    pub fn entry(&mut self, address: &Address, kind: &str, region: &str) -> &mut ResourceState {
        let i = match self.position(address) {
            Ok(i) => i,
            Err(i) => {
                self.resources
                    .insert(i, ResourceState::new(address.clone(), kind, region));
                i
            }
        };
        &mut self.resources[i]
    }

    /// Inserts or replaces a resource.
    pub fn upsert(&mut self, resource: ResourceState) {
        match self.position(&resource.address) {
            Ok(i) => self.resources[i] = resource,
            Err(i) => self.resources.insert(i, resource),
        }
    }

    /// Removes a resource.
    pub fn remove(&mut self, address: &Address) -> Option<ResourceState> {
        self.position(address)
            .ok()
            .map(|i| self.resources.remove(i))
    }

    /// Restores the sort order after bulk edits.
    pub fn sort(&mut self) {
        self.resources.sort_by(|a, b| a.address.cmp(&b.address));
    }

    /// The state's JSON text (sensitive values hashed per resource).
    pub fn to_json_pretty(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }
}
