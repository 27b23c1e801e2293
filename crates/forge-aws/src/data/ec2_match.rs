//! What the EC2 lookups (`aws.ec2.vpc`, `aws.ec2.subnets`) share: the
//! `filters` argument, and matching by tags.
//!
//! Lookups by id and tags are answered from one unfiltered Describe per
//! batch, matched here; a lookup with `filters` (any of EC2's filter
//! names) gets a Describe of its own with those filters.

use super::Found;
use forge_derive::Fields;
use forge_engine::ProviderError;
use std::collections::BTreeMap;
use std::future::Future;

/// Answers each EC2 lookup of `batch` from its candidates: a `describe`
/// with the lookup's own `filters` when it has some, else the batch's one
/// unfiltered `describe`, made on first need and kept for the lookups
/// after it. `answer` picks the lookup's matches among its candidates.
pub(crate) async fn each_lookup<F, T, Fut>(
    batch: &[F],
    filters: impl Fn(&F) -> Option<&[Filter]>,
    describe: impl Fn(Option<Vec<aws_sdk_ec2::types::Filter>>) -> Fut,
    mut answer: impl FnMut(&F, &[T]) -> Found<F>,
) -> Result<Vec<Found<F>>, ProviderError>
where
    Fut: Future<Output = Result<Vec<T>, ProviderError>>,
{
    let mut all: Option<Vec<T>> = None;
    let mut out = Vec::with_capacity(batch.len());
    for args in batch {
        let own;
        let candidates = match filters(args) {
            Some(f) if !f.is_empty() => {
                own = describe(Some(sdk_filters(f))).await?;
                own.as_slice()
            }
            _ => {
                if all.is_none() {
                    all = Some(describe(None).await?);
                }
                all.as_deref().unwrap_or_default()
            }
        };
        out.push(answer(args, candidates));
    }
    Ok(out)
}

/// Answers each EC2 lookup of `batch` (its fields have `filters`) with
/// [`each_lookup`] over one EC2 Describe call: the call and the list its
/// answer holds (`describe_vpcs -> vpcs`), every page read; `answer`
/// picks the lookup's matches among the described items.
macro_rules! ec2_lookups {
    ($cx:expr, $batch:expr, $call:ident -> $list:ident, $answer:expr) => {{
        let client = &$cx.ec2().await?;
        let err = |e| $crate::error::sdk_error("ec2", e);
        let describe = |filters: Option<Vec<_>>| async move {
            let call = || client.$call().set_filters(filters.clone());
            $crate::paging::token_pages!(call(), err, |out| out.$list.unwrap_or_default())
        };
        $crate::data::ec2_match::each_lookup($batch, |a| a.filters.as_deref(), describe, $answer)
            .await
    }};
}
pub(crate) use ec2_lookups;

/// An EC2 API filter: `{name: "tag:Name", values: [shared]}`.
#[derive(Clone, Fields)]
pub(crate) struct Filter {
    /// The filter's name, e.g. cidr-block, tag:Name, vpc-id.
    pub name: String,
    /// Accepted values.
    pub values: Vec<String>,
}

/// The SDK's filters.
pub(crate) fn sdk_filters(filters: &[Filter]) -> Vec<aws_sdk_ec2::types::Filter> {
    filters
        .iter()
        .map(|f| {
            aws_sdk_ec2::types::Filter::builder()
                .name(&f.name)
                .set_values(Some(f.values.clone()))
                .build()
        })
        .collect()
}

/// Whether the object's tags include every wanted tag.
pub(crate) fn has_tags(
    tags: &[aws_sdk_ec2::types::Tag],
    wanted: &BTreeMap<String, String>,
) -> bool {
    wanted.iter().all(|(k, v)| {
        tags.iter()
            .any(|t| t.key() == Some(k.as_str()) && t.value() == Some(v.as_str()))
    })
}

/// The SDK's tags as a map.
pub(crate) fn tag_map(tags: &[aws_sdk_ec2::types::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}
