//! Stack state in S3: the [`S3Backend`] (compare-and-swap writes on the
//! object's ETag, a `<key>.lock` lock object with a heartbeat), bucket
//! [`bootstrap`], and [`migrate`] / push between backends.
//!
//! The engine knows only the [`forge_engine::StateBackend`] trait; programs
//! (the CLI, embedders) plug S3 in with
//! `BackendRegistry::new().with_s3(forge_aws::state::factory(..))`.

pub mod backend;
pub mod bootstrap;
pub mod errors;
pub mod lock;
pub mod migrate;
pub mod retry;

pub use backend::{S3Backend, S3Location};
pub use bootstrap::{BootstrapOptions, BootstrapReport, bootstrap};
pub use migrate::{Copied, MigrateError, copy_state, push_state};

use crate::clients::AwsClients;
use crate::settings::AwsSettings;
use forge_core::spec::{Stack, StateBackendConfig};
use forge_engine::state::{BackendError, BackendFactory, StateBackend};
use std::sync::Arc;

/// A factory for `backend: s3` sharing `clients` (SDK configurations per
/// region) when the state uses the credentials they were built with, or
/// with a cache of its own for the state's credentials (`state.aws`, or
/// the stack's `aws:`). The backend connects lazily, on its first call.
pub fn factory(clients: Arc<AwsClients>) -> BackendFactory {
    Arc::new(move |stack: &Stack, cfg: &StateBackendConfig| {
        let location = S3Location::from_config(stack, cfg)?;
        let set = crate::credentials::state_set(stack);
        let clients = if set == clients.settings().credentials {
            clients.clone()
        } else {
            Arc::new(AwsClients::new(AwsSettings {
                credentials: set,
                ..clients.settings().clone()
            }))
        };
        Ok(Box::new(S3Backend::new(location, clients)) as Box<dyn StateBackend>)
    })
}

/// [`factory`] with a client cache of its own, built from `settings`.
pub fn default_factory(settings: AwsSettings) -> BackendFactory {
    factory(Arc::new(AwsClients::new(settings)))
}

impl S3Location {
    /// The location a stack's `state: {backend: s3, ...}` names; the bucket
    /// region defaults to the stack's.
    pub fn from_config(stack: &Stack, cfg: &StateBackendConfig) -> Result<Self, BackendError> {
        match cfg {
            StateBackendConfig::S3 {
                bucket,
                key,
                region,
                kms_key_id,
                endpoint,
                ..
            } => Ok(S3Location {
                bucket: bucket.clone(),
                key: key.clone(),
                region: region.clone().unwrap_or_else(|| stack.region.clone()),
                kms_key_id: kms_key_id.clone(),
                endpoint: endpoint.clone(),
            }),
            StateBackendConfig::Local { .. } => Err(BackendError::Unavailable(
                "the S3 backend was asked to open a local state configuration".into(),
            )),
        }
    }
}
