//! The fault-injecting proxy: forwarding, counting per action, injection
//! rates and wire shapes (against a fake upstream, and through the SDK
//! against the real emulator).

use forge_e2e::proxy::http::{read_body, read_head};
use forge_e2e::{ActionFilter, Emulator, FaultConfig, Proxy};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// An upstream that behaves like moto's framing (answers, then closes) and
/// counts what reached it. The body echoes the request target.
async fn fake_upstream() -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let hits = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&hits);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let (rd, mut wr) = stream.into_split();
                let mut rd = BufReader::new(rd);
                let Ok(Some(head)) = read_head(&mut rd).await else {
                    return;
                };
                let Ok(kind) = head.request_body() else {
                    return;
                };
                if read_body(&mut rd, kind).await.is_err() {
                    return;
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let body = format!("upstream saw {}", head.request_line().1);
                // No Content-Length: the body ends when we close, like some
                // moto responses; the proxy must re-frame it.
                let resp = format!("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{body}");
                let _ = wr.write_all(resp.as_bytes()).await;
            });
        }
    });
    (format!("http://{addr}"), hits)
}

const EC2_AUTH: &str = "AWS4-HMAC-SHA256 Credential=t/20250101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0";

fn ec2_request(action: &str) -> String {
    let body = format!("Action={action}&Version=2016-11-15");
    format!(
        "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: {EC2_AUTH}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

/// A keep-alive client connection to the proxy.
struct Client {
    rd: BufReader<tokio::net::tcp::OwnedReadHalf>,
    wr: tokio::net::tcp::OwnedWriteHalf,
}

impl Client {
    async fn connect(proxy: &Proxy) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", proxy.port))
            .await
            .expect("connect");
        let (rd, wr) = stream.into_split();
        Client {
            rd: BufReader::new(rd),
            wr,
        }
    }

    /// Sends one request; `None` if the proxy closed without answering.
    async fn send(&mut self, raw: &str) -> Option<(u16, String)> {
        self.wr.write_all(raw.as_bytes()).await.ok()?;
        let head = read_head(&mut self.rd).await.ok()??;
        let kind = head.response_body("POST").ok()?;
        let body = read_body(&mut self.rd, kind).await.ok()?;
        Some((head.status(), String::from_utf8_lossy(&body).into_owned()))
    }
}

#[tokio::test]
async fn forwards_and_counts_per_action_on_keep_alive_connections() {
    forge_e2e::require_emulator!("tests the fault proxy");
    let (upstream, hits) = fake_upstream().await;
    let proxy = Proxy::start(&upstream, FaultConfig::none()).expect("proxy");
    let mut client = Client::connect(&proxy).await;

    let (status, body) = client
        .send(&ec2_request("DescribeVpcs"))
        .await
        .expect("answer");
    assert_eq!((status, body.as_str()), (200, "upstream saw /"));
    client
        .send(&ec2_request("DescribeVpcs"))
        .await
        .expect("answer");
    client
        .send(&ec2_request("DescribeSubnets"))
        .await
        .expect("answer");

    let json_body = "{}";
    let json = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: TrentService.DescribeKey\r\nAuthorization: AWS4-HMAC-SHA256 Credential=t/20250101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\n\r\n{json_body}",
        json_body.len()
    );
    client.send(&json).await.expect("answer");

    // S3 with a chunked body and Expect: 100-continue.
    let mut s3 = Client::connect(&proxy).await;
    s3.wr
        .write_all(b"PUT /bucket/dir/key.json HTTP/1.1\r\nHost: x\r\nAuthorization: AWS4-HMAC-SHA256 Credential=t/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n")
        .await
        .expect("write head");
    let interim = read_head(&mut s3.rd).await.expect("io").expect("100");
    assert_eq!(interim.status(), 100);
    let (status, body) = s3.send("4\r\n{..}\r\n0\r\n\r\n").await.expect("answer");
    assert_eq!(
        (status, body.as_str()),
        (200, "upstream saw /bucket/dir/key.json")
    );

    let counts = proxy.counts();
    let expected: Vec<(&str, u64)> = vec![
        ("S3:PUT bucket/dir/key.json", 1),
        ("ec2:DescribeSubnets", 1),
        ("ec2:DescribeVpcs", 2),
        ("kms:DescribeKey", 1),
    ];
    let got: Vec<(&str, u64)> = counts.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(got, expected);
    assert_eq!(proxy.total(), 5);
    assert_eq!(hits.load(Ordering::SeqCst), 5);

    proxy.reset_counts();
    assert!(proxy.counts().is_empty());
    assert_eq!(proxy.total(), 0);
}

#[tokio::test]
async fn injects_throttling_at_the_configured_rate_reproducibly() {
    forge_e2e::require_emulator!("tests the fault proxy");
    const N: u64 = 1000;
    let run = |seed| async move {
        let (upstream, hits) = fake_upstream().await;
        let proxy = Proxy::start(
            &upstream,
            FaultConfig::none().with_throttle(0.3).with_seed(seed),
        )
        .expect("proxy");
        let mut client = Client::connect(&proxy).await;
        let mut statuses = Vec::new();
        for _ in 0..N {
            let (status, body) = client
                .send(&ec2_request("DescribeVpcs"))
                .await
                .expect("answer");
            if status == 503 {
                assert!(body.contains("<Code>RequestLimitExceeded</Code>"), "{body}");
            } else {
                assert_eq!(status, 200);
            }
            statuses.push(status);
        }
        let throttled = statuses.iter().filter(|s| **s == 503).count() as u64;
        assert_eq!(proxy.faults_injected().get("throttle"), Some(&throttled));
        assert_eq!(
            hits.load(Ordering::SeqCst),
            N - throttled,
            "throttled calls must not reach the emulator"
        );
        assert_eq!(proxy.counts().get("ec2:DescribeVpcs"), Some(&N));
        statuses
    };
    let first = run(7).await;
    let throttled = first.iter().filter(|s| **s == 503).count();
    assert!(
        (250..=350).contains(&throttled),
        "30% of {N} should be ~300 throttled, got {throttled}"
    );
    assert_eq!(first, run(7).await, "same seed, same faults");
    assert_ne!(first, run(8).await, "another seed, other faults");
}

#[tokio::test]
async fn drops_before_and_after_forwarding() {
    forge_e2e::require_emulator!("tests the fault proxy");
    let (upstream, hits) = fake_upstream().await;
    let proxy = Proxy::start(&upstream, FaultConfig::none().with_drops(1.0)).expect("proxy");
    let mut client = Client::connect(&proxy).await;
    assert!(client.send(&ec2_request("CreateVpc")).await.is_none());
    assert_eq!(hits.load(Ordering::SeqCst), 0, "dropped before forwarding");

    proxy.set_faults(FaultConfig::none().with_drops_after_forward(1.0));
    let mut client = Client::connect(&proxy).await;
    assert!(client.send(&ec2_request("CreateVpc")).await.is_none());
    assert_eq!(hits.load(Ordering::SeqCst), 1, "forwarded, answer lost");

    let injected = proxy.faults_injected();
    assert_eq!(injected.get("drop"), Some(&1));
    assert_eq!(injected.get("drop_after"), Some(&1));
}

/// A 500 after forwarding: the emulator acted on the call, the caller is
/// told it failed (what made an SDK retry layer create a second object),
/// and the request log shows each request with its fault in order.
#[tokio::test]
async fn answers_500_after_forwarding_and_logs_every_request() {
    forge_e2e::require_emulator!("tests the fault proxy");
    let (upstream, hits) = fake_upstream().await;
    let proxy = Proxy::start(
        &upstream,
        FaultConfig::none()
            .with_errors_after_forward(1.0)
            .only(ActionFilter::new(|a| a.starts_with("ec2:Create"))),
    )
    .expect("proxy");
    let mut client = Client::connect(&proxy).await;
    let (status, body) = client
        .send(&ec2_request("CreateVpc"))
        .await
        .expect("answer");
    assert_eq!(status, 500);
    assert!(body.contains("<Code>InternalError</Code>"), "{body}");
    assert_eq!(hits.load(Ordering::SeqCst), 1, "forwarded before the 500");
    let (status, _) = client
        .send(&ec2_request("DescribeVpcs"))
        .await
        .expect("answer");
    assert_eq!(status, 200, "the connection stays usable");
    assert_eq!(proxy.faults_injected().get("error500_after"), Some(&1));
    let log: Vec<(String, Option<&str>)> = proxy
        .requests()
        .into_iter()
        .map(|r| (r.action, r.fault))
        .collect();
    assert_eq!(
        log,
        vec![
            ("ec2:CreateVpc".to_string(), Some("error500_after")),
            ("ec2:DescribeVpcs".to_string(), None),
        ]
    );
    proxy.reset_counts();
    assert!(proxy.requests().is_empty());
}

#[tokio::test]
async fn filter_limits_faults_to_matching_actions_and_latency_is_added() {
    forge_e2e::require_emulator!("tests the fault proxy");
    let (upstream, _) = fake_upstream().await;
    let faults = FaultConfig::none()
        .with_errors(1.0)
        .only(ActionFilter::prefix("S3:PUT"));
    let proxy = Proxy::start(&upstream, faults).expect("proxy");
    let mut client = Client::connect(&proxy).await;
    let (status, _) = client
        .send(&ec2_request("DescribeVpcs"))
        .await
        .expect("answer");
    assert_eq!(status, 200, "ec2 is not filtered in");
    let put = "PUT /b/k HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx";
    let (status, body) = client.send(put).await.expect("answer");
    assert_eq!(status, 500);
    assert!(body.contains("<Code>InternalError</Code>"), "{body}");
    let get = "GET /b/k HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_eq!(client.send(get).await.expect("answer").0, 200);

    proxy.set_faults(FaultConfig::none().with_latency(Duration::from_millis(150), 1.0));
    let start = Instant::now();
    assert_eq!(client.send(get).await.expect("answer").0, 200);
    assert!(
        start.elapsed() >= Duration::from_millis(150),
        "latency was not added"
    );
    assert_eq!(proxy.faults_injected().get("latency"), Some(&1));
}

/// The injected errors have the wire shape the SDK recognises: it parses the
/// error code, and retries (the proxy sees every attempt).
#[tokio::test]
async fn sdk_sees_real_throttling_errors_and_retries_them() {
    forge_e2e::require_emulator!("tests the fault proxy");
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let proxy = Proxy::start(&emulator.endpoint, FaultConfig::none()).expect("proxy");
    let config = forge_e2e::sdk_config_for(&proxy.endpoint, "us-east-1").await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let s3 = forge_e2e::s3_client(&config);

    ec2.describe_vpcs().send().await.expect("through the proxy");
    s3.create_bucket()
        .bucket("forge-proxy")
        .send()
        .await
        .expect("CreateBucket through the proxy");
    assert_eq!(proxy.counts().get("ec2:DescribeVpcs"), Some(&1));
    assert_eq!(
        proxy.counts().get("S3:PUT forge-proxy"),
        Some(&1),
        "{:?}",
        proxy.counts()
    );

    proxy.set_faults(FaultConfig::none().with_throttle(1.0));
    proxy.reset_counts();
    let err = ec2
        .describe_vpcs()
        .send()
        .await
        .expect_err("always throttled");
    let code = aws_sdk_ec2::error::ProvideErrorMetadata::code(&err).map(str::to_string);
    assert_eq!(code.as_deref(), Some("RequestLimitExceeded"), "{err:?}");
    let attempts = proxy.counts().get("ec2:DescribeVpcs").copied().unwrap_or(0);
    assert_eq!(attempts, 3, "the SDK retries throttling (max attempts 3)");

    let err = s3
        .put_object()
        .bucket("forge-proxy")
        .key("k")
        .body(aws_sdk_s3::primitives::ByteStream::from_static(b"x"))
        .send()
        .await
        .expect_err("always slowed down");
    let code = aws_sdk_s3::error::ProvideErrorMetadata::code(&err).map(str::to_string);
    assert_eq!(code.as_deref(), Some("SlowDown"), "{err:?}");

    // 30% faults: retries get the calls through (a call fails only if all
    // three attempts fail, 2.7%; the seed makes this sequence fixed).
    proxy.set_faults(FaultConfig::throttle_and_errors(0.3, 1));
    proxy.reset_counts();
    let mut ok = 0;
    for _ in 0..10 {
        if ec2.describe_vpcs().send().await.is_ok() {
            ok += 1;
        }
    }
    let injected: u64 = proxy.faults_injected().values().sum();
    assert!(
        ok >= 9,
        "retries should absorb 30% faults, {ok}/10 succeeded"
    );
    assert_eq!(
        proxy.total(),
        ok + injected,
        "every attempt is either a success or an injected fault"
    );
}
