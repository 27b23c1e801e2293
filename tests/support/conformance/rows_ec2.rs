//! Conformance rows of the EC2 networking kinds.

use super::{Change, Row, Sdk, Tags, boxed, user_tags};
use aws_sdk_ec2::types::{Filter, Tag};
use serde_json::{Value as Json, json};

fn tags(list: &[Tag]) -> Json {
    user_tags(list.iter().filter_map(|t| Some((t.key()?, t.value()?))))
}

pub fn rows() -> Vec<Row> {
    vec![
        Row {
            kind: "aws.ec2.vpc",
            spec: |_| json!({"cidr_block": "10.10.0.0/16", "enable_dns_hostnames": false, "tags": {"Name": "row"}}),
            update: Change::By(
                |_| json!({"cidr_block": "10.10.0.0/16", "enable_dns_hostnames": true, "tags": {"Name": "row2"}}),
            ),
            replace: Change::By(
                |_| json!({"cidr_block": "10.11.0.0/16", "enable_dns_hostnames": true, "tags": {"Name": "row2"}}),
            ),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s.ec2().describe_vpcs().vpc_ids(&id).send().await.ok()?;
                    let vpc = out.vpcs().first()?.clone();
                    let dns = s
                        .ec2()
                        .describe_vpc_attribute()
                        .vpc_id(&id)
                        .attribute(aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames)
                        .send()
                        .await
                        .ok()?;
                    Some(
                        json!({"cidr_block": vpc.cidr_block(), "tags": tags(vpc.tags()),
                            "enable_dns_hostnames": dns.enable_dns_hostnames().and_then(|v| v.value())}),
                    )
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.ec2.subnet",
            spec: |f| {
                json!({"vpc_id": f.vpc, "cidr_block": "10.0.10.0/24", "availability_zone": "us-east-1a",
                             "map_public_ip_on_launch": false, "tags": {"tier": "a"}})
            },
            update: Change::By(|f| {
                json!({"vpc_id": f.vpc, "cidr_block": "10.0.10.0/24", "availability_zone": "us-east-1a",
                                          "map_public_ip_on_launch": true, "tags": {"tier": "b"}})
            }),
            replace: Change::By(|f| {
                json!({"vpc_id": f.vpc, "cidr_block": "10.0.11.0/24", "availability_zone": "us-east-1a",
                                           "map_public_ip_on_launch": true, "tags": {"tier": "b"}})
            }),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .ec2()
                        .describe_subnets()
                        .subnet_ids(&id)
                        .send()
                        .await
                        .ok()?;
                    let n = out.subnets().first()?;
                    Some(
                        json!({"vpc_id": n.vpc_id(), "cidr_block": n.cidr_block(), "availability_zone": n.availability_zone(),
                            "map_public_ip_on_launch": n.map_public_ip_on_launch(), "tags": tags(n.tags())}),
                    )
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.ec2.internet_gateway",
            spec: |f| json!({"vpc_id": f.spare_vpcs[0], "tags": {"Name": "igw"}}),
            update: Change::By(|f| json!({"vpc_id": f.spare_vpcs[1], "tags": {"Name": "igw2"}})),
            replace: Change::Not("every field changes in place (the VPC by detach and attach)"),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .ec2()
                        .describe_internet_gateways()
                        .internet_gateway_ids(&id)
                        .send()
                        .await
                        .ok()?;
                    let g = out.internet_gateways().first()?;
                    Some(
                        json!({"vpc_id": g.attachments().first().and_then(|a| a.vpc_id()), "tags": tags(g.tags())}),
                    )
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.ec2.eip",
            spec: |_| json!({"tags": {"Name": "a"}}),
            update: Change::By(|_| json!({"tags": {"Name": "b"}})),
            replace: Change::Not(
                "domain is always vpc; another border group or pool needs Local Zones or BYOIP",
            ),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .ec2()
                        .describe_addresses()
                        .allocation_ids(&id)
                        .send()
                        .await
                        .ok()?;
                    Some(json!({"tags": tags(out.addresses().first()?.tags())}))
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.ec2.nat_gateway",
            spec: |f| json!({"subnet_id": f.subnets[0], "allocation_id": f.eips[0], "tags": {"Name": "a"}}),
            update: Change::By(
                |f| json!({"subnet_id": f.subnets[0], "allocation_id": f.eips[0], "tags": {"Name": "b"}}),
            ),
            replace: Change::By(
                |f| json!({"subnet_id": f.subnets[1], "allocation_id": f.eips[1], "tags": {"Name": "b"}}),
            ),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .ec2()
                        .describe_nat_gateways()
                        .nat_gateway_ids(&id)
                        .send()
                        .await
                        .ok()?;
                    let n = out.nat_gateways().first()?;
                    let state = n
                        .state()
                        .map(|s| s.as_str().to_string())
                        .unwrap_or_default();
                    if matches!(state.as_str(), "deleting" | "deleted" | "failed") {
                        return None;
                    }
                    Some(json!({"subnet_id": n.subnet_id(), "tags": tags(n.tags()),
                            "allocation_id": n.nat_gateway_addresses().first().and_then(|a| a.allocation_id())}))
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.ec2.route_table",
            spec: |f| {
                json!({"vpc_id": f.vpc, "routes": [{"destination_cidr_block": "0.0.0.0/0", "gateway_id": f.internet_gateway}],
                             "tags": {"Name": "a"}})
            },
            update: Change::By(|f| {
                json!({"vpc_id": f.vpc, "routes": [{"destination_cidr_block": "192.168.0.0/16", "gateway_id": f.internet_gateway}],
                                          "tags": {"Name": "b"}})
            }),
            replace: Change::By(
                |f| json!({"vpc_id": f.spare_vpcs[0], "routes": [], "tags": {"Name": "b"}}),
            ),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .ec2()
                        .describe_route_tables()
                        .route_table_ids(&id)
                        .send()
                        .await
                        .ok()?;
                    let t = out.route_tables().first()?;
                    let routes: Vec<Json> = t.routes().iter()
                    .filter(|r| r.gateway_id() != Some("local"))
                    .map(|r| json!({"destination_cidr_block": r.destination_cidr_block(), "gateway_id": r.gateway_id()}))
                    .collect();
                    Some(json!({"vpc_id": t.vpc_id(), "routes": routes, "tags": tags(t.tags())}))
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.ec2.security_group",
            spec: |f| sg(f, "row", 443),
            update: Change::By(|f| sg(f, "row", 8443)),
            replace: Change::By(|f| sg(f, "row2", 8443)),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .ec2()
                        .describe_security_groups()
                        .group_ids(&id)
                        .send()
                        .await
                        .ok()?;
                    let g = out.security_groups().first()?;
                    let ingress: Vec<Json> = g.ip_permissions().iter().flat_map(|p| {
                    p.ip_ranges().iter().map(move |r| json!({"ip_protocol": p.ip_protocol(), "from_port": p.from_port(),
                                                             "to_port": p.to_port(), "cidr_ipv4": r.cidr_ip()}))
                }).collect();
                    Some(
                        json!({"group_name": g.group_name(), "vpc_id": g.vpc_id(), "ingress": ingress, "tags": tags(g.tags())}),
                    )
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.ec2.vpc_endpoint",
            spec: |f| endpoint(f, "s3", "a"),
            update: Change::By(|f| endpoint(f, "s3", "b")),
            replace: Change::By(|f| endpoint(f, "dynamodb", "b")),
            read: |s: Sdk, id| {
                boxed(async move {
                    let out = s
                        .ec2()
                        .describe_vpc_endpoints()
                        .vpc_endpoint_ids(&id)
                        .send()
                        .await
                        .ok()?;
                    let e = out.vpc_endpoints().first()?;
                    let state = e
                        .state()
                        .map(|s| s.as_str().to_ascii_lowercase())
                        .unwrap_or_default();
                    if matches!(state.as_str(), "deleting" | "deleted") {
                        return None;
                    }
                    Some(
                        json!({"vpc_id": e.vpc_id(), "service_name": e.service_name(),
                            "route_table_ids": e.route_table_ids(), "tags": tags(e.tags())}),
                    )
                })
            },
            tags: Tags::Owned,
        },
        Row {
            kind: "aws.ec2.flow_log",
            spec: |f| flow_log(f, "ALL", "a"),
            update: Change::By(|f| flow_log(f, "ALL", "b")),
            replace: Change::By(|f| flow_log(f, "REJECT", "b")),
            read: |s: Sdk, id| {
                boxed(async move {
                    let filter = Filter::builder().name("flow-log-id").values(&id).build();
                    let out = s
                        .ec2()
                        .describe_flow_logs()
                        .filter(filter)
                        .send()
                        .await
                        .ok()?;
                    let l = out.flow_logs().first()?;
                    Some(
                        json!({"resource_id": l.resource_id(), "log_group_name": l.log_group_name(),
                            "traffic_type": l.traffic_type().map(|t| t.as_str()), "tags": tags(l.tags())}),
                    )
                })
            },
            tags: Tags::Owned,
        },
    ]
}

fn sg(f: &super::Fixtures, name: &str, port: i64) -> Json {
    json!({"group_name": name, "description": name, "vpc_id": f.vpc,
           "ingress": [{"ip_protocol": "tcp", "from_port": port, "to_port": port, "cidr_ipv4": "10.0.0.0/16"}],
           "tags": {"Name": format!("{name}-{port}")}})
}

fn endpoint(f: &super::Fixtures, service: &str, tag: &str) -> Json {
    json!({"vpc_id": f.vpc, "service_name": format!("com.amazonaws.us-east-1.{service}"),
           "route_table_ids": [f.route_tables[0]], "tags": {"Name": tag}})
}

fn flow_log(f: &super::Fixtures, traffic: &str, tag: &str) -> Json {
    json!({"resource_id": f.vpc, "log_group_name": "/conformance/flow", "traffic_type": traffic,
           "deliver_logs_permission_arn": "arn:aws:iam::123456789012:role/flow-logs", "tags": {"Name": tag}})
}
