//! CloudWatch Logs kinds: log groups.

pub mod log_group;

pub use log_group::LogGroupProvider;

use crate::error::sdk_error;
use crate::kind::{ArnShape, IdFrom, Registrar};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use forge_engine::ProviderError;
use std::sync::Arc;

/// The service name used in errors and as the concurrency group.
pub const SERVICE: &str = "logs";

/// Concurrent CloudWatch Logs mutations (control-plane calls are limited
/// to a few per second per account and region).
pub const CONCURRENCY: (&str, usize) = (SERVICE, 5);

/// Maps a CloudWatch Logs SDK error.
pub fn logs_err<E>(err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    sdk_error(SERVICE, err)
}

/// Registers every CloudWatch Logs kind.
pub fn register(r: &mut Registrar) {
    r.provider(
        Arc::new(LogGroupProvider::new(r.clients().clone())),
        &[ArnShape {
            service: "logs",
            prefix: "log-group:",
            id: IdFrom::LogGroup,
        }],
    );
}
