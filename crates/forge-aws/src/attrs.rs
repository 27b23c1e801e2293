//! Reading desired attributes and building observed ones.
//!
//! Desired attributes reach `create`/`update` fully known and validated
//! against the schema, but a provider must still not panic on a wrong type:
//! a missing required field is a `ProviderError::Invalid`, not an unwrap.

use forge_core::{Attrs, Value};
use forge_engine::ProviderError;

/// `id`'s attributes from an observe right after a create or update; not
/// there yet is transient (the APIs are eventually consistent), so the
/// engine reads again. `what` names the kind in the message.
pub fn observed(
    mut found: std::collections::BTreeMap<String, Attrs>,
    id: &str,
    what: &str,
) -> Result<Attrs, ProviderError> {
    found.remove(id).ok_or_else(|| ProviderError::Transient {
        message: format!("{what} {id} not visible yet"),
    })
}

/// A string field, if set (null and non-strings are "not set").
pub fn opt_str<'a>(attrs: &'a Attrs, name: &str) -> Option<&'a str> {
    attrs
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// A string field that must be set.
pub fn req_str<'a>(attrs: &'a Attrs, name: &str) -> Result<&'a str, ProviderError> {
    opt_str(attrs, name)
        .ok_or_else(|| ProviderError::Invalid(format!("`{name}` must be set to a string")))
}

/// A bool field, if set.
pub fn opt_bool(attrs: &Attrs, name: &str) -> Option<bool> {
    attrs.get(name).and_then(Value::as_bool)
}

/// An integer field, if set.
pub fn opt_i64(attrs: &Attrs, name: &str) -> Option<i64> {
    attrs.get(name).and_then(Value::as_i64)
}

/// A list of strings (non-string items are skipped; unset is empty).
pub fn str_list(attrs: &Attrs, name: &str) -> Vec<String> {
    attrs
        .get(name)
        .and_then(Value::as_list)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// A string value, or null.
pub fn str_or_null(s: Option<impl Into<String>>) -> Value {
    s.map(|s| Value::String(s.into())).unwrap_or(Value::Null)
}

/// A bool value, or null.
pub fn bool_or_null(b: Option<bool>) -> Value {
    b.map(Value::Bool).unwrap_or(Value::Null)
}

/// An integer value, or null.
pub fn int_or_null(i: Option<impl Into<i64>>) -> Value {
    i.map(|i| Value::int(i.into())).unwrap_or(Value::Null)
}

/// A list of strings, sorted and deduplicated (set semantics).
pub fn str_set(items: impl IntoIterator<Item = impl Into<String>>) -> Value {
    let mut v: Vec<String> = items.into_iter().map(Into::into).collect();
    v.sort();
    v.dedup();
    Value::List(v.into_iter().map(Value::String).collect())
}

/// A field normalizer: a list treated as a set, sorted and deduplicated
/// (a list holding unknowns keeps its order: positions are all we know).
pub fn set_value(value: &Value) -> Value {
    match value {
        Value::List(items) if items.iter().all(Value::is_known) => {
            let mut items = items.clone();
            items.sort_by_key(|v| v.to_json().to_string());
            items.dedup();
            Value::List(items)
        }
        other => other.clone(),
    }
}

/// Sorts and deduplicates a list value in place when it is fully known
/// (a list holding unknowns keeps its order: positions are all we know).
pub fn normalize_set(attrs: &mut Attrs, name: &str) {
    if let Some(Value::List(items)) = attrs.get_mut(name)
        && items.iter().all(Value::is_known)
    {
        items.sort_by_key(|v| v.to_json().to_string());
        items.dedup();
    }
}

/// Removes null-valued entries of the named fields: "not set" has one
/// spelling whether it came from the spec (absent) or the cloud (null).
pub fn drop_nulls<'a>(attrs: &mut Attrs, names: impl IntoIterator<Item = &'a str>) {
    for name in names {
        if attrs.get(name).is_some_and(Value::is_null) {
            attrs.remove(name);
        }
    }
}

/// An attribute map from `(name, value)` pairs.
pub fn attrs<const N: usize>(pairs: [(&str, Value); N]) -> Attrs {
    pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// Minimal set difference: what to add and what to remove to go from
/// `prior` to `desired` (both treated as sets).
pub fn set_diff<T: PartialEq + Clone>(prior: &[T], desired: &[T]) -> (Vec<T>, Vec<T>) {
    let add = desired
        .iter()
        .filter(|d| !prior.contains(d))
        .cloned()
        .collect();
    let remove = prior
        .iter()
        .filter(|p| !desired.contains(p))
        .cloned()
        .collect();
    (add, remove)
}

/// A nested value kept as given (its canonical form, where an absent key
/// stays absent instead of becoming null as a typed struct would write
/// it), declared with the schema of `T`, which also reads it typed.
pub struct Shaped<T>(pub Value, std::marker::PhantomData<fn() -> T>);

impl<T> Shaped<T> {
    /// The value, with `T`'s schema.
    pub fn new(value: Value) -> Self {
        Shaped(value, std::marker::PhantomData)
    }
}

impl<T: forge_core::fields::FieldValue> Shaped<T> {
    /// The value read as `T`; what does not fit is invalid configuration.
    pub fn typed(&self, what: &str) -> Result<T, ProviderError> {
        T::from_value(&self.0).map_err(|e| ProviderError::Invalid(format!("{what}: {e}")))
    }
}

impl<T> Clone for Shaped<T> {
    fn clone(&self) -> Self {
        Shaped::new(self.0.clone())
    }
}

impl<T> std::fmt::Debug for Shaped<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<T> PartialEq for Shaped<T> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<T: forge_core::fields::FieldValue> forge_core::fields::FieldValue for Shaped<T> {
    fn field_type() -> forge_core::FieldType {
        T::field_type()
    }
    fn from_value(value: &Value) -> Result<Self, forge_core::fields::FieldError> {
        Ok(Shaped::new(value.clone()))
    }
    fn to_value(&self) -> Value {
        self.0.clone()
    }
}

/// A text field holding a secret (a parameter value, a secret string, an
/// AUTH token): read and compared as text, written as a sensitive value so
/// what observe reports is masked before the engine sees it. `Debug`
/// never prints it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SensitiveText(pub String);

impl std::fmt::Debug for SensitiveText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("(sensitive)")
    }
}

impl forge_core::fields::FieldValue for SensitiveText {
    fn field_type() -> forge_core::FieldType {
        forge_core::FieldType::String
    }
    fn from_value(value: &Value) -> Result<Self, forge_core::fields::FieldError> {
        <String as forge_core::fields::FieldValue>::from_value(value).map(SensitiveText)
    }
    fn to_value(&self) -> Value {
        Value::String(self.0.clone()).sensitive()
    }
}

/// An observed text that AWS reports as empty when unset (descriptions):
/// `None` for missing or empty, the text otherwise.
pub fn non_empty(text: Option<&str>) -> Option<String> {
    text.filter(|t| !t.is_empty()).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_without_panicking() {
        let mut a = Attrs::new();
        a.insert("s".into(), Value::from("x"));
        a.insert("n".into(), Value::int(3));
        a.insert("e".into(), Value::from(""));
        a.insert(
            "l".into(),
            Value::List(vec![Value::from("b"), Value::int(1), Value::from("a")]),
        );
        assert_eq!(opt_str(&a, "s"), Some("x"));
        assert_eq!(opt_str(&a, "e"), None);
        assert!(req_str(&a, "n").is_err());
        assert_eq!(opt_i64(&a, "n"), Some(3));
        assert_eq!(str_list(&a, "l"), vec!["b", "a"]);
        assert!(str_list(&a, "missing").is_empty());
    }

    #[test]
    fn sets_are_sorted_unless_unknown() {
        let mut a = Attrs::new();
        a.insert(
            "l".into(),
            Value::List(vec![Value::from("b"), Value::from("a"), Value::from("b")]),
        );
        a.insert(
            "u".into(),
            Value::List(vec![Value::from("b"), Value::Unknown]),
        );
        normalize_set(&mut a, "l");
        normalize_set(&mut a, "u");
        assert_eq!(
            a["l"],
            Value::List(vec![Value::from("a"), Value::from("b")])
        );
        assert_eq!(a["u"], Value::List(vec![Value::from("b"), Value::Unknown]));
        assert_eq!(
            str_set(["z", "a", "z"]),
            Value::List(vec![Value::from("a"), Value::from("z")])
        );
    }
}
