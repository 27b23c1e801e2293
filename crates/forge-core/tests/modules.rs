//! `modules:`: a local module used several times (`for_each`, a single
//! call, nested modules), its addresses, its outputs read by the stack
//! (as graph edges to what they read, and as values), and the errors of a
//! module call, pinned by insta snapshots.

use forge_core::spec::testing::network_schemas;
use forge_core::spec::{LoadOptions, Stack, load_stack};
use forge_core::{Address, Diagnostics, Value};
use std::collections::BTreeMap;
use std::path::Path;

const NETWORK: &str = r#"
inputs:
  cidr:
    type: string
    description: The VPC's block
    validation:
      - condition: "${endswith(vars.cidr, \"/16\")}"
        error_message: the VPC must be a /16
  name: {type: string, default: net}
  subnets: {type: "map(string)", default: {}}
locals:
  label: "${vars.name}-vpc"
resources:
  vpc:
    type: aws.ec2.vpc
    cidr_block: "${vars.cidr}"
    tags: {Name: "${local.label}"}
  subnet:
    type: aws.ec2.subnet
    for_each: "${vars.subnets}"
    vpc_id: "${vpc.id}"
    cidr_block: "${each.value}"
    availability_zone: "us-east-1${each.key}"
modules:
  sg:
    source: ../group
    inputs:
      vpc_id: "${vpc.id}"
      name: "${vars.name}"
outputs:
  vpc_id: "${vpc.id}"
  cidr: "${vars.cidr}"
  group_id: "${module.sg.id}"
"#;

const GROUP: &str = r#"
inputs:
  vpc_id: {type: string}
  name: {type: string}
resources:
  this:
    type: aws.ec2.security_group
    group_name: "${vars.name}"
    description: a group
    vpc_id: "${vars.vpc_id}"
outputs:
  id: "${this.id}"
"#;

/// Writes a repository with `modules/network`, `modules/group` and the
/// stack's `stack/main.yaml`, then loads the stack.
fn load_with(stack: &str, extra: &[(&str, &str)]) -> Result<Stack, Diagnostics> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path();
    let mut files = vec![
        (".git/HEAD", ""),
        ("modules/network/main.yaml", NETWORK),
        ("modules/group/main.yaml", GROUP),
        ("stack/main.yaml", stack),
    ];
    files.extend_from_slice(extra);
    for (name, text) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap_or(root)).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    }
    load_stack(&root.join("stack"), &LoadOptions::default(), &schemas())
        .map_err(|d| relative(d, root))
}

/// The network kinds, and one data source type.
fn schemas() -> forge_core::SchemaRegistry {
    use forge_core::schema::{FieldSchema as F, FieldType as T, KindSchema};
    let mut r = network_schemas();
    r.insert_data(std::sync::Arc::new(KindSchema::new(
        "aws.ec2.availability_zones",
        "The region's zones",
        [
            ("state", F::optional(T::String).describe("zone state")),
            ("names", F::computed(T::list(T::String)).describe("names")),
        ],
    )));
    r
}

fn relative(d: Diagnostics, root: &Path) -> Diagnostics {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let strip = |text: &str| text.replace(&format!("{}/", root.display()), "");
    Diagnostics(
        d.0.into_iter()
            .map(|mut d| {
                if let Some(p) = &mut d.pos {
                    let text = strip(&p.file.display().to_string());
                    let text = text.split("/../").last().unwrap_or(&text).to_string();
                    p.file = text
                        .rsplit_once("/stack/")
                        .map_or(text.clone(), |(_, f)| format!("stack/{f}"))
                        .into();
                }
                d.message = strip(&d.message);
                d.hint = d.hint.map(|h| strip(&h));
                d
            })
            .collect(),
    )
}

fn errors(stack: &str) -> String {
    errors_with(stack, &[])
}

fn errors_with(stack: &str, extra: &[(&str, &str)]) -> String {
    match load_with(stack, extra) {
        Ok(_) => panic!("expected errors"),
        Err(d) => d.to_string(),
    }
}

const HEAD: &str = "stack: t\nregion: us-east-1\n";

const TWO_NETWORKS: &str = r#"
modules:
  net:
    source: ../modules/network
    for_each:
      a: {cidr: 10.0.0.0/16, subnets: {a: 10.0.1.0/24, b: 10.0.2.0/24}}
      b: {cidr: 10.1.0.0/16, subnets: {a: 10.1.1.0/24}}
    inputs:
      cidr: "${each.value.cidr}"
      name: "net-${each.key}"
      subnets: "${each.value.subnets}"
  shared:
    source: ../modules/network
    inputs: {cidr: 10.9.0.0/16}
resources:
  app:
    type: aws.ec2.security_group
    group_name: app
    description: reads a module output
    vpc_id: "${module.net[\"b\"].vpc_id}"
outputs:
  shared_vpc: "${module.shared.vpc_id}"
"#;

fn addr(text: &str) -> Address {
    text.parse().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_module_used_twice_expands_under_its_paths() {
    let stack = load_with(&format!("{HEAD}{TWO_NETWORKS}"), &[]).unwrap_or_else(|d| panic!("{d}"));
    let addresses: Vec<String> = stack
        .instances
        .iter()
        .map(|i| i.address.to_string())
        .collect();
    assert_eq!(
        addresses,
        [
            "app",
            "module.net[\"a\"].module.sg.this",
            "module.net[\"a\"].subnet[\"a\"]",
            "module.net[\"a\"].subnet[\"b\"]",
            "module.net[\"a\"].vpc",
            "module.net[\"b\"].module.sg.this",
            "module.net[\"b\"].subnet[\"a\"]",
            "module.net[\"b\"].vpc",
            "module.shared.module.sg.this",
            "module.shared.vpc",
        ]
    );
    // Inside a module, names are its own; its inputs are its vars.
    let subnet = stack
        .instance(&addr("module.net[\"a\"].subnet[\"b\"]"))
        .unwrap_or_else(|| panic!("no subnet"));
    assert_eq!(subnet.dependencies, [addr("module.net[\"a\"].vpc")].into());
    assert_eq!(subnet.module, "module.net[\"a\"]");
    // A nested module's input that reads the caller's resource depends on it.
    let group = stack
        .instance(&addr("module.net[\"b\"].module.sg.this"))
        .unwrap_or_else(|| panic!("no group"));
    assert_eq!(group.dependencies, [addr("module.net[\"b\"].vpc")].into());
    // The app reads one output of one instance: it waits for that VPC only.
    let app = stack
        .instance(&addr("app"))
        .unwrap_or_else(|| panic!("no app"));
    assert_eq!(app.dependencies, [addr("module.net[\"b\"].vpc")].into());
    let out = &stack.outputs[0];
    assert_eq!(out.dependencies, [addr("module.shared.vpc")].into());
}

#[test]
fn module_values_are_evaluated_in_the_module() {
    let stack = load_with(&format!("{HEAD}{TWO_NETWORKS}"), &[]).unwrap_or_else(|d| panic!("{d}"));
    let mut resources: BTreeMap<String, Value> = BTreeMap::new();
    let vpc = |id: &str| Value::Map([("id".to_string(), Value::string(id))].into());
    resources.insert(
        "module.net[\"b\"].vpc".into(),
        Value::Map([("b".to_string(), vpc("vpc-b"))].into()),
    );
    // The engine's view is keyed by full names; a single resource is its map.
    resources.insert("module.net[\"b\"].vpc".into(), vpc("vpc-b"));
    resources.insert("module.shared.vpc".into(), vpc("vpc-s"));
    let app = stack
        .instance(&addr("app"))
        .unwrap_or_else(|| panic!("no app"));
    let attrs = stack
        .evaluate_instance(app, &resources)
        .unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(attrs["vpc_id"], Value::string("vpc-b"));
    let group = stack
        .instance(&addr("module.net[\"b\"].module.sg.this"))
        .unwrap_or_else(|| panic!("no group"));
    let attrs = stack
        .evaluate_instance(group, &resources)
        .unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(attrs["vpc_id"], Value::string("vpc-b"));
    assert_eq!(attrs["group_name"], Value::string("net-b"));
    let vpc_a = stack
        .instance(&addr("module.net[\"a\"].vpc"))
        .unwrap_or_else(|| panic!("no vpc"));
    let attrs = stack
        .evaluate_instance(vpc_a, &resources)
        .unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(attrs["cidr_block"], Value::string("10.0.0.0/16"));
    assert_eq!(
        attrs["tags"],
        Value::Map([("Name".to_string(), Value::string("net-a-vpc"))].into())
    );
    let out = stack
        .evaluate_output(&stack.outputs[0], &resources)
        .unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(out, Value::string("vpc-s"));
}

/// One module's input fed by a sibling's output: each value is read
/// through the other module (this once recursed until the stack overflowed).
#[test]
fn a_module_input_reads_another_modules_output() {
    let stack = load_with(
        &format!(
            "{HEAD}modules:\n  net: {{source: ../modules/network, inputs: {{cidr: 10.0.0.0/16}}}}\n  grp:\n    source: ../modules/group\n    inputs: {{vpc_id: \"${{module.net.vpc_id}}\", name: g}}\noutputs:\n  group: \"${{module.grp.id}}\"\n"
        ),
        &[],
    )
    .unwrap_or_else(|d| panic!("{d}"));
    let mut resources: BTreeMap<String, Value> = BTreeMap::new();
    let id = |id: &str| Value::Map([("id".to_string(), Value::string(id))].into());
    resources.insert("module.net.vpc".into(), id("vpc-n"));
    let this = stack
        .instance(&addr("module.grp.this"))
        .unwrap_or_else(|| panic!("no group"));
    let attrs = stack
        .evaluate_instance(this, &resources)
        .unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(attrs["vpc_id"], Value::string("vpc-n"));
    // Before the VPC exists the group's VPC is unknown, not an error.
    let attrs = stack
        .evaluate_instance(this, &BTreeMap::<String, Value>::new())
        .unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(attrs["vpc_id"], Value::Unknown);
    resources.insert("module.grp.this".into(), id("sg-1"));
    let out = stack
        .evaluate_output(&stack.outputs[0], &resources)
        .unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(out, Value::string("sg-1"));
}

#[test]
fn a_missing_required_input() {
    insta::assert_snapshot!(errors(&format!(
        "{HEAD}modules:\n  net:\n    source: ../modules/network\n    inputs: {{name: x}}\n"
    )));
}

#[test]
fn an_input_of_the_wrong_type() {
    insta::assert_snapshot!(errors(&format!(
        "{HEAD}modules:\n  net:\n    source: ../modules/network\n    inputs:\n      cidr: 10.0.0.0/16\n      subnets: [a, b]\n"
    )));
}

#[test]
fn an_unknown_input() {
    insta::assert_snapshot!(errors(&format!(
        "{HEAD}modules:\n  net:\n    source: ../modules/network\n    inputs:\n      cidr: 10.0.0.0/16\n      subnet: {{}}\n"
    )));
}

#[test]
fn an_unknown_module_output() {
    insta::assert_snapshot!(errors(&format!(
        "{HEAD}modules:\n  net:\n    source: ../modules/network\n    inputs: {{cidr: 10.0.0.0/16}}\noutputs:\n  a: \"${{module.net.vpcid}}\"\n  b: \"${{module.nett.vpc_id}}\"\n"
    )));
}

#[test]
fn a_source_folder_that_does_not_exist() {
    insta::assert_snapshot!(errors(&format!(
        "{HEAD}modules:\n  net:\n    source: ../modules/netwrk\n"
    )));
}

#[test]
fn a_module_that_uses_itself() {
    insta::assert_snapshot!(errors_with(
        &format!("{HEAD}modules:\n  a:\n    source: ../modules/a\n"),
        &[
            ("modules/a/main.yaml", "modules:\n  b:\n    source: ../b\n"),
            ("modules/b/main.yaml", "modules:\n  a:\n    source: ../a\n"),
        ],
    ));
}

#[test]
fn a_failed_input_validation_is_reported_once_per_value() {
    let e = errors(&format!(
        "{HEAD}modules:\n  net:\n    source: ../modules/network\n    count: 2\n    inputs: {{cidr: 10.0.0.0/24}}\n"
    ));
    assert_eq!(e.matches("the VPC must be a /16").count(), 1, "{e}");
}

/// Runs git in `dir`, panicking on failure; its trimmed output.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("git: {e}"));
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn git_sources_are_locked_to_a_commit_until_updated() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = dir.path();
    // A repository holding the group module, tagged v1, then v2 (an output more).
    let repo = root.join("repo");
    std::fs::create_dir_all(repo.join("modules/group")).unwrap_or_else(|e| panic!("{e}"));
    git(&repo, &["init", "-q"]);
    std::fs::write(repo.join("modules/group/main.yaml"), GROUP).unwrap_or_else(|e| panic!("{e}"));
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-qm", "v1"]);
    git(&repo, &["tag", "v1"]);
    let v1 = git(&repo, &["rev-parse", "HEAD"]);
    std::fs::write(
        repo.join("modules/group/main.yaml"),
        format!("{GROUP}  group_name: \"${{this.group_name}}\"\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    git(&repo, &["commit", "-qam", "v2"]);
    git(&repo, &["tag", "v2"]);
    let v2 = git(&repo, &["rev-parse", "HEAD"]);

    let stack_dir = root.join("live/stack");
    std::fs::create_dir_all(root.join("live/.git")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir_all(&stack_dir).unwrap_or_else(|e| panic!("{e}"));
    let write_stack = |reference: &str, output: &str| {
        let text = format!(
            "{HEAD}modules:\n  sg:\n    source: \"git::file://{}//modules/group?ref={reference}\"\n    inputs: {{vpc_id: vpc-1, name: web}}\noutputs:\n  out: \"${{module.sg.{output}}}\"\n",
            repo.display()
        );
        std::fs::write(stack_dir.join("main.yaml"), text).unwrap_or_else(|e| panic!("{e}"));
    };
    let load = |update: bool| {
        let opts = LoadOptions {
            update_modules: update,
            ..Default::default()
        };
        load_stack(&stack_dir, &opts, &network_schemas())
    };
    let locked = || {
        forge_core::spec::read_module_lock(&stack_dir)
            .modules
            .into_values()
            .map(|l| l.commit)
            .collect::<Vec<_>>()
    };

    write_stack("v1", "id");
    let stack = load(false).unwrap_or_else(|d| panic!("{d}"));
    assert!(stack.instance(&addr("module.sg.this")).is_some());
    assert_eq!(locked(), std::slice::from_ref(&v1));
    assert!(stack_dir.join(".forge/modules").is_dir());

    // A moved tag changes nothing: the lock keeps the commit.
    git(&repo, &["tag", "-f", "v1", "v2"]);
    write_stack("v1", "group_name");
    let e = load(false).err().map(|d| d.to_string()).unwrap_or_default();
    assert!(e.contains("module `sg` has no output `group_name`"), "{e}");
    assert_eq!(locked(), std::slice::from_ref(&v1));

    // A changed ref needs `forge modules update`.
    write_stack("v2", "group_name");
    let e = load(false).err().map(|d| d.to_string()).unwrap_or_default();
    insta::assert_snapshot!(
        "a_changed_ref_needs_an_update",
        e.replace(&v1, "<v1>")
            .replace(&repo.display().to_string(), "<repo>")
            .replace(&root.display().to_string(), "<root>")
    );
    load(true).unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(locked(), std::slice::from_ref(&v2));
    load(false).unwrap_or_else(|d| panic!("{d}"));

    // An unreachable source names itself and quotes git.
    let gone = root.join("gone");
    let text = format!(
        "{HEAD}modules:\n  sg:\n    source: \"git::file://{}?ref=v1\"\n",
        gone.display()
    );
    std::fs::write(stack_dir.join("main.yaml"), text).unwrap_or_else(|e| panic!("{e}"));
    let e = load(false).err().map(|d| d.to_string()).unwrap_or_default();
    let gone = gone.display().to_string();
    assert!(
        e.contains(&format!("cannot fetch `git::file://{gone}?ref=v1`")),
        "{e}"
    );
    assert!(
        e.contains(&format!("git clone file://{gone} failed: fatal:")),
        "{e}"
    );
}

/// A module reading the region's zones itself.
const ZONES: &str = r#"
inputs:
  cidr: {type: string}
data:
  azs:
    type: aws.ec2.availability_zones
    state: available
resources:
  subnet:
    type: aws.ec2.subnet
    vpc_id: vpc-1
    cidr_block: "${vars.cidr}"
    availability_zone: "${data.azs.names[0]}"
outputs:
  zone: "${data.azs.names[0]}"
"#;

#[test]
fn a_module_declares_data_sources_of_its_own() {
    let stack = load_with(
        &format!(
            "{HEAD}data:\n  azs: {{type: aws.ec2.availability_zones}}\nmodules:\n  z:\n    source: ../modules/zones\n    count: 2\n    inputs: {{cidr: \"10.0.${{count.index}}.0/24\"}}\n"
        ),
        &[("modules/zones/main.yaml", ZONES)],
    )
    .unwrap_or_else(|d| panic!("{d}"));
    let names: Vec<String> = stack.data.iter().map(|i| i.address.to_string()).collect();
    assert_eq!(
        names,
        ["azs", "module.z[0].data.azs", "module.z[1].data.azs"]
    );
    assert_eq!(stack.data[1].module, "module.z[0]");
    let pos = stack.data[1]
        .pos
        .clone()
        .unwrap_or_else(|| panic!("no position"));
    assert!(pos.file.ends_with("modules/zones/main.yaml"), "{pos:?}");
    assert_eq!(
        forge_core::spec::data_address(&stack.data[1].address),
        "module.z[0].data.azs"
    );

    // Each instance reads its own lookup's result; the stack its own.
    let mut stack = stack;
    let zones =
        |z: &str| Value::Map([("names".to_string(), Value::List(vec![Value::string(z)]))].into());
    stack.data_values.insert("azs".into(), zones("root-a"));
    stack
        .data_values
        .insert("module.z[0].data.azs".into(), zones("zero-a"));
    stack
        .data_values
        .insert("module.z[1].data.azs".into(), zones("one-a"));
    let resources: BTreeMap<String, Value> = BTreeMap::new();
    for (i, zone) in [(0, "zero-a"), (1, "one-a")] {
        let subnet = stack
            .instance(&addr(&format!("module.z[{i}].subnet")))
            .unwrap_or_else(|| panic!("no subnet"));
        let attrs = stack
            .evaluate_instance(subnet, &resources)
            .unwrap_or_else(|d| panic!("{d}"));
        assert_eq!(attrs["availability_zone"], Value::string(zone));
    }
}

#[test]
fn a_modules_data_source_errors_are_in_its_file() {
    let bad = ZONES
        .replace("state: available", "state: available\n    sate: x")
        .replace(
            "data.azs.names[0]}\"\noutputs",
            "data.azz.names[0]}\"\noutputs",
        );
    insta::assert_snapshot!(errors_with(
        &format!(
            "{HEAD}modules:\n  z:\n    source: ../modules/zones\n    inputs: {{cidr: 10.0.1.0/24}}\n"
        ),
        &[("modules/zones/main.yaml", &bad)],
    ));
}

/// A module's local over an input the caller computes from a resource is
/// evaluated at apply, in the module: not a value frozen unknown at load.
#[test]
fn a_module_local_over_an_input_known_at_apply_is_evaluated_then() {
    const TAGGED: &str = r#"
inputs:
  vpc_id: {type: string}
locals:
  name: "sg-${vars.vpc_id}"
  label: "${upper(local.name)}"
resources:
  this:
    type: aws.ec2.security_group
    group_name: "${local.name}"
    description: "${local.label}"
    vpc_id: "${vars.vpc_id}"
outputs:
  name: "${local.name}"
"#;
    let stack = load_with(
        &format!(
            "{HEAD}resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\nmodules:\n  tagged:\n    source: ../modules/tagged\n    inputs: {{vpc_id: \"${{vpc.id}}\"}}\noutputs:\n  name: \"${{module.tagged.name}}\"\n"
        ),
        &[("modules/tagged/main.yaml", TAGGED)],
    )
    .unwrap_or_else(|d| panic!("{d}"));
    let group = stack
        .instance(&addr("module.tagged.this"))
        .unwrap_or_else(|| panic!("no group"));
    assert!(group.dependencies.contains(&addr("vpc")), "{group:?}");
    // Before apply: unknown, as the VPC's id.
    let none: BTreeMap<String, Value> = BTreeMap::new();
    let attrs = stack
        .evaluate_instance(group, &none)
        .unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(attrs["group_name"], Value::Unknown);
    // Once the VPC exists, the locals follow it.
    let mut resources = BTreeMap::new();
    resources.insert(
        "vpc".to_string(),
        Value::Map([("id".to_string(), Value::string("vpc-1"))].into()),
    );
    let attrs = stack
        .evaluate_instance(group, &resources)
        .unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(attrs["group_name"], Value::string("sg-vpc-1"));
    assert_eq!(attrs["description"], Value::string("SG-VPC-1"));
    let out = stack
        .evaluate_output(&stack.outputs[0], &resources)
        .unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(out, Value::string("sg-vpc-1"));
}
