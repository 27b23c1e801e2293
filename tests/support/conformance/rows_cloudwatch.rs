//! Conformance rows of the CloudWatch kinds.

use super::{Change, Row, Sdk, Tags, boxed, user_tags};
use serde_json::{Value as Json, json};

pub fn rows() -> Vec<Row> {
    vec![Row {
        kind: "aws.cloudwatch.metric_alarm",
        spec: |_| alarm("conformance-row", 80.0),
        update: Change::By(|_| alarm("conformance-row", 90.0)),
        replace: Change::By(|_| alarm("conformance-row2", 90.0)),
        read: |s: Sdk, id| {
            boxed(async move {
                let out = s
                    .cloudwatch()
                    .describe_alarms()
                    .alarm_names(&id)
                    .send()
                    .await
                    .ok()?;
                let a = out.metric_alarms().first()?;
                let t = s
                    .cloudwatch()
                    .list_tags_for_resource()
                    .resource_arn(a.alarm_arn()?)
                    .send()
                    .await
                    .ok()?;
                Some(
                    json!({"alarm_name": a.alarm_name(), "threshold": a.threshold(),
                        "tags": user_tags(t.tags().iter().filter_map(|t| Some((t.key()?, t.value()?))))}),
                )
            })
        },
        tags: Tags::Owned,
    }]
}

fn alarm(name: &str, threshold: f64) -> Json {
    json!({"alarm_name": name, "namespace": "AWS/ECS", "metric_name": "CPUUtilization",
           "dimensions": {"ServiceName": "api", "ClusterName": "app"}, "statistic": "Average",
           "period": 60, "evaluation_periods": 3, "threshold": threshold,
           "comparison_operator": "GreaterThanThreshold", "tags": {"threshold": threshold.to_string()}})
}
