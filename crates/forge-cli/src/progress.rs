//! Live progress of an apply: one spinner line per in-flight resource with
//! its elapsed time and, while it waits, the state AWS reports, on a
//! terminal; plain, Terraform-style lines otherwise (CI logs, pipes), so
//! both people and log scrapers can follow along. Off a terminal a waiting
//! resource gets a line when its state changes and every
//! [`STILL_WAITING_EVERY`] otherwise, not one per poll.

use forge_engine::apply::ready::human_duration;
use forge_engine::{ChangeAction, Event, Operation, ProgressFn};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Builds the progress callback the engine calls.
pub fn reporter() -> ProgressFn {
    if std::io::stderr().is_terminal() {
        let live = Arc::new(Live::new());
        Arc::new(move |e: &Event| live.event(e))
    } else {
        let log = PlainLog::default();
        Arc::new(move |e: &Event| {
            if let Some(line) = log.line(e) {
                eprintln!("{line}");
            }
        })
    }
}

/// Off a terminal, how often a resource whose state has not changed gets
/// a "still waiting" line (Terraform prints one every 10 s; a CI log of an
/// Aurora apply would be mostly those).
pub const STILL_WAITING_EVERY: Duration = Duration::from_secs(30);

/// Plain lines for a log: every event's [`plain_line`], except that the
/// polls of a waiting resource are reported only when its state changes
/// or [`STILL_WAITING_EVERY`] after its last line.
#[derive(Default)]
pub struct PlainLog {
    /// Per resource: its operation and the last wait line's status and
    /// elapsed time.
    seen: Mutex<HashMap<String, Seen>>,
}

#[derive(Default)]
struct Seen {
    operation: Option<Operation>,
    status: Option<String>,
    shown_at: Duration,
}

impl PlainLog {
    /// The line for `e`, if it is worth one.
    pub fn line(&self, e: &Event) -> Option<String> {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        match e {
            Event::Started {
                address, operation, ..
            } => {
                seen.insert(
                    address.to_string(),
                    Seen {
                        operation: Some(*operation),
                        ..Seen::default()
                    },
                );
            }
            Event::Waiting {
                address,
                status,
                elapsed,
            } => {
                let s = seen.entry(address.to_string()).or_default();
                let changed = s.status.as_deref() != Some(status.as_str());
                if !changed && elapsed.saturating_sub(s.shown_at) < STILL_WAITING_EVERY {
                    return None;
                }
                s.status = Some(status.clone());
                s.shown_at = *elapsed;
                return Some(waiting_line(address, s.operation, status, *elapsed));
            }
            Event::Finished { address, .. }
            | Event::Failed { address, .. }
            | Event::Skipped { address, .. }
            | Event::Interrupted { address, .. } => {
                seen.remove(&address.to_string());
            }
            Event::Retrying { .. } => {}
        }
        plain_line(e)
    }
}

/// `db: Still creating... [1m30s elapsed] (status: creating)`, as Terraform
/// words it, with the state AWS reports.
fn waiting_line(
    address: &forge_core::Address,
    operation: Option<Operation>,
    status: &str,
    elapsed: Duration,
) -> String {
    let still = match operation {
        Some(Operation::Create) => "Still creating...",
        Some(Operation::Update) => "Still modifying...",
        Some(Operation::Delete) => "Still destroying...",
        Some(Operation::Adopt) => "Still adopting...",
        None => "Still waiting...",
    };
    format!(
        "{address}: {still} [{} elapsed] (status: {status})",
        human_duration(elapsed)
    )
}

fn verb(op: Operation) -> (&'static str, &'static str) {
    match op {
        Operation::Create => ("Creating...", "Creation complete"),
        Operation::Update => ("Modifying...", "Modifications complete"),
        Operation::Delete => ("Destroying...", "Destruction complete"),
        Operation::Adopt => ("Adopting...", "Adoption complete"),
    }
}

/// The plain-text line for an event (`None` for events not worth a line).
pub fn plain_line(e: &Event) -> Option<String> {
    Some(match e {
        Event::Started {
            address, operation, ..
        } => format!("{address}: {}", verb(*operation).0),
        Event::Waiting {
            address,
            status,
            elapsed,
        } => waiting_line(address, None, status, *elapsed),
        Event::Interrupted {
            address,
            action,
            status,
            elapsed,
        } => {
            let next = match action {
                ChangeAction::Delete => "still recorded, the next run waits for its deletion",
                _ => "recorded as not ready, the next apply waits for it",
            };
            format!(
                "{address}: Interrupted after {} while `{status}`; {next}",
                human_duration(*elapsed)
            )
        }
        Event::Retrying {
            address,
            attempt,
            error,
            delay,
        } => {
            format!(
                "{address}: attempt {attempt} failed ({error}); retrying in {:.1}s",
                delay.as_secs_f64()
            )
        }
        Event::Finished {
            address,
            operation,
            elapsed,
            ..
        } => {
            format!("{address}: {} after {}", verb(*operation).1, secs(*elapsed))
        }
        Event::Failed {
            address,
            action,
            error,
        } => format!("{address}: {} failed: {error}", action_word(*action)),
        Event::Skipped {
            address, reason, ..
        } => format!("{address}: skipped ({reason})"),
    })
}

fn action_word(a: ChangeAction) -> &'static str {
    a.as_str()
}

fn secs(d: Duration) -> String {
    format!("{}s", d.as_secs())
}

/// Spinners on a terminal.
struct Live {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Live {
    fn new() -> Self {
        Live {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Mutex::default(),
        }
    }

    fn event(&self, e: &Event) {
        let mut bars = self.bars.lock().unwrap_or_else(PoisonError::into_inner);
        match e {
            Event::Started {
                address, operation, ..
            } => {
                let bar = self.multi.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {prefix} {msg} [{elapsed}]")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_prefix(address.to_string());
                bar.set_message(verb(*operation).0);
                bar.enable_steady_tick(Duration::from_millis(120));
                bars.insert(address.to_string(), bar);
            }
            // The bar's own clock shows the elapsed time.
            Event::Waiting {
                address, status, ..
            } => {
                if let Some(bar) = bars.get(&address.to_string()) {
                    bar.set_message(format!("{status}..."));
                }
            }
            Event::Retrying { address, .. } => {
                if let (Some(bar), Some(line)) = (bars.get(&address.to_string()), plain_line(e)) {
                    bar.set_message(
                        line.split_once(": ")
                            .map(|(_, m)| m.to_string())
                            .unwrap_or(line),
                    );
                }
            }
            Event::Finished { address, .. }
            | Event::Failed { address, .. }
            | Event::Skipped { address, .. }
            | Event::Interrupted { address, .. } => {
                if let Some(bar) = bars.remove(&address.to_string()) {
                    bar.finish_and_clear();
                }
                if let Some(line) = plain_line(e) {
                    let _ = self.multi.println(line);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use forge_core::Address;

    #[test]
    fn plain_lines_read_like_terraform() {
        let e = Event::Finished {
            address: Address::single("vpc"),
            action: ChangeAction::Create,
            operation: Operation::Create,
            elapsed: Duration::from_secs(3),
        };
        assert_eq!(
            plain_line(&e).as_deref(),
            Some("vpc: Creation complete after 3s")
        );
    }

    /// A CI log of an Aurora cluster's create: a line when the wait starts,
    /// when the state changes and every 30 s, not one per 15 s poll.
    #[test]
    fn a_log_gets_a_line_per_state_change_and_every_30s() {
        let db = Address::single("db");
        let waiting = |status: &str, secs| Event::Waiting {
            address: db.clone(),
            status: status.into(),
            elapsed: Duration::from_secs(secs),
        };
        let mut events = vec![Event::Started {
            address: db.clone(),
            action: ChangeAction::Create,
            operation: Operation::Create,
        }];
        events.extend((0..=8).map(|i| waiting("creating", 1 + 15 * i)));
        events.push(waiting("backing-up", 136));
        events.push(waiting("backing-up", 151));
        events.push(Event::Finished {
            address: db.clone(),
            action: ChangeAction::Create,
            operation: Operation::Create,
            elapsed: Duration::from_secs(166),
        });
        events.push(Event::Interrupted {
            address: Address::single("cache"),
            action: ChangeAction::Create,
            status: "creating".into(),
            elapsed: Duration::from_secs(75),
        });
        let log = PlainLog::default();
        let lines: Vec<String> = events.iter().filter_map(|e| log.line(e)).collect();
        insta::assert_snapshot!(lines.join("\n"));
    }
}
