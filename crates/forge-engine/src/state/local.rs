//! The local file backend: `.forge/state/<stack>[-<env>].json` under the
//! stack root, written atomically (temp file in the same folder, fsync,
//! rename, fsync of the folder) with the previous version kept as
//! `<file>.backup`, and locked with a `<file>.lock` that expires, is renewed
//! while held and is taken over once expired, like the S3 lock (see
//! [`super::local_lock`]).

use super::backend::{BackendError, LockError, LockGuard, LockInfo, StateBackend, VersionToken};
use super::{Heartbeats, State, local_lock};
use async_trait::async_trait;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// State in a local JSON file.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    path: PathBuf,
    /// Renewal tasks of the locks this backend holds (shared by clones).
    heartbeats: Arc<Heartbeats>,
}

pub(super) fn io(operation: &'static str, path: &Path, source: std::io::Error) -> BackendError {
    BackendError::Io {
        operation,
        location: path.display().to_string(),
        source,
    }
}

fn token_of(bytes: &[u8]) -> VersionToken {
    VersionToken(Some(hex::encode(Sha256::digest(bytes))))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

impl LocalBackend {
    /// A backend storing state at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        LocalBackend {
            path: path.into(),
            heartbeats: Arc::default(),
        }
    }

    /// The default location for a stack: `<root>/.forge/state/<stack>[-<env>].json`,
    /// or `<root>/<path>` when the spec names one.
    pub fn for_stack(
        root: &Path,
        stack: &str,
        environment: Option<&str>,
        path: Option<&Path>,
    ) -> Self {
        let path = match path {
            Some(p) if p.is_absolute() => p.to_path_buf(),
            Some(p) => root.join(p),
            None => {
                let file = match environment {
                    Some(env) => format!("{stack}-{env}.json"),
                    None => format!("{stack}.json"),
                };
                root.join(".forge").join("state").join(file)
            }
        };
        Self::new(path)
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the previous version is kept.
    pub fn backup_path(&self) -> PathBuf {
        with_suffix(&self.path, ".backup")
    }

    /// The lock file.
    pub fn lock_path(&self) -> PathBuf {
        with_suffix(&self.path, ".lock")
    }

    fn current_token(path: &Path) -> Result<(VersionToken, Option<Vec<u8>>), BackendError> {
        match std::fs::read(path) {
            Ok(bytes) => Ok((token_of(&bytes), Some(bytes))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok((VersionToken::absent(), None))
            }
            Err(e) => Err(io("reading", path, e)),
        }
    }

    fn write_blocking(
        &self,
        bytes: Vec<u8>,
        expected: VersionToken,
    ) -> Result<VersionToken, BackendError> {
        let path = &self.path;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| io("creating folder", dir, e))?;
        }
        let (found, previous) = Self::current_token(path)?;
        if found != expected {
            return Err(BackendError::Conflict {
                location: path.display().to_string(),
                expected,
                found,
            });
        }
        if let Some(prev) = previous {
            // The old inode becomes the backup: no second copy to write.
            let backup = self.backup_path();
            let _ = std::fs::remove_file(&backup);
            if std::fs::hard_link(path, &backup).is_err() {
                write_atomic(&backup, &prev)?;
            }
        }
        write_atomic(path, &bytes)?;
        Ok(token_of(&bytes))
    }
}

/// Writes `bytes` to `path` atomically: temp file in the same folder,
/// fsync, rename, fsync of the folder.
pub(super) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), BackendError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}", uuid::Uuid::new_v4()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| io("creating", &tmp, e))?;
        f.write_all(bytes).map_err(|e| io("writing", &tmp, e))?;
        f.sync_all().map_err(|e| io("syncing", &tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| io("renaming into", path, e))?;
        // The rename is durable only once the folder entry is synced.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

async fn blocking<T: Send + 'static, E: From<BackendError> + Send + 'static>(
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, E> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| E::from(BackendError::Other(format!("state I/O task failed: {e}"))))?
}

#[async_trait]
impl StateBackend for LocalBackend {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    async fn read(&self) -> Result<(Option<State>, VersionToken), BackendError> {
        let path = self.path.clone();
        blocking(move || {
            let (token, bytes) = Self::current_token(&path)?;
            let Some(bytes) = bytes else {
                return Ok((None, token));
            };
            let state = State::from_json(&bytes)
                .map_err(|e| BackendError::invalid(path.display().to_string(), e))?;
            Ok((Some(state), token))
        })
        .await
    }

    async fn write(
        &self,
        state: &State,
        expected: &VersionToken,
    ) -> Result<VersionToken, BackendError> {
        let mut bytes = serde_json::to_vec_pretty(state)
            .map_err(|e| BackendError::Other(format!("serializing state: {e}")))?;
        bytes.push(b'\n');
        let this = self.clone();
        let expected = expected.clone();
        blocking(move || this.write_blocking(bytes, expected)).await
    }

    async fn lock(&self, info: LockInfo) -> Result<LockGuard, LockError> {
        let lock = self.lock_path();
        let taken = info.clone();
        blocking(move || local_lock::take(&lock, &taken)).await?;
        let ttl = info.expires.map(|e| e - info.created);
        if let Some(ttl) = ttl.and_then(|t| t.to_std().ok()).filter(|t| !t.is_zero()) {
            let task = tokio::spawn(local_lock::heartbeat(self.lock_path(), info.clone(), ttl));
            self.heartbeats.start(info.id.clone(), task);
        }
        Ok(LockGuard { info })
    }

    async fn unlock(&self, id: &str) -> Result<(), LockError> {
        // No renewal may land after the release.
        self.heartbeats.stop(id).await;
        let lock = self.lock_path();
        let id = id.to_string();
        blocking(move || local_lock::release(&lock, &id)).await
    }

    async fn force_unlock(&self, id: &str) -> Result<(), LockError> {
        self.unlock(id).await
    }

    async fn lock_info(&self) -> Result<Option<LockInfo>, LockError> {
        let lock = self.lock_path();
        blocking(move || local_lock::read(&lock)).await
    }
}
