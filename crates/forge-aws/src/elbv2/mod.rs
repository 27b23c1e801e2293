//! Elastic Load Balancing v2 kinds: application load balancers, target
//! groups, listeners and listener rules. One file per kind; the client,
//! tags and batched describes in [`common`], the action and condition
//! model shared by listeners and rules in [`actions`].

pub mod actions;
pub mod common;
pub mod listener;
pub mod listener_rule;
pub mod load_balancer;
pub mod target_group;

pub use listener::ListenerProvider;
pub use listener_rule::ListenerRuleProvider;
pub use load_balancer::LoadBalancerProvider;
pub use target_group::TargetGroupProvider;

use crate::clients::AwsClients;
use forge_engine::ProviderRegistry;
use std::sync::Arc;

/// Registers every ELBv2 kind.
pub fn register(registry: &mut ProviderRegistry, clients: &Arc<AwsClients>) {
    registry.register(Arc::new(LoadBalancerProvider::new(clients.clone())));
    registry.register(Arc::new(TargetGroupProvider::new(clients.clone())));
    registry.register(Arc::new(ListenerProvider::new(clients.clone())));
    registry.register(Arc::new(ListenerRuleProvider::new(clients.clone())));
}
