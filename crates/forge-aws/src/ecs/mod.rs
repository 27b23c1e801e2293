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
        client
            .tag_resource()
            .resource_arn(resource)
            .set_tags(Some(common::to_tags(tags)))
            .send()
            .await
            .map_err(Ecs::err)?;
        Ok(())
    }

    async fn untag(client: &Client, resource: &str, keys: &[String]) -> Res<()> {
        client
            .untag_resource()
            .resource_arn(resource)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(Ecs::err)?;
        Ok(())
    }
}

/// Registers every ECS kind.
pub fn register(r: &mut Registrar) {
    r.kind::<ClusterKind>();
    r.kind::<TaskDefinitionKind>();
    r.kind::<ServiceKind>();
}
