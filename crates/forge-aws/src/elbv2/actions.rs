//! Listener and rule actions (forward / redirect / fixed-response) and rule
//! conditions: their schema, their canonical form, and conversion to and
//! from the SDK.
//!
//! The canonical form is what both the spec and DescribeListeners /
//! DescribeRules are turned into before comparing: only the keys that
//! matter for the action's type, AWS's redirect defaults (`#{protocol}`,
//! `#{port}`, `#{host}`, `/#{path}`, `#{query}`) filled in, status codes
//! spelled as AWS spells them (`HTTP_301`, `"200"`), and list position as
//! the order AWS reports in `Order`. Conditions are sorted by field with
//! their values sorted (values of one condition are OR-ed: a set).

use super::common::text_value;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, FixedResponseActionConfig, HostHeaderConditionConfig,
    HttpRequestMethodConditionConfig, PathPatternConditionConfig, RedirectActionConfig,
    RedirectActionStatusCodeEnum, RuleCondition, SourceIpConditionConfig,
};
use forge_core::{FieldSchema, FieldType, Value};
use forge_engine::ProviderError;
use std::collections::BTreeMap;

/// Redirect parts AWS fills in when the spec leaves them out.
const REDIRECT_DEFAULTS: [(&str, &str); 5] = [
    ("protocol", "#{protocol}"),
    ("port", "#{port}"),
    ("host", "#{host}"),
    ("path", "/#{path}"),
    ("query", "#{query}"),
];

/// The schema of one action.
pub fn action_schema() -> FieldType {
    FieldType::object([
        (
            "type",
            FieldSchema::required(FieldType::String)
                .describe("forward, redirect or fixed-response."),
        ),
        (
            "target_group_arn",
            FieldSchema::optional(FieldType::String)
                .describe("Target group to forward to (type forward)."),
        ),
        (
            "redirect",
            FieldSchema::optional(FieldType::object([
                (
                    "protocol",
                    FieldSchema::optional(FieldType::String)
                        .default("#{protocol}")
                        .describe("HTTP, HTTPS or #{protocol}."),
                ),
                (
                    "port",
                    FieldSchema::optional(FieldType::String)
                        .default("#{port}")
                        .describe("1-65535 or #{port}."),
                ),
                (
                    "host",
                    FieldSchema::optional(FieldType::String)
                        .default("#{host}")
                        .describe("Host name or #{host}."),
                ),
                (
                    "path",
                    FieldSchema::optional(FieldType::String)
                        .default("/#{path}")
                        .describe("Absolute path, default /#{path}."),
                ),
                (
                    "query",
                    FieldSchema::optional(FieldType::String)
                        .default("#{query}")
                        .describe("Query without the leading ?."),
                ),
                (
                    "status_code",
                    FieldSchema::required(FieldType::String)
                        .describe("HTTP_301 or HTTP_302 (301/302 accepted)."),
                ),
            ]))
            .describe("Redirect settings (type redirect)."),
        ),
        (
            "fixed_response",
            FieldSchema::optional(FieldType::object([
                (
                    "status_code",
                    FieldSchema::required(FieldType::String)
                        .describe("2XX, 4XX or 5XX status code."),
                ),
                (
                    "content_type",
                    FieldSchema::optional(FieldType::String)
                        .describe("text/plain, text/html, application/json ..."),
                ),
                (
                    "message_body",
                    FieldSchema::optional(FieldType::String).describe("Body of the response."),
                ),
            ]))
            .describe("Fixed response settings (type fixed-response)."),
        ),
    ])
}

/// The schema of one rule condition.
pub fn condition_schema() -> FieldType {
    FieldType::object([
        (
            "field",
            FieldSchema::required(FieldType::String)
                .describe("path-pattern, host-header, http-request-method or source-ip."),
        ),
        (
            "values",
            FieldSchema::required(FieldType::list(FieldType::String))
                .describe("Values; any one matches."),
        ),
    ])
}

fn status_code(v: &Value) -> Value {
    match text_value(v) {
        Value::String(s) if s.chars().all(|c| c.is_ascii_digit()) => {
            Value::String(format!("HTTP_{s}"))
        }
        other => other,
    }
}

fn present(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

/// The canonical form of one action (see the module docs). Unknown parts
/// are kept as they are; a non-map is returned unchanged for create to
/// reject.
pub fn normalize_action(action: &Value) -> Value {
    let Some(map) = action.as_map() else {
        return action.clone();
    };
    let ty = match map.get("type") {
        Some(Value::String(t)) => Value::String(t.to_ascii_lowercase()),
        Some(other) => other.clone(),
        None => Value::Null,
    };
    let mut out = BTreeMap::from([("type".to_string(), ty.clone())]);
    match ty.as_str() {
        Some("forward") => {
            if let Some(tg) = present(map.get("target_group_arn")) {
                out.insert("target_group_arn".into(), tg.clone());
            }
        }
        Some("redirect") => {
            let given = map.get("redirect").and_then(Value::as_map);
            let mut r = BTreeMap::new();
            for (key, default) in REDIRECT_DEFAULTS {
                let v = given
                    .and_then(|g| present(g.get(key)))
                    .map(text_value)
                    .unwrap_or_else(|| Value::from(default));
                r.insert(key.to_string(), v);
            }
            let code = given
                .and_then(|g| present(g.get("status_code")))
                .map(status_code)
                .unwrap_or(Value::Null);
            r.insert("status_code".into(), code);
            out.insert("redirect".into(), Value::Map(r));
        }
        Some("fixed-response") => {
            let given = map.get("fixed_response").and_then(Value::as_map);
            let mut f = BTreeMap::new();
            for key in ["status_code", "content_type", "message_body"] {
                if let Some(v) = given.and_then(|g| present(g.get(key))) {
                    f.insert(key.to_string(), text_value(v));
                }
            }
            out.insert("fixed_response".into(), Value::Map(f));
        }
        _ => {
            for (k, v) in map {
                if !v.is_null() {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
    }
    Value::Map(out)
}

/// The canonical form of a list of actions.
pub fn normalize_actions(actions: &Value) -> Value {
    match actions {
        Value::List(items) => Value::List(items.iter().map(normalize_action).collect()),
        Value::Null => Value::List(Vec::new()),
        other => other.clone(),
    }
}

fn sub_str<'a>(map: Option<&'a BTreeMap<String, Value>>, key: &str) -> Option<&'a str> {
    map.and_then(|m| m.get(key)).and_then(Value::as_str)
}

/// The SDK actions of a desired (known, canonical) action list; `Order`
/// follows list position.
pub fn to_sdk_actions(actions: Option<&Value>) -> Result<Vec<Action>, ProviderError> {
    let items = actions
        .map(normalize_actions)
        .and_then(|v| v.as_list().map(<[Value]>::to_vec))
        .unwrap_or_default();
    if items.is_empty() {
        return Err(ProviderError::Invalid(
            "at least one action is required".into(),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let map = item.as_map();
        let ty = sub_str(map, "type")
            .ok_or_else(|| ProviderError::Invalid(format!("action {i}: `type` must be set")))?;
        let order = i32::try_from(i + 1).unwrap_or(i32::MAX);
        let mut b = Action::builder()
            .r#type(ActionTypeEnum::from(ty))
            .order(order);
        match ty {
            "forward" => {
                let tg = sub_str(map, "target_group_arn").ok_or_else(|| {
                    ProviderError::Invalid(format!(
                        "action {i}: a forward action needs `target_group_arn`"
                    ))
                })?;
                b = b.target_group_arn(tg);
            }
            "redirect" => {
                let r = map.and_then(|m| m.get("redirect")).and_then(Value::as_map);
                let code = sub_str(r, "status_code").ok_or_else(|| {
                    ProviderError::Invalid(format!(
                        "action {i}: a redirect needs `redirect.status_code` (HTTP_301 or HTTP_302)"
                    ))
                })?;
                b = b.redirect_config(
                    RedirectActionConfig::builder()
                        .set_protocol(sub_str(r, "protocol").map(str::to_string))
                        .set_port(sub_str(r, "port").map(str::to_string))
                        .set_host(sub_str(r, "host").map(str::to_string))
                        .set_path(sub_str(r, "path").map(str::to_string))
                        .set_query(sub_str(r, "query").map(str::to_string))
                        .status_code(RedirectActionStatusCodeEnum::from(code))
                        .build(),
                );
            }
            "fixed-response" => {
                let f = map
                    .and_then(|m| m.get("fixed_response"))
                    .and_then(Value::as_map);
                let code = sub_str(f, "status_code").ok_or_else(|| {
                    ProviderError::Invalid(format!(
                        "action {i}: a fixed-response needs `fixed_response.status_code`"
                    ))
                })?;
                b = b.fixed_response_config(
                    FixedResponseActionConfig::builder()
                        .status_code(code)
                        .set_content_type(sub_str(f, "content_type").map(str::to_string))
                        .set_message_body(sub_str(f, "message_body").map(str::to_string))
                        .build(),
                );
            }
            other => {
                return Err(ProviderError::Invalid(format!(
                    "action {i}: type `{other}` is not supported (use forward, redirect or fixed-response)"
                )));
            }
        }
        out.push(b.build());
    }
    Ok(out)
}

fn opt(s: Option<&str>) -> Option<Value> {
    s.map(Value::from)
}

/// The canonical value of one described action.
pub fn from_sdk_action(a: &Action) -> Value {
    let ty = a
        .r#type()
        .map(|t| t.as_str().to_string())
        .unwrap_or_default();
    let mut m = BTreeMap::from([("type".to_string(), Value::from(ty.as_str()))]);
    match ty.as_str() {
        "forward" => {
            // AWS reports a plain forward both ways; a single weighted
            // target group is the same thing.
            let tg = a.target_group_arn().or_else(|| {
                match a.forward_config().map(|f| f.target_groups()) {
                    Some([only]) => only.target_group_arn(),
                    _ => None,
                }
            });
            if let Some(tg) = tg {
                m.insert("target_group_arn".into(), Value::from(tg));
            }
        }
        "redirect" => {
            if let Some(r) = a.redirect_config() {
                let mut rm = BTreeMap::new();
                for (k, v) in [
                    ("protocol", opt(r.protocol())),
                    ("port", opt(r.port())),
                    ("host", opt(r.host())),
                    ("path", opt(r.path())),
                    ("query", opt(r.query())),
                    (
                        "status_code",
                        r.status_code().map(|c| Value::from(c.as_str())),
                    ),
                ] {
                    if let Some(v) = v {
                        rm.insert(k.to_string(), v);
                    }
                }
                m.insert("redirect".into(), Value::Map(rm));
            }
        }
        "fixed-response" => {
            if let Some(f) = a.fixed_response_config() {
                let mut fm = BTreeMap::new();
                for (k, v) in [
                    ("status_code", opt(f.status_code())),
                    ("content_type", opt(f.content_type())),
                    ("message_body", opt(f.message_body())),
                ] {
                    if let Some(v) = v {
                        fm.insert(k.to_string(), v);
                    }
                }
                m.insert("fixed_response".into(), Value::Map(fm));
            }
        }
        _ => {}
    }
    normalize_action(&Value::Map(m))
}

/// The canonical list of described actions, in AWS's `Order`.
pub fn from_sdk_actions(actions: &[Action]) -> Value {
    let mut sorted: Vec<&Action> = actions.iter().collect();
    sorted.sort_by_key(|a| a.order().unwrap_or(i32::MAX));
    Value::List(sorted.into_iter().map(from_sdk_action).collect())
}

/// The canonical form of one condition: field lower-case, values sorted.
fn normalize_condition(c: &Value) -> Value {
    let Some(map) = c.as_map() else {
        return c.clone();
    };
    let mut out = BTreeMap::new();
    if let Some(f) = map.get("field") {
        out.insert(
            "field".to_string(),
            match f {
                Value::String(s) => Value::String(s.to_ascii_lowercase()),
                other => other.clone(),
            },
        );
    }
    let values = match map.get("values") {
        Some(Value::List(items)) if items.iter().all(Value::is_known) => {
            let mut v: Vec<Value> = items.iter().map(text_value).collect();
            v.sort_by_key(|x| x.to_json().to_string());
            v.dedup();
            Value::List(v)
        }
        Some(other) => other.clone(),
        None => Value::List(Vec::new()),
    };
    out.insert("values".to_string(), values);
    Value::Map(out)
}

/// The canonical form of a condition list (sorted by field, then values).
pub fn normalize_conditions(conditions: &Value) -> Value {
    match conditions {
        Value::List(items) => {
            let mut v: Vec<Value> = items.iter().map(normalize_condition).collect();
            if v.iter().all(Value::is_known) {
                v.sort_by_key(|x| x.to_json().to_string());
            }
            Value::List(v)
        }
        Value::Null => Value::List(Vec::new()),
        other => other.clone(),
    }
}

/// The SDK conditions of a desired condition list.
pub fn to_sdk_conditions(conditions: Option<&Value>) -> Result<Vec<RuleCondition>, ProviderError> {
    let items = conditions
        .map(normalize_conditions)
        .and_then(|v| v.as_list().map(<[Value]>::to_vec))
        .unwrap_or_default();
    if items.is_empty() {
        return Err(ProviderError::Invalid(
            "a listener rule needs at least one condition".into(),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let field = c
                .get("field")
                .and_then(Value::as_str)
                .ok_or_else(|| ProviderError::Invalid(format!("condition {i}: `field` must be set")))?;
            let values: Vec<String> = c
                .get("values")
                .and_then(Value::as_list)
                .map(|l| l.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default();
            if values.is_empty() {
                return Err(ProviderError::Invalid(format!("condition {i}: `values` must list at least one value")));
            }
            let b = RuleCondition::builder().field(field);
            let b = match field {
                "path-pattern" => b.path_pattern_config(PathPatternConditionConfig::builder().set_values(Some(values)).build()),
                "host-header" => b.host_header_config(HostHeaderConditionConfig::builder().set_values(Some(values)).build()),
                "http-request-method" => b.http_request_method_config(
                    HttpRequestMethodConditionConfig::builder().set_values(Some(values)).build(),
                ),
                "source-ip" => b.source_ip_config(SourceIpConditionConfig::builder().set_values(Some(values)).build()),
                other => {
                    return Err(ProviderError::Invalid(format!(
                        "condition {i}: field `{other}` is not supported (path-pattern, host-header, http-request-method, source-ip)"
                    )));
                }
            };
            Ok(b.build())
        })
        .collect()
}

/// The canonical list of described conditions. AWS reports values both in
/// the legacy `Values` and in the field's config; the config wins.
pub fn from_sdk_conditions(conditions: &[RuleCondition]) -> Value {
    let items = conditions
        .iter()
        .map(|c| {
            let field = c.field().unwrap_or_default();
            let configured: &[String] = match field {
                "path-pattern" => c
                    .path_pattern_config()
                    .map(|p| p.values())
                    .unwrap_or_default(),
                "host-header" => c
                    .host_header_config()
                    .map(|p| p.values())
                    .unwrap_or_default(),
                "http-request-method" => c
                    .http_request_method_config()
                    .map(|p| p.values())
                    .unwrap_or_default(),
                "source-ip" => c.source_ip_config().map(|p| p.values()).unwrap_or_default(),
                _ => &[],
            };
            let values = if configured.is_empty() {
                c.values()
            } else {
                configured
            };
            Value::Map(BTreeMap::from([
                ("field".to_string(), Value::from(field)),
                (
                    "values".to_string(),
                    Value::List(values.iter().map(|v| Value::from(v.as_str())).collect()),
                ),
            ]))
        })
        .collect();
    normalize_conditions(&Value::List(items))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(j: serde_json::Value) -> Value {
        Value::from_json(&j)
    }

    #[test]
    fn redirect_defaults_and_status_codes() {
        let spec = v(
            json!({"type": "redirect", "redirect": {"protocol": "HTTPS", "port": 443, "status_code": 301}}),
        );
        let n = normalize_action(&spec);
        assert_eq!(
            n,
            v(json!({"type": "redirect", "redirect": {
                "protocol": "HTTPS", "port": "443", "host": "#{host}", "path": "/#{path}",
                "query": "#{query}", "status_code": "HTTP_301"}}))
        );
        // The SDK round trip gives the same canonical value.
        let sdk = to_sdk_actions(Some(&Value::List(vec![spec]))).unwrap();
        assert_eq!(sdk[0].order(), Some(1));
        assert_eq!(sdk[0].redirect_config().and_then(|r| r.port()), Some("443"));
        assert_eq!(from_sdk_action(&sdk[0]), n);
    }

    #[test]
    fn forward_ignores_irrelevant_keys_and_reads_forward_config() {
        let spec = v(json!({"type": "Forward", "target_group_arn": "arn:tg", "redirect": null}));
        assert_eq!(
            normalize_action(&spec),
            v(json!({"type": "forward", "target_group_arn": "arn:tg"}))
        );
        let described = Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .order(1)
            .forward_config(
                aws_sdk_elasticloadbalancingv2::types::ForwardActionConfig::builder()
                    .target_groups(
                        aws_sdk_elasticloadbalancingv2::types::TargetGroupTuple::builder()
                            .target_group_arn("arn:tg")
                            .weight(1)
                            .build(),
                    )
                    .build(),
            )
            .build();
        assert_eq!(from_sdk_action(&described), normalize_action(&spec));
        let unknown = v(json!({"type": "forward"}));
        let mut m = unknown.as_map().cloned().unwrap();
        m.insert("target_group_arn".into(), Value::Unknown);
        assert_eq!(
            normalize_action(&Value::Map(m)).get("target_group_arn"),
            Some(&Value::Unknown)
        );
    }

    #[test]
    fn fixed_response_and_order() {
        let list = v(json!([
            {"type": "fixed-response", "fixed_response": {"status_code": 404, "content_type": "text/plain"}},
        ]));
        let n = normalize_actions(&list);
        assert_eq!(
            n.as_list().unwrap()[0]
                .get("fixed_response")
                .unwrap()
                .get("status_code"),
            Some(&Value::from("404"))
        );
        let sdk = to_sdk_actions(Some(&list)).unwrap();
        let back = from_sdk_actions(&sdk);
        assert_eq!(back, n);
        let mut reversed = vec![
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn("b")
                .order(2)
                .build(),
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn("a")
                .order(1)
                .build(),
        ];
        let seen = from_sdk_actions(&reversed);
        assert_eq!(
            seen.as_list().unwrap()[0].get("target_group_arn"),
            Some(&Value::from("a"))
        );
        reversed.clear();
        assert!(to_sdk_actions(Some(&Value::List(vec![]))).is_err());
    }

    #[test]
    fn bad_actions_are_invalid() {
        assert!(to_sdk_actions(Some(&v(json!([{"type": "forward"}])))).is_err());
        assert!(to_sdk_actions(Some(&v(json!([{"type": "redirect", "redirect": {}}])))).is_err());
        assert!(to_sdk_actions(Some(&v(json!([{"type": "authenticate-oidc"}])))).is_err());
    }

    #[test]
    fn conditions_are_sets() {
        let a = v(json!([
            {"field": "path-pattern", "values": ["/b/*", "/a/*"]},
            {"field": "Host-Header", "values": ["x.example.com"]},
        ]));
        let b = v(json!([
            {"field": "host-header", "values": ["x.example.com"]},
            {"field": "path-pattern", "values": ["/a/*", "/b/*", "/a/*"]},
        ]));
        assert_eq!(normalize_conditions(&a), normalize_conditions(&b));
        let sdk = to_sdk_conditions(Some(&a)).unwrap();
        assert_eq!(from_sdk_conditions(&sdk), normalize_conditions(&a));
        let legacy = RuleCondition::builder()
            .field("path-pattern")
            .values("/z")
            .build();
        assert_eq!(
            from_sdk_conditions(&[legacy]),
            normalize_conditions(&v(json!([{"field": "path-pattern", "values": ["/z"]}])))
        );
        assert!(
            to_sdk_conditions(Some(&v(
                json!([{"field": "query-string", "values": ["a"]}])
            )))
            .is_err()
        );
        assert!(to_sdk_conditions(Some(&v(json!([])))).is_err());
    }
}
