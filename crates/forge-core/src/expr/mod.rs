//! `${ ... }` expressions: HCL expression syntax inside YAML strings,
//! parsed and evaluated by hcl-rs, with forge's unknown and sensitive
//! values layered on top.
//!
//! - [`parse`] turns a YAML string into a [`Parsed`] template: either a
//!   single `${expr}` (which keeps the expression's type) or a string
//!   template with literal parts (which yields a string).
//! - [`analyze`] walks the syntax tree and lists every reference
//!   (`vpc.id`, `subnet[*].id`, `vars.cidr`) and function call, so the
//!   loader can check them and build the dependency graph without
//!   evaluating anything.
//! - [`evaluate`] computes the value in a [`Scope`]. The rule it keeps:
//!   never a wrong known value. See `eval.rs` for how.

mod budget;
mod convert;
mod error;
mod eval;
pub mod functions;
mod parse;
mod refs;
mod scope;

pub use error::{ExprError, ExprErrorKind};
pub use eval::{evaluate, evaluate_cached, evaluate_source};
pub use functions::files::{Files, allow_files_outside_root, files_outside_root_allowed};
pub use parse::{Parsed, is_template, parse};
pub use refs::{Analysis, FuncUse, RefOp, Reference, analyze};
pub use scope::{LocalValues, SCOPE_NAMES, Scope, is_local_root};

/// The candidate that looks like a misspelling of `word`: within a small
/// edit distance (transpositions count once), else similar by
/// Jaro-Winkler, as cargo and rustc suggest.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let limit = (word.chars().count() / 3).max(1);
    let mut best: Option<(usize, f64, &str)> = None;
    for c in candidates {
        let distance = strsim::damerau_levenshtein(word, c);
        let similarity = strsim::jaro_winkler(word, c);
        if distance > limit && similarity <= 0.85 {
            continue;
        }
        let better = best.is_none_or(|(d, s, _)| distance < d || (distance == d && similarity > s));
        if better {
            best = Some((distance, similarity, c));
        }
    }
    best.map(|(_, _, c)| c.to_string())
}
