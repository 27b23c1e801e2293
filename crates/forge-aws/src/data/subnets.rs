//! `aws.ec2.subnets`: the ids of the subnets matching a VPC, tags and/or
//! EC2 filters (none found is not an error: an empty list). Lookups
//! without `filters` share one DescribeSubnets per region.

use super::ec2_match::{Filter, ec2_lookups, has_tags};
use super::{Answers, Lookup, Reading, declare_lookup};
use crate::kind::Computed;
use async_trait::async_trait;
use forge_derive::Fields;
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

declare_lookup!(Subnets: "aws.ec2.subnets", SubnetsFields,
    "The ids of the subnets matching a VPC, tags or filters.");

#[async_trait]
impl Lookup for Subnets {
    async fn read(cx: &Reading<'_>, batch: &[SubnetsFields]) -> Answers<Self> {
        ec2_lookups!(cx, batch, describe_subnets -> subnets, |args, candidates| {
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
            Ok((cx.region.to_string(), f))
        })
    }
}
