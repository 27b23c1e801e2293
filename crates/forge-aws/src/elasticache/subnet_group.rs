//! `aws.elasticache.subnet_group`: a cache subnet group (the VPC subnets a
//! replication group's nodes are placed in).
//!
//! The group's name is its id and cannot change (replacement); the
//! description and the subnets change in place with
//! ModifyCacheSubnetGroup.
//!
//! Observe cost: DescribeCacheSubnetGroups takes one name or none, so
//! observe lists every group of the region (paged with `Marker`, 100 per
//! page) in one call sequence and keeps the names asked for; then one
//! ListTagsForResource per group found (ElastiCache returns tags from no
//! describe), at most eight in flight. A stack with n groups in a region
//! with N costs ceil(N/100) + n requests.

use super::{
    DEFAULT_DESCRIPTION, ElastiCache, TagList, create_tags, named, owned, tags_by_arn, user_tags,
};
use crate::error::ignore_gone;
use crate::kind::prelude::*;
use crate::paging::marker_pages;
use aws_sdk_elasticache::Client;
use aws_sdk_elasticache::types::CacheSubnetGroup;
use std::collections::BTreeMap;

crate::kind::declare_kind!(SubnetGroupKind: "aws.elasticache.subnet_group", ElastiCache, SubnetGroupFields,
    "An ElastiCache cache subnet group.");

/// The fields of `aws.elasticache.subnet_group`.
#[derive(Debug, Clone, Fields)]
pub struct SubnetGroupFields {
    /// The group's name (CacheSubnetGroupName), lower case, unique in the region.
    #[field(force_new)]
    pub name: String,
    /// What the group is for.
    #[field(default = DEFAULT_DESCRIPTION)]
    pub description: Option<String>,
    /// VPC subnet ids (a set), all in one VPC.
    #[field(normalize = crate::attrs::set_value)]
    pub subnet_ids: Vec<String>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The group's ARN.
    pub arn: Computed<String>,
    /// The VPC of its subnets.
    pub vpc_id: Computed<String>,
}

impl SubnetGroupFields {
    fn description(&self) -> &str {
        self.description.as_deref().unwrap_or(DEFAULT_DESCRIPTION)
    }

    fn sorted_subnets(&self) -> Vec<String> {
        let mut ids = self.subnet_ids.clone();
        ids.sort();
        ids.dedup();
        ids
    }
}

fn fields(g: &CacheSubnetGroup, tag_list: Option<&TagList>) -> SubnetGroupFields {
    let f = SubnetGroupFields {
        name: g.cache_subnet_group_name().unwrap_or_default().to_string(),
        description: g.cache_subnet_group_description().map(str::to_string),
        subnet_ids: g
            .subnets()
            .iter()
            .filter_map(|s| s.subnet_identifier().map(str::to_string))
            .collect(),
        tags: user_tags(tag_list),
        arn: g.arn().map(str::to_string),
        vpc_id: g.vpc_id().map(str::to_string),
    };
    SubnetGroupFields {
        subnet_ids: f.sorted_subnets(),
        ..f
    }
}

/// Every cache subnet group of the region (all pages).
async fn describe_all(client: &Client) -> Result<Vec<CacheSubnetGroup>, ProviderError> {
    let request = || client.describe_cache_subnet_groups();
    marker_pages!(request(), cache_subnet_groups, ElastiCache::err)
}

/// Whether the group itself (description or subnets) must be modified.
fn needs_modify(prior: &SubnetGroupFields, desired: &SubnetGroupFields) -> bool {
    prior.sorted_subnets() != desired.sorted_subnets()
        || prior.description() != desired.description()
}

#[async_trait]
impl Kind for SubnetGroupKind {
    const ARNS: &[ArnShape] = &[ArnShape::rest("elasticache", "subnetgroup:")];

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        let all = describe_all(ctx.client).await?;
        let wanted = named(all, ids, CacheSubnetGroup::cache_subnet_group_name);
        let arns = wanted.iter().filter_map(|g| g.arn().map(str::to_string));
        let tags = tags_by_arn(ctx.client, arns.collect()).await?;
        Ok(wanted
            .iter()
            .filter_map(|g| {
                let t = g.arn().and_then(|a| tags.get(a));
                Some((g.cache_subnet_group_name()?.to_string(), fields(g, t)))
            })
            .collect())
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        ctx.client
            .create_cache_subnet_group()
            .cache_subnet_group_name(&desired.name)
            .cache_subnet_group_description(desired.description())
            .set_subnet_ids(Some(desired.subnet_ids.clone()))
            .set_tags(create_tags(&desired.tags, ctx, BTreeMap::new()))
            .send()
            .await
            .map_err(ElastiCache::err)?;
        Self::made(ctx, desired.name.clone()).await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        if needs_modify(prior, desired) {
            ctx.client
                .modify_cache_subnet_group()
                .cache_subnet_group_name(id)
                .cache_subnet_group_description(desired.description())
                .set_subnet_ids(Some(desired.subnet_ids.clone()))
                .send()
                .await
                .map_err(ElastiCache::err)?;
        }
        let current = Self::read_back(ctx, id).await?;
        if let Some(arn) = &current.arn {
            sync_tags::<ElastiCache>(ctx.client, arn, &prior.tags, &desired.tags).await?;
        }
        Self::read_back(ctx, id).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        match ctx
            .client
            .delete_cache_subnet_group()
            .cache_subnet_group_name(id)
            .send()
            .await
            .map_err(ElastiCache::err)
        {
            // Still used by a replication group that is going away: AWS
            // frees the group once the last node is deleted.
            Err(ProviderError::Api { code, message }) if code == "CacheSubnetGroupInUse" => {
                Err(ProviderError::Transient {
                    message: format!("{code}: {message}"),
                })
            }
            other => ignore_gone(other.map(|_| ())),
        }
    }

    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        let all = describe_all(ctx.client).await?;
        let id = CacheSubnetGroup::cache_subnet_group_name;
        owned(ctx.client, ctx, &all, id, CacheSubnetGroup::arn, address).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing::{assert_covers_schema, assert_no_op, desired, provider, typed};
    use aws_sdk_elasticache::types::Subnet;
    use forge_core::Attrs;
    use forge_core::fields::Fields;
    use forge_engine::{PlannedAction, Provider};
    use serde_json::json;

    type K = SubnetGroupKind;

    fn described() -> Attrs {
        let g = CacheSubnetGroup::builder()
            .cache_subnet_group_name("cache")
            .cache_subnet_group_description(DEFAULT_DESCRIPTION)
            .vpc_id("vpc-1")
            .arn("arn:aws:elasticache:eu-west-1:1:subnetgroup:cache")
            .subnets(Subnet::builder().subnet_identifier("subnet-b").build())
            .subnets(Subnet::builder().subnet_identifier("subnet-a").build())
            .build();
        let t = vec![("forge:stack".to_string(), "s".to_string())];
        fields(&g, Some(&t)).to_attrs()
    }

    #[test]
    fn fresh_group_is_a_no_op() {
        let observed = described();
        assert_covers_schema::<K>(&observed, &[]);
        assert_eq!(
            typed::<K>(&observed).subnet_ids,
            vec!["subnet-a", "subnet-b"]
        );
        let d = desired::<K>(json!({"name": "cache", "subnet_ids": ["subnet-b", "subnet-a"]}));
        assert_no_op::<K>(&observed, &d);
        assert!(!needs_modify(&typed::<K>(&observed), &typed::<K>(&d)));
    }

    #[test]
    fn subnets_change_in_place_and_name_replaces() {
        let observed = described();
        let d = desired::<K>(json!({"name": "cache", "subnet_ids": ["subnet-a", "subnet-c"]}));
        assert_eq!(
            provider::<K>().plan(Some(&observed), &d).action,
            PlannedAction::Update
        );
        assert!(needs_modify(&typed::<K>(&observed), &typed::<K>(&d)));
        let d = desired::<K>(json!({"name": "other", "subnet_ids": ["subnet-a", "subnet-b"]}));
        assert_eq!(
            provider::<K>().plan(Some(&observed), &d).action,
            PlannedAction::Replace
        );
    }
}
