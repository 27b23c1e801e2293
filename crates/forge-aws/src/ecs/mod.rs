//! ECS kinds: clusters, task definitions and services. One file per kind;
//! the client, tags and capacity provider strategies in [`common`], the
//! container definition model in [`container`].

pub mod cluster;
pub mod common;
pub mod container;
pub mod service;
pub mod task_definition;

pub use cluster::ClusterProvider;
pub use service::ServiceProvider;
pub use task_definition::TaskDefinitionProvider;

use crate::kind::{ArnShape, Registrar};
use std::sync::Arc;

/// Registers every ECS kind.
pub fn register(r: &mut Registrar) {
    r.provider(
        Arc::new(ClusterProvider::new(r.clients().clone())),
        &[ArnShape::arn("ecs", "cluster/")],
    );
    r.provider(
        Arc::new(TaskDefinitionProvider::new(r.clients().clone())),
        &[],
    );
    r.provider(
        Arc::new(ServiceProvider::new(r.clients().clone())),
        &[ArnShape::arn("ecs", "service/")],
    );
}
