//! `aws.ec2.nat_gateway`: a NAT gateway in a subnet.
//!
//! Everything but tags is immutable. Create returns at once (state
//! `pending`); the engine waits for `available` through batched observe
//! polling ([`Provider::readiness`]). AWS keeps listing deleted gateways for
//! about an hour, so `deleting`/`deleted` count as gone. The engine's token
//! is sent as ClientToken, so a retried create does not make a second one.
//! Observe cost: one DescribeNatGateways per 200 gateways (plus pages).

use super::common::{
    self, Describe, Ec2Base, attrs, by_id, describe_ids, ec2_err, normalize_common, tags_field,
};
use crate::attrs::{opt_str, req_str, str_or_null};
use crate::clients::AwsClients;
use crate::error::delete_result;
use async_trait::async_trait;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    ConnectivityType, Filter, NatGateway, NatGatewayState, ResourceType, Tag,
};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema};
use forge_engine::{
    Created, FieldChange, ObserveCtx, Provider, ProviderError, Readiness, ResourceCtx,
};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// DescribeNatGateways.
pub struct NatGatewayApi;

impl Describe for NatGatewayApi {
    type Item = NatGateway;
    const ID_FILTER: &'static str = "nat-gateway-id";

    async fn page(
        client: &Client,
        filters: Vec<Filter>,
        token: Option<String>,
    ) -> Result<(Vec<NatGateway>, Option<String>), ProviderError> {
        let out = client
            .describe_nat_gateways()
            .set_filter(Some(filters))
            .set_next_token(token)
            .send()
            .await
            .map_err(ec2_err)?;
        Ok((out.nat_gateways.unwrap_or_default(), out.next_token))
    }

    fn id(item: &NatGateway) -> Option<&str> {
        item.nat_gateway_id()
    }

    fn tags(item: &NatGateway) -> &[Tag] {
        item.tags()
    }

    fn alive(item: &NatGateway) -> bool {
        !matches!(
            item.state(),
            Some(NatGatewayState::Deleted | NatGatewayState::Deleting)
        )
    }
}

/// The `aws.ec2.nat_gateway` provider.
pub struct NatGatewayProvider {
    base: Ec2Base,
    schema: KindSchema,
}

impl NatGatewayProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        NatGatewayProvider {
            base: Ec2Base::new(clients),
            schema: schema(),
        }
    }
}

/// The schema of `aws.ec2.nat_gateway`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.ec2.nat_gateway",
        "A NAT gateway giving private subnets outbound access.",
        [
            (
                "subnet_id",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("The (public) subnet it lives in."),
            ),
            (
                "allocation_id",
                FieldSchema::optional(FieldType::String)
                    .force_new()
                    .describe("The Elastic IP allocation (required for public gateways)."),
            ),
            (
                "connectivity_type",
                FieldSchema::optional(FieldType::String)
                    .force_new()
                    .default("public")
                    .describe(
                        "public (internet via an IGW) or private (other VPCs / on-premises).",
                    ),
            ),
            (
                "private_ip_address",
                FieldSchema::optional_computed(FieldType::String)
                    .force_new()
                    .describe(
                        "The private IPv4 address (AWS picks one from the subnet when unset).",
                    ),
            ),
            ("tags", tags_field()),
            (
                "vpc_id",
                FieldSchema::computed(FieldType::String).describe("The VPC of the subnet."),
            ),
            (
                "public_ip",
                FieldSchema::computed(FieldType::String).describe("The public IPv4 address."),
            ),
            (
                "network_interface_id",
                FieldSchema::computed(FieldType::String)
                    .describe("The gateway's network interface."),
            ),
            (
                "state",
                FieldSchema::computed(FieldType::String)
                    .describe("pending, available, failed, deleting or deleted."),
            ),
            (
                "failure_message",
                FieldSchema::computed(FieldType::String).describe("Why it failed, when it did."),
            ),
        ],
    )
}

fn nat_attrs(n: &NatGateway) -> Attrs {
    // The primary address is the one chosen at create; secondary ones are
    // not managed by this kind.
    let primary = n
        .nat_gateway_addresses()
        .iter()
        .find(|a| a.is_primary() != Some(false))
        .or_else(|| n.nat_gateway_addresses().first());
    attrs([
        ("id", str_or_null(n.nat_gateway_id())),
        ("subnet_id", str_or_null(n.subnet_id())),
        (
            "allocation_id",
            str_or_null(primary.and_then(|a| a.allocation_id())),
        ),
        (
            "connectivity_type",
            str_or_null(n.connectivity_type().map(|c| c.as_str())),
        ),
        (
            "private_ip_address",
            str_or_null(primary.and_then(|a| a.private_ip())),
        ),
        ("tags", common::observed_tags(n.tags())),
        ("vpc_id", str_or_null(n.vpc_id())),
        (
            "public_ip",
            str_or_null(primary.and_then(|a| a.public_ip())),
        ),
        (
            "network_interface_id",
            str_or_null(primary.and_then(|a| a.network_interface_id())),
        ),
        ("state", str_or_null(n.state().map(|s| s.as_str()))),
        ("failure_message", str_or_null(n.failure_message())),
    ])
}

async fn describe_one(client: &Client, id: &str) -> Result<Option<Attrs>, ProviderError> {
    Ok(describe_ids::<NatGatewayApi>(client, &[id.to_string()])
        .await?
        .first()
        .map(nat_attrs))
}

#[async_trait]
impl Provider for NatGatewayProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(common::CONCURRENCY)
    }

    fn poll_interval(&self) -> Duration {
        Duration::from_secs(10)
    }

    fn ready_timeout(&self) -> Duration {
        Duration::from_secs(15 * 60)
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
        Ok(by_id::<NatGatewayApi>(
            describe_ids::<NatGatewayApi>(&client, ids).await?,
            nat_attrs,
        ))
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let connectivity = opt_str(desired, "connectivity_type").unwrap_or("public");
        let allocation = opt_str(desired, "allocation_id");
        if connectivity == "public" && allocation.is_none() {
            return Err(ProviderError::Invalid(
                "a public NAT gateway needs `allocation_id` (an aws.ec2.eip)".into(),
            ));
        }
        let out = client
            .create_nat_gateway()
            .subnet_id(req_str(desired, "subnet_id")?)
            .set_allocation_id(allocation.map(str::to_string))
            .connectivity_type(ConnectivityType::from(connectivity))
            .set_private_ip_address(opt_str(desired, "private_ip_address").map(str::to_string))
            .client_token(common::client_token(token))
            .tag_specifications(common::tag_spec(ResourceType::Natgateway, desired, ctx))
            .send()
            .await
            .map_err(ec2_err)?;
        let nat = out.nat_gateway.ok_or_else(|| ProviderError::Transient {
            message: "CreateNatGateway returned nothing".into(),
        })?;
        let id = nat.nat_gateway_id().unwrap_or_default().to_string();
        Ok(Created {
            id,
            attrs: nat_attrs(&nat),
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
        common::sync_tags(&client, id, prior, desired).await?;
        describe_one(&client, id)
            .await?
            .ok_or_else(|| ProviderError::Transient {
                message: format!("NAT gateway {id} not visible after update"),
            })
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        delete_result(
            client
                .delete_nat_gateway()
                .nat_gateway_id(id)
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
        let Some(id) = common::orphan_id::<NatGatewayApi>(&client, ctx).await? else {
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
        common::list_tagged::<NatGatewayApi>(&client, ctx).await
    }

    fn readiness(&self, observed: &Attrs) -> Readiness {
        match opt_str(observed, "state") {
            Some("available") | None => Readiness::Ready,
            Some("failed") => Readiness::Failed(
                opt_str(observed, "failure_message")
                    .map_or_else(|| "failed".to_string(), |m| format!("failed: {m}")),
            ),
            Some(other) => Readiness::Pending(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::NatGatewayAddress;
    use forge_core::Value;

    fn provider() -> NatGatewayProvider {
        NatGatewayProvider::new(Arc::new(AwsClients::new(crate::AwsSettings::default())))
    }

    #[test]
    fn readiness_follows_state() {
        let p = provider();
        let with_state = |s: &str| Attrs::from([("state".to_string(), Value::from(s))]);
        assert_eq!(
            p.readiness(&with_state("pending")),
            Readiness::Pending("pending".into())
        );
        assert_eq!(p.readiness(&with_state("available")), Readiness::Ready);
        assert!(matches!(
            p.readiness(&with_state("failed")),
            Readiness::Failed(_)
        ));
    }

    #[test]
    fn deleted_gateways_are_gone_and_addresses_are_read() {
        let n = NatGateway::builder()
            .nat_gateway_id("nat-1")
            .subnet_id("subnet-1")
            .state(NatGatewayState::Available)
            .connectivity_type(ConnectivityType::Public)
            .nat_gateway_addresses(
                NatGatewayAddress::builder()
                    .allocation_id("eipalloc-1")
                    .public_ip("1.2.3.4")
                    .is_primary(true)
                    .build(),
            )
            .build();
        assert!(NatGatewayApi::alive(&n));
        let a = nat_attrs(&n);
        assert_eq!(a["allocation_id"], Value::from("eipalloc-1"));
        assert_eq!(a["public_ip"], Value::from("1.2.3.4"));
        for field in schema().fields.keys() {
            assert!(a.contains_key(field), "missing {field}");
        }
        let gone = NatGateway::builder()
            .nat_gateway_id("nat-2")
            .state(NatGatewayState::Deleted)
            .build();
        assert!(!NatGatewayApi::alive(&gone));
    }
}
