//! Live progress of an apply: one spinner line per in-flight resource with
//! its elapsed time on a terminal; plain, Terraform-style lines otherwise
//! (CI logs, pipes), so both people and log scrapers can follow along.

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
        Arc::new(|e: &Event| {
            if let Some(line) = plain_line(e) {
                eprintln!("{line}");
            }
        })
    }
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
        Event::Waiting { address, status } => {
            format!("{address}: Still waiting (status: {status})")
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
            Event::Waiting { address, status } => {
                if let Some(bar) = bars.get(&address.to_string()) {
                    bar.set_message(format!("waiting ({status})"));
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
            | Event::Skipped { address, .. } => {
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
}
