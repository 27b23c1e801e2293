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
pub mod sg_rules;
pub mod subnet;
pub mod vpc;
pub mod vpc_endpoint;

pub use eip::EipProvider;
pub use flow_log::FlowLogProvider;
pub use internet_gateway::InternetGatewayProvider;
pub use nat_gateway::NatGatewayProvider;
pub use route_table::RouteTableProvider;
pub use security_group::SecurityGroupProvider;
pub use subnet::SubnetProvider;
pub use vpc::VpcProvider;
pub use vpc_endpoint::VpcEndpointProvider;

use crate::clients::AwsClients;
use forge_engine::ProviderRegistry;
use std::sync::Arc;

/// Registers every EC2 kind.
pub fn register(registry: &mut ProviderRegistry, clients: &Arc<AwsClients>) {
    registry.register(Arc::new(VpcProvider::new(clients.clone())));
    registry.register(Arc::new(SubnetProvider::new(clients.clone())));
    registry.register(Arc::new(InternetGatewayProvider::new(clients.clone())));
    registry.register(Arc::new(EipProvider::new(clients.clone())));
    registry.register(Arc::new(NatGatewayProvider::new(clients.clone())));
    registry.register(Arc::new(RouteTableProvider::new(clients.clone())));
    registry.register(Arc::new(SecurityGroupProvider::new(clients.clone())));
    registry.register(Arc::new(VpcEndpointProvider::new(clients.clone())));
    registry.register(Arc::new(FlowLogProvider::new(clients.clone())));
}
