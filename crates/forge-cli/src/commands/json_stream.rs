//! `--json` on `forge apply` and `forge destroy` (and run-all): the event
//! stream goes to stdout, one line at a time, and nothing else does; the
//! lines themselves are made by [`forge_cli::render::EventStream`].

use crate::cli::RunArgs;
use anyhow::bail;
use forge_cli::render::EventStream;
use forge_engine::{Event, ProgressFn};
use serde_json::json;
use std::io::Write;
use std::sync::Arc;

/// Writes one line to stdout and flushes it, so a CI log shows each event
/// as it happens rather than when a buffer fills.
pub fn emit(line: &str) {
    let mut out = std::io::stdout().lock();
    // A closed stdout (the reader went away) must not stop the apply.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// The engine's progress callback: one line per event.
pub fn progress(stream: &EventStream) -> ProgressFn {
    let stream = stream.clone();
    Arc::new(move |e: &Event| emit(&stream.event(e)))
}

/// `--json` leaves no room for a prompt on stdout: as Terraform's
/// `apply -json`, it needs `--auto-approve` (a saved plan needs none).
pub fn refuse_prompt(run: &RunArgs) -> anyhow::Result<()> {
    if run.json && !run.auto_approve {
        bail!(
            "--json prints an event stream, so there is no prompt to confirm on\n  \
             hint: add --auto-approve, or apply a plan saved with `forge plan -out FILE`"
        );
    }
    Ok(())
}

/// Ends a failed `--json` run with an `error` line, so a reader of stdout
/// alone learns why it stopped (stderr has the error too).
pub async fn reporting(
    json: bool,
    work: impl std::future::Future<Output = anyhow::Result<u8>>,
) -> anyhow::Result<u8> {
    let result = work.await;
    if json && let Err(e) = &result {
        let stream = EventStream::new();
        emit(&stream.line("error", json!({ "message": format!("{e:#}") })));
    }
    result
}
