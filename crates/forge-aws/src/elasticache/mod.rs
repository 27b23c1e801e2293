//! ElastiCache kinds: cache subnet groups, parameter groups and Redis OSS /
//! Valkey replication groups.

pub mod common;
pub mod parameter_group;
pub mod replication_group;
pub mod subnet_group;

pub use parameter_group::ParameterGroupProvider;
pub use replication_group::ReplicationGroupProvider;
pub use subnet_group::SubnetGroupProvider;

use crate::clients::AwsClients;
use forge_engine::ProviderRegistry;
use std::sync::Arc;

/// Registers this service's kinds.
pub fn register(registry: &mut ProviderRegistry, clients: &Arc<AwsClients>) {
    registry.register(Arc::new(SubnetGroupProvider::new(clients.clone())));
    registry.register(Arc::new(ParameterGroupProvider::new(clients.clone())));
    registry.register(Arc::new(ReplicationGroupProvider::new(clients.clone())));
}
