//! `aws.ec2.eip`: an Elastic IP address (VPC domain). Its id is the
//! allocation id.
//!
//! Observe cost: one DescribeAddresses (filter `allocation-id`) per 200
//! addresses; the API does not page.

use super::common::{
    self, Describe, Ec2Base, attrs, by_id, describe_ids, ec2_err, normalize_common, tags_field,
};
use crate::attrs::{opt_str, str_or_null};
use crate::clients::AwsClients;
use crate::error::delete_result;
use async_trait::async_trait;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{Address, DomainType, Filter, ResourceType, Tag};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema};
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::Arc;

/// DescribeAddresses.
pub struct AddressApi;

impl Describe for AddressApi {
    type Item = Address;
    const ID_FILTER: &'static str = "allocation-id";

    async fn page(
        client: &Client,
        filters: Vec<Filter>,
        _token: Option<String>,
    ) -> Result<(Vec<Address>, Option<String>), ProviderError> {
        let out = client
            .describe_addresses()
            .set_filters(Some(filters))
            .send()
            .await
            .map_err(ec2_err)?;
        Ok((out.addresses.unwrap_or_default(), None))
    }

    fn id(item: &Address) -> Option<&str> {
        item.allocation_id()
    }

    fn tags(item: &Address) -> &[Tag] {
        item.tags()
    }
}

/// The `aws.ec2.eip` provider.
pub struct EipProvider {
    base: Ec2Base,
    schema: KindSchema,
}

impl EipProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        EipProvider {
            base: Ec2Base::new(clients),
            schema: schema(),
        }
    }
}

/// The schema of `aws.ec2.eip`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.ec2.eip",
        "An Elastic IP address for use in a VPC (e.g. by a NAT gateway).",
        [
            (
                "domain",
                FieldSchema::optional(FieldType::String)
                    .force_new()
                    .default("vpc")
                    .describe("Always vpc (EC2-Classic is gone)."),
            ),
            (
                "network_border_group",
                FieldSchema::optional_computed(FieldType::String)
                    .force_new()
                    .describe("Where AWS advertises the address; defaults to the region."),
            ),
            (
                "public_ipv4_pool",
                FieldSchema::optional_computed(FieldType::String)
                    .force_new()
                    .describe("An address pool to allocate from (BYOIP); defaults to Amazon's."),
            ),
            ("tags", tags_field()),
            (
                "public_ip",
                FieldSchema::computed(FieldType::String)
                    .describe("The allocated public IPv4 address."),
            ),
            (
                "allocation_id",
                FieldSchema::computed(FieldType::String)
                    .describe("The allocation id (also the id)."),
            ),
        ],
    )
}

fn eip_attrs(a: &Address) -> Attrs {
    let id = a.allocation_id().unwrap_or_default();
    attrs([
        ("id", id.into()),
        ("domain", str_or_null(a.domain().map(|d| d.as_str()))),
        (
            "network_border_group",
            str_or_null(a.network_border_group()),
        ),
        ("public_ipv4_pool", str_or_null(a.public_ipv4_pool())),
        ("tags", common::observed_tags(a.tags())),
        ("public_ip", str_or_null(a.public_ip())),
        ("allocation_id", id.into()),
    ])
}

async fn describe_one(client: &Client, id: &str) -> Result<Option<Attrs>, ProviderError> {
    let items = describe_ids::<AddressApi>(client, &[id.to_string()]).await?;
    Ok(items.first().map(eip_attrs))
}

#[async_trait]
impl Provider for EipProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(common::CONCURRENCY)
    }

    fn normalize(&self, mut attrs: Attrs) -> Attrs {
        normalize_common(&self.schema, &mut attrs);
        attrs
    }

    async fn observe(
        &self,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let items = describe_ids::<AddressApi>(&client, ids).await?;
        Ok(by_id::<AddressApi>(items, eip_attrs))
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let out = client
            .allocate_address()
            .domain(DomainType::from(
                opt_str(desired, "domain").unwrap_or("vpc"),
            ))
            .set_network_border_group(opt_str(desired, "network_border_group").map(str::to_string))
            .set_public_ipv4_pool(opt_str(desired, "public_ipv4_pool").map(str::to_string))
            .tag_specifications(common::tag_spec(ResourceType::ElasticIp, desired, ctx))
            .send()
            .await
            .map_err(ec2_err)?;
        let id = out
            .allocation_id()
            .ok_or_else(|| ProviderError::Transient {
                message: "AllocateAddress returned no allocation id".into(),
            })?
            .to_string();
        let attrs = match describe_one(&client, &id).await? {
            Some(a) => a,
            None => attrs([
                ("id", id.as_str().into()),
                ("domain", str_or_null(out.domain().map(|d| d.as_str()))),
                (
                    "network_border_group",
                    str_or_null(out.network_border_group()),
                ),
                ("public_ipv4_pool", str_or_null(out.public_ipv4_pool())),
                (
                    "tags",
                    common::observed_tags(&common::to_tags(&crate::tags::create_tags(
                        desired,
                        &ctx.system_tags,
                    ))),
                ),
                ("public_ip", str_or_null(out.public_ip())),
                ("allocation_id", id.as_str().into()),
            ]),
        };
        Ok(Created { id, attrs })
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
        common::sync_tags(&client, id, prior, desired).await?;
        describe_one(&client, id)
            .await?
            .ok_or_else(|| ProviderError::Transient {
                message: format!("address {id} not visible after update"),
            })
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let result = client
            .release_address()
            .allocation_id(id)
            .send()
            .await
            .map(|_| ())
            .map_err(ec2_err);
        match delete_result(result) {
            // Still held by a NAT gateway that is being deleted: retry.
            Err(ProviderError::Api { code, message }) if code == "InvalidIPAddress.InUse" => {
                Err(ProviderError::Transient {
                    message: format!("{code}: {message}"),
                })
            }
            other => other,
        }
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let Some(id) = common::orphan_id::<AddressApi>(&client, ctx).await? else {
            return Ok(None);
        };
        Ok(describe_one(&client, &id)
            .await?
            .map(|attrs| Created { id, attrs }))
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        common::list_tagged::<AddressApi>(&client, ctx).await
    }
}
