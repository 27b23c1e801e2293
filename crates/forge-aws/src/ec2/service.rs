//! EC2 as a [`Service`]: its client, error mapping, concurrency and tags.

use super::common::{CONCURRENCY, SERVICE, to_tags};
use super::*;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::Tag;

crate::kind::declare_service! {
    /// The EC2 service.
    pub struct Ec2: Client = Client::new, SERVICE;
    concurrency CONCURRENCY.1;
    kinds [
        VpcKind,
        SubnetKind,
        InternetGatewayKind,
        EipKind,
        NatGatewayKind,
        RouteTableKind,
        SecurityGroupKind,
        VpcEndpointKind,
        FlowLogKind,
    ];
}

// EC2 tags any resource by id: CreateTags / DeleteTags.
crate::kind::tag_calls!(
    Ec2,
    |c, id, tags| c.create_tags().resources(id).set_tags(Some(to_tags(tags))),
    |c, id, keys| c.delete_tags().resources(id).set_tags(Some(
        keys.iter().map(|k| Tag::builder().key(k).build()).collect()
    )),
);
