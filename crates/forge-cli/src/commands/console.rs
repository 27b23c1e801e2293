//! `forge console`: evaluates expressions against a stack, its
//! environment and its state, as `terraform console` does. Resource
//! attributes come from the state (a resource not applied yet is
//! "(known after apply)"); vars, locals, `env`, `stack`, `region` and
//! every function work as in the spec. Interactive on a terminal (a plain
//! line reader), else one expression per line of stdin; `--expr` for one.

use super::common;
use super::{EXIT_ERROR, EXIT_OK};
use crate::cli::StackArgs;
use crate::output;
use forge_core::expr::{SCOPE_NAMES, analyze, did_you_mean, is_local_root, parse};
use forge_core::spec::{Config, Stack};
use forge_core::{Diagnostic, Value};
use forge_engine::values::{AttrValues, with_id};
use std::io::{BufRead, Write};

/// Runs `forge console [STACK] [-e ENV] [--expr EXPR]... [--json]`.
pub async fn run(args: &StackArgs, exprs: &[String], json: bool) -> anyhow::Result<u8> {
    let Some(loaded) = common::load_read_only(args)? else {
        return Ok(EXIT_ERROR);
    };
    let state = loaded.engine.read_state(loaded.backend.as_ref()).await?;
    // `data.*` reads what the stack's data sources find now.
    let (stack, _) =
        forge_engine::read_data(loaded.engine.registry(), &loaded.stack, &Default::default())
            .await?;
    let mut values = AttrValues::new();
    for r in state.iter().flat_map(|s| &s.resources) {
        if let Some(id) = &r.id {
            values.insert(r.address.clone(), with_id(r.attributes.clone(), id));
        }
    }
    let mut failed = false;
    let mut answer = |text: &str| match evaluate(&stack, &values, text) {
        Ok(v) if json => println!("{}", v.to_display_json()),
        Ok(v) => println!("{}", render(&v)),
        Err(d) => {
            failed = true;
            eprintln!("{}", output::render_diagnostic(&d));
        }
    };
    if !exprs.is_empty() {
        exprs.iter().for_each(|e| answer(e));
        return Ok(if failed { EXIT_ERROR } else { EXIT_OK });
    }
    let interactive = output::interactive();
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    loop {
        if interactive {
            print!("> ");
            std::io::stdout().flush()?;
        }
        let Some(line) = lines.next() else {
            break;
        };
        let line = line?;
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        if interactive && text == "exit" {
            break;
        }
        answer(text);
    }
    if interactive {
        println!();
    }
    // On a terminal an error is an answer like any other; from a pipe it
    // fails the run, so scripts notice.
    Ok(if failed && !interactive {
        EXIT_ERROR
    } else {
        EXIT_OK
    })
}

/// Evaluates one console expression (HCL expression syntax, no `${}`
/// needed) in the stack's scope, with resource attributes from `values`.
pub fn evaluate(stack: &Stack, values: &AttrValues, text: &str) -> Result<Value, Diagnostic> {
    let source = format!("${{{text}}}");
    let parsed = parse(&source).map_err(|e| {
        let mut d = Diagnostic::general(e.message).with_snippet(text);
        d.hint = e.hint;
        d
    })?;
    // A name that is neither in scope nor a resource of the stack is an
    // error, not a resource that is merely unknown yet.
    let mut names: Vec<&str> = stack
        .instances
        .iter()
        .map(|i| i.address.name.as_str())
        .collect();
    if !stack.data.is_empty() {
        names.push("data");
    }
    for r in analyze(&parsed).refs {
        let root = r.root.as_str();
        if SCOPE_NAMES.contains(&root) || is_local_root(root) || names.contains(&root) {
            continue;
        }
        let candidates = names
            .iter()
            .copied()
            .chain(SCOPE_NAMES.iter().copied())
            .chain(["local"]);
        let d =
            Diagnostic::general(format!("reference to undefined name `{root}`")).with_snippet(text);
        return Err(match did_you_mean(root, candidates) {
            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
            None => d.with_hint(
                "names in scope: vars, local, env, stack, region and the stack's resources",
            ),
        });
    }
    stack
        .evaluate_config(&Config::template(source), None, values)
        .map_err(|d| {
            let mut first =
                d.0.into_iter().next().unwrap_or_else(|| {
                    Diagnostic::general("the expression could not be evaluated")
                });
            first.snippet = Some(text.to_string());
            first
        })
}

/// A value as `terraform console` prints it: strings quoted, lists and
/// maps in HCL form over several lines, `(known after apply)`,
/// `(sensitive value)`.
pub fn render(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, 0);
    out
}

fn write_value(out: &mut String, v: &Value, indent: usize) {
    let pad = "  ".repeat(indent + 1);
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(&b.to_string()),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(&quote(s)),
        Value::Unknown => out.push_str("(known after apply)"),
        Value::Sensitive(_) => out.push_str("(sensitive value)"),
        Value::List(items) if items.is_empty() => out.push_str("[]"),
        Value::List(items) => {
            out.push_str("[\n");
            for item in items {
                out.push_str(&pad);
                write_value(out, item, indent + 1);
                out.push_str(",\n");
            }
            out.push_str(&"  ".repeat(indent));
            out.push(']');
        }
        Value::Map(map) if map.is_empty() => out.push_str("{}"),
        Value::Map(map) => {
            out.push_str("{\n");
            for (k, item) in map {
                out.push_str(&pad);
                out.push_str(&quote(k));
                out.push_str(" = ");
                write_value(out, item, indent + 1);
                out.push('\n');
            }
            out.push_str(&"  ".repeat(indent));
            out.push('}');
        }
    }
}

/// A string literal as HCL writes it.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    // `${` inside a string would read as a template.
    out.replace("${", "$${").replace("%{", "%%{")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn renders_like_terraform_console() {
        let v = Value::Map(BTreeMap::from([
            (
                "a".to_string(),
                Value::List(vec![Value::int(1), "x\"y".into()]),
            ),
            ("b".to_string(), Value::Unknown),
            ("c".to_string(), Value::from("s").sensitive()),
            ("d".to_string(), Value::Map(BTreeMap::new())),
            ("e".to_string(), Value::Null),
        ]));
        assert_eq!(
            render(&v),
            "{\n  \"a\" = [\n    1,\n    \"x\\\"y\",\n  ]\n  \"b\" = (known after apply)\n  \"c\" = (sensitive value)\n  \"d\" = {}\n  \"e\" = null\n}"
        );
        assert_eq!(render(&Value::from("${x}")), "\"$${x}\"");
        assert_eq!(render(&Value::Bool(true)), "true");
    }
}
