//! Conformance rows of the security-tier kinds: IAM roles, log groups,
//! KMS keys and aliases, S3 buckets, secrets and SSM parameters.

use super::{Change, Fixtures, Row, Sdk, Tags, boxed, user_tags};
use serde_json::{Value as Json, json};

pub fn rows() -> Vec<Row> {
    vec![
        Row {
            kind: "aws.iam.role",
            spec: |_| role("conformance-row", "a", 3600),
            update: Change::By(|_| role("conformance-row", "b", 7200)),
            replace: Change::By(|_| role("conformance-row2", "b", 7200)),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s.iam().get_role().role_name(&id).send().await.ok()?;
                    let r = out.role()?;
                    let tags = s.iam().list_role_tags().role_name(&id).send().await.ok()?;
                    Some(
                        json!({"role_name": r.role_name(), "description": r.description(),
                            "max_session_duration": r.max_session_duration(),
                            "tags": user_tags(tags.tags().iter().map(|t| (t.key(), t.value())))}),
                    )
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.logs.log_group",
            spec: |_| log_group("/conformance/row", 30),
            update: Change::By(|_| log_group("/conformance/row", 7)),
            replace: Change::By(|_| log_group("/conformance/row2", 7)),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .logs()
                        .describe_log_groups()
                        .log_group_name_prefix(&id)
                        .send()
                        .await
                        .ok()?;
                    let g = out
                        .log_groups()
                        .iter()
                        .find(|g| g.log_group_name() == Some(id.as_str()))?;
                    let arn = g
                        .log_group_arn()
                        .or_else(|| g.arn().map(|a| a.trim_end_matches(":*")))?;
                    let tags = s
                        .logs()
                        .list_tags_for_resource()
                        .resource_arn(arn)
                        .send()
                        .await
                        .ok()?;
                    let tags = tags
                        .tags()
                        .map(|m| user_tags(m.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
                    Some(
                        json!({"log_group_name": g.log_group_name(), "retention_in_days": g.retention_in_days(), "tags": tags}),
                    )
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.kms.key",
            spec: |_| key("SYMMETRIC_DEFAULT", false),
            update: Change::By(|_| key("SYMMETRIC_DEFAULT", true)),
            replace: Change::By(|_| key("RSA_2048", false)),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s.kms().describe_key().key_id(&id).send().await.ok()?;
                    let m = out.key_metadata()?;
                    if m.key_state()
                        .is_some_and(|k| k.as_str().starts_with("Pending"))
                    {
                        return None;
                    }
                    let rotation = s
                        .kms()
                        .get_key_rotation_status()
                        .key_id(&id)
                        .send()
                        .await
                        .map(|r| r.key_rotation_enabled())
                        .unwrap_or(false);
                    Some(
                        json!({"description": m.description(), "key_spec": m.key_spec().map(|k| k.as_str()),
                            "enable_key_rotation": rotation}),
                    )
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.kms.alias",
            spec: |f| alias(f, "alias/conformance-row", 0),
            update: Change::By(|f| alias(f, "alias/conformance-row", 1)),
            replace: Change::By(|f| alias(f, "alias/conformance-row2", 1)),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s.kms().list_aliases().send().await.ok()?;
                    let a = out
                        .aliases()
                        .iter()
                        .find(|a| a.alias_name() == Some(id.as_str()))?;
                    let key = format!(
                        "arn:aws:kms:us-east-1:123456789012:key/{}",
                        a.target_key_id()?
                    );
                    Some(json!({"alias_name": a.alias_name(), "target_key_id": key}))
                })
            },
            tags: Tags::None(
                "KMS aliases carry no tags; the key they name does, under the key's own address \
                 (an alias by its key's tags would be reported at a wrong address)",
            ),
        },
        Row {
            kind: "aws.s3.bucket",
            spec: |_| bucket("forge-conformance-row", "a"),
            update: Change::By(|_| bucket("forge-conformance-row", "b")),
            replace: Change::By(|_| bucket("forge-conformance-row2", "b")),
            read: |s: Sdk, id| {
                boxed(async move {
                    s.s3().head_bucket().bucket(&id).send().await.ok()?;
                    let tags = s.s3().get_bucket_tagging().bucket(&id).send().await.ok()?;
                    Some(
                        json!({"bucket": id, "tags": user_tags(tags.tag_set().iter().map(|t| (t.key(), t.value())))}),
                    )
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.secretsmanager.secret",
            spec: |_| secret("conformance/row", "first-value", "a"),
            update: Change::By(|_| secret("conformance/row", "second-value", "b")),
            replace: Change::By(|_| secret("conformance/row2", "second-value", "b")),
            read: |s: Sdk, id| {
                boxed(async move {
                    let d = s
                        .secrets()
                        .describe_secret()
                        .secret_id(&id)
                        .send()
                        .await
                        .ok()?;
                    if d.deleted_date().is_some() {
                        return None;
                    }
                    let v = s
                        .secrets()
                        .get_secret_value()
                        .secret_id(&id)
                        .send()
                        .await
                        .ok()?;
                    Some(
                        json!({"name": d.name(), "description": d.description(), "secret_string": v.secret_string(),
                            "tags": user_tags(d.tags().iter().filter_map(|t| Some((t.key()?, t.value()?))))}),
                    )
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.ssm.parameter",
            spec: |_| parameter("/conformance/row", "String", "first", "a"),
            update: Change::By(|_| parameter("/conformance/row", "String", "second", "b")),
            replace: Change::By(|_| parameter("/conformance/row", "SecureString", "second", "b")),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .ssm()
                        .get_parameter()
                        .name(&id)
                        .with_decryption(true)
                        .send()
                        .await
                        .ok()?;
                    let p = out.parameter()?;
                    let tags = s
                        .ssm()
                        .list_tags_for_resource()
                        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
                        .resource_id(&id)
                        .send()
                        .await
                        .ok()?;
                    Some(
                        json!({"name": p.name(), "parameter_type": p.r#type().map(|t| t.as_str()), "value": p.value(),
                            "tags": user_tags(tags.tag_list().iter().map(|t| (t.key(), t.value())))}),
                    )
                })
            },
            tags: Tags::Owned,
        },
    ]
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn role(name: &str, description: &str, duration: i64) -> Json {
    json!({"role_name": name, "description": description, "assume_role_policy": TRUST,
           "max_session_duration": duration, "tags": {"d": description}})
}

fn log_group(name: &str, days: i64) -> Json {
    json!({"log_group_name": name, "retention_in_days": days, "tags": {"days": days.to_string()}})
}

fn key(spec: &str, rotation: bool) -> Json {
    json!({"description": "conformance", "key_spec": spec, "enable_key_rotation": rotation,
           "deletion_window_in_days": 7, "tags": {"rotation": rotation.to_string()}})
}

fn alias(f: &Fixtures, name: &str, key: usize) -> Json {
    json!({"alias_name": name, "target_key_id": f.keys[key]})
}

fn bucket(name: &str, tag: &str) -> Json {
    json!({"bucket": name, "tags": {"t": tag}})
}

fn secret(name: &str, value: &str, tag: &str) -> Json {
    json!({"name": name, "description": tag, "secret_string": value, "recovery_window_in_days": 0,
           "tags": {"t": tag}})
}

fn parameter(name: &str, kind: &str, value: &str, tag: &str) -> Json {
    json!({"name": name, "parameter_type": kind, "value": value, "tags": {"t": tag}})
}
