//! Pending modifications, shared by the services that defer changes to a
//! maintenance window (RDS, ElastiCache): the helpers that turn a
//! service's `PendingModifiedValues` members into a kind's computed
//! `pending_modified_values` map, keyed by the kind's own field names (see
//! `forge_engine::deferred`, which keeps a change equal to a pending value
//! out of the plan and the drift report).

use forge_core::Value;
use std::collections::BTreeMap;

/// The map of the members that are set, or `None` when nothing is pending
/// (AWS describes an empty or absent `PendingModifiedValues` alike).
pub fn map(entries: Vec<(&str, Option<Value>)>) -> Option<BTreeMap<String, Value>> {
    let out: BTreeMap<String, Value> = entries
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_string(), v?)))
        .collect();
    (!out.is_empty()).then_some(out)
}

/// A text member.
pub fn text(v: Option<&str>) -> Option<Value> {
    v.map(Value::from)
}

/// A text member in lower case (the kinds normalize these fields so).
pub fn lower(v: Option<&str>) -> Option<Value> {
    v.map(|s| Value::from(s.to_ascii_lowercase()))
}

/// An integer member.
pub fn int(v: Option<i32>) -> Option<Value> {
    v.map(|n| Value::from(i64::from(n)))
}

/// A boolean member.
pub fn flag(v: Option<bool>) -> Option<Value> {
    v.map(Value::from)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_set_members_are_kept() {
        let m = map(vec![
            ("a", text(Some("x"))),
            ("b", int(None)),
            ("c", flag(Some(true))),
            ("d", lower(Some("Required"))),
        ])
        .unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(m["a"], Value::from("x"));
        assert_eq!(m["c"], Value::Bool(true));
        assert_eq!(m["d"], Value::from("required"));
        assert_eq!(map(vec![("a", None)]), None);
    }
}
