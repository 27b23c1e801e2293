//! The loaded, expanded stack: what the engine plans and applies.
//!
//! A [`Stack`] holds resource [`Instance`]s whose field values are still
//! expressions ([`Config`]): they are evaluated by the engine, in dependency
//! order, against the attributes of the resources they reference (known from
//! state, or unknown until apply). Everything here is serializable so a saved
//! plan can carry the exact configuration it was made from.

use super::conditions::{Condition, Conditions};
use crate::address::Address;
use crate::diag::{Diagnostic, Diagnostics, SourcePos};
use crate::value::{Attrs, Value};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// How the user asked to load a stack.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-e/--env NAME`.
    pub environment: Option<String>,
    /// `--var k=v`, in order given (later wins).
    pub vars: Vec<(String, String)>,
    /// `--var-file FILE`, in order given (later wins; `--var` beats files).
    pub var_files: Vec<PathBuf>,
    /// `FORGE_VAR_<name>` values from the process environment (the CLI
    /// collects them; a library caller passes what it wants). A name the
    /// stack does not declare is ignored: one environment serves many
    /// stacks, like Terraform's `TF_VAR_`.
    pub env_vars: Vec<(String, String)>,
    /// Override of the stack's region (`--region`).
    pub region: Option<String>,
    /// Leave a var with no value unknown instead of reporting it: for
    /// commands that only read the state and never evaluate resources
    /// (`forge state list`, `forge output`), which must not ask for a
    /// secret they do not use.
    pub allow_unset_vars: bool,
    /// Leave a *sensitive* var with no value unknown instead of reporting
    /// it: for read-only commands that evaluate resources but apply
    /// nothing (`forge drift`, `forge plan` without `-out`), so a review or
    /// a scheduled check needs no secret. Fields that depend on it are not
    /// compared (see [`Stack::unset_vars`]).
    pub allow_unset_secrets: bool,
    /// Let the stack read files outside its root (`--allow-outside-root`,
    /// `FORGE_ALLOW_OUTSIDE_ROOT=1`): includes elsewhere on disk. Off by
    /// default, so a spec cannot make forge read the machine's secrets.
    pub allow_outside_root: bool,
    /// Reads the outputs of the stacks named under `dependencies:`; without
    /// one, they are their `mock_outputs` or unknown (see
    /// [`super::dependencies`]).
    pub dependency_reader: Option<std::sync::Arc<dyn super::DependencyReader>>,
    /// Re-resolve every git module source's ref and rewrite the lock file
    /// (`forge modules update`) instead of using the locked commits.
    pub update_modules: bool,
    /// What the data sources read in an earlier pass, for loading the
    /// stack again when a `count` / `for_each` reads them (see
    /// [`DataPass`]); `None` for the first load.
    pub data: Option<DataPass>,
}

/// The values of a stack's data sources, read after a first load whose
/// `count` / `for_each` (of resources, modules or data sources) read
/// `data.*` and so could not be expanded yet ([`Stack::awaiting_data`]).
///
/// The stack is loaded again with them: there, `data.NAME` is known at
/// load like a var. Terraform reads data sources during its plan's graph
/// walk for the same reason; forge reads them first, in as many rounds as
/// data sources that expand over other data sources need.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataPass {
    /// What was read, by name as in [`Stack::data_values`] (`azs`,
    /// `module.net.data.azs`).
    pub values: BTreeMap<String, Value>,
    /// No more rounds follow: an expansion that still waits for a data
    /// source (one read only during apply) is an error, not a wait.
    pub last: bool,
}

/// Where the stack's state lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "backend", rename_all = "lowercase")]
pub enum StateBackendConfig {
    /// A file under `.forge/state/` next to the stack (the default).
    Local {
        /// Explicit path of the state file, relative to the stack root.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<PathBuf>,
    },
    /// An object in S3, locked with a `<key>.lock` object.
    S3 {
        /// The bucket.
        bucket: String,
        /// The object key (already templated with stack and environment).
        key: String,
        /// The bucket's region (defaults to the stack's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        region: Option<String>,
        /// SSE-KMS key for the state object.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kms_key_id: Option<String>,
        /// Custom S3 endpoint.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
        /// Credentials for the state alone (`state.aws`); unset: the
        /// stack's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        aws: Option<Box<super::aws_settings::AwsCredentials>>,
    },
}

impl Default for StateBackendConfig {
    fn default() -> Self {
        StateBackendConfig::Local { path: None }
    }
}

/// `lifecycle:` settings of a resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    /// Refuse any plan that destroys (or replaces) this resource.
    #[serde(default)]
    pub prevent_destroy: bool,
    /// Fields whose differences are ignored when planning (`tags`, `tags.Owner`, or `*`).
    #[serde(default)]
    pub ignore_changes: Vec<String>,
    /// On replacement, create the new one before destroying the old one.
    #[serde(default)]
    pub create_before_destroy: bool,
    /// How long to wait for the object to become ready (or gone), per
    /// operation: the resource's `timeouts:` key. Unset: the kind's default.
    #[serde(default, skip_serializing_if = "Timeouts::is_empty")]
    pub timeouts: Timeouts,
}

/// A resource's `timeouts:` — the longest forge waits, after the API call
/// returned, for the object to become ready (create, update) or gone
/// (delete). Like Terraform's `timeouts` block; written `45m`, `1h30m`,
/// `90s` or a number of seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeouts {
    /// Seconds to wait after a create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<u64>,
    /// Seconds to wait after an in-place update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<u64>,
    /// Seconds to wait after a delete, for kinds that disappear slowly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete: Option<u64>,
}

impl Timeouts {
    /// No timeout set.
    pub fn is_empty(&self) -> bool {
        *self == Timeouts::default()
    }
}

/// Parses a duration as written in `timeouts:` (`45m`, `1h30m`, `90s`,
/// `2h`, or plain seconds) into seconds.
pub fn parse_duration_secs(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(n) = text.parse::<u64>() {
        return Some(n);
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        let n: u64 = digits.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        digits.clear();
    }
    if !digits.is_empty() {
        return None;
    }
    Some(total)
}

/// A field's configuration: a literal, an expression, or a structure of them.
///
/// The loader builds these; the engine only evaluates them through
/// [`Stack::evaluate_instance`]. Expressions are kept as their source text
/// (plus where they came from) so a saved plan can carry them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", content = "v", rename_all = "snake_case")]
pub enum Config {
    /// A value with no expression in it.
    Literal(Value),
    /// A string containing `${ ... }`: the whole YAML string as written.
    Template {
        /// The string as written, e.g. `"${vpc.id}"` or `"app-${env}"`.
        source: String,
        /// Where it was written.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pos: Option<SerdePos>,
    },
    /// A list of configs.
    List(Vec<Config>),
    /// A map of configs.
    Map(BTreeMap<String, Config>),
}

impl Config {
    /// A literal value.
    pub fn literal(v: impl Into<Value>) -> Self {
        Config::Literal(v.into())
    }

    /// A template string (as it would appear in YAML, e.g. `"${vpc.id}"`).
    pub fn template(source: impl Into<String>) -> Self {
        Config::Template {
            source: source.into(),
            pos: None,
        }
    }
}

/// A serializable [`SourcePos`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SerdePos {
    /// File path.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl From<&SourcePos> for SerdePos {
    fn from(p: &SourcePos) -> Self {
        SerdePos {
            file: p.file.clone(),
            line: p.line,
            column: p.column,
        }
    }
}

impl From<&SerdePos> for SourcePos {
    fn from(p: &SerdePos) -> Self {
        SourcePos {
            file: p.file.clone(),
            line: p.line,
            column: p.column,
        }
    }
}

/// One resource instance after `count` / `for_each` expansion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// Its stable address.
    pub address: Address,
    /// `aws.<service>.<kind>`.
    pub kind: String,
    /// The region it lives in (the stack's unless the resource sets `region`).
    pub region: String,
    /// Its fields (without the meta keys `type`, `count`, `for_each`,
    /// `depends_on`, `lifecycle`, `region`).
    pub fields: BTreeMap<String, Config>,
    /// `each.key`, `each.value` or `count.index` bound for this instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub each: Option<EachBinding>,
    /// Every instance this one depends on: from references and `depends_on`.
    pub dependencies: BTreeSet<Address>,
    /// `lifecycle:` settings.
    #[serde(default)]
    pub lifecycle: Lifecycle,
    /// Where the resource is declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pos: Option<SerdePos>,
    /// `lifecycle.precondition` / `postcondition` rules.
    #[serde(default, skip_serializing_if = "Conditions::is_empty")]
    pub conditions: Conditions,
    /// The path of the module instance that declares it
    /// (`module.net["a"]`, a key of [`Stack::modules`]); empty in the stack
    /// itself. Its fields are evaluated in that module's scope.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub module: String,
    /// `aws: NAME`: the stack's alias (named credential set) the resource
    /// is read and changed with; `None`: the stack's own credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

/// The per-instance iteration values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EachBinding {
    /// `count.index`.
    Count(usize),
    /// `each.key` and `each.value`.
    Each {
        /// `each.key`.
        key: String,
        /// `each.value`.
        value: Value,
    },
}

impl Instance {
    /// An instance with no fields, for building stacks in code and tests.
    pub fn new(address: Address, kind: impl Into<String>, region: impl Into<String>) -> Self {
        Instance {
            address,
            kind: kind.into(),
            region: region.into(),
            fields: BTreeMap::new(),
            each: None,
            dependencies: BTreeSet::new(),
            lifecycle: Lifecycle::default(),
            pos: None,
            conditions: Conditions::default(),
            module: String::new(),
            alias: None,
        }
    }

    /// Sets a field.
    pub fn with_field(mut self, name: impl Into<String>, config: Config) -> Self {
        self.fields.insert(name.into(), config);
        self
    }

    /// Adds a dependency.
    pub fn with_dependency(mut self, address: Address) -> Self {
        self.dependencies.insert(address);
        self
    }
}

/// An `outputs:` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputDef {
    /// Its name.
    pub name: String,
    /// Its value expression.
    pub value: Config,
    /// Hide the value in plan/apply output (`forge output NAME` still shows it).
    #[serde(default)]
    pub sensitive: bool,
    /// What it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Instances it references.
    #[serde(default)]
    pub dependencies: BTreeSet<Address>,
    /// `precondition` rules, checked when its value is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preconditions: Vec<Condition>,
}

/// A loaded, validated and expanded stack (`Default`: an empty stack with
/// local state, for building one in code).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stack {
    /// `stack:` name.
    pub name: String,
    /// The environment chosen with `-e`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The stack's default region.
    pub region: String,
    /// The folder (or the file's folder) the stack was loaded from.
    pub root: PathBuf,
    /// Where its state lives.
    pub state: StateBackendConfig,
    /// Tags applied to every resource (already evaluated).
    pub tags: BTreeMap<String, String>,
    /// Resolved variable values (for `${vars.x}` when evaluating).
    pub vars: BTreeMap<String, Value>,
    /// `locals:` by name: literals for the locals known at load, the
    /// expressions of those that read resources (`${local.x}`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub locals: BTreeMap<String, Config>,
    /// All resource instances, sorted by address.
    pub instances: Vec<Instance>,
    /// `data:` sources, expanded like resources, sorted by address.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data: Vec<Instance>,
    /// What the data sources read, by name (`${data.NAME}`): shaped like a
    /// resource's value, unknown for one read only during apply. Filled by
    /// the engine before it plans; empty in a freshly loaded stack.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data_values: BTreeMap<String, Value>,
    /// `outputs:`, sorted by name.
    pub outputs: Vec<OutputDef>,
    /// `import:`, `moved:` and `removed:` blocks.
    #[serde(default, skip_serializing_if = "super::adoption::Adoption::is_empty")]
    pub adoption: super::adoption::Adoption,
    /// The outputs of the stacks it depends on (`dependencies:`), read
    /// when it was loaded: `{NAME: {outputs: {...}}}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dependency_outputs: BTreeMap<String, Value>,
    /// `aws:` credentials (the environment's over the stack's); unset:
    /// the process's credential chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws: Option<super::aws_settings::AwsCredentials>,
    /// `aws.aliases`: named credential sets (the environment's merged over
    /// the stack's), which resources pick with `aws: NAME`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub aws_aliases: BTreeMap<String, super::aws_settings::AwsCredentials>,
    /// The module instances its `modules:` expand to, by path
    /// (`module.net`, `module.net["a"]`, `module.a.module.b`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub modules: BTreeMap<String, super::module_eval::ModuleInstance>,
    /// What has no instances yet because its `count` / `for_each` reads
    /// data sources not read yet (`web`, `module.net`,
    /// `module.net.subnet`): load the stack again with their values
    /// ([`LoadOptions::data`]) before planning. Empty once it is expanded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub awaiting_data: Vec<String>,
}

/// What an expression can see of the stack's resources while evaluating.
///
/// `resource(name)` returns the value `${name}` denotes: a map of attributes
/// for a single resource, a list of such maps for `count`, a map from key to
/// such maps for `for_each`. Attributes not known yet are [`Value::Unknown`].
pub trait ResourceValues {
    /// The value of the resource named `name`, or `None` if it has none yet.
    fn resource(&self, name: &str) -> Option<Value>;
}

impl ResourceValues for BTreeMap<String, Value> {
    fn resource(&self, name: &str) -> Option<Value> {
        self.get(name).cloned()
    }
}

impl Stack {
    /// The vars that have no value (left unknown for a read-only command,
    /// see [`LoadOptions::allow_unset_secrets`]), sorted. Plans made with
    /// any cannot be applied.
    pub fn unset_vars(&self) -> Vec<&str> {
        self.vars
            .iter()
            .filter(|(_, v)| !v.is_known())
            .map(|(k, _)| k.as_str())
            .collect()
    }

    /// The instance at `address`.
    pub fn instance(&self, address: &Address) -> Option<&Instance> {
        self.instances
            .binary_search_by(|i| i.address.cmp(address))
            .ok()
            .map(|i| &self.instances[i])
    }

    /// Evaluates an instance's fields (in the instance's region, with its
    /// `each`/`count` binding). Fields that reference unknown attributes
    /// come back (partly) [`Value::Unknown`]; sensitivity is kept.
    pub fn evaluate_instance(
        &self,
        instance: &Instance,
        resources: &dyn ResourceValues,
    ) -> Result<Attrs, Diagnostics> {
        let mut out = Attrs::new();
        let mut errors = Diagnostics::default();
        for (name, config) in &instance.fields {
            let at = (instance.module.as_str(), instance.region.as_str());
            match self.evaluate_in(config, instance.each.as_ref(), at, resources) {
                Ok(v) => {
                    out.insert(name.clone(), v);
                }
                Err(d) => errors.0.extend(d.0),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// Evaluates an output's value.
    pub fn evaluate_output(
        &self,
        output: &OutputDef,
        resources: &dyn ResourceValues,
    ) -> Result<Value, Diagnostics> {
        let v = self.evaluate_config(&output.value, None, resources)?;
        Ok(if output.sensitive { v.sensitive() } else { v })
    }

    /// Evaluates one config tree in the stack's region.
    pub fn evaluate_config(
        &self,
        config: &Config,
        each: Option<&EachBinding>,
        resources: &dyn ResourceValues,
    ) -> Result<Value, Diagnostics> {
        self.evaluate_in(config, each, ("", &self.region), resources)
    }

    /// Evaluates `config` in the module instance at `module` ("" for the
    /// stack itself), in `region`.
    pub(crate) fn evaluate_in(
        &self,
        config: &Config,
        each: Option<&EachBinding>,
        (module, region): (&str, &str),
        resources: &dyn ResourceValues,
    ) -> Result<Value, Diagnostics> {
        match config {
            Config::Literal(v) => Ok(v.clone()),
            Config::List(items) => items
                .iter()
                .map(|c| self.evaluate_in(c, each, (module, region), resources))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::List),
            Config::Map(map) => map
                .iter()
                .map(|(k, c)| {
                    Ok((
                        k.clone(),
                        self.evaluate_in(c, each, (module, region), resources)?,
                    ))
                })
                .collect::<Result<BTreeMap<_, _>, Diagnostics>>()
                .map(Value::Map),
            Config::Template { source, pos } => {
                let dir = pos.as_ref().and_then(|p| p.file.parent()).map(|d| {
                    if d.as_os_str().is_empty() {
                        Path::new(".")
                    } else {
                        d
                    }
                });
                // `data.NAME` reads what the data sources of the stack, or
                // of the module instance, found.
                let with_data = super::data::WithData {
                    stack: self,
                    resources,
                };
                let resources: &dyn ResourceValues = &with_data;
                // What the module instance (or the stack) sees: its vars
                // or inputs, its locals, its resources and child modules.
                let view = super::module_eval::ModuleView::new(self, module, resources);
                let vars = view.vars();
                let scope = crate::expr::Scope {
                    vars: &vars,
                    env: self.environment.as_deref().unwrap_or(""),
                    stack: &self.name,
                    region,
                    each,
                    resources: Some(&view),
                    files: dir.map(|dir| crate::expr::Files {
                        dir,
                        confined: !crate::expr::files_outside_root_allowed(),
                    }),
                    locals: Some(&view),
                    dependency: module.is_empty().then_some(&self.dependency_outputs),
                    // The engine reads `data` through the resource values.
                    data: None,
                };
                crate::expr::evaluate_cached(source, &scope).map_err(|e| {
                    Diagnostics(vec![Diagnostic {
                        pos: pos.as_ref().map(SourcePos::from),
                        message: e.message,
                        snippet: Some(source.clone()),
                        hint: e.hint,
                    }])
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_duration_secs;

    #[test]
    fn durations_as_timeouts_are_written() {
        assert_eq!(parse_duration_secs("45m"), Some(2700));
        assert_eq!(parse_duration_secs("1h30m"), Some(5400));
        assert_eq!(parse_duration_secs("90s"), Some(90));
        assert_eq!(parse_duration_secs("120"), Some(120));
        assert_eq!(parse_duration_secs("2h5s"), Some(7205));
        for bad in ["", "soon", "m", "10x", "5m3", "-5m"] {
            assert_eq!(parse_duration_secs(bad), None, "{bad}");
        }
    }
}
