//! Ctrl-C / SIGTERM during apply: the first signal drains (start nothing
//! new, let in-flight operations finish, save state); the second aborts
//! (save what is known and exit now).

use forge_engine::{CancelLevel, CancelToken};

/// Watches SIGINT and SIGTERM for the life of the process, escalating
/// `cancel` on each.
pub fn watch(cancel: CancelToken) {
    tokio::spawn(async move {
        loop {
            if !next_signal().await {
                return;
            }
            match cancel.escalate() {
                CancelLevel::Drain => eprintln!(
                    "\nInterrupt received: starting nothing new, waiting for in-flight operations and saving state.\nPress Ctrl-C again to stop at once."
                ),
                _ => eprintln!("\nSecond interrupt: saving state and stopping now."),
            }
        }
    });
}

#[cfg(unix)]
async fn next_signal() -> bool {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return false;
    };
    tokio::select! {
        _ = int.recv() => true,
        _ = term.recv() => true,
    }
}

#[cfg(not(unix))]
async fn next_signal() -> bool {
    tokio::signal::ctrl_c().await.is_ok()
}
