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

use aws_sdk_wafv2::Client;

crate::kind::declare_service! {
    /// The WAFv2 service.
    pub struct Wafv2: Client = Client::new, "wafv2";
    /// WAF's control plane allows about one mutating call per second per
    /// account.
    concurrency 2;
    kinds [WebAclKind, WebAclAssociationKind];
}

// WAFv2 tags a resource by ARN: TagResource / UntagResource.
crate::tags::tag_by_arn!(Wafv2, client, |tags| common::to_tags(tags)?);
