//! `aws.appautoscaling.target`: a scalable target (for forge's stacks, an
//! ECS service's desired count with its minimum and maximum).
//!
//! Namespace, resource and dimension are the target's identity
//! (replacement); min and max change in place by registering the target
//! again, which is what the API offers for updates. RegisterScalableTarget
//! is an upsert, so a create retried after a crash adopts what the crashed
//! run registered: `find_orphan` has nothing to find and answers `None`.
//!
//! Observe cost: one DescribeScalableTargets per namespace per 50 resource
//! ids (plus pages).
//!
//! Ownership: AWS can tag scalable targets, but the emulator forge is
//! tested against cannot (no ListTagsForResource), so targets carry no
//! tags and `list_owned` lists nothing, as before.

use super::{
    AppAutoScaling, Scaled, describe_by_namespace, gone_is_ok, on_scaled, page, upsert_methods,
};
use crate::kind::prelude::*;
use crate::normalize::number_value;
use aws_sdk_applicationautoscaling::Client;
use aws_sdk_applicationautoscaling::types::ScalableTarget;

crate::kind::declare_kind!(TargetKind: "aws.appautoscaling.target", AppAutoScaling, TargetFields,
    "An Application Auto Scaling scalable target (e.g. an ECS service's task count).");

/// The fields of `aws.appautoscaling.target`.
#[derive(Debug, Clone, Fields)]
pub struct TargetFields {
    /// ecs (default), dynamodb, rds, ...
    #[field(force_new, default = super::DEFAULT_NAMESPACE)]
    pub service_namespace: Option<String>,
    /// What to scale: service/<cluster>/<service> for ECS.
    #[field(force_new)]
    pub resource_id: String,
    /// The property scaled (default ecs:service:DesiredCount).
    #[field(force_new, default = super::DEFAULT_DIMENSION)]
    pub scalable_dimension: Option<String>,
    /// Never scale below this.
    #[field(normalize = number_value)]
    pub min_capacity: i64,
    /// Never scale above this.
    #[field(normalize = number_value)]
    pub max_capacity: i64,
    /// The service-linked role AWS uses.
    pub role_arn: Computed<String>,
}

impl TargetFields {
    fn scaled(&self) -> Scaled {
        Scaled::new(
            &self.service_namespace,
            &self.resource_id,
            &self.scalable_dimension,
        )
    }
}

fn fields(t: &ScalableTarget) -> (String, TargetFields) {
    let s = Scaled::of(
        t.service_namespace(),
        t.resource_id(),
        t.scalable_dimension(),
    );
    let f = TargetFields {
        service_namespace: Some(s.namespace.clone()),
        resource_id: s.resource_id.clone(),
        scalable_dimension: Some(s.dimension.clone()),
        min_capacity: i64::from(t.min_capacity()),
        max_capacity: i64::from(t.max_capacity()),
        role_arn: Some(t.role_arn().to_string()),
    };
    (s.id(), f)
}

fn capacity(n: i64, name: &str) -> Result<i32, ProviderError> {
    i32::try_from(n)
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| ProviderError::Invalid(format!("`{name}` must be a non-negative number")))
}

/// RegisterScalableTarget (create and update alike); returns the id.
async fn register(client: &Client, desired: &TargetFields) -> Result<String, ProviderError> {
    let s = desired.scaled();
    let min = capacity(desired.min_capacity, "min_capacity")?;
    let max = capacity(desired.max_capacity, "max_capacity")?;
    if min > max {
        return Err(ProviderError::Invalid(format!(
            "min_capacity ({min}) is above max_capacity ({max})"
        )));
    }
    on_scaled!(client.register_scalable_target(), s)
        .min_capacity(min)
        .max_capacity(max)
        .send()
        .await
        .map_err(AppAutoScaling::err)?;
    Ok(s.id())
}

#[async_trait]
impl Kind for TargetKind {
    /// One call per namespace per 50 resource ids.
    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        let targets = describe_by_namespace(
            ids,
            |s, _| Ok(s.resource_id),
            |ns, chunk, token| {
                let call = ctx.client.describe_scalable_targets().service_namespace(ns);
                page!(
                    call.set_resource_ids(Some(chunk)).set_next_token(token),
                    scalable_targets
                )
            },
        )
        .await?;
        Ok(targets
            .iter()
            .map(fields)
            .filter(|(id, _)| ids.contains(id))
            .collect())
    }

    upsert_methods!(register);

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        let (s, _) = Scaled::parse(id)?;
        let call = on_scaled!(ctx.client.deregister_scalable_target(), s);
        gone_is_ok(call.send().await.map_err(AppAutoScaling::err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing::{desired, observed, provider};
    use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
    use forge_core::Value;
    use forge_engine::{PlannedAction, Provider};
    use serde_json::json;

    #[test]
    fn registered_target_is_a_no_op_and_capacity_is_in_place() {
        let t = ScalableTarget::builder()
            .service_namespace(ServiceNamespace::Ecs)
            .resource_id("service/app/api")
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .min_capacity(1)
            .max_capacity(5)
            .role_arn("arn:role")
            .creation_time(aws_smithy_types::DateTime::from_secs(0))
            .build()
            .unwrap();
        let (id, f) = fields(&t);
        assert_eq!(id, "ecs|service/app/api|ecs:service:DesiredCount");
        let observed = observed::<TargetKind>(&f);
        let d = desired::<TargetKind>(
            json!({"resource_id": "service/app/api", "min_capacity": 1, "max_capacity": "5"}),
        );
        let p = provider::<TargetKind>();
        assert_eq!(p.plan(Some(&observed), &d).action, PlannedAction::NoOp);
        for (field, value, action) in [
            ("max_capacity", Value::int(10), PlannedAction::Update),
            (
                "resource_id",
                Value::from("service/app/worker"),
                PlannedAction::Replace,
            ),
        ] {
            let mut changed = d.clone();
            changed.insert(field.into(), value);
            assert_eq!(p.plan(Some(&observed), &changed).action, action);
        }
        assert!(capacity(-1, "min_capacity").is_err());
    }
}
