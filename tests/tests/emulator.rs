//! The emulator harness itself: start/reset/stop, and the moto gaps the
//! launcher patches (S3 conditional-write atomicity, ElastiCache deletes).

use aws_sdk_s3::primitives::ByteStream;
use forge_e2e::Emulator;
use std::collections::BTreeSet;
use tokio::task::JoinSet;

const REGION: &str = "us-east-1";

fn start() -> Emulator {
    match Emulator::start() {
        Ok(e) => e,
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn starts_answers_resets_and_is_private_to_the_test() {
    forge_e2e::require_emulator!(
        "tests the emulator harness itself (moto-api resets, unsigned queries, its patches)"
    );
    let a = start();
    let b = start();
    assert_ne!(a.port, b.port);
    assert!(a.endpoint.ends_with(&a.port.to_string()));
    let env: std::collections::BTreeMap<_, _> = a.env().into_iter().collect();
    assert_eq!(env.get("AWS_ENDPOINT_URL"), Some(&a.endpoint));
    assert_eq!(env.get("AWS_REGION").map(String::as_str), Some("us-east-1"));

    let ec2_a = a.ec2(REGION).await;
    let ec2_b = b.ec2(REGION).await;
    let vpc = ec2_a
        .create_vpc()
        .cidr_block("10.99.0.0/16")
        .send()
        .await
        .expect("CreateVpc")
        .vpc
        .and_then(|v| v.vpc_id)
        .expect("vpc id");

    let ids = |out: aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsOutput| {
        out.vpcs()
            .iter()
            .filter_map(|v| v.vpc_id.clone())
            .collect::<BTreeSet<_>>()
    };
    let in_a = ids(ec2_a.describe_vpcs().send().await.expect("describe a"));
    let in_b = ids(ec2_b.describe_vpcs().send().await.expect("describe b"));
    assert!(in_a.contains(&vpc));
    assert!(!in_b.contains(&vpc), "emulators must not share state");

    a.reset().expect("reset");
    let after = ids(ec2_a
        .describe_vpcs()
        .send()
        .await
        .expect("describe after reset"));
    assert!(!after.contains(&vpc), "reset must forget the VPC");
}

#[test]
fn drop_kills_the_server() {
    forge_e2e::require_emulator!(
        "tests the emulator harness itself (moto-api resets, unsigned queries, its patches)"
    );
    let emulator = start();
    let port = emulator.port;
    let pid = emulator.pid();
    drop(emulator);
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "server (pid {pid}) still listening on {port} after drop"
    );
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|s| s.contains(") Z")),
        "server process {pid} still alive after drop"
    );
}

async fn s3_with_bucket(emulator: &Emulator, bucket: &str) -> aws_sdk_s3::Client {
    let s3 = emulator.s3(REGION).await;
    s3.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .expect("CreateBucket");
    s3
}

fn status_of<E>(err: &aws_sdk_s3::error::SdkError<E>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}

const ROUNDS: usize = 20;
const WRITERS: usize = 24;

/// Issue 7: the lock object is taken with `If-None-Match: *`. Of many
/// concurrent takers exactly one may win, every round.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn s3_if_none_match_has_exactly_one_winner_per_round() {
    forge_e2e::require_emulator!(
        "tests the emulator harness itself (moto-api resets, unsigned queries, its patches)"
    );
    let emulator = start();
    let s3 = s3_with_bucket(&emulator, "forge-lock-race").await;
    for round in 0..ROUNDS {
        let key = format!("state/dev.json.lock-{round}");
        let mut set = JoinSet::new();
        for writer in 0..WRITERS {
            let s3 = s3.clone();
            let key = key.clone();
            set.spawn(async move {
                let res = s3
                    .put_object()
                    .bucket("forge-lock-race")
                    .key(&key)
                    .if_none_match("*")
                    .body(ByteStream::from(format!("writer-{writer}").into_bytes()))
                    .send()
                    .await;
                (writer, res.map(|_| ()).map_err(|e| status_of(&e)))
            });
        }
        let mut winners = Vec::new();
        while let Some(joined) = set.join_next().await {
            let (writer, res) = joined.expect("task");
            match res {
                Ok(()) => winners.push(writer),
                // 412 PreconditionFailed; real S3 may also say 409 ConditionalRequestConflict.
                Err(Some(412 | 409)) => {}
                Err(other) => panic!("round {round}: writer {writer} failed oddly: {other:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: winners {winners:?}");
        let body = s3
            .get_object()
            .bucket("forge-lock-race")
            .key(&key)
            .send()
            .await
            .expect("GetObject")
            .body
            .collect()
            .await
            .expect("body")
            .into_bytes();
        assert_eq!(body.as_ref(), format!("writer-{}", winners[0]).as_bytes());
    }
}

/// Issue 7: state writes are `If-Match: <etag read>` (compare-and-swap). Of
/// many writers holding the same ETag exactly one may win.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn s3_if_match_has_exactly_one_winner_per_round() {
    forge_e2e::require_emulator!(
        "tests the emulator harness itself (moto-api resets, unsigned queries, its patches)"
    );
    let emulator = start();
    let bucket = "forge-cas-race";
    let s3 = s3_with_bucket(&emulator, bucket).await;
    let key = "state/dev.json";
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from_static(b"serial-0"))
        .send()
        .await
        .expect("initial PutObject");
    for round in 0..ROUNDS {
        let etag = s3
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .expect("HeadObject")
            .e_tag
            .expect("etag");
        let mut set = JoinSet::new();
        for writer in 0..WRITERS {
            let s3 = s3.clone();
            let etag = etag.clone();
            set.spawn(async move {
                let res = s3
                    .put_object()
                    .bucket(bucket)
                    .key(key)
                    .if_match(etag)
                    .body(ByteStream::from(
                        format!("round-{round}-writer-{writer}").into_bytes(),
                    ))
                    .send()
                    .await;
                (writer, res.map(|_| ()).map_err(|e| status_of(&e)))
            });
        }
        let mut winners = Vec::new();
        while let Some(joined) = set.join_next().await {
            let (writer, res) = joined.expect("task");
            match res {
                Ok(()) => winners.push(writer),
                Err(Some(412 | 409)) => {}
                Err(other) => panic!("round {round}: writer {writer} failed oddly: {other:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: winners {winners:?}");
    }
}

/// Issue 7: "20 concurrent writers doing CAS on the state lose no update",
/// at the storage level: each writer increments a counter with
/// read-ETag / PutObject-If-Match / retry-on-412.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn s3_cas_counter_loses_no_update() {
    forge_e2e::require_emulator!(
        "tests the emulator harness itself (moto-api resets, unsigned queries, its patches)"
    );
    const CAS_WRITERS: u64 = 20;
    const INCREMENTS: u64 = 5;
    let emulator = start();
    let bucket = "forge-cas-counter";
    let s3 = s3_with_bucket(&emulator, bucket).await;
    s3.put_object()
        .bucket(bucket)
        .key("counter")
        .body(ByteStream::from_static(b"0"))
        .send()
        .await
        .expect("initial PutObject");
    let mut set = JoinSet::new();
    for _ in 0..CAS_WRITERS {
        let s3 = s3.clone();
        set.spawn(async move {
            let mut conflicts = 0u64;
            for _ in 0..INCREMENTS {
                loop {
                    let got = s3
                        .get_object()
                        .bucket(bucket)
                        .key("counter")
                        .send()
                        .await
                        .expect("GetObject");
                    let etag = got.e_tag.clone().expect("etag");
                    let bytes = got.body.collect().await.expect("body").into_bytes();
                    let n: u64 = std::str::from_utf8(&bytes)
                        .expect("utf8")
                        .parse()
                        .expect("number");
                    let put = s3
                        .put_object()
                        .bucket(bucket)
                        .key("counter")
                        .if_match(etag)
                        .body(ByteStream::from((n + 1).to_string().into_bytes()))
                        .send()
                        .await;
                    match put {
                        Ok(_) => break,
                        Err(e) if matches!(status_of(&e), Some(412 | 409)) => conflicts += 1,
                        Err(e) => panic!("PutObject failed oddly: {e:?}"),
                    }
                }
            }
            conflicts
        });
    }
    let mut conflicts = 0;
    while let Some(joined) = set.join_next().await {
        conflicts += joined.expect("task");
    }
    let bytes = s3
        .get_object()
        .bucket(bucket)
        .key("counter")
        .send()
        .await
        .expect("GetObject")
        .body
        .collect()
        .await
        .expect("body")
        .into_bytes();
    assert_eq!(
        std::str::from_utf8(&bytes).expect("utf8"),
        (CAS_WRITERS * INCREMENTS).to_string(),
        "lost updates ({conflicts} conflicts were retried)"
    );
    assert!(
        conflicts > 0,
        "writers never collided: the test proved nothing"
    );
}

/// Issue 7: releasing the lock deletes it only if it is still ours
/// (`DeleteObject` with `If-Match`).
#[tokio::test]
async fn s3_conditional_delete_checks_the_etag() {
    forge_e2e::require_emulator!(
        "tests the emulator harness itself (moto-api resets, unsigned queries, its patches)"
    );
    let emulator = start();
    let bucket = "forge-cond-delete";
    let s3 = s3_with_bucket(&emulator, bucket).await;
    let etag = s3
        .put_object()
        .bucket(bucket)
        .key("k.lock")
        .body(ByteStream::from_static(b"mine"))
        .send()
        .await
        .expect("PutObject")
        .e_tag
        .expect("etag");
    let wrong = s3
        .delete_object()
        .bucket(bucket)
        .key("k.lock")
        .if_match("\"0123456789abcdef0123456789abcdef\"")
        .send()
        .await
        .expect_err("delete with a stale ETag must fail");
    assert_eq!(status_of(&wrong), Some(412));
    s3.delete_object()
        .bucket(bucket)
        .key("k.lock")
        .if_match(etag)
        .send()
        .await
        .expect("delete with the right ETag");
    let gone = s3.head_object().bucket(bucket).key("k.lock").send().await;
    assert_eq!(gone.err().as_ref().and_then(status_of), Some(404));
}

/// Patched gaps: DeleteReplicationGroup finishes (gone after a describe) and
/// DeleteCacheSubnetGroup exists.
#[test]
fn elasticache_deletes_finish() {
    forge_e2e::require_emulator!(
        "tests the emulator harness itself (moto-api resets, unsigned queries, its patches)"
    );
    let emulator = start();
    let call = |form: &str| {
        let (status, body) = emulator.query("elasticache", form).expect("query");
        (status, body)
    };
    let (status, body) = call(
        "Action=CreateCacheSubnetGroup&Version=2015-02-02&CacheSubnetGroupName=forge-cache\
         &CacheSubnetGroupDescription=d&SubnetIds.member.1=subnet-12345678",
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(
        "Action=CreateReplicationGroup&Version=2015-02-02&ReplicationGroupId=forge-redis\
         &ReplicationGroupDescription=d&Engine=redis&CacheNodeType=cache.t3.micro&NumCacheClusters=1",
    );
    assert_eq!(status, 200, "{body}");

    let (status, body) =
        call("Action=DeleteReplicationGroup&Version=2015-02-02&ReplicationGroupId=forge-redis");
    assert_eq!(status, 200, "{body}");
    let describe =
        "Action=DescribeReplicationGroups&Version=2015-02-02&ReplicationGroupId=forge-redis";
    let (status, body) = call(describe);
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("deleting"),
        "first describe shows deleting: {body}"
    );
    let (status, body) = call(describe);
    assert_eq!(status, 404, "then it is gone: {body}");
    assert!(body.contains("ReplicationGroupNotFoundFault"), "{body}");

    let delete_sg =
        "Action=DeleteCacheSubnetGroup&Version=2015-02-02&CacheSubnetGroupName=forge-cache";
    let (status, body) = call(delete_sg);
    assert_eq!(status, 200, "{body}");
    let (status, body) = call(delete_sg);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("CacheSubnetGroupNotFoundFault"), "{body}");
}
