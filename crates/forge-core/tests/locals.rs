//! `locals:`: load-time locals evaluated at load, locals that read
//! resources kept as expressions (and their resources added to the
//! dependencies of whatever reads them), both spellings, included files,
//! and the errors (cycle, unknown local), pinned by insta snapshots.

use forge_core::spec::testing::network_schemas;
use forge_core::spec::{Config, LoadOptions, Stack, load_stack};
use forge_core::{Address, Diagnostics, Value};
use std::collections::BTreeMap;

const HEAD: &str = "stack: t\nregion: us-east-1\n";

fn load_files(files: &[(&str, &str)]) -> Result<Stack, Diagnostics> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir(dir.path().join(".git")).unwrap_or_else(|e| panic!("{e}"));
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap_or_else(|e| panic!("{e}"));
    }
    load_stack(dir.path(), &LoadOptions::default(), &network_schemas()).map_err(|d| {
        let prefix = format!("{}/", dir.path().display());
        Diagnostics(
            d.0.into_iter()
                .map(|mut d| {
                    if let Some(p) = &mut d.pos {
                        p.file = p
                            .file
                            .strip_prefix(&prefix)
                            .unwrap_or(&p.file)
                            .to_path_buf();
                    }
                    d
                })
                .collect(),
        )
    })
}

fn load(body: &str) -> Result<Stack, Diagnostics> {
    load_files(&[("main.yaml", &format!("{HEAD}{body}"))])
}

fn errors(body: &str) -> String {
    match load(body) {
        Ok(_) => panic!("expected errors"),
        Err(d) => d.to_string(),
    }
}

fn field(stack: &Stack, address: &str, name: &str) -> Config {
    let address: Address = address.parse().unwrap_or_else(|e| panic!("{e:?}"));
    let instance = stack
        .instance(&address)
        .unwrap_or_else(|| panic!("no {address}"));
    instance
        .fields
        .get(name)
        .cloned()
        .unwrap_or_else(|| panic!("no field {name}"))
}

#[test]
fn load_time_locals_are_evaluated_at_load() {
    let stack = load(
        "vars:\n  base: \"10.0\"\nlocals:\n  cidr: \"${local.prefix}.0.0/16\"\n  prefix: \"${vars.base}\"\n  azs: [a, b]\n  name: \"${stack}-${env}\"\nresources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: \"${local.cidr}\"\n    tags: {Name: \"${locals.name}\"}\n  subnet:\n    type: aws.ec2.subnet\n    for_each: \"${local.azs}\"\n    vpc_id: \"${vpc.id}\"\n    cidr_block: 10.0.1.0/24\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        field(&stack, "vpc", "cidr_block"),
        Config::literal("10.0.0.0/16")
    );
    assert_eq!(
        field(&stack, "vpc", "tags"),
        Config::Literal(Value::Map(BTreeMap::from([(
            "Name".to_string(),
            Value::from("t-")
        )])))
    );
    assert_eq!(stack.instances.len(), 3, "for_each over a local");
    assert_eq!(
        stack.locals.get("cidr"),
        Some(&Config::literal("10.0.0.0/16"))
    );
}

#[test]
fn a_local_reading_a_resource_makes_its_readers_depend_on_it() {
    let stack = load(
        "locals:\n  vpc: \"${vpc.id}\"\n  both: \"${local.vpc}-${vars.x}\"\nvars:\n  x: y\nresources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n  subnet:\n    type: aws.ec2.subnet\n    vpc_id: \"${local.both}\"\n    cidr_block: 10.0.1.0/24\noutputs:\n  vpc: \"${local.vpc}\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let subnet = stack
        .instance(&Address::single("subnet"))
        .unwrap_or_else(|| panic!("no subnet"));
    assert!(subnet.dependencies.contains(&Address::single("vpc")));
    assert!(matches!(
        field(&stack, "subnet", "vpc_id"),
        Config::Template { .. }
    ));
    assert!(
        stack.outputs[0]
            .dependencies
            .contains(&Address::single("vpc"))
    );
    // Unknown until the vpc has an id, then its value.
    let none: BTreeMap<String, Value> = BTreeMap::new();
    let attrs = stack
        .evaluate_instance(subnet, &none)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attrs.get("vpc_id"), Some(&Value::Unknown));
    let known = BTreeMap::from([(
        "vpc".to_string(),
        Value::Map(BTreeMap::from([("id".to_string(), Value::from("vpc-1"))])),
    )]);
    let attrs = stack
        .evaluate_instance(subnet, &known)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attrs.get("vpc_id"), Some(&Value::from("vpc-1-y")));
}

#[test]
fn count_cannot_read_a_local_that_reads_resources() {
    let e = errors(
        "locals:\n  n: \"${length(vpc.id)}\"\nresources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n  eip:\n    type: aws.ec2.eip\n    count: \"${local.n}\"\n",
    );
    assert!(e.contains("`count` of `eip` must be known"), "{e}");
}

#[test]
fn locals_merge_across_files_and_names_are_unique() {
    let stack = load_files(&[
        ("a.yaml", &format!("{HEAD}locals:\n  a: x\n")),
        (
            "b.yaml",
            "locals:\n  b: \"${local.a}y\"\noutputs:\n  b: \"${local.b}\"\n",
        ),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stack.locals.get("b"), Some(&Config::literal("xy")));
    let e = load_files(&[
        ("a.yaml", &format!("{HEAD}locals:\n  a: x\n")),
        ("b.yaml", "locals:\n  a: y\n"),
    ])
    .err()
    .map(|d| d.to_string())
    .unwrap_or_default();
    assert!(e.contains("duplicate local `a`"), "{e}");
}

#[test]
fn local_cycle() {
    insta::assert_snapshot!(errors(
        "locals:\n  a: \"${local.b}\"\n  b: \"x-${local.c}\"\n  c: [\"${local.a}\"]\n  d: \"${local.d}\"\n  e: fine\n"
    ));
}

#[test]
fn unknown_local() {
    insta::assert_snapshot!(errors(
        "locals:\n  name_prefix: app\nresources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n    tags: {Name: \"${local.name_prefx}\"}\n"
    ));
}

#[test]
fn local_errors_are_reported_at_the_local() {
    insta::assert_snapshot!(errors(
        "locals:\n  bad: \"${vpc.nope}\"\n  each: \"${each.key}\"\n  fn: \"${uper(stack)}\"\n  \"1x\": a\nresources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n"
    ));
}
