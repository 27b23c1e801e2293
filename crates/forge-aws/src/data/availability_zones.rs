//! `aws.ec2.availability_zones`: the region's availability zones, by
//! state. One DescribeAvailabilityZones per region for every lookup; each
//! lookup filters the answer by its own arguments.

use super::{Answers, Lookup, Reading, declare_lookup};
use async_trait::async_trait;
use forge_derive::Fields;

use crate::kind::Computed;

/// Arguments and attributes of `aws.ec2.availability_zones`.
#[derive(Clone, Fields)]
pub(crate) struct AvailabilityZonesFields {
    /// Only zones in this state (available, information, impaired, unavailable); unset: all.
    pub state: Option<String>,
    /// Zone names to leave out.
    pub exclude_names: Option<Vec<String>>,
    /// The zones' names, sorted (us-east-1a, ...).
    pub names: Computed<Vec<String>>,
    /// The zones' ids, in the order of `names` (use1-az1, ...).
    pub zone_ids: Computed<Vec<String>>,
}

declare_lookup!(AvailabilityZones: "aws.ec2.availability_zones", AvailabilityZonesFields,
    "The region's availability zones (names and zone ids).");

#[async_trait]
impl Lookup for AvailabilityZones {
    async fn read(cx: &Reading<'_>, batch: &[AvailabilityZonesFields]) -> Answers<Self> {
        let client = cx.ec2().await?;
        let out = client
            .describe_availability_zones()
            .send()
            .await
            .map_err(|e| crate::error::sdk_error("ec2", e))?;
        let mut zones: Vec<(String, String, String)> = out
            .availability_zones()
            .iter()
            .map(|z| {
                (
                    z.zone_name().unwrap_or_default().to_string(),
                    z.zone_id().unwrap_or_default().to_string(),
                    z.state()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default(),
                )
            })
            .collect();
        zones.sort();
        Ok(batch
            .iter()
            .map(|args| {
                let exclude = args.exclude_names.clone().unwrap_or_default();
                let chosen: Vec<&(String, String, String)> = zones
                    .iter()
                    .filter(|(name, _, state)| {
                        args.state.as_ref().is_none_or(|s| s == state) && !exclude.contains(name)
                    })
                    .collect();
                let mut fields = args.clone();
                fields.names = Some(chosen.iter().map(|z| z.0.clone()).collect());
                fields.zone_ids = Some(chosen.iter().map(|z| z.1.clone()).collect());
                Ok((cx.region.to_string(), fields))
            })
            .collect())
    }
}
