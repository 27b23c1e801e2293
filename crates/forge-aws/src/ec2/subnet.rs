//! `aws.ec2.subnet`: a subnet of a VPC in one availability zone.
//!
//! Observe cost: one DescribeSubnets (filter `subnet-id`) per 200 subnets.

use super::common::prelude::*;
use aws_sdk_ec2::types::{AttributeBooleanValue, Subnet};
use forge_engine::Readiness;

ec2_kind!(SubnetKind: "aws.ec2.subnet", SubnetFields, ResourceType::Subnet,
    "A subnet of a VPC in one availability zone.",
    describes Subnet, "subnet-id",
    describe_subnets.set_filters -> subnets, subnet_id, paged);

/// The fields of `aws.ec2.subnet`.
#[derive(Debug, Clone, Default, Fields)]
pub struct SubnetFields {
    /// The VPC to create it in.
    #[field(force_new)]
    pub vpc_id: String,
    /// The IPv4 range, a subset of the VPC's, e.g. 10.0.1.0/24.
    #[field(force_new, normalize = crate::normalize::cidr_value)]
    pub cidr_block: String,
    /// The availability zone, e.g. eu-central-1a (AWS picks one when unset).
    #[field(optional_computed, force_new)]
    pub availability_zone: Option<String>,
    /// Whether instances launched here get a public IPv4 address.
    #[field(default = false)]
    pub map_public_ip_on_launch: Option<bool>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The subnet's ARN.
    pub arn: Computed<String>,
    /// The zone's account-independent id (euc1-az2).
    pub availability_zone_id: Computed<String>,
    /// The owning AWS account.
    pub owner_id: Computed<String>,
    /// pending or available.
    pub state: Computed<String>,
}

fn subnet_fields(s: &Subnet) -> SubnetFields {
    let text = |v: Option<&str>| v.map(str::to_string);
    SubnetFields {
        vpc_id: s.vpc_id().unwrap_or_default().to_string(),
        cidr_block: s
            .cidr_block()
            .map(crate::normalize::cidr)
            .unwrap_or_default(),
        availability_zone: text(s.availability_zone()),
        map_public_ip_on_launch: s.map_public_ip_on_launch(),
        tags: common::observed_tag_map(s.tags()),
        arn: text(s.subnet_arn()),
        availability_zone_id: text(s.availability_zone_id()),
        owner_id: text(s.owner_id()),
        state: s.state().map(|st| st.as_str().to_string()),
    }
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
impl Kind for SubnetKind {
    const ARNS: &[ArnShape] = &[ArnShape::rest("ec2", "subnet/")];

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        describe_fields::<Self, _>(ctx.client, ids, subnet_fields).await
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let out = ctx
            .client
            .create_subnet()
            .vpc_id(&desired.vpc_id)
            .cidr_block(&desired.cidr_block)
            .set_availability_zone(desired.availability_zone.clone())
            .tag_specifications(common::tag_spec::<Self>(&desired.tags, ctx))
            .send()
            .await
            .map_err(ec2_err)?;
        let (id, subnet) = common::created::<Self>(out.subnet, "CreateSubnet returned no subnet")?;
        let mut fields = subnet_fields(&subnet);
        if desired.map_public_ip_on_launch == Some(true) {
            set_map_public_ip(ctx.client, &id, true).await?;
            fields.map_public_ip_on_launch = Some(true);
        }
        Ok(Made { id, fields })
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        let want = desired.map_public_ip_on_launch.unwrap_or(false);
        if prior.map_public_ip_on_launch.unwrap_or(false) != want {
            set_map_public_ip(ctx.client, id, want).await?;
        }
        common::retag_and_read(ctx, id, &prior.tags, &desired.tags).await
    }

    tagged_methods!(delete_subnet.subnet_id);

    fn readiness(observed: &SubnetFields) -> Readiness {
        match observed.state.as_deref() {
            Some("pending") => Readiness::Pending("pending".into()),
            _ => Readiness::Ready,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing::desired;
    use forge_core::Value;

    #[test]
    fn observed_subnet_is_normalized() {
        let s = Subnet::builder()
            .subnet_id("subnet-1")
            .vpc_id("vpc-1")
            .cidr_block("10.0.1.0/24")
            .availability_zone("eu-central-1a")
            .map_public_ip_on_launch(false)
            .build();
        let f = subnet_fields(&s);
        assert_eq!(f.availability_zone.as_deref(), Some("eu-central-1a"));
        let n = desired::<SubnetKind>(
            serde_json::json!({"vpc_id": "vpc-1", "cidr_block": "10.0.1.7/24"}),
        );
        assert_eq!(n["cidr_block"], Value::from("10.0.1.0/24"));
        assert_eq!(n["tags"], Value::Map(Default::default()));
    }
}
