//! RDS's pending modifications: what a Modify without `apply_immediately`
//! left for the next maintenance window, read from `PendingModifiedValues`
//! (instances) and `ClusterPendingModifiedValues` (clusters) into the
//! kinds' computed `pending_modified_values` field, keyed by the kinds'
//! own field names, so the plan shows them as pending instead of planning
//! them again (see `forge_engine::deferred`).

use crate::pending::{flag, int, map, text};
use aws_sdk_rds::types::{ClusterPendingModifiedValues, PendingModifiedValues};
use forge_core::Value;
use std::collections::BTreeMap;

/// An instance's pending values (the settings forge manages).
pub fn instance(p: Option<&PendingModifiedValues>) -> Option<BTreeMap<String, Value>> {
    let p = p?;
    map(vec![
        ("db_instance_class", text(p.db_instance_class())),
        ("engine_version", text(p.engine_version())),
        ("allocated_storage", int(p.allocated_storage())),
        ("backup_retention_period", int(p.backup_retention_period())),
        ("storage_type", text(p.storage_type())),
        ("multi_az", flag(p.multi_az())),
    ])
}

/// A cluster's pending values (the settings forge manages).
pub fn cluster(p: Option<&ClusterPendingModifiedValues>) -> Option<BTreeMap<String, Value>> {
    let p = p?;
    map(vec![
        ("engine_version", text(p.engine_version())),
        ("backup_retention_period", int(p.backup_retention_period())),
        ("allocated_storage", int(p.allocated_storage())),
        ("storage_type", text(p.storage_type())),
    ])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pending_values_are_keyed_by_field_name() {
        let p = PendingModifiedValues::builder()
            .db_instance_class("db.r6g.xlarge")
            .allocated_storage(50)
            .build();
        let m = instance(Some(&p)).unwrap();
        assert_eq!(m["db_instance_class"], Value::from("db.r6g.xlarge"));
        assert_eq!(m["allocated_storage"], Value::from(50i64));
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn nothing_pending_is_none() {
        assert_eq!(instance(None), None);
        assert_eq!(
            instance(Some(&PendingModifiedValues::builder().build())),
            None
        );
        let c = ClusterPendingModifiedValues::builder()
            .engine_version("16.1")
            .build();
        assert_eq!(
            cluster(Some(&c)).unwrap()["engine_version"],
            Value::from("16.1")
        );
    }
}
