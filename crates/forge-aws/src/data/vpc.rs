//! `aws.ec2.vpc`: one existing VPC, by id, tags and/or EC2 filters (or the
//! region's default VPC). Lookups without `filters` share one DescribeVpcs
//! per region; each lookup with `filters` makes its own.

use super::ec2_match::{Filter, ec2_lookups, has_tags, tag_map};
use super::{Answers, Lookup, Reading, declare_lookup};
use crate::kind::Computed;
use async_trait::async_trait;
use forge_derive::Fields;
use forge_engine::DataError;
use std::collections::BTreeMap;

/// Arguments and attributes of `aws.ec2.vpc`.
#[derive(Clone, Fields)]
pub(crate) struct VpcFields {
    /// The VPC's id.
    pub vpc_id: Option<String>,
    /// Tags the VPC must have (all of them).
    pub tags: Option<BTreeMap<String, String>>,
    /// EC2 filters (`{name: cidr-block, values: [10.0.0.0/16]}`).
    pub filters: Option<Vec<Filter>>,
    /// Only the region's default VPC (true) or only others (false).
    pub default: Option<bool>,
    /// The VPC's IPv4 CIDR block.
    pub cidr_block: Computed<String>,
    /// Whether it is the region's default VPC.
    pub is_default: Computed<bool>,
    /// available or pending.
    pub state: Computed<String>,
    /// The account that owns it.
    pub owner_id: Computed<String>,
    /// Its DHCP options set.
    pub dhcp_options_id: Computed<String>,
    /// All of its tags.
    pub all_tags: Computed<BTreeMap<String, String>>,
}

declare_lookup!(Vpc: "aws.ec2.vpc", VpcFields, "One existing VPC, by id, tags or filters.");

#[async_trait]
impl Lookup for Vpc {
    async fn read(cx: &Reading<'_>, batch: &[VpcFields]) -> Answers<Self> {
        ec2_lookups!(cx, batch, describe_vpcs -> vpcs, |args, candidates| {
            let wanted = args.tags.clone().unwrap_or_default();
            let matching: Vec<&aws_sdk_ec2::types::Vpc> = candidates
                .iter()
                .filter(|v| args.vpc_id.as_ref().is_none_or(|id| v.vpc_id() == Some(id)))
                .filter(|v| args.default.is_none_or(|d| v.is_default() == Some(d)))
                .filter(|v| has_tags(v.tags(), &wanted))
                .collect();
            match matching.as_slice() {
                [] => Err(DataError::NotFound(format!(
                    "VPC matching {}",
                    describe_args(args)
                ))),
                [v] => {
                    let mut f = args.clone();
                    f.cidr_block = v.cidr_block().map(str::to_string);
                    f.is_default = v.is_default();
                    f.state = v.state().map(|s| s.as_str().to_string());
                    f.owner_id = v.owner_id().map(str::to_string);
                    f.dhcp_options_id = v.dhcp_options_id().map(str::to_string);
                    f.all_tags = Some(tag_map(v.tags()));
                    Ok((v.vpc_id().unwrap_or_default().to_string(), f))
                }
                many => Err(DataError::TooMany {
                    count: many.len(),
                    what: format!("VPCs matching {}", describe_args(args)),
                }),
            }
        })
    }
}

/// The lookup's criteria, for messages.
fn describe_args(args: &VpcFields) -> String {
    let mut parts = Vec::new();
    if let Some(id) = &args.vpc_id {
        parts.push(format!("id {id}"));
    }
    for (k, v) in args.tags.iter().flatten() {
        parts.push(format!("tag {k}={v}"));
    }
    for f in args.filters.iter().flatten() {
        parts.push(format!("filter {}={}", f.name, f.values.join(",")));
    }
    if let Some(d) = args.default {
        parts.push(format!("default={d}"));
    }
    if parts.is_empty() {
        "no criteria".into()
    } else {
        parts.join(", ")
    }
}
