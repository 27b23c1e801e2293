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

use super::Ecs;
use super::common::{
    StrategyItem, cluster_arns, create_tags, delete_result, normalize_strategy, owned_of,
    sdk_strategy, strategy_of, tag_pairs,
};
use crate::error::{retry_on, returned_id};
use crate::kind::prelude::*;
use crate::paging::for_chunks;
use crate::tags;
use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{Cluster, ClusterField, ClusterSetting, ClusterSettingName};
use forge_core::Value;
use std::collections::BTreeMap;

/// Clusters per DescribeClusters call (the API's limit).
const BATCH: usize = 100;
/// Container Insights when unset.
const INSIGHTS_OFF: &str = "disabled";

crate::kind::declare_kind!(ClusterKind: "aws.ecs.cluster", Ecs, ClusterFields,
    "An ECS cluster.");

/// The fields of `aws.ecs.cluster`.
#[derive(Debug, Clone, Fields)]
pub struct ClusterFields {
    /// Cluster name.
    #[field(force_new)]
    pub cluster_name: String,
    /// Container Insights: enabled, enhanced or disabled (default).
    #[field(default = INSIGHTS_OFF)]
    pub container_insights: Option<String>,
    /// Capacity providers the cluster may use (FARGATE, FARGATE_SPOT); a set.
    #[field(default = Value::List(Vec::new()), normalize = crate::attrs::set_value)]
    pub capacity_providers: Option<Vec<String>>,
    /// Strategy for services that give none.
    #[field(default = Value::List(Vec::new()), normalize = normalize_strategy)]
    pub default_capacity_provider_strategy: Option<Vec<StrategyItem>>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The cluster's ARN (= id).
    pub arn: Computed<String>,
    /// ACTIVE, PROVISIONING, ...
    pub status: Computed<String>,
}

fn fields(c: &Cluster) -> ClusterFields {
    let insights = c
        .settings()
        .iter()
        .find(|s| s.name() == Some(&ClusterSettingName::ContainerInsights))
        .and_then(|s| s.value())
        .unwrap_or(INSIGHTS_OFF);
    let mut providers = c.capacity_providers().to_vec();
    providers.sort();
    providers.dedup();
    ClusterFields {
        cluster_name: c.cluster_name().unwrap_or_default().to_string(),
        container_insights: Some(insights.to_string()),
        capacity_providers: Some(providers),
        default_capacity_provider_strategy: Some(strategy_of(
            c.default_capacity_provider_strategy(),
        )),
        tags: tags::observed_map(tag_pairs(c.tags())),
        arn: c.cluster_arn().map(str::to_string),
        status: c.status().map(str::to_string),
    }
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
            .map_err(Ecs::err)?;
        Ok(out.clusters.unwrap_or_default())
    })
    .await?;
    Ok(clusters.into_iter().filter(alive).collect())
}

fn insights_setting(desired: &ClusterFields) -> ClusterSetting {
    ClusterSetting::builder()
        .name(ClusterSettingName::ContainerInsights)
        .value(
            desired
                .container_insights
                .as_deref()
                .unwrap_or(INSIGHTS_OFF),
        )
        .build()
}

/// Which calls an update needs: (UpdateCluster settings,
/// PutClusterCapacityProviders).
pub fn cluster_calls(prior: &ClusterFields, desired: &ClusterFields) -> (bool, bool) {
    (
        prior.container_insights != desired.container_insights,
        prior.capacity_providers != desired.capacity_providers
            || prior.default_capacity_provider_strategy
                != desired.default_capacity_provider_strategy,
    )
}

/// A list, or `None` when empty (CreateCluster leaves both unset then).
fn non_empty<T>(items: Vec<T>) -> Option<Vec<T>> {
    (!items.is_empty()).then_some(items)
}

#[async_trait]
impl Kind for ClusterKind {
    const ARNS: &[ArnShape] = &[ArnShape::arn("ecs", "cluster/")];

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        let mut out = BTreeMap::new();
        for c in &describe(ctx.client, ids).await? {
            // The state may hold the ARN (forge's id) or, after an import,
            // the name: answer under whichever was asked for.
            for id in ids {
                if Some(id.as_str()) == c.cluster_arn() || Some(id.as_str()) == c.cluster_name() {
                    out.insert(id.clone(), fields(c));
                }
            }
        }
        Ok(out)
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let providers = desired.capacity_providers.clone().unwrap_or_default();
        let strategy = sdk_strategy(
            desired
                .default_capacity_provider_strategy
                .as_deref()
                .unwrap_or_default(),
        )?;
        // CreateCluster with an existing name returns that cluster, which
        // makes a retried create harmless.
        let out = ctx
            .client
            .create_cluster()
            .cluster_name(&desired.cluster_name)
            .settings(insights_setting(desired))
            .set_capacity_providers(non_empty(providers))
            .set_default_capacity_provider_strategy(non_empty(strategy))
            .set_tags(create_tags(&desired.tags, ctx))
            .send()
            .await
            .map_err(Ecs::err)?;
        let arn = returned_id(out.cluster().and_then(|c| c.cluster_arn()), "CreateCluster")?;
        let fields = Self::read_back(ctx, &arn).await?;
        Ok(Made { id: arn, fields })
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        let (settings, providers) = cluster_calls(prior, desired);
        if settings {
            ctx.client
                .update_cluster()
                .cluster(id)
                .settings(insights_setting(desired))
                .send()
                .await
                .map_err(Ecs::err)?;
        }
        if providers {
            let strategy = desired.default_capacity_provider_strategy.as_deref();
            ctx.client
                .put_cluster_capacity_providers()
                .cluster(id)
                .set_capacity_providers(Some(
                    desired.capacity_providers.clone().unwrap_or_default(),
                ))
                .set_default_capacity_provider_strategy(Some(sdk_strategy(
                    strategy.unwrap_or_default(),
                )?))
                .send()
                .await
                .map_err(Ecs::err)?;
        }
        retag_and_read(ctx, id, Some(id), &prior.tags, &desired.tags).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        let result = ctx
            .client
            .delete_cluster()
            .cluster(id)
            .send()
            .await
            .map(drop)
            .map_err(Ecs::err);
        // Services still draining out of the cluster: they go within
        // minutes, so let the engine retry.
        const DRAINING: &[&str] = &[
            "ClusterContainsServicesException",
            "ClusterContainsTasksException",
        ];
        retry_on(delete_result(result), DRAINING)
    }

    /// Every cluster of the region (ListClusters, then DescribeClusters
    /// with tags), kept to those owned.
    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        let clusters = describe(ctx.client, &cluster_arns(ctx.client).await?).await?;
        Ok(owned_of(ctx, address, &clusters, |c| {
            (c.tags(), c.cluster_arn())
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing::{desired, observed, provider, typed};
    use aws_sdk_ecs::types::CapacityProviderStrategyItem;
    use forge_engine::{PlannedAction, Provider};
    use serde_json::json;

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
        let provider = provider::<ClusterKind>();
        let observed = observed::<ClusterKind>(&fields(&c));
        for field in provider.schema().fields.keys() {
            assert!(observed.contains_key(field), "missing {field}");
        }
        let typed = typed::<ClusterKind>;
        let d = desired::<ClusterKind>(json!({
            "cluster_name": "app", "container_insights": "enabled",
            "capacity_providers": ["FARGATE", "FARGATE_SPOT"],
            "default_capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1}]
        }));
        let plan = provider.plan(Some(&observed), &d);
        assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
        let mut off = d.clone();
        off.insert("container_insights".into(), Value::from("disabled"));
        assert_eq!(
            provider.plan(Some(&observed), &off).action,
            PlannedAction::Update
        );
        assert_eq!(
            cluster_calls(&typed(&observed), &typed(&off)),
            (true, false)
        );
        let plain =
            desired::<ClusterKind>(json!({"cluster_name": "app", "container_insights": "enabled"}));
        assert_eq!(
            cluster_calls(&typed(&observed), &typed(&plain)),
            (false, true)
        );
        assert!(!alive(&Cluster::builder().status("INACTIVE").build()));
    }
}
