//! Unit-test helpers shared by every kind's tests: the kind's provider
//! (with a client cache that is never used), desired values as the engine
//! prepares them, typed fields from attributes, and a spec as typed fields;
//! attributes written as JSON.

use crate::clients::AwsClients;
use crate::kind::{Kind, KindProvider};
use forge_core::fields::Fields;
use forge_core::{Attrs, Value};
use forge_engine::Provider;
use std::sync::Arc;

/// Kind `K` as the engine's provider; unit tests never reach the cloud.
pub fn provider<K: Kind>() -> KindProvider<K> {
    KindProvider::new(Arc::new(AwsClients::new(crate::AwsSettings::default())))
}

/// Attributes written as JSON (an object; anything else is none).
pub fn attrs(json: serde_json::Value) -> Attrs {
    Value::from_json(&json)
        .as_map()
        .cloned()
        .unwrap_or_default()
}

/// A spec's attributes (JSON) as the engine prepares them for a plan:
/// schema defaults filled in, then normalized.
pub fn desired<K: Kind>(spec: serde_json::Value) -> Attrs {
    let p = provider::<K>();
    let mut attrs = attrs(spec);
    forge_engine::diff::fill_defaults(p.schema(), &mut attrs);
    p.normalize(attrs)
}

/// Attributes as `K`'s typed fields; panics (failing the test) when they
/// do not fit.
pub fn typed<K: Kind>(attrs: &Attrs) -> K::Fields {
    match K::Fields::from_attrs(attrs) {
        Ok(fields) => fields,
        Err(e) => panic!("{}: {e}", K::KIND),
    }
}

/// Observed fields as the engine sees them: as attributes, normalized.
pub fn observed<K: Kind>(fields: &K::Fields) -> Attrs {
    provider::<K>().normalize(fields.to_attrs())
}

/// A spec (JSON) as `K`'s typed fields: schema defaults filled in and the
/// fields' own normalizers applied (the kind's `normalize` hook is not).
pub fn spec_fields<K: Kind>(spec: serde_json::Value) -> K::Fields {
    let mut attrs = attrs(spec);
    forge_engine::diff::fill_defaults(&crate::kind::schema_of::<K>(), &mut attrs);
    K::Fields::normalize_attrs(&mut attrs);
    typed::<K>(&attrs)
}

/// Asserts that `attrs` holds every field of `K`'s schema but those in
/// `unset` (which the object at hand leaves out): what a describe reads
/// covers the schema.
pub fn assert_covers_schema<K: Kind>(attrs: &Attrs, unset: &[&str]) {
    for field in provider::<K>().schema().fields.keys() {
        assert!(
            attrs.contains_key(field) || unset.contains(&field.as_str()),
            "{}: missing {field}",
            K::KIND
        );
    }
}

/// Asserts that planning `desired` against `observed` changes nothing.
pub fn assert_no_op<K: Kind>(observed: &Attrs, desired: &Attrs) {
    let plan = provider::<K>().plan(Some(observed), desired);
    assert_eq!(
        plan.action,
        forge_engine::PlannedAction::NoOp,
        "{:?}",
        plan.changes
    );
}
