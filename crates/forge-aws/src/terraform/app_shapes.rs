//! Shapes of the application tier that differ between forge and
//! terraform-provider-aws beyond a rename, in both directions in one place:
//! forge → Terraform for the plan JSON (on forge values, keeping their
//! unknown and sensitive marks) and Terraform → forge for the migration
//! (on the JSON of Terraform's state).
//!
//! - `aws_ecs_task_definition.container_definitions` is the ECS API's JSON
//!   text with camelCase keys; forge's containers are snake_case objects.
//! - `aws_ecs_service` spells forge's `deployment_configuration` as three
//!   top-level attributes and `assign_public_ip` as a bool.
//! - `aws_lb_target_group.health_check` says `interval` / `timeout` for
//!   forge's `interval_seconds` / `timeout_seconds`, and
//!   `deregistration_delay` is a string.
//! - `aws_lb_listener.default_action` / `aws_lb_listener_rule.action` hold
//!   `redirect` / `fixed_response` as one-element blocks and an `order`.

use forge_core::{Attrs, Value};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// Container keys whose values are user maps (their keys are kept).
const USER_MAPS: &[&str] = &["options", "docker_labels", "dockerLabels"];

/// Health check names: (forge, Terraform).
const HEALTH_CHECK: &[(&str, &str)] = &[
    ("interval_seconds", "interval"),
    ("timeout_seconds", "timeout"),
];

/// `deployment_configuration`'s members and their Terraform attributes.
const DEPLOYMENT: &[(&str, &str)] = &[
    ("maximum_percent", "deployment_maximum_percent"),
    (
        "minimum_healthy_percent",
        "deployment_minimum_healthy_percent",
    ),
    ("deployment_circuit_breaker", "deployment_circuit_breaker"),
];

/// Action settings Terraform writes as one-element blocks.
const ACTION_BLOCKS: &[&str] = &["redirect", "fixed_response"];

fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A tree of values (serde_json's or forge's) whose objects' keys can be
/// renamed.
trait Tree: Sized {
    /// The object rebuilt entry by entry, or the list item by item;
    /// anything else as it is.
    fn rebuild(
        self,
        entry: &dyn Fn(String, Self) -> (String, Self),
        item: &dyn Fn(Self) -> Self,
    ) -> Self;
}

/// [`Tree`] for a value type: its object and list variants.
macro_rules! tree {
    ($t:ident: $object:ident, $list:ident) => {
        impl Tree for $t {
            fn rebuild(
                self,
                entry: &dyn Fn(String, Self) -> (String, Self),
                item: &dyn Fn(Self) -> Self,
            ) -> Self {
                match self {
                    $t::$object(o) => {
                        $t::$object(o.into_iter().map(|(k, v)| entry(k, v)).collect())
                    }
                    $t::$list(l) => $t::$list(l.into_iter().map(item).collect()),
                    other => other,
                }
            }
        }
    };
}
tree!(Json: Object, Array);
tree!(Value: Map, List);

/// Renames the keys of every object in `v` with `rename`, except inside
/// user maps.
fn rekey<T: Tree>(v: T, rename: &dyn Fn(&str) -> String) -> T {
    let entry = |k: String, v: T| {
        let v = if USER_MAPS.contains(&k.as_str()) {
            v
        } else {
            rekey(v, rename)
        };
        (rename(&k), v)
    };
    v.rebuild(&entry, &|v| rekey(v, rename))
}

/// `(forge, Terraform)` names: forge's to Terraform's.
fn to_terraform_names(m: &mut BTreeMap<String, Value>, pairs: &[(&str, &str)]) {
    for (forge, tf) in pairs {
        if let Some(v) = m.remove(*forge) {
            m.insert((*tf).to_string(), v);
        }
    }
}

/// `(forge, Terraform)` names: Terraform's to forge's.
fn to_forge_names(m: &mut Map<String, Json>, pairs: &[(&str, &str)]) {
    for (forge, tf) in pairs {
        if let Some(v) = m.remove(*tf) {
            m.insert((*forge).to_string(), v);
        }
    }
}

fn block(v: Value) -> Value {
    Value::List(vec![v])
}

/// forge → Terraform, before the JSON-text conversion and the table's
/// renames (see [`super::shape::to_terraform`]).
pub fn to_terraform(kind: &str, attrs: &mut Attrs) {
    match kind {
        "aws.ecs.task_definition" => {
            if let Some(defs) = attrs.remove("container_definitions") {
                attrs.insert("container_definitions".into(), rekey(defs, &camel));
            }
        }
        "aws.ecs.service" => {
            if let Some(Value::Map(mut dc)) = attrs.remove("deployment_configuration") {
                if let Some(b) = dc.remove("deployment_circuit_breaker") {
                    dc.insert("deployment_circuit_breaker".into(), block(b));
                }
                for (forge, tf) in DEPLOYMENT {
                    if let Some(v) = dc.remove(*forge) {
                        attrs.insert((*tf).to_string(), v);
                    }
                }
            }
            if let Some(Value::Map(net)) = attrs.get_mut("network_configuration")
                && let Some(Value::String(s)) = net.get("assign_public_ip")
            {
                let on = Value::Bool(s == "ENABLED");
                net.insert("assign_public_ip".into(), on);
            }
        }
        "aws.elbv2.target_group" => {
            if let Some(Value::Map(hc)) = attrs.get_mut("health_check") {
                to_terraform_names(hc, HEALTH_CHECK);
            }
        }
        "aws.elbv2.listener" | "aws.elbv2.listener_rule" => {
            for field in ["default_actions", "actions"] {
                if let Some(Value::List(actions)) = attrs.get_mut(field) {
                    for a in actions.iter_mut() {
                        if let Value::Map(a) = a {
                            for b in ACTION_BLOCKS {
                                if let Some(v) = a.remove(*b) {
                                    a.insert((*b).to_string(), block(v));
                                }
                            }
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

fn first(v: Option<&Json>) -> Option<&Json> {
    v?.as_array()?.first()
}

/// Terraform → forge, on the fields already renamed by the table and with
/// blocks unwrapped (see [`super::migrate`]); `tf` is the instance's own
/// attributes.
pub fn from_terraform(kind: &str, tf: &Map<String, Json>, out: &mut Map<String, Json>) {
    match kind {
        "aws.ecs.task_definition" => {
            let defs = match out.remove("container_definitions") {
                Some(Json::String(text)) => serde_json::from_str(&text).unwrap_or(Json::Null),
                Some(other) => other,
                None => Json::Null,
            };
            out.insert("container_definitions".into(), rekey(defs, &snake));
        }
        "aws.ecs.service" => {
            let mut dc = Map::new();
            for (forge, tf_name) in DEPLOYMENT {
                out.remove(*tf_name);
                let v = if *forge == "deployment_circuit_breaker" {
                    first(tf.get(*tf_name)).cloned()
                } else {
                    tf.get(*tf_name).cloned()
                };
                if let Some(v) = v.filter(|v| !v.is_null()) {
                    dc.insert((*forge).to_string(), v);
                }
            }
            if !dc.is_empty() {
                out.insert("deployment_configuration".into(), Json::Object(dc));
            }
            if let Some(Json::Object(net)) = out.get_mut("network_configuration")
                && let Some(on) = net.get("assign_public_ip").and_then(Json::as_bool)
            {
                let text = if on { "ENABLED" } else { "DISABLED" };
                net.insert("assign_public_ip".into(), Json::from(text));
            }
        }
        "aws.elbv2.target_group" => {
            if let Some(Json::Object(hc)) = out.get_mut("health_check") {
                to_forge_names(hc, HEALTH_CHECK);
            }
            if let Some(n) = out
                .get("deregistration_delay")
                .and_then(Json::as_str)
                .and_then(|s| s.parse::<i64>().ok())
            {
                out.insert("deregistration_delay".into(), Json::from(n));
            }
        }
        "aws.elbv2.listener" | "aws.elbv2.listener_rule" => {
            for field in ["default_actions", "actions"] {
                if let Some(Json::Array(actions)) = out.get_mut(field) {
                    for a in actions.iter_mut() {
                        if let Json::Object(a) = a {
                            // Terraform's evaluation order; forge keeps the
                            // list's order.
                            a.remove("order");
                            for b in ACTION_BLOCKS {
                                match first(a.get(*b)).cloned() {
                                    Some(inner) => {
                                        a.insert((*b).to_string(), inner);
                                    }
                                    None => {
                                        a.remove(*b);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Json) -> Map<String, Json> {
        v.as_object().cloned().unwrap()
    }

    fn attrs(v: Json) -> Attrs {
        Value::from_json(&v).as_map().cloned().unwrap()
    }

    #[test]
    fn container_definitions_change_case_but_not_user_maps() {
        let text = r#"[{"name":"web","portMappings":[{"containerPort":80}],
            "logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"/g"}},
            "dockerLabels":{"team_name":"a"}}]"#;
        let mut out = obj(json!({"container_definitions": text}));
        from_terraform("aws.ecs.task_definition", &Map::new(), &mut out);
        let defs = &out["container_definitions"][0];
        assert_eq!(defs["port_mappings"][0]["container_port"], 80);
        assert_eq!(defs["log_configuration"]["options"]["awslogs-group"], "/g");
        assert_eq!(defs["docker_labels"]["team_name"], "a");

        let mut back = attrs(json!({"container_definitions": out["container_definitions"]}));
        to_terraform("aws.ecs.task_definition", &mut back);
        let defs = back["container_definitions"].to_json();
        assert_eq!(defs[0]["portMappings"][0]["containerPort"], 80);
        assert_eq!(defs[0]["dockerLabels"]["team_name"], "a");
    }

    #[test]
    fn service_deployment_settings_round_trip() {
        let tf = obj(
            json!({"deployment_maximum_percent": 200, "deployment_minimum_healthy_percent": 50,
            "deployment_circuit_breaker": [{"enable": true, "rollback": true}]}),
        );
        let mut out = tf.clone();
        out.insert(
            "network_configuration".into(),
            json!({"subnets": ["s"], "assign_public_ip": false}),
        );
        from_terraform("aws.ecs.service", &tf, &mut out);
        assert_eq!(
            Json::Object(out.clone()),
            json!({"deployment_configuration": {"maximum_percent": 200, "minimum_healthy_percent": 50,
                       "deployment_circuit_breaker": {"enable": true, "rollback": true}},
                   "network_configuration": {"subnets": ["s"], "assign_public_ip": "DISABLED"}})
        );
        let mut back = attrs(Json::Object(out));
        to_terraform("aws.ecs.service", &mut back);
        assert_eq!(back["deployment_maximum_percent"], Value::int(200));
        assert_eq!(
            back["deployment_circuit_breaker"].to_json(),
            json!([{"enable": true, "rollback": true}])
        );
        assert_eq!(
            back["network_configuration"].to_json()["assign_public_ip"],
            false
        );
    }

    #[test]
    fn health_checks_and_actions_take_each_sides_names() {
        let mut out = obj(
            json!({"health_check": {"interval": 30, "timeout": 5, "path": "/h"},
            "deregistration_delay": "300"}),
        );
        from_terraform("aws.elbv2.target_group", &Map::new(), &mut out);
        assert_eq!(
            Json::Object(out.clone()),
            json!({"health_check": {"interval_seconds": 30, "timeout_seconds": 5, "path": "/h"},
                   "deregistration_delay": 300})
        );
        let mut back = attrs(Json::Object(out));
        to_terraform("aws.elbv2.target_group", &mut back);
        assert_eq!(back["health_check"].to_json()["interval"], 30);

        let mut out = obj(
            json!({"default_actions": [{"type": "redirect", "order": 1, "forward": [],
            "redirect": [{"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}], "fixed_response": []}]}),
        );
        from_terraform("aws.elbv2.listener", &Map::new(), &mut out);
        assert_eq!(
            out["default_actions"][0],
            json!({"type": "redirect", "forward": [],
                   "redirect": {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}})
        );
        let mut back = attrs(Json::Object(out));
        to_terraform("aws.elbv2.listener", &mut back);
        assert_eq!(
            back["default_actions"].to_json()[0]["redirect"][0]["port"],
            "443"
        );
    }
}
