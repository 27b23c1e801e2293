//! `aws.ecs.cluster`: an existing ECS cluster by name. One
//! DescribeClusters per hundred names (the API's cap) answers the batch.

use super::{Answers, Lookup, Reading, answer_each, declare_lookup, fetch_named};
use crate::kind::Computed;
use async_trait::async_trait;
use forge_derive::Fields;

/// Names per DescribeClusters request.
const NAMES_PER_CALL: usize = 100;

/// Arguments and attributes of `aws.ecs.cluster`.
#[derive(Clone, Fields)]
pub(crate) struct ClusterFields {
    /// The cluster's name.
    pub cluster_name: String,
    /// The cluster's ARN.
    pub arn: Computed<String>,
    /// ACTIVE, PROVISIONING, DEPROVISIONING, FAILED or INACTIVE.
    pub status: Computed<String>,
    /// Services running in it.
    pub active_services_count: Computed<i64>,
}

declare_lookup!(Cluster: "aws.ecs.cluster", ClusterFields, "An existing ECS cluster, by name.");

#[async_trait]
impl Lookup for Cluster {
    async fn read(cx: &Reading<'_>, batch: &[ClusterFields]) -> Answers<Self> {
        let client = &cx.client(aws_sdk_ecs::Client::new).await?;
        let names = batch.iter().map(|a| a.cluster_name.clone());
        let found = fetch_named(names, NAMES_PER_CALL, |chunk| async move {
            let out = client
                .describe_clusters()
                .set_clusters(Some(chunk))
                .send()
                .await
                .map_err(|e| crate::error::sdk_error("ecs", e))?;
            Ok(out
                .clusters
                .unwrap_or_default()
                .into_iter()
                // An inactive cluster is a deleted one.
                .filter(|c| c.status() != Some("INACTIVE"))
                .map(|c| (c.cluster_name().unwrap_or_default().to_string(), c))
                .collect())
        })
        .await?;
        let missing = |a: &ClusterFields| format!("ECS cluster `{}`", a.cluster_name);
        Ok(answer_each(
            batch,
            &found,
            |a| a.cluster_name.clone(),
            missing,
            |f, c| {
                f.arn = c.cluster_arn().map(str::to_string);
                f.status = c.status().map(str::to_string);
                f.active_services_count = Some(i64::from(c.active_services_count()));
                f.arn.clone().unwrap_or_default()
            },
        ))
    }
}
