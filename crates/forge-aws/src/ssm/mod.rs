//! Systems Manager kinds: Parameter Store parameters.
//!
//! Parameter values are treated as sensitive whatever their type (a
//! `String` parameter often holds a connection string too): read into
//! [`forge_core::Value::Sensitive`], masked in every display, hashed in
//! state, and never put in an error or log line.

pub mod parameter;

pub use parameter::ParameterProvider;

use crate::error::sdk_error;
use crate::kind::Registrar;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use forge_engine::ProviderError;
use std::sync::Arc;

/// The service name used in errors and as the concurrency group.
pub const SERVICE: &str = "ssm";

/// Concurrent Parameter Store mutations (PutParameter is throttled at a
/// few calls per second by default).
pub const CONCURRENCY: (&str, usize) = (SERVICE, 3);

/// Maps an SSM SDK error.
pub fn ssm_err<E>(err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    sdk_error(SERVICE, err)
}

/// Registers every SSM kind.
pub fn register(r: &mut Registrar) {
    r.provider(Arc::new(ParameterProvider::new(r.clients().clone())), &[]);
}
