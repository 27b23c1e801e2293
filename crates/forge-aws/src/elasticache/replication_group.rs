//! `aws.elasticache.replication_group`: a Redis OSS / Valkey replication
//! group, without cluster mode (`num_cache_clusters`: one primary and
//! replicas) or with it (`num_node_groups` shards of
//! `replicas_per_node_group` replicas each).
//!
//! In place (ModifyReplicationGroup's parameters): description, engine,
//! engine_version, node_type, multi_az_enabled,
//! automatic_failover_enabled, security_group_ids,
//! cache_parameter_group_name, snapshot_retention_limit, snapshot_window,
//! maintenance_window, transit_encryption_enabled, transit_encryption_mode
//! and auth_token (AuthToken with the ROTATE strategy). Replica counts
//! change in place with IncreaseReplicaCount / DecreaseReplicaCount.
//! Everything else (id, subnet group, port, at-rest encryption and its KMS
//! key, number of shards) forces a replacement.
//!
//! `apply_immediately` is passed to ModifyReplicationGroup: without it AWS
//! queues most changes (node type, engine version, parameter group) until
//! the next maintenance window. Replica count changes are always
//! immediate (the API requires it).
//!
//! `engine_version` pinning only the major (`7`) or major.minor (`7.1`)
//! does not diff against a live `7.1.x`; [`Provider::classify_change`]
//! reports an automatic upgrade AWS made as such, not as drift.
//!
//! `auth_token` is write-only: AWS never returns it, observe reports only
//! the computed `auth_token_enabled`, and state keeps a hash.
//!
//! `apply_immediately` and `final_snapshot_identifier` are forge settings,
//! not properties AWS stores: forge records them on the group as the tags
//! `forge:apply_immediately` / `forge:final_snapshot_identifier` (hidden
//! from `tags`), so refresh and destroy see what the spec set.
//!
//! Observe cost: DescribeReplicationGroups and DescribeCacheClusters take
//! one id or none, so observe lists every group and every cache cluster
//! of the region (paged with `Marker`, 100 per page) in one call sequence
//! each and keeps the groups asked for (engine version, subnet group,
//! security groups, parameter group and maintenance window are reported
//! per member cluster, not on the group); then one ListTagsForResource per
//! group found, at most eight in flight. n groups in a region with G
//! groups and C clusters: ceil(G/100) + ceil(C/100) + n requests.

use super::common::{
    self, CONCURRENCY, EcBase, ec_err, ignore_gone, observed_tags, tag_value, to_tags,
    version_pin_matches,
};
use crate::attrs::attrs;
use crate::attrs::{
    bool_or_null, int_or_null, opt_bool, opt_i64, opt_str, req_str, str_list, str_or_null, str_set,
};
use crate::clients::AwsClients;
use crate::kms::key_id_of;
use crate::normalize::normalize_common;
use crate::paging::collect_pages;
use crate::tags;
use crate::tags::tags_field;
use async_trait::async_trait;
use aws_sdk_elasticache::Client;
use aws_sdk_elasticache::types::{
    AuthTokenUpdateStrategyType, CacheCluster, ClusterMode, ReplicationGroup, TransitEncryptionMode,
};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::{
    Created, FieldChange, ObserveCtx, PlannedChange, Provider, ProviderError, Readiness,
    ResourceCtx,
};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

/// The tag recording `apply_immediately`.
pub const APPLY_TAG: &str = "forge:apply_immediately";
/// The tag recording `final_snapshot_identifier`.
pub const SNAPSHOT_TAG: &str = "forge:final_snapshot_identifier";
/// The description sent when the spec sets none (the API requires one).
const DEFAULT_DESCRIPTION: &str = "Managed by forge";
/// Records per describe page (the API's maximum).
const PAGE_SIZE: i32 = 100;

/// The `aws.elasticache.replication_group` provider.
pub struct ReplicationGroupProvider {
    base: EcBase,
    schema: KindSchema,
}

impl ReplicationGroupProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        ReplicationGroupProvider {
            base: EcBase::new(clients),
            schema: schema(),
        }
    }
}

/// The schema of `aws.elasticache.replication_group`.
pub fn schema() -> KindSchema {
    use FieldSchema as F;
    use FieldType as T;
    KindSchema::new(
        "aws.elasticache.replication_group",
        "An ElastiCache (Redis OSS / Valkey) replication group.",
        [
            ("replication_group_id", F::required(T::String).force_new().describe("The group's id, lower case, unique in the region.")),
            ("description", F::optional(T::String).default(DEFAULT_DESCRIPTION).describe("What the group is for (ReplicationGroupDescription).")),
            ("engine", F::optional(T::String).default("redis").describe("redis or valkey (redis -> valkey is an in-place upgrade).")),
            ("engine_version", F::optional_computed(T::String).describe("Engine version; `7` or `7.1` accept any live 7.1.x (AWS applies minor upgrades). Unset: AWS's default.")),
            ("node_type", F::required(T::String).describe("Node type (CacheNodeType), e.g. cache.t4g.small; changes in place.")),
            ("num_cache_clusters", F::optional_computed(T::Number).describe("Without cluster mode: nodes in the group (primary + replicas, 1-6).")),
            ("num_node_groups", F::optional_computed(T::Number).force_new().describe("Cluster mode: number of shards; setting it turns cluster mode on.")),
            ("replicas_per_node_group", F::optional_computed(T::Number).describe("Cluster mode: replicas in each shard (0-5).")),
            ("multi_az_enabled", F::optional(T::Bool).default(false).describe("Multi-AZ with automatic failover to a replica in another AZ.")),
            ("automatic_failover_enabled", F::optional(T::Bool).default(false).describe("Promote a replica when the primary fails (required by multi-AZ and cluster mode).")),
            ("at_rest_encryption_enabled", F::optional_computed(T::Bool).force_new().describe("Encrypt data on disk (fixed at creation).")),
            ("kms_key_id", F::optional_computed(T::String).force_new().describe("KMS key (id or ARN) for at-rest encryption; unset: the AWS owned key.")),
            ("transit_encryption_enabled", F::optional_computed(T::Bool).describe("TLS between clients and nodes.")),
            ("transit_encryption_mode", F::optional_computed(T::String).describe("preferred (TLS and plain) or required (TLS only).")),
            ("auth_token", F::optional(T::String).sensitive().describe("Redis AUTH token (16-128 characters, needs transit encryption); write-only, stored as a hash, rotated in place.")),
            ("cache_subnet_group_name", F::optional(T::String).force_new().describe("The cache subnet group (VPC placement).")),
            ("security_group_ids", F::optional_computed(T::list(T::String)).describe("VPC security group ids (a set).")),
            ("cache_parameter_group_name", F::optional_computed(T::String).describe("The parameter group; unset: the engine's default group.")),
            ("port", F::optional(T::Number).default(6379i64).force_new().describe("The port nodes listen on.")),
            ("snapshot_retention_limit", F::optional(T::Number).default(0i64).describe("Days automatic snapshots are kept; 0 turns them off.")),
            ("snapshot_window", F::optional_computed(T::String).describe("Daily UTC range for automatic snapshots, e.g. 05:00-06:00.")),
            ("maintenance_window", F::optional_computed(T::String).describe("Weekly UTC range for maintenance (PreferredMaintenanceWindow), e.g. sun:23:00-mon:01:30.")),
            ("apply_immediately", F::optional(T::Bool).default(false).describe("forge setting: apply modifications now instead of in the next maintenance window.")),
            ("final_snapshot_identifier", F::optional(T::String).describe("forge setting: name of the snapshot taken when the group is destroyed; unset: none.")),
            ("tags", tags_field()),
            ("arn", F::computed(T::String).describe("The group's ARN.")),
            ("status", F::computed(T::String).describe("creating, available, modifying, snapshotting, deleting or create-failed.")),
            ("auth_token_enabled", F::computed(T::Bool).describe("Whether an AUTH token is set.")),
            ("cluster_enabled", F::computed(T::Bool).describe("Whether cluster mode is on.")),
            ("member_clusters", F::computed(T::list(T::String)).describe("Ids of the member cache clusters.")),
            ("primary_endpoint_address", F::computed(T::String).describe("Without cluster mode: the primary's endpoint.")),
            ("reader_endpoint_address", F::computed(T::String).describe("Without cluster mode: the load-balanced replica endpoint.")),
            ("configuration_endpoint_address", F::computed(T::String).describe("Cluster mode: the configuration endpoint.")),
        ],
    )
}

static SCHEMA: LazyLock<KindSchema> = LazyLock::new(schema);

fn normalize(mut attrs: Attrs) -> Attrs {
    crate::attrs::normalize_set(&mut attrs, "security_group_ids");
    for field in ["maintenance_window", "engine", "transit_encryption_mode"] {
        if let Some(Value::String(s)) = attrs.get_mut(field) {
            *s = s.to_ascii_lowercase();
        }
    }
    normalize_common(&SCHEMA, &mut attrs);
    attrs
}

fn status_enabled(s: Option<&str>) -> Option<bool> {
    s.map(|s| s == "enabled" || s == "enabling")
}

/// What observe learns about one group.
struct GroupView<'a> {
    group: &'a ReplicationGroup,
    /// The first member cluster AWS lists (settings are the same on all).
    member: Option<&'a CacheCluster>,
    tags: Option<&'a Vec<(String, String)>>,
}

fn group_attrs(v: &GroupView<'_>) -> Attrs {
    let g = v.group;
    let m = v.member;
    let id = g.replication_group_id().unwrap_or_default();
    let clustered = g.cluster_enabled().unwrap_or(false);
    let first_group = g.node_groups().first();
    let port = g
        .configuration_endpoint()
        .and_then(|e| e.port())
        .or_else(|| {
            first_group
                .and_then(|n| n.primary_endpoint())
                .and_then(|e| e.port())
        });
    let tag_list = v.tags.map(Vec::as_slice).unwrap_or_default();
    let shards = i64::try_from(g.node_groups().len()).unwrap_or_default();
    let replicas = first_group
        .map(|n| i64::try_from(n.node_group_members().len()).unwrap_or(1) - 1)
        .filter(|r| *r >= 0);
    attrs([
        ("id", Value::from(id)),
        ("replication_group_id", Value::from(id)),
        ("description", str_or_null(g.description())),
        (
            "engine",
            str_or_null(g.engine().or_else(|| m.and_then(CacheCluster::engine))),
        ),
        (
            "engine_version",
            str_or_null(m.and_then(CacheCluster::engine_version)),
        ),
        ("node_type", str_or_null(g.cache_node_type())),
        (
            "num_cache_clusters",
            Value::int(i64::try_from(g.member_clusters().len()).unwrap_or_default()),
        ),
        ("num_node_groups", Value::int(shards)),
        ("replicas_per_node_group", int_or_null(replicas)),
        (
            "multi_az_enabled",
            bool_or_null(status_enabled(g.multi_az().map(|s| s.as_str()))),
        ),
        (
            "automatic_failover_enabled",
            bool_or_null(status_enabled(g.automatic_failover().map(|s| s.as_str()))),
        ),
        (
            "at_rest_encryption_enabled",
            bool_or_null(g.at_rest_encryption_enabled()),
        ),
        ("kms_key_id", str_or_null(g.kms_key_id())),
        (
            "transit_encryption_enabled",
            bool_or_null(g.transit_encryption_enabled()),
        ),
        (
            "transit_encryption_mode",
            str_or_null(g.transit_encryption_mode().map(|t| t.as_str())),
        ),
        (
            "cache_subnet_group_name",
            str_or_null(m.and_then(CacheCluster::cache_subnet_group_name)),
        ),
        (
            "security_group_ids",
            match m {
                Some(m) => str_set(
                    m.security_groups()
                        .iter()
                        .filter_map(|s| s.security_group_id()),
                ),
                None => Value::Null,
            },
        ),
        (
            "cache_parameter_group_name",
            str_or_null(
                m.and_then(CacheCluster::cache_parameter_group)
                    .and_then(|p| p.cache_parameter_group_name()),
            ),
        ),
        ("port", int_or_null(port)),
        (
            "snapshot_retention_limit",
            int_or_null(g.snapshot_retention_limit()),
        ),
        ("snapshot_window", str_or_null(g.snapshot_window())),
        (
            "maintenance_window",
            str_or_null(m.and_then(CacheCluster::preferred_maintenance_window)),
        ),
        (
            "apply_immediately",
            Value::Bool(tag_value(tag_list, APPLY_TAG) == Some("true")),
        ),
        (
            "final_snapshot_identifier",
            str_or_null(tag_value(tag_list, SNAPSHOT_TAG)),
        ),
        ("tags", observed_tags(v.tags)),
        ("arn", str_or_null(g.arn())),
        ("status", str_or_null(g.status())),
        (
            "auth_token_enabled",
            Value::Bool(g.auth_token_enabled().unwrap_or(false)),
        ),
        ("cluster_enabled", Value::Bool(clustered)),
        (
            "member_clusters",
            Value::List(
                g.member_clusters()
                    .iter()
                    .map(|c| Value::from(c.as_str()))
                    .collect(),
            ),
        ),
        (
            "primary_endpoint_address",
            str_or_null(
                first_group
                    .and_then(|n| n.primary_endpoint())
                    .and_then(|e| e.address()),
            ),
        ),
        (
            "reader_endpoint_address",
            str_or_null(
                first_group
                    .and_then(|n| n.reader_endpoint())
                    .and_then(|e| e.address()),
            ),
        ),
        (
            "configuration_endpoint_address",
            str_or_null(g.configuration_endpoint().and_then(|e| e.address())),
        ),
    ])
}

async fn describe_groups(client: &Client) -> Result<Vec<ReplicationGroup>, ProviderError> {
    collect_pages(|marker| async move {
        let out = client
            .describe_replication_groups()
            .max_records(PAGE_SIZE)
            .set_marker(marker)
            .send()
            .await
            .map_err(ec_err)?;
        Ok((out.replication_groups.unwrap_or_default(), out.marker))
    })
    .await
}

async fn describe_clusters(client: &Client) -> Result<Vec<CacheCluster>, ProviderError> {
    collect_pages(|marker| async move {
        let out = client
            .describe_cache_clusters()
            .max_records(PAGE_SIZE)
            .show_cache_clusters_not_in_replication_groups(false)
            .set_marker(marker)
            .send()
            .await
            .map_err(ec_err)?;
        Ok((out.cache_clusters.unwrap_or_default(), out.marker))
    })
    .await
}

async fn observe_groups(
    client: &Client,
    ids: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let groups: Vec<ReplicationGroup> = describe_groups(client)
        .await?
        .into_iter()
        .filter(|g| {
            g.replication_group_id()
                .is_some_and(|i| ids.iter().any(|w| w == i))
        })
        .collect();
    if groups.is_empty() {
        return Ok(BTreeMap::new());
    }
    let clusters = describe_clusters(client).await?;
    let arns = groups
        .iter()
        .filter_map(|g| g.arn().map(str::to_string))
        .collect();
    let tags = common::tags_by_arn(client, arns).await?;
    Ok(groups
        .iter()
        .filter_map(|g| {
            let id = g.replication_group_id()?;
            // The member AWS lists first in the group is the reference;
            // members share the group-level settings read from it.
            let member = g
                .member_clusters()
                .iter()
                .find_map(|m| {
                    clusters
                        .iter()
                        .find(|c| c.cache_cluster_id() == Some(m.as_str()))
                })
                .or_else(|| {
                    clusters
                        .iter()
                        .find(|c| c.replication_group_id() == Some(id))
                });
            let view = GroupView {
                group: g,
                member,
                tags: g.arn().and_then(|a| tags.get(a)),
            };
            Some((id.to_string(), normalize(group_attrs(&view))))
        })
        .collect())
}

async fn observe_one(client: &Client, id: &str) -> Result<Attrs, ProviderError> {
    crate::attrs::observed(
        observe_groups(client, &[id.to_string()]).await?,
        id,
        "replication group",
    )
}

/// The forge-setting tags for `attrs`.
fn setting_tags(attrs: &Attrs) -> BTreeMap<String, String> {
    let mut t = BTreeMap::new();
    t.insert(
        APPLY_TAG.to_string(),
        opt_bool(attrs, "apply_immediately")
            .unwrap_or(false)
            .to_string(),
    );
    if let Some(s) = opt_str(attrs, "final_snapshot_identifier") {
        t.insert(SNAPSHOT_TAG.to_string(), s.to_string());
    }
    t
}

fn i32_of(attrs: &Attrs, name: &str) -> Result<Option<i32>, ProviderError> {
    opt_i64(attrs, name)
        .map(|n| {
            i32::try_from(n)
                .map_err(|_| ProviderError::Invalid(format!("`{name}` is out of range")))
        })
        .transpose()
}

/// The in-place changes of one ModifyReplicationGroup call. `Debug` never
/// prints the auth token.
#[derive(Clone, Default, PartialEq)]
pub struct Modify {
    /// ReplicationGroupDescription.
    pub description: Option<String>,
    /// Engine.
    pub engine: Option<String>,
    /// EngineVersion.
    pub engine_version: Option<String>,
    /// CacheNodeType.
    pub node_type: Option<String>,
    /// MultiAZEnabled.
    pub multi_az_enabled: Option<bool>,
    /// AutomaticFailoverEnabled.
    pub automatic_failover_enabled: Option<bool>,
    /// SecurityGroupIds.
    pub security_group_ids: Option<Vec<String>>,
    /// CacheParameterGroupName.
    pub cache_parameter_group_name: Option<String>,
    /// SnapshotRetentionLimit.
    pub snapshot_retention_limit: Option<i32>,
    /// SnapshotWindow.
    pub snapshot_window: Option<String>,
    /// PreferredMaintenanceWindow.
    pub maintenance_window: Option<String>,
    /// TransitEncryptionEnabled.
    pub transit_encryption_enabled: Option<bool>,
    /// TransitEncryptionMode.
    pub transit_encryption_mode: Option<String>,
    /// AuthToken (sent with AuthTokenUpdateStrategy ROTATE).
    pub auth_token: Option<String>,
}

impl std::fmt::Debug for Modify {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Modify")
            .field("description", &self.description)
            .field("engine", &self.engine)
            .field("engine_version", &self.engine_version)
            .field("node_type", &self.node_type)
            .field("multi_az_enabled", &self.multi_az_enabled)
            .field(
                "automatic_failover_enabled",
                &self.automatic_failover_enabled,
            )
            .field("security_group_ids", &self.security_group_ids)
            .field(
                "cache_parameter_group_name",
                &self.cache_parameter_group_name,
            )
            .field("snapshot_retention_limit", &self.snapshot_retention_limit)
            .field("snapshot_window", &self.snapshot_window)
            .field("maintenance_window", &self.maintenance_window)
            .field(
                "transit_encryption_enabled",
                &self.transit_encryption_enabled,
            )
            .field("transit_encryption_mode", &self.transit_encryption_mode)
            .field(
                "auth_token",
                &self.auth_token.as_ref().map(|_| "(sensitive)"),
            )
            .finish()
    }
}

impl Modify {
    /// Whether there is nothing to send.
    pub fn is_empty(&self) -> bool {
        *self == Modify::default()
    }
}

/// The text of a field, both sides compared as text.
fn text(attrs: &Attrs, name: &str) -> Option<String> {
    match attrs.get(name).map(Value::unmarked) {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        _ => None,
    }
}

/// The ModifyReplicationGroup changes from `prior` to `desired`. Fields the
/// spec leaves unset (AWS's choice) are not sent.
pub fn modify_of(prior: &Attrs, desired: &Attrs) -> Result<Modify, ProviderError> {
    let changed = |name: &str| {
        let want = text(desired, name);
        (want.is_some() && want != text(prior, name))
            .then_some(want)
            .flatten()
    };
    let flag = |name: &str| changed(name).map(|v| v == "true");
    let engine_version = match (
        opt_str(desired, "engine_version"),
        opt_str(prior, "engine_version"),
    ) {
        (Some(want), Some(live)) if version_pin_matches(want, live) => None,
        (Some(want), _) => Some(want.to_string()),
        _ => None,
    };
    let security_group_ids = match desired.get("security_group_ids").filter(|v| !v.is_null()) {
        Some(_) => {
            let mut want = str_list(desired, "security_group_ids");
            let mut have = str_list(prior, "security_group_ids");
            want.sort();
            have.sort();
            (want != have).then_some(want)
        }
        None => None,
    };
    let had_token = prior.get("auth_token").is_some_and(|v| !v.is_null());
    let auth_token = match text(desired, "auth_token") {
        Some(want) if Some(&want) != text(prior, "auth_token").as_ref() => Some(want),
        Some(_) => None,
        None if had_token => {
            return Err(ProviderError::Invalid(
                "auth_token cannot be removed in place: AWS drops an AUTH token only when moving the group to \
                 RBAC user groups; keep auth_token set, or replace the group under a new replication_group_id"
                    .into(),
            ));
        }
        None => None,
    };
    Ok(Modify {
        description: changed("description"),
        engine: changed("engine"),
        engine_version,
        node_type: changed("node_type"),
        multi_az_enabled: flag("multi_az_enabled"),
        automatic_failover_enabled: flag("automatic_failover_enabled"),
        security_group_ids,
        cache_parameter_group_name: changed("cache_parameter_group_name"),
        snapshot_retention_limit: changed("snapshot_retention_limit")
            .map(|_| i32_of(desired, "snapshot_retention_limit"))
            .transpose()?
            .flatten(),
        snapshot_window: changed("snapshot_window"),
        maintenance_window: changed("maintenance_window"),
        transit_encryption_enabled: flag("transit_encryption_enabled"),
        transit_encryption_mode: changed("transit_encryption_mode"),
        auth_token,
    })
}

async fn send_modify(
    client: &Client,
    id: &str,
    m: Modify,
    apply_immediately: bool,
) -> Result<(), ProviderError> {
    let strategy = m
        .auth_token
        .as_ref()
        .map(|_| AuthTokenUpdateStrategyType::Rotate);
    client
        .modify_replication_group()
        .replication_group_id(id)
        .apply_immediately(apply_immediately)
        .set_replication_group_description(m.description)
        .set_engine(m.engine)
        .set_engine_version(m.engine_version)
        .set_cache_node_type(m.node_type)
        .set_multi_az_enabled(m.multi_az_enabled)
        .set_automatic_failover_enabled(m.automatic_failover_enabled)
        .set_security_group_ids(m.security_group_ids)
        .set_cache_parameter_group_name(m.cache_parameter_group_name)
        .set_snapshot_retention_limit(m.snapshot_retention_limit)
        .set_snapshot_window(m.snapshot_window)
        .set_preferred_maintenance_window(m.maintenance_window)
        .set_transit_encryption_enabled(m.transit_encryption_enabled)
        .set_transit_encryption_mode(
            m.transit_encryption_mode
                .as_deref()
                .map(TransitEncryptionMode::from),
        )
        .set_auth_token(m.auth_token)
        .set_auth_token_update_strategy(strategy)
        .send()
        .await
        .map_err(ec_err)?;
    Ok(())
}

/// The replica count per shard (or, without cluster mode, replicas of the
/// primary) the spec asks for, if it differs from the live one:
/// `Some((from, to))`.
pub fn replica_change(prior: &Attrs, desired: &Attrs) -> Option<(i64, i64)> {
    let clustered = opt_bool(prior, "cluster_enabled").unwrap_or(false);
    let (have, want) = if clustered {
        (
            opt_i64(prior, "replicas_per_node_group")?,
            opt_i64(desired, "replicas_per_node_group")?,
        )
    } else {
        (
            opt_i64(prior, "num_cache_clusters")? - 1,
            opt_i64(desired, "num_cache_clusters")? - 1,
        )
    };
    (have != want).then_some((have, want))
}

async fn change_replicas(
    client: &Client,
    id: &str,
    from: i64,
    to: i64,
) -> Result<(), ProviderError> {
    let count = i32::try_from(to)
        .map_err(|_| ProviderError::Invalid("replica count out of range".into()))?;
    // Both calls require ApplyImmediately=true.
    if to > from {
        client
            .increase_replica_count()
            .replication_group_id(id)
            .new_replica_count(count)
            .apply_immediately(true)
            .send()
            .await
            .map_err(ec_err)?;
    } else {
        client
            .decrease_replica_count()
            .replication_group_id(id)
            .new_replica_count(count)
            .apply_immediately(true)
            .send()
            .await
            .map_err(ec_err)?;
    }
    Ok(())
}

async fn listed(client: &Client) -> Result<Vec<(String, String)>, ProviderError> {
    Ok(describe_groups(client)
        .await?
        .iter()
        .filter(|g| g.status() != Some("deleting"))
        .filter_map(|g| Some((g.replication_group_id()?.to_string(), g.arn()?.to_string())))
        .collect())
}

#[async_trait]
impl Provider for ReplicationGroupProvider {
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
        Duration::from_secs(15)
    }

    // Creating a multi-AZ group takes 10-20 minutes; node type changes
    // with data migration can take longer.
    fn ready_timeout(&self) -> Duration {
        Duration::from_secs(90 * 60)
    }

    fn normalize(&self, attrs: Attrs) -> Attrs {
        normalize(attrs)
    }

    fn plan(&self, prior: Option<&Attrs>, desired: &Attrs) -> PlannedChange {
        let mut desired = desired.clone();
        // A version pin the live version satisfies is no change.
        common::align_version(prior, &mut desired);
        // A key named by id in the spec and by ARN by AWS (or the other
        // way round) is the same key. The spec's text is what create sends
        // (a cross-account key needs its ARN), so this is decided here, not
        // by normalizing.
        if let Some(live) = prior.and_then(|p| opt_str(p, "kms_key_id"))
            && opt_str(&desired, "kms_key_id").is_some_and(|k| key_id_of(k) == key_id_of(live))
        {
            desired.insert("kms_key_id".into(), Value::from(live));
        }
        forge_engine::diff::schema_plan(&self.schema, prior, &desired)
    }

    fn classify_change(&self, path: &str, recorded: &Value, live: &Value) -> Option<String> {
        crate::rds::common::classify_version(path, recorded, live)
    }

    fn readiness(&self, observed: &Attrs) -> Readiness {
        match observed.get("status").and_then(Value::as_str) {
            None | Some("available") => Readiness::Ready,
            Some("create-failed") => Readiness::Failed("create-failed".into()),
            Some(other) => Readiness::Pending(other.to_string()),
        }
    }

    async fn observe(
        &self,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let client = self.base.client(&ctx.region).await?;
        observe_groups(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let id = req_str(desired, "replication_group_id")?;
        let shards = i32_of(desired, "num_node_groups")?;
        let mut all_tags = tags::create_tags(desired, &ctx.system_tags);
        all_tags.extend(setting_tags(desired));
        let sgs = str_list(desired, "security_group_ids");
        client
            .create_replication_group()
            .replication_group_id(id)
            .replication_group_description(
                opt_str(desired, "description").unwrap_or(DEFAULT_DESCRIPTION),
            )
            .engine(opt_str(desired, "engine").unwrap_or("redis"))
            .set_engine_version(opt_str(desired, "engine_version").map(str::to_string))
            .cache_node_type(req_str(desired, "node_type")?)
            .set_cluster_mode(shards.map(|_| ClusterMode::Enabled))
            .set_num_node_groups(shards)
            .set_replicas_per_node_group(if shards.is_some() {
                i32_of(desired, "replicas_per_node_group")?
            } else {
                None
            })
            .set_num_cache_clusters(if shards.is_none() {
                i32_of(desired, "num_cache_clusters")?
            } else {
                None
            })
            .multi_az_enabled(opt_bool(desired, "multi_az_enabled").unwrap_or(false))
            .automatic_failover_enabled(
                opt_bool(desired, "automatic_failover_enabled").unwrap_or(false),
            )
            .set_at_rest_encryption_enabled(opt_bool(desired, "at_rest_encryption_enabled"))
            .set_kms_key_id(opt_str(desired, "kms_key_id").map(str::to_string))
            .set_transit_encryption_enabled(opt_bool(desired, "transit_encryption_enabled"))
            .set_transit_encryption_mode(
                opt_str(desired, "transit_encryption_mode").map(TransitEncryptionMode::from),
            )
            .set_auth_token(text(desired, "auth_token"))
            .set_cache_subnet_group_name(
                opt_str(desired, "cache_subnet_group_name").map(str::to_string),
            )
            .set_security_group_ids(if sgs.is_empty() { None } else { Some(sgs) })
            .set_cache_parameter_group_name(
                opt_str(desired, "cache_parameter_group_name").map(str::to_string),
            )
            .set_port(i32_of(desired, "port")?)
            .set_snapshot_retention_limit(i32_of(desired, "snapshot_retention_limit")?)
            .set_snapshot_window(opt_str(desired, "snapshot_window").map(str::to_string))
            .set_preferred_maintenance_window(
                opt_str(desired, "maintenance_window").map(str::to_string),
            )
            .set_tags(Some(to_tags(&all_tags)))
            .send()
            .await
            .map_err(ec_err)?;
        Ok(Created {
            id: id.to_string(),
            attrs: observe_one(&client, id).await?,
        })
    }

    async fn update(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Attrs,
        desired: &Attrs,
        _changes: &[FieldChange],
    ) -> Result<Attrs, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let modify = modify_of(prior, desired)?;
        if !modify.is_empty() {
            let now = opt_bool(desired, "apply_immediately").unwrap_or(false);
            send_modify(&client, id, modify, now).await?;
        }
        if let Some((from, to)) = replica_change(prior, desired) {
            change_replicas(&client, id, from, to).await?;
        }
        let arn = match opt_str(prior, "arn") {
            Some(a) => a.to_string(),
            None => req_str(&observe_one(&client, id).await?, "arn")?.to_string(),
        };
        let mut extra = setting_tags(desired);
        let had = setting_tags(prior);
        extra.retain(|k, v| had.get(k) != Some(v));
        common::sync_tags(&client, &arn, prior, desired, extra).await?;
        if opt_str(prior, "final_snapshot_identifier").is_some()
            && opt_str(desired, "final_snapshot_identifier").is_none()
        {
            client
                .remove_tags_from_resource()
                .resource_name(&arn)
                .tag_keys(SNAPSHOT_TAG)
                .send()
                .await
                .map_err(ec_err)?;
        }
        observe_one(&client, id).await
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        // A group already being deleted answers InvalidReplicationGroupState
        // (transient): the retry then finds it gone.
        ignore_gone(
            client
                .delete_replication_group()
                .replication_group_id(id)
                .retain_primary_cluster(false)
                .set_final_snapshot_identifier(
                    opt_str(prior, "final_snapshot_identifier").map(str::to_string),
                )
                .send()
                .await
                .map(|_| ())
                .map_err(ec_err),
        )
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = &self.base.client(&ctx.region).await?;
        common::adopt_orphan(client, listed(client).await?, ctx, |id| async move {
            observe_groups(client, std::slice::from_ref(&id)).await
        })
        .await
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        common::owned(&client, listed(&client).await?, &ctx.owner, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_elasticache::types::{
        AutomaticFailoverStatus, CacheParameterGroupStatus, Endpoint, MultiAzStatus, NodeGroup,
        NodeGroupMember, SecurityGroupMembership,
    };
    use forge_engine::PlannedAction;
    use serde_json::json;

    fn provider() -> ReplicationGroupProvider {
        ReplicationGroupProvider::new(Arc::new(AwsClients::new(crate::AwsSettings::default())))
    }

    fn desired(j: serde_json::Value) -> Attrs {
        let mut a: Attrs = Value::from_json(&j).as_map().cloned().unwrap_or_default();
        forge_engine::diff::fill_defaults(&SCHEMA, &mut a);
        let mut a = normalize(a);
        forge_engine::diff::mark_sensitive(&SCHEMA, &mut a);
        a
    }

    fn live(version: &str) -> Attrs {
        let endpoint = |a: &str| Endpoint::builder().address(a).port(6379).build();
        let g = ReplicationGroup::builder()
            .replication_group_id("app")
            .description(DEFAULT_DESCRIPTION)
            .status("available")
            .member_clusters("app-001")
            .member_clusters("app-002")
            .node_groups(
                NodeGroup::builder()
                    .node_group_id("0001")
                    .primary_endpoint(endpoint("master.app"))
                    .reader_endpoint(endpoint("replica.app"))
                    .node_group_members(
                        NodeGroupMember::builder()
                            .cache_cluster_id("app-001")
                            .build(),
                    )
                    .node_group_members(
                        NodeGroupMember::builder()
                            .cache_cluster_id("app-002")
                            .build(),
                    )
                    .build(),
            )
            .automatic_failover(AutomaticFailoverStatus::Enabled)
            .multi_az(MultiAzStatus::Enabled)
            .snapshot_retention_limit(0)
            .snapshot_window("05:00-06:00")
            .cluster_enabled(false)
            .cache_node_type("cache.t4g.small")
            .auth_token_enabled(true)
            .transit_encryption_enabled(true)
            .at_rest_encryption_enabled(true)
            .kms_key_id("arn:aws:kms:eu-west-1:1:key/k-1")
            .arn("arn:aws:elasticache:eu-west-1:1:replicationgroup:app")
            .engine("redis")
            .build();
        let m = CacheCluster::builder()
            .cache_cluster_id("app-001")
            .engine_version(version)
            .cache_subnet_group_name("cache")
            .security_groups(
                SecurityGroupMembership::builder()
                    .security_group_id("sg-1")
                    .build(),
            )
            .cache_parameter_group(
                CacheParameterGroupStatus::builder()
                    .cache_parameter_group_name("default.redis7")
                    .build(),
            )
            .preferred_maintenance_window("sun:23:00-mon:01:30")
            .build();
        let t = vec![
            ("forge:stack".to_string(), "s".to_string()),
            (APPLY_TAG.to_string(), "true".to_string()),
            ("team".to_string(), "cache".to_string()),
        ];
        let mut a = normalize(group_attrs(&GroupView {
            group: &g,
            member: Some(&m),
            tags: Some(&t),
        }));
        // What the engine keeps from the state: the token's recorded value.
        a.insert(
            "auth_token".into(),
            Value::from("a-long-auth-token-123").sensitive(),
        );
        a
    }

    fn spec(extra: serde_json::Value) -> Attrs {
        let mut base = json!({
            "replication_group_id": "app", "engine_version": "7", "node_type": "cache.t4g.small",
            "num_cache_clusters": 2, "multi_az_enabled": true, "automatic_failover_enabled": true,
            "at_rest_encryption_enabled": true, "kms_key_id": "k-1", "transit_encryption_enabled": true,
            "auth_token": "a-long-auth-token-123", "cache_subnet_group_name": "cache",
            "security_group_ids": ["sg-1"], "apply_immediately": true, "tags": {"team": "cache"}
        });
        if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                b.insert(k.clone(), v.clone());
            }
        }
        desired(base)
    }

    #[test]
    fn observed_attrs_cover_the_schema_and_a_fresh_group_is_a_no_op() {
        let observed = live("7.1.0");
        for field in schema().fields.keys() {
            if field != "final_snapshot_identifier"
                && field != "transit_encryption_mode"
                && field != "configuration_endpoint_address"
            {
                assert!(observed.contains_key(field), "missing {field}");
            }
        }
        assert_eq!(
            observed["kms_key_id"],
            Value::from("arn:aws:kms:eu-west-1:1:key/k-1")
        );
        assert_eq!(observed["num_cache_clusters"], Value::int(2));
        assert_eq!(observed["port"], Value::int(6379));
        let plan = provider().plan(Some(&observed), &spec(json!({})));
        assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
        assert!(modify_of(&observed, &spec(json!({}))).unwrap().is_empty());
    }

    #[test]
    fn version_pins_follow_the_minor_rule() {
        let observed = live("7.1.2");
        for pin in ["7", "7.1", "7.1.2"] {
            let plan = provider().plan(Some(&observed), &spec(json!({"engine_version": pin})));
            assert_eq!(
                plan.action,
                PlannedAction::NoOp,
                "{pin}: {:?}",
                plan.changes
            );
        }
        let plan = provider().plan(Some(&observed), &spec(json!({"engine_version": "7.2"})));
        assert_eq!(plan.action, PlannedAction::Update);
        let m = modify_of(&observed, &spec(json!({"engine_version": "7.2"}))).unwrap();
        assert_eq!(m.engine_version.as_deref(), Some("7.2"));
        let p = provider();
        assert!(
            p.classify_change("engine_version", &"7.1.0".into(), &"7.1.2".into())
                .is_some()
        );
        assert!(
            p.classify_change("engine_version", &"7.1.0".into(), &"8.0.0".into())
                .is_none()
        );
        assert!(
            p.classify_change("node_type", &"7.1.0".into(), &"7.1.2".into())
                .is_none()
        );
    }

    #[test]
    fn in_place_and_force_new_fields() {
        let observed = live("7.1.0");
        let d = spec(json!({"node_type": "cache.t4g.medium", "snapshot_retention_limit": 3}));
        let plan = provider().plan(Some(&observed), &d);
        assert_eq!(plan.action, PlannedAction::Update, "{:?}", plan.changes);
        let m = modify_of(&observed, &d).unwrap();
        assert_eq!(m.node_type.as_deref(), Some("cache.t4g.medium"));
        assert_eq!(m.snapshot_retention_limit, Some(3));
        assert_eq!(m.auth_token, None);
        for change in [
            json!({"port": 6380}),
            json!({"at_rest_encryption_enabled": false}),
            json!({"kms_key_id": "k-2"}),
            json!({"cache_subnet_group_name": "other"}),
        ] {
            let plan = provider().plan(Some(&observed), &spec(change.clone()));
            assert_eq!(plan.action, PlannedAction::Replace, "{change}");
        }
    }

    #[test]
    fn auth_token_rotates_and_never_prints() {
        let observed = live("7.1.0");
        let d = spec(json!({"auth_token": "another-long-token-456"}));
        let plan = provider().plan(Some(&observed), &d);
        assert_eq!(plan.action, PlannedAction::Update);
        let m = modify_of(&observed, &d).unwrap();
        assert_eq!(m.auth_token.as_deref(), Some("another-long-token-456"));
        let shown = format!("{m:?}");
        assert!(!shown.contains("another-long-token"), "{shown}");
        assert!(
            plan.changes
                .iter()
                .all(|c| !format!("{c:?}").contains("another-long-token"))
        );
        let mut no_token = spec(json!({}));
        no_token.remove("auth_token");
        let err = modify_of(&observed, &no_token).unwrap_err();
        assert!(!err.to_string().contains("a-long-auth-token"));
    }

    #[test]
    fn replica_counts_change_in_place() {
        let observed = live("7.1.0");
        let d = spec(json!({"num_cache_clusters": 3}));
        assert_eq!(
            provider().plan(Some(&observed), &d).action,
            PlannedAction::Update
        );
        assert_eq!(replica_change(&observed, &d), Some((1, 2)));
        assert_eq!(replica_change(&observed, &spec(json!({}))), None);
    }

    #[test]
    fn readiness_follows_status() {
        let p = provider();
        let with = |s: &str| attrs([("status", Value::from(s))]);
        assert_eq!(p.readiness(&with("available")), Readiness::Ready);
        for s in ["creating", "modifying", "snapshotting"] {
            assert!(
                matches!(p.readiness(&with(s)), Readiness::Pending(_)),
                "{s}"
            );
        }
        assert!(matches!(
            p.readiness(&with("create-failed")),
            Readiness::Failed(_)
        ));
        assert!(p.holds_data() && p.await_deletion());
    }

    #[test]
    fn forge_settings_are_tags() {
        let d = spec(json!({"final_snapshot_identifier": "app-final"}));
        let t = setting_tags(&d);
        assert_eq!(t.get(APPLY_TAG).map(String::as_str), Some("true"));
        assert_eq!(t.get(SNAPSHOT_TAG).map(String::as_str), Some("app-final"));
        let observed = live("7.1.0");
        assert_eq!(observed["apply_immediately"], Value::Bool(true));
        assert_eq!(observed["tags"].as_map().map(|m| m.len()), Some(1));
    }
}
