//! Stack variables: declarations, and their values. Later wins:
//! 1. the declaration's `default`;
//! 2. the chosen environment's `vars`;
//! 3. `FORGE_VAR_<name>` in the process environment (undeclared names are
//!    ignored, like Terraform's `TF_VAR_`);
//! 4. var files by convention in the stack's folder: `forge.vars.yaml`,
//!    then `<env>.vars.yaml`;
//! 5. `--var-file` files, in the order given;
//! 6. `--var name=value`, in the order given.

use super::conditions::{RuleNodes, rule_nodes};
use super::var_types::{Step, VarType, convert, infer_var_type, parse_var_type};
use super::yaml::{Expect, Sources, node_kind, node_value};
use crate::diag::{Diagnostic, Diagnostics};
use crate::expr::did_you_mean;
use crate::spec::model::LoadOptions;
use crate::value::Value;
use indexmap::IndexMap;
use marked_yaml::types::{MarkedMappingNode, Node, Span};
use std::collections::BTreeMap;
use std::path::PathBuf;

const DECL_KEYS: &[&str] = &["type", "default", "description", "sensitive", "validation"];

/// One `vars:` entry.
#[derive(Debug, Clone)]
pub(crate) struct VarDecl {
    pub ty: VarType,
    pub default: Option<Value>,
    pub sensitive: bool,
    pub span: Span,
    /// `validation:` rules, checked once the value is resolved.
    pub validations: Vec<RuleNodes>,
}

/// Parses the `vars:` mapping.
pub(crate) fn parse_decls(
    node: &Node,
    sources: &Sources,
    diags: &mut Diagnostics,
) -> IndexMap<String, VarDecl> {
    let mut out = IndexMap::new();
    let Node::Mapping(map) = node else {
        diags.push(sources.diag(
            node.span(),
            "`vars` must be a map of variable names to declarations",
        ));
        return out;
    };
    for (name, decl) in map.iter() {
        let span = *name.span();
        let is_full = matches!(decl, Node::Mapping(m) if !m.is_empty() && m.keys().all(|k| DECL_KEYS.contains(&k.as_str())));
        let parsed = if is_full {
            let Node::Mapping(m) = decl else { continue };
            full_decl(name.as_str(), m, span, sources, diags)
        } else {
            let default = node_value(decl);
            Some(VarDecl {
                ty: infer_var_type(&default),
                default: Some(default),
                sensitive: false,
                span,
                validations: Vec::new(),
            })
        };
        if let Some(d) = parsed {
            out.insert(name.as_str().to_string(), d);
        }
    }
    out
}

fn full_decl(
    name: &str,
    m: &MarkedMappingNode,
    span: Span,
    sources: &Sources,
    diags: &mut Diagnostics,
) -> Option<VarDecl> {
    let ty = match m.get_node("type") {
        None => VarType::Any,
        Some(Node::Scalar(t)) => match parse_var_type(t.as_str()) {
            Ok(ty) => ty,
            Err(e) => {
                diags.push(
                    sources
                        .diag(
                            t.span(),
                            format!("var `{name}` has an invalid type `{}`: {e}", t.as_str()),
                        )
                        .with_hint("types: string, number, bool, any, list(T), set(T), map(T), tuple([T, ...]), object({name = T, other = optional(T, default)})"),
                );
                return None;
            }
        },
        Some(other) => {
            diags.push(sources.diag(
                other.span(),
                format!("the type of var `{name}` must be written as text, e.g. `list(string)`"),
            ));
            return None;
        }
    };
    let sensitive = match m.get_node("sensitive") {
        None => false,
        Some(n) => match node_value(n) {
            Value::Bool(b) => b,
            _ => {
                diags.push(sources.diag(
                    n.span(),
                    format!("`sensitive` of var `{name}` must be true or false"),
                ));
                false
            }
        },
    };
    let default = match m.get_node("default") {
        None => None,
        Some(n) => match convert(node_value(n), &ty) {
            Ok(v) => Some(v),
            Err(e) => {
                diags.push(sources.diag(
                    node_at(n, &e.path).span(),
                    format!("default of var `{name}` has the wrong type: {e}"),
                ));
                // Reported: keep it, so "has no value" is not reported too.
                Some(node_value(n))
            }
        },
    };
    let validations = m.get_node("validation").map_or_else(Vec::new, |n| {
        rule_nodes(n, &format!("validation of var `{name}`"), sources, diags)
    });
    Some(VarDecl {
        ty,
        default,
        sensitive,
        span,
        validations,
    })
}

/// Resolves every var's value (see the module docs for the order). `env`
/// is the chosen environment's name and `vars:` overlay; `by_convention`
/// the stack's conventional var files that exist.
pub(crate) fn resolve(
    decls: &IndexMap<String, VarDecl>,
    env: Option<(&str, &Node)>,
    by_convention: &[PathBuf],
    opts: &LoadOptions,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> BTreeMap<String, Value> {
    let mut values: BTreeMap<String, Value> = decls
        .iter()
        .filter_map(|(k, d)| d.default.clone().map(|v| (k.clone(), v)))
        .collect();
    if let Some((env_name, node)) = env {
        apply_map(
            decls,
            node,
            &format!("environment `{env_name}`"),
            sources,
            diags,
            &mut values,
        );
    }
    for (name, text) in &opts.env_vars {
        // Undeclared: another stack's var, not an error here.
        if let Some(decl) = decls.get(name) {
            let label = format!("FORGE_VAR_{name}");
            set_text((name, text), decl, (&label, None), diags, &mut values);
        }
    }
    for file in by_convention.iter().chain(&opts.var_files) {
        if let Some(map) = sources.parse_file(file, Expect::Vars, diags) {
            apply_map(
                decls,
                &Node::Mapping(map),
                &format!("var file {}", file.display()),
                sources,
                diags,
                &mut values,
            );
        }
    }
    for (name, text) in &opts.vars {
        let snippet = format!("--var {name}={text}");
        match decls.get(name) {
            Some(decl) => {
                let label = format!("--var {name}");
                let at = (label.as_str(), Some(snippet));
                set_text((name, text), decl, at, diags, &mut values);
            }
            None => diags.push(undefined(
                name,
                decls,
                Diagnostic::general(format!("--var sets undefined var `{name}`"))
                    .with_snippet(snippet),
            )),
        }
    }
    for (name, decl) in decls {
        match values.get_mut(name) {
            None if opts.allow_unset_vars || (decl.sensitive && opts.allow_unset_secrets) => {
                let unknown = if decl.sensitive {
                    Value::Unknown.sensitive()
                } else {
                    Value::Unknown
                };
                values.insert(name.clone(), unknown);
            }
            None => diags.push(
                sources
                    .diag(&decl.span, format!("var `{name}` has no value"))
                    .with_hint(format!("give it a `default`, set it in the environment's `vars` or a var file, or pass --var {name}=... (or FORGE_VAR_{name})")),
            ),
            Some(v) if decl.sensitive => *v = std::mem::take(v).sensitive(),
            Some(_) => {}
        }
    }
    values
}

/// Sets var `name` from text given outside the spec, parsed by its
/// declared type. `label` names where it came from in an error (`--var
/// n`, `FORGE_VAR_n`); `snippet` is shown with it (never for
/// `FORGE_VAR_`, whose value may be a secret, and neither is the value).
fn set_text(
    (name, text): (&str, &str),
    decl: &VarDecl,
    (label, snippet): (&str, Option<String>),
    diags: &mut Diagnostics,
    values: &mut BTreeMap<String, Value>,
) {
    match convert(parse_cli_value(text, &decl.ty), &decl.ty) {
        Ok(v) => {
            values.insert(name.to_string(), v);
        }
        Err(e) => {
            let d = match snippet {
                Some(snippet) => Diagnostic::general(format!("{label}: {e}")).with_snippet(snippet),
                // The error would quote the value, which may be a secret.
                None => Diagnostic::general(format!("{label}: the value is not {}", decl.ty)),
            };
            diags.push(d.with_hint(format!(
                "var `{name}` is {}; lists and maps use JSON/YAML flow syntax, e.g. '[\"a\", \"b\"]'",
                decl.ty
            )));
        }
    }
}

fn undefined(name: &str, decls: &IndexMap<String, VarDecl>, d: Diagnostic) -> Diagnostic {
    match did_you_mean(name, decls.keys().map(String::as_str)) {
        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
        None => d.with_hint("declare it under `vars:`"),
    }
}

fn apply_map(
    decls: &IndexMap<String, VarDecl>,
    node: &Node,
    origin: &str,
    sources: &Sources,
    diags: &mut Diagnostics,
    values: &mut BTreeMap<String, Value>,
) {
    let Node::Mapping(map) = node else {
        diags.push(sources.diag(
            node.span(),
            format!("vars of {origin} must be a map, got {}", node_kind(node)),
        ));
        return;
    };
    for (name, value) in map.iter() {
        let Some(decl) = decls.get(name.as_str()) else {
            diags.push(undefined(
                name.as_str(),
                decls,
                sources.diag(
                    name.span(),
                    format!("{origin} sets undefined var `{}`", name.as_str()),
                ),
            ));
            continue;
        };
        match convert(node_value(value), &decl.ty) {
            Ok(v) => {
                values.insert(name.as_str().to_string(), v);
            }
            Err(e) => diags.push(sources.diag(
                node_at(value, &e.path).span(),
                format!("var `{}` from {origin}: {e}", name.as_str()),
            )),
        }
    }
}

/// The node a conversion error's path leads to inside `node` (as deep as
/// the YAML goes), so the error points at the offending attribute.
fn node_at<'n>(node: &'n Node, path: &[Step]) -> &'n Node {
    let Some((step, rest)) = path.split_first() else {
        return node;
    };
    let next = match (step, node) {
        (Step::Index(i), Node::Sequence(s)) => s.get(*i),
        (Step::Key(k), Node::Mapping(m)) => m.get_node(k.as_str()),
        _ => None,
    };
    next.map_or(node, |n| node_at(n, rest))
}

/// `--var` text as a value of the var's type.
fn parse_cli_value(text: &str, ty: &VarType) -> Value {
    match ty {
        VarType::String => Value::string(text),
        VarType::Number => match text.trim().parse::<i64>() {
            Ok(i) => Value::int(i),
            Err(_) => text
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or_else(|| Value::string(text), Value::Number),
        },
        VarType::Bool => match text.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::string(text),
        },
        _ => match serde_yaml::from_str::<serde_json::Value>(text) {
            Ok(j) => Value::from_json(&j),
            Err(_) => Value::string(text),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_values_parse_by_type() {
        assert_eq!(parse_cli_value("3", &VarType::Number), Value::int(3));
        assert_eq!(parse_cli_value("3", &VarType::String), Value::from("3"));
        assert_eq!(parse_cli_value("true", &VarType::Bool), Value::Bool(true));
        assert_eq!(
            parse_cli_value(r#"["a", "b"]"#, &VarType::List(Box::new(VarType::String))),
            Value::List(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            parse_cli_value("{a: 1}", &VarType::Map(Box::new(VarType::Number))).get("a"),
            Some(&Value::int(1))
        );
    }
}
