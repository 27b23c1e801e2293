//! `forge state bootstrap`: creates (or brings in line) the bucket a team
//! keeps state in: versioning on (every state version recoverable), default
//! encryption (SSE-KMS with the given key, else SSE-S3), all public access
//! blocked, and a policy denying any request not made over TLS. Every step
//! is a `Put...` of the whole setting, so running it again is harmless.

use super::errors::{S3Failure, classify};
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, VersioningConfiguration,
};
use forge_engine::state::BackendError;

/// What to bootstrap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapOptions {
    /// The bucket.
    pub bucket: String,
    /// Its region.
    pub region: String,
    /// SSE-KMS key (id, ARN or alias) for default encryption; SSE-S3 if
    /// absent.
    pub kms_key_id: Option<String>,
}

/// What bootstrap did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BootstrapReport {
    /// The bucket was created (false: it existed).
    pub created: bool,
    /// The settings applied, in order, for display.
    pub steps: Vec<String>,
}

/// The bucket policy denying every request not made over TLS.
pub fn tls_only_policy(bucket: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [
                format!("arn:aws:s3:::{bucket}"),
                format!("arn:aws:s3:::{bucket}/*"),
            ],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }],
    })
    .to_string()
}

fn fail(step: &str, bucket: &str, e: S3Failure) -> BackendError {
    BackendError::Other(format!("bootstrap of s3://{bucket}: {step}: {e}"))
}

/// Creates or updates the state bucket.
pub async fn bootstrap(
    client: &aws_sdk_s3::Client,
    options: &BootstrapOptions,
) -> Result<BootstrapReport, BackendError> {
    let b = options.bucket.as_str();
    let mut report = BootstrapReport::default();
    let exists = match client.head_bucket().bucket(b).send().await {
        Ok(_) => true,
        Err(e) => match classify(&e) {
            S3Failure::NotFound => false,
            other => return Err(fail("checking the bucket", b, other)),
        },
    };
    if !exists {
        let mut req = client.create_bucket().bucket(b);
        // us-east-1 is the one region that refuses an explicit constraint.
        if options.region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(options.region.as_str()))
                    .build(),
            );
        }
        match req.send().await {
            Ok(_) => report.created = true,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_bucket_already_owned_by_you()) => {}
            Err(e) => return Err(fail("creating the bucket", b, classify(&e))),
        }
        report
            .steps
            .push(format!("created bucket {b} in {}", options.region));
    }

    client
        .put_bucket_versioning()
        .bucket(b)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .map_err(|e| fail("enabling versioning", b, classify(&e)))?;
    report.steps.push("versioning enabled".into());

    let default = match &options.kms_key_id {
        Some(k) => ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::AwsKms)
            .kms_master_key_id(k),
        None => {
            ServerSideEncryptionByDefault::builder().sse_algorithm(ServerSideEncryption::Aes256)
        }
    }
    .build()
    .map_err(|e| BackendError::Other(format!("encryption settings: {e}")))?;
    let rules = ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(default)
                .bucket_key_enabled(options.kms_key_id.is_some())
                .build(),
        )
        .build()
        .map_err(|e| BackendError::Other(format!("encryption settings: {e}")))?;
    client
        .put_bucket_encryption()
        .bucket(b)
        .server_side_encryption_configuration(rules)
        .send()
        .await
        .map_err(|e| fail("setting default encryption", b, classify(&e)))?;
    report.steps.push(match &options.kms_key_id {
        Some(k) => format!("default encryption SSE-KMS with key {k}"),
        None => "default encryption SSE-S3 (AES256)".into(),
    });

    client
        .put_public_access_block()
        .bucket(b)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .map_err(|e| fail("blocking public access", b, classify(&e)))?;
    report.steps.push("public access blocked".into());

    client
        .put_bucket_policy()
        .bucket(b)
        .policy(tls_only_policy(b))
        .send()
        .await
        .map_err(|e| fail("setting the TLS-only policy", b, classify(&e)))?;
    report
        .steps
        .push("bucket policy denies requests without TLS".into());
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_denies_insecure_transport_on_bucket_and_objects() {
        let p: serde_json::Value = serde_json::from_str(&tls_only_policy("b")).unwrap();
        let s = &p["Statement"][0];
        assert_eq!(s["Effect"], "Deny");
        assert_eq!(s["Condition"]["Bool"]["aws:SecureTransport"], "false");
        assert_eq!(s["Resource"][0], "arn:aws:s3:::b");
        assert_eq!(s["Resource"][1], "arn:aws:s3:::b/*");
    }
}
