//! ElastiCache kinds: cache subnet groups, parameter groups and Redis OSS /
//! Valkey replication groups.

pub mod common;
pub mod parameter_group;
pub mod replication_group;
pub mod subnet_group;

pub use parameter_group::ParameterGroupProvider;
pub use replication_group::ReplicationGroupProvider;
pub use subnet_group::SubnetGroupProvider;

use crate::kind::{ArnShape, Registrar};
use std::sync::Arc;

/// Registers this service's kinds.
pub fn register(r: &mut Registrar) {
    r.provider(
        Arc::new(SubnetGroupProvider::new(r.clients().clone())),
        &[ArnShape::rest("elasticache", "subnetgroup:")],
    );
    r.provider(
        Arc::new(ParameterGroupProvider::new(r.clients().clone())),
        &[ArnShape::rest("elasticache", "parametergroup:")],
    );
    r.provider(
        Arc::new(ReplicationGroupProvider::new(r.clients().clone())),
        &[ArnShape::rest("elasticache", "replicationgroup:")],
    );
}
