//! Elastic Load Balancing v2 kinds: application load balancers, target
//! groups, listeners and listener rules, written on the kind framework.
//! One file per kind; this module holds the service and its tag calls,
//! [`common`] the batched describes and listings, [`actions`] the action
//! and condition model shared by listeners and rules.

pub mod actions;
pub mod common;
pub mod listener;
pub mod listener_rule;
pub mod load_balancer;
pub mod target_group;

pub use listener::ListenerKind;
pub use listener_rule::ListenerRuleKind;
pub use load_balancer::LoadBalancerKind;
pub use target_group::TargetGroupKind;

use aws_sdk_elasticloadbalancingv2::Client;

crate::kind::declare_service! {
    /// The ELBv2 service.
    pub struct Elbv2: Client = Client::new, "elasticloadbalancing";
    /// ELBv2's mutating calls share a low per-account rate (about 10/s for
    /// most actions).
    concurrency 10;
    // ELBv2 tags any of its resources by ARN: AddTags / RemoveTags.
    tags add_tags / remove_tags, |call, arn| call.resource_arns(arn), |t| common::to_tags(t);
    kinds [LoadBalancerKind, TargetGroupKind, ListenerKind, ListenerRuleKind];
}
