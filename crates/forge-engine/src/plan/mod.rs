//! Plans: what an apply will do, resource by resource, field by field.
//!
//! A [`Plan`] is made by [`crate::Engine::plan`] (or `plan_destroy`),
//! described for machines ([`Plan::to_json`]; the `forge` binary renders
//! it for people),
//! saved to a file ([`Plan::save`], sealed with digests by [`seal`]) and
//! applied exactly by [`crate::Engine::apply`], which refuses it if the
//! state changed since (lineage / serial) or if its actions do not follow
//! from its own recorded states ([`verify`]).

pub mod build;
pub mod imports;
pub mod json;
pub mod moves;
pub mod replace;
pub mod seal;
pub mod secrets;
pub mod target;
pub mod untracked;
pub mod verify;

use crate::error::EngineError;
use crate::provider::FieldChange;
use chrono::{DateTime, Utc};
use forge_core::spec::Stack;
use forge_core::{Address, Attrs, Value};
use seal::{PLAN_FILE_MARKER, SpecStamp, content_digest};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;

/// The plan format version this engine writes and reads.
pub const PLAN_FORMAT_VERSION: &str = "1";

/// What happens to one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeAction {
    /// Create it.
    Create,
    /// Change it in place.
    Update,
    /// Destroy and create it again (or create first, with
    /// `create_before_destroy`).
    Replace,
    /// Destroy it.
    Delete,
    /// Record a resource an interrupted run created but never recorded
    /// (found by `find_orphan`), updating it in place if it differs.
    Adopt,
    /// Nothing to do.
    NoOp,
}

impl ChangeAction {
    /// The action's name as in the JSON form.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeAction::Create => "create",
            ChangeAction::Update => "update",
            ChangeAction::Replace => "replace",
            ChangeAction::Delete => "delete",
            ChangeAction::Adopt => "adopt",
            ChangeAction::NoOp => "no_op",
        }
    }
}

/// The planned change of one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceChange {
    /// Its address.
    pub address: Address,
    /// Its kind.
    pub kind: String,
    /// Its region.
    pub region: String,
    /// The credential alias it is changed with (see
    /// [`crate::state::ResourceState::alias`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// What happens.
    pub action: ChangeAction,
    /// The existing object's id (update, replace, delete, adopt, no-op).
    pub id: Option<String>,
    /// The attributes now (refreshed), if it exists.
    pub before: Option<Attrs>,
    /// The attributes expected afterwards (unknowns where the cloud
    /// decides), unless deleted.
    pub after: Option<Attrs>,
    /// Field-level differences.
    pub changes: Vec<FieldChange>,
    /// Changes the cloud accepted but holds until the maintenance window
    /// (see [`crate::deferred`]): shown, not made again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<FieldChange>,
    /// For replacements: the fields (or reasons) forcing it.
    pub replace_because: Vec<String>,
    /// For replacements: create the new object before deleting the old.
    pub create_before_destroy: bool,
    /// What it depends on (the spec's for create/update, the state's for
    /// delete).
    pub dependencies: BTreeSet<Address>,
    /// Things the user should know.
    pub warnings: Vec<String>,
    /// A delete of a deposed object (an old object left by an interrupted
    /// create-before-destroy replacement) rather than of the current one.
    #[serde(default)]
    pub deposed: bool,
    /// The idempotency token of an interrupted create to reuse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_token: Option<String>,
    /// Store its sensitive attributes in plain text in the state.
    #[serde(default)]
    pub store_sensitive: bool,
    /// The change deletes (or replaces) an object that holds data — a
    /// database, a cache, a bucket: the data goes with it.
    #[serde(default)]
    pub data_loss: bool,
    /// A delete of an object this state's ownership tags claim but its
    /// records do not hold (see [`untracked`]): a deposed object the state
    /// never recorded.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub untracked: bool,
    /// Fields this plan could not compare: they depend on a var that has
    /// no value (a read-only plan made without a secret). Their recorded
    /// values are kept, and the plan cannot be applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_compared: Vec<String>,
    /// An `import:` block takes the existing object `id` under management
    /// here: the apply records it before acting on it (see [`imports`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub import: bool,
    /// A `moved:` block renamed the state's record from this address (see
    /// [`moves`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved_from: Option<Address>,
}

/// The planned change of one output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputChange {
    /// Its name.
    pub name: String,
    /// `create`, `update`, `delete` or `no_op`.
    pub action: ChangeAction,
    /// The recorded value.
    pub before: Option<Value>,
    /// The new value (maybe unknown).
    pub after: Option<Value>,
    /// Masked in output.
    pub sensitive: bool,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Creates plus replacements.
    pub add: usize,
    /// In-place updates.
    pub change: usize,
    /// Deletes plus replacements.
    pub destroy: usize,
    /// Adoptions.
    pub adopt: usize,
    /// Imports (`import:` blocks).
    pub import: usize,
    /// Resources no longer managed (`removed:` blocks).
    pub forget: usize,
}

/// A plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// [`PLAN_FORMAT_VERSION`].
    pub format_version: String,
    /// The stack's name.
    pub stack: String,
    /// The environment.
    pub environment: Option<String>,
    /// The lineage of the state planned against (fresh for a new state).
    pub lineage: String,
    /// The serial of the state planned against (0 for a new state).
    pub serial: u64,
    /// Whether a state existed when planning.
    pub state_exists: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// A destroy plan (`forge destroy`): outputs are removed too.
    pub destroy: bool,
    /// Every resource, sorted by address (no-ops included).
    pub changes: Vec<ResourceChange>,
    /// Every output.
    pub output_changes: Vec<OutputChange>,
    /// Resources recorded in the state whose objects the refresh found
    /// gone (deleted outside forge): applying the plan removes them from
    /// the state, as Terraform persists what its refresh saw.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forget: Vec<Address>,
    /// State renames of `moved:` blocks, in the order the apply makes them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moves: Vec<moves::Move>,
    /// Resources of `removed:` blocks the apply drops from the state,
    /// leaving their objects alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmanage: Vec<Address>,
    /// The live objects of import blocks whose address the spec does not
    /// declare (`forge plan --generate-spec`): what the spec written for
    /// them is made from. Never saved: such a plan is not applied.
    #[serde(skip)]
    pub unconfigured: Vec<imports::Unconfigured>,
    /// Resources replaced on request (`-replace`): the apply's check of
    /// the plan accepts their replacement though nothing forces it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replace: Vec<Address>,
    /// `-target` addresses of a partial plan (see [`target`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target: Vec<Address>,
    /// The stack it was made from, so applying a saved plan uses exactly
    /// this configuration. Its `root` is absolute, so a saved plan applied
    /// from another directory finds the same state.
    pub config: Stack,
    /// Where the spec was loaded from and a digest of it, for `forge apply
    /// FILE` to check the spec is unchanged (set by whoever loaded the
    /// spec; `forge plan -out` does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<SpecStamp>,
}

impl Plan {
    /// Counts for the summary line.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            forget: self.unmanage.len(),
            ..Summary::default()
        };
        for c in &self.changes {
            if c.import {
                s.import += 1;
            }
            match c.action {
                ChangeAction::Create => s.add += 1,
                ChangeAction::Update => s.change += 1,
                ChangeAction::Replace => {
                    s.add += 1;
                    s.destroy += 1;
                }
                ChangeAction::Delete => s.destroy += 1,
                ChangeAction::Adopt => {
                    s.adopt += 1;
                    if !c.changes.is_empty() {
                        s.change += 1;
                    }
                }
                ChangeAction::NoOp => {}
            }
        }
        s
    }

    /// Whether applying it would change the state although no resource or
    /// output changes: only objects found gone are forgotten.
    pub fn only_forgets(&self) -> bool {
        !self.forget.is_empty() && !self.has_changes()
    }

    /// Whether applying it would change any resource or output, or the
    /// state's records of `import:`, `moved:` and `removed:` blocks.
    pub fn has_changes(&self) -> bool {
        self.changes
            .iter()
            .any(|c| c.action != ChangeAction::NoOp || c.import)
            || !self.moves.is_empty()
            || !self.unmanage.is_empty()
            || self
                .output_changes
                .iter()
                .any(|o| o.action != ChangeAction::NoOp)
    }

    /// The change of one address (the current object's, not a deposed one).
    pub fn change(&self, address: &Address) -> Option<&ResourceChange> {
        self.changes
            .iter()
            .find(|c| &c.address == address && !c.deposed)
    }

    /// The saved-plan text: complete (configuration, unknown and sensitive
    /// marks included), for `forge apply FILE`, marked as a forge plan
    /// (`"format": "forge-plan"`) and sealed with a digest of its content.
    /// Sensitive values are written as their hashes ([`secrets`]): applying
    /// the file puts them back from the same sources ([`secrets::restore`]).
    pub fn to_file_string(&self) -> Result<String, EngineError> {
        let fail = |e: serde_json::Error| EngineError::PlanFile {
            path: "(memory)".into(),
            message: e.to_string(),
        };
        let serde_json::Value::Object(mut object) = serde_json::to_value(self).map_err(fail)?
        else {
            return Err(EngineError::PlanFile {
                path: "(memory)".into(),
                message: "a plan must serialize to a JSON object".into(),
            });
        };
        object.values_mut().for_each(secrets::redact);
        object.insert("format".into(), PLAN_FILE_MARKER.into());
        let digest = content_digest(&object);
        object.insert("digest".into(), digest.into());
        serde_json::to_string_pretty(&json::sort_keys(serde_json::Value::Object(object)))
            .map_err(fail)
    }

    /// Parses a saved plan: checks it is one (the marker), that it is
    /// exactly as written (the content digest) and its format version.
    pub fn from_file_str(text: &str) -> Result<Plan, EngineError> {
        Self::parse_file(text, "(memory)")
    }

    fn parse_file(text: &str, path: &str) -> Result<Plan, EngineError> {
        let fail = |message: String| EngineError::PlanFile {
            path: path.into(),
            message,
        };
        let raw: serde_json::Value = serde_json::from_str(text).map_err(|e| fail(e.to_string()))?;
        let serde_json::Value::Object(object) = raw else {
            return Err(fail("not a forge plan: expected a JSON object".into()));
        };
        if object.get("format").and_then(|v| v.as_str()) != Some(PLAN_FILE_MARKER) {
            return Err(fail(format!(
                "not a forge plan file (no \"format\": \"{PLAN_FILE_MARKER}\"; plans written by forge \
                 before plan files were sealed have none): make a new one with `forge plan -out FILE`"
            )));
        }
        let found = object
            .get("format_version")
            .and_then(|v| v.as_str())
            .unwrap_or("(none)");
        if found != PLAN_FORMAT_VERSION {
            return Err(EngineError::PlanFormat {
                found: found.into(),
                expected: PLAN_FORMAT_VERSION.into(),
            });
        }
        let recorded = object.get("digest").and_then(|v| v.as_str());
        if recorded != Some(content_digest(&object).as_str()) {
            return Err(EngineError::PlanModified { path: path.into() });
        }
        serde_json::from_value(serde_json::Value::Object(object)).map_err(|e| fail(e.to_string()))
    }

    /// Saves the plan to `path` (see [`Plan::to_file_string`]).
    ///
    /// The file holds the hashes of sensitive values, not the values; as
    /// a hash of a weak secret can be guessed, the file is still created
    /// readable by its owner only (mode 0600 on Unix).
    pub fn save(&self, path: &Path) -> Result<(), EngineError> {
        use std::io::Write;
        let text = self.to_file_string()?;
        let fail = |e: std::io::Error| EngineError::PlanFile {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(path).map_err(fail)?;
        // An existing file keeps its mode on open: tighten it too.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(fail)?;
        }
        file.write_all(text.as_bytes()).map_err(fail)?;
        file.sync_all().map_err(fail)
    }

    /// Whether the plan holds sensitive values (the CLI says so when it
    /// saves one, whose file holds their hashes): a sensitive var or
    /// literal in the configuration, a sensitive attribute of a change, or
    /// the value of a sensitive output.
    pub fn holds_secrets(&self) -> bool {
        let attrs = |a: &Option<Attrs>| {
            a.as_ref()
                .is_some_and(|a| a.values().any(Value::is_sensitive))
        };
        let value = |v: &Option<Value>| v.as_ref().is_some_and(Value::is_sensitive);
        self.config.vars.values().any(Value::is_sensitive)
            || self
                .config
                .instances
                .iter()
                .any(|i| i.fields.values().any(config_holds_secret))
            || self
                .changes
                .iter()
                .any(|c| attrs(&c.before) || attrs(&c.after))
            || self.output_changes.iter().any(|o| {
                (o.sensitive && (o.before.is_some() || o.after.is_some()))
                    || value(&o.before)
                    || value(&o.after)
            })
    }

    /// Loads a plan saved with [`Plan::save`] (see [`Plan::from_file_str`]).
    pub fn load(path: &Path) -> Result<Plan, EngineError> {
        let text = std::fs::read_to_string(path).map_err(|e| EngineError::PlanFile {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Plan::parse_file(&text, &path.display().to_string())
    }
}

/// Whether a configuration tree holds a sensitive literal.
fn config_holds_secret(config: &forge_core::spec::Config) -> bool {
    use forge_core::spec::Config;
    match config {
        Config::Literal(v) => v.is_sensitive(),
        Config::Template { .. } => false,
        Config::List(items) => items.iter().any(config_holds_secret),
        Config::Map(map) => map.values().any(config_holds_secret),
    }
}
