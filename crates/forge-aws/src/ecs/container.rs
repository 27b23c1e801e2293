//! Container definitions of a task definition: their schema, their
//! canonical form, and conversion to and from the SDK.
//!
//! RegisterTaskDefinition fills in defaults and DescribeTaskDefinition
//! reports them (`essential: true`, `cpu: 0`, `protocol: tcp`, `hostPort` =
//! `containerPort` under awsvpc, empty lists), and reorders nothing the
//! user cares about. Both the spec and the described definition are put in
//! the same canonical form so none of that shows as a diff: defaults
//! filled, environment and secrets sorted by name (ECS treats them as
//! maps), port mappings sorted by port, empty optional lists dropped,
//! containers sorted by name.

use crate::attrs::{attrs, bool_or_null, int_or_null, str_or_null};
use crate::normalize::{number_value, text_value};
use aws_sdk_ecs::types::{
    ApplicationProtocol, ContainerDefinition, HealthCheck, KeyValuePair, LogConfiguration,
    LogDriver, PortMapping, Secret, TransportProtocol,
};
use forge_core::{FieldSchema, FieldType, Value};
use forge_engine::ProviderError;
use std::collections::{BTreeMap, HashMap};

/// Health check settings ECS fills in: (field, default).
const HEALTH_DEFAULTS: [(&str, i64); 3] = [("interval", 30), ("timeout", 5), ("retries", 3)];

/// An optional field (`ty`, described by `text`).
fn opt(ty: FieldType, text: &'static str) -> FieldSchema {
    FieldSchema::optional(ty).describe(text)
}

/// A required field (`ty`, described by `text`).
fn req(ty: FieldType, text: &'static str) -> FieldSchema {
    FieldSchema::required(ty).describe(text)
}

/// A list of `name` / `value_key` pairs (environment, secrets).
fn pairs(value_key: &'static str, value_text: &'static str, text: &'static str) -> FieldSchema {
    let pair = FieldType::object([
        ("name", req(FieldType::String, "Variable name.")),
        (value_key, req(FieldType::String, value_text)),
    ]);
    opt(FieldType::list(pair), text)
}

/// The schema of one container definition.
pub fn container_schema() -> FieldType {
    use FieldType::{Bool, Number, String as Text};
    let strings = || FieldType::list(Text);
    let port = FieldType::object([
        (
            "container_port",
            req(Number, "Port the container listens on."),
        ),
        (
            "host_port",
            opt(Number, "Host port; = container_port under awsvpc."),
        ),
        (
            "protocol",
            opt(Text, "tcp (default) or udp.").default("tcp"),
        ),
        ("name", opt(Text, "Name for Service Connect.")),
        (
            "app_protocol",
            opt(Text, "http, http2 or grpc (Service Connect)."),
        ),
    ]);
    let log = FieldType::object([
        ("log_driver", req(Text, "awslogs, awsfirelens, ...")),
        (
            "options",
            opt(
                FieldType::map(Text),
                "Driver options (awslogs-group, awslogs-region, awslogs-stream-prefix).",
            ),
        ),
    ]);
    let health = FieldType::object([
        ("command", req(strings(), "[\"CMD-SHELL\", \"...\"].")),
        (
            "interval",
            opt(Number, "Seconds between checks.").default(30i64),
        ),
        (
            "timeout",
            opt(Number, "Seconds before a check fails.").default(5i64),
        ),
        (
            "retries",
            opt(Number, "Failures before unhealthy.").default(3i64),
        ),
        ("start_period", opt(Number, "Grace seconds after start.")),
    ]);
    FieldType::object([
        ("name", req(Text, "Container name.")),
        (
            "image",
            req(Text, "Image reference (repository:tag or @digest)."),
        ),
        (
            "essential",
            opt(Bool, "Stop the task when it stops.").default(true),
        ),
        (
            "cpu",
            opt(Number, "CPU units reserved for it.").default(0i64),
        ),
        ("memory", opt(Number, "Hard memory limit (MiB).")),
        (
            "memory_reservation",
            opt(Number, "Soft memory limit (MiB)."),
        ),
        (
            "port_mappings",
            opt(FieldType::list(port), "Ports to expose."),
        ),
        (
            "environment",
            pairs(
                "value",
                "Variable value.",
                "Plain environment variables (order does not matter).",
            ),
        ),
        (
            "secrets",
            pairs(
                "value_from",
                "Secrets Manager secret or SSM parameter ARN.",
                "Environment variables read from Secrets Manager / SSM at start.",
            ),
        ),
        (
            "log_configuration",
            opt(log, "Where the container's output goes."),
        ),
        ("health_check", opt(health, "Container health check.")),
        ("command", opt(strings(), "Overrides the image's CMD.")),
        (
            "entry_point",
            opt(strings(), "Overrides the image's ENTRYPOINT."),
        ),
        ("working_directory", opt(Text, "Working directory.")),
        ("user", opt(Text, "User (name, uid, uid:gid).")),
        (
            "readonly_root_filesystem",
            opt(Bool, "Mount the root filesystem read-only."),
        ),
        (
            "stop_timeout",
            opt(Number, "Seconds before SIGKILL after stop."),
        ),
        ("docker_labels", opt(FieldType::map(Text), "Docker labels.")),
    ])
}

fn present<'a>(m: &'a BTreeMap<String, Value>, key: &str) -> Option<&'a Value> {
    m.get(key).filter(|v| !v.is_null())
}

/// Copies the set entries `keys` of `from` into `out`, each through `f`.
fn copy(
    out: &mut BTreeMap<String, Value>,
    from: &BTreeMap<String, Value>,
    keys: &[&str],
    f: fn(&Value) -> Value,
) {
    for key in keys {
        if let Some(v) = present(from, key) {
            out.insert(key.to_string(), f(v));
        }
    }
}

fn sort_known(items: &mut [Value], key: impl Fn(&Value) -> String) {
    if items.iter().all(Value::is_known) {
        items.sort_by_key(|v| key(v));
    }
}

fn field_text(v: &Value, key: &str) -> String {
    v.get(key)
        .map(|x| x.to_json().to_string())
        .unwrap_or_default()
}

fn string_list(v: Option<&Value>) -> Option<Value> {
    match v {
        Some(Value::List(items)) if items.is_empty() => None,
        Some(Value::List(items)) => Some(Value::List(items.iter().map(text_value).collect())),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.clone()),
    }
}

fn string_map(v: Option<&Value>) -> Option<Value> {
    match v {
        Some(Value::Map(m)) if m.is_empty() => None,
        Some(Value::Map(m)) => Some(Value::Map(
            m.iter().map(|(k, v)| (k.clone(), text_value(v))).collect(),
        )),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.clone()),
    }
}

fn normalize_port(p: &Value, awsvpc: bool) -> Value {
    let Some(m) = p.as_map() else {
        return p.clone();
    };
    let mut out = BTreeMap::new();
    let container = present(m, "container_port").map(number_value);
    let host = present(m, "host_port")
        .map(number_value)
        .or_else(|| if awsvpc { container.clone() } else { None });
    if let Some(c) = container {
        out.insert("container_port".to_string(), c);
    }
    if let Some(h) = host {
        out.insert("host_port".to_string(), h);
    }
    let protocol = match present(m, "protocol") {
        Some(Value::String(s)) => Value::String(s.to_ascii_lowercase()),
        Some(other) => other.clone(),
        None => Value::from("tcp"),
    };
    out.insert("protocol".to_string(), protocol);
    copy(&mut out, m, &["name", "app_protocol"], Value::clone);
    Value::Map(out)
}

fn normalize_pairs(v: Option<&Value>, value_key: &str) -> Value {
    match v {
        Some(Value::List(items)) => {
            let mut items: Vec<Value> = items
                .iter()
                .map(|item| match item.as_map() {
                    Some(m) => {
                        let mut out = BTreeMap::new();
                        for key in ["name", value_key] {
                            out.insert(
                                key.to_string(),
                                present(m, key).map(text_value).unwrap_or(Value::Null),
                            );
                        }
                        Value::Map(out)
                    }
                    None => item.clone(),
                })
                .collect();
            sort_known(&mut items, |v| field_text(v, "name"));
            Value::List(items)
        }
        Some(Value::Null) | None => Value::List(Vec::new()),
        Some(other) => other.clone(),
    }
}

fn normalize_health(v: &Value) -> Value {
    let Some(m) = v.as_map() else {
        return v.clone();
    };
    let mut out = BTreeMap::new();
    if let Some(c) = string_list(present(m, "command")) {
        out.insert("command".to_string(), c);
    }
    for (key, default) in HEALTH_DEFAULTS {
        out.insert(
            key.to_string(),
            present(m, key)
                .map(number_value)
                .unwrap_or(Value::int(default)),
        );
    }
    // ECS reports no startPeriod when it is 0.
    if let Some(s) = present(m, "start_period")
        .map(number_value)
        .filter(|s| s.as_i64() != Some(0))
    {
        out.insert("start_period".to_string(), s);
    }
    Value::Map(out)
}

/// The canonical form of one container definition (see the module docs).
pub fn normalize_container(def: &Value, awsvpc: bool) -> Value {
    let Some(m) = def.as_map() else {
        return def.clone();
    };
    let mut out = BTreeMap::new();
    copy(
        &mut out,
        m,
        &["name", "image", "working_directory", "user"],
        Value::clone,
    );
    out.insert(
        "essential".into(),
        present(m, "essential")
            .cloned()
            .unwrap_or(Value::Bool(true)),
    );
    out.insert(
        "cpu".into(),
        present(m, "cpu").map(number_value).unwrap_or(Value::int(0)),
    );
    let numbers = ["memory", "memory_reservation", "stop_timeout"];
    copy(&mut out, m, &numbers, number_value);
    if let Some(v) = present(m, "readonly_root_filesystem").filter(|v| v.as_bool() != Some(false)) {
        out.insert("readonly_root_filesystem".into(), v.clone());
    }
    let ports = match present(m, "port_mappings") {
        Some(Value::List(items)) => {
            let mut items: Vec<Value> = items.iter().map(|p| normalize_port(p, awsvpc)).collect();
            sort_known(&mut items, |v| {
                format!(
                    "{:>12}/{}",
                    field_text(v, "container_port"),
                    field_text(v, "protocol")
                )
            });
            Value::List(items)
        }
        Some(other) => other.clone(),
        None => Value::List(Vec::new()),
    };
    out.insert("port_mappings".into(), ports);
    out.insert(
        "environment".into(),
        normalize_pairs(m.get("environment"), "value"),
    );
    out.insert(
        "secrets".into(),
        normalize_pairs(m.get("secrets"), "value_from"),
    );
    if let Some(Value::Map(log)) = present(m, "log_configuration") {
        let mut l = BTreeMap::new();
        copy(&mut l, log, &["log_driver"], Value::clone);
        l.insert(
            "options".to_string(),
            string_map(log.get("options")).unwrap_or_else(|| Value::Map(BTreeMap::new())),
        );
        out.insert("log_configuration".into(), Value::Map(l));
    } else if let Some(other) = present(m, "log_configuration") {
        out.insert("log_configuration".into(), other.clone());
    }
    if let Some(h) = present(m, "health_check") {
        out.insert("health_check".into(), normalize_health(h));
    }
    for key in ["command", "entry_point"] {
        if let Some(v) = string_list(m.get(key)) {
            out.insert(key.to_string(), v);
        }
    }
    if let Some(v) = string_map(m.get("docker_labels")) {
        out.insert("docker_labels".into(), v);
    }
    Value::Map(out)
}

/// The canonical list of container definitions, sorted by name.
pub fn normalize_containers(defs: &Value, awsvpc: bool) -> Value {
    match defs {
        Value::List(items) => {
            let mut items: Vec<Value> = items
                .iter()
                .map(|d| normalize_container(d, awsvpc))
                .collect();
            sort_known(&mut items, |v| field_text(v, "name"));
            Value::List(items)
        }
        other => other.clone(),
    }
}

fn opt_str(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn opt_i32(v: &Value, key: &str) -> Option<i32> {
    v.get(key)
        .and_then(|n| <i64 as forge_core::fields::FieldValue>::from_value(n).ok())
        .and_then(|i| i32::try_from(i).ok())
}

fn strings(v: Option<&Value>) -> Option<Vec<String>> {
    v.and_then(Value::as_list).map(|l| {
        l.iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    })
}

/// The text entries of a map value.
fn texts(v: Option<&Value>) -> Option<HashMap<String, String>> {
    v.and_then(Value::as_map).map(|m| {
        m.iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect()
    })
}

fn invalid(container: &str, what: impl std::fmt::Display) -> ProviderError {
    ProviderError::Invalid(format!("container `{container}`: {what}"))
}

/// The SDK container definition of a canonical definition.
pub fn to_sdk_container(def: &Value) -> Result<ContainerDefinition, ProviderError> {
    let name = opt_str(def, "name")
        .ok_or_else(|| ProviderError::Invalid("a container definition needs `name`".into()))?;
    let image = opt_str(def, "image").ok_or_else(|| invalid(&name, "`image` must be set"))?;
    let mut b = ContainerDefinition::builder()
        .name(&name)
        .image(image)
        .set_essential(def.get("essential").and_then(Value::as_bool))
        .set_cpu(opt_i32(def, "cpu"))
        .set_memory(opt_i32(def, "memory"))
        .set_memory_reservation(opt_i32(def, "memory_reservation"))
        .set_stop_timeout(opt_i32(def, "stop_timeout"))
        .set_working_directory(opt_str(def, "working_directory"))
        .set_user(opt_str(def, "user"))
        .set_readonly_root_filesystem(def.get("readonly_root_filesystem").and_then(Value::as_bool))
        .set_command(strings(def.get("command")))
        .set_entry_point(strings(def.get("entry_point")));
    let items = |key: &str| def.get(key).and_then(Value::as_list).unwrap_or_default();
    for p in items("port_mappings") {
        let port = opt_i32(p, "container_port")
            .ok_or_else(|| invalid(&name, "a port mapping needs `container_port`"))?;
        b = b.port_mappings(
            PortMapping::builder()
                .container_port(port)
                .set_host_port(opt_i32(p, "host_port"))
                .set_protocol(opt_str(p, "protocol").map(|s| TransportProtocol::from(s.as_str())))
                .set_name(opt_str(p, "name"))
                .set_app_protocol(
                    opt_str(p, "app_protocol").map(|s| ApplicationProtocol::from(s.as_str())),
                )
                .build(),
        );
    }
    for e in items("environment") {
        b = b.environment(
            KeyValuePair::builder()
                .set_name(opt_str(e, "name"))
                .set_value(opt_str(e, "value"))
                .build(),
        );
    }
    for s in items("secrets") {
        let secret = Secret::builder()
            .set_name(opt_str(s, "name"))
            .set_value_from(opt_str(s, "value_from"))
            .build()
            .map_err(|e| invalid(&name, format!("secret: {e}")))?;
        b = b.secrets(secret);
    }
    if let Some(log) = def.get("log_configuration").filter(|v| !v.is_null()) {
        let lc = LogConfiguration::builder()
            .set_log_driver(opt_str(log, "log_driver").map(|d| LogDriver::from(d.as_str())))
            .set_options(texts(log.get("options")))
            .build()
            .map_err(|e| invalid(&name, format!("log_configuration: {e}")))?;
        b = b.log_configuration(lc);
    }
    if let Some(h) = def.get("health_check").filter(|v| !v.is_null()) {
        let hc = HealthCheck::builder()
            .set_command(strings(h.get("command")))
            .set_interval(opt_i32(h, "interval"))
            .set_timeout(opt_i32(h, "timeout"))
            .set_retries(opt_i32(h, "retries"))
            .set_start_period(opt_i32(h, "start_period"))
            .build()
            .map_err(|e| invalid(&name, format!("health_check: {e}")))?;
        b = b.health_check(hc);
    }
    Ok(b.set_docker_labels(texts(def.get("docker_labels"))).build())
}

/// A list of texts as a value.
fn list(items: &[String]) -> Value {
    Value::List(items.iter().map(|i| Value::from(i.as_str())).collect())
}

/// A text map as a value.
fn text_map<'a>(m: impl IntoIterator<Item = (&'a String, &'a String)>) -> Value {
    Value::Map(
        m.into_iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
    )
}

/// The canonical value of a described container definition.
pub fn from_sdk_container(c: &ContainerDefinition, awsvpc: bool) -> Value {
    let s = |v: Option<&str>| str_or_null(v);
    let n = |v: Option<i32>| int_or_null(v);
    let ports = c.port_mappings().iter().map(|p| {
        Value::Map(attrs([
            ("container_port", n(p.container_port())),
            ("host_port", n(p.host_port())),
            ("protocol", s(p.protocol().map(|p| p.as_str()))),
            ("name", s(p.name())),
            ("app_protocol", s(p.app_protocol().map(|p| p.as_str()))),
        ]))
    });
    let env = c
        .environment()
        .iter()
        .map(|e| Value::Map(attrs([("name", s(e.name())), ("value", s(e.value()))])));
    let secrets = c.secrets().iter().map(|e| {
        Value::Map(attrs([
            ("name", Value::from(e.name())),
            ("value_from", Value::from(e.value_from())),
        ]))
    });
    let log = c.log_configuration().map_or(Value::Null, |l| {
        Value::Map(attrs([
            ("log_driver", Value::from(l.log_driver().as_str())),
            ("options", text_map(l.options().into_iter().flatten())),
        ]))
    });
    let health = c.health_check().map_or(Value::Null, |h| {
        Value::Map(attrs([
            ("command", list(h.command())),
            ("interval", n(h.interval())),
            ("timeout", n(h.timeout())),
            ("retries", n(h.retries())),
            ("start_period", n(h.start_period())),
        ]))
    });
    let raw = attrs([
        ("name", s(c.name())),
        ("image", s(c.image())),
        ("essential", bool_or_null(c.essential())),
        ("cpu", Value::int(i64::from(c.cpu()))),
        ("memory", n(c.memory())),
        ("memory_reservation", n(c.memory_reservation())),
        ("stop_timeout", n(c.stop_timeout())),
        ("working_directory", s(c.working_directory())),
        ("user", s(c.user())),
        (
            "readonly_root_filesystem",
            bool_or_null(c.readonly_root_filesystem()),
        ),
        ("port_mappings", Value::List(ports.collect())),
        ("environment", Value::List(env.collect())),
        ("secrets", Value::List(secrets.collect())),
        ("log_configuration", log),
        ("health_check", health),
        ("command", list(c.command())),
        ("entry_point", list(c.entry_point())),
        (
            "docker_labels",
            c.docker_labels().map_or(Value::Null, text_map),
        ),
    ]);
    normalize_container(&Value::Map(raw), awsvpc)
}

/// One container definition as a typed field: the object schema of
/// [`container_schema`], the value kept as the model above reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Container(pub Value);

impl forge_core::fields::FieldValue for Container {
    fn field_type() -> FieldType {
        container_schema()
    }
    fn from_value(value: &Value) -> Result<Self, forge_core::fields::FieldError> {
        Ok(Container(value.clone()))
    }
    fn to_value(&self) -> Value {
        self.0.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(j: serde_json::Value) -> Value {
        Value::from_json(&j)
    }

    fn api_spec() -> Value {
        v(json!({
            "name": "api",
            "image": "nginx:1.27",
            "port_mappings": [{"container_port": 8080}],
            "environment": [{"name": "Z_LAST", "value": "1"}, {"name": "A_FIRST", "value": 2}],
            "secrets": [{"name": "DB_PASSWORD", "value_from": "arn:aws:secretsmanager:eu-west-1:1:secret:db"}],
            "log_configuration": {"log_driver": "awslogs", "options": {"awslogs-group": "/ecs/api", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "api"}},
            "health_check": {"command": ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"]},
            "command": [],
        }))
    }

    #[test]
    fn aws_defaults_are_filled_in() {
        let n = normalize_container(&api_spec(), true);
        assert_eq!(n.get("essential"), Some(&Value::Bool(true)));
        assert_eq!(n.get("cpu"), Some(&Value::int(0)));
        assert_eq!(
            n.get("port_mappings"),
            Some(&v(
                json!([{"container_port": 8080, "host_port": 8080, "protocol": "tcp"}])
            ))
        );
        let env = n.get("environment").and_then(Value::as_list).unwrap();
        assert_eq!(env[0].get("name"), Some(&Value::from("A_FIRST")));
        assert_eq!(env[0].get("value"), Some(&Value::from("2")));
        assert_eq!(
            n.get("health_check").unwrap().get("retries"),
            Some(&Value::int(3))
        );
        assert!(n.get("command").is_none(), "empty lists are dropped");
        // Outside awsvpc the host port stays unset (dynamic).
        let bridge = normalize_container(&api_spec(), false);
        assert!(
            bridge.get("port_mappings").unwrap().as_list().unwrap()[0]
                .get("host_port")
                .is_none()
        );
    }

    #[test]
    fn described_definition_equals_the_spec() {
        let spec = normalize_container(&api_spec(), true);
        let sdk = to_sdk_container(&spec).unwrap();
        assert_eq!(from_sdk_container(&sdk, true), spec);
        // What DescribeTaskDefinition reports for the spec as written:
        // defaults spelled out, lists in its own order, empty extras.
        let described = ContainerDefinition::builder()
            .name("api")
            .image("nginx:1.27")
            .cpu(0)
            .essential(true)
            .port_mappings(
                PortMapping::builder()
                    .container_port(8080)
                    .host_port(8080)
                    .protocol(TransportProtocol::Tcp)
                    .build(),
            )
            .environment(KeyValuePair::builder().name("Z_LAST").value("1").build())
            .environment(KeyValuePair::builder().name("A_FIRST").value("2").build())
            .secrets(
                Secret::builder()
                    .name("DB_PASSWORD")
                    .value_from("arn:aws:secretsmanager:eu-west-1:1:secret:db")
                    .build()
                    .unwrap(),
            )
            .mount_points(aws_sdk_ecs::types::MountPoint::builder().build())
            .log_configuration(
                LogConfiguration::builder()
                    .log_driver(LogDriver::Awslogs)
                    .options("awslogs-group", "/ecs/api")
                    .options("awslogs-region", "eu-west-1")
                    .options("awslogs-stream-prefix", "api")
                    .build()
                    .unwrap(),
            )
            .health_check(
                HealthCheck::builder()
                    .command("CMD-SHELL")
                    .command("curl -f http://localhost:8080/health || exit 1")
                    .interval(30)
                    .timeout(5)
                    .retries(3)
                    .build()
                    .unwrap(),
            )
            .build();
        assert_eq!(from_sdk_container(&described, true), spec);
    }

    #[test]
    fn image_change_is_a_difference_and_unknowns_survive() {
        let a = normalize_containers(&Value::List(vec![api_spec()]), true);
        let mut changed = api_spec().as_map().cloned().unwrap();
        changed.insert("image".into(), Value::from("nginx:1.28"));
        let b = normalize_containers(&Value::List(vec![Value::Map(changed.clone())]), true);
        assert_ne!(a, b);
        changed.insert("image".into(), Value::Unknown);
        let u = normalize_containers(&Value::List(vec![Value::Map(changed)]), true);
        assert_eq!(u.as_list().unwrap()[0].get("image"), Some(&Value::Unknown));
    }

    #[test]
    fn containers_sort_by_name_and_bad_ones_are_invalid() {
        let list = v(json!([{"name": "b", "image": "x"}, {"name": "a", "image": "y"}]));
        let n = normalize_containers(&list, true);
        assert_eq!(n.as_list().unwrap()[0].get("name"), Some(&Value::from("a")));
        assert!(to_sdk_container(&v(json!({"name": "a"}))).is_err());
        assert!(to_sdk_container(&v(json!({"image": "x"}))).is_err());
        let bad_log = normalize_container(
            &v(json!({"name": "a", "image": "x", "log_configuration": {"options": {}}})),
            true,
        );
        assert!(to_sdk_container(&bad_log).is_err());
    }
}
