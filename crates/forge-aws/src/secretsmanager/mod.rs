//! Secrets Manager kinds: secrets.
//!
//! Secret values are sensitive end to end: they are read into
//! [`forge_core::Value::Sensitive`] (masked in every display; the state
//! keeps only their sha256 unless the resource opts in), and no error or
//! log line forge writes here contains one.

pub mod secret;

pub use secret::SecretProvider;

use crate::error::sdk_error;
use crate::kind::{ArnShape, Registrar};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use forge_engine::ProviderError;
use std::sync::Arc;

/// The service name used in errors and as the concurrency group.
pub const SERVICE: &str = "secretsmanager";

/// Concurrent Secrets Manager mutations.
pub const CONCURRENCY: (&str, usize) = (SERVICE, 10);

/// Maps a Secrets Manager SDK error.
pub fn sm_err<E>(err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    sdk_error(SERVICE, err)
}

/// Registers every Secrets Manager kind.
pub fn register(r: &mut Registrar) {
    r.provider(
        Arc::new(SecretProvider::new(r.clients().clone())),
        &[ArnShape::arn("secretsmanager", "secret:")],
    );
}
