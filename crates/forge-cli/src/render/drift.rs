//! Human rendering of a drift report: grouped by resource, field diffs in
//! the plan's style (`~ field = old -> new`), one section per kind of
//! finding, and a final verdict line. Also the preview `forge refresh`
//! shows before it writes the live values into the state.

use super::paint::{Tone, paint};
use forge_engine::{DriftField, DriftOutcome, DriftReport, Orphan, PendingChange, PendingField};
use serde_json::Value as Json;
use std::fmt::Write;

/// A display-JSON value the way plans show values: strings quoted, masks
/// (`(sensitive)`, `(known after apply)`) bare, maps as `{k = v}`.
pub fn value_text(v: &Json) -> String {
    match v {
        Json::Null => "null".into(),
        Json::String(s) if s == "(sensitive)" || s == "(known after apply)" => s.clone(),
        Json::String(s) => format!("{s:?}"),
        Json::Array(items) => {
            let inner: Vec<String> = items.iter().map(value_text).collect();
            format!("[{}]", inner.join(", "))
        }
        Json::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k} = {}", value_text(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        other => other.to_string(),
    }
}

/// One `~ path = old -> new` line's sign, tone and text.
fn diff_text(before: &Json, after: &Json) -> (&'static str, Tone, String) {
    match (before, after) {
        (Json::Null, a) => ("+", Tone::Add, value_text(a)),
        (b, Json::Null) => ("-", Tone::Remove, format!("{} -> null", value_text(b))),
        (b, a) => (
            "~",
            Tone::Change,
            format!("{} -> {}", value_text(b), value_text(a)),
        ),
    }
}

fn write_lines(out: &mut String, lines: &[(&'static str, Tone, String, String)], color: bool) {
    let width = lines.iter().map(|l| l.2.len()).max().unwrap_or(0);
    for (sign, tone, key, text) in lines {
        let _ = writeln!(
            out,
            "      {} {key:width$} = {text}",
            paint(sign, *tone, color)
        );
    }
}

fn drift_line(f: &DriftField) -> (&'static str, Tone, String, String) {
    let (sign, tone, text) = diff_text(&f.recorded, &f.live);
    let note = if f.spec_wants_recorded {
        "# forge apply reverts this"
    } else {
        "# the spec no longer asks for the recorded value"
    };
    (sign, tone, f.path.clone(), format!("{text} {note}"))
}

fn pending_line(f: &PendingField) -> (&'static str, Tone, String, String) {
    let (sign, tone, text) = diff_text(&f.recorded, &f.desired);
    let text = if f.forces_replacement {
        format!("{text} # forces replacement")
    } else {
        text
    };
    (sign, tone, f.path.clone(), text)
}

fn pending_symbol(c: &PendingChange) -> (&'static str, Tone) {
    match c.action.as_str() {
        "create" => ("  +", Tone::Add),
        "delete" => ("  -", Tone::Remove),
        "replace" => ("-/+", Tone::Change),
        "adopt" => ("  >", Tone::Note),
        _ => ("  ~", Tone::Change),
    }
}

fn heading(out: &mut String, text: &str, color: bool) {
    let _ = writeln!(out, "{}\n", paint(text, Tone::Bold, color));
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn title(report: &DriftReport) -> String {
    let env = report
        .environment
        .as_deref()
        .map(|e| format!(" (environment {e})"))
        .unwrap_or_default();
    format!(
        "Drift check of stack {}{env} at {}: {} checked.",
        report.stack,
        report
            .checked_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        plural(report.resources_checked, "resource", "resources"),
    )
}

/// The final line: the verdict.
pub fn verdict(report: &DriftReport) -> String {
    let mut notes = Vec::new();
    if let n @ 1.. = report.pending_spec_changes.len() {
        let changes = plural(n, "spec change", "spec changes");
        notes.push(format!("{changes} not applied yet"));
    }
    let held: usize = report
        .pending_maintenance
        .iter()
        .map(|p| p.fields.len())
        .sum();
    if held > 0 {
        let changes = plural(held, "change", "changes");
        notes.push(format!("{changes} pending until the maintenance window"));
    }
    let pending = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join("; "))
    };
    match report.outcome {
        DriftOutcome::Error => format!(
            "Error: the drift check is incomplete ({}); this is not a \"no drift\" result.",
            plural(report.errors.len(), "error", "errors")
        ),
        DriftOutcome::Drift => {
            let conflicts = if report.conflicts.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} claimed by another state",
                    plural(report.conflicts.len(), "resource", "resources")
                )
            };
            format!(
                "Drift: {} changed, {} deleted, {} outside forge{conflicts}{pending}.",
                plural(report.drifted.len(), "resource", "resources"),
                report.deleted.len(),
                plural(report.orphans.len(), "orphan", "orphans"),
            )
        }
        DriftOutcome::NoDrift => format!(
            "No drift: {} match the state{pending}.",
            plural(report.resources_checked, "resource", "resources")
        ),
    }
}

/// One line per orphan: kind, id, region and its address tag.
fn write_orphans(out: &mut String, orphans: &[&Orphan], color: bool) {
    for o in orphans {
        let tag = o
            .address_tag
            .as_deref()
            .map(|a| format!(" (forge:address = {a})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{} {} {} in {}{tag}",
            paint("  ?", Tone::Note, color),
            o.kind,
            o.id,
            o.region
        );
    }
    out.push('\n');
}

/// Renders the report for a terminal (`color` adds ANSI colours).
pub fn render_drift(report: &DriftReport, color: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", title(report));
    if !report.drifted.is_empty() {
        heading(&mut out, "Changed outside forge:", color);
        for r in &report.drifted {
            let _ = writeln!(
                out,
                "  {}",
                paint(
                    &format!("# {} ({}) changed outside forge", r.address, r.id),
                    Tone::Bold,
                    color
                )
            );
            let _ = writeln!(
                out,
                "{} {} {} {{",
                paint("  ~", Tone::Change, color),
                r.kind,
                r.address
            );
            let lines: Vec<_> = r.fields.iter().map(drift_line).collect();
            write_lines(&mut out, &lines, color);
            let _ = writeln!(out, "    }}\n");
        }
    }
    if !report.deleted.is_empty() {
        heading(&mut out, "Deleted outside forge:", color);
        for d in &report.deleted {
            let note = if d.in_spec {
                "forge apply creates it again"
            } else {
                "no longer in the spec either"
            };
            let _ = writeln!(
                out,
                "{} {} {} ({})  # {note}",
                paint("  -", Tone::Remove, color),
                d.kind,
                d.address,
                d.id
            );
        }
        out.push('\n');
    }
    if !report.conflicts.is_empty() {
        heading(
            &mut out,
            "Claimed by another state (each state would revert the other's changes):",
            color,
        );
        for c in &report.conflicts {
            let _ = writeln!(
                out,
                "{} {} {} ({}) in {}  # its ownership tags name {}",
                paint("  !", Tone::Remove, color),
                c.kind,
                c.address,
                c.id,
                c.region,
                c.claimed_by
            );
        }
        let _ = writeln!(
            out,
            "  Only one state may manage an object: `forge state rm` it from the state that should not.\n"
        );
    }
    let (unconfirmed, ours): (Vec<_>, Vec<_>) = report.orphans.iter().partition(|o| o.unconfirmed);
    if !ours.is_empty() {
        heading(
            &mut out,
            "Not in the state, but tagged as this state's (forge:state):",
            color,
        );
        write_orphans(&mut out, &ours, color);
    }
    if !unconfirmed.is_empty() {
        heading(
            &mut out,
            &format!(
                "Tagged forge:stack={} without a state tag (an earlier forge): confirm with `forge import`, or delete:",
                report.stack
            ),
            color,
        );
        write_orphans(&mut out, &unconfirmed, color);
    }
    if !report.classified.is_empty() {
        heading(&mut out, "Changes that are not drift:", color);
        for c in &report.classified {
            let _ = writeln!(
                out,
                "  {} {} {}: {} -> {}  # {}",
                paint("#", Tone::Note, color),
                c.address,
                c.path,
                value_text(&c.recorded),
                value_text(&c.live),
                c.reason
            );
        }
        out.push('\n');
    }
    if !report.pending_maintenance.is_empty() {
        heading(
            &mut out,
            "Changes pending until the maintenance window (not drift; AWS applies them in the \
             resource's next maintenance window, or now with apply_immediately: true):",
            color,
        );
        for p in &report.pending_maintenance {
            for f in &p.fields {
                let _ = writeln!(
                    out,
                    "  {} {}: {} = {} -> {} (pending)",
                    paint("#", Tone::Note, color),
                    p.address,
                    f.path,
                    value_text(&f.live),
                    value_text(&f.pending)
                );
            }
        }
        out.push('\n');
    }
    if !report.pending_spec_changes.is_empty() {
        heading(
            &mut out,
            "Spec changes not applied yet (not drift; `forge plan` shows them in full):",
            color,
        );
        for c in &report.pending_spec_changes {
            let (sym, tone) = pending_symbol(c);
            if c.fields.is_empty() {
                let _ = writeln!(
                    out,
                    "{} {} {}  # {}",
                    paint(sym, tone, color),
                    c.kind,
                    c.address,
                    c.action
                );
                continue;
            }
            let _ = writeln!(
                out,
                "{} {} {} {{",
                paint(sym, tone, color),
                c.kind,
                c.address
            );
            let lines: Vec<_> = c.fields.iter().map(pending_line).collect();
            write_lines(&mut out, &lines, color);
            let _ = writeln!(out, "    }}");
        }
        out.push('\n');
    }
    if !report.not_compared.is_empty() {
        let vars: Vec<String> = report.unset_vars.iter().map(|v| format!("`{v}`")).collect();
        heading(
            &mut out,
            &format!(
                "Not compared with the spec (they depend on vars with no value: {}):",
                vars.join(", ")
            ),
            color,
        );
        for n in &report.not_compared {
            let _ = writeln!(out, "  {}: {}", n.address, n.paths.join(", "));
        }
        out.push('\n');
    }
    if !report.errors.is_empty() {
        heading(&mut out, "Errors:", color);
        for e in &report.errors {
            let at = e
                .address
                .as_deref()
                .map(|a| format!("{a}: "))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {} {at}{}",
                paint("!", Tone::Remove, color),
                e.message
            );
        }
        out.push('\n');
    }
    let tone = match report.outcome {
        DriftOutcome::NoDrift => Tone::Add,
        DriftOutcome::Drift => Tone::Change,
        DriftOutcome::Error => Tone::Remove,
    };
    let _ = writeln!(out, "{}", paint(&verdict(report), tone, color));
    out
}

/// Fields of one resource a refresh takes from the cloud: kind, and
/// (path, recorded, live) per field.
type TakenFields<'a> = (&'a str, Vec<(&'a str, &'a Json, &'a Json)>);

/// What `forge refresh` will write into the state, plan-style: the drifted
/// and classified fields take their live values, deleted resources are
/// forgotten. `None` when the state already matches the cloud.
pub fn render_refresh_preview(report: &DriftReport, color: bool) -> Option<String> {
    let mut by_address: std::collections::BTreeMap<&str, TakenFields<'_>> = Default::default();
    for r in &report.drifted {
        let entry = by_address
            .entry(r.address.as_str())
            .or_insert((r.kind.as_str(), Vec::new()));
        entry.1.extend(
            r.fields
                .iter()
                .map(|f| (f.path.as_str(), &f.recorded, &f.live)),
        );
    }
    for c in &report.classified {
        let entry = by_address
            .entry(c.address.as_str())
            .or_insert((c.kind.as_str(), Vec::new()));
        entry.1.push((c.path.as_str(), &c.recorded, &c.live));
    }
    if by_address.is_empty() && report.deleted.is_empty() {
        return None;
    }
    let mut out = String::from("forge will record the live cloud in the state:\n\n");
    for (address, (kind, mut fields)) in by_address {
        fields.sort_by(|a, b| a.0.cmp(b.0));
        let _ = writeln!(
            out,
            "  {}",
            paint(
                &format!("# {address} will take its live values"),
                Tone::Bold,
                color
            )
        );
        let _ = writeln!(
            out,
            "{} {kind} {address} {{",
            paint("  ~", Tone::Change, color)
        );
        let lines: Vec<_> = fields
            .iter()
            .map(|(path, before, after)| {
                let (sign, tone, text) = diff_text(before, after);
                (sign, tone, (*path).to_string(), text)
            })
            .collect();
        write_lines(&mut out, &lines, color);
        let _ = writeln!(out, "    }}\n");
    }
    for d in &report.deleted {
        let _ = writeln!(
            out,
            "  {}",
            paint(
                &format!(
                    "# {} was deleted outside forge and will be forgotten",
                    d.address
                ),
                Tone::Bold,
                color
            )
        );
        let _ = writeln!(
            out,
            "{} {} {} ({})\n",
            paint("  -", Tone::Remove, color),
            d.kind,
            d.address,
            d.id
        );
    }
    let _ = writeln!(
        out,
        "{} {} to update, {} to forget.",
        paint("Refresh:", Tone::Bold, color),
        plural(
            report.drifted.len()
                + report
                    .classified
                    .iter()
                    .filter(|c| !report.drifted.iter().any(|d| d.address == c.address))
                    .map(|c| c.address.as_str())
                    .collect::<std::collections::BTreeSet<_>>()
                    .len(),
            "resource",
            "resources"
        ),
        report.deleted.len()
    );
    Some(out)
}
