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

pub use cluster::ClusterKind;
pub use cluster_instance::ClusterInstanceKind;
pub use cluster_parameter_group::ClusterParameterGroupKind;
pub use db_instance::DbInstanceKind;
pub use db_parameter_group::DbParameterGroupKind;
pub use db_subnet_group::DbSubnetGroupKind;
pub use global_cluster::GlobalClusterKind;

use crate::error::sdk_error_busy;
use crate::kind::{Registrar, Service};
use aws_config::SdkConfig;
use aws_sdk_rds::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use forge_engine::ProviderError;

/// The RDS service.
pub struct Rds;

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

impl Service for Rds {
    type Client = Client;
    const MAKE_CLIENT: fn(&SdkConfig) -> Client = Client::new;
    const NAME: &'static str = "rds";
    /// RDS control-plane calls are rate limited per account and region;
    /// ten in flight is well inside the quota.
    const CONCURRENCY: usize = 10;

    /// "Busy" states are transient.
    fn err<E>(err: SdkError<E, HttpResponse>) -> ProviderError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        sdk_error_busy(Self::NAME, BUSY_CODES, err)
    }
}

// RDS tags any object by ARN: AddTagsToResource / RemoveTagsFromResource.
crate::tags::arn_tag_api!(Rds, aws_sdk_rds);

/// Registers this service's kinds.
pub fn register(r: &mut Registrar) {
    r.kind::<DbSubnetGroupKind>();
    r.kind::<ClusterParameterGroupKind>();
    r.kind::<DbParameterGroupKind>();
    r.kind::<GlobalClusterKind>();
    r.kind::<ClusterKind>();
    r.kind::<ClusterInstanceKind>();
    r.kind::<DbInstanceKind>();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{busy_as_transient, is_gone};

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
