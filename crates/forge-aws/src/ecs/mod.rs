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

use aws_sdk_ecs::Client;

crate::kind::declare_service! {
    /// The ECS service.
    pub struct Ecs: Client = Client::new, "ecs";
    /// ECS's control plane throttles mutating calls at a few per second per
    /// action.
    concurrency 10;
    kinds [ClusterKind, TaskDefinitionKind, ServiceKind];
}

// ECS tags clusters, services and task definitions by ARN.
crate::tags::tag_by_arn!(Ecs, client, |tags| common::to_tags(tags));
