//! `data:` in the loader: data sources expand like resources, their
//! arguments are checked against the type's schema, `${data.x.attr}` is
//! kept for the engine to evaluate (a data source's value is known only
//! once read), and the errors (unknown type, unknown data source or
//! attribute, a resource named `data`) are pinned by insta snapshots.

use forge_core::schema::{FieldSchema as F, FieldType as T, KindSchema, SchemaRegistry};
use forge_core::spec::testing::network_schemas;
use forge_core::spec::{Config, DataPass, LoadOptions, Stack, load_stack};
use forge_core::{Address, Diagnostics, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

const HEAD: &str = "stack: t\nregion: us-east-1\n";

fn schemas() -> SchemaRegistry {
    let mut r = network_schemas();
    r.insert_data(Arc::new(KindSchema::new(
        "aws.ec2.availability_zones",
        "The region's zones",
        [
            ("state", F::optional(T::String).describe("zone state")),
            ("names", F::computed(T::list(T::String)).describe("names")),
        ],
    )));
    r.insert_data(Arc::new(KindSchema::new(
        "aws.ec2.vpc",
        "One VPC",
        [
            ("tags", F::optional(T::map(T::String)).describe("tags")),
            ("cidr_block", F::computed(T::String).describe("CIDR")),
        ],
    )));
    r
}

fn load(body: &str) -> Result<Stack, Diagnostics> {
    load_pass(body, None)
}

fn errors(body: &str) -> String {
    match load(body) {
        Ok(_) => panic!("expected errors"),
        Err(d) => d.to_string(),
    }
}

#[test]
fn data_sources_expand_and_their_references_wait_for_the_engine() {
    let stack = load(
        r#"vars:
  names: {default: [a, b]}
data:
  azs:
    type: aws.ec2.availability_zones
    state: available
  vpc:
    type: aws.ec2.vpc
    for_each: "${toset(vars.names)}"
    tags: {Name: "${each.key}"}
resources:
  subnet:
    type: aws.ec2.subnet
    vpc_id: "${data.vpc[\"a\"].id}"
    cidr_block: "${data.vpc[\"a\"].cidr_block}"
    availability_zone: "${data.azs.names[0]}"
"#,
    )
    .unwrap_or_else(|d| panic!("{d}"));
    let addresses: Vec<String> = stack.data.iter().map(|d| d.address.to_string()).collect();
    assert_eq!(addresses, ["azs", "vpc[\"a\"]", "vpc[\"b\"]"]);
    let b = &stack.data[2];
    assert_eq!(b.kind, "aws.ec2.vpc");
    assert_eq!(
        b.fields.get("tags"),
        Some(&Config::Literal(Value::Map(BTreeMap::from([(
            "Name".to_string(),
            Value::from("b")
        )]))))
    );
    let subnet = stack
        .instance(&Address::single("subnet"))
        .cloned()
        .unwrap_or_else(|| panic!("no subnet"));
    assert!(
        matches!(subnet.fields.get("vpc_id"), Some(Config::Template { .. })),
        "{:?}",
        subnet.fields
    );
    // Data sources are not resources: no instance, no graph edge.
    assert!(stack.instances.iter().all(|i| i.address.name != "azs"));
    assert!(subnet.dependencies.is_empty());

    // What the engine read is what expressions see.
    let mut stack = stack;
    stack.data_values.insert(
        "azs".into(),
        Value::Map(BTreeMap::from([(
            "names".to_string(),
            Value::List(vec![Value::from("us-east-1a")]),
        )])),
    );
    let no_resources: BTreeMap<String, Value> = BTreeMap::new();
    let attrs = stack
        .evaluate_instance(&subnet, &no_resources)
        .unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(
        attrs.get("availability_zone"),
        Some(&Value::from("us-east-1a"))
    );
    // Not read yet: unknown, not an error.
    assert_eq!(attrs.get("vpc_id"), Some(&Value::Unknown));
}

#[test]
fn data_source_errors_are_positioned() {
    insta::assert_snapshot!(errors(
        r#"data:
  azs:
    type: aws.ec2.availability_zone
  vpc:
    type: aws.ec2.vpc
    tagz: {Name: shared}
    cidr_block: 10.0.0.0/16
resources:
  data:
    type: aws.ec2.vpc
    cidr_block: 10.0.0.0/16
  sg:
    type: aws.ec2.security_group
    vpc_id: "${data.vcp.id}"
    group_name: "${data.vpc.cidr}"
    description: x
"#
    ));
}

/// A stack whose expansions read data sources.
const OVER_DATA: &str = r#"data:
  azs:
    type: aws.ec2.availability_zones
  vpc:
    type: aws.ec2.vpc
    for_each: "${toset(data.azs.names)}"
    tags: {Zone: "${each.key}"}
locals:
  zones: "${slice(data.azs.names, 0, 2)}"
resources:
  net:
    type: aws.ec2.vpc
    cidr_block: 10.0.0.0/16
  subnet:
    type: aws.ec2.subnet
    for_each: "${toset(local.zones)}"
    vpc_id: "${net.id}"
    availability_zone: "${each.key}"
    cidr_block: "${cidrsubnet(\"10.0.0.0/16\", 8, index(data.azs.names, each.key))}"
  spare:
    type: aws.ec2.vpc
    count: "${length(data.azs.names) - 2}"
    cidr_block: 10.1.0.0/16
"#;

/// Loads `body` as a stack's one file; `pass`: what its data sources read.
fn load_pass(body: &str, pass: Option<DataPass>) -> Result<Stack, Diagnostics> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir(dir.path().join(".git")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("main.yaml"), format!("{HEAD}{body}"))
        .unwrap_or_else(|e| panic!("{e}"));
    let opts = LoadOptions {
        data: pass,
        ..LoadOptions::default()
    };
    load_stack(dir.path(), &opts, &schemas()).map_err(|d| {
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

fn zones(names: &[&str]) -> Value {
    Value::Map(BTreeMap::from([(
        "names".to_string(),
        Value::List(names.iter().map(|n| Value::from(*n)).collect()),
    )]))
}

fn addresses(instances: &[forge_core::spec::Instance]) -> Vec<String> {
    instances.iter().map(|i| i.address.to_string()).collect()
}

#[test]
fn count_and_for_each_over_data_sources_wait_for_them_then_expand() {
    // First load: what expands over data waits, nothing else does.
    let first = load_pass(OVER_DATA, None).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(first.awaiting_data, ["spare", "subnet", "vpc"]);
    assert_eq!(addresses(&first.instances), ["net"]);
    assert_eq!(addresses(&first.data), ["azs"]);

    // Loaded again with what `azs` read: the data source over it expands
    // (and waits for its own read), so do the resources.
    let values = BTreeMap::from([("azs".to_string(), zones(&["eu-1a", "eu-1b", "eu-1c"]))]);
    let second = load_pass(
        OVER_DATA,
        Some(DataPass {
            values,
            last: false,
        }),
    )
    .unwrap_or_else(|d| panic!("{d}"));
    assert!(
        second.awaiting_data.is_empty(),
        "{:?}",
        second.awaiting_data
    );
    assert_eq!(
        addresses(&second.data),
        ["azs", "vpc[\"eu-1a\"]", "vpc[\"eu-1b\"]", "vpc[\"eu-1c\"]"]
    );
    assert_eq!(
        addresses(&second.instances),
        ["net", "spare[0]", "subnet[\"eu-1a\"]", "subnet[\"eu-1b\"]"]
    );
    // Data known at load is a literal there, like a var.
    let b = second
        .instance(&Address::keyed("subnet", "eu-1b"))
        .unwrap_or_else(|| panic!("no subnet eu-1b"));
    assert_eq!(
        b.fields.get("cidr_block"),
        Some(&Config::Literal(Value::from("10.0.1.0/24")))
    );
}

#[test]
fn an_expansion_over_data_read_only_during_apply_is_an_error_in_the_last_pass() {
    // `azs` was not read (its arguments are known only during apply).
    let last = DataPass {
        values: BTreeMap::new(),
        last: true,
    };
    let err = load_pass(OVER_DATA, Some(last))
        .err()
        .unwrap_or_else(|| panic!("loaded"));
    insta::assert_snapshot!(err.to_string());
}

#[test]
fn an_expansion_over_a_resource_through_a_local_fails_at_once_without_data() {
    // No data source to wait for: the one load reports it.
    insta::assert_snapshot!(errors(
        r#"locals:
  ids: "${[net.id]}"
resources:
  net:
    type: aws.ec2.vpc
    cidr_block: 10.0.0.0/16
  subnet:
    type: aws.ec2.subnet
    for_each: "${toset(local.ids)}"
    vpc_id: "${each.key}"
    cidr_block: 10.0.0.0/24
"#
    ));
}
