//! The DBInstance API shared by `aws.rds.cluster_instance` (an instance of
//! an Aurora cluster) and `aws.rds.db_instance` (a standalone instance):
//! both are described, created, modified and deleted by the same calls, so
//! one provider serves both, each kind bringing its own schema
//! ([`super::cluster_instance::schema`], [`super::db_instance::schema`]).
//! Fields a kind's schema does not have are never sent nor observed.
//!
//! The instance identifier is its id (RDS stores it lower case).
//!
//! Observe cost: one DescribeDBInstances per 100 ids (filter
//! `db-instance-id`, paged with `Marker`); tags come from its `TagList`.

use super::common::{
    CONCURRENCY, align_version, classify_version, create_tags, describe_filtered, final_snapshot,
    ignore_gone, kms_fields, lower_fields, observed_tags, opt_i32, owned, rds_err, readiness_of,
    retain_schema, settings_from_tags, sync_tags,
};
use crate::attrs::attrs;
use crate::attrs::{
    bool_or_null, int_or_null, opt_bool, opt_str, req_str, str_list, str_or_null, str_set,
};
use crate::clients::AwsClients;
use crate::normalize::normalize_common;
use crate::paging::collect_pages;
use crate::tags;
use async_trait::async_trait;
use aws_sdk_rds::Client;
use aws_sdk_rds::types::{DbInstance, Filter};
use forge_core::{Attrs, KindSchema, Value};
use forge_engine::Owner;
use forge_engine::{
    Created, FieldChange, ObserveCtx, PlannedChange, Provider, ProviderError, Readiness,
    ResourceCtx,
};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Which kind of instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// An instance of an Aurora cluster: its data lives in the cluster.
    ClusterMember,
    /// A standalone instance with its own storage.
    Standalone,
}

impl Flavor {
    /// Forge-only settings recorded as `forge:` tags.
    fn settings(self) -> &'static [&'static str] {
        match self {
            Flavor::ClusterMember => &["apply_immediately"],
            Flavor::Standalone => super::cluster::SETTINGS,
        }
    }
}

/// The provider of both instance kinds.
pub struct InstanceProvider {
    clients: Arc<AwsClients>,
    flavor: Flavor,
    schema: KindSchema,
}

impl InstanceProvider {
    /// The provider of `flavor` with its kind's `schema`.
    pub fn new(clients: Arc<AwsClients>, flavor: Flavor, schema: KindSchema) -> Self {
        InstanceProvider {
            clients,
            flavor,
            schema,
        }
    }

    async fn client(&self, region: &str) -> Result<Client, ProviderError> {
        self.clients.client(region, Client::new).await
    }

    fn normalize_attrs(&self, mut a: Attrs) -> Attrs {
        lower_fields(
            &mut a,
            &[
                "db_instance_identifier",
                "db_cluster_identifier",
                "db_subnet_group_name",
                "db_parameter_group_name",
            ],
        );
        kms_fields(&mut a, &["kms_key_id", "performance_insights_kms_key_id"]);
        crate::attrs::normalize_set(&mut a, "vpc_security_group_ids");
        normalize_common(&self.schema, &mut a);
        a
    }

    fn instance_attrs(&self, i: &DbInstance) -> Attrs {
        let encrypted = i.storage_encrypted().unwrap_or(false);
        let pi = i.performance_insights_enabled().unwrap_or(false);
        let mut a = attrs([
            ("id", str_or_null(i.db_instance_identifier())),
            (
                "db_instance_identifier",
                str_or_null(i.db_instance_identifier()),
            ),
            (
                "db_cluster_identifier",
                str_or_null(i.db_cluster_identifier()),
            ),
            ("db_instance_class", str_or_null(i.db_instance_class())),
            ("engine", str_or_null(i.engine())),
            ("engine_version", str_or_null(i.engine_version())),
            ("promotion_tier", int_or_null(i.promotion_tier())),
            ("publicly_accessible", bool_or_null(i.publicly_accessible())),
            ("performance_insights_enabled", Value::Bool(pi)),
            (
                "performance_insights_kms_key_id",
                if pi {
                    str_or_null(i.performance_insights_kms_key_id())
                } else {
                    Value::Null
                },
            ),
            (
                "performance_insights_retention_period",
                if pi {
                    int_or_null(i.performance_insights_retention_period())
                } else {
                    Value::Null
                },
            ),
            (
                "monitoring_interval",
                Value::int(i64::from(i.monitoring_interval().unwrap_or(0))),
            ),
            ("monitoring_role_arn", str_or_null(i.monitoring_role_arn())),
            ("availability_zone", str_or_null(i.availability_zone())),
            (
                "db_parameter_group_name",
                str_or_null(
                    i.db_parameter_groups()
                        .first()
                        .and_then(|g| g.db_parameter_group_name()),
                ),
            ),
            (
                "auto_minor_version_upgrade",
                bool_or_null(i.auto_minor_version_upgrade()),
            ),
            ("allocated_storage", int_or_null(i.allocated_storage())),
            (
                "max_allocated_storage",
                int_or_null(i.max_allocated_storage()),
            ),
            ("storage_type", str_or_null(i.storage_type())),
            ("multi_az", bool_or_null(i.multi_az())),
            (
                "db_subnet_group_name",
                str_or_null(i.db_subnet_group().and_then(|g| g.db_subnet_group_name())),
            ),
            (
                "vpc_security_group_ids",
                str_set(
                    i.vpc_security_groups()
                        .iter()
                        .filter_map(|g| g.vpc_security_group_id()),
                ),
            ),
            ("storage_encrypted", Value::Bool(encrypted)),
            (
                "kms_key_id",
                if encrypted {
                    str_or_null(i.kms_key_id())
                } else {
                    Value::Null
                },
            ),
            ("master_username", str_or_null(i.master_username())),
            (
                "manage_master_user_password",
                Value::Bool(i.master_user_secret().is_some()),
            ),
            ("db_name", str_or_null(i.db_name())),
            (
                "backup_retention_period",
                int_or_null(i.backup_retention_period()),
            ),
            ("deletion_protection", bool_or_null(i.deletion_protection())),
            ("skip_final_snapshot", Value::Bool(false)),
            ("apply_immediately", Value::Bool(false)),
            ("tags", observed_tags(i.tag_list())),
            ("arn", str_or_null(i.db_instance_arn())),
            (
                "endpoint",
                str_or_null(i.endpoint().and_then(|e| e.address())),
            ),
            ("dbi_resource_id", str_or_null(i.dbi_resource_id())),
            (
                "master_user_secret_arn",
                str_or_null(i.master_user_secret().and_then(|s| s.secret_arn())),
            ),
            ("status", str_or_null(i.db_instance_status())),
        ]);
        a.extend(settings_from_tags(i.tag_list(), self.flavor.settings()));
        retain_schema(&self.schema, &mut a);
        self.normalize_attrs(a)
    }

    async fn observe_instances(
        &self,
        client: &Client,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let found =
            describe_filtered(ids, "db-instance-id", |f, m| describe_page(client, f, m)).await?;
        let mut out = BTreeMap::new();
        for i in &found {
            let Some(name) = i.db_instance_identifier() else {
                continue;
            };
            for id in ids.iter().filter(|x| x.eq_ignore_ascii_case(name)) {
                out.insert(id.clone(), self.instance_attrs(i));
            }
        }
        Ok(out)
    }

    async fn observe_one(&self, client: &Client, id: &str) -> Result<Attrs, ProviderError> {
        crate::attrs::observed(
            self.observe_instances(client, &[id.to_string()]).await?,
            id,
            "DB instance",
        )
    }

    async fn owned_instances(
        &self,
        client: &Client,
        owner: &Owner,
        address: Option<&str>,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let all = collect_pages(|m| describe_page(client, None, m)).await?;
        // Each kind lists only its own instances.
        let mine: Vec<DbInstance> = all
            .into_iter()
            .filter(|i| {
                (self.flavor == Flavor::ClusterMember) == i.db_cluster_identifier().is_some()
            })
            .collect();
        Ok(owned(
            &mine,
            owner,
            address,
            |i| i.db_instance_identifier(),
            |i| i.tag_list(),
        ))
    }
}

async fn describe_page(
    client: &Client,
    filter: Option<Filter>,
    marker: Option<String>,
) -> Result<(Vec<DbInstance>, Option<String>), ProviderError> {
    let out = client
        .describe_db_instances()
        .set_filters(filter.map(|f| vec![f]))
        .set_marker(marker)
        .send()
        .await
        .map_err(rds_err)?;
    Ok((
        out.db_instances().to_vec(),
        out.marker().map(str::to_string),
    ))
}

fn changed(changes: &[FieldChange], field: &str) -> bool {
    changes.iter().any(|c| c.path == field)
}

/// Whether `changes` need a ModifyDBInstance call (tags and forge settings
/// do not).
fn needs_modify(changes: &[FieldChange], settings: &[&str]) -> bool {
    changes.iter().any(|c| {
        let top = c.path.split('.').next().unwrap_or("");
        top != "tags" && !settings.contains(&top)
    })
}

fn opt_string(a: &Attrs, f: &str) -> Option<String> {
    opt_str(a, f).map(str::to_string)
}

#[async_trait]
impl Provider for InstanceProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(CONCURRENCY)
    }

    /// A standalone instance holds its data. A cluster's instance does
    /// not: the data lives in the cluster volume, and a replaced or deleted
    /// instance loses none (deleting the last one only leaves the cluster
    /// without an endpoint to serve it until another is added).
    fn holds_data(&self) -> bool {
        self.flavor == Flavor::Standalone
    }

    fn await_deletion(&self) -> bool {
        true
    }

    fn poll_interval(&self) -> Duration {
        super::common::POLL_INTERVAL
    }

    fn ready_timeout(&self) -> Duration {
        super::common::READY_TIMEOUT
    }

    fn readiness(&self, observed: &Attrs) -> Readiness {
        readiness_of(observed)
    }

    fn classify_change(&self, path: &str, recorded: &Value, live: &Value) -> Option<String> {
        classify_version(path, recorded, live)
    }

    fn normalize(&self, attrs: Attrs) -> Attrs {
        self.normalize_attrs(attrs)
    }

    fn plan(&self, prior: Option<&Attrs>, desired: &Attrs) -> PlannedChange {
        let mut desired = desired.clone();
        align_version(prior, &mut desired);
        forge_engine::diff::schema_plan(&self.schema, prior, &desired)
    }

    async fn observe(
        &self,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let client = self.client(&ctx.region).await?;
        self.observe_instances(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        d: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.client(&ctx.region).await?;
        let id = req_str(d, "db_instance_identifier")?.to_lowercase();
        let manage = opt_bool(d, "manage_master_user_password").filter(|m| *m);
        let sgs = str_list(d, "vpc_security_group_ids");
        let monitoring = opt_i32(d, "monitoring_interval")?.filter(|m| *m > 0);
        client
            .create_db_instance()
            .db_instance_identifier(&id)
            .db_instance_class(req_str(d, "db_instance_class")?)
            .engine(req_str(d, "engine")?)
            .set_engine_version(opt_string(d, "engine_version"))
            .set_db_cluster_identifier(opt_string(d, "db_cluster_identifier"))
            .set_promotion_tier(opt_i32(d, "promotion_tier")?)
            .set_publicly_accessible(opt_bool(d, "publicly_accessible"))
            .set_enable_performance_insights(opt_bool(d, "performance_insights_enabled"))
            .set_performance_insights_kms_key_id(opt_string(d, "performance_insights_kms_key_id"))
            .set_performance_insights_retention_period(opt_i32(
                d,
                "performance_insights_retention_period",
            )?)
            .set_monitoring_interval(monitoring)
            .set_monitoring_role_arn(monitoring.and(opt_string(d, "monitoring_role_arn")))
            .set_availability_zone(opt_string(d, "availability_zone"))
            .set_db_parameter_group_name(opt_string(d, "db_parameter_group_name"))
            .set_auto_minor_version_upgrade(opt_bool(d, "auto_minor_version_upgrade"))
            .set_allocated_storage(opt_i32(d, "allocated_storage")?)
            .set_max_allocated_storage(opt_i32(d, "max_allocated_storage")?)
            .set_storage_type(opt_string(d, "storage_type"))
            .set_multi_az(opt_bool(d, "multi_az"))
            .set_db_subnet_group_name(opt_string(d, "db_subnet_group_name"))
            .set_vpc_security_group_ids((!sgs.is_empty()).then_some(sgs))
            .set_storage_encrypted(opt_bool(d, "storage_encrypted"))
            .set_kms_key_id(opt_string(d, "kms_key_id"))
            .set_master_username(opt_string(d, "master_username"))
            .set_master_user_password(if manage.is_some() {
                None
            } else {
                opt_string(d, "master_user_password")
            })
            .set_manage_master_user_password(manage)
            .set_db_name(opt_string(d, "db_name"))
            .set_backup_retention_period(opt_i32(d, "backup_retention_period")?)
            .set_deletion_protection(opt_bool(d, "deletion_protection"))
            .set_tags(Some(create_tags(
                d,
                &ctx.system_tags,
                self.flavor.settings(),
            )))
            .send()
            .await
            .map_err(rds_err)?;
        Ok(Created {
            attrs: self.observe_one(&client, &id).await?,
            id,
        })
    }

    async fn update(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Attrs,
        d: &Attrs,
        changes: &[FieldChange],
    ) -> Result<Attrs, ProviderError> {
        let client = self.client(&ctx.region).await?;
        let settings = self.flavor.settings();
        if needs_modify(changes, settings) {
            let pick_str = |f: &str| changed(changes, f).then(|| opt_string(d, f)).flatten();
            let pick_bool = |f: &str| changed(changes, f).then(|| opt_bool(d, f)).flatten();
            let pick_i32 = |f: &str| -> Result<Option<i32>, ProviderError> {
                if changed(changes, f) {
                    opt_i32(d, f)
                } else {
                    Ok(None)
                }
            };
            let version = pick_str("engine_version");
            let major_upgrade = match (&version, opt_str(prior, "engine_version")) {
                (Some(v), Some(p)) => v.split('.').next() != p.split('.').next(),
                _ => false,
            };
            let monitoring_changed =
                changed(changes, "monitoring_interval") || changed(changes, "monitoring_role_arn");
            let password = if changed(changes, "master_user_password")
                && opt_bool(d, "manage_master_user_password") != Some(true)
            {
                opt_string(d, "master_user_password")
            } else {
                None
            };
            let pi_changed = [
                "performance_insights_enabled",
                "performance_insights_kms_key_id",
                "performance_insights_retention_period",
            ]
            .iter()
            .any(|f| changed(changes, f));
            client
                .modify_db_instance()
                .db_instance_identifier(id)
                .apply_immediately(opt_bool(d, "apply_immediately").unwrap_or(false))
                .set_db_instance_class(pick_str("db_instance_class"))
                .set_engine_version(version)
                .set_allow_major_version_upgrade(major_upgrade.then_some(true))
                .set_promotion_tier(pick_i32("promotion_tier")?)
                .set_publicly_accessible(pick_bool("publicly_accessible"))
                .set_enable_performance_insights(
                    pi_changed
                        .then(|| opt_bool(d, "performance_insights_enabled").unwrap_or(false)),
                )
                .set_performance_insights_kms_key_id(pick_str("performance_insights_kms_key_id"))
                .set_performance_insights_retention_period(pick_i32(
                    "performance_insights_retention_period",
                )?)
                .set_monitoring_interval(if monitoring_changed {
                    Some(opt_i32(d, "monitoring_interval")?.unwrap_or(0))
                } else {
                    None
                })
                .set_monitoring_role_arn(if monitoring_changed {
                    opt_string(d, "monitoring_role_arn")
                } else {
                    None
                })
                .set_db_parameter_group_name(pick_str("db_parameter_group_name"))
                .set_auto_minor_version_upgrade(pick_bool("auto_minor_version_upgrade"))
                .set_allocated_storage(pick_i32("allocated_storage")?)
                .set_max_allocated_storage(pick_i32("max_allocated_storage")?)
                .set_storage_type(pick_str("storage_type"))
                .set_multi_az(pick_bool("multi_az"))
                .set_vpc_security_group_ids(
                    changed(changes, "vpc_security_group_ids")
                        .then(|| str_list(d, "vpc_security_group_ids")),
                )
                .set_master_user_password(password)
                .set_manage_master_user_password(pick_bool("manage_master_user_password"))
                .set_backup_retention_period(pick_i32("backup_retention_period")?)
                .set_deletion_protection(pick_bool("deletion_protection"))
                .send()
                .await
                .map_err(rds_err)?;
        }
        if let Some(arn) = opt_str(prior, "arn") {
            sync_tags(&client, arn, prior, d, settings).await?;
        }
        self.observe_one(&client, id).await
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.client(&ctx.region).await?;
        // A cluster's instance has no storage of its own to snapshot (RDS
        // refuses a final snapshot for it); the cluster takes one.
        let snapshot = match self.flavor {
            Flavor::ClusterMember => None,
            Flavor::Standalone => final_snapshot(prior, id, chrono::Utc::now()),
        };
        ignore_gone(
            client
                .delete_db_instance()
                .db_instance_identifier(id)
                .skip_final_snapshot(snapshot.is_none())
                .set_final_db_snapshot_identifier(snapshot)
                .send()
                .await
                .map(|_| ())
                .map_err(rds_err),
        )
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = &self.client(&ctx.region).await?;
        let ids = self
            .owned_instances(client, &ctx.owner, Some(&ctx.address.to_string()))
            .await?;
        tags::adopt_owned(ctx, ids, |id| async move {
            self.observe_instances(client, std::slice::from_ref(&id))
                .await
        })
        .await
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.client(&ctx.region).await?;
        self.owned_instances(&client, &ctx.owner, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_rds::types::{DbParameterGroupStatus, Tag};
    use forge_engine::PlannedAction;

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
    fn a_cluster_member_shows_only_its_schema_and_plans_no_op() {
        let p = super::super::cluster_instance::provider(Arc::new(AwsClients::new(
            crate::AwsSettings::default(),
        )));
        let prior = p.instance_attrs(&member());
        assert!(!prior.contains_key("allocated_storage"));
        assert_eq!(prior["apply_immediately"], Value::Bool(true));
        let mut want = Value::from_json(&serde_json::json!({
            "db_instance_identifier": "app-1", "db_cluster_identifier": "app",
            "db_instance_class": "db.r6g.large", "apply_immediately": true
        }))
        .as_map()
        .cloned()
        .unwrap();
        forge_engine::diff::fill_defaults(p.schema(), &mut want);
        let want = p.normalize(want);
        let plan = p.plan(Some(&prior), &want);
        assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
        assert!(!p.holds_data());
        assert!(p.await_deletion());
        let mut bigger = want.clone();
        bigger.insert("db_instance_class".into(), Value::from("db.r6g.xlarge"));
        let plan = p.plan(Some(&prior), &bigger);
        assert_eq!(plan.action, PlannedAction::Update);
        assert!(needs_modify(
            &plan.changes,
            Flavor::ClusterMember.settings()
        ));
    }
}
