//! Conformance rows of the RDS kinds.

use super::{Change, Fixtures, Row, Sdk, Tags, boxed, user_tags};
use aws_sdk_rds::types::{Parameter, Tag};
use serde_json::{Value as Json, json};

fn tags(list: &[Tag]) -> Json {
    user_tags(list.iter().filter_map(|t| Some((t.key()?, t.value()?))))
}

/// The value of parameter `name`, as a spec writes it.
fn param(list: &[Parameter], name: &str) -> Json {
    let value = list
        .iter()
        .find(|p| p.parameter_name() == Some(name))
        .and_then(|p| p.parameter_value());
    json!({ name: value })
}

/// Subnet ids in a stable order (the spec and the read-back both sort).
fn sorted(ids: &[String]) -> Vec<String> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids
}

pub fn rows() -> Vec<Row> {
    vec![
        Row {
            kind: "aws.rds.db_subnet_group",
            spec: |f| subnet_group(f, "conformance-row", 2),
            update: Change::By(|f| subnet_group(f, "conformance-row", 3)),
            replace: Change::By(|f| subnet_group(f, "conformance-row2", 3)),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .rds()
                        .describe_db_subnet_groups()
                        .db_subnet_group_name(&id)
                        .send()
                        .await
                        .ok()?;
                    let g = out.db_subnet_groups().first()?;
                    let ids: Vec<String> = g
                        .subnets()
                        .iter()
                        .filter_map(|n| n.subnet_identifier().map(str::to_string))
                        .collect();
                    let t = s
                        .rds()
                        .list_tags_for_resource()
                        .resource_name(g.db_subnet_group_arn()?)
                        .send()
                        .await
                        .ok()?;
                    Some(
                        json!({"db_subnet_group_name": g.db_subnet_group_name(), "subnet_ids": sorted(&ids), "tags": tags(t.tag_list())}),
                    )
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.rds.cluster_parameter_group",
            spec: |_| cluster_params("aurora-postgresql16", "500"),
            update: Change::By(|_| cluster_params("aurora-postgresql16", "1000")),
            replace: Change::By(|_| cluster_params("aurora-postgresql15", "1000")),
            read: |s: Sdk, id| {
                boxed(async move {
                    let g = s
                        .rds()
                        .describe_db_cluster_parameter_groups()
                        .db_cluster_parameter_group_name(&id)
                        .send()
                        .await
                        .ok()?;
                    let g = g.db_cluster_parameter_groups().first()?;
                    let p = s
                        .rds()
                        .describe_db_cluster_parameters()
                        .db_cluster_parameter_group_name(&id)
                        .send()
                        .await
                        .ok()?;
                    Some(
                        json!({"db_cluster_parameter_group_name": g.db_cluster_parameter_group_name(),
                            "db_parameter_group_family": g.db_parameter_group_family(),
                            "parameters": param(p.parameters(), "log_min_duration_statement")}),
                    )
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.rds.db_parameter_group",
            spec: |_| db_params("postgres16", "65536"),
            update: Change::By(|_| db_params("postgres16", "131072")),
            replace: Change::By(|_| db_params("postgres15", "131072")),
            read: |s: Sdk, id| {
                boxed(async move {
                    let g = s
                        .rds()
                        .describe_db_parameter_groups()
                        .db_parameter_group_name(&id)
                        .send()
                        .await
                        .ok()?;
                    let g = g.db_parameter_groups().first()?;
                    let p = s
                        .rds()
                        .describe_db_parameters()
                        .db_parameter_group_name(&id)
                        .send()
                        .await
                        .ok()?;
                    Some(
                        json!({"db_parameter_group_name": g.db_parameter_group_name(),
                            "db_parameter_group_family": g.db_parameter_group_family(),
                            "parameters": param(p.parameters(), "work_mem")}),
                    )
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.rds.cluster",
            spec: |f| cluster(f, "conformance-row", 7),
            update: Change::By(|f| cluster(f, "conformance-row", 14)),
            // A new identifier: the emulator names the automated snapshot of
            // a create by identifier and minute, so the same one twice in a
            // minute collides.
            replace: Change::By(|f| cluster(f, "conformance-row2", 14)),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .rds()
                        .describe_db_clusters()
                        .db_cluster_identifier(&id)
                        .send()
                        .await
                        .ok()?;
                    let c = out
                        .db_clusters()
                        .first()
                        .filter(|c| c.status() != Some("deleting"))?;
                    Some(
                        json!({"db_cluster_identifier": c.db_cluster_identifier(), "database_name": c.database_name(),
                            "backup_retention_period": c.backup_retention_period(), "tags": tags(c.tag_list())}),
                    )
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.rds.cluster_instance",
            spec: |f| cluster_instance(f, "conformance-row", "db.r6g.large"),
            update: Change::By(|f| cluster_instance(f, "conformance-row", "db.r6g.xlarge")),
            replace: Change::By(|f| cluster_instance(f, "conformance-row2", "db.r6g.xlarge")),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .rds()
                        .describe_db_instances()
                        .db_instance_identifier(&id)
                        .send()
                        .await
                        .ok()?;
                    let i = out
                        .db_instances()
                        .first()
                        .filter(|i| i.db_instance_status() != Some("deleting"))?;
                    Some(
                        json!({"db_instance_identifier": i.db_instance_identifier(), "db_cluster_identifier": i.db_cluster_identifier(),
                            "db_instance_class": i.db_instance_class(), "tags": tags(i.tag_list())}),
                    )
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.rds.db_instance",
            spec: |f| db_instance(f, "conformance-pg", "db.t4g.micro", 7),
            update: Change::By(|f| db_instance(f, "conformance-pg", "db.t4g.small", 14)),
            // A new identifier, as for clusters.
            replace: Change::By(|f| db_instance(f, "conformance-pg2", "db.t4g.small", 14)),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .rds()
                        .describe_db_instances()
                        .db_instance_identifier(&id)
                        .send()
                        .await
                        .ok()?;
                    let i = out
                        .db_instances()
                        .first()
                        .filter(|i| i.db_instance_status() != Some("deleting"))?;
                    Some(
                        json!({"db_instance_identifier": i.db_instance_identifier(), "db_name": i.db_name(),
                            "db_instance_class": i.db_instance_class(),
                            "backup_retention_period": i.backup_retention_period(), "tags": tags(i.tag_list())}),
                    )
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.rds.global_cluster",
            spec: |_| global("conformance-row"),
            update: Change::Not(
                "its in-place fields (deletion_protection, tags) need ModifyGlobalCluster and tags on \
                 global cluster ARNs, which the emulator (moto 5.2.5) lacks",
            ),
            replace: Change::By(|_| global("conformance-row2")),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .rds()
                        .describe_global_clusters()
                        .global_cluster_identifier(&id)
                        .send()
                        .await
                        .ok()?;
                    let g = out
                        .global_clusters()
                        .iter()
                        .find(|g| g.global_cluster_identifier() == Some(id.as_str()))?;
                    Some(
                        json!({"global_cluster_identifier": g.global_cluster_identifier(),
                            "deletion_protection": g.deletion_protection(), "tags": tags(g.tag_list())}),
                    )
                })
            },
            tags: Tags::Owned,
        },
    ]
}

fn subnet_group(f: &Fixtures, name: &str, n: usize) -> Json {
    json!({"db_subnet_group_name": name, "subnet_ids": sorted(&f.subnets[..n]), "tags": {"n": n.to_string()}})
}

fn cluster_params(family: &str, value: &str) -> Json {
    json!({"db_cluster_parameter_group_name": "conformance-row", "db_parameter_group_family": family,
           "description": "conformance", "parameters": {"log_min_duration_statement": value}})
}

fn db_params(family: &str, value: &str) -> Json {
    json!({"db_parameter_group_name": "conformance-row", "db_parameter_group_family": family,
           "description": "conformance", "parameters": {"work_mem": value}})
}

fn cluster(f: &Fixtures, id: &str, retention: i64) -> Json {
    json!({"db_cluster_identifier": id, "engine_version": "16", "database_name": "app",
           "master_username": "row_admin", "master_user_password": "correct-horse-battery",
           "db_subnet_group_name": f.db_subnet_group, "storage_encrypted": true, "kms_key_id": f.keys[0],
           "backup_retention_period": retention, "skip_final_snapshot": true,
           "tags": {"retention": retention.to_string()}})
}

fn cluster_instance(f: &Fixtures, name: &str, class: &str) -> Json {
    json!({"db_instance_identifier": name, "db_cluster_identifier": f.aurora, "db_instance_class": class,
           "apply_immediately": true, "tags": {"class": class}})
}

fn db_instance(f: &Fixtures, id: &str, class: &str, retention: i64) -> Json {
    json!({"db_instance_identifier": id, "db_instance_class": class, "engine": "postgres",
           "engine_version": "16", "allocated_storage": 20, "db_subnet_group_name": f.db_subnet_group,
           "master_username": "pgadmin", "master_user_password": "correct-horse-battery", "db_name": "app",
           "skip_final_snapshot": true,
           "backup_retention_period": retention, "apply_immediately": true, "tags": {"class": class}})
}

fn global(name: &str) -> Json {
    json!({"global_cluster_identifier": name, "engine_version": "16", "storage_encrypted": true,
           "deletion_protection": false, "tags": {"t": "global"}})
}
