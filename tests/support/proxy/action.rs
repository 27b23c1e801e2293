//! Naming the AWS action of a request, and building protocol-correct error
//! responses for it.
//!
//! Action names: `<signing-service>:<Action>` for query and JSON protocols
//! (`ec2:DescribeVpcs`, `elasticloadbalancing:CreateLoadBalancer`,
//! `ecs:CreateService`), and `S3:<METHOD> <bucket>[/<key>]` for S3's REST API
//! (`S3:PUT forge-state/dev/network.json`). Other REST services:
//! `<service>:<METHOD> <path>`.

use super::http::Head;

/// Wire protocol of a request, which decides what its errors look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// EC2's query protocol (errors as `<Response><Errors>`; throttling is 503).
    Ec2Query,
    /// awsQuery: ELBv2, RDS, ElastiCache, IAM, STS, ...
    Query,
    /// awsJson 1.0/1.1 (`X-Amz-Target`): ECS, KMS, Logs, WAFv2, ...
    Json,
    /// S3's REST-XML.
    S3,
    /// Some other REST API.
    Rest,
}

/// What a request is, as far as counting and fault injection care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub protocol: Protocol,
    /// The counting key (see the module docs).
    pub key: String,
}

/// The SigV4 signing service from `Authorization: ... Credential=AK/date/region/SERVICE/aws4_request`.
fn signing_service(head: &Head) -> Option<String> {
    let auth = head.get("authorization")?;
    let cred = auth.split("Credential=").nth(1)?;
    let scope = cred.split([',', ' ']).next()?;
    scope.split('/').nth(3).map(str::to_string)
}

fn form_param<'a>(form: &'a str, name: &str) -> Option<&'a str> {
    form.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then_some(v)
    })
}

/// Classifies a request from its head and (dechunked) body.
pub fn classify(head: &Head, body: &[u8]) -> Call {
    let (method, target) = head.request_line();
    let service = signing_service(head);

    if let Some(amz_target) = head.get("x-amz-target") {
        // `AmazonEC2ContainerServiceV20141113.CreateCluster`
        let (prefix, action) = amz_target
            .rsplit_once('.')
            .unwrap_or(("unknown", amz_target));
        let service = service.unwrap_or_else(|| prefix.to_string());
        return Call {
            protocol: Protocol::Json,
            key: format!("{service}:{action}"),
        };
    }

    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let form = if head
        .get("content-type")
        .is_some_and(|v| v.contains("x-www-form-urlencoded"))
    {
        String::from_utf8_lossy(body).into_owned()
    } else {
        String::new()
    };
    if let Some(action) = form_param(&form, "Action").or_else(|| form_param(query, "Action")) {
        let service = service.unwrap_or_else(|| "unknown".into());
        let protocol = if service == "ec2" {
            Protocol::Ec2Query
        } else {
            Protocol::Query
        };
        return Call {
            protocol,
            key: format!("{service}:{action}"),
        };
    }

    match service.as_deref() {
        Some("s3") | None => {
            let mut resource = path.trim_start_matches('/');
            // Bucket-level calls come as `/bucket/`; count them as `bucket`.
            if let Some(bucket) = resource.strip_suffix('/')
                && !bucket.contains('/')
            {
                resource = bucket;
            }
            Call {
                protocol: Protocol::S3,
                key: format!("S3:{method} {resource}"),
            }
        }
        Some(other) => Call {
            protocol: Protocol::Rest,
            key: format!("{other}:{method} {path}"),
        },
    }
}

/// The kind of error to answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InjectedError {
    Throttle,
    Internal,
}

/// A complete HTTP response (head and body) carrying the error the real
/// service would send for this protocol.
pub fn error_response(protocol: Protocol, error: InjectedError, request_id: u64) -> Vec<u8> {
    let rid = format!("forge-proxy-{request_id:016x}");
    let (status, content_type, body) = match (protocol, error) {
        (Protocol::Ec2Query, InjectedError::Throttle) => (
            "503 Service Unavailable",
            "text/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>{rid}</RequestID></Response>"
            ),
        ),
        (Protocol::Ec2Query, InjectedError::Internal) => (
            "500 Internal Server Error",
            "text/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>InternalError</Code><Message>An internal error has occurred</Message></Error></Errors><RequestID>{rid}</RequestID></Response>"
            ),
        ),
        (Protocol::Query, InjectedError::Throttle) => (
            "400 Bad Request",
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>"
            ),
        ),
        (Protocol::Query, InjectedError::Internal) => (
            "500 Internal Server Error",
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>An internal error has occurred</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>"
            ),
        ),
        (Protocol::Json | Protocol::Rest, InjectedError::Throttle) => (
            "400 Bad Request",
            "application/x-amz-json-1.1",
            "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}".to_string(),
        ),
        (Protocol::Json | Protocol::Rest, InjectedError::Internal) => (
            "500 Internal Server Error",
            "application/x-amz-json-1.1",
            "{\"__type\":\"InternalFailure\",\"message\":\"An internal error has occurred\"}"
                .to_string(),
        ),
        (Protocol::S3, InjectedError::Throttle) => (
            "503 Slow Down",
            "application/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>{rid}</RequestId></Error>"
            ),
        ),
        (Protocol::S3, InjectedError::Internal) => (
            "500 Internal Server Error",
            "application/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message><RequestId>{rid}</RequestId></Error>"
            ),
        ),
    };
    let error_type = match error {
        InjectedError::Throttle => "ThrottlingException",
        InjectedError::Internal => "InternalFailure",
    };
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nx-amzn-RequestId: {rid}\r\nx-amz-request-id: {rid}\r\n",
        body.len()
    );
    if matches!(protocol, Protocol::Json | Protocol::Rest) {
        out.push_str(&format!("x-amzn-ErrorType: {error_type}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&body);
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(start: &str, headers: &[(&str, &str)]) -> Head {
        Head {
            start_line: start.into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn auth(service: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=00"
        )
    }

    #[test]
    fn classifies_each_protocol() {
        let ec2 = head(
            "POST / HTTP/1.1",
            &[
                ("Authorization", &auth("ec2")),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
        );
        let call = classify(&ec2, b"Action=DescribeVpcs&Version=2016-11-15");
        assert_eq!(call.key, "ec2:DescribeVpcs");
        assert_eq!(call.protocol, Protocol::Ec2Query);

        let rds = head(
            "POST / HTTP/1.1",
            &[
                ("Authorization", &auth("rds")),
                (
                    "Content-Type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                ),
            ],
        );
        let call = classify(&rds, b"Version=2014-10-31&Action=CreateDBCluster");
        assert_eq!(call.key, "rds:CreateDBCluster");
        assert_eq!(call.protocol, Protocol::Query);

        let ecs = head(
            "POST / HTTP/1.1",
            &[
                ("Authorization", &auth("ecs")),
                (
                    "X-Amz-Target",
                    "AmazonEC2ContainerServiceV20141113.CreateCluster",
                ),
            ],
        );
        let call = classify(&ecs, b"{}");
        assert_eq!(call.key, "ecs:CreateCluster");
        assert_eq!(call.protocol, Protocol::Json);

        let s3 = head(
            "PUT /state-bucket/dev/net.json?x-id=PutObject HTTP/1.1",
            &[("Authorization", &auth("s3"))],
        );
        let call = classify(&s3, b"{...}");
        assert_eq!(call.key, "S3:PUT state-bucket/dev/net.json");
        assert_eq!(call.protocol, Protocol::S3);
        let bucket = head(
            "GET /state-bucket/?versioning HTTP/1.1",
            &[("Authorization", &auth("s3"))],
        );
        assert_eq!(classify(&bucket, b"").key, "S3:GET state-bucket");
        let dir = head("PUT /b/dir/ HTTP/1.1", &[("Authorization", &auth("s3"))]);
        assert_eq!(classify(&dir, b"").key, "S3:PUT b/dir/");
    }

    #[test]
    fn error_shapes_match_the_protocol() {
        let text = |p, e| String::from_utf8(error_response(p, e, 7)).expect("utf8");
        let ec2 = text(Protocol::Ec2Query, InjectedError::Throttle);
        assert!(ec2.starts_with("HTTP/1.1 503"));
        assert!(ec2.contains("<Code>RequestLimitExceeded</Code>"));
        let query = text(Protocol::Query, InjectedError::Throttle);
        assert!(query.starts_with("HTTP/1.1 400"));
        assert!(query.contains("<Code>Throttling</Code>"));
        let json = text(Protocol::Json, InjectedError::Throttle);
        assert!(json.starts_with("HTTP/1.1 400"));
        assert!(json.contains("\"__type\":\"ThrottlingException\""));
        let s3 = text(Protocol::S3, InjectedError::Throttle);
        assert!(s3.starts_with("HTTP/1.1 503"));
        assert!(s3.contains("<Code>SlowDown</Code>"));
        let internal = text(Protocol::S3, InjectedError::Internal);
        assert!(internal.starts_with("HTTP/1.1 500"));
        assert!(internal.contains("<Code>InternalError</Code>"));
    }
}
