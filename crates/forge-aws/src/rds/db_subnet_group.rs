//! `aws.rds.db_subnet_group`: the subnets (of one VPC, in at least two
//! Availability Zones) an RDS cluster or instance may be placed in.
//!
//! The group's name is its id (RDS stores it lower case).
//!
//! Observe cost: DescribeDBSubnetGroups takes one name or none and ignores
//! `Filters` ("not currently supported"), so observe lists the region's
//! groups once (paged with `Marker`) and keeps the wanted names, then reads
//! each found group's tags with ListTagsForResource (the describe returns
//! none), at most eight at once: 1 + N requests for N groups.

use super::common::{
    CONCURRENCY, create_tags, ignore_gone, lower_fields, observed_tags, owned, rds_err, sync_tags,
};
use crate::attrs::attrs;
use crate::attrs::{opt_str, req_str, str_list, str_or_null, str_set};
use crate::clients::AwsClients;
use crate::normalize::normalize_common;
use crate::paging::{collect_pages, concurrent};
use crate::tags;
use crate::tags::tags_field;
use async_trait::async_trait;
use aws_sdk_rds::Client;
use aws_sdk_rds::types::{DbSubnetGroup, Tag};
#[cfg(test)]
use forge_core::Value;
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema};
use forge_engine::Owner;
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

/// Tag reads in flight at once.
const TAG_CONCURRENCY: usize = 8;
/// The description used when the spec gives none (the API requires one).
const DEFAULT_DESCRIPTION: &str = "Managed by forge";

/// The `aws.rds.db_subnet_group` provider.
pub struct DbSubnetGroupProvider {
    clients: Arc<AwsClients>,
    schema: KindSchema,
}

impl DbSubnetGroupProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        DbSubnetGroupProvider {
            clients,
            schema: schema(),
        }
    }

    async fn client(&self, region: &str) -> Result<Client, ProviderError> {
        self.clients.client(region, Client::new).await
    }
}

/// The schema of `aws.rds.db_subnet_group`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.rds.db_subnet_group",
        "A DB subnet group: where RDS places a cluster's or instance's network interfaces.",
        [
            (
                "db_subnet_group_name",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("The group's name (stored lower case)."),
            ),
            (
                "db_subnet_group_description",
                FieldSchema::optional(FieldType::String)
                    .default(DEFAULT_DESCRIPTION)
                    .describe("What the group is for."),
            ),
            (
                "subnet_ids",
                FieldSchema::required(FieldType::list(FieldType::String))
                    .describe("Subnets of one VPC covering at least two Availability Zones."),
            ),
            ("tags", tags_field()),
            (
                "arn",
                FieldSchema::computed(FieldType::String).describe("The group's ARN."),
            ),
            (
                "vpc_id",
                FieldSchema::computed(FieldType::String).describe("The VPC of the subnets."),
            ),
        ],
    )
}

static SCHEMA: LazyLock<KindSchema> = LazyLock::new(schema);

fn normalize(mut a: Attrs) -> Attrs {
    lower_fields(&mut a, &["db_subnet_group_name"]);
    crate::attrs::normalize_set(&mut a, "subnet_ids");
    normalize_common(&SCHEMA, &mut a);
    a
}

fn group_attrs(g: &DbSubnetGroup, tags: &[Tag]) -> Attrs {
    normalize(attrs([
        ("id", str_or_null(g.db_subnet_group_name())),
        (
            "db_subnet_group_name",
            str_or_null(g.db_subnet_group_name()),
        ),
        (
            "db_subnet_group_description",
            str_or_null(g.db_subnet_group_description()),
        ),
        (
            "subnet_ids",
            str_set(g.subnets().iter().filter_map(|s| s.subnet_identifier())),
        ),
        ("tags", observed_tags(tags)),
        ("arn", str_or_null(g.db_subnet_group_arn())),
        ("vpc_id", str_or_null(g.vpc_id())),
    ]))
}

/// Every subnet group of the region (one paged DescribeDBSubnetGroups).
async fn list_groups(client: &Client) -> Result<Vec<DbSubnetGroup>, ProviderError> {
    collect_pages(|marker| async move {
        let out = client
            .describe_db_subnet_groups()
            .set_marker(marker)
            .send()
            .await
            .map_err(rds_err)?;
        Ok((
            out.db_subnet_groups().to_vec(),
            out.marker().map(str::to_string),
        ))
    })
    .await
}

/// The tags of an RDS object by ARN.
pub async fn arn_tags(client: &Client, arn: &str) -> Result<Vec<Tag>, ProviderError> {
    Ok(client
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(rds_err)?
        .tag_list()
        .to_vec())
}

/// The listed groups with their tags (one tag read per group).
async fn with_tags(
    client: &Client,
    groups: Vec<DbSubnetGroup>,
) -> Result<Vec<(DbSubnetGroup, Vec<Tag>)>, ProviderError> {
    concurrent(groups, TAG_CONCURRENCY, |g| async move {
        let tags = match g.db_subnet_group_arn() {
            Some(arn) => arn_tags(client, arn).await?,
            None => Vec::new(),
        };
        Ok((g, tags))
    })
    .await
}

async fn observe_groups(
    client: &Client,
    ids: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let wanted: Vec<String> = ids.iter().map(|i| i.to_lowercase()).collect();
    let found: Vec<DbSubnetGroup> = list_groups(client)
        .await?
        .into_iter()
        .filter(|g| {
            g.db_subnet_group_name()
                .is_some_and(|n| wanted.contains(&n.to_lowercase()))
        })
        .collect();
    let mut out = BTreeMap::new();
    for (g, tags) in with_tags(client, found).await? {
        if let Some(name) = g.db_subnet_group_name() {
            // Keyed by the id as recorded, whatever its case.
            for id in ids.iter().filter(|i| i.eq_ignore_ascii_case(name)) {
                out.insert(id.clone(), group_attrs(&g, &tags));
            }
        }
    }
    Ok(out)
}

/// The groups tagged as owned by `stack` (and `address`).
async fn owned_groups(
    client: &Client,
    owner: &Owner,
    address: Option<&str>,
) -> Result<Vec<(String, Option<String>)>, ProviderError> {
    let tagged = with_tags(client, list_groups(client).await?).await?;
    Ok(owned(
        &tagged,
        owner,
        address,
        |(g, _)| g.db_subnet_group_name(),
        |(_, t)| t.as_slice(),
    ))
}

async fn observe_one(client: &Client, id: &str) -> Result<Attrs, ProviderError> {
    crate::attrs::observed(
        observe_groups(client, &[id.to_string()]).await?,
        id,
        "DB subnet group",
    )
}

#[async_trait]
impl Provider for DbSubnetGroupProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(CONCURRENCY)
    }

    fn normalize(&self, attrs: Attrs) -> Attrs {
        normalize(attrs)
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
        observe_groups(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.client(&ctx.region).await?;
        let name = req_str(desired, "db_subnet_group_name")?.to_lowercase();
        client
            .create_db_subnet_group()
            .db_subnet_group_name(&name)
            .db_subnet_group_description(
                opt_str(desired, "db_subnet_group_description").unwrap_or(DEFAULT_DESCRIPTION),
            )
            .set_subnet_ids(Some(str_list(desired, "subnet_ids")))
            .set_tags(Some(create_tags(desired, &ctx.system_tags, &[])))
            .send()
            .await
            .map_err(rds_err)?;
        Ok(Created {
            attrs: observe_one(&client, &name).await?,
            id: name,
        })
    }

    async fn update(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Attrs,
        desired: &Attrs,
        changes: &[FieldChange],
    ) -> Result<Attrs, ProviderError> {
        let client = self.client(&ctx.region).await?;
        if changes
            .iter()
            .any(|c| c.path == "subnet_ids" || c.path == "db_subnet_group_description")
        {
            client
                .modify_db_subnet_group()
                .db_subnet_group_name(id)
                .db_subnet_group_description(
                    opt_str(desired, "db_subnet_group_description").unwrap_or(DEFAULT_DESCRIPTION),
                )
                .set_subnet_ids(Some(str_list(desired, "subnet_ids")))
                .send()
                .await
                .map_err(rds_err)?;
        }
        if let Some(arn) = opt_str(prior, "arn") {
            sync_tags(&client, arn, prior, desired, &[]).await?;
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
                .delete_db_subnet_group()
                .db_subnet_group_name(id)
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
        let ids = owned_groups(client, &ctx.owner, Some(&ctx.address.to_string())).await?;
        tags::adopt_owned(ctx, ids, |id| async move {
            observe_groups(client, std::slice::from_ref(&id)).await
        })
        .await
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.client(&ctx.region).await?;
        owned_groups(&client, &ctx.owner, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_rds::types::Subnet;

    #[test]
    fn observed_group_covers_the_schema_and_compares_to_the_spec() {
        let g = DbSubnetGroup::builder()
            .db_subnet_group_name("db")
            .db_subnet_group_description("d")
            .vpc_id("vpc-1")
            .db_subnet_group_arn("arn:aws:rds:us-east-1:1:subgrp:db")
            .subnets(Subnet::builder().subnet_identifier("subnet-b").build())
            .subnets(Subnet::builder().subnet_identifier("subnet-a").build())
            .build();
        let tags = vec![
            Tag::builder().key("env").value("dev").build(),
            Tag::builder().key("forge:stack").value("s").build(),
        ];
        let a = group_attrs(&g, &tags);
        for f in schema().fields.keys() {
            assert!(a.contains_key(f), "missing {f}");
        }
        let mut want = Value::from_json(&serde_json::json!({
            "db_subnet_group_name": "DB",
            "db_subnet_group_description": "d",
            "subnet_ids": ["subnet-a", "subnet-b"],
            "tags": {"env": "dev"}
        }))
        .as_map()
        .cloned()
        .unwrap();
        forge_engine::diff::fill_defaults(&SCHEMA, &mut want);
        let want = normalize(want);
        let plan = forge_engine::diff::schema_plan(&SCHEMA, Some(&a), &want);
        assert_eq!(
            plan.action,
            forge_engine::PlannedAction::NoOp,
            "{:?}",
            plan.changes
        );
    }
}
