//! The S3 lock protocol, on the object `<key>.lock` whose body is the
//! holder's [`LockInfo`] as JSON.
//!
//! - take: `PutObject If-None-Match: *`. If it exists and has expired, take
//!   it over with `PutObject If-Match: <etag of the stale lock>`, so of two
//!   runs taking over at once exactly one wins.
//! - heartbeat: while held, a task rewrites the lock with a later expiry
//!   every ttl/3, `If-Match` on the ETag it last wrote; a 412 means the lock
//!   was taken over (it had expired) and the heartbeat stops with a warning
//!   (state writes stay safe: they are compare-and-swap on their own).
//! - release: read the lock, check the id is ours, `DeleteObject If-Match`
//!   on the ETag read. Stores without conditional deletes (501) get a plain
//!   delete right after the id check: a lock taken over in that window of
//!   one round trip would be deleted (documented in docs/state.md).

use super::backend::{Cond, Objects, S3Backend};
use super::errors::S3Failure;
use super::retry::StateRetry;
use chrono::Utc;
use forge_engine::state::{BackendError, LockError, LockGuard, LockInfo};

/// How many times the protocol re-examines a lock that changed under it
/// before giving up (each round is a real change by another run).
const ROUNDS: usize = 8;

fn encode(info: &LockInfo) -> Result<Vec<u8>, BackendError> {
    serde_json::to_vec_pretty(info)
        .map_err(|e| BackendError::Other(format!("serializing lock: {e}")))
}

fn decode(bytes: &[u8], location: &str) -> Result<LockInfo, BackendError> {
    serde_json::from_slice(bytes).map_err(|e| BackendError::Corrupt {
        location: location.to_string(),
        message: format!(
            "{e} (not a forge lock; if no forge run holds it, delete the object by hand)"
        ),
    })
}

fn lock_url(backend: &S3Backend) -> String {
    let l = backend.s3_location();
    format!("s3://{}/{}", l.bucket, l.lock_key())
}

/// The current lock and its ETag.
pub(crate) async fn current(backend: &S3Backend) -> Result<Option<(LockInfo, String)>, LockError> {
    let url = lock_url(backend);
    let key = backend.s3_location().lock_key();
    let objects = backend.objects().await?;
    let got = backend
        .retry
        .run(|| objects.get(&key))
        .await
        .map_err(|e| e.into_backend("reading", &url))?;
    match got {
        None => Ok(None),
        Some((bytes, etag)) => Ok(Some((decode(&bytes, &url)?, etag))),
    }
}

/// Takes the lock (or an expired one over), starting its heartbeat.
pub(crate) async fn acquire(backend: &S3Backend, info: LockInfo) -> Result<LockGuard, LockError> {
    let url = lock_url(backend);
    let key = backend.s3_location().lock_key();
    let objects = backend.objects().await?;
    let body = encode(&info)?;
    let retry = backend.retry;
    for _ in 0..ROUNDS {
        match retry.run(|| objects.put(&key, &body, &Cond::Absent)).await {
            Ok(etag) => return Ok(hold(backend, objects, info, etag)),
            Err(S3Failure::Precondition) => {}
            Err(e) => return Err(e.into_backend("creating", &url).into()),
        }
        let Some((held, etag)) = current(backend).await? else {
            // Released between our attempt and the read: try again.
            continue;
        };
        if held.id == info.id {
            // Our create landed but its answer was lost and the retry saw it.
            return Ok(hold(backend, objects, info, etag));
        }
        if !held.expired(Utc::now()) {
            return Err(LockError::Held {
                info: Box::new(held),
            });
        }
        let stale = Cond::Matches(etag);
        match retry.run(|| objects.put(&key, &body, &stale)).await {
            Ok(new_etag) => {
                tracing::warn!(
                    lock = %url, stale_id = %held.id, stale_holder = %held.who,
                    "took over an expired state lock"
                );
                return Ok(hold(backend, objects, info, new_etag));
            }
            // Another run took it over (or it was released): look again.
            Err(S3Failure::Precondition | S3Failure::NotFound) => continue,
            Err(e) => return Err(e.into_backend("taking over", &url).into()),
        }
    }
    Err(BackendError::Other(format!(
        "the lock {url} kept changing while this run tried to take it; try again"
    ))
    .into())
}

/// Records the lock as held and starts its heartbeat.
fn hold(backend: &S3Backend, objects: &Objects, info: LockInfo, etag: String) -> LockGuard {
    let ttl = info.expires.map(|e| e - info.created);
    if let Some(ttl) = ttl.and_then(|t| t.to_std().ok()).filter(|t| !t.is_zero()) {
        let task = tokio::spawn(heartbeat(
            objects.clone(),
            backend.s3_location().lock_key(),
            info.clone(),
            ttl,
            etag,
            backend.retry,
        ));
        backend.heartbeats.start(info.id.clone(), task);
    }
    LockGuard { info }
}

/// Renews the lock's expiry every ttl/3 until stopped or the lock is lost.
async fn heartbeat(
    objects: Objects,
    key: String,
    mut info: LockInfo,
    ttl: std::time::Duration,
    mut etag: String,
    retry: StateRetry,
) {
    let every = (ttl / 3).max(std::time::Duration::from_millis(100));
    let Ok(chrono_ttl) = chrono::Duration::from_std(ttl) else {
        return;
    };
    loop {
        tokio::time::sleep(every).await;
        info.expires = Some(Utc::now() + chrono_ttl);
        let Ok(body) = encode(&info) else { return };
        let ours = Cond::Matches(etag.clone());
        match retry.run(|| objects.put(&key, &body, &ours)).await {
            Ok(new) => etag = new,
            Err(S3Failure::Precondition | S3Failure::NotFound) => {
                // A retried renewal whose answer was lost also lands here:
                // check whether the lock is still ours before giving up.
                match objects.get(&key).await {
                    Ok(Some((bytes, new)))
                        if serde_json::from_slice::<LockInfo>(&bytes)
                            .is_ok_and(|l| l.id == info.id) =>
                    {
                        etag = new;
                    }
                    _ => {
                        tracing::warn!(
                            lock = %key, id = %info.id,
                            "the state lock was taken over or removed while this run held it"
                        );
                        return;
                    }
                }
            }
            Err(e) => {
                tracing::warn!(lock = %key, error = %e, "renewing the state lock failed; will retry")
            }
        }
    }
}

/// Deletes the lock if its id is `id`.
pub(crate) async fn release(backend: &S3Backend, id: &str) -> Result<(), LockError> {
    let url = lock_url(backend);
    let key = backend.s3_location().lock_key();
    let objects = backend.objects().await?;
    for _ in 0..ROUNDS {
        let Some((held, etag)) = current(backend).await? else {
            return Err(LockError::NotLocked);
        };
        if held.id != id {
            return Err(LockError::Mismatch {
                given: id.to_string(),
                held: Box::new(held),
            });
        }
        match backend
            .retry
            .run(|| objects.delete(&key, Some(&etag)))
            .await
        {
            Ok(()) | Err(S3Failure::NotFound) => return Ok(()),
            // Renewed (or re-written) since our read: check the id again.
            Err(S3Failure::Precondition) => continue,
            Err(S3Failure::NotImplemented(_)) => {
                return backend
                    .retry
                    .run(|| objects.delete(&key, None))
                    .await
                    .map_err(|e| e.into_backend("deleting", &url).into());
            }
            Err(e) => return Err(e.into_backend("deleting", &url).into()),
        }
    }
    Err(BackendError::Other(format!(
        "the lock {url} kept changing while this run released it"
    ))
    .into())
}
