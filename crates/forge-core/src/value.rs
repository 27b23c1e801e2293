//! Values flowing through specs, plans and state.
//!
//! A value is either known, unknown until apply (an attribute the cloud
//! computes, or anything derived from one), or sensitive (a secret that must
//! never be printed). Sensitivity is a wrapper so it survives being nested in
//! lists and maps; unknown is a leaf so a list can be partly known.

use serde_json::Number;
use std::collections::BTreeMap;
use std::fmt;

const UNKNOWN_TAG: &str = "__forge_unknown__";
const SENSITIVE_TAG: &str = "__forge_sensitive__";

/// A resource's attributes: field name to value.
pub type Attrs = BTreeMap<String, Value>;

/// A spec, plan or state value.
///
/// `Debug` redacts sensitive values too, so a secret can't leak through a
/// `{:?}` in a log line or an error.
#[derive(Clone, PartialEq, Default)]
pub enum Value {
    /// Absent / null.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// A number (integer or float, as JSON has it).
    Number(Number),
    /// A string.
    String(String),
    /// An ordered list.
    List(Vec<Value>),
    /// A map with string keys, kept sorted for stable output.
    Map(BTreeMap<String, Value>),
    /// Not known until apply ("known after apply").
    Unknown,
    /// A value that must never be displayed.
    Sensitive(Box<Value>),
}

impl Value {
    /// A string value.
    pub fn string(s: impl Into<String>) -> Self {
        Value::String(s.into())
    }

    /// An integer value.
    pub fn int(i: i64) -> Self {
        Value::Number(Number::from(i))
    }

    /// Marks this value sensitive (idempotent).
    pub fn sensitive(self) -> Self {
        match self {
            Value::Sensitive(_) => self,
            other => Value::Sensitive(Box::new(other)),
        }
    }

    /// True when no part of the value is unknown.
    pub fn is_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::List(items) => items.iter().all(Value::is_known),
            Value::Map(map) => map.values().all(Value::is_known),
            Value::Sensitive(inner) => inner.is_known(),
            _ => true,
        }
    }

    /// True when the value or any part of it is sensitive.
    pub fn is_sensitive(&self) -> bool {
        match self {
            Value::Sensitive(_) => true,
            Value::List(items) => items.iter().any(Value::is_sensitive),
            Value::Map(map) => map.values().any(Value::is_sensitive),
            _ => false,
        }
    }

    /// The value with all sensitivity marks removed (for sending to the cloud).
    pub fn unmarked(&self) -> Value {
        match self {
            Value::Sensitive(inner) => inner.unmarked(),
            Value::List(items) => Value::List(items.iter().map(Value::unmarked).collect()),
            Value::Map(map) => {
                Value::Map(map.iter().map(|(k, v)| (k.clone(), v.unmarked())).collect())
            }
            other => other.clone(),
        }
    }

    /// True for `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The string, if this is a (possibly sensitive) string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            Value::Sensitive(inner) => inner.as_str(),
            _ => None,
        }
    }

    /// The boolean, if this is a (possibly sensitive) bool.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Sensitive(inner) => inner.as_bool(),
            _ => None,
        }
    }

    /// The integer, if this is a (possibly sensitive) integral number.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            // A float converts only when it is whole and in range: `as`
            // would saturate 1e30 to i64::MAX, a wrong value.
            Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= -(2f64.powi(63)) && *f < 2f64.powi(63))
                    .map(|f| f as i64)
            }),
            Value::Sensitive(inner) => inner.as_i64(),
            _ => None,
        }
    }

    /// The number as f64, if this is a (possibly sensitive) number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => n.as_f64(),
            Value::Sensitive(inner) => inner.as_f64(),
            _ => None,
        }
    }

    /// The list, if this is a (possibly sensitive) list.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            Value::Sensitive(inner) => inner.as_list(),
            _ => None,
        }
    }

    /// The map, if this is a (possibly sensitive) map.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(map) => Some(map),
            Value::Sensitive(inner) => inner.as_map(),
            _ => None,
        }
    }

    /// A field of a map value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_map().and_then(|m| m.get(key))
    }

    /// A short name of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Unknown => "unknown",
            Value::Sensitive(inner) => inner.type_name(),
        }
    }

    /// Converts to JSON. Unknowns become `null`; sensitive parts are kept
    /// (callers that display must use [`Value::to_display_json`]).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null | Value::Unknown => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => serde_json::Value::Number(n.clone()),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Map(map) => serde_json::Value::Object(
                map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect(),
            ),
            Value::Sensitive(inner) => inner.to_json(),
        }
    }

    /// Converts to JSON for display: sensitive parts become the string
    /// `"(sensitive)"`, unknowns `"(known after apply)"`.
    pub fn to_display_json(&self) -> serde_json::Value {
        match self {
            Value::Unknown => serde_json::Value::String("(known after apply)".into()),
            Value::Sensitive(_) => serde_json::Value::String("(sensitive)".into()),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_display_json).collect())
            }
            Value::Map(map) => serde_json::Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), v.to_display_json()))
                    .collect(),
            ),
            other => other.to_json(),
        }
    }

    /// Converts to JSON keeping unknown and sensitive marks as tagged
    /// objects (`{"__forge_unknown__": true}`, `{"__forge_sensitive__": v}`),
    /// for saved plans that must round-trip exactly.
    pub fn to_tagged_json(&self) -> serde_json::Value {
        match self {
            Value::Unknown => serde_json::json!({ UNKNOWN_TAG: true }),
            Value::Sensitive(inner) => serde_json::json!({ SENSITIVE_TAG: inner.to_tagged_json() }),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_tagged_json).collect())
            }
            Value::Map(map) => serde_json::Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), v.to_tagged_json()))
                    .collect(),
            ),
            other => other.to_json(),
        }
    }

    /// The inverse of [`Value::to_tagged_json`].
    pub fn from_tagged_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Array(items) => {
                Value::List(items.iter().map(Value::from_tagged_json).collect())
            }
            serde_json::Value::Object(map) => {
                if map.len() == 1 {
                    if map.get(UNKNOWN_TAG) == Some(&serde_json::Value::Bool(true)) {
                        return Value::Unknown;
                    }
                    if let Some(inner) = map.get(SENSITIVE_TAG) {
                        return Value::from_tagged_json(inner).sensitive();
                    }
                }
                Value::Map(
                    map.iter()
                        .map(|(k, v)| (k.clone(), Value::from_tagged_json(v)))
                        .collect(),
                )
            }
            other => Value::from_json(other),
        }
    }

    /// Converts from JSON (everything known, nothing sensitive).
    pub fn from_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.clone()),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(items) => {
                Value::List(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }
}

impl serde::Serialize for Value {
    /// Serialized as tagged JSON (see [`Value::to_tagged_json`]) so unknown
    /// and sensitive marks survive a round trip.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_tagged_json().serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Value::from_tagged_json(&serde_json::Value::deserialize(d)?))
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => write!(f, "Null"),
            Value::Bool(b) => f.debug_tuple("Bool").field(b).finish(),
            Value::Number(n) => f.debug_tuple("Number").field(n).finish(),
            Value::String(s) => f.debug_tuple("String").field(s).finish(),
            Value::List(items) => f.debug_tuple("List").field(items).finish(),
            Value::Map(map) => f.debug_tuple("Map").field(map).finish(),
            Value::Unknown => write!(f, "Unknown"),
            Value::Sensitive(_) => write!(f, "Sensitive(<redacted>)"),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::int(i)
    }
}

impl fmt::Display for Value {
    /// Human display: strings quoted, unknown and sensitive masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => write!(f, "null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => write!(f, "{s:?}"),
            Value::Unknown => write!(f, "(known after apply)"),
            Value::Sensitive(_) => write!(f, "(sensitive)"),
            Value::List(items) => {
                write!(f, "[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{item}")?;
                }
                write!(f, "]")
            }
            Value::Map(map) => {
                write!(f, "{{")?;
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{k} = {v}")?;
                }
                write!(f, "}}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_sensitive_are_deep() {
        let v = Value::List(vec![Value::from("a"), Value::Unknown]);
        assert!(!v.is_known());
        let s = Value::Map(BTreeMap::from([(
            "p".to_string(),
            Value::from("x").sensitive(),
        )]));
        assert!(s.is_sensitive());
        assert_eq!(
            s.unmarked(),
            Value::Map(BTreeMap::from([("p".to_string(), Value::from("x"))]))
        );
        assert_eq!(s.to_display_json()["p"], "(sensitive)");
    }

    #[test]
    fn debug_masks_secrets() {
        let v = Value::Map(BTreeMap::from([(
            "p".to_string(),
            Value::from("hunter2").sensitive(),
        )]));
        let shown = format!("{v:?} {v:#?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("Sensitive(<redacted>)"), "{shown}");
    }

    #[test]
    fn display_masks_secrets() {
        assert_eq!(
            Value::from("hunter2").sensitive().to_string(),
            "(sensitive)"
        );
        assert_eq!(Value::Unknown.to_string(), "(known after apply)");
    }

    #[test]
    fn tagged_json_round_trip() {
        let v = Value::Map(BTreeMap::from([
            ("u".to_string(), Value::Unknown),
            (
                "s".to_string(),
                Value::List(vec![Value::from("x").sensitive(), Value::int(3)]),
            ),
        ]));
        assert_eq!(Value::from_tagged_json(&v.to_tagged_json()), v);
    }

    #[test]
    fn json_round_trip() {
        let j = serde_json::json!({"a": [1, true, "x", null], "b": {"c": 2.5}});
        assert_eq!(Value::from_json(&j).to_json(), j);
    }
}
