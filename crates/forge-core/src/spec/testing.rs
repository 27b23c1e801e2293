//! Test-support schemas: the networking kinds with their real AWS fields
//! (snake_case of the EC2 API), mirroring what forge-aws registers, so the
//! spec language can be tested without the providers.

use crate::schema::{FieldSchema as F, FieldType as T, KindSchema, SchemaRegistry};
use std::sync::Arc;

fn tags() -> F {
    F::optional(T::map(T::String))
        .describe("Tags (the stack's tags and forge:* ownership tags are added)")
}

fn arn() -> F {
    F::computed(T::String).describe("ARN")
}

/// The networking kinds: vpc, subnet, internet_gateway, eip, nat_gateway,
/// route_table, security_group.
pub fn network_schemas() -> SchemaRegistry {
    let mut r = SchemaRegistry::new();
    r.insert(Arc::new(KindSchema::new(
        "aws.ec2.vpc",
        "A VPC",
        [
            (
                "cidr_block",
                F::required(T::String)
                    .force_new()
                    .describe("IPv4 CIDR block, e.g. 10.0.0.0/16"),
            ),
            (
                "enable_dns_support",
                F::optional(T::Bool)
                    .default(true)
                    .describe("Resolve DNS through the Amazon DNS server"),
            ),
            (
                "enable_dns_hostnames",
                F::optional(T::Bool)
                    .default(false)
                    .describe("Give instances public DNS hostnames"),
            ),
            (
                "instance_tenancy",
                F::optional(T::String)
                    .default("default")
                    .force_new()
                    .describe("default or dedicated"),
            ),
            ("tags", tags()),
            ("arn", arn()),
            (
                "owner_id",
                F::computed(T::String).describe("Owning account"),
            ),
            (
                "default_security_group_id",
                F::computed(T::String).describe("The VPC's default security group"),
            ),
            (
                "main_route_table_id",
                F::computed(T::String).describe("The VPC's main route table"),
            ),
        ],
    )));
    r.insert(Arc::new(KindSchema::new(
        "aws.ec2.subnet",
        "A subnet of a VPC",
        [
            (
                "vpc_id",
                F::required(T::String).force_new().describe("The VPC"),
            ),
            (
                "cidr_block",
                F::required(T::String)
                    .force_new()
                    .describe("IPv4 CIDR block inside the VPC's"),
            ),
            (
                "availability_zone",
                F::optional_computed(T::String)
                    .force_new()
                    .describe("e.g. us-east-1a"),
            ),
            (
                "map_public_ip_on_launch",
                F::optional(T::Bool)
                    .default(false)
                    .describe("Give instances a public IP"),
            ),
            ("tags", tags()),
            ("arn", arn()),
        ],
    )));
    r.insert(Arc::new(KindSchema::new(
        "aws.ec2.internet_gateway",
        "An internet gateway, attached to a VPC",
        [
            (
                "vpc_id",
                F::optional(T::String).describe("The VPC to attach to"),
            ),
            ("tags", tags()),
        ],
    )));
    r.insert(Arc::new(KindSchema::new(
        "aws.ec2.eip",
        "An Elastic IP address",
        [
            (
                "domain",
                F::optional(T::String).default("vpc").describe("vpc"),
            ),
            ("tags", tags()),
            ("public_ip", F::computed(T::String).describe("The address")),
            (
                "allocation_id",
                F::computed(T::String).describe("Allocation id (for NAT gateways)"),
            ),
        ],
    )));
    r.insert(Arc::new(KindSchema::new(
        "aws.ec2.nat_gateway",
        "A NAT gateway",
        [
            (
                "subnet_id",
                F::required(T::String)
                    .force_new()
                    .describe("The (public) subnet it lives in"),
            ),
            (
                "allocation_id",
                F::optional(T::String)
                    .force_new()
                    .describe("The Elastic IP's allocation id"),
            ),
            (
                "connectivity_type",
                F::optional(T::String)
                    .default("public")
                    .force_new()
                    .describe("public or private"),
            ),
            ("tags", tags()),
            (
                "private_ip",
                F::computed(T::String).describe("Private address"),
            ),
            (
                "public_ip",
                F::computed(T::String).describe("Public address"),
            ),
        ],
    )));
    let route = T::object([
        (
            "destination_cidr_block",
            F::required(T::String).describe("Destination, e.g. 0.0.0.0/0"),
        ),
        (
            "gateway_id",
            F::optional(T::String).describe("Internet gateway target"),
        ),
        (
            "nat_gateway_id",
            F::optional(T::String).describe("NAT gateway target"),
        ),
        (
            "vpc_endpoint_id",
            F::optional(T::String).describe("VPC endpoint target"),
        ),
        (
            "transit_gateway_id",
            F::optional(T::String).describe("Transit gateway target"),
        ),
        (
            "vpc_peering_connection_id",
            F::optional(T::String).describe("Peering connection target"),
        ),
    ]);
    r.insert(Arc::new(KindSchema::new(
        "aws.ec2.route_table",
        "A route table with its routes and subnet associations",
        [
            (
                "vpc_id",
                F::required(T::String).force_new().describe("The VPC"),
            ),
            ("routes", F::optional(T::list(route)).describe("Routes")),
            (
                "subnet_ids",
                F::optional(T::list(T::String)).describe("Subnets associated with the table"),
            ),
            ("tags", tags()),
        ],
    )));
    let rule = || {
        T::object([
            (
                "ip_protocol",
                F::required(T::String).describe("tcp, udp, icmp or -1 (all)"),
            ),
            ("from_port", F::optional(T::Number).describe("First port")),
            ("to_port", F::optional(T::Number).describe("Last port")),
            ("cidr_ipv4", F::optional(T::String).describe("IPv4 range")),
            ("cidr_ipv6", F::optional(T::String).describe("IPv6 range")),
            (
                "referenced_group_id",
                F::optional(T::String).describe("Another security group"),
            ),
            (
                "prefix_list_id",
                F::optional(T::String).describe("A managed prefix list"),
            ),
            (
                "description",
                F::optional(T::String).describe("What the rule is for"),
            ),
        ])
    };
    r.insert(Arc::new(KindSchema::new(
        "aws.ec2.security_group",
        "A security group with its ingress and egress rules",
        [
            (
                "group_name",
                F::required(T::String)
                    .force_new()
                    .describe("Name, unique in the VPC"),
            ),
            (
                "description",
                F::required(T::String).force_new().describe("Description"),
            ),
            (
                "vpc_id",
                F::required(T::String).force_new().describe("The VPC"),
            ),
            (
                "ingress",
                F::optional(T::list(rule())).describe("Inbound rules"),
            ),
            (
                "egress",
                F::optional(T::list(rule())).describe("Outbound rules"),
            ),
            ("tags", tags()),
            ("arn", arn()),
        ],
    )));
    r
}
