//! ElastiCache's pending modifications: what a ModifyReplicationGroup
//! without `apply_immediately` left for the next maintenance window. AWS
//! describes them in two places: node settings (node type, engine version)
//! under each member cache cluster's `PendingModifiedValues`, group
//! settings (automatic failover, in-transit encryption) under the group's
//! `ReplicationGroupPendingModifiedValues`. Both are read into the kind's
//! computed `pending_modified_values`, keyed by its field names, so the
//! plan shows them as pending instead of planning them again (see
//! `forge_engine::deferred`).

use crate::pending::{flag, lower, map, text};
use aws_sdk_elasticache::types::{
    PendingAutomaticFailoverStatus, PendingModifiedValues, ReplicationGroupPendingModifiedValues,
};
use forge_core::Value;
use std::collections::BTreeMap;

/// A replication group's pending values: the group's own and those of the
/// member cluster read as the reference (members share node settings).
pub fn replication_group(
    group: Option<&ReplicationGroupPendingModifiedValues>,
    member: Option<&PendingModifiedValues>,
) -> Option<BTreeMap<String, Value>> {
    let failover = group
        .and_then(ReplicationGroupPendingModifiedValues::automatic_failover_status)
        .map(|s| Value::Bool(*s == PendingAutomaticFailoverStatus::Enabled));
    let mode = group
        .and_then(ReplicationGroupPendingModifiedValues::transit_encryption_mode)
        .map(|m| m.as_str());
    // Both levels may carry the in-transit encryption settings.
    let transit = group
        .and_then(ReplicationGroupPendingModifiedValues::transit_encryption_enabled)
        .or_else(|| member.and_then(PendingModifiedValues::transit_encryption_enabled));
    let mode = mode.or_else(|| {
        member
            .and_then(PendingModifiedValues::transit_encryption_mode)
            .map(|m| m.as_str())
    });
    map(vec![
        ("node_type", text(member.and_then(|m| m.cache_node_type()))),
        (
            "engine_version",
            text(member.and_then(|m| m.engine_version())),
        ),
        ("automatic_failover_enabled", failover),
        ("transit_encryption_enabled", flag(transit)),
        ("transit_encryption_mode", lower(mode)),
    ])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use aws_sdk_elasticache::types::TransitEncryptionMode;

    #[test]
    fn node_and_group_values_are_keyed_by_field_name() {
        let member = PendingModifiedValues::builder()
            .cache_node_type("cache.t4g.medium")
            .engine_version("7.2.0")
            .build();
        let group = ReplicationGroupPendingModifiedValues::builder()
            .automatic_failover_status(PendingAutomaticFailoverStatus::Enabled)
            .transit_encryption_enabled(true)
            .transit_encryption_mode(TransitEncryptionMode::Required)
            .build();
        let m = replication_group(Some(&group), Some(&member)).unwrap();
        assert_eq!(m["node_type"], Value::from("cache.t4g.medium"));
        assert_eq!(m["engine_version"], Value::from("7.2.0"));
        assert_eq!(m["automatic_failover_enabled"], Value::Bool(true));
        assert_eq!(m["transit_encryption_enabled"], Value::Bool(true));
        assert_eq!(m["transit_encryption_mode"], Value::from("required"));
        assert_eq!(m.len(), 5);
    }

    #[test]
    fn nothing_pending_is_none() {
        assert_eq!(replication_group(None, None), None);
        let empty = PendingModifiedValues::builder().build();
        let group = ReplicationGroupPendingModifiedValues::builder().build();
        assert_eq!(replication_group(Some(&group), Some(&empty)), None);
    }
}
