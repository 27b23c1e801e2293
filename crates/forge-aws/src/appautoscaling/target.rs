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

use super::common::{
    AasBase, BATCH, CONCURRENCY, Scaled, aas_err, gone_is_ok, normalize_untagged, observed,
};
use crate::attrs::attrs;
use crate::attrs::opt_i64;
use crate::clients::AwsClients;
use crate::elbv2::common::number_value;
use crate::paging::{collect_pages, for_chunks};
use async_trait::async_trait;
use aws_sdk_applicationautoscaling::Client;
use aws_sdk_applicationautoscaling::types::{ScalableTarget, ServiceNamespace};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The `aws.appautoscaling.target` provider.
pub struct TargetProvider {
    base: AasBase,
    schema: KindSchema,
}

impl TargetProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        TargetProvider {
            base: AasBase::new(clients),
            schema: schema(),
        }
    }
}

/// The identity fields shared with `aws.appautoscaling.policy`.
pub fn identity_fields() -> [(&'static str, FieldSchema); 3] {
    [
        (
            "service_namespace",
            FieldSchema::optional(FieldType::String)
                .default("ecs")
                .force_new()
                .describe("ecs (default), dynamodb, rds, ..."),
        ),
        (
            "resource_id",
            FieldSchema::required(FieldType::String)
                .force_new()
                .describe("What to scale: service/<cluster>/<service> for ECS."),
        ),
        (
            "scalable_dimension",
            FieldSchema::optional(FieldType::String)
                .default("ecs:service:DesiredCount")
                .force_new()
                .describe("The property scaled (default ecs:service:DesiredCount)."),
        ),
    ]
}

/// The schema of `aws.appautoscaling.target`.
pub fn schema() -> KindSchema {
    let [ns, rid, dim] = identity_fields();
    KindSchema::new(
        "aws.appautoscaling.target",
        "An Application Auto Scaling scalable target (e.g. an ECS service's task count).",
        [
            ns,
            rid,
            dim,
            (
                "min_capacity",
                FieldSchema::required(FieldType::Number).describe("Never scale below this."),
            ),
            (
                "max_capacity",
                FieldSchema::required(FieldType::Number).describe("Never scale above this."),
            ),
            (
                "role_arn",
                FieldSchema::computed(FieldType::String)
                    .describe("The service-linked role AWS uses."),
            ),
        ],
    )
}

fn target_attrs(t: &ScalableTarget) -> Attrs {
    let s = Scaled {
        namespace: t.service_namespace().as_str().to_string(),
        resource_id: t.resource_id().to_string(),
        dimension: t.scalable_dimension().as_str().to_string(),
    };
    attrs([
        ("id", Value::from(s.id())),
        ("service_namespace", Value::from(s.namespace.as_str())),
        ("resource_id", Value::from(s.resource_id.as_str())),
        ("scalable_dimension", Value::from(s.dimension.as_str())),
        ("min_capacity", Value::int(i64::from(t.min_capacity()))),
        ("max_capacity", Value::int(i64::from(t.max_capacity()))),
        ("role_arn", Value::from(t.role_arn())),
    ])
}

/// Describes the targets of the given ids: one call per namespace per 50
/// resource ids.
async fn observe_targets(
    client: &Client,
    ids: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let mut by_ns: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in ids {
        let (s, _) = Scaled::parse(id)?;
        by_ns.entry(s.namespace).or_default().push(s.resource_id);
    }
    let mut out = BTreeMap::new();
    for (ns, resources) in by_ns {
        let ns = &ns;
        let targets = for_chunks(&resources, BATCH, |chunk| async move {
            collect_pages(|token| {
                let call = client
                    .describe_scalable_targets()
                    .service_namespace(ServiceNamespace::from(ns.as_str()))
                    .set_resource_ids(Some(chunk.clone()))
                    .set_next_token(token);
                async move {
                    let o = call.send().await.map_err(aas_err)?;
                    Ok((o.scalable_targets.unwrap_or_default(), o.next_token))
                }
            })
            .await
        })
        .await?;
        for t in &targets {
            let a = target_attrs(t);
            if let Some(id) = a.get("id").and_then(Value::as_str)
                && ids.iter().any(|i| i == id)
            {
                out.insert(id.to_string(), a);
            }
        }
    }
    Ok(out)
}

fn capacity(attrs: &Attrs, name: &str) -> Result<i32, ProviderError> {
    opt_i64(attrs, name)
        .and_then(|n| i32::try_from(n).ok())
        .filter(|n| *n >= 0)
        .ok_or_else(|| ProviderError::Invalid(format!("`{name}` must be a non-negative number")))
}

async fn register(client: &Client, desired: &Attrs) -> Result<String, ProviderError> {
    let s = Scaled::of(desired)?;
    let (min, max) = (
        capacity(desired, "min_capacity")?,
        capacity(desired, "max_capacity")?,
    );
    if min > max {
        return Err(ProviderError::Invalid(format!(
            "min_capacity ({min}) is above max_capacity ({max})"
        )));
    }
    client
        .register_scalable_target()
        .service_namespace(s.sdk_namespace())
        .resource_id(&s.resource_id)
        .scalable_dimension(s.sdk_dimension())
        .min_capacity(min)
        .max_capacity(max)
        .send()
        .await
        .map_err(aas_err)?;
    Ok(s.id())
}

async fn observe_one(client: &Client, id: &str) -> Result<Attrs, ProviderError> {
    observed(
        observe_targets(client, &[id.to_string()]).await?,
        id,
        "scalable target",
    )
}

#[async_trait]
impl Provider for TargetProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(CONCURRENCY)
    }

    fn normalize(&self, mut attrs: Attrs) -> Attrs {
        for key in ["min_capacity", "max_capacity"] {
            if let Some(v) = attrs.get_mut(key) {
                *v = number_value(v);
            }
        }
        normalize_untagged(&self.schema, attrs)
    }

    async fn observe(
        &self,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        observe_targets(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let id = register(&client, desired).await?;
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
        register(&client, desired).await?;
        observe_one(&client, id).await
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let (s, _) = Scaled::parse(id)?;
        let result = client
            .deregister_scalable_target()
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

    fn provider() -> TargetProvider {
        TargetProvider::new(Arc::new(AwsClients::new(crate::AwsSettings::default())))
    }

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
        let observed = provider().normalize(target_attrs(&t));
        assert_eq!(
            observed["id"],
            Value::from("ecs|service/app/api|ecs:service:DesiredCount")
        );
        let mut d: Attrs = Value::from_json(
            &json!({"resource_id": "service/app/api", "min_capacity": 1, "max_capacity": "5"}),
        )
        .as_map()
        .cloned()
        .unwrap();
        forge_engine::diff::fill_defaults(&schema(), &mut d);
        let d = provider().normalize(d);
        assert_eq!(
            provider().plan(Some(&observed), &d).action,
            PlannedAction::NoOp
        );
        let mut bigger = d.clone();
        bigger.insert("max_capacity".into(), Value::int(10));
        assert_eq!(
            provider().plan(Some(&observed), &bigger).action,
            PlannedAction::Update
        );
        let mut other = d.clone();
        other.insert("resource_id".into(), Value::from("service/app/worker"));
        assert_eq!(
            provider().plan(Some(&observed), &other).action,
            PlannedAction::Replace
        );
        assert!(capacity(&attrs([("min_capacity", Value::int(-1))]), "min_capacity").is_err());
    }
}
