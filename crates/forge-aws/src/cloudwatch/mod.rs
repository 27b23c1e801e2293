//! CloudWatch kinds: metric alarms.
//!
//! Also the tag-based listing CloudWatch needs for orphan search and the
//! drift report: DescribeAlarms carries no tags, so finding "the alarms of
//! stack X" through it would cost a ListTagsForResource per alarm of the
//! whole region. The Resource Groups Tagging API answers the same question
//! with one (paged) GetResources filtered by tag and resource type.

pub mod metric_alarm;

pub use metric_alarm::MetricAlarmProvider;

use crate::clients::AwsClients;
use crate::error::sdk_error;
use crate::kind::{ArnShape, Registrar};
use crate::paging::collect_pages;
use crate::tags::{ADDRESS_TAG, STATE_TAG};
use aws_sdk_resourcegroupstagging::types::TagFilter;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use forge_engine::Owner;
use forge_engine::ProviderError;
use std::sync::Arc;

/// The service name used in errors and as the concurrency group.
pub const SERVICE: &str = "cloudwatch";

/// Concurrent CloudWatch mutations (PutMetricAlarm and the tag calls are
/// throttled at a few requests per second per account and region).
pub const CONCURRENCY: (&str, usize) = (SERVICE, 5);

/// Maps a CloudWatch SDK error.
pub fn cw_err<E>(err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    sdk_error(SERVICE, err)
}

/// The resources of `resource_type` (`cloudwatch:alarm`) in the region
/// tagged `forge:stack = stack` (and `forge:address = address`, given), as
/// (ARN, address tag): one paged GetResources.
pub async fn tagged_resources(
    clients: &AwsClients,
    region: &str,
    resource_type: &str,
    owner: &Owner,
    address: Option<&str>,
) -> Result<Vec<(String, Option<String>)>, ProviderError> {
    let client = clients
        .client(region, aws_sdk_resourcegroupstagging::Client::new)
        .await?;
    let mut filters = vec![
        TagFilter::builder()
            .key(STATE_TAG)
            .values(&owner.lineage)
            .build(),
    ];
    if let Some(a) = address {
        filters.push(TagFilter::builder().key(ADDRESS_TAG).values(a).build());
    }
    let client = &client;
    let filters = &filters;
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

/// Registers every CloudWatch kind.
pub fn register(r: &mut Registrar) {
    r.provider(
        Arc::new(MetricAlarmProvider::new(r.clients().clone())),
        &[ArnShape::rest("cloudwatch", "alarm:")],
    );
}
