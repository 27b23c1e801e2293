//! The limits the spec loader and the expression evaluator enforce.
//!
//! A spec is input: in a pull-request pipeline it is written by whoever
//! opened the pull request. Without bounds, one line (`count: 10000000`, a
//! 5,000-deep nested list, a `for` over a `for` over a huge `range()`) makes
//! forge allocate without end, run for hours or overflow its stack. Each
//! limit below is far above what real stacks use, and exceeding one is a
//! positioned error, never a crash. `docs/spec-language.md` lists them.

/// Largest spec file (or `--var-file`) read, in bytes: 4 MiB. The biggest
/// reference stack file is a few KiB.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Deepest nesting of YAML mappings and lists in a file. A resource's
/// fields nest about ten deep at most (an inline IAM policy).
pub const MAX_YAML_DEPTH: usize = 64;

/// Deepest nesting of brackets, parentheses, braces, unary operators,
/// nested templates and chained conditionals inside one `${ ... }`
/// expression. Enforced by hcl-rs's parser (hcl-edit), which also allows
/// at most 128 chained binary operators; `tests/limits.rs` checks both.
pub const MAX_EXPR_DEPTH: usize = 64;

/// Most instances one resource may expand to with `count` or `for_each`.
/// Real stacks stay far below (a subnet per AZ, a bucket per team).
pub const MAX_INSTANCES_PER_RESOURCE: usize = 1_000;

/// Most resource instances in one stack, all resources together.
pub const MAX_INSTANCES_PER_STACK: usize = 10_000;

/// Most elements `range()` produces.
pub const MAX_RANGE: usize = 10_000;

/// Most steps one expression evaluation may take: iterations of `for`
/// expressions and `%{for}` directives plus elements built by collection
/// functions. Bounds nested loops (`[for a in range(10000) : [for b in
/// range(10000) : ...]]` would be 10^8 steps). Real expressions take a
/// few thousand.
pub const MAX_EVAL_STEPS: u64 = 200_000;
