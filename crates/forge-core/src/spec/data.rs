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
use crate::address::Address;
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
/// under `data` the data sources' values (unknown for one not read yet):
/// at the stack's top level its own (`azs`), inside a module instance,
/// which asks for `module.PATH.data`, that instance's
/// (`module.PATH.data.azs`).
pub(crate) struct WithData<'a> {
    /// The stack, whose `data_values` are read.
    pub stack: &'a Stack,
    /// The resource values of the evaluation.
    pub resources: &'a dyn ResourceValues,
}

/// The name of a data source in the scope whose `data` is asked for as
/// `asked` (`data`, or `module.PATH.data`), if `full` is one of its own.
fn local_name<'n>(asked: &str, full: &'n str) -> Option<&'n str> {
    let local = if asked == "data" {
        full
    } else {
        full.strip_prefix(asked)?.strip_prefix('.')?
    };
    (!local.contains('.')).then_some(local)
}

impl ResourceValues for WithData<'_> {
    fn resource(&self, name: &str) -> Option<Value> {
        let is_data = name == "data" || (name.starts_with("module.") && name.ends_with(".data"));
        let mut all = BTreeMap::new();
        if is_data {
            for i in &self.stack.data {
                if let Some(local) = local_name(name, &i.address.name) {
                    let v = self.stack.data_values.get(&i.address.name);
                    all.insert(local.to_string(), v.cloned().unwrap_or(Value::Unknown));
                }
            }
        }
        if all.is_empty() {
            return self.resources.resource(name);
        }
        Some(Value::Map(all))
    }
}

/// A data source's address as people read it: `data.azs`, or inside a
/// module `module.net.data.azs` (its name already says `data`).
pub fn data_address(address: &Address) -> String {
    if address.name.starts_with("module.") {
        address.to_string()
    } else {
        format!("data.{address}")
    }
}
