//! Conformance rows of the ECS kinds.

use super::{Change, Fixtures, Row, Sdk, Tags, boxed, user_tags};
use aws_sdk_ecs::types::{ClusterField, Tag, TaskDefinitionField};
use serde_json::{Value as Json, json};

fn tags(list: &[Tag]) -> Json {
    user_tags(list.iter().filter_map(|t| Some((t.key()?, t.value()?))))
}

pub fn rows() -> Vec<Row> {
    vec![
        Row {
            kind: "aws.ecs.cluster",
            spec: |_| cluster("row", "enabled"),
            update: Change::By(|_| cluster("row", "disabled")),
            replace: Change::By(|_| cluster("row2", "disabled")),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .ecs()
                        .describe_clusters()
                        .clusters(&id)
                        .include(ClusterField::Settings)
                        .include(ClusterField::Tags)
                        .send()
                        .await
                        .ok()?;
                    let c = out
                        .clusters()
                        .first()
                        .filter(|c| c.status() != Some("INACTIVE"))?;
                    let insights = c
                        .settings()
                        .iter()
                        .find(|s| s.name().map(|n| n.as_str()) == Some("containerInsights"))
                        .and_then(|s| s.value());
                    Some(
                        json!({"cluster_name": c.cluster_name(), "container_insights": insights, "tags": tags(c.tags())}),
                    )
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.ecs.task_definition",
            spec: |_| task("nginx:1.27", "a"),
            update: Change::By(|_| task("nginx:1.27", "b")),
            replace: Change::By(|_| task("nginx:1.28", "b")),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .ecs()
                        .describe_task_definition()
                        .task_definition(&id)
                        .include(TaskDefinitionField::Tags)
                        .send()
                        .await
                        .ok()?;
                    let td = out
                        .task_definition()
                        .filter(|t| t.status().map(|s| s.as_str()) != Some("INACTIVE"))?;
                    let containers: Vec<Json> = td
                        .container_definitions()
                        .iter()
                        .map(|c| json!({"name": c.name(), "image": c.image()}))
                        .collect();
                    Some(
                        json!({"family": td.family(), "container_definitions": containers, "tags": tags(out.tags())}),
                    )
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.ecs.service",
            spec: |f| service(f, "row", 1),
            update: Change::By(|f| service(f, "row", 2)),
            replace: Change::By(|f| service(f, "row2", 2)),
            read: |s: Sdk, id| {
                boxed(async move {
                    // `arn:...:service/<cluster>/<name>`.
                    let cluster = id.rsplit('/').nth(1)?.to_string();
                    let out = s
                        .ecs()
                        .describe_services()
                        .cluster(cluster)
                        .services(&id)
                        .include(aws_sdk_ecs::types::ServiceField::Tags)
                        .send()
                        .await
                        .ok()?;
                    let v = out
                        .services()
                        .first()
                        .filter(|v| v.status() == Some("ACTIVE"))?;
                    Some(
                        json!({"service_name": v.service_name(), "desired_count": v.desired_count(), "tags": tags(v.tags())}),
                    )
                })
            },
            tags: Tags::Owned,
        },
    ]
}

fn cluster(name: &str, insights: &str) -> Json {
    json!({"cluster_name": name, "container_insights": insights, "tags": {"insights": insights}})
}

fn task(image: &str, tag: &str) -> Json {
    json!({"family": "row", "cpu": 256, "memory": 512, "network_mode": "awsvpc",
           "requires_compatibilities": ["FARGATE"],
           "container_definitions": [{"name": "app", "image": image}], "tags": {"t": tag}})
}

fn service(f: &Fixtures, name: &str, count: i64) -> Json {
    json!({"service_name": name, "cluster": f.cluster, "task_definition": f.task_definition,
           "desired_count": count, "launch_type": "FARGATE",
           "network_configuration": {"subnets": f.subnets[..2], "security_groups": [f.security_group]},
           "tags": {"count": count.to_string()}})
}
