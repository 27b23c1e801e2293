//! `data:`: read-only lookups of what already exists (the account id, the
//! region's availability zones, a VPC by tag), read as `${data.NAME.ATTR}`.
//!
//! A data source is declared like a resource (`type`, its arguments,
//! `count` / `for_each`, `lifecycle` conditions), so it is loaded by the
//! same code ([`super::resources::load_section`]) into [`Instance`]s of
//! [`Stack::data`]; its type's schema comes from
//! [`crate::SchemaRegistry::data`]: settable fields are its arguments,
//! computed ones its attributes. The engine reads them before planning and
//! keeps the results in [`Stack::data_values`], which every evaluation
//! sees under the name `data`. They never become resources of the state.

use super::loader::Loader;
use super::locals::LocalTable;
use super::model::{Instance, ResourceValues, Stack};
use super::resources::{
    ResourceInfo, ResourceTable, Section, check_instance_reference, load_section,
};
use super::vars::VarDecl;
use crate::expr::{RefOp, Reference, Scope, did_you_mean};
use crate::value::Value;
use indexmap::IndexMap;
use marked_yaml::types::Node;
use std::collections::BTreeMap;

/// Loads `data:` into sorted instances (their names go into `table`, for
/// the references of resources, outputs and locals loaded after).
pub(crate) fn load_data(
    l: &mut Loader<'_>,
    node: Option<&Node>,
    scope: &Scope<'_>,
    vars: &IndexMap<String, VarDecl>,
    table: &mut ResourceTable,
    locals: &LocalTable,
) -> Vec<Instance> {
    match node {
        Some(node) => load_section(l, node, scope, vars, table, locals, Section::Data),
        None => Vec::new(),
    }
}

/// The problem with a `data.NAME...` reference, if any: no name, an
/// undeclared data source, or indexing / an attribute its type does not
/// have.
pub(crate) fn check_reference(
    data: &BTreeMap<String, ResourceInfo>,
    r: &Reference,
) -> Option<(String, Option<String>)> {
    let Some(RefOp::Attr(name)) = r.ops.first() else {
        return Some((
            "`data` must be followed by a data source's name".into(),
            Some("write e.g. `data.azs.names`".into()),
        ));
    };
    let Some(info) = data.get(name) else {
        let hint = did_you_mean(name, data.keys().map(String::as_str)).map_or_else(
            || "declare it under `data:`".to_string(),
            |s| format!("did you mean `data.{s}`?"),
        );
        return Some((
            format!("reference to undefined data source `data.{name}`"),
            Some(hint),
        ));
    };
    let inner = Reference {
        root: format!("data.{name}"),
        ops: r.ops[1..].to_vec(),
        truncated: r.truncated,
    };
    check_instance_reference(&inner.root, info, &inner)
}

/// What an expression evaluated in the engine sees: the resources, and
/// under `data` the data sources' values (unknown for one not read yet).
pub(crate) struct WithData<'a> {
    /// The stack, whose `data_values` are read.
    pub stack: &'a Stack,
    /// The resource values of the evaluation.
    pub resources: &'a dyn ResourceValues,
}

impl ResourceValues for WithData<'_> {
    fn resource(&self, name: &str) -> Option<Value> {
        if name != "data" || self.stack.data.is_empty() {
            return self.resources.resource(name);
        }
        let mut all = self.stack.data_values.clone();
        for i in &self.stack.data {
            all.entry(i.address.name.clone()).or_insert(Value::Unknown);
        }
        Some(Value::Map(all))
    }
}
