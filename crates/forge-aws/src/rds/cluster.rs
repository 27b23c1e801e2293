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

use super::common::{
    CONCURRENCY, align_version, classify_version, create_tags, describe_filtered, final_snapshot,
    ignore_gone, kms_fields, lower_fields, observed_tags, opt_i32, owned, rds_err, readiness_of,
    settings_from_tags, sync_tags,
};
use crate::attrs::attrs;
use crate::attrs::{
    bool_or_null, int_or_null, opt_bool, opt_str, req_str, str_list, str_or_null, str_set,
};
use crate::clients::AwsClients;
use crate::normalize::normalize_common;
use crate::paging::collect_pages;
use crate::tags;
use crate::tags::tags_field;
use async_trait::async_trait;
use aws_sdk_rds::Client;
use aws_sdk_rds::types::{CloudwatchLogsExportConfiguration, DbCluster, Filter};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::Owner;
use forge_engine::{
    Created, FieldChange, ObserveCtx, PlannedChange, Provider, ProviderError, Readiness,
    ResourceCtx,
};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// Forge-only settings recorded as `forge:` tags.
pub const SETTINGS: &[&str] = &[
    "skip_final_snapshot",
    "final_snapshot_identifier",
    "apply_immediately",
];

/// The `aws.rds.cluster` provider.
pub struct ClusterProvider {
    clients: Arc<AwsClients>,
    schema: KindSchema,
}

impl ClusterProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        ClusterProvider {
            clients,
            schema: schema(),
        }
    }

    async fn client(&self, region: &str) -> Result<Client, ProviderError> {
        self.clients.client(region, Client::new).await
    }
}

fn s(f: FieldSchema, d: &'static str) -> FieldSchema {
    f.describe(d)
}

/// The schema of `aws.rds.cluster`.
pub fn schema() -> KindSchema {
    use FieldSchema as F;
    use FieldType as T;
    KindSchema::new(
        "aws.rds.cluster",
        "An Aurora DB cluster.",
        [
            (
                "db_cluster_identifier",
                s(
                    F::required(T::String).force_new(),
                    "The cluster's identifier (stored lower case).",
                ),
            ),
            (
                "engine",
                s(
                    F::optional(T::String)
                        .force_new()
                        .default("aurora-postgresql"),
                    "aurora-postgresql or aurora-mysql.",
                ),
            ),
            (
                "engine_version",
                s(
                    F::optional_computed(T::String),
                    "Engine version; `16` or `16.4` pins a prefix and accepts AWS's minor versions.",
                ),
            ),
            (
                "global_cluster_identifier",
                s(
                    F::optional(T::String).force_new(),
                    "The Aurora global database this cluster is the primary or a secondary of.",
                ),
            ),
            (
                "replication_source_identifier",
                s(
                    F::optional(T::String).force_new(),
                    "ARN of the source cluster of a cross-region binlog replica (Aurora MySQL only).",
                ),
            ),
            (
                "master_username",
                s(
                    F::optional_computed(T::String).force_new(),
                    "The master user (not set on a global database's secondary).",
                ),
            ),
            (
                "master_user_password",
                s(
                    F::optional(T::String).sensitive(),
                    "The master password; never read back, stored in state as a hash.",
                ),
            ),
            (
                "manage_master_user_password",
                s(
                    F::optional(T::Bool).default(false),
                    "Let RDS keep the master password in Secrets Manager.",
                ),
            ),
            (
                "database_name",
                s(
                    F::optional(T::String).force_new(),
                    "The database created with the cluster.",
                ),
            ),
            (
                "port",
                s(
                    F::optional_computed(T::Number),
                    "The port (5432 for PostgreSQL).",
                ),
            ),
            (
                "db_subnet_group_name",
                s(
                    F::optional_computed(T::String).force_new(),
                    "The DB subnet group.",
                ),
            ),
            (
                "vpc_security_group_ids",
                s(
                    F::optional_computed(T::list(T::String)),
                    "Security groups of the cluster.",
                ),
            ),
            (
                "storage_encrypted",
                s(
                    F::optional(T::Bool).force_new().default(false),
                    "Encrypt the storage.",
                ),
            ),
            (
                "kms_key_id",
                s(
                    F::optional_computed(T::String).force_new(),
                    "KMS key (id or ARN) for the storage encryption.",
                ),
            ),
            (
                "backup_retention_period",
                s(
                    F::optional(T::Number).default(1),
                    "Days of automated backups (1-35).",
                ),
            ),
            (
                "preferred_backup_window",
                s(
                    F::optional_computed(T::String),
                    "Daily backup window, hh24:mi-hh24:mi UTC.",
                ),
            ),
            (
                "preferred_maintenance_window",
                s(
                    F::optional_computed(T::String),
                    "Weekly maintenance window, ddd:hh24:mi-ddd:hh24:mi UTC.",
                ),
            ),
            (
                "deletion_protection",
                s(
                    F::optional(T::Bool).default(false),
                    "Refuse deletion while true.",
                ),
            ),
            (
                "copy_tags_to_snapshot",
                s(
                    F::optional(T::Bool).default(false),
                    "Copy the cluster's tags to its snapshots.",
                ),
            ),
            (
                "db_cluster_parameter_group_name",
                s(
                    F::optional_computed(T::String),
                    "The cluster parameter group.",
                ),
            ),
            (
                "enabled_cloudwatch_logs_exports",
                s(
                    F::optional(T::list(T::String)).default(Value::List(Vec::new())),
                    "Log types exported to CloudWatch Logs (postgresql, ...).",
                ),
            ),
            (
                "skip_final_snapshot",
                s(
                    F::optional(T::Bool).default(false),
                    "forge: delete without a final snapshot.",
                ),
            ),
            (
                "final_snapshot_identifier",
                s(
                    F::optional(T::String),
                    "forge: name of the final snapshot (default <id>-final-<UTC timestamp>).",
                ),
            ),
            (
                "apply_immediately",
                s(
                    F::optional(T::Bool).default(false),
                    "forge: apply modifications now instead of in the next maintenance window.",
                ),
            ),
            ("tags", tags_field()),
            ("arn", F::computed(T::String).describe("The cluster's ARN.")),
            (
                "endpoint",
                F::computed(T::String).describe("The writer endpoint."),
            ),
            (
                "reader_endpoint",
                F::computed(T::String).describe("The reader endpoint."),
            ),
            (
                "db_cluster_resource_id",
                F::computed(T::String).describe("The cluster's region-unique immutable id."),
            ),
            (
                "master_user_secret_arn",
                F::computed(T::String)
                    .describe("The Secrets Manager secret of a managed master password."),
            ),
            (
                "status",
                F::computed(T::String).describe("The cluster's status."),
            ),
        ],
    )
}

static SCHEMA: LazyLock<KindSchema> = LazyLock::new(schema);

fn normalize(mut a: Attrs) -> Attrs {
    lower_fields(
        &mut a,
        &[
            "db_cluster_identifier",
            "db_subnet_group_name",
            "db_cluster_parameter_group_name",
            "global_cluster_identifier",
        ],
    );
    kms_fields(&mut a, &["kms_key_id"]);
    crate::attrs::normalize_set(&mut a, "vpc_security_group_ids");
    crate::attrs::normalize_set(&mut a, "enabled_cloudwatch_logs_exports");
    normalize_common(&SCHEMA, &mut a);
    a
}

fn cluster_attrs(c: &DbCluster) -> Attrs {
    let encrypted = c.storage_encrypted().unwrap_or(false);
    let mut a = attrs([
        ("id", str_or_null(c.db_cluster_identifier())),
        (
            "db_cluster_identifier",
            str_or_null(c.db_cluster_identifier()),
        ),
        ("engine", str_or_null(c.engine())),
        ("engine_version", str_or_null(c.engine_version())),
        (
            "global_cluster_identifier",
            str_or_null(c.global_cluster_identifier()),
        ),
        (
            "replication_source_identifier",
            str_or_null(c.replication_source_identifier()),
        ),
        ("master_username", str_or_null(c.master_username())),
        (
            "manage_master_user_password",
            Value::Bool(c.master_user_secret().is_some()),
        ),
        ("database_name", str_or_null(c.database_name())),
        ("port", int_or_null(c.port())),
        ("db_subnet_group_name", str_or_null(c.db_subnet_group())),
        (
            "vpc_security_group_ids",
            str_set(
                c.vpc_security_groups()
                    .iter()
                    .filter_map(|g| g.vpc_security_group_id()),
            ),
        ),
        ("storage_encrypted", Value::Bool(encrypted)),
        // Only meaningful when encrypted (an emulator may report a
        // placeholder otherwise).
        (
            "kms_key_id",
            if encrypted {
                str_or_null(c.kms_key_id())
            } else {
                Value::Null
            },
        ),
        (
            "backup_retention_period",
            int_or_null(c.backup_retention_period()),
        ),
        (
            "preferred_backup_window",
            str_or_null(c.preferred_backup_window()),
        ),
        (
            "preferred_maintenance_window",
            str_or_null(c.preferred_maintenance_window()),
        ),
        ("deletion_protection", bool_or_null(c.deletion_protection())),
        (
            "copy_tags_to_snapshot",
            bool_or_null(c.copy_tags_to_snapshot()),
        ),
        (
            "db_cluster_parameter_group_name",
            str_or_null(c.db_cluster_parameter_group()),
        ),
        (
            "enabled_cloudwatch_logs_exports",
            str_set(c.enabled_cloudwatch_logs_exports().iter().cloned()),
        ),
        ("skip_final_snapshot", Value::Bool(false)),
        ("apply_immediately", Value::Bool(false)),
        ("tags", observed_tags(c.tag_list())),
        ("arn", str_or_null(c.db_cluster_arn())),
        ("endpoint", str_or_null(c.endpoint())),
        ("reader_endpoint", str_or_null(c.reader_endpoint())),
        (
            "db_cluster_resource_id",
            str_or_null(c.db_cluster_resource_id()),
        ),
        (
            "master_user_secret_arn",
            str_or_null(c.master_user_secret().and_then(|s| s.secret_arn())),
        ),
        ("status", str_or_null(c.status())),
    ]);
    a.extend(settings_from_tags(c.tag_list(), SETTINGS));
    normalize(a)
}

async fn describe_page(
    client: &Client,
    filter: Option<Filter>,
    marker: Option<String>,
) -> Result<(Vec<DbCluster>, Option<String>), ProviderError> {
    let out = client
        .describe_db_clusters()
        .set_filters(filter.map(|f| vec![f]))
        .set_marker(marker)
        .send()
        .await
        .map_err(rds_err)?;
    Ok((out.db_clusters().to_vec(), out.marker().map(str::to_string)))
}

async fn observe_clusters(
    client: &Client,
    ids: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let found = describe_filtered(ids, "db-cluster-id", |f, m| describe_page(client, f, m)).await?;
    let mut out = BTreeMap::new();
    for c in &found {
        let Some(name) = c.db_cluster_identifier() else {
            continue;
        };
        for id in ids.iter().filter(|i| i.eq_ignore_ascii_case(name)) {
            out.insert(id.clone(), cluster_attrs(c));
        }
    }
    Ok(out)
}

async fn observe_one(client: &Client, id: &str) -> Result<Attrs, ProviderError> {
    crate::attrs::observed(
        observe_clusters(client, &[id.to_string()]).await?,
        id,
        "DB cluster",
    )
}

async fn owned_clusters(
    client: &Client,
    owner: &Owner,
    address: Option<&str>,
) -> Result<Vec<(String, Option<String>)>, ProviderError> {
    let all = collect_pages(|m| describe_page(client, None, m)).await?;
    Ok(owned(
        &all,
        owner,
        address,
        |c| c.db_cluster_identifier(),
        |c| c.tag_list(),
    ))
}

fn changed(changes: &[FieldChange], field: &str) -> bool {
    changes
        .iter()
        .any(|c| c.path == field || c.path.starts_with(&format!("{field}.")))
}

/// Whether `changes` need a ModifyDBCluster call (tags and forge settings
/// do not).
fn needs_modify(changes: &[FieldChange]) -> bool {
    changes.iter().any(|c| {
        let top = c.path.split('.').next().unwrap_or("");
        top != "tags" && !SETTINGS.contains(&top)
    })
}

fn logs_config(prior: &Attrs, desired: &Attrs) -> CloudwatchLogsExportConfiguration {
    let (p, d) = (
        str_list(prior, "enabled_cloudwatch_logs_exports"),
        str_list(desired, "enabled_cloudwatch_logs_exports"),
    );
    let (enable, disable) = crate::attrs::set_diff(&p, &d);
    CloudwatchLogsExportConfiguration::builder()
        .set_enable_log_types(Some(enable))
        .set_disable_log_types(Some(disable))
        .build()
}

fn major(v: &str) -> &str {
    v.split('.').next().unwrap_or(v)
}

#[async_trait]
impl Provider for ClusterProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(CONCURRENCY)
    }

    fn holds_data(&self) -> bool {
        true
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
        normalize(attrs)
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
        observe_clusters(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        d: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.client(&ctx.region).await?;
        let id = req_str(d, "db_cluster_identifier")?.to_lowercase();
        let manage = opt_bool(d, "manage_master_user_password").unwrap_or(false);
        let sgs = str_list(d, "vpc_security_group_ids");
        let logs = str_list(d, "enabled_cloudwatch_logs_exports");
        client
            .create_db_cluster()
            .db_cluster_identifier(&id)
            .engine(opt_str(d, "engine").unwrap_or("aurora-postgresql"))
            .set_engine_version(opt_str(d, "engine_version").map(str::to_string))
            .set_global_cluster_identifier(
                opt_str(d, "global_cluster_identifier").map(str::to_string),
            )
            .set_replication_source_identifier(
                opt_str(d, "replication_source_identifier").map(str::to_string),
            )
            .set_master_username(opt_str(d, "master_username").map(str::to_string))
            .set_master_user_password(if manage {
                None
            } else {
                opt_str(d, "master_user_password").map(str::to_string)
            })
            .set_manage_master_user_password(manage.then_some(true))
            .set_database_name(opt_str(d, "database_name").map(str::to_string))
            .set_port(opt_i32(d, "port")?)
            .set_db_subnet_group_name(opt_str(d, "db_subnet_group_name").map(str::to_string))
            .set_vpc_security_group_ids((!sgs.is_empty()).then_some(sgs))
            .storage_encrypted(opt_bool(d, "storage_encrypted").unwrap_or(false))
            .set_kms_key_id(opt_str(d, "kms_key_id").map(str::to_string))
            .set_backup_retention_period(opt_i32(d, "backup_retention_period")?)
            .set_preferred_backup_window(opt_str(d, "preferred_backup_window").map(str::to_string))
            .set_preferred_maintenance_window(
                opt_str(d, "preferred_maintenance_window").map(str::to_string),
            )
            .deletion_protection(opt_bool(d, "deletion_protection").unwrap_or(false))
            .copy_tags_to_snapshot(opt_bool(d, "copy_tags_to_snapshot").unwrap_or(false))
            .set_db_cluster_parameter_group_name(
                opt_str(d, "db_cluster_parameter_group_name").map(str::to_string),
            )
            .set_enable_cloudwatch_logs_exports((!logs.is_empty()).then_some(logs))
            .set_tags(Some(create_tags(d, &ctx.system_tags, SETTINGS)))
            .send()
            .await
            .map_err(rds_err)?;
        Ok(Created {
            attrs: observe_one(&client, &id).await?,
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
        if needs_modify(changes) {
            let pick_str = |f: &str| {
                changed(changes, f)
                    .then(|| opt_str(d, f).map(str::to_string))
                    .flatten()
            };
            let pick_bool = |f: &str| changed(changes, f).then(|| opt_bool(d, f)).flatten();
            let version = pick_str("engine_version");
            let major_upgrade = match (&version, opt_str(prior, "engine_version")) {
                (Some(v), Some(p)) => major(v) != major(p),
                _ => false,
            };
            let manage = pick_bool("manage_master_user_password");
            let password = if changed(changes, "master_user_password")
                && !opt_bool(d, "manage_master_user_password").unwrap_or(false)
            {
                opt_str(d, "master_user_password").map(str::to_string)
            } else {
                None
            };
            client
                .modify_db_cluster()
                .db_cluster_identifier(id)
                .apply_immediately(opt_bool(d, "apply_immediately").unwrap_or(false))
                .set_engine_version(version)
                .set_allow_major_version_upgrade(major_upgrade.then_some(true))
                .set_master_user_password(password)
                .set_manage_master_user_password(manage)
                .set_port(if changed(changes, "port") {
                    opt_i32(d, "port")?
                } else {
                    None
                })
                .set_vpc_security_group_ids(
                    changed(changes, "vpc_security_group_ids")
                        .then(|| str_list(d, "vpc_security_group_ids")),
                )
                .set_backup_retention_period(if changed(changes, "backup_retention_period") {
                    opt_i32(d, "backup_retention_period")?
                } else {
                    None
                })
                .set_preferred_backup_window(pick_str("preferred_backup_window"))
                .set_preferred_maintenance_window(pick_str("preferred_maintenance_window"))
                .set_deletion_protection(pick_bool("deletion_protection"))
                .set_copy_tags_to_snapshot(pick_bool("copy_tags_to_snapshot"))
                .set_db_cluster_parameter_group_name(pick_str("db_cluster_parameter_group_name"))
                .set_cloudwatch_logs_export_configuration(
                    changed(changes, "enabled_cloudwatch_logs_exports")
                        .then(|| logs_config(prior, d)),
                )
                .send()
                .await
                .map_err(rds_err)?;
        }
        if let Some(arn) = opt_str(prior, "arn") {
            sync_tags(&client, arn, prior, d, SETTINGS).await?;
        }
        observe_one(&client, id).await
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.client(&ctx.region).await?;
        // A member of a global database must leave it before it can be
        // deleted (the global cluster itself goes last).
        if let (Some(global), Some(arn)) = (
            opt_str(prior, "global_cluster_identifier"),
            opt_str(prior, "arn"),
        ) {
            match client
                .remove_from_global_cluster()
                .global_cluster_identifier(global)
                .db_cluster_identifier(arn)
                .send()
                .await
                .map_err(rds_err)
            {
                Ok(_) => {}
                Err(e) if super::common::is_gone(&e) => {}
                // Already detached (or never attached): nothing to undo.
                Err(ProviderError::Api { code, .. }) if code == "InvalidParameterValue" => {}
                Err(e) => return Err(e),
            }
        }
        let snapshot = final_snapshot(prior, id, chrono::Utc::now());
        ignore_gone(
            client
                .delete_db_cluster()
                .db_cluster_identifier(id)
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
        let ids = owned_clusters(client, &ctx.owner, Some(&ctx.address.to_string())).await?;
        tags::adopt_owned(ctx, ids, |id| async move {
            observe_clusters(client, std::slice::from_ref(&id)).await
        })
        .await
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.client(&ctx.region).await?;
        owned_clusters(&client, &ctx.owner, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_rds::types::{Tag, VpcSecurityGroupMembership};
    use forge_engine::PlannedAction;

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
        let mut a = Value::from_json(&v).as_map().cloned().unwrap();
        forge_engine::diff::fill_defaults(&SCHEMA, &mut a);
        forge_engine::diff::mark_sensitive(&SCHEMA, &mut a);
        normalize(a)
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

    #[test]
    fn observed_cluster_matches_its_spec() {
        let p = ClusterProvider::new(Arc::new(AwsClients::new(crate::AwsSettings::default())));
        let mut prior = cluster_attrs(&live());
        for f in SCHEMA.fields.keys() {
            let optional_unset = [
                "master_user_password",
                "final_snapshot_identifier",
                "global_cluster_identifier",
                "replication_source_identifier",
                "endpoint",
                "reader_endpoint",
                "db_cluster_resource_id",
                "master_user_secret_arn",
            ];
            assert!(
                prior.contains_key(f) || optional_unset.contains(&f.as_str()),
                "missing {f}"
            );
        }
        assert_eq!(prior["kms_key_id"], Value::from("k-1"));
        assert_eq!(prior["skip_final_snapshot"], Value::Bool(true));
        assert!(p.deletion_protected(&prior));
        // The engine keeps the recorded password hash; here, the value.
        prior.insert(
            "master_user_password".into(),
            Value::from("hunter22").sensitive(),
        );
        let plan = p.plan(Some(&prior), &spec(base()));
        assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
    }

    #[test]
    fn force_new_and_in_place_fields() {
        let p = ClusterProvider::new(Arc::new(AwsClients::new(crate::AwsSettings::default())));
        let mut prior = cluster_attrs(&live());
        prior.insert(
            "master_user_password".into(),
            Value::from("hunter22").sensitive(),
        );
        let mut v = base();
        v["backup_retention_period"] = 14.into();
        let plan = p.plan(Some(&prior), &spec(v));
        assert_eq!(plan.action, PlannedAction::Update);
        assert!(needs_modify(&plan.changes));
        let mut v = base();
        v["engine_version"] = "16.4".into();
        assert_eq!(p.plan(Some(&prior), &spec(v)).action, PlannedAction::Update);
        for (field, value) in [
            ("database_name", "other"),
            ("kms_key_id", "k-2"),
            ("master_username", "root"),
        ] {
            let mut v = base();
            v[field] = value.into();
            assert_eq!(
                p.plan(Some(&prior), &spec(v)).action,
                PlannedAction::Replace,
                "{field}"
            );
        }
        let mut v = base();
        v["apply_immediately"] = true.into();
        let plan = p.plan(Some(&prior), &spec(v));
        assert_eq!(plan.action, PlannedAction::Update);
        assert!(
            !needs_modify(&plan.changes),
            "a forge setting is only a tag"
        );
    }

    #[test]
    fn logs_exports_enable_and_disable() {
        let prior =
            spec(serde_json::json!({"enabled_cloudwatch_logs_exports": ["postgresql", "upgrade"]}));
        let want = spec(
            serde_json::json!({"enabled_cloudwatch_logs_exports": ["postgresql", "iam-db-auth-error"]}),
        );
        let c = logs_config(&prior, &want);
        assert_eq!(c.enable_log_types(), ["iam-db-auth-error"]);
        assert_eq!(c.disable_log_types(), ["upgrade"]);
    }
}
