//! Evaluation with unknown and sensitive values.
//!
//! hcl-rs evaluates HCL but has no "unknown until apply" value, so the
//! structural parts of an expression (literals, lists, objects, variable
//! and attribute/index/splat traversals, the branches of a conditional) are
//! evaluated here, on forge values, where an unknown simply flows through:
//! `[a.id, b.id]` with `a.id` unknown is a list whose first element is
//! unknown. Everything that computes (operators, function calls, `for`
//! expressions, string templates) is handed to hcl-rs, but only after
//! every value it reads has been resolved statically (see `refs.rs`): if
//! any of them is not fully known, the result is unknown, because a
//! computation over a stand-in could produce a wrong known value
//! (`length(vpc.id)`, `vpc.id == ""`). Sensitivity is conservative: a
//! computed result is sensitive when anything it read is; structural
//! results keep the marks where they were.

use super::budget;
use super::convert::{from_hcl, to_hcl};
use super::did_you_mean;
use super::error::{ExprError, ExprErrorKind};
use super::functions::{self, FUNCTIONS, files};
use super::parse::{Parsed, parse};
use super::refs::{Analysis, RefOp, analyze_expr, analyze_template};
use super::scope::Scope;
use crate::value::Value;
use hcl::eval::{Context, Evaluate};
use hcl::expr::{Expression, FuncCall, ObjectKey, TraversalOperator};
use hcl::template::{Element, Strip};
use std::collections::BTreeMap;

/// Parses and evaluates a template string.
pub fn evaluate_source(source: &str, scope: &Scope<'_>) -> Result<Value, ExprError> {
    evaluate(&parse(source)?, scope)
}

/// Like [`evaluate_source`], but parses each distinct text once per thread
/// (the engine evaluates the same templates for many instances).
pub fn evaluate_cached(source: &str, scope: &Scope<'_>) -> Result<Value, ExprError> {
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<String, std::rc::Rc<Parsed>>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    let cached = CACHE.with(|c| c.borrow().get(source).cloned());
    let parsed = match cached {
        Some(p) => p,
        None => {
            let p = std::rc::Rc::new(parse(source)?);
            CACHE.with(|c| {
                let mut c = c.borrow_mut();
                // Bounded: a long-lived embedding process must not grow without limit.
                if c.len() >= 16_384 {
                    c.clear();
                }
                c.insert(source.to_string(), p.clone());
            });
            p
        }
    };
    evaluate(&parsed, scope)
}

/// Evaluates a parsed template.
pub fn evaluate(parsed: &Parsed, scope: &Scope<'_>) -> Result<Value, ExprError> {
    let ev = Evaluator { scope };
    match parsed {
        Parsed::Expr(e) => ev.expr(e),
        // Literal text and `${}` only: each interpolation is evaluated here,
        // so `try`, `can` and the mark functions work inside `"a-${...}"`.
        Parsed::Template(t) if is_plain(t) => ev.plain_template(t),
        Parsed::Template(t) => ev.computed(&analyze_template(t), |ctx| {
            let mut t = t.clone();
            budget::instrument_template(&mut t, false);
            t.evaluate(ctx).map(hcl::Value::String)
        }),
    }
}

/// A template of literal text and interpolations without `~` strip
/// markers (no `%{}` directives).
fn is_plain(t: &hcl::Template) -> bool {
    t.elements().iter().all(|e| match e {
        Element::Literal(_) => true,
        Element::Interpolation(i) => i.strip == Strip::None,
        Element::Directive(_) => false,
    })
}

struct Evaluator<'s, 'a> {
    scope: &'s Scope<'a>,
}

fn sensitive_if(v: Value, sensitive: bool) -> Value {
    if sensitive { v.sensitive() } else { v }
}

impl Evaluator<'_, '_> {
    fn expr(&self, expr: &Expression) -> Result<Value, ExprError> {
        match expr {
            Expression::Null => Ok(Value::Null),
            Expression::Bool(b) => Ok(Value::Bool(*b)),
            Expression::Number(n) => Ok(super::convert::number_from_hcl(n)),
            Expression::String(s) => Ok(Value::String(s.clone())),
            Expression::Array(items) => items
                .iter()
                .map(|e| self.expr(e))
                .collect::<Result<_, _>>()
                .map(Value::List),
            Expression::Object(obj) => {
                let mut out = BTreeMap::new();
                let mut tainted = false;
                let mut unknown_key = false;
                for (k, v) in obj {
                    let key = match k {
                        ObjectKey::Identifier(id) => id.to_string(),
                        // `{ name = 1 }` parses as a variable key expression; HCL treats it as the literal name.
                        ObjectKey::Expression(Expression::Variable(v)) => v.to_string(),
                        ObjectKey::Expression(e) => match self.expr(e)? {
                            Value::Unknown => {
                                unknown_key = true;
                                continue;
                            }
                            key => {
                                tainted |= key.is_sensitive();
                                match key.unmarked() {
                                    Value::String(s) => s,
                                    Value::Number(n) => n.to_string(),
                                    Value::Bool(b) => b.to_string(),
                                    other => {
                                        return Err(ExprError::eval(format!(
                                            "an object key must be a string, got {}",
                                            other.type_name()
                                        )));
                                    }
                                }
                            }
                        },
                        _ => return Err(ExprError::eval("unsupported object key")),
                    };
                    out.insert(key, self.expr(v)?);
                }
                // A key we cannot know means we cannot know the object's shape.
                if unknown_key {
                    return Ok(sensitive_if(Value::Unknown, tainted));
                }
                Ok(sensitive_if(Value::Map(out), tainted))
            }
            Expression::Variable(v) => Ok(self.scope.root(v.as_str())?.0),
            Expression::Traversal(t) => {
                let (base, lenient) = match &t.expr {
                    Expression::Variable(v) => {
                        let attr = match t.operators.first() {
                            Some(TraversalOperator::GetAttr(a)) => Some(a.as_str()),
                            _ => None,
                        };
                        self.scope.root_for(v.as_str(), attr)?
                    }
                    other => (self.expr(other)?, false),
                };
                self.traverse(base, &t.operators, lenient)
            }
            Expression::Parenthesis(e) => self.expr(e),
            Expression::Conditional(c) => match self.expr(&c.cond_expr)? {
                Value::Unknown => Ok(Value::Unknown),
                cond => {
                    let sensitive = cond.is_sensitive();
                    let branch = match cond.as_bool() {
                        Some(true) => &c.true_expr,
                        Some(false) => &c.false_expr,
                        None => {
                            return Err(ExprError::eval(format!(
                                "the condition of `? :` must be a bool, got {}",
                                cond.type_name()
                            )));
                        }
                    };
                    Ok(sensitive_if(self.expr(branch)?, sensitive))
                }
            },
            Expression::FuncCall(call) if call.name.namespace.is_empty() => self.call(call),
            // Templates, operators, `for` and anything newer hcl-rs adds.
            _ => self.computed(&analyze_expr(expr), |ctx| {
                let mut e = expr.clone();
                budget::instrument_expr(&mut e);
                e.evaluate(ctx)
            }),
        }
    }

    /// Applies traversal steps to a forge value, letting unknowns flow.
    fn traverse(
        &self,
        mut value: Value,
        ops: &[TraversalOperator],
        lenient: bool,
    ) -> Result<Value, ExprError> {
        for (i, op) in ops.iter().enumerate() {
            value = match op {
                TraversalOperator::GetAttr(name) => get_attr(value, name.as_str(), lenient)?,
                TraversalOperator::LegacyIndex(n) => index(value, Value::int(*n as i64))?,
                TraversalOperator::Index(e) => index(value, self.expr(e)?)?,
                TraversalOperator::FullSplat | TraversalOperator::AttrSplat => {
                    let rest = &ops[i + 1..];
                    // `[*]` applies every later step to each item; `.*` only the attribute steps right after it.
                    let split = if matches!(op, TraversalOperator::FullSplat) {
                        rest.len()
                    } else {
                        rest.iter()
                            .position(|o| !matches!(o, TraversalOperator::GetAttr(_)))
                            .unwrap_or(rest.len())
                    };
                    let (each, after) = rest.split_at(split);
                    let (items, sensitive) = match value {
                        Value::Unknown => return Ok(Value::Unknown),
                        Value::Sensitive(inner) => (splat_items(*inner), true),
                        other => (splat_items(other), false),
                    };
                    let mapped = items
                        .into_iter()
                        .map(|item| self.traverse(item, each, lenient))
                        .collect::<Result<Vec<_>, _>>()?;
                    let list = sensitive_if(Value::List(mapped), sensitive);
                    return self.traverse(list, after, lenient);
                }
            };
        }
        Ok(value)
    }

    /// Evaluates a computing expression with hcl-rs, if everything it reads
    /// is known.
    fn computed(
        &self,
        analysis: &Analysis,
        run: impl FnOnce(&Context<'_>) -> Result<hcl::Value, hcl::eval::Error>,
    ) -> Result<Value, ExprError> {
        if let Some(e) = analysis.errors.first() {
            return Err(e.clone());
        }
        for f in &analysis.funcs {
            if functions::function_info(&f.name).is_none() {
                return Err(unknown_function(&f.name));
            }
        }
        let mut unknown = false;
        let mut sensitive = false;
        let mut roots: BTreeMap<&str, Value> = BTreeMap::new();
        for r in &analysis.refs {
            let (root, lenient) = self.scope.root_for(&r.root, r.first_attr())?;
            if splats_instance_map(r, &root) {
                return Err(splat_error(&r.root));
            }
            let read = self.read(root.clone(), &r.ops, lenient)?;
            unknown |= r.truncated && !root.is_known();
            unknown |= !read.is_known();
            sensitive |= read.is_sensitive() || (r.truncated && root.is_sensitive());
            // `local.a` and `local.b` each bring a map of one local: join them.
            match (roots.get_mut(r.root.as_str()), root) {
                (Some(Value::Map(have)), Value::Map(more)) => have.extend(more),
                (_, root) => {
                    roots.insert(&r.root, root);
                }
            }
        }
        if unknown {
            return Ok(sensitive_if(Value::Unknown, sensitive));
        }
        let mut ctx = Context::new();
        for f in &analysis.funcs {
            functions::declare(&mut ctx, &f.name);
        }
        budget::declare(&mut ctx);
        budget::reset();
        for (name, value) in &roots {
            ctx.declare_var(*name, to_hcl(value));
        }
        let result = files::with_files(self.scope.files, || run(&ctx)).map_err(eval_error)?;
        Ok(sensitive_if(from_hcl(&result), sensitive))
    }

    /// A template of text and interpolations: unknown if any interpolated
    /// value is, sensitive if any is; values are written as hcl-rs writes
    /// them.
    fn plain_template(&self, t: &hcl::Template) -> Result<Value, ExprError> {
        let mut out = String::new();
        let (mut unknown, mut sensitive) = (false, false);
        for element in t.elements() {
            match element {
                Element::Literal(text) => out.push_str(text),
                Element::Interpolation(i) => {
                    let v = self.expr(&i.expr)?;
                    sensitive |= v.is_sensitive();
                    if !v.is_known() {
                        unknown = true;
                        continue;
                    }
                    match to_hcl(&v) {
                        hcl::Value::String(text) => out.push_str(&text),
                        other => out.push_str(&other.to_string()),
                    }
                }
                Element::Directive(_) => {
                    return Err(ExprError::eval("unexpected template directive"));
                }
            }
        }
        let v = if unknown {
            Value::Unknown
        } else {
            Value::String(out)
        };
        Ok(sensitive_if(v, sensitive))
    }

    /// A function call, evaluated here so that `try` and `can` can catch
    /// the errors of their arguments, `sensitive` and `nonsensitive` can
    /// set and clear marks, and other functions see arguments evaluated
    /// with unknowns flowing through (a call with an unknown argument is
    /// unknown; with a sensitive one, sensitive).
    fn call(&self, call: &FuncCall) -> Result<Value, ExprError> {
        let name = call.name.name.as_str();
        if functions::function_info(name).is_none() {
            return Err(unknown_function(name));
        }
        match name {
            "try" | "can" | "sensitive" | "nonsensitive" | "issensitive" if call.expand_final => {
                return Err(ExprError::new(
                    ExprErrorKind::FunctionArgs,
                    format!("`{name}` cannot take an expanded list (`...`)"),
                ));
            }
            "try" => return self.call_try(call),
            "can" => {
                return match call.args.as_slice() {
                    [arg] => match self.expr(arg) {
                        Ok(v) if !v.is_known() => {
                            Ok(sensitive_if(Value::Unknown, v.is_sensitive()))
                        }
                        Ok(_) => Ok(Value::Bool(true)),
                        Err(e) if catchable(&e) => Ok(Value::Bool(false)),
                        Err(e) => Err(e),
                    },
                    _ => Err(arity(name, call.args.len())),
                };
            }
            "sensitive" | "nonsensitive" | "issensitive" => {
                let [arg] = call.args.as_slice() else {
                    return Err(arity(name, call.args.len()));
                };
                let v = self.expr(arg)?;
                return Ok(match (name, v) {
                    ("sensitive", v) => v.sensitive(),
                    // As Terraform: the value's own mark goes, marks inside it stay.
                    ("nonsensitive", Value::Sensitive(inner)) => *inner,
                    ("nonsensitive", v) => v,
                    (_, Value::Sensitive(_)) => Value::Bool(true),
                    (_, Value::Unknown) => Value::Unknown,
                    _ => Value::Bool(false),
                });
            }
            _ => {}
        }
        // Splatting a for_each resource inside a call is refused, with its fix (see `computed`).
        for arg in &call.args {
            check_splats(&analyze_expr(arg), self.scope)?;
        }
        let mut args = Vec::with_capacity(call.args.len());
        for arg in &call.args {
            args.push(self.expr(arg)?);
        }
        if args.iter().any(|v| !v.is_known()) {
            let sensitive = args.iter().any(Value::is_sensitive);
            return Ok(sensitive_if(Value::Unknown, sensitive));
        }
        let sensitive = args.iter().any(Value::is_sensitive);
        let literal = FuncCall {
            name: call.name.clone(),
            args: args.iter().map(|v| Expression::from(to_hcl(v))).collect(),
            expand_final: call.expand_final,
        };
        let mut ctx = Context::new();
        functions::declare(&mut ctx, name);
        budget::reset();
        let result =
            files::with_files(self.scope.files, || literal.evaluate(&ctx)).map_err(eval_error)?;
        Ok(sensitive_if(from_hcl(&result), sensitive))
    }

    /// `try`: the first argument that evaluates without an error; unknown
    /// when that value is not wholly known (a later evaluation might fail).
    fn call_try(&self, call: &FuncCall) -> Result<Value, ExprError> {
        let mut last = None;
        for arg in &call.args {
            match self.expr(arg) {
                Ok(v) if !v.is_known() => {
                    return Ok(sensitive_if(Value::Unknown, v.is_sensitive()));
                }
                Ok(v) => return Ok(v),
                Err(e) if catchable(&e) => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        let e = ExprError::new(
            ExprErrorKind::FunctionArgs,
            "no argument of `try` could be evaluated without an error",
        );
        Err(match last {
            Some(last) => e.with_hint(format!("the last one failed: {}", last.message)),
            None => e.with_hint("usage: try(expression, fallback, ...)"),
        })
    }

    fn read(&self, root: Value, ops: &[RefOp], lenient: bool) -> Result<Value, ExprError> {
        let hcl_ops: Vec<TraversalOperator> = ops
            .iter()
            .map(|op| match op {
                RefOp::Attr(a) => TraversalOperator::GetAttr(hcl::Identifier::sanitized(a)),
                RefOp::Index(e) => TraversalOperator::Index(e.clone()),
                RefOp::Splat => TraversalOperator::FullSplat,
            })
            .collect();
        self.traverse(root, &hcl_ops, lenient)
    }
}

/// Whether `r` splats a for_each resource (a map of instances).
fn splats_instance_map(r: &super::refs::Reference, root: &Value) -> bool {
    matches!(r.ops.first(), Some(RefOp::Splat)) && is_instance_map(root)
}

/// The error for `rt[*].id` of a for_each resource inside a function call.
fn check_splats(analysis: &Analysis, scope: &Scope<'_>) -> Result<(), ExprError> {
    for r in &analysis.refs {
        if !matches!(r.ops.first(), Some(RefOp::Splat)) {
            continue;
        }
        let (root, _) = scope.root(&r.root)?;
        if splats_instance_map(r, &root) {
            return Err(splat_error(&r.root));
        }
    }
    Ok(())
}

fn splat_error(root: &str) -> ExprError {
    // HCL splats an object as a one-item list, so inside a function or
    // operator `rt[*].id` of a for_each resource would read `id` of the
    // map of instances and fail only at apply time; say so now, as
    // Terraform does, with its fix.
    ExprError::eval(format!(
        "`{root}[*]` inside a function call or operator: `{root}` is a for_each resource, a map of instances"
    ))
    .with_hint(format!(
        "write `values({root})[*]...` (instances in key order), or a for expression `[for x in {root} : x.id]`"
    ))
}

/// Errors `try` and `can` catch: those of evaluating a value (a missing
/// key or attribute, a bad function argument, a type mismatch), not
/// mistakes in the spec itself (syntax, unknown functions or names).
fn catchable(e: &ExprError) -> bool {
    matches!(e.kind, ExprErrorKind::Eval | ExprErrorKind::FunctionArgs)
}

fn arity(name: &str, got: usize) -> ExprError {
    let e = ExprError::new(
        ExprErrorKind::FunctionArgs,
        format!("wrong number of arguments to `{name}`: got {got}"),
    );
    match functions::function_info(name) {
        Some(info) => e.with_hint(format!("usage: {}", info.signature)),
        None => e,
    }
}

fn get_attr(value: Value, name: &str, lenient: bool) -> Result<Value, ExprError> {
    match value {
        Value::Unknown => Ok(Value::Unknown),
        Value::Sensitive(inner) => Ok(get_attr(*inner, name, lenient)?.sensitive()),
        Value::Map(mut map) => match map.remove(name) {
            Some(v) => Ok(v),
            // A resource's optional attributes that are unset read as null.
            None if lenient => Ok(Value::Null),
            None => {
                let hint = did_you_mean(name, map.keys().map(String::as_str));
                let e = ExprError::eval(format!("no attribute `{name}`"));
                Err(match hint {
                    Some(h) => e.with_hint(format!("did you mean `{h}`?")),
                    None => e,
                })
            }
        },
        Value::Null => Err(ExprError::eval(format!("cannot read `.{name}` of null"))),
        other => Err(ExprError::eval(format!(
            "cannot read `.{name}` of a {}",
            other.type_name()
        ))),
    }
}

fn index(value: Value, key: Value) -> Result<Value, ExprError> {
    if !key.is_known() {
        return Ok(sensitive_if(Value::Unknown, key.is_sensitive()));
    }
    if let Value::Sensitive(k) = key {
        return Ok(index(value, *k)?.sensitive());
    }
    match value {
        Value::Unknown => Ok(Value::Unknown),
        Value::Sensitive(inner) => Ok(index(*inner, key)?.sensitive()),
        Value::List(mut items) => {
            let i = key.as_i64().ok_or_else(|| {
                ExprError::eval(format!("a list index must be a whole number, got {key}"))
            })?;
            if i < 0 || i as usize >= items.len() {
                return Err(ExprError::eval(format!(
                    "index {i} is out of range (the list has {} items)",
                    items.len()
                )));
            }
            Ok(items.swap_remove(i as usize))
        }
        Value::Map(mut map) => {
            let k = match &key {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                other => {
                    return Err(ExprError::eval(format!(
                        "a map key must be a string, got {}",
                        other.type_name()
                    )));
                }
            };
            map.remove(&k).ok_or_else(|| {
                let e = ExprError::eval(format!("no key {k:?}"));
                let known: Vec<String> = map.keys().map(|k| format!("{k:?}")).collect();
                e.with_hint(format!("known keys: {}", known.join(", ")))
            })
        }
        Value::Null => Err(ExprError::eval(format!("cannot index null with {key}"))),
        other => Err(ExprError::eval(format!(
            "cannot index a {} with {key}",
            other.type_name()
        ))),
    }
}

/// A for_each resource's value: a map from instance key to that instance's
/// attribute map (a single resource's map always holds non-map attributes
/// such as `id`).
fn is_instance_map(value: &Value) -> bool {
    match value.unmarked() {
        Value::Map(m) => !m.is_empty() && m.values().all(|v| matches!(v.unmarked(), Value::Map(_))),
        _ => false,
    }
}

fn splat_items(value: Value) -> Vec<Value> {
    match value {
        Value::List(items) => items,
        // A for_each resource is a map of instances; its splat is the instances in key order.
        Value::Map(map) => map.into_values().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    }
}

pub(crate) fn unknown_function(name: &str) -> ExprError {
    let e = ExprError::new(
        ExprErrorKind::UnknownFunction,
        format!("unknown function `{name}`"),
    );
    match did_you_mean(name, FUNCTIONS.iter().map(|f| f.name)) {
        Some(s) => e.with_hint(format!("did you mean `{s}`?")),
        None => e.with_hint("`forge functions` lists every function"),
    }
}

fn eval_error(err: hcl::eval::Error) -> ExprError {
    match err.kind() {
        hcl::eval::ErrorKind::UndefinedFunc(name) => unknown_function(&name.to_string()),
        hcl::eval::ErrorKind::FuncCall(name, msg) if name.to_string() == budget::STEP => {
            ExprError::eval(msg.clone()).with_hint(format!(
                "an expression may take at most {} steps (loop iterations plus the size of what they build); iterate over smaller collections",
                crate::limits::MAX_EVAL_STEPS
            ))
        }
        hcl::eval::ErrorKind::FuncCall(name, msg) => {
            let name = name.to_string();
            let e = ExprError::new(
                ExprErrorKind::FunctionArgs,
                format!("wrong arguments to `{name}`: {msg}"),
            );
            match functions::function_info(&name) {
                Some(info) => e.with_hint(format!("usage: {}", info.signature)),
                None => e,
            }
        }
        hcl::eval::ErrorKind::UndefinedVar(name) => {
            ExprError::new(ExprErrorKind::Undefined, format!("`{name}` is not defined"))
        }
        other => ExprError::eval(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::model::EachBinding;

    struct Fixture {
        vars: BTreeMap<String, Value>,
        resources: BTreeMap<String, Value>,
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn fixture() -> Fixture {
        let vars = BTreeMap::from([
            ("cidr".to_string(), Value::from("10.0.0.0/16")),
            ("azs".to_string(), Value::List(vec!["a".into(), "b".into()])),
            ("password".to_string(), Value::from("hunter2").sensitive()),
            ("n".to_string(), Value::int(3)),
        ]);
        let resources = BTreeMap::from([
            (
                "vpc".to_string(),
                obj(&[("id", Value::Unknown), ("cidr_block", "10.0.0.0/16".into())]),
            ),
            ("known".to_string(), obj(&[("id", "vpc-123".into())])),
            (
                "subnet".to_string(),
                obj(&[
                    ("a", obj(&[("id", "subnet-a".into())])),
                    ("b", obj(&[("id", Value::Unknown)])),
                ]),
            ),
            (
                "nat".to_string(),
                Value::List(vec![
                    obj(&[("id", "nat-0".into())]),
                    obj(&[("id", "nat-1".into())]),
                ]),
            ),
            (
                "rt".to_string(),
                obj(&[
                    ("a", obj(&[("id", "rtb-a".into())])),
                    ("b", obj(&[("id", "rtb-b".into())])),
                ]),
            ),
        ]);
        Fixture { vars, resources }
    }

    fn eval_with(src: &str, each: Option<&EachBinding>) -> Result<Value, ExprError> {
        let f = fixture();
        let scope = Scope {
            vars: &f.vars,
            env: "dev",
            stack: "demo",
            region: "us-east-1",
            each,
            resources: Some(&f.resources),
            files: None,
            locals: None,
            dependency: None,
            data: None,
        };
        evaluate_source(src, &scope)
    }

    fn eval(src: &str) -> Value {
        eval_with(src, None).unwrap_or_else(|e| panic!("{src}: {e}"))
    }

    #[test]
    fn whole_interpolation_keeps_type() {
        assert_eq!(
            eval("${vars.azs}"),
            Value::List(vec!["a".into(), "b".into()])
        );
        assert_eq!(eval("${vars.n + 1}"), Value::int(4));
        assert_eq!(eval("${vars.n > 1}"), Value::Bool(true));
        assert_eq!(eval("n=${vars.n}"), Value::from("n=3"));
        assert_eq!(eval("$${literal}"), Value::from("${literal}"));
        assert_eq!(
            eval("${env}/${stack}/${region}/${var.n}"),
            Value::from("dev/demo/us-east-1/3")
        );
    }

    #[test]
    fn unknowns_flow_through_structure() {
        assert_eq!(eval("${vpc.id}"), Value::Unknown);
        assert_eq!(
            eval("${[vpc.id, known.id]}"),
            Value::List(vec![Value::Unknown, "vpc-123".into()])
        );
        assert_eq!(eval("${{ a = vpc.id }}"), obj(&[("a", Value::Unknown)]));
        assert_eq!(eval("${vpc.cidr_block}"), Value::from("10.0.0.0/16"));
        assert_eq!(
            eval("${subnet[*].id}"),
            Value::List(vec!["subnet-a".into(), Value::Unknown])
        );
        assert_eq!(eval(r#"${subnet["a"].id}"#), Value::from("subnet-a"));
        assert_eq!(eval("${nat[1].id}"), Value::from("nat-1"));
        assert_eq!(
            eval("${nat.*.id}"),
            Value::List(vec!["nat-0".into(), "nat-1".into()])
        );
        assert_eq!(eval("${true ? vpc.id : known.id}"), Value::Unknown);
        assert_eq!(eval("${false ? vpc.id : known.id}"), Value::from("vpc-123"));
        // A resource the engine has no values for yet is entirely unknown.
        assert_eq!(eval("${nope.id}"), Value::Unknown);
    }

    #[test]
    fn computations_over_unknowns_are_unknown() {
        assert_eq!(eval("${vpc.id}-x"), Value::Unknown);
        assert_eq!(eval("${length(vpc.id)}"), Value::Unknown);
        assert_eq!(eval(r#"${vpc.id == ""}"#), Value::Unknown);
        assert_eq!(eval("${upper(vpc.id)}"), Value::Unknown);
        assert_eq!(eval("${length(values(subnet)[*].id)}"), Value::Unknown);
        assert_eq!(eval("${[for s in subnet : s.id]}"), Value::Unknown);
        assert_eq!(eval("${vpc.id != null ? 1 : 2}"), Value::Unknown);
        assert_eq!(
            eval(r#"${join(",", nat[*].id)}"#),
            Value::from("nat-0,nat-1")
        );
        assert_eq!(
            eval("${[for n in nat : upper(n.id)]}"),
            Value::List(vec!["NAT-0".into(), "NAT-1".into()])
        );
        assert_eq!(
            eval("${cidrsubnet(vpc.cidr_block, 8, 1)}"),
            Value::from("10.0.1.0/24")
        );
    }

    #[test]
    fn splat_of_a_for_each_resource_in_a_function_says_how_to_write_it() {
        // A bare splat walks the instances in key order...
        assert_eq!(
            eval("${rt[*].id}"),
            Value::List(vec!["rtb-a".into(), "rtb-b".into()])
        );
        // ...as do `values()` and a for expression inside a function...
        assert_eq!(
            eval(r#"${join(",", values(rt)[*].id)}"#),
            Value::from("rtb-a,rtb-b")
        );
        assert_eq!(
            eval(r#"${join(",", [for r in rt : r.id])}"#),
            Value::from("rtb-a,rtb-b")
        );
        // ...but HCL would splat the map of instances as one item and fail
        // at apply time; it is an error with the fix, known or not.
        for src in [r#"${join(",", rt[*].id)}"#, "${length(subnet[*].id)}"] {
            let e = eval_with(src, None).unwrap_err();
            let text = format!("{e} {:?}", e.hint);
            assert!(text.contains("for_each resource"), "{src}: {text}");
            assert!(text.contains("values("), "{src}: {text}");
        }
        // A count resource (a list) splats fine inside a function.
        assert_eq!(
            eval(r#"${join(",", nat[*].id)}"#),
            Value::from("nat-0,nat-1")
        );
    }

    #[test]
    fn sensitivity_taints_results() {
        assert_eq!(eval("${vars.password}"), Value::from("hunter2").sensitive());
        assert_eq!(
            eval("pw=${vars.password}"),
            Value::from("pw=hunter2").sensitive()
        );
        assert_eq!(eval("${length(vars.password)}"), Value::int(7).sensitive());
        assert_eq!(
            eval("${[vars.password, vars.cidr]}"),
            Value::List(vec![
                Value::from("hunter2").sensitive(),
                "10.0.0.0/16".into()
            ])
        );
        assert!(eval("${vars}").is_sensitive());
        assert_eq!(eval("${vars.cidr}"), Value::from("10.0.0.0/16"));
    }

    #[test]
    fn try_and_can_catch_argument_errors() {
        // As Terraform's try/can tests: the first argument that evaluates.
        assert_eq!(
            eval(r#"${try(vars.nope, "fallback")}"#),
            Value::from("fallback")
        );
        assert_eq!(
            eval(r#"${try(known.id, "fallback")}"#),
            Value::from("vpc-123")
        );
        assert_eq!(
            eval(r#"${try(vars.azs[5], vars.azs[0])}"#),
            Value::from("a")
        );
        assert_eq!(eval(r#"${try(tonumber("x"), 7)}"#), Value::int(7));
        assert_eq!(eval(r#"${upper(try(vars.nope, "x"))}"#), Value::from("X"));
        assert_eq!(
            eval(r#"${[try(vars.nope, 1)]}"#),
            Value::List(vec![Value::int(1)])
        );
        assert_eq!(
            eval(r#"net-${try(vars.nope, "default")}-${env}"#),
            Value::from("net-default-dev")
        );
        assert_eq!(eval("id-${try(vpc.id, 1)}"), Value::Unknown);
        assert_eq!(eval("${can(known.id)}"), Value::Bool(true));
        assert_eq!(eval("${can(vars.nope)}"), Value::Bool(false));
        assert_eq!(eval(r#"${can(regex("^a", "b"))}"#), Value::Bool(false));
        assert_eq!(eval(r#"${can(cidrhost(vars.cidr, 5))}"#), Value::Bool(true));
        // Unknown until apply: so is the result (a later value could fail).
        assert_eq!(eval(r#"${try(vpc.id, "x")}"#), Value::Unknown);
        assert_eq!(eval("${can(vpc.id)}"), Value::Unknown);
        // Mistakes in the spec itself are not caught.
        let e = eval_with(r#"${try(lenght(vars.azs), 0)}"#, None).map_err(|e| e.kind);
        assert_eq!(e, Err(ExprErrorKind::UnknownFunction));
        let e = eval_with(r#"${try(vars.nope, vars.nope2)}"#, None).map_err(|e| e.kind);
        assert_eq!(e, Err(ExprErrorKind::FunctionArgs));
    }

    #[test]
    fn sensitive_and_nonsensitive_set_and_clear_marks() {
        assert_eq!(eval(r#"${sensitive("x")}"#), Value::from("x").sensitive());
        assert_eq!(
            eval(r#"${sensitive(["a"])}"#),
            Value::List(vec!["a".into()]).sensitive()
        );
        assert_eq!(
            eval("${nonsensitive(vars.password)}"),
            Value::from("hunter2")
        );
        assert_eq!(
            eval("${nonsensitive(upper(vars.password))}"),
            Value::from("HUNTER2")
        );
        assert_eq!(eval(r#"${nonsensitive("plain")}"#), Value::from("plain"));
        assert!(eval("${upper(sensitive(vars.cidr))}").is_sensitive());
        assert_eq!(
            eval("${length(sensitive(vars.azs))}"),
            Value::int(2).sensitive()
        );
        assert_eq!(eval("${nonsensitive(vpc.id)}"), Value::Unknown);
        assert_eq!(eval("${sensitive(vpc.id)}"), Value::Unknown.sensitive());
        assert_eq!(eval("${sensitive(null)}"), Value::Null.sensitive());
        assert_eq!(
            eval("${sensitive(vars.password)}"),
            Value::from("hunter2").sensitive()
        );
        // As Terraform's nonsensitive tests: only the value's own mark goes.
        assert_eq!(
            eval("${nonsensitive(sensitive([vars.password]))}"),
            Value::List(vec![Value::from("hunter2").sensitive()])
        );
        assert_eq!(eval("${nonsensitive(null)}"), Value::Null);
        // issensitive, as Terraform's tests.
        assert_eq!(eval("${issensitive(vars.password)}"), Value::Bool(true));
        assert_eq!(eval("${issensitive(1)}"), Value::Bool(false));
        assert_eq!(eval("${issensitive(sensitive(null))}"), Value::Bool(true));
        assert_eq!(eval("${issensitive(null)}"), Value::Bool(false));
        assert_eq!(eval("${issensitive(vpc.id)}"), Value::Unknown);
        assert_eq!(eval("${issensitive(sensitive(vpc.id))}"), Value::Bool(true));
    }

    #[test]
    fn calls_see_unknown_and_sensitive_arguments() {
        assert_eq!(eval(r#"${jsonencode({a = vpc.id})}"#), Value::Unknown);
        assert_eq!(
            eval(r#"${upper(vars.password)}"#),
            Value::from("HUNTER2").sensitive()
        );
        assert_eq!(
            eval(r#"${format("%s-%s", known.id, vars.cidr)}"#),
            Value::from("vpc-123-10.0.0.0/16")
        );
    }

    #[test]
    fn each_and_count() {
        let each = EachBinding::Each {
            key: "a".into(),
            value: Value::int(1),
        };
        assert_eq!(
            eval_with("${each.key}-${each.value}", Some(&each)),
            Ok(Value::from("a-1"))
        );
        assert_eq!(
            eval_with(r#"${subnet[each.key].id}"#, Some(&each)),
            Ok(Value::from("subnet-a"))
        );
        let count = EachBinding::Count(1);
        assert_eq!(
            eval_with("${nat[count.index].id}", Some(&count)),
            Ok(Value::from("nat-1"))
        );
        assert!(eval_with("${count.index}", None).is_err());
        assert!(eval_with("${each.key}", Some(&count)).is_err());
    }

    #[test]
    fn errors_are_reported() {
        let err = |src: &str| {
            eval_with(src, None)
                .err()
                .map(|e| (e.kind, e.message, e.hint))
        };
        assert_eq!(
            err("${lenght(vars.azs)}").map(|e| e.2),
            Some(Some("did you mean `length`?".into()))
        );
        assert_eq!(
            err("${upper(1, 2)}").map(|e| e.0),
            Some(ExprErrorKind::FunctionArgs)
        );
        assert_eq!(err("${vars.nope}").map(|e| e.0), Some(ExprErrorKind::Eval));
        assert_eq!(err("${nat[5].id}").map(|e| e.0), Some(ExprErrorKind::Eval));
        assert_eq!(
            err("${vars.cidr + 1}").map(|e| e.0),
            Some(ExprErrorKind::Eval)
        );
        assert_eq!(err("${ a + }").map(|e| e.0), Some(ExprErrorKind::Syntax));
    }

    #[test]
    fn load_time_scope_rejects_resources() {
        let vars = BTreeMap::new();
        let scope = Scope {
            vars: &vars,
            env: "",
            stack: "s",
            region: "r",
            each: None,
            resources: None,
            files: None,
            locals: None,
            dependency: None,
            data: None,
        };
        let e = evaluate_source("${vpc.id}", &scope).err().map(|e| e.kind);
        assert_eq!(e, Some(ExprErrorKind::NotKnownAtLoad));
        assert_eq!(evaluate_source("${env}", &scope), Ok(Value::from("")));
    }
}
