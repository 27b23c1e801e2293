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
use aws_config::SdkConfig;

use crate::kind::{Registrar, Res, Service, TagApi};
use aws_sdk_kms::Client;
use aws_sdk_kms::types::Tag;
use forge_engine::ProviderError;
use std::collections::BTreeMap;

/// The KMS service.
pub struct Kms;

impl Service for Kms {
    type Client = Client;
    const MAKE_CLIENT: fn(&SdkConfig) -> Client = Client::new;
    const NAME: &'static str = "kms";
    /// KMS control-plane quotas are per account and region, shared with
    /// every other tool.
    const CONCURRENCY: usize = 5;
}

/// Registers every KMS kind.
pub fn register(r: &mut Registrar) {
    r.kind::<KeyKind>();
    r.kind::<AliasKind>();
}

/// KMS tags keys by key id: TagResource / UntagResource.
impl TagApi for Kms {
    async fn tag(client: &Client, resource: &str, tags: &BTreeMap<String, String>) -> Res<()> {
        client
            .tag_resource()
            .key_id(resource)
            .set_tags(Some(kms_tags(tags)?))
            .send()
            .await
            .map(drop)
            .map_err(Kms::err)
    }

    async fn untag(client: &Client, resource: &str, keys: &[String]) -> Res<()> {
        client
            .untag_resource()
            .key_id(resource)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map(drop)
            .map_err(Kms::err)
    }
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
