//! `import:`, `moved:` and `removed:` blocks: how a stack takes over
//! objects that already exist, renames addresses, and lets go of objects,
//! all planned and applied like any other change (Terraform's `import`,
//! `moved` and `removed` blocks).
//!
//! The loader reads them here into an [`Adoption`]; the engine plans them
//! against the state (the import id must be known at load time: vars,
//! environment, region — never a resource attribute).

use super::loader::{Loader, check_keys, mapping};
use super::model::{Instance, SerdePos};
use super::yaml::node_kind;
use crate::address::Address;
use crate::expr::Scope;
use crate::value::Value;
use marked_yaml::types::{MarkedMappingNode, Node, Span};
use serde::{Deserialize, Serialize};

/// Keys of one `import:` entry.
const IMPORT_KEYS: &[&str] = &["to", "id", "kind"];
/// Keys of one `moved:` entry.
const MOVED_KEYS: &[&str] = &["from", "to"];
/// Keys of one `removed:` entry.
const REMOVED_KEYS: &[&str] = &["from", "lifecycle"];

/// One `import:` entry: take the existing object `id` under management at
/// `to`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportBlock {
    /// The address it is recorded at (an instance of a `count` /
    /// `for_each` resource included).
    pub to: Address,
    /// The id AWS uses for the object (docs/import.md lists the form per
    /// kind), evaluated when the stack is loaded.
    pub id: String,
    /// The kind, for `forge plan --generate-spec` when the spec has no
    /// resource at `to` yet (a declared resource's kind wins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Where the entry is written.
    pub pos: SerdePos,
}

/// One `moved:` entry: what the state records at `from` is now `to`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MovedBlock {
    /// The old address (a whole resource when neither side has a key).
    pub from: Address,
    /// The new address.
    pub to: Address,
    /// Where the entry is written.
    pub pos: SerdePos,
}

/// One `removed:` entry: stop managing the resource `from`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemovedBlock {
    /// The resource (every instance of it when it has no key).
    pub from: Address,
    /// `lifecycle: {destroy: true}`: delete the object as if the resource
    /// had been taken out of the spec. Default false: forget it, leave it.
    pub destroy: bool,
    /// Where the entry is written.
    pub pos: SerdePos,
}

impl RemovedBlock {
    /// Whether `address` is one this block removes.
    pub fn covers(&self, address: &Address) -> bool {
        match &self.from.key {
            None => address.name == self.from.name,
            Some(_) => address == &self.from,
        }
    }
}

/// The stack's `import:`, `moved:` and `removed:` blocks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Adoption {
    /// `import:` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub imports: Vec<ImportBlock>,
    /// `moved:` entries, in the order written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moved: Vec<MovedBlock>,
    /// `removed:` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<RemovedBlock>,
}

impl Adoption {
    /// No blocks at all.
    pub fn is_empty(&self) -> bool {
        self.imports.is_empty() && self.moved.is_empty() && self.removed.is_empty()
    }

    /// The import block for `address`, if any.
    pub fn import_for(&self, address: &Address) -> Option<&ImportBlock> {
        self.imports.iter().find(|b| &b.to == address)
    }
}

/// The top-level keys this module reads.
pub(crate) const ADOPTION_KEYS: &[&str] = &["import", "moved", "removed"];

/// Reads the three sections of the merged document, checking them against
/// the expanded `instances`.
pub(crate) fn load_adoption(
    l: &mut Loader<'_>,
    root: &MarkedMappingNode,
    scope: &Scope<'_>,
    instances: &[Instance],
) -> Adoption {
    let mut out = Adoption::default();
    let declared = |a: &Address| instances.iter().any(|i| &i.address == a);
    let name_declared = |n: &str| instances.iter().any(|i| i.address.name == n);
    for (entry, span) in entries(l, root, "import") {
        check_keys(l, entry, IMPORT_KEYS, "an `import` entry");
        let Some(to) = address_key(l, entry, span, "to", "an `import` entry") else {
            continue;
        };
        let kind = entry.get_scalar("kind").map(|s| s.as_str().to_string());
        let id = match entry.get_node("id") {
            Some(Node::Scalar(s)) => {
                let context = "the import id (it must be known when planning: vars, env, \
                               region, stack; not a resource's attribute)";
                match l.load_time_value(s, scope, context) {
                    Some(Value::String(v)) if !v.is_empty() => Some(v),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    Some(other) => {
                        l.error(
                            s.span(),
                            format!(
                                "the import id must be a non-empty string, got {}",
                                other.type_name()
                            ),
                        );
                        None
                    }
                    None => None,
                }
            }
            Some(other) => {
                l.error(
                    other.span(),
                    format!("the import id must be a string, got {}", node_kind(other)),
                );
                None
            }
            None => {
                l.error(span, "an `import` entry needs an `id`").hint =
                    Some("the id AWS uses for the object (docs/import.md)".into());
                None
            }
        };
        if !declared(&to) && kind.is_none() {
            let hint = if name_declared(&to.name) {
                format!("`{}` is declared, but has no instance {to}", to.name)
            } else {
                "declare the resource (with its kind), or add `kind:` to the entry and run \
                 `forge plan --generate-spec FILE` to write it from the live object"
                    .to_string()
            };
            l.error(
                span,
                format!("import target {to} is not declared in the spec"),
            )
            .hint = Some(hint);
            continue;
        }
        if let Some(first) = out.imports.iter().find(|b| b.to == to) {
            let first = crate::diag::SourcePos::from(&first.pos);
            l.error(span, format!("{to} is imported twice (also at {first})"));
            continue;
        }
        if let Some(id) = id {
            out.imports.push(ImportBlock {
                to,
                id,
                kind,
                pos: (&l.sources.pos(span)).into(),
            });
        }
    }
    for (entry, span) in entries(l, root, "moved") {
        check_keys(l, entry, MOVED_KEYS, "a `moved` entry");
        let from = address_key(l, entry, span, "from", "a `moved` entry");
        let to = address_key(l, entry, span, "to", "a `moved` entry");
        let (Some(from), Some(to)) = (from, to) else {
            continue;
        };
        let whole = from.key.is_none() && to.key.is_none();
        let still = if whole {
            name_declared(&from.name)
        } else {
            declared(&from)
        };
        if from == to {
            l.error(span, format!("`moved` from {from} to itself"));
        } else if still {
            l.error(
                span,
                format!("{from} is moved, but the spec still declares it"),
            )
            .hint = Some(
                "a `moved` block's `from` is the old address: rename the resource in the spec \
                 to `to`"
                    .into(),
            );
        } else {
            out.moved.push(MovedBlock {
                from,
                to,
                pos: (&l.sources.pos(span)).into(),
            });
        }
    }
    for (entry, span) in entries(l, root, "removed") {
        check_keys(l, entry, REMOVED_KEYS, "a `removed` entry");
        let Some(from) = address_key(l, entry, span, "from", "a `removed` entry") else {
            continue;
        };
        let destroy = removed_destroy(l, entry);
        let block = RemovedBlock {
            from,
            destroy,
            pos: (&l.sources.pos(span)).into(),
        };
        if instances.iter().any(|i| block.covers(&i.address)) {
            l.error(
                span,
                format!("{} is removed, but the spec still declares it", block.from),
            )
            .hint =
                Some("take the resource out of the spec when you add the `removed` block".into());
            continue;
        }
        out.removed.push(block);
    }
    out
}

/// The entries of a list section (each a map), with their spans.
fn entries<'n>(
    l: &mut Loader<'_>,
    root: &'n MarkedMappingNode,
    key: &str,
) -> Vec<(&'n MarkedMappingNode, &'n Span)> {
    let Some(node) = root.get_node(key) else {
        return Vec::new();
    };
    let Node::Sequence(items) = node else {
        l.error(
            node.span(),
            format!("`{key}` must be a list of entries, got {}", node_kind(node)),
        );
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| mapping(l, item, &format!("an `{key}` entry")).map(|m| (m, item.span())))
        .collect()
}

/// A required address key of an entry.
fn address_key(
    l: &mut Loader<'_>,
    entry: &MarkedMappingNode,
    span: &Span,
    key: &str,
    what: &str,
) -> Option<Address> {
    let Some(s) = entry.get_scalar(key) else {
        l.error(span, format!("{what} needs `{key}` (a resource address)"))
            .hint = Some("an address is `name`, `name[0]` or `name[\"key\"]`".into());
        return None;
    };
    match s.as_str().parse::<Address>() {
        Ok(a) => Some(a),
        Err(e) => {
            l.error(s.span(), e.to_string());
            None
        }
    }
}

/// `lifecycle: {destroy: BOOL}` of a `removed` entry (default false).
fn removed_destroy(l: &mut Loader<'_>, entry: &MarkedMappingNode) -> bool {
    let Some(node) = entry.get_node("lifecycle") else {
        return false;
    };
    let Some(m) = mapping(l, node, "`lifecycle` of a `removed` entry") else {
        return false;
    };
    check_keys(l, m, &["destroy"], "`lifecycle` of a `removed` entry");
    match m.get_scalar("destroy").map(|s| (s, s.as_str())) {
        None => false,
        Some((_, "true")) => true,
        Some((_, "false")) => false,
        Some((s, _)) => {
            l.error(s.span(), "`destroy` must be true or false");
            false
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_keyless_removed_block_covers_every_instance() {
        let b = RemovedBlock {
            from: Address::single("sg"),
            destroy: false,
            pos: SerdePos {
                file: "s.yaml".into(),
                line: 1,
                column: 1,
            },
        };
        assert!(b.covers(&Address::keyed("sg", "a")));
        assert!(b.covers(&Address::single("sg")));
        assert!(!b.covers(&Address::single("sgx")));
    }
}
