//! Static analysis of expressions: which names they read and which
//! functions they call, found by walking the hcl-rs syntax tree.

use super::error::{ExprError, ExprErrorKind};
use super::parse::{Parsed, syntax_error};
use hcl::expr::{Expression, ObjectKey, TraversalOperator};
use hcl::template::{Directive, Element, Template};
use std::fmt;

/// One step of a reference after its root name.
#[derive(Debug, Clone, PartialEq)]
pub enum RefOp {
    /// `.name`
    Attr(String),
    /// `[expr]` (also the legacy `.0`).
    Index(Expression),
    /// `[*]` or `.*`
    Splat,
}

/// A read of a name in scope: `vpc.id`, `subnet["a"].id`, `vars.cidr`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// The first name (`vpc`, `vars`, `each`).
    pub root: String,
    /// The steps after it. Cut before the first index that depends on a
    /// `for` variable (its value is not known statically).
    pub ops: Vec<RefOp>,
    /// Whether `ops` was cut short (the reference reads an unknown part of
    /// the root, so it depends on the whole of it).
    pub truncated: bool,
}

impl Reference {
    /// The attribute named right after the root (`vars.x`, `vpc.id`).
    pub fn first_attr(&self) -> Option<&str> {
        match self.ops.first() {
            Some(RefOp::Attr(a)) => Some(a),
            _ => None,
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.root)?;
        for op in &self.ops {
            match op {
                RefOp::Attr(a) => write!(f, ".{a}")?,
                RefOp::Splat => write!(f, "[*]")?,
                RefOp::Index(Expression::Number(n)) => write!(f, "[{n}]")?,
                RefOp::Index(Expression::String(s)) => write!(f, "[{s:?}]")?,
                RefOp::Index(_) => write!(f, "[...]")?,
            }
        }
        Ok(())
    }
}

/// A function call: its name and argument count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncUse {
    /// The function's name (namespaced names are joined with `::`).
    pub name: String,
    /// Arguments written.
    pub args: usize,
    /// Whether the last argument is expanded (`f(list...)`), which makes
    /// the count unknown statically.
    pub expand_final: bool,
}

/// Everything an expression reads and calls.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Analysis {
    /// References to names in scope, in order of appearance.
    pub refs: Vec<Reference>,
    /// Function calls, in order of appearance.
    pub funcs: Vec<FuncUse>,
    /// Syntax errors in nested string templates.
    pub errors: Vec<ExprError>,
}

/// Analyzes a parsed template.
pub fn analyze(parsed: &Parsed) -> Analysis {
    let mut walker = Walker::default();
    match parsed {
        Parsed::Expr(e) => walker.expr(e),
        Parsed::Template(t) => walker.template(t),
    }
    walker.out
}

/// Analyzes one expression.
pub(crate) fn analyze_expr(expr: &Expression) -> Analysis {
    let mut walker = Walker::default();
    walker.expr(expr);
    walker.out
}

pub(crate) fn analyze_template(template: &Template) -> Analysis {
    let mut walker = Walker::default();
    walker.template(template);
    walker.out
}

#[derive(Default)]
struct Walker {
    bound: Vec<String>,
    out: Analysis,
    /// Inside a quoted string nested in an expression.
    nested: usize,
}

impl Walker {
    fn is_bound(&self, name: &str) -> bool {
        self.bound.iter().any(|b| b == name)
    }

    fn uses_bound(&self, expr: &Expression) -> bool {
        analyze_expr(expr)
            .refs
            .iter()
            .any(|r| self.is_bound(&r.root))
    }

    fn expr(&mut self, expr: &Expression) {
        match expr {
            Expression::Null
            | Expression::Bool(_)
            | Expression::Number(_)
            | Expression::String(_) => {}
            Expression::Array(items) => items.iter().for_each(|e| self.expr(e)),
            Expression::Object(obj) => {
                for (k, v) in obj {
                    if let ObjectKey::Expression(k) = k {
                        // A bare identifier-like key expression is a key name, not a read.
                        if !matches!(k, Expression::Variable(_)) {
                            self.expr(k);
                        }
                    }
                    self.expr(v);
                }
            }
            Expression::TemplateExpr(t) => match Template::from_expr(t) {
                Ok(template) => {
                    self.nested += 1;
                    self.template(&template);
                    self.nested -= 1;
                }
                Err(e) => self.out.errors.push(syntax_error(e)),
            },
            Expression::Variable(v) if !self.is_bound(v.as_str()) => {
                self.out.refs.push(Reference {
                    root: v.to_string(),
                    ops: Vec::new(),
                    truncated: false,
                });
            }
            Expression::Variable(_) => {}
            Expression::Traversal(t) => {
                if let Expression::Variable(v) = &t.expr
                    && !self.is_bound(v.as_str())
                {
                    let mut ops = Vec::new();
                    let mut truncated = false;
                    for op in &t.operators {
                        let step = match op {
                            TraversalOperator::GetAttr(a) => RefOp::Attr(a.to_string()),
                            TraversalOperator::AttrSplat | TraversalOperator::FullSplat => {
                                RefOp::Splat
                            }
                            TraversalOperator::LegacyIndex(i) => {
                                RefOp::Index(Expression::Number((*i).into()))
                            }
                            TraversalOperator::Index(e) => {
                                if self.uses_bound(e) {
                                    truncated = true;
                                    break;
                                }
                                RefOp::Index(e.clone())
                            }
                        };
                        ops.push(step);
                    }
                    self.out.refs.push(Reference {
                        root: v.to_string(),
                        ops,
                        truncated,
                    });
                } else {
                    self.expr(&t.expr);
                }
                for op in &t.operators {
                    if let TraversalOperator::Index(e) = op {
                        self.expr(e);
                    }
                }
            }
            Expression::FuncCall(call) => {
                let mut name: Vec<String> = call
                    .name
                    .namespace
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                name.push(call.name.name.to_string());
                self.out.funcs.push(FuncUse {
                    name: name.join("::"),
                    args: call.args.len(),
                    expand_final: call.expand_final,
                });
                call.args.iter().for_each(|a| self.expr(a));
            }
            Expression::Parenthesis(e) => self.expr(e),
            Expression::Conditional(c) => {
                self.expr(&c.cond_expr);
                self.expr(&c.true_expr);
                self.expr(&c.false_expr);
            }
            Expression::Operation(op) => match op.as_ref() {
                hcl::expr::Operation::Unary(u) => self.expr(&u.expr),
                hcl::expr::Operation::Binary(b) => {
                    self.expr(&b.lhs_expr);
                    self.expr(&b.rhs_expr);
                }
            },
            Expression::ForExpr(f) => {
                self.expr(&f.collection_expr);
                let depth = self.bound.len();
                if let Some(k) = &f.key_var {
                    self.bound.push(k.to_string());
                }
                self.bound.push(f.value_var.to_string());
                if let Some(k) = &f.key_expr {
                    self.expr(k);
                }
                self.expr(&f.value_expr);
                if let Some(c) = &f.cond_expr {
                    self.expr(c);
                }
                self.bound.truncate(depth);
            }
            _ => {}
        }
    }

    fn template(&mut self, template: &Template) {
        for element in template.elements() {
            match element {
                Element::Literal(_) => {}
                Element::Interpolation(i) => self.expr(&i.expr),
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(d) => {
                        self.expr(&d.cond_expr);
                        self.template(&d.true_template);
                        if let Some(f) = &d.false_template {
                            self.template(f);
                        }
                    }
                    Directive::For(d) => {
                        if self.nested > 0 {
                            // hcl-rs re-parses such a string from its text
                            // when evaluating, out of reach of the step
                            // budget (budget.rs): its loop would be unbounded.
                            self.out.errors.push(
                                ExprError::new(
                                    ExprErrorKind::Syntax,
                                    "`%{for}` inside a quoted string within an expression is not supported",
                                )
                                .with_hint(
                                    "use a `for` expression, e.g. join(\", \", [for x in xs : \"a-${x}\"]); `%{for}` works in the spec string itself",
                                ),
                            );
                        }
                        self.expr(&d.collection_expr);
                        let depth = self.bound.len();
                        if let Some(k) = &d.key_var {
                            self.bound.push(k.to_string());
                        }
                        self.bound.push(d.value_var.to_string());
                        self.template(&d.template);
                        self.bound.truncate(depth);
                    }
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parse;

    fn refs(src: &str) -> Vec<String> {
        let parsed = parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        analyze(&parsed)
            .refs
            .iter()
            .map(|r| format!("{r}{}", if r.truncated { "…" } else { "" }))
            .collect()
    }

    #[test]
    fn finds_resource_references() {
        assert_eq!(refs("${vpc.id}"), ["vpc.id"]);
        assert_eq!(refs(r#"${subnet["a"].id}"#), [r#"subnet["a"].id"#]);
        assert_eq!(
            refs("${subnet[0].id}-${nat[count.index].id}"),
            ["subnet[0].id", "nat[...].id", "count.index"]
        );
        assert_eq!(refs("${subnet[*].id}"), ["subnet[*].id"]);
        assert_eq!(refs("${subnet.*.id}"), ["subnet[*].id"]);
        assert_eq!(
            refs("${length(vars.azs) > 1 ? a.id : b.id}"),
            ["vars.azs", "a.id", "b.id"]
        );
    }

    #[test]
    fn for_variables_are_not_references() {
        assert_eq!(refs("${[for s in subnet : s.id]}"), ["subnet"]);
        assert_eq!(refs("${{for k, v in vars.m : k => v}}"), ["vars.m"]);
        assert_eq!(
            refs("${[for k in keys(subnet) : subnet[k].id]}"),
            ["subnet", "subnet…"]
        );
        assert_eq!(refs("%{for x in vars.l}${x}%{endfor}${y}"), ["vars.l", "y"]);
    }

    #[test]
    fn nested_templates_and_functions() {
        let parsed = parse(r#"${format("%s", "a-${vpc.id}")}"#).unwrap_or_else(|e| panic!("{e}"));
        let a = analyze(&parsed);
        assert_eq!(a.refs.len(), 1);
        assert_eq!(
            a.funcs,
            vec![FuncUse {
                name: "format".into(),
                args: 2,
                expand_final: false
            }]
        );
    }
}
