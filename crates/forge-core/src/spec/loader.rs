//! `load_stack`: files -> merged document -> vars/environment -> tags,
//! state, resources, outputs -> expanded [`Stack`] -> cycle check.
//!
//! Every step records its problems and carries on with what it can, so a
//! single run reports every error of the spec.

use super::include::{load_layered, merge_mappings, stack_files};
use super::model::{LoadOptions, Stack, StateBackendConfig};
use super::resources::{ResourceTable, load_outputs, load_resources};
use super::root::Confinement;
use super::vars::{VarDecl, parse_decls, resolve};
use super::yaml::{Sources, node_kind, scalar_value};
use crate::diag::{Diagnostic, Diagnostics, SourcePos};
use crate::expr::{
    Analysis, ExprError, Files, Parsed, Scope, analyze, did_you_mean, evaluate, is_template, parse,
};
use crate::schema::SchemaRegistry;
use crate::value::Value;
use indexmap::IndexMap;
use marked_yaml::types::{MarkedMappingNode, MarkedScalarNode, Node, Span};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// The keys a spec file may have at its top level.
pub const TOP_LEVEL_KEYS: &[&str] = &[
    "stack",
    "region",
    "state",
    "vars",
    "environments",
    "default_environment",
    "tags",
    "include",
    "resources",
    "outputs",
    "import",
    "moved",
    "removed",
    "locals",
    "dependencies",
    "aws",
    "modules",
    "data",
];
const ENV_KEYS: &[&str] = &["vars", "region", "tags", "state", "aws"];
/// Keys of `resources` and `outputs` and `vars` may not repeat across files.
const KEYED_SECTIONS: &[&str] = &["resources", "outputs", "vars", "locals", "modules", "data"];
/// Sections whose maps from several files merge deeply.
const MERGED_SECTIONS: &[&str] = &["environments", "tags"];
/// List sections whose entries from several files are concatenated.
const LISTED_SECTIONS: &[&str] = super::adoption::ADOPTION_KEYS;

/// A template parsed once, with its static analysis.
pub(crate) type ParsedEntry = Rc<(Parsed, Analysis)>;

/// Loading state shared by the loader's steps.
pub(crate) struct Loader<'a> {
    pub sources: Sources,
    pub diags: Diagnostics,
    pub schemas: &'a SchemaRegistry,
    /// Templates with statically reported problems (not evaluated again).
    pub bad_templates: std::collections::HashSet<SourcePos>,
    /// Whether file functions must stay inside the repository.
    pub files_confined: bool,
    /// The stacks this one depends on, for checking references to them.
    pub dependencies: super::dependencies::DependencyTable,
    /// How deep in modules the loader is (0: the stack itself).
    pub module_depth: usize,
    /// The paths of the module instances being loaded, innermost last
    /// (`module.net`, `module.net.module.sub`).
    pub module_path: Vec<String>,
    /// What the data sources read in an earlier pass, if this is a pass
    /// after one (see [`crate::spec::DataPass`]).
    pub data_pass: Option<super::model::DataPass>,
    /// What could not be expanded because its `count` / `for_each` reads
    /// data sources not read yet ([`Stack::awaiting_data`]).
    pub awaiting: Vec<String>,
    /// The names of the stack's `aws.aliases`, which a resource's
    /// `aws: NAME` must be one of.
    pub aws_aliases: Vec<String>,
    parsed: HashMap<String, Result<ParsedEntry, ExprError>>,
}

impl<'a> Loader<'a> {
    pub(crate) fn new(schemas: &'a SchemaRegistry) -> Self {
        Loader {
            sources: Sources::default(),
            diags: Diagnostics::default(),
            schemas,
            bad_templates: std::collections::HashSet::new(),
            files_confined: true,
            dependencies: Default::default(),
            module_depth: 0,
            module_path: Vec::new(),
            data_pass: None,
            awaiting: Vec::new(),
            aws_aliases: Vec::new(),
            parsed: HashMap::new(),
        }
    }

    /// The values `data.NAME` reads at load in the module instance being
    /// loaded (the stack itself at the top): what an earlier pass read of
    /// its own data sources, by their local names; `None` in a first pass.
    pub(crate) fn data_in_scope(&self) -> Option<BTreeMap<String, Value>> {
        let pass = self.data_pass.as_ref()?;
        let prefix = self.module_path.last().map(|p| format!("{p}.data."));
        Some(
            pass.values
                .iter()
                .filter_map(|(name, v)| {
                    let local = match &prefix {
                        None if name.starts_with("module.") => return None,
                        None => name.as_str(),
                        Some(p) => name.strip_prefix(p.as_str())?,
                    };
                    (!local.contains('.')).then(|| (local.to_string(), v.clone()))
                })
                .collect(),
        )
    }

    /// Whether an expansion that reads something not known yet waits for
    /// the data sources (a pass that more passes may follow) rather than
    /// failing.
    pub(crate) fn may_await_data(&self) -> bool {
        self.data_pass.as_ref().is_none_or(|p| !p.last)
    }

    /// Records that `name` (in the module instance being loaded) waits for
    /// data sources to be expanded.
    pub(crate) fn await_data(&mut self, name: &str) {
        let full = match self.module_path.last() {
            Some(p) => format!("{p}.{name}"),
            None => name.to_string(),
        };
        self.awaiting.push(full);
    }

    /// The folder of the spec file holding `span`, where the file
    /// functions of an expression written there read.
    pub(crate) fn file_dir(&self, span: &Span) -> PathBuf {
        match self.sources.pos(span).file.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    /// Evaluates a parsed expression written at `span`.
    pub(crate) fn evaluate_at(
        &self,
        parsed: &Parsed,
        span: &Span,
        scope: &Scope<'_>,
    ) -> Result<Value, ExprError> {
        let dir = self.file_dir(span);
        let scope = Scope {
            files: Some(Files {
                dir: &dir,
                confined: self.files_confined,
            }),
            ..*scope
        };
        evaluate(parsed, &scope)
    }

    /// Parses a template, once per distinct text.
    pub(crate) fn parsed(&mut self, source: &str) -> Result<ParsedEntry, ExprError> {
        if let Some(hit) = self.parsed.get(source) {
            return hit.clone();
        }
        let entry = parse(source).map(|p| {
            let a = analyze(&p);
            Rc::new((p, a))
        });
        self.parsed.insert(source.to_string(), entry.clone());
        entry
    }

    /// A diagnostic at a node.
    pub(crate) fn error(&mut self, span: &Span, message: impl Into<String>) -> &mut Diagnostic {
        let d = self.sources.diag(span, message);
        self.diags.push(d);
        let last = self.diags.0.len() - 1;
        &mut self.diags.0[last]
    }

    /// An expression error at the node that holds the expression.
    pub(crate) fn expr_error(&mut self, span: &Span, source: &str, e: &ExprError, context: &str) {
        let message = if context.is_empty() {
            e.message.clone()
        } else {
            format!("{context}: {}", e.message)
        };
        let d = self.error(span, message);
        d.snippet = Some(snippet(source));
        d.hint = e.hint.clone();
    }

    /// Evaluates a scalar that may be a template in a load-time scope.
    pub(crate) fn load_time_value(
        &mut self,
        s: &MarkedScalarNode,
        scope: &Scope<'_>,
        context: &str,
    ) -> Option<Value> {
        if !is_template(s.as_str()) {
            return Some(scalar_value(s));
        }
        let entry = match self.parsed(s.as_str()) {
            Ok(e) => e,
            Err(e) => {
                self.expr_error(s.span(), s.as_str(), &e, context);
                return None;
            }
        };
        match self.evaluate_at(&entry.0, s.span(), scope) {
            Ok(v) => Some(v),
            Err(e) => {
                self.expr_error(s.span(), s.as_str(), &e, context);
                None
            }
        }
    }

    /// A load-time string setting (`region`, state keys, tags).
    pub(crate) fn load_time_string(
        &mut self,
        node: &Node,
        scope: &Scope<'_>,
        what: &str,
    ) -> Option<String> {
        let Node::Scalar(s) = node else {
            self.error(
                node.span(),
                format!("{what} must be a string, got {}", node_kind(node)),
            );
            return None;
        };
        match self.load_time_value(s, scope, what)? {
            Value::String(v) => Some(v),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            other => {
                self.error(
                    s.span(),
                    format!("{what} must be a string, got {}", other.type_name()),
                );
                None
            }
        }
    }
}

/// Loads, validates and expands the stack at `path` (a folder of YAML
/// files, or one file). Returns every problem found if there is any.
pub fn load_stack(
    path: &Path,
    opts: &LoadOptions,
    schemas: &SchemaRegistry,
) -> Result<Stack, Diagnostics> {
    let mut l = Loader::new(schemas);
    l.files_confined = !opts.allow_outside_root;
    l.data_pass = opts.data.clone();
    let confinement = Confinement::for_stack(path, opts.allow_outside_root);
    let root = read_document(&mut l, path, &confinement);
    let stack = root.and_then(|root| build(&mut l, path, &root, opts));
    if let Some(stack) = &stack
        && let Err(cycles) = crate::graph::DepGraph::build(stack)
    {
        l.diags.0.extend(cycles.0);
    }
    match stack {
        // Waiting for data sources when there are none to read: load once
        // more as a last pass, which reports what cannot be expanded.
        Some(stack)
            if l.diags.is_empty() && !stack.awaiting_data.is_empty() && stack.data.is_empty() =>
        {
            let opts = LoadOptions {
                data: Some(super::model::DataPass {
                    values: BTreeMap::new(),
                    last: true,
                }),
                ..opts.clone()
            };
            load_stack(path, &opts, schemas)
        }
        Some(stack) if l.diags.is_empty() => Ok(stack),
        _ => {
            let mut diags = l.diags;
            if diags.is_empty() {
                diags.push(Diagnostic::general("the stack could not be loaded"));
            }
            diags.sort();
            // A module used several times reports its problems once.
            diags.0.dedup();
            Err(diags)
        }
    }
}

/// An expression as a diagnostic snippet: cut after 200 characters, so a
/// pathological one-line expression does not flood the terminal.
fn snippet(source: &str) -> String {
    match source.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &source[..i]),
        None => source.to_string(),
    }
}

/// Reads every file of the stack and merges them into one document.
pub(crate) fn read_document(
    l: &mut Loader<'_>,
    path: &Path,
    confinement: &Confinement,
) -> Option<MarkedMappingNode> {
    let files = stack_files(path, &mut l.diags);
    let mut merged: Option<MarkedMappingNode> = None;
    for file in files {
        // A file of the folder is inside the root unless it is a symlink
        // that leads out of it.
        if let Err(outside) = confinement.check(&file) {
            l.diags.push(
                Diagnostic::at(
                    SourcePos {
                        file: file.clone(),
                        line: 1,
                        column: 1,
                    },
                    format!(
                        "{} leads outside the stack's root (to {})",
                        file.display(),
                        outside.resolved.display()
                    ),
                )
                .with_hint(outside.hint()),
            );
            continue;
        }
        let Some(doc) = load_layered(
            &file,
            &mut l.sources,
            confinement,
            &mut Vec::new(),
            &mut l.diags,
        ) else {
            continue;
        };
        merged = Some(match merged {
            None => doc,
            Some(acc) => merge_files(l, acc, doc),
        });
    }
    merged
}

fn merge_files(
    l: &mut Loader<'_>,
    mut acc: MarkedMappingNode,
    doc: MarkedMappingNode,
) -> MarkedMappingNode {
    for (key, value) in doc.iter() {
        let k = key.as_str();
        let existing = acc.remove(k);
        let merged = match (existing, value) {
            (None, v) => v.clone(),
            (Some(Node::Mapping(mut a)), Node::Mapping(b)) if KEYED_SECTIONS.contains(&k) => {
                for (name, v) in b.iter() {
                    if let Some((first, _)) = a.get_key_value(name.as_str()) {
                        let first = l.sources.pos(first.span());
                        let what = match k {
                            "resources" => "resource",
                            "outputs" => "output",
                            "locals" => "local",
                            "modules" => "module",
                            "data" => "data source",
                            _ => "var",
                        };
                        l.error(
                            name.span(),
                            format!(
                                "duplicate {what} `{}`: also defined at {first}",
                                name.as_str()
                            ),
                        )
                        .hint = Some(format!(
                            "{what} names must be unique across the stack's files"
                        ));
                        continue;
                    }
                    a.insert(name.clone(), v.clone());
                }
                Node::Mapping(a)
            }
            (Some(Node::Sequence(mut a)), Node::Sequence(b)) if LISTED_SECTIONS.contains(&k) => {
                a.extend(b.iter().cloned());
                Node::Sequence(a)
            }
            (Some(Node::Mapping(a)), Node::Mapping(b)) if MERGED_SECTIONS.contains(&k) => {
                Node::Mapping(merge_mappings(a, b.clone()))
            }
            (Some(first), v) => {
                let first = l.sources.pos(first.span());
                l.error(
                    key.span(),
                    format!("`{k}` is set in more than one file (also at {first})"),
                )
                .hint = Some("set it in one file only".into());
                v.clone()
            }
        };
        acc.insert(key.clone(), merged);
    }
    acc
}

pub(crate) fn check_keys(
    l: &mut Loader<'_>,
    map: &MarkedMappingNode,
    allowed: &[&str],
    what: &str,
) {
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            let hint = match did_you_mean(key.as_str(), allowed.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("allowed keys: {}", allowed.join(", ")),
            };
            l.error(
                key.span(),
                format!("unknown key `{}` in {what}", key.as_str()),
            )
            .hint = Some(hint);
        }
    }
}

pub(crate) fn mapping<'n>(
    l: &mut Loader<'_>,
    node: &'n Node,
    what: &str,
) -> Option<&'n MarkedMappingNode> {
    match node {
        Node::Mapping(m) => Some(m),
        other => {
            l.error(
                other.span(),
                format!("{what} must be a map, got {}", node_kind(other)),
            );
            None
        }
    }
}

fn build(
    l: &mut Loader<'_>,
    path: &Path,
    root: &MarkedMappingNode,
    opts: &LoadOptions,
) -> Option<Stack> {
    check_keys(l, root, TOP_LEVEL_KEYS, "the stack");

    // Environment overlay.
    let envs = root
        .get_node("environments")
        .and_then(|n| mapping(l, n, "`environments`"));
    if let Some(envs) = envs {
        for (name, env) in envs.iter() {
            if let Some(m) = mapping(l, env, &format!("environment `{}`", name.as_str())) {
                check_keys(l, m, ENV_KEYS, &format!("environment `{}`", name.as_str()));
            }
        }
    }
    let chosen = choose_environment(l, root, envs, opts);
    let env: Option<(&str, &MarkedMappingNode)> = match &chosen {
        None => None,
        Some(name) => match envs.and_then(|e| e.get_node(name.as_str())) {
            Some(Node::Mapping(m)) => Some((name.as_str(), m)),
            Some(_) => None,
            None => {
                let known: Vec<&str> = envs
                    .map(|e| e.keys().map(|k| k.as_str()).collect())
                    .unwrap_or_default();
                let mut d = Diagnostic::general(format!("unknown environment `{name}`"));
                d = match (did_you_mean(name, known.iter().copied()), known.is_empty()) {
                    (_, true) => d.with_hint("the stack declares no `environments`"),
                    (Some(s), _) => d.with_hint(format!(
                        "did you mean `{s}`? known environments: {}",
                        known.join(", ")
                    )),
                    (None, _) => d.with_hint(format!("known environments: {}", known.join(", "))),
                };
                l.diags.push(d);
                None
            }
        },
    };
    let env_node = |key: &str| env.and_then(|(_, m)| m.get_node(key));

    // Variables.
    let decls: IndexMap<String, VarDecl> = match root.get_node("vars") {
        Some(n) => parse_decls(n, &l.sources, &mut l.diags),
        None => IndexMap::new(),
    };
    let env_vars = env.and_then(|(name, m)| m.get_node("vars").map(|n| (name, n)));
    let by_convention = super::include::convention_var_files(path, env.map(|(n, _)| n));
    let vars = resolve(
        &decls,
        env_vars,
        &by_convention,
        opts,
        &mut l.sources,
        &mut l.diags,
    );

    let name = match root.get_node("stack") {
        Some(Node::Scalar(s)) if !s.as_str().is_empty() => s.as_str().to_string(),
        Some(other) => {
            l.error(other.span(), "`stack` must be the stack's name (a string)");
            String::new()
        }
        None => default_name(path),
    };
    let env_name = chosen.clone().filter(|_| env.is_some());
    let env_str = env_name.clone().unwrap_or_default();
    fn scope<'x>(
        vars: &'x BTreeMap<String, Value>,
        env: &'x str,
        stack: &'x str,
        region: &'x str,
    ) -> Scope<'x> {
        Scope {
            vars,
            env,
            stack,
            region,
            each: None,
            resources: None,
            files: None,
            locals: None,
            dependency: None,
            data: None,
        }
    }

    let region = match (
        &opts.region,
        env_node("region").or_else(|| root.get_node("region")),
    ) {
        (Some(r), _) => r.clone(),
        (None, Some(node)) => l
            .load_time_string(node, &scope(&vars, &env_str, &name, ""), "`region`")
            .unwrap_or_default(),
        (None, None) => {
            l.diags.push(
                Diagnostic::at(
                    SourcePos {
                        file: first_file(path),
                        line: 1,
                        column: 1,
                    },
                    "the stack has no `region`",
                )
                .with_hint("add `region: us-east-1` (or set it per environment, or pass --region)"),
            );
            String::new()
        }
    };
    let data_read = l.data_in_scope();
    let load_scope = Scope {
        data: data_read.as_ref(),
        ..scope(&vars, &env_str, &name, &region)
    };
    super::conditions::validate_vars(l, &decls, &load_scope);
    // Locals may read other stacks' outputs: those come first.
    let dependency_outputs = super::dependencies::load_dependencies(
        l,
        root.get_node("dependencies"),
        path,
        env_name.as_deref(),
        opts,
    );
    let load_scope = Scope {
        dependency: Some(&dependency_outputs),
        ..load_scope
    };
    let (local_table, pending_locals) =
        super::locals::declare_locals(l, root.get_node("locals"), &load_scope, &decls);
    let load_scope = Scope {
        locals: Some(&local_table),
        ..load_scope
    };

    let tags = load_tags(l, root.get_node("tags"), env_node("tags"), &load_scope);
    let state = load_state(l, root.get_node("state"), env_node("state"), &load_scope);
    let (aws, aws_aliases) =
        super::aws_settings::load_aws(l, root.get_node("aws"), env_node("aws"), &load_scope);
    l.aws_aliases = aws_aliases.keys().cloned().collect();

    let mut mcx = super::modules::ModuleCx::new(path, opts);
    let (calls, modules) =
        super::modules::declare_calls(l, &mut mcx, root.get_node("modules"), &load_scope);
    let mut table = ResourceTable::default();
    table.modules = modules;
    let data = super::data::load_data(
        l,
        root.get_node("data"),
        &load_scope,
        &decls,
        &mut table,
        &local_table,
    );
    let mut instances = match root.get_node("resources") {
        Some(node) => load_resources(l, node, &load_scope, &decls, &mut table, &local_table),
        None => Vec::new(),
    };
    let loaded = super::modules::instantiate(
        l,
        &mut mcx,
        calls,
        &load_scope,
        &decls,
        (&table, &local_table),
    );
    instances.extend(loaded.instances);
    instances.sort_by(|a, b| a.address.cmp(&b.address));
    let mut data = data;
    data.extend(loaded.data);
    data.sort_by(|a, b| a.address.cmp(&b.address));
    let locals =
        super::locals::finish_locals(l, pending_locals, &load_scope, &decls, &table, &local_table);
    let mut outputs = match root.get_node("outputs") {
        Some(node) => load_outputs(l, node, &load_scope, &decls, &table, &local_table),
        None => Vec::new(),
    };
    super::modules::resolve_output_dependencies(&mut instances, &mut outputs, &loaded.modules);
    mcx.finish(l);
    let adoption = super::adoption::load_adoption(l, root, &load_scope, &instances);

    Some(Stack {
        name,
        environment: env_name,
        region,
        root: if path.is_file() {
            path.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            path.to_path_buf()
        },
        state,
        tags,
        vars,
        locals,
        instances,
        data,
        data_values: BTreeMap::new(),
        outputs,
        adoption,
        dependency_outputs,
        aws,
        aws_aliases,
        modules: loaded.modules,
        awaiting_data: {
            let mut awaiting = std::mem::take(&mut l.awaiting);
            awaiting.sort();
            // A module used many times waits once per instance.
            awaiting.dedup();
            awaiting
        },
    })
}

/// The environment to load: `-e NAME`, else the stack's
/// `default_environment`. A stack that declares environments needs one of
/// the two: loading it without any overlay would plan a nameless
/// environment (`${env}` empty in names and state keys) that nobody meant.
fn choose_environment(
    l: &mut Loader<'_>,
    root: &MarkedMappingNode,
    envs: Option<&MarkedMappingNode>,
    opts: &LoadOptions,
) -> Option<String> {
    let known: Vec<&str> = envs
        .map(|e| e.keys().map(|k| k.as_str()).collect())
        .unwrap_or_default();
    let default = match root.get_node("default_environment") {
        None => None,
        Some(Node::Scalar(s)) if known.contains(&s.as_str()) => Some(s.as_str().to_string()),
        Some(Node::Scalar(s)) => {
            let hint = match (
                did_you_mean(s.as_str(), known.iter().copied()),
                known.is_empty(),
            ) {
                (_, true) => {
                    "the stack declares no `environments`; remove `default_environment`".to_string()
                }
                (Some(m), _) => format!(
                    "did you mean `{m}`? known environments: {}",
                    known.join(", ")
                ),
                (None, _) => format!("known environments: {}", known.join(", ")),
            };
            l.error(
                s.span(),
                format!(
                    "`default_environment` names `{}`, which is not one of the stack's environments",
                    s.as_str()
                ),
            )
            .hint = Some(hint);
            None
        }
        Some(other) => {
            l.error(
                other.span(),
                format!(
                    "`default_environment` must be an environment's name, got {}",
                    node_kind(other)
                ),
            );
            None
        }
    };
    if opts.environment.is_some() {
        return opts.environment.clone();
    }
    if default.is_some() || known.is_empty() {
        return default;
    }
    // Declared environments, none chosen, no default (an invalid default
    // was reported above).
    if root.get_node("default_environment").is_none() {
        let span = root
            .get_key_value("environments")
            .map(|(k, _)| *k.span())
            .unwrap_or(*root.span());
        l.error(
            &span,
            format!(
                "the stack declares environments ({}) but none was chosen",
                known.join(", ")
            ),
        )
        .hint = Some(format!(
            "pass `-e {}` (or --env); to make one the default, set `default_environment: {}` at the top level",
            known[0], known[0]
        ));
    }
    None
}

fn default_name(path: &Path) -> String {
    let p = if path.is_file() {
        path.file_stem()
    } else {
        path.file_name()
    };
    p.map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "stack".into())
}

fn first_file(path: &Path) -> PathBuf {
    if path.is_file() {
        return path.to_path_buf();
    }
    let mut d = Diagnostics::default();
    stack_files(path, &mut d)
        .into_iter()
        .next()
        .unwrap_or_else(|| path.to_path_buf())
}

fn load_tags(
    l: &mut Loader<'_>,
    top: Option<&Node>,
    env: Option<&Node>,
    scope: &Scope<'_>,
) -> BTreeMap<String, String> {
    let merged = match (top, env) {
        (Some(Node::Mapping(a)), Some(Node::Mapping(b))) => {
            Some(merge_mappings(a.clone(), b.clone()))
        }
        (_, Some(n)) | (Some(n), None) => mapping(l, n, "`tags`").cloned(),
        (None, None) => None,
    };
    let mut tags = BTreeMap::new();
    for (k, v) in merged.iter().flat_map(|m| m.iter()) {
        if let Some(s) = l.load_time_string(v, scope, &format!("tag `{}`", k.as_str())) {
            tags.insert(k.as_str().to_string(), s);
        }
    }
    tags
}

fn load_state(
    l: &mut Loader<'_>,
    top: Option<&Node>,
    env: Option<&Node>,
    scope: &Scope<'_>,
) -> StateBackendConfig {
    let merged = match (top, env) {
        (Some(Node::Mapping(a)), Some(Node::Mapping(b))) => merge_mappings(a.clone(), b.clone()),
        (None, None) => return StateBackendConfig::default(),
        (_, Some(n)) | (Some(n), None) => match mapping(l, n, "`state`") {
            Some(m) => m.clone(),
            None => return StateBackendConfig::default(),
        },
    };
    let backend = match merged.get_node("backend") {
        Some(Node::Scalar(s)) => s.as_str().to_string(),
        Some(other) => {
            l.error(other.span(), "`state.backend` must be `local` or `s3`");
            return StateBackendConfig::default();
        }
        None => {
            l.error(merged.span(), "`state` has no `backend`").hint =
                Some("backend: local (a file under .forge/) or backend: s3".into());
            return StateBackendConfig::default();
        }
    };
    let allowed: &[&str] = match backend.as_str() {
        "local" => &["backend", "path"],
        "s3" => &[
            "backend",
            "bucket",
            "key",
            "region",
            "kms_key_id",
            "endpoint",
            "aws",
        ],
        other => {
            let span = *merged
                .get_node("backend")
                .map(Node::span)
                .unwrap_or(merged.span());
            let hint = match did_you_mean(other, ["local", "s3"]) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "backends: local, s3".into(),
            };
            l.error(&span, format!("unknown state backend `{other}`"))
                .hint = Some(hint);
            return StateBackendConfig::default();
        }
    };
    check_keys(l, &merged, allowed, &format!("`state` ({backend} backend)"));
    let aws = match merged.get_node("aws") {
        Some(n) => mapping(l, n, "`state.aws`")
            .cloned()
            .and_then(|m| super::aws_settings::parse_aws(l, &m, scope, "state.aws"))
            .map(Box::new),
        None => None,
    };
    let mut get = |key: &str| {
        merged
            .get_node(key)
            .and_then(|n| l.load_time_string(n, scope, &format!("`state.{key}`")))
    };
    if backend == "local" {
        return StateBackendConfig::Local {
            path: get("path").map(PathBuf::from),
        };
    }
    let (bucket, key, region, kms_key_id, endpoint) = (
        get("bucket"),
        get("key"),
        get("region"),
        get("kms_key_id"),
        get("endpoint"),
    );
    for (name, v) in [("bucket", &bucket), ("key", &key)] {
        if v.is_none() && merged.get_node(name).is_none() {
            l.error(
                merged.span(),
                format!("the s3 state backend needs `{name}`"),
            )
            .hint = Some(
                "state: {backend: s3, bucket: my-state, key: \"${stack}/${env}.json\"}".into(),
            );
        }
    }
    StateBackendConfig::S3 {
        bucket: bucket.unwrap_or_default(),
        key: key.unwrap_or_default(),
        region,
        kms_key_id,
        endpoint,
        aws,
    }
}
