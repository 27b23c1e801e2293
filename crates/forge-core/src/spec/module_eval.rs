//! Modules when the engine evaluates: what an expression written inside a
//! module instance sees.
//!
//! A module instance's resources are ordinary instances of the stack whose
//! names carry the instance's path (`module.net["a"].vpc`). Their fields
//! are evaluated in the module's scope: `vars.X` are its inputs (literals
//! known at load, or expressions evaluated in the caller's scope), `local.X`
//! its locals, a resource name its own resource, and `module.NAME` the
//! outputs of the modules it calls. Nothing of the caller is visible.

use super::model::{Config, EachBinding, OutputDef, ResourceValues, Stack};
use crate::expr::{ExprError, LocalValues};
use crate::value::Value;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

thread_local! {
    /// The module instances whose outputs this thread is evaluating (see
    /// [`ModuleView::outputs_of`]).
    static EVALUATING: RefCell<BTreeSet<String>> = const { RefCell::new(BTreeSet::new()) };
}

/// Marks a module instance's outputs as being evaluated until dropped.
struct Evaluating(String);

impl Evaluating {
    /// `None` when `path`'s outputs are already being evaluated.
    fn enter(path: &str) -> Option<Evaluating> {
        EVALUATING
            .with(|e| e.borrow_mut().insert(path.to_string()))
            .then(|| Evaluating(path.to_string()))
    }
}

impl Drop for Evaluating {
    fn drop(&mut self) {
        EVALUATING.with(|e| e.borrow_mut().remove(&self.0));
    }
}

/// One instance of a module call (one per `count` index or `for_each`
/// key), as the engine evaluates it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModuleInstance {
    /// The path of the module instance whose `modules:` calls it; empty
    /// for the stack itself.
    pub parent: String,
    /// The call's name under `modules:` (`net`).
    pub call: String,
    /// `each.key` / `each.value` or `count.index` of this instance, seen
    /// by its inputs (written in the caller).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub each: Option<EachBinding>,
    /// The caller's region, where its expressions are evaluated.
    pub region: String,
    /// Its inputs: the values known at load as literals, the others as
    /// expressions evaluated in the caller's scope.
    pub inputs: BTreeMap<String, Config>,
    /// Inputs declared `sensitive`.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub sensitive_inputs: BTreeSet<String>,
    /// Its `locals:` (literals, or expressions that read resources).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub locals: BTreeMap<String, Config>,
    /// Its `outputs:`, sorted by name.
    pub outputs: Vec<OutputDef>,
}

/// The scope of one module instance (or of the stack, at path "") over the
/// engine's resource values, which are keyed by full names.
pub(crate) struct ModuleView<'a> {
    stack: &'a Stack,
    path: &'a str,
    module: Option<&'a ModuleInstance>,
    resources: &'a dyn ResourceValues,
}

impl<'a> ModuleView<'a> {
    /// The view from the module instance at `path` ("" for the stack).
    pub(crate) fn new(stack: &'a Stack, path: &'a str, resources: &'a dyn ResourceValues) -> Self {
        ModuleView {
            stack,
            path,
            module: stack.modules.get(path),
            resources,
        }
    }

    /// What `vars.X` reads: the stack's vars, or the module's inputs.
    pub(crate) fn vars(&self) -> Cow<'a, BTreeMap<String, Value>> {
        let Some(m) = self.module else {
            return Cow::Borrowed(&self.stack.vars);
        };
        Cow::Owned(
            m.inputs
                .iter()
                .map(|(name, config)| {
                    let v = match config {
                        Config::Literal(v) => v.clone(),
                        // An input that fails to evaluate reports where it is
                        // written (the caller's field that reads the same
                        // value fails there); here it is not known.
                        other => self
                            .stack
                            .evaluate_in(
                                other,
                                m.each.as_ref(),
                                (&m.parent, &m.region),
                                self.resources,
                            )
                            .unwrap_or(Value::Unknown),
                    };
                    let v = if m.sensitive_inputs.contains(name) {
                        v.sensitive()
                    } else {
                        v
                    };
                    (name.clone(), v)
                })
                .collect(),
        )
    }

    /// The outputs of the module instance at `path`, by name.
    ///
    /// Reading `module` evaluates the outputs of every call of the scope,
    /// an output may read its module's inputs, and an input may read
    /// `module` in the caller's scope again (one module fed by another's
    /// output: `vpc_id: ${module.net.vpc_id}`). Met again while its outputs
    /// are being evaluated, a module's outputs are unknown: the expression
    /// that led there does not read them (that would be a cycle, refused at
    /// load), so this only ends what would otherwise recurse forever.
    fn outputs_of(&self, path: &str, m: &ModuleInstance) -> Value {
        let Some(_evaluating) = Evaluating::enter(path) else {
            return Value::Unknown;
        };
        Value::Map(
            m.outputs
                .iter()
                .map(|o| {
                    let v = self
                        .stack
                        .evaluate_in(&o.value, None, (path, &m.region), self.resources)
                        .unwrap_or(Value::Unknown);
                    (o.name.clone(), if o.sensitive { v.sensitive() } else { v })
                })
                .collect(),
        )
    }

    /// What `module` reads: each call's outputs by call name; a list of
    /// them for `count`, a map by key for `for_each` (as Terraform).
    fn children(&self) -> Value {
        let mut calls: BTreeMap<String, Value> = BTreeMap::new();
        for (path, m) in &self.stack.modules {
            if m.parent != self.path {
                continue;
            }
            let outputs = self.outputs_of(path, m);
            match &m.each {
                None => {
                    calls.insert(m.call.clone(), outputs);
                }
                Some(EachBinding::Count(i)) => {
                    let entry = calls
                        .entry(m.call.clone())
                        .or_insert_with(|| Value::List(Vec::new()));
                    if let Value::List(list) = entry {
                        if list.len() <= *i {
                            list.resize(i + 1, Value::Unknown);
                        }
                        list[*i] = outputs;
                    }
                }
                Some(EachBinding::Each { key, .. }) => {
                    let entry = calls
                        .entry(m.call.clone())
                        .or_insert_with(|| Value::Map(BTreeMap::new()));
                    if let Value::Map(map) = entry {
                        map.insert(key.clone(), outputs);
                    }
                }
            }
        }
        Value::Map(calls)
    }
}

impl ResourceValues for ModuleView<'_> {
    fn resource(&self, name: &str) -> Option<Value> {
        match name {
            "module" => Some(self.children()),
            // A postcondition's own object, not a resource of the module.
            "self" => self.resources.resource(name),
            _ if self.path.is_empty() => self.resources.resource(name),
            _ => self.resources.resource(&format!("{}.{name}", self.path)),
        }
    }
}

impl LocalValues for ModuleView<'_> {
    fn local(&self, name: &str) -> Option<Result<Value, ExprError>> {
        let Some(m) = self.module else {
            return super::locals::StackLocals {
                stack: self.stack,
                resources: self.resources,
            }
            .local(name);
        };
        match m.locals.get(name)? {
            Config::Literal(v) => Some(Ok(v.clone())),
            config => Some(
                self.stack
                    .evaluate_in(config, None, (self.path, &m.region), self.resources)
                    .map_err(|d| super::locals::local_error(name, d)),
            ),
        }
    }

    fn names(&self) -> Vec<String> {
        match self.module {
            None => self.stack.locals.keys().cloned().collect(),
            Some(m) => m.locals.keys().cloned().collect(),
        }
    }
}
