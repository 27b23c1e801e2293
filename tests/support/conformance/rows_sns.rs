//! Conformance rows of the SNS kinds.

use super::{Change, Row, Sdk, Tags, boxed, user_tags};
use serde_json::{Value as Json, json};

pub fn rows() -> Vec<Row> {
    vec![
        Row {
            kind: "aws.sns.topic",
            spec: |_| topic("conformance-row", "first"),
            update: Change::By(|_| topic("conformance-row", "second")),
            replace: Change::By(|_| topic("conformance-row2", "second")),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .sns()
                        .get_topic_attributes()
                        .topic_arn(&id)
                        .send()
                        .await
                        .ok()?;
                    let a = out.attributes()?;
                    let t = s
                        .sns()
                        .list_tags_for_resource()
                        .resource_arn(&id)
                        .send()
                        .await
                        .ok()?;
                    let name = id.rsplit(':').next().map(str::to_string);
                    Some(json!({"name": name, "display_name": a.get("DisplayName"),
                        "tags": user_tags(t.tags().iter().map(|t| (t.key(), t.value())))}))
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.sns.subscription",
            spec: |f| subscription(&f.topic, "queue-a", false),
            update: Change::By(|f| subscription(&f.topic, "queue-a", true)),
            replace: Change::By(|f| subscription(&f.topic, "queue-b", true)),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .sns()
                        .get_subscription_attributes()
                        .subscription_arn(&id)
                        .send()
                        .await
                        .ok()?;
                    let a = out.attributes()?;
                    Some(
                        json!({"topic_arn": a.get("TopicArn"), "protocol": a.get("Protocol"),
                        "endpoint": a.get("Endpoint"),
                        "raw_message_delivery": a.get("RawMessageDelivery").map(|v| v == "true")}),
                    )
                })
            },
            tags: Tags::None("SNS subscriptions carry no tags"),
        },
    ]
}

fn topic(name: &str, display: &str) -> Json {
    json!({"name": name, "display_name": display, "tags": {"display": display}})
}

fn subscription(topic: &str, queue: &str, raw: bool) -> Json {
    json!({"topic_arn": topic, "protocol": "sqs",
           "endpoint": format!("arn:aws:sqs:us-east-1:123456789012:{queue}"),
           "raw_message_delivery": raw})
}
