//! `aws.rds.cluster`: an Aurora DB cluster (the storage volume and its
//! settings; instances are `aws.rds.cluster_instance`).
//!
//! The cluster identifier is its id (RDS stores it lower case).
//!
//! Observe cost: one DescribeDBClusters per 100 ids (filter
//! `db-cluster-id`, paged with `Marker`); tags come from its `TagList`.
//!
//! Forge-only settings (`skip_final_snapshot`, `final_snapshot_identifier`,
//! `apply_immediately`) are not RDS properties: forge records them on the
//! cluster as `forge:<name>` tags so refresh and destroy see what the spec
//! said. `master_user_password` is sent, never read back (the engine keeps
//! its hash in state).
//!
//! Cross-region replicas of Aurora PostgreSQL are Aurora global databases
//! (`aws.rds.global_cluster`): the primary and each secondary cluster name
//! the same `global_cluster_identifier`. `replication_source_identifier`
//! (binlog replicas) exists for Aurora MySQL only.

use super::Rds;
use super::common::{
    Settings, by_id, changed, create_tags, describe_filtered, describe_page, kms_key, lower,
    needs_modify, owned, pick, settings_of, sorted, sync_tags_and_settings, text, user_tags,
    version_change, versioned_kind,
};
use crate::error::is_gone;
use crate::kind::prelude::*;
use crate::paging::collect_pages;
use aws_sdk_rds::types::{CloudwatchLogsExportConfiguration, DbCluster};
use forge_core::Value;
use forge_core::fields::Secret;
use std::collections::BTreeMap;

crate::kind::declare_kind!(ClusterKind: "aws.rds.cluster", Rds, ClusterFields,
    "An Aurora DB cluster.");

/// The fields of `aws.rds.cluster`.
#[derive(Debug, Clone, Default, Fields)]
pub struct ClusterFields {
    /// The cluster's identifier (stored lower case).
    #[field(force_new, normalize = crate::normalize::lower_value)]
    pub db_cluster_identifier: String,
    /// aurora-postgresql or aurora-mysql.
    #[field(force_new, default = "aurora-postgresql")]
    pub engine: Option<String>,
    /// Engine version; `16` or `16.4` pins a prefix and accepts AWS's minor versions.
    #[field(optional_computed)]
    pub engine_version: Option<String>,
    /// The Aurora global database this cluster is the primary or a secondary of.
    #[field(force_new, normalize = crate::normalize::lower_value)]
    pub global_cluster_identifier: Option<String>,
    /// ARN of the source cluster of a cross-region binlog replica (Aurora MySQL only).
    #[field(force_new)]
    pub replication_source_identifier: Option<String>,
    /// The master user (not set on a global database's secondary).
    #[field(optional_computed, force_new)]
    pub master_username: Option<String>,
    /// The master password; never read back, stored in state as a hash.
    #[field(sensitive)]
    pub master_user_password: Secret,
    /// Let RDS keep the master password in Secrets Manager.
    #[field(default = false)]
    pub manage_master_user_password: Option<bool>,
    /// The database created with the cluster.
    #[field(force_new)]
    pub database_name: Option<String>,
    /// The port (5432 for PostgreSQL).
    #[field(optional_computed)]
    pub port: Option<i32>,
    /// The DB subnet group.
    #[field(optional_computed, force_new, normalize = crate::normalize::lower_value)]
    pub db_subnet_group_name: Option<String>,
    /// Security groups of the cluster.
    #[field(optional_computed, normalize = crate::attrs::set_value)]
    pub vpc_security_group_ids: Option<Vec<String>>,
    /// Encrypt the storage.
    #[field(force_new, default = false)]
    pub storage_encrypted: Option<bool>,
    /// KMS key (id or ARN) for the storage encryption.
    #[field(optional_computed, force_new, normalize = crate::normalize::kms_key_value)]
    pub kms_key_id: Option<String>,
    /// Days of automated backups (1-35).
    #[field(default = 1)]
    pub backup_retention_period: Option<i32>,
    /// Daily backup window, hh24:mi-hh24:mi UTC.
    #[field(optional_computed)]
    pub preferred_backup_window: Option<String>,
    /// Weekly maintenance window, ddd:hh24:mi-ddd:hh24:mi UTC.
    #[field(optional_computed)]
    pub preferred_maintenance_window: Option<String>,
    /// Refuse deletion while true.
    #[field(default = false)]
    pub deletion_protection: Option<bool>,
    /// Copy the cluster's tags to its snapshots.
    #[field(default = false)]
    pub copy_tags_to_snapshot: Option<bool>,
    /// The cluster parameter group.
    #[field(optional_computed, normalize = crate::normalize::lower_value)]
    pub db_cluster_parameter_group_name: Option<String>,
    /// Log types exported to CloudWatch Logs (postgresql, ...).
    #[field(default = Value::List(Vec::new()), normalize = crate::attrs::set_value)]
    pub enabled_cloudwatch_logs_exports: Option<Vec<String>>,
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
    /// The cluster's ARN.
    pub arn: Computed<String>,
    /// The writer endpoint.
    pub endpoint: Computed<String>,
    /// The reader endpoint.
    pub reader_endpoint: Computed<String>,
    /// The cluster's region-unique immutable id.
    pub db_cluster_resource_id: Computed<String>,
    /// The Secrets Manager secret of a managed master password.
    pub master_user_secret_arn: Computed<String>,
    /// The cluster's status.
    pub status: Computed<String>,
    /// Changes AWS holds for the next maintenance window (modified
    /// without `apply_immediately`), by field name.
    pub pending_modified_values: Computed<BTreeMap<String, Value>>,
}

fn cluster_fields(c: &DbCluster) -> ClusterFields {
    let encrypted = c.storage_encrypted().unwrap_or(false);
    let settings = Settings::from_tags(c.tag_list());
    let sgs = c.vpc_security_groups().iter();
    let logs = c
        .enabled_cloudwatch_logs_exports()
        .iter()
        .map(String::as_str);
    ClusterFields {
        db_cluster_identifier: lower(c.db_cluster_identifier()).unwrap_or_default(),
        engine: text(c.engine()),
        engine_version: text(c.engine_version()),
        global_cluster_identifier: lower(c.global_cluster_identifier()),
        replication_source_identifier: text(c.replication_source_identifier()),
        master_username: text(c.master_username()),
        master_user_password: Secret(None),
        manage_master_user_password: Some(c.master_user_secret().is_some()),
        database_name: text(c.database_name()),
        port: c.port(),
        db_subnet_group_name: lower(c.db_subnet_group()),
        vpc_security_group_ids: Some(sorted(sgs.filter_map(|g| g.vpc_security_group_id()))),
        storage_encrypted: Some(encrypted),
        kms_key_id: kms_key(encrypted, c.kms_key_id()),
        backup_retention_period: c.backup_retention_period(),
        preferred_backup_window: text(c.preferred_backup_window()),
        preferred_maintenance_window: text(c.preferred_maintenance_window()),
        deletion_protection: c.deletion_protection(),
        copy_tags_to_snapshot: c.copy_tags_to_snapshot(),
        db_cluster_parameter_group_name: lower(c.db_cluster_parameter_group()),
        enabled_cloudwatch_logs_exports: Some(sorted(logs)),
        skip_final_snapshot: settings.skip_final_snapshot,
        final_snapshot_identifier: settings.final_snapshot_identifier,
        apply_immediately: settings.apply_immediately,
        tags: user_tags(c.tag_list()),
        arn: text(c.db_cluster_arn()),
        endpoint: text(c.endpoint()),
        reader_endpoint: text(c.reader_endpoint()),
        db_cluster_resource_id: text(c.db_cluster_resource_id()),
        master_user_secret_arn: text(c.master_user_secret().and_then(|s| s.secret_arn())),
        status: text(c.status()),
        pending_modified_values: super::pending::cluster(c.pending_modified_values()),
    }
}

fn logs_config(
    prior: &ClusterFields,
    desired: &ClusterFields,
) -> Option<CloudwatchLogsExportConfiguration> {
    let logs = |f: &ClusterFields| f.enabled_cloudwatch_logs_exports.clone();
    let (p, d) = (logs(prior).unwrap_or_default(), logs(desired));
    let (enable, disable) = crate::attrs::set_diff(&p, &d.unwrap_or_default());
    (!enable.is_empty() || !disable.is_empty()).then(|| {
        CloudwatchLogsExportConfiguration::builder()
            .set_enable_log_types(Some(enable))
            .set_disable_log_types(Some(disable))
            .build()
    })
}

#[async_trait]
impl Kind for ClusterKind {
    const ARNS: &[ArnShape] = &[ArnShape::rest("rds", "cluster:")];

    const HOLDS_DATA: bool = true;

    // A global database member's version follows its global cluster.
    versioned_kind!(
        |f| f.status.as_deref(),
        slow,
        follows = Some("global_cluster_identifier")
    );

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        let page = describe_page!(ctx.client.describe_db_clusters(), db_clusters);
        let found = describe_filtered(ids, "db-cluster-id", page).await?;
        Ok(by_id(
            &found,
            ids,
            |c| c.db_cluster_identifier(),
            cluster_fields,
        ))
    }

    async fn create(ctx: &Act<'_, Self>, d: &Self::Fields, _token: &str) -> Created<Self> {
        let id = d.db_cluster_identifier.to_lowercase();
        let manage = d.manage_master_user_password.unwrap_or(false);
        let some = |v: &Option<Vec<String>>| v.clone().filter(|v| !v.is_empty());
        ctx.client
            .create_db_cluster()
            .db_cluster_identifier(&id)
            .engine(d.engine.as_deref().unwrap_or("aurora-postgresql"))
            .set_engine_version(d.engine_version.clone())
            .set_global_cluster_identifier(d.global_cluster_identifier.clone())
            .set_replication_source_identifier(d.replication_source_identifier.clone())
            .set_master_username(d.master_username.clone())
            .set_master_user_password(d.master_user_password.0.clone().filter(|_| !manage))
            .set_manage_master_user_password(manage.then_some(true))
            .set_database_name(d.database_name.clone())
            .set_port(d.port)
            .set_db_subnet_group_name(d.db_subnet_group_name.clone())
            .set_vpc_security_group_ids(some(&d.vpc_security_group_ids))
            .storage_encrypted(d.storage_encrypted.unwrap_or(false))
            .set_kms_key_id(d.kms_key_id.clone())
            .set_backup_retention_period(d.backup_retention_period)
            .set_preferred_backup_window(d.preferred_backup_window.clone())
            .set_preferred_maintenance_window(d.preferred_maintenance_window.clone())
            .deletion_protection(d.deletion_protection.unwrap_or(false))
            .copy_tags_to_snapshot(d.copy_tags_to_snapshot.unwrap_or(false))
            .set_db_cluster_parameter_group_name(d.db_cluster_parameter_group_name.clone())
            .set_enable_cloudwatch_logs_exports(some(&d.enabled_cloudwatch_logs_exports))
            .set_tags(Some(create_tags(&d.tags, ctx, &settings_of!(d))))
            .send()
            .await
            .map_err(Rds::err)?;
        Self::made(ctx, id).await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update {
            prior,
            desired: d,
            changes,
        } = u;
        if needs_modify(changes) {
            // What the call sends for a field: the desired value when it
            // changed.
            macro_rules! pick {
                ($f:ident) => {
                    pick(&prior.$f, &d.$f)
                };
            }
            let (version, major) = version_change(&prior.engine_version, &d.engine_version);
            let manage = d.manage_master_user_password == Some(true);
            let password = d
                .master_user_password
                .0
                .clone()
                .filter(|_| changed(changes, "master_user_password") && !manage);
            ctx.client
                .modify_db_cluster()
                .db_cluster_identifier(id)
                .apply_immediately(d.apply_immediately.unwrap_or(false))
                .set_engine_version(version)
                .set_allow_major_version_upgrade(major.then_some(true))
                .set_master_user_password(password)
                .set_manage_master_user_password(pick!(manage_master_user_password))
                .set_port(pick!(port))
                .set_vpc_security_group_ids(pick!(vpc_security_group_ids))
                .set_backup_retention_period(pick!(backup_retention_period))
                .set_preferred_backup_window(pick!(preferred_backup_window))
                .set_preferred_maintenance_window(pick!(preferred_maintenance_window))
                .set_deletion_protection(pick!(deletion_protection))
                .set_copy_tags_to_snapshot(pick!(copy_tags_to_snapshot))
                .set_db_cluster_parameter_group_name(pick!(db_cluster_parameter_group_name))
                .set_cloudwatch_logs_export_configuration(logs_config(prior, d))
                .send()
                .await
                .map_err(Rds::err)?;
        }
        if let Some(arn) = &prior.arn {
            let (p, w) = (settings_of!(prior), settings_of!(d));
            sync_tags_and_settings(ctx.client, arn, (&prior.tags, &p), (&d.tags, &w)).await?;
        }
        Self::read_back(ctx, id).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, prior: &Self::Fields) -> Res<()> {
        // A member of a global database must leave it before it can be
        // deleted (the global cluster itself goes last).
        if let (Some(global), Some(arn)) = (&prior.global_cluster_identifier, &prior.arn) {
            match ctx
                .client
                .remove_from_global_cluster()
                .global_cluster_identifier(global)
                .db_cluster_identifier(arn)
                .send()
                .await
                .map_err(Rds::err)
            {
                Ok(_) => {}
                Err(e) if is_gone(&e) => {}
                // Already detached (or never attached): nothing to undo.
                Err(ProviderError::Api { code, .. }) if code == "InvalidParameterValue" => {}
                Err(e) => return Err(e),
            }
        }
        let snapshot = settings_of!(prior).final_snapshot(id, chrono::Utc::now());
        Rds::deleted(
            ctx.client
                .delete_db_cluster()
                .db_cluster_identifier(id)
                .skip_final_snapshot(snapshot.is_none())
                .set_final_db_snapshot_identifier(snapshot)
                .send()
                .await,
        )
    }

    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        let page = describe_page!(ctx.client.describe_db_clusters(), db_clusters);
        let all = collect_pages(|m| page(None, m)).await?;
        let (owner, id) = (&ctx.owner, DbCluster::db_cluster_identifier);
        Ok(owned(&all, owner, address, id, DbCluster::tag_list))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing;
    use aws_sdk_rds::types::{Tag, VpcSecurityGroupMembership};
    use forge_core::Attrs;
    use forge_core::fields::Fields;
    use forge_engine::{PlannedAction, Provider};

    fn live() -> DbCluster {
        DbCluster::builder()
            .db_cluster_identifier("app")
            .engine("aurora-postgresql")
            .engine_version("16.6")
            .master_username("admin")
            .database_name("app")
            .port(5432)
            .db_subnet_group("db")
            .vpc_security_groups(
                VpcSecurityGroupMembership::builder()
                    .vpc_security_group_id("sg-1")
                    .build(),
            )
            .storage_encrypted(true)
            .kms_key_id("arn:aws:kms:us-east-1:123456789012:key/k-1")
            .backup_retention_period(7)
            .preferred_backup_window("03:00-04:00")
            .preferred_maintenance_window("sun:05:00-sun:06:00")
            .deletion_protection(true)
            .copy_tags_to_snapshot(true)
            .db_cluster_parameter_group("pg")
            .db_cluster_arn("arn:aws:rds:us-east-1:123456789012:cluster:app")
            .status("available")
            .tag_list(Tag::builder().key("env").value("dev").build())
            .tag_list(
                Tag::builder()
                    .key("forge:skip_final_snapshot")
                    .value("true")
                    .build(),
            )
            .build()
    }

    fn spec(v: serde_json::Value) -> Attrs {
        let mut a = testing::desired::<ClusterKind>(v);
        forge_engine::diff::mark_sensitive(testing::provider::<ClusterKind>().schema(), &mut a);
        a
    }

    fn base() -> serde_json::Value {
        serde_json::json!({
            "db_cluster_identifier": "App", "engine_version": "16", "master_username": "admin",
            "master_user_password": "hunter22", "database_name": "app", "db_subnet_group_name": "db",
            "vpc_security_group_ids": ["sg-1"], "storage_encrypted": true, "kms_key_id": "k-1",
            "backup_retention_period": 7, "deletion_protection": true, "copy_tags_to_snapshot": true,
            "db_cluster_parameter_group_name": "pg", "skip_final_snapshot": true, "tags": {"env": "dev"}
        })
    }

    /// The live cluster as the engine records it (the password hash kept;
    /// here, the value).
    /// What refresh records: the live cluster, with the state's value of
    /// a forge-only setting the object does not carry (here the default).
    fn prior() -> Attrs {
        let schema = testing::provider::<ClusterKind>().schema().clone();
        let live = cluster_fields(&live()).to_attrs();
        let mut prior =
            forge_engine::refresh::merge_observed(Some(&schema), &Attrs::new(), &live, "app");
        prior.insert(
            "master_user_password".into(),
            Value::from("hunter22").sensitive(),
        );
        prior
    }

    #[test]
    fn observed_cluster_matches_its_spec() {
        let p = testing::provider::<ClusterKind>();
        let f = cluster_fields(&live());
        assert_eq!(f.kms_key_id.as_deref(), Some("k-1"));
        assert_eq!(f.skip_final_snapshot, Some(true));
        // Not carried by the object: refresh keeps the state's value.
        assert_eq!(f.apply_immediately, None);
        assert_eq!(f.master_user_password, Secret(None));
        assert!(p.deletion_protected(&prior()));
        // What a delete gets from the state: the password as its hash.
        let mut recorded = prior();
        let hash = Value::from_json(&serde_json::json!({"sha256": "ab12"}));
        recorded.insert("master_user_password".into(), hash.sensitive());
        let typed = testing::typed::<ClusterKind>(&recorded);
        assert_eq!(typed.master_user_password, Secret(None));
        assert_eq!(
            settings_of!(typed).final_snapshot("app", chrono::Utc::now()),
            None
        );
        let plan = p.plan(Some(&prior()), &spec(base()));
        assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
    }

    #[test]
    fn force_new_and_in_place_fields() {
        let p = testing::provider::<ClusterKind>();
        let mut v = base();
        v["backup_retention_period"] = 14.into();
        let plan = p.plan(Some(&prior()), &spec(v));
        assert_eq!(plan.action, PlannedAction::Update);
        assert!(needs_modify(&plan.changes));
        let mut v = base();
        v["engine_version"] = "16.4".into();
        assert_eq!(
            p.plan(Some(&prior()), &spec(v)).action,
            PlannedAction::Update
        );
        for (field, value) in [
            ("database_name", "other"),
            ("kms_key_id", "k-2"),
            ("master_username", "root"),
        ] {
            let mut v = base();
            v[field] = value.into();
            assert_eq!(
                p.plan(Some(&prior()), &spec(v)).action,
                PlannedAction::Replace,
                "{field}"
            );
        }
        let mut v = base();
        v["apply_immediately"] = true.into();
        let plan = p.plan(Some(&prior()), &spec(v));
        assert_eq!(plan.action, PlannedAction::Update);
        assert!(
            !needs_modify(&plan.changes),
            "a forge setting is only a tag"
        );
    }

    #[test]
    fn a_global_members_version_follows_its_global_cluster() {
        let p = testing::provider::<ClusterKind>();
        // Live on 16.6: the global cluster upgraded it from the pinned 15.4.
        let mut member_prior = prior();
        member_prior.insert("global_cluster_identifier".into(), Value::from("g"));
        let pinned = |version: &str, global: Option<&str>| {
            let mut v = base();
            v["engine_version"] = version.into();
            if let Some(g) = global {
                v["global_cluster_identifier"] = g.into();
            }
            spec(v)
        };
        let plan = p.plan(Some(&member_prior), &pinned("15.4", Some("g")));
        assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
        // A later pin on a member is still an upgrade to make.
        let plan = p.plan(Some(&member_prior), &pinned("16.8", Some("g")));
        assert_eq!(plan.action, PlannedAction::Update, "{:?}", plan.changes);
        // Outside a global database, the old pin is a change.
        let plan = p.plan(Some(&prior()), &pinned("15.4", None));
        assert_eq!(plan.action, PlannedAction::Update, "{:?}", plan.changes);
    }

    #[test]
    fn logs_exports_enable_and_disable() {
        let logs = |l: &[&str]| ClusterFields {
            enabled_cloudwatch_logs_exports: Some(l.iter().map(|s| s.to_string()).collect()),
            ..ClusterFields::default()
        };
        let prior = logs(&["postgresql", "upgrade"]);
        let c = logs_config(&prior, &logs(&["postgresql", "iam-db-auth-error"])).unwrap();
        assert_eq!(c.enable_log_types(), ["iam-db-auth-error"]);
        assert_eq!(c.disable_log_types(), ["upgrade"]);
        assert!(logs_config(&prior, &prior).is_none());
    }
}
