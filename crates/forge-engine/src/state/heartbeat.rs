//! The heartbeat tasks of the state locks a process holds, by lock id.
//!
//! A backend whose locks expire (local files, S3) renews a held lock from a
//! background task; this registry lets `unlock` stop that task and wait for
//! it first, so no renewal races the release. Dropping the registry (the
//! backend) stops every task it holds.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use tokio::task::JoinHandle;

/// Heartbeat tasks by lock id.
#[derive(Debug, Default)]
pub struct Heartbeats(Mutex<HashMap<String, JoinHandle<()>>>);

impl Heartbeats {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, JoinHandle<()>>> {
        // Insert/remove only: a panic elsewhere cannot leave it inconsistent.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the heartbeat task of lock `id` (stopping an older one).
    pub fn start(&self, id: String, task: JoinHandle<()>) {
        if let Some(old) = self.map().insert(id, task) {
            old.abort();
        }
    }

    /// Stops the heartbeat of lock `id` (if this process runs one) and
    /// waits until it has stopped.
    pub async fn stop(&self, id: &str) {
        let task = self.map().remove(id);
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for Heartbeats {
    fn drop(&mut self) {
        for (_, task) in self.map().drain() {
            task.abort();
        }
    }
}
