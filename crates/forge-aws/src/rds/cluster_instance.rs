//! `aws.rds.cluster_instance`: a DB instance of an Aurora cluster (the
//! first one created is the writer, the others readers).
//!
//! It holds no data of its own (the cluster volume does), so
//! `holds_data()` is false: replacing it loses nothing, and deleting the
//! last instance leaves the cluster's data intact but unreachable until an
//! instance is added. Deletion is awaited (`await_deletion()`), because a
//! cluster cannot be deleted while it still has instances.
//!
//! The calls (and the observe cost) are shared with `aws.rds.db_instance`
//! in [`super::instance`].

use super::instance::{Flavor, InstanceKind, instance_fields};
use crate::kind::Computed;
use forge_core::Value;
use forge_core::fields::Tags;
use forge_derive::Fields;
use std::collections::BTreeMap;

instance_fields! {
    /// The fields of `aws.rds.cluster_instance`.
    #[derive(Debug, Clone, Default, Fields)]
    pub struct ClusterInstanceFields {
        /// The instance's identifier (stored lower case).
        #[field(force_new, normalize = crate::normalize::lower_value)]
        pub db_instance_identifier: String,
        /// The cluster it belongs to.
        #[field(force_new, normalize = crate::normalize::lower_value)]
        pub db_cluster_identifier: String,
        /// Instance class, e.g. db.r6g.large or db.serverless.
        pub db_instance_class: String,
        /// The cluster's engine.
        #[field(force_new, default = "aurora-postgresql")]
        pub engine: Option<String>,
        /// Failover priority, 0 (first) to 15.
        #[field(default = 1)]
        pub promotion_tier: Option<i32>,
        /// Give the instance a public address.
        #[field(default = false)]
        pub publicly_accessible: Option<bool>,
        /// Turn on Performance Insights.
        #[field(default = false)]
        pub performance_insights_enabled: Option<bool>,
        /// KMS key of Performance Insights data.
        #[field(optional_computed, normalize = crate::normalize::kms_key_value)]
        pub performance_insights_kms_key_id: Option<String>,
        /// Days of Performance Insights data (7, or 31 x months up to 731).
        #[field(optional_computed)]
        pub performance_insights_retention_period: Option<i32>,
        /// Enhanced Monitoring interval in seconds (0 = off; 1, 5, 10, 15, 30, 60).
        #[field(default = 0)]
        pub monitoring_interval: Option<i32>,
        /// IAM role Enhanced Monitoring publishes with.
        pub monitoring_role_arn: Option<String>,
        /// The instance's Availability Zone (RDS picks one when unset).
        #[field(optional_computed, force_new)]
        pub availability_zone: Option<String>,
        /// The instance's DB parameter group.
        #[field(optional_computed, normalize = crate::normalize::lower_value)]
        pub db_parameter_group_name: Option<String>,
        /// Let AWS apply minor engine upgrades in the maintenance window.
        #[field(default = true)]
        pub auto_minor_version_upgrade: Option<bool>,
        /// forge: apply modifications now instead of in the next maintenance window.
        #[field(local, default = false)]
        pub apply_immediately: Option<bool>,
        /// The user's tags (the schema's description is `Tags`'s own).
        pub tags: Tags,
        /// The engine version (the cluster's).
        pub engine_version: Computed<String>,
        /// The instance's ARN.
        pub arn: Computed<String>,
        /// The instance's own endpoint.
        pub endpoint: Computed<String>,
        /// The instance's region-unique immutable id.
        pub dbi_resource_id: Computed<String>,
        /// The instance's status.
        pub status: Computed<String>,
        /// Changes AWS holds for the next maintenance window (modified
        /// without `apply_immediately`), by field name.
        pub pending_modified_values: Computed<BTreeMap<String, Value>>,
    }
}

/// An instance of an Aurora cluster.
pub struct Member;

impl Flavor for Member {
    const KIND: &'static str = "aws.rds.cluster_instance";
    const DESCRIPTION: &'static str = "A DB instance of an Aurora cluster.";
    const MEMBER: bool = true;
    type Fields = ClusterInstanceFields;
}

/// The `aws.rds.cluster_instance` kind.
pub type ClusterInstanceKind = InstanceKind<Member>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing;
    use crate::rds::common::needs_modify;
    use crate::rds::instance::{AsSpec, observed};
    use aws_sdk_rds::types::{DbInstance, DbParameterGroupStatus, Tag};
    use forge_core::Value;
    use forge_core::fields::Fields;
    use forge_engine::{PlannedAction, Provider};

    fn member() -> DbInstance {
        DbInstance::builder()
            .db_instance_identifier("app-1")
            .db_cluster_identifier("app")
            .db_instance_class("db.r6g.large")
            .engine("aurora-postgresql")
            .engine_version("16.6")
            .promotion_tier(1)
            .publicly_accessible(false)
            .performance_insights_enabled(false)
            .monitoring_interval(0)
            .availability_zone("us-east-1a")
            .db_parameter_groups(
                DbParameterGroupStatus::builder()
                    .db_parameter_group_name("default.aurora-postgresql16")
                    .build(),
            )
            .auto_minor_version_upgrade(true)
            .allocated_storage(1)
            .storage_encrypted(true)
            .db_instance_status("available")
            .tag_list(
                Tag::builder()
                    .key("forge:apply_immediately")
                    .value("true")
                    .build(),
            )
            .build()
    }

    #[test]
    fn a_cluster_member_shows_only_its_fields_and_plans_no_op() {
        let p = testing::provider::<ClusterInstanceKind>();
        let f = ClusterInstanceFields::from_spec(&observed(&member()));
        assert_eq!(f.db_cluster_identifier, "app");
        assert_eq!(f.apply_immediately, Some(true));
        let prior = f.to_attrs();
        assert!(!prior.contains_key("allocated_storage"));
        assert_eq!(f.spec().allocated_storage, None, "never sent");
        let want = testing::desired::<ClusterInstanceKind>(serde_json::json!({
            "db_instance_identifier": "App-1", "db_cluster_identifier": "app",
            "db_instance_class": "db.r6g.large", "apply_immediately": true
        }));
        let plan = p.plan(Some(&prior), &want);
        assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
        assert!(!p.holds_data());
        assert!(p.await_deletion());
        let mut bigger = want.clone();
        bigger.insert("db_instance_class".into(), Value::from("db.r6g.xlarge"));
        let plan = p.plan(Some(&prior), &bigger);
        assert_eq!(plan.action, PlannedAction::Update);
        assert!(needs_modify(&plan.changes));
    }
}
