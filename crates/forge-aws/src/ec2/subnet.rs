//! `aws.ec2.subnet`: a subnet of a VPC in one availability zone.
//!
//! Observe cost: one DescribeSubnets (filter `subnet-id`) per 200 subnets.

use super::common::{
    self, Describe, Ec2Base, attrs, by_id, describe_ids, ec2_err, normalize_common, tags_field,
};
use crate::attrs::{bool_or_null, opt_bool, opt_str, req_str, str_or_null};
use crate::clients::AwsClients;
use async_trait::async_trait;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, ResourceType, Subnet, Tag};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::{
    Created, FieldChange, ObserveCtx, Provider, ProviderError, Readiness, ResourceCtx,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// DescribeSubnets.
pub struct SubnetApi;

impl Describe for SubnetApi {
    type Item = Subnet;
    const ID_FILTER: &'static str = "subnet-id";

    async fn page(
        client: &Client,
        filters: Vec<Filter>,
        token: Option<String>,
    ) -> Result<(Vec<Subnet>, Option<String>), ProviderError> {
        let out = client
            .describe_subnets()
            .set_filters(Some(filters))
            .set_next_token(token)
            .send()
            .await
            .map_err(ec2_err)?;
        Ok((out.subnets.unwrap_or_default(), out.next_token))
    }

    fn id(item: &Subnet) -> Option<&str> {
        item.subnet_id()
    }

    fn tags(item: &Subnet) -> &[Tag] {
        item.tags()
    }
}

/// The `aws.ec2.subnet` provider.
pub struct SubnetProvider {
    base: Ec2Base,
    schema: KindSchema,
}

impl SubnetProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        SubnetProvider {
            base: Ec2Base::new(clients),
            schema: schema(),
        }
    }
}

/// The schema of `aws.ec2.subnet`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.ec2.subnet",
        "A subnet of a VPC in one availability zone.",
        [
            (
                "vpc_id",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("The VPC to create it in."),
            ),
            (
                "cidr_block",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("The IPv4 range, a subset of the VPC's, e.g. 10.0.1.0/24."),
            ),
            (
                "availability_zone",
                FieldSchema::optional_computed(FieldType::String)
                    .force_new()
                    .describe(
                        "The availability zone, e.g. eu-central-1a (AWS picks one when unset).",
                    ),
            ),
            (
                "map_public_ip_on_launch",
                FieldSchema::optional(FieldType::Bool)
                    .default(false)
                    .describe("Whether instances launched here get a public IPv4 address."),
            ),
            ("tags", tags_field()),
            (
                "arn",
                FieldSchema::computed(FieldType::String).describe("The subnet's ARN."),
            ),
            (
                "availability_zone_id",
                FieldSchema::computed(FieldType::String)
                    .describe("The zone's account-independent id (euc1-az2)."),
            ),
            (
                "owner_id",
                FieldSchema::computed(FieldType::String).describe("The owning AWS account."),
            ),
            (
                "state",
                FieldSchema::computed(FieldType::String).describe("pending or available."),
            ),
        ],
    )
}

fn subnet_attrs(s: &Subnet) -> Attrs {
    attrs([
        ("id", str_or_null(s.subnet_id())),
        ("vpc_id", str_or_null(s.vpc_id())),
        (
            "cidr_block",
            str_or_null(s.cidr_block().map(crate::normalize::cidr)),
        ),
        ("availability_zone", str_or_null(s.availability_zone())),
        (
            "map_public_ip_on_launch",
            bool_or_null(s.map_public_ip_on_launch()),
        ),
        ("tags", common::observed_tags(s.tags())),
        ("arn", str_or_null(s.subnet_arn())),
        (
            "availability_zone_id",
            str_or_null(s.availability_zone_id()),
        ),
        ("owner_id", str_or_null(s.owner_id())),
        ("state", str_or_null(s.state().map(|st| st.as_str()))),
    ])
}

async fn set_map_public_ip(client: &Client, id: &str, on: bool) -> Result<(), ProviderError> {
    client
        .modify_subnet_attribute()
        .subnet_id(id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(on).build())
        .send()
        .await
        .map_err(ec2_err)?;
    Ok(())
}

#[async_trait]
impl Provider for SubnetProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(common::CONCURRENCY)
    }

    fn normalize(&self, mut attrs: Attrs) -> Attrs {
        crate::normalize::cidr_field(&mut attrs, "cidr_block");
        normalize_common(&self.schema, &mut attrs);
        attrs
    }

    async fn observe(
        &self,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        Ok(by_id::<SubnetApi>(
            describe_ids::<SubnetApi>(&client, ids).await?,
            subnet_attrs,
        ))
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let out = client
            .create_subnet()
            .vpc_id(req_str(desired, "vpc_id")?)
            .cidr_block(req_str(desired, "cidr_block")?)
            .set_availability_zone(opt_str(desired, "availability_zone").map(str::to_string))
            .tag_specifications(common::tag_spec(ResourceType::Subnet, desired, ctx))
            .send()
            .await
            .map_err(ec2_err)?;
        let subnet = out.subnet.ok_or_else(|| ProviderError::Transient {
            message: "CreateSubnet returned no subnet".into(),
        })?;
        let id = subnet.subnet_id().unwrap_or_default().to_string();
        let mut attrs = subnet_attrs(&subnet);
        if opt_bool(desired, "map_public_ip_on_launch") == Some(true) {
            set_map_public_ip(&client, &id, true).await?;
            attrs.insert("map_public_ip_on_launch".into(), Value::Bool(true));
        }
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
        let want = opt_bool(desired, "map_public_ip_on_launch").unwrap_or(false);
        if opt_bool(prior, "map_public_ip_on_launch").unwrap_or(false) != want {
            set_map_public_ip(&client, id, want).await?;
        }
        common::sync_tags(&client, id, prior, desired).await?;
        let items = describe_ids::<SubnetApi>(&client, &[id.to_string()]).await?;
        items
            .first()
            .map(subnet_attrs)
            .ok_or_else(|| ProviderError::Transient {
                message: format!("subnet {id} not visible after update"),
            })
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        crate::error::delete_result(
            client
                .delete_subnet()
                .subnet_id(id)
                .send()
                .await
                .map(|_| ())
                .map_err(ec2_err),
        )
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let Some(id) = common::orphan_id::<SubnetApi>(&client, ctx).await? else {
            return Ok(None);
        };
        let items = describe_ids::<SubnetApi>(&client, std::slice::from_ref(&id)).await?;
        Ok(items.first().map(|s| Created {
            id,
            attrs: subnet_attrs(s),
        }))
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        common::list_tagged::<SubnetApi>(&client, ctx).await
    }

    fn readiness(&self, observed: &Attrs) -> Readiness {
        match opt_str(observed, "state") {
            Some("pending") => Readiness::Pending("pending".into()),
            _ => Readiness::Ready,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observed_subnet_is_normalized() {
        let s = Subnet::builder()
            .subnet_id("subnet-1")
            .vpc_id("vpc-1")
            .cidr_block("10.0.1.0/24")
            .availability_zone("eu-central-1a")
            .map_public_ip_on_launch(false)
            .build();
        let a = subnet_attrs(&s);
        for field in schema().fields.keys() {
            assert!(a.contains_key(field), "missing {field}");
        }
        let p = SubnetProvider::new(Arc::new(AwsClients::new(crate::AwsSettings::default())));
        let desired = Attrs::from([
            ("vpc_id".to_string(), Value::from("vpc-1")),
            ("cidr_block".to_string(), Value::from("10.0.1.7/24")),
        ]);
        let n = p.normalize(desired);
        assert_eq!(n["cidr_block"], Value::from("10.0.1.0/24"));
        assert_eq!(n["tags"], Value::Map(BTreeMap::new()));
    }
}
