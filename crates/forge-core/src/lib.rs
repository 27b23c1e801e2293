//! forge-core: the vocabulary every other forge crate speaks.
//!
//! It holds the spec language (YAML stacks with source spans, includes,
//! environments, variables, `${ ... }` expressions evaluated with hcl-rs,
//! `for_each` / `count` expansion), the [`value::Value`] model (known,
//! unknown-until-apply, sensitive), resource [`address::Address`]es, the
//! typed [`schema::KindSchema`]s resource kinds declare, the dependency
//! graph, and positioned diagnostics. It performs no AWS calls and no I/O
//! beyond reading spec files.

pub mod address;
pub mod diag;
pub mod expr;
pub mod fields;
pub mod graph;
pub mod limits;
pub mod schema;
pub mod spec;
pub mod value;

pub use address::{Address, InstanceKey};
pub use diag::{Diagnostic, Diagnostics, SourcePos};
pub use schema::{FieldMode, FieldSchema, FieldType, KindSchema, SchemaRegistry};
pub use value::{Attrs, Value};
