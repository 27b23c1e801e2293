//! `aws.elbv2.listener_rule`: a routing rule of a listener (path / host
//! conditions, a priority, actions).
//!
//! The listener cannot change (replacement). The priority changes with
//! SetRulePriorities; conditions and actions with one ModifyRule; each call
//! only when its part differs.
//!
//! Observe cost: one DescribeRules and one DescribeTags per 20 rules.

use super::Elbv2;
use super::actions::{
    Action, Condition, from_sdk_actions, from_sdk_conditions, normalize_actions,
    normalize_conditions, to_sdk_actions, to_sdk_conditions,
};
use super::common::{child_arns, create_tags, describe_tagged, made, owned, owned_listener_arns};
use crate::error::delete_result;
use crate::kind::prelude::*;
use crate::normalize::number_value;
use aws_sdk_elasticloadbalancingv2::types::{Rule, RulePriorityPair};
use forge_core::fields::FieldValue;
use forge_engine::diff::values_equal;

crate::kind::declare_kind!(ListenerRuleKind: "aws.elbv2.listener_rule", Elbv2, ListenerRuleFields,
    "A routing rule of an Elastic Load Balancing v2 listener.");

/// The fields of `aws.elbv2.listener_rule`.
#[derive(Debug, Clone, Fields)]
pub struct ListenerRuleFields {
    /// The listener it belongs to.
    #[field(force_new)]
    pub listener_arn: String,
    /// 1-50000; lower is evaluated first.
    #[field(normalize = number_value)]
    pub priority: i64,
    /// Conditions; all must match.
    #[field(normalize = normalize_conditions)]
    pub conditions: Vec<Condition>,
    /// Actions, in order.
    #[field(normalize = normalize_actions)]
    pub actions: Vec<Action>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The rule's ARN (= id).
    pub arn: Computed<String>,
}

/// The listener ARN of a rule ARN (`...:listener-rule/app/lb/x/l/r` ->
/// `...:listener/app/lb/x/l`); DescribeRules does not report it.
pub fn listener_of(rule_arn: &str) -> Option<String> {
    let (head, path) = rule_arn.split_once(":listener-rule/")?;
    let (listener_path, _) = path.rsplit_once('/')?;
    Some(format!("{head}:listener/{listener_path}"))
}

fn fields_of(r: &Rule, tags: Tags) -> ListenerRuleFields {
    let arn = r.rule_arn().unwrap_or_default();
    ListenerRuleFields {
        listener_arn: listener_of(arn).unwrap_or_default(),
        priority: r
            .priority()
            .and_then(|p| p.parse().ok())
            .unwrap_or_default(),
        conditions: from_sdk_conditions(r.conditions()),
        actions: from_sdk_actions(r.actions()),
        tags,
        arn: Some(arn.to_string()),
    }
}

fn priority_of(f: &ListenerRuleFields) -> Result<i32, ProviderError> {
    i32::try_from(f.priority)
        .ok()
        .filter(|p| (1..=50_000).contains(p))
        .ok_or_else(|| ProviderError::Invalid("`priority` must be a number from 1 to 50000".into()))
}

/// Which calls an update needs: (SetRulePriorities, ModifyRule).
pub fn rule_calls(prior: &ListenerRuleFields, desired: &ListenerRuleFields) -> (bool, bool) {
    let conditions = !values_equal(&prior.conditions.to_value(), &desired.conditions.to_value());
    let actions = !values_equal(&prior.actions.to_value(), &desired.actions.to_value());
    (prior.priority != desired.priority, conditions || actions)
}

#[async_trait]
impl Kind for ListenerRuleKind {
    const ARNS: &[ArnShape] = &[ArnShape::arn("elasticloadbalancing", "listener-rule/")];

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        describe_tagged!(
            ctx, ids,
            describe_rules(set_rule_arns) -> rules, Rule::rule_arn,
            fields fields_of
        )
        .await
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let out = ctx
            .client
            .create_rule()
            .listener_arn(&desired.listener_arn)
            .priority(priority_of(desired)?)
            .set_conditions(Some(to_sdk_conditions(&desired.conditions)?))
            .set_actions(Some(to_sdk_actions(&desired.actions)?))
            .set_tags(create_tags(&desired.tags, ctx))
            .send()
            .await
            .map_err(Elbv2::err)?;
        made(
            ctx,
            out.rules().first().and_then(|r| r.rule_arn()),
            "CreateRule",
        )
        .await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        let (priority, modify) = rule_calls(prior, desired);
        if priority {
            let pair = RulePriorityPair::builder()
                .rule_arn(id)
                .priority(priority_of(desired)?)
                .build();
            ctx.client
                .set_rule_priorities()
                .rule_priorities(pair)
                .send()
                .await
                .map_err(Elbv2::err)?;
        }
        if modify {
            ctx.client
                .modify_rule()
                .rule_arn(id)
                .set_conditions(Some(to_sdk_conditions(&desired.conditions)?))
                .set_actions(Some(to_sdk_actions(&desired.actions)?))
                .send()
                .await
                .map_err(Elbv2::err)?;
        }
        retag_and_read(ctx, id, Some(id), &prior.tags, &desired.tags).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        let result = ctx.client.delete_rule().rule_arn(id).send().await;
        delete_result(result.map(|_| ()).map_err(Elbv2::err))
    }

    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        let listeners = owned_listener_arns(ctx.client, ctx).await?;
        // The rules of those listeners, default rules excluded.
        let rules = child_arns(&listeners, |l, marker| {
            let call = ctx
                .client
                .describe_rules()
                .listener_arn(l)
                .set_marker(marker);
            async move {
                let o = call.send().await.map_err(Elbv2::err)?;
                let rules = o.rules().iter().filter(|r| r.is_default() != Some(true));
                let arns = rules.filter_map(|r| r.rule_arn().map(str::to_string));
                Ok((arns.collect(), o.next_marker))
            }
        })
        .await?;
        owned(ctx.client, &rules, ctx, address).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing;
    use forge_core::Value;
    use forge_core::fields::Fields;
    use forge_engine::PlannedAction;
    use forge_engine::Provider;
    use serde_json::json;

    const RULE: &str = "arn:aws:elasticloadbalancing:eu-west-1:1:listener-rule/app/web/abc/def/ghi";
    const LISTENER: &str = "arn:aws:elasticloadbalancing:eu-west-1:1:listener/app/web/abc/def";

    #[test]
    fn listener_arn_comes_from_the_rule_arn() {
        assert_eq!(listener_of(RULE).as_deref(), Some(LISTENER));
        assert_eq!(listener_of("arn:nope"), None);
    }

    #[test]
    fn described_rule_round_trips_and_priority_is_its_own_call() {
        let d = testing::desired::<ListenerRuleKind>(json!({
            "listener_arn": LISTENER, "priority": "10",
            "conditions": [{"field": "path-pattern", "values": ["/api/*", "/v1/*"]}],
            "actions": [{"type": "forward", "target_group_arn": "arn:tg"}]
        }));
        let r = Rule::builder()
            .rule_arn(RULE)
            .priority("10")
            .set_conditions(Some(
                to_sdk_conditions(&testing::typed::<ListenerRuleKind>(&d).conditions).unwrap(),
            ))
            .set_actions(Some(
                to_sdk_actions(&testing::typed::<ListenerRuleKind>(&d).actions).unwrap(),
            ))
            .build();
        let observed = testing::provider::<ListenerRuleKind>()
            .normalize(fields_of(&r, Tags::default()).to_attrs());
        assert_eq!(
            testing::provider::<ListenerRuleKind>()
                .plan(Some(&observed), &d)
                .action,
            PlannedAction::NoOp
        );
        let mut moved = d.clone();
        moved.insert("priority".into(), Value::int(20));
        assert_eq!(
            testing::provider::<ListenerRuleKind>()
                .plan(Some(&observed), &moved)
                .action,
            PlannedAction::Update
        );
        assert_eq!(
            rule_calls(
                &testing::typed::<ListenerRuleKind>(&observed),
                &testing::typed::<ListenerRuleKind>(&moved)
            ),
            (true, false)
        );
        let mut rerouted = d.clone();
        rerouted.insert(
            "conditions".into(),
            normalize_conditions(&Value::from_json(
                &json!([{"field": "host-header", "values": ["api.example.com"]}]),
            )),
        );
        assert_eq!(
            rule_calls(
                &testing::typed::<ListenerRuleKind>(&observed),
                &testing::typed::<ListenerRuleKind>(&rerouted)
            ),
            (false, true)
        );
        let zero = ListenerRuleFields {
            priority: 0,
            ..testing::typed::<ListenerRuleKind>(&d)
        };
        assert!(priority_of(&zero).is_err());
    }
}
