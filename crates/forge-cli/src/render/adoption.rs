//! The plan's lines for `import:`, `moved:` and `removed:` blocks, worded
//! as Terraform's: "will be imported", "has moved to", "will no longer be
//! managed".

use super::paint::{Tone, paint};
use forge_engine::{ChangeAction, Plan, ResourceChange};
use std::fmt::Write;

/// Whether an unchanged resource is still shown: it is imported or moved.
pub fn shown_unchanged(change: &ResourceChange) -> bool {
    change.import || change.moved_from.is_some()
}

/// The headline of an unchanged imported or moved resource.
pub fn unchanged_headline(change: &ResourceChange) -> Option<String> {
    let a = &change.address;
    match (&change.moved_from, change.import) {
        (_, true) => Some(format!("# {a} will be imported")),
        (Some(from), false) => Some(format!("# {from} has moved to {a}")),
        (None, false) => None,
    }
}

/// The notes under the headline of a changed imported or moved resource.
pub fn notes(change: &ResourceChange) -> Vec<String> {
    if change.action == ChangeAction::NoOp {
        return match (&change.moved_from, change.import) {
            // Imported at a moved address: say both.
            (Some(from), true) => vec![format!("# (moved from {from})")],
            _ => Vec::new(),
        };
    }
    let mut out = Vec::new();
    if change.import {
        out.push(format!(
            "# (imported from \"{}\")",
            change.id.as_deref().unwrap_or("?")
        ));
    }
    if let Some(from) = &change.moved_from {
        out.push(format!("# (moved from {from})"));
    }
    out
}

/// The resources `removed:` blocks let go of.
pub fn render_unmanaged(out: &mut String, plan: &Plan, color: bool) {
    for a in &plan.unmanage {
        let _ = writeln!(
            out,
            "  {}\n    (forge forgets it; the object stays in AWS)\n",
            paint(
                &format!("# {a} will no longer be managed by forge"),
                Tone::Bold,
                color
            )
        );
    }
}

/// The summary line's import count (Terraform puts it first).
pub fn import_count(plan: &Plan) -> String {
    match plan.summary().import {
        0 => String::new(),
        n => format!("{n} to import, "),
    }
}

/// The summary line's count of resources no longer managed.
pub fn forget_count(plan: &Plan) -> String {
    match plan.summary().forget {
        0 => String::new(),
        n => format!(", {n} to forget"),
    }
}
