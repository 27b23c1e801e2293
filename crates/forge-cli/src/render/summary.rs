//! The table of a many-stack drift check (`forge drift specs/
//! --all-envs`): one row per stack and environment, then the verdict line.

use forge_engine::{DriftOutcome, DriftSummary};

/// The summary table: stack, env, resources checked, drifted, errors,
/// seconds, outcome; then the verdict line.
pub fn render_summary(summary: &DriftSummary) -> String {
    let rows: Vec<[String; 7]> = summary
        .stacks
        .iter()
        .map(|s| {
            let (checked, drifted, errors) = match &s.report {
                Some(r) => (
                    r.resources_checked.to_string(),
                    (r.drifted.len() + r.deleted.len() + r.orphans.len()).to_string(),
                    r.errors.len().to_string(),
                ),
                None => ("-".into(), "-".into(), "1".into()),
            };
            [
                s.report
                    .as_ref()
                    .map(|r| r.stack.clone())
                    .unwrap_or_else(|| s.path.clone()),
                s.environment.clone().unwrap_or_else(|| "-".into()),
                checked,
                drifted,
                errors,
                format!("{:.1}", s.seconds),
                s.outcome.as_str().replace('_', " "),
            ]
        })
        .collect();
    let header = [
        "STACK", "ENV", "CHECKED", "DRIFTED", "ERRORS", "SECONDS", "RESULT",
    ]
    .map(String::from);
    let mut widths = header.clone().map(|h| h.len());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: &[String; 7]| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            // Counts are right-aligned, text left-aligned.
            if (2..=5).contains(&i) {
                out.push_str(&format!("{cell:>w$}  "));
            } else {
                out.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.trim_end().to_string() + "\n"
    };
    let mut out = line(&header);
    for row in &rows {
        out.push_str(&line(row));
    }
    let count = |o: DriftOutcome| summary.stacks.iter().filter(|s| s.outcome == o).count();
    out.push_str(&format!(
        "\n{} checked: {} without drift, {} with drift, {} with errors.\n",
        summary.stacks.len(),
        count(DriftOutcome::NoDrift),
        count(DriftOutcome::Drift),
        count(DriftOutcome::Error)
    ));
    out
}
