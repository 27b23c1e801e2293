//! What the EC2 lookups (`aws.ec2.vpc`, `aws.ec2.subnets`) share: the
//! `filters` argument, and matching by tags.
//!
//! Lookups by id and tags are answered from one unfiltered Describe per
//! batch, matched here; a lookup with `filters` (any of EC2's filter
//! names) gets a Describe of its own with those filters.

use forge_derive::Fields;
use std::collections::BTreeMap;

/// The candidates of one EC2 lookup: a Describe of its own when it has
/// `filters`, else the batch's one unfiltered Describe, made on first need
/// and kept in `$all` for the lookups after it.
macro_rules! candidates {
    ($all:ident, $filters:expr, $describe:expr, $field:ident, $err:ident) => {
        match $filters {
            Some(f) if !f.is_empty() => {
                let call = || $describe.set_filters(Some(super::ec2_match::sdk_filters(f)));
                token_pages!(call(), $err, |out| out.$field.unwrap_or_default())?
            }
            _ => match &$all {
                Some(v) => v.clone(),
                None => {
                    let call = || $describe;
                    let v: Vec<_> =
                        token_pages!(call(), $err, |out| out.$field.unwrap_or_default())?;
                    $all = Some(v.clone());
                    v
                }
            },
        }
    };
}
pub(crate) use candidates;

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
