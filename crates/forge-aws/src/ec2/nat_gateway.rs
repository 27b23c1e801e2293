//! `aws.ec2.nat_gateway`: a NAT gateway in a subnet.
//!
//! Everything but tags is immutable. Create returns at once (state
//! `pending`); the engine waits for `available` through batched observe
//! polling ([`Kind::readiness`]). Delete returns at once too (state
//! `deleting`): the gateway keeps its network interface in the subnet and
//! its Elastic IP until it is `deleted`, so the engine awaits the deletion
//! ([`Kind::AWAIT_DELETION`]) before it deletes the subnet or releases the
//! address (AWS refuses both meanwhile). AWS keeps listing deleted gateways
//! for about an hour, so `deleted` counts as gone. The engine's token
//! is sent as ClientToken, so a retried create does not make a second one.
//! Observe cost: one DescribeNatGateways per 200 gateways (plus pages).

use super::common::prelude::*;
use aws_sdk_ec2::types::{ConnectivityType, NatGateway, NatGatewayState};
use forge_engine::Readiness;
use std::time::Duration;

ec2_kind!(NatGatewayKind: "aws.ec2.nat_gateway", NatGatewayFields, ResourceType::Natgateway,
"A NAT gateway giving private subnets outbound access.",
describes NatGateway, "nat-gateway-id",
describe_nat_gateways.set_filter -> nat_gateways, nat_gateway_id, paged, {
    fn alive(item: &NatGateway) -> bool {
        !matches!(item.state(), Some(NatGatewayState::Deleted))
    }
});

/// The fields of `aws.ec2.nat_gateway`.
#[derive(Debug, Clone, Default, Fields)]
pub struct NatGatewayFields {
    /// The (public) subnet it lives in.
    #[field(force_new)]
    pub subnet_id: String,
    /// The Elastic IP allocation (required for public gateways).
    #[field(force_new)]
    pub allocation_id: Option<String>,
    /// public (internet via an IGW) or private (other VPCs / on-premises).
    #[field(force_new, default = "public")]
    pub connectivity_type: Option<String>,
    /// The private IPv4 address (AWS picks one from the subnet when unset).
    #[field(optional_computed, force_new)]
    pub private_ip_address: Option<String>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The VPC of the subnet.
    pub vpc_id: Computed<String>,
    /// The public IPv4 address.
    pub public_ip: Computed<String>,
    /// The gateway's network interface.
    pub network_interface_id: Computed<String>,
    /// pending, available, failed, deleting or deleted.
    pub state: Computed<String>,
    /// Why it failed, when it did.
    pub failure_message: Computed<String>,
}

fn nat_fields(n: &NatGateway) -> NatGatewayFields {
    // The primary address is the one chosen at create; secondary ones are
    // not managed by this kind.
    let primary = n
        .nat_gateway_addresses()
        .iter()
        .find(|a| a.is_primary() != Some(false))
        .or_else(|| n.nat_gateway_addresses().first());
    let text = |v: Option<&str>| v.map(str::to_string);
    NatGatewayFields {
        subnet_id: n.subnet_id().unwrap_or_default().to_string(),
        allocation_id: text(primary.and_then(|a| a.allocation_id())),
        connectivity_type: n.connectivity_type().map(|c| c.as_str().to_string()),
        private_ip_address: text(primary.and_then(|a| a.private_ip())),
        tags: common::observed_tag_map(n.tags()),
        vpc_id: text(n.vpc_id()),
        public_ip: text(primary.and_then(|a| a.public_ip())),
        network_interface_id: text(primary.and_then(|a| a.network_interface_id())),
        state: n.state().map(|s| s.as_str().to_string()),
        failure_message: text(n.failure_message()),
    }
}

#[async_trait]
impl Kind for NatGatewayKind {
    const ARNS: &[ArnShape] = &[ArnShape::rest("ec2", "natgateway/")];

    const POLL_INTERVAL: Duration = Duration::from_secs(10);

    const AWAIT_DELETION: bool = true;

    const READY_TIMEOUT: Duration = Duration::from_secs(15 * 60);

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        describe_fields::<Self, _>(ctx.client, ids, nat_fields).await
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, token: &str) -> Created<Self> {
        let connectivity = desired.connectivity_type.as_deref().unwrap_or("public");
        if connectivity == "public" && desired.allocation_id.is_none() {
            return Err(ProviderError::Invalid(
                "a public NAT gateway needs `allocation_id` (an aws.ec2.eip)".into(),
            ));
        }
        let out = ctx
            .client
            .create_nat_gateway()
            .subnet_id(&desired.subnet_id)
            .set_allocation_id(desired.allocation_id.clone())
            .connectivity_type(ConnectivityType::from(connectivity))
            .set_private_ip_address(desired.private_ip_address.clone())
            .client_token(common::client_token(token))
            .tag_specifications(common::tag_spec::<Self>(&desired.tags, ctx))
            .send()
            .await
            .map_err(ec2_err)?;
        let (id, nat) =
            common::created::<Self>(out.nat_gateway, "CreateNatGateway returned nothing")?;
        Ok(Made {
            id,
            fields: nat_fields(&nat),
        })
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        common::retag_and_read(ctx, id, &u.prior.tags, &u.desired.tags).await
    }

    tagged_methods!(delete_nat_gateway.nat_gateway_id);

    fn deleting(observed: &NatGatewayFields) -> bool {
        observed.state.as_deref() == Some("deleting")
    }

    fn readiness(observed: &NatGatewayFields) -> Readiness {
        match observed.state.as_deref() {
            Some("available") | None => Readiness::Ready,
            Some("failed") => Readiness::Failed(
                observed
                    .failure_message
                    .as_ref()
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
    use forge_engine::Provider;

    #[test]
    fn readiness_follows_state() {
        let with_state = |s: &str| NatGatewayFields {
            state: Some(s.to_string()),
            ..NatGatewayFields::default()
        };
        assert_eq!(
            NatGatewayKind::readiness(&with_state("pending")),
            Readiness::Pending("pending".into())
        );
        assert_eq!(
            NatGatewayKind::readiness(&with_state("available")),
            Readiness::Ready
        );
        assert!(matches!(
            NatGatewayKind::readiness(&with_state("failed")),
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
        assert!(NatGatewayKind::alive(&n));
        let a = nat_fields(&n);
        assert_eq!(a.allocation_id.as_deref(), Some("eipalloc-1"));
        assert_eq!(a.public_ip.as_deref(), Some("1.2.3.4"));
        let gone = NatGateway::builder()
            .nat_gateway_id("nat-2")
            .state(NatGatewayState::Deleted)
            .build();
        assert!(!NatGatewayKind::alive(&gone));
        // Deleting still holds its subnet and address: listed, not ready,
        // so a destroy waits for it before deleting what it uses.
        let deleting = NatGateway::builder()
            .nat_gateway_id("nat-3")
            .state(NatGatewayState::Deleting)
            .build();
        assert!(NatGatewayKind::alive(&deleting));
        assert_eq!(
            NatGatewayKind::readiness(&nat_fields(&deleting)),
            Readiness::Pending("deleting".into())
        );
        assert!(crate::kind::testing::provider::<NatGatewayKind>().await_deletion());
    }
}
