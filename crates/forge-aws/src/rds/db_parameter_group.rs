//! `aws.rds.db_parameter_group`: engine parameters of DB instances (a
//! standalone PostgreSQL instance, family e.g. `postgres16`, or the
//! instances of an Aurora cluster, family e.g. `aurora-postgresql16`).
//!
//! Everything but the name field and the RDS calls is shared with
//! `aws.rds.cluster_parameter_group` in [`super::parameters`] (user-only
//! comparison, observe cost).

super::parameters::group_kind!(
    DbGroups,
    DbParameterGroupFields,
    DbParameterGroupKind,
    "db_parameter_group_name",
    "aws.rds.db_parameter_group",
    "A DB parameter group (engine settings of DB instances).",
    "pg:",
    Instance
);
