//! `modules:` — a folder of forge YAML used as a unit, like a Terraform
//! module: it declares `inputs` (typed like vars), `outputs`, `locals`,
//! `resources` and `modules` of its own.
//!
//! Loading a scope (the stack, or a module instance's body) takes two
//! steps around its resources, because each may read the other:
//!
//! 1. [`declare_calls`], before resources: reads each called module's
//!    folder, expands the call's `count` / `for_each` and notes its output
//!    names, so `${module.net.vpc_id}` can be checked;
//! 2. [`instantiate`], after resources: checks the inputs in the caller's
//!    scope (where they may read its resources) and loads one body per
//!    instance, whose instances, modules and outputs are renamed under the
//!    instance's path (`module.net["a"].vpc`).
//!
//! A reference to a module's output depends on what that output reads, not
//! on the whole module: while loading it is a placeholder (`PATH#OUTPUT`)
//! that [`resolve_output_dependencies`] replaces once every module is
//! loaded.

use super::loader::{Loader, check_keys, read_document};
use super::locals::{LocalTable, declare_locals, finish_locals};
use super::model::{Config, EachBinding, Instance, OutputDef};
use super::module_eval::ModuleInstance;
use super::module_source::{ModuleSources, SourceKind};
use super::resources::{
    Expansion, ResourceTable, depends_on_node, expansion, load_input, load_outputs, load_resources,
};
use super::root::Confinement;
use super::var_types::convert;
use super::vars::{VarDecl, parse_decls};
use super::yaml::node_kind;
use crate::address::{Address, InstanceKey};
use crate::expr::{Parsed, RefOp, Reference, Scope, did_you_mean, evaluate};
use crate::value::Value;
use indexmap::IndexMap;
use marked_yaml::types::{MarkedMappingNode, Node, Span};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Keys of a module call.
const CALL_KEYS: &[&str] = &["source", "inputs", "for_each", "count", "depends_on"];
/// Keys a module's files may have at their top level.
pub(crate) const MODULE_KEYS: &[&str] = &[
    "inputs",
    "outputs",
    "locals",
    "data",
    "resources",
    "modules",
];
/// Separates a module instance's path from an output's name in a
/// dependency placeholder (never part of a name or a path's key text
/// after the last one).
const OUTPUT_MARK: char = '#';

/// A module's folder, read once however often it is used.
#[derive(Debug)]
pub(crate) struct ModuleDoc {
    /// Its files, merged.
    doc: MarkedMappingNode,
    /// Its `inputs:` declarations.
    inputs: IndexMap<String, VarDecl>,
}

/// Module loading state shared by every scope of one stack.
pub(crate) struct ModuleCx {
    confinement: Confinement,
    /// Module folders being loaded, outermost first (a cycle check).
    active: Vec<PathBuf>,
    /// Module folders read so far, by canonical path (`None`: unreadable).
    docs: HashMap<PathBuf, Option<Rc<ModuleDoc>>>,
    /// Where remote sources are fetched.
    pub(crate) sources: ModuleSources,
}

impl ModuleCx {
    /// The context of the stack at `stack`.
    pub(crate) fn new(stack: &Path, opts: &super::model::LoadOptions) -> Self {
        ModuleCx {
            confinement: Confinement::for_stack(stack, opts.allow_outside_root),
            active: Vec::new(),
            docs: HashMap::new(),
            sources: ModuleSources::new(stack, opts.update_modules),
        }
    }

    /// Writes the lock file if a git source was resolved (an error is
    /// reported as a diagnostic).
    pub(crate) fn finish(&mut self, l: &mut Loader<'_>) {
        if let Err(e) = self.sources.save() {
            l.diags
                .push(crate::diag::Diagnostic::general(e.message).with_hint(e.hint));
        }
    }
}

/// What a scope knows of the modules it calls, for its references.
#[derive(Debug, Default)]
pub(crate) struct ModuleTable {
    calls: BTreeMap<String, CallInfo>,
}

#[derive(Debug)]
struct CallInfo {
    expansion: Expansion,
    /// The module's output names; `None` when it could not be read (that
    /// is reported at its `source`).
    outputs: Option<BTreeSet<String>>,
}

/// A module call found by [`declare_calls`], instantiated later.
pub(crate) struct DeclaredCall<'n> {
    name: String,
    span: Span,
    body: &'n MarkedMappingNode,
    module: Rc<ModuleDoc>,
    dir: PathBuf,
}

/// What a scope's module calls load to, named relative to the scope.
#[derive(Default)]
pub(crate) struct Loaded {
    /// The resource instances of every module instance, nested ones too.
    pub instances: Vec<Instance>,
    /// Their data sources (`module.net.data.azs`), nested ones too.
    pub data: Vec<Instance>,
    /// Every module instance, by path.
    pub modules: BTreeMap<String, ModuleInstance>,
}

/// Step 1: reads the modules `node` (a `modules:` map) calls.
pub(crate) fn declare_calls<'n>(
    l: &mut Loader<'_>,
    mcx: &mut ModuleCx,
    node: Option<&'n Node>,
    scope: &Scope<'_>,
) -> (Vec<DeclaredCall<'n>>, ModuleTable) {
    let mut table = ModuleTable::default();
    let mut declared = Vec::new();
    let Some(node) = node else {
        return (declared, table);
    };
    let Node::Mapping(calls) = node else {
        l.error(
            node.span(),
            format!(
                "`modules` must be a map of names to module calls, got {}",
                node_kind(node)
            ),
        );
        return (declared, table);
    };
    for (name, body) in calls.iter() {
        let n = name.as_str();
        if !super::locals::is_identifier(n) {
            l.error(name.span(), format!("invalid module name `{n}`"))
                .hint =
                Some("names start with a letter or `_` and contain letters, digits and `_`".into());
            continue;
        }
        let Node::Mapping(body) = body else {
            l.error(
                body.span(),
                format!("module `{n}` must be a map with a `source` and its `inputs`"),
            );
            continue;
        };
        check_keys(l, body, CALL_KEYS, &format!("module `{n}`"));
        let expansion = expansion(l, n, body, scope);
        let module = source_dir(l, mcx, n, name.span(), body).and_then(|dir| {
            let doc = read_module(l, mcx, &dir)?;
            Some((dir, doc))
        });
        let outputs = module
            .as_ref()
            .map(|(_, m)| match m.doc.get_node("outputs") {
                Some(Node::Mapping(o)) => o.keys().map(|k| k.as_str().to_string()).collect(),
                _ => BTreeSet::new(),
            });
        table
            .calls
            .insert(n.to_string(), CallInfo { expansion, outputs });
        if let Some((dir, module)) = module {
            declared.push(DeclaredCall {
                name: n.to_string(),
                span: *name.span(),
                body,
                module,
                dir,
            });
        }
    }
    (declared, table)
}

/// The folder a call's `source` names, checked: it exists and is not a
/// module being loaded (a module that uses itself).
fn source_dir(
    l: &mut Loader<'_>,
    mcx: &mut ModuleCx,
    name: &str,
    name_span: &Span,
    body: &MarkedMappingNode,
) -> Option<PathBuf> {
    let source = match body.get_node("source") {
        Some(Node::Scalar(s)) if !s.as_str().is_empty() => s,
        Some(other) => {
            l.error(
                other.span(),
                format!("the `source` of module `{name}` must be a path or a git URL"),
            );
            return None;
        }
        None => {
            l.error(name_span, format!("module `{name}` has no `source`"))
                .hint = Some(
                "add e.g. `source: ../modules/network` (a folder) or `source: git::https://host/repo.git//path?ref=v1.0`".into(),
            );
            return None;
        }
    };
    let text = source.as_str();
    let dir = match SourceKind::parse(text) {
        SourceKind::Local => l.file_dir(source.span()).join(text),
        SourceKind::Git(git) => match mcx.sources.fetch(&git) {
            Ok(dir) => dir,
            Err(e) => {
                l.error(
                    source.span(),
                    format!("module `{name}`: cannot fetch `{text}`: {}", e.message),
                )
                .hint = Some(e.hint);
                return None;
            }
        },
    };
    let Ok(dir) = dir
        .canonicalize()
        .map_err(|_| ())
        .and_then(|d| if d.is_dir() { Ok(d) } else { Err(()) })
    else {
        l.error(
            source.span(),
            format!(
                "the source of module `{name}` is not a folder: `{text}` (resolved to {})",
                dir.display()
            ),
        )
        .hint = Some(
            "a local source is a folder of forge YAML, relative to the file that uses it".into(),
        );
        return None;
    };
    if let Err(outside) = mcx.confinement.check(&dir) {
        l.error(
            source.span(),
            format!("the source of module `{name}` leads outside the stack's root"),
        )
        .hint = Some(outside.hint());
        return None;
    }
    if let Some(at) = mcx.active.iter().position(|d| *d == dir) {
        let chain: Vec<String> = mcx.active[at..]
            .iter()
            .chain(std::iter::once(&dir))
            .map(|d| d.display().to_string())
            .collect();
        l.error(
            source.span(),
            format!(
                "module `{name}` uses a module that is being loaded: {}",
                chain.join(" → ")
            ),
        )
        .hint = Some("a module cannot use itself, directly or through other modules".into());
        return None;
    }
    Some(dir)
}

/// Reads the module folder `dir` (once).
fn read_module(l: &mut Loader<'_>, mcx: &mut ModuleCx, dir: &Path) -> Option<Rc<ModuleDoc>> {
    if let Some(hit) = mcx.docs.get(dir) {
        return hit.clone();
    }
    let doc = read_document(l, dir, &mcx.confinement).map(|doc| {
        check_keys(
            l,
            &doc,
            MODULE_KEYS,
            &format!("the module at {}", dir.display()),
        );
        let inputs = match doc.get_node("inputs") {
            Some(n) => parse_decls(n, &l.sources, &mut l.diags),
            None => IndexMap::new(),
        };
        Rc::new(ModuleDoc { doc, inputs })
    });
    mcx.docs.insert(dir.to_path_buf(), doc.clone());
    doc
}

/// Step 2: checks each call's inputs in the caller's scope and loads one
/// body per instance.
pub(crate) fn instantiate(
    l: &mut Loader<'_>,
    mcx: &mut ModuleCx,
    declared: Vec<DeclaredCall<'_>>,
    scope: &Scope<'_>,
    vars: &IndexMap<String, VarDecl>,
    (table, locals): (&ResourceTable, &LocalTable),
) -> Loaded {
    let mut out = Loaded::default();
    for call in declared {
        let Some(info) = table.modules.calls.get(&call.name) else {
            continue;
        };
        let explicit = depends_on_node(l, call.body, table);
        let bindings: Vec<(Option<InstanceKey>, Option<EachBinding>)> = match &info.expansion {
            Expansion::Single => vec![(None, None)],
            Expansion::Count(n) => (0..*n)
                .map(|i| (Some(InstanceKey::Index(i)), Some(EachBinding::Count(i))))
                .collect(),
            Expansion::ForEach(keys) => keys
                .iter()
                .map(|(k, v)| {
                    (
                        Some(InstanceKey::Key(k.clone())),
                        Some(EachBinding::Each {
                            key: k.clone(),
                            value: v.clone(),
                        }),
                    )
                })
                .collect(),
        };
        mcx.active.push(call.dir.clone());
        for (i, (key, each)) in bindings.into_iter().enumerate() {
            let path = Address {
                name: format!("module.{}", call.name),
                key,
            }
            .to_string();
            let s = Scope {
                each: each.as_ref(),
                ..*scope
            };
            let before = l.diags.0.len();
            let (inputs, input_vars, mut deps) =
                inputs(l, &call, &s, vars, (table, locals), &info.expansion, i == 0);
            // A body loaded with wrong inputs would only report their echoes.
            if l.diags.0.len() > before || input_vars.len() < call.module.inputs.len() {
                continue;
            }
            deps.extend(explicit.iter().cloned());
            // The instance's full path, for what its own data sources read.
            let full = match l.module_path.last() {
                Some(outer) => format!("{outer}.{path}"),
                None => path.clone(),
            };
            l.module_path.push(full);
            let data_read = l.data_in_scope();
            let base = Scope {
                vars: &input_vars,
                each: None,
                resources: None,
                files: None,
                locals: None,
                dependency: None,
                data: data_read.as_ref(),
                ..*scope
            };
            l.module_depth += 1;
            let body = load_body(l, mcx, &call.module, &base);
            l.module_depth -= 1;
            l.module_path.pop();
            let Body {
                loaded,
                locals: module_locals,
                outputs,
            } = body;
            for mut inst in loaded.data {
                inst.address = prefixed(&path, &inst.address);
                inst.module = join(&path, &inst.module);
                out.data.push(inst);
            }
            for mut inst in loaded.instances {
                inst.address = prefixed(&path, &inst.address);
                inst.dependencies = inst
                    .dependencies
                    .iter()
                    .map(|a| prefixed(&path, a))
                    .chain(deps.iter().cloned())
                    .collect();
                inst.module = join(&path, &inst.module);
                out.instances.push(inst);
            }
            for (child, mut m) in loaded.modules {
                m.parent = join(&path, &m.parent);
                for o in &mut m.outputs {
                    o.dependencies = o
                        .dependencies
                        .iter()
                        .map(|a| prefixed(&path, a))
                        .chain(deps.iter().cloned())
                        .collect();
                }
                out.modules.insert(join(&path, &child), m);
            }
            let outputs = outputs
                .into_iter()
                .map(|mut o| {
                    o.dependencies = o
                        .dependencies
                        .iter()
                        .map(|a| prefixed(&path, a))
                        .chain(deps.iter().cloned())
                        .collect();
                    o
                })
                .collect();
            let sensitive_inputs = call
                .module
                .inputs
                .iter()
                .filter(|(_, d)| d.sensitive)
                .map(|(k, _)| k.clone())
                .collect();
            out.modules.insert(
                path,
                ModuleInstance {
                    parent: String::new(),
                    call: call.name.clone(),
                    each,
                    region: scope.region.to_string(),
                    inputs,
                    sensitive_inputs,
                    locals: module_locals,
                    outputs,
                },
            );
        }
        mcx.active.pop();
    }
    out
}

/// A call's inputs: their configs (literals when known at load), the
/// values the module's body is loaded with, and what they depend on.
fn inputs(
    l: &mut Loader<'_>,
    call: &DeclaredCall<'_>,
    scope: &Scope<'_>,
    vars: &IndexMap<String, VarDecl>,
    tables: (&ResourceTable, &LocalTable),
    owner: &Expansion,
    check: bool,
) -> (
    BTreeMap<String, Config>,
    BTreeMap<String, Value>,
    BTreeSet<Address>,
) {
    let decls = &call.module.inputs;
    let name = &call.name;
    let mut configs = BTreeMap::new();
    let mut deps = BTreeSet::new();
    let given = match call.body.get_node("inputs") {
        None => None,
        Some(Node::Mapping(m)) => Some(m),
        Some(other) => {
            if check {
                l.error(
                    other.span(),
                    format!(
                        "the `inputs` of module `{name}` must be a map, got {}",
                        node_kind(other)
                    ),
                );
            }
            None
        }
    };
    for (key, node) in given.iter().flat_map(|m| m.iter()) {
        let k = key.as_str();
        let Some(decl) = decls.get(k) else {
            if check {
                let hint = match did_you_mean(k, decls.keys().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None if decls.is_empty() => "the module declares no `inputs`".to_string(),
                    None => format!(
                        "inputs of the module: {}",
                        decls.keys().cloned().collect::<Vec<_>>().join(", ")
                    ),
                };
                l.error(key.span(), format!("module `{name}` has no input `{k}`"))
                    .hint = Some(hint);
            }
            continue;
        };
        let what = format!("input `{k}` of module `{name}`");
        let (config, read) = load_input(l, node, scope, vars, tables, owner, check, &what);
        deps.extend(read);
        let config = match config {
            Config::Literal(v) if v.is_known() => match convert(v, &decl.ty) {
                Ok(v) => Config::Literal(v),
                Err(e) => {
                    let at = if e.path.is_empty() {
                        String::new()
                    } else {
                        format!(" at `{}`", e.path_text())
                    };
                    l.error(
                        node.span(),
                        format!(
                            "wrong type for input `{k}` of module `{name}`{at}: {}",
                            e.message
                        ),
                    )
                    .hint = Some(format!(
                        "the module declares `{k}` as {} (at {})",
                        decl.ty,
                        l.sources.pos(&decl.span)
                    ));
                    Config::Literal(Value::Null)
                }
            },
            other => other,
        };
        configs.insert(k.to_string(), config);
    }
    let mut values = BTreeMap::new();
    for (k, decl) in decls {
        match configs.get(k) {
            Some(Config::Literal(v)) => {
                values.insert(k.clone(), v.clone());
            }
            // Known at apply: the body is loaded with it unknown.
            Some(_) => {
                values.insert(k.clone(), Value::Unknown);
            }
            None => match &decl.default {
                Some(d) => {
                    values.insert(k.clone(), d.clone());
                    configs.insert(k.clone(), Config::Literal(d.clone()));
                }
                None if check => {
                    let declared = l.sources.pos(&decl.span);
                    l.error(
                        &call.span,
                        format!("module `{name}` is missing required input `{k}`"),
                    )
                    .hint = Some(format!(
                        "set it under `inputs:` of the call; `{k}` is {} with no default (declared at {declared})",
                        decl.ty
                    ));
                }
                None => {}
            },
        }
        if decl.sensitive
            && let Some(v) = values.get_mut(k)
        {
            *v = std::mem::take(v).sensitive();
        }
    }
    (configs, values, deps)
}

/// A module body loaded for one instance, named relative to it.
struct Body {
    loaded: Loaded,
    locals: BTreeMap<String, Config>,
    outputs: Vec<OutputDef>,
}

/// Loads one instance of `module` in `scope` (its inputs as vars).
fn load_body(
    l: &mut Loader<'_>,
    mcx: &mut ModuleCx,
    module: &ModuleDoc,
    scope: &Scope<'_>,
) -> Body {
    let doc = &module.doc;
    let decls = &module.inputs;
    super::conditions::validate_vars(l, decls, scope);
    let (local_table, pending) = declare_locals(l, doc.get_node("locals"), scope, decls);
    let scope = Scope {
        locals: Some(&local_table),
        ..*scope
    };
    let (declared, modules) = declare_calls(l, mcx, doc.get_node("modules"), &scope);
    let mut table = ResourceTable::default();
    table.modules = modules;
    // A module's own data sources are read with the stack's; named
    // `data.NAME` here, they become `module.PATH.data.NAME` below.
    let mut data: Vec<Instance> = super::data::load_data(
        l,
        doc.get_node("data"),
        &scope,
        decls,
        &mut table,
        &local_table,
    )
    .into_iter()
    .map(|mut i| {
        i.address.name = format!("data.{}", i.address.name);
        i
    })
    .collect();
    let mut instances = match doc.get_node("resources") {
        Some(n) => load_resources(l, n, &scope, decls, &mut table, &local_table),
        None => Vec::new(),
    };
    let mut loaded = instantiate(l, mcx, declared, &scope, decls, (&table, &local_table));
    instances.append(&mut loaded.instances);
    loaded.instances = instances;
    data.append(&mut loaded.data);
    loaded.data = data;
    let locals = finish_locals(l, pending, &scope, decls, &table, &local_table);
    let outputs = match doc.get_node("outputs") {
        Some(n) => load_outputs(l, n, &scope, decls, &table, &local_table),
        None => Vec::new(),
    };
    Body {
        loaded,
        locals,
        outputs,
    }
}

/// `path.rest`, or `path` when `rest` is empty.
fn join(path: &str, rest: &str) -> String {
    if rest.is_empty() {
        path.to_string()
    } else {
        format!("{path}.{rest}")
    }
}

/// `address` seen from the caller of the module instance at `path`.
fn prefixed(path: &str, address: &Address) -> Address {
    Address {
        name: join(path, &address.name),
        key: address.key.clone(),
    }
}

impl ModuleTable {
    /// The problem with `r` (a `module.…` reference), if any.
    pub(crate) fn check_reference(&self, r: &Reference) -> Option<(String, Option<String>)> {
        let name = r.first_attr()?;
        let Some(call) = self.calls.get(name) else {
            let hint = did_you_mean(name, self.calls.keys().map(String::as_str)).map_or_else(
                || "declare it under `modules:`".to_string(),
                |s| format!("did you mean `module.{s}`?"),
            );
            return Some((
                format!("reference to undefined module `{name}`"),
                Some(hint),
            ));
        };
        let outputs = call.outputs.as_ref()?;
        let output = match (&call.expansion, r.ops.get(1)) {
            (_, None) => return None,
            (Expansion::Single, Some(RefOp::Attr(a))) => a,
            (Expansion::Single, Some(_)) => {
                return Some((
                    format!("`module.{name}` is a single module instance and cannot be indexed"),
                    Some(format!("write `module.{name}.OUTPUT`")),
                ));
            }
            (expanded, Some(RefOp::Attr(a))) => {
                let example = match expanded {
                    Expansion::Count(_) => format!("`module.{name}[0].{a}`"),
                    _ => format!("`module.{name}[\"key\"].{a}`"),
                };
                return Some((
                    format!(
                        "`module.{name}` is expanded with `count` or `for_each`: refer to one instance"
                    ),
                    Some(format!("write {example}")),
                ));
            }
            (_, Some(_)) => match r.ops.get(2) {
                Some(RefOp::Attr(a)) => a,
                _ => return None,
            },
        };
        if outputs.contains(output) {
            return None;
        }
        let hint = did_you_mean(output, outputs.iter().map(String::as_str)).map_or_else(
            || {
                if outputs.is_empty() {
                    "the module declares no `outputs`".to_string()
                } else {
                    format!(
                        "outputs of module `{name}`: {}",
                        outputs.iter().cloned().collect::<Vec<_>>().join(", ")
                    )
                }
            },
            |s| format!("did you mean `{s}`?"),
        );
        Some((
            format!("module `{name}` has no output `{output}`"),
            Some(hint),
        ))
    }

    /// What `r` (a `module.…` reference) depends on: placeholders for the
    /// outputs it reads, replaced by [`resolve_output_dependencies`].
    pub(crate) fn targets(&self, r: &Reference, scope: &Scope<'_>) -> Vec<Address> {
        let names: Vec<&String> = match r.first_attr() {
            Some(n) => self
                .calls
                .get_key_value(n)
                .map(|(k, _)| k)
                .into_iter()
                .collect(),
            None => self.calls.keys().collect(),
        };
        let mut out = Vec::new();
        for name in names {
            let call = &self.calls[name];
            let keys: Vec<Option<InstanceKey>> = match &call.expansion {
                Expansion::Single => vec![None],
                Expansion::Count(n) => (0..*n).map(|i| Some(InstanceKey::Index(i))).collect(),
                Expansion::ForEach(keys) => keys
                    .iter()
                    .map(|(k, _)| Some(InstanceKey::Key(k.clone())))
                    .collect(),
            };
            let (keys, output_op) = match (&call.expansion, r.ops.get(1)) {
                (Expansion::Single, op) => (keys, op),
                (_, Some(RefOp::Index(e))) => {
                    // A statically known key names one instance.
                    let one = match evaluate(&Parsed::Expr(e.clone()), scope).map(|v| v.unmarked())
                    {
                        Ok(Value::Number(n)) => n.as_u64().map(|i| InstanceKey::Index(i as usize)),
                        Ok(Value::String(k)) => Some(InstanceKey::Key(k)),
                        _ => None,
                    };
                    match one {
                        Some(k) if keys.contains(&Some(k.clone())) => (vec![Some(k)], r.ops.get(2)),
                        _ => (keys, r.ops.get(2)),
                    }
                }
                (_, _) => (keys, None),
            };
            let output = match output_op {
                Some(RefOp::Attr(a)) => a.as_str(),
                _ => "*",
            };
            for key in keys {
                let path = Address {
                    name: format!("module.{name}"),
                    key,
                };
                out.push(Address::single(format!("{path}{OUTPUT_MARK}{output}")));
            }
        }
        out
    }
}

/// Replaces the output placeholders among the dependencies of `instances`
/// and `outputs` (the stack's) by what those outputs read, through nested
/// modules, once every module instance is known.
pub(crate) fn resolve_output_dependencies(
    instances: &mut [Instance],
    outputs: &mut [OutputDef],
    modules: &BTreeMap<String, ModuleInstance>,
) {
    let resolve = |deps: &BTreeSet<Address>| -> BTreeSet<Address> {
        let mut done = BTreeSet::new();
        let mut seen = HashSet::new();
        let mut todo: Vec<Address> = deps.iter().cloned().collect();
        while let Some(a) = todo.pop() {
            let Some((path, output)) = a.name.rsplit_once(OUTPUT_MARK) else {
                done.insert(a);
                continue;
            };
            if !seen.insert(a.name.clone()) {
                continue;
            }
            let Some(m) = modules.get(path) else {
                continue;
            };
            for o in &m.outputs {
                if output == "*" || o.name == output {
                    todo.extend(o.dependencies.iter().cloned());
                }
            }
        }
        done
    };
    let has_placeholder =
        |deps: &BTreeSet<Address>| deps.iter().any(|a| a.name.contains(OUTPUT_MARK));
    for inst in instances {
        if has_placeholder(&inst.dependencies) {
            inst.dependencies = resolve(&inst.dependencies);
            inst.dependencies.remove(&inst.address);
        }
    }
    for o in outputs {
        if has_placeholder(&o.dependencies) {
            o.dependencies = resolve(&o.dependencies);
        }
    }
}
