//! Many stacks checked together (`forge drift specs/ --all-envs`): one entry
//! per stack and environment, and the worst outcome.

use super::{DRIFT_FORMAT_VERSION, DriftOutcome, DriftReport};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One stack × environment of a many-stack check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StackDrift {
    /// The stack's folder or file, as given.
    pub path: String,
    /// The environment checked, if any.
    pub environment: Option<String>,
    /// Its verdict.
    pub outcome: DriftOutcome,
    /// How long its check took.
    pub seconds: f64,
    /// The report, unless the check could not start.
    pub report: Option<DriftReport>,
    /// Why there is no report (spec errors, unreadable state).
    pub error: Option<String>,
}

impl StackDrift {
    /// An entry for a finished check.
    pub fn checked(
        path: String,
        environment: Option<String>,
        seconds: f64,
        report: DriftReport,
    ) -> Self {
        StackDrift {
            path,
            environment,
            outcome: report.outcome,
            seconds,
            report: Some(report),
            error: None,
        }
    }

    /// An entry for a check that could not run.
    pub fn failed(path: String, environment: Option<String>, seconds: f64, error: String) -> Self {
        StackDrift {
            path,
            environment,
            outcome: DriftOutcome::Error,
            seconds,
            report: None,
            error: Some(error),
        }
    }
}

/// The result of checking many stacks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftSummary {
    /// [`DRIFT_FORMAT_VERSION`].
    pub format_version: String,
    /// When the checks started.
    pub checked_at: DateTime<Utc>,
    /// The worst outcome.
    pub outcome: DriftOutcome,
    /// Every stack × environment, sorted by path then environment.
    pub stacks: Vec<StackDrift>,
}

impl DriftSummary {
    /// A summary of `stacks` (sorted here).
    pub fn new(checked_at: DateTime<Utc>, mut stacks: Vec<StackDrift>) -> Self {
        stacks.sort_by(|a, b| (&a.path, &a.environment).cmp(&(&b.path, &b.environment)));
        let outcome = stacks
            .iter()
            .fold(DriftOutcome::NoDrift, |w, s| w.worst(s.outcome));
        DriftSummary {
            format_version: DRIFT_FORMAT_VERSION.into(),
            checked_at,
            outcome,
            stacks,
        }
    }

    /// The stable JSON text.
    pub fn to_json_string(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// The summary table: stack, env, resources checked, drifted, errors,
    /// seconds, outcome; then the verdict line.
    pub fn render_table(&self) -> String {
        let rows: Vec<[String; 7]> = self
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
        let count = |o: DriftOutcome| self.stacks.iter().filter(|s| s.outcome == o).count();
        out.push_str(&format!(
            "\n{} checked: {} without drift, {} with drift, {} with errors.\n",
            self.stacks.len(),
            count(DriftOutcome::NoDrift),
            count(DriftOutcome::Drift),
            count(DriftOutcome::Error)
        ));
        out
    }
}
