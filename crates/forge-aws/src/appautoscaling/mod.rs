//! Application Auto Scaling kinds: scalable targets and target tracking
//! policies. One file per kind; the client and composite ids in
//! [`common`].

pub mod common;
pub mod policy;
pub mod target;

pub use policy::PolicyProvider;
pub use target::TargetProvider;

use crate::clients::AwsClients;
use forge_engine::ProviderRegistry;
use std::sync::Arc;

/// Registers every Application Auto Scaling kind.
pub fn register(registry: &mut ProviderRegistry, clients: &Arc<AwsClients>) {
    registry.register(Arc::new(TargetProvider::new(clients.clone())));
    registry.register(Arc::new(PolicyProvider::new(clients.clone())));
}
