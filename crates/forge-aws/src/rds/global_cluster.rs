//! `aws.rds.global_cluster`: an Aurora global database, the way Aurora
//! PostgreSQL keeps a replica cluster in another region (Aurora PostgreSQL
//! has no cross-region `ReplicationSourceIdentifier` replicas). The
//! primary cluster and each secondary (an `aws.rds.cluster` with `region:`
//! set to the other region) name it in `global_cluster_identifier`.
//!
//! A newer `engine_version` upgrades the global database in place
//! (ModifyGlobalCluster `EngineVersion`, with `AllowMajorVersionUpgrade`
//! for a new major version): AWS upgrades the primary and every secondary
//! cluster together, so it is not a replacement.
//!
//! The global cluster holds no data itself (its member clusters do), so
//! `holds_data()` is false; it refuses deletion while
//! `deletion_protection` is on, and it can only be deleted once no cluster
//! is a member (forge deletes members first: they depend on it).
//!
//! Observe cost: one DescribeGlobalClusters listing (paged with `Marker`;
//! its `Filters` take no identifier), tags from its `TagList`.

use super::Rds;
use super::common::{
    Settings, by_id, create_tags, lower, owned, sorted, text, user_tags, version_change,
    versioned_kind,
};
use crate::kind::prelude::*;
use crate::paging::marker_pages;
use aws_sdk_rds::Client;
use aws_sdk_rds::types::GlobalCluster;

crate::kind::declare_kind!(GlobalClusterKind: "aws.rds.global_cluster", Rds, GlobalClusterFields,
    "An Aurora global database spanning regions.");

/// The fields of `aws.rds.global_cluster`.
#[derive(Debug, Clone, Fields)]
pub struct GlobalClusterFields {
    /// The global database's identifier.
    #[field(force_new, normalize = crate::normalize::lower_value)]
    pub global_cluster_identifier: String,
    /// aurora-postgresql or aurora-mysql.
    #[field(force_new, default = "aurora-postgresql")]
    pub engine: Option<String>,
    /// Engine version (prefix pinning as for clusters); a newer one upgrades the global database and its members in place.
    #[field(optional_computed)]
    pub engine_version: Option<String>,
    /// The database created in the primary cluster.
    #[field(force_new)]
    pub database_name: Option<String>,
    /// Whether member clusters are encrypted.
    #[field(force_new, default = false)]
    pub storage_encrypted: Option<bool>,
    /// Refuse deletion while true.
    #[field(default = false)]
    pub deletion_protection: Option<bool>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The global database's ARN.
    pub arn: Computed<String>,
    /// ARNs of the member clusters.
    pub members: Computed<Vec<String>>,
    /// The global database's status.
    pub status: Computed<String>,
}

fn global_fields(g: &GlobalCluster) -> GlobalClusterFields {
    let members = g.global_cluster_members().iter();
    GlobalClusterFields {
        global_cluster_identifier: lower(g.global_cluster_identifier()).unwrap_or_default(),
        engine: text(g.engine()),
        engine_version: text(g.engine_version()),
        database_name: text(g.database_name()),
        storage_encrypted: Some(g.storage_encrypted().unwrap_or(false)),
        deletion_protection: g.deletion_protection(),
        tags: user_tags(g.tag_list()),
        arn: text(g.global_cluster_arn()),
        members: Some(sorted(members.filter_map(|m| m.db_cluster_arn()))),
        status: text(g.status()),
    }
}

async fn list_all(client: &Client) -> Result<Vec<GlobalCluster>, ProviderError> {
    let request = || client.describe_global_clusters();
    marker_pages!(request(), global_clusters, Rds::err)
}

#[async_trait]
impl Kind for GlobalClusterKind {
    // Global clusters have no region in their ARN: the tag index (per
    // region) never lists them.

    versioned_kind!(|f| f.status.as_deref());

    const POLL_INTERVAL: std::time::Duration = super::common::POLL_INTERVAL;

    // An engine upgrade of a global database (ModifyGlobalCluster) runs
    // for tens of minutes across every member; terraform-provider-aws
    // allows 90 minutes for `aws_rds_global_cluster` updates.
    const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(90 * 60);

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        let all = list_all(ctx.client).await?;
        Ok(by_id(
            &all,
            ids,
            |g| g.global_cluster_identifier(),
            global_fields,
        ))
    }

    async fn create(ctx: &Act<'_, Self>, d: &Self::Fields, _token: &str) -> Created<Self> {
        let id = d.global_cluster_identifier.to_lowercase();
        ctx.client
            .create_global_cluster()
            .global_cluster_identifier(&id)
            .engine(d.engine.as_deref().unwrap_or("aurora-postgresql"))
            .set_engine_version(d.engine_version.clone())
            .set_database_name(d.database_name.clone())
            .storage_encrypted(d.storage_encrypted.unwrap_or(false))
            .deletion_protection(d.deletion_protection.unwrap_or(false))
            .set_tags(Some(create_tags(&d.tags, ctx, &Settings::default())))
            .send()
            .await
            .map_err(Rds::err)?;
        Self::made(ctx, id).await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update {
            prior, desired: d, ..
        } = u;
        let protect = d.deletion_protection.unwrap_or(false);
        let protect = (prior.deletion_protection.unwrap_or(false) != protect).then_some(protect);
        // An upgrade is made in place, members included; a new major
        // version must be allowed explicitly (the spec asking for it is
        // the consent, as for clusters).
        let (version, major) = version_change(&prior.engine_version, &d.engine_version);
        if protect.is_some() || version.is_some() {
            ctx.client
                .modify_global_cluster()
                .global_cluster_identifier(id)
                .set_deletion_protection(protect)
                .set_engine_version(version)
                .set_allow_major_version_upgrade(major.then_some(true))
                .send()
                .await
                .map_err(Rds::err)?;
        }
        retag_and_read(ctx, id, prior.arn.as_deref(), &prior.tags, &d.tags).await
    }

    delete_by!(Rds::deleted: delete_global_cluster.global_cluster_identifier);

    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        let all = list_all(ctx.client).await?;
        let (owner, id) = (&ctx.owner, GlobalCluster::global_cluster_identifier);
        Ok(owned(&all, owner, address, id, GlobalCluster::tag_list))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing;
    use aws_sdk_rds::types::GlobalClusterMember;
    use forge_core::fields::Fields;
    use forge_engine::{PlannedAction, Provider, Readiness};

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
        let prior = global_fields(&g).to_attrs();
        let p = testing::provider::<GlobalClusterKind>();
        let want = testing::desired::<GlobalClusterKind>(serde_json::json!({
            "global_cluster_identifier": "App-Global", "engine_version": "16", "storage_encrypted": true
        }));
        let plan = p.plan(Some(&prior), &want);
        assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
        assert!(!p.holds_data());
        assert_eq!(p.readiness(&prior), Readiness::Ready);
        // A newer version upgrades in place.
        let newer = testing::desired::<GlobalClusterKind>(serde_json::json!({
            "global_cluster_identifier": "app-global", "engine_version": "17.2", "storage_encrypted": true
        }));
        let plan = p.plan(Some(&prior), &newer);
        assert_eq!(plan.action, PlannedAction::Update, "{:?}", plan.changes);
        assert!(plan.changes.iter().all(|c| !c.forces_replacement));
        let from = Some("16.6".to_string());
        assert_eq!(
            version_change(&from, &Some("17.2".into())),
            (Some("17.2".into()), true)
        );
        assert_eq!(
            version_change(&from, &Some("16.8".into())),
            (Some("16.8".into()), false)
        );
    }
}
