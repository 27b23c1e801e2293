//! [`S3Backend`]: a stack's state as one S3 object.
//!
//! - read: `GetObject`; the ETag is the version token, a missing object
//!   is "no state yet".
//! - write: `PutObject` with `If-Match: <etag read>` (or `If-None-Match: *`
//!   when there was no state), so a concurrent writer is never overwritten:
//!   a 412 becomes [`BackendError::Conflict`]. Encrypted with SSE-KMS when a
//!   key is configured, else SSE-S3.
//! - the serial written must be the one read plus one and the lineage the
//!   one read; a state whose lineage changes under a run is refused.
//! - transient failures (503 `SlowDown`, 500, dropped connections) are
//!   retried with backoff ([`StateRetry`]).
//!
//! The lock protocol is in [`super::lock`].

use super::errors::{S3Failure, classify};
use super::retry::StateRetry;
use crate::clients::AwsClients;
use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use forge_engine::state::{
    BackendError, Heartbeats, LockError, LockGuard, LockInfo, State, StateBackend, VersionToken,
};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::OnceCell;

/// Where a stack's state lives in S3.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    /// The bucket.
    pub bucket: String,
    /// The state object's key; the lock is `<key>.lock`.
    pub key: String,
    /// The bucket's region.
    pub region: String,
    /// SSE-KMS key for the objects (SSE-S3 when absent).
    pub kms_key_id: Option<String>,
    /// A custom endpoint (S3-compatible store, emulator); buckets are then
    /// addressed path-style.
    pub endpoint: Option<String>,
}

impl S3Location {
    /// `s3://bucket/key`.
    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    /// The lock object's key.
    pub fn lock_key(&self) -> String {
        format!("{}.lock", self.key)
    }
}

/// A condition on a `PutObject`.
#[derive(Debug, Clone)]
pub(crate) enum Cond {
    /// Only if no object exists (`If-None-Match: *`).
    Absent,
    /// Only if the object's ETag is this (`If-Match`).
    Matches(String),
}

/// The S3 calls the protocol makes, on one bucket, cheap to clone into the
/// heartbeat task.
#[derive(Debug, Clone)]
pub(crate) struct Objects {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
    pub kms_key_id: Option<String>,
}

impl Objects {
    /// The object's bytes and ETag, `None` if it does not exist.
    pub async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, S3Failure> {
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                return match classify(&e) {
                    S3Failure::NotFound => Ok(None),
                    other => Err(other),
                };
            }
        };
        let etag = out.e_tag().unwrap_or_default().to_string();
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| S3Failure::Transient(format!("reading the object body: {e}")))?
            .into_bytes()
            .to_vec();
        Ok(Some((bytes, etag)))
    }

    /// Writes `body` at `key` if `cond` holds; returns the new ETag.
    pub async fn put(&self, key: &str, body: &[u8], cond: &Cond) -> Result<String, S3Failure> {
        let mut req = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(body.to_vec()));
        req = match cond {
            Cond::Absent => req.if_none_match("*"),
            Cond::Matches(etag) => req.if_match(etag),
        };
        req = match &self.kms_key_id {
            Some(k) => req
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(k),
            None => req.server_side_encryption(ServerSideEncryption::Aes256),
        };
        let out = req.send().await.map_err(|e| classify(&e))?;
        Ok(out.e_tag().unwrap_or_default().to_string())
    }

    /// Deletes `key`, only if its ETag is `if_match` when given.
    pub async fn delete(&self, key: &str, if_match: Option<&str>) -> Result<(), S3Failure> {
        let mut req = self.client.delete_object().bucket(&self.bucket).key(key);
        if let Some(etag) = if_match {
            req = req.if_match(etag);
        }
        req.send().await.map(|_| ()).map_err(|e| classify(&e))
    }
}

/// What this backend last read or wrote: the lineage and serial behind a
/// version token, to check the next write against.
#[derive(Debug, Clone)]
struct Seen {
    token: String,
    lineage: String,
    serial: u64,
}

/// State in an S3 object with a `<key>.lock` lock object.
pub struct S3Backend {
    location: S3Location,
    clients: Option<Arc<AwsClients>>,
    objects: OnceCell<Objects>,
    pub(crate) retry: StateRetry,
    seen: Mutex<Option<Seen>>,
    pub(crate) heartbeats: Heartbeats,
}

impl std::fmt::Debug for S3Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Backend")
            .field("location", &self.location)
            .field("retry", &self.retry)
            .finish()
    }
}

impl S3Backend {
    /// A backend for `location`, building its client from `clients` on
    /// first use.
    pub fn new(location: S3Location, clients: Arc<AwsClients>) -> Self {
        S3Backend {
            location,
            clients: Some(clients),
            objects: OnceCell::new(),
            retry: StateRetry::from_env(),
            seen: Mutex::new(None),
            heartbeats: Heartbeats::default(),
        }
    }

    /// A backend using `client` as is (embedders, tests).
    pub fn with_client(location: S3Location, client: aws_sdk_s3::Client) -> Self {
        let objects = Objects {
            client,
            bucket: location.bucket.clone(),
            kms_key_id: location.kms_key_id.clone(),
        };
        S3Backend {
            location,
            clients: None,
            objects: OnceCell::new_with(Some(objects)),
            retry: StateRetry::from_env(),
            seen: Mutex::new(None),
            heartbeats: Heartbeats::default(),
        }
    }

    /// Replaces the retry policy of S3 calls.
    pub fn with_retry(mut self, retry: StateRetry) -> Self {
        self.retry = retry;
        self
    }

    /// Where the state is.
    pub fn s3_location(&self) -> &S3Location {
        &self.location
    }

    /// The S3 client (built on first use).
    pub async fn client(&self) -> Result<aws_sdk_s3::Client, BackendError> {
        Ok(self.objects().await?.client.clone())
    }

    pub(crate) async fn objects(&self) -> Result<&Objects, BackendError> {
        self.objects
            .get_or_try_init(|| async {
                let clients = self.clients.as_ref().ok_or_else(|| {
                    BackendError::Unavailable("the S3 backend has no client".into())
                })?;
                let config = clients
                    .config(&self.location.region)
                    .await
                    .map_err(|e| BackendError::Other(format!("{}: {e}", self.location.url())))?;
                let client = match &self.location.endpoint {
                    Some(endpoint) => {
                        let conf = aws_sdk_s3::config::Builder::from(&config)
                            .endpoint_url(endpoint)
                            .force_path_style(true)
                            .build();
                        aws_sdk_s3::Client::from_conf(conf)
                    }
                    None => crate::s3::client(&config),
                };
                Ok(Objects {
                    client,
                    bucket: self.location.bucket.clone(),
                    kms_key_id: self.location.kms_key_id.clone(),
                })
            })
            .await
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Option<Seen>> {
        // The guarded value is replaced whole, never left half-written.
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn remember(&self, token: &str, state: &State) {
        *self.seen() = Some(Seen {
            token: token.to_string(),
            lineage: state.lineage.clone(),
            serial: state.serial,
        });
    }

    /// Refuses a write that would change the lineage or not advance the
    /// serial by exactly one over the version it replaces.
    fn check_write(&self, state: &State, expected: &VersionToken) -> Result<(), BackendError> {
        let seen = self.seen().clone();
        let Some(seen) = seen.filter(|s| expected.0.as_deref() == Some(s.token.as_str())) else {
            return Ok(());
        };
        if state.lineage != seen.lineage {
            return Err(BackendError::Other(format!(
                "refusing to write state of lineage {} over {}, which holds lineage {} \
                 (a different history of the stack); to replace it on purpose use \
                 `forge state push --force`",
                state.lineage,
                self.location.url(),
                seen.lineage
            )));
        }
        if state.serial != seen.serial + 1 {
            return Err(BackendError::Other(format!(
                "refusing to write serial {} over serial {} at {}: each write must advance the serial by one",
                state.serial,
                seen.serial,
                self.location.url()
            )));
        }
        Ok(())
    }
}

/// The bytes of a state as stored.
pub(crate) fn encode(state: &State) -> Result<Vec<u8>, BackendError> {
    let mut bytes = serde_json::to_vec_pretty(state)
        .map_err(|e| BackendError::Other(format!("serializing state: {e}")))?;
    bytes.push(b'\n');
    Ok(bytes)
}

#[async_trait]
impl StateBackend for S3Backend {
    fn location(&self) -> String {
        self.location.url()
    }

    async fn read(&self) -> Result<(Option<State>, VersionToken), BackendError> {
        let url = self.location.url();
        let objects = self.objects().await?;
        let got = self
            .retry
            .run(|| objects.get(&self.location.key))
            .await
            .map_err(|e| e.into_backend("reading", &url))?;
        let Some((bytes, etag)) = got else {
            return Ok((None, VersionToken::absent()));
        };
        let state = State::from_json(&bytes).map_err(|e| BackendError::invalid(url.clone(), e))?;
        if let Some(seen) = self.seen().as_ref()
            && seen.lineage != state.lineage
        {
            return Err(BackendError::Other(format!(
                "the state at {url} now has lineage {}, but this run read lineage {} before: \
                 it was replaced by a different history of the stack; refusing to go on",
                state.lineage, seen.lineage
            )));
        }
        self.remember(&etag, &state);
        Ok((Some(state), VersionToken(Some(etag))))
    }

    async fn write(
        &self,
        state: &State,
        expected: &VersionToken,
    ) -> Result<VersionToken, BackendError> {
        self.check_write(state, expected)?;
        let url = self.location.url();
        let key = &self.location.key;
        let objects = self.objects().await?;
        let body = encode(state)?;
        let cond = match &expected.0 {
            Some(etag) => Cond::Matches(etag.clone()),
            None => Cond::Absent,
        };
        match self.retry.run(|| objects.put(key, &body, &cond)).await {
            Ok(etag) => {
                self.remember(&etag, state);
                Ok(VersionToken(Some(etag)))
            }
            Err(S3Failure::Precondition | S3Failure::NotFound) => {
                // A retried write whose first answer was lost fails its own
                // precondition: the stored bytes then are exactly ours.
                let current = self
                    .retry
                    .run(|| objects.get(key))
                    .await
                    .map_err(|e| e.into_backend("re-reading after a conflict", &url))?;
                match current {
                    Some((bytes, etag)) if bytes == body => {
                        self.remember(&etag, state);
                        Ok(VersionToken(Some(etag)))
                    }
                    other => Err(BackendError::Conflict {
                        location: url,
                        expected: expected.clone(),
                        found: VersionToken(other.map(|(_, etag)| etag)),
                    }),
                }
            }
            Err(e) => Err(e.into_backend("writing", &url)),
        }
    }

    async fn lock(&self, info: LockInfo) -> Result<LockGuard, LockError> {
        super::lock::acquire(self, info).await
    }

    async fn unlock(&self, id: &str) -> Result<(), LockError> {
        self.heartbeats.stop(id).await;
        super::lock::release(self, id).await
    }

    async fn force_unlock(&self, id: &str) -> Result<(), LockError> {
        self.heartbeats.stop(id).await;
        super::lock::release(self, id).await
    }

    async fn lock_info(&self) -> Result<Option<LockInfo>, LockError> {
        Ok(super::lock::current(self).await?.map(|(info, _)| info))
    }
}
