//! WAFv2 kinds: web ACLs and their associations with load balancers,
//! written on the kind framework. One file per kind; this module holds the
//! service and its tag calls, [`common`] the ARNs and listings, [`rules`]
//! the rule model.

pub mod common;
pub mod rules;
pub mod web_acl;
pub mod web_acl_association;

pub use web_acl::WebAclKind;
pub use web_acl_association::WebAclAssociationKind;

use crate::kind::{Registrar, Res, Service, TagApi};
use aws_config::SdkConfig;
use aws_sdk_wafv2::Client;
use std::collections::BTreeMap;

/// The WAFv2 service.
pub struct Wafv2;

impl Service for Wafv2 {
    type Client = Client;
    const MAKE_CLIENT: fn(&SdkConfig) -> Client = Client::new;
    const NAME: &'static str = "wafv2";
    /// WAF's control plane allows about one mutating call per second per
    /// account.
    const CONCURRENCY: usize = 2;
}

/// WAFv2 tags a resource by ARN: TagResource / UntagResource.
impl TagApi for Wafv2 {
    async fn tag(client: &Client, resource: &str, tags: &BTreeMap<String, String>) -> Res<()> {
        client
            .tag_resource()
            .resource_arn(resource)
            .set_tags(Some(common::to_tags(tags)?))
            .send()
            .await
            .map_err(Wafv2::err)?;
        Ok(())
    }

    async fn untag(client: &Client, resource: &str, keys: &[String]) -> Res<()> {
        client
            .untag_resource()
            .resource_arn(resource)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(Wafv2::err)?;
        Ok(())
    }
}

/// Registers every WAFv2 kind.
pub fn register(r: &mut Registrar) {
    r.kind::<WebAclKind>();
    r.kind::<WebAclAssociationKind>();
}
