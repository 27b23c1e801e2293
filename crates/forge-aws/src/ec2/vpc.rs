//! `aws.ec2.vpc`: a VPC with its DNS attributes.
//!
//! Observe cost: DescribeVpcs for all ids, then one batched Describe each
//! for the default security groups, main route tables and default network
//! ACLs (so `${vpc.main_route_table_id}` etc. resolve), plus two
//! DescribeVpcAttribute calls per VPC for the DNS flags, which EC2 only
//! returns one attribute of one VPC at a time (run concurrently, at most
//! eight in flight). A stack has few VPCs, so this stays small.

use super::common::prelude::*;
use super::route_table::RouteTableKind;
use super::security_group::SecurityGroupKind;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, NetworkAcl, RouteTable, SecurityGroup, Tenancy, Vpc, VpcAttributeName,
};
use futures::{StreamExt, TryStreamExt};
use std::collections::BTreeMap;

/// DescribeVpcAttribute calls in flight at once during observe.
const ATTRIBUTE_CONCURRENCY: usize = 8;

describe_api!(
    /// DescribeNetworkAcls (for the VPCs' default ACLs).
    NetworkAclApi: NetworkAcl, "network-acl-id",
    describe_network_acls.set_filters -> network_acls, network_acl_id, paged
);

/// What observe learns about a VPC besides DescribeVpcs.
#[derive(Debug, Default, Clone)]
struct VpcExtras {
    dns_support: Option<bool>,
    dns_hostnames: Option<bool>,
    default_security_group_id: Option<String>,
    main_route_table_id: Option<String>,
    default_network_acl_id: Option<String>,
}

ec2_kind!(VpcKind: "aws.ec2.vpc", VpcFields, ResourceType::Vpc,
    "A virtual private cloud.",
    describes Vpc, "vpc-id",
    describe_vpcs.set_filters -> vpcs, vpc_id, paged);

/// The fields of `aws.ec2.vpc`.
#[derive(Debug, Clone, Default, Fields)]
pub struct VpcFields {
    /// The IPv4 network range of the VPC, e.g. 10.0.0.0/16.
    #[field(force_new, normalize = crate::normalize::cidr_value)]
    pub cidr_block: String,
    /// Tenancy of instances launched in the VPC: default or dedicated.
    #[field(force_new, default = "default")]
    pub instance_tenancy: Option<String>,
    /// Whether the Amazon DNS server resolves names in the VPC.
    #[field(default = true)]
    pub enable_dns_support: Option<bool>,
    /// Whether instances with public IPs get public DNS hostnames.
    #[field(default = false)]
    pub enable_dns_hostnames: Option<bool>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The VPC's ARN.
    pub arn: Computed<String>,
    /// The owning AWS account.
    pub owner_id: Computed<String>,
    /// The security group AWS created with the VPC.
    pub default_security_group_id: Computed<String>,
    /// The VPC's main route table.
    pub main_route_table_id: Computed<String>,
    /// The network ACL AWS created with the VPC.
    pub default_network_acl_id: Computed<String>,
    /// The DHCP options set in use.
    pub dhcp_options_id: Computed<String>,
}

fn vpc_fields(region: &str, vpc: &Vpc, extras: &VpcExtras) -> VpcFields {
    let id = vpc.vpc_id().unwrap_or_default();
    VpcFields {
        cidr_block: vpc
            .cidr_block()
            .map(crate::normalize::cidr)
            .unwrap_or_default(),
        instance_tenancy: vpc.instance_tenancy().map(|t| t.as_str().to_string()),
        enable_dns_support: extras.dns_support,
        enable_dns_hostnames: extras.dns_hostnames,
        tags: common::observed_tag_map(vpc.tags()),
        arn: common::arn_text(region, vpc.owner_id(), "vpc", id),
        owner_id: vpc.owner_id().map(str::to_string),
        default_security_group_id: extras.default_security_group_id.clone(),
        main_route_table_id: extras.main_route_table_id.clone(),
        default_network_acl_id: extras.default_network_acl_id.clone(),
        dhcp_options_id: vpc.dhcp_options_id().map(str::to_string),
    }
}

async fn dns_attribute(
    client: &Client,
    vpc_id: &str,
    name: VpcAttributeName,
) -> Result<Option<bool>, ProviderError> {
    let out = client
        .describe_vpc_attribute()
        .vpc_id(vpc_id)
        .attribute(name.clone())
        .send()
        .await
        .map_err(ec2_err)?;
    let value = match name {
        VpcAttributeName::EnableDnsHostnames => out.enable_dns_hostnames(),
        _ => out.enable_dns_support(),
    };
    Ok(value.and_then(AttributeBooleanValue::value))
}

async fn set_dns_attribute(
    client: &Client,
    vpc_id: &str,
    name: VpcAttributeName,
    on: bool,
) -> Result<(), ProviderError> {
    let value = AttributeBooleanValue::builder().value(on).build();
    let call = client.modify_vpc_attribute().vpc_id(vpc_id);
    let call = match name {
        VpcAttributeName::EnableDnsHostnames => call.enable_dns_hostnames(value),
        _ => call.enable_dns_support(value),
    };
    call.send().await.map_err(ec2_err)?;
    Ok(())
}

/// The id of the last of `items` (of Describe `D`) in `vpc`, as
/// `vpc_of` reads an item's VPC.
fn id_in<D: Describe>(
    items: &[D::Item],
    vpc: &str,
    vpc_of: fn(&D::Item) -> Option<&str>,
) -> Option<String> {
    let mine = items.iter().filter(|i| vpc_of(i) == Some(vpc));
    mine.filter_map(D::id).last().map(str::to_string)
}

/// The extras of the given VPCs: three batched Describes plus the per-VPC
/// attribute calls.
async fn extras(
    client: &Client,
    vpc_ids: &[String],
) -> Result<BTreeMap<String, VpcExtras>, ProviderError> {
    let mut out: BTreeMap<String, VpcExtras> = vpc_ids
        .iter()
        .map(|id| (id.clone(), VpcExtras::default()))
        .collect();
    if vpc_ids.is_empty() {
        return Ok(out);
    }
    let by_vpc = |name: &str, value: &str| {
        vec![
            filter("vpc-id", vpc_ids.iter().cloned()),
            filter(name, [value]),
        ]
    };
    let sgs = describe::<SecurityGroupKind>(client, by_vpc("group-name", "default")).await?;
    let tables = describe::<RouteTableKind>(client, by_vpc("association.main", "true")).await?;
    let acls = describe::<NetworkAclApi>(client, by_vpc("default", "true")).await?;
    for (vpc, e) in out.iter_mut() {
        e.default_security_group_id = id_in::<SecurityGroupKind>(&sgs, vpc, SecurityGroup::vpc_id);
        e.main_route_table_id = id_in::<RouteTableKind>(&tables, vpc, RouteTable::vpc_id);
        e.default_network_acl_id = id_in::<NetworkAclApi>(&acls, vpc, NetworkAcl::vpc_id);
    }
    let flags: Vec<(String, Option<bool>, Option<bool>)> =
        futures::stream::iter(vpc_ids.iter().cloned())
            .map(|id| async move {
                let support =
                    dns_attribute(client, &id, VpcAttributeName::EnableDnsSupport).await?;
                let hostnames =
                    dns_attribute(client, &id, VpcAttributeName::EnableDnsHostnames).await?;
                Ok::<_, ProviderError>((id, support, hostnames))
            })
            .buffer_unordered(ATTRIBUTE_CONCURRENCY)
            .try_collect()
            .await?;
    for (id, support, hostnames) in flags {
        if let Some(e) = out.get_mut(&id) {
            e.dns_support = support;
            e.dns_hostnames = hostnames;
        }
    }
    Ok(out)
}

/// Observes VPCs: DescribeVpcs then the extras of those that exist.
async fn observe_vpcs(
    client: &Client,
    region: &str,
    ids: &[String],
) -> Result<BTreeMap<String, VpcFields>, ProviderError> {
    let vpcs = describe_ids::<VpcKind>(client, ids).await?;
    let found: Vec<String> = vpcs
        .iter()
        .filter_map(|v| v.vpc_id().map(str::to_string))
        .collect();
    let extras = extras(client, &found).await?;
    let none = VpcExtras::default();
    Ok(common::keyed::<VpcKind, _>(vpcs, |v| {
        vpc_fields(
            region,
            v,
            v.vpc_id().and_then(|id| extras.get(id)).unwrap_or(&none),
        )
    }))
}

#[async_trait]
impl Kind for VpcKind {
    const ARNS: &[ArnShape] = &[ArnShape::rest("ec2", "vpc/")];

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        observe_vpcs(ctx.client, &ctx.region, ids).await
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let tenancy = desired.instance_tenancy.as_deref().unwrap_or("default");
        let out = ctx
            .client
            .create_vpc()
            .cidr_block(&desired.cidr_block)
            .instance_tenancy(Tenancy::from(tenancy))
            .tag_specifications(common::tag_spec::<Self>(&desired.tags, ctx))
            .send()
            .await
            .map_err(ec2_err)?;
        let (id, vpc) = common::created::<Self>(out.vpc, "CreateVpc returned no VPC")?;
        // DNS support defaults on and hostnames off; only differences cost a call.
        if desired.enable_dns_support == Some(false) {
            set_dns_attribute(ctx.client, &id, VpcAttributeName::EnableDnsSupport, false).await?;
        }
        if desired.enable_dns_hostnames == Some(true) {
            set_dns_attribute(ctx.client, &id, VpcAttributeName::EnableDnsHostnames, true).await?;
        }
        let mut observed = observe_vpcs(ctx.client, &ctx.region, std::slice::from_ref(&id)).await?;
        let fields = match observed.remove(&id) {
            Some(f) => f,
            // Not yet visible (eventual consistency): what we know.
            None => VpcFields {
                enable_dns_support: Some(desired.enable_dns_support.unwrap_or(true)),
                enable_dns_hostnames: Some(desired.enable_dns_hostnames.unwrap_or(false)),
                ..vpc_fields(&ctx.region, &vpc, &VpcExtras::default())
            },
        };
        Ok(Made { id, fields })
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        let support = desired.enable_dns_support.unwrap_or(true);
        let hostnames = desired.enable_dns_hostnames.unwrap_or(false);
        // Hostnames need DNS support: turn support on first, off last.
        if support && prior.enable_dns_support != Some(true) {
            set_dns_attribute(ctx.client, id, VpcAttributeName::EnableDnsSupport, true).await?;
        }
        if prior.enable_dns_hostnames != Some(hostnames) {
            set_dns_attribute(
                ctx.client,
                id,
                VpcAttributeName::EnableDnsHostnames,
                hostnames,
            )
            .await?;
        }
        if !support && prior.enable_dns_support != Some(false) {
            set_dns_attribute(ctx.client, id, VpcAttributeName::EnableDnsSupport, false).await?;
        }
        common::retag_and_read(ctx, id, &prior.tags, &desired.tags).await
    }

    tagged_methods!(delete_vpc.vpc_id);
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::Tag;
    use forge_core::Value;

    #[test]
    fn schema_marks_immutable_fields() {
        let s = crate::kind::schema_of::<VpcKind>();
        assert!(s.field("cidr_block").is_some_and(|f| f.force_new));
        assert!(s.field("instance_tenancy").is_some_and(|f| f.force_new));
        assert!(
            s.field("enable_dns_support")
                .is_some_and(|f| !f.force_new && f.default == Some(Value::Bool(true)))
        );
        assert!(
            s.field("main_route_table_id")
                .is_some_and(|f| !f.settable())
        );
    }

    #[test]
    fn fields_read_the_described_vpc() {
        let vpc = Vpc::builder()
            .vpc_id("vpc-1")
            .cidr_block("10.0.0.0/16")
            .owner_id("123456789012")
            .instance_tenancy(Tenancy::Default)
            .tags(Tag::builder().key("Name").value("main").build())
            .tags(Tag::builder().key("forge:stack").value("s").build())
            .build();
        let a = vpc_fields(
            "eu-central-1",
            &vpc,
            &VpcExtras {
                dns_support: Some(true),
                ..VpcExtras::default()
            },
        );
        assert_eq!(a.tags.0.len(), 1);
        assert_eq!(
            a.arn.as_deref(),
            Some("arn:aws:ec2:eu-central-1:123456789012:vpc/vpc-1")
        );
    }
}
