//! Normalization shared by kinds: CIDR text and IAM policy documents.
//!
//! Both sides of a comparison (the spec and what AWS returns) go through the
//! same functions, so equal meaning compares equal and a fresh apply is
//! followed by a plan with no changes.

use forge_core::{Attrs, KindSchema, Value};
use ipnet::IpNet;

/// The canonical text of a CIDR block: the network address (host bits
/// cleared: `10.0.0.5/16` -> `10.0.0.0/16`), IPv6 in compressed lower-case.
/// Text that is not a CIDR is returned unchanged for AWS to reject with its
/// own message.
pub fn cidr(text: &str) -> String {
    match text.trim().parse::<IpNet>() {
        Ok(net) => net.trunc().to_string(),
        Err(_) => text.to_string(),
    }
}

/// A field normalizer (`#[field(normalize = ...)]`): the CIDR of a text
/// value in canonical form; other values unchanged.
pub fn cidr_value(value: &Value) -> Value {
    match value {
        Value::String(text) => Value::String(cidr(text)),
        other => other.clone(),
    }
}

/// A field normalizer: a list of CIDRs, each in canonical form.
pub fn cidr_list_value(value: &Value) -> Value {
    match value {
        Value::List(items) => Value::List(items.iter().map(cidr_value).collect()),
        other => other.clone(),
    }
}

/// Normalizes the CIDR held in a string field, if any.
pub fn cidr_field(attrs: &mut Attrs, name: &str) {
    if let Some(Value::String(s)) = attrs.get_mut(name) {
        *s = cidr(s);
    }
}

/// Why a policy document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy is not valid JSON: {0}")]
pub struct PolicyError(pub String);

/// The canonical text of an IAM policy document given as JSON text or as a
/// YAML/JSON object: keys sorted, no whitespace, `Statement` always a list,
/// and single-item lists of actions/resources/principals written as the bare
/// string, sorted when longer (IAM treats both spellings the same).
pub fn policy(value: &Value) -> Result<String, PolicyError> {
    let json = match value {
        Value::String(text) => {
            serde_json::from_str(text).map_err(|e| PolicyError(e.to_string()))?
        }
        other => other.unmarked().to_json(),
    };
    Ok(canonical(&json, None).to_string())
}

/// Normalizes the policy held in a field (string or object) to canonical
/// text; an unparsable policy is left as is (create reports the error).
pub fn policy_field(attrs: &mut Attrs, name: &str) {
    let Some(v) = attrs.get(name) else { return };
    if v.is_null() || !v.is_known() {
        return;
    }
    if let Ok(text) = policy(v) {
        attrs.insert(name.to_string(), Value::String(text));
    }
}

/// A policy field's normalizer for `#[field(normalize = ..)]`: the
/// canonical text of [`policy`]; an unparsable or unknown value is left as
/// is (create reports the error).
pub fn policy_value(value: &Value) -> Value {
    if !value.is_known() {
        return value.clone();
    }
    policy(value)
        .map(Value::String)
        .unwrap_or_else(|_| value.clone())
}

/// The canonical text of an optional policy to send; `None` when unset.
pub fn policy_text(value: Option<&Value>) -> Result<Option<String>, PolicyError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(v) => policy(v).map(Some),
    }
}

/// The canonical text of a JSON document that is not an IAM policy (SNS
/// filter, delivery and redrive policies), given as JSON text or as a
/// YAML/JSON object: keys sorted, no whitespace, lists kept as written
/// (their order and single-item lists can mean something there). `None`
/// when text is not JSON.
pub fn json_text(value: &Value) -> Option<String> {
    let json = match value {
        Value::String(text) => serde_json::from_str(text).ok()?,
        other => other.unmarked().to_json(),
    };
    Some(sorted_keys(&json).to_string())
}

/// [`json_text`] as a field normalizer: unparsable text is left as is.
pub fn json_value(value: &Value) -> Value {
    json_text(value)
        .map(Value::String)
        .unwrap_or_else(|| value.clone())
}

fn sorted_keys(json: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match json {
        J::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            J::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted_keys(&map[k.as_str()])))
                    .collect(),
            )
        }
        J::Array(items) => J::Array(items.iter().map(sorted_keys).collect()),
        other => other.clone(),
    }
}

fn canonical(json: &serde_json::Value, key: Option<&str>) -> serde_json::Value {
    use serde_json::Value as J;
    match json {
        J::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = serde_json::Map::new();
            for k in keys {
                let v = &map[k.as_str()];
                let v = if k == "Statement" && v.is_object() {
                    J::Array(vec![v.clone()])
                } else {
                    v.clone()
                };
                out.insert(k.clone(), canonical(&v, Some(k)));
            }
            J::Object(out)
        }
        J::Array(items) => {
            let mut items: Vec<J> = items.iter().map(|i| canonical(i, key)).collect();
            // Statements are ordered (Sids); every string list elsewhere
            // (actions, resources, principals, condition values) is a set.
            if key != Some("Statement") && items.iter().all(J::is_string) {
                items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                items.dedup();
                if items.len() == 1 {
                    return items.remove(0);
                }
            }
            J::Array(items)
        }
        other => other.clone(),
    }
}

/// [`crate::arn::key_id_of`] as a field normalizer: a KMS key named by id
/// or by key ARN compares equal to what a service reports.
pub fn kms_key_value(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(crate::arn::key_id_of(s).to_string()),
        other => other.clone(),
    }
}

/// A field normalizer for identifiers a service stores in lower case
/// (RDS's `MyDb` is `mydb`).
pub fn lower_value(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(s.to_lowercase()),
        other => other.clone(),
    }
}

/// Applies what every kind's `normalize` does: `tags` made a map of
/// text, and nulls of settable fields dropped so "unset" has one spelling.
pub fn normalize_common(schema: &KindSchema, attrs: &mut Attrs) {
    // Only kinds that carry tags get a `tags` map (an untaggable kind's
    // attributes hold nothing outside its schema).
    if schema.fields.contains_key("tags") {
        crate::tags::normalize_tags(attrs);
    }
    let settable: Vec<&str> = schema
        .fields
        .iter()
        .filter(|(_, f)| f.settable())
        .map(|(k, _)| k.as_str())
        .collect();
    crate::attrs::drop_nulls(attrs, settable);
}

/// Reads a number or numeric text (AWS attributes are text, specs write
/// numbers).
pub fn int_of(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// A field normalizer: a number or numeric text as a number value;
/// anything else unchanged.
pub fn number_value(v: &Value) -> Value {
    match v {
        Value::String(_) => int_of(v).map(Value::int).unwrap_or_else(|| v.clone()),
        other => other.clone(),
    }
}

/// A field normalizer: a scalar as text (`443` and `"443"` are the same
/// port); unknowns and nulls unchanged.
pub fn text_value(v: &Value) -> Value {
    match v {
        Value::Number(n) => Value::String(n.to_string()),
        Value::Bool(b) => Value::String(b.to_string()),
        other => other.clone(),
    }
}

/// A field normalizer: text in upper case (protocols, scopes); anything
/// else unchanged.
pub fn upper_value(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.to_ascii_uppercase()),
        other => other.clone(),
    }
}

/// Whether a live engine version satisfies the spec's: equal, or the spec
/// pins a prefix (`16` or `16.4`) of the live version (`16.4`, `16.4.2`).
pub fn version_covers(spec: &str, live: &str) -> bool {
    live == spec
        || live
            .strip_prefix(spec)
            .is_some_and(|rest| rest.starts_with('.'))
}

fn version_parts(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// Whether engine version `live` is later than `spec`, part by part
/// (`16.2` after `15.4`, `16.4.2` after `16.4`).
pub fn version_newer(live: &str, spec: &str) -> bool {
    version_parts(live) > version_parts(spec)
}

/// The drift classification of an engine version that changed by itself
/// within the same major version (an automatic minor upgrade).
pub fn classify_version(path: &str, recorded: &Value, live: &Value) -> Option<String> {
    if path != "engine_version" {
        return None;
    }
    let (r, l) = (recorded.as_str()?, live.as_str()?);
    let (rp, lp) = (version_parts(r), version_parts(l));
    (rp.first() == lp.first() && lp > rp)
        .then(|| format!("automatic minor version upgrade {r} -> {l}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_documents_sort_keys_and_keep_lists() {
        let text = Value::from(r#"{ "b": ["y", "x"], "a": {"d": 1, "c": ["z"]} }"#);
        assert_eq!(
            json_text(&text).as_deref(),
            Some(r#"{"a":{"c":["z"],"d":1},"b":["y","x"]}"#)
        );
        let object =
            Value::from_json(&serde_json::json!({"b": ["y", "x"], "a": {"c": ["z"], "d": 1}}));
        assert_eq!(json_value(&object), json_value(&text));
        assert_eq!(json_value(&Value::from("{oops")), Value::from("{oops"));
        assert_eq!(
            policy_value(&Value::from(
                r#"{"Statement": {"Action": ["sns:Publish"]}}"#
            )),
            Value::from(r#"{"Statement":[{"Action":"sns:Publish"}]}"#)
        );
    }

    #[test]
    fn cidrs_lose_host_bits() {
        assert_eq!(cidr("10.0.0.5/16"), "10.0.0.0/16");
        assert_eq!(cidr(" 10.1.2.0/24 "), "10.1.2.0/24");
        assert_eq!(cidr("0.0.0.0/0"), "0.0.0.0/0");
        assert_eq!(cidr("2001:DB8:0:0:1::5/64"), "2001:db8::/64");
        assert_eq!(cidr("not-a-cidr"), "not-a-cidr");
    }

    #[test]
    fn policies_compare_by_meaning() {
        let a = Value::from(
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":"*"}}"#,
        );
        let b = Value::from_json(&serde_json::json!({
            "Statement": [{"Resource": "*", "Action": "s3:GetObject", "Principal": "*", "Effect": "Allow"}],
            "Version": "2012-10-17"
        }));
        assert_eq!(policy(&a).unwrap(), policy(&b).unwrap());
        let c = Value::from(r#"{"Statement":[{"Action":["s3:Put*","s3:Get*"]}]}"#);
        let d = Value::from(r#"{"Statement":[{"Action":["s3:Get*","s3:Put*"]}]}"#);
        assert_eq!(policy(&c).unwrap(), policy(&d).unwrap());
        assert_eq!(
            policy(&c).unwrap(),
            r#"{"Statement":[{"Action":["s3:Get*","s3:Put*"]}]}"#
        );
        assert!(policy(&Value::from("{nope")).is_err());
    }

    #[test]
    fn statement_order_is_kept() {
        let p = Value::from(r#"{"Statement":[{"Sid":"b"},{"Sid":"a"}]}"#);
        assert_eq!(
            policy(&p).unwrap(),
            r#"{"Statement":[{"Sid":"b"},{"Sid":"a"}]}"#
        );
    }

    #[test]
    fn policy_field_skips_unknowns() {
        let mut a = Attrs::from([("policy".to_string(), Value::Unknown)]);
        policy_field(&mut a, "policy");
        assert_eq!(a["policy"], Value::Unknown);
        let mut a = Attrs::from([("policy".to_string(), Value::from("{ \"b\": 1, \"a\": 2 }"))]);
        policy_field(&mut a, "policy");
        assert_eq!(a["policy"], Value::from(r#"{"a":2,"b":1}"#));
    }
}
