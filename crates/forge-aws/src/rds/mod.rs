//! RDS kinds: DB subnet groups, parameter groups, Aurora clusters and their
//! instances, Aurora global databases, standalone DB instances, written on
//! the kind framework.
//!
//! Shared code: [`common`] (tags and forge-setting tags, batched
//! describes, the engine-version rule, readiness, final snapshots),
//! [`parameters`] (both parameter group kinds) and [`instance`] (both
//! instance kinds).

pub mod cluster;
pub mod cluster_instance;
pub mod cluster_parameter_group;
pub(crate) mod common;
pub mod db_instance;
pub mod db_parameter_group;
pub mod db_subnet_group;
pub mod global_cluster;
pub(crate) mod instance;
pub(crate) mod parameters;
pub mod pending;

pub use cluster::ClusterKind;
pub use cluster_instance::ClusterInstanceKind;
pub use cluster_parameter_group::ClusterParameterGroupKind;
pub use db_instance::DbInstanceKind;
pub use db_parameter_group::DbParameterGroupKind;
pub use db_subnet_group::DbSubnetGroupKind;
pub use global_cluster::GlobalClusterKind;

use aws_sdk_rds::Client;

/// Codes RDS answers while the object is busy with another operation
/// (creating, modifying, backing up, an instance of a cluster still being
/// deleted). AWS's guidance is to retry once the operation finishes.
const BUSY_CODES: &[&str] = &[
    "InvalidDBClusterStateFault",
    "InvalidDBInstanceState",
    "InvalidDBInstanceStateFault",
    "InvalidDBSubnetGroupStateFault",
    "InvalidGlobalClusterStateFault",
    "InvalidDBParameterGroupState",
    "DBClusterToBeDeletedHasActiveMembers",
];

crate::kind::declare_service! {
    /// The RDS service.
    pub struct Rds: Client = Client::new, "rds";
    /// RDS control-plane calls are rate limited per account and region;
    /// ten in flight is well inside the quota.
    concurrency 10;
    busy BUSY_CODES;
    kinds [
        DbSubnetGroupKind,
        ClusterParameterGroupKind,
        DbParameterGroupKind,
        GlobalClusterKind,
        ClusterKind,
        ClusterInstanceKind,
        DbInstanceKind,
    ];
}

// RDS tags any object by ARN: AddTagsToResource / RemoveTagsFromResource.
crate::tags::arn_tag_api!(Rds, aws_sdk_rds);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{busy_as_transient, is_gone};
    use crate::kind::Service;
    use forge_engine::ProviderError;

    #[test]
    fn busy_states_are_retried_and_not_found_faults_are_gone() {
        let e = busy_as_transient(
            Rds::NAME,
            BUSY_CODES,
            ProviderError::Api {
                code: "InvalidDBClusterStateFault".into(),
                message: "busy".into(),
            },
        );
        assert!(e.is_retryable());
        for code in [
            "DBClusterNotFoundFault",
            "DBInstanceNotFound",
            "DBSubnetGroupNotFoundFault",
        ] {
            assert!(is_gone(&ProviderError::Api {
                code: code.into(),
                message: String::new()
            }));
        }
        assert!(!is_gone(&ProviderError::Api {
            code: "InvalidParameterValue".into(),
            message: String::new()
        }));
    }
}
