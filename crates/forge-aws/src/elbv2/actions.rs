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
//! their values sorted (values of one condition are OR-ed: a set). Both
//! are kept as that canonical value ([`Shaped`]); create and update read
//! them typed.

use crate::attrs::Shaped;
use crate::normalize::text_value;
use aws_sdk_elasticloadbalancingv2::types::builders::RuleConditionBuilder;
use aws_sdk_elasticloadbalancingv2::types::{
    Action as SdkAction, ActionTypeEnum, FixedResponseActionConfig, HostHeaderConditionConfig,
    HttpRequestMethodConditionConfig, PathPatternConditionConfig, RedirectActionConfig,
    RedirectActionStatusCodeEnum, RuleCondition, SourceIpConditionConfig,
};
use forge_core::Value;
use forge_derive::Fields;
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

/// One action of a listener or rule.
#[derive(Debug, Clone, Fields)]
pub struct ActionSpec {
    /// forward, redirect or fixed-response.
    pub r#type: String,
    /// Target group to forward to (type forward).
    pub target_group_arn: Option<String>,
    /// Redirect settings (type redirect).
    pub redirect: Option<Redirect>,
    /// Fixed response settings (type fixed-response).
    pub fixed_response: Option<FixedResponse>,
}

/// Where a redirect action sends the client.
#[derive(Debug, Clone, Fields)]
pub struct Redirect {
    /// HTTP, HTTPS or #{protocol}.
    #[field(default = "#{protocol}")]
    pub protocol: Option<String>,
    /// 1-65535 or #{port}.
    #[field(default = "#{port}")]
    pub port: Option<String>,
    /// Host name or #{host}.
    #[field(default = "#{host}")]
    pub host: Option<String>,
    /// Absolute path, default /#{path}.
    #[field(default = "/#{path}")]
    pub path: Option<String>,
    /// Query without the leading ?.
    #[field(default = "#{query}")]
    pub query: Option<String>,
    /// HTTP_301 or HTTP_302 (301/302 accepted).
    pub status_code: String,
}

/// What a fixed-response action answers.
#[derive(Debug, Clone, Fields)]
pub struct FixedResponse {
    /// 2XX, 4XX or 5XX status code.
    pub status_code: String,
    /// text/plain, text/html, application/json ...
    pub content_type: Option<String>,
    /// Body of the response.
    pub message_body: Option<String>,
}

/// One condition of a listener rule.
#[derive(Debug, Clone, Fields)]
pub struct ConditionSpec {
    /// path-pattern, host-header, http-request-method or source-ip.
    pub field: String,
    /// Values; any one matches.
    pub values: Vec<String>,
}

/// An action in its canonical form.
pub type Action = Shaped<ActionSpec>;

/// A condition in its canonical form.
pub type Condition = Shaped<ConditionSpec>;

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

/// The canonical form of a list of actions (a field normalizer).
pub fn normalize_actions(actions: &Value) -> Value {
    match actions {
        Value::List(items) => Value::List(items.iter().map(normalize_action).collect()),
        Value::Null => Value::List(Vec::new()),
        other => other.clone(),
    }
}

/// The SDK actions of a desired (known) action list; `Order` follows list
/// position.
pub fn to_sdk_actions(actions: &[Action]) -> Result<Vec<SdkAction>, ProviderError> {
    if actions.is_empty() {
        return Err(ProviderError::Invalid(
            "at least one action is required".into(),
        ));
    }
    let mut out = Vec::with_capacity(actions.len());
    for (i, item) in actions.iter().enumerate() {
        let a = Action::new(normalize_action(&item.0)).typed(&format!("action {i}"))?;
        let order = i32::try_from(i + 1).unwrap_or(i32::MAX);
        let b = SdkAction::builder()
            .r#type(ActionTypeEnum::from(a.r#type.as_str()))
            .order(order);
        let missing = |what: &str| ProviderError::Invalid(format!("action {i}: {what}"));
        let b = match (a.r#type.as_str(), a.redirect, a.fixed_response) {
            ("forward", _, _) => b.target_group_arn(
                a.target_group_arn
                    .ok_or_else(|| missing("a forward action needs `target_group_arn`"))?,
            ),
            ("redirect", Some(r), _) => b.redirect_config(
                RedirectActionConfig::builder()
                    .set_protocol(r.protocol)
                    .set_port(r.port)
                    .set_host(r.host)
                    .set_path(r.path)
                    .set_query(r.query)
                    .status_code(RedirectActionStatusCodeEnum::from(r.status_code.as_str()))
                    .build(),
            ),
            ("fixed-response", _, Some(f)) => b.fixed_response_config(
                FixedResponseActionConfig::builder()
                    .status_code(f.status_code)
                    .set_content_type(f.content_type)
                    .set_message_body(f.message_body)
                    .build(),
            ),
            ("redirect" | "fixed-response", _, _) => {
                return Err(missing("its settings are missing"));
            }
            (other, _, _) => {
                return Err(missing(&format!(
                    "type `{other}` is not supported (use forward, redirect or fixed-response)"
                )));
            }
        };
        out.push(b.build());
    }
    Ok(out)
}

fn opt(s: Option<&str>) -> Option<Value> {
    s.map(Value::from)
}

/// A map of the parts that are set.
fn object<const N: usize>(pairs: [(&str, Option<Value>); N]) -> Value {
    Value::Map(
        pairs
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_string(), v?)))
            .collect(),
    )
}

/// The canonical value of one described action.
pub fn from_sdk_action(a: &SdkAction) -> Value {
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
                let code = r.status_code().map(|c| Value::from(c.as_str()));
                let value = object([
                    ("protocol", opt(r.protocol())),
                    ("port", opt(r.port())),
                    ("host", opt(r.host())),
                    ("path", opt(r.path())),
                    ("query", opt(r.query())),
                    ("status_code", code),
                ]);
                m.insert("redirect".into(), value);
            }
        }
        "fixed-response" => {
            if let Some(f) = a.fixed_response_config() {
                let value = object([
                    ("status_code", opt(f.status_code())),
                    ("content_type", opt(f.content_type())),
                    ("message_body", opt(f.message_body())),
                ]);
                m.insert("fixed_response".into(), value);
            }
        }
        _ => {}
    }
    normalize_action(&Value::Map(m))
}

/// The canonical list of described actions, in AWS's `Order`.
pub fn from_sdk_actions(actions: &[SdkAction]) -> Vec<Action> {
    let mut sorted: Vec<&SdkAction> = actions.iter().collect();
    sorted.sort_by_key(|a| a.order().unwrap_or(i32::MAX));
    sorted
        .into_iter()
        .map(|a| Action::new(from_sdk_action(a)))
        .collect()
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

/// The canonical form of a condition list, sorted by field, then values
/// (a field normalizer).
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

/// A condition field forge supports: its name, how its values go into the
/// field's config, and how they are read back from it.
type ConditionField = (
    &'static str,
    fn(RuleConditionBuilder, Vec<String>) -> RuleConditionBuilder,
    fn(&RuleCondition) -> Option<&[String]>,
);

/// The condition fields forge supports.
const CONDITION_FIELDS: [ConditionField; 4] = [
    (
        "path-pattern",
        |b, v| {
            b.path_pattern_config(
                PathPatternConditionConfig::builder()
                    .set_values(Some(v))
                    .build(),
            )
        },
        |c| c.path_pattern_config().map(|p| p.values()),
    ),
    (
        "host-header",
        |b, v| {
            b.host_header_config(
                HostHeaderConditionConfig::builder()
                    .set_values(Some(v))
                    .build(),
            )
        },
        |c| c.host_header_config().map(|p| p.values()),
    ),
    (
        "http-request-method",
        |b, v| {
            let config = HttpRequestMethodConditionConfig::builder().set_values(Some(v));
            b.http_request_method_config(config.build())
        },
        |c| c.http_request_method_config().map(|p| p.values()),
    ),
    (
        "source-ip",
        |b, v| {
            b.source_ip_config(
                SourceIpConditionConfig::builder()
                    .set_values(Some(v))
                    .build(),
            )
        },
        |c| c.source_ip_config().map(|p| p.values()),
    ),
];

/// The SDK conditions of a desired condition list.
pub fn to_sdk_conditions(conditions: &[Condition]) -> Result<Vec<RuleCondition>, ProviderError> {
    if conditions.is_empty() {
        return Err(ProviderError::Invalid(
            "a listener rule needs at least one condition".into(),
        ));
    }
    conditions
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let c = Condition::new(normalize_condition(&c.0)).typed(&format!("condition {i}"))?;
            if c.values.is_empty() {
                return Err(ProviderError::Invalid(format!(
                    "condition {i}: `values` must list at least one value"
                )));
            }
            let Some((_, set, _)) = CONDITION_FIELDS.iter().find(|(f, ..)| *f == c.field) else {
                return Err(ProviderError::Invalid(format!(
                    "condition {i}: field `{}` is not supported (path-pattern, host-header, http-request-method, source-ip)",
                    c.field
                )));
            };
            Ok(set(RuleCondition::builder().field(&c.field), c.values).build())
        })
        .collect()
}

/// The canonical list of described conditions. AWS reports values both in
/// the legacy `Values` and in the field's config; the config wins.
pub fn from_sdk_conditions(conditions: &[RuleCondition]) -> Vec<Condition> {
    let items = conditions
        .iter()
        .map(|c| {
            let field = c.field().unwrap_or_default();
            let configured = CONDITION_FIELDS.iter().find(|(f, ..)| *f == field);
            let configured = configured
                .and_then(|(_, _, get)| get(c))
                .unwrap_or_default();
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
    match normalize_conditions(&Value::List(items)) {
        Value::List(items) => items.into_iter().map(Condition::new).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(j: serde_json::Value) -> Value {
        Value::from_json(&j)
    }

    fn values<T>(list: &[Shaped<T>]) -> Value {
        Value::List(list.iter().map(|i| i.0.clone()).collect())
    }

    fn items<T>(list: Value) -> Vec<Shaped<T>> {
        list.as_list()
            .unwrap()
            .iter()
            .cloned()
            .map(Shaped::new)
            .collect()
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
        let sdk = to_sdk_actions(&items(Value::List(vec![spec]))).unwrap();
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
        let described = SdkAction::builder()
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
        let sdk = to_sdk_actions(&items(list.clone())).unwrap();
        let back = from_sdk_actions(&sdk);
        assert_eq!(values(&back), n);
        let mut reversed = vec![
            SdkAction::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn("b")
                .order(2)
                .build(),
            SdkAction::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn("a")
                .order(1)
                .build(),
        ];
        let seen = from_sdk_actions(&reversed);
        assert_eq!(seen[0].0.get("target_group_arn"), Some(&Value::from("a")));
        reversed.clear();
        assert!(to_sdk_actions(&[]).is_err());
    }

    #[test]
    fn bad_actions_are_invalid() {
        assert!(to_sdk_actions(&items(v(json!([{"type": "forward"}])))).is_err());
        assert!(to_sdk_actions(&items(v(json!([{"type": "redirect", "redirect": {}}])))).is_err());
        assert!(to_sdk_actions(&items(v(json!([{"type": "authenticate-oidc"}])))).is_err());
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
        let sdk = to_sdk_conditions(&items(a.clone())).unwrap();
        assert_eq!(values(&from_sdk_conditions(&sdk)), normalize_conditions(&a));
        let legacy = RuleCondition::builder()
            .field("path-pattern")
            .values("/z")
            .build();
        assert_eq!(
            values(&from_sdk_conditions(&[legacy])),
            normalize_conditions(&v(json!([{"field": "path-pattern", "values": ["/z"]}])))
        );
        assert!(
            to_sdk_conditions(&items(v(
                json!([{"field": "query-string", "values": ["a"]}])
            )))
            .is_err()
        );
        assert!(to_sdk_conditions(&[]).is_err());
    }
}
