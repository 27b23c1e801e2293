//! `aws.rds.global_cluster`: an Aurora global database, the way Aurora
//! PostgreSQL keeps a replica cluster in another region (Aurora PostgreSQL
//! has no cross-region `ReplicationSourceIdentifier` replicas). The
//! primary cluster and each secondary (an `aws.rds.cluster` with `region:`
//! set to the other region) name it in `global_cluster_identifier`.
//!
//! The global cluster holds no data itself (its member clusters do), so
//! `holds_data()` is false; it refuses deletion while
//! `deletion_protection` is on, and it can only be deleted once no cluster
//! is a member (forge deletes members first: they depend on it).
//!
//! Observe cost: one DescribeGlobalClusters listing (paged with `Marker`;
//! its `Filters` take no identifier), tags from its `TagList`.

use super::common::{
    CONCURRENCY, classify_version, ignore_gone, lower_fields, observed_tags, owned, rds_err,
    readiness_of, to_tags,
};
use crate::attrs::attrs;
use crate::attrs::{bool_or_null, opt_bool, opt_str, req_str, str_or_null, str_set};
use crate::clients::AwsClients;
use crate::normalize::normalize_common;
use crate::paging::collect_pages;
use crate::tags;
use crate::tags::tags_field;
use async_trait::async_trait;
use aws_sdk_rds::Client;
use aws_sdk_rds::types::GlobalCluster;
use forge_core::{Attrs, FieldSchema as F, FieldType as T, KindSchema, Value};
use forge_engine::Owner;
use forge_engine::{
    Created, FieldChange, ObserveCtx, PlannedChange, Provider, ProviderError, Readiness,
    ResourceCtx,
};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

/// The `aws.rds.global_cluster` provider.
pub struct GlobalClusterProvider {
    clients: Arc<AwsClients>,
    schema: KindSchema,
}

impl GlobalClusterProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        GlobalClusterProvider {
            clients,
            schema: schema(),
        }
    }

    async fn client(&self, region: &str) -> Result<Client, ProviderError> {
        self.clients.client(region, Client::new).await
    }
}

/// The schema of `aws.rds.global_cluster`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.rds.global_cluster",
        "An Aurora global database spanning regions.",
        [
            (
                "global_cluster_identifier",
                F::required(T::String)
                    .force_new()
                    .describe("The global database's identifier."),
            ),
            (
                "engine",
                F::optional(T::String)
                    .force_new()
                    .default("aurora-postgresql")
                    .describe("aurora-postgresql or aurora-mysql."),
            ),
            (
                "engine_version",
                F::optional_computed(T::String)
                    .force_new()
                    .describe("Engine version (prefix pinning as for clusters)."),
            ),
            (
                "database_name",
                F::optional(T::String)
                    .force_new()
                    .describe("The database created in the primary cluster."),
            ),
            (
                "storage_encrypted",
                F::optional(T::Bool)
                    .force_new()
                    .default(false)
                    .describe("Whether member clusters are encrypted."),
            ),
            (
                "deletion_protection",
                F::optional(T::Bool)
                    .default(false)
                    .describe("Refuse deletion while true."),
            ),
            ("tags", tags_field()),
            (
                "arn",
                F::computed(T::String).describe("The global database's ARN."),
            ),
            (
                "members",
                F::computed(T::list(T::String)).describe("ARNs of the member clusters."),
            ),
            (
                "status",
                F::computed(T::String).describe("The global database's status."),
            ),
        ],
    )
}

static SCHEMA: LazyLock<KindSchema> = LazyLock::new(schema);

fn normalize(mut a: Attrs) -> Attrs {
    lower_fields(&mut a, &["global_cluster_identifier"]);
    normalize_common(&SCHEMA, &mut a);
    a
}

fn global_attrs(g: &GlobalCluster) -> Attrs {
    normalize(attrs([
        ("id", str_or_null(g.global_cluster_identifier())),
        (
            "global_cluster_identifier",
            str_or_null(g.global_cluster_identifier()),
        ),
        ("engine", str_or_null(g.engine())),
        ("engine_version", str_or_null(g.engine_version())),
        ("database_name", str_or_null(g.database_name())),
        (
            "storage_encrypted",
            Value::Bool(g.storage_encrypted().unwrap_or(false)),
        ),
        ("deletion_protection", bool_or_null(g.deletion_protection())),
        ("tags", observed_tags(g.tag_list())),
        ("arn", str_or_null(g.global_cluster_arn())),
        (
            "members",
            str_set(
                g.global_cluster_members()
                    .iter()
                    .filter_map(|m| m.db_cluster_arn()),
            ),
        ),
        ("status", str_or_null(g.status())),
    ]))
}

async fn list_all(client: &Client) -> Result<Vec<GlobalCluster>, ProviderError> {
    collect_pages(|marker| async move {
        let out = client
            .describe_global_clusters()
            .set_marker(marker)
            .send()
            .await
            .map_err(rds_err)?;
        Ok((
            out.global_clusters().to_vec(),
            out.marker().map(str::to_string),
        ))
    })
    .await
}

/// `(id, forge:address)` of the global clusters owned by `stack` (and
/// `address`).
async fn owned_globals(
    client: &Client,
    owner: &Owner,
    address: Option<&str>,
) -> Result<Vec<(String, Option<String>)>, ProviderError> {
    let all = list_all(client).await?;
    Ok(owned(
        &all,
        owner,
        address,
        |g| g.global_cluster_identifier(),
        |g| g.tag_list(),
    ))
}

async fn observe_globals(
    client: &Client,
    ids: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let mut out = BTreeMap::new();
    for g in list_all(client).await? {
        let Some(name) = g.global_cluster_identifier() else {
            continue;
        };
        for id in ids.iter().filter(|i| i.eq_ignore_ascii_case(name)) {
            out.insert(id.clone(), global_attrs(&g));
        }
    }
    Ok(out)
}

async fn observe_one(client: &Client, id: &str) -> Result<Attrs, ProviderError> {
    crate::attrs::observed(
        observe_globals(client, &[id.to_string()]).await?,
        id,
        "global cluster",
    )
}

#[async_trait]
impl Provider for GlobalClusterProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(CONCURRENCY)
    }

    fn await_deletion(&self) -> bool {
        true
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
        super::common::align_version(prior, &mut desired);
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
        observe_globals(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        d: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.client(&ctx.region).await?;
        let id = req_str(d, "global_cluster_identifier")?.to_lowercase();
        client
            .create_global_cluster()
            .global_cluster_identifier(&id)
            .engine(opt_str(d, "engine").unwrap_or("aurora-postgresql"))
            .set_engine_version(opt_str(d, "engine_version").map(str::to_string))
            .set_database_name(opt_str(d, "database_name").map(str::to_string))
            .storage_encrypted(opt_bool(d, "storage_encrypted").unwrap_or(false))
            .deletion_protection(opt_bool(d, "deletion_protection").unwrap_or(false))
            .set_tags(Some(to_tags(&tags::create_tags(d, &ctx.system_tags))))
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
        if changes.iter().any(|c| c.path == "deletion_protection") {
            client
                .modify_global_cluster()
                .global_cluster_identifier(id)
                .deletion_protection(opt_bool(d, "deletion_protection").unwrap_or(false))
                .send()
                .await
                .map_err(rds_err)?;
        }
        if let Some(arn) = opt_str(prior, "arn") {
            super::common::sync_tags(&client, arn, prior, d, &[]).await?;
        }
        observe_one(&client, id).await
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.client(&ctx.region).await?;
        ignore_gone(
            client
                .delete_global_cluster()
                .global_cluster_identifier(id)
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
        let ids = owned_globals(client, &ctx.owner, Some(&ctx.address.to_string())).await?;
        tags::adopt_owned(ctx, ids, |id| async move {
            observe_globals(client, std::slice::from_ref(&id)).await
        })
        .await
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.client(&ctx.region).await?;
        owned_globals(&client, &ctx.owner, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_rds::types::GlobalClusterMember;
    use forge_engine::PlannedAction;

    #[test]
    fn observed_global_cluster_plans_no_op() {
        let g = GlobalCluster::builder()
            .global_cluster_identifier("app-global")
            .engine("aurora-postgresql")
            .engine_version("16.6")
            .storage_encrypted(true)
            .deletion_protection(false)
            .global_cluster_arn("arn:aws:rds::123456789012:global-cluster:app-global")
            .global_cluster_members(
                GlobalClusterMember::builder()
                    .db_cluster_arn("arn:c")
                    .build(),
            )
            .status("available")
            .build();
        let prior = global_attrs(&g);
        let p =
            GlobalClusterProvider::new(Arc::new(AwsClients::new(crate::AwsSettings::default())));
        let mut want: Attrs = Value::from_json(&serde_json::json!({
            "global_cluster_identifier": "app-global", "engine_version": "16", "storage_encrypted": true
        }))
        .as_map()
        .cloned()
        .unwrap();
        forge_engine::diff::fill_defaults(&SCHEMA, &mut want);
        let plan = p.plan(Some(&prior), &normalize(want));
        assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
        assert!(!p.holds_data());
    }
}
