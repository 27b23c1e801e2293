//! An in-memory backend: for tests, benchmarks and embedders that keep
//! state elsewhere. It counts writes, keeps every written JSON text, and
//! can be told to fail writes (to simulate a crash before a state write).

use super::State;
use super::backend::{BackendError, LockError, LockGuard, LockInfo, StateBackend, VersionToken};
use async_trait::async_trait;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

#[derive(Debug, Default)]
struct Stored {
    bytes: Option<Vec<u8>>,
    version: u64,
    history: Vec<Vec<u8>>,
}

/// State held in memory.
#[derive(Debug, Default)]
pub struct MemoryBackend {
    stored: Mutex<Stored>,
    lock: Mutex<Option<LockInfo>>,
    writes: AtomicU64,
    fail_writes: AtomicBool,
    keep_history: AtomicBool,
}

fn poisoned() -> BackendError {
    BackendError::Other("memory backend mutex poisoned".into())
}

impl MemoryBackend {
    /// An empty backend.
    pub fn new() -> Self {
        Self::default()
    }

    /// A backend holding `state`.
    pub fn with_state(state: &State) -> Result<Self, BackendError> {
        let b = Self::new();
        let bytes =
            serde_json::to_vec_pretty(state).map_err(|e| BackendError::Other(e.to_string()))?;
        if let Ok(mut s) = b.stored.lock() {
            s.bytes = Some(bytes);
            s.version = 1;
        }
        Ok(b)
    }

    /// Keep every written JSON text (see [`MemoryBackend::history`]).
    pub fn keep_history(self, keep: bool) -> Self {
        self.keep_history.store(keep, Ordering::SeqCst);
        self
    }

    /// Makes every following write fail (or succeed again).
    pub fn fail_writes(&self, fail: bool) {
        self.fail_writes.store(fail, Ordering::SeqCst);
    }

    /// How many writes succeeded.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    /// Every JSON text written, oldest first (when history is kept).
    pub fn history(&self) -> Vec<Vec<u8>> {
        self.stored
            .lock()
            .map(|s| s.history.clone())
            .unwrap_or_default()
    }

    /// The stored state, parsed.
    pub fn state(&self) -> Option<State> {
        let s = self.stored.lock().ok()?;
        s.bytes.as_ref().and_then(|b| State::from_json(b).ok())
    }
}

#[async_trait]
impl StateBackend for MemoryBackend {
    fn location(&self) -> String {
        "memory".into()
    }

    async fn read(&self) -> Result<(Option<State>, VersionToken), BackendError> {
        let s = self.stored.lock().map_err(|_| poisoned())?;
        match &s.bytes {
            None => Ok((None, VersionToken::absent())),
            Some(b) => {
                let state = State::from_json(b).map_err(|e| BackendError::invalid("memory", e))?;
                Ok((Some(state), VersionToken(Some(s.version.to_string()))))
            }
        }
    }

    async fn write(
        &self,
        state: &State,
        expected: &VersionToken,
    ) -> Result<VersionToken, BackendError> {
        if self.fail_writes.load(Ordering::SeqCst) {
            return Err(BackendError::Other("injected state write failure".into()));
        }
        let bytes =
            serde_json::to_vec_pretty(state).map_err(|e| BackendError::Other(e.to_string()))?;
        let mut s = self.stored.lock().map_err(|_| poisoned())?;
        let found = if s.bytes.is_some() {
            VersionToken(Some(s.version.to_string()))
        } else {
            VersionToken::absent()
        };
        if &found != expected {
            return Err(BackendError::Conflict {
                location: "memory".into(),
                expected: expected.clone(),
                found,
            });
        }
        if self.keep_history.load(Ordering::SeqCst) {
            s.history.push(bytes.clone());
        }
        s.bytes = Some(bytes);
        s.version += 1;
        self.writes.fetch_add(1, Ordering::SeqCst);
        Ok(VersionToken(Some(s.version.to_string())))
    }

    async fn lock(&self, info: LockInfo) -> Result<LockGuard, LockError> {
        let mut l = self.lock.lock().map_err(|_| poisoned())?;
        if let Some(held) = l.as_ref() {
            return Err(LockError::Held {
                info: Box::new(held.clone()),
            });
        }
        *l = Some(info.clone());
        Ok(LockGuard { info })
    }

    async fn unlock(&self, id: &str) -> Result<(), LockError> {
        let mut l = self.lock.lock().map_err(|_| poisoned())?;
        match l.as_ref() {
            None => Err(LockError::NotLocked),
            Some(held) if held.id != id => Err(LockError::Mismatch {
                given: id.into(),
                held: Box::new(held.clone()),
            }),
            Some(_) => {
                *l = None;
                Ok(())
            }
        }
    }

    async fn force_unlock(&self, id: &str) -> Result<(), LockError> {
        self.unlock(id).await
    }

    async fn lock_info(&self) -> Result<Option<LockInfo>, LockError> {
        Ok(self.lock.lock().map_err(|_| poisoned())?.clone())
    }
}
