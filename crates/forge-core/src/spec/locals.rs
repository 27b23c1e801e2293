//! `locals:` — named expressions over vars, env, other locals and
//! resources, read as `${local.name}` (Terraform's spelling; `locals.name`,
//! as the key is spelled, works too).
//!
//! Loading takes two steps, because `count` / `for_each` may read locals
//! while the resources they expand are not known yet:
//!
//! 1. [`declare_locals`], before resources: finds which locals each local
//!    reads (a cycle is an error naming it), which resource references
//!    each one reads directly or through other locals, and evaluates the
//!    locals that read no resource (load-time locals) in dependency order;
//! 2. [`finish_locals`], after resources: checks the remaining locals'
//!    resource references and keeps them as expressions, evaluated by the
//!    engine when the resources' attributes are known.
//!
//! A field that reads a local which reads resources depends on those
//! resources in the graph, exactly as if it read them itself.

use super::loader::Loader;
use super::model::{Config, Stack};
use super::resources::{ResourceTable, load_value};
use super::vars::VarDecl;
use super::yaml::node_kind;
use crate::diag::Diagnostics;
use crate::expr::{
    ExprError, ExprErrorKind, LocalValues, Reference, SCOPE_NAMES, Scope, did_you_mean,
    is_local_root, is_template,
};
use crate::spec::model::ResourceValues;
use crate::value::Value;
use indexmap::IndexMap;
use marked_yaml::types::{Node, Span};
use std::collections::{BTreeMap, BTreeSet};

/// What the loader knows of the stack's locals.
#[derive(Debug, Default)]
pub(crate) struct LocalTable {
    /// Every declared local: the resource references it reads, itself or
    /// through other locals (empty for a load-time local).
    reads: BTreeMap<String, Vec<Reference>>,
    /// Values of the load-time locals evaluated so far.
    values: BTreeMap<String, Value>,
    /// Locals of a module that read an input known only at apply (one the
    /// caller computes from its resources): kept as expressions, like
    /// locals that read resources, and so is what reads them.
    apply_time: BTreeSet<String>,
}

impl LocalTable {
    /// Whether reading `r` (a `local.x` reference) reads a module input
    /// known only at apply.
    pub(crate) fn reads_apply_time_input(&self, r: &Reference) -> bool {
        match r.first_attr() {
            Some(name) => self.apply_time.contains(name),
            None => !self.apply_time.is_empty(),
        }
    }

    /// The resource references that reading `r` (a `local.x` reference)
    /// reads through the local; every local's for a bare `local`.
    pub(crate) fn resource_reads(&self, r: &Reference) -> Vec<Reference> {
        match r.first_attr() {
            Some(name) => self.reads.get(name).cloned().unwrap_or_default(),
            None => self.reads.values().flatten().cloned().collect(),
        }
    }

    /// The problem with reference `r` to a local, if any: an undeclared
    /// name, with a did-you-mean.
    pub(crate) fn check_reference(&self, r: &Reference) -> Option<(String, Option<String>)> {
        let name = r.first_attr()?;
        if self.reads.contains_key(name) {
            return None;
        }
        let hint = did_you_mean(name, self.reads.keys().map(String::as_str)).map_or_else(
            || "declare it under `locals:`".to_string(),
            |s| format!("did you mean `local.{s}`?"),
        );
        Some((format!("undefined local `{name}`"), Some(hint)))
    }
}

impl LocalValues for LocalTable {
    fn local(&self, name: &str) -> Option<Result<Value, ExprError>> {
        if let Some(v) = self.values.get(name) {
            return Some(Ok(v.clone()));
        }
        if self.apply_time.contains(name) {
            return Some(Err(ExprError::new(
                ExprErrorKind::NotKnownAtLoad,
                format!("`local.{name}` reads a module input known only at apply"),
            )));
        }
        self.reads.contains_key(name).then(|| {
            Err(ExprError::new(
                ExprErrorKind::NotKnownAtLoad,
                format!(
                    "`local.{name}` reads resource attributes, which are not known when the stack is loaded"
                ),
            ))
        })
    }

    fn names(&self) -> Vec<String> {
        self.reads.keys().cloned().collect()
    }
}

/// A local declared in the spec, waiting for [`finish_locals`].
pub(crate) struct PendingLocal<'n> {
    name: String,
    node: &'n Node,
}

/// Step 1: reads `locals:`, reports cycles and evaluates the load-time
/// locals (in `scope`, which must not have locals yet). Returns the table
/// for later scopes and the locals that read resources.
pub(crate) fn declare_locals<'n>(
    l: &mut Loader<'_>,
    node: Option<&'n Node>,
    scope: &Scope<'_>,
    vars: &IndexMap<String, VarDecl>,
) -> (LocalTable, Vec<PendingLocal<'n>>) {
    let mut table = LocalTable::default();
    let Some(node) = node else {
        return (table, Vec::new());
    };
    let Node::Mapping(map) = node else {
        l.error(
            node.span(),
            format!(
                "`locals` must be a map of names to values, got {}",
                node_kind(node)
            ),
        )
        .hint = Some("locals:\n  name_prefix: \"${stack}-${env}\"".into());
        return (table, Vec::new());
    };
    // Each local: its key's span, node, the locals and resources it reads.
    let mut decls: IndexMap<String, (Span, &Node)> = IndexMap::new();
    for (name, value) in map.iter() {
        if !is_identifier(name.as_str()) {
            l.error(
                name.span(),
                format!("invalid local name `{}`", name.as_str()),
            )
            .hint = Some(
                "names start with a letter or `_` and contain letters, digits, `_` and `-`".into(),
            );
            continue;
        }
        decls.insert(name.as_str().to_string(), (*name.span(), value));
    }
    let mut local_edges: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut direct: BTreeMap<&str, Vec<Reference>> = BTreeMap::new();
    for (name, (_, value)) in &decls {
        let mut edges = BTreeSet::new();
        let mut res = Vec::new();
        for r in references(l, value) {
            if is_local_root(&r.root) {
                match r.first_attr() {
                    Some(a) if decls.contains_key(a) => {
                        edges.insert(a.to_string());
                    }
                    Some(_) => {}
                    None => edges.extend(decls.keys().cloned()),
                }
            } else if !SCOPE_NAMES.contains(&r.root.as_str()) && !read_at_load(scope, &r) {
                res.push(r);
            }
        }
        local_edges.insert(name, edges);
        direct.insert(name, res);
    }
    let (order, cyclic) = order_locals(l, &decls, &local_edges);
    // Resource reads through other locals, dependencies first.
    for name in &order {
        let mut reads = direct.get(name.as_str()).cloned().unwrap_or_default();
        for dep in local_edges.get(name.as_str()).into_iter().flatten() {
            reads.extend(table.reads.get(dep).cloned().unwrap_or_default());
        }
        table.reads.insert(name.clone(), reads);
    }
    for name in &cyclic {
        // Already reported: unknown, so users of it add no second error.
        table.reads.insert(name.clone(), Vec::new());
        table.values.insert(name.clone(), Value::Unknown);
    }
    let mut pending = Vec::new();
    let empty = ResourceTable::default();
    for name in order {
        let Some((_, node)) = decls.get(&name) else {
            continue;
        };
        if table.reads.get(&name).is_some_and(|r| !r.is_empty()) {
            pending.push(PendingLocal { name, node });
            continue;
        }
        let s = Scope {
            locals: Some(&table),
            ..*scope
        };
        let what = format!("local `{name}`");
        let (config, _) = load_value(l, node, &s, vars, &empty, &table, &what);
        match config {
            Config::Literal(v) => {
                table.values.insert(name, v);
            }
            // It reads no resource, but a module input (or a local) known
            // only at apply: evaluated then, in the module's scope.
            _ => {
                table.apply_time.insert(name.clone());
                pending.push(PendingLocal { name, node });
            }
        }
    }
    (table, pending)
}

/// Step 2: checks the locals that read resources (against the loaded
/// resources) and returns every local as the stack keeps it.
pub(crate) fn finish_locals(
    l: &mut Loader<'_>,
    pending: Vec<PendingLocal<'_>>,
    scope: &Scope<'_>,
    vars: &IndexMap<String, VarDecl>,
    resources: &ResourceTable,
    table: &LocalTable,
) -> BTreeMap<String, Config> {
    let mut out: BTreeMap<String, Config> = table
        .values
        .iter()
        .map(|(k, v)| (k.clone(), Config::Literal(v.clone())))
        .collect();
    for p in pending {
        let what = format!("local `{}`", p.name);
        let (config, _) = load_value(l, p.node, scope, vars, resources, table, &what);
        out.insert(p.name, config);
    }
    out
}

/// Whether `r` reads a data source already read (a load after the data
/// sources were read): known at load, like a var.
pub(crate) fn read_at_load(scope: &Scope<'_>, r: &Reference) -> bool {
    r.root == "data"
        && scope
            .data
            .zip(r.first_attr())
            .is_some_and(|(read, name)| read.contains_key(name))
}

/// Every reference in the templates of a local's value.
fn references(l: &mut Loader<'_>, node: &Node) -> Vec<Reference> {
    let mut out = Vec::new();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match n {
            Node::Scalar(s) if is_template(s.as_str()) => {
                // A syntax error is reported when the local is loaded.
                if let Ok(entry) = l.parsed(s.as_str()) {
                    out.extend(entry.1.refs.iter().cloned());
                }
            }
            Node::Scalar(_) => {}
            Node::Mapping(m) => stack.extend(m.values()),
            Node::Sequence(s) => stack.extend(s.iter()),
        }
    }
    out
}

/// The locals in dependency order (each after the locals it reads), and
/// the ones on a cycle, which are reported.
fn order_locals(
    l: &mut Loader<'_>,
    decls: &IndexMap<String, (Span, &Node)>,
    edges: &BTreeMap<&str, BTreeSet<String>>,
) -> (Vec<String>, BTreeSet<String>) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    let mut marks: BTreeMap<String, Mark> = BTreeMap::new();
    let mut order = Vec::new();
    let mut cyclic = BTreeSet::new();
    // Iterative depth-first search: (local, next edge to follow).
    for start in decls.keys() {
        if marks.contains_key(start) {
            continue;
        }
        let mut path: Vec<(String, Vec<String>)> = Vec::new();
        let next = |n: &str| -> Vec<String> {
            edges
                .get(n)
                .map(|e| e.iter().rev().cloned().collect())
                .unwrap_or_default()
        };
        marks.insert(start.clone(), Mark::Visiting);
        path.push((start.clone(), next(start)));
        while let Some((node, todo)) = path.last_mut() {
            let node = node.clone();
            let Some(dep) = todo.pop() else {
                marks.insert(node.clone(), Mark::Done);
                if !cyclic.contains(&node) {
                    order.push(node);
                }
                path.pop();
                continue;
            };
            match marks.get(&dep) {
                Some(Mark::Done) => {}
                Some(Mark::Visiting) => {
                    let from = path.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                    let members: Vec<String> =
                        path[from..].iter().map(|(n, _)| n.clone()).collect();
                    report_cycle(l, decls, &members);
                    cyclic.extend(members);
                }
                None => {
                    marks.insert(dep.clone(), Mark::Visiting);
                    let todo = next(&dep);
                    path.push((dep, todo));
                }
            }
        }
    }
    (order, cyclic)
}

fn report_cycle(l: &mut Loader<'_>, decls: &IndexMap<String, (Span, &Node)>, members: &[String]) {
    let Some(first) = members.first() else {
        return;
    };
    let chain: Vec<String> = members
        .iter()
        .chain(std::iter::once(first))
        .map(|n| format!("local.{n}"))
        .collect();
    let Some((span, _)) = decls.get(first) else {
        return;
    };
    let span = *span;
    l.error(&span, format!("cycle: {}", chain.join(" -> ")))
        .hint = Some("a local cannot read itself, directly or through other locals".into());
}

pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The stack's locals as the engine reads them: each evaluated, when an
/// expression reads it, against the same resource values.
pub(crate) struct StackLocals<'a> {
    /// The stack whose `locals` are read.
    pub stack: &'a Stack,
    /// The resource values of the evaluation.
    pub resources: &'a dyn ResourceValues,
}

impl LocalValues for StackLocals<'_> {
    fn local(&self, name: &str) -> Option<Result<Value, ExprError>> {
        let config = self.stack.locals.get(name)?;
        if let Config::Literal(v) = config {
            return Some(Ok(v.clone()));
        }
        let result = self
            .stack
            .evaluate_config(config, None, self.resources)
            .map_err(|d| local_error(name, d));
        Some(result)
    }

    fn names(&self) -> Vec<String> {
        self.stack.locals.keys().cloned().collect()
    }
}

/// The error of reading local `name` whose expression failed with `d`.
pub(crate) fn local_error(name: &str, d: Diagnostics) -> ExprError {
    let first = d.0.into_iter().next();
    let message = first
        .as_ref()
        .map_or_else(|| "evaluation failed".to_string(), |d| d.message.clone());
    let mut e = ExprError::new(ExprErrorKind::Eval, format!("in local `{name}`: {message}"));
    e.hint = first.and_then(|d| d.hint);
    e
}

#[cfg(test)]
mod tests {
    use super::is_identifier;

    #[test]
    fn local_names_are_identifiers() {
        for ok in ["a", "_x", "name_prefix", "web-1", "A9"] {
            assert!(is_identifier(ok), "{ok}");
        }
        for bad in ["", "1x", "-a", "a.b", "a b", "ü"] {
            assert!(!is_identifier(bad), "{bad}");
        }
    }
}
