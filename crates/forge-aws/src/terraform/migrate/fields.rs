//! Terraform attributes → forge fields: the table's renames and blocks
//! read backwards, the per-kind shapes undone, and the settings of folded
//! sub-resources (`aws_s3_bucket_versioning`, `aws_security_group_rule`,
//! `aws_iam_role_policy`, ...) put on their owner's fields.
//!
//! Works on JSON (Terraform's values); what is empty in Terraform's sense
//! (`""`, `null`, `[]`, `{}`) is left out, so the generated spec only says
//! what is set.

use super::super::table::KindRow;
use serde_json::{Map, Value as Json, json};

/// Whether Terraform's value means "not set".
pub fn is_empty(v: &Json) -> bool {
    match v {
        Json::Null => true,
        Json::String(s) => s.is_empty(),
        Json::Array(a) => a.is_empty(),
        Json::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Keeps the entries of an object that are set, recursively.
pub fn prune(v: Json) -> Json {
    match v {
        Json::Object(o) => Json::Object(
            o.into_iter()
                .map(|(k, v)| (k, prune(v)))
                .filter(|(_, v)| !is_empty(v))
                .collect(),
        ),
        Json::Array(a) => Json::Array(a.into_iter().map(prune).collect()),
        other => other,
    }
}

fn first(v: Option<&Json>) -> Option<&Json> {
    v?.as_array()?.first()
}

/// `key` of the first `block` of a sub-resource (`versioning_configuration
/// { status }`), or `missing` as the reason it cannot be folded.
fn first_block_value(
    attrs: &Map<String, Json>,
    block: &str,
    key: &str,
    missing: &'static str,
) -> Result<Json, &'static str> {
    let value = first(attrs.get(block)).and_then(|b| b.get(key));
    value.cloned().ok_or(missing)
}

/// The `name` blocks of a resource (`route`, `rule`, `parameter`); none
/// when absent.
fn blocks<'a>(attrs: &'a Map<String, Json>, name: &str) -> &'a [Json] {
    attrs
        .get(name)
        .and_then(Json::as_array)
        .map_or(&[], Vec::as_slice)
}

fn get<'a>(o: &'a Map<String, Json>, k: &str) -> Option<&'a Json> {
    o.get(k).filter(|v| !is_empty(v))
}

/// The forge fields of a kind's own Terraform resource (before folds;
/// not yet filtered to the kind's settable fields).
pub fn own_fields(row: &KindRow, attrs: &Map<String, Json>) -> Map<String, Json> {
    let mut out = Map::new();
    for (k, v) in attrs {
        let name = row.forge_name(k);
        let v = if row.blocks.contains(&name) {
            match first(Some(v)) {
                Some(inner) => inner.clone(),
                None => continue,
            }
        } else {
            v.clone()
        };
        out.insert(name.to_string(), v);
    }
    match row.kind {
        "aws.ec2.security_group" => {
            let own_id = attrs.get("id").cloned().unwrap_or(Json::Null);
            for dir in ["ingress", "egress"] {
                let rules = blocks(attrs, dir).iter();
                let rules: Vec<Json> = rules.flat_map(|r| inline_rules(r, &own_id)).collect();
                out.insert(dir.into(), Json::Array(rules));
            }
        }
        "aws.ec2.route_table" => {
            let routes = blocks(attrs, "route").iter().map(route).collect();
            out.insert("routes".into(), Json::Array(routes));
        }
        "aws.iam.role" => {
            let policies = blocks(attrs, "inline_policy").iter().filter_map(|p| {
                let name = p.get("name")?.as_str().filter(|n| !n.is_empty())?;
                Some((name.to_string(), p.get("policy")?.clone()))
            });
            let policies: Map<String, Json> = policies.collect();
            out.insert("inline_policies".into(), Json::Object(policies));
        }
        "aws.elbv2.load_balancer" => {
            if let Some(internal) = attrs.get("internal").and_then(Json::as_bool) {
                let scheme = if internal {
                    "internal"
                } else {
                    "internet-facing"
                };
                out.insert("scheme".into(), json!(scheme));
            }
        }
        "aws.ecs.cluster" => {
            let insights = attrs
                .get("setting")
                .and_then(Json::as_array)
                .and_then(|s| s.iter().find(|s| s["name"] == "containerInsights"))
                .map(|s| s["value"].clone());
            if let Some(v) = insights {
                out.insert("container_insights".into(), v);
            }
        }
        "aws.rds.cluster_parameter_group"
        | "aws.rds.db_parameter_group"
        | "aws.elasticache.parameter_group" => {
            let params = blocks(attrs, "parameter").iter().filter_map(|p| {
                let name = p.get("name")?.as_str()?.to_string();
                let value = p.get("value")?.clone();
                Some(match p.get("apply_method").and_then(Json::as_str) {
                    Some(m) if m != "immediate" => {
                        (name, json!({"value": value, "apply_method": m}))
                    }
                    _ => (name, value),
                })
            });
            let params: Map<String, Json> = params.collect();
            out.insert("parameters".into(), Json::Object(params));
        }
        "aws.ec2.flow_log" => {
            for attr in ["vpc_id", "subnet_id", "eni_id"] {
                if let Some(id) = get(attrs, attr) {
                    out.insert("resource_id".into(), id.clone());
                }
            }
        }
        _ => {}
    }
    super::super::app_shapes::from_terraform(row.kind, attrs, &mut out);
    out
}

/// One Terraform inline rule (many peers) → forge rules (one per peer).
fn inline_rules(r: &Json, own_id: &Json) -> Vec<Json> {
    let mut peers: Vec<(&str, Json)> = Vec::new();
    let list = |k: &str| {
        r.get(k)
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default()
    };
    peers.extend(list("cidr_blocks").into_iter().map(|c| ("cidr_ipv4", c)));
    peers.extend(
        list("ipv6_cidr_blocks")
            .into_iter()
            .map(|c| ("cidr_ipv6", c)),
    );
    peers.extend(
        list("security_groups")
            .into_iter()
            .map(|c| ("referenced_group_id", c)),
    );
    peers.extend(
        list("prefix_list_ids")
            .into_iter()
            .map(|c| ("prefix_list_id", c)),
    );
    if r.get("self").and_then(Json::as_bool) == Some(true) {
        peers.push(("referenced_group_id", own_id.clone()));
    }
    peers
        .into_iter()
        .map(|(peer, value)| {
            rule(
                r.get("protocol"),
                r.get("from_port"),
                r.get("to_port"),
                peer,
                value,
                r.get("description"),
            )
        })
        .collect()
}

/// A forge rule; ports left out for "all protocols".
fn rule(
    protocol: Option<&Json>,
    from: Option<&Json>,
    to: Option<&Json>,
    peer: &str,
    value: Json,
    description: Option<&Json>,
) -> Json {
    let protocol = protocol.cloned().unwrap_or(json!("-1"));
    let mut m = Map::new();
    let all = protocol == "-1" || protocol == "all";
    m.insert(
        "ip_protocol".into(),
        if all { json!("-1") } else { protocol },
    );
    if !all {
        for (k, v) in [("from_port", from), ("to_port", to)] {
            if let Some(v) = v.filter(|v| !is_empty(v)) {
                m.insert(k.into(), v.clone());
            }
        }
    }
    m.insert(peer.into(), value);
    if let Some(d) = description.filter(|d| !is_empty(d)) {
        m.insert("description".into(), d.clone());
    }
    Json::Object(m)
}

/// A Terraform route (inline or `aws_route`) → a forge route.
fn route(r: &Json) -> Json {
    let mut m = Map::new();
    let Some(o) = r.as_object() else {
        return Json::Object(m);
    };
    for (k, v) in o {
        if is_empty(v) {
            continue;
        }
        let name = match k.as_str() {
            "cidr_block" => "destination_cidr_block",
            "ipv6_cidr_block" => "destination_ipv6_cidr_block",
            "destination_cidr_block"
            | "destination_ipv6_cidr_block"
            | "destination_prefix_list_id"
            | "gateway_id"
            | "nat_gateway_id"
            | "vpc_endpoint_id"
            | "transit_gateway_id"
            | "vpc_peering_connection_id"
            | "network_interface_id"
            | "egress_only_internet_gateway_id" => k.as_str(),
            _ => continue,
        };
        m.insert(name.into(), v.clone());
    }
    Json::Object(m)
}

fn push(fields: &mut Map<String, Json>, field: &str, item: Json) {
    let entry = fields
        .entry(field.to_string())
        .or_insert_with(|| Json::Array(Vec::new()));
    if let Json::Array(list) = entry
        && !list.contains(&item)
    {
        list.push(item);
    }
}

/// Puts a folded sub-resource's settings on its owner's fields. Returns
/// what it could not use (as a reason), if anything.
pub fn apply_fold(
    tf_type: &str,
    attrs: &Map<String, Json>,
    owner_id: &Json,
    fields: &mut Map<String, Json>,
) -> Result<(), String> {
    match tf_type {
        "aws_s3_bucket_versioning" => {
            let status = first_block_value(
                attrs,
                "versioning_configuration",
                "status",
                "no versioning_configuration",
            )?;
            fields.insert("versioning".into(), status);
        }
        "aws_s3_bucket_server_side_encryption_configuration" => {
            let rule = first(attrs.get("rule")).ok_or("no rule")?;
            let by_default = first(rule.get("apply_server_side_encryption_by_default"));
            let mut sse = Map::new();
            if let Some(d) = by_default {
                for k in ["sse_algorithm", "kms_master_key_id"] {
                    if let Some(v) = d.get(k).filter(|v| !is_empty(v)) {
                        sse.insert(k.into(), v.clone());
                    }
                }
            }
            if let Some(b) = rule.get("bucket_key_enabled").filter(|v| v.is_boolean()) {
                sse.insert("bucket_key_enabled".into(), b.clone());
            }
            fields.insert("server_side_encryption".into(), Json::Object(sse));
        }
        "aws_s3_bucket_public_access_block" => {
            let flags: Map<String, Json> = [
                "block_public_acls",
                "ignore_public_acls",
                "block_public_policy",
                "restrict_public_buckets",
            ]
            .into_iter()
            .map(|k| (k.to_string(), attrs.get(k).cloned().unwrap_or(json!(false))))
            .collect();
            fields.insert("public_access_block".into(), Json::Object(flags));
        }
        "aws_s3_bucket_ownership_controls" => {
            let o = first_block_value(attrs, "rule", "object_ownership", "no rule")?;
            fields.insert("ownership_controls".into(), o);
        }
        "aws_s3_bucket_lifecycle_configuration" => {
            let rules = blocks(attrs, "rule").iter().map(lifecycle_rule).collect();
            fields.insert("lifecycle_rules".into(), Json::Array(rules));
        }
        "aws_s3_bucket_policy" | "aws_sns_topic_policy" | "aws_kms_key_policy" => {
            let policy = attrs.get("policy").cloned().ok_or("no policy")?;
            fields.insert("policy".into(), policy);
        }
        "aws_s3_bucket_replication_configuration" => {
            let rules: Vec<Json> = blocks(attrs, "rule").iter().map(replication_rule).collect();
            fields.insert(
                "replication_configuration".into(),
                json!({"role": attrs.get("role").cloned().unwrap_or(Json::Null), "rules": rules}),
            );
        }
        "aws_security_group_rule" => {
            let dir = match attrs.get("type").and_then(Json::as_str) {
                Some(d @ ("ingress" | "egress")) => d,
                _ => return Err("its `type` is neither ingress nor egress".into()),
            };
            let mut peer = attrs.clone();
            if let Some(src) = attrs
                .get("source_security_group_id")
                .filter(|v| !is_empty(v))
            {
                peer.insert("security_groups".into(), json!([src]));
            }
            for r in inline_rules(&Json::Object(peer), owner_id) {
                push(fields, dir, r);
            }
        }
        "aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule" => {
            let dir = if tf_type.ends_with("ingress_rule") {
                "ingress"
            } else {
                "egress"
            };
            let peer = [
                ("cidr_ipv4", "cidr_ipv4"),
                ("cidr_ipv6", "cidr_ipv6"),
                ("referenced_security_group_id", "referenced_group_id"),
                ("prefix_list_id", "prefix_list_id"),
            ]
            .into_iter()
            .find_map(|(tf, forge)| get(attrs, tf).map(|v| (forge, v.clone())))
            .ok_or("the rule names no peer")?;
            let r = rule(
                attrs.get("ip_protocol"),
                attrs.get("from_port"),
                attrs.get("to_port"),
                peer.0,
                peer.1,
                attrs.get("description"),
            );
            push(fields, dir, r);
        }
        "aws_route" => push(fields, "routes", route(&Json::Object(attrs.clone()))),
        "aws_route_table_association" => {
            let subnet = get(attrs, "subnet_id")
                .cloned()
                .ok_or("an association with a gateway, not a subnet (forge has no such field)")?;
            push(fields, "subnet_ids", subnet);
        }
        "aws_internet_gateway_attachment" => {
            let vpc = attrs.get("vpc_id").cloned().ok_or("no vpc_id")?;
            fields.insert("vpc_id".into(), vpc);
        }
        "aws_vpc_endpoint_route_table_association" => {
            let id = attrs
                .get("route_table_id")
                .cloned()
                .ok_or("no route_table_id")?;
            push(fields, "route_table_ids", id);
        }
        "aws_vpc_endpoint_subnet_association" => {
            let id = attrs.get("subnet_id").cloned().ok_or("no subnet_id")?;
            push(fields, "subnet_ids", id);
        }
        "aws_iam_role_policy" => {
            let name = get(attrs, "name").cloned().ok_or("no name")?;
            let policy = attrs.get("policy").cloned().ok_or("no policy")?;
            let Some(name) = name.as_str() else {
                return Err("its name is not a string".into());
            };
            let entry = fields
                .entry("inline_policies")
                .or_insert_with(|| Json::Object(Map::new()));
            if let Json::Object(m) = entry {
                m.insert(name.to_string(), policy);
            }
        }
        "aws_iam_role_policy_attachment" => {
            let arn = attrs.get("policy_arn").cloned().ok_or("no policy_arn")?;
            push(fields, "managed_policy_arns", arn);
        }
        "aws_ecs_cluster_capacity_providers" => {
            for k in ["capacity_providers", "default_capacity_provider_strategy"] {
                if let Some(v) = attrs.get(k) {
                    fields.insert(k.into(), v.clone());
                }
            }
        }
        "aws_secretsmanager_secret_version" => {
            // The value itself goes to the state as a hash (see the
            // migration's sensitive values), never into the spec.
        }
        other => return Err(format!("forge does not read {other} yet")),
    }
    Ok(())
}

fn lifecycle_rule(r: &Json) -> Json {
    let days = |block: &str, key: &str| first(r.get(block)).and_then(|b| b.get(key)).cloned();
    let prefix = first(r.get("filter"))
        .and_then(|f| f.get("prefix"))
        .or_else(|| r.get("prefix"))
        .cloned();
    let transitions: Vec<Json> = r
        .get("transition")
        .and_then(Json::as_array)
        .map(|t| {
            t.iter()
                .map(|t| json!({"days": t["days"], "storage_class": t["storage_class"]}))
                .collect()
        })
        .unwrap_or_default();
    prune(json!({
        "id": r.get("id"),
        "status": r.get("status"),
        "prefix": prefix,
        "expiration_days": days("expiration", "days"),
        "noncurrent_version_expiration_days": days("noncurrent_version_expiration", "noncurrent_days"),
        "transitions": transitions,
        "abort_incomplete_multipart_upload_days": days("abort_incomplete_multipart_upload", "days_after_initiation"),
    }))
}

fn replication_rule(r: &Json) -> Json {
    let dest = first(r.get("destination"));
    let enc = dest
        .and_then(|d| first(d.get("encryption_configuration")))
        .and_then(|e| e.get("replica_kms_key_id"))
        .cloned();
    prune(json!({
        "id": r.get("id"),
        "priority": r.get("priority"),
        "status": r.get("status"),
        "filter": {"prefix": first(r.get("filter")).and_then(|f| f.get("prefix"))},
        "destination": {
            "bucket": dest.and_then(|d| d.get("bucket")),
            "storage_class": dest.and_then(|d| d.get("storage_class")),
            "encryption_configuration": {"replica_kms_key_id": enc},
        },
        "delete_marker_replication": {"status": first(r.get("delete_marker_replication")).and_then(|d| d.get("status"))},
    }))
}

#[cfg(test)]
mod tests {
    use super::super::super::table::by_kind;
    use super::*;

    fn obj(v: Json) -> Map<String, Json> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn inline_rules_split_per_peer() {
        let row = by_kind("aws.ec2.security_group").unwrap();
        let f = own_fields(
            row,
            &obj(json!({"id": "sg-1", "name": "web", "ingress": [
                {"from_port": 443, "to_port": 443, "protocol": "tcp",
                 "cidr_blocks": ["10.0.0.0/8", "0.0.0.0/0"], "ipv6_cidr_blocks": [],
                 "security_groups": [], "prefix_list_ids": [], "self": true, "description": ""}],
              "egress": [{"from_port": 0, "to_port": 0, "protocol": "-1", "cidr_blocks": ["0.0.0.0/0"]}]})),
        );
        assert_eq!(f["group_name"], "web");
        assert_eq!(f["ingress"].as_array().unwrap().len(), 3);
        assert_eq!(f["ingress"][2]["referenced_group_id"], "sg-1");
        assert_eq!(
            f["egress"][0],
            json!({"ip_protocol": "-1", "cidr_ipv4": "0.0.0.0/0"})
        );
    }

    #[test]
    fn bucket_sub_resources_fold_in() {
        let mut fields = Map::new();
        let owner = json!("b");
        apply_fold(
            "aws_s3_bucket_versioning",
            &obj(json!({"bucket": "b", "versioning_configuration": [{"status": "Enabled", "mfa_delete": ""}]})),
            &owner,
            &mut fields,
        )
        .unwrap();
        apply_fold(
            "aws_s3_bucket_server_side_encryption_configuration",
            &obj(json!({"bucket": "b", "rule": [{"bucket_key_enabled": true,
                "apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms", "kms_master_key_id": "k"}]}]})),
            &owner,
            &mut fields,
        )
        .unwrap();
        assert_eq!(fields["versioning"], "Enabled");
        assert_eq!(
            fields["server_side_encryption"],
            json!({"sse_algorithm": "aws:kms", "kms_master_key_id": "k", "bucket_key_enabled": true})
        );
    }
}
