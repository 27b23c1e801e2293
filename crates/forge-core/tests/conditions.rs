//! Loading `lifecycle.precondition` / `postcondition` and outputs'
//! `precondition`: kept for the engine, their references checked and
//! counted as dependencies; `self` only in postconditions.

use forge_core::Address;
use forge_core::spec::testing::network_schemas;
use forge_core::spec::{Config, LoadOptions, Stack, load_stack};

const HEAD: &str = "stack: t\nregion: us-east-1\n";

fn load(body: &str) -> Result<Stack, String> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("main.yaml");
    std::fs::write(&path, format!("{HEAD}{body}")).unwrap_or_else(|e| panic!("{e}"));
    load_stack(&path, &LoadOptions::default(), &network_schemas()).map_err(|d| {
        d.to_string()
            .replace(&format!("{}/", dir.path().display()), "")
    })
}

const STACK: &str = "resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n  other:\n    type: aws.ec2.vpc\n    cidr_block: 10.1.0.0/16\n  subnet:\n    type: aws.ec2.subnet\n    vpc_id: \"${vpc.id}\"\n    cidr_block: 10.0.1.0/24\n    lifecycle:\n      precondition:\n        - condition: \"${other.cidr_block != vpc.cidr_block}\"\n          error_message: the VPCs must differ\n      postcondition:\n        condition: \"${self.vpc_id == vpc.id}\"\n        error_message: \"wrong VPC: ${self.vpc_id}\"\noutputs:\n  vpc:\n    value: \"${vpc.id}\"\n    precondition: {condition: \"${vpc.cidr_block != \\\"\\\"}\", error_message: no cidr}\n";

#[test]
fn conditions_are_kept_with_their_dependencies() {
    let stack = load(STACK).unwrap_or_else(|e| panic!("{e}"));
    let subnet = stack
        .instance(&Address::single("subnet"))
        .unwrap_or_else(|| panic!("no subnet"));
    assert_eq!(subnet.conditions.pre.len(), 1);
    assert_eq!(subnet.conditions.post.len(), 1);
    // A precondition's references are dependencies, like a field's.
    assert!(subnet.dependencies.contains(&Address::single("other")));
    let post = &subnet.conditions.post[0];
    assert!(matches!(post.condition, Config::Template { .. }));
    assert_eq!(post.pos.as_ref().map(|p| p.line), Some(19));
    assert_eq!(stack.outputs[0].preconditions.len(), 1);
}

#[test]
fn bad_conditions() {
    let bad = STACK
        .replace("${self.vpc_id == vpc.id}", "${self.vpc_id == vcp.id}")
        .replace(
            "${other.cidr_block != vpc.cidr_block}",
            "${self.cidr_block != \\\"\\\"}",
        )
        .replace("error_message: no cidr", "message: no cidr")
        .replace(
            "      postcondition:",
            "      postconditions: []\n      postcondition:",
        );
    insta::assert_snapshot!(load(&bad).err().unwrap_or_default());
}
