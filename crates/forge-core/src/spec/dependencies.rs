//! `dependencies:` — other stacks whose outputs this stack reads, as
//! `${dependency.NAME.outputs.X}` (Terragrunt's `dependency` blocks).
//!
//! ```yaml
//! dependencies:
//!   network:
//!     path: ../network          # the other stack, from this stack's folder
//!     environment: prod         # default: the environment being loaded
//!     mock_outputs: {vpc_id: vpc-00000000}
//!     mock_outputs_allowed_commands: [validate, plan]
//! ```
//!
//! forge-core never touches a state backend: the caller passes a
//! [`DependencyReader`] (the CLI's reads the other stack's state, local or
//! S3, read-only) and the loader turns what it returns into the values of
//! the `dependency` name. `mock_outputs` stand in while the other stack has
//! no state (or its state lacks an output) for the commands listed in
//! `mock_outputs_allowed_commands` only — never for `apply` or `destroy`.
//! A dependency that cannot be served is an error at its declaration; a
//! reference to an output it does not have is an error at the reference.

use super::loader::Loader;
use super::model::LoadOptions;
use super::root::Confinement;
use super::yaml::{node_kind, node_value};
use crate::diag::Diagnostics;
use crate::expr::{RefOp, Reference, did_you_mean};
use crate::value::Value;
use marked_yaml::types::{MarkedMappingNode, Node};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

/// The keys of one dependency.
const DEPENDENCY_KEYS: &[&str] = &[
    "path",
    "environment",
    "mock_outputs",
    "mock_outputs_allowed_commands",
];

/// The commands `mock_outputs` may serve (apply and destroy never use them).
pub const MOCK_COMMANDS: &[&str] = &["validate", "plan", "drift"];

/// What `mock_outputs_allowed_commands` is when left out.
const DEFAULT_MOCK_COMMANDS: &[&str] = &["validate", "plan"];

/// A dependency whose outputs the loader asks a [`DependencyReader`] for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependencyRequest {
    /// Its name under `dependencies:`.
    pub name: String,
    /// The other stack's folder or file.
    pub path: PathBuf,
    /// The environment to read: the declared one, else the one this stack
    /// is loaded with (`None` when neither).
    pub environment: Option<String>,
}

/// What a [`DependencyReader`] found of a dependency.
#[derive(Debug, Clone, PartialEq)]
pub enum DependencyState {
    /// Its state exists: its outputs (sensitive ones marked), and where the
    /// state is (for messages).
    Applied {
        /// The recorded outputs.
        outputs: BTreeMap<String, Value>,
        /// The state's location.
        location: String,
    },
    /// It has no state yet (never applied, or destroyed).
    NotApplied {
        /// Where the state would be.
        location: String,
    },
    /// Not read: the command does not need the values (`validate`, state
    /// commands). Its outputs are its mocks, else unknown.
    Unread,
}

/// Reads other stacks' outputs for the loader.
pub trait DependencyReader: Send + Sync + std::fmt::Debug {
    /// The command being run (`plan`, `apply`, ...), matched against
    /// `mock_outputs_allowed_commands`.
    fn command(&self) -> &str;

    /// Reads the dependency's outputs; an `Err` is a message shown at the
    /// dependency's declaration.
    fn read(&self, request: &DependencyRequest) -> Result<DependencyState, String>;

    /// Told when `mock_outputs` stand in for `names` of a dependency it
    /// read (so a plan made with them can say so); does nothing unless
    /// implemented.
    fn mocked(&self, request: &DependencyRequest, names: &[String]) {
        let _ = (request, names);
    }
}

/// A dependency as declared, read without evaluating anything (for
/// `forge stacks` and run-all ordering).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredDependency {
    /// Its name.
    pub name: String,
    /// The other stack, as written joined to this stack's folder.
    pub path: PathBuf,
    /// The declared environment, if any.
    pub environment: Option<String>,
}

/// What the loader knows of each dependency, to check references.
#[derive(Debug, Default)]
pub(crate) struct DependencyTable {
    entries: BTreeMap<String, Known>,
}

#[derive(Debug)]
struct Known {
    /// The output names it has; `None` when unknown (not read, no mocks).
    outputs: Option<BTreeSet<String>>,
    /// Where they came from, for hints.
    origin: String,
}

/// The folder a stack's relative paths start from.
fn stack_dir(path: &Path) -> PathBuf {
    if path.is_file() {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    } else {
        path.to_path_buf()
    }
}

/// `relative` joined to the stack's folder with `.` and `..` folded
/// (`app/../network` is `network`), so messages and `forge stacks` show
/// one spelling of each stack.
pub(crate) fn join_path(stack: &Path, relative: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for c in stack_dir(stack).join(relative).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// The other stack at `relative` to `from` (a spec file, whose folder it
/// starts from, or a stack folder), `.` and `..` folded: it must exist and
/// stay inside the repository root of `from` unless `allow_outside`.
/// `Err` is a message and its hint (for `forge.stack_outputs`, whose
/// `stack` is known only once its arguments are evaluated).
pub fn other_stack_path(
    from: &Path,
    relative: &str,
    allow_outside: bool,
) -> Result<PathBuf, (String, String)> {
    let path = join_path(from, relative);
    if let Err(outside) = Confinement::for_stack(from, allow_outside).check(&path) {
        return Err((
            format!(
                "stack `{relative}` leads outside the stack's root (to {})",
                outside.resolved.display()
            ),
            outside.hint(),
        ));
    }
    if !path.exists() {
        return Err((
            format!("stack `{relative}` does not exist ({})", path.display()),
            "`stack` is the other stack's folder, relative to the file that declares the data source"
                .into(),
        ));
    }
    Ok(path)
}

/// Reads the `dependencies:` section: asks the reader for each one, and
/// returns the values of the `dependency` name (`{NAME: {outputs: ...}}`).
/// Problems are reported on `l`; the table for reference checks is left in
/// `l.dependencies`.
pub(crate) fn load_dependencies(
    l: &mut Loader<'_>,
    node: Option<&Node>,
    stack: &Path,
    environment: Option<&str>,
    opts: &LoadOptions,
) -> BTreeMap<String, Value> {
    let mut values = BTreeMap::new();
    let Some(node) = node else {
        return values;
    };
    let Node::Mapping(deps) = node else {
        l.error(
            node.span(),
            format!("`dependencies` must be a map, got {}", node_kind(node)),
        )
        .hint = Some("dependencies: {network: {path: ../network}}".into());
        return values;
    };
    let confinement = Confinement::for_stack(stack, opts.allow_outside_root);
    for (name, body) in deps.iter() {
        let name = name.as_str().to_string();
        // Known with unknown outputs until served, so a dependency that
        // fails below is reported once, not again at every reference.
        l.dependencies.entries.insert(
            name.clone(),
            Known {
                outputs: None,
                origin: "not read".into(),
            },
        );
        values.insert(name.clone(), outputs_value(Value::Unknown));
        let Some(decl) = declaration(l, &name, body, stack, &confinement) else {
            continue;
        };
        let request = DependencyRequest {
            name: name.clone(),
            path: decl.path.clone(),
            environment: decl
                .environment
                .clone()
                .or_else(|| environment.map(str::to_string)),
        };
        let (command, state) = match &opts.dependency_reader {
            Some(reader) => (reader.command().to_string(), reader.read(&request)),
            None => (String::new(), Ok(DependencyState::Unread)),
        };
        let mocks_allowed = decl.mock_commands.contains(&command);
        let (outputs, known) = match state {
            Err(message) => {
                l.error(
                    body.span(),
                    format!(
                        "reading dependency `{name}` ({}): {message}",
                        shown(&request)
                    ),
                );
                continue;
            }
            Ok(DependencyState::Applied {
                mut outputs,
                location,
            }) => {
                let mut origin = format!("its state at {location}");
                if mocks_allowed && let Some(mocks) = &decl.mocks {
                    let missing: Vec<&String> =
                        mocks.keys().filter(|k| !outputs.contains_key(*k)).collect();
                    if !missing.is_empty() {
                        origin.push_str(", and mock_outputs for the rest");
                        if let Some(reader) = &opts.dependency_reader {
                            let names: Vec<String> =
                                missing.iter().map(|k| k.to_string()).collect();
                            reader.mocked(&request, &names);
                        }
                    }
                    for k in missing {
                        outputs.insert(k.clone(), mocks[k].clone());
                    }
                }
                let names = outputs.keys().cloned().collect();
                (
                    Value::Map(outputs),
                    Known {
                        outputs: Some(names),
                        origin,
                    },
                )
            }
            Ok(DependencyState::NotApplied { location }) => match &decl.mocks {
                Some(mocks) if mocks_allowed => {
                    if let Some(reader) = &opts.dependency_reader {
                        reader.mocked(&request, &mocks.keys().cloned().collect::<Vec<_>>());
                    }
                    (
                        Value::Map(mocks.clone()),
                        Known {
                            outputs: Some(mocks.keys().cloned().collect()),
                            origin: format!("its mock_outputs (it has no state at {location} yet)"),
                        },
                    )
                }
                mocks => {
                    let d = l.error(
                        body.span(),
                        format!(
                            "dependency `{name}` ({}) has not been applied: there is no state at {location}",
                            shown(&request)
                        ),
                    );
                    d.hint = Some(match mocks {
                        Some(_) if command == "apply" || command == "destroy" => format!(
                            "apply `{name}` first ({}); mock_outputs are never used by {command}",
                            apply_command(&request)
                        ),
                        Some(_) => format!(
                            "apply `{name}` first ({}); its mock_outputs serve only: {}",
                            apply_command(&request),
                            decl.mock_commands.join(", ")
                        ),
                        None => format!(
                            "apply `{name}` first ({}), or give it `mock_outputs` for plans",
                            apply_command(&request)
                        ),
                    });
                    continue;
                }
            },
            Ok(DependencyState::Unread) => match &decl.mocks {
                Some(mocks) => (
                    Value::Map(mocks.clone()),
                    Known {
                        outputs: Some(mocks.keys().cloned().collect()),
                        origin: "its mock_outputs (its state was not read)".into(),
                    },
                ),
                None => (
                    Value::Unknown,
                    Known {
                        outputs: None,
                        origin: "not read".into(),
                    },
                ),
            },
        };
        values.insert(name.clone(), outputs_value(outputs));
        l.dependencies.entries.insert(name, known);
    }
    values
}

/// The value of `dependency.NAME`: `{outputs: ...}`.
fn outputs_value(outputs: Value) -> Value {
    Value::Map(BTreeMap::from([("outputs".to_string(), outputs)]))
}

/// One dependency's settings.
struct Declaration {
    path: PathBuf,
    environment: Option<String>,
    mocks: Option<BTreeMap<String, Value>>,
    mock_commands: Vec<String>,
}

fn declaration(
    l: &mut Loader<'_>,
    name: &str,
    body: &Node,
    stack: &Path,
    confinement: &Confinement,
) -> Option<Declaration> {
    let Node::Mapping(map) = body else {
        l.error(
            body.span(),
            format!("dependency `{name}` must be a map, got {}", node_kind(body)),
        )
        .hint = Some(format!("{name}: {{path: ../{name}}}"));
        return None;
    };
    check_keys(l, map, name);
    let path = match map.get_node("path") {
        Some(Node::Scalar(s)) if !s.as_str().is_empty() => {
            let path = join_path(stack, s.as_str());
            if let Err(outside) = confinement.check(&path) {
                l.error(
                    s.span(),
                    format!(
                        "dependency `{name}` leads outside the stack's root (to {})",
                        outside.resolved.display()
                    ),
                )
                .hint = Some(outside.hint());
                return None;
            }
            if !path.exists() {
                l.error(
                    s.span(),
                    format!("dependency `{name}`: {} does not exist", path.display()),
                )
                .hint = Some("`path` is the other stack's folder, relative to this stack's".into());
                return None;
            }
            path
        }
        Some(other) => {
            l.error(
                other.span(),
                format!("`path` of dependency `{name}` must be a path"),
            );
            return None;
        }
        None => {
            l.error(map.span(), format!("dependency `{name}` has no `path`"))
                .hint = Some(format!("{name}: {{path: ../{name}}}"));
            return None;
        }
    };
    let environment = match map.get_node("environment") {
        None => None,
        Some(Node::Scalar(s)) if !s.as_str().contains("${") => Some(s.as_str().to_string()),
        Some(other) => {
            l.error(
                other.span(),
                format!("`environment` of dependency `{name}` must be an environment's name"),
            )
            .hint = Some("leave it out to read the environment being loaded".into());
            return None;
        }
    };
    let mocks = match map.get_node("mock_outputs") {
        None => None,
        Some(Node::Mapping(m)) => Some(
            m.iter()
                .map(|(k, v)| (k.as_str().to_string(), node_value(v)))
                .collect(),
        ),
        Some(other) => {
            l.error(
                other.span(),
                format!(
                    "`mock_outputs` of dependency `{name}` must be a map of output names to values, got {}",
                    node_kind(other)
                ),
            );
            return None;
        }
    };
    let mock_commands = match map.get_node("mock_outputs_allowed_commands") {
        None => DEFAULT_MOCK_COMMANDS
            .iter()
            .map(|c| c.to_string())
            .collect(),
        Some(Node::Sequence(items)) => {
            let mut out = Vec::new();
            for item in items.iter() {
                match item {
                    Node::Scalar(s) if MOCK_COMMANDS.contains(&s.as_str()) => {
                        out.push(s.as_str().to_string());
                    }
                    Node::Scalar(s) if matches!(s.as_str(), "apply" | "destroy") => {
                        l.error(
                            s.span(),
                            format!("mock outputs are never used by `{}`", s.as_str()),
                        )
                        .hint = Some(format!(
                            "apply and destroy read the dependency's real outputs; allowed here: {}",
                            MOCK_COMMANDS.join(", ")
                        ));
                    }
                    other => {
                        let hint = match other {
                            Node::Scalar(s) => {
                                did_you_mean(s.as_str(), MOCK_COMMANDS.iter().copied())
                            }
                            _ => None,
                        };
                        l.error(
                            other.span(),
                            format!("`mock_outputs_allowed_commands` of dependency `{name}` lists an unknown command"),
                        )
                        .hint = Some(match hint {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!("commands: {}", MOCK_COMMANDS.join(", ")),
                        });
                    }
                }
            }
            out
        }
        Some(other) => {
            l.error(
                other.span(),
                format!(
                    "`mock_outputs_allowed_commands` must be a list of commands, got {}",
                    node_kind(other)
                ),
            )
            .hint = Some(format!("e.g. [{}]", DEFAULT_MOCK_COMMANDS.join(", ")));
            return None;
        }
    };
    Some(Declaration {
        path,
        environment,
        mocks,
        mock_commands,
    })
}

fn check_keys(l: &mut Loader<'_>, map: &MarkedMappingNode, name: &str) {
    for key in map.keys() {
        if !DEPENDENCY_KEYS.contains(&key.as_str()) {
            let hint = match did_you_mean(key.as_str(), DEPENDENCY_KEYS.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("allowed keys: {}", DEPENDENCY_KEYS.join(", ")),
            };
            l.error(
                key.span(),
                format!("unknown key `{}` in dependency `{name}`", key.as_str()),
            )
            .hint = Some(hint);
        }
    }
}

/// `../network` or `../network -e dev`, for messages.
fn shown(request: &DependencyRequest) -> String {
    match &request.environment {
        Some(env) => format!("{} -e {env}", request.path.display()),
        None => request.path.display().to_string(),
    }
}

fn apply_command(request: &DependencyRequest) -> String {
    format!("`forge apply {}`", shown(request))
}

/// Checks a `dependency.…` reference against what is known of the
/// dependencies; `(message, hint)` when it names something that is not
/// there.
pub(crate) fn check_reference(
    table: &DependencyTable,
    r: &Reference,
) -> Option<(String, Option<String>)> {
    let name = r.first_attr()?;
    let Some(known) = table.entries.get(name) else {
        let hint = did_you_mean(name, table.entries.keys().map(String::as_str)).map_or_else(
            || "declare it under `dependencies:` (name: {path: ../other-stack})".to_string(),
            |s| format!("did you mean `{s}`?"),
        );
        return Some((format!("undefined dependency `{name}`"), Some(hint)));
    };
    match r.ops.get(1) {
        None => return None,
        Some(RefOp::Attr(a)) if a == "outputs" => {}
        Some(_) => {
            return Some((
                format!(
                    "a dependency's values are its outputs: write `dependency.{name}.outputs.NAME`"
                ),
                None,
            ));
        }
    }
    let (Some(RefOp::Attr(output)), Some(outputs)) = (r.ops.get(2), &known.outputs) else {
        return None;
    };
    if outputs.contains(output) {
        return None;
    }
    let hint = match did_you_mean(output, outputs.iter().map(String::as_str)) {
        Some(s) => format!("did you mean `{s}`? (outputs from {})", known.origin),
        None if outputs.is_empty() => format!("it has no outputs (from {})", known.origin),
        None => format!(
            "its outputs: {} (from {})",
            outputs.iter().cloned().collect::<Vec<_>>().join(", "),
            known.origin
        ),
    };
    Some((
        format!("dependency `{name}` has no output `{output}`"),
        Some(hint),
    ))
}

/// The dependencies the stack at `path` declares, read as
/// [`super::stack_environments`] reads environments: files merged,
/// nothing evaluated. Paths are joined to the stack's folder.
pub fn stack_dependencies(
    path: &Path,
    opts: &LoadOptions,
) -> Result<Vec<DeclaredDependency>, Diagnostics> {
    super::discover::read_section(path, opts, "dependencies", |l, node| {
        let mut out = Vec::new();
        match node {
            None => {}
            Some(Node::Mapping(deps)) => {
                for (name, body) in deps.iter() {
                    let field = |key: &str| match body {
                        Node::Mapping(m) => match m.get_node(key) {
                            Some(Node::Scalar(s)) => Some(s.as_str().to_string()),
                            _ => None,
                        },
                        _ => None,
                    };
                    let Some(dep_path) = field("path") else {
                        l.error(
                            body.span(),
                            format!("dependency `{}` has no `path`", name.as_str()),
                        );
                        continue;
                    };
                    out.push(DeclaredDependency {
                        name: name.as_str().to_string(),
                        path: join_path(path, &dep_path),
                        environment: field("environment"),
                    });
                }
            }
            Some(other) => {
                l.error(
                    other.span(),
                    format!("`dependencies` must be a map, got {}", node_kind(other)),
                );
            }
        }
        out
    })
}
