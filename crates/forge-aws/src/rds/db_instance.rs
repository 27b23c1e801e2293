//! `aws.rds.db_instance`: a standalone (non-Aurora) DB instance, e.g.
//! PostgreSQL, with its own storage.
//!
//! It holds data (`holds_data()`), refuses deletion while
//! `deletion_protection` is on, and on destroy takes a final snapshot
//! unless `skip_final_snapshot` (forge-only settings recorded as `forge:`
//! tags, like the cluster's). The calls are shared with
//! `aws.rds.cluster_instance` in [`super::instance`].

use super::instance::{Flavor, InstanceProvider};
use crate::clients::AwsClients;
use crate::tags::tags_field;
use forge_core::{FieldSchema as F, FieldType as T, KindSchema};
use std::sync::Arc;

/// The schema of `aws.rds.db_instance`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.rds.db_instance",
        "A standalone RDS DB instance (PostgreSQL, MySQL, ...).",
        [
            ("db_instance_identifier", F::required(T::String).force_new().describe("The instance's identifier (stored lower case).")),
            ("db_instance_class", F::required(T::String).describe("Instance class, e.g. db.t4g.micro.")),
            ("engine", F::optional(T::String).force_new().default("postgres").describe("The engine: postgres, mysql, ...")),
            ("engine_version", F::optional_computed(T::String).describe("Engine version; `16` or `16.4` pins a prefix and accepts AWS's minor versions.")),
            ("allocated_storage", F::required(T::Number).describe("Storage in GiB (can only grow).")),
            ("max_allocated_storage", F::optional(T::Number).describe("Storage autoscaling limit in GiB.")),
            ("storage_type", F::optional_computed(T::String).describe("gp3, gp2, io1, io2 ...")),
            ("multi_az", F::optional(T::Bool).default(false).describe("Keep a synchronous standby in another Availability Zone.")),
            ("db_subnet_group_name", F::optional_computed(T::String).force_new().describe("The DB subnet group.")),
            ("vpc_security_group_ids", F::optional_computed(T::list(T::String)).describe("Security groups of the instance.")),
            ("storage_encrypted", F::optional(T::Bool).force_new().default(false).describe("Encrypt the storage.")),
            ("kms_key_id", F::optional_computed(T::String).force_new().describe("KMS key (id or ARN) for the storage encryption.")),
            ("master_username", F::optional_computed(T::String).force_new().describe("The master user.")),
            ("master_user_password", F::optional(T::String).sensitive().describe("The master password; never read back, stored in state as a hash.")),
            ("manage_master_user_password", F::optional(T::Bool).default(false).describe("Let RDS keep the master password in Secrets Manager.")),
            ("db_name", F::optional(T::String).force_new().describe("The database created with the instance.")),
            ("backup_retention_period", F::optional(T::Number).default(1).describe("Days of automated backups (0-35; 0 turns backups off).")),
            ("deletion_protection", F::optional(T::Bool).default(false).describe("Refuse deletion while true.")),
            ("publicly_accessible", F::optional(T::Bool).default(false).describe("Give the instance a public address.")),
            ("performance_insights_enabled", F::optional(T::Bool).default(false).describe("Turn on Performance Insights.")),
            ("performance_insights_kms_key_id", F::optional_computed(T::String).describe("KMS key of Performance Insights data.")),
            ("performance_insights_retention_period", F::optional_computed(T::Number).describe("Days of Performance Insights data.")),
            ("monitoring_interval", F::optional(T::Number).default(0).describe("Enhanced Monitoring interval in seconds (0 = off).")),
            ("monitoring_role_arn", F::optional(T::String).describe("IAM role Enhanced Monitoring publishes with.")),
            ("availability_zone", F::optional_computed(T::String).force_new().describe("The instance's Availability Zone (not with multi_az).")),
            ("db_parameter_group_name", F::optional_computed(T::String).describe("The DB parameter group.")),
            ("auto_minor_version_upgrade", F::optional(T::Bool).default(true).describe("Let AWS apply minor engine upgrades in the maintenance window.")),
            ("skip_final_snapshot", F::optional(T::Bool).default(false).describe("forge: delete without a final snapshot.")),
            ("final_snapshot_identifier", F::optional(T::String).describe("forge: name of the final snapshot (default <id>-final-<UTC timestamp>).")),
            ("apply_immediately", F::optional(T::Bool).default(false).describe("forge: apply modifications now instead of in the next maintenance window.")),
            ("tags", tags_field()),
            ("arn", F::computed(T::String).describe("The instance's ARN.")),
            ("endpoint", F::computed(T::String).describe("The instance's endpoint address.")),
            ("dbi_resource_id", F::computed(T::String).describe("The instance's region-unique immutable id.")),
            ("master_user_secret_arn", F::computed(T::String).describe("The Secrets Manager secret of a managed master password.")),
            ("status", F::computed(T::String).describe("The instance's status.")),
        ],
    )
}

/// The `aws.rds.db_instance` provider.
pub fn provider(clients: Arc<AwsClients>) -> InstanceProvider {
    InstanceProvider::new(clients, Flavor::Standalone, schema())
}

#[cfg(test)]
mod tests {
    use super::*;
    use forge_core::{Attrs, Value};
    use forge_engine::{PlannedAction, Provider};

    #[test]
    fn standalone_instances_hold_data_and_replace_on_encryption_changes() {
        let p = provider(Arc::new(AwsClients::new(crate::AwsSettings::default())));
        assert!(p.holds_data());
        let spec = |v: serde_json::Value| {
            let mut a: Attrs = Value::from_json(&v).as_map().cloned().unwrap();
            forge_engine::diff::fill_defaults(p.schema(), &mut a);
            p.normalize(a)
        };
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
