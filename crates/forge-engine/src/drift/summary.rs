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
}
