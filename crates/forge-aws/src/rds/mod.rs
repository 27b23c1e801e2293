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

use crate::kind::{ArnShape, Registrar};
use std::sync::Arc;

/// Registers this service's kinds.
pub fn register(r: &mut Registrar) {
    r.provider(
        Arc::new(DbSubnetGroupProvider::new(r.clients().clone())),
        &[ArnShape::rest("rds", "subgrp:")],
    );
    r.provider(
        Arc::new(cluster_parameter_group::provider(r.clients().clone())),
        &[ArnShape::rest("rds", "cluster-pg:")],
    );
    r.provider(
        Arc::new(db_parameter_group::provider(r.clients().clone())),
        &[ArnShape::rest("rds", "pg:")],
    );
    r.provider(
        Arc::new(GlobalClusterProvider::new(r.clients().clone())),
        &[],
    );
    r.provider(
        Arc::new(ClusterProvider::new(r.clients().clone())),
        &[ArnShape::rest("rds", "cluster:")],
    );
    r.provider(
        Arc::new(cluster_instance::provider(r.clients().clone())),
        &[ArnShape::rest("rds", "db:")],
    );
    r.provider(
        Arc::new(db_instance::provider(r.clients().clone())),
        &[ArnShape::rest("rds", "db:")],
    );
}
