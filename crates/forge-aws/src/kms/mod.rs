//! KMS kinds: customer managed keys and their aliases (`aws.kms.key`,
//! `aws.kms.alias`), written on the kind framework. This module holds what
//! both share: the service, its tag calls and its paging.

/// Every page of a KMS list call (see [`crate::paging::truncated_pages`]).
macro_rules! kms_pages {
    ($call:expr, |$out:ident| $items:expr) => {
        $crate::paging::truncated_pages!(
            $call,
            <$crate::kms::Kms as $crate::kind::Service>::err,
            truncated,
            next_marker,
            |$out| $items
        )
    };
}

pub mod alias;
pub mod key;

pub use alias::AliasKind;
pub use key::KeyKind;

use crate::arn::key_id_of;
/// Kept here for the services that name KMS keys; the function lives in
/// the neutral [`crate::arn`].
pub use crate::tags;
use aws_sdk_kms::Client;
use aws_sdk_kms::types::Tag;
use forge_engine::ProviderError;
use std::collections::BTreeMap;

crate::kind::declare_service! {
    /// The KMS service.
    pub struct Kms: Client = Client::new, "kms";
    /// KMS control-plane quotas are per account and region, shared with
    /// every other tool.
    concurrency 5;
    // KMS tags keys by key id: TagResource / UntagResource.
    tags tag_resource / untag_resource, |call, key| call.key_id(key), |t| kms_tags(t)?;
    kinds [KeyKind, AliasKind];
}

/// Tags in the SDK's shape.
fn kms_tags(map: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags::sdk_tags(map, |k, v| Tag::builder().tag_key(k).tag_value(v).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_arns_reduce_to_ids() {
        assert_eq!(
            key_id_of("arn:aws:kms:eu-west-1:123456789012:key/abcd-1"),
            "abcd-1"
        );
        assert_eq!(key_id_of("abcd-1"), "abcd-1");
        assert_eq!(key_id_of("alias/app"), "alias/app");
        assert_eq!(
            key_id_of("arn:aws:kms:eu-west-1:123456789012:alias/app"),
            "arn:aws:kms:eu-west-1:123456789012:alias/app"
        );
    }
}
