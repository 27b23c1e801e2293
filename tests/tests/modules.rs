//! Modules end to end: one network module used twice through `for_each`
//! (a VPC and its subnets each) and once more for a VPC that a `moved:`
//! block carries into it from the stack's top level. A module output feeds
//! a security group of the stack. Verified through the EC2 API, not
//! through forge's state: the VPCs, their subnets and the group exist where
//! they should; a second plan is clean; `-target module.net["b"]` plans one
//! instance; destroy removes everything.

use forge_e2e::{Emulator, Forge, RunOutput, StackCopy};
use serde_json::Value as Json;

const REGION: &str = "us-east-1";
const STACK: &str = "modules-e2e";

const NETWORK: &str = r#"
inputs:
  cidr: {type: string}
  name: {type: string}
  subnets: {type: "map(string)", default: {}}
resources:
  vpc:
    type: aws.ec2.vpc
    cidr_block: "${vars.cidr}"
    tags: {Name: "${vars.name}"}
  subnet:
    type: aws.ec2.subnet
    for_each: "${vars.subnets}"
    vpc_id: "${vpc.id}"
    cidr_block: "${each.value}"
    availability_zone: "us-east-1${each.key}"
    tags: {Name: "${vars.name}-${each.key}"}
outputs:
  vpc_id: "${vpc.id}"
"#;

const MAIN: &str = r#"
stack: modules-e2e
region: us-east-1
modules:
  net:
    source: ./modules/network
    for_each:
      a: {cidr: 10.10.0.0/16, subnets: {a: 10.10.1.0/24, b: 10.10.2.0/24}}
      b: {cidr: 10.11.0.0/16, subnets: {a: 10.11.1.0/24}}
    inputs:
      cidr: "${each.value.cidr}"
      name: "net-${each.key}"
      subnets: "${each.value.subnets}"
resources:
  app:
    type: aws.ec2.security_group
    group_name: modules-e2e-app
    description: in the first network
    vpc_id: "${module.net[\"a\"].vpc_id}"
  legacy:
    type: aws.ec2.vpc
    cidr_block: 10.20.0.0/16
    tags: {Name: legacy}
outputs:
  vpc_a: "${module.net[\"a\"].vpc_id}"
"#;

/// A module instance of its own for `legacy`'s VPC (under `modules:`).
const SOLO: &str =
    "  solo:\n    source: ./modules/network\n    inputs: {cidr: 10.20.0.0/16, name: legacy}\n";
/// Moves `legacy` into it.
const MOVED: &str = "moved:\n  - from: legacy\n    to: module.solo.vpc\n";

struct World {
    emulator: Emulator,
    forge: Forge,
    stack: StackCopy,
}

impl World {
    fn run(&self, args: &[&str]) -> RunOutput {
        let stack = self.stack.arg();
        let mut all = vec![args[0], stack.as_str()];
        all.extend_from_slice(&args[1..]);
        self.forge
            .run(self.stack.path(), &all)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn plan_json(&self, extra: &[&str]) -> Json {
        let mut args = vec!["plan", "--json"];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        out.expect_success();
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{out}"))
    }

    /// The stack's VPCs by CIDR block, with their subnets' blocks.
    async fn vpcs(&self) -> Vec<(String, String, Vec<String>)> {
        let config = self.emulator.sdk_config(REGION).await;
        let ec2 = aws_sdk_ec2::Client::new(&config);
        let tagged = aws_sdk_ec2::types::Filter::builder()
            .name("tag:forge:stack")
            .values(STACK)
            .build();
        let vpcs = ec2
            .describe_vpcs()
            .filters(tagged)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        let mut out = Vec::new();
        for vpc in vpcs.vpcs() {
            let id = vpc.vpc_id().unwrap_or_default().to_string();
            let subnets = ec2
                .describe_subnets()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("vpc-id")
                        .values(&id)
                        .build(),
                )
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e:?}"));
            let mut blocks: Vec<String> = subnets
                .subnets()
                .iter()
                .filter_map(|s| s.cidr_block().map(str::to_string))
                .collect();
            blocks.sort();
            out.push((vpc.cidr_block().unwrap_or_default().to_string(), id, blocks));
        }
        out.sort();
        out
    }
}

fn addresses(plan: &Json) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["address"].as_str().unwrap_or_default().to_string(),
                c["action"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_module_used_twice_applies_replans_clean_and_destroys() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(stack.path().join("modules/network")).unwrap_or_else(|e| panic!("{e}"));
    stack
        .write("modules/network/main.yaml", NETWORK)
        .unwrap_or_else(|e| panic!("{e}"));
    stack
        .write("main.yaml", MAIN)
        .unwrap_or_else(|e| panic!("{e}"));
    let w = World {
        emulator,
        forge,
        stack,
    };

    // Addresses are Terraform's; a target names a whole module instance.
    let all = addresses(&w.plan_json(&[]));
    let created: Vec<&str> = all.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        created,
        [
            "app",
            "legacy",
            "module.net[\"a\"].subnet[\"a\"]",
            "module.net[\"a\"].subnet[\"b\"]",
            "module.net[\"a\"].vpc",
            "module.net[\"b\"].subnet[\"a\"]",
            "module.net[\"b\"].vpc",
        ]
    );
    let targeted = addresses(&w.plan_json(&["-target", "module.net[\"b\"]"]));
    let targeted: Vec<&str> = targeted.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        targeted,
        ["module.net[\"b\"].subnet[\"a\"]", "module.net[\"b\"].vpc"]
    );

    w.run(&["apply", "--auto-approve"]).expect_success();
    let vpcs = w.vpcs().await;
    let shape: Vec<(&str, Vec<&str>)> = vpcs
        .iter()
        .map(|(cidr, _, subnets)| (cidr.as_str(), subnets.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        shape,
        [
            ("10.10.0.0/16", vec!["10.10.1.0/24", "10.10.2.0/24"]),
            ("10.11.0.0/16", vec!["10.11.1.0/24"]),
            ("10.20.0.0/16", vec![]),
        ]
    );
    // The module output fed the stack's group: it is in network a's VPC.
    let config = w.emulator.sdk_config(REGION).await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let groups = ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-name")
                .values("modules-e2e-app")
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(groups.security_groups().len(), 1);
    assert_eq!(
        groups.security_groups()[0].vpc_id(),
        Some(vpcs[0].1.as_str()),
        "the group is in module.net[\"a\"]'s VPC"
    );
    w.run(&["plan", "--detailed-exitcode"]).expect_code(0);
    let listed = w
        .forge
        .run(w.stack.path(), &["state", "list", &w.stack.arg()])
        .unwrap_or_else(|e| panic!("{e}"));
    listed.expect_success();
    assert!(
        listed.stdout.contains("module.net[\"b\"].subnet[\"a\"]"),
        "{listed}"
    );

    // `legacy` moves into a module instance: same VPC, nothing replaced.
    let text = w.stack.read("main.yaml").unwrap_or_else(|e| panic!("{e}"));
    let text = text
        .replace(
            "  legacy:\n    type: aws.ec2.vpc\n    cidr_block: 10.20.0.0/16\n    tags: {Name: legacy}\n",
            "",
        )
        .replace("resources:\n", &format!("{SOLO}resources:\n"))
        + MOVED;
    w.stack
        .write("main.yaml", &text)
        .unwrap_or_else(|e| panic!("{e}"));
    let moved = w.plan_json(&[]);
    let change = moved["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["address"] == "module.solo.vpc")
        .cloned()
        .unwrap_or_else(|| panic!("module.solo.vpc is not in the plan: {moved}"));
    assert_eq!(change["moved_from"], "legacy", "{change}");
    assert!(
        !matches!(
            change["action"].as_str(),
            Some("create" | "replace" | "delete")
        ),
        "{change}"
    );
    w.run(&["apply", "--auto-approve"]).expect_success();
    assert_eq!(w.vpcs().await, vpcs, "the same VPCs after the move");
    w.run(&["plan", "--detailed-exitcode"]).expect_code(0);

    w.run(&["destroy", "--auto-approve"]).expect_success();
    assert_eq!(w.vpcs().await, Vec::new(), "destroy leaves no VPC");
}

/// An emulator, forge on it, and an empty stack folder holding one module,
/// `modules/NAME/main.yaml`.
fn with_module(name: &str, text: &str) -> (Emulator, Forge, StackCopy) {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(stack.path().join("modules").join(name))
        .unwrap_or_else(|e| panic!("{e}"));
    stack
        .write(&format!("modules/{name}/main.yaml"), text)
        .unwrap_or_else(|e| panic!("{e}"));
    (emulator, forge, stack)
}

/// The region's zone names as the EC2 API lists them, sorted.
async fn sorted_zones(ec2: &aws_sdk_ec2::Client) -> Vec<String> {
    let mut zones: Vec<String> = ec2
        .describe_availability_zones()
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .availability_zones()
        .iter()
        .filter_map(|z| z.zone_name().map(str::to_string))
        .collect();
    zones.sort();
    zones
}

/// A module that looks up the region's zones itself, used twice.
const ZONED: &str = r#"
inputs:
  cidr: {type: string}
  name: {type: string}
data:
  azs:
    type: aws.ec2.availability_zones
    state: available
resources:
  vpc:
    type: aws.ec2.vpc
    cidr_block: "${vars.cidr}"
    tags: {Name: "${vars.name}"}
  subnet:
    type: aws.ec2.subnet
    vpc_id: "${vpc.id}"
    cidr_block: "${cidrsubnet(vars.cidr, 8, 1)}"
    availability_zone: "${data.azs.names[1]}"
    tags: {Name: "${vars.name}"}
outputs:
  zone: "${data.azs.names[1]}"
"#;

/// Data sources declared in a module are read with the stack's, listed
/// under the module's addresses, and feed its resources: each subnet
/// lands in the region's second zone, read back through the SDK; a
/// second plan is clean.
#[tokio::test]
async fn a_module_reads_data_sources_of_its_own() {
    let (emulator, forge, stack) = with_module("zoned", ZONED);
    stack
        .write(
            "main.yaml",
            r#"stack: modules-data
region: us-east-1
modules:
  net:
    source: ./modules/zoned
    for_each: {a: 10.71.0.0/16, b: 10.72.0.0/16}
    inputs: {cidr: "${each.value}", name: "zoned-${each.key}"}
outputs:
  zone_a: "${module.net[\"a\"].zone}"
"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let ec2 = emulator.ec2(REGION).await;
    let zones = sorted_zones(&ec2).await;
    let second = zones.get(1).cloned().unwrap_or_else(|| panic!("{zones:?}"));

    let out = forge
        .run(stack.path(), &["plan"])
        .unwrap_or_else(|e| panic!("{e}"));
    out.expect_success();
    assert!(
        out.stdout
            .contains("<= read module.net[\"a\"].data.azs (aws.ec2.availability_zones)"),
        "{out}"
    );
    assert!(out.stdout.contains(&second), "{out}");
    forge
        .run(stack.path(), &["apply", "--auto-approve"])
        .unwrap_or_else(|e| panic!("{e}"))
        .expect_success();
    for name in ["zoned-a", "zoned-b"] {
        let subnet = forge_e2e::network::subnet_named(&ec2, name).await;
        let zone = subnet
            .as_ref()
            .and_then(|s| s.availability_zone())
            .unwrap_or_else(|| panic!("no subnet {name}"));
        assert_eq!(zone, second, "{name}");
    }
    let out = forge
        .run(stack.path(), &["plan", "--detailed-exitcode"])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.code(), Some(0), "{out}");
}

/// A module instance per zone, in a subnet of the stack's VPC; inside,
/// a security group for each zone the module's own lookup lists.
const PER_ZONE: &str = r#"
inputs:
  vpc_id: {type: string}
  zone: {type: string}
  netnum: {type: number}
data:
  zones:
    type: aws.ec2.availability_zones
    state: available
resources:
  subnet:
    type: aws.ec2.subnet
    vpc_id: "${vars.vpc_id}"
    availability_zone: "${vars.zone}"
    cidr_block: "${cidrsubnet(\"10.80.0.0/16\", 8, vars.netnum)}"
    tags: {Name: "over-data-${vars.zone}"}
  guard:
    type: aws.ec2.security_group
    count: "${length(data.zones.names) > 0 ? 1 : 0}"
    vpc_id: "${vars.vpc_id}"
    group_name: "over-data-${vars.zone}"
    description: one per module instance
"#;

/// `count` / `for_each` over what data sources read: the stack's zones
/// decide how many module instances and security groups there are, and a
/// module's own lookup decides a `count` inside it. The first plan reads
/// each lookup once (two rounds: the stack's, then the new module
/// instances'), the objects land in the zones the SDK lists, a second
/// plan is clean and destroy removes them.
#[tokio::test]
async fn count_and_for_each_expand_over_data_sources() {
    forge_e2e::require_emulator!("counts requests with the harness's counters");
    let (emulator, forge, stack) = with_module("zone", PER_ZONE);
    stack
        .write(
            "main.yaml",
            r#"stack: modules-over-data
region: us-east-1
data:
  azs:
    type: aws.ec2.availability_zones
    state: available
locals:
  zones: "${slice(sort(data.azs.names), 0, 2)}"
resources:
  vpc:
    type: aws.ec2.vpc
    cidr_block: 10.80.0.0/16
    tags: {Name: over-data}
  edge:
    type: aws.ec2.security_group
    for_each: "${toset(local.zones)}"
    vpc_id: "${vpc.id}"
    group_name: "edge-${each.key}"
    description: one per zone
modules:
  zone:
    source: ./modules/zone
    for_each: "${toset(local.zones)}"
    inputs:
      vpc_id: "${vpc.id}"
      zone: "${each.key}"
      netnum: "${index(local.zones, each.key) + 1}"
"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let ec2 = emulator.ec2(REGION).await;
    let mut zones = sorted_zones(&ec2).await;
    zones.truncate(2);

    forge_e2e::realtime::reset_counters(&emulator);
    let out = forge
        .run(stack.path(), &["plan"])
        .unwrap_or_else(|e| panic!("{e}"));
    out.expect_success();
    for zone in &zones {
        for address in [
            format!("module.zone[\"{zone}\"].subnet"),
            format!("module.zone[\"{zone}\"].guard[0]"),
            format!("edge[\"{zone}\"]"),
        ] {
            assert!(out.stdout.contains(&address), "{address}: {out}");
        }
    }
    let counted = forge_e2e::realtime::counters(&emulator);
    let reads = forge_e2e::realtime::requests_where(&counted, |k| {
        k.ends_with(":DescribeAvailabilityZones")
    });
    // The stack's lookup, then the two module instances' in one batch.
    assert_eq!(reads, 2, "{counted:#}");

    forge
        .run(stack.path(), &["apply", "--auto-approve"])
        .unwrap_or_else(|e| panic!("{e}"))
        .expect_success();
    for zone in &zones {
        let name = format!("over-data-{zone}");
        let subnet = forge_e2e::network::subnet_named(&ec2, &name).await;
        let at = subnet
            .as_ref()
            .and_then(|s| s.availability_zone())
            .unwrap_or_else(|| panic!("no subnet {name}"));
        assert_eq!(at, zone);
    }
    let groups: Vec<String> = ec2
        .describe_security_groups()
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"))
        .security_groups()
        .iter()
        .filter_map(|g| g.group_name().map(str::to_string))
        .filter(|n| n.starts_with("over-data-") || n.starts_with("edge-"))
        .collect();
    assert_eq!(groups.len(), 4, "{groups:?}");
    let out = forge
        .run(stack.path(), &["plan", "--detailed-exitcode"])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.code(), Some(0), "{out}");
    forge
        .run(stack.path(), &["destroy", "--auto-approve"])
        .unwrap_or_else(|e| panic!("{e}"))
        .expect_success();
    let left = forge_e2e::network::subnet_named(&ec2, &format!("over-data-{}", zones[0])).await;
    assert!(left.is_none(), "destroy leaves no subnet");
}
