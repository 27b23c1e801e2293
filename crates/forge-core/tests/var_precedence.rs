//! Where a var's value comes from, and which source wins (later wins):
//! default < the environment's `vars` < `FORGE_VAR_<name>` <
//! `forge.vars.yaml` < `<env>.vars.yaml` < `--var-file` < `--var`.
//! Var files by convention sit in the stack's folder and are never read as
//! spec files.

use forge_core::spec::testing::network_schemas;
use forge_core::spec::{LoadOptions, Stack, convention_var_files, load_stack};
use forge_core::{Diagnostics, Value};
use std::path::Path;

/// Seven vars `a`..`g`; source N of the precedence list sets vars N..g,
/// so var N shows which source won for it.
const STACK: &str = "stack: p\nregion: us-east-1\nvars:\n  a: default\n  b: default\n  c: default\n  d: default\n  e: default\n  f: default\n  g: default\n  secret: {type: string, sensitive: true}\nenvironments:\n  dev:\n    vars: {b: env, c: env, d: env, e: env, f: env, g: env}\nresources: {}\n";

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap_or_else(|e| panic!("{e}"));
}

fn load(dir: &Path, opts: &LoadOptions) -> Result<Stack, Diagnostics> {
    load_stack(dir, opts, &network_schemas())
}

fn pair(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

#[test]
fn each_source_beats_the_ones_before_it() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(dir.path(), "main.yaml", STACK);
    write(
        dir.path(),
        "forge.vars.yaml",
        "d: common\ne: common\nf: common\ng: common\n",
    );
    write(
        dir.path(),
        "dev.vars.yaml",
        "e: dev-file\nf: dev-file\ng: dev-file\n",
    );
    // Another environment's file is not read.
    write(dir.path(), "prod.vars.yaml", "a: prod-file\n");
    let given = dir.path().join("given.json");
    std::fs::write(&given, "{\"f\": \"var-file\", \"g\": \"var-file\"}")
        .unwrap_or_else(|e| panic!("{e}"));
    let opts = LoadOptions {
        environment: Some("dev".into()),
        env_vars: ["c", "d", "e", "f", "g", "secret"]
            .map(|k| pair(k, "forge-var"))
            .into_iter()
            // Undeclared: another stack's var, ignored.
            .chain([pair("other_stacks_var", "x")])
            .collect(),
        var_files: vec![given],
        vars: vec![pair("g", "cli")],
        ..Default::default()
    };
    let stack = load(dir.path(), &opts).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<String> = ["a", "b", "c", "d", "e", "f", "g"]
        .iter()
        .map(|k| match stack.vars.get(*k) {
            Some(Value::String(s)) => s.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        got,
        [
            "default",
            "env",
            "forge-var",
            "common",
            "dev-file",
            "var-file",
            "cli"
        ]
    );
    // A sensitive var set from the environment stays sensitive.
    let secret = stack.vars.get("secret").cloned().unwrap_or(Value::Null);
    assert!(secret.is_sensitive(), "{secret:?}");
    assert_eq!(secret.unmarked(), Value::from("forge-var"));
}

#[test]
fn convention_files_are_found_in_order_and_are_not_spec_files() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(dir.path(), "main.yaml", STACK);
    write(dir.path(), "forge.vars.yml", "a: common\n");
    write(dir.path(), "dev.vars.yaml", "a: dev-file\n");
    let names = |env: Option<&str>| -> Vec<String> {
        convention_var_files(dir.path(), env)
            .iter()
            .filter_map(|p| p.file_name()?.to_str().map(str::to_string))
            .collect()
    };
    assert_eq!(names(Some("dev")), ["forge.vars.yml", "dev.vars.yaml"]);
    assert_eq!(names(Some("prod")), ["forge.vars.yml"]);
    // A one-file stack looks next to its file.
    let one_file: Vec<_> = convention_var_files(&dir.path().join("main.yaml"), Some("dev"));
    assert_eq!(one_file.len(), 2);
    // The var files do not count as spec files (they would be top-level
    // keys `a:` that the spec does not know).
    let opts = LoadOptions {
        environment: Some("dev".into()),
        vars: vec![pair("secret", "s")],
        ..Default::default()
    };
    let stack = load(dir.path(), &opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stack.vars.get("a"), Some(&Value::from("dev-file")));
}

#[test]
fn a_bad_forge_var_names_its_source_and_never_shows_the_value() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(
        dir.path(),
        "main.yaml",
        "stack: p\nregion: us-east-1\nvars:\n  n: {type: number, default: 1}\nresources: {}\n",
    );
    let opts = LoadOptions {
        env_vars: vec![pair("n", "hunter2")],
        ..Default::default()
    };
    let err = load(dir.path(), &opts).err().unwrap_or_default();
    let text = err.to_string();
    assert!(text.contains("FORGE_VAR_n"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn a_missing_var_hints_at_every_source() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(dir.path(), "main.yaml", STACK);
    let opts = LoadOptions {
        environment: Some("dev".into()),
        ..Default::default()
    };
    let err = load(dir.path(), &opts).err().unwrap_or_default();
    let text = err.to_string();
    assert!(text.contains("var `secret` has no value"), "{text}");
    assert!(text.contains("FORGE_VAR_secret"), "{text}");
}
