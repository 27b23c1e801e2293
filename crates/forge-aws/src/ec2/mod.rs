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

pub use eip::EipKind;
pub use flow_log::FlowLogKind;
pub use internet_gateway::InternetGatewayKind;
pub use nat_gateway::NatGatewayKind;
pub use route_table::RouteTableKind;
pub use security_group::SecurityGroupKind;
pub use service::{Ec2, register};
pub use subnet::SubnetKind;
pub use vpc::VpcKind;
pub use vpc_endpoint::VpcEndpointKind;
