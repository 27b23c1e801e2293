//! Conversion between forge [`Value`]s and hcl-rs values.
//!
//! hcl-rs has no notion of "unknown" or "sensitive", so the evaluator only
//! hands it values whose read parts are fully known, with sensitivity
//! removed (and re-applied to the result). Unknown leaves that are present
//! in a context but never read become a sentinel string; should one ever
//! surface in a result, the result is reported unknown rather than wrong.

use crate::value::Value;

/// The stand-in for an unknown leaf inside values given to hcl-rs. The
/// control characters make a collision with real data implausible.
pub(crate) const UNKNOWN_SENTINEL: &str = "\u{1b}forge:unknown\u{1b}";

/// forge value -> hcl value (unknown leaves become the sentinel, sensitivity is dropped).
pub(crate) fn to_hcl(value: &Value) -> hcl::Value {
    match value {
        Value::Null => hcl::Value::Null,
        Value::Bool(b) => hcl::Value::Bool(*b),
        Value::Number(n) => number_to_hcl(n),
        Value::String(s) => hcl::Value::String(s.clone()),
        Value::List(items) => hcl::Value::Array(items.iter().map(to_hcl).collect()),
        Value::Map(map) => {
            hcl::Value::Object(map.iter().map(|(k, v)| (k.clone(), to_hcl(v))).collect())
        }
        Value::Unknown => hcl::Value::String(UNKNOWN_SENTINEL.to_string()),
        Value::Sensitive(inner) => to_hcl(inner),
    }
}

fn number_to_hcl(n: &serde_json::Number) -> hcl::Value {
    if let Some(i) = n.as_i64() {
        hcl::Value::Number(hcl::Number::from(i))
    } else if let Some(u) = n.as_u64() {
        hcl::Value::Number(hcl::Number::from(u))
    } else {
        n.as_f64()
            .and_then(hcl::Number::from_f64)
            .map_or(hcl::Value::Null, hcl::Value::Number)
    }
}

/// hcl value -> forge value. Any string carrying the unknown sentinel makes
/// that leaf unknown (a string merely containing it was derived from an
/// unknown, so its true value is not known either).
pub(crate) fn from_hcl(value: &hcl::Value) -> Value {
    match value {
        hcl::Value::Null => Value::Null,
        hcl::Value::Bool(b) => Value::Bool(*b),
        hcl::Value::Number(n) => number_from_hcl(n),
        hcl::Value::String(s) if s.contains(UNKNOWN_SENTINEL) => Value::Unknown,
        hcl::Value::String(s) => Value::String(s.clone()),
        hcl::Value::Array(items) => Value::List(items.iter().map(from_hcl).collect()),
        hcl::Value::Object(map) => {
            Value::Map(map.iter().map(|(k, v)| (k.clone(), from_hcl(v))).collect())
        }
    }
}

/// An hcl number as a JSON number, keeping integers integral.
pub(crate) fn number_from_hcl(n: &hcl::Number) -> Value {
    if let Some(i) = n.as_i64() {
        Value::int(i)
    } else if let Some(u) = n.as_u64() {
        Value::Number(serde_json::Number::from(u))
    } else {
        n.as_f64()
            .and_then(|f| {
                if f.fract() == 0.0 && f.abs() < 9.0e15 {
                    Some(Value::int(f as i64))
                } else {
                    serde_json::Number::from_f64(f).map(Value::Number)
                }
            })
            .unwrap_or(Value::Null)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn round_trip_keeps_structure() {
        let v = Value::Map(BTreeMap::from([
            (
                "a".to_string(),
                Value::List(vec![Value::int(1), Value::from("x"), Value::Bool(true)]),
            ),
            ("b".to_string(), Value::Null),
            (
                "c".to_string(),
                Value::Number(serde_json::Number::from_f64(2.5).unwrap_or_else(|| 0.into())),
            ),
        ]));
        assert_eq!(from_hcl(&to_hcl(&v)), v);
    }

    #[test]
    fn unknown_survives_as_unknown_and_taints_derived_strings() {
        let v = Value::List(vec![Value::Unknown, Value::from("k")]);
        assert_eq!(from_hcl(&to_hcl(&v)), v);
        let derived = hcl::Value::String(format!("pre-{UNKNOWN_SENTINEL}-post"));
        assert_eq!(from_hcl(&derived), Value::Unknown);
    }

    #[test]
    fn sensitivity_is_dropped_for_hcl() {
        assert_eq!(
            to_hcl(&Value::from("s").sensitive()),
            hcl::Value::String("s".into())
        );
    }
}
