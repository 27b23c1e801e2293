//! File functions in a loaded stack read relative to the folder of the
//! spec file that holds the expression (an included file's own folder),
//! at load time and at plan time alike.

use forge_core::spec::testing::network_schemas;
use forge_core::spec::{Config, LoadOptions, Stack, load_stack};
use forge_core::{Address, Value};
use std::collections::BTreeMap;
use std::path::Path;

fn write(root: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = root.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    }
}

fn load(root: &Path) -> Stack {
    load_stack(
        &root.join("stack"),
        &LoadOptions::default(),
        &network_schemas(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn field(stack: &Stack, name: &str, field: &str) -> Config {
    stack
        .instances
        .iter()
        .find(|i| i.address == Address::single(name))
        .and_then(|i| i.fields.get(field).cloned())
        .unwrap_or_else(|| panic!("no {name}.{field}"))
}

#[test]
fn relative_to_the_spec_file_that_holds_the_expression() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path();
    write(
        root,
        &[
            (".git/HEAD", "ref: refs/heads/main\n"),
            ("common/cidr.txt", "10.1.0.0/16\n"),
            (
                "common/net.yaml",
                "resources:\n  shared:\n    type: aws.ec2.vpc\n    cidr_block: \"${trimspace(file(\\\"cidr.txt\\\"))}\"\n",
            ),
            ("stack/cidr.txt", "10.0.0.0/16\n"),
            ("stack/tmpl/subnet.tftpl", "${cidrsubnet(base, 8, n)}"),
            (
                "stack/main.yaml",
                concat!(
                    "stack: t\nregion: us-east-1\ninclude: [../common/net.yaml]\n",
                    "resources:\n",
                    "  vpc:\n    type: aws.ec2.vpc\n    cidr_block: \"${trimspace(file(\\\"cidr.txt\\\"))}\"\n",
                    "  subnet:\n    type: aws.ec2.subnet\n    vpc_id: \"${vpc.id}\"\n",
                    "    cidr_block: \"${templatefile(\\\"tmpl/subnet.tftpl\\\", {base = vpc.cidr_block, n = length(fileset(\\\".\\\", \\\"*.txt\\\"))})}\"\n",
                ),
            ),
        ],
    );
    let stack = load(root);
    assert_eq!(
        field(&stack, "vpc", "cidr_block"),
        Config::Literal(Value::from("10.0.0.0/16"))
    );
    assert_eq!(
        field(&stack, "shared", "cidr_block"),
        Config::Literal(Value::from("10.1.0.0/16"))
    );
    // Evaluated at plan time (it reads a resource attribute), from the
    // stack file's folder.
    let Config::Template { .. } = field(&stack, "subnet", "cidr_block") else {
        panic!("expected a plan-time template");
    };
    let resources = BTreeMap::from([(
        "vpc".to_string(),
        Value::Map(BTreeMap::from([
            ("id".to_string(), Value::from("vpc-1")),
            ("cidr_block".to_string(), Value::from("10.0.0.0/16")),
        ])),
    )]);
    let value = stack
        .evaluate_config(&field(&stack, "subnet", "cidr_block"), None, &resources)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(value, Value::from("10.0.1.0/24"));
}
