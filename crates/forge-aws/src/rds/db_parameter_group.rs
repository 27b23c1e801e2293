//! `aws.rds.db_parameter_group`: engine parameters of DB instances (a
//! standalone PostgreSQL instance, family e.g. `postgres16`, or the
//! instances of an Aurora cluster, family e.g. `aurora-postgresql16`).
//!
//! Everything but the name field and the RDS calls is shared with
//! `aws.rds.cluster_parameter_group` in [`super::parameters`] (user-only
//! comparison, observe cost).

use super::parameters::{Api, Flavor, ParameterGroupKind, group_fields};
use crate::kind::ArnShape;

group_fields!(DbParameterGroupFields, "db_parameter_group_name");

/// DB parameter groups.
pub struct DbGroups;

impl Flavor for DbGroups {
    const KIND: &'static str = "aws.rds.db_parameter_group";
    const DESCRIPTION: &'static str = "A DB parameter group (engine settings of DB instances).";
    const ARN: ArnShape = ArnShape::rest("rds", "pg:");
    const API: Api = Api::Instance;
    type Fields = DbParameterGroupFields;
}

/// The `aws.rds.db_parameter_group` kind.
pub type DbParameterGroupKind = ParameterGroupKind<DbGroups>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::schema_of;

    #[test]
    fn names_its_group_field() {
        let s = schema_of::<DbParameterGroupKind>();
        assert_eq!(s.kind, "aws.rds.db_parameter_group");
        assert!(s.field("db_parameter_group_name").is_some());
        assert_eq!(s.fields.len(), 6);
    }
}
