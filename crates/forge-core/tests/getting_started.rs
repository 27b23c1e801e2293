//! The getting-started example's network (`stack.yaml`; the app tier in
//! `app.yaml` needs the AWS kinds' schemas, checked by forge-cli's tests)
//! validates in both environments, and the environments differ the way the
//! reference architectures do.

use forge_core::graph::DepGraph;
use forge_core::spec::testing::network_schemas;
use forge_core::spec::{Config, LoadOptions, Stack, load_stack};
use forge_core::{Address, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/getting-started/stack.yaml")
}

fn load(env: &str) -> Stack {
    let opts = LoadOptions {
        environment: Some(env.into()),
        ..Default::default()
    };
    load_stack(&example(), &opts, &network_schemas()).unwrap_or_else(|e| panic!("{env}:\n{e}"))
}

fn count(stack: &Stack, name: &str) -> usize {
    stack
        .instances
        .iter()
        .filter(|i| i.address.name == name)
        .count()
}

#[test]
fn dev_has_one_nat_and_prod_one_per_az() {
    let dev = load("dev");
    let prod = load("prod");
    assert_eq!(count(&dev, "nat"), 1);
    assert_eq!(count(&prod, "nat"), 3);
    assert_eq!(count(&dev, "public_subnet"), 3);
    assert_eq!(count(&dev, "private_subnet"), 3);
    assert_eq!(dev.instances.len(), 16);
    assert_eq!(prod.instances.len(), 20);
    assert_eq!(dev.tags.get("Environment").map(String::as_str), Some("dev"));
}

#[test]
fn cidrs_come_from_the_environment() {
    let dev = load("dev");
    let prod = load("prod");
    let cidr = |s: &Stack, a: Address| match s.instance(&a).and_then(|i| i.fields.get("cidr_block"))
    {
        Some(Config::Literal(Value::String(c))) => c.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(cidr(&dev, Address::single("vpc")), "10.10.0.0/16");
    assert_eq!(cidr(&prod, Address::single("vpc")), "10.40.0.0/16");
    assert_eq!(
        cidr(&prod, Address::keyed("public_subnet", "us-east-1b")),
        "10.40.1.0/24"
    );
    assert_eq!(
        cidr(&prod, Address::keyed("private_subnet", "us-east-1c")),
        "10.40.12.0/24"
    );
}

#[test]
fn dependencies_follow_references() {
    let prod = load("prod");
    let routes = prod
        .instance(&Address::keyed("private_routes", "us-east-1b"))
        .unwrap_or_else(|| panic!("missing"));
    let deps: Vec<String> = routes
        .dependencies
        .iter()
        .map(ToString::to_string)
        .collect();
    // `nat[vars.single_nat_gateway ? 0 : index(vars.azs, each.key)]` resolves statically to nat[1].
    assert_eq!(deps, ["nat[1]", "private_subnet[\"us-east-1b\"]", "vpc"]);
    let nat0 = prod
        .instance(&Address::indexed("nat", 0))
        .unwrap_or_else(|| panic!("missing"));
    assert!(nat0.dependencies.contains(&Address::single("igw")));
    assert!(
        nat0.dependencies
            .contains(&Address::keyed("public_subnet", "us-east-1a"))
    );
    assert!(nat0.dependencies.contains(&Address::indexed("nat_eip", 0)));
    let graph = DepGraph::build(&prod).unwrap_or_else(|e| panic!("{e}"));
    let order = graph.topo_order();
    assert_eq!(order.first(), Some(&Address::indexed("nat_eip", 0)));
    let pos = |a: &Address| order.iter().position(|x| x == a);
    assert!(pos(&Address::single("vpc")) < pos(&Address::single("igw")));
}

#[test]
fn evaluation_with_unknown_and_known_resources() {
    let dev = load("dev");
    let mut resources: BTreeMap<String, Value> = BTreeMap::new();
    let sg = dev
        .instance(&Address::single("app_sg"))
        .unwrap_or_else(|| panic!("missing"));
    // Before apply: nothing is known about other resources.
    let attrs = dev
        .evaluate_instance(sg, &resources)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attrs["vpc_id"], Value::Unknown);
    assert_eq!(attrs["group_name"], Value::from("getting-started-dev-app"));
    let ingress = &attrs["ingress"].as_list().unwrap_or_default()[0];
    assert_eq!(ingress.get("from_port"), Some(&Value::int(8080)));
    assert_eq!(ingress.get("referenced_group_id"), Some(&Value::Unknown));
    // After the VPC and ALB group exist.
    resources.insert(
        "vpc".into(),
        Value::Map([("id".to_string(), Value::from("vpc-1"))].into()),
    );
    resources.insert(
        "alb_sg".into(),
        Value::Map([("id".to_string(), Value::from("sg-1"))].into()),
    );
    let attrs = dev
        .evaluate_instance(sg, &resources)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attrs["vpc_id"], Value::from("vpc-1"));
    let out = dev
        .outputs
        .iter()
        .find(|o| o.name == "vpc_id")
        .unwrap_or_else(|| panic!("missing"));
    assert_eq!(
        dev.evaluate_output(out, &resources),
        Ok(Value::from("vpc-1"))
    );
}

#[test]
fn stack_round_trips_through_json() {
    let prod = load("prod");
    let json = serde_json::to_string(&prod).unwrap_or_else(|e| panic!("{e}"));
    let back: Stack = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, prod);
    let routes = back
        .instance(&Address::single("public_routes"))
        .unwrap_or_else(|| panic!("missing"));
    let attrs = back
        .evaluate_instance(routes, &BTreeMap::<String, Value>::new())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attrs["subnet_ids"], Value::Unknown);
}

#[test]
fn graph_renders() {
    let dev = load("dev");
    let graph = DepGraph::build(&dev).unwrap_or_else(|e| panic!("{e}"));
    insta::assert_snapshot!("getting_started_dev_mermaid", graph.to_mermaid());
}
