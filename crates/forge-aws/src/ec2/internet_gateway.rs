//! `aws.ec2.internet_gateway`: an internet gateway, attached to a VPC.
//!
//! The attachment is part of the resource (`vpc_id`): changing it detaches
//! from the old VPC and attaches to the new one; delete detaches first.
//! Observe cost: one DescribeInternetGateways per 200 gateways.

use super::common::prelude::*;
use crate::error::{ignore_not_found, ok_on, retry_on};
use aws_sdk_ec2::types::{AttachmentStatus, InternetGateway};

ec2_kind!(InternetGatewayKind: "aws.ec2.internet_gateway", InternetGatewayFields, ResourceType::InternetGateway,
    "An internet gateway, attached to a VPC.",
    describes InternetGateway, "internet-gateway-id",
    describe_internet_gateways.set_filters -> internet_gateways, internet_gateway_id, paged);

/// The fields of `aws.ec2.internet_gateway`.
#[derive(Debug, Clone, Fields)]
pub struct InternetGatewayFields {
    /// The VPC to attach it to (changing it moves the attachment).
    pub vpc_id: Option<String>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The gateway's ARN.
    pub arn: Computed<String>,
    /// The owning AWS account.
    pub owner_id: Computed<String>,
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

fn fields(region: &str, igw: &InternetGateway) -> InternetGatewayFields {
    let id = igw.internet_gateway_id().unwrap_or_default();
    InternetGatewayFields {
        vpc_id: attached_vpc(igw).map(str::to_string),
        tags: common::observed_tag_map(igw.tags()),
        arn: common::arn_text(region, igw.owner_id(), "internet-gateway", id),
        owner_id: igw.owner_id().map(str::to_string),
    }
}

/// Before a delete: detaches the gateway from what it is attached to
/// now, not what state recorded; false when it is gone already.
async fn detach_all(client: &Client, id: &str) -> Res<bool> {
    let items = describe_ids::<InternetGatewayKind>(client, &[id.to_string()]).await?;
    let Some(igw) = items.first() else {
        return Ok(false);
    };
    for vpc in igw.attachments().iter().filter_map(|a| a.vpc_id()) {
        detach(client, id, vpc).await?;
    }
    Ok(true)
}

async fn attach(client: &Client, id: &str, vpc: &str) -> Res<()> {
    let call = client.attach_internet_gateway().internet_gateway_id(id);
    let result = call.vpc_id(vpc).send().await.map(drop).map_err(ec2_err);
    // A retry after a lost response finds it attached already.
    ok_on(result, &["Resource.AlreadyAssociated"])
}

async fn detach(client: &Client, id: &str, vpc: &str) -> Res<()> {
    let call = client.detach_internet_gateway().internet_gateway_id(id);
    let result = ignore_not_found(call.vpc_id(vpc).send().await.map(drop).map_err(ec2_err));
    // Public IPs still mapped in the VPC block a detach until they go.
    retry_on(
        ok_on(result, &["Gateway.NotAttached"]),
        &["DependencyViolation"],
    )
}

#[async_trait]
impl Kind for InternetGatewayKind {
    const ARNS: &[ArnShape] = &[ArnShape::rest("ec2", "internet-gateway/")];

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        common::describe_fields::<Self, _>(ctx.client, ids, |g| fields(&ctx.region, g)).await
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let out = ctx
            .client
            .create_internet_gateway()
            .tag_specifications(common::tag_spec::<Self>(&desired.tags, ctx))
            .send()
            .await
            .map_err(ec2_err)?;
        let (id, igw) = common::created::<Self>(
            out.internet_gateway,
            "CreateInternetGateway returned nothing",
        )?;
        let mut made = fields(&ctx.region, &igw);
        if let Some(vpc) = &desired.vpc_id {
            attach(ctx.client, &id, vpc).await?;
            made.vpc_id = Some(vpc.clone());
        }
        Ok(Made { id, fields: made })
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        if prior.vpc_id != desired.vpc_id {
            if let Some(old) = &prior.vpc_id {
                detach(ctx.client, id, old).await?;
            }
            if let Some(new) = &desired.vpc_id {
                attach(ctx.client, id, new).await?;
            }
        }
        common::retag_and_read(ctx, id, &prior.tags, &desired.tags).await
    }

    tagged_methods!(delete_internet_gateway.internet_gateway_id, after detach_all);
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::InternetGatewayAttachment;

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
        let a = fields("us-east-1", &igw);
        assert_eq!(a.vpc_id.as_deref(), Some("vpc-1"));
        let detached = InternetGateway::builder()
            .internet_gateway_id("igw-2")
            .attachments(
                InternetGatewayAttachment::builder()
                    .vpc_id("vpc-1")
                    .state(AttachmentStatus::Detached)
                    .build(),
            )
            .build();
        assert_eq!(fields("us-east-1", &detached).vpc_id, None);
    }
}
