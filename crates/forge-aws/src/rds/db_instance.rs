//! `aws.rds.db_instance`: a standalone (non-Aurora) DB instance, e.g.
//! PostgreSQL, with its own storage.
//!
//! It holds data (`holds_data()`), refuses deletion while
//! `deletion_protection` is on, and on destroy takes a final snapshot
//! unless `skip_final_snapshot` (forge-only settings recorded as `forge:`
//! tags, like the cluster's). The calls (and the observe cost) are shared
//! with `aws.rds.cluster_instance` in [`super::instance`].

use super::instance::{Flavor, InstanceKind, instance_fields};
use crate::kind::Computed;
use forge_core::Value;
use forge_core::fields::Secret;
use forge_core::fields::Tags;
use forge_derive::Fields;
use std::collections::BTreeMap;

instance_fields! {
    /// The fields of `aws.rds.db_instance`.
    #[derive(Debug, Clone, Default, Fields)]
    pub struct DbInstanceFields {
        /// The instance's identifier (stored lower case).
        #[field(force_new, normalize = crate::normalize::lower_value)]
        pub db_instance_identifier: String,
        /// Instance class, e.g. db.t4g.micro.
        pub db_instance_class: String,
        /// The engine: postgres, mysql, ...
        #[field(force_new, default = "postgres")]
        pub engine: Option<String>,
        /// Engine version; `16` or `16.4` pins a prefix and accepts AWS's minor versions.
        #[field(optional_computed)]
        pub engine_version: Option<String>,
        /// Storage in GiB (can only grow).
        pub allocated_storage: i32,
        /// Storage autoscaling limit in GiB.
        pub max_allocated_storage: Option<i32>,
        /// gp3, gp2, io1, io2 ...
        #[field(optional_computed)]
        pub storage_type: Option<String>,
        /// Keep a synchronous standby in another Availability Zone.
        #[field(default = false)]
        pub multi_az: Option<bool>,
        /// The DB subnet group.
        #[field(optional_computed, force_new, normalize = crate::normalize::lower_value)]
        pub db_subnet_group_name: Option<String>,
        /// Security groups of the instance.
        #[field(optional_computed, normalize = crate::attrs::set_value)]
        pub vpc_security_group_ids: Option<Vec<String>>,
        /// Encrypt the storage.
        #[field(force_new, default = false)]
        pub storage_encrypted: Option<bool>,
        /// KMS key (id or ARN) for the storage encryption.
        #[field(optional_computed, force_new, normalize = crate::normalize::kms_key_value)]
        pub kms_key_id: Option<String>,
        /// The master user.
        #[field(optional_computed, force_new)]
        pub master_username: Option<String>,
        /// The master password; never read back, stored in state as a hash.
        #[field(sensitive)]
        pub master_user_password: Secret,
        /// Let RDS keep the master password in Secrets Manager.
        #[field(default = false)]
        pub manage_master_user_password: Option<bool>,
        /// The database created with the instance.
        #[field(force_new)]
        pub db_name: Option<String>,
        /// Days of automated backups (0-35; 0 turns backups off).
        #[field(default = 1)]
        pub backup_retention_period: Option<i32>,
        /// Refuse deletion while true.
        #[field(default = false)]
        pub deletion_protection: Option<bool>,
        /// Give the instance a public address.
        #[field(default = false)]
        pub publicly_accessible: Option<bool>,
        /// Turn on Performance Insights.
        #[field(default = false)]
        pub performance_insights_enabled: Option<bool>,
        /// KMS key of Performance Insights data.
        #[field(optional_computed, normalize = crate::normalize::kms_key_value)]
        pub performance_insights_kms_key_id: Option<String>,
        /// Days of Performance Insights data.
        #[field(optional_computed)]
        pub performance_insights_retention_period: Option<i32>,
        /// Enhanced Monitoring interval in seconds (0 = off).
        #[field(default = 0)]
        pub monitoring_interval: Option<i32>,
        /// IAM role Enhanced Monitoring publishes with.
        pub monitoring_role_arn: Option<String>,
        /// The instance's Availability Zone (not with multi_az).
        #[field(optional_computed, force_new)]
        pub availability_zone: Option<String>,
        /// The DB parameter group.
        #[field(optional_computed, normalize = crate::normalize::lower_value)]
        pub db_parameter_group_name: Option<String>,
        /// Let AWS apply minor engine upgrades in the maintenance window.
        #[field(default = true)]
        pub auto_minor_version_upgrade: Option<bool>,
        /// forge: delete without a final snapshot.
        #[field(local, default = false)]
        pub skip_final_snapshot: Option<bool>,
        /// forge: name of the final snapshot (default <id>-final-<UTC timestamp>).
        #[field(local)]
        pub final_snapshot_identifier: Option<String>,
        /// forge: apply modifications now instead of in the next maintenance window.
        #[field(local, default = false)]
        pub apply_immediately: Option<bool>,
        /// The user's tags (the schema's description is `Tags`'s own).
        pub tags: Tags,
        /// The instance's ARN.
        pub arn: Computed<String>,
        /// The instance's endpoint address.
        pub endpoint: Computed<String>,
        /// The instance's region-unique immutable id.
        pub dbi_resource_id: Computed<String>,
        /// The Secrets Manager secret of a managed master password.
        pub master_user_secret_arn: Computed<String>,
        /// The instance's status.
        pub status: Computed<String>,
        /// Changes AWS holds for the next maintenance window (modified
        /// without `apply_immediately`), by field name.
        pub pending_modified_values: Computed<BTreeMap<String, Value>>,
    }
}

/// A standalone instance.
pub struct Standalone;

impl Flavor for Standalone {
    const KIND: &'static str = "aws.rds.db_instance";
    const DESCRIPTION: &'static str = "A standalone RDS DB instance (PostgreSQL, MySQL, ...).";
    const MEMBER: bool = false;
    type Fields = DbInstanceFields;
}

/// The `aws.rds.db_instance` kind.
pub type DbInstanceKind = InstanceKind<Standalone>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing::{desired, provider};
    use forge_core::Value;
    use forge_engine::{PlannedAction, Provider};

    #[test]
    fn standalone_instances_hold_data_and_replace_on_encryption_changes() {
        let p = provider::<DbInstanceKind>();
        assert!(p.holds_data());
        let spec = desired::<DbInstanceKind>;
        let base = serde_json::json!({"db_instance_identifier": "db", "db_instance_class": "db.t4g.micro", "allocated_storage": 20, "engine_version": "16"});
        let mut prior = spec(base.clone());
        prior.insert("engine_version".into(), Value::from("16.6"));
        prior.insert("deletion_protection".into(), Value::Bool(true));
        assert!(p.deletion_protected(&prior));
        let mut want = base.clone();
        want["deletion_protection"] = true.into();
        assert_eq!(
            p.plan(Some(&prior), &spec(want.clone())).action,
            PlannedAction::NoOp
        );
        want["storage_encrypted"] = true.into();
        assert_eq!(
            p.plan(Some(&prior), &spec(want)).action,
            PlannedAction::Replace
        );
    }
}
