//! Variable types, as Terraform writes and converts them: `string`,
//! `number`, `bool`, `any`, `list(T)`, `set(T)`, `map(T)`,
//! `object({name = T, port = optional(number, 80)})`, `tuple([T, ...])`,
//! nested freely.
//!
//! A type is written as text (`type: "map(object({cidr = string}))"`) and
//! parsed as the HCL expression it is, like Terraform does. A value is
//! *converted* to its var's type the way Terraform converts it: numbers
//! and bools to strings and back (`"8080"` for a number), lists to sets
//! (distinct, in a canonical order) and tuples, maps to objects (missing
//! optional attributes get their default or null, attributes the type
//! does not declare are dropped). A value that cannot be converted is an
//! error naming the path inside the value (`[0].port`).

use crate::expr::{Parsed, Scope, evaluate, parse};
use crate::value::Value;
use hcl::expr::{Expression, ObjectKey};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

/// A variable's type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum VarType {
    String,
    Number,
    Bool,
    Any,
    List(Box<VarType>),
    /// A list of distinct elements, kept in a canonical order.
    Set(Box<VarType>),
    Map(Box<VarType>),
    Object(Vec<Attr>),
    Tuple(Vec<VarType>),
}

/// One attribute of an `object({...})` type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Attr {
    pub name: String,
    pub ty: VarType,
    /// `optional(T)` / `optional(T, default)`: may be left out.
    pub optional: bool,
    /// The default of `optional(T, default)`, converted to `T`.
    pub default: Option<Value>,
}

impl fmt::Display for VarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VarType::String => write!(f, "string"),
            VarType::Number => write!(f, "number"),
            VarType::Bool => write!(f, "bool"),
            VarType::Any => write!(f, "any"),
            VarType::List(t) => write!(f, "list({t})"),
            VarType::Set(t) => write!(f, "set({t})"),
            VarType::Map(t) => write!(f, "map({t})"),
            VarType::Object(attrs) => {
                write!(f, "object({{")?;
                for (i, a) in attrs.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    match (a.optional, &a.default) {
                        (false, _) => write!(f, "{sep}{} = {}", a.name, a.ty)?,
                        (true, None) => write!(f, "{sep}{} = optional({})", a.name, a.ty)?,
                        (true, Some(d)) => {
                            write!(f, "{sep}{} = optional({}, {})", a.name, a.ty, d.to_json())?
                        }
                    }
                }
                write!(f, "}})")
            }
            VarType::Tuple(items) => {
                write!(f, "tuple([")?;
                for (i, t) in items.iter().enumerate() {
                    write!(f, "{}{t}", if i == 0 { "" } else { ", " })?;
                }
                write!(f, "])")
            }
        }
    }
}

/// Parses a type as written in a var's `type:`. The error says what is
/// wrong (the loader adds where).
pub(crate) fn parse_var_type(text: &str) -> Result<VarType, String> {
    let parsed = parse(&format!("${{{}}}", text.trim())).map_err(|e| e.message)?;
    let Parsed::Expr(expr) = parsed else {
        return Err("not a type expression".into());
    };
    type_of(&expr)
}

fn type_of(expr: &Expression) -> Result<VarType, String> {
    match expr {
        Expression::Variable(v) => match v.as_str() {
            "string" => Ok(VarType::String),
            "number" => Ok(VarType::Number),
            "bool" => Ok(VarType::Bool),
            "any" => Ok(VarType::Any),
            "list" => Ok(VarType::List(Box::new(VarType::Any))),
            "set" => Ok(VarType::Set(Box::new(VarType::Any))),
            "map" => Ok(VarType::Map(Box::new(VarType::Any))),
            other => Err(format!("unknown type `{other}`")),
        },
        Expression::Parenthesis(e) => type_of(e),
        Expression::FuncCall(call) if call.name.namespace.is_empty() => {
            let name = call.name.name.as_str();
            let one = || -> Result<&Expression, String> {
                match call.args.as_slice() {
                    [a] => Ok(a),
                    _ => Err(format!("`{name}(...)` takes one argument")),
                }
            };
            match name {
                "list" => Ok(VarType::List(Box::new(type_of(one()?)?))),
                "set" => Ok(VarType::Set(Box::new(type_of(one()?)?))),
                "map" => Ok(VarType::Map(Box::new(type_of(one()?)?))),
                "tuple" => match one()? {
                    Expression::Array(items) => {
                        items.iter().map(type_of).collect::<Result<_, _>>().map(VarType::Tuple)
                    }
                    _ => Err("`tuple` takes a list of types: tuple([string, number])".into()),
                },
                "object" => match one()? {
                    Expression::Object(obj) => object_type(obj),
                    _ => Err("`object` takes a map of attribute types: object({name = string})".into()),
                },
                "optional" => Err("`optional(...)` may only be an attribute's type inside `object({...})`".into()),
                other => Err(format!("unknown type constructor `{other}`")),
            }
        }
        _ => Err("not a type: use string, number, bool, any, list(T), set(T), map(T), object({...}) or tuple([...])".into()),
    }
}

fn object_type(obj: &hcl::expr::Object<ObjectKey, Expression>) -> Result<VarType, String> {
    let mut attrs: Vec<Attr> = Vec::new();
    for (key, value) in obj {
        let name = match key {
            ObjectKey::Identifier(id) => id.to_string(),
            ObjectKey::Expression(Expression::Variable(v)) => v.to_string(),
            ObjectKey::Expression(Expression::String(s)) => s.clone(),
            _ => return Err("object attribute names must be names".into()),
        };
        let attr = match value {
            Expression::FuncCall(call)
                if call.name.namespace.is_empty() && call.name.name.as_str() == "optional" =>
            {
                let (ty, default) = match call.args.as_slice() {
                    [t] => (type_of(t)?, None),
                    [t, d] => {
                        let ty = type_of(t)?;
                        let raw = constant(d).map_err(|e| {
                            format!("the default of optional attribute `{name}`: {e}")
                        })?;
                        let d = convert(raw, &ty).map_err(|e| {
                            format!("the default of optional attribute `{name}`: {e}")
                        })?;
                        (ty, Some(d))
                    }
                    _ => {
                        return Err(
                            "`optional` takes a type and a default: optional(number, 80)".into(),
                        );
                    }
                };
                Attr {
                    name,
                    ty,
                    optional: true,
                    default,
                }
            }
            other => Attr {
                name,
                ty: type_of(other)?,
                optional: false,
                default: None,
            },
        };
        if attrs.iter().any(|a| a.name == attr.name) {
            return Err(format!("attribute `{}` is declared twice", attr.name));
        }
        attrs.push(attr);
    }
    Ok(VarType::Object(attrs))
}

/// A default written in a type: a constant expression (functions work,
/// names do not).
fn constant(expr: &Expression) -> Result<Value, String> {
    let vars = BTreeMap::new();
    let scope = Scope {
        vars: &vars,
        env: "",
        stack: "",
        region: "",
        each: None,
        resources: None,
        files: None,
        locals: None,
        dependency: None,
        data: None,
    };
    evaluate(&Parsed::Expr(expr.clone()), &scope).map_err(|e| e.message)
}

/// Why a value does not fit a type, and where inside the value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TypeError {
    /// Path inside the value (`[0]`, `.port`), from its top.
    pub path: Vec<Step>,
    /// What is wrong there.
    pub message: String,
}

/// One step of a [`TypeError`] path.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Step {
    Index(usize),
    Key(String),
}

impl TypeError {
    fn at(mut self, step: Step) -> Self {
        self.path.insert(0, step);
        self
    }

    /// The path as written in an expression: `[0].port`, `web.cidr`.
    pub fn path_text(&self) -> String {
        let mut out = String::new();
        for step in &self.path {
            match step {
                Step::Index(i) => out.push_str(&format!("[{i}]")),
                Step::Key(k) if out.is_empty() => out.push_str(k),
                Step::Key(k) => out.push_str(&format!(".{k}")),
            }
        }
        out
    }
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{} (at `{}`)", self.message, self.path_text())
        }
    }
}

fn mismatch(ty: &VarType, value: &Value) -> TypeError {
    TypeError {
        path: Vec::new(),
        message: format!(
            "expected {ty}, got {}",
            super::typecheck::describe_value(value)
        ),
    }
}

/// Converts `value` to `ty` as Terraform does (see the module docs).
/// Unknown values pass unchanged (they are checked when known), null
/// fits any type, sensitivity is kept.
pub(crate) fn convert(value: Value, ty: &VarType) -> Result<Value, TypeError> {
    match (ty, value) {
        (_, Value::Unknown) => Ok(Value::Unknown),
        (_, Value::Null) => Ok(Value::Null),
        (_, Value::Sensitive(inner)) => convert(*inner, ty).map(Value::sensitive),
        (VarType::Any, v) => Ok(v),
        (VarType::String, Value::String(s)) => Ok(Value::String(s)),
        (VarType::String, Value::Number(n)) => Ok(Value::String(n.to_string())),
        (VarType::String, Value::Bool(b)) => Ok(Value::String(b.to_string())),
        (VarType::Number, Value::Number(n)) => Ok(Value::Number(n)),
        (VarType::Number, Value::String(s)) => match number(&s) {
            Some(n) => Ok(n),
            None => Err(mismatch(ty, &Value::String(s))),
        },
        (VarType::Bool, Value::Bool(b)) => Ok(Value::Bool(b)),
        (VarType::Bool, Value::String(s)) if s == "true" || s == "false" => {
            Ok(Value::Bool(s == "true"))
        }
        (VarType::List(item), Value::List(items)) => convert_items(items, item).map(Value::List),
        (VarType::Set(item), Value::List(items)) => {
            let mut items = convert_items(items, item)?;
            items.sort_by(set_order);
            items.dedup();
            Ok(Value::List(items))
        }
        (VarType::Tuple(types), Value::List(items)) => {
            if items.len() != types.len() {
                return Err(TypeError {
                    path: Vec::new(),
                    message: format!("expected {ty}, got a list of {} elements", items.len()),
                });
            }
            items
                .into_iter()
                .zip(types)
                .enumerate()
                .map(|(i, (v, t))| convert(v, t).map_err(|e| e.at(Step::Index(i))))
                .collect::<Result<_, _>>()
                .map(Value::List)
        }
        (VarType::Map(item), Value::Map(map)) => map
            .into_iter()
            .map(|(k, v)| match convert(v, item) {
                Ok(v) => Ok((k, v)),
                Err(e) => Err(e.at(Step::Key(k))),
            })
            .collect::<Result<_, _>>()
            .map(Value::Map),
        (VarType::Object(attrs), Value::Map(mut map)) => {
            let mut out = BTreeMap::new();
            for a in attrs {
                let v = match map.remove(&a.name) {
                    Some(v) => convert(v, &a.ty).map_err(|e| e.at(Step::Key(a.name.clone())))?,
                    None if a.optional => a.default.clone().unwrap_or(Value::Null),
                    None => {
                        return Err(TypeError {
                            path: Vec::new(),
                            message: format!("attribute `{}` is required", a.name),
                        });
                    }
                };
                out.insert(a.name.clone(), v);
            }
            // As Terraform: attributes the type does not declare are dropped.
            Ok(Value::Map(out))
        }
        (ty, v) => Err(mismatch(ty, &v)),
    }
}

fn convert_items(items: Vec<Value>, item: &VarType) -> Result<Vec<Value>, TypeError> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| convert(v, item).map_err(|e| e.at(Step::Index(i))))
        .collect()
}

/// A numeric string as a number (`"8080"`, `"1.5"`), as Terraform reads it.
fn number(s: &str) -> Option<Value> {
    let t = s.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Some(Value::int(i));
    }
    t.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
}

/// Set elements' canonical order: strings lexically, numbers by value,
/// anything else by its JSON text (the order the set functions use).
fn set_order(a: &Value, b: &Value) -> Ordering {
    match (a.unmarked(), b.unmarked()) {
        (Value::String(x), Value::String(y)) => x.cmp(&y),
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
        (x, y) => x.to_json().to_string().cmp(&y.to_json().to_string()),
    }
}

/// The type a shorthand variable's default implies.
pub(crate) fn infer_var_type(value: &Value) -> VarType {
    match value {
        Value::String(_) => VarType::String,
        Value::Number(_) => VarType::Number,
        Value::Bool(_) => VarType::Bool,
        Value::List(_) => VarType::List(Box::new(VarType::Any)),
        Value::Map(_) => VarType::Map(Box::new(VarType::Any)),
        _ => VarType::Any,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(text: &str) -> VarType {
        parse_var_type(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn json(text: &str) -> Value {
        Value::from_json(&serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}")))
    }

    #[test]
    fn types_parse_and_print() {
        for text in [
            "string",
            "list(map(string))",
            "set(number)",
            "tuple([string, number, bool])",
            "object({name = string, port = optional(number, 80), tags = optional(map(string))})",
            "map(object({cidr = string, azs = list(string)}))",
        ] {
            assert_eq!(ty(text).to_string(), text);
        }
        assert_eq!(ty("list").to_string(), "list(any)");
        assert_eq!(
            ty("object({a: string})").to_string(),
            "object({a = string})"
        );
        for bad in [
            "lst(string)",
            "list(string, number)",
            "optional(string)",
            "object([string])",
            "1",
        ] {
            assert!(parse_var_type(bad).is_err(), "{bad}");
        }
        assert!(parse_var_type("object({p = optional(number, \"x\")})").is_err());
    }

    #[test]
    fn converts_as_terraform() {
        let t =
            ty("list(object({name = string, port = optional(number, 80), tls = optional(bool)}))");
        let v = convert(
            json(r#"[{"name": "a", "port": "8080", "extra": 1}, {"name": 5}]"#),
            &t,
        );
        assert_eq!(
            v,
            Ok(json(
                r#"[{"name": "a", "port": 8080, "tls": null}, {"name": "5", "port": 80, "tls": null}]"#
            ))
        );
        let e = convert(
            json(r#"[{"name": "a"}, {"name": "b", "port": "http"}]"#),
            &t,
        );
        let e = e.err().unwrap_or_else(|| panic!("no error"));
        assert_eq!(e.path_text(), "[1].port");
        assert_eq!(
            e.to_string(),
            "expected number, got string \"http\" (at `[1].port`)"
        );
        let e = convert(json(r#"[{"port": 1}]"#), &t).err();
        assert_eq!(
            e.map(|e| e.to_string()),
            Some("attribute `name` is required (at `[0]`)".to_string())
        );
        assert_eq!(
            convert(json(r#"["b", "a", "b"]"#), &ty("set(string)")),
            Ok(json(r#"["a", "b"]"#))
        );
        assert_eq!(
            convert(json(r#"["1", true]"#), &ty("tuple([number, string])")),
            Ok(json(r#"[1, "true"]"#))
        );
        assert!(convert(json(r#"[1]"#), &ty("tuple([number, string])")).is_err());
        assert_eq!(convert(Value::Unknown, &ty("number")), Ok(Value::Unknown));
        assert_eq!(
            convert(Value::from("x").sensitive(), &ty("string")),
            Ok(Value::from("x").sensitive())
        );
    }
}
