//! A forge plan in Terraform's JSON plan representation (the output of
//! `terraform show -json PLANFILE`, format version 1.2), so tools written
//! for Terraform plans (checkov, OPA/conftest policies, cost estimators)
//! read forge plans unchanged.
//!
//! Resource types and attribute names come from the mapping table
//! ([`super::table`]) and the per-kind shapes ([`super::shape`]). Every
//! forge resource is a `managed` resource of the root module, addressed
//! `<tf type>.<forge name>[<key>]`; a forge resource's name is used as is.
//!
//! Sensitive values never appear: where Terraform's own output would show a
//! sensitive value, this one writes `null` and marks the path in
//! `before_sensitive` / `after_sensitive` / `sensitive_values` (forge's
//! state only holds a hash of them anyway). Unknown values are `null` in
//! `after` and marked in `after_unknown`, and left out of `planned_values`,
//! as Terraform does.

use super::{shape, sub_resources, table};
use forge_core::expr::{Parsed, RefOp, analyze, parse};
use forge_core::spec::{Config, Instance};
use forge_core::{Address, Attrs, InstanceKey, Value};
use forge_engine::{ChangeAction, Plan, ResourceChange};
use serde_json::{Map, Value as Json, json};
use std::collections::{BTreeMap, BTreeSet};

/// The plan representation's format version written.
pub const FORMAT_VERSION: &str = "1.2";
/// The Terraform release whose plan representation this matches (tools
/// check it is a 1.x).
pub const TERRAFORM_VERSION: &str = "1.9.0";
/// The provider every resource belongs to.
pub const PROVIDER_NAME: &str = "registry.terraform.io/hashicorp/aws";

/// The Terraform type of a forge kind (kinds without a row keep a made-up
/// `forge_` type so they still show; the table test keeps that empty).
fn tf_type(kind: &str) -> String {
    table::by_kind(kind).map_or_else(
        || format!("forge_{}", kind.replace('.', "_")),
        |r| r.tf_type.to_string(),
    )
}

/// Converts forge attributes to Terraform's names and shapes (marks kept).
pub fn terraform_attrs(kind: &str, attrs: &Attrs) -> Attrs {
    let mut attrs = attrs.clone();
    shape::to_terraform(kind, &mut attrs);
    let Some(row) = table::by_kind(kind) else {
        return attrs;
    };
    attrs
        .into_iter()
        .map(|(k, v)| {
            let v = if row.blocks.contains(&k.as_str()) {
                match v {
                    Value::Null => Value::List(Vec::new()),
                    v @ Value::Map(_) => Value::List(vec![v]),
                    other => other,
                }
            } else {
                v
            };
            (row.tf_name(&k).to_string(), v)
        })
        .collect()
}

/// Plain values: sensitive and unknown parts as `null`.
fn plain(v: &Value) -> Json {
    match v {
        Value::Sensitive(_) | Value::Unknown => Json::Null,
        Value::List(items) => Json::Array(items.iter().map(plain).collect()),
        Value::Map(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), plain(v))).collect()),
        other => other.to_json(),
    }
}

/// Terraform's mask of a value: `true` where `hit`, objects keep only the
/// keys with something marked, lists keep every position (`false`).
fn mask(v: &Value, hit: fn(&Value) -> bool) -> Json {
    if hit(v) {
        return Json::Bool(true);
    }
    match v {
        Value::List(items) => Json::Array(items.iter().map(|i| mask(i, hit)).collect()),
        Value::Map(m) => Json::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), mask(v, hit)))
                .filter(|(_, m)| *m != Json::Bool(false))
                .collect(),
        ),
        _ => Json::Bool(false),
    }
}

fn is_unknown(v: &Value) -> bool {
    matches!(v, Value::Unknown)
}

fn is_sensitive(v: &Value) -> bool {
    matches!(v, Value::Sensitive(_))
}

fn attrs_value(attrs: &Attrs) -> Value {
    Value::Map(attrs.clone())
}

/// Values for `planned_values` / `prior_state`: unknowns left out.
fn known_values(attrs: &Attrs) -> Json {
    Json::Object(
        attrs
            .iter()
            .filter(|(_, v)| !is_unknown(v))
            .map(|(k, v)| (k.clone(), plain(v)))
            .collect(),
    )
}

fn index_json(key: &Option<InstanceKey>) -> Option<Json> {
    match key {
        None => None,
        Some(InstanceKey::Index(i)) => Some(json!(i)),
        Some(InstanceKey::Key(k)) => Some(json!(k)),
    }
}

/// `<terraform type>.<name>[<key>]`.
fn typed_address(ty: &str, address: &Address) -> String {
    match &address.key {
        None => format!("{ty}.{}", address.name),
        Some(InstanceKey::Index(i)) => format!("{ty}.{}[{i}]", address.name),
        Some(InstanceKey::Key(k)) => format!("{ty}.{}[{k:?}]", address.name),
    }
}

/// The common head of a resource entry of Terraform type `ty`.
fn resource_head(ty: &str, address: &Address) -> Map<String, Json> {
    let mut head = Map::new();
    head.insert("address".into(), json!(typed_address(ty, address)));
    head.insert("mode".into(), json!("managed"));
    head.insert("type".into(), json!(ty));
    head.insert("name".into(), json!(address.name));
    if let Some(index) = index_json(&address.key) {
        head.insert("index".into(), index);
    }
    head.insert("provider_name".into(), json!(PROVIDER_NAME));
    head
}

/// A resource of `planned_values` or `prior_state`, with its folded
/// sub-resources after it.
fn state_resources(kind: &str, address: &Address, attrs: &Attrs) -> Vec<Json> {
    let mut out = vec![state_resource(
        &tf_type(kind),
        address,
        &terraform_attrs(kind, attrs),
    )];
    for (ty, _, values) in sub_resources::of(kind, attrs) {
        out.push(state_resource(ty, address, &values));
    }
    out
}

/// One resource of `planned_values` or `prior_state` (Terraform values).
fn state_resource(ty: &str, address: &Address, tf: &Attrs) -> Json {
    let mut r = resource_head(ty, address);
    r.insert("schema_version".into(), json!(0));
    r.insert("values".into(), known_values(tf));
    r.insert(
        "sensitive_values".into(),
        mask(&attrs_value(tf), is_sensitive),
    );
    Json::Object(r)
}

/// Terraform's action list of a change.
fn actions(c: &ResourceChange) -> Vec<&'static str> {
    match c.action {
        ChangeAction::Create => vec!["create"],
        ChangeAction::Update => vec!["update"],
        ChangeAction::Replace if c.create_before_destroy => vec!["create", "delete"],
        ChangeAction::Replace => vec!["delete", "create"],
        ChangeAction::Delete => vec!["delete"],
        ChangeAction::Adopt if !c.changes.is_empty() => vec!["update"],
        ChangeAction::Adopt | ChangeAction::NoOp => vec!["no-op"],
    }
}

/// Values, unknown mask and sensitive mask of one side of a change
/// (Terraform values).
fn side(tf: Option<&Attrs>) -> (Json, Json, Json) {
    match tf {
        None => (Json::Null, Json::Bool(false), Json::Bool(false)),
        Some(a) => {
            let tf = attrs_value(a);
            (plain(&tf), mask(&tf, is_unknown), mask(&tf, is_sensitive))
        }
    }
}

/// A change's entries: the resource's, then its folded sub-resources'
/// (created or deleted with their setting, else following the owner).
fn resource_changes(c: &ResourceChange) -> Vec<Json> {
    let before = c.before.as_ref().map(|a| terraform_attrs(&c.kind, a));
    let after = c.after.as_ref().map(|a| terraform_attrs(&c.kind, a));
    let mut out = vec![change_entry(
        c,
        &tf_type(&c.kind),
        actions(c),
        before.as_ref(),
        after.as_ref(),
    )];
    let subs = |a: &Option<Attrs>| {
        a.as_ref()
            .map(|a| sub_resources::of(&c.kind, a))
            .unwrap_or_default()
    };
    let (subs_before, subs_after) = (subs(&c.before), subs(&c.after));
    let mut types: Vec<&str> = subs_before.iter().chain(&subs_after).map(|s| s.0).collect();
    types.dedup();
    types.sort_unstable();
    types.dedup();
    for ty in types {
        let find = |list: &[(&'static str, &'static str, Attrs)]| {
            list.iter().find(|s| s.0 == ty).map(|s| s.2.clone())
        };
        let (b, a) = (find(&subs_before), find(&subs_after));
        let acts = match (&b, &a) {
            (None, Some(_)) => vec!["create"],
            (Some(_), None) => vec!["delete"],
            _ if matches!(
                c.action,
                ChangeAction::Replace | ChangeAction::Delete | ChangeAction::Create
            ) =>
            {
                actions(c)
            }
            _ if b == a => vec!["no-op"],
            _ => vec!["update"],
        };
        out.push(change_entry(c, ty, acts, b.as_ref(), a.as_ref()));
    }
    out
}

fn change_entry(
    c: &ResourceChange,
    ty: &str,
    actions: Vec<&'static str>,
    before: Option<&Attrs>,
    after: Option<&Attrs>,
) -> Json {
    let (before, _, before_sensitive) = side(before);
    let (after, after_unknown, after_sensitive) = side(after);
    let after_unknown = match after_unknown {
        Json::Bool(false) => json!({}),
        other => other,
    };
    let replaced = actions.len() == 2;
    let mut r = resource_head(ty, &c.address);
    if c.deposed
        && let Some(id) = &c.id
    {
        r.insert("deposed".into(), json!(id));
    }
    r.insert(
        "change".into(),
        json!({
            "actions": actions,
            "before": before,
            "after": after,
            "after_unknown": after_unknown,
            "before_sensitive": before_sensitive,
            "after_sensitive": after_sensitive,
        }),
    );
    // Terraform 1.5+ marks an import block's change with `importing` and
    // a moved block's with `previous_address`; policy tools read both.
    if c.import
        && let (Some(id), Some(Json::Object(change))) = (&c.id, r.get_mut("change"))
    {
        change.insert("importing".into(), json!({ "id": id }));
    }
    if let Some(from) = &c.moved_from {
        r.insert("previous_address".into(), json!(typed_address(ty, from)));
    }
    if c.action == ChangeAction::Replace && replaced {
        // `-replace ADDR` is Terraform's `replace_by_request`.
        let requested = c
            .replace_because
            .iter()
            .any(|r| r == forge_engine::plan::replace::REASON);
        let reason = if requested {
            "replace_by_request"
        } else {
            "replace_because_cannot_update"
        };
        r.insert("action_reason".into(), json!(reason));
    }
    Json::Object(r)
}

/// The names of the stack's resources and their kinds (to turn a forge
/// reference into a Terraform one).
fn kinds_by_name(instances: &[Instance]) -> BTreeMap<&str, &str> {
    instances
        .iter()
        .map(|i| (i.address.name.as_str(), i.kind.as_str()))
        .collect()
}

/// The Terraform references of a template, as `terraform show -json`
/// lists them: `aws_vpc.main.id` and `aws_vpc.main`, `var.env`.
fn references(source: &str, kinds: &BTreeMap<&str, &str>) -> Vec<String> {
    let Ok(parsed) = parse(source) else {
        return Vec::new();
    };
    let parsed: Parsed = parsed;
    let mut out = Vec::new();
    for r in analyze(&parsed).refs {
        let attr = r.first_attr().map(str::to_string);
        let (base, attr) = match r.root.as_str() {
            "vars" | "var" => (attr.map(|a| format!("var.{a}")), None),
            "local" | "locals" => (attr.map(|a| format!("local.{a}")), None),
            "each" | "count" | "env" | "self" | "data" => (None, None),
            name => match kinds.get(name) {
                Some(kind) => {
                    let base = format!("{}.{name}", tf_type(kind));
                    // `subnet[0].id`: the attribute is after the index.
                    let attr = r.ops.iter().find_map(|op| match op {
                        RefOp::Attr(a) => Some(a.clone()),
                        _ => None,
                    });
                    let attr = attr.map(|a| {
                        table::by_kind(kind).map_or(a.clone(), |row| row.tf_name(&a).to_string())
                    });
                    (Some(base), attr)
                }
                None => (None, None),
            },
        };
        if let Some(base) = base {
            if let Some(attr) = attr {
                out.push(format!("{base}.{attr}"));
            }
            out.push(base);
        }
    }
    let mut seen = BTreeSet::new();
    out.retain(|r| seen.insert(r.clone()));
    out
}

/// Whether a configuration tree holds an expression.
fn has_template(c: &Config) -> bool {
    match c {
        Config::Literal(_) => false,
        Config::Template { .. } => true,
        Config::List(items) => items.iter().any(has_template),
        Config::Map(m) => m.values().any(has_template),
    }
}

fn templates<'a>(c: &'a Config, out: &mut Vec<&'a str>) {
    match c {
        Config::Literal(_) => {}
        Config::Template { source, .. } => out.push(source),
        Config::List(items) => items.iter().for_each(|i| templates(i, out)),
        Config::Map(m) => m.values().for_each(|i| templates(i, out)),
    }
}

/// Plain configuration (no expression in it) as JSON, sensitive literals
/// left out.
fn literal_json(c: &Config) -> Json {
    match c {
        Config::Literal(v) => plain(v),
        Config::Template { .. } => Json::Null,
        Config::List(items) => Json::Array(items.iter().map(literal_json).collect()),
        Config::Map(m) => Json::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), literal_json(v)))
                .collect(),
        ),
    }
}

/// One attribute's expression: `constant_value` for literals,
/// `references` for anything computed; nested blocks as lists of
/// expression objects.
fn expression(c: &Config, block: bool, kinds: &BTreeMap<&str, &str>) -> Json {
    if block && let Config::Map(m) = c {
        let inner: Map<String, Json> = m
            .iter()
            .map(|(k, v)| (k.clone(), expression(v, false, kinds)))
            .collect();
        return json!([inner]);
    }
    if !has_template(c) {
        return json!({ "constant_value": literal_json(c) });
    }
    let mut sources = Vec::new();
    templates(c, &mut sources);
    let mut refs: Vec<String> = sources.iter().flat_map(|s| references(s, kinds)).collect();
    let mut seen = BTreeSet::new();
    refs.retain(|r| seen.insert(r.clone()));
    json!({ "references": refs })
}

/// The configuration of the sub-resources a spec resource's planned
/// objects get: their owner attribute references the owner, which is what
/// connects them for graph policies.
fn sub_resource_configs(plan: &Plan, name: &str, kind: &str) -> Vec<Json> {
    let owner = format!("{}.{name}", tf_type(kind));
    let mut seen: Vec<(&str, &str)> = plan
        .changes
        .iter()
        .filter(|c| c.address.name == name)
        .flat_map(|c| c.after.iter().chain(c.before.iter()))
        .flat_map(|a| sub_resources::of(kind, a))
        .map(|(ty, attr, _)| (ty, attr))
        .collect();
    seen.sort_unstable();
    seen.dedup();
    seen.into_iter()
        .map(|(ty, attr)| {
            json!({
                "address": format!("{ty}.{name}"),
                "mode": "managed",
                "type": ty,
                "name": name,
                "provider_config_key": "aws",
                "expressions": { attr: { "references": [format!("{owner}.id"), owner.clone()] } },
                "schema_version": 0,
            })
        })
        .collect()
}

/// `configuration`: the provider and one entry per spec resource (its
/// first instance's expressions, as Terraform shows a resource's
/// configuration once for all its instances).
fn configuration(plan: &Plan) -> Json {
    let kinds = kinds_by_name(&plan.config.instances);
    let mut by_name: BTreeMap<&str, Vec<&Instance>> = BTreeMap::new();
    for i in &plan.config.instances {
        by_name.entry(i.address.name.as_str()).or_default().push(i);
    }
    let resources: Vec<Json> = by_name
        .iter()
        .filter_map(|(name, instances)| {
            let first = instances.first()?;
            let row = table::by_kind(&first.kind);
            let expressions: Map<String, Json> = first
                .fields
                .iter()
                .map(|(k, v)| {
                    let block = row.is_some_and(|r| r.blocks.contains(&k.as_str()));
                    let tf = row.map_or(k.as_str(), |r| r.tf_name(k));
                    (tf.to_string(), expression(v, block, &kinds))
                })
                .collect();
            let mut r = Map::new();
            r.insert(
                "address".into(),
                json!(format!("{}.{name}", tf_type(&first.kind))),
            );
            r.insert("mode".into(), json!("managed"));
            r.insert("type".into(), json!(tf_type(&first.kind)));
            r.insert("name".into(), json!(name));
            r.insert("provider_config_key".into(), json!("aws"));
            r.insert("expressions".into(), Json::Object(expressions));
            r.insert("schema_version".into(), json!(0));
            if matches!(first.address.key, Some(InstanceKey::Index(_))) {
                r.insert(
                    "count_expression".into(),
                    json!({ "constant_value": instances.len() }),
                );
            }
            if matches!(first.address.key, Some(InstanceKey::Key(_))) {
                let keys: Map<String, Json> = instances
                    .iter()
                    .filter_map(|i| match &i.address.key {
                        Some(InstanceKey::Key(k)) => Some((k.clone(), json!(k))),
                        _ => None,
                    })
                    .collect();
                r.insert(
                    "for_each_expression".into(),
                    json!({ "constant_value": keys }),
                );
            }
            let mut entries = vec![Json::Object(r)];
            entries.extend(sub_resource_configs(plan, name, &first.kind));
            Some(entries)
        })
        .flatten()
        .collect();
    let outputs: Map<String, Json> = plan
        .config
        .outputs
        .iter()
        .map(|o| {
            let mut e = expression(&o.value, false, &kinds);
            if o.sensitive
                && let Json::Object(m) = &mut e
            {
                m.remove("constant_value");
                m.insert("sensitive".into(), json!(true));
            }
            let mut out = Map::new();
            out.insert("expression".into(), e);
            if o.sensitive {
                out.insert("sensitive".into(), json!(true));
            }
            if let Some(d) = &o.description {
                out.insert("description".into(), json!(d));
            }
            (o.name.clone(), Json::Object(out))
        })
        .collect();
    json!({
        "provider_config": {
            "aws": {
                "name": "aws",
                "full_name": PROVIDER_NAME,
                "expressions": { "region": { "constant_value": plan.config.region } },
            }
        },
        "root_module": { "resources": resources, "outputs": outputs },
    })
}

fn output_value(v: Option<&Value>, sensitive: bool) -> (Json, Json, Json) {
    match v {
        None => (Json::Null, Json::Bool(false), Json::Bool(sensitive)),
        Some(v) if sensitive || v.is_sensitive() => (Json::Null, json!(!v.is_known()), json!(true)),
        Some(v) => (plain(v), mask(v, is_unknown), mask(v, is_sensitive)),
    }
}

/// The plan in Terraform's JSON plan representation.
pub fn to_terraform_json(plan: &Plan) -> Json {
    let current = |c: &&ResourceChange| !c.deposed;
    let planned: Vec<Json> = plan
        .changes
        .iter()
        .filter(current)
        .filter(|c| c.action != ChangeAction::Delete)
        .filter_map(|c| Some(state_resources(&c.kind, &c.address, c.after.as_ref()?)))
        .flatten()
        .collect();
    let prior: Vec<Json> = plan
        .changes
        .iter()
        .filter(current)
        .filter_map(|c| Some(state_resources(&c.kind, &c.address, c.before.as_ref()?)))
        .flatten()
        .collect();
    let mut planned_outputs = Map::new();
    let mut output_changes = Map::new();
    for o in &plan.output_changes {
        let (before, _, before_sensitive) = output_value(o.before.as_ref(), o.sensitive);
        let (after, after_unknown, after_sensitive) = output_value(o.after.as_ref(), o.sensitive);
        let action = match o.action {
            ChangeAction::Create => vec!["create"],
            ChangeAction::Delete => vec!["delete"],
            ChangeAction::NoOp => vec!["no-op"],
            _ => vec!["update"],
        };
        output_changes.insert(
            o.name.clone(),
            json!({
                "actions": action,
                "before": before,
                "after": after,
                "after_unknown": after_unknown,
                "before_sensitive": before_sensitive,
                "after_sensitive": after_sensitive,
            }),
        );
        if let Some(v) = &o.after
            && v.is_known()
        {
            let mut entry = Map::new();
            entry.insert("sensitive".into(), json!(o.sensitive));
            if !o.sensitive && !v.is_sensitive() {
                entry.insert("value".into(), plain(v));
            }
            planned_outputs.insert(o.name.clone(), Json::Object(entry));
        }
    }
    let variables: Map<String, Json> = plan
        .config
        .vars
        .iter()
        .map(|(k, v)| (k.clone(), json!({ "value": plain(v) })))
        .collect();
    json!({
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "forge_version": env!("CARGO_PKG_VERSION"),
        "variables": variables,
        "planned_values": {
            "outputs": planned_outputs,
            "root_module": { "resources": planned },
        },
        "resource_changes": plan.changes.iter().flat_map(resource_changes).collect::<Vec<_>>(),
        "output_changes": output_changes,
        "prior_state": {
            "format_version": "1.0",
            "terraform_version": TERRAFORM_VERSION,
            "values": {
                "outputs": {},
                "root_module": { "resources": prior },
            },
        },
        "configuration": configuration(plan),
        "timestamp": plan.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "applyable": plan.has_changes(),
        "complete": true,
        "errored": false,
    })
}

/// [`to_terraform_json`] as pretty text.
pub fn to_terraform_json_string(plan: &Plan) -> String {
    serde_json::to_string_pretty(&to_terraform_json(plan)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing::attrs;
    use chrono::TimeZone;
    use forge_core::spec::{OutputDef, Stack, StateBackendConfig};

    fn change(
        name: &str,
        kind: &str,
        action: ChangeAction,
        before: Option<Attrs>,
        after: Option<Attrs>,
    ) -> ResourceChange {
        ResourceChange {
            address: Address::single(name),
            kind: kind.into(),
            region: "eu-west-1".into(),
            alias: None,
            action,
            id: before
                .as_ref()
                .and_then(|b| b.get("id"))
                .and_then(Value::as_str)
                .map(str::to_string),
            before,
            after,
            changes: Vec::new(),
            pending: Vec::new(),
            replace_because: Vec::new(),
            create_before_destroy: false,
            dependencies: BTreeSet::new(),
            warnings: Vec::new(),
            deposed: false,
            pending_token: None,
            store_sensitive: false,
            data_loss: false,
            untracked: false,
            not_compared: Vec::new(),
            import: false,
            moved_from: None,
        }
    }

    fn instance(name: &str, kind: &str, fields: &[(&str, Config)]) -> Instance {
        let mut i = Instance::new(Address::single(name), kind, "eu-west-1");
        i.fields = fields
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect();
        i
    }

    /// A small plan: a VPC and a security group to create (SSH open to the
    /// world, the group's VPC known after apply), a bucket whose
    /// versioning changes, and a parameter with a sensitive value.
    fn small_plan() -> Plan {
        let mut vpc_after = attrs(serde_json::json!({
            "cidr_block": "10.0.0.0/16", "enable_dns_support": true, "tags": {"team": "web"}
        }));
        vpc_after.insert("id".into(), Value::Unknown);
        vpc_after.insert("arn".into(), Value::Unknown);
        let mut sg_after = attrs(serde_json::json!({
            "group_name": "ssh", "description": "ssh",
            "ingress": [{"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": "0.0.0.0/0"}],
            "egress": [],
        }));
        sg_after.insert("vpc_id".into(), Value::Unknown);
        sg_after.insert("id".into(), Value::Unknown);
        let bucket_before = attrs(serde_json::json!({
            "id": "logs-1", "bucket": "logs-1", "versioning": "Suspended",
            "public_access_block": {"block_public_acls": true},
            "arn": "arn:aws:s3:::logs-1",
        }));
        let mut bucket_after = bucket_before.clone();
        bucket_after.insert("versioning".into(), Value::from("Enabled"));
        let mut param = attrs(serde_json::json!({
            "id": "/app/db", "name": "/app/db", "parameter_type": "SecureString",
        }));
        param.insert("value".into(), Value::from("hunter2").sensitive());
        let mut bucket = change(
            "logs",
            "aws.s3.bucket",
            ChangeAction::Update,
            Some(bucket_before),
            Some(bucket_after),
        );
        bucket.changes.push(forge_engine::FieldChange {
            path: "versioning".into(),
            before: Some(Value::from("Suspended")),
            after: Some(Value::from("Enabled")),
            forces_replacement: false,
        });
        let config = Stack {
            name: "demo".into(),
            environment: None,
            region: "eu-west-1".into(),
            root: "/stack".into(),
            state: StateBackendConfig::default(),
            tags: BTreeMap::new(),
            vars: BTreeMap::from([("cidr".to_string(), Value::from("10.0.0.0/16"))]),
            instances: vec![
                instance(
                    "logs",
                    "aws.s3.bucket",
                    &[("bucket", Config::literal("logs-1"))],
                ),
                instance(
                    "main",
                    "aws.ec2.vpc",
                    &[("cidr_block", Config::template("${vars.cidr}"))],
                ),
                instance(
                    "ssh",
                    "aws.ec2.security_group",
                    &[
                        ("group_name", Config::literal("ssh")),
                        ("vpc_id", Config::template("${main.id}")),
                    ],
                ),
            ],
            outputs: vec![OutputDef {
                name: "vpc_id".into(),
                value: Config::template("${main.id}"),
                sensitive: false,
                description: None,
                dependencies: BTreeSet::new(),
                preconditions: Vec::new(),
            }],
            locals: BTreeMap::new(),
            adoption: Default::default(),
            data: Vec::new(),
            data_values: BTreeMap::new(),
            dependency_outputs: BTreeMap::new(),
            aws: None,
            aws_aliases: Default::default(),
            modules: BTreeMap::new(),
            awaiting_data: Vec::new(),
        };
        Plan {
            format_version: forge_engine::plan::PLAN_FORMAT_VERSION.into(),
            stack: "demo".into(),
            environment: None,
            lineage: "l".into(),
            serial: 3,
            state_exists: true,
            created_at: chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
            destroy: false,
            changes: vec![
                bucket,
                change(
                    "main",
                    "aws.ec2.vpc",
                    ChangeAction::Create,
                    None,
                    Some(vpc_after),
                ),
                change(
                    "db_password",
                    "aws.ssm.parameter",
                    ChangeAction::NoOp,
                    Some(param.clone()),
                    Some(param),
                ),
                change(
                    "ssh",
                    "aws.ec2.security_group",
                    ChangeAction::Create,
                    None,
                    Some(sg_after),
                ),
            ],
            output_changes: vec![forge_engine::OutputChange {
                name: "vpc_id".into(),
                action: ChangeAction::Create,
                before: None,
                after: Some(Value::Unknown),
                sensitive: false,
            }],
            forget: Vec::new(),
            moves: Vec::new(),
            unmanage: Vec::new(),
            unconfigured: Vec::new(),
            replace: Vec::new(),
            target: Vec::new(),
            config,
            spec: None,
        }
    }

    #[test]
    fn imports_and_moves_carry_terraform_markers() {
        let mut imported = change(
            "logs",
            "aws.s3.bucket",
            ChangeAction::NoOp,
            Some(attrs(
                serde_json::json!({"id": "logs-1", "bucket": "logs-1"}),
            )),
            Some(attrs(
                serde_json::json!({"id": "logs-1", "bucket": "logs-1"}),
            )),
        );
        imported.import = true;
        imported.moved_from = Some(Address::single("old_logs"));
        let entry = &resource_changes(&imported)[0];
        assert_eq!(entry["change"]["importing"]["id"], "logs-1");
        assert_eq!(entry["previous_address"], "aws_s3_bucket.old_logs");
        let plain = &resource_changes(&change(
            "logs",
            "aws.s3.bucket",
            ChangeAction::NoOp,
            None,
            None,
        ))[0];
        assert!(plain["change"].get("importing").is_none());
        assert!(plain.get("previous_address").is_none());
    }

    #[test]
    fn a_requested_replacement_is_replace_by_request() {
        let bucket = || attrs(serde_json::json!({"id": "logs-1", "bucket": "logs-1"}));
        let mut c = change(
            "logs",
            "aws.s3.bucket",
            ChangeAction::Replace,
            Some(bucket()),
            Some(bucket()),
        );
        assert_eq!(
            resource_changes(&c)[0]["action_reason"],
            "replace_because_cannot_update"
        );
        c.replace_because
            .push(forge_engine::plan::replace::REASON.to_string());
        assert_eq!(
            resource_changes(&c)[0]["action_reason"],
            "replace_by_request"
        );
    }

    #[test]
    fn a_small_plan_in_terraform_form() {
        insta::assert_json_snapshot!(to_terraform_json(&small_plan()));
    }

    #[test]
    fn sensitive_values_never_appear() {
        let text = to_terraform_json_string(&small_plan());
        assert!(!text.contains("hunter2"), "{text}");
        let json = to_terraform_json(&small_plan());
        let param = json["resource_changes"]
            .as_array()
            .and_then(|r| r.iter().find(|c| c["type"] == "aws_ssm_parameter"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(param["type"], "aws_ssm_parameter");
        assert_eq!(param["change"]["after"]["value"], Json::Null);
        assert_eq!(param["change"]["after_sensitive"]["value"], true);
        assert_eq!(param["change"]["after"]["type"], "SecureString");
    }

    #[test]
    fn references_name_terraform_addresses() {
        let kinds = BTreeMap::from([("main", "aws.ec2.vpc"), ("sg", "aws.ec2.security_group")]);
        assert_eq!(
            references("${main.id}-${vars.env}", &kinds),
            ["aws_vpc.main.id", "aws_vpc.main", "var.env"]
        );
        assert_eq!(
            references("${sg.group_name}", &kinds),
            ["aws_security_group.sg.name", "aws_security_group.sg"]
        );
    }
}
