//! Conformance rows of the ElastiCache kinds.

use super::{Change, Fixtures, Row, Sdk, Tags, boxed, user_tags};
use serde_json::{Value as Json, json};

/// The user tags of one ElastiCache ARN.
async fn tags(s: &Sdk, arn: Option<&str>) -> Option<Json> {
    let out = s
        .elasticache()
        .list_tags_for_resource()
        .resource_name(arn?)
        .send()
        .await
        .ok()?;
    Some(user_tags(
        out.tag_list()
            .iter()
            .filter_map(|t| Some((t.key()?, t.value()?))),
    ))
}

pub fn rows() -> Vec<Row> {
    vec![
        Row {
            kind: "aws.elasticache.subnet_group",
            spec: |f| subnet_group(f, "conformance-row", 1),
            update: Change::By(|f| subnet_group(f, "conformance-row", 2)),
            replace: Change::By(|f| subnet_group(f, "conformance-row2", 2)),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .elasticache()
                        .describe_cache_subnet_groups()
                        .cache_subnet_group_name(&id)
                        .send()
                        .await
                        .ok()?;
                    let g = out.cache_subnet_groups().first()?;
                    let mut ids: Vec<&str> = g
                        .subnets()
                        .iter()
                        .filter_map(|n| n.subnet_identifier())
                        .collect();
                    ids.sort();
                    let tags = tags(&s, g.arn()).await?;
                    Some(
                        json!({"name": g.cache_subnet_group_name(), "subnet_ids": ids, "tags": tags}),
                    )
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.elasticache.parameter_group",
            spec: |_| params("redis7", "allkeys-lru"),
            update: Change::By(|_| params("redis7", "volatile-ttl")),
            replace: Change::By(|_| params("valkey8", "volatile-ttl")),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .elasticache()
                        .describe_cache_parameter_groups()
                        .cache_parameter_group_name(&id)
                        .send()
                        .await
                        .ok()?;
                    let g = out.cache_parameter_groups().first()?;
                    let p = s
                        .elasticache()
                        .describe_cache_parameters()
                        .cache_parameter_group_name(&id)
                        .send()
                        .await
                        .ok()?;
                    let user: serde_json::Map<String, Json> = p
                        .parameters()
                        .iter()
                        .filter(|p| p.source() == Some("user"))
                        .filter_map(|p| {
                            Some((
                                p.parameter_name()?.to_string(),
                                Json::from(p.parameter_value()?),
                            ))
                        })
                        .collect();
                    Some(
                        json!({"name": g.cache_parameter_group_name(), "family": g.cache_parameter_group_family(),
                            "parameters": user}),
                    )
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.elasticache.replication_group",
            spec: |f| redis(f, "conformance-row", "cache.t4g.small"),
            update: Change::By(|f| redis(f, "conformance-row", "cache.t4g.medium")),
            replace: Change::By(|f| redis(f, "conformance-row2", "cache.t4g.medium")),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .elasticache()
                        .describe_replication_groups()
                        .replication_group_id(&id)
                        .send()
                        .await
                        .ok()?;
                    let g = out
                        .replication_groups()
                        .first()
                        .filter(|g| g.status() != Some("deleting"))?;
                    let tags = tags(&s, g.arn()).await?;
                    Some(
                        json!({"replication_group_id": g.replication_group_id(), "node_type": g.cache_node_type(), "tags": tags}),
                    )
                })
            },
            tags: Tags::Owned,
        },
    ]
}

fn subnet_group(f: &Fixtures, name: &str, n: usize) -> Json {
    let mut ids = f.subnets[..n].to_vec();
    ids.sort();
    json!({"name": name, "subnet_ids": ids, "tags": {"n": n.to_string()}})
}

fn params(family: &str, policy: &str) -> Json {
    json!({"name": "conformance-row", "family": family, "description": "conformance",
           "parameters": {"maxmemory-policy": policy}})
}

fn redis(f: &Fixtures, id: &str, node: &str) -> Json {
    json!({"replication_group_id": id, "description": "conformance", "engine": "redis", "engine_version": "7.1",
           "node_type": node, "num_cache_clusters": 1, "cache_subnet_group_name": f.cache_subnet_group,
           "security_group_ids": [f.security_group], "apply_immediately": true, "tags": {"node": node}})
}
