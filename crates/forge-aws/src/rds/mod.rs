//! RDS kinds: DB subnet groups, parameter groups, Aurora clusters and their
//! instances, Aurora global databases, standalone DB instances.
//!
//! Shared code: [`common`] (errors, tags and forge-setting tags, batched
//! describes, the engine-version rule, readiness, final snapshots),
//! [`parameters`] (both parameter group kinds) and [`instance`] (both
//! instance kinds).

pub mod cluster;
pub mod cluster_instance;
pub mod cluster_parameter_group;
pub mod common;
pub mod db_instance;
pub mod db_parameter_group;
pub mod db_subnet_group;
pub mod global_cluster;
pub mod instance;
pub mod parameters;

pub use cluster::ClusterProvider;
pub use db_subnet_group::DbSubnetGroupProvider;
pub use global_cluster::GlobalClusterProvider;
pub use instance::InstanceProvider;
pub use parameters::ParameterGroupProvider;

use crate::clients::AwsClients;
use forge_engine::ProviderRegistry;
use std::sync::Arc;

/// Registers this service's kinds.
pub fn register(registry: &mut ProviderRegistry, clients: &Arc<AwsClients>) {
    registry.register(Arc::new(DbSubnetGroupProvider::new(clients.clone())));
    registry.register(Arc::new(cluster_parameter_group::provider(clients.clone())));
    registry.register(Arc::new(db_parameter_group::provider(clients.clone())));
    registry.register(Arc::new(GlobalClusterProvider::new(clients.clone())));
    registry.register(Arc::new(ClusterProvider::new(clients.clone())));
    registry.register(Arc::new(cluster_instance::provider(clients.clone())));
    registry.register(Arc::new(db_instance::provider(clients.clone())));
}
