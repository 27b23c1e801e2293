//! `lifecycle.ignore_changes`: dropping ignored differences from a
//! provider's plan and keeping the live values of ignored fields.

use crate::provider::{PlannedAction, PlannedChange};
use forge_core::{Attrs, Value};

/// Whether `path` (`tags.Owner`, `rules[2]`) is covered by an
/// `ignore_changes` pattern (`*`, `tags`, `tags.Owner`).
pub fn is_ignored(patterns: &[String], path: &str) -> bool {
    patterns.iter().any(|p| {
        p == "*"
            || path == p
            || path
                .strip_prefix(p.as_str())
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    })
}

/// Drops the changes `patterns` ignore from `planned`, puts the prior value
/// back into the predicted attributes at those paths, and recomputes the
/// action. Creation is never ignored (there is nothing to keep).
pub fn apply_ignore_changes(
    patterns: &[String],
    prior: Option<&Attrs>,
    mut planned: PlannedChange,
) -> PlannedChange {
    if patterns.is_empty() || prior.is_none() || planned.action == PlannedAction::Create {
        return planned;
    }
    let (ignored, kept): (Vec<_>, Vec<_>) = planned
        .changes
        .into_iter()
        .partition(|c| is_ignored(patterns, &c.path));
    if ignored.is_empty() {
        planned.changes = kept;
        return planned;
    }
    for change in &ignored {
        set_path(&mut planned.predicted, &change.path, change.before.clone());
    }
    let was_replace = planned.action == PlannedAction::Replace;
    planned.action = if kept.iter().any(|c| c.forces_replacement) {
        PlannedAction::Replace
    } else if kept.is_empty() {
        PlannedAction::NoOp
    } else {
        PlannedAction::Update
    };
    if was_replace && planned.action != PlannedAction::Replace {
        // The provider predicted a fresh object (computed fields unknown);
        // the object is now kept, so its computed values stay as they are.
        if let Some(prior) = prior {
            for (k, v) in prior {
                if planned.predicted.get(k) == Some(&Value::Unknown) {
                    planned.predicted.insert(k.clone(), v.clone());
                }
            }
        }
    }
    planned.changes = kept;
    planned
}

/// Sets (or removes, with `None`) the value at a dotted map path.
pub fn set_path(attrs: &mut Attrs, path: &str, value: Option<Value>) {
    let mut parts = path.split('.');
    let Some(first) = parts.next() else { return };
    let rest: Vec<&str> = parts.collect();
    if rest.is_empty() {
        match value {
            Some(v) => attrs.insert(first.to_string(), v),
            None => attrs.remove(first),
        };
        return;
    }
    let entry = attrs
        .entry(first.to_string())
        .or_insert_with(|| Value::Map(Default::default()));
    set_in_value(entry, &rest, value);
}

fn set_in_value(target: &mut Value, path: &[&str], value: Option<Value>) {
    let target = match target {
        Value::Sensitive(inner) => inner.as_mut(),
        other => other,
    };
    if !matches!(target, Value::Map(_)) {
        *target = Value::Map(Default::default());
    }
    let Value::Map(map) = target else { return };
    match path {
        [] => {}
        [last] => match value {
            Some(v) => {
                map.insert((*last).to_string(), v);
            }
            None => {
                map.remove(*last);
            }
        },
        [head, tail @ ..] => {
            let next = map
                .entry((*head).to_string())
                .or_insert_with(|| Value::Map(Default::default()));
            set_in_value(next, tail, value);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::provider::FieldChange;

    fn change(path: &str, before: &str, after: &str, force: bool) -> FieldChange {
        FieldChange {
            path: path.into(),
            before: Some(before.into()),
            after: Some(after.into()),
            forces_replacement: force,
        }
    }

    #[test]
    fn patterns_match_prefixes_only_at_boundaries() {
        let p = vec!["tags".to_string()];
        assert!(is_ignored(&p, "tags"));
        assert!(is_ignored(&p, "tags.Owner"));
        assert!(!is_ignored(&p, "tags_all"));
        assert!(is_ignored(&["*".to_string()], "anything"));
    }

    #[test]
    fn ignoring_recomputes_action_and_keeps_prior() {
        let prior: Attrs = [
            ("id".to_string(), Value::from("i-1")),
            ("name".to_string(), Value::from("a")),
        ]
        .into();
        let planned = PlannedChange {
            action: PlannedAction::Replace,
            predicted: [
                ("id".to_string(), Value::Unknown),
                ("name".to_string(), Value::from("b")),
            ]
            .into(),
            changes: vec![change("name", "a", "b", true)],
            pending: Vec::new(),
        };
        let out = apply_ignore_changes(&["name".to_string()], Some(&prior), planned);
        assert_eq!(out.action, PlannedAction::NoOp);
        assert_eq!(out.predicted["name"], Value::from("a"));
        assert_eq!(out.predicted["id"], Value::from("i-1"));
    }

    #[test]
    fn nested_ignore_restores_one_key() {
        let mut tags = std::collections::BTreeMap::new();
        tags.insert("Owner".to_string(), Value::from("bob"));
        let mut predicted: Attrs = [("tags".to_string(), Value::Map(tags))].into();
        set_path(&mut predicted, "tags.Owner", Some("alice".into()));
        set_path(&mut predicted, "tags.Team", None);
        assert_eq!(predicted["tags"].get("Owner"), Some(&Value::from("alice")));
    }
}
