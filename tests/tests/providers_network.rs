//! What the EC2 networking providers do beyond the standard lifecycle
//! (which the conformance suite runs for every kind): normalization and
//! computed fields, the minimal API calls an observe or update makes
//! (counted by the proxy), rule-by-rule and route-by-route changes, and
//! emulator-specific endpoint behaviour.

#![allow(clippy::unwrap_used)]

use aws_sdk_ec2::types::Filter;
use forge_core::Value;
use forge_e2e::ProviderWorld;
use forge_e2e::provider_world::{Scope, desired};
use forge_engine::{PlannedAction, Readiness};
use std::collections::BTreeMap;

const REGION: &str = "us-east-1";
const S: Scope = Scope {
    stack: "net-test",
    region: REGION,
};

/// An emulator with the EC2 kinds registered, talking through the
/// counting proxy.
async fn world() -> ProviderWorld {
    ProviderWorld::start_counted(&[REGION], &[forge_aws::ec2::register]).await
}

/// EC2 requests through the proxy since the last reset, by action.
fn calls(w: &ProviderWorld) -> BTreeMap<String, u64> {
    w.proxy()
        .counts()
        .into_iter()
        .filter(|(k, _)| k.starts_with("ec2:"))
        .collect()
}

/// An EC2 client reaching the emulator directly.
fn ec2(w: &ProviderWorld) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&w.config)
}

fn count(w: &ProviderWorld, action: &str) -> u64 {
    calls(w).get(&format!("ec2:{action}")).copied().unwrap_or(0)
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn tag_filter(key: &str, value: &str) -> Filter {
    Filter::builder()
        .name(format!("tag:{key}"))
        .values(value)
        .build()
}

async fn make_vpc(w: &ProviderWorld, address: &str, cidr: &str) -> String {
    let p = w.p("aws.ec2.vpc");
    S.create(
        p,
        address,
        &desired(p, serde_json::json!({"cidr_block": cidr})),
    )
    .await
}

async fn make_subnet(w: &ProviderWorld, address: &str, vpc: &str, cidr: &str) -> String {
    let p = w.p("aws.ec2.subnet");
    let spec = desired(
        p,
        serde_json::json!({"vpc_id": vpc, "cidr_block": cidr, "availability_zone": "us-east-1a"}),
    );
    S.create(p, address, &spec).await
}

#[tokio::test(flavor = "multi_thread")]
async fn vpc_shape_and_minimal_update_calls() {
    let w = world().await;
    let p = w.p("aws.ec2.vpc");
    let spec = desired(
        p,
        serde_json::json!({"cidr_block": "10.0.0.5/16", "tags": {"Name": "main", "env": "dev"}}),
    );
    assert_eq!(
        spec["cidr_block"],
        Value::from("10.0.0.0/16"),
        "host bits dropped"
    );
    let id = S.create(p, "vpc", &spec).await;

    // Independently: the VPC exists with all tags, including forge's.
    let out = ec2(&w).describe_vpcs().vpc_ids(&id).send().await.unwrap();
    let vpc = &out.vpcs()[0];
    assert_eq!(vpc.cidr_block(), Some("10.0.0.0/16"));
    let tags: BTreeMap<_, _> = vpc
        .tags()
        .iter()
        .map(|t| (t.key().unwrap(), t.value().unwrap()))
        .collect();
    assert_eq!(tags.get("forge:stack"), Some(&S.stack));
    assert_eq!(tags.get("forge:address"), Some(&"vpc"));
    assert_eq!(tags.get("Name"), Some(&"main"));

    let live = S.observe(p, &id).await.unwrap();
    assert_eq!(live["enable_dns_support"], Value::Bool(true));
    assert_eq!(live["enable_dns_hostnames"], Value::Bool(false));
    assert_eq!(live["instance_tenancy"], Value::from("default"));
    assert_eq!(
        live["tags"].as_map().map(|m| m.len()),
        Some(2),
        "forge:* tags hidden"
    );
    for computed in [
        "main_route_table_id",
        "default_security_group_id",
        "default_network_acl_id",
        "owner_id",
        "arn",
    ] {
        assert!(
            live[computed].as_str().is_some_and(|v| !v.is_empty()),
            "{computed}: {:?}",
            live[computed]
        );
    }
    assert!(s(&live["main_route_table_id"]).starts_with("rtb-"));
    assert!(s(&live["default_security_group_id"]).starts_with("sg-"));
    S.assert_noop(p, &id, &spec).await;

    // In place: DNS hostnames on, one tag changed, one removed.
    let spec2 = desired(
        p,
        serde_json::json!({"cidr_block": "10.0.0.0/16", "enable_dns_hostnames": true, "tags": {"Name": "primary"}}),
    );
    w.proxy().reset_counts();
    let after = S.update(p, "vpc", &id, &spec2).await;
    assert_eq!(count(&w, "ModifyVpcAttribute"), 1, "{:?}", calls(&w));
    assert_eq!(count(&w, "CreateTags"), 1);
    assert_eq!(count(&w, "DeleteTags"), 1);
    assert_eq!(after["enable_dns_hostnames"], Value::Bool(true));
    let attr = ec2(&w)
        .describe_vpc_attribute()
        .vpc_id(&id)
        .attribute(aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attr.enable_dns_hostnames().and_then(|v| v.value()),
        Some(true)
    );
    S.assert_noop(p, &id, &spec2).await;

    // A new CIDR replaces the VPC.
    let spec3 = desired(
        p,
        serde_json::json!({"cidr_block": "10.9.0.0/16", "tags": {"Name": "primary"}}),
    );
    let (_, planned) = S.plan(p, &id, &spec3, PlannedAction::Replace).await;
    assert!(
        planned
            .changes
            .iter()
            .any(|c| c.path == "cidr_block" && c.forces_replacement)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn observe_is_one_batched_call_and_missing_ids_are_gone() {
    let w = world().await;
    let vpc = make_vpc(&w, "vpc", "10.1.0.0/16").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(make_subnet(&w, &format!("subnet[{i}]"), &vpc, &format!("10.1.{i}.0/24")).await);
    }
    let p = w.p("aws.ec2.subnet");
    let mut asked = ids.clone();
    asked.push("subnet-0123456789abcdef0".into());
    w.proxy().reset_counts();
    let seen = p.observe(&S.octx(), &asked).await.unwrap();
    assert_eq!(
        calls(&w),
        BTreeMap::from([("ec2:DescribeSubnets".to_string(), 1)]),
        "one request for all"
    );
    assert_eq!(seen.len(), 5);
    assert!(!seen.contains_key("subnet-0123456789abcdef0"));
    // No ids, no requests.
    w.proxy().reset_counts();
    assert!(p.observe(&S.octx(), &[]).await.unwrap().is_empty());
    assert_eq!(w.proxy().total(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn subnet_cidr_and_zone_normalization() {
    let w = world().await;
    let vpc = make_vpc(&w, "vpc", "10.2.0.0/16").await;
    let p = w.p("aws.ec2.subnet");
    let spec = desired(
        p,
        serde_json::json!({"vpc_id": vpc, "cidr_block": "10.2.1.7/24", "availability_zone": "us-east-1b", "tags": {"tier": "public"}}),
    );
    let id = S.create(p, "public", &spec).await;
    let live = S.observe(p, &id).await.unwrap();
    assert_eq!(live["cidr_block"], Value::from("10.2.1.0/24"));
    assert_eq!(live["availability_zone"], Value::from("us-east-1b"));
    assert_eq!(live["map_public_ip_on_launch"], Value::Bool(false));
    assert!(live["availability_zone_id"].as_str().is_some());
    S.assert_noop(p, &id, &spec).await;
    // Leaving the zone out lets AWS choose: still no diff.
    S.assert_noop(p, &id, &desired(p, serde_json::json!({"vpc_id": vpc, "cidr_block": "10.2.1.0/24", "tags": {"tier": "public"}})))
        .await;

    let spec2 = desired(
        p,
        serde_json::json!({"vpc_id": vpc, "cidr_block": "10.2.1.0/24", "availability_zone": "us-east-1b",
                           "map_public_ip_on_launch": true, "tags": {"tier": "public"}}),
    );
    S.update(p, "public", &id, &spec2).await;
    let out = ec2(&w)
        .describe_subnets()
        .subnet_ids(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(out.subnets()[0].map_public_ip_on_launch(), Some(true));
    S.assert_noop(p, &id, &spec2).await;

    let spec3 = desired(
        p,
        serde_json::json!({"vpc_id": vpc, "cidr_block": "10.2.2.0/24", "availability_zone": "us-east-1b"}),
    );
    S.plan(p, &id, &spec3, PlannedAction::Replace).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn internet_gateway_moves_and_detaches() {
    let w = world().await;
    let vpc1 = make_vpc(&w, "vpc1", "10.3.0.0/16").await;
    let vpc2 = make_vpc(&w, "vpc2", "10.4.0.0/16").await;
    let p = w.p("aws.ec2.internet_gateway");
    let spec = desired(
        p,
        serde_json::json!({"vpc_id": vpc1, "tags": {"Name": "igw"}}),
    );
    let id = S.create(p, "igw", &spec).await;
    let live = S.observe(p, &id).await.unwrap();
    assert_eq!(live["vpc_id"], Value::from(vpc1.as_str()));
    S.assert_noop(p, &id, &spec).await;

    let spec2 = desired(
        p,
        serde_json::json!({"vpc_id": vpc2, "tags": {"Name": "igw"}}),
    );
    w.proxy().reset_counts();
    S.update(p, "igw", &id, &spec2).await;
    assert_eq!(count(&w, "DetachInternetGateway"), 1);
    assert_eq!(count(&w, "AttachInternetGateway"), 1);
    let out = ec2(&w)
        .describe_internet_gateways()
        .internet_gateway_ids(&id)
        .send()
        .await
        .unwrap();
    let attached: Vec<_> = out.internet_gateways()[0]
        .attachments()
        .iter()
        .filter_map(|a| a.vpc_id())
        .collect();
    assert_eq!(attached, vec![vpc2.as_str()]);
    S.assert_noop(p, &id, &spec2).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn eip_and_nat_gateway_computed_fields_and_calls() {
    let w = world().await;
    let vpc = make_vpc(&w, "vpc", "10.5.0.0/16").await;
    let subnet_a = make_subnet(&w, "a", &vpc, "10.5.1.0/24").await;
    let subnet_b = make_subnet(&w, "b", &vpc, "10.5.2.0/24").await;

    let eips = w.p("aws.ec2.eip");
    let eip_spec = desired(eips, serde_json::json!({"tags": {"Name": "nat"}}));
    let alloc = S.create(eips, "eip", &eip_spec).await;
    let eip_live = S.observe(eips, &alloc).await.unwrap();
    assert!(s(&eip_live["public_ip"]).contains('.'));
    assert_eq!(eip_live["allocation_id"], Value::from(alloc.as_str()));
    assert_eq!(eip_live["domain"], Value::from("vpc"));
    S.assert_noop(eips, &alloc, &eip_spec).await;
    S.update(
        eips,
        "eip",
        &alloc,
        &desired(eips, serde_json::json!({"tags": {"Name": "nat-a"}})),
    )
    .await;

    let p = w.p("aws.ec2.nat_gateway");
    let spec = desired(
        p,
        serde_json::json!({"subnet_id": subnet_a, "allocation_id": alloc, "tags": {"Name": "nat"}}),
    );
    w.proxy().reset_counts();
    let id = S.create(p, "nat", &spec).await;
    assert_eq!(count(&w, "CreateNatGateway"), 1);
    let live = S.observe(p, &id).await.unwrap();
    assert_eq!(p.readiness(&live), Readiness::Ready, "{live:?}");
    assert_eq!(live["vpc_id"], Value::from(vpc.as_str()));
    assert_eq!(live["allocation_id"], Value::from(alloc.as_str()));
    assert_eq!(live["connectivity_type"], Value::from("public"));
    assert_eq!(live["public_ip"], eip_live["public_ip"]);
    S.assert_noop(p, &id, &spec).await;
    S.update(p, "nat", &id, &desired(p, serde_json::json!({"subnet_id": subnet_a, "allocation_id": alloc, "tags": {"Name": "nat-a"}})))
        .await;

    let moved = desired(
        p,
        serde_json::json!({"subnet_id": subnet_b, "allocation_id": alloc}),
    );
    S.plan(p, &id, &moved, PlannedAction::Replace).await;
    let private = desired(
        p,
        serde_json::json!({"subnet_id": subnet_a, "connectivity_type": "private"}),
    );
    S.plan(p, &id, &private, PlannedAction::Replace).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn route_table_changes_route_by_route() {
    let w = world().await;
    let vpc = make_vpc(&w, "vpc", "10.6.0.0/16").await;
    let a = make_subnet(&w, "a", &vpc, "10.6.1.0/24").await;
    let b = make_subnet(&w, "b", &vpc, "10.6.2.0/24").await;
    let igws = w.p("aws.ec2.internet_gateway");
    let igw = S
        .create(
            igws,
            "igw",
            &desired(igws, serde_json::json!({"vpc_id": vpc})),
        )
        .await;
    let alloc = S
        .create(
            w.p("aws.ec2.eip"),
            "eip",
            &desired(w.p("aws.ec2.eip"), serde_json::json!({})),
        )
        .await;
    let nats = w.p("aws.ec2.nat_gateway");
    let nat = S
        .create(
            nats,
            "nat",
            &desired(
                nats,
                serde_json::json!({"subnet_id": a, "allocation_id": alloc}),
            ),
        )
        .await;

    let p = w.p("aws.ec2.route_table");
    let spec = desired(
        p,
        serde_json::json!({
            "vpc_id": vpc,
            "routes": [
                {"destination_cidr_block": "192.168.0.0/16", "gateway_id": igw},
                {"destination_cidr_block": "0.0.0.0/0", "gateway_id": igw}
            ],
            "subnet_ids": [a],
            "tags": {"Name": "public"}
        }),
    );
    let id = S.create(p, "rt", &spec).await;
    let live = S.observe(p, &id).await.unwrap();
    assert_eq!(
        live["routes"].as_list().map(<[Value]>::len),
        Some(2),
        "local route not shown: {:?}",
        live["routes"]
    );
    assert_eq!(
        live["subnet_ids"],
        Value::List(vec![Value::from(a.as_str())])
    );
    S.assert_noop(p, &id, &spec).await;

    // Retarget the default route to the NAT, drop one route, add one; move
    // the association from a to b.
    let spec2 = desired(
        p,
        serde_json::json!({
            "vpc_id": vpc,
            "routes": [
                {"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": nat},
                {"destination_cidr_block": "172.16.0.0/12", "gateway_id": igw}
            ],
            "subnet_ids": [b],
            "tags": {"Name": "public"}
        }),
    );
    w.proxy().reset_counts();
    S.update(p, "rt", &id, &spec2).await;
    assert_eq!(count(&w, "ReplaceRoute"), 1, "{:?}", calls(&w));
    assert_eq!(count(&w, "DeleteRoute"), 1);
    assert_eq!(count(&w, "CreateRoute"), 1);
    assert_eq!(count(&w, "AssociateRouteTable"), 1);
    assert_eq!(count(&w, "DisassociateRouteTable"), 1);
    let out = ec2(&w)
        .describe_route_tables()
        .route_table_ids(&id)
        .send()
        .await
        .unwrap();
    let table = &out.route_tables()[0];
    let default = table
        .routes()
        .iter()
        .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
        .unwrap();
    assert_eq!(default.nat_gateway_id(), Some(nat.as_str()));
    assert!(
        table
            .routes()
            .iter()
            .all(|r| r.destination_cidr_block() != Some("192.168.0.0/16"))
    );
    let subnets: Vec<_> = table
        .associations()
        .iter()
        .filter_map(|x| x.subnet_id())
        .collect();
    assert_eq!(subnets, vec![b.as_str()]);
    S.assert_noop(p, &id, &spec2).await;

    // Another VPC replaces the table.
    let other = make_vpc(&w, "other", "10.7.0.0/16").await;
    S.plan(
        p,
        &id,
        &desired(p, serde_json::json!({"vpc_id": other})),
        PlannedAction::Replace,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn security_group_rules_change_one_by_one() {
    let w = world().await;
    let vpc = make_vpc(&w, "vpc", "10.8.0.0/16").await;
    let p = w.p("aws.ec2.security_group");
    let app = S
        .create(
            p,
            "app",
            &desired(p, serde_json::json!({"group_name": "app", "vpc_id": vpc})),
        )
        .await;

    let spec = desired(
        p,
        serde_json::json!({
            "group_name": "db",
            "description": "database",
            "vpc_id": vpc,
            "ingress": [
                {"ip_protocol": "tcp", "from_port": 5432, "to_port": 5432, "referenced_group_id": app},
                {"ip_protocol": "6", "from_port": 22, "to_port": 22, "cidr_ipv4": "10.8.3.4/16", "description": "ssh"}
            ],
            "egress": [{"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv4": "0.0.0.0/0"}],
            "tags": {"Name": "db"}
        }),
    );
    let id = S.create(p, "db", &spec).await;

    // AWS's default allow-all egress is gone; our rules are there.
    let rules_of = |w: &ProviderWorld, id: String| {
        let ec2 = ec2(w);
        async move {
            let out = ec2
                .describe_security_group_rules()
                .filters(Filter::builder().name("group-id").values(id).build())
                .send()
                .await
                .unwrap();
            out.security_group_rules().to_vec()
        }
    };
    let rules = rules_of(&w, id.clone()).await;
    let egress: Vec<_> = rules
        .iter()
        .filter(|r| r.is_egress() == Some(true))
        .collect();
    assert_eq!(egress.len(), 1, "{egress:?}");
    assert_eq!(egress[0].from_port(), Some(443));
    assert_eq!(
        rules
            .iter()
            .filter(|r| r.is_egress() == Some(false))
            .count(),
        2
    );

    let live = S.observe(p, &id).await.unwrap();
    assert_eq!(live["ingress"].as_list().map(<[Value]>::len), Some(2));
    S.assert_noop(p, &id, &spec).await;
    // Same rules in another order and spelling: still no diff.
    let respelled = desired(
        p,
        serde_json::json!({
            "group_name": "db", "description": "database", "vpc_id": vpc,
            "ingress": [
                {"ip_protocol": "tcp", "from_port": 22, "to_port": 22, "cidr_ipv4": "10.8.0.0/16", "description": "ssh"},
                {"ip_protocol": "TCP", "from_port": 5432, "to_port": 5432, "referenced_group_id": app, "description": ""}
            ],
            "egress": [{"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv4": "0.0.0.0/0"}],
            "tags": {"Name": "db"}
        }),
    );
    S.assert_noop(p, &id, &respelled).await;

    // Drop SSH, add HTTPS, keep Postgres: the Postgres rule keeps its id.
    let pg_rule_id = rules
        .iter()
        .find(|r| r.from_port() == Some(5432))
        .and_then(|r| r.security_group_rule_id())
        .map(str::to_string);
    let spec2 = desired(
        p,
        serde_json::json!({
            "group_name": "db", "description": "database", "vpc_id": vpc,
            "ingress": [
                {"ip_protocol": "tcp", "from_port": 5432, "to_port": 5432, "referenced_group_id": app},
                {"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv6": "::/0"}
            ],
            "egress": [{"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv4": "0.0.0.0/0"}],
            "tags": {"Name": "db"}
        }),
    );
    w.proxy().reset_counts();
    S.update(p, "db", &id, &spec2).await;
    assert_eq!(
        count(&w, "AuthorizeSecurityGroupIngress"),
        1,
        "{:?}",
        calls(&w)
    );
    assert_eq!(count(&w, "RevokeSecurityGroupIngress"), 1);
    assert_eq!(count(&w, "AuthorizeSecurityGroupEgress"), 0);
    assert_eq!(count(&w, "RevokeSecurityGroupEgress"), 0);
    let rules = rules_of(&w, id.clone()).await;
    let ingress: Vec<_> = rules
        .iter()
        .filter(|r| r.is_egress() == Some(false))
        .collect();
    assert_eq!(ingress.len(), 2);
    assert!(ingress.iter().any(|r| r.cidr_ipv6() == Some("::/0")));
    assert!(ingress.iter().all(|r| r.from_port() != Some(22)));
    let pg_after = ingress
        .iter()
        .find(|r| r.from_port() == Some(5432))
        .and_then(|r| r.security_group_rule_id());
    assert_eq!(
        pg_after.map(str::to_string),
        pg_rule_id,
        "unchanged rule untouched"
    );
    S.assert_noop(p, &id, &spec2).await;

    // A new description is updated in place, not revoked and re-added.
    // (Descriptions go on a CIDR rule: moto's DescribeSecurityGroupRules
    // drops them on group-referencing rules.)
    let spec3 = desired(
        p,
        serde_json::json!({
            "group_name": "db", "description": "database", "vpc_id": vpc,
            "ingress": [
                {"ip_protocol": "tcp", "from_port": 5432, "to_port": 5432, "referenced_group_id": app},
                {"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv6": "::/0", "description": "web"}
            ],
            "egress": [{"ip_protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv4": "0.0.0.0/0"}],
            "tags": {"Name": "db"}
        }),
    );
    w.proxy().reset_counts();
    S.update(p, "db", &id, &spec3).await;
    assert_eq!(
        count(&w, "UpdateSecurityGroupRuleDescriptionsIngress"),
        1,
        "{:?}",
        calls(&w)
    );
    assert_eq!(
        count(&w, "AuthorizeSecurityGroupIngress") + count(&w, "RevokeSecurityGroupIngress"),
        0
    );
    S.assert_noop(p, &id, &spec3).await;

    // Name, description and VPC are fixed.
    let renamed = desired(
        p,
        serde_json::json!({"group_name": "db2", "description": "database", "vpc_id": vpc}),
    );
    let (_, planned) = S.plan(p, &id, &renamed, PlannedAction::Replace).await;
    assert!(
        planned
            .changes
            .iter()
            .any(|c| c.path == "group_name" && c.forces_replacement)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn gateway_endpoint_routes_and_policy_text() {
    let w = world().await;
    let vpc = make_vpc(&w, "vpc", "10.10.0.0/16").await;
    let rts = w.p("aws.ec2.route_table");
    let rt1 = S
        .create(
            rts,
            "rt1",
            &desired(rts, serde_json::json!({"vpc_id": vpc})),
        )
        .await;
    let rt2 = S
        .create(
            rts,
            "rt2",
            &desired(rts, serde_json::json!({"vpc_id": vpc})),
        )
        .await;

    let p = w.p("aws.ec2.vpc_endpoint");
    let service = format!("com.amazonaws.{REGION}.s3");
    let spec = desired(
        p,
        serde_json::json!({"vpc_id": vpc, "service_name": service, "route_table_ids": [rt1], "tags": {"Name": "s3"}}),
    );
    let id = S.create(p, "s3", &spec).await;
    let live = S.observe(p, &id).await.unwrap();
    assert_eq!(live["vpc_endpoint_type"], Value::from("Gateway"));
    assert_eq!(
        live["route_table_ids"],
        Value::List(vec![Value::from(rt1.as_str())])
    );
    assert_eq!(p.readiness(&live), Readiness::Ready);
    S.assert_noop(p, &id, &spec).await;
    // The endpoint's own routes in the table are not routes forge manages.
    S.assert_noop(rts, &rt1, &desired(rts, serde_json::json!({"vpc_id": vpc})))
        .await;

    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"], "Resource": "*"}]
    });
    let spec2 = desired(
        p,
        serde_json::json!({"vpc_id": vpc, "service_name": service, "route_table_ids": [rt2],
                           "policy": policy, "tags": {"Name": "s3"}}),
    );
    w.proxy().reset_counts();
    S.update(p, "s3", &id, &spec2).await;
    assert_eq!(count(&w, "ModifyVpcEndpoint"), 1, "{:?}", calls(&w));
    let out = ec2(&w)
        .describe_vpc_endpoints()
        .vpc_endpoint_ids(&id)
        .send()
        .await
        .unwrap();
    let ep = &out.vpc_endpoints()[0];
    assert_eq!(ep.route_table_ids(), std::slice::from_ref(&rt2));
    let doc: serde_json::Value = serde_json::from_str(ep.policy_document().unwrap()).unwrap();
    assert_eq!(doc["Statement"][0]["Effect"], "Allow");
    // The policy as JSON text with other spacing is the same policy.
    let as_text = desired(
        p,
        serde_json::json!({"vpc_id": vpc, "service_name": service, "route_table_ids": [rt2],
                           "policy": serde_json::to_string_pretty(&policy).unwrap(), "tags": {"Name": "s3"}}),
    );
    S.assert_noop(p, &id, &as_text).await;

    let dynamo = desired(
        p,
        serde_json::json!({"vpc_id": vpc, "service_name": format!("com.amazonaws.{REGION}.dynamodb")}),
    );
    S.plan(p, &id, &dynamo, PlannedAction::Replace).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn flow_log_defaults() {
    let w = world().await;
    let vpc = make_vpc(&w, "vpc", "10.11.0.0/16").await;
    let p = w.p("aws.ec2.flow_log");
    let spec = desired(
        p,
        serde_json::json!({
            "resource_id": vpc,
            "log_group_name": "/forge/flow",
            "deliver_logs_permission_arn": "arn:aws:iam::123456789012:role/flow-logs",
            "tags": {"Name": "flow"}
        }),
    );
    assert_eq!(spec["resource_type"], Value::from("VPC"));
    let id = S.create(p, "flow", &spec).await;
    let out = ec2(&w)
        .describe_flow_logs()
        .filter(tag_filter("forge:address", "flow"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.flow_logs().len(), 1);
    assert_eq!(out.flow_logs()[0].resource_id(), Some(vpc.as_str()));
    let live = S.observe(p, &id).await.unwrap();
    assert_eq!(live["traffic_type"], Value::from("ALL"));
    assert_eq!(
        live["log_destination_type"],
        Value::from("cloud-watch-logs")
    );
    S.assert_noop(p, &id, &spec).await;

    let retagged = desired(
        p,
        serde_json::json!({
            "resource_id": vpc, "log_group_name": "/forge/flow",
            "deliver_logs_permission_arn": "arn:aws:iam::123456789012:role/flow-logs",
            "tags": {"Name": "flow", "team": "net"}
        }),
    );
    S.update(p, "flow", &id, &retagged).await;
    let rejects = desired(
        p,
        serde_json::json!({
            "resource_id": vpc, "traffic_type": "REJECT", "log_group_name": "/forge/flow",
            "deliver_logs_permission_arn": "arn:aws:iam::123456789012:role/flow-logs",
            "tags": {"Name": "flow", "team": "net"}
        }),
    );
    S.plan(p, &id, &rejects, PlannedAction::Replace).await;
}
