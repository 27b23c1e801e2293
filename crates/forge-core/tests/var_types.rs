//! Var types beyond the primitives (`object` with `optional`, `set`,
//! `tuple`, nested), converted as Terraform converts them, and
//! `validation:` rules; errors pinned by insta snapshots.

use forge_core::spec::testing::network_schemas;
use forge_core::spec::{LoadOptions, Stack, load_stack};
use forge_core::{Diagnostics, Value};

const HEAD: &str = "stack: t\nregion: us-east-1\n";

fn load_with(body: &str, opts: &LoadOptions) -> Result<Stack, String> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("main.yaml");
    std::fs::write(&path, format!("{HEAD}{body}")).unwrap_or_else(|e| panic!("{e}"));
    load_stack(&path, opts, &network_schemas()).map_err(|d: Diagnostics| {
        d.to_string()
            .replace(&format!("{}/", dir.path().display()), "")
    })
}

fn load(body: &str) -> Result<Stack, String> {
    load_with(body, &LoadOptions::default())
}

fn errors(body: &str) -> String {
    load(body)
        .err()
        .unwrap_or_else(|| panic!("expected errors"))
}

fn json(text: &str) -> Value {
    Value::from_json(&serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}")))
}

const SERVERS: &str = "vars:\n  servers:\n    type: \"list(object({name = string, port = optional(number, 80), tags = optional(map(string))}))\"\n    default:\n      - {name: web, port: \"8080\", note: dropped}\n      - {name: api}\n  azs: {type: set(string), default: [b, a, b]}\n  pair: {type: \"tuple([string, number])\", default: [x, \"2\"]}\n";

#[test]
fn objects_sets_and_tuples_convert_as_terraform() {
    let stack = load(SERVERS).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        stack.vars.get("servers"),
        Some(&json(
            r#"[{"name": "web", "port": 8080, "tags": null}, {"name": "api", "port": 80, "tags": null}]"#
        ))
    );
    assert_eq!(stack.vars.get("azs"), Some(&json(r#"["a", "b"]"#)));
    assert_eq!(stack.vars.get("pair"), Some(&json(r#"["x", 2]"#)));
}

#[test]
fn objects_from_the_command_line() {
    let opts = LoadOptions {
        vars: vec![("servers".into(), r#"[{"name": "db", "port": 5432}]"#.into())],
        ..Default::default()
    };
    let stack = load_with(SERVERS, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        stack.vars.get("servers"),
        Some(&json(r#"[{"name": "db", "port": 5432, "tags": null}]"#))
    );
    let opts = LoadOptions {
        vars: vec![("servers".into(), r#"[{"port": 1}]"#.into())],
        ..Default::default()
    };
    let e = load_with(SERVERS, &opts).err().unwrap_or_default();
    assert!(
        e.contains("--var servers: attribute `name` is required (at `[0]`)"),
        "{e}"
    );
}

#[test]
fn wrong_object_attribute_type() {
    insta::assert_snapshot!(errors(&format!(
        "{SERVERS}environments:\n  dev:\n    vars:\n      servers:\n        - name: web\n          port: eighty\ndefault_environment: dev\n"
    )));
}

#[test]
fn missing_object_attribute() {
    insta::assert_snapshot!(errors(&format!(
        "{SERVERS}environments:\n  dev:\n    vars:\n      servers: [{{name: a}}, {{port: 1}}]\n      pair: [a, b]\ndefault_environment: dev\n"
    )));
}

#[test]
fn invalid_type_expressions() {
    insta::assert_snapshot!(errors(
        "vars:\n  a: {type: \"lst(string)\"}\n  b: {type: \"object({p = optional(number, \\\"x\\\")})\"}\n  c: {type: \"optional(string)\"}\n  d: {type: \"object({p = number})\", default: {p: [1]}}\n"
    ));
}

const VALIDATED: &str = "vars:\n  cidr:\n    type: string\n    default: 10.0.0.0/16\n    validation:\n      condition: \"${endswith(vars.cidr, \\\"/16\\\")}\"\n      error_message: \"cidr must be a /16, got ${vars.cidr}\"\n  name:\n    default: app\n    validation:\n      - {condition: \"${length(vars.name) <= 8}\", error_message: too long}\n      - {condition: \"${can(regex(\\\"^[a-z]+$\\\", vars.name))}\", error_message: lowercase letters only}\n  secret:\n    type: string\n    sensitive: true\n    default: hunter2\n    validation:\n      condition: \"${length(vars.secret) >= 12}\"\n      error_message: \"too short: ${vars.secret}\"\n";

#[test]
fn validation_passes_and_is_skipped_for_unknown_values() {
    let ok = VALIDATED.replace("default: hunter2", "default: correct-horse-battery");
    load(&ok).unwrap_or_else(|e| panic!("{e}"));
    // A read-only command with the secret unset: its rule is not checked.
    let unset = VALIDATED.replace("    default: hunter2\n", "");
    let opts = LoadOptions {
        allow_unset_secrets: true,
        ..Default::default()
    };
    load_with(&unset, &opts).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn failing_validation() {
    let opts = LoadOptions {
        vars: vec![
            ("cidr".into(), "10.1.0.0/24".into()),
            ("name".into(), "Application".into()),
        ],
        ..Default::default()
    };
    insta::assert_snapshot!(load_with(VALIDATED, &opts).err().unwrap_or_default());
}

#[test]
fn malformed_validation() {
    insta::assert_snapshot!(errors(
        "vars:\n  a:\n    default: 1\n    validation: {condition: \"${vars.a > 0}\", message: x}\n  b:\n    default: 1\n    validation: [yes]\n  c:\n    default: 1\n    validation: {condition: \"${vars.a}\", error_message: x}\n"
    ));
}
