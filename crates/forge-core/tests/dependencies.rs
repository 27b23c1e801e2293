//! `dependencies:`: other stacks' outputs as `${dependency.NAME.outputs.X}`,
//! served by a reader (here a fake one), by `mock_outputs` for the commands
//! that allow them, and refused with positioned errors otherwise.

use forge_core::spec::testing::network_schemas;
use forge_core::spec::{
    Config, DependencyReader, DependencyRequest, DependencyState, LoadOptions, Stack, load_stack,
    stack_dependencies,
};
use forge_core::value::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Answers every request with one state, and remembers the requests.
#[derive(Debug)]
struct Fake {
    command: &'static str,
    state: DependencyState,
    seen: Mutex<Vec<DependencyRequest>>,
    mocked: Mutex<Vec<String>>,
}

impl DependencyReader for Fake {
    fn command(&self) -> &str {
        self.command
    }

    fn read(&self, request: &DependencyRequest) -> Result<DependencyState, String> {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(request.clone());
        Ok(self.state.clone())
    }

    fn mocked(&self, _: &DependencyRequest, names: &[String]) {
        self.mocked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(names.iter().cloned());
    }
}

fn applied() -> DependencyState {
    DependencyState::Applied {
        outputs: BTreeMap::from([
            ("vpc_id".to_string(), Value::from("vpc-123")),
            ("cidr".to_string(), Value::from("10.1.0.0/16")),
            ("token".to_string(), Value::from("s3cr3t").sensitive()),
        ]),
        location: ".forge/state/network-dev.json".into(),
    }
}

fn not_applied() -> DependencyState {
    DependencyState::NotApplied {
        location: ".forge/state/network-dev.json".into(),
    }
}

const NETWORK: &str = "stack: network\nregion: us-east-1\nenvironments: {dev: {}}\nresources: {}\n";

fn app(extra_dep: &str, resources: &str) -> String {
    format!(
        "stack: app\nregion: us-east-1\nenvironments: {{dev: {{}}, prod: {{}}}}\n\
         dependencies:\n  network:\n    path: ../network\n{extra_dep}resources:\n{resources}"
    )
}

const SG: &str = "  sg:\n    type: aws.ec2.security_group\n    group_name: app\n    description: d\n    vpc_id: \"${dependency.network.outputs.vpc_id}\"\n";

struct Tree {
    dir: tempfile::TempDir,
}

impl Tree {
    fn new(app_text: &str) -> Tree {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir(dir.path().join(".git")).unwrap_or_else(|e| panic!("{e}"));
        for (sub, text) in [("network", NETWORK), ("app", app_text)] {
            std::fs::create_dir(dir.path().join(sub)).unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(dir.path().join(sub).join("main.yaml"), text)
                .unwrap_or_else(|e| panic!("{e}"));
        }
        Tree { dir }
    }

    fn app(&self) -> std::path::PathBuf {
        self.dir.path().join("app")
    }

    fn load(&self, reader: Option<Arc<Fake>>) -> Result<Stack, String> {
        let opts = LoadOptions {
            environment: Some("dev".into()),
            dependency_reader: reader.map(|r| r as Arc<dyn DependencyReader>),
            ..LoadOptions::default()
        };
        load_stack(&self.app(), &opts, &network_schemas()).map_err(|d| {
            d.to_string()
                .replace(&format!("{}/", self.dir.path().display()), "")
        })
    }
}

fn fake(command: &'static str, state: DependencyState) -> Arc<Fake> {
    Arc::new(Fake {
        command,
        state,
        seen: Mutex::new(Vec::new()),
        mocked: Mutex::new(Vec::new()),
    })
}

fn field(stack: &Stack, name: &str) -> Config {
    stack.instances[0].fields[name].clone()
}

#[test]
fn outputs_come_from_the_reader_for_the_same_environment() {
    let tree = Tree::new(&app("", SG));
    let reader = fake("apply", applied());
    let stack = tree
        .load(Some(reader.clone()))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(field(&stack, "vpc_id"), Config::literal("vpc-123"));
    let seen = reader.seen.lock().unwrap_or_else(|e| e.into_inner());
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].name, "network");
    assert_eq!(seen[0].environment.as_deref(), Some("dev"));
    assert_eq!(seen[0].path, tree.dir.path().join("network"));
}

#[test]
fn a_declared_environment_is_read_instead_of_the_loaded_one() {
    let tree = Tree::new(&app("    environment: prod\n", SG));
    let reader = fake("plan", applied());
    tree.load(Some(reader.clone()))
        .unwrap_or_else(|e| panic!("{e}"));
    let seen = reader.seen.lock().unwrap_or_else(|e| e.into_inner());
    assert_eq!(seen[0].environment.as_deref(), Some("prod"));
}

#[test]
fn sensitive_outputs_stay_sensitive_and_mixed_templates_evaluate_at_plan_time() {
    let resources = "  vpc:\n    type: aws.ec2.vpc\n    cidr_block: \"${dependency.network.outputs.cidr}\"\n    tags:\n      Token: \"${dependency.network.outputs.token}\"\n      Name: \"${vpc.id}-${dependency.network.outputs.vpc_id}\"\n";
    let tree = Tree::new(&app("", resources));
    let stack = tree
        .load(Some(fake("apply", applied())))
        .unwrap_or_else(|e| panic!("{e}"));
    let vpc = &stack.instances[0];
    let values = BTreeMap::from([(
        "vpc".to_string(),
        Value::Map(BTreeMap::from([(
            "id".to_string(),
            Value::from("vpc-self"),
        )])),
    )]);
    let attrs = stack
        .evaluate_instance(vpc, &values)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(attrs["cidr_block"], Value::from("10.1.0.0/16"));
    let tags = attrs["tags"].as_map().cloned().unwrap_or_default();
    assert!(tags["Token"].is_sensitive(), "{:?}", tags["Token"]);
    assert_eq!(tags["Name"], Value::from("vpc-self-vpc-123"));
}

#[test]
fn mock_outputs_serve_a_plan_while_the_dependency_has_no_state() {
    let tree = Tree::new(&app("    mock_outputs: {vpc_id: vpc-mock}\n", SG));
    let reader = fake("plan", not_applied());
    let stack = tree
        .load(Some(reader.clone()))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(field(&stack, "vpc_id"), Config::literal("vpc-mock"));
    // The reader is told, so the plan can say so.
    assert_eq!(
        *reader.mocked.lock().unwrap_or_else(|e| e.into_inner()),
        ["vpc_id"]
    );
    // ... and the outputs a state lacks, next to the real ones.
    let tree = Tree::new(&app("    mock_outputs: {vpc_id: vpc-mock, extra: x}\n", SG));
    let reader = fake("plan", applied());
    let stack = tree
        .load(Some(reader.clone()))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(field(&stack, "vpc_id"), Config::literal("vpc-123"));
    assert_eq!(
        *reader.mocked.lock().unwrap_or_else(|e| e.into_inner()),
        ["extra"]
    );
    // Without a reader (validate), the mocks; without mocks, unknown.
    let stack = tree.load(None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(field(&stack, "vpc_id"), Config::literal("vpc-mock"));
    let tree = Tree::new(&app("", SG));
    let stack = tree.load(None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(field(&stack, "vpc_id"), Config::Literal(Value::Unknown));
}

#[test]
fn apply_never_uses_mocks_and_names_the_dependency_to_apply_first() {
    let tree = Tree::new(&app("    mock_outputs: {vpc_id: vpc-mock}\n", SG));
    insta::assert_snapshot!(tree.load(Some(fake("apply", not_applied()))).unwrap_err());
    // Drift is not among the default commands.
    insta::assert_snapshot!(
        "drift_not_allowed",
        tree.load(Some(fake("drift", not_applied()))).unwrap_err()
    );
    let tree = Tree::new(&app("", SG));
    insta::assert_snapshot!(
        "no_mocks",
        tree.load(Some(fake("plan", not_applied()))).unwrap_err()
    );
}

#[test]
fn a_missing_output_is_an_error_at_the_reference() {
    let sg = SG.replace("outputs.vpc_id", "outputs.vpc_idd");
    let tree = Tree::new(&app("", &sg));
    insta::assert_snapshot!(tree.load(Some(fake("plan", applied()))).unwrap_err());
}

#[test]
fn bad_declarations_and_references_are_positioned_errors() {
    let sg = SG.replace("dependency.network.outputs", "dependency.netwrk.outputs");
    let extra = "    mock_outputs_allowed_commands: [plan, apply, plna]\n    enviroment: dev\n";
    let tree = Tree::new(&app(extra, &sg));
    insta::assert_snapshot!(tree.load(Some(fake("plan", applied()))).unwrap_err());
    let tree = Tree::new(&app("", SG).replace("../network", "../nowhere"));
    insta::assert_snapshot!("missing_path", tree.load(None).unwrap_err());
}

#[test]
fn declared_dependencies_are_listed_without_loading() {
    let tree = Tree::new(&app("    environment: prod\n", SG));
    let deps =
        stack_dependencies(&tree.app(), &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(deps.len(), 1);
    assert_eq!(deps[0].name, "network");
    assert_eq!(deps[0].environment.as_deref(), Some("prod"));
    assert_eq!(deps[0].path, tree.dir.path().join("network"));
    let none = stack_dependencies(&tree.dir.path().join("network"), &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(none.is_empty());
}
