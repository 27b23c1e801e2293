//! The documented key order of the canonical layout (docs/spec-language.md,
//! "Formatting"): where a mapping sits decides which keys come first.
//! Keys the order does not name keep the order they were written in, after
//! the named ones that lead and before those that close.

/// The top level: what the stack is and where its state lives, what it
/// reads, its inputs and names, then what it declares, then adoption.
const TOP: &[&str] = &[
    "stack",
    "region",
    "include",
    "state",
    "aws",
    "providers",
    "dependencies",
    "inputs",
    "vars",
    "locals",
    "environments",
    "default_environment",
    "tags",
    "data",
    "modules",
    "resources",
    "outputs",
    "import",
    "moved",
    "removed",
];

/// What a mapping is, as far as key order goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Section {
    /// The file's top level.
    Top,
    /// A map of declarations by name (`resources:`, `vars:`, ...), whose
    /// entries are of the given kind.
    Named(Decl),
    /// One declaration.
    Decl(Decl),
    /// Anything else: written order.
    Other,
}

/// The kinds of declaration whose keys have an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decl {
    Resource,
    Var,
    Output,
    Module,
    Dependency,
}

/// Keys written first in a resource (or data source), then its fields as
/// written, then [`RESOURCE_LAST`].
const RESOURCE_FIRST: &[&str] = &[
    "type",
    "count",
    "for_each",
    "region",
    "provider",
    "depends_on",
];
const RESOURCE_LAST: &[&str] = &["lifecycle", "preconditions", "postconditions"];
const VAR_FIRST: &[&str] = &[
    "type",
    "default",
    "description",
    "sensitive",
    "nullable",
    "validation",
];
const OUTPUT_FIRST: &[&str] = &["value", "description", "sensitive", "preconditions"];
const MODULE_FIRST: &[&str] = &["source", "count", "for_each", "depends_on", "inputs"];
const DEPENDENCY_FIRST: &[&str] = &[
    "path",
    "environment",
    "mock_outputs",
    "mock_outputs_allowed_commands",
];

impl Section {
    /// The section of the value under `key` in this one.
    pub(super) fn child(self, key: &str) -> Section {
        match self {
            Section::Top => match key {
                "resources" | "data" => Section::Named(Decl::Resource),
                "vars" | "inputs" => Section::Named(Decl::Var),
                "outputs" => Section::Named(Decl::Output),
                "modules" => Section::Named(Decl::Module),
                "dependencies" => Section::Named(Decl::Dependency),
                _ => Section::Other,
            },
            Section::Named(d) => Section::Decl(d),
            Section::Decl(_) | Section::Other => Section::Other,
        }
    }

    /// The section of a sequence item's mapping.
    pub(super) fn item(self) -> Section {
        Section::Other
    }
}

/// The sort key of `key` in a mapping of `section` (a stable sort keeps
/// the written order among equal ranks).
pub(super) fn rank(section: Section, key: &str) -> usize {
    let position = |list: &[&str]| list.iter().position(|k| *k == key);
    match section {
        Section::Top => position(TOP).unwrap_or(TOP.len()),
        Section::Decl(Decl::Resource) => match position(RESOURCE_FIRST) {
            Some(i) => i,
            None => match position(RESOURCE_LAST) {
                Some(i) => RESOURCE_FIRST.len() + 1 + i,
                None => RESOURCE_FIRST.len(),
            },
        },
        Section::Decl(Decl::Var) => position(VAR_FIRST).unwrap_or(VAR_FIRST.len()),
        Section::Decl(Decl::Output) => position(OUTPUT_FIRST).unwrap_or(OUTPUT_FIRST.len()),
        Section::Decl(Decl::Module) => position(MODULE_FIRST).unwrap_or(MODULE_FIRST.len()),
        Section::Decl(Decl::Dependency) => {
            position(DEPENDENCY_FIRST).unwrap_or(DEPENDENCY_FIRST.len())
        }
        Section::Named(_) | Section::Other => 0,
    }
}
