//! `aws.ec2.subnets`: the ids of the subnets matching a VPC, tags and/or
//! EC2 filters (none found is not an error: an empty list). Lookups
//! without `filters` share one DescribeSubnets per region.

use super::ec2_match::{Filter, candidates, has_tags};
use super::{Found, Lookup};
use crate::AwsClients;
use crate::kind::Computed;
use crate::paging::token_pages;
use async_trait::async_trait;
use forge_derive::Fields;
use forge_engine::ProviderError;
use std::collections::BTreeMap;

/// Arguments and attributes of `aws.ec2.subnets`.
#[derive(Clone, Fields)]
pub(crate) struct SubnetsFields {
    /// Only subnets of this VPC.
    pub vpc_id: Option<String>,
    /// Tags the subnets must have (all of them).
    pub tags: Option<BTreeMap<String, String>>,
    /// EC2 filters (`{name: availability-zone, values: [us-east-1a]}`).
    pub filters: Option<Vec<Filter>>,
    /// The matching subnets' ids, sorted.
    pub ids: Computed<Vec<String>>,
}

/// `aws.ec2.subnets`.
pub(crate) struct Subnets;

#[async_trait]
impl Lookup for Subnets {
    const TYPE: &'static str = "aws.ec2.subnets";
    const DESCRIPTION: &'static str = "The ids of the subnets matching a VPC, tags or filters.";
    type Fields = SubnetsFields;

    async fn read(
        clients: &AwsClients,
        region: &str,
        batch: &[Self::Fields],
    ) -> Result<Vec<Found<Self::Fields>>, ProviderError> {
        let client = clients.ec2(region).await?;
        let err = |e| crate::error::sdk_error("ec2", e);
        let mut all: Option<Vec<aws_sdk_ec2::types::Subnet>> = None;
        let mut out = Vec::new();
        for args in batch {
            let candidates =
                candidates!(all, &args.filters, client.describe_subnets(), subnets, err);
            let wanted = args.tags.clone().unwrap_or_default();
            let mut ids: Vec<String> = candidates
                .iter()
                .filter(|s| args.vpc_id.as_ref().is_none_or(|id| s.vpc_id() == Some(id)))
                .filter(|s| has_tags(s.tags(), &wanted))
                .filter_map(|s| s.subnet_id().map(str::to_string))
                .collect();
            ids.sort();
            let mut f = args.clone();
            f.ids = Some(ids);
            out.push(Ok((region.to_string(), f)));
        }
        Ok(out)
    }
}
