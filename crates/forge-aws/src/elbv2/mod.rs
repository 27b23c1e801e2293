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

use crate::kind::{ArnShape, Registrar};
use std::sync::Arc;

/// Registers every ELBv2 kind.
pub fn register(r: &mut Registrar) {
    r.provider(
        Arc::new(LoadBalancerProvider::new(r.clients().clone())),
        &[
            ArnShape::arn("elasticloadbalancing", "loadbalancer/app/"),
            ArnShape::arn("elasticloadbalancing", "loadbalancer/net/"),
        ],
    );
    r.provider(
        Arc::new(TargetGroupProvider::new(r.clients().clone())),
        &[ArnShape::arn("elasticloadbalancing", "targetgroup/")],
    );
    r.provider(
        Arc::new(ListenerProvider::new(r.clients().clone())),
        &[ArnShape::arn("elasticloadbalancing", "listener/")],
    );
    r.provider(
        Arc::new(ListenerRuleProvider::new(r.clients().clone())),
        &[ArnShape::arn("elasticloadbalancing", "listener-rule/")],
    );
}
