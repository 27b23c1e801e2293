//! `aws.ecs.cluster`: an existing ECS cluster by name. One
//! DescribeClusters per hundred names (the API's cap) answers the batch.

use super::{Found, Lookup};
use crate::AwsClients;
use crate::kind::Computed;
use async_trait::async_trait;
use forge_derive::Fields;
use forge_engine::{DataError, ProviderError};
use std::collections::BTreeMap;

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

/// `aws.ecs.cluster`.
pub(crate) struct Cluster;

#[async_trait]
impl Lookup for Cluster {
    const TYPE: &'static str = "aws.ecs.cluster";
    const DESCRIPTION: &'static str = "An existing ECS cluster, by name.";
    type Fields = ClusterFields;

    async fn read(
        clients: &AwsClients,
        region: &str,
        batch: &[Self::Fields],
    ) -> Result<Vec<Found<Self::Fields>>, ProviderError> {
        let client = clients.client(region, aws_sdk_ecs::Client::new).await?;
        let mut names: Vec<String> = batch.iter().map(|a| a.cluster_name.clone()).collect();
        names.sort();
        names.dedup();
        let mut found: BTreeMap<String, aws_sdk_ecs::types::Cluster> = BTreeMap::new();
        for chunk in names.chunks(NAMES_PER_CALL) {
            let out = client
                .describe_clusters()
                .set_clusters(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|e| crate::error::sdk_error("ecs", e))?;
            for c in out.clusters.unwrap_or_default() {
                // An inactive cluster is a deleted one.
                if c.status() != Some("INACTIVE") {
                    found.insert(c.cluster_name().unwrap_or_default().to_string(), c);
                }
            }
        }
        Ok(batch
            .iter()
            .map(|args| {
                let Some(c) = found.get(&args.cluster_name) else {
                    return Err(DataError::NotFound(format!(
                        "ECS cluster `{}`",
                        args.cluster_name
                    )));
                };
                let mut f = args.clone();
                f.arn = c.cluster_arn().map(str::to_string);
                f.status = c.status().map(str::to_string);
                f.active_services_count = Some(i64::from(c.active_services_count()));
                Ok((f.arn.clone().unwrap_or_default(), f))
            })
            .collect())
    }
}
