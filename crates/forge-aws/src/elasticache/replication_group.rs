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
//! does not diff against a live `7.1.x`; `classify_change` reports an
//! automatic upgrade AWS made as such, not as drift.
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

use super::{
    DEFAULT_DESCRIPTION, ElastiCache, TagList, create_tags, lowercase, named, owned, tag_value,
    tags_by_arn, user_tags, version_pin_matches,
};
use crate::attrs::SensitiveText;
use crate::kind::prelude::*;
use crate::paging::marker_pages;
use aws_sdk_elasticache::Client;
use aws_sdk_elasticache::types::{
    AuthTokenUpdateStrategyType, CacheCluster, ClusterMode, ReplicationGroup, TransitEncryptionMode,
};
use forge_core::fields::{Tags, read_field};
use forge_core::{Attrs, KindSchema, Value};
use forge_engine::{PlannedChange, ProviderError, Readiness};
use std::collections::BTreeMap;
use std::time::Duration;

/// The tag recording `apply_immediately`.
pub const APPLY_TAG: &str = "forge:apply_immediately";
/// The tag recording `final_snapshot_identifier`.
pub const SNAPSHOT_TAG: &str = "forge:final_snapshot_identifier";
/// Records per describe page (the API's maximum).
const PAGE_SIZE: i32 = 100;

crate::kind::declare_kind!(ReplicationGroupKind: "aws.elasticache.replication_group", ElastiCache, ReplicationGroupFields,
    "An ElastiCache (Redis OSS / Valkey) replication group.");

/// The fields of `aws.elasticache.replication_group`. `Debug` masks the
/// auth token.
#[derive(Debug, Clone, Default, PartialEq, Fields)]
pub struct ReplicationGroupFields {
    /// The group's id, lower case, unique in the region.
    #[field(force_new)]
    pub replication_group_id: String,
    /// What the group is for (ReplicationGroupDescription).
    #[field(default = DEFAULT_DESCRIPTION)]
    pub description: Option<String>,
    /// redis or valkey (redis -> valkey is an in-place upgrade).
    #[field(default = "redis", normalize = lowercase)]
    pub engine: Option<String>,
    /// Engine version; `7` or `7.1` accept any live 7.1.x (AWS applies minor upgrades). Unset: AWS's default.
    #[field(optional_computed)]
    pub engine_version: Option<String>,
    /// Node type (CacheNodeType), e.g. cache.t4g.small; changes in place.
    pub node_type: String,
    /// Without cluster mode: nodes in the group (primary + replicas, 1-6).
    #[field(optional_computed)]
    pub num_cache_clusters: Option<i64>,
    /// Cluster mode: number of shards; setting it turns cluster mode on.
    #[field(optional_computed, force_new)]
    pub num_node_groups: Option<i64>,
    /// Cluster mode: replicas in each shard (0-5).
    #[field(optional_computed)]
    pub replicas_per_node_group: Option<i64>,
    /// Multi-AZ with automatic failover to a replica in another AZ.
    #[field(default = false)]
    pub multi_az_enabled: Option<bool>,
    /// Promote a replica when the primary fails (required by multi-AZ and cluster mode).
    #[field(default = false)]
    pub automatic_failover_enabled: Option<bool>,
    /// Encrypt data on disk (fixed at creation).
    #[field(optional_computed, force_new)]
    pub at_rest_encryption_enabled: Option<bool>,
    /// KMS key (id or ARN) for at-rest encryption; unset: the AWS owned key.
    #[field(optional_computed, force_new)]
    pub kms_key_id: Option<String>,
    /// TLS between clients and nodes.
    #[field(optional_computed)]
    pub transit_encryption_enabled: Option<bool>,
    /// preferred (TLS and plain) or required (TLS only).
    #[field(optional_computed, normalize = lowercase)]
    pub transit_encryption_mode: Option<String>,
    /// Redis AUTH token (16-128 characters, needs transit encryption); write-only, stored as a hash, rotated in place.
    #[field(sensitive)]
    pub auth_token: Option<SensitiveText>,
    /// The cache subnet group (VPC placement).
    #[field(force_new)]
    pub cache_subnet_group_name: Option<String>,
    /// VPC security group ids (a set).
    #[field(optional_computed, normalize = crate::attrs::set_value)]
    pub security_group_ids: Option<Vec<String>>,
    /// The parameter group; unset: the engine's default group.
    #[field(optional_computed)]
    pub cache_parameter_group_name: Option<String>,
    /// The port nodes listen on.
    #[field(force_new, default = 6379i64)]
    pub port: Option<i64>,
    /// Days automatic snapshots are kept; 0 turns them off.
    #[field(default = 0i64)]
    pub snapshot_retention_limit: Option<i64>,
    /// Daily UTC range for automatic snapshots, e.g. 05:00-06:00.
    #[field(optional_computed)]
    pub snapshot_window: Option<String>,
    /// Weekly UTC range for maintenance (PreferredMaintenanceWindow), e.g. sun:23:00-mon:01:30.
    #[field(optional_computed, normalize = lowercase)]
    pub maintenance_window: Option<String>,
    /// forge setting: apply modifications now instead of in the next maintenance window.
    #[field(default = false)]
    pub apply_immediately: Option<bool>,
    /// forge setting: name of the snapshot taken when the group is destroyed; unset: none.
    pub final_snapshot_identifier: Option<String>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The group's ARN.
    pub arn: Computed<String>,
    /// creating, available, modifying, snapshotting, deleting or create-failed.
    pub status: Computed<String>,
    /// Whether an AUTH token is set.
    pub auth_token_enabled: Computed<bool>,
    /// Whether cluster mode is on.
    pub cluster_enabled: Computed<bool>,
    /// Ids of the member cache clusters.
    pub member_clusters: Computed<Vec<String>>,
    /// Without cluster mode: the primary's endpoint.
    pub primary_endpoint_address: Computed<String>,
    /// Without cluster mode: the load-balanced replica endpoint.
    pub reader_endpoint_address: Computed<String>,
    /// Cluster mode: the configuration endpoint.
    pub configuration_endpoint_address: Computed<String>,
    /// Changes AWS holds for the next maintenance window (modified
    /// without `apply_immediately`), by field name.
    pub pending_modified_values: Computed<BTreeMap<String, Value>>,
}

impl ReplicationGroupFields {
    /// The forge-setting tags of these fields.
    fn setting_tags(&self) -> BTreeMap<String, String> {
        let mut t = BTreeMap::new();
        let now = self.apply_immediately.unwrap_or(false);
        t.insert(APPLY_TAG.to_string(), now.to_string());
        if let Some(s) = &self.final_snapshot_identifier {
            t.insert(SNAPSHOT_TAG.to_string(), s.clone());
        }
        t
    }
}

fn status_enabled(s: Option<&str>) -> Option<bool> {
    s.map(|s| s == "enabled" || s == "enabling")
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or_default()
}

/// The fields of one group, from the group, the first member cluster AWS
/// lists (settings are the same on all) and the group's tags.
fn fields(
    g: &ReplicationGroup,
    m: Option<&CacheCluster>,
    tag_list: Option<&TagList>,
) -> ReplicationGroupFields {
    let first = g.node_groups().first();
    let primary = first.and_then(|n| n.primary_endpoint());
    let config = g.configuration_endpoint();
    let list = tag_list.map(Vec::as_slice).unwrap_or_default();
    let text = |s: Option<&str>| s.map(str::to_string);
    let mut sgs: Option<Vec<String>> = m.map(|m| {
        let ids = m.security_groups().iter();
        ids.filter_map(|s| text(s.security_group_id())).collect()
    });
    if let Some(s) = sgs.as_mut() {
        s.sort();
        s.dedup();
    }
    let lower = |s: Option<&str>| s.map(str::to_ascii_lowercase);
    ReplicationGroupFields {
        replication_group_id: g.replication_group_id().unwrap_or_default().to_string(),
        description: text(g.description()),
        engine: lower(g.engine().or_else(|| m.and_then(CacheCluster::engine))),
        engine_version: text(m.and_then(CacheCluster::engine_version)),
        node_type: g.cache_node_type().unwrap_or_default().to_string(),
        num_cache_clusters: Some(count(g.member_clusters().len())),
        num_node_groups: Some(count(g.node_groups().len())),
        replicas_per_node_group: first
            .map(|n| count(n.node_group_members().len()) - 1)
            .filter(|r| *r >= 0),
        multi_az_enabled: status_enabled(g.multi_az().map(|s| s.as_str())),
        automatic_failover_enabled: status_enabled(g.automatic_failover().map(|s| s.as_str())),
        at_rest_encryption_enabled: g.at_rest_encryption_enabled(),
        kms_key_id: text(g.kms_key_id()),
        transit_encryption_enabled: g.transit_encryption_enabled(),
        transit_encryption_mode: lower(g.transit_encryption_mode().map(|t| t.as_str())),
        auth_token: None,
        cache_subnet_group_name: text(m.and_then(CacheCluster::cache_subnet_group_name)),
        security_group_ids: sgs,
        cache_parameter_group_name: text(
            m.and_then(CacheCluster::cache_parameter_group)
                .and_then(|p| p.cache_parameter_group_name()),
        ),
        port: config
            .and_then(|e| e.port())
            .or_else(|| primary.and_then(|e| e.port()))
            .map(i64::from),
        snapshot_retention_limit: g.snapshot_retention_limit().map(i64::from),
        snapshot_window: text(g.snapshot_window()),
        maintenance_window: lower(m.and_then(CacheCluster::preferred_maintenance_window)),
        apply_immediately: Some(tag_value(list, APPLY_TAG) == Some("true")),
        final_snapshot_identifier: text(tag_value(list, SNAPSHOT_TAG)),
        tags: user_tags(tag_list),
        arn: text(g.arn()),
        status: text(g.status()),
        auth_token_enabled: Some(g.auth_token_enabled().unwrap_or(false)),
        cluster_enabled: Some(g.cluster_enabled().unwrap_or(false)),
        member_clusters: Some(g.member_clusters().to_vec()),
        primary_endpoint_address: text(primary.and_then(|e| e.address())),
        reader_endpoint_address: text(
            first
                .and_then(|n| n.reader_endpoint())
                .and_then(|e| e.address()),
        ),
        configuration_endpoint_address: text(config.and_then(|e| e.address())),
        pending_modified_values: super::pending::replication_group(
            g.pending_modified_values(),
            m.and_then(CacheCluster::pending_modified_values),
        ),
    }
}

async fn describe_groups(client: &Client) -> Result<Vec<ReplicationGroup>, ProviderError> {
    let request = || client.describe_replication_groups().max_records(PAGE_SIZE);
    marker_pages!(request(), replication_groups, ElastiCache::err)
}

async fn describe_clusters(client: &Client) -> Result<Vec<CacheCluster>, ProviderError> {
    let request = || client.describe_cache_clusters().max_records(PAGE_SIZE);
    let request = || request().show_cache_clusters_not_in_replication_groups(false);
    marker_pages!(request(), cache_clusters, ElastiCache::err)
}

fn i32_of(n: Option<i64>, name: &str) -> Result<Option<i32>, ProviderError> {
    n.map(|n| {
        i32::try_from(n).map_err(|_| ProviderError::Invalid(format!("`{name}` is out of range")))
    })
    .transpose()
}

/// The desired value when the spec sets one that differs from the live one
/// (a field the spec leaves unset is AWS's choice, not sent).
fn changed<T: PartialEq + Clone>(want: &Option<T>, have: &Option<T>) -> Option<T> {
    want.clone().filter(|w| have.as_ref() != Some(w))
}

/// The ModifyReplicationGroup changes from `prior` to `desired`, as
/// fields: what is unchanged (or left to AWS) is unset.
pub fn modify_of(
    p: &ReplicationGroupFields,
    d: &ReplicationGroupFields,
) -> Result<ReplicationGroupFields, ProviderError> {
    let engine_version = match (&d.engine_version, &p.engine_version) {
        (Some(want), Some(live)) if version_pin_matches(want, live) => None,
        (want, _) => want.clone(),
    };
    let sorted = |v: &Option<Vec<String>>| {
        let mut v = v.clone().unwrap_or_default();
        v.sort();
        v
    };
    let security_group_ids = d
        .security_group_ids
        .as_ref()
        .map(|_| sorted(&d.security_group_ids))
        .filter(|want| *want != sorted(&p.security_group_ids));
    if d.auth_token.is_none() && p.auth_token.is_some() {
        return Err(ProviderError::Invalid(
            "auth_token cannot be removed in place: AWS drops an AUTH token only when moving the group to \
             RBAC user groups; keep auth_token set, or replace the group under a new replication_group_id"
                .into(),
        ));
    }
    // The fields sent when the spec sets a value that differs from the live one.
    macro_rules! changed {
        ($($f:ident),*) => {
            ReplicationGroupFields {
                $($f: changed(&d.$f, &p.$f),)*
                engine_version,
                node_type: if d.node_type != p.node_type { d.node_type.clone() } else { String::new() },
                security_group_ids,
                ..ReplicationGroupFields::default()
            }
        };
    }
    Ok(changed!(
        description,
        engine,
        multi_az_enabled,
        automatic_failover_enabled,
        cache_parameter_group_name,
        snapshot_retention_limit,
        snapshot_window,
        maintenance_window,
        transit_encryption_enabled,
        transit_encryption_mode,
        auth_token
    ))
}

/// Sends the changes of [`modify_of`] (an empty `node_type` is unchanged).
async fn send_modify(
    client: &Client,
    id: &str,
    m: ReplicationGroupFields,
    apply_immediately: bool,
) -> Result<(), ProviderError> {
    let strategy = m
        .auth_token
        .as_ref()
        .map(|_| AuthTokenUpdateStrategyType::Rotate);
    let retention = i32_of(m.snapshot_retention_limit, "snapshot_retention_limit")?;
    client
        .modify_replication_group()
        .replication_group_id(id)
        .apply_immediately(apply_immediately)
        .set_replication_group_description(m.description)
        .set_engine(m.engine)
        .set_engine_version(m.engine_version)
        .set_cache_node_type(Some(m.node_type).filter(|t| !t.is_empty()))
        .set_multi_az_enabled(m.multi_az_enabled)
        .set_automatic_failover_enabled(m.automatic_failover_enabled)
        .set_security_group_ids(m.security_group_ids)
        .set_cache_parameter_group_name(m.cache_parameter_group_name)
        .set_snapshot_retention_limit(retention)
        .set_snapshot_window(m.snapshot_window)
        .set_preferred_maintenance_window(m.maintenance_window)
        .set_transit_encryption_enabled(m.transit_encryption_enabled)
        .set_transit_encryption_mode(
            m.transit_encryption_mode
                .as_deref()
                .map(TransitEncryptionMode::from),
        )
        .set_auth_token(m.auth_token.map(|t| t.0))
        .set_auth_token_update_strategy(strategy)
        .send()
        .await
        .map_err(ElastiCache::err)?;
    Ok(())
}

/// The replica count per shard (or, without cluster mode, replicas of the
/// primary) the spec asks for, if it differs from the live one:
/// `Some((from, to))`.
pub fn replica_change(
    prior: &ReplicationGroupFields,
    desired: &ReplicationGroupFields,
) -> Option<(i64, i64)> {
    let (have, want) = if prior.cluster_enabled.unwrap_or(false) {
        (
            prior.replicas_per_node_group?,
            desired.replicas_per_node_group?,
        )
    } else {
        (
            prior.num_cache_clusters? - 1,
            desired.num_cache_clusters? - 1,
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
    let count = i32_of(Some(to), "replica count")?;
    // Both calls require ApplyImmediately=true.
    macro_rules! send {
        ($call:ident) => {
            (client
                .$call()
                .replication_group_id(id)
                .set_new_replica_count(count))
            .apply_immediately(true)
            .send()
            .await
            .map(|_| ())
            .map_err(ElastiCache::err)
        };
    }
    if to > from {
        send!(increase_replica_count)
    } else {
        send!(decrease_replica_count)
    }
}

/// A text field of attributes being planned, unless unset or not yet known.
fn planned_text(attrs: &Attrs, field: &str) -> Option<String> {
    read_field::<Option<String>>(attrs, field).ok().flatten()
}

#[async_trait]
impl Kind for ReplicationGroupKind {
    const ARNS: &[ArnShape] = &[ArnShape::rest("elasticache", "replicationgroup:")];

    const HOLDS_DATA: bool = true;

    const AWAIT_DELETION: bool = true;

    const POLL_INTERVAL: Duration = Duration::from_secs(15);

    // Creating a multi-AZ group takes 10-20 minutes; node type changes
    // with data migration can take longer.
    const READY_TIMEOUT: Duration = Duration::from_secs(90 * 60);

    /// Plans against the live engine version when the spec's pin accepts
    /// it (a minor version AWS picked or upgraded to is no diff), else
    /// against the pending version when the pin accepts that (AWS reports
    /// `7.2.0` pending for a `7.2` asked: still pending, not planned
    /// again), and against the live KMS key when the spec names the same
    /// key by id and AWS by ARN (or the other way round). The spec's text is
    /// what create sends (a cross-account key needs its ARN), so this is
    /// decided here, not by normalizing.
    fn plan(schema: &KindSchema, prior: Option<&Attrs>, desired: &Attrs) -> PlannedChange {
        let mut desired = desired.clone();
        let pending_version = prior
            .and_then(|p| p.get(forge_engine::deferred::PENDING_FIELD))
            .and_then(Value::as_map)
            .and_then(|m| m.get("engine_version"))
            .and_then(Value::as_str)
            .map(str::to_string);
        for field in ["engine_version", "kms_key_id"] {
            let live = prior.and_then(|p| planned_text(p, field));
            let Some(want) = planned_text(&desired, field) else {
                continue;
            };
            let same = |have: &str| match field {
                "engine_version" => version_pin_matches(&want, have),
                _ => crate::arn::key_id_of(&want) == crate::arn::key_id_of(have),
            };
            let candidates = [
                live,
                (field == "engine_version")
                    .then(|| pending_version.clone())
                    .flatten(),
            ];
            if let Some(have) = candidates.into_iter().flatten().find(|h| same(h)) {
                desired.insert(field.into(), Value::String(have));
            }
        }
        forge_engine::diff::schema_plan(schema, prior, &desired)
    }

    fn classify_change(path: &str, recorded: &Value, live: &Value, _: &Attrs) -> Option<String> {
        crate::normalize::classify_version(path, recorded, live)
    }

    fn deleting(observed: &ReplicationGroupFields) -> bool {
        observed.status.as_deref() == Some("deleting")
    }

    fn readiness(observed: &ReplicationGroupFields) -> Readiness {
        match observed.status.as_deref() {
            None | Some("available") => Readiness::Ready,
            Some("create-failed") => Readiness::Failed("create-failed".into()),
            Some(other) => Readiness::Pending(other.to_string()),
        }
    }

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        let all = describe_groups(ctx.client).await?;
        let groups = named(all, ids, ReplicationGroup::replication_group_id);
        if groups.is_empty() {
            return Ok(BTreeMap::new());
        }
        let clusters = describe_clusters(ctx.client).await?;
        let arns = groups.iter().filter_map(|g| g.arn().map(str::to_string));
        let tags = tags_by_arn(ctx.client, arns.collect()).await?;
        Ok(groups
            .iter()
            .filter_map(|g| {
                let id = g.replication_group_id()?;
                // The member AWS lists first in the group is the reference;
                // members share the group-level settings read from it.
                let cluster = |m: &String| {
                    let mut all = clusters.iter();
                    all.find(|c| c.cache_cluster_id() == Some(m.as_str()))
                };
                let member = g.member_clusters().iter().find_map(cluster).or_else(|| {
                    let mut all = clusters.iter();
                    all.find(|c| c.replication_group_id() == Some(id))
                });
                let t = g.arn().and_then(|a| tags.get(a));
                Some((id.to_string(), fields(g, member, t)))
            })
            .collect())
    }

    async fn create(ctx: &Act<'_, Self>, d: &Self::Fields, _token: &str) -> Created<Self> {
        let id = &d.replication_group_id;
        let shards = i32_of(d.num_node_groups, "num_node_groups")?;
        let sgs = d.security_group_ids.clone().filter(|s| !s.is_empty());
        let (replicas, nodes) = match shards {
            Some(_) => (d.replicas_per_node_group, None),
            None => (None, d.num_cache_clusters),
        };
        ctx.client
            .create_replication_group()
            .replication_group_id(id)
            .replication_group_description(d.description.as_deref().unwrap_or(DEFAULT_DESCRIPTION))
            .engine(d.engine.as_deref().unwrap_or("redis"))
            .set_engine_version(d.engine_version.clone())
            .cache_node_type(&d.node_type)
            .set_cluster_mode(shards.map(|_| ClusterMode::Enabled))
            .set_num_node_groups(shards)
            .set_replicas_per_node_group(i32_of(replicas, "replicas_per_node_group")?)
            .set_num_cache_clusters(i32_of(nodes, "num_cache_clusters")?)
            .multi_az_enabled(d.multi_az_enabled.unwrap_or(false))
            .automatic_failover_enabled(d.automatic_failover_enabled.unwrap_or(false))
            .set_at_rest_encryption_enabled(d.at_rest_encryption_enabled)
            .set_kms_key_id(d.kms_key_id.clone())
            .set_transit_encryption_enabled(d.transit_encryption_enabled)
            .set_transit_encryption_mode(
                d.transit_encryption_mode
                    .as_deref()
                    .map(TransitEncryptionMode::from),
            )
            .set_auth_token(d.auth_token.clone().map(|t| t.0).filter(|t| !t.is_empty()))
            .set_cache_subnet_group_name(d.cache_subnet_group_name.clone())
            .set_security_group_ids(sgs)
            .set_cache_parameter_group_name(d.cache_parameter_group_name.clone())
            .set_port(i32_of(d.port, "port")?)
            .set_snapshot_retention_limit(i32_of(
                d.snapshot_retention_limit,
                "snapshot_retention_limit",
            )?)
            .set_snapshot_window(d.snapshot_window.clone())
            .set_preferred_maintenance_window(d.maintenance_window.clone())
            .set_tags(create_tags(&d.tags, ctx, d.setting_tags()))
            .send()
            .await
            .map_err(ElastiCache::err)?;
        Self::made(ctx, id.clone()).await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        let modify = modify_of(prior, desired)?;
        if modify != ReplicationGroupFields::default() {
            let now = desired.apply_immediately.unwrap_or(false);
            send_modify(ctx.client, id, modify, now).await?;
        }
        if let Some((from, to)) = replica_change(prior, desired) {
            change_replicas(ctx.client, id, from, to).await?;
        }
        let arn = match &prior.arn {
            Some(a) => a.clone(),
            None => Self::read_back(ctx, id).await?.arn.unwrap_or_default(),
        };
        sync_tags::<ElastiCache>(ctx.client, &arn, &prior.tags, &desired.tags).await?;
        // The forge settings' tags: set what changed, drop a snapshot name
        // the spec no longer sets.
        let had = prior.setting_tags();
        let mut settings = desired.setting_tags();
        settings.retain(|k, v| had.get(k) != Some(v));
        if !settings.is_empty() {
            ElastiCache::tag(ctx.client, &arn, &settings).await?;
        }
        if prior.final_snapshot_identifier.is_some() && desired.final_snapshot_identifier.is_none()
        {
            ElastiCache::untag(ctx.client, &arn, &[SNAPSHOT_TAG.to_string()]).await?;
        }
        Self::read_back(ctx, id).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, prior: &Self::Fields) -> Res<()> {
        // A group already being deleted answers InvalidReplicationGroupState
        // (transient): the retry then finds it gone.
        ElastiCache::deleted(
            ctx.client
                .delete_replication_group()
                .replication_group_id(id)
                .retain_primary_cluster(false)
                .set_final_snapshot_identifier(prior.final_snapshot_identifier.clone())
                .send()
                .await,
        )
    }

    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        let mut groups = describe_groups(ctx.client).await?;
        groups.retain(|g| g.status() != Some("deleting"));
        let id = ReplicationGroup::replication_group_id;
        owned(ctx.client, ctx, &groups, id, ReplicationGroup::arn, address).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing::{self, assert_covers_schema, provider, typed};
    use aws_sdk_elasticache::types::{
        AutomaticFailoverStatus, CacheParameterGroupStatus, Endpoint, MultiAzStatus, NodeGroup,
        NodeGroupMember, SecurityGroupMembership,
    };
    use forge_core::fields::Fields;
    use forge_engine::{PlannedAction, Provider};
    use serde_json::json;

    type K = ReplicationGroupKind;

    fn desired(j: serde_json::Value) -> Attrs {
        let mut a = testing::desired::<K>(j);
        forge_engine::diff::mark_sensitive(provider::<K>().schema(), &mut a);
        a
    }

    fn live(version: &str) -> Attrs {
        let endpoint = |a: &str| Endpoint::builder().address(a).port(6379).build();
        let member = |id: &str| NodeGroupMember::builder().cache_cluster_id(id).build();
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
                    .node_group_members(member("app-001"))
                    .node_group_members(member("app-002"))
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
        let sg = SecurityGroupMembership::builder()
            .security_group_id("sg-1")
            .build();
        let pg = CacheParameterGroupStatus::builder()
            .cache_parameter_group_name("default.redis7")
            .build();
        let m = CacheCluster::builder()
            .cache_cluster_id("app-001")
            .engine_version(version)
            .cache_subnet_group_name("cache")
            .security_groups(sg)
            .cache_parameter_group(pg)
            .preferred_maintenance_window("sun:23:00-mon:01:30")
            .build();
        let t = vec![
            ("forge:stack".to_string(), "s".to_string()),
            (APPLY_TAG.to_string(), "true".to_string()),
            ("team".to_string(), "cache".to_string()),
        ];
        let mut a = testing::observed::<K>(&fields(&g, Some(&m), Some(&t)));
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
        let unset = [
            "final_snapshot_identifier",
            "transit_encryption_mode",
            "configuration_endpoint_address",
            "pending_modified_values",
        ];
        assert_covers_schema::<K>(&observed, &unset);
        assert_eq!(
            observed["kms_key_id"],
            Value::from("arn:aws:kms:eu-west-1:1:key/k-1")
        );
        assert_eq!(observed["num_cache_clusters"], Value::int(2));
        assert_eq!(observed["port"], Value::int(6379));
        let plan = provider::<K>().plan(Some(&observed), &spec(json!({})));
        assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
        let m = modify_of(&typed::<K>(&observed), &typed::<K>(&spec(json!({})))).unwrap();
        assert_eq!(m, ReplicationGroupFields::default());
    }

    #[test]
    fn version_pins_follow_the_minor_rule() {
        let observed = live("7.1.2");
        for pin in ["7", "7.1", "7.1.2"] {
            let plan = provider::<K>().plan(Some(&observed), &spec(json!({"engine_version": pin})));
            assert_eq!(
                plan.action,
                PlannedAction::NoOp,
                "{pin}: {:?}",
                plan.changes
            );
        }
        let want = spec(json!({"engine_version": "7.2"}));
        assert_eq!(
            provider::<K>().plan(Some(&observed), &want).action,
            PlannedAction::Update
        );
        let m = modify_of(&typed::<K>(&observed), &typed::<K>(&want)).unwrap();
        assert_eq!(m.engine_version.as_deref(), Some("7.2"));
        let p = provider::<K>();
        let classify =
            |path, a: &str, b: &str| p.classify_change(path, &a.into(), &b.into(), &Attrs::new());
        assert!(classify("engine_version", "7.1.0", "7.1.2").is_some());
        assert!(classify("engine_version", "7.1.0", "8.0.0").is_none());
        assert!(classify("node_type", "7.1.0", "7.1.2").is_none());
    }

    #[test]
    fn in_place_and_force_new_fields() {
        let observed = live("7.1.0");
        let d = spec(json!({"node_type": "cache.t4g.medium", "snapshot_retention_limit": 3}));
        let plan = provider::<K>().plan(Some(&observed), &d);
        assert_eq!(plan.action, PlannedAction::Update, "{:?}", plan.changes);
        let m = modify_of(&typed::<K>(&observed), &typed::<K>(&d)).unwrap();
        assert_eq!(m.node_type, "cache.t4g.medium");
        assert_eq!(m.snapshot_retention_limit, Some(3));
        assert_eq!(m.auth_token, None);
        for change in [
            json!({"port": 6380}),
            json!({"at_rest_encryption_enabled": false}),
            json!({"kms_key_id": "k-2"}),
            json!({"cache_subnet_group_name": "other"}),
        ] {
            let plan = provider::<K>().plan(Some(&observed), &spec(change.clone()));
            assert_eq!(plan.action, PlannedAction::Replace, "{change}");
        }
    }

    #[test]
    fn auth_token_rotates_and_never_prints() {
        let observed = live("7.1.0");
        let d = spec(json!({"auth_token": "another-long-token-456"}));
        let plan = provider::<K>().plan(Some(&observed), &d);
        assert_eq!(plan.action, PlannedAction::Update);
        let m = modify_of(&typed::<K>(&observed), &typed::<K>(&d)).unwrap();
        assert_eq!(
            m.auth_token,
            Some(SensitiveText("another-long-token-456".into()))
        );
        let shown = format!("{m:?} {:?}", typed::<K>(&d));
        assert!(!shown.contains("another-long-token"), "{shown}");
        assert!(
            plan.changes
                .iter()
                .all(|c| !format!("{c:?}").contains("another-long-token"))
        );
        let mut no_token = spec(json!({}));
        no_token.remove("auth_token");
        let err = modify_of(&typed::<K>(&observed), &typed::<K>(&no_token)).unwrap_err();
        assert!(!err.to_string().contains("a-long-auth-token"));
    }

    #[test]
    fn replica_counts_change_in_place() {
        let observed = live("7.1.0");
        let d = spec(json!({"num_cache_clusters": 3}));
        assert_eq!(
            provider::<K>().plan(Some(&observed), &d).action,
            PlannedAction::Update
        );
        assert_eq!(
            replica_change(&typed::<K>(&observed), &typed::<K>(&d)),
            Some((1, 2))
        );
        assert_eq!(
            replica_change(&typed::<K>(&observed), &typed::<K>(&spec(json!({})))),
            None
        );
    }

    #[test]
    fn readiness_follows_status() {
        let p = provider::<K>();
        let with = |s: &str| {
            let f = ReplicationGroupFields {
                status: Some(s.into()),
                ..Default::default()
            };
            p.readiness(&f.to_attrs())
        };
        assert_eq!(with("available"), Readiness::Ready);
        for s in ["creating", "modifying", "snapshotting"] {
            assert!(matches!(with(s), Readiness::Pending(_)), "{s}");
        }
        assert!(matches!(with("create-failed"), Readiness::Failed(_)));
        assert!(p.holds_data() && p.await_deletion());
    }

    #[test]
    fn a_change_awaiting_the_maintenance_window_is_pending_not_planned() {
        let mut observed = live("7.1.0");
        let pending = BTreeMap::from([
            ("node_type".to_string(), Value::from("cache.t4g.medium")),
            ("engine_version".to_string(), Value::from("7.2.0")),
        ]);
        observed.insert(
            forge_engine::deferred::PENDING_FIELD.into(),
            Value::Map(pending),
        );
        // The node type and the version (asked as `7.2`, pending as
        // `7.2.0`) are pending: nothing to do, both shown.
        let want = spec(json!({"node_type": "cache.t4g.medium", "engine_version": "7.2"}));
        let plan = provider::<K>().plan(Some(&observed), &want);
        assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
        let paths: Vec<&str> = plan.pending.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, ["engine_version", "node_type"]);
        // Another value than the pending one plans as a change.
        let other = spec(json!({"node_type": "cache.t4g.large", "engine_version": "7.2"}));
        let plan = provider::<K>().plan(Some(&observed), &other);
        assert_eq!(plan.action, PlannedAction::Update);
        assert_eq!(plan.changes.len(), 1, "{:?}", plan.changes);
        assert_eq!(plan.changes[0].path, "node_type");
    }

    #[test]
    fn forge_settings_are_tags() {
        let d = typed::<K>(&spec(json!({"final_snapshot_identifier": "app-final"})));
        let t = d.setting_tags();
        assert_eq!(t.get(APPLY_TAG).map(String::as_str), Some("true"));
        assert_eq!(t.get(SNAPSHOT_TAG).map(String::as_str), Some("app-final"));
        let observed = live("7.1.0");
        assert_eq!(observed["apply_immediately"], Value::Bool(true));
        assert_eq!(observed["tags"].as_map().map(|m| m.len()), Some(1));
    }
}
