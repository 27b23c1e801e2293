//! `aws.ec2.vpc`: a VPC with its DNS attributes.
//!
//! Observe cost: DescribeVpcs for all ids, then one batched Describe each
//! for the default security groups, main route tables and default network
//! ACLs (so `${vpc.main_route_table_id}` etc. resolve), plus two
//! DescribeVpcAttribute calls per VPC for the DNS flags, which EC2 only
//! returns one attribute of one VPC at a time (run concurrently, at most
//! eight in flight). A stack has few VPCs, so this stays small.

use super::common::{
    self, Describe, Ec2Base, attrs, by_id, describe, describe_ids, ec2_err, filter,
    normalize_common, tags_field,
};
use super::route_table::RouteTableApi;
use super::security_group::SecurityGroupApi;
use crate::attrs::{bool_or_null, opt_bool, opt_str, req_str, str_or_null};
use crate::clients::AwsClients;
use async_trait::async_trait;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, Filter, NetworkAcl, ResourceType, Tag, Tenancy, Vpc, VpcAttributeName,
};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use futures::{StreamExt, TryStreamExt};
use std::collections::BTreeMap;
use std::sync::Arc;

/// DescribeVpcAttribute calls in flight at once during observe.
const ATTRIBUTE_CONCURRENCY: usize = 8;

/// DescribeVpcs.
pub struct VpcApi;

impl Describe for VpcApi {
    type Item = Vpc;
    const ID_FILTER: &'static str = "vpc-id";

    async fn page(
        client: &Client,
        filters: Vec<Filter>,
        token: Option<String>,
    ) -> Result<(Vec<Vpc>, Option<String>), ProviderError> {
        let out = client
            .describe_vpcs()
            .set_filters(Some(filters))
            .set_next_token(token)
            .send()
            .await
            .map_err(ec2_err)?;
        Ok((out.vpcs.unwrap_or_default(), out.next_token))
    }

    fn id(item: &Vpc) -> Option<&str> {
        item.vpc_id()
    }

    fn tags(item: &Vpc) -> &[Tag] {
        item.tags()
    }
}

/// DescribeNetworkAcls (for the VPCs' default ACLs).
struct NetworkAclApi;

impl Describe for NetworkAclApi {
    type Item = NetworkAcl;
    const ID_FILTER: &'static str = "network-acl-id";

    async fn page(
        client: &Client,
        filters: Vec<Filter>,
        token: Option<String>,
    ) -> Result<(Vec<NetworkAcl>, Option<String>), ProviderError> {
        let out = client
            .describe_network_acls()
            .set_filters(Some(filters))
            .set_next_token(token)
            .send()
            .await
            .map_err(ec2_err)?;
        Ok((out.network_acls.unwrap_or_default(), out.next_token))
    }

    fn id(item: &NetworkAcl) -> Option<&str> {
        item.network_acl_id()
    }

    fn tags(item: &NetworkAcl) -> &[Tag] {
        item.tags()
    }
}

/// What observe learns about a VPC besides DescribeVpcs.
#[derive(Debug, Default, Clone)]
struct VpcExtras {
    dns_support: Option<bool>,
    dns_hostnames: Option<bool>,
    default_security_group_id: Option<String>,
    main_route_table_id: Option<String>,
    default_network_acl_id: Option<String>,
}

/// The `aws.ec2.vpc` provider.
pub struct VpcProvider {
    base: Ec2Base,
    schema: KindSchema,
}

impl VpcProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        VpcProvider {
            base: Ec2Base::new(clients),
            schema: schema(),
        }
    }
}

/// The schema of `aws.ec2.vpc`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.ec2.vpc",
        "A virtual private cloud.",
        [
            (
                "cidr_block",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("The IPv4 network range of the VPC, e.g. 10.0.0.0/16."),
            ),
            (
                "instance_tenancy",
                FieldSchema::optional(FieldType::String)
                    .force_new()
                    .default("default")
                    .describe("Tenancy of instances launched in the VPC: default or dedicated."),
            ),
            (
                "enable_dns_support",
                FieldSchema::optional(FieldType::Bool)
                    .default(true)
                    .describe("Whether the Amazon DNS server resolves names in the VPC."),
            ),
            (
                "enable_dns_hostnames",
                FieldSchema::optional(FieldType::Bool)
                    .default(false)
                    .describe("Whether instances with public IPs get public DNS hostnames."),
            ),
            ("tags", tags_field()),
            (
                "arn",
                FieldSchema::computed(FieldType::String).describe("The VPC's ARN."),
            ),
            (
                "owner_id",
                FieldSchema::computed(FieldType::String).describe("The owning AWS account."),
            ),
            (
                "default_security_group_id",
                FieldSchema::computed(FieldType::String)
                    .describe("The security group AWS created with the VPC."),
            ),
            (
                "main_route_table_id",
                FieldSchema::computed(FieldType::String).describe("The VPC's main route table."),
            ),
            (
                "default_network_acl_id",
                FieldSchema::computed(FieldType::String)
                    .describe("The network ACL AWS created with the VPC."),
            ),
            (
                "dhcp_options_id",
                FieldSchema::computed(FieldType::String).describe("The DHCP options set in use."),
            ),
        ],
    )
}

fn vpc_attrs(region: &str, vpc: &Vpc, extras: &VpcExtras) -> Attrs {
    let id = vpc.vpc_id().unwrap_or_default();
    attrs([
        ("id", Value::from(id)),
        (
            "cidr_block",
            str_or_null(vpc.cidr_block().map(crate::normalize::cidr)),
        ),
        (
            "instance_tenancy",
            str_or_null(vpc.instance_tenancy().map(|t| t.as_str())),
        ),
        ("enable_dns_support", bool_or_null(extras.dns_support)),
        ("enable_dns_hostnames", bool_or_null(extras.dns_hostnames)),
        ("tags", common::observed_tags(vpc.tags())),
        ("arn", common::arn(region, vpc.owner_id(), "vpc", id)),
        ("owner_id", str_or_null(vpc.owner_id())),
        (
            "default_security_group_id",
            str_or_null(extras.default_security_group_id.clone()),
        ),
        (
            "main_route_table_id",
            str_or_null(extras.main_route_table_id.clone()),
        ),
        (
            "default_network_acl_id",
            str_or_null(extras.default_network_acl_id.clone()),
        ),
        ("dhcp_options_id", str_or_null(vpc.dhcp_options_id())),
    ])
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
    let by_vpc = |filters: Vec<Filter>| -> Vec<Filter> {
        let mut f = vec![filter("vpc-id", vpc_ids.iter().cloned())];
        f.extend(filters);
        f
    };
    let groups =
        describe::<SecurityGroupApi>(client, by_vpc(vec![filter("group-name", ["default"])]))
            .await?;
    for g in groups {
        if let (Some(vpc), Some(id)) = (g.vpc_id(), g.group_id())
            && let Some(e) = out.get_mut(vpc)
        {
            e.default_security_group_id = Some(id.to_string());
        }
    }
    let tables =
        describe::<RouteTableApi>(client, by_vpc(vec![filter("association.main", ["true"])]))
            .await?;
    for t in tables {
        if let (Some(vpc), Some(id)) = (t.vpc_id(), t.route_table_id())
            && let Some(e) = out.get_mut(vpc)
        {
            e.main_route_table_id = Some(id.to_string());
        }
    }
    let acls = describe::<NetworkAclApi>(client, by_vpc(vec![filter("default", ["true"])])).await?;
    for a in acls {
        if let (Some(vpc), Some(id)) = (a.vpc_id(), a.network_acl_id())
            && let Some(e) = out.get_mut(vpc)
        {
            e.default_network_acl_id = Some(id.to_string());
        }
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
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let vpcs = describe_ids::<VpcApi>(client, ids).await?;
    let found: Vec<String> = vpcs
        .iter()
        .filter_map(|v| v.vpc_id().map(str::to_string))
        .collect();
    let extras = extras(client, &found).await?;
    let none = VpcExtras::default();
    Ok(by_id::<VpcApi>(vpcs, |v| {
        vpc_attrs(
            region,
            v,
            v.vpc_id().and_then(|id| extras.get(id)).unwrap_or(&none),
        )
    }))
}

#[async_trait]
impl Provider for VpcProvider {
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
        observe_vpcs(&client, &ctx.region, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let tenancy = opt_str(desired, "instance_tenancy").unwrap_or("default");
        let out = client
            .create_vpc()
            .cidr_block(req_str(desired, "cidr_block")?)
            .instance_tenancy(Tenancy::from(tenancy))
            .tag_specifications(common::tag_spec(ResourceType::Vpc, desired, ctx))
            .send()
            .await
            .map_err(ec2_err)?;
        let vpc = out.vpc.ok_or_else(|| ProviderError::Transient {
            message: "CreateVpc returned no VPC".into(),
        })?;
        let id = vpc.vpc_id().unwrap_or_default().to_string();
        // DNS support defaults on and hostnames off; only differences cost a call.
        if let Some(false) = opt_bool(desired, "enable_dns_support") {
            set_dns_attribute(&client, &id, VpcAttributeName::EnableDnsSupport, false).await?;
        }
        if let Some(true) = opt_bool(desired, "enable_dns_hostnames") {
            set_dns_attribute(&client, &id, VpcAttributeName::EnableDnsHostnames, true).await?;
        }
        let mut observed = observe_vpcs(&client, &ctx.region, std::slice::from_ref(&id)).await?;
        let attrs = match observed.remove(&id) {
            Some(a) => a,
            // Not yet visible (eventual consistency): what we know.
            None => {
                let mut a = vpc_attrs(&ctx.region, &vpc, &VpcExtras::default());
                a.insert(
                    "enable_dns_support".into(),
                    Value::Bool(opt_bool(desired, "enable_dns_support").unwrap_or(true)),
                );
                a.insert(
                    "enable_dns_hostnames".into(),
                    Value::Bool(opt_bool(desired, "enable_dns_hostnames").unwrap_or(false)),
                );
                a
            }
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
        let support = opt_bool(desired, "enable_dns_support").unwrap_or(true);
        let hostnames = opt_bool(desired, "enable_dns_hostnames").unwrap_or(false);
        // Hostnames need DNS support: turn support on first, off last.
        if support && opt_bool(prior, "enable_dns_support") != Some(true) {
            set_dns_attribute(&client, id, VpcAttributeName::EnableDnsSupport, true).await?;
        }
        if opt_bool(prior, "enable_dns_hostnames") != Some(hostnames) {
            set_dns_attribute(&client, id, VpcAttributeName::EnableDnsHostnames, hostnames).await?;
        }
        if !support && opt_bool(prior, "enable_dns_support") != Some(false) {
            set_dns_attribute(&client, id, VpcAttributeName::EnableDnsSupport, false).await?;
        }
        common::sync_tags(&client, id, prior, desired).await?;
        let mut observed = observe_vpcs(&client, &ctx.region, &[id.to_string()]).await?;
        observed.remove(id).ok_or_else(|| ProviderError::Transient {
            message: format!("VPC {id} not visible after update"),
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
                .delete_vpc()
                .vpc_id(id)
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
        let Some(id) = common::orphan_id::<VpcApi>(&client, ctx).await? else {
            return Ok(None);
        };
        let mut observed = observe_vpcs(&client, &ctx.region, std::slice::from_ref(&id)).await?;
        Ok(observed.remove(&id).map(|attrs| Created { id, attrs }))
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        common::list_tagged::<VpcApi>(&client, ctx).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_marks_immutable_fields() {
        let s = schema();
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
    fn attrs_cover_every_field() {
        let vpc = Vpc::builder()
            .vpc_id("vpc-1")
            .cidr_block("10.0.0.0/16")
            .owner_id("123456789012")
            .instance_tenancy(Tenancy::Default)
            .tags(Tag::builder().key("Name").value("main").build())
            .tags(Tag::builder().key("forge:stack").value("s").build())
            .build();
        let a = vpc_attrs(
            "eu-central-1",
            &vpc,
            &VpcExtras {
                dns_support: Some(true),
                ..VpcExtras::default()
            },
        );
        for field in schema().fields.keys() {
            assert!(a.contains_key(field), "missing {field}");
        }
        assert_eq!(a["tags"].as_map().map(|m| m.len()), Some(1));
        assert_eq!(
            a["arn"],
            Value::from("arn:aws:ec2:eu-central-1:123456789012:vpc/vpc-1")
        );
    }
}
