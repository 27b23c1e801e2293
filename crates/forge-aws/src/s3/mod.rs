//! S3 kinds: general purpose buckets with their configuration
//! sub-resources (versioning, default encryption, public access block,
//! ownership controls, lifecycle rules, policy, tags).

pub mod bucket;
pub mod config;

pub use bucket::BucketProvider;

use crate::error::sdk_error;
use crate::kind::{ArnShape, Registrar};
use aws_config::SdkConfig;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use forge_engine::ProviderError;
use std::sync::Arc;

/// The service name used in errors and as the concurrency group.
pub const SERVICE: &str = "s3";

/// Concurrent S3 bucket mutations (bucket-level APIs are control-plane
/// calls with low per-account limits).
pub const CONCURRENCY: (&str, usize) = (SERVICE, 10);

/// Maps an S3 SDK error.
pub fn s3_err<E>(err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    sdk_error(SERVICE, err)
}

/// Maps an S3 SDK error, naming the operation: S3's bucket APIs answer
/// with terse codes, and one bucket takes up to ten different calls.
pub fn s3_err_at<E>(operation: &str, err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match s3_err(err) {
        ProviderError::Api { code, message } => ProviderError::Api {
            code,
            message: format!("{operation}: {message}"),
        },
        ProviderError::Transient { message } => ProviderError::Transient {
            message: format!("{operation}: {message}"),
        },
        other => other,
    }
}

/// The S3 client for a configuration. With a custom endpoint
/// (`AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_S3`: an emulator, MinIO, a VPC
/// endpoint given by URL) buckets are addressed path-style, because bucket
/// names cannot become subdomains of an IP address or of a private host;
/// against AWS's own endpoints the SDK's virtual-hosted style is kept.
pub fn client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let custom =
        config.endpoint_url().is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
    let conf = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(custom)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// Registers every S3 kind.
pub fn register(r: &mut Registrar) {
    r.provider(
        Arc::new(BucketProvider::new(r.clients().clone())),
        &[ArnShape::rest("s3", "")],
    );
}
