//! IAM policy documents as IAM returns them.
//!
//! GetRole, GetRolePolicy and GetAccountAuthorizationDetails return policy
//! documents URL-encoded (RFC 3986 percent-encoding of the JSON text); some
//! endpoints and emulators return them plain. Both are decoded here and then
//! put through the shared canonical form ([`crate::normalize::policy`]):
//! keys sorted, no whitespace, single-item string lists written as the bare
//! string, `Version` kept. Spec and cloud go through the same function, so a
//! freshly applied policy never shows as a diff.

use crate::normalize::{PolicyError, policy};
use forge_core::Value;

/// Decodes `%XX` escapes (and nothing else: IAM never encodes spaces as
/// `+`, and a literal `+` in a policy must stay one). Invalid escapes are
/// kept as they are.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// The canonical text of a policy document returned by IAM, URL-encoded or
/// not. JSON never starts with `%`, so plain text is tried first.
pub fn from_aws(text: &str) -> Result<String, PolicyError> {
    let trimmed = text.trim();
    match policy(&Value::from(trimmed)) {
        Ok(p) => Ok(p),
        Err(_) => policy(&Value::from(percent_decode(trimmed))),
    }
}

/// The canonical text of an observed policy; text that is not a policy at
/// all is shown as IAM returned it (decoded) rather than hidden.
pub fn observed(text: &str) -> Value {
    Value::String(from_aws(text).unwrap_or_else(|_| percent_decode(text)))
}

/// The normalizer of a map of named policy documents (inline policies):
/// every known value becomes its canonical text.
pub fn policy_map_value(value: &Value) -> Value {
    let Value::Map(map) = value else {
        return value.clone();
    };
    Value::Map(
        map.iter()
            .map(|(k, v)| {
                let v = if v.is_known() && !v.is_null() {
                    policy(v).map(Value::String).unwrap_or_else(|_| v.clone())
                } else {
                    v.clone()
                };
                (k.clone(), v)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

    #[test]
    fn url_encoded_documents_decode_to_the_same_policy() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%5B%22ecs-tasks.amazonaws.com%22%5D%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";
        assert_eq!(
            from_aws(encoded).unwrap(),
            policy(&Value::from(TRUST)).unwrap()
        );
        assert_eq!(
            from_aws(TRUST).unwrap(),
            policy(&Value::from(TRUST)).unwrap()
        );
    }

    #[test]
    fn key_order_whitespace_and_single_item_lists_do_not_matter() {
        let spec = Value::from_json(&serde_json::json!({
            "Statement": [{
                "Action": ["sts:AssumeRole"],
                "Principal": {"Service": ["ecs-tasks.amazonaws.com"]},
                "Effect": "Allow"
            }],
            "Version": "2012-10-17"
        }));
        let pretty = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": {\n    \"Effect\": \"Allow\",\n    \"Principal\": {\"Service\": \"ecs-tasks.amazonaws.com\"},\n    \"Action\": \"sts:AssumeRole\"\n  }\n}";
        let a = policy(&spec).unwrap();
        assert_eq!(a, from_aws(pretty).unwrap());
        assert_eq!(a, from_aws(TRUST).unwrap());
        assert!(a.contains("\"Version\":\"2012-10-17\""));
        assert!(!a.contains(' '));
    }

    #[test]
    fn percent_decoding_keeps_plus_and_bad_escapes() {
        assert_eq!(percent_decode("a%20b+c%2"), "a b+c%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(percent_decode("%E2%82%AC"), "€");
    }

    #[test]
    fn inline_policy_maps_are_normalized_per_value() {
        let m = policy_map_value(&Value::Map(BTreeMap::from([
            (
                "read".to_string(),
                Value::from("{ \"Statement\": [ {\"Action\": [\"s3:GetObject\"]} ] }"),
            ),
            ("later".to_string(), Value::Unknown),
        ])));
        let m = m.as_map().unwrap();
        assert_eq!(
            m["read"],
            Value::from(r#"{"Statement":[{"Action":"s3:GetObject"}]}"#)
        );
        assert_eq!(m["later"], Value::Unknown);
    }
}
