//! `aws.rds.cluster_parameter_group`: engine parameters shared by every
//! instance of an Aurora cluster (family e.g. `aurora-postgresql16`).
//!
//! Everything but the RDS calls is shared with `aws.rds.db_parameter_group`
//! in [`super::parameters`] (fields, user-only comparison, observe cost).

use super::parameters::{Flavor, ParameterGroupProvider};
use crate::clients::AwsClients;
use std::sync::Arc;

/// The `aws.rds.cluster_parameter_group` provider.
pub fn provider(clients: Arc<AwsClients>) -> ParameterGroupProvider {
    ParameterGroupProvider::new(clients, Flavor::Cluster)
}

#[cfg(test)]
mod tests {
    use super::*;
    use forge_engine::Provider;

    #[test]
    fn names_the_cluster_group_field() {
        let p = provider(Arc::new(AwsClients::new(crate::AwsSettings::default())));
        assert_eq!(p.schema().kind, "aws.rds.cluster_parameter_group");
        assert!(
            p.schema()
                .field("db_cluster_parameter_group_name")
                .is_some()
        );
    }
}
