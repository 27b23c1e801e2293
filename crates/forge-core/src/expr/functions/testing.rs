//! Test helpers: evaluate an expression through the whole evaluator and
//! compare its value (as JSON) with the expected one.

use crate::expr::{ExprError, Files, Scope, evaluate_source};
use crate::value::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Evaluates `${src}` with no names in scope and no spec file.
pub(crate) fn eval(src: &str) -> Result<Value, ExprError> {
    eval_with(src, None)
}

/// Evaluates `${src}` as if written in a spec file in `dir`.
pub(crate) fn eval_in(dir: &Path, src: &str) -> Result<Value, ExprError> {
    eval_with(src, Some(dir))
}

fn eval_with(src: &str, dir: Option<&Path>) -> Result<Value, ExprError> {
    let vars = BTreeMap::from([
        ("secret".to_string(), Value::from("hunter2").sensitive()),
        (
            "map".to_string(),
            Value::Map(BTreeMap::from([("a".to_string(), Value::from("b"))])),
        ),
    ]);
    let scope = Scope {
        vars: &vars,
        env: "dev",
        stack: "test",
        region: "us-east-1",
        each: None,
        resources: None,
        files: dir.map(|dir| Files {
            dir,
            confined: true,
        }),
        locals: None,
        dependency: None,
        data: None,
    };
    evaluate_source(&format!("${{{src}}}"), &scope)
}

fn run(cases: &[(&str, &str)], dir: Option<&Path>) {
    let mut failures = Vec::new();
    for (src, want) in cases {
        let got = match eval_with(src, dir) {
            Ok(v) => v.unmarked().to_json().to_string(),
            Err(e) => {
                if *want != "ERR" {
                    failures.push(format!("{src}: error {e}, expected {want}"));
                }
                continue;
            }
        };
        if *want == "ERR" {
            failures.push(format!("{src}: got {got}, expected an error"));
        } else if got != *want {
            failures.push(format!("{src}: got {got}, expected {want}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Checks each `(expression, expected JSON or "ERR")`.
pub(crate) fn check(cases: &[(&str, &str)]) {
    run(cases, None);
}

/// Like [`check`], with file functions reading from `dir`.
pub(crate) fn check_in(dir: &Path, cases: &[(&str, &str)]) {
    run(cases, Some(dir));
}
