//! Typed schemas of resource kinds.
//!
//! Every resource kind declares its fields: their type, whether the user
//! must, may or cannot set them, whether a change forces replacement, and
//! whether they are secret. The spec loader validates resources against the
//! schema; the engine uses it to plan (defaults, force-new fields, computed
//! attributes that are "known after apply").

use crate::value::Value;
use indexmap::IndexMap;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The type of a field.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldType {
    /// Text.
    String,
    /// An integer or float.
    Number,
    /// true / false.
    Bool,
    /// A list whose items have the given type.
    List(Box<FieldType>),
    /// A map from string keys to the given type (tags, for instance).
    Map(Box<FieldType>),
    /// A nested block with its own fields.
    Object(IndexMap<String, FieldSchema>),
    /// Any JSON-like value (policy documents, free-form settings).
    Any,
}

impl FieldType {
    /// `list(T)`.
    pub fn list(item: FieldType) -> Self {
        FieldType::List(Box::new(item))
    }

    /// `map(T)`.
    pub fn map(item: FieldType) -> Self {
        FieldType::Map(Box::new(item))
    }

    /// A nested object built from `(name, field)` pairs.
    pub fn object(fields: impl IntoIterator<Item = (&'static str, FieldSchema)>) -> Self {
        FieldType::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    /// How the type is written in error messages and docs.
    pub fn describe(&self) -> String {
        match self {
            FieldType::String => "string".into(),
            FieldType::Number => "number".into(),
            FieldType::Bool => "bool".into(),
            FieldType::List(t) => format!("list({})", t.describe()),
            FieldType::Map(t) => format!("map({})", t.describe()),
            FieldType::Object(_) => "object".into(),
            FieldType::Any => "any".into(),
        }
    }
}

/// Who sets a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldMode {
    /// The user must set it.
    Required,
    /// The user may set it; unset means the schema default (or absent).
    Optional,
    /// The user may set it; unset means the cloud chooses (and the chosen
    /// value is not a diff).
    OptionalComputed,
    /// Only the cloud sets it (`id`, `arn`, ...): readable, not writable.
    Computed,
}

/// One field of a kind.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSchema {
    /// Its type.
    pub ty: FieldType,
    /// Who sets it.
    pub mode: FieldMode,
    /// A change to it forces replacement of the resource.
    pub force_new: bool,
    /// Its value is secret: never displayed.
    pub sensitive: bool,
    /// A forge-only setting, not a property of the cloud object (an RDS
    /// `skip_final_snapshot`): when the object does not carry it, refresh
    /// keeps the value the state recorded.
    pub local: bool,
    /// The value AWS uses when the user sets none (so that leaving it out is
    /// not a perpetual diff).
    pub default: Option<Value>,
    /// One line of documentation (shown in the JSON schema of specs).
    pub description: &'static str,
}

impl FieldSchema {
    fn new(ty: FieldType, mode: FieldMode) -> Self {
        FieldSchema {
            ty,
            mode,
            force_new: false,
            sensitive: false,
            local: false,
            default: None,
            description: "",
        }
    }

    /// A field the user must set.
    pub fn required(ty: FieldType) -> Self {
        Self::new(ty, FieldMode::Required)
    }

    /// A field the user may set.
    pub fn optional(ty: FieldType) -> Self {
        Self::new(ty, FieldMode::Optional)
    }

    /// A field the user may set and the cloud fills in otherwise.
    pub fn optional_computed(ty: FieldType) -> Self {
        Self::new(ty, FieldMode::OptionalComputed)
    }

    /// A field only the cloud sets.
    pub fn computed(ty: FieldType) -> Self {
        Self::new(ty, FieldMode::Computed)
    }

    /// Marks the field as forcing replacement when changed.
    pub fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }

    /// Marks the field secret.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// Marks the field a forge-only setting (see [`FieldSchema::local`]).
    pub fn local(mut self) -> Self {
        self.local = true;
        self
    }

    /// Sets the default AWS applies when unset.
    pub fn default(mut self, value: impl Into<Value>) -> Self {
        self.default = Some(value.into());
        self
    }

    /// Sets the one-line description.
    pub fn describe(mut self, text: &'static str) -> Self {
        self.description = text;
        self
    }

    /// Whether a user may write this field in a spec.
    pub fn settable(&self) -> bool {
        self.mode != FieldMode::Computed
    }
}

/// The schema of one resource kind, e.g. `aws.ec2.vpc`.
#[derive(Debug, Clone, PartialEq)]
pub struct KindSchema {
    /// `aws.<service>.<kind>`.
    pub kind: String,
    /// One line on what it is.
    pub description: &'static str,
    /// Its fields, in documentation order. Every kind implicitly has a
    /// computed `id`.
    pub fields: IndexMap<String, FieldSchema>,
}

impl KindSchema {
    /// A schema from `(name, field)` pairs.
    pub fn new(
        kind: impl Into<String>,
        description: &'static str,
        fields: impl IntoIterator<Item = (&'static str, FieldSchema)>,
    ) -> Self {
        KindSchema {
            kind: kind.into(),
            description,
            fields: fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        }
    }

    /// A field by name.
    pub fn field(&self, name: &str) -> Option<&FieldSchema> {
        self.fields.get(name)
    }

    /// Whether `name` can be read from an instance of this kind
    /// (`${vpc.id}`, `${vpc.cidr_block}`).
    pub fn has_attribute(&self, name: &str) -> bool {
        name == "id" || self.fields.contains_key(name)
    }
}

/// All kinds forge knows, by name.
#[derive(Debug, Clone, Default)]
pub struct SchemaRegistry {
    kinds: BTreeMap<String, Arc<KindSchema>>,
    /// Data source schemas (`data:`), by type: their arguments are the
    /// settable fields, their attributes the computed ones.
    data: BTreeMap<String, Arc<KindSchema>>,
}

impl SchemaRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a kind.
    pub fn insert(&mut self, schema: Arc<KindSchema>) {
        self.kinds.insert(schema.kind.clone(), schema);
    }

    /// A kind by name.
    pub fn get(&self, kind: &str) -> Option<&Arc<KindSchema>> {
        self.kinds.get(kind)
    }

    /// All kind names, sorted.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.kinds.keys().map(String::as_str)
    }

    /// All schemas, sorted by kind.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<KindSchema>> {
        self.kinds.values()
    }

    /// Adds (or replaces) a data source type.
    pub fn insert_data(&mut self, schema: Arc<KindSchema>) {
        self.data.insert(schema.kind.clone(), schema);
    }

    /// A data source type by name.
    pub fn data(&self, kind: &str) -> Option<&Arc<KindSchema>> {
        self.data.get(kind)
    }

    /// All data source schemas, sorted by type.
    pub fn data_iter(&self) -> impl Iterator<Item = &Arc<KindSchema>> {
        self.data.values()
    }
}
