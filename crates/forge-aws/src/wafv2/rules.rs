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
//! priority (the order AWS evaluates them in). Rules are kept in that
//! canonical form ([`Shaped`]); create and update read them typed.

use crate::attrs::Shaped;
use crate::normalize::{int_of, number_value};
use aws_sdk_wafv2::types::{
    AllowAction, BlockAction, CaptchaAction, ChallengeAction, CountAction, DefaultAction,
    ExcludedRule, IpSetReferenceStatement, ManagedRuleGroupStatement, NoneAction, OverrideAction,
    RateBasedStatement, RateBasedStatementAggregateKeyType, Rule, RuleAction, RuleActionOverride,
    Statement, VisibilityConfig,
};
use forge_core::Value;
use forge_core::fields::FieldValue;
use forge_derive::Fields;
use forge_engine::ProviderError;
use std::collections::BTreeMap;

/// The rate-based evaluation window AWS uses when none is given.
const DEFAULT_WINDOW: i64 = 300;

/// Metrics and sampling of a web ACL or rule.
#[derive(Debug, Clone, Fields)]
pub struct Visibility {
    /// Publish CloudWatch metrics.
    #[field(default = true)]
    pub cloud_watch_metrics_enabled: Option<bool>,
    /// Metric name (defaults to the rule's or ACL's name).
    pub metric_name: Option<String>,
    /// Keep request samples.
    #[field(default = true)]
    pub sampled_requests_enabled: Option<bool>,
}

/// One rule of a web ACL.
#[derive(Debug, Clone, Fields)]
pub struct RuleSpec {
    /// Rule name, unique in the ACL.
    pub name: String,
    /// Evaluation order, lowest first.
    pub priority: i32,
    /// allow, block, count, captcha or challenge.
    pub action: Option<String>,
    /// none (default) or count, for rule groups.
    pub override_action: Option<String>,
    /// What the rule matches (exactly one kind).
    pub statement: StatementSpec,
    /// Metrics and sampling of this rule.
    pub visibility_config: Option<Visibility>,
}

/// What a rule matches.
#[derive(Debug, Clone, Fields)]
pub struct StatementSpec {
    /// An AWS managed rule group.
    pub managed_rule_group: Option<ManagedGroup>,
    /// A rate limit.
    pub rate_based: Option<RateBased>,
    /// Match addresses of an IP set.
    pub ip_set_reference: Option<IpSetReference>,
}

/// A managed rule group statement.
#[derive(Debug, Clone, Fields)]
pub struct ManagedGroup {
    /// AWS, ...
    pub vendor_name: String,
    /// AWSManagedRulesCommonRuleSet, ...
    pub name: String,
    /// Pinned version; latest when unset.
    pub version: Option<String>,
    /// Rules set to count.
    pub excluded_rules: Option<Vec<String>>,
    /// Per-rule action overrides.
    pub rule_action_overrides: Option<Vec<ActionOverride>>,
}

/// The action one rule of a group uses instead of its own.
#[derive(Debug, Clone, Fields)]
pub struct ActionOverride {
    /// Rule in the group.
    pub name: String,
    /// allow, block, count, ...
    pub action_to_use: String,
}

/// A rate-based statement.
#[derive(Debug, Clone, Fields)]
pub struct RateBased {
    /// Requests per window per key.
    pub limit: i64,
    /// IP (default), FORWARDED_IP, CONSTANT.
    #[field(default = "IP")]
    pub aggregate_key_type: Option<String>,
    /// 60, 120, 300 or 600.
    #[field(default = DEFAULT_WINDOW)]
    pub evaluation_window_sec: Option<i64>,
}

/// An IP set reference statement.
#[derive(Debug, Clone, Fields)]
pub struct IpSetReference {
    /// The IP set's ARN.
    pub arn: String,
}

/// A rule in its canonical form.
pub type WafRule = Shaped<RuleSpec>;

/// A visibility configuration in its canonical form.
pub type VisibilityValue = Shaped<Visibility>;

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
    let metric = get("metric_name").or(default_metric);
    let flag = |k: &str| get(k).cloned().unwrap_or(Value::Bool(true));
    Value::Map(BTreeMap::from([
        (
            "cloud_watch_metrics_enabled".to_string(),
            flag("cloud_watch_metrics_enabled"),
        ),
        (
            "metric_name".to_string(),
            metric.cloned().unwrap_or(Value::Null),
        ),
        (
            "sampled_requests_enabled".to_string(),
            flag("sampled_requests_enabled"),
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
    let set = [
        a.allow().is_some(),
        a.block().is_some(),
        a.count().is_some(),
        a.captcha().is_some(),
        a.challenge().is_some(),
    ];
    let words = ["allow", "block", "count", "captcha", "challenge"];
    words
        .into_iter()
        .zip(set)
        .find(|(_, on)| *on)
        .map_or("unknown", |(w, _)| w)
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
pub fn default_action_name(a: Option<&DefaultAction>) -> Option<&'static str> {
    match a {
        Some(a) if a.block().is_some() => Some("block"),
        Some(a) if a.allow().is_some() => Some("allow"),
        _ => None,
    }
}

/// The SDK visibility configuration of a canonical one.
pub fn to_sdk_visibility(v: &Value) -> Result<VisibilityConfig, ProviderError> {
    let v = VisibilityValue::new(v.clone()).typed("visibility_config")?;
    VisibilityConfig::builder()
        .set_cloud_watch_metrics_enabled(v.cloud_watch_metrics_enabled)
        .set_metric_name(v.metric_name)
        .set_sampled_requests_enabled(v.sampled_requests_enabled)
        .build()
        .map_err(|e| ProviderError::Invalid(format!("visibility_config: {e}")))
}

/// A described visibility configuration (every part set).
pub fn visibility_of(v: &VisibilityConfig) -> Visibility {
    Visibility {
        cloud_watch_metrics_enabled: Some(v.cloud_watch_metrics_enabled()),
        metric_name: Some(v.metric_name().to_string()),
        sampled_requests_enabled: Some(v.sampled_requests_enabled()),
    }
}

fn to_sdk_statement(rule: &str, st: StatementSpec) -> Result<Statement, ProviderError> {
    let invalid = |what: String| ProviderError::Invalid(format!("rule `{rule}`: {what}"));
    let b = Statement::builder();
    let built = match (st.managed_rule_group, st.rate_based, st.ip_set_reference) {
        (Some(g), None, None) => {
            let mut mb = ManagedRuleGroupStatement::builder()
                .vendor_name(g.vendor_name)
                .name(g.name)
                .set_version(g.version);
            for name in g.excluded_rules.unwrap_or_default() {
                let e = ExcludedRule::builder().name(name).build();
                mb = mb.excluded_rules(e.map_err(|e| invalid(e.to_string()))?);
            }
            for o in g.rule_action_overrides.unwrap_or_default() {
                let ov = RuleActionOverride::builder()
                    .name(o.name)
                    .action_to_use(
                        rule_action(&o.action_to_use).map_err(|e| invalid(e.to_string()))?,
                    )
                    .build();
                mb = mb.rule_action_overrides(ov.map_err(|e| invalid(e.to_string()))?);
            }
            mb.build().map(|g| b.managed_rule_group_statement(g))
        }
        (None, Some(r), None) => RateBasedStatement::builder()
            .limit(r.limit)
            .set_aggregate_key_type(
                r.aggregate_key_type
                    .as_deref()
                    .map(RateBasedStatementAggregateKeyType::from),
            )
            .set_evaluation_window_sec(r.evaluation_window_sec)
            .build()
            .map(|r| b.rate_based_statement(r)),
        (None, None, Some(i)) => IpSetReferenceStatement::builder()
            .arn(i.arn)
            .build()
            .map(|i| b.ip_set_reference_statement(i)),
        _ => {
            return Err(invalid(
                "`statement` needs exactly one of managed_rule_group, rate_based, ip_set_reference"
                    .into(),
            ));
        }
    };
    Ok(built.map_err(|e| invalid(e.to_string()))?.build())
}

/// The SDK rules of a desired rule list.
pub fn to_sdk_rules(rules: &[WafRule]) -> Result<Vec<Rule>, ProviderError> {
    let canonical = normalize_rules(&Value::List(rules.iter().map(|r| r.0.clone()).collect()));
    let items = canonical.as_list().unwrap_or_default();
    items
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let visibility = to_sdk_visibility(r.get("visibility_config").unwrap_or(&Value::Null))?;
            let r = WafRule::new(r.clone()).typed(&format!("rule {i}"))?;
            let name = r.name;
            let statement = to_sdk_statement(&name, r.statement)?;
            let is_group = statement.managed_rule_group_statement().is_some();
            let b = Rule::builder()
                .name(&name)
                .priority(r.priority)
                .statement(statement)
                .visibility_config(visibility);
            let b = match (r.action.as_deref(), r.override_action.as_deref()) {
                (None, Some(o)) if is_group => {
                    let ob = OverrideAction::builder();
                    b.override_action(match o {
                        "none" => ob.none(NoneAction::builder().build()).build(),
                        "count" => ob.count(CountAction::builder().build()).build(),
                        other => {
                            return Err(ProviderError::Invalid(format!(
                                "rule `{name}`: override_action must be none or count, not `{other}`"
                            )));
                        }
                    })
                }
                (Some(a), None) if !is_group => b.action(rule_action(a)?),
                _ => {
                    return Err(ProviderError::Invalid(format!(
                        "rule `{name}`: a managed rule group takes `override_action`, other rules take `action`"
                    )));
                }
            };
            b.build().map_err(|e| ProviderError::Invalid(format!("rule `{name}`: {e}")))
        })
        .collect()
}

fn from_sdk_statement(st: &Statement) -> StatementSpec {
    let group = st.managed_rule_group_statement().map(|g| ManagedGroup {
        vendor_name: g.vendor_name().to_string(),
        name: g.name().to_string(),
        version: g.version().map(str::to_string),
        excluded_rules: Some(
            g.excluded_rules()
                .iter()
                .map(|e| e.name().to_string())
                .collect(),
        ),
        rule_action_overrides: Some(
            g.rule_action_overrides()
                .iter()
                .map(|r| ActionOverride {
                    name: r.name().to_string(),
                    action_to_use: r.action_to_use().map_or("unknown", action_name).to_string(),
                })
                .collect(),
        ),
    });
    let rate = st.rate_based_statement().map(|r| RateBased {
        limit: r.limit(),
        aggregate_key_type: Some(r.aggregate_key_type().as_str().to_string()),
        // AWS reports 0 for a window it was never given.
        evaluation_window_sec: Some(match r.evaluation_window_sec() {
            0 => DEFAULT_WINDOW,
            w => w,
        }),
    });
    let ip_set = st.ip_set_reference_statement().map(|i| IpSetReference {
        arn: i.arn().to_string(),
    });
    StatementSpec {
        managed_rule_group: group,
        rate_based: rate,
        ip_set_reference: ip_set,
    }
}

/// The canonical value of described rules.
pub fn from_sdk_rules(rules: &[Rule]) -> Vec<WafRule> {
    let items = rules
        .iter()
        .map(|r| {
            let override_word =
                |o: &OverrideAction| if o.count().is_some() { "count" } else { "none" };
            let spec = RuleSpec {
                name: r.name().to_string(),
                priority: r.priority(),
                action: r.action().map(|a| action_name(a).to_string()),
                override_action: r.override_action().map(|o| override_word(o).to_string()),
                statement: r.statement().map_or(
                    StatementSpec {
                        managed_rule_group: None,
                        rate_based: None,
                        ip_set_reference: None,
                    },
                    from_sdk_statement,
                ),
                visibility_config: r.visibility_config().map(visibility_of),
            };
            spec.to_value()
        })
        .collect();
    match normalize_rules(&Value::List(items)) {
        Value::List(items) => items.into_iter().map(WafRule::new).collect(),
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

    fn rules(list: Value) -> Vec<WafRule> {
        list.as_list()
            .unwrap()
            .iter()
            .cloned()
            .map(WafRule::new)
            .collect()
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
        let sdk = to_sdk_rules(&rules(spec())).unwrap();
        assert_eq!(sdk.len(), 2);
        assert!(sdk[0].override_action().and_then(|o| o.none()).is_some());
        assert_eq!(
            sdk[1]
                .statement()
                .and_then(|s| s.rate_based_statement())
                .map(|r| r.limit()),
            Some(2000)
        );
        assert_eq!(
            Value::List(from_sdk_rules(&sdk).into_iter().map(|r| r.0).collect()),
            n
        );
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
        assert!(to_sdk_rules(&rules(group_with_action)).is_err());
        let two_statements = v(json!([{"name": "r", "priority": 1, "action": "block",
            "statement": {"rate_based": {"limit": 100}, "ip_set_reference": {"arn": "a"}}}]));
        assert!(to_sdk_rules(&rules(two_statements)).is_err());
        assert!(default_action("count").is_err());
        assert_eq!(
            default_action_name(Some(&default_action("block").unwrap())),
            Some("block")
        );
    }
}
