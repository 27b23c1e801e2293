//! `aws.ecs.cluster`: an ECS cluster with its Container Insights setting
//! and Fargate capacity providers.
//!
//! The name cannot change (replacement). Container Insights changes with
//! UpdateCluster's `settings` (the newer of the two calls AWS offers for
//! it, and the one the emulator implements); capacity providers and the default strategy with
//! one PutClusterCapacityProviders (which always takes both); tags with
//! TagResource / UntagResource.
//!
//! Observe cost: one DescribeClusters (settings and tags included) per 100
//! clusters. An `INACTIVE` cluster counts as gone.

use super::common::{
    self, CONCURRENCY, EcsBase, ecs_err, from_sdk_strategy, normalize_strategy, observed_tags,
    strategy_schema, to_sdk_strategy,
};
use crate::attrs::attrs;
use crate::attrs::{normalize_set, opt_str, req_str, str_list, str_or_null, str_set};
use crate::clients::AwsClients;
use crate::normalize::normalize_common;
use crate::paging::{collect_pages, for_chunks};
use crate::tags::tags_field;
use async_trait::async_trait;
use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{Cluster, ClusterField, ClusterSetting, ClusterSettingName};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::Owner;
use forge_engine::diff::values_equal;
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Clusters per DescribeClusters call (the API's limit).
const BATCH: usize = 100;

/// The `aws.ecs.cluster` provider.
pub struct ClusterProvider {
    base: EcsBase,
    schema: KindSchema,
}

impl ClusterProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        ClusterProvider {
            base: EcsBase::new(clients),
            schema: schema(),
        }
    }
}

/// The schema of `aws.ecs.cluster`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.ecs.cluster",
        "An ECS cluster.",
        [
            (
                "cluster_name",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("Cluster name."),
            ),
            (
                "container_insights",
                FieldSchema::optional(FieldType::String)
                    .default("disabled")
                    .describe("Container Insights: enabled, enhanced or disabled (default)."),
            ),
            (
                "capacity_providers",
                FieldSchema::optional(FieldType::list(FieldType::String))
                    .default(Value::List(Vec::new()))
                    .describe(
                        "Capacity providers the cluster may use (FARGATE, FARGATE_SPOT); a set.",
                    ),
            ),
            (
                "default_capacity_provider_strategy",
                FieldSchema::optional(strategy_schema())
                    .default(Value::List(Vec::new()))
                    .describe("Strategy for services that give none."),
            ),
            ("tags", tags_field()),
            (
                "arn",
                FieldSchema::computed(FieldType::String).describe("The cluster's ARN (= id)."),
            ),
            (
                "status",
                FieldSchema::computed(FieldType::String).describe("ACTIVE, PROVISIONING, ..."),
            ),
        ],
    )
}

fn insights_of(c: &Cluster) -> Value {
    let v = c
        .settings()
        .iter()
        .find(|s| s.name() == Some(&ClusterSettingName::ContainerInsights))
        .and_then(|s| s.value())
        .unwrap_or("disabled");
    Value::from(v)
}

fn cluster_attrs(c: &Cluster) -> Attrs {
    let arn = c.cluster_arn().unwrap_or_default();
    attrs([
        ("id", arn.into()),
        ("arn", arn.into()),
        ("cluster_name", str_or_null(c.cluster_name())),
        ("container_insights", insights_of(c)),
        (
            "capacity_providers",
            str_set(c.capacity_providers().iter().map(String::as_str)),
        ),
        (
            "default_capacity_provider_strategy",
            from_sdk_strategy(c.default_capacity_provider_strategy()),
        ),
        ("tags", observed_tags(c.tags())),
        ("status", str_or_null(c.status())),
    ])
}

fn alive(c: &Cluster) -> bool {
    c.status() != Some("INACTIVE")
}

/// The live clusters among `ids` (ARNs or names): one call per 100.
async fn describe(client: &Client, ids: &[String]) -> Result<Vec<Cluster>, ProviderError> {
    let clusters = for_chunks(ids, BATCH, |chunk| async move {
        let out = client
            .describe_clusters()
            .set_clusters(Some(chunk))
            .include(ClusterField::Settings)
            .include(ClusterField::Tags)
            .send()
            .await
            .map_err(ecs_err)?;
        Ok(out.clusters.unwrap_or_default())
    })
    .await?;
    Ok(clusters.into_iter().filter(alive).collect())
}

async fn observe_clusters(
    client: &Client,
    ids: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let clusters = describe(client, ids).await?;
    let mut out = BTreeMap::new();
    for c in &clusters {
        let a = cluster_attrs(c);
        // The state may hold the ARN (forge's id) or, after an import, the
        // name: answer under whichever was asked for.
        for id in ids {
            if Some(id.as_str()) == c.cluster_arn() || Some(id.as_str()) == c.cluster_name() {
                out.insert(id.clone(), a.clone());
            }
        }
    }
    Ok(out)
}

async fn observe_one(client: &Client, arn: &str) -> Result<Attrs, ProviderError> {
    observe_clusters(client, &[arn.to_string()])
        .await?
        .remove(arn)
        .ok_or_else(|| ProviderError::Transient {
            message: format!("cluster {arn} not visible yet"),
        })
}

fn insights_setting(desired: &Attrs) -> ClusterSetting {
    ClusterSetting::builder()
        .name(ClusterSettingName::ContainerInsights)
        .value(opt_str(desired, "container_insights").unwrap_or("disabled"))
        .build()
}

/// Which calls an update needs: (UpdateCluster settings,
/// PutClusterCapacityProviders).
pub fn cluster_calls(prior: &Attrs, desired: &Attrs) -> (bool, bool) {
    let differs = |k: &str| match (prior.get(k), desired.get(k)) {
        (Some(a), Some(b)) => !values_equal(a, b),
        (None, Some(b)) => !b.is_null(),
        _ => false,
    };
    (
        differs("container_insights"),
        differs("capacity_providers") || differs("default_capacity_provider_strategy"),
    )
}

async fn all_cluster_arns(client: &Client) -> Result<Vec<String>, ProviderError> {
    collect_pages(|token| async move {
        let out = client
            .list_clusters()
            .set_next_token(token)
            .max_results(100)
            .send()
            .await
            .map_err(ecs_err)?;
        Ok((out.cluster_arns.unwrap_or_default(), out.next_token))
    })
    .await
}

/// The stack's clusters with their `forge:address` tag.
async fn tagged(
    client: &Client,
    owner: &Owner,
    address: Option<&str>,
) -> Result<Vec<(String, Option<String>)>, ProviderError> {
    let arns = all_cluster_arns(client).await?;
    let clusters = describe(client, &arns).await?;
    let mut out: Vec<(String, Option<String>)> = clusters
        .iter()
        .filter(|c| common::owned_by(c.tags(), owner, address))
        .filter_map(|c| {
            let arn = c.cluster_arn()?.to_string();
            Some((
                arn,
                common::tag_value(c.tags(), crate::tags::ADDRESS_TAG).map(str::to_string),
            ))
        })
        .collect();
    out.sort();
    Ok(out)
}

#[async_trait]
impl Provider for ClusterProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(CONCURRENCY)
    }

    fn normalize(&self, mut attrs: Attrs) -> Attrs {
        normalize_set(&mut attrs, "capacity_providers");
        let s = normalize_strategy(
            attrs
                .get("default_capacity_provider_strategy")
                .unwrap_or(&Value::Null),
        );
        attrs.insert("default_capacity_provider_strategy".into(), s);
        normalize_common(&self.schema, &mut attrs);
        attrs
    }

    async fn observe(
        &self,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        observe_clusters(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let providers = str_list(desired, "capacity_providers");
        let strategy = to_sdk_strategy(desired.get("default_capacity_provider_strategy"))?;
        // CreateCluster with an existing name returns that cluster, which
        // makes a retried create harmless.
        let out = client
            .create_cluster()
            .cluster_name(req_str(desired, "cluster_name")?)
            .settings(insights_setting(desired))
            .set_capacity_providers(if providers.is_empty() {
                None
            } else {
                Some(providers)
            })
            .set_default_capacity_provider_strategy(if strategy.is_empty() {
                None
            } else {
                Some(strategy)
            })
            .set_tags(Some(common::create_tags(desired, ctx)))
            .send()
            .await
            .map_err(ecs_err)?;
        let arn = out
            .cluster()
            .and_then(|c| c.cluster_arn())
            .ok_or_else(|| ProviderError::Transient {
                message: "CreateCluster returned no ARN".into(),
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
        let (settings, providers) = cluster_calls(prior, desired);
        if settings {
            client
                .update_cluster()
                .cluster(id)
                .settings(insights_setting(desired))
                .send()
                .await
                .map_err(ecs_err)?;
        }
        if providers {
            client
                .put_cluster_capacity_providers()
                .cluster(id)
                .set_capacity_providers(Some(str_list(desired, "capacity_providers")))
                .set_default_capacity_provider_strategy(Some(to_sdk_strategy(
                    desired.get("default_capacity_provider_strategy"),
                )?))
                .send()
                .await
                .map_err(ecs_err)?;
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
        match common::delete_result(
            client
                .delete_cluster()
                .cluster(id)
                .send()
                .await
                .map(|_| ())
                .map_err(ecs_err),
        ) {
            // Services still draining out of the cluster: they go within
            // minutes, so let the engine retry.
            Err(ProviderError::Api { code, message })
                if code == "ClusterContainsServicesException"
                    || code == "ClusterContainsTasksException" =>
            {
                Err(ProviderError::Transient {
                    message: format!("{code}: {message}"),
                })
            }
            other => other,
        }
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let address = ctx.address.to_string();
        let Some((arn, _)) = tagged(&client, &ctx.owner, Some(&address))
            .await?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        let attrs = observe_one(&client, &arn).await?;
        Ok(Some(Created { id: arn, attrs }))
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        tagged(&client, &ctx.owner, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::CapacityProviderStrategyItem;
    use forge_engine::PlannedAction;
    use serde_json::json;

    fn provider() -> ClusterProvider {
        ClusterProvider::new(Arc::new(AwsClients::new(crate::AwsSettings::default())))
    }

    fn desired(j: serde_json::Value) -> Attrs {
        let mut a: Attrs = Value::from_json(&j).as_map().cloned().unwrap_or_default();
        forge_engine::diff::fill_defaults(&schema(), &mut a);
        provider().normalize(a)
    }

    #[test]
    fn described_cluster_matches_spec_and_insights_is_in_place() {
        let c = Cluster::builder()
            .cluster_arn("arn:aws:ecs:eu-west-1:1:cluster/app")
            .cluster_name("app")
            .status("ACTIVE")
            .settings(
                ClusterSetting::builder()
                    .name(ClusterSettingName::ContainerInsights)
                    .value("enabled")
                    .build(),
            )
            .capacity_providers("FARGATE_SPOT")
            .capacity_providers("FARGATE")
            .default_capacity_provider_strategy(
                CapacityProviderStrategyItem::builder()
                    .capacity_provider("FARGATE")
                    .weight(1)
                    .base(0)
                    .build()
                    .unwrap(),
            )
            .build();
        let observed = provider().normalize(cluster_attrs(&c));
        for field in schema().fields.keys() {
            assert!(observed.contains_key(field), "missing {field}");
        }
        let d = desired(json!({
            "cluster_name": "app", "container_insights": "enabled",
            "capacity_providers": ["FARGATE", "FARGATE_SPOT"],
            "default_capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1}]
        }));
        let plan = provider().plan(Some(&observed), &d);
        assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
        let mut off = d.clone();
        off.insert("container_insights".into(), Value::from("disabled"));
        assert_eq!(
            provider().plan(Some(&observed), &off).action,
            PlannedAction::Update
        );
        assert_eq!(cluster_calls(&observed, &off), (true, false));
        let plain = desired(json!({"cluster_name": "app", "container_insights": "enabled"}));
        assert_eq!(cluster_calls(&observed, &plain), (false, true));
        assert!(!alive(&Cluster::builder().status("INACTIVE").build()));
    }
}
