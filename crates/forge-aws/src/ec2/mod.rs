//! EC2 networking kinds: VPCs, subnets, gateways, route tables, security
//! groups, VPC endpoints and flow logs. One file per kind; shared pieces in
//! [`common`], the route and rule models in [`routes`] and [`sg_rules`].

pub mod common;
pub mod eip;
pub mod flow_log;
pub mod internet_gateway;
pub mod nat_gateway;
pub mod route_table;
pub mod routes;
pub mod security_group;
pub mod service;
pub mod sg_rules;
pub mod subnet;
pub mod vpc;
pub mod vpc_endpoint;

pub use eip::EipProvider;
pub use flow_log::FlowLogProvider;
pub use internet_gateway::InternetGatewayKind;
pub use nat_gateway::NatGatewayProvider;
pub use route_table::RouteTableProvider;
pub use security_group::SecurityGroupProvider;
pub use service::Ec2;
pub use subnet::SubnetProvider;
pub use vpc::VpcProvider;
pub use vpc_endpoint::VpcEndpointProvider;

use crate::kind::{ArnShape, Registrar};
use std::sync::Arc;

/// Registers every EC2 kind.
pub fn register(r: &mut Registrar) {
    r.provider(
        Arc::new(VpcProvider::new(r.clients().clone())),
        &[ArnShape::rest("ec2", "vpc/")],
    );
    r.provider(
        Arc::new(SubnetProvider::new(r.clients().clone())),
        &[ArnShape::rest("ec2", "subnet/")],
    );
    r.kind::<InternetGatewayKind>();
    r.provider(
        Arc::new(EipProvider::new(r.clients().clone())),
        &[ArnShape::rest("ec2", "elastic-ip/")],
    );
    r.provider(
        Arc::new(NatGatewayProvider::new(r.clients().clone())),
        &[ArnShape::rest("ec2", "natgateway/")],
    );
    r.provider(
        Arc::new(RouteTableProvider::new(r.clients().clone())),
        &[ArnShape::rest("ec2", "route-table/")],
    );
    r.provider(
        Arc::new(SecurityGroupProvider::new(r.clients().clone())),
        &[ArnShape::rest("ec2", "security-group/")],
    );
    r.provider(
        Arc::new(VpcEndpointProvider::new(r.clients().clone())),
        &[ArnShape::rest("ec2", "vpc-endpoint/")],
    );
    r.provider(
        Arc::new(FlowLogProvider::new(r.clients().clone())),
        &[ArnShape::rest("ec2", "vpc-flow-log/")],
    );
}
