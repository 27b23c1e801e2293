//! Mapping AWS SDK errors to the engine's [`ProviderError`].
//!
//! The engine retries `Throttled` and `Transient` with its own backoff, so
//! the classification decides whether an apply converges under load:
//! throttling codes and 5xx/timeouts/connection failures are retryable,
//! authentication failures are reported as credential problems (no point
//! retrying), everything else is an API error with AWS's code and message.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use forge_engine::ProviderError;
use std::error::Error as StdError;

/// Error codes AWS services use for throttling.
pub const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "EC2ThrottledException",
    "PriorRequestNotComplete",
    "BandwidthLimitExceeded",
];

/// Error codes meaning the caller's credentials are missing or refused.
pub const CREDENTIAL_CODES: &[&str] = &[
    "AuthFailure",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId",
    "MissingAuthenticationToken",
    "IncompleteSignature",
];

/// Error codes that say "try again shortly" without being throttling.
const TRANSIENT_CODES: &[&str] = &[
    "InternalError",
    "InternalFailure",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "Unavailable",
    "RequestTimeout",
    "RequestTimeoutException",
    "IDPCommunicationError",
];

/// What went wrong, independent of the SDK's generic types, so the
/// classification is a pure function that can be unit tested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The service answered with an error.
    Service {
        /// AWS error code, if the body had one.
        code: Option<String>,
        /// AWS error message.
        message: Option<String>,
        /// HTTP status.
        status: u16,
    },
    /// The request timed out.
    Timeout(String),
    /// The request never got an answer (connection refused or dropped, DNS,
    /// or credentials could not be resolved before sending).
    Dispatch {
        /// Whether the failure was an I/O or timeout failure.
        io: bool,
        /// The error chain as text.
        message: String,
    },
    /// The request could not be built (a bug or an invalid value).
    Construction(String),
    /// The response could not be read.
    Response(String),
}

/// Builds the [`Failure`] of an SDK error.
pub fn failure_of<E>(err: &SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    match err {
        SdkError::ServiceError(ctx) => {
            let code = non_empty(ctx.err().code());
            let message = non_empty(ctx.err().message()).or_else(|| {
                // No message in the body (an empty or unparsable error
                // response, e.g. a bare 500 from a proxy): the SDK's own
                // description of the error and its sources is the reason.
                Some(format!("{}", DisplayErrorContext(err)))
            });
            Failure::Service {
                code,
                message,
                status: status_of(ctx.raw()),
            }
        }
        SdkError::TimeoutError(_) => Failure::Timeout(chain(err)),
        SdkError::DispatchFailure(d) => Failure::Dispatch {
            io: d.is_io() || d.is_timeout(),
            message: chain(err),
        },
        SdkError::ConstructionFailure(_) => Failure::Construction(chain(err)),
        SdkError::ResponseError(ctx) => {
            let status = status_of(ctx.raw());
            if status >= 500 {
                Failure::Service {
                    code: None,
                    message: Some(chain(err)),
                    status,
                }
            } else {
                Failure::Response(chain(err))
            }
        }
        _ => Failure::Response(chain(err)),
    }
}

fn non_empty(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
}

fn status_of(raw: &HttpResponse) -> u16 {
    raw.status().as_u16()
}

/// The error and its sources, joined, because the SDK's top-level Display
/// is often just "dispatch failure".
fn chain(err: &dyn StdError) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Classifies a failure of a call to `service`.
pub fn classify(service: &str, failure: Failure) -> ProviderError {
    match failure {
        Failure::Service {
            code,
            message,
            status,
        } => {
            let message = message
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| format!("HTTP {status} with no error message"));
            let code = code.unwrap_or_default();
            if THROTTLING_CODES.contains(&code.as_str()) || status == 429 {
                ProviderError::Throttled {
                    service: service.to_string(),
                    message: with_code(&code, &message),
                }
            } else if CREDENTIAL_CODES.contains(&code.as_str()) {
                ProviderError::Credentials(with_code(&code, &message))
            } else if TRANSIENT_CODES.contains(&code.as_str()) || status >= 500 {
                ProviderError::Transient {
                    message: format!("{service}: {}", with_code(&code, &message)),
                }
            } else if code.is_empty() {
                ProviderError::Api {
                    code: format!("HTTP{status}"),
                    message,
                }
            } else {
                ProviderError::Api { code, message }
            }
        }
        Failure::Timeout(m) => ProviderError::Transient {
            message: format!("{service}: timed out: {m}"),
        },
        Failure::Dispatch { io, message } => {
            // Identity resolution happens just before sending, so a missing
            // credential chain surfaces as a non-I/O dispatch failure.
            if !io && message.to_ascii_lowercase().contains("credential") {
                credentials_error(message)
            } else {
                ProviderError::Transient {
                    message: format!("{service}: request not sent: {message}"),
                }
            }
        }
        Failure::Construction(m) => {
            if m.to_ascii_lowercase().contains("credential") {
                credentials_error(m)
            } else {
                ProviderError::Invalid(format!("{service}: could not build request: {m}"))
            }
        }
        Failure::Response(m) => ProviderError::Transient {
            message: format!("{service}: bad response: {m}"),
        },
    }
}

fn with_code(code: &str, message: &str) -> String {
    if code.is_empty() {
        message.to_string()
    } else {
        format!("{code}: {message}")
    }
}

/// A credentials error with a hint on where forge looks for them.
pub fn credentials_error(detail: impl std::fmt::Display) -> ProviderError {
    ProviderError::Credentials(format!(
        "{detail} (forge uses the standard AWS chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, \
         AWS_PROFILE and ~/.aws/config (including SSO), web identity, ECS/EC2 instance roles)"
    ))
}

/// Maps an SDK error from `service` to a [`ProviderError`].
pub fn sdk_error<E>(service: &str, err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    classify(service, failure_of(&err))
}

/// Whether an error says the thing does not exist (`InvalidVpcID.NotFound`,
/// `NatGatewayNotFound`, `InvalidRouteTableID.NotFound`, ...).
pub fn is_not_found(err: &ProviderError) -> bool {
    match err {
        ProviderError::Api { code, .. } => {
            code.ends_with(".NotFound")
                || code.ends_with("NotFound")
                || code.ends_with("NotFoundException")
                // IAM's `NoSuchEntity`, S3's `NoSuchBucket` / `NoSuchKey` /
                // `NoSuchTagSet` ...
                || code.starts_with("NoSuch")
        }
        _ => false,
    }
}

/// Treats "not found" as success: deleting something already gone.
pub fn ignore_not_found(result: Result<(), ProviderError>) -> Result<(), ProviderError> {
    ok_if(result, is_not_found)
}

/// A delete call's result with the errors `gone` recognises (the
/// service's "does not exist") counted as success: deleting something
/// already deleted.
pub fn ok_if<T>(
    result: Result<T, ProviderError>,
    gone: impl Fn(&ProviderError) -> bool,
) -> Result<(), ProviderError> {
    match result {
        Err(e) if gone(&e) => Ok(()),
        other => other.map(drop),
    }
}

/// Maps an SDK error from `service` like [`sdk_error`], with the codes of
/// `busy` transient ([`busy_as_transient`]).
pub fn sdk_error_busy<E>(
    service: &str,
    busy: &[&str],
    err: SdkError<E, HttpResponse>,
) -> ProviderError
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    busy_as_transient(service, busy, sdk_error(service, err))
}

/// Whether an error says the object does not exist, also in the
/// `...NotFoundFault` spelling of RDS and ElastiCache
/// (`DBClusterNotFoundFault`, `CacheSubnetGroupNotFoundFault`, ...).
pub fn is_gone(err: &ProviderError) -> bool {
    is_not_found(err)
        || matches!(err, ProviderError::Api { code, .. } if code.ends_with("NotFoundFault"))
}

/// Treats "gone" in any spelling ([`is_gone`]) as success: deleting
/// something already deleted.
pub fn ignore_gone(result: Result<(), ProviderError>) -> Result<(), ProviderError> {
    ok_if(result, is_gone)
}

/// Turns the API errors whose code is among `busy` (the service's "the
/// object is busy with another operation, ask again later" codes) into
/// transient errors, so the engine retries them with backoff.
pub fn busy_as_transient(service: &str, busy: &[&str], err: ProviderError) -> ProviderError {
    match err {
        ProviderError::Api { code, message } if busy.contains(&code.as_str()) => {
            ProviderError::Transient {
                message: format!("{service}: {code}: {message}"),
            }
        }
        other => other,
    }
}

/// Maps the errors of a delete call: not found is success, and
/// `DependencyViolation` is transient because dependents (ENIs of a NAT
/// gateway being deleted, routes, ...) usually go away within minutes and
/// the engine retries.
pub fn delete_result(result: Result<(), ProviderError>) -> Result<(), ProviderError> {
    match ignore_not_found(result) {
        Err(ProviderError::Api { code, message }) if code == "DependencyViolation" => {
            Err(ProviderError::Transient {
                message: format!("{code}: {message}"),
            })
        }
        other => other,
    }
}

/// Like [`delete_result`], but only `own_code` (the resource's own
/// not-found code) means "already gone": for calls that touch other
/// resources on the way (DeleteVpcEndpoints removes routes), a not-found
/// about one of those must not pass for a successful delete.
pub fn delete_result_own(
    result: Result<(), ProviderError>,
    own_code: &str,
) -> Result<(), ProviderError> {
    match result {
        Err(ProviderError::Api { code, .. }) if code == own_code => Ok(()),
        Err(ProviderError::Api { code, message })
            if is_not_found(&ProviderError::Api {
                code: code.clone(),
                message: String::new(),
            }) =>
        {
            Err(ProviderError::Api { code, message })
        }
        other => delete_result(other),
    }
}

/// Whether an error is the API error `code`.
pub fn has_code(err: &ProviderError, code: &str) -> bool {
    matches!(err, ProviderError::Api { code: c, .. } if c == code)
}

/// A read's result with the errors `gone` recognises as `None`: the
/// object does not exist.
pub fn none_if<T>(
    result: Result<T, ProviderError>,
    gone: impl Fn(&ProviderError) -> bool,
) -> Result<Option<T>, ProviderError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if gone(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The id a create call answered with, or a transient error when the
/// answer lacks it (`call` names the call).
pub fn returned_id(id: Option<&str>, call: &str) -> Result<String, ProviderError> {
    id.map(str::to_string)
        .ok_or_else(|| ProviderError::Transient {
            message: format!("{call} returned no ARN"),
        })
}

/// A read's result with "not found" ([`is_not_found`]) as `None`.
pub fn found<T>(result: Result<T, ProviderError>) -> Result<Option<T>, ProviderError> {
    none_if(result, is_not_found)
}

/// A call's result with the API errors of `codes` as success (a retry
/// finding its work done: already attached, already detached, ...).
pub fn ok_on(result: Result<(), ProviderError>, codes: &[&str]) -> Result<(), ProviderError> {
    match result {
        Err(e) if codes.iter().any(|c| has_code(&e, c)) => Ok(()),
        other => other,
    }
}

/// A call's result with the API errors of `codes` transient (`code:
/// message`), so the engine retries: the object is busy or still in use
/// by something going away.
pub fn retry_on<T>(result: Result<T, ProviderError>, codes: &[&str]) -> Result<T, ProviderError> {
    match result {
        Err(ProviderError::Api { code, message }) if codes.contains(&code.as_str()) => {
            Err(ProviderError::Transient {
                message: format!("{code}: {message}"),
            })
        }
        other => other,
    }
}

/// The object a create call answered with, or a transient error saying
/// `message` when the answer lacks it.
pub fn returned<T>(item: Option<T>, message: &str) -> Result<T, ProviderError> {
    item.ok_or_else(|| ProviderError::Transient {
        message: message.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(code: &str, status: u16) -> Failure {
        Failure::Service {
            code: Some(code.into()),
            message: Some("msg".into()),
            status,
        }
    }

    #[test]
    fn throttling_codes_are_throttled() {
        for code in [
            "Throttling",
            "ThrottlingException",
            "RequestLimitExceeded",
            "SlowDown",
            "TooManyRequestsException",
            "RequestThrottled",
            "ProvisionedThroughputExceededException",
            "EC2ThrottledException",
            "PriorRequestNotComplete",
        ] {
            let e = classify("ec2", service(code, 400));
            assert!(
                matches!(e, ProviderError::Throttled { .. }),
                "{code}: {e:?}"
            );
            assert!(e.is_retryable());
        }
        assert!(matches!(
            classify("s3", service("Whatever", 429)),
            ProviderError::Throttled { .. }
        ));
    }

    #[test]
    fn server_errors_and_timeouts_are_transient() {
        assert!(matches!(
            classify("ec2", service("InternalError", 500)),
            ProviderError::Transient { .. }
        ));
        assert!(matches!(
            classify("ec2", service("", 503)),
            ProviderError::Transient { .. }
        ));
        assert!(matches!(
            classify(
                "ec2",
                Failure::Service {
                    code: None,
                    message: None,
                    status: 502
                }
            ),
            ProviderError::Transient { .. }
        ));
        assert!(matches!(
            classify("ec2", Failure::Timeout("t".into())),
            ProviderError::Transient { .. }
        ));
        let e = classify(
            "ec2",
            Failure::Dispatch {
                io: true,
                message: "connection refused".into(),
            },
        );
        assert!(matches!(e, ProviderError::Transient { .. }));
        assert!(e.is_retryable());
    }

    #[test]
    fn errors_without_a_message_still_say_why() {
        // A 5xx with no code or message in its body (a proxy's bare 500).
        let e = classify(
            "logs",
            Failure::Service {
                code: None,
                message: None,
                status: 500,
            },
        );
        assert_eq!(
            e.to_string(),
            "transient error: logs: HTTP 500 with no error message"
        );
        let e = classify(
            "logs",
            Failure::Service {
                code: Some("InternalFailure".into()),
                message: Some("  ".into()),
                status: 500,
            },
        );
        assert_eq!(
            e.to_string(),
            "transient error: logs: InternalFailure: HTTP 500 with no error message"
        );
    }

    #[test]
    fn an_sdk_error_with_an_empty_body_keeps_the_sdks_description() {
        use aws_sdk_cloudwatchlogs::operation::create_log_group::CreateLogGroupError;
        use aws_smithy_runtime_api::http::StatusCode;
        use aws_smithy_types::body::SdkBody;
        use aws_smithy_types::error::ErrorMetadata;
        let status = StatusCode::try_from(500u16).unwrap_or_else(|e| panic!("{e}"));
        let raw = HttpResponse::new(status, SdkBody::empty());
        let err = SdkError::service_error(
            CreateLogGroupError::generic(ErrorMetadata::builder().build()),
            raw,
        );
        let e = sdk_error("logs", err);
        assert!(e.is_retryable(), "{e:?}");
        let text = e.to_string();
        assert!(text.starts_with("transient error: logs: "), "{text}");
        assert!(
            text.len() > "transient error: logs: ".len() + 10,
            "the reason is missing: {text}"
        );
    }

    #[test]
    fn auth_errors_are_credentials() {
        for code in [
            "AuthFailure",
            "UnrecognizedClientException",
            "InvalidClientTokenId",
            "ExpiredToken",
            "SignatureDoesNotMatch",
        ] {
            let e = classify("ec2", service(code, 401));
            assert!(matches!(e, ProviderError::Credentials(_)), "{code}: {e:?}");
            assert!(!e.is_retryable());
        }
        let e = classify(
            "ec2",
            Failure::Dispatch {
                io: false,
                message: "dispatch failure: other: no credentials provider".into(),
            },
        );
        assert!(matches!(e, ProviderError::Credentials(_)));
    }

    #[test]
    fn other_errors_keep_code_and_message() {
        let e = classify("ec2", service("InvalidParameterValue", 400));
        match e {
            ProviderError::Api { code, message } => {
                assert_eq!(code, "InvalidParameterValue");
                assert_eq!(message, "msg");
            }
            other => panic!("{other:?}"),
        }
        let e = classify(
            "ec2",
            Failure::Service {
                code: None,
                message: Some("m".into()),
                status: 404,
            },
        );
        assert!(matches!(e, ProviderError::Api { ref code, .. } if code == "HTTP404"));
    }

    #[test]
    fn only_the_resources_own_not_found_is_gone() {
        let err = |code: &str| {
            Err(ProviderError::Api {
                code: code.into(),
                message: String::new(),
            })
        };
        assert!(
            delete_result_own(
                err("InvalidVpcEndpointId.NotFound"),
                "InvalidVpcEndpointId.NotFound"
            )
            .is_ok()
        );
        assert!(
            delete_result_own(
                err("InvalidRoute.NotFound"),
                "InvalidVpcEndpointId.NotFound"
            )
            .is_err()
        );
        assert!(matches!(
            delete_result_own(err("DependencyViolation"), "InvalidVpcEndpointId.NotFound"),
            Err(ProviderError::Transient { .. })
        ));
        assert!(delete_result_own(Ok(()), "x").is_ok());
    }

    #[test]
    fn not_found_and_dependency_violation_on_delete() {
        let nf = |code: &str| {
            Err(ProviderError::Api {
                code: code.into(),
                message: String::new(),
            })
        };
        for code in [
            "InvalidVpcID.NotFound",
            "NatGatewayNotFound",
            "InvalidAllocationID.NotFound",
        ] {
            assert!(delete_result(nf(code)).is_ok(), "{code}");
        }
        let dv = delete_result(nf("DependencyViolation"));
        assert!(matches!(dv, Err(ProviderError::Transient { .. })));
        let other = delete_result(nf("InvalidParameterValue"));
        assert!(matches!(other, Err(ProviderError::Api { .. })));
        assert!(
            delete_result(Err(ProviderError::Transient {
                message: "x".into()
            }))
            .is_err()
        );
    }

    #[test]
    fn gone_faults_and_busy_codes() {
        let api = |code: &str| ProviderError::Api {
            code: code.into(),
            message: "m".into(),
        };
        assert!(is_gone(&api("DBClusterNotFoundFault")));
        assert!(is_gone(&api("NoSuchEntity")));
        assert!(!is_gone(&api("InvalidParameterValue")));
        assert!(ignore_gone(Err(api("GlobalClusterNotFoundFault"))).is_ok());
        assert!(ignore_gone(Err(api("Throttling"))).is_err());
        let busy = busy_as_transient(
            "rds",
            &["InvalidDBClusterStateFault"],
            api("InvalidDBClusterStateFault"),
        );
        assert!(
            matches!(busy, ProviderError::Transient { ref message } if message == "rds: InvalidDBClusterStateFault: m")
        );
        assert!(matches!(
            busy_as_transient("rds", &["X"], api("Y")),
            ProviderError::Api { .. }
        ));
    }
}
