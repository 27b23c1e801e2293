//! `aws.sns.topic` and `aws.sns.subscription` against the emulator,
//! through the provider API, every step confirmed through aws-sdk-sns:
//! create, read back, no-op re-plan, in-place update (display name,
//! policy, tags; raw delivery and filter policy), forced replacement,
//! orphan lookup and the drift listing, refusal of another state's (or
//! nobody's) topic of the same name, delete and a second delete.
//!
//! The emulator confirms every subscription at once (no email is sent),
//! so pending confirmation is covered by the kind's unit tests.

#![allow(clippy::unwrap_used)]

use aws_sdk_sns::Client;
use forge_aws::kind::KindProvider;
use forge_aws::sns::{SubscriptionKind, TopicKind};
use forge_core::{Attrs, Value};
use forge_e2e::ProviderWorld;
use forge_e2e::provider_world::{self, assert_noop_plan, normalized, octx_in};
use forge_engine::{PlannedAction, PlannedChange, Provider, ResourceCtx};
use std::collections::HashMap;

const REGION: &str = "eu-central-1";
const STACK: &str = "sns-test";

fn ctx(address: &str) -> ResourceCtx {
    provider_world::ctx_in(STACK, REGION, address)
}

async fn observe(p: &dyn Provider, id: &str) -> Option<Attrs> {
    p.observe(&octx_in(STACK, REGION), &[id.to_string()])
        .await
        .unwrap()
        .remove(id)
}

async fn plan(p: &dyn Provider, id: &str, spec: &Attrs) -> (Attrs, PlannedChange) {
    let live = observe(p, id).await.expect("resource exists");
    let planned = p.plan(Some(&live), spec);
    (live, planned)
}

/// Plans an in-place update touching every one of `fields`, runs it.
async fn update(p: &dyn Provider, address: &str, id: &str, spec: &Attrs, fields: &[&str]) {
    let (live, planned) = plan(p, id, spec).await;
    assert_eq!(
        planned.action,
        PlannedAction::Update,
        "{:?}",
        planned.changes
    );
    for f in fields {
        assert!(
            planned.changes.iter().any(|c| c.path.starts_with(f)),
            "no change to {f}: {:?}",
            planned.changes
        );
    }
    p.update(&ctx(address), id, &live, spec, &planned.changes)
        .await
        .unwrap();
    let (_, again) = plan(p, id, spec).await;
    assert_noop_plan(p, &again);
}

async fn topic_attributes(sns: &Client, arn: &str) -> Option<HashMap<String, String>> {
    match sns.get_topic_attributes().topic_arn(arn).send().await {
        Ok(out) => Some(out.attributes().cloned().unwrap_or_default()),
        Err(e) => {
            let text = format!("{e:?}");
            assert!(text.contains("NotFound"), "GetTopicAttributes: {text}");
            None
        }
    }
}

async fn topic_tags(sns: &Client, arn: &str) -> HashMap<String, String> {
    let out = sns
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    out.tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

async fn topic_names(sns: &Client) -> Vec<String> {
    let out = sns.list_topics().send().await.unwrap();
    out.topics()
        .iter()
        .filter_map(|t| t.topic_arn())
        .map(|a| a.rsplit(':').next().unwrap_or_default().to_string())
        .collect()
}

fn publish_policy(account_principal: &str) -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "alarms",
            "Effect": "Allow",
            "Principal": {"Service": account_principal},
            "Action": ["sns:Publish"],
            "Resource": "*"
        }]
    })
}

#[tokio::test]
async fn topic_lifecycle() {
    let w = ProviderWorld::start(&[REGION], &[]).await;
    let p = KindProvider::<TopicKind>::new(w.clients.clone());
    let sns = Client::new(&w.config);
    let key = w.kms_key_arn().await;

    let spec = |name: &str, display: &str, team: &str, principal: &str| {
        normalized(
            &p,
            serde_json::json!({
                "name": name,
                "display_name": display,
                "kms_master_key_id": key,
                "policy": publish_policy(principal),
                "tags": {"team": team},
            }),
        )
    };
    let first = spec("alerts", "Alerts", "ops", "cloudwatch.amazonaws.com");
    let created = p.create(&ctx("alerts"), &first, "t").await.unwrap();
    let arn = "arn:aws:sns:eu-central-1:123456789012:alerts";
    assert_eq!(created.id, arn);
    assert_eq!(created.attrs["arn"], Value::from(arn));

    // Read back through the SDK: attributes, policy, user and system tags.
    let a = topic_attributes(&sns, arn).await.unwrap();
    assert_eq!(a.get("DisplayName").map(String::as_str), Some("Alerts"));
    assert_eq!(a.get("KmsMasterKeyId"), Some(&key));
    assert!(
        a["Policy"].contains("cloudwatch.amazonaws.com"),
        "{}",
        a["Policy"]
    );
    let tags = topic_tags(&sns, arn).await;
    assert_eq!(tags.get("team").map(String::as_str), Some("ops"));
    assert_eq!(
        tags.get("forge:state").map(String::as_str),
        Some("lineage-of-sns-test")
    );
    assert_eq!(
        tags.get("forge:address").map(String::as_str),
        Some("alerts")
    );

    // Re-planned against what is live: nothing to do.
    let (_, planned) = plan(&p, arn, &first).await;
    assert_noop_plan(&p, &planned);
    // Unset, the policy is whatever SNS has: no perpetual diff.
    let mut no_policy = first.clone();
    no_policy.remove("policy");
    let (_, planned) = plan(&p, arn, &no_policy).await;
    assert_noop_plan(&p, &planned);

    // In place: display name, policy and tags.
    let second = spec(
        "alerts",
        "Alerts (prod)",
        "platform",
        "events.amazonaws.com",
    );
    update(
        &p,
        "alerts",
        arn,
        &second,
        &["display_name", "policy", "tags"],
    )
    .await;
    let a = topic_attributes(&sns, arn).await.unwrap();
    assert_eq!(
        a.get("DisplayName").map(String::as_str),
        Some("Alerts (prod)")
    );
    assert!(
        a["Policy"].contains("events.amazonaws.com"),
        "{}",
        a["Policy"]
    );
    let tags = topic_tags(&sns, arn).await;
    assert_eq!(tags.get("team").map(String::as_str), Some("platform"));
    assert!(
        tags.contains_key("forge:state"),
        "system tags kept: {tags:?}"
    );

    // Removing encryption is an update too.
    let mut plain = second.clone();
    plain.remove("kms_master_key_id");
    update(&p, "alerts", arn, &plain, &["kms_master_key_id"]).await;
    let a = topic_attributes(&sns, arn).await.unwrap();
    assert_eq!(a.get("KmsMasterKeyId").filter(|k| !k.is_empty()), None);

    // A new name replaces the topic.
    let renamed = spec("alerts-v2", "Alerts", "ops", "cloudwatch.amazonaws.com");
    let (_, planned) = plan(&p, arn, &renamed).await;
    assert_eq!(planned.action, PlannedAction::Replace);
    assert!(
        planned
            .changes
            .iter()
            .any(|c| c.path == "name" && c.forces_replacement)
    );

    // Orphan lookup and the drift listing find it by its ownership tags;
    // a create repeated after a lost answer takes it back.
    let orphan = p.find_orphan(&ctx("alerts"), "t").await.unwrap().unwrap();
    assert_eq!(orphan.id, arn);
    let listed = p.list_tagged(&octx_in(STACK, REGION)).await.unwrap();
    assert_eq!(listed, vec![(arn.to_string(), Some("alerts".to_string()))]);
    let again = p.create(&ctx("alerts"), &plain, "t").await.unwrap();
    assert_eq!(again.id, arn);

    // The same name is refused under another address, to another state,
    // and when nobody owns the topic; none of them is touched.
    let err = p.create(&ctx("other"), &plain, "t").await.unwrap_err();
    assert!(
        err.to_string()
            .contains("belongs to this state under another address (not other)"),
        "{err}"
    );
    let theirs = provider_world::ctx_in("another-stack", REGION, "alerts");
    let err = p.create(&theirs, &plain, "t").await.unwrap_err();
    assert!(
        err.to_string()
            .contains("it is owned by state lineage-of-sns-test"),
        "{err}"
    );
    sns.create_topic().name("handmade").send().await.unwrap();
    let handmade = spec("handmade", "x", "ops", "cloudwatch.amazonaws.com");
    let err = p
        .create(&ctx("handmade"), &handmade, "t")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("not managed by any forge state"),
        "{err}"
    );
    let handmade_arn = "arn:aws:sns:eu-central-1:123456789012:handmade";
    assert!(topic_tags(&sns, handmade_arn).await.is_empty());
    assert!(
        p.list_tagged(&octx_in("another-stack", REGION))
            .await
            .unwrap()
            .is_empty()
    );

    // FIFO: the name must say so, checked before any call.
    let bad = normalized(
        &p,
        serde_json::json!({"name": "orders", "fifo_topic": true}),
    );
    let err = p.create(&ctx("orders"), &bad, "t").await.unwrap_err();
    assert!(err.to_string().contains("must end in `.fifo`"), "{err}");
    assert!(!topic_names(&sns).await.contains(&"orders".to_string()));
    let fifo = normalized(
        &p,
        serde_json::json!({"name": "orders.fifo", "fifo_topic": true, "content_based_deduplication": true}),
    );
    let made = p.create(&ctx("orders"), &fifo, "t").await.unwrap();
    let a = topic_attributes(&sns, &made.id).await.unwrap();
    assert_eq!(a.get("FifoTopic").map(String::as_str), Some("true"));
    assert_eq!(
        a.get("ContentBasedDeduplication").map(String::as_str),
        Some("true")
    );
    let (_, planned) = plan(&p, &made.id, &fifo).await;
    assert_noop_plan(&p, &planned);

    // Delete, confirmed through the SDK; deleting again is success.
    for id in [arn, made.id.as_str()] {
        let live = observe(&p, id).await.unwrap();
        p.delete(&ctx("alerts"), id, &live).await.unwrap();
        assert!(
            topic_attributes(&sns, id).await.is_none(),
            "{id} still there"
        );
        assert!(observe(&p, id).await.is_none());
        p.delete(&ctx("alerts"), id, &live).await.unwrap();
    }
}

#[tokio::test]
async fn subscription_lifecycle() {
    let w = ProviderWorld::start(&[REGION], &[]).await;
    let topics = KindProvider::<TopicKind>::new(w.clients.clone());
    let p = KindProvider::<SubscriptionKind>::new(w.clients.clone());
    let sns = Client::new(&w.config);
    let topic = topics
        .create(
            &ctx("topic"),
            &normalized(&topics, serde_json::json!({"name": "events"})),
            "t",
        )
        .await
        .unwrap()
        .id;
    let queue = "arn:aws:sqs:eu-central-1:123456789012:events-queue";
    let sqs_spec = |raw: bool, severity: &str| {
        normalized(
            &p,
            serde_json::json!({
                "topic_arn": topic,
                "protocol": "sqs",
                "endpoint": queue,
                "raw_message_delivery": raw,
                "filter_policy": {"severity": [severity, "critical"]},
            }),
        )
    };
    let email_spec = |to: &str| {
        normalized(
            &p,
            serde_json::json!({"topic_arn": topic, "protocol": "email", "endpoint": to}),
        )
    };

    let sqs = p
        .create(&ctx("to_queue"), &sqs_spec(true, "high"), "t")
        .await
        .unwrap();
    let email = p
        .create(&ctx("to_ops"), &email_spec("ops@example.com"), "t")
        .await
        .unwrap();
    assert!(sqs.id.starts_with(&format!("{topic}:")), "{}", sqs.id);
    assert_eq!(email.attrs["pending_confirmation"], Value::Bool(false));

    // Read back through the SDK.
    let listed = sns
        .list_subscriptions_by_topic()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap();
    let mut seen: Vec<(String, String)> = listed
        .subscriptions()
        .iter()
        .map(|s| {
            (
                s.protocol().unwrap().to_string(),
                s.endpoint().unwrap().to_string(),
            )
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("email".to_string(), "ops@example.com".to_string()),
            ("sqs".to_string(), queue.to_string())
        ]
    );
    let attrs = |arn: String| {
        let sns = sns.clone();
        async move {
            sns.get_subscription_attributes()
                .subscription_arn(arn)
                .send()
                .await
                .map(|o| o.attributes().cloned().unwrap_or_default())
        }
    };
    let a = attrs(sqs.id.clone()).await.unwrap();
    assert_eq!(
        a.get("RawMessageDelivery").map(String::as_str),
        Some("true")
    );
    assert!(
        a["FilterPolicy"].contains("\"high\""),
        "{}",
        a["FilterPolicy"]
    );

    // No-op re-plans (the filter policy written as an object, read as text).
    let (_, planned) = plan(&p, &sqs.id, &sqs_spec(true, "high")).await;
    assert_noop_plan(&p, &planned);
    let (_, planned) = plan(&p, &email.id, &email_spec("ops@example.com")).await;
    assert_noop_plan(&p, &planned);

    // In place: raw delivery off, another filter.
    update(
        &p,
        "to_queue",
        &sqs.id,
        &sqs_spec(false, "low"),
        &["raw_message_delivery", "filter_policy"],
    )
    .await;
    let a = attrs(sqs.id.clone()).await.unwrap();
    assert_eq!(
        a.get("RawMessageDelivery").map(String::as_str),
        Some("false")
    );
    assert!(
        a["FilterPolicy"].contains("\"low\""),
        "{}",
        a["FilterPolicy"]
    );

    // Another endpoint replaces the subscription.
    let (_, planned) = plan(&p, &email.id, &email_spec("oncall@example.com")).await;
    assert_eq!(planned.action, PlannedAction::Replace);

    // Subscribe is idempotent per (topic, protocol, endpoint): a create
    // repeated after a lost answer on this state's topic gets it back.
    let again = p
        .create(&ctx("to_ops"), &email_spec("ops@example.com"), "t")
        .await
        .unwrap();
    assert_eq!(again.id, email.id);
    // No tags: nothing found by ownership (see the kind's docs).
    assert!(p.find_orphan(&ctx("to_ops"), "t").await.unwrap().is_none());
    assert!(
        p.list_tagged(&octx_in(STACK, REGION))
            .await
            .unwrap()
            .is_empty()
    );

    // The same subscription on a topic this state does not own is refused.
    let theirs = provider_world::ctx_in("another-stack", REGION, "to_ops");
    let err = p
        .create(&theirs, &email_spec("ops@example.com"), "t")
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("it is owned by state lineage-of-sns-test"),
        "{err}"
    );

    // Delete, confirmed through the SDK; deleting again is success.
    for (id, address) in [(&sqs.id, "to_queue"), (&email.id, "to_ops")] {
        let live = observe(&p, id).await.unwrap();
        p.delete(&ctx(address), id, &live).await.unwrap();
        let err = attrs(id.clone()).await.unwrap_err();
        assert!(format!("{err:?}").contains("NotFound"), "{err:?}");
        assert!(observe(&p, id).await.is_none());
        p.delete(&ctx(address), id, &live).await.unwrap();
    }
    let listed = sns
        .list_subscriptions_by_topic()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap();
    assert!(listed.subscriptions().is_empty());
}
