//! WAFv2 kinds: web ACLs and their associations with load balancers. One
//! file per kind; the client, ARNs and tags in [`common`], the rule model
//! in [`rules`].

pub mod common;
pub mod rules;
pub mod web_acl;
pub mod web_acl_association;

pub use web_acl::WebAclProvider;
pub use web_acl_association::WebAclAssociationProvider;

use crate::clients::AwsClients;
use forge_engine::ProviderRegistry;
use std::sync::Arc;

/// Registers every WAFv2 kind.
pub fn register(registry: &mut ProviderRegistry, clients: &Arc<AwsClients>) {
    registry.register(Arc::new(WebAclProvider::new(clients.clone())));
    registry.register(Arc::new(WebAclAssociationProvider::new(clients.clone())));
}
