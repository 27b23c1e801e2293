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

use super::common::{self, CONCURRENCY, EcBase, ec_err, ignore_gone, observed_tags, to_tags};
use crate::attrs::attrs;
use crate::attrs::{opt_str, req_str, str_list, str_or_null, str_set};
use crate::clients::AwsClients;
use crate::normalize::normalize_common;
use crate::paging::collect_pages;
use crate::tags;
use crate::tags::tags_field;
use async_trait::async_trait;
use aws_sdk_elasticache::Client;
use aws_sdk_elasticache::types::CacheSubnetGroup;
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The description sent when the spec sets none (the API requires one).
pub const DEFAULT_DESCRIPTION: &str = "Managed by forge";

/// The `aws.elasticache.subnet_group` provider.
pub struct SubnetGroupProvider {
    base: EcBase,
    schema: KindSchema,
}

impl SubnetGroupProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        SubnetGroupProvider {
            base: EcBase::new(clients),
            schema: schema(),
        }
    }
}

/// The schema of `aws.elasticache.subnet_group`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.elasticache.subnet_group",
        "An ElastiCache cache subnet group.",
        [
            (
                "name",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("The group's name (CacheSubnetGroupName), lower case, unique in the region."),
            ),
            (
                "description",
                FieldSchema::optional(FieldType::String)
                    .default(DEFAULT_DESCRIPTION)
                    .describe("What the group is for."),
            ),
            (
                "subnet_ids",
                FieldSchema::required(FieldType::list(FieldType::String))
                    .describe("VPC subnet ids (a set), all in one VPC."),
            ),
            ("tags", tags_field()),
            (
                "arn",
                FieldSchema::computed(FieldType::String).describe("The group's ARN."),
            ),
            (
                "vpc_id",
                FieldSchema::computed(FieldType::String).describe("The VPC of its subnets."),
            ),
        ],
    )
}

fn group_attrs(g: &CacheSubnetGroup, tag_list: Option<&Vec<(String, String)>>) -> Attrs {
    let name = g.cache_subnet_group_name().unwrap_or_default();
    attrs([
        ("id", Value::from(name)),
        ("name", Value::from(name)),
        (
            "description",
            str_or_null(g.cache_subnet_group_description()),
        ),
        (
            "subnet_ids",
            str_set(g.subnets().iter().filter_map(|s| s.subnet_identifier())),
        ),
        ("tags", observed_tags(tag_list)),
        ("arn", str_or_null(g.arn())),
        ("vpc_id", str_or_null(g.vpc_id())),
    ])
}

/// Every cache subnet group of the region (all pages).
async fn describe_all(client: &Client) -> Result<Vec<CacheSubnetGroup>, ProviderError> {
    collect_pages(|marker| async move {
        let out = client
            .describe_cache_subnet_groups()
            .set_marker(marker)
            .send()
            .await
            .map_err(ec_err)?;
        Ok((out.cache_subnet_groups.unwrap_or_default(), out.marker))
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
    let wanted: Vec<CacheSubnetGroup> = describe_all(client)
        .await?
        .into_iter()
        .filter(|g| {
            g.cache_subnet_group_name()
                .is_some_and(|n| ids.iter().any(|i| i == n))
        })
        .collect();
    let arns: Vec<String> = wanted
        .iter()
        .filter_map(|g| g.arn().map(str::to_string))
        .collect();
    let tags = common::tags_by_arn(client, arns).await?;
    Ok(wanted
        .iter()
        .filter_map(|g| {
            let name = g.cache_subnet_group_name()?.to_string();
            let t = g.arn().and_then(|a| tags.get(a));
            Some((name, normalize(&SCHEMA, group_attrs(g, t))))
        })
        .collect())
}

static SCHEMA: std::sync::LazyLock<KindSchema> = std::sync::LazyLock::new(schema);

fn normalize(schema: &KindSchema, mut attrs: Attrs) -> Attrs {
    crate::attrs::normalize_set(&mut attrs, "subnet_ids");
    normalize_common(schema, &mut attrs);
    attrs
}

async fn observe_one(client: &Client, name: &str) -> Result<Attrs, ProviderError> {
    crate::attrs::observed(
        observe_groups(client, &[name.to_string()]).await?,
        name,
        "cache subnet group",
    )
}

fn description_of(attrs: &Attrs) -> String {
    opt_str(attrs, "description")
        .unwrap_or(DEFAULT_DESCRIPTION)
        .to_string()
}

/// Whether the group itself (description or subnets) must be modified.
pub fn needs_modify(prior: &Attrs, desired: &Attrs) -> bool {
    let mut a = str_list(prior, "subnet_ids");
    let mut b = str_list(desired, "subnet_ids");
    a.sort();
    b.sort();
    a != b || description_of(prior) != description_of(desired)
}

/// Every group of the region as (name, ARN).
async fn listed(client: &Client) -> Result<Vec<(String, String)>, ProviderError> {
    Ok(describe_all(client)
        .await?
        .iter()
        .filter_map(|g| {
            Some((
                g.cache_subnet_group_name()?.to_string(),
                g.arn()?.to_string(),
            ))
        })
        .collect())
}

#[async_trait]
impl Provider for SubnetGroupProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(CONCURRENCY)
    }

    fn normalize(&self, attrs: Attrs) -> Attrs {
        normalize(&self.schema, attrs)
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
        let name = req_str(desired, "name")?;
        client
            .create_cache_subnet_group()
            .cache_subnet_group_name(name)
            .cache_subnet_group_description(description_of(desired))
            .set_subnet_ids(Some(str_list(desired, "subnet_ids")))
            .set_tags(Some(to_tags(&tags::create_tags(desired, &ctx.system_tags))))
            .send()
            .await
            .map_err(ec_err)?;
        Ok(Created {
            id: name.to_string(),
            attrs: observe_one(&client, name).await?,
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
        if needs_modify(prior, desired) {
            client
                .modify_cache_subnet_group()
                .cache_subnet_group_name(id)
                .cache_subnet_group_description(description_of(desired))
                .set_subnet_ids(Some(str_list(desired, "subnet_ids")))
                .send()
                .await
                .map_err(ec_err)?;
        }
        let current = observe_one(&client, id).await?;
        if let Some(arn) = opt_str(&current, "arn") {
            common::sync_tags(&client, arn, prior, desired, BTreeMap::new()).await?;
        }
        observe_one(&client, id).await
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        match client
            .delete_cache_subnet_group()
            .cache_subnet_group_name(id)
            .send()
            .await
            .map_err(ec_err)
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
    use aws_sdk_elasticache::types::Subnet;
    use forge_engine::PlannedAction;
    use serde_json::json;

    fn provider() -> SubnetGroupProvider {
        SubnetGroupProvider::new(Arc::new(AwsClients::new(crate::AwsSettings::default())))
    }

    fn desired(j: serde_json::Value) -> Attrs {
        let mut a: Attrs = Value::from_json(&j).as_map().cloned().unwrap_or_default();
        forge_engine::diff::fill_defaults(&schema(), &mut a);
        provider().normalize(a)
    }

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
        provider().normalize(group_attrs(&g, Some(&t)))
    }

    #[test]
    fn fresh_group_is_a_no_op() {
        let observed = described();
        for field in schema().fields.keys() {
            assert!(observed.contains_key(field), "missing {field}");
        }
        let d = desired(json!({"name": "cache", "subnet_ids": ["subnet-a", "subnet-b"]}));
        let plan = provider().plan(Some(&observed), &d);
        assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
        assert!(!needs_modify(&observed, &d));
    }

    #[test]
    fn subnets_change_in_place_and_name_replaces() {
        let observed = described();
        let d = desired(json!({"name": "cache", "subnet_ids": ["subnet-a", "subnet-c"]}));
        assert_eq!(
            provider().plan(Some(&observed), &d).action,
            PlannedAction::Update
        );
        assert!(needs_modify(&observed, &d));
        let d = desired(json!({"name": "other", "subnet_ids": ["subnet-a", "subnet-b"]}));
        assert_eq!(
            provider().plan(Some(&observed), &d).action,
            PlannedAction::Replace
        );
    }
}
