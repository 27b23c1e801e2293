//! `aws.rds.cluster_parameter_group`: engine parameters shared by every
//! instance of an Aurora cluster (family e.g. `aurora-postgresql16`).
//!
//! Everything but the name field and the RDS calls is shared with
//! `aws.rds.db_parameter_group` in [`super::parameters`] (user-only
//! comparison, observe cost).

use super::parameters::{Api, Flavor, ParameterGroupKind, group_fields};
use crate::kind::ArnShape;

group_fields!(
    ClusterParameterGroupFields,
    "db_cluster_parameter_group_name"
);

/// DB cluster parameter groups.
pub struct ClusterGroups;

impl Flavor for ClusterGroups {
    const KIND: &'static str = "aws.rds.cluster_parameter_group";
    const DESCRIPTION: &'static str =
        "A DB cluster parameter group (engine settings of Aurora clusters).";
    const ARN: ArnShape = ArnShape::rest("rds", "cluster-pg:");
    const API: Api = Api::Cluster;
    type Fields = ClusterParameterGroupFields;
}

/// The `aws.rds.cluster_parameter_group` kind.
pub type ClusterParameterGroupKind = ParameterGroupKind<ClusterGroups>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::schema_of;

    #[test]
    fn names_its_group_field() {
        let s = schema_of::<ClusterParameterGroupKind>();
        assert_eq!(s.kind, "aws.rds.cluster_parameter_group");
        assert!(s.field("db_cluster_parameter_group_name").is_some());
        assert_eq!(s.fields.len(), 6);
    }
}
