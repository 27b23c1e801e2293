//! Keeping the AWS SDK from re-sending calls that change things.
//!
//! The SDK's standard retry layer re-sends a request after a 5xx, a timeout
//! or a dropped connection. For a read that is harmless. For a call that
//! changes something it is not: an HTTP 500 can arrive *after* the service
//! acted (or a proxy/load balancer in between failed on the way back), and
//! a second `CreateKey`, `CreateVpc` or `AllocateAddress` — none of which
//! takes an idempotency token — then creates a second object, tagged like
//! the first, that no state records. forge's own retry
//! ([`forge_engine::retry`]) is the one that may repeat a mutation, because
//! it first looks the object up by its ownership tags
//! ([`forge_engine::Provider::find_orphan`]) before sending a create again.
//!
//! So every service client forge builds carries [`MutationRetryGuard`]: an
//! interceptor that, for any operation that is not a read
//! ([`is_read_only`]), lowers the SDK's attempts for that one call to 1.
//! Reads keep the configured SDK retries (cheap, and they make refresh and
//! readiness polling ride out blips without a round trip through the
//! engine). Throttling of a mutation is then retried by the engine too,
//! with its own backoff; that costs one lookup per retry and is always safe.
//!
//! The alternative — two clients per service, one for reads with retries
//! and one for mutations with `max_attempts = 1` — would make every kind
//! choose the right client at every call, and a slip would silently bring
//! the duplicate back. Deciding by operation name in one place keeps the
//! kinds unchanged, and an operation not known to be a read is treated as a
//! mutation, so a new call is safe by default. The one exception is a put
//! that replaces a whole configuration of an existing object (S3's
//! `PutBucketVersioning` and the like, [`may_resend`]): re-sending it
//! cannot create anything, and a bucket create sends several in a row,
//! which without SDK retries made it fail under a burst of throttling.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::retry::RetryConfig;

/// Operation name prefixes of calls that only read. Everything else is a
/// mutation as far as retries go.
const READ_PREFIXES: &[&str] = &[
    "Describe", "List", "Get", "Head", "Lookup", "BatchGet", "Filter",
];

/// Mutations that replace (or remove) one whole configuration of an
/// existing object: sending one twice leaves the same result as once and
/// can create nothing, so the SDK may re-send them like reads. These are
/// S3's bucket settings, of which a bucket create sends several in a row
/// (S3 API Reference: each `PutBucket*` "sets" / "replaces" the
/// configuration; the `Delete*` ones remove it).
const WHOLE_CONFIGURATION_PUTS: &[&str] = &[
    "PutBucketVersioning",
    "PutBucketEncryption",
    "PutBucketOwnershipControls",
    "PutPublicAccessBlock",
    "PutBucketLifecycleConfiguration",
    "PutBucketPolicy",
    "PutBucketReplication",
    "PutBucketTagging",
    "DeleteBucketPolicy",
    "DeleteBucketLifecycle",
    "DeleteBucketReplication",
];

/// Whether the SDK may re-send the AWS operation `name`: a read, or a
/// whole-configuration put of an existing object.
pub fn may_resend(name: &str) -> bool {
    is_read_only(name) || WHOLE_CONFIGURATION_PUTS.contains(&name)
}

/// Whether the AWS operation `name` (`DescribeVpcs`, `CreateKey`, ...) only
/// reads, so re-sending it cannot change anything.
pub fn is_read_only(name: &str) -> bool {
    READ_PREFIXES.iter().any(|p| {
        name.strip_prefix(p)
            // `Get` must not match `GetawayCreate`: the next letter starts a
            // new word (or the name ends).
            .is_some_and(|rest| rest.chars().next().is_none_or(|c| c.is_ascii_uppercase()))
    })
}

/// The interceptor that turns the SDK's retries off for mutations (see the
/// module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct MutationRetryGuard;

impl Intercept for MutationRetryGuard {
    fn name(&self) -> &'static str {
        "forge::MutationRetryGuard"
    }

    /// Runs once per call, after the operation's own configuration (which
    /// holds its name) is in place and before the first attempt.
    fn modify_before_retry_loop(
        &self,
        _context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let resend = cfg.load::<Metadata>().is_some_and(|m| may_resend(m.name()));
        if !resend {
            let single = cfg
                .load::<RetryConfig>()
                .cloned()
                .unwrap_or_else(RetryConfig::standard)
                .with_max_attempts(1);
            // The interceptor layer is read first, so this applies to this
            // call only; the client's configuration is untouched.
            cfg.interceptor_state().store_put(single);
        }
        Ok(())
    }
}

/// A service client that can be given [`MutationRetryGuard`].
pub trait GuardedClient: Sized {
    /// The same client with the guard installed.
    fn with_mutation_guard(self) -> Self;
}

macro_rules! guarded_clients {
    ($($krate:ident),* $(,)?) => {$(
        impl GuardedClient for $krate::Client {
            fn with_mutation_guard(self) -> Self {
                let conf = self
                    .config()
                    .to_builder()
                    .interceptor(MutationRetryGuard)
                    .build();
                $krate::Client::from_conf(conf)
            }
        }
    )*};
}

guarded_clients!(
    aws_sdk_applicationautoscaling,
    aws_sdk_cloudwatch,
    aws_sdk_cloudwatchlogs,
    aws_sdk_ec2,
    aws_sdk_ecs,
    aws_sdk_elasticache,
    aws_sdk_elasticloadbalancingv2,
    aws_sdk_iam,
    aws_sdk_kms,
    aws_sdk_rds,
    aws_sdk_resourcegroupstagging,
    aws_sdk_s3,
    aws_sdk_secretsmanager,
    aws_sdk_sns,
    aws_sdk_ssm,
    aws_sdk_sts,
    aws_sdk_wafv2,
);

#[cfg(test)]
mod tests {
    use super::*;
    use aws_config::{BehaviorVersion, Region, SdkConfig};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn whole_configuration_puts_may_be_resent() {
        for put in [
            "PutBucketVersioning",
            "PutPublicAccessBlock",
            "DeleteBucketPolicy",
        ] {
            assert!(may_resend(put) && !is_read_only(put), "{put}");
        }
        // A conditional object write (the state lock) is never re-sent.
        assert!(!may_resend("PutObject"));
        assert!(!may_resend("CreateBucket"));
    }

    #[test]
    fn reads_and_mutations_by_name() {
        for read in [
            "DescribeVpcs",
            "ListResourceTags",
            "GetObject",
            "HeadBucket",
            "GetResources",
            "BatchGetSecretValue",
            "FilterLogEvents",
            "Describe",
        ] {
            assert!(is_read_only(read), "{read}");
        }
        for mutation in [
            "CreateKey",
            "CreateVpc",
            "AllocateAddress",
            "AssociateRouteTable",
            "PutObject",
            "TagResources",
            "ScheduleKeyDeletion",
            "Getaway",
            "ListenerCreate",
            "",
        ] {
            assert!(!is_read_only(mutation), "{mutation}");
            assert!(!may_resend(mutation), "{mutation}");
        }
    }

    /// An HTTP server that answers every request with a KMS-shaped 500 and
    /// counts the requests: what a service that acted and then failed on
    /// the way back looks like to the SDK.
    async fn failing_server() -> (String, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let counter = counter.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 64 * 1024];
                    let mut seen = Vec::new();
                    // Read until the end of the head and the declared body.
                    loop {
                        let Ok(n) = stream.read(&mut buf).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        seen.extend_from_slice(&buf[..n]);
                        let text = String::from_utf8_lossy(&seen).to_string();
                        if let Some(end) = text.find("\r\n\r\n") {
                            let len = text[..end]
                                .lines()
                                .find_map(|l| {
                                    let (k, v) = l.split_once(':')?;
                                    k.eq_ignore_ascii_case("content-length")
                                        .then(|| v.trim().parse::<usize>().ok())?
                                })
                                .unwrap_or(0);
                            if seen.len() >= end + 4 + len {
                                break;
                            }
                        }
                    }
                    counter.fetch_add(1, Ordering::SeqCst);
                    let body = r#"{"__type":"InternalFailure","message":"boom"}"#;
                    let resp = format!(
                        "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-ErrorType: InternalFailure\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(resp.as_bytes()).await;
                });
            }
        });
        (format!("http://{addr}"), hits)
    }

    fn config(endpoint: &str) -> SdkConfig {
        SdkConfig::builder()
            .region(Region::new("us-east-1"))
            .behavior_version(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .credentials_provider(aws_sdk_kms::config::SharedCredentialsProvider::new(
                aws_sdk_kms::config::Credentials::new("a", "b", None, None, "test"),
            ))
            .sleep_impl(aws_smithy_async_sleep())
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(Duration::from_millis(1)),
            )
            .build()
    }

    /// The SDK needs a sleep to back off between retries.
    #[derive(Debug)]
    struct TokioSleep;

    impl aws_sdk_kms::config::AsyncSleep for TokioSleep {
        fn sleep(&self, d: Duration) -> aws_sdk_kms::config::Sleep {
            aws_sdk_kms::config::Sleep::new(tokio::time::sleep(d))
        }
    }

    fn aws_smithy_async_sleep() -> aws_sdk_kms::config::SharedAsyncSleep {
        aws_sdk_kms::config::SharedAsyncSleep::new(TokioSleep)
    }

    /// Without the guard the SDK sends `CreateKey` three times after a 500
    /// (three keys on a service that acted each time); with it, once, while
    /// a read is still retried.
    #[tokio::test]
    async fn a_create_is_sent_once_a_read_is_retried() {
        let (endpoint, hits) = failing_server().await;
        let plain = aws_sdk_kms::Client::new(&config(&endpoint));
        assert!(plain.create_key().send().await.is_err());
        assert_eq!(hits.swap(0, Ordering::SeqCst), 3, "the SDK's own retries");

        let guarded = plain.with_mutation_guard();
        assert!(guarded.create_key().send().await.is_err());
        assert_eq!(hits.swap(0, Ordering::SeqCst), 1, "a create is sent once");
        assert!(guarded.describe_key().key_id("k").send().await.is_err());
        assert_eq!(
            hits.swap(0, Ordering::SeqCst),
            3,
            "a read keeps its retries"
        );
        assert!(
            guarded
                .schedule_key_deletion()
                .key_id("k")
                .send()
                .await
                .is_err()
        );
        assert_eq!(
            hits.swap(0, Ordering::SeqCst),
            1,
            "any mutation is sent once"
        );
    }
}
