//! `aws.rds.cluster_parameter_group`: engine parameters shared by every
//! instance of an Aurora cluster (family e.g. `aurora-postgresql16`).
//!
//! Everything but the name field and the RDS calls is shared with
//! `aws.rds.db_parameter_group` in [`super::parameters`] (user-only
//! comparison, observe cost).

super::parameters::group_kind!(
    ClusterGroups,
    ClusterParameterGroupFields,
    ClusterParameterGroupKind,
    "db_cluster_parameter_group_name",
    "aws.rds.cluster_parameter_group",
    "A DB cluster parameter group (engine settings of Aurora clusters).",
    "cluster-pg:",
    Cluster
);
