//! `resources:` and `outputs:`: schema checks, `count`/`for_each`
//! expansion, field configs (pre-evaluated where only load-time names are
//! used), reference checks and dependencies.

use super::conditions::{Condition, Conditions, rule_nodes};
use super::loader::Loader;
use super::locals::LocalTable;
use super::model::{
    Config, EachBinding, Instance, Lifecycle, OutputDef, SerdePos, Timeouts, parse_duration_secs,
};
use super::typecheck::{check_value, describe_value};
use super::vars::VarDecl;
use super::yaml::{node_kind, scalar_value};
use crate::address::Address;
use crate::expr::functions::{FUNCTIONS, function_info};
use crate::expr::{
    Analysis, ExprErrorKind, Parsed, RefOp, Reference, SCOPE_NAMES, Scope, did_you_mean, evaluate,
    is_local_root, is_template,
};
use crate::limits::{MAX_INSTANCES_PER_RESOURCE, MAX_INSTANCES_PER_STACK};
use crate::schema::{FieldMode, FieldSchema, FieldType, KindSchema};
use crate::value::Value;
use indexmap::IndexMap;
use marked_yaml::types::{MarkedMappingNode, Node, Span};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Keys of a resource that are not fields of its kind.
pub const META_KEYS: &[&str] = &[
    "type",
    "count",
    "for_each",
    "depends_on",
    "lifecycle",
    "region",
    "timeouts",
    "aws",
];
/// Names a resource may not have.
pub const RESERVED_NAMES: &[&str] = &[
    "vars", "var", "env", "each", "count", "stack", "region", "local", "locals", "self", "module",
    "data",
];
const LIFECYCLE_KEYS: &[&str] = &[
    "prevent_destroy",
    "ignore_changes",
    "create_before_destroy",
    "precondition",
    "postcondition",
];
const TIMEOUT_KEYS: &[&str] = &["create", "update", "delete"];
const OUTPUT_KEYS: &[&str] = &["value", "sensitive", "description", "precondition"];

/// How a resource expands into instances.
#[derive(Debug, Clone)]
pub(crate) enum Expansion {
    Single,
    Count(usize),
    ForEach(Vec<(String, Value)>),
}

/// What the loader knows of each resource while checking references.
#[derive(Debug, Default)]
pub(crate) struct ResourceTable {
    by_name: BTreeMap<String, ResourceInfo>,
    /// The modules the scope calls (`module.NAME.OUTPUT`).
    pub modules: super::modules::ModuleTable,
    /// The `data:` sources, read as `data.NAME` (see [`super::data`]).
    data: BTreeMap<String, ResourceInfo>,
}

/// Which section a declaration is in: `resources:` or `data:` share their
/// syntax (type, fields, count/for_each, lifecycle conditions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    /// `resources:`.
    Resources,
    /// `data:`.
    Data,
}

impl Section {
    /// How a declaration of the section is called in messages.
    fn noun(self) -> &'static str {
        match self {
            Section::Resources => "resource",
            Section::Data => "data source",
        }
    }

    fn schema(
        self,
        schemas: &crate::schema::SchemaRegistry,
        kind: &str,
    ) -> Option<Arc<KindSchema>> {
        match self {
            Section::Resources => schemas.get(kind).cloned(),
            Section::Data => schemas.data(kind).cloned(),
        }
    }

    fn kinds(self, schemas: &crate::schema::SchemaRegistry) -> Vec<String> {
        match self {
            Section::Resources => schemas.kinds().map(str::to_string).collect(),
            Section::Data => schemas.data_iter().map(|s| s.kind.clone()).collect(),
        }
    }
}

impl ResourceTable {
    fn section(&self, section: Section) -> &BTreeMap<String, ResourceInfo> {
        match section {
            Section::Resources => &self.by_name,
            Section::Data => &self.data,
        }
    }
}

#[derive(Debug)]
pub(crate) struct ResourceInfo {
    kind: String,
    schema: Option<Arc<KindSchema>>,
    expansion: Expansion,
    keys: BTreeSet<String>,
}

impl ResourceInfo {
    fn addresses(&self, name: &str) -> Vec<Address> {
        match &self.expansion {
            Expansion::Single => vec![Address::single(name)],
            Expansion::Count(n) => (0..*n).map(|i| Address::indexed(name, i)).collect(),
            Expansion::ForEach(keys) => keys
                .iter()
                .map(|(k, _)| Address::keyed(name, k.clone()))
                .collect(),
        }
    }

    fn how(&self) -> &'static str {
        match self.expansion {
            Expansion::Single => "a single resource",
            Expansion::Count(_) => "expanded with `count`",
            Expansion::ForEach(_) => "expanded with `for_each`",
        }
    }
}

/// Where a template is written: decides which names are in scope.
#[derive(Clone, Copy)]
struct Site<'s> {
    /// The owning resource's expansion (`None` for outputs).
    owner: Option<&'s Expansion>,
    /// Run the static checks (once per resource, not per instance).
    check: bool,
    /// `self` (the resource's own attributes) may be read: in a
    /// postcondition.
    allow_self: bool,
}

struct Decl<'n> {
    name: String,
    node: &'n MarkedMappingNode,
    span: Span,
    schema: Option<Arc<KindSchema>>,
}

/// Loads `resources:` into sorted instances.
pub(crate) fn load_resources(
    l: &mut Loader<'_>,
    node: &Node,
    scope: &Scope<'_>,
    vars: &IndexMap<String, VarDecl>,
    table: &mut ResourceTable,
    locals: &LocalTable,
) -> Vec<Instance> {
    load_section(l, node, scope, vars, table, locals, Section::Resources)
}

/// Loads `resources:` or `data:` into sorted instances.
pub(crate) fn load_section(
    l: &mut Loader<'_>,
    node: &Node,
    scope: &Scope<'_>,
    vars: &IndexMap<String, VarDecl>,
    table: &mut ResourceTable,
    locals: &LocalTable,
    section: Section,
) -> Vec<Instance> {
    let noun = section.noun();
    let Node::Mapping(resources) = node else {
        let key = match section {
            Section::Resources => "resources",
            Section::Data => "data",
        };
        l.error(
            node.span(),
            format!(
                "`{key}` must be a map of names to {noun}s, got {}",
                node_kind(node)
            ),
        );
        return Vec::new();
    };
    let mut decls = Vec::new();
    let mut total = 0usize;
    for (name, body) in resources.iter() {
        let n = name.as_str();
        if RESERVED_NAMES.contains(&n) {
            l.error(
                name.span(),
                format!("`{n}` is a reserved name and cannot name a {noun}"),
            )
            .hint = Some(format!("reserved: {}", RESERVED_NAMES.join(", ")));
            continue;
        }
        if n.parse::<Address>()
            .ok()
            .filter(|a| a.key.is_none() && a.name == n && !n.contains('.'))
            .is_none()
        {
            l.error(name.span(), format!("invalid {noun} name `{n}`"))
                .hint =
                Some("names start with a letter or `_` and contain letters, digits and `_`".into());
            continue;
        }
        let Node::Mapping(body) = body else {
            l.error(
                body.span(),
                format!("{noun} `{n}` must be a map with a `type` and its fields"),
            );
            continue;
        };
        let kind = match body.get_node("type") {
            Some(Node::Scalar(t)) => t,
            Some(other) => {
                l.error(
                    other.span(),
                    format!("the `type` of {noun} `{n}` must be a kind name like aws.ec2.vpc"),
                );
                continue;
            }
            None => {
                l.error(name.span(), format!("{noun} `{n}` has no `type`"))
                    .hint = Some(match section {
                    Section::Resources => "add e.g. `type: aws.ec2.vpc`".into(),
                    Section::Data => "add e.g. `type: aws.ec2.availability_zones`".into(),
                });
                continue;
            }
        };
        let schema = section.schema(l.schemas, kind.as_str());
        if schema.is_none() {
            let known = section.kinds(l.schemas);
            let hint = match did_you_mean(kind.as_str(), known.iter().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("known kinds: {}", known.join(", ")),
            };
            let what = match section {
                Section::Resources => "resource kind",
                Section::Data => "data source type",
            };
            l.error(kind.span(), format!("unknown {what} `{}`", kind.as_str()))
                .hint = Some(hint);
        }
        let mut expansion = expansion(l, n, body, scope);
        // The whole stack is bounded too: many resources just under the
        // per-resource limit would otherwise still expand without end.
        if total + expansion.len() > MAX_INSTANCES_PER_STACK {
            if total <= MAX_INSTANCES_PER_STACK {
                l.error(
                    name.span(),
                    format!(
                        "the stack expands to more than {MAX_INSTANCES_PER_STACK} resource instances (at `{n}`)"
                    ),
                )
                .hint = Some(
                    "split the stack into several stacks; see docs/spec-language.md#limits".into(),
                );
            }
            total = MAX_INSTANCES_PER_STACK + 1;
            expansion = expansion.emptied();
        } else {
            total += expansion.len();
        }
        let keys = match &expansion {
            Expansion::ForEach(k) => k.iter().map(|(k, _)| k.clone()).collect(),
            _ => BTreeSet::new(),
        };
        let map = match section {
            Section::Resources => &mut table.by_name,
            Section::Data => &mut table.data,
        };
        map.insert(
            n.to_string(),
            ResourceInfo {
                kind: kind.as_str().to_string(),
                schema: schema.clone(),
                expansion,
                keys,
            },
        );
        decls.push(Decl {
            name: n.to_string(),
            node: body,
            span: *name.span(),
            schema,
        });
    }

    // Over the stack's limit the load fails anyway: building thousands of
    // instances first would only make the refusal slow.
    if total > MAX_INSTANCES_PER_STACK {
        return Vec::new();
    }
    let mut instances = Vec::new();
    for decl in &decls {
        let Some(info) = table.section(section).get(&decl.name) else {
            continue;
        };
        let bindings: Vec<(Address, Option<EachBinding>)> = match &info.expansion {
            Expansion::Single => vec![(Address::single(&decl.name), None)],
            Expansion::Count(n) => (0..*n)
                .map(|i| (Address::indexed(&decl.name, i), Some(EachBinding::Count(i))))
                .collect(),
            Expansion::ForEach(keys) => keys
                .iter()
                .map(|(k, v)| {
                    (
                        Address::keyed(&decl.name, k.clone()),
                        Some(EachBinding::Each {
                            key: k.clone(),
                            value: v.clone(),
                        }),
                    )
                })
                .collect(),
        };
        let mut lifecycle = lifecycle(l, decl);
        lifecycle.timeouts = timeouts(l, decl);
        let explicit = depends_on(l, decl, table);
        let alias = alias(l, decl, section);
        for (i, (address, each)) in bindings.into_iter().enumerate() {
            let site = Site {
                owner: Some(&info.expansion),
                check: i == 0,
                allow_self: false,
            };
            let s = Scope {
                each: each.as_ref(),
                ..*scope
            };
            let mut deps = BTreeSet::new();
            let region = match decl.node.get_node("region") {
                Some(Node::Scalar(r)) => match l.load_time_value(r, &s, "`region`") {
                    Some(Value::String(r)) => r,
                    Some(other) => {
                        l.error(
                            r.span(),
                            format!("`region` must be a string, got {}", other.type_name()),
                        );
                        scope.region.to_string()
                    }
                    None => scope.region.to_string(),
                },
                Some(other) => {
                    l.error(other.span(), "`region` must be a string");
                    scope.region.to_string()
                }
                None => scope.region.to_string(),
            };
            // Fields see the instance's own region.
            let s = Scope {
                region: &region,
                ..s
            };
            // One checking context for the fields and then the conditions.
            let (fields, conditions) = match &decl.schema {
                Some(schema) => {
                    let mut cx = Cx {
                        l: &mut *l,
                        table,
                        locals,
                        vars,
                        scope: &s,
                        site,
                        deps: &mut deps,
                        kind: &schema.kind,
                    };
                    let fields =
                        cx.object_fields(decl.node, &schema.fields, "", true, Some(&decl.span));
                    let conditions = match decl.node.get_node("lifecycle") {
                        Some(Node::Mapping(lc)) => cx.conditions(lc, true),
                        _ => Conditions::default(),
                    };
                    (fields, conditions)
                }
                None => (BTreeMap::new(), Conditions::default()),
            };
            deps.extend(explicit.iter().cloned());
            deps.remove(&address);
            instances.push(Instance {
                address,
                kind: info.kind.clone(),
                region,
                fields,
                each,
                dependencies: deps,
                lifecycle: lifecycle.clone(),
                pos: Some(SerdePos::from(&l.sources.pos(&decl.span))),
                conditions,
                module: String::new(),
                alias: alias.clone(),
            });
        }
    }
    instances.sort_by(|a, b| a.address.cmp(&b.address));
    instances
}

/// A resource's `aws: NAME`: one of the stack's `aws.aliases`, written as
/// a plain name (like `depends_on`, it says where the resource lives, so
/// it is known before anything is evaluated).
fn alias(l: &mut Loader<'_>, decl: &Decl<'_>, section: Section) -> Option<String> {
    let node = decl.node.get_node("aws")?;
    if matches!(section, Section::Data) {
        // A data source reads with the stack's credentials: its batched
        // read takes a region only, so an alias would be silently ignored.
        l.error(
            node.span(),
            format!(
                "`data.{}.aws`: data sources read with the stack's credentials",
                decl.name
            ),
        )
        .hint = Some("remove `aws:` here; per-alias data sources are not supported yet".into());
        return None;
    }
    let Node::Scalar(name) = node else {
        l.error(
            node.span(),
            format!(
                "`{}.aws` must name one of the stack's `aws.aliases`",
                decl.name
            ),
        )
        .hint = Some(
            "credentials are set on the stack as `aws: {aliases: {NAME: {...}}}`; write `aws: NAME` here"
                .into(),
        );
        return None;
    };
    let name = name.as_str();
    if l.aws_aliases.iter().any(|a| a == name) {
        return Some(name.to_string());
    }
    let known = l.aws_aliases.join(", ");
    let hint = match (
        crate::expr::did_you_mean(name, l.aws_aliases.iter().map(String::as_str)),
        known.is_empty(),
    ) {
        (_, true) => "the stack declares no `aws.aliases`".to_string(),
        (Some(m), _) => format!("did you mean `{m}`? known aliases: {known}"),
        (None, _) => format!("known aliases: {known}"),
    };
    l.error(
        node.span(),
        format!(
            "`{}.aws` names `{name}`, which is not one of the stack's `aws.aliases`",
            decl.name
        ),
    )
    .hint = Some(hint);
    None
}

/// Evaluates `count` / `for_each`, which must be known at load time.
pub(crate) fn expansion(
    l: &mut Loader<'_>,
    name: &str,
    body: &MarkedMappingNode,
    scope: &Scope<'_>,
) -> Expansion {
    let count = body.get_node("count");
    let for_each = body.get_node("for_each");
    if let (Some(_), Some(f)) = (count, for_each) {
        l.error(
            f.span(),
            format!("resource `{name}` uses both `count` and `for_each`"),
        )
        .hint = Some("use one of them".into());
        return Expansion::Single;
    }
    let known = |l: &mut Loader<'_>, node: &Node, what: &str| -> Option<Value> {
        let v = match node {
            Node::Scalar(s) if is_template(s.as_str()) => {
                let entry = match l.parsed(s.as_str()) {
                    Ok(e) => e,
                    Err(e) => {
                        l.expr_error(s.span(), s.as_str(), &e, "");
                        return None;
                    }
                };
                let waits = l.may_await_data() && may_read_data(&entry.1);
                match l.evaluate_at(&entry.0, s.span(), scope) {
                    Ok(v) if usable(what, &v) => v,
                    Err(e) if e.kind != ExprErrorKind::NotKnownAtLoad => {
                        l.expr_error(s.span(), s.as_str(), &e, &format!("`{what}` of `{name}`"));
                        return None;
                    }
                    // Not known now: it may read data sources, which are
                    // read after this first load; the stack is loaded
                    // again with them.
                    _ if waits => {
                        l.await_data(name);
                        return None;
                    }
                    _ => {
                        let d = l.error(
                            s.span(),
                            format!("`{what}` of `{name}` must be known when the stack is loaded"),
                        );
                        d.snippet = Some(s.as_str().to_string());
                        d.hint = Some(format!(
                            "`{what}` may use vars, locals, env, stack, region and data sources read before planning, \
                             not resource attributes or data sources read during apply (as in Terraform)"
                        ));
                        return None;
                    }
                }
            }
            other => super::yaml::node_value(other),
        };
        Some(v)
    };
    if let Some(node) = count {
        let Some(v) = known(l, node, "count") else {
            return Expansion::Count(0);
        };
        if let Some(f) = v.as_f64().filter(|f| f.fract() == 0.0 && !v.is_sensitive())
            && f > MAX_INSTANCES_PER_RESOURCE as f64
        {
            too_many(l, node, name, "count", &v.to_string());
            return Expansion::Count(0);
        }
        return match v.as_i64().filter(|_| !v.is_sensitive()) {
            Some(n) if n >= 0 => Expansion::Count(n as usize),
            Some(n) => {
                l.error(
                    node.span(),
                    format!("`count` of `{name}` must not be negative, got {n}"),
                );
                Expansion::Count(0)
            }
            None => {
                l.error(
                    node.span(),
                    format!(
                        "`count` of `{name}` must be a whole number, got {}",
                        describe_value(&v)
                    ),
                );
                Expansion::Count(0)
            }
        };
    }
    let Some(node) = for_each else {
        return Expansion::Single;
    };
    let Some(v) = known(l, node, "for_each") else {
        return Expansion::ForEach(Vec::new());
    };
    if v.is_sensitive() {
        l.error(
            node.span(),
            format!("`for_each` of `{name}` must not be sensitive: instance keys are displayed"),
        );
        return Expansion::ForEach(Vec::new());
    }
    let size = match &v {
        Value::List(items) => items.len(),
        Value::Map(map) => map.len(),
        _ => 0,
    };
    if size > MAX_INSTANCES_PER_RESOURCE {
        too_many(l, node, name, "for_each", &format!("{size} items"));
        return Expansion::ForEach(Vec::new());
    }
    let mut keys: Vec<(String, Value)> = Vec::new();
    match v {
        Value::List(items) => {
            let mut seen = BTreeSet::new();
            for item in items {
                let Value::String(k) = item else {
                    l.error(node.span(), format!("`for_each` of `{name}` must be a list of strings or a map, found an item that is {}", describe_value(&item)));
                    return Expansion::ForEach(Vec::new());
                };
                if !seen.insert(k.clone()) {
                    let d = l.error(
                        node.span(),
                        format!(
                            "duplicate address `{}`: `for_each` of `{name}` lists {k:?} twice",
                            Address::keyed(name, k.clone())
                        ),
                    );
                    d.hint = Some("for_each keys must be unique".into());
                    continue;
                }
                keys.push((k.clone(), Value::String(k)));
            }
        }
        Value::Map(map) => keys = map.into_iter().collect(),
        other => {
            l.error(
                node.span(),
                format!(
                    "`for_each` of `{name}` must be a list of strings or a map, got {}",
                    describe_value(&other)
                ),
            );
        }
    }
    Expansion::ForEach(keys)
}

/// Whether a `count` / `for_each` value is known enough to expand: a
/// number for `count`; for `for_each`, its keys (a map's values may be
/// known only at apply, as in Terraform).
fn usable(what: &str, v: &Value) -> bool {
    match (what, v) {
        ("for_each", Value::Map(_)) => true,
        ("for_each", Value::List(items)) => items.iter().all(Value::is_known),
        _ => v.is_known(),
    }
}

/// Whether an expression not known at load may become known once the
/// data sources are read: it reads no resource directly, only names that
/// data can reach (`data`, locals and modules' inputs or outputs,
/// which may read data sources).
fn may_read_data(analysis: &crate::expr::Analysis) -> bool {
    analysis.refs.iter().all(|r| {
        matches!(
            r.root.as_str(),
            "data" | "local" | "locals" | "module" | "vars" | "var" | "each" | "count"
        ) || crate::expr::SCOPE_NAMES.contains(&r.root.as_str())
    })
}

/// The error for a `count` / `for_each` over the per-resource limit.
fn too_many(l: &mut Loader<'_>, node: &Node, name: &str, what: &str, got: &str) {
    l.error(
        node.span(),
        format!(
            "`{what}` of `{name}` is {got}: more than {MAX_INSTANCES_PER_RESOURCE} instances, the most one resource may have"
        ),
    )
    .hint = Some(
        "check the value (a var set too high?); real stacks stay far below this limit, see docs/spec-language.md#limits"
            .into(),
    );
}

impl Expansion {
    /// How many instances this expands to.
    fn len(&self) -> usize {
        match self {
            Expansion::Single => 1,
            Expansion::Count(n) => *n,
            Expansion::ForEach(keys) => keys.len(),
        }
    }

    /// The same kind of expansion with no instances.
    fn emptied(&self) -> Expansion {
        match self {
            Expansion::Single => Expansion::Single,
            Expansion::Count(_) => Expansion::Count(0),
            Expansion::ForEach(_) => Expansion::ForEach(Vec::new()),
        }
    }
}

fn lifecycle(l: &mut Loader<'_>, decl: &Decl<'_>) -> Lifecycle {
    let mut out = Lifecycle::default();
    let Some(node) = decl.node.get_node("lifecycle") else {
        return out;
    };
    let Node::Mapping(m) = node else {
        l.error(node.span(), "`lifecycle` must be a map").hint =
            Some(format!("keys: {}", LIFECYCLE_KEYS.join(", ")));
        return out;
    };
    for (k, v) in m.iter() {
        match k.as_str() {
            "prevent_destroy" | "create_before_destroy" => match super::yaml::node_value(v) {
                Value::Bool(b) if k.as_str() == "prevent_destroy" => out.prevent_destroy = b,
                Value::Bool(b) => out.create_before_destroy = b,
                other => {
                    l.error(
                        v.span(),
                        format!(
                            "`lifecycle.{}` must be true or false, got {}",
                            k.as_str(),
                            describe_value(&other)
                        ),
                    );
                }
            },
            // Read with the instance's fields (`Cx::conditions`).
            "precondition" | "postcondition" => {}
            "ignore_changes" => {
                let items: Vec<&Node> = match v {
                    Node::Sequence(s) => s.iter().collect(),
                    other => vec![other],
                };
                for item in items {
                    let Node::Scalar(path) = item else {
                        l.error(item.span(), "`ignore_changes` entries must be field names");
                        continue;
                    };
                    let p = path.as_str();
                    let first = p.split(['.', '[']).next().unwrap_or(p);
                    if let Some(schema) = &decl.schema
                        && p != "*"
                        && !schema.fields.contains_key(first)
                    {
                        let hint =
                            match did_you_mean(first, schema.fields.keys().map(String::as_str)) {
                                Some(s) => format!("did you mean `{s}`?"),
                                None => format!(
                                    "fields of {}: {}",
                                    schema.kind,
                                    schema.fields.keys().cloned().collect::<Vec<_>>().join(", ")
                                ),
                            };
                        l.error(
                            path.span(),
                            format!(
                                "`ignore_changes` names unknown field `{first}` of {}",
                                schema.kind
                            ),
                        )
                        .hint = Some(hint);
                        continue;
                    }
                    out.ignore_changes.push(p.to_string());
                }
            }
            other => {
                let hint = match did_you_mean(other, LIFECYCLE_KEYS.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("lifecycle keys: {}", LIFECYCLE_KEYS.join(", ")),
                };
                l.error(k.span(), format!("unknown lifecycle key `{other}`"))
                    .hint = Some(hint);
            }
        }
    }
    out
}

fn timeouts(l: &mut Loader<'_>, decl: &Decl<'_>) -> Timeouts {
    let mut out = Timeouts::default();
    let Some(node) = decl.node.get_node("timeouts") else {
        return out;
    };
    let Node::Mapping(m) = node else {
        l.error(node.span(), "`timeouts` must be a map").hint = Some(format!(
            "keys: {} (e.g. `create: 45m`)",
            TIMEOUT_KEYS.join(", ")
        ));
        return out;
    };
    for (k, v) in m.iter() {
        let slot = match k.as_str() {
            "create" => &mut out.create,
            "update" => &mut out.update,
            "delete" => &mut out.delete,
            other => {
                let hint = match did_you_mean(other, TIMEOUT_KEYS.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("timeouts keys: {}", TIMEOUT_KEYS.join(", ")),
                };
                l.error(k.span(), format!("unknown timeouts key `{other}`"))
                    .hint = Some(hint);
                continue;
            }
        };
        let parsed = match super::yaml::node_value(v) {
            Value::String(t) => parse_duration_secs(&t),
            Value::Number(n) => n.as_u64(),
            _ => None,
        };
        match parsed {
            Some(secs) if secs > 0 => *slot = Some(secs),
            _ => {
                l.error(
                    v.span(),
                    format!("`timeouts.{}` must be a duration", k.as_str()),
                )
                .hint = Some("write it like `45m`, `1h30m` or `90s`".into());
            }
        }
    }
    out
}

fn depends_on(l: &mut Loader<'_>, decl: &Decl<'_>, table: &ResourceTable) -> Vec<Address> {
    depends_on_node(l, decl.node, table)
}

/// The instances a `depends_on:` of `node` (a resource, a module call)
/// names.
pub(crate) fn depends_on_node(
    l: &mut Loader<'_>,
    node: &MarkedMappingNode,
    table: &ResourceTable,
) -> Vec<Address> {
    let mut out = Vec::new();
    let Some(node) = node.get_node("depends_on") else {
        return out;
    };
    let items: Vec<&Node> = match node {
        Node::Sequence(s) => s.iter().collect(),
        other => vec![other],
    };
    for item in items {
        let Node::Scalar(s) = item else {
            l.error(
                item.span(),
                "`depends_on` entries must be resource names or addresses",
            );
            continue;
        };
        let text = s.as_str();
        let Ok(address) = text.parse::<Address>() else {
            l.error(
                s.span(),
                format!("`depends_on` entry `{text}` is not a resource name or address"),
            )
            .hint = Some("write `vpc`, `nat[0]` or `subnet[\"us-east-1a\"]`".into());
            continue;
        };
        let Some(info) = table.by_name.get(&address.name) else {
            let hint = match did_you_mean(&address.name, table.by_name.keys().map(String::as_str)) {
                Some(x) => format!("did you mean `{x}`?"),
                None => "it must name a resource of this stack".into(),
            };
            l.error(
                s.span(),
                format!("`depends_on` names undefined resource `{}`", address.name),
            )
            .hint = Some(hint);
            continue;
        };
        match &address.key {
            None => out.extend(info.addresses(&address.name)),
            Some(_) if info.addresses(&address.name).contains(&address) => out.push(address),
            Some(_) => {
                l.error(
                    s.span(),
                    format!("`depends_on` names `{address}`, which does not exist"),
                )
                .hint = Some(format!("`{}` is {}", address.name, info.how()));
            }
        }
    }
    out
}

/// Loads `outputs:`.
pub(crate) fn load_outputs(
    l: &mut Loader<'_>,
    node: &Node,
    scope: &Scope<'_>,
    vars: &IndexMap<String, VarDecl>,
    table: &ResourceTable,
    locals: &LocalTable,
) -> Vec<OutputDef> {
    let Node::Mapping(outputs) = node else {
        l.error(
            node.span(),
            format!("`outputs` must be a map, got {}", node_kind(node)),
        );
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, body) in outputs.iter() {
        let full = matches!(body, Node::Mapping(m) if m.get_node("value").is_some());
        let (value_node, sensitive, description) = if let (true, Node::Mapping(m)) = (full, body) {
            for k in m.keys() {
                if !OUTPUT_KEYS.contains(&k.as_str()) {
                    let hint = did_you_mean(k.as_str(), OUTPUT_KEYS.iter().copied()).map_or_else(
                        || format!("output keys: {}", OUTPUT_KEYS.join(", ")),
                        |s| format!("did you mean `{s}`?"),
                    );
                    l.error(
                        k.span(),
                        format!("unknown key `{}` in output `{}`", k.as_str(), name.as_str()),
                    )
                    .hint = Some(hint);
                }
            }
            let sensitive = m
                .get_node("sensitive")
                .map(super::yaml::node_value)
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            let description = m
                .get_node("description")
                .map(super::yaml::node_value)
                .and_then(|v| v.as_str().map(str::to_string));
            (m.get_node("value").unwrap_or(body), sensitive, description)
        } else {
            (body, false, None)
        };
        let what = format!("output `{}`", name.as_str());
        let (value, mut deps) = load_value(l, value_node, scope, vars, table, locals, &what);
        let preconditions = match (full, body) {
            (true, Node::Mapping(m)) => {
                Cx::outside(l, table, locals, vars, scope, &mut deps)
                    .conditions(m, false)
                    .pre
            }
            _ => Vec::new(),
        };
        out.push(OutputDef {
            name: name.as_str().to_string(),
            value,
            sensitive,
            description,
            dependencies: deps,
            preconditions,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// A value outside any resource (an output's, a local's): checked, with
/// the instances it depends on. `what` names it in type errors.
pub(crate) fn load_value(
    l: &mut Loader<'_>,
    node: &Node,
    scope: &Scope<'_>,
    vars: &IndexMap<String, VarDecl>,
    table: &ResourceTable,
    locals: &LocalTable,
    what: &str,
) -> (Config, BTreeSet<Address>) {
    let mut deps = BTreeSet::new();
    let config = Cx::outside(l, table, locals, vars, scope, &mut deps).config(node, None, what);
    (config, deps)
}

/// A module call's input, written in the caller: checked like a field of
/// a resource expanded as the call is (`each` / `count` are the call's);
/// `check` reports static problems (the first instance only).
#[allow(clippy::too_many_arguments)]
pub(crate) fn load_input(
    l: &mut Loader<'_>,
    node: &Node,
    scope: &Scope<'_>,
    vars: &IndexMap<String, VarDecl>,
    (table, locals): (&ResourceTable, &LocalTable),
    owner: &Expansion,
    check: bool,
    what: &str,
) -> (Config, BTreeSet<Address>) {
    let mut deps = BTreeSet::new();
    let mut cx = Cx::outside(l, table, locals, vars, scope, &mut deps);
    cx.site = Site {
        owner: Some(owner),
        check,
        allow_self: false,
    };
    let config = cx.config(node, None, what);
    (config, deps)
}

/// Converts YAML into [`Config`]s while checking them.
struct Cx<'c, 'l, 's> {
    l: &'c mut Loader<'l>,
    table: &'c ResourceTable,
    locals: &'c LocalTable,
    vars: &'c IndexMap<String, VarDecl>,
    scope: &'c Scope<'s>,
    site: Site<'c>,
    deps: &'c mut BTreeSet<Address>,
    kind: &'c str,
}

impl<'c, 'l, 's> Cx<'c, 'l, 's> {
    /// The context of a value outside any resource (an output's, a
    /// local's): checked, no owner, no `self`.
    fn outside(
        l: &'c mut Loader<'l>,
        table: &'c ResourceTable,
        locals: &'c LocalTable,
        vars: &'c IndexMap<String, VarDecl>,
        scope: &'c Scope<'s>,
        deps: &'c mut BTreeSet<Address>,
    ) -> Self {
        Cx {
            l,
            table,
            locals,
            vars,
            scope,
            site: Site {
                owner: None,
                check: true,
                allow_self: false,
            },
            deps,
            kind: "",
        }
    }
}

impl Cx<'_, '_, '_> {
    /// The fields of an object (a resource's top level when `top`).
    fn object_fields(
        &mut self,
        map: &MarkedMappingNode,
        fields: &IndexMap<String, FieldSchema>,
        path: &str,
        top: bool,
        at: Option<&Span>,
    ) -> BTreeMap<String, Config> {
        let mut out = BTreeMap::new();
        for (key, value) in map.iter() {
            let k = key.as_str();
            if top && META_KEYS.contains(&k) {
                continue;
            }
            let full = if path.is_empty() {
                k.to_string()
            } else {
                format!("{path}.{k}")
            };
            let Some(field) = fields.get(k) else {
                if self.site.check {
                    let settable = fields
                        .iter()
                        .filter(|(_, f)| f.settable())
                        .map(|(n, _)| n.as_str());
                    let hint = match did_you_mean(k, settable) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!(
                            "fields of {}: {}",
                            self.kind,
                            fields
                                .iter()
                                .filter(|(_, f)| f.settable())
                                .map(|(n, _)| n.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    };
                    self.l
                        .error(
                            key.span(),
                            format!("unknown field `{full}` on {}", self.kind),
                        )
                        .hint = Some(hint);
                }
                continue;
            };
            if field.mode == FieldMode::Computed {
                if self.site.check {
                    self.l
                        .error(
                            key.span(),
                            format!(
                                "`{full}` of {} is computed by AWS and cannot be set",
                                self.kind
                            ),
                        )
                        .hint = Some(
                        "remove it; read it from other resources as an attribute instead".into(),
                    );
                }
                continue;
            }
            let mut config = self.config(value, Some(&field.ty), &full);
            if field.sensitive
                && let Config::Literal(v) = config
            {
                config = Config::Literal(v.sensitive());
            }
            out.insert(k.to_string(), config);
        }
        if self.site.check {
            for (name, field) in fields {
                if field.mode == FieldMode::Required && map.get_node(name.as_str()).is_none() {
                    let full = if path.is_empty() {
                        name.clone()
                    } else {
                        format!("{path}.{name}")
                    };
                    let span = at.copied().unwrap_or(*map.span());
                    self.l
                        .error(
                            &span,
                            format!("missing required field `{full}` on {}", self.kind),
                        )
                        .hint = Some(format!(
                        "`{name}` is {}{}",
                        field.ty.describe(),
                        describe_field(field)
                    ));
                }
            }
        }
        out
    }

    /// The `precondition` (and, if `post`, `postcondition`) rules of
    /// `map` (a resource's `lifecycle:`, an output), as the engine checks
    /// them; their references are dependencies like a field's.
    fn conditions(&mut self, map: &MarkedMappingNode, post: bool) -> Conditions {
        let mut out = Conditions::default();
        for (key, is_post) in [("precondition", false), ("postcondition", true)] {
            let Some(node) = map.get_node(key) else {
                continue;
            };
            if is_post && !post {
                continue;
            }
            let what = format!("`{key}`");
            // Every instance needs the rules; only the first reports their problems.
            let mut quiet = crate::diag::Diagnostics::default();
            let diags = if self.site.check {
                &mut self.l.diags
            } else {
                &mut quiet
            };
            let rules = rule_nodes(node, &what, &self.l.sources, diags);
            let site = self.site;
            self.site.allow_self = is_post;
            for (i, rule) in rules.iter().enumerate() {
                let path = format!("{key}[{i}]");
                let condition = self.config(
                    &rule.condition,
                    Some(&FieldType::Bool),
                    &format!("{path}.condition"),
                );
                let error_message = self.config(
                    &rule.error_message,
                    Some(&FieldType::String),
                    &format!("{path}.error_message"),
                );
                let pos = Some(SerdePos::from(&self.l.sources.pos(rule.condition.span())));
                let c = Condition {
                    condition,
                    error_message,
                    pos,
                };
                if is_post {
                    out.post.push(c);
                } else {
                    out.pre.push(c);
                }
            }
            self.site = site;
        }
        out
    }

    /// One value: literal, template, list or map, checked against `ty`.
    fn config(&mut self, node: &Node, ty: Option<&FieldType>, path: &str) -> Config {
        let config = match (node, ty) {
            (Node::Scalar(s), _) if is_template(s.as_str()) => return self.template(s, ty, path),
            (Node::Mapping(m), Some(FieldType::Object(fields))) => {
                Config::Map(self.object_fields(m, fields, path, false, None))
            }
            (Node::Mapping(m), ty) => {
                let item = match ty {
                    Some(FieldType::Map(t)) => Some(&**t),
                    Some(FieldType::Any) | None => None,
                    Some(other) => return self.mismatch(node, other, path),
                };
                Config::Map(
                    m.iter()
                        .map(|(k, v)| {
                            (
                                k.as_str().to_string(),
                                self.config(v, item, &format!("{path}.{}", k.as_str())),
                            )
                        })
                        .collect(),
                )
            }
            (Node::Sequence(seq), ty) => {
                let item = match ty {
                    Some(FieldType::List(t)) => Some(&**t),
                    Some(FieldType::Any) | None => None,
                    Some(other) => return self.mismatch(node, other, path),
                };
                Config::List(
                    seq.iter()
                        .enumerate()
                        .map(|(i, v)| self.config(v, item, &format!("{path}[{i}]")))
                        .collect(),
                )
            }
            (Node::Scalar(s), ty) => {
                let mut v = scalar_value(s);
                if let Some(ty) = ty
                    && let Err(e) = check_value(&mut v, ty)
                {
                    self.type_error(node.span(), path, &e);
                }
                Config::Literal(v)
            }
        };
        collapse(config)
    }

    fn mismatch(&mut self, node: &Node, ty: &FieldType, path: &str) -> Config {
        let got = node_kind(node);
        self.type_error(
            node.span(),
            path,
            &format!("expected {}, got {got}", ty.describe()),
        );
        Config::Literal(Value::Null)
    }

    fn type_error(&mut self, span: &Span, path: &str, e: &str) {
        let what = if self.kind.is_empty() {
            format!("`{path}`")
        } else {
            format!("field `{path}` of {}", self.kind)
        };
        self.l.error(span, format!("wrong type for {what}: {e}"));
    }

    fn template(
        &mut self,
        s: &marked_yaml::types::MarkedScalarNode,
        ty: Option<&FieldType>,
        path: &str,
    ) -> Config {
        let source = s.as_str();
        let entry = match self.l.parsed(source) {
            Ok(e) => e,
            Err(e) => {
                if self.site.check {
                    self.l.expr_error(s.span(), source, &e, "");
                }
                return Config::Literal(Value::Null);
            }
        };
        let (parsed, analysis) = (&entry.0, &entry.1);
        let pos = self.l.sources.pos(s.span());
        if self.site.check {
            let before = self.l.diags.0.len();
            self.check_analysis(analysis, s.span(), source);
            if self.l.diags.0.len() > before {
                self.l.bad_templates.insert(pos.clone());
            }
        }
        // Already reported statically: evaluating would only repeat the problem.
        if self.l.bad_templates.contains(&pos) {
            return Config::Literal(Value::Null);
        }
        let mut uses_resources = false;
        for r in &analysis.refs {
            if SCOPE_NAMES.contains(&r.root.as_str()) || super::locals::read_at_load(self.scope, r)
            {
                continue;
            }
            if r.root == "self" && self.site.allow_self {
                // The resource's own attributes: known once it is applied.
                uses_resources = true;
                continue;
            }
            if is_local_root(&r.root) {
                // A module's local over an input known only at apply is
                // evaluated then (the input's own reads are already the
                // module's dependencies).
                uses_resources |= self.locals.reads_apply_time_input(r);
                // Reading a local reads what it reads (its own errors are reported at the local).
                for read in self.locals.resource_reads(r) {
                    uses_resources = true;
                    let targets = self.targets(&read, None);
                    self.deps.extend(targets);
                }
                continue;
            }
            uses_resources = true;
            let targets = self.targets(r, Some((s.span(), source)));
            self.deps.extend(targets);
        }
        if uses_resources {
            // A string template always yields a string; whole-expression types are checked at plan time.
            if let (Parsed::Template(_), Some(ty)) = (parsed, ty)
                && let Err(e) = check_value(&mut Value::string(""), ty)
            {
                self.type_error(
                    s.span(),
                    path,
                    &e.replace("string \"\"", "a string template"),
                );
            }
            return Config::Template {
                source: source.to_string(),
                pos: Some(SerdePos::from(&pos)),
            };
        }
        match self.l.evaluate_at(parsed, s.span(), self.scope) {
            // A module input known only at apply: evaluated then, in the
            // module's scope.
            Ok(v) if self.l.module_depth > 0 && !v.is_known() => Config::Template {
                source: source.to_string(),
                pos: Some(SerdePos::from(&pos)),
            },
            Ok(mut v) => {
                if let Some(ty) = ty
                    && let Err(e) = check_value(&mut v, ty)
                {
                    let d_path = path.to_string();
                    self.type_error(s.span(), &d_path, &e);
                    if let Some(d) = self.l.diags.0.last_mut() {
                        d.snippet = Some(source.to_string());
                    }
                }
                Config::Literal(v)
            }
            Err(e) => {
                // Errors that depend on the instance (each/count) are reported per instance.
                self.l.expr_error(s.span(), source, &e, "");
                Config::Literal(Value::Null)
            }
        }
    }

    /// Static checks of a template's references and function calls.
    fn check_analysis(&mut self, analysis: &Analysis, span: &Span, source: &str) {
        for e in &analysis.errors {
            self.l.expr_error(span, source, e, "");
        }
        for f in &analysis.funcs {
            match function_info(&f.name) {
                None => {
                    let hint = did_you_mean(&f.name, FUNCTIONS.iter().map(|f| f.name)).map_or_else(
                        || "`forge functions` lists every function".to_string(),
                        |s| format!("did you mean `{s}`?"),
                    );
                    let d = self.l.error(span, format!("unknown function `{}`", f.name));
                    d.snippet = Some(source.to_string());
                    d.hint = Some(hint);
                }
                Some(info)
                    if !f.expand_final
                        && (f.args < info.min_args
                            || info.max_args.is_some_and(|m| f.args > m)) =>
                {
                    let expected = match info.max_args {
                        Some(m) if m == info.min_args => format!("{m}"),
                        Some(m) => format!("{} to {m}", info.min_args),
                        None => format!("at least {}", info.min_args),
                    };
                    let d = self.l.error(
                        span,
                        format!(
                            "wrong number of arguments to `{}`: expected {expected}, got {}",
                            f.name, f.args
                        ),
                    );
                    d.snippet = Some(source.to_string());
                    d.hint = Some(format!("usage: {}", info.signature));
                }
                Some(_) => {}
            }
        }
        for r in &analysis.refs {
            let problem = self.check_reference(r).or_else(|| self.missing_data_key(r));
            if let Some((message, hint)) = problem {
                let d = self.l.error(span, message);
                d.snippet = Some(source.to_string());
                d.hint = hint;
            }
        }
    }

    /// In a load made with what the data sources read, where reading them
    /// is a plain value: a key their map attributes lack (see
    /// [`super::data_keys`]).
    fn missing_data_key(&self, r: &Reference) -> Option<(String, Option<String>)> {
        let read = self.scope.data.filter(|_| r.root == "data")?;
        let lookup = |name: &str| read.get(name);
        super::data_keys::missing_key(&lookup, r).map(|(message, hint)| (message, Some(hint)))
    }

    fn check_reference(&self, r: &Reference) -> Option<(String, Option<String>)> {
        let root = r.root.as_str();
        match root {
            "vars" | "var" => {
                let name = r.first_attr()?;
                if self.vars.contains_key(name) {
                    return None;
                }
                let hint = did_you_mean(name, self.vars.keys().map(String::as_str)).map_or_else(
                    || "declare it under `vars:`".to_string(),
                    |s| format!("did you mean `{s}`?"),
                );
                Some((format!("undefined var `{name}`"), Some(hint)))
            }
            "each" if !matches!(self.site.owner, Some(Expansion::ForEach(_))) => Some((
                "`each` is only available in a resource that uses `for_each`".into(),
                None,
            )),
            "count" if !matches!(self.site.owner, Some(Expansion::Count(_))) => Some((
                "`count.index` is only available in a resource that uses `count`".into(),
                None,
            )),
            "dependency" => super::dependencies::check_reference(&self.l.dependencies, r),
            "module" => self.table.modules.check_reference(r),
            _ if SCOPE_NAMES.contains(&root) => None,
            _ if is_local_root(root) => self.locals.check_reference(r),
            "self" if self.site.allow_self => None,
            "self" => Some((
                "`self` is only available in a resource's `postcondition`".into(),
                Some("refer to the resource by its name, e.g. `vpc.id`".into()),
            )),
            // The locals are checked before the data sources are loaded;
            // one read already (a later pass) was declared.
            "data" if self.table.data.is_empty() && super::locals::read_at_load(self.scope, r) => {
                None
            }
            "data" => super::data::check_reference(&self.table.data, r),
            _ => {
                let Some(info) = self.table.by_name.get(root) else {
                    let names = self
                        .table
                        .by_name
                        .keys()
                        .map(String::as_str)
                        .chain(SCOPE_NAMES.iter().copied());
                    let hint = did_you_mean(root, names).map(|s| format!("did you mean `{s}`?"));
                    return Some((format!("reference to undefined resource `{root}`"), hint));
                };
                check_instance_reference(root, info, r)
            }
        }
    }

    /// The instances a resource reference depends on. A reference to an
    /// instance that does not exist is reported `at` the template (a
    /// span and its source), if given.
    fn targets(&mut self, r: &Reference, at: Option<(&Span, &str)>) -> Vec<Address> {
        if r.root == "module" {
            return self.table.modules.targets(r, self.scope);
        }
        let Some(info) = self.table.by_name.get(&r.root) else {
            return Vec::new();
        };
        let all = info.addresses(&r.root);
        let (Expansion::Count(_) | Expansion::ForEach(_), Some(RefOp::Index(e))) =
            (&info.expansion, r.ops.first())
        else {
            return all;
        };
        // Statically resolvable keys (literals, each.key, count.index, vars) name one instance.
        let Ok(key) = evaluate(&Parsed::Expr(e.clone()), self.scope) else {
            return all;
        };
        let address = match (&info.expansion, key.unmarked()) {
            (Expansion::Count(_), Value::Number(n)) => {
                n.as_u64().map(|i| Address::indexed(&r.root, i as usize))
            }
            (Expansion::ForEach(_), Value::String(k)) => Some(Address::keyed(&r.root, k)),
            (_, Value::Unknown) => return all,
            _ => None,
        };
        match (address, at) {
            (Some(a), _) if all.contains(&a) => vec![a],
            (_, None) => Vec::new(),
            (other, Some((span, source))) => {
                let shown = other.map_or_else(|| format!("{}[{key}]", r.root), |a| a.to_string());
                let hint = match &info.expansion {
                    Expansion::Count(n) => format!(
                        "`{}` has count {n} (indexes 0..{})",
                        r.root,
                        n.saturating_sub(1)
                    ),
                    _ => format!(
                        "keys of `{}`: {}",
                        r.root,
                        info.keys
                            .iter()
                            .map(|k| format!("{k:?}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                let d = self.l.error(
                    span,
                    format!("reference to `{shown}`, which does not exist"),
                );
                d.snippet = Some(source.to_string());
                d.hint = Some(hint);
                Vec::new()
            }
        }
    }
}

/// The problem with reference `r` to `root`, an instance (or instances)
/// described by `info`: indexing that does not fit its expansion, or an
/// attribute its kind does not have.
pub(crate) fn check_instance_reference(
    root: &str,
    info: &ResourceInfo,
    r: &Reference,
) -> Option<(String, Option<String>)> {
    let attr_op = match (&info.expansion, r.ops.first()) {
        (_, None) => return None,
        (Expansion::Single, Some(RefOp::Attr(_))) => r.ops.first(),
        (Expansion::Single, Some(_)) => {
            return Some((
                format!("`{root}` is a single resource and cannot be indexed"),
                Some(format!("write `{root}.id`")),
            ));
        }
        (_, Some(RefOp::Attr(a))) => {
            let example = match info.expansion {
                Expansion::Count(_) => format!("`{root}[0].{a}` or `{root}[*].{a}`"),
                _ => format!("`{root}[\"key\"].{a}` or `{root}[*].{a}`"),
            };
            return Some((
                format!(
                    "`{root}` is {}: refer to one instance or all of them",
                    info.how()
                ),
                Some(format!("write {example}")),
            ));
        }
        (_, Some(_)) => r.ops.get(1),
    };
    let (Some(RefOp::Attr(attr)), Some(schema)) = (attr_op, &info.schema) else {
        return None;
    };
    if schema.has_attribute(attr) {
        return None;
    }
    let names = std::iter::once("id").chain(schema.fields.keys().map(String::as_str));
    let hint = did_you_mean(attr, names).map_or_else(
        || {
            format!(
                "attributes of {}: id, {}",
                info.kind,
                schema.fields.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        },
        |s| format!("did you mean `{s}`?"),
    );
    Some((
        format!("undefined attribute `{attr}` of `{root}` ({})", info.kind),
        Some(hint),
    ))
}

fn describe_field(field: &FieldSchema) -> String {
    if field.description.is_empty() {
        String::new()
    } else {
        format!(": {}", field.description)
    }
}

/// Lists and maps of literals become one literal.
fn collapse(config: Config) -> Config {
    match config {
        Config::List(items) if items.iter().all(|c| matches!(c, Config::Literal(_))) => {
            Config::Literal(Value::List(
                items
                    .into_iter()
                    .map(|c| {
                        if let Config::Literal(v) = c {
                            v
                        } else {
                            Value::Null
                        }
                    })
                    .collect(),
            ))
        }
        Config::Map(map) if map.values().all(|c| matches!(c, Config::Literal(_))) => {
            Config::Literal(Value::Map(
                map.into_iter()
                    .map(|(k, c)| {
                        (
                            k,
                            if let Config::Literal(v) = c {
                                v
                            } else {
                                Value::Null
                            },
                        )
                    })
                    .collect(),
            ))
        }
        other => other,
    }
}
