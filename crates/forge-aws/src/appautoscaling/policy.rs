//! `aws.appautoscaling.policy`: a target tracking scaling policy (the
//! architectures keep ECS services at 70% average CPU or 80% memory).
//!
//! Name, namespace, resource, dimension and policy type are the policy's
//! identity (replacement); the target tracking configuration changes in
//! place with PutScalingPolicy, an upsert (so, like the target,
//! `find_orphan` has nothing to adopt). Cooldowns and `disable_scale_in`
//! are always sent, with AWS's defaults when the spec leaves them out, so
//! what DescribeScalingPolicies reports matches the spec.
//!
//! Observe cost: one DescribeScalingPolicies per namespace per 50 policy
//! names (plus pages).

use super::{
    AppAutoScaling, Scaled, describe_by_namespace, gone_is_ok, on_scaled, page, upsert_methods,
};
use crate::kind::prelude::*;
use crate::normalize::number_value;
use aws_sdk_applicationautoscaling::Client;
use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalingPolicy,
    TargetTrackingScalingPolicyConfiguration,
};
use forge_core::Value;
use std::collections::BTreeMap;

/// AWS's cooldown when none is given (seconds).
const DEFAULT_COOLDOWN: i64 = 300;
/// The one policy type forge supports.
const TARGET_TRACKING: &str = "TargetTrackingScaling";

crate::kind::declare_kind!(PolicyKind: "aws.appautoscaling.policy", AppAutoScaling, PolicyFields,
    "An Application Auto Scaling target tracking policy.");

/// The fields of `aws.appautoscaling.policy`.
#[derive(Debug, Clone, Fields)]
pub struct PolicyFields {
    /// Name, unique per scalable target.
    #[field(force_new)]
    pub policy_name: String,
    /// ecs (default), dynamodb, rds, ...
    #[field(force_new, default = super::DEFAULT_NAMESPACE)]
    pub service_namespace: Option<String>,
    /// What to scale: service/<cluster>/<service> for ECS.
    #[field(force_new)]
    pub resource_id: String,
    /// The property scaled (default ecs:service:DesiredCount).
    #[field(force_new, default = super::DEFAULT_DIMENSION)]
    pub scalable_dimension: Option<String>,
    /// TargetTrackingScaling (the only type forge supports).
    #[field(force_new, default = TARGET_TRACKING)]
    pub policy_type: Option<String>,
    /// What to track and how fast to react.
    #[field(normalize = normalize_tracking)]
    pub target_tracking_scaling_policy_configuration: Tracking,
    /// The policy's ARN.
    pub arn: Computed<String>,
}

/// A target tracking configuration.
#[derive(Debug, Clone, Fields)]
pub struct Tracking {
    /// Metric value to keep (70 = 70% CPU).
    pub target_value: f64,
    /// The metric tracked.
    pub predefined_metric_specification: MetricSpec,
    /// Seconds between scale-ins.
    #[field(default = DEFAULT_COOLDOWN)]
    pub scale_in_cooldown: Option<i64>,
    /// Seconds between scale-outs.
    #[field(default = DEFAULT_COOLDOWN)]
    pub scale_out_cooldown: Option<i64>,
    /// Only ever scale out.
    #[field(default = false)]
    pub disable_scale_in: Option<bool>,
}

/// The predefined metric a policy tracks.
#[derive(Debug, Clone, Fields)]
pub struct MetricSpec {
    /// ECSServiceAverageCPUUtilization or ECSServiceAverageMemoryUtilization, ...
    pub predefined_metric_type: String,
    /// For ALBRequestCountPerTarget.
    pub resource_label: Option<String>,
}

/// The canonical tracking configuration: defaults filled, numbers as
/// numbers.
pub fn normalize_tracking(v: &Value) -> Value {
    let Some(m) = v.as_map() else {
        return v.clone();
    };
    let mut out = BTreeMap::new();
    if let Some(t) = m.get("target_value").filter(|v| !v.is_null()) {
        out.insert("target_value".to_string(), number_value(t));
    }
    if let Some(Value::Map(spec)) = m.get("predefined_metric_specification") {
        let spec: BTreeMap<String, Value> = spec
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        out.insert(
            "predefined_metric_specification".to_string(),
            Value::Map(spec),
        );
    }
    for key in ["scale_in_cooldown", "scale_out_cooldown"] {
        let v = m
            .get(key)
            .filter(|v| !v.is_null())
            .map_or(Value::int(DEFAULT_COOLDOWN), number_value);
        out.insert(key.to_string(), v);
    }
    let d = m
        .get("disable_scale_in")
        .filter(|v| !v.is_null())
        .cloned()
        .unwrap_or(Value::Bool(false));
    out.insert("disable_scale_in".to_string(), d);
    Value::Map(out)
}

/// The SDK configuration of a desired policy (cooldowns and
/// `disable_scale_in` always sent, with AWS's defaults).
pub fn to_sdk_tracking(
    c: &Tracking,
) -> Result<TargetTrackingScalingPolicyConfiguration, ProviderError> {
    let spec = &c.predefined_metric_specification;
    let predefined = PredefinedMetricSpecification::builder()
        .predefined_metric_type(MetricType::from(spec.predefined_metric_type.as_str()))
        .set_resource_label(spec.resource_label.clone())
        .build()
        .map_err(|e| ProviderError::Invalid(format!("predefined_metric_specification: {e}")))?;
    let cooldown = |v: Option<i64>| i32::try_from(v.unwrap_or(DEFAULT_COOLDOWN)).ok();
    TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(c.target_value)
        .predefined_metric_specification(predefined)
        .set_scale_in_cooldown(cooldown(c.scale_in_cooldown))
        .set_scale_out_cooldown(cooldown(c.scale_out_cooldown))
        .disable_scale_in(c.disable_scale_in.unwrap_or(false))
        .build()
        .map_err(|e| ProviderError::Invalid(format!("target tracking configuration: {e}")))
}

fn scaled(p: &ScalingPolicy) -> Scaled {
    Scaled::of(
        p.service_namespace(),
        p.resource_id(),
        p.scalable_dimension(),
    )
}

fn fields(p: &ScalingPolicy) -> Option<PolicyFields> {
    let t = p.target_tracking_scaling_policy_configuration()?;
    let spec = t.predefined_metric_specification();
    let tracking = Tracking {
        target_value: t.target_value(),
        predefined_metric_specification: MetricSpec {
            predefined_metric_type: spec
                .map(|s| s.predefined_metric_type().as_str().to_string())
                .unwrap_or_default(),
            resource_label: spec.and_then(|s| s.resource_label()).map(str::to_string),
        },
        scale_in_cooldown: Some(t.scale_in_cooldown().map_or(DEFAULT_COOLDOWN, i64::from)),
        scale_out_cooldown: Some(t.scale_out_cooldown().map_or(DEFAULT_COOLDOWN, i64::from)),
        disable_scale_in: Some(t.disable_scale_in().unwrap_or(false)),
    };
    let s = scaled(p);
    Some(PolicyFields {
        policy_name: p.policy_name().to_string(),
        service_namespace: Some(s.namespace),
        resource_id: s.resource_id,
        scalable_dimension: Some(s.dimension),
        policy_type: Some(p.policy_type().as_str().to_string()),
        target_tracking_scaling_policy_configuration: tracking,
        arn: Some(p.policy_arn().to_string()),
    })
}

/// The policies among `policies` with these ids, by id.
fn found(policies: &[ScalingPolicy], ids: &[String]) -> BTreeMap<String, PolicyFields> {
    policies
        .iter()
        .filter_map(|p| {
            Some((
                format!("{}|{}", scaled(p).id(), p.policy_name()),
                fields(p)?,
            ))
        })
        .filter(|(id, _)| ids.contains(id))
        .collect()
}

/// PutScalingPolicy (create and update alike); returns the id.
async fn put(client: &Client, d: &PolicyFields) -> Result<String, ProviderError> {
    let s = Scaled::new(&d.service_namespace, &d.resource_id, &d.scalable_dimension);
    let policy_type = d.policy_type.as_deref().unwrap_or(TARGET_TRACKING);
    if policy_type != TARGET_TRACKING {
        return Err(ProviderError::Invalid(format!(
            "policy_type `{policy_type}` is not supported (TargetTrackingScaling)"
        )));
    }
    on_scaled!(client.put_scaling_policy(), s)
        .policy_name(&d.policy_name)
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(to_sdk_tracking(
            &d.target_tracking_scaling_policy_configuration,
        )?)
        .send()
        .await
        .map_err(AppAutoScaling::err)?;
    Ok(format!("{}|{}", s.id(), d.policy_name))
}

fn policy_name(id: &str, name: Option<String>) -> Result<String, ProviderError> {
    name.ok_or_else(|| ProviderError::Invalid(format!("`{id}` names no policy")))
}

#[async_trait]
impl Kind for PolicyKind {
    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        let policies = describe_by_namespace(
            ids,
            |s, name| policy_name(&s.id(), name),
            |ns, chunk, token| {
                let call = ctx.client.describe_scaling_policies().service_namespace(ns);
                page!(
                    call.set_policy_names(Some(chunk)).set_next_token(token),
                    scaling_policies
                )
            },
        )
        .await?;
        Ok(found(&policies, ids))
    }

    upsert_methods!(put);

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        let (s, name) = Scaled::parse(id)?;
        let call = on_scaled!(ctx.client.delete_scaling_policy(), s);
        let call = call.policy_name(policy_name(id, name)?);
        gone_is_ok(call.send().await.map_err(AppAutoScaling::err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing::{observed, provider, typed};
    use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
    use forge_core::Attrs;
    use forge_core::fields::Fields;
    use forge_engine::{PlannedAction, Provider};
    use serde_json::json;

    fn desired(target: i64) -> Attrs {
        crate::kind::testing::desired::<PolicyKind>(json!({
            "policy_name": "cpu", "resource_id": "service/app/api",
            "target_tracking_scaling_policy_configuration": {
                "target_value": target,
                "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}
            }
        }))
    }

    #[test]
    fn put_policy_reads_back_equal_and_target_changes_in_place() {
        let d = desired(70);
        let typed = typed::<PolicyKind>(&d);
        let sdk = to_sdk_tracking(&typed.target_tracking_scaling_policy_configuration).unwrap();
        assert_eq!(sdk.scale_in_cooldown(), Some(300));
        assert_eq!(sdk.disable_scale_in(), Some(false));
        let p = ScalingPolicy::builder()
            .policy_arn("arn:policy")
            .policy_name("cpu")
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id("service/app/api")
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .policy_type(PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(sdk)
            .creation_time(aws_smithy_types::DateTime::from_secs(0))
            .build()
            .unwrap();
        let id = "ecs|service/app/api|ecs:service:DesiredCount|cpu".to_string();
        let mut found = found(&[p], std::slice::from_ref(&id));
        let observed = observed::<PolicyKind>(&found.remove(&id).unwrap());
        let p = provider::<PolicyKind>();
        let plan = p.plan(Some(&observed), &d);
        assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
        assert_eq!(
            p.plan(Some(&observed), &desired(80)).action,
            PlannedAction::Update
        );
        let mut renamed = d.clone();
        renamed.insert("policy_name".into(), Value::from("mem"));
        assert_eq!(
            p.plan(Some(&observed), &renamed).action,
            PlannedAction::Replace
        );
    }

    #[test]
    fn missing_metric_is_invalid() {
        let mut d = desired(70);
        d.insert(
            "target_tracking_scaling_policy_configuration".into(),
            Value::from_json(&json!({"target_value": 70})),
        );
        assert!(PolicyFields::from_attrs(&d).is_err());
    }
}
