//! run-all's live summary: one spinner line per running unit on a
//! terminal, plain lines prefixed with the unit otherwise (CI logs), and
//! each unit's apply progress on its line.

use crate::progress;
use forge_engine::{Event, ProgressFn};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

/// The live summary: one spinner line per running unit on a terminal,
/// plain lines otherwise.
pub(super) struct Live {
    multi: Option<MultiProgress>,
}

/// A running unit's line (none off a terminal).
#[derive(Clone)]
pub(super) struct Bar(Option<ProgressBar>);

impl Bar {
    /// The apply's progress callback: the unit's line shows the latest
    /// event on a terminal; plain lines, prefixed with the unit, otherwise.
    pub(super) fn progress(&self, label: &str) -> ProgressFn {
        let label = label.to_string();
        match &self.0 {
            Some(bar) => {
                let bar = bar.clone();
                Arc::new(move |e: &Event| {
                    if let Some(line) = progress::plain_line(e) {
                        bar.set_message(line);
                    }
                })
            }
            None => {
                let log = progress::PlainLog::default();
                Arc::new(move |e: &Event| {
                    if let Some(line) = log.line(e) {
                        eprintln!("{label}: {line}");
                    }
                })
            }
        }
    }
}

impl Live {
    pub(super) fn new() -> Live {
        Live {
            multi: std::io::stderr()
                .is_terminal()
                .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
        }
    }

    pub(super) fn start(&self, label: &str, verb: &str) -> Bar {
        let Some(multi) = &self.multi else {
            eprintln!("{label}: {verb}...");
            return Bar(None);
        };
        let bar = multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix}: {msg} [{elapsed}]")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(label.to_string());
        bar.set_message(format!("{verb}..."));
        bar.enable_steady_tick(Duration::from_millis(120));
        Bar(Some(bar))
    }

    pub(super) fn finish(&self, bar: Bar, line: &str) {
        if let Some(bar) = bar.0 {
            bar.finish_and_clear();
        }
        self.line(line);
    }

    pub(super) fn line(&self, line: &str) {
        match &self.multi {
            Some(multi) => {
                let _ = multi.println(line);
            }
            None => eprintln!("{line}"),
        }
    }

    pub(super) fn clear(&self) {
        if let Some(multi) = &self.multi {
            let _ = multi.clear();
        }
    }
}
