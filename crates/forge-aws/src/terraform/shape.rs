//! Per-kind shape conversions forge → Terraform that a rename cannot
//! express: fields Terraform models as another structure (security group
//! rules grouped by port, an S3 bucket's settings as nested blocks, maps as
//! sets of `{name, value}` blocks). They work on forge values with their
//! unknown and sensitive marks, so masking happens after (in
//! [`super::plan_json`]). The rows of [`super::table`] describe each one
//! in their `note`.

use forge_core::{Attrs, Value};
use std::collections::BTreeMap;

/// Attributes Terraform types as a JSON string where forge may hold the
/// document as an object (policies, container definitions).
const JSON_TEXT: &[&str] = &[
    "policy",
    "assume_role_policy",
    "container_definitions",
    "filter_policy",
    "redrive_policy",
    "delivery_policy",
];

fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn block(v: Value) -> Value {
    Value::List(vec![v])
}

/// A document as Terraform's string (a JSON object or list serialized).
fn json_text(v: Value) -> Value {
    match v {
        Value::Map(_) | Value::List(_) if v.is_known() && !v.is_sensitive() => {
            Value::String(v.to_json().to_string())
        }
        other => other,
    }
}

/// Applies the kind's own conversions to `attrs` (still named as forge
/// names them; the table's renames run afterwards).
pub fn to_terraform(kind: &str, attrs: &mut Attrs) {
    super::app_shapes::to_terraform(kind, attrs);
    for name in JSON_TEXT {
        if let Some(v) = attrs.remove(*name) {
            attrs.insert((*name).to_string(), json_text(v));
        }
    }
    match kind {
        "aws.s3.bucket" => s3_bucket(attrs),
        "aws.ec2.security_group" => {
            for dir in ["ingress", "egress"] {
                if let Some(Value::List(rules)) = attrs.get(dir) {
                    let grouped = Value::List(rules.iter().map(sg_rule).collect());
                    attrs.insert(dir.to_string(), grouped);
                }
            }
        }
        "aws.ec2.route_table" => {
            if let Some(Value::List(routes)) = attrs.get_mut("routes") {
                for r in routes.iter_mut() {
                    rename_in(r, "destination_cidr_block", "cidr_block");
                    rename_in(r, "destination_ipv6_cidr_block", "ipv6_cidr_block");
                }
            }
        }
        "aws.elbv2.load_balancer" => {
            if let Some(scheme) = attrs.remove("scheme") {
                let internal = match &scheme {
                    Value::String(s) => Value::Bool(s == "internal"),
                    other => other.clone(),
                };
                attrs.insert("internal".into(), internal);
            }
        }
        "aws.ecs.cluster" => {
            if let Some(v) = attrs.remove("container_insights") {
                let setting = obj([("name", Value::from("containerInsights")), ("value", v)]);
                attrs.insert("setting".into(), block(setting));
            }
        }
        "aws.iam.role" => {
            if let Some(Value::Map(policies)) = attrs.remove("inline_policies") {
                let list = policies
                    .into_iter()
                    .map(|(name, doc)| {
                        obj([("name", Value::from(name)), ("policy", json_text(doc))])
                    })
                    .collect();
                attrs.insert("inline_policies".into(), Value::List(list));
            }
        }
        "aws.rds.cluster" | "aws.rds.db_instance" => {
            if let Some(arn) = attrs.remove("master_user_secret_arn") {
                attrs.insert(
                    "master_user_secret".into(),
                    block(obj([("secret_arn", arn)])),
                );
            }
        }
        "aws.rds.cluster_parameter_group"
        | "aws.rds.db_parameter_group"
        | "aws.elasticache.parameter_group" => {
            if let Some(Value::Map(params)) = attrs.remove("parameters") {
                attrs.insert("parameters".into(), parameter_set(params));
            }
        }
        "aws.ec2.flow_log" => {
            if let Some(id) = attrs.remove("resource_id") {
                let attr = match id.as_str().and_then(|s| s.split('-').next()) {
                    Some("subnet") => "subnet_id",
                    Some("eni") => "eni_id",
                    _ => "vpc_id",
                };
                attrs.insert(attr.into(), id);
            }
        }
        _ => {}
    }
    // Terraform reports the tags a resource ends up with (provider
    // default tags included) as `tags_all`; forge's `tags` are all of them.
    if let Some(tags) = attrs.get("tags").cloned() {
        attrs.insert("tags_all".into(), tags);
    }
}

fn rename_in(v: &mut Value, from: &str, to: &str) {
    if let Value::Map(m) = v
        && let Some(x) = m.remove(from)
    {
        m.insert(to.to_string(), x);
    }
}

/// `name → value` (or `name → {value, apply_method}`) as Terraform's set of
/// `parameter` blocks.
fn parameter_set(params: BTreeMap<String, Value>) -> Value {
    Value::List(
        params
            .into_iter()
            .map(|(name, v)| {
                let mut block = BTreeMap::from([("name".to_string(), Value::from(name))]);
                match v {
                    Value::Map(m) => block.extend(m),
                    other => {
                        block.insert("value".into(), other);
                    }
                }
                Value::Map(block)
            })
            .collect(),
    )
}

/// One forge rule (one peer) as a Terraform inline rule.
fn sg_rule(rule: &Value) -> Value {
    let get = |k: &str| rule.get(k).cloned().unwrap_or(Value::Null);
    let list_of = |k: &str| match rule.get(k) {
        Some(v) if !v.is_null() => Value::List(vec![v.clone()]),
        _ => Value::List(Vec::new()),
    };
    let protocol = match get("ip_protocol") {
        Value::String(p) if p == "all" => Value::from("-1"),
        other => other,
    };
    let all = protocol.as_str() == Some("-1");
    let port = |k: &str| match get(k) {
        Value::Null if all => Value::int(0),
        other => other,
    };
    obj([
        ("protocol", protocol.clone()),
        ("from_port", port("from_port")),
        ("to_port", port("to_port")),
        ("cidr_blocks", list_of("cidr_ipv4")),
        ("ipv6_cidr_blocks", list_of("cidr_ipv6")),
        ("security_groups", list_of("referenced_group_id")),
        ("prefix_list_ids", list_of("prefix_list_id")),
        ("self", Value::Bool(false)),
        ("description", get("description")),
    ])
}

/// The bucket's settings, as the read-only blocks `aws_s3_bucket` still
/// reports them in (policy tools read these).
fn s3_bucket(attrs: &mut Attrs) {
    if let Some(status) = attrs.remove("versioning") {
        let enabled = match &status {
            Value::String(s) => Value::Bool(s == "Enabled"),
            Value::Null => Value::Bool(false),
            other => other.clone(),
        };
        attrs.insert(
            "versioning".into(),
            block(obj([
                ("enabled", enabled),
                ("mfa_delete", Value::Bool(false)),
            ])),
        );
    }
    match attrs.remove("server_side_encryption") {
        Some(Value::Map(sse)) => {
            let get = |k: &str| sse.get(k).cloned().unwrap_or(Value::Null);
            let by_default = obj([
                ("sse_algorithm", get("sse_algorithm")),
                ("kms_master_key_id", get("kms_master_key_id")),
            ]);
            let rule = obj([
                ("apply_server_side_encryption_by_default", block(by_default)),
                ("bucket_key_enabled", get("bucket_key_enabled")),
            ]);
            attrs.insert(
                "server_side_encryption_configuration".into(),
                block(obj([("rule", block(rule))])),
            );
        }
        Some(Value::Null) | None => {
            attrs.insert(
                "server_side_encryption_configuration".into(),
                Value::List(Vec::new()),
            );
        }
        Some(other) => {
            attrs.insert("server_side_encryption_configuration".into(), other);
        }
    }
    if let Some(Value::List(rules)) = attrs.remove("lifecycle_rules") {
        let converted = rules.iter().map(lifecycle_rule).collect();
        attrs.insert("lifecycle_rule".into(), Value::List(converted));
    }
    if let Some(Value::Map(repl)) = attrs.remove("replication_configuration") {
        let mut repl = repl;
        if let Some(rules) = repl.remove("rules") {
            repl.insert("rules".into(), rules);
        }
        attrs.insert("replication_configuration".into(), block(Value::Map(repl)));
    }
}

fn lifecycle_rule(rule: &Value) -> Value {
    let get = |k: &str| rule.get(k).cloned().unwrap_or(Value::Null);
    let days_block = |k: &str| match get(k) {
        Value::Null => Value::List(Vec::new()),
        days => block(obj([("days", days)])),
    };
    obj([
        ("id", get("id")),
        (
            "enabled",
            Value::Bool(rule.get("status").and_then(Value::as_str) != Some("Disabled")),
        ),
        ("prefix", get("prefix")),
        ("expiration", days_block("expiration_days")),
        (
            "noncurrent_version_expiration",
            days_block("noncurrent_version_expiration_days"),
        ),
        ("transition", get("transitions")),
        (
            "abort_incomplete_multipart_upload_days",
            get("abort_incomplete_multipart_upload_days"),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing::attrs;

    #[test]
    fn security_group_rules_become_terraform_inline_rules() {
        let mut a = attrs(serde_json::json!({
            "ingress": [{"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": "0.0.0.0/0"}],
            "egress": [{"ip_protocol": "-1", "cidr_ipv4": "0.0.0.0/0"}],
        }));
        to_terraform("aws.ec2.security_group", &mut a);
        let ingress = a["ingress"].to_json();
        assert_eq!(ingress[0]["cidr_blocks"], serde_json::json!(["0.0.0.0/0"]));
        assert_eq!(ingress[0]["protocol"], "tcp");
        assert_eq!(a["egress"].to_json()[0]["from_port"], 0);
    }

    #[test]
    fn a_bucket_without_encryption_has_an_empty_block() {
        let mut a = attrs(serde_json::json!({"bucket": "b", "versioning": "Enabled"}));
        to_terraform("aws.s3.bucket", &mut a);
        assert_eq!(
            a["server_side_encryption_configuration"].to_json(),
            serde_json::json!([])
        );
        assert_eq!(a["versioning"].to_json()[0]["enabled"], true);
    }

    #[test]
    fn policy_objects_become_json_text() {
        let mut a = attrs(serde_json::json!({"assume_role_policy": {"Version": "2012-10-17"}}));
        to_terraform("aws.iam.role", &mut a);
        assert_eq!(
            a["assume_role_policy"].as_str(),
            Some(r#"{"Version":"2012-10-17"}"#)
        );
    }
}
