//! A bound on the work of one expression evaluation.
//!
//! hcl-rs evaluates `for` expressions and `%{for}` directives itself, with
//! no limit, so `[for a in range(10000) : [for b in range(10000) : a]]` (or
//! a loop copying a large var a million times) would run for minutes and
//! take gigabytes. Before hcl-rs runs, the expression is instrumented: each
//! loop's filter and body go through a hidden function, [`STEP`], which
//! charges one step plus the size of the value produced against
//! [`MAX_EVAL_STEPS`] (a thread-local counter, reset for each evaluation).
//! Collection functions charge what they build. Going over is an
//! evaluation error, not a hang.
//!
//! `%{for}` inside a quoted string nested in an expression is re-parsed by
//! hcl-rs from text, out of reach of the instrumentation, so the analysis
//! refuses it (see `refs.rs`); a `for` expression does the same job.

use crate::limits::MAX_EVAL_STEPS;
use hcl::Value as H;
use hcl::eval::{Context, FuncArgs, FuncDef, ParamType};
use hcl::expr::{Expression, FuncCall, TraversalOperator};
use hcl::template::{Directive, Element, Interpolation, Template};
use std::cell::Cell;

/// The hidden function the instrumentation calls. Not in the function
/// table: a spec that calls it by name gets "unknown function".
pub(crate) const STEP: &str = "__forge_step";

thread_local! {
    static STEPS: Cell<u64> = const { Cell::new(0) };
}

/// Bytes of a string that count as one step: the loops of one expression
/// may copy about 12 MB of text in all before they are stopped.
const BYTES_PER_STEP: u64 = 64;

/// Starts a new evaluation's budget.
pub(crate) fn reset() {
    STEPS.set(0);
}

/// Charges `n` steps to the current evaluation.
pub(crate) fn charge(n: u64) -> Result<(), String> {
    let used = STEPS.get().saturating_add(n);
    STEPS.set(used);
    if used > MAX_EVAL_STEPS {
        return Err(format!(
            "the expression does too much work (more than {MAX_EVAL_STEPS} steps: nested `for` over large collections?)"
        ));
    }
    Ok(())
}

/// The steps a value costs to produce: one per element, plus its text.
pub(crate) fn weight(v: &H) -> u64 {
    match v {
        H::String(s) => 1 + s.len() as u64 / BYTES_PER_STEP,
        H::Array(items) => 1 + items.iter().map(weight).sum::<u64>(),
        H::Object(map) => {
            1 + map
                .iter()
                .map(|(k, v)| k.len() as u64 / BYTES_PER_STEP + weight(v))
                .sum::<u64>()
        }
        _ => 1,
    }
}

fn step(args: FuncArgs) -> Result<H, String> {
    let value = args.first().cloned().unwrap_or(H::Null);
    charge(weight(&value))?;
    Ok(value)
}

/// Declares the step function in an evaluation context.
pub(crate) fn declare(ctx: &mut Context<'_>) {
    ctx.declare_func(STEP, FuncDef::builder().param(ParamType::Any).build(step));
}

fn wrap(expr: Expression) -> Expression {
    Expression::FuncCall(Box::new(FuncCall::builder(STEP).arg(expr).build()))
}

/// Instruments every loop in an expression.
pub(crate) fn instrument_expr(expr: &mut Expression) {
    match expr {
        Expression::Array(items) => items.iter_mut().for_each(instrument_expr),
        // Keys cannot change in place; a computed key's loop is rare and
        // still bounded by the function charges.
        Expression::Object(obj) => obj.iter_mut().for_each(|(_, v)| instrument_expr(v)),
        Expression::Traversal(t) => {
            instrument_expr(&mut t.expr);
            for op in t.operators.iter_mut() {
                if let TraversalOperator::Index(e) = op {
                    instrument_expr(e);
                }
            }
        }
        Expression::FuncCall(call) => call.args.iter_mut().for_each(instrument_expr),
        Expression::Parenthesis(e) => instrument_expr(e),
        Expression::Conditional(c) => {
            instrument_expr(&mut c.cond_expr);
            instrument_expr(&mut c.true_expr);
            instrument_expr(&mut c.false_expr);
        }
        Expression::Operation(op) => match op.as_mut() {
            hcl::expr::Operation::Unary(u) => instrument_expr(&mut u.expr),
            hcl::expr::Operation::Binary(b) => {
                instrument_expr(&mut b.lhs_expr);
                instrument_expr(&mut b.rhs_expr);
            }
        },
        Expression::ForExpr(f) => {
            instrument_expr(&mut f.collection_expr);
            if let Some(k) = f.key_expr.as_mut() {
                instrument_expr(k);
            }
            instrument_expr(&mut f.value_expr);
            let value = std::mem::replace(&mut f.value_expr, Expression::Null);
            f.value_expr = wrap(value);
            // Every iteration evaluates the filter, even those it drops.
            let cond = f.cond_expr.take().map_or(Expression::Bool(true), |mut c| {
                instrument_expr(&mut c);
                c
            });
            f.cond_expr = Some(wrap(cond));
        }
        _ => {}
    }
}

/// Instruments every loop in a template: each `%{for}` iteration, and each
/// interpolation inside one, is charged.
pub(crate) fn instrument_template(template: &mut Template, in_loop: bool) {
    let mut out: Vec<Element> = Vec::with_capacity(template.elements().len());
    for element in template.elements().iter().cloned() {
        out.push(match element {
            Element::Literal(l) => Element::Literal(l),
            Element::Interpolation(mut i) => {
                instrument_expr(&mut i.expr);
                if in_loop {
                    i.expr = wrap(std::mem::replace(&mut i.expr, Expression::Null));
                }
                Element::Interpolation(i)
            }
            Element::Directive(mut d) => {
                match d.as_mut() {
                    Directive::If(d) => {
                        instrument_expr(&mut d.cond_expr);
                        instrument_template(&mut d.true_template, in_loop);
                        if let Some(f) = d.false_template.as_mut() {
                            instrument_template(f, in_loop);
                        }
                    }
                    Directive::For(d) => {
                        instrument_expr(&mut d.collection_expr);
                        instrument_template(&mut d.template, true);
                        // One step per iteration, even for an empty body. The
                        // step comes first in the body, so it carries the `~`
                        // of `%{ for ... ~}` on to the body's first literal.
                        let mut step = Interpolation::new(wrap(Expression::String(String::new())));
                        if d.for_strip.strip_end() {
                            step.strip = hcl::template::Strip::End;
                        }
                        let body: Vec<Element> = std::iter::once(Element::Interpolation(step))
                            .chain(d.template.elements().iter().cloned())
                            .collect();
                        d.template = body.into_iter().collect();
                    }
                }
                Element::Directive(d)
            }
        });
    }
    *template = out.into_iter().collect();
}
