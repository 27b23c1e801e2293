//! Ctrl-C / SIGTERM, for every command, from the start of the process.
//!
//! The watcher is installed before a command runs, so no signal can kill
//! forge while it holds the state lock. What a signal does depends on the
//! innermost *scope* the command is in:
//!
//! - none (reading, rendering, validating): the command stops at once;
//! - a [`Scope::release`] section (the state lock held for planning,
//!   refreshing, the confirmation prompt): the section's work is dropped,
//!   the lock is released, and the command stops;
//! - a [`finish`] section (an apply, which drains on its own through
//!   [`cancel_token`]: start nothing new, finish what is in flight, save
//!   state; a state edit or a lock request in flight, which must not be cut
//!   in half): nothing is dropped, the section ends, then the command
//!   stops.
//!
//! An interrupted command exits with 130 (128 + SIGINT). During an apply
//! the second signal aborts it (save what is known and stop now).

use forge_engine::{CancelLevel, CancelToken};
use std::sync::OnceLock;
use tokio::sync::watch;

/// What the watcher knows, shared with the scopes waiting on it.
#[derive(Debug, Clone, Copy, Default)]
struct Status {
    /// A signal arrived.
    interrupted: bool,
    /// How many scopes are entered.
    depth: usize,
    /// How many of them are applies (for the message a signal prints).
    applying: usize,
}

struct Shared {
    status: watch::Sender<Status>,
    cancel: CancelToken,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| Shared {
        status: watch::channel(Status::default()).0,
        cancel: CancelToken::new(),
    })
}

/// The error a command returns when a signal stopped it; rendered as exit
/// code 130, not as an error.
#[derive(Debug, Clone, Copy)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// Starts watching SIGINT and SIGTERM for the life of the process (once).
pub fn install() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let Some(mut signals) = Signals::new() else {
            return;
        };
        tokio::spawn(async move {
            while signals.next().await {
                let s = shared();
                let level = s.cancel.escalate();
                let applying = s.status.borrow().applying > 0;
                match (applying, level) {
                    (true, CancelLevel::Drain) => eprintln!(
                        "\nInterrupt received: starting nothing new, waiting for in-flight operations and saving state.\nPress Ctrl-C again to stop at once."
                    ),
                    (true, _) => eprintln!("\nSecond interrupt: saving state and stopping now."),
                    (false, CancelLevel::Drain) => eprintln!("\nInterrupt received: stopping."),
                    (false, _) => {
                        eprintln!("\nStill stopping: releasing the state lock first.")
                    }
                }
                s.status.send_modify(|st| st.interrupted = true);
            }
        });
    });
}

/// Whether a signal has arrived.
pub fn interrupted() -> bool {
    shared().status.borrow().interrupted
}

/// The cancellation an apply follows: the first signal drains it, the
/// second aborts it.
pub fn cancel_token() -> CancelToken {
    shared().cancel.clone()
}

/// Resolves once a signal has arrived while no scope is entered (the
/// command itself is the one to stop).
pub async fn outside_scopes() {
    wait_at(0).await;
}

async fn wait_at(depth: usize) {
    let mut rx = shared().status.subscribe();
    // The sender is a static: `wait_for` cannot fail while it lives.
    let _ = rx.wait_for(|st| st.interrupted && st.depth == depth).await;
}

/// A section of a command that reacts to signals in its own way; leaving
/// it (dropping the value) gives signals back to the enclosing section.
#[must_use = "a scope lasts as long as the value"]
pub struct Scope {
    depth: usize,
    applying: bool,
}

impl Scope {
    fn enter(applying: bool) -> Scope {
        let mut depth = 0;
        shared().status.send_modify(|st| {
            st.depth += 1;
            st.applying += usize::from(applying);
            depth = st.depth;
        });
        Scope { depth, applying }
    }

    /// A section whose work is dropped on a signal so the caller can
    /// release what it holds (see [`Scope::interrupted`]).
    pub fn release() -> Scope {
        Scope::enter(false)
    }

    /// An apply: it follows [`cancel_token`] itself and is never dropped.
    pub fn applying() -> Scope {
        Scope::enter(true)
    }

    /// Resolves once a signal has arrived while this is the innermost
    /// scope (a [`finish`] section inside it ends first).
    pub async fn interrupted(&self) {
        wait_at(self.depth).await;
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        let applying = self.applying;
        shared().status.send_modify(|st| {
            st.depth = st.depth.saturating_sub(1);
            st.applying = st.applying.saturating_sub(usize::from(applying));
        });
    }
}

/// Runs `work` to its end even if a signal arrives meanwhile (a state edit
/// or a lock request: cutting it in half could leave a lock nobody knows
/// it holds); the enclosing section reacts to the signal afterwards.
pub async fn finish<T>(work: impl std::future::Future<Output = T>) -> T {
    let _scope = Scope::enter(false);
    work.await
}

/// SIGINT and SIGTERM, registered once so none is missed between two.
#[cfg(unix)]
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> Option<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Some(Signals {
            int: signal(SignalKind::interrupt()).ok()?,
            term: signal(SignalKind::terminate()).ok()?,
        })
    }

    async fn next(&mut self) -> bool {
        tokio::select! {
            s = self.int.recv() => s.is_some(),
            s = self.term.recv() => s.is_some(),
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> Option<Signals> {
        Some(Signals)
    }

    async fn next(&mut self) -> bool {
        tokio::signal::ctrl_c().await.is_ok()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn fired(f: impl std::future::Future<Output = ()>) -> bool {
        tokio::time::timeout(Duration::from_millis(50), f)
            .await
            .is_ok()
    }

    // One test: the state is process-wide.
    #[tokio::test]
    async fn the_innermost_scope_reacts_and_finish_sections_end_first() {
        let outer = Scope::release();
        let inner = Scope::applying();
        shared().status.send_modify(|st| st.interrupted = true);
        // The apply handles it: neither the section around it nor the
        // command is stopped.
        assert!(!fired(outer.interrupted()).await);
        assert!(!fired(outside_scopes()).await);
        drop(inner);
        assert!(fired(outer.interrupted()).await);
        assert!(!fired(outside_scopes()).await);
        let during = finish(async { fired(outer.interrupted()).await }).await;
        assert!(!during, "a finish section is never cut");
        drop(outer);
        assert!(fired(outside_scopes()).await);
        assert!(interrupted());
    }
}
