//! Two-level cancellation of an apply: drain, then abort.
//!
//! The CLI maps the first Ctrl-C / SIGTERM to [`CancelToken::drain`] (start
//! nothing new, let in-flight operations finish, save state) and the second
//! to [`CancelToken::abort`] (save what is known now and return; creates
//! still in flight keep their pending intent so the next run adopts them).

use std::sync::Arc;
use tokio::sync::watch;

/// How far cancellation has gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CancelLevel {
    /// Not cancelled.
    None,
    /// Start nothing new; finish what is in flight.
    Drain,
    /// Stop now.
    Abort,
}

/// A cloneable cancellation handle shared by the caller and the scheduler.
#[derive(Debug, Clone)]
pub struct CancelToken {
    tx: Arc<watch::Sender<CancelLevel>>,
}

impl Default for CancelToken {
    fn default() -> Self {
        Self::new()
    }
}

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        CancelToken {
            tx: Arc::new(watch::channel(CancelLevel::None).0),
        }
    }

    /// Start nothing new; let in-flight operations finish.
    pub fn drain(&self) {
        self.raise(CancelLevel::Drain);
    }

    /// Stop now, saving what is known.
    pub fn abort(&self) {
        self.raise(CancelLevel::Abort);
    }

    /// Escalates one level: none -> drain -> abort. What a signal handler
    /// calls on each Ctrl-C.
    pub fn escalate(&self) -> CancelLevel {
        let next = match self.level() {
            CancelLevel::None => CancelLevel::Drain,
            _ => CancelLevel::Abort,
        };
        self.raise(next);
        next
    }

    fn raise(&self, level: CancelLevel) {
        self.tx.send_if_modified(|cur| {
            if level > *cur {
                *cur = level;
                true
            } else {
                false
            }
        });
    }

    /// The current level.
    pub fn level(&self) -> CancelLevel {
        *self.tx.borrow()
    }

    /// Resolves once the level is at least `level`.
    pub async fn reached(&self, level: CancelLevel) {
        let mut rx = self.tx.subscribe();
        // The sender lives in self, so wait_for only fails if it is dropped,
        // which cannot happen while we hold it.
        let _ = rx.wait_for(|l| *l >= level).await;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn escalates_and_never_goes_back() {
        let t = CancelToken::new();
        assert_eq!(t.escalate(), CancelLevel::Drain);
        t.drain();
        assert_eq!(t.level(), CancelLevel::Drain);
        t.reached(CancelLevel::Drain).await;
        assert_eq!(t.escalate(), CancelLevel::Abort);
        t.drain();
        assert_eq!(t.level(), CancelLevel::Abort);
        t.reached(CancelLevel::Abort).await;
    }
}
