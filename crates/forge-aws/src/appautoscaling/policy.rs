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

use super::common::{
    AasBase, BATCH, CONCURRENCY, Scaled, aas_err, gone_is_ok, normalize_untagged, observed,
};
use super::target::identity_fields;
use crate::attrs::attrs;
use crate::attrs::{opt_str, req_str};
use crate::clients::AwsClients;
use crate::elbv2::common::{int_of, number_value};
use crate::paging::{collect_pages, for_chunks};
use async_trait::async_trait;
use aws_sdk_applicationautoscaling::Client;
use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalingPolicy, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::Arc;

/// AWS's cooldown when none is given (seconds).
const DEFAULT_COOLDOWN: i64 = 300;

/// The `aws.appautoscaling.policy` provider.
pub struct PolicyProvider {
    base: AasBase,
    schema: KindSchema,
}

impl PolicyProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        PolicyProvider {
            base: AasBase::new(clients),
            schema: schema(),
        }
    }
}

fn tracking_schema() -> FieldType {
    FieldType::object([
        ("target_value", FieldSchema::required(FieldType::Number).describe("Metric value to keep (70 = 70% CPU).")),
        (
            "predefined_metric_specification",
            FieldSchema::required(FieldType::object([
                (
                    "predefined_metric_type",
                    FieldSchema::required(FieldType::String)
                        .describe("ECSServiceAverageCPUUtilization or ECSServiceAverageMemoryUtilization, ..."),
                ),
                ("resource_label", FieldSchema::optional(FieldType::String).describe("For ALBRequestCountPerTarget.")),
            ]))
            .describe("The metric tracked."),
        ),
        ("scale_in_cooldown", FieldSchema::optional(FieldType::Number).default(DEFAULT_COOLDOWN).describe("Seconds between scale-ins.")),
        ("scale_out_cooldown", FieldSchema::optional(FieldType::Number).default(DEFAULT_COOLDOWN).describe("Seconds between scale-outs.")),
        ("disable_scale_in", FieldSchema::optional(FieldType::Bool).default(false).describe("Only ever scale out.")),
    ])
}

/// The schema of `aws.appautoscaling.policy`.
pub fn schema() -> KindSchema {
    let [ns, rid, dim] = identity_fields();
    KindSchema::new(
        "aws.appautoscaling.policy",
        "An Application Auto Scaling target tracking policy.",
        [
            (
                "policy_name",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("Name, unique per scalable target."),
            ),
            ns,
            rid,
            dim,
            (
                "policy_type",
                FieldSchema::optional(FieldType::String)
                    .default("TargetTrackingScaling")
                    .force_new()
                    .describe("TargetTrackingScaling (the only type forge supports)."),
            ),
            (
                "target_tracking_scaling_policy_configuration",
                FieldSchema::required(tracking_schema())
                    .describe("What to track and how fast to react."),
            ),
            (
                "arn",
                FieldSchema::computed(FieldType::String).describe("The policy's ARN."),
            ),
        ],
    )
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

/// The SDK configuration of a desired policy.
pub fn to_sdk_tracking(
    desired: &Attrs,
) -> Result<TargetTrackingScalingPolicyConfiguration, ProviderError> {
    let c = normalize_tracking(
        desired
            .get("target_tracking_scaling_policy_configuration")
            .unwrap_or(&Value::Null),
    );
    let target = c
        .get("target_value")
        .and_then(Value::as_f64)
        .ok_or_else(|| {
            ProviderError::Invalid(
                "`target_tracking_scaling_policy_configuration.target_value` must be set".into(),
            )
        })?;
    let spec = c.get("predefined_metric_specification");
    let metric = spec
        .and_then(|s| s.get("predefined_metric_type"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ProviderError::Invalid(
                "`predefined_metric_specification.predefined_metric_type` must be set".into(),
            )
        })?;
    let predefined = PredefinedMetricSpecification::builder()
        .predefined_metric_type(MetricType::from(metric))
        .set_resource_label(
            spec.and_then(|s| s.get("resource_label"))
                .and_then(Value::as_str)
                .map(str::to_string),
        )
        .build()
        .map_err(|e| ProviderError::Invalid(format!("predefined_metric_specification: {e}")))?;
    let n = |k: &str| {
        c.get(k)
            .and_then(int_of)
            .and_then(|i| i32::try_from(i).ok())
    };
    TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(target)
        .predefined_metric_specification(predefined)
        .set_scale_in_cooldown(n("scale_in_cooldown"))
        .set_scale_out_cooldown(n("scale_out_cooldown"))
        .set_disable_scale_in(c.get("disable_scale_in").and_then(Value::as_bool))
        .build()
        .map_err(|e| ProviderError::Invalid(format!("target tracking configuration: {e}")))
}

fn policy_id(p: &ScalingPolicy) -> String {
    let s = Scaled {
        namespace: p.service_namespace().as_str().to_string(),
        resource_id: p.resource_id().to_string(),
        dimension: p.scalable_dimension().as_str().to_string(),
    };
    format!("{}|{}", s.id(), p.policy_name())
}

fn policy_attrs(p: &ScalingPolicy) -> Attrs {
    let tracking = p
        .target_tracking_scaling_policy_configuration()
        .map_or(Value::Null, |t| {
            let mut m = BTreeMap::new();
            m.insert(
                "target_value".to_string(),
                serde_json::Number::from_f64(t.target_value()).map_or(Value::Null, Value::Number),
            );
            if let Some(spec) = t.predefined_metric_specification() {
                let mut s = BTreeMap::from([(
                    "predefined_metric_type".to_string(),
                    Value::from(spec.predefined_metric_type().as_str()),
                )]);
                if let Some(l) = spec.resource_label() {
                    s.insert("resource_label".to_string(), Value::from(l));
                }
                m.insert("predefined_metric_specification".to_string(), Value::Map(s));
            }
            m.insert(
                "scale_in_cooldown".to_string(),
                crate::attrs::int_or_null(t.scale_in_cooldown()),
            );
            m.insert(
                "scale_out_cooldown".to_string(),
                crate::attrs::int_or_null(t.scale_out_cooldown()),
            );
            m.insert(
                "disable_scale_in".to_string(),
                crate::attrs::bool_or_null(t.disable_scale_in()),
            );
            normalize_tracking(&Value::Map(m))
        });
    attrs([
        ("id", Value::from(policy_id(p))),
        ("arn", Value::from(p.policy_arn())),
        ("policy_name", Value::from(p.policy_name())),
        (
            "service_namespace",
            Value::from(p.service_namespace().as_str()),
        ),
        ("resource_id", Value::from(p.resource_id())),
        (
            "scalable_dimension",
            Value::from(p.scalable_dimension().as_str()),
        ),
        ("policy_type", Value::from(p.policy_type().as_str())),
        ("target_tracking_scaling_policy_configuration", tracking),
    ])
}

async fn observe_policies(
    client: &Client,
    ids: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let mut by_ns: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in ids {
        let (s, name) = Scaled::parse(id)?;
        let name = name.ok_or_else(|| ProviderError::Invalid(format!("`{id}` names no policy")))?;
        by_ns.entry(s.namespace).or_default().push(name);
    }
    let mut out = BTreeMap::new();
    for (ns, names) in by_ns {
        let ns = &ns;
        let policies = for_chunks(&names, BATCH, |chunk| async move {
            collect_pages(|token| {
                let call = client
                    .describe_scaling_policies()
                    .service_namespace(ServiceNamespace::from(ns.as_str()))
                    .set_policy_names(Some(chunk.clone()))
                    .set_next_token(token);
                async move {
                    let o = call.send().await.map_err(aas_err)?;
                    Ok((o.scaling_policies.unwrap_or_default(), o.next_token))
                }
            })
            .await
        })
        .await?;
        for p in &policies {
            let id = policy_id(p);
            if ids.contains(&id) {
                out.insert(id, policy_attrs(p));
            }
        }
    }
    Ok(out)
}

async fn put(client: &Client, desired: &Attrs) -> Result<String, ProviderError> {
    let s = Scaled::of(desired)?;
    let name = req_str(desired, "policy_name")?;
    let policy_type = opt_str(desired, "policy_type").unwrap_or("TargetTrackingScaling");
    if policy_type != "TargetTrackingScaling" {
        return Err(ProviderError::Invalid(format!(
            "policy_type `{policy_type}` is not supported (TargetTrackingScaling)"
        )));
    }
    client
        .put_scaling_policy()
        .policy_name(name)
        .service_namespace(s.sdk_namespace())
        .resource_id(&s.resource_id)
        .scalable_dimension(s.sdk_dimension())
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(to_sdk_tracking(desired)?)
        .send()
        .await
        .map_err(aas_err)?;
    Ok(format!("{}|{name}", s.id()))
}

async fn observe_one(client: &Client, id: &str) -> Result<Attrs, ProviderError> {
    observed(
        observe_policies(client, &[id.to_string()]).await?,
        id,
        "scaling policy",
    )
}

#[async_trait]
impl Provider for PolicyProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(CONCURRENCY)
    }

    fn normalize(&self, mut attrs: Attrs) -> Attrs {
        if let Some(v) = attrs.get_mut("target_tracking_scaling_policy_configuration") {
            *v = normalize_tracking(v);
        }
        normalize_untagged(&self.schema, attrs)
    }

    async fn observe(
        &self,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        observe_policies(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let id = put(&client, desired).await?;
        let attrs = observe_one(&client, &id).await?;
        Ok(Created { id, attrs })
    }

    async fn update(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
        desired: &Attrs,
        _changes: &[FieldChange],
    ) -> Result<Attrs, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        put(&client, desired).await?;
        observe_one(&client, id).await
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let (s, name) = Scaled::parse(id)?;
        let name = name.ok_or_else(|| ProviderError::Invalid(format!("`{id}` names no policy")))?;
        let result = client
            .delete_scaling_policy()
            .policy_name(name)
            .service_namespace(s.sdk_namespace())
            .resource_id(&s.resource_id)
            .scalable_dimension(s.sdk_dimension())
            .send()
            .await
            .map_err(aas_err);
        gone_is_ok(result)
    }

    async fn find_orphan(
        &self,
        _ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_applicationautoscaling::types::ScalableDimension;
    use forge_engine::PlannedAction;
    use serde_json::json;

    fn provider() -> PolicyProvider {
        PolicyProvider::new(Arc::new(AwsClients::new(crate::AwsSettings::default())))
    }

    fn desired(target: i64) -> Attrs {
        let mut d: Attrs = Value::from_json(&json!({
            "policy_name": "cpu", "resource_id": "service/app/api",
            "target_tracking_scaling_policy_configuration": {
                "target_value": target,
                "predefined_metric_specification": {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}
            }
        }))
        .as_map()
        .cloned()
        .unwrap();
        forge_engine::diff::fill_defaults(&schema(), &mut d);
        provider().normalize(d)
    }

    #[test]
    fn put_policy_reads_back_equal_and_target_changes_in_place() {
        let d = desired(70);
        let sdk = to_sdk_tracking(&d).unwrap();
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
        let observed = provider().normalize(policy_attrs(&p));
        assert_eq!(
            observed["id"],
            Value::from("ecs|service/app/api|ecs:service:DesiredCount|cpu")
        );
        let plan = provider().plan(Some(&observed), &d);
        assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
        assert_eq!(
            provider().plan(Some(&observed), &desired(80)).action,
            PlannedAction::Update
        );
        let mut renamed = d.clone();
        renamed.insert("policy_name".into(), Value::from("mem"));
        assert_eq!(
            provider().plan(Some(&observed), &renamed).action,
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
        assert!(to_sdk_tracking(&d).is_err());
    }
}
