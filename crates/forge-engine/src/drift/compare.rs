//! Comparing one resource's recorded attributes with its live ones, field
//! by field, the way plans compare: both normalized by the provider, only
//! settable fields (tags included), sensitive hashes matched rather than
//! compared as text.

use super::classify::classify;
use crate::diff::mark_sensitive;
use crate::plan::build::reveal_hashed;
use crate::provider::{FieldChange, Provider};
use crate::refresh::merge_observed;
use forge_core::{Attrs, Value};

/// The differences of one resource.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Compared {
    /// Changed settable fields: `before` recorded, `after` live.
    pub drifted: Vec<FieldChange>,
    /// Differences that are not drift, with the reason.
    pub classified: Vec<(FieldChange, String)>,
    /// Changes the cloud holds until the resource's maintenance window:
    /// `before` live now, `after` pending. Not drift.
    pub pending: Vec<FieldChange>,
}

/// Why a change the state recorded as pending is not drift now that it
/// is live.
pub const APPLIED_IN_WINDOW: &str = "pending change applied in the maintenance window";

/// Compares `recorded` (the state's attributes) with `observed` (what the
/// provider's `observe` returned for `id`).
pub fn compare(
    provider: &dyn Provider,
    ignore_changes: &[String],
    recorded: &Attrs,
    observed: &Attrs,
    id: &str,
) -> Compared {
    let schema = provider.schema();
    let mut live = merge_observed(Some(schema), recorded, observed, id);
    mark_sensitive(schema, &mut live);
    let mut live = provider.normalize(live);
    mark_sensitive(schema, &mut live);
    let mut before = provider.normalize(recorded.clone());
    mark_sensitive(schema, &mut before);
    // A secret recorded as its hash equals a live value with that hash.
    reveal_hashed(&mut before, &live);
    // The provider's own diff, with the live attributes in the role of the
    // desired ones: the same paths, rule matching and force-new marks as
    // in a plan. Computed fields are never compared.
    let planned = provider.plan(Some(&before), &live);
    let mut out = Compared {
        pending: held_for_window(&live),
        ..Compared::default()
    };
    // A live value the state recorded as pending has landed: the
    // maintenance window ran (the plan keeps it out of its changes).
    for change in planned.pending {
        out.classified.push((change, APPLIED_IN_WINDOW.to_string()));
    }
    for change in planned.changes {
        let recorded = change.before.clone().unwrap_or(Value::Null);
        let now = change.after.clone().unwrap_or(Value::Null);
        match classify(
            provider,
            ignore_changes,
            &change.path,
            (&recorded, &now),
            &live,
        ) {
            Some(reason) => out.classified.push((change, reason)),
            None => out.drifted.push(change),
        }
    }
    out
}

/// What `live` says the cloud holds for the maintenance window, field by
/// field: the live value, then the pending one.
fn held_for_window(live: &Attrs) -> Vec<FieldChange> {
    let Some(values) = crate::deferred::pending_values(live) else {
        return Vec::new();
    };
    values
        .iter()
        .map(|(path, pending)| FieldChange {
            path: path.clone(),
            before: live.get(path).cloned(),
            after: Some(pending.clone()),
            forces_replacement: false,
        })
        .collect()
}

/// Display JSON of an optional value (`null` when absent).
pub fn shown(v: &Option<Value>) -> serde_json::Value {
    v.as_ref()
        .map(Value::to_display_json)
        .unwrap_or(serde_json::Value::Null)
}
