//! Dependencies between stacks and run-all, end to end, on
//! `tests/fixtures/stack-tree` (network → app, and tools on its own):
//! - `forge stacks --json` lists the tree in levels;
//! - before network is applied, app's plan uses its mock outputs, and its
//!   apply refuses, naming network;
//! - `forge apply DIR --all` applies network before app, whose security
//!   group lands in network's VPC (read back through the SDK); a second
//!   run-all plan has no changes; `forge destroy DIR --all` removes app
//!   before network, and nothing is left;
//! - with network broken, run-all skips app and still applies tools;
//! - a dependency whose state is in S3 is read from the bucket.

use aws_sdk_ec2::types::Filter;
use forge_e2e::{Emulator, Forge, RunOutput, StackCopy, repo_root};
use serde_json::Value as Json;

const REGION: &str = "us-east-1";

struct World {
    forge: Forge,
    tree: StackCopy,
    ec2: aws_sdk_ec2::Client,
}

impl World {
    fn run(&self, args: &[&str]) -> RunOutput {
        self.forge
            .run(self.tree.path(), args)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The VPC tagged `Name=name`, if any.
    async fn vpc(&self, name: &str) -> Option<String> {
        forge_e2e::network::vpc_named(&self.ec2, name).await
    }

    /// The VPC of the security group named `name`, if it exists.
    async fn sg_vpc(&self, name: &str) -> Option<String> {
        let out = self
            .ec2
            .describe_security_groups()
            .filters(Filter::builder().name("group-name").values(name).build())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e:?}"));
        out.security_groups()
            .first()
            .map(|g| g.vpc_id().unwrap_or_default().to_string())
    }
}

/// Where `needle` first appears in `haystack` (panics if absent).
#[track_caller]
fn at(haystack: &str, needle: &str) -> usize {
    haystack
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` not in:\n{haystack}"))
}

/// The summary table's row of a unit.
#[track_caller]
fn row<'a>(out: &'a RunOutput, stack: &str) -> &'a str {
    out.stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(stack))
        .unwrap_or_else(|| panic!("no row for {stack}:\n{out}"))
}

#[tokio::test]
async fn a_tree_of_stacks_applies_in_order_and_skips_what_a_failure_blocks() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    let tree = StackCopy::of(&repo_root().join("tests/fixtures/stack-tree"))
        .unwrap_or_else(|e| panic!("{e}"));
    // In a repository, as stacks are: a dependency must be inside it.
    std::fs::create_dir(tree.path().join(".git")).unwrap_or_else(|e| panic!("{e}"));
    let w = World {
        forge,
        tree,
        ec2: emulator.ec2(REGION).await,
    };

    // The tree, in levels, for a CI matrix.
    let out = w.run(&["stacks", ".", "--json"]);
    out.expect_success();
    let listing: Json = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(
        listing["levels"],
        serde_json::json!([["network", "tools"], ["app"]]),
        "{out}"
    );
    assert_eq!(
        listing["stacks"][2]["depends_on"],
        serde_json::json!(["network"])
    );
    assert_eq!(
        listing["runs"][2],
        serde_json::json!({"stack": "app", "environment": "dev", "level": 1})
    );

    // Before network exists: app plans with its mock outputs...
    let out = w.run(&["plan", "app", "-e", "dev"]);
    out.expect_success();
    assert!(out.stdout.contains("vpc-00000000mock"), "{out}");
    assert!(
        out.stderr
            .contains("its mock_outputs stand in for this plan"),
        "{out}"
    );
    // ... and refuses to apply, naming what to apply first.
    let out = w.run(&["apply", "app", "-e", "dev", "--auto-approve"]);
    out.expect_code(1);
    assert!(
        out.stderr.contains("dependency `network`") && out.stderr.contains("apply `network` first"),
        "{out}"
    );
    assert_eq!(w.sg_vpc("stack-tree-app-dev").await, None);

    // The whole tree, in order.
    let out = w.run(&["apply", ".", "--all", "-e", "dev", "--auto-approve"]);
    out.expect_success();
    let network_vpc = w
        .vpc("stack-tree-network-dev")
        .await
        .unwrap_or_else(|| panic!("no network VPC\n{out}"));
    assert_eq!(
        w.sg_vpc("stack-tree-app-dev").await.as_deref(),
        Some(network_vpc.as_str()),
        "the app's security group is not in network's VPC\n{out}"
    );
    assert!(w.vpc("stack-tree-tools").await.is_some(), "{out}");
    // app starts only once network finished.
    assert!(
        at(&out.stderr, "network (dev): +2") < at(&out.stderr, "app (dev): applying"),
        "{out}"
    );
    for stack in ["network", "app", "tools"] {
        assert!(row(&out, stack).contains(" ok "), "{out}");
    }

    // Nothing left to do.
    let out = w.run(&["plan", ".", "--all", "-e", "dev"]);
    out.expect_success();
    for stack in ["network", "app", "tools"] {
        assert!(row(&out, stack).contains("no changes"), "{out}");
    }

    // Destroy: app before network.
    let out = w.run(&["destroy", ".", "--all", "-e", "dev", "--auto-approve"]);
    out.expect_success();
    assert!(
        at(&out.stderr, "app (dev): +0 ~0 -1") < at(&out.stderr, "network (dev): destroying"),
        "{out}"
    );
    assert_eq!(w.sg_vpc("stack-tree-app-dev").await, None, "{out}");
    assert_eq!(w.vpc("stack-tree-network-dev").await, None, "{out}");
    assert_eq!(w.vpc("stack-tree-tools").await, None, "{out}");

    // A broken network: app is skipped, tools still applies.
    let spec = w
        .tree
        .read("network/main.yaml")
        .unwrap_or_else(|e| panic!("{e}"));
    w.tree
        .write(
            "network/main.yaml",
            &spec.replace(
                "cidr_block: \"${vars.cidr}\"",
                "cidr_block: \"${vars.cidrr}\"",
            ),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let out = w.run(&["apply", ".", "--all", "-e", "dev", "--auto-approve"]);
    out.expect_code(1);
    assert!(row(&out, "network").contains("failed"), "{out}");
    assert!(
        row(&out, "app").contains("skipped: network (dev) did not finish"),
        "{out}"
    );
    assert!(row(&out, "tools").contains(" ok "), "{out}");
    assert!(out.stderr.contains("undefined var `cidrr`"), "{out}");
    assert!(w.vpc("stack-tree-tools").await.is_some(), "{out}");
    assert_eq!(w.sg_vpc("stack-tree-app-dev").await, None, "{out}");
}

/// A dependency keeping its state in S3: its outputs are read from the
/// bucket (nothing local), by plan and by apply.
#[tokio::test]
async fn outputs_are_read_from_a_dependency_state_in_s3() {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    let tree = StackCopy::of(&repo_root().join("tests/fixtures/stack-tree"))
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir(tree.path().join(".git")).unwrap_or_else(|e| panic!("{e}"));
    let w = World {
        forge,
        tree,
        ec2: emulator.ec2(REGION).await,
    };
    // A plain bucket: a bootstrapped one refuses the emulator's plain HTTP.
    emulator
        .s3(REGION)
        .await
        .create_bucket()
        .bucket("tree-state")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let spec = w
        .tree
        .read("network/main.yaml")
        .unwrap_or_else(|e| panic!("{e}"));
    w.tree
        .write(
            "network/main.yaml",
            &spec.replace(
                "state:\n  backend: local\n",
                "state:\n  backend: s3\n  bucket: tree-state\n  key: \"${stack}/${env}.json\"\n  region: us-east-1\n",
            ),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    w.run(&["apply", "network", "--auto-approve"])
        .expect_success();
    assert!(!w.tree.path().join("network/.forge/state").exists());
    let vpc = w
        .vpc("stack-tree-network-dev")
        .await
        .unwrap_or_else(|| panic!("no network VPC"));

    let out = w.run(&["plan", "app"]);
    out.expect_success();
    assert!(out.stdout.contains(&vpc), "{out}");
    assert!(!out.stdout.contains("vpc-00000000mock"), "{out}");
    assert!(!out.stderr.contains("mock_outputs"), "{out}");
    w.run(&["apply", "app", "--auto-approve"]).expect_success();
    assert_eq!(w.sg_vpc("stack-tree-app-dev").await, Some(vpc));
}
