//! Drift: how the live cloud differs from what forge last applied.
//!
//! [`crate::Engine::drift`] is read-only: it reads the state (no lock),
//! observes every recorded resource through the providers' batched
//! `observe` (one call per kind and region), lists what carries the stack's
//! ownership tag (through the registry's [`crate::TagIndex`], one call per
//! region, and `list_tagged` for kinds it does not cover), and plans the spec against the
//! recorded state without refreshing. The [`DriftReport`] keeps four things
//! apart:
//!
//! - `drifted`: settable fields (and tags) whose live value differs from the
//!   recorded one, compared after each provider's `normalize`, with whether
//!   the spec still asks for the recorded value (so `forge apply` reverts);
//! - `deleted`: recorded resources that no longer exist;
//! - `orphans`: resources tagged with this state's `forge:state` the state
//!   does not know (and, unconfirmed, resources tagged with the stack's name
//!   by an earlier forge, without a state tag);
//! - `conflicts`: recorded resources whose `forge:state` names another
//!   state (two states claim one object);
//! - `pending_spec_changes`: what `forge apply` would change because the
//!   spec changed (not drift);
//! - `pending_maintenance`: changes AWS accepted and holds until the
//!   resource's maintenance window (not drift, and not made again); once
//!   the window has applied one the state recorded as pending, it is
//!   `classified`.
//!
//! Differences that are not drift are `classified` with a reason: fields
//! under `lifecycle.ignore_changes`, `aws:` tags, and whatever a provider's
//! [`crate::Provider::classify_change`] explains (automatic minor version
//! upgrades). Computed attributes never count. Every failure lands in
//! `errors`, and a report with errors has the outcome
//! [`DriftOutcome::Error`], never "no drift".
//!
//! The library returns the report as data (and its JSON form); the
//! `forge` binary renders it for people.
//!
//! [`crate::Engine::accept_drift`] is `forge refresh`: it writes the live
//! values into the state, under the lock, if the state is still the one the
//! report was made from.

pub mod accept;
pub mod check;
pub mod classify;
pub mod compare;
pub mod orphans;
pub mod pending;
pub mod summary;

pub use summary::{DriftSummary, StackDrift};

use crate::retry::RetryPolicy;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// The drift report format version this engine writes
/// (`state-schema/drift-report.v1.schema.json`).
pub const DRIFT_FORMAT_VERSION: &str = "1";

/// Options of a drift check.
#[derive(Debug, Clone)]
pub struct DriftOptions {
    /// Retries of each observe and list call (throttling, 5xx).
    pub retry: RetryPolicy,
    /// Look for orphans (default true; see [`orphans`]).
    pub orphans: bool,
}

impl Default for DriftOptions {
    fn default() -> Self {
        DriftOptions {
            retry: RetryPolicy::default(),
            orphans: true,
        }
    }
}

/// The verdict of a drift check (`forge drift` exits 0, 2 or 1 for these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftOutcome {
    /// The cloud matches the state.
    NoDrift,
    /// Something changed, vanished or appeared outside forge.
    Drift,
    /// The check could not be completed; never read as no drift.
    Error,
}

impl DriftOutcome {
    /// The worse of two outcomes (error > drift > no drift), for checks of
    /// many stacks.
    pub fn worst(self, other: DriftOutcome) -> DriftOutcome {
        self.max(other)
    }

    /// `no_drift`, `drift` or `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            DriftOutcome::NoDrift => "no_drift",
            DriftOutcome::Drift => "drift",
            DriftOutcome::Error => "error",
        }
    }
}

/// One field whose live value differs from the recorded one. Values are
/// display JSON: sensitive parts are `"(sensitive)"`, absent is `null`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftField {
    /// Dotted path, as in plans (`tags.Owner`, `ingress`).
    pub path: String,
    /// The value forge last applied (from the state).
    pub recorded: Json,
    /// The value in the cloud now.
    pub live: Json,
    /// The spec still asks for the recorded value, so `forge apply` will
    /// put it back; false when the spec changed too, the resource left the
    /// spec, or the field is not compared by plans.
    pub spec_wants_recorded: bool,
}

/// A resource changed outside forge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftedResource {
    /// Its address.
    pub address: String,
    /// Its kind.
    pub kind: String,
    /// Its region.
    pub region: String,
    /// The cloud's id.
    pub id: String,
    /// The changed fields, sorted by path.
    pub fields: Vec<DriftField>,
}

/// A recorded resource that no longer exists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeletedResource {
    /// Its address.
    pub address: String,
    /// Its kind.
    pub kind: String,
    /// Its region.
    pub region: String,
    /// The id it had.
    pub id: String,
    /// The spec still declares it, so `forge apply` creates it again.
    pub in_spec: bool,
}

/// A resource carrying the stack's ownership tag that the state does not
/// know: created by hand with the stack's tags, or left by a lost state.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Orphan {
    /// Its kind.
    pub kind: String,
    /// Where it was found.
    pub region: String,
    /// The credential alias it was found with (`None`: the stack's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// The cloud's id.
    pub id: String,
    /// Its `forge:address` tag, if it has one.
    pub address_tag: Option<String>,
    /// It carries the stack's name but no `forge:state` tag (tagged by an
    /// earlier forge): it may be any state's of a stack of this name, so
    /// forge never adopts it; confirm it with `forge import`, or delete it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unconfirmed: bool,
}

/// A recorded resource whose ownership tag names another state: two
/// states manage one object, and each would revert the other's changes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Conflict {
    /// The address that records it in this state.
    pub address: String,
    /// Its kind.
    pub kind: String,
    /// Where it is.
    pub region: String,
    /// The cloud's id.
    pub id: String,
    /// Who its ownership tags name (state, stack, environment, address).
    pub claimed_by: String,
    /// The lineage of the state its tags name.
    pub claimed_by_lineage: Option<String>,
}

/// A difference that is not drift, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifiedChange {
    /// The resource's address.
    pub address: String,
    /// Its kind.
    pub kind: String,
    /// The cloud's id.
    pub id: String,
    /// The field's path.
    pub path: String,
    /// The recorded value (display JSON).
    pub recorded: Json,
    /// The live value (display JSON).
    pub live: Json,
    /// Why it is not drift.
    pub reason: String,
}

/// One field a pending spec change would set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingField {
    /// The field's path.
    pub path: String,
    /// The recorded value (display JSON; `null`: absent).
    pub recorded: Json,
    /// What the spec asks for (display JSON; `"(known after apply)"` when
    /// it depends on values not known yet).
    pub desired: Json,
    /// Changing it replaces the resource.
    pub forces_replacement: bool,
}

/// A change `forge apply` would make because the spec differs from the
/// state (not drift).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingChange {
    /// The resource's address.
    pub address: String,
    /// Its kind.
    pub kind: String,
    /// `create`, `update`, `replace`, `delete` or `adopt`.
    pub action: String,
    /// The field differences (empty for create and delete).
    pub fields: Vec<PendingField>,
}

/// One field the cloud holds for the maintenance window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaintenanceField {
    /// The field's path.
    pub path: String,
    /// The value live now (display JSON).
    pub live: Json,
    /// The value AWS applies in the window (display JSON).
    pub pending: Json,
}

/// A resource with changes AWS accepted but holds until its next
/// maintenance window (RDS and ElastiCache modified without
/// `apply_immediately`): neither drift nor a change to make again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingMaintenance {
    /// The resource's address.
    pub address: String,
    /// Its kind.
    pub kind: String,
    /// The cloud's id.
    pub id: String,
    /// The pending fields, sorted by path.
    pub fields: Vec<MaintenanceField>,
}

/// Fields of one resource the check could not compare with the spec: they
/// depend on vars given no value (a scheduled check runs without
/// secrets). Not drift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotCompared {
    /// The resource's address.
    pub address: String,
    /// The fields' paths.
    pub paths: Vec<String>,
}

/// Something that stopped part of the check.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DriftError {
    /// The kind concerned, if any.
    pub kind: Option<String>,
    /// The region concerned, if any.
    pub region: Option<String>,
    /// The resource concerned, if any.
    pub address: Option<String>,
    /// What went wrong.
    pub message: String,
}

/// The result of a drift check (`forge drift --json`), format version 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    /// [`DRIFT_FORMAT_VERSION`].
    pub format_version: String,
    /// The stack's name.
    pub stack: String,
    /// The environment, if any.
    pub environment: Option<String>,
    /// When the check ran (RFC 3339, UTC).
    pub checked_at: DateTime<Utc>,
    /// The verdict (see [`DriftOutcome`]).
    pub outcome: DriftOutcome,
    /// The lineage of the state checked (`null` when there is no state).
    pub state_lineage: Option<String>,
    /// The serial of the state checked (0 when there is no state).
    pub state_serial: u64,
    /// Recorded resources whose live state was looked at.
    pub resources_checked: usize,
    /// Resources changed outside forge, by address.
    pub drifted: Vec<DriftedResource>,
    /// Resources deleted outside forge, by address.
    pub deleted: Vec<DeletedResource>,
    /// Tagged resources the state does not know, by kind, region, id.
    pub orphans: Vec<Orphan>,
    /// Recorded resources another state claims, by address.
    #[serde(default)]
    pub conflicts: Vec<Conflict>,
    /// Differences that are not drift, by address and path.
    pub classified: Vec<ClassifiedChange>,
    /// Spec changes not applied yet, by address.
    pub pending_spec_changes: Vec<PendingChange>,
    /// Changes pending until the maintenance window, by address (absent
    /// when none). Not drift.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_maintenance: Vec<PendingMaintenance>,
    /// Vars that had no value (secrets a read-only check is not given).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unset_vars: Vec<String>,
    /// Spec fields that depend on them and so were not compared, by
    /// address.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_compared: Vec<NotCompared>,
    /// Failures; any makes the outcome `error`.
    pub errors: Vec<DriftError>,
}

impl DriftReport {
    /// An empty report for `stack`, checked now.
    pub fn new(stack: impl Into<String>, environment: Option<String>) -> Self {
        DriftReport {
            format_version: DRIFT_FORMAT_VERSION.into(),
            stack: stack.into(),
            environment,
            checked_at: Utc::now(),
            outcome: DriftOutcome::NoDrift,
            state_lineage: None,
            state_serial: 0,
            resources_checked: 0,
            drifted: Vec::new(),
            deleted: Vec::new(),
            orphans: Vec::new(),
            conflicts: Vec::new(),
            classified: Vec::new(),
            pending_spec_changes: Vec::new(),
            pending_maintenance: Vec::new(),
            unset_vars: Vec::new(),
            not_compared: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// The verdict from the contents: errors win over drift.
    pub fn compute_outcome(&self) -> DriftOutcome {
        if !self.errors.is_empty() {
            DriftOutcome::Error
        } else if self.has_drift() {
            DriftOutcome::Drift
        } else {
            DriftOutcome::NoDrift
        }
    }

    /// Whether anything changed, vanished or appeared outside forge.
    pub fn has_drift(&self) -> bool {
        !(self.drifted.is_empty()
            && self.deleted.is_empty()
            && self.orphans.is_empty()
            && self.conflicts.is_empty())
    }

    /// Sorts every list and sets `outcome`, so the JSON is stable.
    pub fn finish(&mut self) {
        self.drifted.sort_by(|a, b| a.address.cmp(&b.address));
        for d in &mut self.drifted {
            d.fields.sort_by(|a, b| a.path.cmp(&b.path));
        }
        self.deleted.sort_by(|a, b| a.address.cmp(&b.address));
        self.orphans.sort();
        self.orphans
            .dedup_by(|a, b| a.kind == b.kind && a.id == b.id);
        self.conflicts.sort();
        self.conflicts.dedup();
        self.classified
            .sort_by(|a, b| (&a.address, &a.path).cmp(&(&b.address, &b.path)));
        self.pending_spec_changes
            .sort_by(|a, b| a.address.cmp(&b.address));
        self.pending_maintenance
            .sort_by(|a, b| a.address.cmp(&b.address));
        for p in &mut self.pending_maintenance {
            p.fields.sort_by(|a, b| a.path.cmp(&b.path));
        }
        self.not_compared.sort_by(|a, b| a.address.cmp(&b.address));
        self.errors.sort();
        self.errors.dedup();
        self.outcome = self.compute_outcome();
    }

    /// The stable JSON text (`forge drift --json`).
    pub fn to_json_string(&self) -> String {
        // Serializing plain data with string keys cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}
