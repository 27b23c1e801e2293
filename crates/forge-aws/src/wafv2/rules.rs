//! Web ACL rules: schema, canonical form, and conversion to and from the
//! SDK.
//!
//! A rule has a name, a priority, an action (`allow`, `block`, `count`,
//! `captcha`, `challenge`) or, for rule groups, an override action (`none`,
//! `count`), one statement (a managed rule group, a rate-based limit or an
//! IP set reference) and a visibility configuration. Actions are written as
//! plain words; the API's `{block: {}}` spelling is accepted too. The
//! canonical form fills what AWS fills (`override_action: none` for rule
//! groups, rate-based `aggregate_key_type: IP` and a 300 s window, a rule's
//! visibility config defaulting to metrics and sampling on under the rule's
//! name), sorts excluded rules and overrides by name, and sorts rules by
//! priority (the order AWS evaluates them in).

use crate::elbv2::common::{int_of, number_value};
use aws_sdk_wafv2::types::{
    AllowAction, BlockAction, CaptchaAction, ChallengeAction, CountAction, DefaultAction,
    ExcludedRule, IpSetReferenceStatement, ManagedRuleGroupStatement, NoneAction, OverrideAction,
    RateBasedStatement, RateBasedStatementAggregateKeyType, Rule, RuleAction, RuleActionOverride,
    Statement, VisibilityConfig,
};
use forge_core::{FieldSchema, FieldType, Value};
use forge_engine::ProviderError;
use std::collections::BTreeMap;

/// The rate-based evaluation window AWS uses when none is given.
const DEFAULT_WINDOW: i64 = 300;

/// The schema of a visibility configuration.
pub fn visibility_schema() -> FieldType {
    FieldType::object([
        (
            "cloud_watch_metrics_enabled",
            FieldSchema::optional(FieldType::Bool)
                .default(true)
                .describe("Publish CloudWatch metrics."),
        ),
        (
            "metric_name",
            FieldSchema::optional(FieldType::String)
                .describe("Metric name (defaults to the rule's or ACL's name)."),
        ),
        (
            "sampled_requests_enabled",
            FieldSchema::optional(FieldType::Bool)
                .default(true)
                .describe("Keep request samples."),
        ),
    ])
}

/// The schema of one rule.
pub fn rule_schema() -> FieldType {
    FieldType::object([
        (
            "name",
            FieldSchema::required(FieldType::String).describe("Rule name, unique in the ACL."),
        ),
        (
            "priority",
            FieldSchema::required(FieldType::Number).describe("Evaluation order, lowest first."),
        ),
        (
            "action",
            FieldSchema::optional(FieldType::String)
                .describe("allow, block, count, captcha or challenge."),
        ),
        (
            "override_action",
            FieldSchema::optional(FieldType::String)
                .describe("none (default) or count, for rule groups."),
        ),
        (
            "statement",
            FieldSchema::required(FieldType::object([
                (
                    "managed_rule_group",
                    FieldSchema::optional(FieldType::object([
                        (
                            "vendor_name",
                            FieldSchema::required(FieldType::String).describe("AWS, ..."),
                        ),
                        (
                            "name",
                            FieldSchema::required(FieldType::String)
                                .describe("AWSManagedRulesCommonRuleSet, ..."),
                        ),
                        (
                            "version",
                            FieldSchema::optional(FieldType::String)
                                .describe("Pinned version; latest when unset."),
                        ),
                        (
                            "excluded_rules",
                            FieldSchema::optional(FieldType::list(FieldType::String))
                                .describe("Rules set to count."),
                        ),
                        (
                            "rule_action_overrides",
                            FieldSchema::optional(FieldType::list(FieldType::object([
                                (
                                    "name",
                                    FieldSchema::required(FieldType::String)
                                        .describe("Rule in the group."),
                                ),
                                (
                                    "action_to_use",
                                    FieldSchema::required(FieldType::String)
                                        .describe("allow, block, count, ..."),
                                ),
                            ])))
                            .describe("Per-rule action overrides."),
                        ),
                    ]))
                    .describe("An AWS managed rule group."),
                ),
                (
                    "rate_based",
                    FieldSchema::optional(FieldType::object([
                        (
                            "limit",
                            FieldSchema::required(FieldType::Number)
                                .describe("Requests per window per key."),
                        ),
                        (
                            "aggregate_key_type",
                            FieldSchema::optional(FieldType::String)
                                .default("IP")
                                .describe("IP (default), FORWARDED_IP, CONSTANT."),
                        ),
                        (
                            "evaluation_window_sec",
                            FieldSchema::optional(FieldType::Number)
                                .default(DEFAULT_WINDOW)
                                .describe("60, 120, 300 or 600."),
                        ),
                    ]))
                    .describe("A rate limit."),
                ),
                (
                    "ip_set_reference",
                    FieldSchema::optional(FieldType::object([(
                        "arn",
                        FieldSchema::required(FieldType::String).describe("The IP set's ARN."),
                    )]))
                    .describe("Match addresses of an IP set."),
                ),
            ]))
            .describe("What the rule matches (exactly one kind)."),
        ),
        (
            "visibility_config",
            FieldSchema::optional(visibility_schema())
                .describe("Metrics and sampling of this rule."),
        ),
    ])
}

/// An action written as a word or as the API's `{word: {...}}`.
fn action_word(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(s.to_ascii_lowercase()),
        Value::Map(m) if m.len() == 1 => m
            .keys()
            .next()
            .map_or(Value::Null, |k| Value::String(k.to_ascii_lowercase())),
        other => other.clone(),
    }
}

/// The canonical visibility configuration, defaulting the metric name.
pub fn normalize_visibility(v: Option<&Value>, default_metric: Option<&Value>) -> Value {
    let given = v.and_then(Value::as_map);
    if let Some(v) = v
        && !v.is_null()
        && given.is_none()
    {
        return v.clone();
    }
    let get = |k: &str| given.and_then(|g| g.get(k)).filter(|v| !v.is_null());
    let metric = get("metric_name")
        .or(default_metric)
        .cloned()
        .unwrap_or(Value::Null);
    Value::Map(BTreeMap::from([
        (
            "cloud_watch_metrics_enabled".to_string(),
            get("cloud_watch_metrics_enabled")
                .cloned()
                .unwrap_or(Value::Bool(true)),
        ),
        ("metric_name".to_string(), metric),
        (
            "sampled_requests_enabled".to_string(),
            get("sampled_requests_enabled")
                .cloned()
                .unwrap_or(Value::Bool(true)),
        ),
    ]))
}

fn sorted(mut items: Vec<Value>, key: impl Fn(&Value) -> String) -> Vec<Value> {
    if items.iter().all(Value::is_known) {
        items.sort_by_key(|v| key(v));
    }
    items
}

fn normalize_statement(v: &Value) -> Value {
    let Some(m) = v.as_map() else {
        return v.clone();
    };
    let mut out = BTreeMap::new();
    if let Some(Value::Map(g)) = m.get("managed_rule_group") {
        let mut o = BTreeMap::new();
        for key in ["vendor_name", "name", "version"] {
            if let Some(x) = g.get(key).filter(|x| !x.is_null()) {
                o.insert(key.to_string(), x.clone());
            }
        }
        let excluded: Vec<Value> = g
            .get("excluded_rules")
            .and_then(Value::as_list)
            .unwrap_or_default()
            .iter()
            .map(|e| e.get("name").cloned().unwrap_or_else(|| e.clone()))
            .collect();
        o.insert(
            "excluded_rules".to_string(),
            Value::List(sorted(excluded, |v| v.to_json().to_string())),
        );
        let overrides: Vec<Value> = g
            .get("rule_action_overrides")
            .and_then(Value::as_list)
            .unwrap_or_default()
            .iter()
            .map(|r| {
                Value::Map(BTreeMap::from([
                    (
                        "name".to_string(),
                        r.get("name").cloned().unwrap_or(Value::Null),
                    ),
                    (
                        "action_to_use".to_string(),
                        r.get("action_to_use").map_or(Value::Null, action_word),
                    ),
                ]))
            })
            .collect();
        o.insert(
            "rule_action_overrides".to_string(),
            Value::List(sorted(overrides, |v| {
                v.get("name")
                    .map(|n| n.to_json().to_string())
                    .unwrap_or_default()
            })),
        );
        out.insert("managed_rule_group".to_string(), Value::Map(o));
    }
    if let Some(Value::Map(r)) = m.get("rate_based") {
        let mut o = BTreeMap::new();
        if let Some(l) = r.get("limit").filter(|x| !x.is_null()) {
            o.insert("limit".to_string(), number_value(l));
        }
        let key = match r.get("aggregate_key_type").filter(|x| !x.is_null()) {
            Some(Value::String(s)) => Value::String(s.to_ascii_uppercase()),
            Some(other) => other.clone(),
            None => Value::from("IP"),
        };
        o.insert("aggregate_key_type".to_string(), key);
        let window = r
            .get("evaluation_window_sec")
            .filter(|x| !x.is_null())
            .map_or(Value::int(DEFAULT_WINDOW), number_value);
        o.insert("evaluation_window_sec".to_string(), window);
        out.insert("rate_based".to_string(), Value::Map(o));
    }
    if let Some(Value::Map(i)) = m.get("ip_set_reference") {
        out.insert(
            "ip_set_reference".to_string(),
            Value::Map(BTreeMap::from([(
                "arn".to_string(),
                i.get("arn").cloned().unwrap_or(Value::Null),
            )])),
        );
    }
    Value::Map(out)
}

/// The canonical form of one rule.
pub fn normalize_rule(rule: &Value) -> Value {
    let Some(m) = rule.as_map() else {
        return rule.clone();
    };
    let mut out = BTreeMap::new();
    let name = m.get("name").cloned().unwrap_or(Value::Null);
    out.insert("name".to_string(), name.clone());
    out.insert(
        "priority".to_string(),
        m.get("priority").map_or(Value::Null, number_value),
    );
    let statement = normalize_statement(m.get("statement").unwrap_or(&Value::Null));
    let is_group = statement.get("managed_rule_group").is_some();
    match (
        m.get("action").filter(|v| !v.is_null()),
        m.get("override_action").filter(|v| !v.is_null()),
    ) {
        (_, Some(o)) => {
            out.insert("override_action".to_string(), action_word(o));
        }
        (Some(a), None) => {
            out.insert("action".to_string(), action_word(a));
        }
        (None, None) if is_group => {
            out.insert("override_action".to_string(), Value::from("none"));
        }
        (None, None) => {}
    }
    out.insert("statement".to_string(), statement);
    out.insert(
        "visibility_config".to_string(),
        normalize_visibility(m.get("visibility_config"), Some(&name)),
    );
    Value::Map(out)
}

/// The canonical rule list, sorted by priority.
pub fn normalize_rules(rules: &Value) -> Value {
    match rules {
        Value::List(items) => {
            let items: Vec<Value> = items.iter().map(normalize_rule).collect();
            Value::List(sorted(items, |r| {
                let p = r.get("priority").and_then(int_of).unwrap_or(i64::MAX);
                format!("{p:>20}")
            }))
        }
        Value::Null => Value::List(Vec::new()),
        other => other.clone(),
    }
}

fn rule_action(word: &str) -> Result<RuleAction, ProviderError> {
    let b = RuleAction::builder();
    Ok(match word {
        "allow" => b.allow(AllowAction::builder().build()),
        "block" => b.block(BlockAction::builder().build()),
        "count" => b.count(CountAction::builder().build()),
        "captcha" => b.captcha(CaptchaAction::builder().build()),
        "challenge" => b.challenge(ChallengeAction::builder().build()),
        other => {
            return Err(ProviderError::Invalid(format!(
                "unknown action `{other}` (allow, block, count, captcha, challenge)"
            )));
        }
    }
    .build())
}

fn action_name(a: &RuleAction) -> &'static str {
    if a.allow().is_some() {
        "allow"
    } else if a.block().is_some() {
        "block"
    } else if a.count().is_some() {
        "count"
    } else if a.captcha().is_some() {
        "captcha"
    } else if a.challenge().is_some() {
        "challenge"
    } else {
        "unknown"
    }
}

/// The SDK default action of `allow` / `block`.
pub fn default_action(word: &str) -> Result<DefaultAction, ProviderError> {
    let b = DefaultAction::builder();
    Ok(match word {
        "allow" => b.allow(AllowAction::builder().build()),
        "block" => b.block(BlockAction::builder().build()),
        other => {
            return Err(ProviderError::Invalid(format!(
                "default_action must be allow or block, not `{other}`"
            )));
        }
    }
    .build())
}

/// The word of a described default action.
pub fn default_action_name(a: Option<&DefaultAction>) -> Value {
    match a {
        Some(a) if a.block().is_some() => Value::from("block"),
        Some(a) if a.allow().is_some() => Value::from("allow"),
        _ => Value::Null,
    }
}

/// The SDK visibility configuration of a canonical one.
pub fn to_sdk_visibility(v: &Value) -> Result<VisibilityConfig, ProviderError> {
    VisibilityConfig::builder()
        .set_cloud_watch_metrics_enabled(
            v.get("cloud_watch_metrics_enabled")
                .and_then(Value::as_bool),
        )
        .set_metric_name(
            v.get("metric_name")
                .and_then(Value::as_str)
                .map(str::to_string),
        )
        .set_sampled_requests_enabled(v.get("sampled_requests_enabled").and_then(Value::as_bool))
        .build()
        .map_err(|e| ProviderError::Invalid(format!("visibility_config: {e}")))
}

/// The canonical value of a described visibility configuration.
pub fn from_sdk_visibility(v: Option<&VisibilityConfig>) -> Value {
    v.map_or(Value::Null, |v| {
        Value::Map(BTreeMap::from([
            (
                "cloud_watch_metrics_enabled".to_string(),
                Value::Bool(v.cloud_watch_metrics_enabled()),
            ),
            ("metric_name".to_string(), Value::from(v.metric_name())),
            (
                "sampled_requests_enabled".to_string(),
                Value::Bool(v.sampled_requests_enabled()),
            ),
        ]))
    })
}

fn s(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn to_sdk_statement(rule: &str, st: &Value) -> Result<Statement, ProviderError> {
    let invalid = |what: String| ProviderError::Invalid(format!("rule `{rule}`: {what}"));
    let kinds = ["managed_rule_group", "rate_based", "ip_set_reference"]
        .iter()
        .filter(|k| st.get(k).is_some())
        .count();
    if kinds != 1 {
        return Err(invalid(
            "`statement` needs exactly one of managed_rule_group, rate_based, ip_set_reference"
                .into(),
        ));
    }
    let b = Statement::builder();
    if let Some(g) = st.get("managed_rule_group") {
        let mut mb = ManagedRuleGroupStatement::builder()
            .set_vendor_name(s(g, "vendor_name"))
            .set_name(s(g, "name"))
            .set_version(s(g, "version"));
        for e in g
            .get("excluded_rules")
            .and_then(Value::as_list)
            .unwrap_or_default()
        {
            let name = e
                .as_str()
                .ok_or_else(|| invalid("excluded_rules must be rule names".into()))?;
            mb = mb.excluded_rules(
                ExcludedRule::builder()
                    .name(name)
                    .build()
                    .map_err(|e| invalid(e.to_string()))?,
            );
        }
        for o in g
            .get("rule_action_overrides")
            .and_then(Value::as_list)
            .unwrap_or_default()
        {
            let word = o
                .get("action_to_use")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let ov = RuleActionOverride::builder()
                .set_name(s(o, "name"))
                .action_to_use(rule_action(word).map_err(|e| invalid(e.to_string()))?)
                .build()
                .map_err(|e| invalid(e.to_string()))?;
            mb = mb.rule_action_overrides(ov);
        }
        return Ok(b
            .managed_rule_group_statement(mb.build().map_err(|e| invalid(e.to_string()))?)
            .build());
    }
    if let Some(r) = st.get("rate_based") {
        let rb = RateBasedStatement::builder()
            .set_limit(r.get("limit").and_then(int_of))
            .set_aggregate_key_type(
                r.get("aggregate_key_type")
                    .and_then(Value::as_str)
                    .map(RateBasedStatementAggregateKeyType::from),
            )
            .set_evaluation_window_sec(r.get("evaluation_window_sec").and_then(int_of))
            .build()
            .map_err(|e| invalid(e.to_string()))?;
        return Ok(b.rate_based_statement(rb).build());
    }
    let arn = st.get("ip_set_reference").and_then(|i| s(i, "arn"));
    let ip = IpSetReferenceStatement::builder()
        .set_arn(arn)
        .build()
        .map_err(|e| invalid(e.to_string()))?;
    Ok(b.ip_set_reference_statement(ip).build())
}

/// The SDK rules of a desired rule list.
pub fn to_sdk_rules(rules: Option<&Value>) -> Result<Vec<Rule>, ProviderError> {
    let rules = rules
        .map(normalize_rules)
        .and_then(|r| r.as_list().map(<[Value]>::to_vec))
        .unwrap_or_default();
    rules
        .iter()
        .map(|r| {
            let name = s(r, "name").ok_or_else(|| ProviderError::Invalid("every rule needs a `name`".into()))?;
            let priority = r
                .get("priority")
                .and_then(int_of)
                .and_then(|p| i32::try_from(p).ok())
                .ok_or_else(|| ProviderError::Invalid(format!("rule `{name}`: `priority` must be a number")))?;
            let statement = to_sdk_statement(&name, r.get("statement").unwrap_or(&Value::Null))?;
            let is_group = statement.managed_rule_group_statement().is_some();
            let mut b = Rule::builder()
                .name(&name)
                .priority(priority)
                .statement(statement)
                .visibility_config(to_sdk_visibility(r.get("visibility_config").unwrap_or(&Value::Null))?);
            match (r.get("action").and_then(Value::as_str), r.get("override_action").and_then(Value::as_str)) {
                (None, Some(o)) if is_group => {
                    let ob = OverrideAction::builder();
                    b = b.override_action(match o {
                        "none" => ob.none(NoneAction::builder().build()).build(),
                        "count" => ob.count(CountAction::builder().build()).build(),
                        other => {
                            return Err(ProviderError::Invalid(format!(
                                "rule `{name}`: override_action must be none or count, not `{other}`"
                            )));
                        }
                    });
                }
                (Some(a), None) if !is_group => b = b.action(rule_action(a)?),
                _ => {
                    return Err(ProviderError::Invalid(format!(
                        "rule `{name}`: a managed rule group takes `override_action`, other rules take `action`"
                    )));
                }
            }
            b.build().map_err(|e| ProviderError::Invalid(format!("rule `{name}`: {e}")))
        })
        .collect()
}

fn from_sdk_statement(st: Option<&Statement>) -> Value {
    let Some(st) = st else { return Value::Null };
    let mut out = BTreeMap::new();
    if let Some(g) = st.managed_rule_group_statement() {
        let mut o = BTreeMap::from([
            ("vendor_name".to_string(), Value::from(g.vendor_name())),
            ("name".to_string(), Value::from(g.name())),
        ]);
        if let Some(v) = g.version() {
            o.insert("version".to_string(), Value::from(v));
        }
        o.insert(
            "excluded_rules".to_string(),
            Value::List(
                g.excluded_rules()
                    .iter()
                    .map(|e| Value::from(e.name()))
                    .collect(),
            ),
        );
        o.insert(
            "rule_action_overrides".to_string(),
            Value::List(
                g.rule_action_overrides()
                    .iter()
                    .map(|r| {
                        Value::Map(BTreeMap::from([
                            ("name".to_string(), Value::from(r.name())),
                            (
                                "action_to_use".to_string(),
                                r.action_to_use()
                                    .map_or(Value::Null, |a| Value::from(action_name(a))),
                            ),
                        ]))
                    })
                    .collect(),
            ),
        );
        out.insert("managed_rule_group".to_string(), Value::Map(o));
    }
    if let Some(r) = st.rate_based_statement() {
        // AWS reports 0 for a window it was never given.
        let window = if r.evaluation_window_sec() == 0 {
            DEFAULT_WINDOW
        } else {
            r.evaluation_window_sec()
        };
        out.insert(
            "rate_based".to_string(),
            Value::Map(BTreeMap::from([
                ("limit".to_string(), Value::int(r.limit())),
                (
                    "aggregate_key_type".to_string(),
                    Value::from(r.aggregate_key_type().as_str()),
                ),
                ("evaluation_window_sec".to_string(), Value::int(window)),
            ])),
        );
    }
    if let Some(i) = st.ip_set_reference_statement() {
        out.insert(
            "ip_set_reference".to_string(),
            Value::Map(BTreeMap::from([("arn".to_string(), Value::from(i.arn()))])),
        );
    }
    Value::Map(out)
}

/// The canonical value of described rules.
pub fn from_sdk_rules(rules: &[Rule]) -> Value {
    let items = rules
        .iter()
        .map(|r| {
            let mut m = BTreeMap::from([
                ("name".to_string(), Value::from(r.name())),
                ("priority".to_string(), Value::int(i64::from(r.priority()))),
                ("statement".to_string(), from_sdk_statement(r.statement())),
                (
                    "visibility_config".to_string(),
                    from_sdk_visibility(r.visibility_config()),
                ),
            ]);
            if let Some(a) = r.action() {
                m.insert("action".to_string(), Value::from(action_name(a)));
            }
            if let Some(o) = r.override_action() {
                m.insert(
                    "override_action".to_string(),
                    Value::from(if o.count().is_some() { "count" } else { "none" }),
                );
            }
            Value::Map(m)
        })
        .collect();
    normalize_rules(&Value::List(items))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(j: serde_json::Value) -> Value {
        Value::from_json(&j)
    }

    fn spec() -> Value {
        v(json!([
            {"name": "rate-limit", "priority": 2, "action": {"block": {}},
             "statement": {"rate_based": {"limit": 2000}}},
            {"name": "common", "priority": 1,
             "statement": {"managed_rule_group": {"vendor_name": "AWS", "name": "AWSManagedRulesCommonRuleSet",
                "excluded_rules": ["SizeRestrictions_BODY", "CrossSiteScripting_BODY"],
                "rule_action_overrides": [{"name": "NoUserAgent_HEADER", "action_to_use": "count"}]}}},
        ]))
    }

    #[test]
    fn defaults_and_order() {
        let n = normalize_rules(&spec());
        let rules = n.as_list().unwrap();
        assert_eq!(rules[0].get("name"), Some(&Value::from("common")));
        assert_eq!(rules[0].get("override_action"), Some(&Value::from("none")));
        assert_eq!(
            rules[0]
                .get("statement")
                .unwrap()
                .get("managed_rule_group")
                .unwrap()
                .get("excluded_rules"),
            Some(&v(json!([
                "CrossSiteScripting_BODY",
                "SizeRestrictions_BODY"
            ])))
        );
        assert_eq!(rules[1].get("action"), Some(&Value::from("block")));
        assert_eq!(
            rules[1].get("statement").unwrap().get("rate_based"),
            Some(&v(
                json!({"limit": 2000, "aggregate_key_type": "IP", "evaluation_window_sec": 300})
            ))
        );
        assert_eq!(
            rules[1].get("visibility_config"),
            Some(&v(
                json!({"cloud_watch_metrics_enabled": true, "metric_name": "rate-limit", "sampled_requests_enabled": true})
            ))
        );
    }

    #[test]
    fn sdk_round_trip_is_stable() {
        let n = normalize_rules(&spec());
        let sdk = to_sdk_rules(Some(&spec())).unwrap();
        assert_eq!(sdk.len(), 2);
        assert!(sdk[0].override_action().and_then(|o| o.none()).is_some());
        assert_eq!(
            sdk[1]
                .statement()
                .and_then(|s| s.rate_based_statement())
                .map(|r| r.limit()),
            Some(2000)
        );
        assert_eq!(from_sdk_rules(&sdk), n);
        let mut changed = spec().as_list().unwrap().to_vec();
        changed[0] = v(
            json!({"name": "rate-limit", "priority": 2, "action": "block", "statement": {"rate_based": {"limit": 500}}}),
        );
        assert_ne!(normalize_rules(&Value::List(changed)), n);
    }

    #[test]
    fn wrong_action_kinds_are_invalid() {
        let group_with_action = v(json!([{"name": "g", "priority": 1, "action": "block",
            "statement": {"managed_rule_group": {"vendor_name": "AWS", "name": "X"}}}]));
        assert!(to_sdk_rules(Some(&group_with_action)).is_err());
        let two_statements = v(json!([{"name": "r", "priority": 1, "action": "block",
            "statement": {"rate_based": {"limit": 100}, "ip_set_reference": {"arn": "a"}}}]));
        assert!(to_sdk_rules(Some(&two_statements)).is_err());
        assert!(default_action("count").is_err());
        assert_eq!(
            default_action_name(Some(&default_action("block").unwrap())),
            Value::from("block")
        );
    }
}
