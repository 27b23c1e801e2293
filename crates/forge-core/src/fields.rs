//! Typed fields: a kind declares its fields once, as a Rust struct, and
//! that one declaration gives its [`KindSchema`] (hence the spec's JSON
//! Schema) and typed reads and writes of its attributes.
//!
//! The struct derives [`Fields`] with `#[derive(forge_derive::Fields)]`:
//! a field's Rust type gives its [`FieldType`] (`String`, `bool`, `i64`,
//! `f64`, `Vec<T>`, `BTreeMap<String, T>`, [`Value`] for free-form JSON,
//! or another derived struct for an object), `Option<T>` makes it optional,
//! and `#[field(...)]` sets the rest (`computed`, `optional_computed`,
//! `force_new`, `sensitive`, `default = <expr>`, `name = "type"`). The doc
//! comment is the field's description. Kind code then reads
//! `desired.kms_key_id` instead of `opt_str(desired, "kms_key_id")`, so a
//! typo fails to compile instead of failing at run time.

use crate::schema::{FieldMode, FieldSchema, FieldType};
use crate::value::{Attrs, Value};
use std::collections::BTreeMap;

#[doc(hidden)]
pub use indexmap::IndexMap;

/// An attribute that could not be read as its declared type.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("field `{path}`: {reason}")]
pub struct FieldError {
    /// Dotted path of the field (`ingress[2].from_port`).
    pub path: String,
    /// What is wrong (`expected integer, found string`).
    pub reason: String,
}

impl FieldError {
    /// An error for a value of the wrong shape.
    pub fn mismatch(expected: impl Into<String>, found: &Value) -> Self {
        FieldError::invalid(format!(
            "expected {}, found {}",
            expected.into(),
            found.type_name()
        ))
    }

    /// An error for a value of the right shape that is not valid (a route
    /// with two targets).
    pub fn invalid(reason: impl Into<String>) -> Self {
        FieldError {
            path: String::new(),
            reason: reason.into(),
        }
    }

    /// The same error one level further out (`from_port` -> `ingress[2].from_port`).
    pub fn within(mut self, outer: &str) -> Self {
        self.path = if self.path.is_empty() {
            outer.to_string()
        } else if self.path.starts_with('[') {
            format!("{outer}{}", self.path)
        } else {
            format!("{outer}.{}", self.path)
        };
        self
    }
}

/// A Rust type that can be one field's value.
pub trait FieldValue: Sized {
    /// The field's type in the schema.
    fn field_type() -> FieldType;

    /// Reads the value (already unmarked: no sensitive wrapper). `Null`
    /// reaches only `Option` fields; others see it as a mismatch.
    fn from_value(value: &Value) -> Result<Self, FieldError>;

    /// Writes the value.
    fn to_value(&self) -> Value;

    /// Whether the user may leave the field out (`Option<T>`).
    fn optional() -> bool {
        false
    }

    /// The description of every field of this type, over the field's doc
    /// comment (the `tags` map documents itself the same way in every kind).
    fn description() -> Option<&'static str> {
        None
    }
}

/// A struct of fields: a kind's attributes, or an object-valued field.
pub trait Fields: Sized {
    /// The fields' schemas, in declaration order.
    fn field_schemas() -> IndexMap<String, FieldSchema>;

    /// Reads attributes. Absent and null optional fields are `None`;
    /// attributes the struct does not declare are ignored.
    fn from_attrs(attrs: &Attrs) -> Result<Self, FieldError>;

    /// Writes attributes: every declared field, `None` as null.
    fn to_attrs(&self) -> Attrs;

    /// Applies the normalizers declared on fields (`#[field(normalize =
    /// path)]`) to the known, non-null values among `attrs`, so equal
    /// meaning compares equal (`10.0.0.1/16` and `10.0.0.0/16`).
    fn normalize_attrs(attrs: &mut Attrs) {
        let _ = attrs;
    }
}

/// Applies `normalize` to attribute `name` unless it is null or wholly
/// unknown (what the derive emits per normalized field). A value with
/// unknown parts (a list holding one unknown item) reaches the normalizer,
/// which must leave what it cannot read alone. A sensitive value stays
/// sensitive.
pub fn normalize_field(attrs: &mut Attrs, name: &str, normalize: fn(&Value) -> Value) {
    let Some(value) = attrs.get_mut(name) else {
        return;
    };
    if matches!(value, Value::Null | Value::Unknown) {
        return;
    }
    let normalized = match &*value {
        Value::Sensitive(inner) => normalize(inner).sensitive(),
        plain => normalize(plain),
    };
    *value = normalized;
}

/// The schema of one field of a derived struct: what the derive emits for
/// each field, from its type and its `#[field(...)]` settings.
pub fn field_schema<T: FieldValue>(
    mode: Option<FieldMode>,
    description: &'static str,
) -> FieldSchema {
    let mode = mode.unwrap_or(if T::optional() {
        FieldMode::Optional
    } else {
        FieldMode::Required
    });
    let base = FieldSchema {
        ty: T::field_type(),
        mode,
        force_new: false,
        sensitive: false,
        local: false,
        default: None,
        description: "",
    };
    // A type that documents itself (`Tags`) reads the same in every kind;
    // the field's doc comment is then for rustdoc only.
    let text = T::description().unwrap_or(description);
    base.describe(text)
}

/// Reads field `name` of `attrs` as `T` (what the derive emits per field).
pub fn read_field<T: FieldValue>(
    attrs: &BTreeMap<String, Value>,
    name: &str,
) -> Result<T, FieldError> {
    let value = attrs.get(name).map(Value::unmarked).unwrap_or(Value::Null);
    T::from_value(&value).map_err(|e| e.within(name))
}

impl FieldValue for String {
    fn field_type() -> FieldType {
        FieldType::String
    }
    fn from_value(value: &Value) -> Result<Self, FieldError> {
        match value {
            Value::String(s) => Ok(s.clone()),
            // YAML writes `version: 15` unquoted; a string field takes it.
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(FieldError::mismatch("string", other)),
        }
    }
    fn to_value(&self) -> Value {
        Value::String(self.clone())
    }
}

impl FieldValue for bool {
    fn field_type() -> FieldType {
        FieldType::Bool
    }
    fn from_value(value: &Value) -> Result<Self, FieldError> {
        match value {
            Value::Bool(b) => Ok(*b),
            Value::String(s) if s == "true" => Ok(true),
            Value::String(s) if s == "false" => Ok(false),
            other => Err(FieldError::mismatch("bool", other)),
        }
    }
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
}

impl FieldValue for i64 {
    fn field_type() -> FieldType {
        FieldType::Number
    }
    fn from_value(value: &Value) -> Result<Self, FieldError> {
        let parsed = match value {
            Value::String(s) => s.trim().parse().ok(),
            other => other.as_i64(),
        };
        parsed.ok_or_else(|| FieldError::mismatch("integer", value))
    }
    fn to_value(&self) -> Value {
        Value::int(*self)
    }
}

impl FieldValue for i32 {
    fn field_type() -> FieldType {
        FieldType::Number
    }
    fn from_value(value: &Value) -> Result<Self, FieldError> {
        let wide = i64::from_value(value)?;
        i32::try_from(wide).map_err(|_| FieldError::mismatch("32-bit integer", value))
    }
    fn to_value(&self) -> Value {
        Value::int(i64::from(*self))
    }
}

impl FieldValue for f64 {
    fn field_type() -> FieldType {
        FieldType::Number
    }
    fn from_value(value: &Value) -> Result<Self, FieldError> {
        let parsed = match value {
            Value::String(s) => s.trim().parse().ok(),
            other => other.as_f64(),
        };
        parsed.ok_or_else(|| FieldError::mismatch("number", value))
    }
    fn to_value(&self) -> Value {
        serde_json::Number::from_f64(*self)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// Free-form JSON (policy documents, container definitions): kept as is.
impl FieldValue for Value {
    fn field_type() -> FieldType {
        FieldType::Any
    }
    fn from_value(value: &Value) -> Result<Self, FieldError> {
        Ok(value.clone())
    }
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl<T: FieldValue> FieldValue for Option<T> {
    fn field_type() -> FieldType {
        T::field_type()
    }
    fn from_value(value: &Value) -> Result<Self, FieldError> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
    fn to_value(&self) -> Value {
        self.as_ref().map(T::to_value).unwrap_or(Value::Null)
    }
    fn optional() -> bool {
        true
    }
    fn description() -> Option<&'static str> {
        T::description()
    }
}

impl<T: FieldValue> FieldValue for Vec<T> {
    fn field_type() -> FieldType {
        FieldType::list(T::field_type())
    }
    fn from_value(value: &Value) -> Result<Self, FieldError> {
        let items = value
            .as_list()
            .ok_or_else(|| FieldError::mismatch("list", value))?;
        items
            .iter()
            .enumerate()
            .map(|(i, v)| T::from_value(&v.unmarked()).map_err(|e| e.within(&format!("[{i}]"))))
            .collect()
    }
    fn to_value(&self) -> Value {
        Value::List(self.iter().map(T::to_value).collect())
    }
}

impl<T: FieldValue> FieldValue for BTreeMap<String, T> {
    fn field_type() -> FieldType {
        FieldType::map(T::field_type())
    }
    fn from_value(value: &Value) -> Result<Self, FieldError> {
        let map = value
            .as_map()
            .ok_or_else(|| FieldError::mismatch("map", value))?;
        map.iter()
            .map(|(k, v)| {
                T::from_value(&v.unmarked())
                    .map(|t| (k.clone(), t))
                    .map_err(|e| e.within(k))
            })
            .collect()
    }
    fn to_value(&self) -> Value {
        Value::Map(
            self.iter()
                .map(|(k, v)| (k.clone(), v.to_value()))
                .collect(),
        )
    }
}

/// The `tags` map every taggable kind has: the user's tags (forge's own
/// ownership tags are added at create and never shown here).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags(pub BTreeMap<String, String>);

impl FieldValue for Tags {
    fn field_type() -> FieldType {
        FieldType::map(FieldType::String)
    }
    fn from_value(value: &Value) -> Result<Self, FieldError> {
        match value {
            Value::Null => Ok(Tags::default()),
            other => BTreeMap::<String, String>::from_value(other).map(Tags),
        }
    }
    fn to_value(&self) -> Value {
        self.0.to_value()
    }
    fn optional() -> bool {
        true
    }
    fn description() -> Option<&'static str> {
        Some("Tags of the resource; forge adds forge:stack and forge:address (not shown here).")
    }
}

/// A sensitive text field (a password, a secret value). The state records
/// it only as a hash (`{"sha256": ...}`), which reads back as `Secret(None)`:
/// a kind never needs the old value, only whether it changed, which the
/// plan says. Every sensitive text field has this type, so reading a prior
/// object from the state never fails on the hash.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Secret(pub Option<String>);

impl FieldValue for Secret {
    fn field_type() -> FieldType {
        FieldType::String
    }
    fn from_value(value: &Value) -> Result<Self, FieldError> {
        match value {
            Value::Map(m) if m.contains_key("sha256") => Ok(Secret(None)),
            other => Option::<String>::from_value(other).map(Secret),
        }
    }
    fn to_value(&self) -> Value {
        self.0.to_value()
    }
    fn optional() -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_read_what_yaml_writes() {
        assert_eq!(String::from_value(&Value::int(15)), Ok("15".to_string()));
        assert_eq!(i64::from_value(&Value::from("42")), Ok(42));
        assert_eq!(bool::from_value(&Value::from("true")), Ok(true));
        assert!(i64::from_value(&Value::from("x")).is_err());
        assert_eq!(Option::<String>::from_value(&Value::Null), Ok(None));
    }

    #[test]
    fn errors_name_the_path() {
        let list = Value::List(vec![Value::int(1), Value::from("no")]);
        let err = Vec::<i64>::from_value(&list).unwrap_err().within("ports");
        assert_eq!(err.path, "ports[1]");
        assert_eq!(
            err.to_string(),
            "field `ports[1]`: expected integer, found string"
        );
        let mut attrs = BTreeMap::new();
        attrs.insert("n".to_string(), Value::from("x").sensitive());
        let err = read_field::<i64>(&attrs, "n").unwrap_err();
        assert_eq!(err.path, "n");
    }

    #[test]
    fn sensitive_values_read_unmarked() {
        let mut attrs = BTreeMap::new();
        attrs.insert("p".to_string(), Value::from("secret").sensitive());
        assert_eq!(read_field::<String>(&attrs, "p"), Ok("secret".to_string()));
    }

    #[test]
    fn tags_default_to_empty_and_describe_themselves() {
        assert_eq!(Tags::from_value(&Value::Null), Ok(Tags::default()));
        let schema = field_schema::<Tags>(None, "");
        assert_eq!(schema.mode, FieldMode::Optional);
        assert!(schema.description.starts_with("Tags of the resource"));
    }

    #[test]
    fn a_recorded_hash_reads_as_an_unknown_secret() {
        let hash = Value::Map(BTreeMap::from([(
            "sha256".to_string(),
            Value::from("ab12"),
        )]));
        assert_eq!(Secret::from_value(&hash), Ok(Secret(None)));
        assert_eq!(
            Secret::from_value(&Value::from("pw")),
            Ok(Secret(Some("pw".into())))
        );
        assert_eq!(Secret::from_value(&Value::Null), Ok(Secret(None)));
        let other = Value::Map(BTreeMap::from([("x".to_string(), Value::from("y"))]));
        assert!(Secret::from_value(&other).is_err());
    }
}
