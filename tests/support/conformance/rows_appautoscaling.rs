//! Conformance rows of the Application Auto Scaling kinds.

use super::{Change, Fixtures, Row, Sdk, Tags, boxed};
use aws_sdk_applicationautoscaling::types::ServiceNamespace;
use serde_json::{Value as Json, json};

pub fn rows() -> Vec<Row> {
    vec![
        Row {
            kind: "aws.appautoscaling.target",
            spec: |f| target(f, 0, 5),
            update: Change::By(|f| target(f, 0, 10)),
            replace: Change::By(|f| target(f, 1, 10)),
            read: |s: Sdk, id| {
                boxed(async move {
                    // forge's id: `namespace|resource id|dimension`.
                    let resource = id.split('|').nth(1)?.to_string();
                    let out = s
                        .aas()
                        .describe_scalable_targets()
                        .service_namespace(ServiceNamespace::Ecs)
                        .resource_ids(resource)
                        .send()
                        .await
                        .ok()?;
                    let t = out.scalable_targets().first()?;
                    Some(
                        json!({"resource_id": t.resource_id(), "min_capacity": t.min_capacity(),
                            "max_capacity": t.max_capacity()}),
                    )
                })
            },
            tags: Tags::None(
                "AWS tags scalable targets, but the emulator (moto 5.2.5) models no tags for them \
                 (RegisterScalableTarget ignores Tags, ListTagsForResource is not implemented): \
                 listing them by tags waits for that harness patch",
            ),
        },
        Row {
            kind: "aws.appautoscaling.policy",
            spec: |f| policy(f, "row", 70),
            update: Change::By(|f| policy(f, "row", 80)),
            replace: Change::By(|f| policy(f, "row2", 80)),
            read: |s: Sdk, id| {
                boxed(async move {
                    let name = id.split('|').nth(3)?.to_string();
                    let out = s
                        .aas()
                        .describe_scaling_policies()
                        .service_namespace(ServiceNamespace::Ecs)
                        .policy_names(&name)
                        .send()
                        .await
                        .ok()?;
                    let p = out
                        .scaling_policies()
                        .iter()
                        .find(|p| p.policy_name() == name)?;
                    let t = p.target_tracking_scaling_policy_configuration()?;
                    let metric = t
                        .predefined_metric_specification()
                        .map(|m| m.predefined_metric_type().as_str());
                    Some(
                        json!({"policy_name": p.policy_name(), "resource_id": p.resource_id(),
                            "target_tracking_scaling_policy_configuration": {"target_value": t.target_value(),
                                "predefined_metric_specification": {"predefined_metric_type": metric}}}),
                    )
                })
            },
            tags: Tags::None(
                "AWS tags scalable targets only, never scaling policies (TagResource)",
            ),
        },
    ]
}

fn target(f: &Fixtures, service: usize, max: i64) -> Json {
    json!({"resource_id": f.services[service], "min_capacity": 1, "max_capacity": max})
}

fn policy(f: &Fixtures, name: &str, value: i64) -> Json {
    json!({"policy_name": name, "resource_id": f.services[2],
           "target_tracking_scaling_policy_configuration": {"target_value": value,
               "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}}})
}
