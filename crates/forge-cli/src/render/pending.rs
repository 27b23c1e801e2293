//! The plan's note on changes the cloud holds until the maintenance window
//! (RDS and ElastiCache without `apply_immediately`): they were applied
//! once and are not made again, so they are listed apart from the actions.

use super::paint::{Tone, paint};
use forge_core::Value;
use forge_engine::Plan;
use std::fmt::Write;

fn shown(v: &Option<Value>) -> String {
    match v {
        None | Some(Value::Null) => "null".into(),
        Some(v) => v.to_string(),
    }
}

/// Appends the note when some resource has pending changes.
pub(super) fn render_pending(out: &mut String, plan: &Plan, color: bool) {
    let held: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| !c.pending.is_empty())
        .collect();
    if held.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n{} changes pending until the maintenance window",
        paint("Note:", Tone::Bold, color)
    );
    let _ = writeln!(
        out,
        "AWS accepted these changes and applies them in the resource's next maintenance window \
         (set apply_immediately: true to apply them now); forge does not make them again:"
    );
    for c in held {
        for f in &c.pending {
            let _ = writeln!(
                out,
                "  # {}: {} = {} -> {} (pending)",
                c.address,
                f.path,
                shown(&f.before),
                shown(&f.after)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::render::plan::render_plan;
    use crate::render::plan::tests::{change, plan};
    use forge_core::Value;
    use forge_engine::{ChangeAction, FieldChange, ResourceChange};

    #[test]
    fn pending_changes_are_a_note_not_an_action() {
        let writer = ResourceChange {
            pending: vec![FieldChange {
                path: "db_instance_class".into(),
                before: Some(Value::from("db.r6g.large")),
                after: Some(Value::from("db.r6g.xlarge")),
                forces_replacement: false,
            }],
            ..change("writer", ChangeAction::NoOp, false)
        };
        let p = plan(vec![writer.clone()]);
        insta::assert_snapshot!(render_plan(&p, false));
        let json = p.to_json();
        assert_eq!(
            json["resource_changes"][0]["pending"][0]["after"],
            "db.r6g.xlarge"
        );
        // Other plans' JSON has no `pending` key.
        let plain = plan(vec![change("other", ChangeAction::NoOp, false)]).to_json();
        assert!(plain["resource_changes"][0].get("pending").is_none());
    }
}
