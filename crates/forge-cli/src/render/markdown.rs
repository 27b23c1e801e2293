//! A plan as GitHub-flavoured markdown, for a pull-request comment
//! (`forge plan --format markdown`, `forge show PLANFILE --format markdown`):
//! the counts, a table of what happens to each resource, the data-loss
//! warning, and each resource's fields collapsed in `<details>`.
//!
//! Values go through the same rendering as the terminal's, so a sensitive
//! value shows as "(sensitive)" here too: a comment is readable by anyone
//! with access to the pull request.

use super::plan::{render_resource, summary_counts};
use forge_core::Value;
use forge_engine::{ChangeAction, OutputChange, Plan, ResourceChange};
use std::fmt::Write;

/// What the table's action column says for a change.
fn action_word(change: &ResourceChange) -> &'static str {
    match change.action {
        ChangeAction::Create => "create",
        ChangeAction::Update => "update in-place",
        ChangeAction::Replace if change.create_before_destroy => "replace (create first)",
        ChangeAction::Replace => "replace",
        ChangeAction::Delete => "destroy",
        ChangeAction::Adopt => "adopt",
        ChangeAction::NoOp if change.import => "import",
        ChangeAction::NoOp if change.moved_from.is_some() => "move",
        ChangeAction::NoOp => "no change",
    }
}

/// A table cell: `|` and line breaks would end the cell or the row.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Inline code that holds `text` whatever backticks it contains.
fn code(text: &str) -> String {
    let fence = "`".repeat(longest_backtick_run(text) + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

fn longest_backtick_run(text: &str) -> usize {
    text.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

/// A fenced block that no line of `body` can close early.
fn fenced(out: &mut String, body: &str) {
    let fence = "`".repeat((longest_backtick_run(body) + 1).max(3));
    let _ = writeln!(out, "{fence}\n{}\n{fence}", body.trim_end_matches('\n'));
    out.push('\n');
}

fn shown(v: &Option<Value>) -> String {
    match v {
        None | Some(Value::Null) => "null".into(),
        Some(v) => v.to_string(),
    }
}

fn render_data_loss(out: &mut String, plan: &Plan) {
    let lost: Vec<&ResourceChange> = plan.changes.iter().filter(|c| c.data_loss).collect();
    if lost.is_empty() {
        return;
    }
    out.push_str("> [!CAUTION]\n> **This plan destroys data.** These objects and everything stored in them will be lost:\n");
    for c in lost {
        let how = if c.action == ChangeAction::Replace {
            format!("**replaced** (because of {})", c.replace_because.join(", "))
        } else {
            "**deleted**".to_string()
        };
        let _ = writeln!(
            out,
            "> - {} ({}) will be {how}",
            code(&c.address.to_string()),
            c.kind
        );
    }
    out.push_str("> \n> Take a snapshot or backup first if you need the data.\n\n");
}

fn render_table(out: &mut String, shown: &[&ResourceChange]) {
    out.push_str("| Action | Resource | Kind | Region |\n|---|---|---|---|\n");
    for c in shown {
        let mut action = action_word(c).to_string();
        if c.import && c.action != ChangeAction::NoOp {
            action.push_str(" (import)");
        }
        if c.data_loss {
            action.push_str(" ⚠️ data loss");
        }
        let resource = match &c.moved_from {
            Some(from) => format!(
                "{} (moved from {})",
                code(&c.address.to_string()),
                code(&from.to_string())
            ),
            None => code(&c.address.to_string()),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(&action),
            cell(&resource),
            cell(&c.kind),
            cell(&c.region)
        );
    }
    out.push('\n');
}

fn render_details(out: &mut String, shown: &[&ResourceChange]) {
    for c in shown {
        let mut body = String::new();
        render_resource(&mut body, c, false);
        let _ = writeln!(
            out,
            "<details><summary><code>{}</code>: {}</summary>\n",
            html_escape(&c.address.to_string()),
            action_word(c)
        );
        fenced(out, &body);
        out.push_str("</details>\n");
    }
    out.push('\n');
}

/// `<summary>` is HTML: an address's `<`, `>` or `&` must not open a tag.
fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn render_outputs(out: &mut String, plan: &Plan) {
    let outputs: Vec<&OutputChange> = plan
        .output_changes
        .iter()
        .filter(|o| o.action != ChangeAction::NoOp)
        .collect();
    if outputs.is_empty() {
        return;
    }
    out.push_str("**Changes to outputs:**\n\n| Output | Before | After |\n|---|---|---|\n");
    for o in outputs {
        // A sensitive output is masked even if its value lost the mark.
        let value = |v: &Option<Value>| match (o.sensitive, v) {
            (true, Some(v)) if !v.is_null() => "(sensitive)".to_string(),
            _ => shown(v),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            cell(&code(&o.name)),
            cell(&code(&value(&o.before))),
            cell(&code(&value(&o.after)))
        );
    }
    out.push('\n');
}

fn render_notes(out: &mut String, plan: &Plan) {
    let held: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| !c.pending.is_empty())
        .collect();
    if !held.is_empty() {
        out.push_str(
            "**Pending until the maintenance window** (AWS accepted these changes and applies them in \
             the resource's next maintenance window, or now with `apply_immediately: true`; forge does \
             not make them again):\n",
        );
        for c in held {
            for f in &c.pending {
                let _ = writeln!(
                    out,
                    "- {}: {} = {} -> {}",
                    code(&c.address.to_string()),
                    code(&f.path),
                    code(&shown(&f.before)),
                    code(&shown(&f.after))
                );
            }
        }
        out.push('\n');
    }
    if !plan.forget.is_empty() {
        out.push_str("**Deleted outside forge** (applying removes them from the state):\n");
        for a in &plan.forget {
            let _ = writeln!(out, "- {}", code(&a.to_string()));
        }
        out.push('\n');
    }
    if !plan.unmanage.is_empty() {
        out.push_str("**No longer managed** (left in the cloud, removed from the state):\n");
        for a in &plan.unmanage {
            let _ = writeln!(out, "- {}", code(&a.to_string()));
        }
        out.push('\n');
    }
    let unset = plan.config.unset_vars();
    if !unset.is_empty() {
        let vars: Vec<String> = unset.iter().map(|v| code(v)).collect();
        let _ = writeln!(
            out,
            "> [!NOTE]\n> Vars with no value: {}. This plan is for review only: it cannot be applied.\n",
            vars.join(", ")
        );
    }
}

/// Renders the plan as markdown for a pull-request comment.
pub fn render_plan_markdown(plan: &Plan) -> String {
    let mut out = String::new();
    let env = plan
        .environment
        .as_deref()
        .map(|e| format!(" ({})", code(e)))
        .unwrap_or_default();
    let verb = if plan.destroy { "destroy plan" } else { "plan" };
    let _ = writeln!(out, "### forge {verb}: {}{env}\n", code(&plan.stack));
    if !plan.has_changes() {
        out.push_str(if plan.destroy {
            "**No changes.** No objects need to be destroyed.\n\n"
        } else {
            "**No changes.** Your infrastructure matches the configuration.\n\n"
        });
        render_notes(&mut out, plan);
        return out;
    }
    let _ = writeln!(out, "**Plan:** {}\n", summary_counts(plan));
    if !plan.target.is_empty() {
        let targets: Vec<String> = plan.target.iter().map(|a| code(&a.to_string())).collect();
        let _ = writeln!(
            out,
            "> [!WARNING]\n> Targeted plan ({}). {}\n",
            targets.join(", "),
            forge_engine::plan::target::WARNING
        );
    }
    render_data_loss(&mut out, plan);
    let shown: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.action != ChangeAction::NoOp || c.import || c.moved_from.is_some())
        .collect();
    if !shown.is_empty() {
        render_table(&mut out, &shown);
        render_details(&mut out, &shown);
    }
    render_outputs(&mut out, plan);
    render_notes(&mut out, plan);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::render::plan::tests::{change, plan};
    use forge_core::{Attrs, Value};
    use forge_engine::FieldChange;

    fn secret_plan() -> Plan {
        let mut after = Attrs::new();
        after.insert("name".into(), Value::from("web|1"));
        after.insert("password".into(), Value::from("hunter2").sensitive());
        let created = ResourceChange {
            after: Some(after),
            ..change("web", ChangeAction::Create, false)
        };
        let updated = ResourceChange {
            changes: vec![FieldChange {
                path: "token".into(),
                before: Some(Value::from("old-secret").sensitive()),
                after: Some(Value::from("new-secret").sensitive()),
                forces_replacement: false,
            }],
            ..change("api", ChangeAction::Update, false)
        };
        let mut p = plan(vec![
            created,
            updated,
            change("orders", ChangeAction::Replace, true),
            change("cache", ChangeAction::Delete, true),
            change("same", ChangeAction::NoOp, false),
        ]);
        p.environment = Some("prod".into());
        p.output_changes = vec![OutputChange {
            name: "db_password".into(),
            action: ChangeAction::Create,
            before: None,
            after: Some(Value::from("s3cr3t")),
            sensitive: true,
        }];
        p
    }

    #[test]
    fn a_plan_renders_as_a_pull_request_comment() {
        insta::assert_snapshot!(render_plan_markdown(&secret_plan()));
    }

    #[test]
    fn no_secret_value_reaches_the_markdown() {
        let text = render_plan_markdown(&secret_plan());
        for secret in ["hunter2", "old-secret", "new-secret", "s3cr3t"] {
            assert!(!text.contains(secret), "{secret} leaked:\n{text}");
        }
        assert!(text.contains("(sensitive)"), "{text}");
    }

    #[test]
    fn an_empty_plan_says_no_changes() {
        let text = render_plan_markdown(&plan(vec![change("same", ChangeAction::NoOp, false)]));
        assert!(text.contains("**No changes.**"), "{text}");
        assert!(!text.contains("| Action |"), "{text}");
    }

    #[test]
    fn a_targeted_plan_warns_that_it_is_partial() {
        let mut p = plan(vec![change("web", ChangeAction::Replace, false)]);
        p.target = vec![forge_core::Address::single("web")];
        let text = render_plan_markdown(&p);
        assert!(
            text.contains("> [!WARNING]\n> Targeted plan (`web`)."),
            "{text}"
        );
        let human = crate::render::render_plan(&p, false);
        assert!(
            human.contains("Warning: Resource targeting is in effect"),
            "{human}"
        );
    }

    #[test]
    fn changes_pending_until_the_maintenance_window_are_a_note() {
        let writer = ResourceChange {
            pending: vec![FieldChange {
                path: "node_type".into(),
                before: Some(Value::from("cache.t4g.small")),
                after: Some(Value::from("cache.t4g.medium")),
                forces_replacement: false,
            }],
            ..change("cache", ChangeAction::NoOp, false)
        };
        insta::assert_snapshot!(render_plan_markdown(&plan(vec![writer])));
    }

    #[test]
    fn code_spans_and_fences_hold_any_backticks() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        let mut out = String::new();
        fenced(&mut out, "```\nx\n");
        assert!(out.starts_with("````\n"), "{out}");
    }
}
