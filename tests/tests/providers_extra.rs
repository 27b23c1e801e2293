//! The monitoring and replication additions against the emulator, through
//! the provider API: `aws.cloudwatch.metric_alarm` (create, read back with
//! aws-sdk-cloudwatch, batched observe, no-op re-plan, in-place update,
//! replacement on rename, orphan lookup by tags, delete and gone) and
//! `aws.s3.bucket`'s `replication_configuration` to a versioned bucket in a
//! second region with a KMS replica key (create, read back with
//! GetBucketReplication, no-op re-plan, rule update, versioning refusals,
//! removal, delete). Through the counting proxy: an observe of many
//! alarms is one DescribeAlarms plus a tag read per alarm, and an orphan
//! lookup one GetResources.

#![allow(clippy::unwrap_used)]

use forge_core::{Attrs, Value};
use forge_e2e::provider_world::create_read;
use forge_e2e::provider_world::{Scope, normalized, unmarked};
use forge_e2e::{ProviderWorld, Proxy};
use forge_engine::{PlannedAction, Provider};

const PRIMARY: &str = "eu-central-1";
const SECONDARY: &str = "ap-southeast-1";
const STACK: &str = "extra-test";

async fn world() -> ProviderWorld {
    // us-east-1: where the bucket kind looks up a destination's region.
    ProviderWorld::start(&[PRIMARY, SECONDARY, "us-east-1"], &[]).await
}

/// This stack in `region`.
fn at(region: &'static str) -> Scope {
    Scope {
        stack: STACK,
        region,
    }
}

/// The spec as the engine hands it to `plan`: defaults filled, normalized.
fn desired(p: &dyn Provider, spec: serde_json::Value) -> Attrs {
    normalized(p, spec)
}

/// Plans, checks the plan is an in-place update touching `field`, runs it
/// (the result: some updates are refused).
async fn update(
    p: &dyn Provider,
    region: &'static str,
    address: &str,
    id: &str,
    spec: &Attrs,
    field: &str,
) -> Result<Attrs, forge_engine::ProviderError> {
    let (live, planned) = at(region).plan(p, id, spec, PlannedAction::Update).await;
    assert!(
        planned.changes.iter().any(|c| c.path.starts_with(field)),
        "no change to {field}: {:?}",
        planned.changes
    );
    p.update(
        &at(region).ctx(address),
        id,
        &unmarked(&live),
        &unmarked(spec),
        &planned.changes,
    )
    .await
}

fn cpu_alarm(name: &str, threshold: f64) -> serde_json::Value {
    serde_json::json!({
        "alarm_name": name,
        "alarm_description": "API service CPU above threshold",
        "namespace": "AWS/ECS",
        "metric_name": "CPUUtilization",
        "dimensions": {"ServiceName": "api", "ClusterName": "ai-tools"},
        "statistic": "Average",
        "period": 60,
        "evaluation_periods": 3,
        "datapoints_to_alarm": 2,
        "threshold": threshold,
        "comparison_operator": "GreaterThanThreshold",
        "alarm_actions": ["arn:aws:sns:eu-central-1:123456789012:oncall", "arn:aws:sns:eu-central-1:123456789012:chat"],
        "ok_actions": ["arn:aws:sns:eu-central-1:123456789012:chat"],
        "tags": {"team": "api"}
    })
}

#[tokio::test]
async fn metric_alarm_lifecycle() {
    let w = world().await;
    let p = forge_aws::kind::KindProvider::<forge_aws::cloudwatch::MetricAlarmKind>::new(
        w.clients.clone(),
    );
    let spec = desired(&p, cpu_alarm("ai-tools-api-cpu", 80.0));
    let created = create_read(&p, &at(PRIMARY).ctx("api_cpu"), &spec, "t")
        .await
        .unwrap();
    assert_eq!(created.id, "ai-tools-api-cpu");
    assert_eq!(
        created.attrs["arn"],
        Value::from("arn:aws:cloudwatch:eu-central-1:123456789012:alarm:ai-tools-api-cpu")
    );

    // Read back independently.
    let cw = aws_sdk_cloudwatch::Client::new(&w.emu.sdk_config(PRIMARY).await);
    let described = cw
        .describe_alarms()
        .alarm_names("ai-tools-api-cpu")
        .send()
        .await
        .unwrap();
    let alarm = &described.metric_alarms()[0];
    assert_eq!(alarm.namespace(), Some("AWS/ECS"));
    assert_eq!(alarm.threshold(), Some(80.0));
    assert_eq!(alarm.evaluation_periods(), Some(3));
    assert_eq!(alarm.datapoints_to_alarm(), Some(2));
    assert_eq!(alarm.treat_missing_data(), Some("missing"));
    assert_eq!(alarm.actions_enabled(), Some(true));
    assert_eq!(alarm.alarm_actions().len(), 2);
    let mut dims: Vec<(String, String)> = alarm
        .dimensions()
        .iter()
        .map(|d| {
            (
                d.name().unwrap().to_string(),
                d.value().unwrap().to_string(),
            )
        })
        .collect();
    dims.sort();
    assert_eq!(
        dims,
        [
            ("ClusterName".to_string(), "ai-tools".to_string()),
            ("ServiceName".to_string(), "api".to_string())
        ]
    );
    let tags = cw
        .list_tags_for_resource()
        .resource_arn(alarm.alarm_arn().unwrap())
        .send()
        .await
        .unwrap();
    let tag = |k: &str| {
        tags.tags()
            .iter()
            .find(|t| t.key() == Some(k))
            .and_then(|t| t.value())
            .map(str::to_string)
    };
    assert_eq!(tag("team").as_deref(), Some("api"));
    assert_eq!(tag("forge:stack").as_deref(), Some(STACK));
    assert_eq!(tag("forge:address").as_deref(), Some("api_cpu"));

    // Re-plan is a no-op (action order, 80 vs 80.0, defaults).
    at(PRIMARY).assert_noop(&p, &created.id, &spec).await;

    // A second alarm (percentile statistic): one observe reads both.
    let latency = desired(
        &p,
        serde_json::json!({
            "alarm_name": "ai-tools-alb-latency-p99",
            "namespace": "AWS/ApplicationELB",
            "metric_name": "TargetResponseTime",
            "dimensions": {"LoadBalancer": "app/ai-tools/0123456789abcdef"},
            "extended_statistic": "p99",
            "period": 300,
            "evaluation_periods": 1,
            "threshold": 1.5,
            "comparison_operator": "GreaterThanOrEqualToThreshold",
            "treat_missing_data": "notBreaching",
            "unit": "Seconds"
        }),
    );
    let second = create_read(&p, &at(PRIMARY).ctx("alb_latency"), &latency, "t")
        .await
        .unwrap();
    let both = p
        .observe(
            &at(PRIMARY).octx(),
            &[
                created.id.clone(),
                second.id.clone(),
                "no-such-alarm".into(),
            ],
        )
        .await
        .unwrap();
    assert_eq!(both.len(), 2, "{both:?}");
    at(PRIMARY).assert_noop(&p, &second.id, &latency).await;

    // In place: threshold and a tag.
    let mut changed = cpu_alarm("ai-tools-api-cpu", 90.0);
    changed["tags"] = serde_json::json!({"team": "platform"});
    let changed = desired(&p, changed);
    let after = update(&p, PRIMARY, "api_cpu", &created.id, &changed, "threshold")
        .await
        .unwrap();
    assert_eq!(after["threshold"], Value::int(90));
    let alarm = cw
        .describe_alarms()
        .alarm_names("ai-tools-api-cpu")
        .send()
        .await
        .unwrap()
        .metric_alarms()[0]
        .clone();
    assert_eq!(alarm.threshold(), Some(90.0));
    // The rest of the definition survived the full PutMetricAlarm.
    assert_eq!(alarm.datapoints_to_alarm(), Some(2));
    assert_eq!(alarm.ok_actions().len(), 1);
    at(PRIMARY).assert_noop(&p, &created.id, &changed).await;
    let live = at(PRIMARY).observe(&p, &created.id).await.unwrap();
    assert_eq!(live["tags"].get("team"), Some(&Value::from("platform")));

    // Renaming forces a replacement.
    let renamed = desired(&p, cpu_alarm("ai-tools-api-cpu-high", 90.0));
    let (_, planned) = at(PRIMARY).planned(&p, &created.id, &renamed).await;
    assert_eq!(planned.action, PlannedAction::Replace);
    assert!(
        planned
            .changes
            .iter()
            .any(|c| c.path == "alarm_name" && c.forces_replacement)
    );

    // Orphan lookup and the drift listing find alarms by their tags.
    let orphan = p
        .find_orphan(&at(PRIMARY).ctx("api_cpu"), "t")
        .await
        .unwrap()
        .expect("adopted by tags");
    assert_eq!(orphan.id, created.id);
    let mut listed = p.list_tagged(&at(PRIMARY).octx()).await.unwrap();
    listed.sort();
    assert_eq!(
        listed,
        [
            (
                "ai-tools-alb-latency-p99".to_string(),
                Some("alb_latency".to_string())
            ),
            ("ai-tools-api-cpu".to_string(), Some("api_cpu".to_string())),
        ]
    );

    // An alarm of the same name is not overwritten: not by this state
    // under another address, nor by another state.
    let err = create_read(&p, &at(PRIMARY).ctx("other"), &spec, "t")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("belongs to this state under another address (not other)"),
        "{err}"
    );
    let err = create_read(
        &p,
        &forge_e2e::provider_world::ctx_in("another-stack", PRIMARY, "api_cpu"),
        &spec,
        "t",
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("it is owned by state lineage-of-extra-test"),
        "{err}"
    );

    // Neither or both statistics: refused before any call.
    let mut both_stats = cpu_alarm("bad", 1.0);
    both_stats["extended_statistic"] = serde_json::json!("p90");
    let err = create_read(&p, &at(PRIMARY).ctx("bad"), &desired(&p, both_stats), "t")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("only one of"), "{err}");

    at(PRIMARY)
        .delete_and_gone(&p, "api_cpu", &created.id)
        .await;
    at(PRIMARY)
        .delete_and_gone(&p, "alb_latency", &second.id)
        .await;

    // CloudWatch's errors reach forge typed (through the harness's CBOR
    // translation): tagging the deleted alarm is a not-found API error.
    let mut retag = cpu_alarm("ai-tools-api-cpu", 90.0);
    retag["tags"] = serde_json::json!({"team": "data"});
    let retag = desired(&p, retag);
    let err = p
        .update(&at(PRIMARY).ctx("api_cpu"), &created.id, &live, &retag, &[])
        .await
        .unwrap_err();
    match err {
        forge_engine::ProviderError::Api { ref code, .. } => {
            assert!(code.starts_with("ResourceNotFound"), "{err}")
        }
        other => panic!("expected an API error, got {other}"),
    }
    // A definition change on an alarm deleted behind forge's back (between
    // refresh and update) recreates it owned: the Put carries forge's tags.
    let back = p
        .update(&at(PRIMARY).ctx("api_cpu"), &created.id, &live, &spec, &[])
        .await
        .unwrap();
    assert_eq!(back["threshold"], Value::int(80));
    let listed = p.list_tagged(&at(PRIMARY).octx()).await.unwrap();
    assert_eq!(
        listed,
        [("ai-tools-api-cpu".to_string(), Some("api_cpu".to_string()))]
    );
    at(PRIMARY)
        .delete_and_gone(&p, "api_cpu", &created.id)
        .await;
    assert!(
        cw.describe_alarms()
            .send()
            .await
            .unwrap()
            .metric_alarms()
            .is_empty()
    );
}

/// Requests per operation name (the counting proxy's keys end with it:
/// `tagging:GetResources`, `monitoring:POST /service/.../operation/DescribeAlarms`).
fn count(proxy: &Proxy, operation: &str) -> u64 {
    proxy
        .counts()
        .iter()
        .filter(|(k, _)| {
            k.ends_with(&format!(":{operation}")) || k.ends_with(&format!("/{operation}"))
        })
        .map(|(_, n)| n)
        .sum()
}

#[tokio::test]
async fn metric_alarm_observe_is_batched() {
    let w = ProviderWorld::start_counted(&[PRIMARY], &[]).await;
    let proxy = w.proxy();
    let p = forge_aws::kind::KindProvider::<forge_aws::cloudwatch::MetricAlarmKind>::new(
        w.clients.clone(),
    );
    let mut names = Vec::new();
    for i in 0..12 {
        let name = format!("ai-tools-alarm-{i:02}");
        let spec = desired(&p, cpu_alarm(&name, 50.0 + f64::from(i)));
        create_read(&p, &at(PRIMARY).ctx(&format!("alarm[{i}]")), &spec, "t")
            .await
            .unwrap();
        names.push(name);
    }

    proxy.reset_counts();
    let seen = p.observe(&at(PRIMARY).octx(), &names).await.unwrap();
    assert_eq!(seen.len(), 12);
    assert_eq!(count(proxy, "DescribeAlarms"), 1, "{:?}", proxy.counts());
    assert_eq!(
        count(proxy, "ListTagsForResource"),
        12,
        "{:?}",
        proxy.counts()
    );
    assert_eq!(proxy.total(), 13, "{:?}", proxy.counts());

    proxy.reset_counts();
    let orphan = p
        .find_orphan(&at(PRIMARY).ctx("alarm[7]"), "t")
        .await
        .unwrap()
        .expect("found by tags");
    assert_eq!(orphan.id, "ai-tools-alarm-07");
    assert_eq!(count(proxy, "GetResources"), 1, "{:?}", proxy.counts());
    assert_eq!(count(proxy, "DescribeAlarms"), 1, "{:?}", proxy.counts());
    assert_eq!(proxy.total(), 3, "{:?}", proxy.counts());
}

fn replica_bucket(name: &str, versioning: &str) -> serde_json::Value {
    serde_json::json!({"bucket": name, "versioning": versioning})
}

fn replicated_source(key_arn: &str, storage_class: &str) -> serde_json::Value {
    serde_json::json!({
        "bucket": "ai-tools-artifacts",
        "versioning": "Enabled",
        "server_side_encryption": {"sse_algorithm": "aws:kms", "kms_master_key_id": "alias/aws/s3"},
        "replication_configuration": {
            "role": "arn:aws:iam::123456789012:role/ai-tools-s3-replication",
            "rules": [
                {
                    "id": "artifacts",
                    "priority": 1,
                    "filter": {"prefix": "artifacts/"},
                    "destination": {
                        "bucket": "arn:aws:s3:::ai-tools-artifacts-replica",
                        "storage_class": storage_class,
                        "encryption_configuration": {"replica_kms_key_id": key_arn}
                    },
                    "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}}
                },
                {
                    "id": "everything",
                    "destination": {"bucket": "arn:aws:s3:::ai-tools-artifacts-replica"}
                }
            ]
        },
        "force_destroy": true
    })
}

#[tokio::test]
async fn bucket_replication_to_a_second_region() {
    let w = world().await;
    let p = forge_aws::kind::KindProvider::<forge_aws::s3::BucketKind>::new(w.clients.clone());

    // The replica side: a versioned bucket and a KMS key in the secondary
    // region.
    let kms = aws_sdk_kms::Client::new(&w.emu.sdk_config(SECONDARY).await);
    let key_arn = kms
        .create_key()
        .description("replica key")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .arn
        .unwrap();
    let replica_spec = desired(&p, replica_bucket("ai-tools-artifacts-replica", "Enabled"));
    let replica = create_read(&p, &at(SECONDARY).ctx("replica"), &replica_spec, "t")
        .await
        .unwrap();
    assert_eq!(replica.attrs["region"], Value::from(SECONDARY));

    // The source, replicating to it.
    let spec = desired(&p, replicated_source(&key_arn, "STANDARD_IA"));
    let source = create_read(&p, &at(PRIMARY).ctx("artifacts"), &spec, "t")
        .await
        .unwrap();

    let s3 = w.emu.s3(PRIMARY).await;
    let conf = s3
        .get_bucket_replication()
        .bucket(&source.id)
        .send()
        .await
        .unwrap()
        .replication_configuration
        .unwrap();
    assert_eq!(
        conf.role(),
        "arn:aws:iam::123456789012:role/ai-tools-s3-replication"
    );
    assert_eq!(conf.rules().len(), 2);
    let rule = conf
        .rules()
        .iter()
        .find(|r| r.id() == Some("artifacts"))
        .unwrap();
    assert_eq!(rule.priority(), Some(1));
    assert_eq!(rule.filter().and_then(|f| f.prefix()), Some("artifacts/"));
    let dest = rule.destination().unwrap();
    assert_eq!(dest.bucket(), "arn:aws:s3:::ai-tools-artifacts-replica");
    assert_eq!(
        dest.storage_class().map(|s| s.as_str()),
        Some("STANDARD_IA")
    );
    assert_eq!(
        dest.encryption_configuration()
            .and_then(|e| e.replica_kms_key_id()),
        Some(key_arn.as_str())
    );
    assert_eq!(
        rule.source_selection_criteria()
            .and_then(|c| c.sse_kms_encrypted_objects())
            .map(|s| s.status().as_str()),
        Some("Enabled")
    );
    let everything = conf
        .rules()
        .iter()
        .find(|r| r.id() == Some("everything"))
        .unwrap();
    assert_eq!(everything.priority(), Some(0));
    assert_eq!(
        everything
            .delete_marker_replication()
            .and_then(|d| d.status())
            .map(|s| s.as_str()),
        Some("Disabled")
    );

    // Re-plan: nothing to do, S3's echoed defaults included.
    at(PRIMARY).assert_noop(&p, &source.id, &spec).await;
    at(SECONDARY)
        .assert_noop(&p, &replica.id, &replica_spec)
        .await;

    // Update one rule in place.
    let changed = desired(&p, replicated_source(&key_arn, "GLACIER"));
    update(
        &p,
        PRIMARY,
        "artifacts",
        &source.id,
        &changed,
        "replication_configuration",
    )
    .await
    .unwrap();
    let conf = s3
        .get_bucket_replication()
        .bucket(&source.id)
        .send()
        .await
        .unwrap()
        .replication_configuration
        .unwrap();
    let rule = conf
        .rules()
        .iter()
        .find(|r| r.id() == Some("artifacts"))
        .unwrap();
    assert_eq!(
        rule.destination()
            .and_then(|d| d.storage_class())
            .map(|s| s.as_str()),
        Some("GLACIER")
    );
    at(PRIMARY).assert_noop(&p, &source.id, &changed).await;

    // Versioning is required on both sides: clear refusals, nothing sent.
    let unversioned = desired(&p, replica_bucket("ai-tools-unversioned", "Suspended"));
    create_read(&p, &at(SECONDARY).ctx("unversioned"), &unversioned, "t")
        .await
        .unwrap();
    let mut to_unversioned = replicated_source(&key_arn, "GLACIER");
    to_unversioned["replication_configuration"]["rules"][1]["destination"]["bucket"] =
        serde_json::json!("arn:aws:s3:::ai-tools-unversioned");
    let err = update(
        &p,
        PRIMARY,
        "artifacts",
        &source.id,
        &desired(&p, to_unversioned),
        "replication_configuration",
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains(
            "destination bucket ai-tools-unversioned (ap-southeast-1) must have versioning Enabled"
        ),
        "{err}"
    );
    let mut source_suspended = replicated_source(&key_arn, "STANDARD_IA");
    source_suspended["bucket"] = serde_json::json!("ai-tools-models");
    source_suspended["versioning"] = serde_json::json!("Suspended");
    let err = create_read(
        &p,
        &at(PRIMARY).ctx("models"),
        &desired(&p, source_suspended),
        "t",
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("replication_configuration needs `versioning: Enabled`"),
        "{err}"
    );
    // Refused before CreateBucket: no bucket left behind.
    assert!(at(PRIMARY).observe(&p, "ai-tools-models").await.is_none());
    // Nothing half-applied on the live source.
    at(PRIMARY).assert_noop(&p, &source.id, &changed).await;

    // Remove replication.
    let mut without = replicated_source(&key_arn, "GLACIER");
    without
        .as_object_mut()
        .unwrap()
        .remove("replication_configuration");
    let without = desired(&p, without);
    update(
        &p,
        PRIMARY,
        "artifacts",
        &source.id,
        &without,
        "replication_configuration",
    )
    .await
    .unwrap();
    let err = s3
        .get_bucket_replication()
        .bucket(&source.id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_s3::error::ProvideErrorMetadata::code(&err),
        Some("ReplicationConfigurationNotFoundError")
    );
    at(PRIMARY).assert_noop(&p, &source.id, &without).await;

    at(PRIMARY)
        .delete_and_gone(&p, "artifacts", &source.id)
        .await;
    at(SECONDARY)
        .delete_and_gone(&p, "replica", &replica.id)
        .await;
    at(SECONDARY)
        .delete_and_gone(&p, "unversioned", "ai-tools-unversioned")
        .await;
}
