//! Changes the cloud has accepted but not applied yet: RDS and ElastiCache
//! defer most modifications to the next maintenance window unless they are
//! applied immediately, and describe them as pending. A kind reports them
//! in its computed [`PENDING_FIELD`] (a map from its field names to the
//! pending values); the schema plan moves a change whose desired value is
//! the pending one out of the changes into [`PlannedChange::pending`], so
//! it is shown as "pending until the maintenance window", not planned
//! again and not reported as drift. A desired value other than the pending
//! one plans as any change does.

use crate::diff::values_equal;
use crate::ignore::set_path;
use crate::provider::{FieldChange, PlannedAction, PlannedChange};
use forge_core::{Attrs, Value};

/// The computed field holding an object's pending values, by field name.
pub const PENDING_FIELD: &str = "pending_modified_values";

/// The pending values `attrs` records (`None` when none).
pub fn pending_values(attrs: &Attrs) -> Option<&std::collections::BTreeMap<String, Value>> {
    match attrs.get(PENDING_FIELD) {
        Some(Value::Map(m)) if !m.is_empty() => Some(m),
        _ => None,
    }
}

/// Moves the changes of `planned` whose desired value is `prior`'s pending
/// value into `planned.pending` (the prior value stays in the prediction:
/// the object keeps it until the window), and recomputes the action. A
/// replacement is left alone: the new object is made with the desired
/// values.
pub fn hold_pending(prior: Option<&Attrs>, planned: &mut PlannedChange) {
    let Some(values) = prior.and_then(pending_values) else {
        return;
    };
    if matches!(
        planned.action,
        PlannedAction::Create | PlannedAction::Replace
    ) {
        return;
    }
    let (pending, kept): (Vec<FieldChange>, Vec<FieldChange>) =
        std::mem::take(&mut planned.changes).into_iter().partition(
            |c| matches!((values.get(&c.path), &c.after), (Some(p), Some(a)) if values_equal(p, a)),
        );
    for change in &pending {
        set_path(&mut planned.predicted, &change.path, change.before.clone());
    }
    planned.changes = kept;
    if planned.changes.is_empty() {
        planned.action = PlannedAction::NoOp;
    }
    planned.pending.extend(pending);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn change(path: &str, before: &str, after: &str) -> FieldChange {
        FieldChange {
            path: path.into(),
            before: Some(Value::from(before)),
            after: Some(Value::from(after)),
            forces_replacement: false,
        }
    }

    fn prior(pending: &[(&str, &str)]) -> Attrs {
        let map = pending
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(*v)))
            .collect();
        Attrs::from([
            ("class".to_string(), Value::from("small")),
            (PENDING_FIELD.to_string(), Value::Map(map)),
        ])
    }

    fn planned(changes: Vec<FieldChange>) -> PlannedChange {
        PlannedChange {
            action: PlannedAction::Update,
            predicted: Attrs::from([("class".to_string(), Value::from("large"))]),
            changes,
            pending: Vec::new(),
        }
    }

    #[test]
    fn a_change_to_the_pending_value_is_pending_not_planned() {
        let mut p = planned(vec![change("class", "small", "large")]);
        hold_pending(Some(&prior(&[("class", "large")])), &mut p);
        assert_eq!(p.action, PlannedAction::NoOp);
        assert!(p.changes.is_empty());
        assert_eq!(p.pending, vec![change("class", "small", "large")]);
        // The object keeps its live value until the window.
        assert_eq!(p.predicted["class"], Value::from("small"));
    }

    #[test]
    fn another_value_plans_normally() {
        let mut p = planned(vec![
            change("class", "small", "xlarge"),
            change("tier", "1", "2"),
        ]);
        hold_pending(Some(&prior(&[("class", "large")])), &mut p);
        assert_eq!(p.action, PlannedAction::Update);
        assert_eq!(p.changes.len(), 2);
        assert!(p.pending.is_empty());
    }

    #[test]
    fn other_changes_still_update() {
        let mut p = planned(vec![
            change("class", "small", "large"),
            change("tier", "1", "2"),
        ]);
        hold_pending(Some(&prior(&[("class", "large")])), &mut p);
        assert_eq!(p.action, PlannedAction::Update);
        assert_eq!(p.changes, vec![change("tier", "1", "2")]);
        assert_eq!(p.pending.len(), 1);
    }

    #[test]
    fn nothing_pending_changes_nothing() {
        let mut p = planned(vec![change("class", "small", "large")]);
        hold_pending(Some(&prior(&[])), &mut p);
        assert_eq!(p.action, PlannedAction::Update);
        assert_eq!(p.changes.len(), 1);
    }
}
