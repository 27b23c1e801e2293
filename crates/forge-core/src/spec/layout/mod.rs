//! `forge fmt`'s canonical layout of a spec file: one way to write the same
//! YAML, so reviews show changes and not style.
//!
//! The layout (documented in docs/spec-language.md, "Formatting"): two
//! spaces per level, sequences indented under their key, quoted scalars in
//! double quotes, top-level sections and the leading keys of resources,
//! vars, outputs, modules and dependencies in the documented order, at most
//! one blank line in a row, one newline at the end. Comments stay with the
//! entry they precede (or follow on its line); flow collections (`{...}`,
//! `[...]`) and block scalars (`|`, `>`) are kept as written.
//!
//! The formatter never changes meaning: the result is parsed again and
//! compared with the original, value for value, and a difference is an
//! error that leaves the file as it was.

mod emit;
mod order;
mod tree;

use thiserror::Error;

/// Why a file could not be laid out.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum LayoutError {
    /// The file is not valid YAML.
    #[error("{line}:{column}: not valid YAML: {message}")]
    Syntax {
        /// Line (1-based).
        line: usize,
        /// Column (1-based).
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// The file uses YAML the canonical layout does not write.
    #[error(
        "line {line}: {what} is not supported by `forge fmt`; the file is left as it is (hint: forge specs need no anchors, aliases, tags or complex keys)"
    )]
    Unsupported {
        /// Line (1-based).
        line: usize,
        /// What was found.
        what: String,
    },
    /// Laying the file out would have changed its values: a defect in the
    /// formatter, reported instead of writing.
    #[error(
        "formatting would change the file's values, so it is left as it is (a forge defect: please report it with the file)"
    )]
    WouldChangeMeaning,
}

/// `text` in the canonical layout.
pub fn canonical_layout(text: &str) -> Result<String, LayoutError> {
    let tree = tree::parse(text)?;
    if tree.root.is_none() {
        // Not a mapping (empty, or a scalar): nothing to lay out.
        return Ok(text.to_string());
    }
    let out = emit::emit(tree);
    let before: Result<serde_yaml::Value, _> = serde_yaml::from_str(text);
    let after: Result<serde_yaml::Value, _> = serde_yaml::from_str(&out);
    match (before, after) {
        (Ok(b), Ok(a)) if a == b => Ok(out),
        _ => Err(LayoutError::WouldChangeMeaning),
    }
}

/// Whether `text` looks like a forge spec file: a YAML mapping with at
/// least one of the spec's top-level keys (as the loader decides).
pub fn is_spec_text(text: &str, keys: &[&str]) -> bool {
    match serde_yaml::from_str::<serde_yaml::Value>(text) {
        Ok(serde_yaml::Value::Mapping(m)) => m
            .keys()
            .any(|k| k.as_str().is_some_and(|k| keys.contains(&k))),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
