//! ECS kinds: clusters, task definitions and services. One file per kind;
//! the service, its tag calls and capacity provider strategies in
//! [`common`], the container definition model in [`container`].

pub mod cluster;
pub mod common;
pub mod container;
pub mod service;
pub mod task_definition;

pub use cluster::ClusterKind;
pub use service::ServiceKind;
pub use task_definition::TaskDefinitionKind;

use crate::kind::{Registrar, Res, Service, TagApi};
use aws_config::SdkConfig;
use aws_sdk_ecs::Client;
use std::collections::BTreeMap;

/// The ECS service.
pub struct Ecs;

impl Service for Ecs {
    type Client = Client;
    const MAKE_CLIENT: fn(&SdkConfig) -> Client = Client::new;
    const NAME: &'static str = "ecs";
    /// ECS's control plane throttles mutating calls at a few per second per
    /// action.
    const CONCURRENCY: usize = 10;
}

/// ECS tags clusters, services and task definitions by ARN.
impl TagApi for Ecs {
    async fn tag(client: &Client, resource: &str, tags: &BTreeMap<String, String>) -> Res<()> {
        let call = client.tag_resource().resource_arn(resource);
        let call = call.set_tags(Some(common::to_tags(tags)));
        call.send().await.map(drop).map_err(Ecs::err)
    }

    async fn untag(client: &Client, resource: &str, keys: &[String]) -> Res<()> {
        let call = client.untag_resource().resource_arn(resource);
        let call = call.set_tag_keys(Some(keys.to_vec()));
        call.send().await.map(drop).map_err(Ecs::err)
    }
}

/// Registers every ECS kind.
pub fn register(r: &mut Registrar) {
    r.kind::<ClusterKind>();
    r.kind::<TaskDefinitionKind>();
    r.kind::<ServiceKind>();
}
