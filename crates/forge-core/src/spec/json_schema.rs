//! The JSON Schema of spec files, for editor completion and validation.
//!
//! The document structure comes from the serde types below (schemars
//! derives it); each registered resource kind then adds an `if type ==
//! kind then <its settable fields>` branch, so editors complete fields per
//! kind. Any field may also be a `${ ... }` template string.

use crate::schema::{FieldMode, FieldSchema, FieldType, SchemaRegistry};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value as J, json};
use std::collections::BTreeMap;

/// A forge stack file.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct StackFile {
    /// The stack's name (defaults to the folder's name).
    stack: Option<String>,
    /// The default AWS region of resources.
    region: Option<String>,
    /// Where state is kept (default: a local file under .forge/).
    state: Option<StateFile>,
    /// Variables: `name: {type, default, description, sensitive}` or `name: default`.
    vars: Option<BTreeMap<String, VarFile>>,
    /// Named overlays chosen with `-e NAME`.
    environments: Option<BTreeMap<String, EnvironmentFile>>,
    /// The environment loaded when no `-e` is given (without it, a stack
    /// that declares environments needs `-e`).
    default_environment: Option<String>,
    /// Tags applied to every resource (values may use `${vars.x}`, `${env}`, `${stack}`).
    tags: Option<BTreeMap<String, String>>,
    /// Files merged underneath this one, in order (paths relative to this file).
    include: Option<Vec<String>>,
    /// Resources by name.
    resources: Option<BTreeMap<String, ResourceFile>>,
    /// Outputs: `name: {value, sensitive, description}` or `name: "${vpc.id}"`.
    outputs: Option<BTreeMap<String, OutputFile>>,
    /// Existing objects to take under management: `{to: ADDR, id: ID, kind: KIND}`.
    import: Option<Vec<ImportFile>>,
    /// Renamed addresses: `{from: ADDR, to: ADDR}`.
    moved: Option<Vec<MovedFile>>,
    /// Resources to stop managing: `{from: ADDR, lifecycle: {destroy: false}}`.
    removed: Option<Vec<RemovedFile>>,
    /// Named values over vars, env, other locals and resources, read as `${local.name}`.
    locals: Option<BTreeMap<String, J>>,
    /// Other stacks whose outputs this one reads as `${dependency.NAME.outputs.X}`.
    dependencies: Option<BTreeMap<String, DependencyFile>>,
    /// AWS credentials of the stack's resources (and, unless `state.aws` is set, its state).
    aws: Option<StackAwsFile>,
    /// Modules used by this stack (or module): outputs read as `${module.NAME.OUTPUT}`.
    modules: Option<BTreeMap<String, ModuleCallFile>>,
    /// A module's inputs (in a module's files only), declared like `vars`
    /// and read as `${vars.NAME}` inside the module.
    inputs: Option<BTreeMap<String, VarFile>>,
    /// Read-only lookups by name, read as `${data.NAME.ATTR}`.
    data: Option<BTreeMap<String, DataFile>>,
}

/// `aws:` credentials: a profile, a role to assume, the accounts allowed.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct AwsFile {
    /// A named profile of ~/.aws/config (default: the process's credential chain).
    profile: Option<String>,
    /// A role assumed on top of the profile (or the process's chain).
    assume_role: Option<AssumeRoleFile>,
    /// Refuse to plan or apply unless the credentials act in one of these accounts.
    allowed_account_ids: Option<Vec<String>>,
}

/// The stack's (an environment's) `aws:`: its credentials and named
/// credential sets (aliases) that resources pick with `aws: NAME`.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct StackAwsFile {
    /// A named profile of ~/.aws/config (default: the process's credential chain).
    profile: Option<String>,
    /// A role assumed on top of the profile (or the process's chain).
    assume_role: Option<AssumeRoleFile>,
    /// Refuse to plan or apply unless the credentials act in one of these accounts.
    allowed_account_ids: Option<Vec<String>>,
    /// Named credential sets (Terraform's provider aliases); a resource uses one with `aws: NAME`.
    aliases: Option<BTreeMap<String, AwsFile>>,
}

/// `aws.assume_role`.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct AssumeRoleFile {
    /// arn:aws:iam::ACCOUNT_ID:role/NAME.
    role_arn: String,
    /// The external id the role's trust policy requires.
    external_id: Option<String>,
    /// The role session's name (default `forge`).
    session_name: Option<String>,
    /// Session length, 15m..12h (`1h`, `3600`); default one hour.
    duration: Option<J>,
}

/// A `modules:` entry: one use of a module.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ModuleCallFile {
    /// A folder relative to this file, or `git::URL//SUBDIR?ref=REF`.
    source: String,
    /// Values of the module's inputs (expressions in this file's scope).
    inputs: Option<BTreeMap<String, J>>,
    /// Number of instances (`module.NAME[0]`, ...).
    count: Option<J>,
    /// Instances per list item or map key (`module.NAME["key"]`).
    for_each: Option<J>,
    /// Extra dependencies of every resource of the module.
    depends_on: Option<Vec<String>>,
}

/// A data source.
#[derive(Serialize, Deserialize, JsonSchema)]
#[allow(dead_code)]
struct DataFile {
    /// The data source's type, e.g. aws.ec2.availability_zones.
    #[serde(rename = "type")]
    kind: String,
    /// Number of lookups (`data.name[0]`, ...).
    count: Option<J>,
    /// One lookup per list item or map key; `each.key` / `each.value`.
    for_each: Option<J>,
    /// `precondition` / `postcondition` rules.
    lifecycle: Option<LifecycleFile>,
    /// Region override.
    region: Option<String>,
}

/// An `import:` entry.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ImportFile {
    /// The address to record the object at (`name`, `name[0]`, `name["key"]`).
    to: String,
    /// The object's id as AWS knows it (may use `${vars.x}`, `${env}`).
    id: String,
    /// The kind, for `forge plan --generate-spec` when `to` is not declared yet.
    kind: Option<String>,
}

/// A `moved:` entry.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct MovedFile {
    /// The old address.
    from: String,
    /// The new address.
    to: String,
}

/// A `removed:` entry.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct RemovedFile {
    /// The resource (or instance) to forget.
    from: String,
    /// `destroy: true` deletes the object; default false leaves it.
    lifecycle: Option<RemovedLifecycleFile>,
}

/// `lifecycle:` of a `removed:` entry.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct RemovedLifecycleFile {
    /// Delete the object too (default false).
    destroy: Option<bool>,
}

/// Another stack this one reads outputs from.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct DependencyFile {
    /// The other stack's folder, relative to this stack's.
    path: String,
    /// Its environment to read (default: the one being loaded).
    environment: Option<String>,
    /// Values served while it has no state (or lacks an output), for the
    /// commands in `mock_outputs_allowed_commands`; never for apply.
    mock_outputs: Option<BTreeMap<String, J>>,
    /// validate, plan, drift (default: validate, plan).
    mock_outputs_allowed_commands: Option<Vec<String>>,
}

/// State backend.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(tag = "backend", rename_all = "lowercase", deny_unknown_fields)]
#[allow(dead_code)]
enum StateFile {
    /// A local file.
    Local {
        /// Path of the state file, relative to the stack.
        path: Option<String>,
    },
    /// An S3 object, locked with `<key>.lock`.
    S3 {
        /// Bucket.
        bucket: String,
        /// Object key; may use `${stack}` and `${env}`.
        key: String,
        /// The bucket's region.
        region: Option<String>,
        /// SSE-KMS key.
        kms_key_id: Option<String>,
        /// Custom endpoint.
        endpoint: Option<String>,
        /// Credentials for the state alone (default: the stack's `aws`).
        aws: Option<Box<AwsFile>>,
    },
}

/// A variable declaration.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum VarFile {
    /// Full form.
    Full {
        /// string, number, bool, any, list(T), set(T), map(T), tuple([...]), object({...}).
        #[serde(rename = "type")]
        ty: Option<String>,
        /// Value when none is given.
        default: Option<J>,
        /// What it is for.
        description: Option<String>,
        /// Never display its value.
        sensitive: Option<bool>,
        /// Rules the value must pass: `{condition, error_message}` or a list of them.
        validation: Option<J>,
    },
    /// Shorthand: the default value (type inferred).
    Default(J),
}

/// An environment overlay.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct EnvironmentFile {
    /// Variable values for this environment.
    vars: Option<BTreeMap<String, J>>,
    /// Region override.
    region: Option<String>,
    /// Extra tags.
    tags: Option<BTreeMap<String, String>>,
    /// State override.
    state: Option<J>,
    /// Credentials override, merged key by key over the stack's `aws` (aliases too).
    aws: Option<StackAwsFile>,
}

/// A resource.
#[derive(Serialize, Deserialize, JsonSchema)]
#[allow(dead_code)]
struct ResourceFile {
    /// The kind, e.g. aws.ec2.vpc.
    #[serde(rename = "type")]
    kind: String,
    /// Number of instances (`name[0]`, ...); a number or a `${...}` over vars.
    count: Option<J>,
    /// Instances per list item or map key (`name["key"]`); `each.key` / `each.value`.
    for_each: Option<J>,
    /// Extra dependencies: resource names or addresses.
    depends_on: Option<Vec<String>>,
    /// Lifecycle settings.
    lifecycle: Option<LifecycleFile>,
    /// Region override.
    region: Option<String>,
    /// How long to wait for readiness (create, update) or disappearance (delete).
    timeouts: Option<TimeoutsFile>,
    /// The stack's `aws.aliases` entry whose credentials read and change it.
    aws: Option<String>,
}

/// Readiness waits per operation: `45m`, `1h30m`, `90s`.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct TimeoutsFile {
    /// Longest wait after a create.
    create: Option<String>,
    /// Longest wait after an update.
    update: Option<String>,
    /// Longest wait after a delete.
    delete: Option<String>,
}

/// Lifecycle settings.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct LifecycleFile {
    /// Refuse plans that destroy this resource.
    prevent_destroy: Option<bool>,
    /// Fields whose changes are ignored (`tags`, `tags.Owner`, `*`).
    ignore_changes: Option<Vec<String>>,
    /// Create the replacement before destroying the old one.
    create_before_destroy: Option<bool>,
    /// Rules checked before the resource's call: `{condition, error_message}` or a list.
    precondition: Option<J>,
    /// Rules checked after it, reading `self`: `{condition, error_message}` or a list.
    postcondition: Option<J>,
}

/// An output.
#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum OutputFile {
    /// Full form.
    Full {
        /// The value, usually `${resource.attribute}`.
        value: J,
        /// Hide it in plan/apply output.
        sensitive: Option<bool>,
        /// What it is.
        description: Option<String>,
        /// Rules checked at plan: `{condition, error_message}` or a list of them.
        precondition: Option<J>,
    },
    /// Shorthand: the value.
    Value(J),
}

fn template() -> J {
    json!({"type": "string", "pattern": "\\$\\{", "description": "a ${ ... } expression"})
}

fn field_type(ty: &FieldType) -> J {
    let base = match ty {
        FieldType::String => json!({"type": "string"}),
        FieldType::Number => json!({"type": "number"}),
        FieldType::Bool => json!({"type": "boolean"}),
        FieldType::List(item) => json!({"type": "array", "items": field_type(item)}),
        FieldType::Map(item) => json!({"type": "object", "additionalProperties": field_type(item)}),
        FieldType::Object(fields) => object(fields.iter()),
        FieldType::Any => return json!({}),
    };
    if matches!(ty, FieldType::String) {
        return base;
    }
    json!({"anyOf": [base, template()]})
}

fn field(f: &FieldSchema) -> J {
    let mut s = field_type(&f.ty);
    if let Some(obj) = s.as_object_mut() {
        if !f.description.is_empty() {
            obj.insert("description".into(), J::String(f.description.to_string()));
        }
        if let Some(d) = &f.default {
            obj.insert("default".into(), d.to_json());
        }
    }
    s
}

fn object<'a>(fields: impl Iterator<Item = (&'a String, &'a FieldSchema)>) -> J {
    let mut props = serde_json::Map::new();
    let mut required = Vec::new();
    for (name, f) in fields.filter(|(_, f)| f.settable()) {
        props.insert(name.clone(), field(f));
        if f.mode == FieldMode::Required {
            required.push(J::String(name.clone()));
        }
    }
    json!({"type": "object", "properties": props, "required": required, "additionalProperties": false})
}

/// The JSON Schema of the spec format, with one branch per registered kind.
pub fn json_schema(schemas: &SchemaRegistry) -> J {
    let mut root =
        serde_json::to_value(schemars::schema_for!(StackFile)).unwrap_or_else(|_| json!({}));
    if let Some(obj) = root.as_object_mut() {
        obj.insert("title".into(), J::String("forge stack spec".into()));
    }
    let meta = [
        "type",
        "count",
        "for_each",
        "depends_on",
        "lifecycle",
        "region",
        "timeouts",
        "aws",
    ];
    add_branches(
        &mut root,
        "resources",
        schemas.iter(),
        &meta,
        "The kind, e.g. aws.ec2.vpc",
    );
    add_branches(
        &mut root,
        "data",
        schemas.data_iter(),
        &meta,
        "The data source's type, e.g. aws.ec2.availability_zones",
    );
    root
}

/// Gives the definition of a section's entries (`resources`, `data`) an
/// `if type == T then <its settable fields>` branch per type.
fn add_branches<'a>(
    root: &mut J,
    section: &str,
    schemas: impl Iterator<Item = &'a std::sync::Arc<crate::schema::KindSchema>>,
    meta: &[&str],
    type_description: &str,
) {
    let schemas: Vec<_> = schemas.collect();
    let kinds: Vec<J> = schemas.iter().map(|k| J::String(k.kind.clone())).collect();
    let branches: Vec<J> = schemas
        .iter()
        .map(|kind| {
            let mut then = object(kind.fields.iter());
            if let Some(props) = then.get_mut("properties").and_then(J::as_object_mut) {
                for m in meta {
                    props.insert((*m).to_string(), json!(true));
                }
            }
            json!({
                "if": {"properties": {"type": {"const": kind.kind}}, "required": ["type"]},
                "then": then,
                "description": kind.description,
            })
        })
        .collect();
    let resource_ref = root
        .pointer(&format!("/properties/{section}/additionalProperties/$ref"))
        .and_then(J::as_str)
        .map(str::to_string);
    let resource_def = resource_ref
        .as_deref()
        .and_then(|r| r.strip_prefix("#/"))
        .map(|p| format!("/{p}"));
    if let Some(def) = resource_def
        .and_then(|p| root.pointer_mut(&p))
        .and_then(J::as_object_mut)
    {
        if let Some(t) = def.get_mut("properties").and_then(|p| p.get_mut("type")) {
            *t = json!({"enum": kinds, "description": type_description});
        }
        def.insert("allOf".into(), J::Array(branches));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::testing::network_schemas;

    #[test]
    fn has_structure_and_kind_branches() {
        let s = json_schema(&network_schemas());
        assert!(s.pointer("/properties/resources").is_some(), "{s:#}");
        let text = s.to_string();
        assert!(text.contains("\"const\":\"aws.ec2.vpc\""));
        assert!(text.contains("destination_cidr_block"));
        // Computed fields are not offered.
        assert!(!text.contains("main_route_table_id"));
    }
}

#[cfg(test)]
mod branch_tests {
    use super::*;
    use crate::spec::testing::network_schemas;

    #[test]
    fn resource_definition_carries_the_branches() {
        let s = json_schema(&network_schemas());
        let r = s
            .pointer("/properties/resources/additionalProperties/$ref")
            .and_then(J::as_str)
            .unwrap_or_default();
        let def = s
            .pointer(&format!("/{}", r.trim_start_matches("#/")))
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            def.get("allOf").and_then(J::as_array).map(Vec::len),
            Some(7),
            "{def:#}"
        );
    }
}
