//! `aws.ec2.eip`: an Elastic IP address (VPC domain). Its id is the
//! allocation id.
//!
//! Observe cost: one DescribeAddresses (filter `allocation-id`) per 200
//! addresses; the API does not page.

use super::common::prelude::*;
use aws_sdk_ec2::types::{Address, DomainType};

ec2_kind!(EipKind: "aws.ec2.eip", EipFields, ResourceType::ElasticIp,
    "An Elastic IP address for use in a VPC (e.g. by a NAT gateway).",
    describes Address, "allocation-id",
    describe_addresses.set_filters -> addresses, allocation_id, unpaged);

/// The fields of `aws.ec2.eip`.
#[derive(Debug, Clone, Default, Fields)]
pub struct EipFields {
    /// Always vpc (EC2-Classic is gone).
    #[field(force_new, default = "vpc")]
    pub domain: Option<String>,
    /// Where AWS advertises the address; defaults to the region.
    #[field(optional_computed, force_new)]
    pub network_border_group: Option<String>,
    /// An address pool to allocate from (BYOIP); defaults to Amazon's.
    #[field(optional_computed, force_new)]
    pub public_ipv4_pool: Option<String>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The allocated public IPv4 address.
    pub public_ip: Computed<String>,
    /// The allocation id (also the id).
    pub allocation_id: Computed<String>,
}

fn eip_fields(a: &Address) -> EipFields {
    let text = |v: Option<&str>| v.map(str::to_string);
    EipFields {
        domain: a.domain().map(|d| d.as_str().to_string()),
        network_border_group: text(a.network_border_group()),
        public_ipv4_pool: text(a.public_ipv4_pool()),
        tags: common::observed_tag_map(a.tags()),
        public_ip: text(a.public_ip()),
        allocation_id: text(a.allocation_id()),
    }
}

#[async_trait]
impl Kind for EipKind {
    const ARNS: &[ArnShape] = &[ArnShape::rest("ec2", "elastic-ip/")];

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        describe_fields::<Self, _>(ctx.client, ids, eip_fields).await
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let out = ctx
            .client
            .allocate_address()
            .domain(DomainType::from(desired.domain.as_deref().unwrap_or("vpc")))
            .set_network_border_group(desired.network_border_group.clone())
            .set_public_ipv4_pool(desired.public_ipv4_pool.clone())
            .tag_specifications(common::tag_spec::<Self>(&desired.tags, ctx))
            .send()
            .await
            .map_err(ec2_err)?;
        let id = returned(
            out.allocation_id(),
            "AllocateAddress returned no allocation id",
        )?
        .to_string();
        let items = describe_ids::<Self>(ctx.client, std::slice::from_ref(&id)).await?;
        let fields = match items.first() {
            Some(a) => eip_fields(a),
            // Not yet visible (eventual consistency): what the answer says.
            None => EipFields {
                domain: out.domain().map(|d| d.as_str().to_string()),
                network_border_group: out.network_border_group().map(str::to_string),
                public_ipv4_pool: out.public_ipv4_pool().map(str::to_string),
                tags: desired.tags.clone(),
                public_ip: out.public_ip().map(str::to_string),
                allocation_id: Some(id.clone()),
            },
        };
        Ok(Made { id, fields })
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        common::retag_and_read(ctx, id, &u.prior.tags, &u.desired.tags).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        let result = deleted(ctx.client.release_address().allocation_id(id).send().await);
        // Still held by a NAT gateway that is being deleted: retry.
        crate::error::retry_on(result, &["InvalidIPAddress.InUse"])
    }

    tagged_methods!();
}
