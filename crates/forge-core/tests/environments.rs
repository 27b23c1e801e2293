//! Choosing the environment: `-e NAME`, else `default_environment`; a stack
//! that declares environments and has neither is an error (it would
//! otherwise plan a nameless environment: `${env}` empty in every name).
//! And listing a stack's environments (`stack_environments`), those of
//! its included files too.

use forge_core::spec::testing::network_schemas;
use forge_core::spec::{LoadOptions, Stack, load_stack, stack_environments};
use forge_core::{Diagnostics, Value};

const STACK: &str = "stack: mini\nregion: us-east-1\nvars:\n  cidr: 10.0.0.0/16\nenvironments:\n  dev:\n    vars: {cidr: 10.1.0.0/16}\n  prod:\n    vars: {cidr: 10.2.0.0/16}\ntags:\n  Name: \"${stack}-${env}\"\nresources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: \"${vars.cidr}\"\n";

fn load(text: &str, env: Option<&str>) -> Result<Stack, Diagnostics> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("main.yaml");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let opts = LoadOptions {
        environment: env.map(str::to_string),
        ..Default::default()
    };
    load_stack(&path, &opts, &network_schemas())
}

fn cidr(stack: &Stack) -> Option<Value> {
    stack.vars.get("cidr").cloned()
}

#[test]
fn a_stack_with_environments_needs_one() {
    let err = load(STACK, None).err().unwrap_or_default();
    assert_eq!(err.0.len(), 1, "{err}");
    let d = &err.0[0];
    assert!(d.message.contains("(dev, prod) but none was chosen"), "{d}");
    assert!(
        d.hint.as_deref().is_some_and(|h| h.contains("-e dev")),
        "{d}"
    );
    assert_eq!(d.pos.as_ref().map(|p| p.line), Some(5), "{d}");
}

#[test]
fn e_picks_the_environment() {
    let stack = load(STACK, Some("prod")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stack.environment.as_deref(), Some("prod"));
    assert_eq!(cidr(&stack), Some(Value::from("10.2.0.0/16")));
    assert_eq!(
        stack.tags.get("Name").map(String::as_str),
        Some("mini-prod")
    );
}

#[test]
fn default_environment_applies_without_e_and_e_overrides_it() {
    let text = STACK.replace("environments:", "default_environment: dev\nenvironments:");
    let stack = load(&text, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stack.environment.as_deref(), Some("dev"));
    assert_eq!(cidr(&stack), Some(Value::from("10.1.0.0/16")));
    assert_eq!(stack.tags.get("Name").map(String::as_str), Some("mini-dev"));
    let stack = load(&text, Some("prod")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stack.environment.as_deref(), Some("prod"));
}

#[test]
fn a_stack_without_environments_loads_without_e() {
    let text = STACK
        .split("environments:")
        .next()
        .map(|head| format!("{head}resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: \"${{vars.cidr}}\"\n"))
        .unwrap_or_default();
    let stack = load(&text, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stack.environment, None);
}

#[test]
fn default_environment_must_name_a_declared_one() {
    let text = STACK.replace("environments:", "default_environment: [dev]\nenvironments:");
    let err = load(&text, Some("dev")).err().unwrap_or_default();
    assert!(
        err.0[0].message.contains("must be an environment's name"),
        "{err}"
    );
    let text = "stack: s\nregion: us-east-1\ndefault_environment: dev\n";
    let err = load(text, None).err().unwrap_or_default();
    assert!(
        err.0[0]
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("declares no `environments`")),
        "{err}"
    );
}

/// A repository (a `.git` folder marks the root includes must stay under)
/// with the given files.
fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir(dir.path().join(".git")).unwrap_or_else(|e| panic!("{e}"));
    for (name, text) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    }
    dir
}

#[test]
fn environments_declared_in_included_files_count() {
    let dir = repo(&[
        (
            "_envcommon/envs.yaml",
            "environments:\n  staging: {}\n  prod:\n    vars: {cidr: 10.2.0.0/16}\n",
        ),
        (
            "_envcommon/more.yaml",
            "include: [envs.yaml]\nenvironments:\n  qa: {}\n",
        ),
        (
            "app/main.yaml",
            "include: [../_envcommon/more.yaml]\nstack: app\nregion: us-east-1\nenvironments:\n  dev: {}\n  prod:\n    region: eu-west-1\nresources: {}\n",
        ),
        ("app/outputs.yml", "outputs: {}\n"),
    ]);
    let names = stack_environments(&dir.path().join("app"), &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(names, ["dev", "prod", "qa", "staging"]);
    // The one file given, with its includes.
    let names = stack_environments(&dir.path().join("app/main.yaml"), &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(names, ["dev", "prod", "qa", "staging"]);
}

#[test]
fn environment_discovery_reports_what_the_loader_would() {
    let dir = repo(&[
        (
            "missing/main.yaml",
            "include: [../_envcommon/nope.yaml]\nstack: a\n",
        ),
        ("list/main.yaml", "stack: b\nenvironments: [dev, prod]\n"),
        ("broken/main.yaml", "stack: c\nenvironments:\n  dev: {\n"),
        ("none/main.yaml", "stack: d\nresources: {}\n"),
    ]);
    let envs = |sub: &str| stack_environments(&dir.path().join(sub), &LoadOptions::default());
    let err = envs("missing").err().unwrap_or_default();
    assert!(err.to_string().contains("nope.yaml"), "{err}");
    let err = envs("list").err().unwrap_or_default();
    assert!(
        err.to_string()
            .contains("`environments` must be a map, got list"),
        "{err}"
    );
    assert!(envs("broken").is_err());
    assert!(envs("absent").is_err());
    assert_eq!(
        envs("none").unwrap_or_else(|e| panic!("{e}")),
        Vec::<String>::new()
    );

    // An include outside the repository is refused, as the load refuses it.
    let outside = repo(&[("shared.yaml", "environments: {x: {}}\n")]);
    let stack = repo(&[(
        "s/main.yaml",
        &format!(
            "include: [{}]\nstack: s\n",
            outside.path().join("shared.yaml").display()
        ),
    )]);
    let err = stack_environments(&stack.path().join("s"), &LoadOptions::default())
        .err()
        .unwrap_or_default();
    assert!(
        err.to_string().contains("outside the stack's root"),
        "{err}"
    );
    let allowed = LoadOptions {
        allow_outside_root: true,
        ..Default::default()
    };
    assert_eq!(
        stack_environments(&stack.path().join("s"), &allowed).unwrap_or_else(|e| panic!("{e}")),
        ["x"]
    );
}
