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

use crate::kind::{Registrar, Res, Service, TagApi};
use aws_config::SdkConfig;
use aws_sdk_elasticloadbalancingv2::Client;
use std::collections::BTreeMap;

/// The ELBv2 service.
pub struct Elbv2;

impl Service for Elbv2 {
    type Client = Client;
    const MAKE_CLIENT: fn(&SdkConfig) -> Client = Client::new;
    const NAME: &'static str = "elasticloadbalancing";
    /// ELBv2's mutating calls share a low per-account rate (about 10/s for
    /// most actions).
    const CONCURRENCY: usize = 10;
}

/// ELBv2 tags any of its resources by ARN: AddTags / RemoveTags.
impl TagApi for Elbv2 {
    async fn tag(client: &Client, resource: &str, tags: &BTreeMap<String, String>) -> Res<()> {
        client
            .add_tags()
            .resource_arns(resource)
            .set_tags(Some(common::to_tags(tags)))
            .send()
            .await
            .map_err(Elbv2::err)?;
        Ok(())
    }

    async fn untag(client: &Client, resource: &str, keys: &[String]) -> Res<()> {
        client
            .remove_tags()
            .resource_arns(resource)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(Elbv2::err)?;
        Ok(())
    }
}

/// Registers every ELBv2 kind.
pub fn register(r: &mut Registrar) {
    r.kind::<LoadBalancerKind>();
    r.kind::<TargetGroupKind>();
    r.kind::<ListenerKind>();
    r.kind::<ListenerRuleKind>();
}
