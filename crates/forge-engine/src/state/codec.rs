//! The JSON form of a resource's state: sensitive values replaced by
//! `{"sha256": "<hex>"}` (unless the resource opted in to plain storage),
//! with the paths of sensitive values listed in `sensitive_attributes` so
//! the marks come back on reading.
//!
//! Paths are `field`, `field.key` for map entries and `field[0]` for list
//! items.

use super::{DeposedObject, PendingIntent, ResourceState, ResourceStatus};
use forge_core::{Address, Attrs, Value};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// The hash object stored instead of a sensitive value.
pub fn sensitive_hash(value: &Value) -> serde_json::Value {
    let text = value.unmarked().to_json().to_string();
    serde_json::json!({ "sha256": hex::encode(Sha256::digest(text.as_bytes())) })
}

/// Whether `value` is a hash object as [`sensitive_hash`] makes them.
pub(crate) fn is_hash(value: &Value) -> bool {
    match value.unmarked() {
        Value::Map(m) if m.len() == 1 => m
            .get("sha256")
            .and_then(Value::as_str)
            .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())),
        _ => false,
    }
}

/// Whether a recorded (hashed) sensitive value is the hash of `value`.
pub fn matches_hash(recorded: &Value, value: &Value) -> bool {
    let recorded = recorded.unmarked().to_json();
    recorded == sensitive_hash(value)
}

/// Encodes attributes: JSON plus the sensitive paths.
pub fn encode_attrs(
    attrs: &Attrs,
    plaintext: bool,
) -> (serde_json::Map<String, serde_json::Value>, Vec<String>) {
    let mut paths = Vec::new();
    let map = attrs
        .iter()
        .map(|(k, v)| (k.clone(), encode_value(v, k, plaintext, &mut paths)))
        .collect();
    (map, paths)
}

fn encode_value(
    v: &Value,
    path: &str,
    plaintext: bool,
    paths: &mut Vec<String>,
) -> serde_json::Value {
    match v {
        Value::Sensitive(inner) => {
            paths.push(path.to_string());
            if plaintext || is_hash(inner) {
                // A value read back from state is already its hash: hashing
                // it again would lose the recorded value (every later
                // `matches_hash` would fail, and a state migration would
                // not read back what it wrote).
                inner.unmarked().to_json()
            } else {
                sensitive_hash(inner)
            }
        }
        Value::List(items) => serde_json::Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| encode_value(item, &format!("{path}[{i}]"), plaintext, paths))
                .collect(),
        ),
        Value::Map(map) => serde_json::Value::Object(
            map.iter()
                .map(|(k, item)| {
                    (
                        k.clone(),
                        encode_value(item, &format!("{path}.{k}"), plaintext, paths),
                    )
                })
                .collect(),
        ),
        other => other.to_json(),
    }
}

/// Decodes attributes, putting the sensitive marks back.
pub fn decode_attrs(map: &serde_json::Map<String, serde_json::Value>, paths: &[String]) -> Attrs {
    let mut attrs: Attrs = map
        .iter()
        .map(|(k, v)| (k.clone(), Value::from_json(v)))
        .collect();
    for path in paths {
        mark_path(&mut attrs, path);
    }
    attrs
}

enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn parse_path(path: &str) -> Vec<Seg<'_>> {
    let mut segs = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        segs.push(Seg::Key(name));
        while let Some(close) = rest.find(']') {
            if let Ok(i) = rest[1..close].parse() {
                segs.push(Seg::Index(i));
            }
            rest = &rest[close + 1..];
        }
    }
    segs
}

fn mark_path(attrs: &mut Attrs, path: &str) {
    let segs = parse_path(path);
    let Some((Seg::Key(first), rest)) = segs.split_first() else {
        return;
    };
    let Some(mut cur) = attrs.get_mut(*first) else {
        return;
    };
    for seg in rest {
        let next = match (seg, cur) {
            (Seg::Key(k), Value::Map(m)) => m.get_mut(*k),
            (Seg::Index(i), Value::List(l)) => l.get_mut(*i),
            _ => None,
        };
        let Some(n) = next else { return };
        cur = n;
    }
    *cur = std::mem::take(cur).sensitive();
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A deposed object as JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeposedJson {
    id: String,
    attributes: serde_json::Map<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    sensitive_attributes: Vec<String>,
}

/// The JSON shape of [`ResourceState`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResourceStateJson {
    address: Address,
    kind: String,
    region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    alias: Option<String>,
    id: Option<String>,
    attributes: serde_json::Map<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    sensitive_attributes: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    store_sensitive: bool,
    #[serde(default)]
    dependencies: BTreeSet<Address>,
    #[serde(default, skip_serializing_if = "is_false")]
    prevent_destroy: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pending: Option<PendingIntent>,
    #[serde(default)]
    status: ResourceStatus,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    deposed: Vec<DeposedJson>,
}

impl From<ResourceState> for ResourceStateJson {
    fn from(r: ResourceState) -> Self {
        let (attributes, sensitive_attributes) = encode_attrs(&r.attributes, r.store_sensitive);
        let deposed = r
            .deposed
            .iter()
            .map(|d| {
                let (attributes, sensitive_attributes) =
                    encode_attrs(&d.attributes, r.store_sensitive);
                DeposedJson {
                    id: d.id.clone(),
                    attributes,
                    sensitive_attributes,
                }
            })
            .collect();
        ResourceStateJson {
            address: r.address,
            kind: r.kind,
            region: r.region,
            alias: r.alias,
            id: r.id,
            attributes,
            sensitive_attributes,
            store_sensitive: r.store_sensitive,
            dependencies: r.dependencies,
            prevent_destroy: r.prevent_destroy,
            pending: r.pending,
            status: r.status,
            deposed,
        }
    }
}

impl From<ResourceStateJson> for ResourceState {
    fn from(j: ResourceStateJson) -> Self {
        ResourceState {
            attributes: decode_attrs(&j.attributes, &j.sensitive_attributes),
            deposed: j
                .deposed
                .iter()
                .map(|d| DeposedObject {
                    id: d.id.clone(),
                    attributes: decode_attrs(&d.attributes, &d.sensitive_attributes),
                })
                .collect(),
            address: j.address,
            kind: j.kind,
            region: j.region,
            alias: j.alias,
            id: j.id,
            store_sensitive: j.store_sensitive,
            dependencies: j.dependencies,
            prevent_destroy: j.prevent_destroy,
            pending: j.pending,
            status: j.status,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn sensitive_values_are_hashed_and_marked_back() {
        let attrs: Attrs = BTreeMap::from([
            ("id".to_string(), Value::from("db-1")),
            ("password".to_string(), Value::from("hunter2").sensitive()),
            (
                "nested".to_string(),
                Value::Map(BTreeMap::from([(
                    "k".to_string(),
                    Value::List(vec![Value::int(1), Value::from("s").sensitive()]),
                )])),
            ),
        ]);
        let (json, paths) = encode_attrs(&attrs, false);
        assert_eq!(paths, ["nested.k[1]", "password"]);
        let text = serde_json::to_string(&json).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
        let back = decode_attrs(&json, &paths);
        assert!(back["password"].is_sensitive());
        assert!(matches_hash(&back["password"], &Value::from("hunter2")));
        assert!(!matches_hash(&back["password"], &Value::from("other")));
        assert!(back["nested"].is_sensitive());

        let (plain, _) = encode_attrs(&attrs, true);
        assert_eq!(plain["password"], "hunter2");
    }

    #[test]
    fn a_state_read_back_encodes_to_the_same_hashes() {
        let attrs: Attrs =
            BTreeMap::from([("password".to_string(), Value::from("hunter2").sensitive())]);
        let (first, paths) = encode_attrs(&attrs, false);
        let back = decode_attrs(&first, &paths);
        let (second, paths2) = encode_attrs(&back, false);
        assert_eq!(second, first);
        assert_eq!(paths2, paths);
        let again = decode_attrs(&second, &paths2);
        assert!(matches_hash(&again["password"], &Value::from("hunter2")));
        // Opting into plain text later cannot recover the value; the hash
        // stays a hash.
        let (plain, _) = encode_attrs(&back, true);
        assert_eq!(plain["password"], first["password"]);
    }
}
