//! Human rendering of a plan, in the style Terraform users know:
//! `+ create`, `~ update in-place`, `-/+ replace` (`# forces replacement`),
//! `- destroy`, "(known after apply)", "(sensitive)", and the summary line.

use super::adoption;
use super::paint::{Tone, paint};
use forge_core::{Attrs, Value};
use forge_engine::{ChangeAction, FieldChange, OutputChange, Plan, ResourceChange};
use std::fmt::Write;

fn symbol(change: &ResourceChange) -> (&'static str, Tone) {
    match change.action {
        ChangeAction::Create => ("  +", Tone::Add),
        ChangeAction::Update => ("  ~", Tone::Change),
        ChangeAction::Replace if change.create_before_destroy => ("+/-", Tone::Change),
        ChangeAction::Replace => ("-/+", Tone::Change),
        ChangeAction::Delete => ("  -", Tone::Remove),
        ChangeAction::Adopt => ("  >", Tone::Note),
        ChangeAction::NoOp => ("   ", Tone::Plain),
    }
}

fn headline(change: &ResourceChange) -> String {
    let a = &change.address;
    match change.action {
        ChangeAction::Create => format!("# {a} will be created"),
        ChangeAction::Update => format!("# {a} will be updated in-place"),
        ChangeAction::Replace if change.create_before_destroy => {
            format!("# {a} must be replaced (new one created before the old one is destroyed)")
        }
        ChangeAction::Replace => format!("# {a} must be replaced"),
        ChangeAction::Delete if change.deposed => {
            format!(
                "# {a} (deposed object {}) will be destroyed",
                change.id.as_deref().unwrap_or("?")
            )
        }
        ChangeAction::Delete => format!("# {a} will be destroyed"),
        ChangeAction::Adopt => {
            format!("# {a} will be adopted (created by an interrupted run, never recorded)")
        }
        ChangeAction::NoOp => {
            adoption::unchanged_headline(change).unwrap_or_else(|| format!("# {a} is up to date"))
        }
    }
}

fn shown(v: &Option<Value>) -> String {
    match v {
        None | Some(Value::Null) => "null".into(),
        Some(v) => v.to_string(),
    }
}

struct Line {
    sign: &'static str,
    tone: Tone,
    key: String,
    text: String,
}

fn attr_lines(attrs: &Attrs, sign: &'static str, tone: Tone) -> Vec<Line> {
    attrs
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| Line {
            sign,
            tone,
            key: k.clone(),
            text: v.to_string(),
        })
        .collect()
}

fn change_line(c: &FieldChange) -> Line {
    let (sign, tone, text) = match (&c.before, &c.after) {
        (None, _) | (Some(Value::Null), _) => ("+", Tone::Add, shown(&c.after)),
        (_, None) | (_, Some(Value::Null)) => {
            ("-", Tone::Remove, format!("{} -> null", shown(&c.before)))
        }
        _ => (
            "~",
            Tone::Change,
            format!("{} -> {}", shown(&c.before), shown(&c.after)),
        ),
    };
    let text = if c.forces_replacement {
        format!("{text} # forces replacement")
    } else {
        text
    };
    Line {
        sign,
        tone,
        key: c.path.clone(),
        text,
    }
}

fn body(change: &ResourceChange) -> Vec<Line> {
    let id_line = |after: &str| {
        change.id.as_ref().map(|id| Line {
            sign: " ",
            tone: Tone::Plain,
            key: "id".into(),
            text: format!("{:?}{after}", id),
        })
    };
    match change.action {
        ChangeAction::Create => change
            .after
            .as_ref()
            .map(|a| attr_lines(a, "+", Tone::Add))
            .unwrap_or_default(),
        ChangeAction::Delete => change
            .before
            .as_ref()
            .map(|b| attr_lines(b, "-", Tone::Remove))
            .unwrap_or_default(),
        ChangeAction::Replace => {
            let mut lines: Vec<Line> = id_line(" -> (known after apply)").into_iter().collect();
            lines.extend(change.changes.iter().map(change_line));
            lines
        }
        ChangeAction::Update | ChangeAction::Adopt | ChangeAction::NoOp => {
            let mut lines: Vec<Line> = id_line("").into_iter().collect();
            lines.extend(change.changes.iter().map(change_line));
            lines
        }
    }
}

/// One resource's block: headline, notes and fields (shared with the
/// markdown rendering's collapsed details).
pub(super) fn render_resource(out: &mut String, change: &ResourceChange, color: bool) {
    let (sym, tone) = symbol(change);
    let _ = writeln!(out, "  {}", paint(&headline(change), Tone::Bold, color));
    for note in adoption::notes(change) {
        let _ = writeln!(out, "  {note}");
    }
    for because in &change.replace_because {
        if !change
            .changes
            .iter()
            .any(|c| &c.path == because && c.forces_replacement)
        {
            let _ = writeln!(out, "  # (replaced because {because})");
        }
    }
    for w in &change.warnings {
        let _ = writeln!(out, "  # warning: {w}");
    }
    let _ = writeln!(
        out,
        "{} {} {} {{",
        paint(sym, tone, color),
        change.kind,
        change.address
    );
    let lines = body(change);
    let width = lines.iter().map(|l| l.key.len()).max().unwrap_or(0);
    for l in lines {
        let _ = writeln!(
            out,
            "      {} {:width$} = {}",
            paint(l.sign, l.tone, color),
            l.key,
            l.text
        );
    }
    let _ = writeln!(out, "    }}\n");
}

fn render_output(out: &mut String, o: &OutputChange, width: usize, color: bool) {
    let (sign, tone, text) = match o.action {
        ChangeAction::Create => ("+", Tone::Add, shown(&o.after)),
        ChangeAction::Delete => ("-", Tone::Remove, format!("{} -> null", shown(&o.before))),
        _ => (
            "~",
            Tone::Change,
            format!("{} -> {}", shown(&o.before), shown(&o.after)),
        ),
    };
    let _ = writeln!(
        out,
        "  {} {:width$} = {}",
        paint(sign, tone, color),
        o.name,
        text
    );
}

/// The loud block above the summary when the plan destroys data: which
/// databases, caches or buckets go, and how (deleted or replaced).
fn render_data_loss(out: &mut String, plan: &Plan, color: bool) {
    let lost: Vec<&ResourceChange> = plan.changes.iter().filter(|c| c.data_loss).collect();
    if lost.is_empty() {
        return;
    }
    let rule = "!".repeat(72);
    let _ = writeln!(out, "{}", paint(&rule, Tone::Remove, color));
    let _ = writeln!(
        out,
        "{}",
        paint(
            "WARNING: this plan DESTROYS DATA. These objects and everything stored in them will be lost:",
            Tone::Remove,
            color
        )
    );
    for c in lost {
        let how = if c.action == ChangeAction::Replace {
            format!("REPLACED (because of {})", c.replace_because.join(", "))
        } else {
            "DELETED".to_string()
        };
        let _ = writeln!(out, "  - {} ({}) will be {how}", c.address, c.kind);
    }
    let _ = writeln!(
        out,
        "Take a snapshot or backup first if you need the data; review before applying."
    );
    let _ = writeln!(out, "{}\n", paint(&rule, Tone::Remove, color));
}

/// Objects deleted outside forge, as Terraform's "Objects have changed
/// outside of Terraform" note.
fn render_forgotten(out: &mut String, plan: &Plan, color: bool) {
    if plan.forget.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{}

forge found these objects deleted since the last run; applying removes them from the state:
",
        paint(
            "Note: Objects have changed outside of forge",
            Tone::Bold,
            color
        )
    );
    for a in &plan.forget {
        let _ = writeln!(out, "  # {a} has been deleted");
    }
    out.push('\n');
}

/// The counts of the summary line: "1 to add, 0 to change, 2 to destroy."
pub(super) fn summary_counts(plan: &Plan) -> String {
    let s = plan.summary();
    let adopt = if s.adopt > 0 {
        format!(", {} to adopt", s.adopt)
    } else {
        String::new()
    };
    format!(
        "{}{} to add, {} to change, {} to destroy{adopt}{}.",
        adoption::import_count(plan),
        s.add,
        s.change,
        s.destroy,
        adoption::forget_count(plan)
    )
}

/// Renders the plan for a terminal. `color` adds ANSI colours (the CLI
/// decides from `NO_COLOR` and whether stdout is a terminal).
pub fn render_plan(plan: &Plan, color: bool) -> String {
    let mut out = String::new();
    super::data::render_data_reads(&mut out, plan, color);
    render_forgotten(&mut out, plan, color);
    if !plan.has_changes() {
        out.push_str(if plan.destroy {
            "No changes. No objects need to be destroyed.\n"
        } else {
            "No changes. Your infrastructure matches the configuration.\n"
        });
        super::pending::render_pending(&mut out, plan, color);
        render_not_compared(&mut out, plan, color);
        render_targeting(&mut out, plan, color);
        return out;
    }
    let resource_changes: Vec<&ResourceChange> = plan
        .changes
        .iter()
        .filter(|c| c.action != ChangeAction::NoOp || adoption::shown_unchanged(c))
        .collect();
    if !resource_changes.is_empty() || !plan.unmanage.is_empty() {
        out.push_str("forge will perform the following actions:\n\n");
        for c in resource_changes {
            render_resource(&mut out, c, color);
        }
        adoption::render_unmanaged(&mut out, plan, color);
    }
    render_data_loss(&mut out, plan, color);
    let _ = writeln!(
        out,
        "{} {}",
        paint("Plan:", Tone::Bold, color),
        summary_counts(plan)
    );
    let outputs: Vec<&OutputChange> = plan
        .output_changes
        .iter()
        .filter(|o| o.action != ChangeAction::NoOp)
        .collect();
    if !outputs.is_empty() {
        out.push_str("\nChanges to Outputs:\n");
        let width = outputs.iter().map(|o| o.name.len()).max().unwrap_or(0);
        for o in outputs {
            render_output(&mut out, o, width, color);
        }
    }
    super::pending::render_pending(&mut out, plan, color);
    render_not_compared(&mut out, plan, color);
    render_targeting(&mut out, plan, color);
    out
}

/// A `-target` plan is partial: say so, as Terraform does.
fn render_targeting(out: &mut String, plan: &Plan, color: bool) {
    if plan.target.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n{} {}",
        paint("Warning:", Tone::Bold, color),
        forge_engine::plan::target::WARNING
    );
}

/// A review plan made without some vars: which they are, which fields it
/// could not compare, and that it cannot be applied.
fn render_not_compared(out: &mut String, plan: &Plan, color: bool) {
    let unset = plan.config.unset_vars();
    if unset.is_empty() {
        return;
    }
    let vars: Vec<String> = unset.iter().map(|v| format!("`{v}`")).collect();
    let _ = writeln!(
        out,
        "\n{} vars with no value: {}. This plan is for review only: it cannot be applied.",
        paint("Note:", Tone::Bold, color),
        vars.join(", ")
    );
    for c in plan.changes.iter().filter(|c| !c.not_compared.is_empty()) {
        let _ = writeln!(
            out,
            "  not compared: {}: {}",
            c.address,
            c.not_compared.join(", ")
        );
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use forge_core::Address;

    pub(crate) fn change(name: &str, action: ChangeAction, data_loss: bool) -> ResourceChange {
        ResourceChange {
            address: Address::single(name),
            kind: "fake.db".into(),
            region: "eu-west-1".into(),
            alias: None,
            action,
            id: Some(format!("{name}-1")),
            before: None,
            after: None,
            changes: Vec::new(),
            pending: Vec::new(),
            replace_because: if action == ChangeAction::Replace {
                vec!["name".into()]
            } else {
                Vec::new()
            },
            create_before_destroy: false,
            dependencies: Default::default(),
            warnings: Vec::new(),
            deposed: false,
            pending_token: None,
            store_sensitive: false,
            data_loss,
            untracked: false,
            not_compared: Vec::new(),
            import: false,
            moved_from: None,
        }
    }

    pub(crate) fn plan(changes: Vec<ResourceChange>) -> Plan {
        Plan {
            format_version: forge_engine::plan::PLAN_FORMAT_VERSION.into(),
            stack: "test".into(),
            environment: None,
            lineage: "l".into(),
            serial: 1,
            state_exists: true,
            created_at: chrono::Utc::now(),
            destroy: false,
            changes,
            output_changes: Vec::new(),
            forget: Vec::new(),
            moves: Vec::new(),
            unmanage: Vec::new(),
            unconfigured: Vec::new(),
            replace: Vec::new(),
            target: Vec::new(),
            config: forge_testkit::stack("test", Vec::new()),
            spec: None,
        }
    }

    #[test]
    fn a_plan_that_destroys_data_says_so_above_the_summary() {
        let text = render_plan(
            &plan(vec![
                change("orders", ChangeAction::Replace, true),
                change("cache", ChangeAction::Delete, true),
                change("web", ChangeAction::Replace, false),
            ]),
            false,
        );
        let warning = text.find("WARNING: this plan DESTROYS DATA").unwrap();
        let summary = text
            .find("Plan: 2 to add, 0 to change, 3 to destroy.")
            .unwrap();
        assert!(warning < summary, "{text}");
        assert!(
            text.contains("  - orders (fake.db) will be REPLACED (because of name)\n"),
            "{text}"
        );
        assert!(
            text.contains("  - cache (fake.db) will be DELETED\n"),
            "{text}"
        );
        assert!(!text.contains("  - web (fake.db)"), "{text}");

        let safe = render_plan(
            &plan(vec![change("web", ChangeAction::Replace, false)]),
            false,
        );
        assert!(!safe.contains("DESTROYS DATA"), "{safe}");
    }

    #[test]
    fn imports_moves_and_removed_blocks_render_as_terraform_words_them() {
        let imported = ResourceChange {
            import: true,
            ..change("bucket", ChangeAction::NoOp, false)
        };
        let imported_updated = ResourceChange {
            import: true,
            changes: vec![FieldChange {
                path: "size".into(),
                before: Some(Value::from(1i64)),
                after: Some(Value::from(2i64)),
                forces_replacement: false,
            }],
            ..change("key", ChangeAction::Update, false)
        };
        let moved = ResourceChange {
            moved_from: Some(Address::single("old_sg")),
            ..change("sg", ChangeAction::NoOp, false)
        };
        let mut p = plan(vec![imported, imported_updated, moved]);
        p.moves = vec![forge_engine::plan::moves::Move {
            from: Address::single("old_sg"),
            to: Address::single("sg"),
        }];
        p.unmanage = vec![Address::keyed("logs", "app")];
        insta::assert_snapshot!(render_plan(&p, false));
    }
}
