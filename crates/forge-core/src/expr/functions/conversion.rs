//! Type conversion functions (`tobool`, `tolist`, `tomap`, `tonumber`,
//! `toset`, `tostring`), and the table entries of the functions the
//! evaluator implements itself (`try`, `can`, `sensitive`,
//! `nonsensitive`, `issensitive`).
//!
//! A collection converted to a list, set or map gets one element type, as
//! in Terraform: mixed strings, numbers and bools all become strings.

use super::{arg, collections::as_set, describe, to_number, to_string, type_of};
use hcl::Value as H;
use hcl::eval::FuncArgs;

/// The elements with one type: all strings when primitives are mixed
/// with strings; an error for mixes that have no common type.
pub(super) fn unify<'a>(items: impl Iterator<Item = &'a H> + Clone) -> Result<Vec<H>, String> {
    let kinds: Vec<&str> = items
        .clone()
        .filter(|v| !v.is_null())
        .map(type_of)
        .collect();
    let first = kinds.first().copied();
    if kinds.iter().all(|k| Some(*k) == first) {
        return Ok(items.cloned().collect());
    }
    let primitive = |k: &&str| matches!(*k, "string" | "number" | "bool");
    if kinds.iter().all(primitive) && kinds.contains(&"string") {
        return Ok(items
            .map(|v| match v {
                H::Null => H::Null,
                other => to_string(other).map_or(H::Null, H::from),
            })
            .collect());
    }
    Err(format!("the elements have no common type (found {})", {
        let mut k = kinds.clone();
        k.sort_unstable();
        k.dedup();
        k.join(", ")
    }))
}

pub(super) fn tobool(a: FuncArgs) -> Result<H, String> {
    match arg(&a, 0) {
        H::Null => Ok(H::Null),
        H::Bool(b) => Ok(H::Bool(*b)),
        H::String(s) if s == "true" => Ok(H::Bool(true)),
        H::String(s) if s == "false" => Ok(H::Bool(false)),
        H::String(s) => Err(format!(
            "cannot convert {s:?} to bool; only the strings \"true\" or \"false\" are allowed"
        )),
        other => Err(format!("cannot convert {} to bool", describe(other))),
    }
}

pub(super) fn tonumber(a: FuncArgs) -> Result<H, String> {
    match arg(&a, 0) {
        H::Null => Ok(H::Null),
        H::Number(n) => Ok(H::Number(*n)),
        v @ H::String(s) => to_number(v).map(super::num).ok_or_else(|| {
            format!(
                "cannot convert {s:?} to number; given string must be a decimal representation of a number"
            )
        }),
        other => Err(format!("cannot convert {} to number", describe(other))),
    }
}

pub(super) fn tostring(a: FuncArgs) -> Result<H, String> {
    match arg(&a, 0) {
        H::Null => Ok(H::Null),
        other => to_string(other)
            .map(H::from)
            .ok_or_else(|| format!("cannot convert a {} to string", type_of(other))),
    }
}

pub(super) fn tolist(a: FuncArgs) -> Result<H, String> {
    match arg(&a, 0) {
        H::Null => Ok(H::Null),
        H::Array(items) => unify(items.iter()).map(H::Array),
        other => Err(format!("cannot convert a {} to list", type_of(other))),
    }
}

pub(super) fn toset(a: FuncArgs) -> Result<H, String> {
    match arg(&a, 0) {
        H::Null => Ok(H::Null),
        H::Array(items) => Ok(H::Array(as_set(&unify(items.iter())?))),
        other => Err(format!("cannot convert a {} to set", type_of(other))),
    }
}

pub(super) fn tomap(a: FuncArgs) -> Result<H, String> {
    match arg(&a, 0) {
        H::Null => Ok(H::Null),
        H::Object(m) => {
            let values = unify(m.values())?;
            Ok(H::Object(m.keys().cloned().zip(values).collect()))
        }
        other => Err(format!("cannot convert a {} to map", type_of(other))),
    }
}

/// `try` where hcl-rs evaluates it: every argument was evaluated without
/// error, so the first one is the result.
pub(super) fn try_(a: FuncArgs) -> Result<H, String> {
    Ok(arg(&a, 0).clone())
}

/// `can` where hcl-rs evaluates it: the argument evaluated without error.
pub(super) fn can(_: FuncArgs) -> Result<H, String> {
    Ok(H::Bool(true))
}

/// `sensitive` / `nonsensitive` where hcl-rs evaluates them: the value is
/// unchanged (the evaluator marks the result of a computation sensitive
/// when anything it read was).
pub(super) fn identity(a: FuncArgs) -> Result<H, String> {
    Ok(arg(&a, 0).clone())
}

/// `issensitive` where hcl-rs evaluates it: the marks are gone there, so
/// it cannot answer.
pub(super) fn issensitive(_: FuncArgs) -> Result<H, String> {
    Err("issensitive() cannot be used inside a `for` expression or an operator's operand; use it on its own".into())
}

#[cfg(test)]
mod tests {
    use super::super::testing::check;

    // Cases from Terraform's conversion function tests
    // (internal/lang/funcs/conversion_test.go).

    #[test]
    fn conversions() {
        check(&[
            (r#"tostring("hello")"#, r#""hello""#),
            (r#"tostring("")"#, r#""""#),
            ("tostring(1)", r#""1""#),
            ("tostring(1.5)", r#""1.5""#),
            ("tostring(true)", r#""true""#),
            ("tostring(null)", "null"),
            ("tostring([])", "ERR"),
            ("tostring({})", "ERR"),
            ("tonumber(1)", "1"),
            (r#"tonumber("1")"#, "1"),
            (r#"tonumber("1.5")"#, "1.5"),
            ("tonumber(null)", "null"),
            (r#"tonumber("hello")"#, "ERR"),
            ("tonumber(true)", "ERR"),
            ("tonumber([])", "ERR"),
            ("tobool(true)", "true"),
            ("tobool(false)", "false"),
            (r#"tobool("true")"#, "true"),
            (r#"tobool("false")"#, "false"),
            ("tobool(null)", "null"),
            (r#"tobool("yes")"#, "ERR"),
            ("tobool(1)", "ERR"),
            ("tolist([])", "[]"),
            (r#"tolist(["a", "b"])"#, r#"["a","b"]"#),
            (r#"tolist(["a", 1, true])"#, r#"["a","1","true"]"#),
            (r#"tolist(["hello", true])"#, r#"["hello","true"]"#),
            (r#"toset(["hello", true])"#, r#"["hello","true"]"#),
            (
                r#"tomap({foo = "hello", bar = true})"#,
                r#"{"bar":"true","foo":"hello"}"#,
            ),
            (r#"tobool("a")"#, "ERR"),
            (r#"tostring(["a"])"#, "ERR"),
            (r#"tostring("a")"#, r#""a""#),
            ("tolist(null)", "null"),
            (r#"tolist("a")"#, "ERR"),
            (r#"tolist([{a = 1}, "b"])"#, "ERR"),
            (r#"toset(["b", "a", "b"])"#, r#"["a","b"]"#),
            (r#"toset(["a", 1])"#, r#"["1","a"]"#),
            ("toset([])", "[]"),
            ("toset(null)", "null"),
            (r#"toset("a")"#, "ERR"),
            (r#"tomap({a = "b", c = "d"})"#, r#"{"a":"b","c":"d"}"#),
            (r#"tomap({a = "b", c = 1})"#, r#"{"a":"b","c":"1"}"#),
            ("tomap({})", "{}"),
            ("tomap(null)", "null"),
            (r#"tomap({a = "b", c = ["d"]})"#, "ERR"),
            (r#"tomap(["a"])"#, "ERR"),
        ]);
    }
}
