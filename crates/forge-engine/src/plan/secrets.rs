//! Saved plans hold no secret values, only their hashes.
//!
//! A plan saved with `forge plan -out` is kept as a CI artifact and read by
//! reviewers, so every sensitive value in it (a sensitive var, a literal
//! of a sensitive field, an attribute, an output, what a data source read)
//! is written as the hash object the state uses for sensitive attributes,
//! `{"sha256": "<hex>"}` ([`crate::state::codec::sensitive_hash`]): the
//! apply's checks compare hashes exactly as they compare a plan against a
//! hashed state.
//!
//! `forge apply FILE` loads the spec again from the same sources (the
//! secrets come from `-var`, `FORGE_VAR_*` or var files, as at plan time)
//! and puts each value back where the plan holds its hash
//! ([`restore`]). A value whose hash differs is refused: the plan was
//! reviewed for other secrets. The hashes are SHA-256 without a salt, like
//! the state's; a weak password can be guessed from its hash, as from the
//! state, so the file is still created readable by its owner only.

use super::Plan;
use crate::error::EngineError;
use crate::state::codec::sensitive_hash;
use forge_core::Value;
use forge_core::spec::Stack;
use serde_json::Value as Json;
use std::collections::HashMap;

/// The key of a sensitive value in a plan's JSON form.
const SENSITIVE_TAG: &str = "__forge_sensitive__";

/// The inner JSON of a sensitive node (`{"__forge_sensitive__": inner}`).
fn sensitive_inner(node: &Json) -> Option<&Json> {
    match node {
        Json::Object(m) if m.len() == 1 => m.get(SENSITIVE_TAG),
        _ => None,
    }
}

/// The hash a sensitive node holds, if it holds one rather than a value.
fn held_hash(node: &Json) -> Option<&str> {
    match sensitive_inner(node)? {
        Json::Object(m) if m.len() == 1 => m
            .get("sha256")
            .and_then(Json::as_str)
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit())),
        _ => None,
    }
}

/// The hash of a sensitive node's value (the state's form of it).
fn hash_of(inner: &Json) -> Option<String> {
    let value = Value::from_tagged_json(inner);
    // An unknown secret (a var left unset in a review plan) holds nothing.
    if !value.is_known() {
        return None;
    }
    sensitive_hash(&value)
        .get("sha256")
        .and_then(Json::as_str)
        .map(str::to_string)
}

fn hash_node(hash: &str) -> Json {
    serde_json::json!({ SENSITIVE_TAG: { "sha256": hash } })
}

/// Replaces every sensitive value in `node` (a plan's JSON form, or any
/// part of it) by its hash. Hashes stay as they are.
pub(crate) fn redact(node: &mut Json) {
    if let Some(inner) = sensitive_inner(node) {
        if held_hash(node).is_none()
            && let Some(hash) = hash_of(inner)
        {
            *node = hash_node(&hash);
        }
        return;
    }
    match node {
        Json::Array(items) => items.iter_mut().for_each(redact),
        Json::Object(map) => map.values_mut().for_each(redact),
        _ => {}
    }
}

/// Whether `node` holds a sensitive value in clear (not as a hash).
#[cfg(test)]
fn holds_clear_secret(node: &Json) -> bool {
    if let Some(inner) = sensitive_inner(node) {
        return held_hash(node).is_none() && hash_of(inner).is_some();
    }
    match node {
        Json::Array(items) => items.iter().any(holds_clear_secret),
        Json::Object(map) => map.values().any(holds_clear_secret),
        _ => false,
    }
}

/// Every sensitive value of `node`, by hash.
fn collect(node: &Json, pool: &mut HashMap<String, Json>) {
    if let Some(inner) = sensitive_inner(node) {
        if held_hash(node).is_none()
            && let Some(hash) = hash_of(inner)
        {
            pool.insert(hash, node.clone());
        }
        return;
    }
    match node {
        Json::Array(items) => items.iter().for_each(|i| collect(i, pool)),
        Json::Object(map) => map.values().for_each(|v| collect(v, pool)),
        _ => {}
    }
}

/// Puts back every hash of `node` whose value is in `pool`; `required`
/// collects the paths of those that are not (when they must be).
fn put_back(node: &mut Json, pool: &HashMap<String, Json>, path: &str, missing: &mut Vec<String>) {
    if let Some(hash) = held_hash(node) {
        match pool.get(hash) {
            Some(value) => *node = value.clone(),
            None => missing.push(path.to_string()),
        }
        return;
    }
    match node {
        Json::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                put_back(item, pool, &format!("{path}[{i}]"), missing);
            }
        }
        Json::Object(map) => {
            for (k, v) in map.iter_mut() {
                put_back(v, pool, &format!("{path}.{k}"), missing);
            }
        }
        _ => {}
    }
}

/// Whether a plan loaded from a file holds hashes where its data sources'
/// sensitive values were: the apply must read them again ([`restore`]
/// needs them in `fresh`).
pub fn needs_data(plan: &Plan) -> bool {
    plan.config.data_values.values().any(|v| {
        let json = serde_json::to_value(v).unwrap_or(Json::Null);
        holds_hash(&json)
    })
}

fn holds_hash(node: &Json) -> bool {
    if held_hash(node).is_some() {
        return true;
    }
    match node {
        Json::Array(items) => items.iter().any(holds_hash),
        Json::Object(map) => map.values().any(holds_hash),
        _ => false,
    }
}

/// Puts the secrets back into `plan`, loaded from a file, from `fresh`:
/// the same spec loaded again from the same sources (with what its data
/// sources read, when [`needs_data`]). Every secret of the plan's
/// configuration must be found with the same hash, or the plan is refused
/// and left as it was. Elsewhere (the recorded before/after of changes,
/// outputs) a hash without its value stays a hash, as in the state.
pub fn restore(plan: &mut Plan, fresh: &Stack) -> Result<(), EngineError> {
    let fail = |detail: String| EngineError::PlanSecrets { detail };
    let mut pool = HashMap::new();
    collect(
        &serde_json::to_value(fresh).map_err(|e| fail(e.to_string()))?,
        &mut pool,
    );
    let mut json = serde_json::to_value(&*plan).map_err(|e| fail(e.to_string()))?;
    let mut missing = Vec::new();
    if let Json::Object(map) = &mut json {
        for (key, section) in map.iter_mut() {
            let mut unfound = Vec::new();
            put_back(section, &pool, key, &mut unfound);
            // Only the configuration must be whole: the apply sends it.
            if key == "config" {
                missing.extend(unfound);
            }
        }
    }
    if !missing.is_empty() {
        return Err(fail(format!(
            "the sensitive values at {} are not the ones the plan was made with (their hashes differ): \
             give the same secrets as when planning (-var, FORGE_VAR_*, var files), or plan again",
            missing.join(", ")
        )));
    }
    *plan = serde_json::from_value(json).map_err(|e| fail(e.to_string()))?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn tagged(v: Value) -> Json {
        serde_json::to_value(v).unwrap()
    }

    #[test]
    fn redacts_values_and_keeps_hashes_and_unknowns() {
        let secret = Value::from("hunter2").sensitive();
        let mut node = serde_json::json!({
            "a": tagged(secret.clone()),
            "b": [tagged(Value::from("plain")), tagged(Value::Unknown.sensitive())],
            "c": tagged(Value::Map([("k".to_string(), secret.clone())].into())),
        });
        assert!(holds_clear_secret(&node));
        redact(&mut node);
        assert!(!holds_clear_secret(&node));
        let text = node.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert_eq!(
            node["a"],
            hash_node(&hash_of(&tagged(Value::from("hunter2"))).unwrap())
        );
        assert_eq!(
            node["b"][1],
            tagged(Value::Unknown.sensitive()),
            "unknowns stay"
        );
        // Hashing twice changes nothing: a hash from the state stays.
        let once = node.clone();
        redact(&mut node);
        assert_eq!(node, once);
    }

    #[test]
    fn puts_back_values_by_hash_and_names_what_is_missing() {
        let secret = tagged(Value::from("hunter2").sensitive());
        let other = tagged(Value::from("other").sensitive());
        let mut pool = HashMap::new();
        collect(&serde_json::json!({"x": secret.clone()}), &mut pool);
        let mut node = serde_json::json!({"a": secret.clone(), "b": [other.clone()]});
        redact(&mut node);
        let mut missing = Vec::new();
        put_back(&mut node, &pool, "config", &mut missing);
        assert_eq!(node["a"], secret);
        assert_eq!(missing, vec!["config.b[0]".to_string()]);
    }
}
