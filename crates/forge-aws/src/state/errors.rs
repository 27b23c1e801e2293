//! What an S3 call's failure means to the state protocol: a failed
//! precondition (someone else wrote first), a missing object, a transient
//! failure worth retrying, or a real error.

use crate::error::{Failure, failure_of};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use forge_engine::state::BackendError;
use std::error::Error as StdError;

/// A failed S3 call, reduced to what the protocol branches on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum S3Failure {
    /// 412: `If-Match` / `If-None-Match` did not hold.
    Precondition,
    /// 404 `NoSuchKey` (or an `If-Match` on a missing object).
    NotFound,
    /// 501: the server does not implement the request (e.g. a conditional
    /// delete on an S3-compatible store).
    NotImplemented(String),
    /// Throttling, 5xx, 409 `ConditionalRequestConflict`, timeouts, dropped
    /// connections: try again.
    Transient(String),
    /// Anything else (access denied, no such bucket, bad request).
    Fatal(String),
}

impl std::fmt::Display for S3Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            S3Failure::Precondition => write!(f, "precondition failed (HTTP 412)"),
            S3Failure::NotFound => write!(f, "not found"),
            S3Failure::NotImplemented(m) | S3Failure::Transient(m) | S3Failure::Fatal(m) => {
                write!(f, "{m}")
            }
        }
    }
}

impl S3Failure {
    /// Whether retrying the same request may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, S3Failure::Transient(_))
    }

    /// As a backend error about `operation` at `location`.
    pub fn into_backend(self, operation: &str, location: &str) -> BackendError {
        BackendError::Other(format!("{operation} {location}: {self}"))
    }
}

/// Classifies an SDK error of any S3 operation.
pub fn classify<E>(err: &SdkError<E, HttpResponse>) -> S3Failure
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    classify_failure(failure_of(err))
}

/// The pure part of [`classify`], unit tested.
pub fn classify_failure(failure: Failure) -> S3Failure {
    match failure {
        Failure::Service {
            code,
            message,
            status,
        } => {
            let code = code.unwrap_or_default();
            let message = message.unwrap_or_default();
            let text = match (code.is_empty(), message.is_empty()) {
                (true, true) => format!("HTTP {status}"),
                (false, true) => format!("{code} (HTTP {status})"),
                (true, false) => format!("{message} (HTTP {status})"),
                (false, false) => format!("{code}: {message} (HTTP {status})"),
            };
            match (status, code.as_str()) {
                (_, "NoSuchBucket") => S3Failure::Fatal(format!(
                    "{text}; create it with `forge state bootstrap --bucket NAME`"
                )),
                (412, _) | (_, "PreconditionFailed") => S3Failure::Precondition,
                (404, _) | (_, "NoSuchKey") => S3Failure::NotFound,
                (501, _) | (_, "NotImplemented") => S3Failure::NotImplemented(text),
                (409, "ConditionalRequestConflict") | (429, _) => S3Failure::Transient(text),
                (s, _) if s >= 500 => S3Failure::Transient(text),
                (_, c) if crate::error::THROTTLING_CODES.contains(&c) => S3Failure::Transient(text),
                _ => S3Failure::Fatal(text),
            }
        }
        Failure::Timeout(m) => S3Failure::Transient(format!("timed out: {m}")),
        Failure::Dispatch { io: true, message } => {
            S3Failure::Transient(format!("request not sent: {message}"))
        }
        Failure::Dispatch { io: false, message } => S3Failure::Fatal(message),
        Failure::Construction(m) => S3Failure::Fatal(format!("could not build request: {m}")),
        Failure::Response(m) => S3Failure::Transient(format!("bad response: {m}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(code: &str, status: u16) -> Failure {
        Failure::Service {
            code: (!code.is_empty()).then(|| code.to_string()),
            message: Some("m".into()),
            status,
        }
    }

    #[test]
    fn protocol_outcomes_are_told_apart() {
        assert_eq!(
            classify_failure(svc("PreconditionFailed", 412)),
            S3Failure::Precondition
        );
        assert_eq!(classify_failure(svc("", 412)), S3Failure::Precondition);
        assert_eq!(classify_failure(svc("NoSuchKey", 404)), S3Failure::NotFound);
        assert!(matches!(
            classify_failure(svc("NoSuchBucket", 404)),
            S3Failure::Fatal(t) if t.contains("forge state bootstrap")
        ));
        assert!(classify_failure(svc("SlowDown", 503)).is_transient());
        assert!(classify_failure(svc("InternalError", 500)).is_transient());
        assert!(classify_failure(svc("ConditionalRequestConflict", 409)).is_transient());
        assert!(matches!(
            classify_failure(svc("NotImplemented", 501)),
            S3Failure::NotImplemented(_)
        ));
        let denied = classify_failure(svc("AccessDenied", 403));
        assert!(matches!(&denied, S3Failure::Fatal(t) if t.contains("AccessDenied")));
        assert!(!denied.is_transient());
        assert!(
            classify_failure(Failure::Dispatch {
                io: true,
                message: "reset".into()
            })
            .is_transient()
        );
    }
}
