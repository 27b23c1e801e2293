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

use crate::clients::AwsClients;
use forge_engine::ProviderRegistry;
use std::sync::Arc;

/// Registers every ECS kind.
pub fn register(registry: &mut ProviderRegistry, clients: &Arc<AwsClients>) {
    registry.register(Arc::new(ClusterProvider::new(clients.clone())));
    registry.register(Arc::new(TaskDefinitionProvider::new(clients.clone())));
    registry.register(Arc::new(ServiceProvider::new(clients.clone())));
}
