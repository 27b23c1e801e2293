//! `aws.rds.cluster_instance`: a DB instance of an Aurora cluster (the
//! first one created is the writer, the others readers).
//!
//! It holds no data of its own (the cluster volume does), so
//! `holds_data()` is false: replacing it loses nothing, and deleting the
//! last instance leaves the cluster's data intact but unreachable until an
//! instance is added. Deletion is awaited (`await_deletion()`), because a
//! cluster cannot be deleted while it still has instances.
//!
//! The calls are shared with `aws.rds.db_instance` in [`super::instance`].

use super::instance::{Flavor, InstanceProvider};
use crate::clients::AwsClients;
use crate::tags::tags_field;
use forge_core::{FieldSchema as F, FieldType as T, KindSchema};
use std::sync::Arc;

/// The schema of `aws.rds.cluster_instance`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.rds.cluster_instance",
        "A DB instance of an Aurora cluster.",
        [
            (
                "db_instance_identifier",
                F::required(T::String)
                    .force_new()
                    .describe("The instance's identifier (stored lower case)."),
            ),
            (
                "db_cluster_identifier",
                F::required(T::String)
                    .force_new()
                    .describe("The cluster it belongs to."),
            ),
            (
                "db_instance_class",
                F::required(T::String)
                    .describe("Instance class, e.g. db.r6g.large or db.serverless."),
            ),
            (
                "engine",
                F::optional(T::String)
                    .force_new()
                    .default("aurora-postgresql")
                    .describe("The cluster's engine."),
            ),
            (
                "promotion_tier",
                F::optional(T::Number)
                    .default(1)
                    .describe("Failover priority, 0 (first) to 15."),
            ),
            (
                "publicly_accessible",
                F::optional(T::Bool)
                    .default(false)
                    .describe("Give the instance a public address."),
            ),
            (
                "performance_insights_enabled",
                F::optional(T::Bool)
                    .default(false)
                    .describe("Turn on Performance Insights."),
            ),
            (
                "performance_insights_kms_key_id",
                F::optional_computed(T::String).describe("KMS key of Performance Insights data."),
            ),
            (
                "performance_insights_retention_period",
                F::optional_computed(T::Number)
                    .describe("Days of Performance Insights data (7, or 31 x months up to 731)."),
            ),
            (
                "monitoring_interval",
                F::optional(T::Number).default(0).describe(
                    "Enhanced Monitoring interval in seconds (0 = off; 1, 5, 10, 15, 30, 60).",
                ),
            ),
            (
                "monitoring_role_arn",
                F::optional(T::String).describe("IAM role Enhanced Monitoring publishes with."),
            ),
            (
                "availability_zone",
                F::optional_computed(T::String)
                    .force_new()
                    .describe("The instance's Availability Zone (RDS picks one when unset)."),
            ),
            (
                "db_parameter_group_name",
                F::optional_computed(T::String).describe("The instance's DB parameter group."),
            ),
            (
                "auto_minor_version_upgrade",
                F::optional(T::Bool)
                    .default(true)
                    .describe("Let AWS apply minor engine upgrades in the maintenance window."),
            ),
            (
                "apply_immediately",
                F::optional(T::Bool).default(false).describe(
                    "forge: apply modifications now instead of in the next maintenance window.",
                ),
            ),
            ("tags", tags_field()),
            (
                "engine_version",
                F::computed(T::String).describe("The engine version (the cluster's)."),
            ),
            (
                "arn",
                F::computed(T::String).describe("The instance's ARN."),
            ),
            (
                "endpoint",
                F::computed(T::String).describe("The instance's own endpoint."),
            ),
            (
                "dbi_resource_id",
                F::computed(T::String).describe("The instance's region-unique immutable id."),
            ),
            (
                "status",
                F::computed(T::String).describe("The instance's status."),
            ),
        ],
    )
}

/// The `aws.rds.cluster_instance` provider.
pub fn provider(clients: Arc<AwsClients>) -> InstanceProvider {
    InstanceProvider::new(clients, Flavor::ClusterMember, schema())
}
