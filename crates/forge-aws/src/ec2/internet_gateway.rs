//! `aws.ec2.internet_gateway`: an internet gateway, attached to a VPC.
//!
//! The attachment is part of the resource (`vpc_id`): changing it detaches
//! from the old VPC and attaches to the new one; delete detaches first.
//! Observe cost: one DescribeInternetGateways per 200 gateways.

use super::common::{
    self, Describe, Ec2Base, attrs, by_id, describe_ids, ec2_err, normalize_common, tags_field,
};
use crate::attrs::{opt_str, str_or_null};
use crate::clients::AwsClients;
use crate::error::{delete_result, ignore_not_found};
use async_trait::async_trait;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{AttachmentStatus, Filter, InternetGateway, ResourceType, Tag};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema};
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::Arc;

/// DescribeInternetGateways.
pub struct InternetGatewayApi;

impl Describe for InternetGatewayApi {
    type Item = InternetGateway;
    const ID_FILTER: &'static str = "internet-gateway-id";

    async fn page(
        client: &Client,
        filters: Vec<Filter>,
        token: Option<String>,
    ) -> Result<(Vec<InternetGateway>, Option<String>), ProviderError> {
        let out = client
            .describe_internet_gateways()
            .set_filters(Some(filters))
            .set_next_token(token)
            .send()
            .await
            .map_err(ec2_err)?;
        Ok((out.internet_gateways.unwrap_or_default(), out.next_token))
    }

    fn id(item: &InternetGateway) -> Option<&str> {
        item.internet_gateway_id()
    }

    fn tags(item: &InternetGateway) -> &[Tag] {
        item.tags()
    }
}

/// The `aws.ec2.internet_gateway` provider.
pub struct InternetGatewayProvider {
    base: Ec2Base,
    schema: KindSchema,
}

impl InternetGatewayProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        InternetGatewayProvider {
            base: Ec2Base::new(clients),
            schema: schema(),
        }
    }
}

/// The schema of `aws.ec2.internet_gateway`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.ec2.internet_gateway",
        "An internet gateway, attached to a VPC.",
        [
            (
                "vpc_id",
                FieldSchema::optional(FieldType::String)
                    .describe("The VPC to attach it to (changing it moves the attachment)."),
            ),
            ("tags", tags_field()),
            (
                "arn",
                FieldSchema::computed(FieldType::String).describe("The gateway's ARN."),
            ),
            (
                "owner_id",
                FieldSchema::computed(FieldType::String).describe("The owning AWS account."),
            ),
        ],
    )
}

/// The VPC a gateway is attached (or attaching) to.
fn attached_vpc(igw: &InternetGateway) -> Option<&str> {
    igw.attachments()
        .iter()
        .find(|a| {
            !matches!(
                a.state(),
                Some(AttachmentStatus::Detached | AttachmentStatus::Detaching)
            )
        })
        .and_then(|a| a.vpc_id())
}

fn igw_attrs(region: &str, igw: &InternetGateway) -> Attrs {
    let id = igw.internet_gateway_id().unwrap_or_default();
    attrs([
        ("id", id.into()),
        ("vpc_id", str_or_null(attached_vpc(igw))),
        ("tags", common::observed_tags(igw.tags())),
        (
            "arn",
            common::arn(region, igw.owner_id(), "internet-gateway", id),
        ),
        ("owner_id", str_or_null(igw.owner_id())),
    ])
}

async fn attach(client: &Client, id: &str, vpc: &str) -> Result<(), ProviderError> {
    match client
        .attach_internet_gateway()
        .internet_gateway_id(id)
        .vpc_id(vpc)
        .send()
        .await
        .map_err(ec2_err)
    {
        Ok(_) => Ok(()),
        // A retry after a lost response finds it attached already.
        Err(ProviderError::Api { code, .. }) if code == "Resource.AlreadyAssociated" => Ok(()),
        Err(e) => Err(e),
    }
}

async fn detach(client: &Client, id: &str, vpc: &str) -> Result<(), ProviderError> {
    let result = client
        .detach_internet_gateway()
        .internet_gateway_id(id)
        .vpc_id(vpc)
        .send()
        .await;
    match ignore_not_found(result.map(|_| ()).map_err(ec2_err)) {
        Err(ProviderError::Api { code, .. }) if code == "Gateway.NotAttached" => Ok(()),
        // Public IPs still mapped in the VPC block a detach until they go.
        Err(ProviderError::Api { code, message }) if code == "DependencyViolation" => {
            Err(ProviderError::Transient {
                message: format!("{code}: {message}"),
            })
        }
        other => other,
    }
}

async fn describe_one(
    client: &Client,
    region: &str,
    id: &str,
) -> Result<Option<Attrs>, ProviderError> {
    let items = describe_ids::<InternetGatewayApi>(client, &[id.to_string()]).await?;
    Ok(items.first().map(|g| igw_attrs(region, g)))
}

#[async_trait]
impl Provider for InternetGatewayProvider {
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
        let items = describe_ids::<InternetGatewayApi>(&client, ids).await?;
        Ok(by_id::<InternetGatewayApi>(items, |g| {
            igw_attrs(&ctx.region, g)
        }))
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let out = client
            .create_internet_gateway()
            .tag_specifications(common::tag_spec(
                ResourceType::InternetGateway,
                desired,
                ctx,
            ))
            .send()
            .await
            .map_err(ec2_err)?;
        let igw = out
            .internet_gateway
            .ok_or_else(|| ProviderError::Transient {
                message: "CreateInternetGateway returned nothing".into(),
            })?;
        let id = igw.internet_gateway_id().unwrap_or_default().to_string();
        let mut attrs = igw_attrs(&ctx.region, &igw);
        if let Some(vpc) = opt_str(desired, "vpc_id") {
            attach(&client, &id, vpc).await?;
            attrs.insert("vpc_id".into(), vpc.into());
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
        let (before, after) = (opt_str(prior, "vpc_id"), opt_str(desired, "vpc_id"));
        if before != after {
            if let Some(old) = before {
                detach(&client, id, old).await?;
            }
            if let Some(new) = after {
                attach(&client, id, new).await?;
            }
        }
        common::sync_tags(&client, id, prior, desired).await?;
        describe_one(&client, &ctx.region, id)
            .await?
            .ok_or_else(|| ProviderError::Transient {
                message: format!("internet gateway {id} not visible"),
            })
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        // Detach from what it is attached to now, not what state recorded.
        let items = describe_ids::<InternetGatewayApi>(&client, &[id.to_string()]).await?;
        let Some(igw) = items.first() else {
            return Ok(());
        };
        for vpc in igw.attachments().iter().filter_map(|a| a.vpc_id()) {
            detach(&client, id, vpc).await?;
        }
        delete_result(
            client
                .delete_internet_gateway()
                .internet_gateway_id(id)
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
        let Some(id) = common::orphan_id::<InternetGatewayApi>(&client, ctx).await? else {
            return Ok(None);
        };
        Ok(describe_one(&client, &ctx.region, &id)
            .await?
            .map(|attrs| Created { id, attrs }))
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        common::list_tagged::<InternetGatewayApi>(&client, ctx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::InternetGatewayAttachment;
    use forge_core::Value;

    #[test]
    fn attachment_is_the_vpc_id() {
        let igw = InternetGateway::builder()
            .internet_gateway_id("igw-1")
            .owner_id("1")
            .attachments(
                InternetGatewayAttachment::builder()
                    .vpc_id("vpc-1")
                    .state(AttachmentStatus::from("available"))
                    .build(),
            )
            .build();
        let a = igw_attrs("us-east-1", &igw);
        assert_eq!(a["vpc_id"], Value::from("vpc-1"));
        let detached = InternetGateway::builder()
            .internet_gateway_id("igw-2")
            .attachments(
                InternetGatewayAttachment::builder()
                    .vpc_id("vpc-1")
                    .state(AttachmentStatus::Detached)
                    .build(),
            )
            .build();
        assert_eq!(igw_attrs("us-east-1", &detached)["vpc_id"], Value::Null);
    }
}
