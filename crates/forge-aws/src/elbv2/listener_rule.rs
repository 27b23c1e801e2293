//! `aws.elbv2.listener_rule`: a routing rule of a listener (path / host
//! conditions, a priority, actions).
//!
//! The listener cannot change (replacement). The priority changes with
//! SetRulePriorities; conditions and actions with one ModifyRule; each call
//! only when its part differs.
//!
//! Observe cost: one DescribeRules and one DescribeTags per 20 rules.

use super::actions::{
    action_schema, condition_schema, from_sdk_actions, from_sdk_conditions, normalize_actions,
    normalize_conditions, to_sdk_actions, to_sdk_conditions,
};
use super::common::{
    self, CONCURRENCY, ElbBase, describe_arns, elb_err, observed, observed_tags, with_tags,
};
use crate::attrs::attrs;
use crate::attrs::{opt_i64, req_str};
use crate::clients::AwsClients;
use crate::error::{delete_result, is_not_found};
use crate::normalize::normalize_common;
use crate::tags::tags_field;
use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types::{Rule, RulePriorityPair};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::Owner;
use forge_engine::diff::values_equal;
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The `aws.elbv2.listener_rule` provider.
pub struct ListenerRuleProvider {
    base: ElbBase,
    schema: KindSchema,
}

impl ListenerRuleProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        ListenerRuleProvider {
            base: ElbBase::new(clients),
            schema: schema(),
        }
    }
}

/// The schema of `aws.elbv2.listener_rule`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.elbv2.listener_rule",
        "A routing rule of an Elastic Load Balancing v2 listener.",
        [
            (
                "listener_arn",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("The listener it belongs to."),
            ),
            (
                "priority",
                FieldSchema::required(FieldType::Number)
                    .describe("1-50000; lower is evaluated first."),
            ),
            (
                "conditions",
                FieldSchema::required(FieldType::list(condition_schema()))
                    .describe("Conditions; all must match."),
            ),
            (
                "actions",
                FieldSchema::required(FieldType::list(action_schema()))
                    .describe("Actions, in order."),
            ),
            ("tags", tags_field()),
            (
                "arn",
                FieldSchema::computed(FieldType::String).describe("The rule's ARN (= id)."),
            ),
        ],
    )
}

/// The listener ARN of a rule ARN (`...:listener-rule/app/lb/x/l/r` ->
/// `...:listener/app/lb/x/l`); DescribeRules does not report it.
pub fn listener_of(rule_arn: &str) -> Option<String> {
    let (head, path) = rule_arn.split_once(":listener-rule/")?;
    let (listener_path, _) = path.rsplit_once('/')?;
    Some(format!("{head}:listener/{listener_path}"))
}

fn rule_attrs(r: &Rule, tags: Option<&BTreeMap<String, String>>) -> Attrs {
    let arn = r.rule_arn().unwrap_or_default();
    let priority = r
        .priority()
        .and_then(|p| p.parse::<i64>().ok())
        .map_or(Value::Null, Value::int);
    attrs([
        ("id", arn.into()),
        ("arn", arn.into()),
        (
            "listener_arn",
            listener_of(arn).map_or(Value::Null, Value::from),
        ),
        ("priority", priority),
        ("conditions", from_sdk_conditions(r.conditions())),
        ("actions", from_sdk_actions(r.actions())),
        ("tags", observed_tags(tags)),
    ])
}

async fn observe_rules(
    client: &Client,
    arns: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let rules = describe_arns(arns, |chunk| async move {
        let out = client
            .describe_rules()
            .set_rule_arns(Some(chunk))
            .send()
            .await
            .map_err(elb_err)?;
        Ok(out.rules.unwrap_or_default())
    })
    .await?;
    with_tags(client, &rules, Rule::rule_arn, rule_attrs).await
}

async fn observe_one(client: &Client, arn: &str) -> Result<Attrs, ProviderError> {
    observed(
        observe_rules(client, &[arn.to_string()]).await?,
        arn,
        "listener rule",
    )
}

fn priority_of(attrs: &Attrs) -> Result<i32, ProviderError> {
    opt_i64(attrs, "priority")
        .and_then(|p| i32::try_from(p).ok())
        .filter(|p| (1..=50_000).contains(p))
        .ok_or_else(|| ProviderError::Invalid("`priority` must be a number from 1 to 50000".into()))
}

/// Which calls an update needs: (SetRulePriorities, ModifyRule).
pub fn rule_calls(prior: &Attrs, desired: &Attrs) -> (bool, bool) {
    let differs = |k: &str| match (prior.get(k), desired.get(k)) {
        (Some(a), Some(b)) => !values_equal(a, b),
        (None, Some(b)) => !b.is_null(),
        _ => false,
    };
    (
        differs("priority"),
        differs("conditions") || differs("actions"),
    )
}

/// The rule ARNs of the given listeners (default rules excluded).
async fn rule_arns_of(client: &Client, listeners: &[String]) -> Result<Vec<String>, ProviderError> {
    let mut out = Vec::new();
    for l in listeners {
        let arns = common::all_pages(|marker| async move {
            match client
                .describe_rules()
                .listener_arn(l)
                .set_marker(marker)
                .send()
                .await
                .map_err(elb_err)
            {
                Ok(o) => {
                    let arns = o
                        .rules()
                        .iter()
                        .filter(|r| r.is_default() != Some(true))
                        .filter_map(|r| r.rule_arn().map(str::to_string))
                        .collect();
                    Ok((arns, o.next_marker))
                }
                Err(e) if is_not_found(&e) => Ok((Vec::new(), None)),
                Err(e) => Err(e),
            }
        })
        .await?;
        out.extend(arns);
    }
    Ok(out)
}

async fn stack_rule_arns(client: &Client, owner: &Owner) -> Result<Vec<String>, ProviderError> {
    let lbs = common::stack_load_balancer_arns(client, owner).await?;
    let listeners = common::listener_arns_of(client, &lbs).await?;
    rule_arns_of(client, &listeners).await
}

#[async_trait]
impl Provider for ListenerRuleProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(CONCURRENCY)
    }

    fn normalize(&self, mut attrs: Attrs) -> Attrs {
        if let Some(v) = attrs.get_mut("priority") {
            *v = common::number_value(v);
        }
        let conditions = normalize_conditions(attrs.get("conditions").unwrap_or(&Value::Null));
        attrs.insert("conditions".into(), conditions);
        let actions = normalize_actions(attrs.get("actions").unwrap_or(&Value::Null));
        attrs.insert("actions".into(), actions);
        normalize_common(&self.schema, &mut attrs);
        attrs
    }

    async fn observe(
        &self,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        observe_rules(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let out = client
            .create_rule()
            .listener_arn(req_str(desired, "listener_arn")?)
            .priority(priority_of(desired)?)
            .set_conditions(Some(to_sdk_conditions(desired.get("conditions"))?))
            .set_actions(Some(to_sdk_actions(desired.get("actions"))?))
            .set_tags(Some(common::create_tags(desired, ctx)))
            .send()
            .await
            .map_err(elb_err)?;
        let arn = out
            .rules()
            .first()
            .and_then(|r| r.rule_arn())
            .ok_or_else(|| ProviderError::Transient {
                message: "CreateRule returned no ARN".into(),
            })?
            .to_string();
        let attrs = observe_one(&client, &arn).await?;
        Ok(Created { id: arn, attrs })
    }

    async fn update(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Attrs,
        desired: &Attrs,
        _changes: &[FieldChange],
    ) -> Result<Attrs, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let (priority, modify) = rule_calls(prior, desired);
        if priority {
            client
                .set_rule_priorities()
                .rule_priorities(
                    RulePriorityPair::builder()
                        .rule_arn(id)
                        .priority(priority_of(desired)?)
                        .build(),
                )
                .send()
                .await
                .map_err(elb_err)?;
        }
        if modify {
            client
                .modify_rule()
                .rule_arn(id)
                .set_conditions(Some(to_sdk_conditions(desired.get("conditions"))?))
                .set_actions(Some(to_sdk_actions(desired.get("actions"))?))
                .send()
                .await
                .map_err(elb_err)?;
        }
        common::sync_tags(&client, id, prior, desired).await?;
        observe_one(&client, id).await
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        delete_result(
            client
                .delete_rule()
                .rule_arn(id)
                .send()
                .await
                .map(|_| ())
                .map_err(elb_err),
        )
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let rules = stack_rule_arns(&client, &ctx.owner).await?;
        let Some(arn) = common::orphan_arn(&client, ctx, &rules).await? else {
            return Ok(None);
        };
        let mut observed = observe_rules(&client, std::slice::from_ref(&arn)).await?;
        Ok(observed
            .remove(&arn)
            .map(|attrs| Created { id: arn, attrs }))
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let rules = stack_rule_arns(&client, &ctx.owner).await?;
        common::tagged_arns(&client, &rules, &ctx.owner, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use forge_engine::PlannedAction;
    use serde_json::json;

    fn provider() -> ListenerRuleProvider {
        ListenerRuleProvider::new(Arc::new(AwsClients::new(crate::AwsSettings::default())))
    }

    fn desired(j: serde_json::Value) -> Attrs {
        let mut a: Attrs = Value::from_json(&j).as_map().cloned().unwrap_or_default();
        forge_engine::diff::fill_defaults(&schema(), &mut a);
        provider().normalize(a)
    }

    const RULE: &str = "arn:aws:elasticloadbalancing:eu-west-1:1:listener-rule/app/web/abc/def/ghi";
    const LISTENER: &str = "arn:aws:elasticloadbalancing:eu-west-1:1:listener/app/web/abc/def";

    #[test]
    fn listener_arn_comes_from_the_rule_arn() {
        assert_eq!(listener_of(RULE).as_deref(), Some(LISTENER));
        assert_eq!(listener_of("arn:nope"), None);
    }

    #[test]
    fn described_rule_round_trips_and_priority_is_its_own_call() {
        let d = desired(json!({
            "listener_arn": LISTENER, "priority": "10",
            "conditions": [{"field": "path-pattern", "values": ["/api/*", "/v1/*"]}],
            "actions": [{"type": "forward", "target_group_arn": "arn:tg"}]
        }));
        let r = Rule::builder()
            .rule_arn(RULE)
            .priority("10")
            .set_conditions(Some(to_sdk_conditions(d.get("conditions")).unwrap()))
            .set_actions(Some(to_sdk_actions(d.get("actions")).unwrap()))
            .build();
        let observed = provider().normalize(rule_attrs(&r, None));
        assert_eq!(
            provider().plan(Some(&observed), &d).action,
            PlannedAction::NoOp
        );
        let mut moved = d.clone();
        moved.insert("priority".into(), Value::int(20));
        assert_eq!(
            provider().plan(Some(&observed), &moved).action,
            PlannedAction::Update
        );
        assert_eq!(rule_calls(&observed, &moved), (true, false));
        let mut rerouted = d.clone();
        rerouted.insert(
            "conditions".into(),
            normalize_conditions(&Value::from_json(
                &json!([{"field": "host-header", "values": ["api.example.com"]}]),
            )),
        );
        assert_eq!(rule_calls(&observed, &rerouted), (false, true));
        assert!(priority_of(&attrs([("priority", Value::int(0))])).is_err());
    }
}
