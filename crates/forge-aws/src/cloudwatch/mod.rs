//! CloudWatch kinds: metric alarms.
//!
//! Also the tag-based listing CloudWatch needs for orphan search and the
//! drift report: DescribeAlarms carries no tags, so finding "the alarms of
//! stack X" through it would cost a ListTagsForResource per alarm of the
//! whole region. The Resource Groups Tagging API answers the same question
//! with one (paged) GetResources filtered by tag and resource type, so the
//! service's client is a pair: CloudWatch's and the Tagging API's.

pub mod metric_alarm;

pub use metric_alarm::MetricAlarmKind;

use crate::error::sdk_error;
use crate::kind::Owned;
use crate::paging::collect_pages;
use crate::retry_guard::GuardedClient;
use crate::tags::{ADDRESS_TAG, STATE_TAG};
use aws_config::SdkConfig;
use aws_sdk_cloudwatch::types::Tag;
use aws_sdk_resourcegroupstagging::types::TagFilter;
use forge_engine::{ObserveCtx, ProviderError};
use std::collections::BTreeMap;

/// CloudWatch's client and the Tagging API's (for the ownership listing).
#[derive(Clone)]
pub struct Clients {
    /// CloudWatch.
    pub cw: aws_sdk_cloudwatch::Client,
    /// The Resource Groups Tagging API.
    pub tagging: aws_sdk_resourcegroupstagging::Client,
}

impl GuardedClient for Clients {
    fn with_mutation_guard(self) -> Self {
        Clients {
            cw: self.cw.with_mutation_guard(),
            tagging: self.tagging.with_mutation_guard(),
        }
    }
}

impl Clients {
    fn new(config: &SdkConfig) -> Clients {
        Clients {
            cw: aws_sdk_cloudwatch::Client::new(config),
            tagging: aws_sdk_resourcegroupstagging::Client::new(config),
        }
    }
}

crate::kind::declare_service! {
    /// The CloudWatch service.
    pub struct CloudWatch: Clients = Clients::new, "cloudwatch";
    /// PutMetricAlarm and the tag calls are throttled at a few requests per
    /// second per account and region.
    concurrency 5;
    kinds [MetricAlarmKind];
}

/// Tags in CloudWatch's shape.
fn cw_tags(map: &BTreeMap<String, String>) -> Vec<Tag> {
    crate::tags::tag_list(map, |k, v| Tag::builder().key(k).value(v).build())
}

// CloudWatch tags an alarm by its ARN.
crate::tags::tag_by_arn!(CloudWatch, client.cw, |tags| cw_tags(tags));

/// The resources of `resource_type` (`cloudwatch:alarm`) in the region
/// owned by `ctx.owner` (and tagged `forge:address = address`, given), as
/// (ARN, address tag): one paged GetResources.
pub async fn tagged_resources(
    client: &Clients,
    ctx: &ObserveCtx,
    resource_type: &str,
    address: Option<&str>,
) -> Result<Vec<Owned>, ProviderError> {
    let mut filters = vec![
        TagFilter::builder()
            .key(STATE_TAG)
            .values(&ctx.owner.lineage)
            .build(),
    ];
    if let Some(a) = address {
        filters.push(TagFilter::builder().key(ADDRESS_TAG).values(a).build());
    }
    let (client, filters) = (&client.tagging, &filters);
    collect_pages(|token| async move {
        let out = client
            .get_resources()
            .set_tag_filters(Some(filters.clone()))
            .resource_type_filters(resource_type)
            .set_pagination_token(token)
            .send()
            .await
            .map_err(|e| sdk_error("tagging", e))?;
        let items = out
            .resource_tag_mapping_list()
            .iter()
            .filter_map(|m| {
                let arn = m.resource_arn()?.to_string();
                let addr = m
                    .tags()
                    .iter()
                    .find(|t| t.key() == ADDRESS_TAG)
                    .map(|t| t.value().to_string());
                Some((arn, addr))
            })
            .collect();
        Ok((items, out.pagination_token().map(str::to_string)))
    })
    .await
}
