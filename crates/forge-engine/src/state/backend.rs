//! The state backend contract: read with a version token, compare-and-swap
//! writes, and an exclusive lock with holder information.
//!
//! Designed so an S3 backend plugs in unchanged: the version token is the
//! object's ETag (`If-Match` on write, `If-None-Match: *` when absent) and
//! the lock is a `<key>.lock` object with a heartbeat refreshing `expires`.

use super::{State, StateReadError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Identifies the stored version a state was read from; `None` when there
/// was no state yet. Writes must present the token of the version they
/// replace.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct VersionToken(pub Option<String>);

impl VersionToken {
    /// The token of "no state stored".
    pub fn absent() -> Self {
        VersionToken(None)
    }
}

impl std::fmt::Display for VersionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(t) => write!(f, "{t}"),
            None => write!(f, "(none)"),
        }
    }
}

/// Who holds (or wants) the state lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// A UUID; `forge force-unlock ID` names it.
    pub id: String,
    /// `user@host`.
    pub who: String,
    /// `apply`, `destroy`, `state rm`, ...
    pub operation: String,
    /// The forge version holding it.
    pub version: String,
    /// When it was taken.
    pub created: DateTime<Utc>,
    /// When it is considered abandoned (backends with a heartbeat extend it).
    pub expires: Option<DateTime<Utc>>,
}

impl LockInfo {
    /// A lock request for `operation` by the current user and host,
    /// expiring in `ttl`.
    pub fn new(operation: impl Into<String>, ttl: chrono::Duration) -> Self {
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "unknown".into());
        let host = std::env::var("HOSTNAME")
            .ok()
            .or_else(|| {
                std::fs::read_to_string("/etc/hostname")
                    .ok()
                    .map(|s| s.trim().to_string())
            })
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into());
        let created = Utc::now();
        LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            who: format!("{user}@{host}"),
            operation: operation.into(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            created,
            expires: Some(created + ttl),
        }
    }

    /// Whether the lock has passed its expiry.
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires.is_some_and(|e| e < now)
    }
}

/// A held lock. Release it with [`StateBackend::unlock`]; the engine does
/// so on every path out of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockGuard {
    /// The lock's info as stored.
    pub info: LockInfo,
}

/// Errors reading or writing state.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// Someone else wrote the state since it was read.
    #[error(
        "state at {location} changed since it was read (expected version {expected}, found {found}); \
         another run may have written it — plan again"
    )]
    Conflict {
        /// Where.
        location: String,
        /// The token presented.
        expected: VersionToken,
        /// The token stored.
        found: VersionToken,
    },
    /// File or network I/O failed.
    #[error("{operation} {location}: {source}")]
    Io {
        /// What was being done.
        operation: &'static str,
        /// Where.
        location: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The stored state does not parse.
    #[error("state at {location} is not valid: {message}")]
    Corrupt {
        /// Where.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// The stored state was refused on reading (duplicate addresses, a
    /// lineage that is not a UUID, written by a newer forge, ...).
    #[error("state at {location} is not valid: {source}")]
    Invalid {
        /// Where.
        location: String,
        /// What is wrong.
        #[source]
        source: StateReadError,
    },
    /// The backend kind is not available in this build or configuration.
    #[error("state backend not available: {0}")]
    Unavailable(String),
    /// Any other backend failure (remote services).
    #[error("{0}")]
    Other(String),
}

impl BackendError {
    /// A stored state at `location` refused on reading.
    pub fn invalid(location: impl Into<String>, source: StateReadError) -> Self {
        BackendError::Invalid {
            location: location.into(),
            source,
        }
    }
}

/// Errors taking or releasing the lock.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Someone holds it.
    #[error(
        "state is locked by {} for {} since {} (lock id {}, forge {}{}); \
         run `forge force-unlock {}` if you are sure that run is gone",
        .info.who, .info.operation, .info.created.to_rfc3339(), .info.id, .info.version,
        if .info.expired(chrono::Utc::now()) { ", expired" } else { "" },
        .info.id
    )]
    Held {
        /// The holder.
        info: Box<LockInfo>,
    },
    /// The lock is held under another id.
    #[error("the state lock has id {}, not {given} (held by {} for `{}`)", .held.id, .held.who, .held.operation)]
    Mismatch {
        /// The id given.
        given: String,
        /// The lock actually held.
        held: Box<LockInfo>,
    },
    /// There is no lock to release.
    #[error("the state is not locked")]
    NotLocked,
    /// The backend failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// Where a stack's state lives.
#[async_trait]
pub trait StateBackend: Send + Sync {
    /// Where the state is, for messages (`.forge/state/app-dev.json`,
    /// `s3://bucket/key`).
    fn location(&self) -> String;

    /// Reads the state and the token of its version (`None` state with an
    /// absent token when nothing is stored yet).
    async fn read(&self) -> Result<(Option<State>, VersionToken), BackendError>;

    /// Writes `state` if the stored version is still `expected`; returns
    /// the new version's token. A stale token is [`BackendError::Conflict`],
    /// never a silent overwrite.
    async fn write(
        &self,
        state: &State,
        expected: &VersionToken,
    ) -> Result<VersionToken, BackendError>;

    /// Takes the lock, or fails with [`LockError::Held`] naming the holder.
    async fn lock(&self, info: LockInfo) -> Result<LockGuard, LockError>;

    /// Releases the lock taken with id `id`.
    async fn unlock(&self, id: &str) -> Result<(), LockError>;

    /// Releases a lock left by a run that is gone (`forge force-unlock ID`);
    /// the id must match the stored lock's.
    async fn force_unlock(&self, id: &str) -> Result<(), LockError>;

    /// The current lock holder, if any.
    async fn lock_info(&self) -> Result<Option<LockInfo>, LockError>;
}
