//! WAFv2 kinds: web ACLs and their associations with load balancers. One
//! file per kind; the client, ARNs and tags in [`common`], the rule model
//! in [`rules`].

pub mod common;
pub mod rules;
pub mod web_acl;
pub mod web_acl_association;

pub use web_acl::WebAclProvider;
pub use web_acl_association::WebAclAssociationProvider;

use crate::kind::{ArnShape, Registrar};
use std::sync::Arc;

/// Registers every WAFv2 kind.
pub fn register(r: &mut Registrar) {
    r.provider(
        Arc::new(WebAclProvider::new(r.clients().clone())),
        &[ArnShape::arn("wafv2", "regional/webacl/")],
    );
    r.provider(
        Arc::new(WebAclAssociationProvider::new(r.clients().clone())),
        &[],
    );
}
