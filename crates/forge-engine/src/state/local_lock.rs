//! The local backend's lock: the file `<state>.lock`, whose body is the
//! holder's [`LockInfo`] as JSON (who, when, operation, forge version,
//! expiry) — the same record and the same rules as the S3 lock:
//!
//! - take: write the lock if there is none;
//! - expired: a lock whose `expires` has passed belonged to a run that was
//!   killed (a live run renews it); it is taken over, and of several runs
//!   taking it over at once exactly one wins;
//! - heartbeat: while held, a task rewrites the lock with `expires = now +
//!   ttl` every ttl/3, only if it is still ours (a lock taken over after
//!   this run stalled for longer than the ttl is not taken back);
//! - release and force-unlock: remove the lock only if its id is the one
//!   given.
//!
//! Each of these reads and changes the lock file in one step under an
//! exclusive OS lock (`flock`) on the file `<state>.lock.guard`, held only
//! for that step. The guard file is never removed: removing it would let
//! two runs hold OS locks on two different files. The OS lock is not the
//! state lock itself because it lasts only as long as the process: the
//! state lock must outlive a killed run (until it expires) and carry who
//! holds it. Lock files are written atomically (temp file + rename), so a
//! reader never sees half a lock.

use super::backend::{BackendError, LockError, LockInfo};
use super::local::{io, write_atomic};
use chrono::Utc;
use std::path::{Path, PathBuf};

/// The guard file serializing changes of the lock at `lock`.
fn guard_path(lock: &Path) -> PathBuf {
    let mut s = lock.as_os_str().to_owned();
    s.push(".guard");
    PathBuf::from(s)
}

/// Runs `f` holding the exclusive OS lock on the guard file of `lock`.
fn guarded<T>(lock: &Path, f: impl FnOnce() -> Result<T, LockError>) -> Result<T, LockError> {
    if let Some(dir) = lock.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io("creating folder", dir, e))?;
    }
    let path = guard_path(lock);
    let guard = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| io("opening", &path, e))?;
    guard.lock().map_err(|e| io("locking", &path, e))?;
    let out = f();
    // Closing the file releases the OS lock as well; unlocking first keeps
    // the hold as short as possible.
    let _ = guard.unlock();
    out
}

/// The lock's holder, if any.
pub(super) fn read(lock: &Path) -> Result<Option<LockInfo>, LockError> {
    match std::fs::read(lock) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            LockError::Backend(BackendError::Corrupt {
                location: lock.display().to_string(),
                message: format!(
                    "{e} (not a forge lock; if no forge run holds it, delete the file by hand)"
                ),
            })
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io("reading", lock, e).into()),
    }
}

fn write(lock: &Path, info: &LockInfo) -> Result<(), LockError> {
    let mut bytes =
        serde_json::to_vec_pretty(info).map_err(|e| BackendError::Other(e.to_string()))?;
    bytes.push(b'\n');
    Ok(write_atomic(lock, &bytes)?)
}

/// Takes the lock for `info`, taking over an expired one.
pub(super) fn take(lock: &Path, info: &LockInfo) -> Result<(), LockError> {
    guarded(lock, || match read(lock)? {
        None => write(lock, info),
        // A retry of our own take.
        Some(held) if held.id == info.id => Ok(()),
        Some(held) if held.expired(Utc::now()) => {
            tracing::warn!(
                lock = %lock.display(), stale_id = %held.id, stale_holder = %held.who,
                "took over an expired state lock"
            );
            write(lock, info)
        }
        Some(held) => Err(LockError::Held {
            info: Box::new(held),
        }),
    })
}

/// Extends the expiry of lock `info.id` to `info.expires`; `false` when the
/// lock is no longer ours (taken over or removed).
pub(super) fn renew(lock: &Path, info: &LockInfo) -> Result<bool, LockError> {
    guarded(lock, || match read(lock)? {
        Some(held) if held.id == info.id => write(lock, info).map(|()| true),
        _ => Ok(false),
    })
}

/// Removes the lock if its id is `id`.
pub(super) fn release(lock: &Path, id: &str) -> Result<(), LockError> {
    guarded(lock, || match read(lock)? {
        None => Err(LockError::NotLocked),
        Some(held) if held.id != id => Err(LockError::Mismatch {
            given: id.to_string(),
            held: Box::new(held),
        }),
        Some(_) => std::fs::remove_file(lock).map_err(|e| io("removing", lock, e).into()),
    })
}

/// Renews the lock every ttl/3 until stopped or the lock is lost.
pub(super) async fn heartbeat(lock: PathBuf, mut info: LockInfo, ttl: std::time::Duration) {
    let every = (ttl / 3).max(std::time::Duration::from_millis(100));
    let Ok(chrono_ttl) = chrono::Duration::from_std(ttl) else {
        return;
    };
    loop {
        tokio::time::sleep(every).await;
        info.expires = Some(Utc::now() + chrono_ttl);
        let (path, renewed) = (lock.clone(), info.clone());
        match tokio::task::spawn_blocking(move || renew(&path, &renewed)).await {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => {
                tracing::warn!(
                    lock = %lock.display(), id = %info.id,
                    "the state lock was taken over or removed while this run held it"
                );
                return;
            }
            Ok(Err(e)) => {
                tracing::warn!(lock = %lock.display(), error = %e, "renewing the state lock failed; will retry")
            }
            Err(_) => return,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::state::{LocalBackend, StateBackend};

    fn expired(operation: &str) -> LockInfo {
        let mut info = LockInfo::new(operation, chrono::Duration::minutes(10));
        info.created -= chrono::Duration::hours(1);
        info.expires = Some(Utc::now() - chrono::Duration::minutes(1));
        info
    }

    #[tokio::test]
    async fn a_held_lock_names_its_holder_and_an_expired_one_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::for_stack(dir.path(), "app", Some("dev"), None);
        let first = b
            .lock(LockInfo::new("plan", chrono::Duration::minutes(10)))
            .await
            .unwrap();
        // The file holds who/when/operation/expiry.
        let stored = b.lock_info().await.unwrap().unwrap();
        assert_eq!(stored, first.info);
        assert!(stored.expires.is_some());
        let err = b
            .lock(LockInfo::new("apply", chrono::Duration::minutes(10)))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, LockError::Held { info } if info.id == first.info.id && info.operation == "plan"),
            "{err}"
        );
        b.unlock(&first.info.id).await.unwrap();

        // A lock left by a killed run (expired) is taken over...
        let dead = expired("apply");
        take(&b.lock_path(), &dead).unwrap();
        let taker = b
            .lock(LockInfo::new("plan", chrono::Duration::minutes(10)))
            .await
            .unwrap();
        assert_eq!(b.lock_info().await.unwrap().unwrap().id, taker.info.id);
        // ...and the dead run can no longer release (or renew) it.
        assert!(matches!(
            b.unlock(&dead.id).await,
            Err(LockError::Mismatch { .. })
        ));
        assert!(!renew(&b.lock_path(), &dead).unwrap());
        b.unlock(&taker.info.id).await.unwrap();
        assert!(b.lock_info().await.unwrap().is_none());
        assert!(matches!(
            b.unlock(&taker.info.id).await,
            Err(LockError::NotLocked)
        ));
    }

    #[tokio::test]
    async fn of_many_runs_taking_over_an_expired_lock_exactly_one_wins() {
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::for_stack(dir.path(), "app", None, None);
        take(&b.lock_path(), &expired("apply")).unwrap();
        let tries = (0..8).map(|_| {
            let b = b.clone();
            tokio::spawn(async move {
                b.lock(LockInfo::new("apply", chrono::Duration::minutes(10)))
                    .await
            })
        });
        let results = futures::future::join_all(tries).await;
        let won: Vec<_> = results
            .into_iter()
            .map(|r| r.unwrap())
            .filter_map(Result::ok)
            .collect();
        assert_eq!(won.len(), 1, "{won:?}");
        assert_eq!(b.lock_info().await.unwrap().unwrap().id, won[0].info.id);
    }

    #[tokio::test]
    async fn a_held_lock_is_renewed_so_it_does_not_expire_while_its_run_lives() {
        let dir = tempfile::tempdir().unwrap();
        let b = LocalBackend::for_stack(dir.path(), "app", None, None);
        let held = b
            .lock(LockInfo::new("apply", chrono::Duration::seconds(3)))
            .await
            .unwrap();
        // Past the original expiry: the heartbeat (every second) moved it.
        tokio::time::sleep(std::time::Duration::from_millis(4500)).await;
        let now = b.lock_info().await.unwrap().unwrap();
        assert_eq!(now.id, held.info.id);
        assert!(now.expires > held.info.expires, "{now:?}");
        assert!(matches!(
            b.lock(LockInfo::new("plan", chrono::Duration::seconds(3)))
                .await,
            Err(LockError::Held { .. })
        ));
        b.unlock(&held.info.id).await.unwrap();
        assert!(b.lock_info().await.unwrap().is_none());
    }
}
