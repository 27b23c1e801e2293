//! Schema-driven diffing: the default `Provider::plan`, default filling and
//! value comparison shared by the planner and the scheduler.

use crate::provider::{FieldChange, PlannedAction, PlannedChange};
use forge_core::{Attrs, FieldMode, FieldSchema, FieldType, KindSchema, Value};
use std::collections::BTreeMap;

/// Fills schema defaults into `desired` for settable fields the user left
/// out (or set to null), recursing into nested objects and lists of objects.
///
/// The engine calls this before `Provider::normalize` and `Provider::plan`,
/// so leaving out a field whose AWS default is known is never a diff.
pub fn fill_defaults(schema: &KindSchema, desired: &mut Attrs) {
    fill_fields(schema.fields.iter(), desired);
}

fn fill_fields<'a>(fields: impl Iterator<Item = (&'a String, &'a FieldSchema)>, attrs: &mut Attrs) {
    for (name, field) in fields {
        if !field.settable() {
            continue;
        }
        let present = attrs.get(name).is_some_and(|v| !v.is_null());
        if !present {
            if let Some(default) = &field.default {
                attrs.insert(name.clone(), default.clone());
            }
            continue;
        }
        if let Some(v) = attrs.get_mut(name) {
            fill_nested(&field.ty, v);
        }
    }
}

fn fill_nested(ty: &FieldType, value: &mut Value) {
    match (ty, value) {
        (FieldType::Object(fields), Value::Map(map)) => fill_fields(fields.iter(), map),
        (FieldType::List(item), Value::List(items)) => {
            for v in items {
                fill_nested(item, v);
            }
        }
        (FieldType::Map(item), Value::Map(map)) => {
            for v in map.values_mut() {
                fill_nested(item, v);
            }
        }
        (ty, Value::Sensitive(inner)) => fill_nested(ty, inner),
        _ => {}
    }
}

/// Marks the values of the schema's sensitive fields as sensitive, so they
/// are masked wherever they are displayed.
pub fn mark_sensitive(schema: &KindSchema, attrs: &mut Attrs) {
    for (name, field) in &schema.fields {
        if field.sensitive
            && let Some(v) = attrs.get_mut(name)
            && !matches!(v, Value::Sensitive(_) | Value::Null)
        {
            *v = std::mem::take(v).sensitive();
        }
    }
}

/// Semantic equality: sensitivity marks are ignored, numbers compare by
/// value (`1` equals `1.0`), and an unknown value equals nothing.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Sensitive(x), y) | (y, Value::Sensitive(x)) => values_equal(x, y),
        (Value::Unknown, _) | (_, Value::Unknown) => false,
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => x == y,
        },
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| values_equal(x, y))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => a == b,
    }
}

fn unwrap_sensitive(v: &Value) -> (&Value, bool) {
    match v {
        Value::Sensitive(inner) => (inner.as_ref(), true),
        other => (other, false),
    }
}

/// Diffs one value at `path`, recursing into maps so `tags.Name` is its own
/// change; lists compare as whole values.
fn diff_value(
    path: &str,
    before: Option<&Value>,
    after: Option<&Value>,
    force_new: bool,
    out: &mut Vec<FieldChange>,
) {
    let before = before.filter(|v| !v.is_null());
    let after = after.filter(|v| !v.is_null());
    match (before, after) {
        (None, None) => {}
        (Some(b), Some(a)) => {
            let (bi, bs) = unwrap_sensitive(b);
            let (ai, as_) = unwrap_sensitive(a);
            if let (Value::Map(bm), Value::Map(am)) = (bi, ai) {
                let mut keys: Vec<&String> = bm.keys().chain(am.keys()).collect();
                keys.sort();
                keys.dedup();
                let wrap = |v: &Value, s: bool| if s { v.clone().sensitive() } else { v.clone() };
                for k in keys {
                    let bv = bm.get(k).map(|v| wrap(v, bs));
                    let av = am.get(k).map(|v| wrap(v, as_));
                    diff_value(
                        &format!("{path}.{k}"),
                        bv.as_ref(),
                        av.as_ref(),
                        force_new,
                        out,
                    );
                }
            } else if !values_equal(b, a) {
                out.push(FieldChange {
                    path: path.to_string(),
                    before: Some(b.clone()),
                    after: Some(a.clone()),
                    forces_replacement: force_new,
                });
            }
        }
        (b, a) => out.push(FieldChange {
            path: path.to_string(),
            before: b.cloned(),
            after: a.cloned(),
            forces_replacement: force_new,
        }),
    }
}

/// The attributes of a resource about to be created: desired plus every
/// computed field (and `id`) unknown until apply.
pub fn predict_created(schema: &KindSchema, desired: &Attrs) -> Attrs {
    let mut predicted = desired.clone();
    for (name, field) in &schema.fields {
        if matches!(
            field.mode,
            FieldMode::Computed | FieldMode::OptionalComputed
        ) && desired.get(name).is_none_or(Value::is_null)
        {
            predicted.insert(name.clone(), Value::Unknown);
        }
    }
    predicted.insert("id".into(), Value::Unknown);
    predicted
}

/// Compares `prior` with `desired` field by field using the schema:
/// create when there is no prior, replace when a force-new field differs,
/// update when another settable field differs, otherwise no-op. Computed
/// fields are carried from prior (or unknown on create).
///
/// `desired` is expected to have defaults filled in ([`fill_defaults`]).
/// A settable field absent from `desired` means "absent", except for
/// `OptionalComputed` fields, where it means "whatever the cloud chose".
pub fn schema_plan(schema: &KindSchema, prior: Option<&Attrs>, desired: &Attrs) -> PlannedChange {
    let Some(prior) = prior else {
        let mut changes = Vec::new();
        for (name, value) in desired {
            if schema.field(name).is_some_and(FieldSchema::settable) {
                diff_value(name, None, Some(value), false, &mut changes);
            }
        }
        return PlannedChange {
            action: PlannedAction::Create,
            predicted: predict_created(schema, desired),
            changes,
            pending: Vec::new(),
        };
    };
    let mut changes = Vec::new();
    for (name, field) in &schema.fields {
        if !field.settable() {
            continue;
        }
        let want = desired.get(name).filter(|v| !v.is_null());
        if want.is_none() && field.mode == FieldMode::OptionalComputed {
            continue;
        }
        diff_value(name, prior.get(name), want, field.force_new, &mut changes);
    }
    let action = if changes.iter().any(|c| c.forces_replacement) {
        PlannedAction::Replace
    } else if changes.is_empty() {
        PlannedAction::NoOp
    } else {
        PlannedAction::Update
    };
    let predicted = match action {
        PlannedAction::Replace | PlannedAction::Create => predict_created(schema, desired),
        PlannedAction::Update | PlannedAction::NoOp => carry_prior(schema, prior, desired),
    };
    let mut planned = PlannedChange {
        action,
        predicted,
        changes,
        pending: Vec::new(),
    };
    crate::deferred::hold_pending(Some(prior), &mut planned);
    planned
}

/// Desired plus what the cloud owns from prior: computed fields, unset
/// optional-computed fields, and keys outside the schema such as `id`.
pub fn carry_prior(schema: &KindSchema, prior: &Attrs, desired: &Attrs) -> Attrs {
    let mut out: BTreeMap<String, Value> = desired.clone();
    for (name, value) in prior {
        if desired.get(name).is_some_and(|v| !v.is_null()) {
            continue;
        }
        let carry = match schema.field(name) {
            None => true,
            Some(f) => matches!(f.mode, FieldMode::Computed | FieldMode::OptionalComputed),
        };
        if carry {
            out.insert(name.clone(), value.clone());
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use forge_core::FieldSchema as F;
    use forge_core::FieldType as T;

    fn schema() -> KindSchema {
        KindSchema::new(
            "test.kind",
            "a test kind",
            [
                ("name", F::required(T::String).force_new()),
                ("size", F::optional(T::Number).default(1i64)),
                ("tags", F::optional(T::map(T::String))),
                ("zone", F::optional_computed(T::String)),
                ("arn", F::computed(T::String)),
                ("secret", F::optional(T::String).sensitive()),
            ],
        )
    }

    fn attrs(pairs: &[(&str, Value)]) -> Attrs {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn tags(pairs: &[(&str, &str)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Value::from(*v)))
                .collect(),
        )
    }

    #[test]
    fn create_predicts_unknown_computed() {
        let s = schema();
        let mut d = attrs(&[("name", "a".into())]);
        fill_defaults(&s, &mut d);
        let p = schema_plan(&s, None, &d);
        assert_eq!(p.action, PlannedAction::Create);
        assert_eq!(p.predicted["size"], Value::int(1));
        assert_eq!(p.predicted["arn"], Value::Unknown);
        assert_eq!(p.predicted["zone"], Value::Unknown);
        assert_eq!(p.predicted["id"], Value::Unknown);
        assert_eq!(p.changes.len(), 2);
    }

    #[test]
    fn no_op_when_equal_and_optional_computed_absent() {
        let s = schema();
        let prior = attrs(&[
            ("id", "x-1".into()),
            ("name", "a".into()),
            (
                "size",
                Value::Number(serde_json::Number::from_f64(1.0).unwrap_or(1.into())),
            ),
            ("zone", "z1".into()),
            ("arn", "arn:x".into()),
        ]);
        let mut d = attrs(&[("name", "a".into())]);
        fill_defaults(&s, &mut d);
        let p = schema_plan(&s, Some(&prior), &d);
        assert_eq!(p.action, PlannedAction::NoOp, "{:?}", p.changes);
        assert_eq!(p.predicted["id"], Value::from("x-1"));
        assert_eq!(p.predicted["zone"], Value::from("z1"));
        assert_eq!(p.predicted["arn"], Value::from("arn:x"));
    }

    #[test]
    fn nested_map_diffs_per_key() {
        let s = schema();
        let prior = attrs(&[
            ("name", "a".into()),
            ("size", Value::int(1)),
            ("tags", tags(&[("Name", "a"), ("Old", "x")])),
        ]);
        let d = attrs(&[
            ("name", "a".into()),
            ("size", Value::int(1)),
            ("tags", tags(&[("Name", "b"), ("New", "y")])),
        ]);
        let p = schema_plan(&s, Some(&prior), &d);
        assert_eq!(p.action, PlannedAction::Update);
        let paths: Vec<_> = p.changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["tags.Name", "tags.New", "tags.Old"]);
        assert_eq!(p.changes[2].after, None);
    }

    #[test]
    fn force_new_replaces_and_unknown_is_a_change() {
        let s = schema();
        let prior = attrs(&[("name", "a".into()), ("size", Value::int(1))]);
        let d = attrs(&[("name", "b".into()), ("size", Value::Unknown)]);
        let p = schema_plan(&s, Some(&prior), &d);
        assert_eq!(p.action, PlannedAction::Replace);
        assert!(
            p.changes
                .iter()
                .any(|c| c.path == "name" && c.forces_replacement)
        );
        assert!(
            p.changes
                .iter()
                .any(|c| c.path == "size" && !c.forces_replacement)
        );
        assert_eq!(p.predicted["id"], Value::Unknown);
    }

    #[test]
    fn removing_optional_field_is_a_change() {
        let s = schema();
        let prior = attrs(&[
            ("name", "a".into()),
            ("size", Value::int(1)),
            ("secret", "p".into()),
        ]);
        let d = attrs(&[("name", "a".into()), ("size", Value::int(1))]);
        let p = schema_plan(&s, Some(&prior), &d);
        assert_eq!(p.action, PlannedAction::Update);
        assert_eq!(p.changes[0].path, "secret");
        assert_eq!(p.changes[0].after, None);
    }

    #[test]
    fn sensitive_marks_do_not_count_as_diffs() {
        let s = schema();
        let prior = attrs(&[
            ("name", "a".into()),
            ("size", Value::int(1)),
            ("secret", "p".into()),
        ]);
        let mut d = attrs(&[
            ("name", "a".into()),
            ("size", Value::int(1)),
            ("secret", "p".into()),
        ]);
        mark_sensitive(&s, &mut d);
        assert!(d["secret"].is_sensitive());
        assert_eq!(
            schema_plan(&s, Some(&prior), &d).action,
            PlannedAction::NoOp
        );
    }

    #[test]
    fn defaults_fill_nested_objects() {
        let s = KindSchema::new(
            "t.k",
            "",
            [(
                "rules",
                F::optional(T::list(T::object([
                    ("port", F::required(T::Number)),
                    ("proto", F::optional(T::String).default("tcp")),
                ]))),
            )],
        );
        let mut d = attrs(&[(
            "rules",
            Value::List(vec![Value::Map(BTreeMap::from([(
                "port".into(),
                Value::int(80),
            )]))]),
        )]);
        fill_defaults(&s, &mut d);
        assert_eq!(
            d["rules"].as_list().unwrap()[0].get("proto"),
            Some(&Value::from("tcp"))
        );
    }
}
