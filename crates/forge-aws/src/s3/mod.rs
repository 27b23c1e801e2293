//! S3 kinds: general purpose buckets with their configuration
//! sub-resources (versioning, default encryption, public access block,
//! ownership controls, lifecycle rules, policy, replication, tags), written
//! on the kind framework.

pub mod bucket;
pub mod config;

pub use bucket::BucketKind;

use crate::kind::Service;
use aws_config::SdkConfig;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use forge_engine::ProviderError;

crate::kind::declare_service! {
    /// The S3 service.
    pub struct S3: aws_sdk_s3::Client = client, "s3";
    /// Bucket-level APIs are control-plane calls with low per-account
    /// limits.
    concurrency 10;
    kinds [BucketKind];
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

/// The answer of one S3 call, its error naming the operation: S3's bucket APIs
/// answer with terse codes, and one bucket takes up to ten different calls.
pub(crate) fn call<T, E>(
    operation: &str,
    answer: Result<T, SdkError<E, HttpResponse>>,
) -> Result<T, ProviderError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    answer.map_err(|err| match S3::err(err) {
        ProviderError::Api { code, message } => ProviderError::Api {
            code,
            message: format!("{operation}: {message}"),
        },
        ProviderError::Transient { message } => ProviderError::Transient {
            message: format!("{operation}: {message}"),
        },
        other => other,
    })
}

/// Error codes meaning "this configuration block is not set".
const UNSET_CODES: &[&str] = &[
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchPublicAccessBlockConfiguration",
    "OwnershipControlsNotFoundError",
    "NoSuchLifecycleConfiguration",
    "NoSuchBucketPolicy",
    "NoSuchTagSet",
    "ReplicationConfigurationNotFoundError",
];

/// The answer of a read of one configuration sub-resource (`GetBucket*`): `None` when the
/// block is not set. A vanished bucket (`NoSuchBucket`) stays an error for
/// the caller to treat as gone.
pub(crate) fn get_config<T, E>(
    operation: &str,
    answer: Result<T, SdkError<E, HttpResponse>>,
) -> Result<Option<T>, ProviderError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match call(operation, answer) {
        Ok(v) => Ok(Some(v)),
        Err(ProviderError::Api { code, .. }) if UNSET_CODES.contains(&code.as_str()) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The answer of a write or delete of one configuration sub-resource
/// (`PutBucket*`, `DeleteBucket*`), its content dropped.
pub(crate) fn set_config<T, E>(
    operation: &str,
    answer: Result<T, SdkError<E, HttpResponse>>,
) -> Result<(), ProviderError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    call(operation, answer).map(|_| ())
}
