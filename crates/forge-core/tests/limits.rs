//! Hostile input: every oversized or too-deep spec is refused with a
//! positioned error, quickly, without a panic or a stack overflow.
//!
//! Each load runs in its own thread; the test waits for it with a generous
//! timeout (a hang fails) and prints how long the refusal took, never
//! asserting a time (shared machines are noisy). A panic shows
//! up as a lost result; a stack overflow aborts the whole test process,
//! which fails the run as well.

use forge_core::Diagnostics;
use forge_core::limits::{
    MAX_EXPR_DEPTH, MAX_FILE_BYTES, MAX_INSTANCES_PER_RESOURCE, MAX_INSTANCES_PER_STACK, MAX_RANGE,
    MAX_YAML_DEPTH,
};
use forge_core::spec::testing::network_schemas;
use forge_core::spec::{LoadOptions, load_stack};
use proptest::prelude::*;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const HEAD: &str = "stack: s\nregion: us-east-1\n";

/// Loads `text` as a one-file stack in a thread and returns its
/// diagnostics; fails if it loads, panics, or hangs (60 s).
fn refused(text: String) -> Diagnostics {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("main.yaml");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let start = Instant::now();
        let result = load_stack(&path, &LoadOptions::default(), &network_schemas());
        let _ = tx.send((start.elapsed(), result.map(|s| s.instances.len())));
    });
    let (elapsed, result) = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(r) => r,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("the load did not finish in 60 s"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the load panicked"),
    };
    // Not a timed assertion (shared machines are noisy): the budget's
    // refusal is what is checked; the time is printed for a reader.
    eprintln!("refused in {elapsed:?}");
    match result {
        Ok(n) => panic!("loaded {n} instances, expected a refusal"),
        Err(d) => d,
    }
}

/// Asserts one diagnostic says `what` and has a file position.
#[track_caller]
fn says(diags: &Diagnostics, what: &str) {
    let hit = diags
        .0
        .iter()
        .find(|d| d.message.contains(what))
        .unwrap_or_else(|| panic!("no diagnostic containing {what:?}:\n{diags}"));
    let pos = hit
        .pos
        .as_ref()
        .unwrap_or_else(|| panic!("no position: {hit}"));
    assert!(pos.line >= 1 && pos.column >= 1, "{hit}");
}

fn resource(extra: &str) -> String {
    format!("{HEAD}resources:\n  net:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n{extra}")
}

#[test]
fn counts_from_the_report_are_refused() {
    for count in [
        "9223372036854775808",
        "1000000000000",
        "10000000",
        "1001",
        "1e300",
    ] {
        let d = refused(resource(&format!("    count: {count}\n")));
        says(&d, "the most one resource may have");
        let pos = d.0[0].pos.as_ref().map(|p| (p.line, p.column));
        assert_eq!(pos, Some((7, 12)), "{count}: {d}");
    }
}

#[test]
fn count_from_a_var_is_bounded_too() {
    let text = format!(
        "{HEAD}vars:\n  n: 100000000\nresources:\n  net:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n    count: \"${{vars.n}}\"\n"
    );
    says(&refused(text), "the most one resource may have");
}

#[test]
fn for_each_over_a_huge_range_is_refused() {
    let d = refused(resource(
        "    for_each: \"${[for i in range(100000000) : tostring(i)]}\"\n",
    ));
    says(&d, &format!("more than {MAX_RANGE} elements"));
    let d = refused(resource(
        "    for_each: \"${[for i in range(5000) : tostring(i)]}\"\n",
    ));
    says(&d, "the most one resource may have");
}

#[test]
fn the_stack_as_a_whole_is_bounded() {
    let per = MAX_INSTANCES_PER_RESOURCE;
    let n = MAX_INSTANCES_PER_STACK / per + 1;
    let mut text = format!("{HEAD}resources:\n");
    for i in 0..n {
        text.push_str(&format!(
            "  net{i}:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n    count: {per}\n"
        ));
    }
    says(&refused(text), "resource instances");
}

#[test]
fn deep_yaml_is_refused() {
    // The report's 5,000-deep block list, and mappings (flow style: block
    // mappings that deep would not fit in the size limit).
    let list = format!(
        "{HEAD}resources:\n  net:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n    tags:\n      {}x\n",
        "- ".repeat(5000)
    );
    says(
        &refused(list),
        &format!("more than {MAX_YAML_DEPTH} levels"),
    );
    let map = format!(
        "{HEAD}vars:\n  v: {}1{}\n",
        "{a: ".repeat(5000),
        "}".repeat(5000)
    );
    says(&refused(map), &format!("more than {MAX_YAML_DEPTH} levels"));
    let mut block = String::from(HEAD);
    block.push_str("vars:\n");
    for i in 0..200 {
        block.push_str(&" ".repeat(i + 1));
        block.push_str("k:\n");
    }
    says(
        &refused(block),
        &format!("more than {MAX_YAML_DEPTH} levels"),
    );
}

#[test]
fn huge_files_are_refused_before_parsing() {
    for size in [MAX_FILE_BYTES as usize + 1, 10 * 1024 * 1024] {
        let mut text = String::from(HEAD);
        text.push_str("vars:\n  big: \"");
        text.push_str(&"x".repeat(size));
        text.push_str("\"\n");
        says(&refused(text), "MiB, the most forge reads from one file");
    }
}

#[test]
fn deep_expressions_are_refused() {
    let n = 5000;
    let cases = [
        format!("{}1{}", "(".repeat(n), ")".repeat(n)),
        format!("{}1{}", "[".repeat(n), "]".repeat(n)),
        format!("{}1{}", "{a = ".repeat(n), "}".repeat(n)),
        format!("{}true", "!".repeat(n)),
        format!("{}1", "-".repeat(n)),
        format!("{}1", "true ? 1 : ".repeat(n)),
        format!("{}1{}", "\\\"${".repeat(n), "}\\\"".repeat(n)),
        format!("{}1", "1 + ".repeat(n)),
    ];
    for expr in cases {
        let d = refused(format!("{HEAD}tags:\n  v: \"${{{expr}}}\"\n"));
        // hcl-rs's parser stops at the same depth as forge documents.
        let deep = format!("at most {MAX_EXPR_DEPTH} nested levels");
        assert!(
            d.0.iter().all(|d| d.pos.is_some()
                && (d.message.contains(&deep) || d.message.contains("chained binary operators"))),
            "{}: {d}",
            &expr[..20]
        );
    }
}

#[test]
fn nested_loops_run_out_of_budget() {
    for expr in [
        "length([for a in range(10000) : [for b in range(10000) : a]])",
        "length(flatten([for a in range(10000) : [for b in range(10000) : a if false]]))",
        "length(join(\\\"\\\", [for a in range(10000) : join(\\\"\\\", [for b in range(1000) : \\\"xxxxxxxx\\\"])]))",
        "length(replace(join(\\\"\\\", [for a in range(10000) : \\\"a\\\"]), \\\"a\\\", join(\\\"\\\", [for a in range(10000) : \\\"bbbbbbbbbbbbbbbb\\\"])))",
    ] {
        let d = refused(resource(&format!("    count: \"${{{expr}}}\"\n")));
        says(&d, "too much work");
    }
    // `%{for}` in a template string is bounded the same way.
    let text = format!(
        "{HEAD}tags:\n  t: \"%{{for a in range(10000)}}%{{for b in range(10000)}}%{{endfor}}%{{endfor}}${{stack}}\"\n"
    );
    says(&refused(text), "too much work");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Any count over the limit, written as an integer or a float.
    #[test]
    fn any_count_over_the_limit_is_refused(n in (MAX_INSTANCES_PER_RESOURCE as u64 + 1)..u64::MAX, float in any::<bool>()) {
        let written = if float { format!("{}.0", n) } else { n.to_string() };
        says(&refused(resource(&format!("    count: {written}\n"))), "the most one resource may have");
    }

    /// Any YAML nesting past the limit, as lists, maps, or a mix.
    #[test]
    fn any_nesting_over_the_limit_is_refused(depth in (MAX_YAML_DEPTH + 1)..3000usize, seed in any::<u64>()) {
        let mut open = String::new();
        let mut close = String::new();
        for i in 0..depth {
            if (seed >> (i % 64)) & 1 == 0 {
                open.push('[');
                close.insert(0, ']');
            } else {
                open.push_str("{k: ");
                close.insert(0, '}');
            }
        }
        // Flow style is capped at 255 levels by the YAML scanner itself:
        // deeper, nest block lists (`- - - x`).
        let text = if depth > 200 {
            format!("{HEAD}vars:\n  v:\n    {}x\n", "- ".repeat(depth))
        } else {
            format!("{HEAD}vars:\n  v: {open}1{close}\n")
        };
        says(&refused(text), "levels");
    }

    /// Any expression nesting past the limit.
    #[test]
    fn any_expression_nesting_over_the_limit_is_refused(depth in (MAX_EXPR_DEPTH + 1)..3000usize, which in 0..3usize) {
        let (open, close) = [("(", ")"), ("[", "]"), ("{a = ", "}")][which];
        let expr = format!("{}1{}", open.repeat(depth), close.repeat(depth));
        let d = refused(format!("{HEAD}tags:\n  v: \"${{{expr}}}\"\n"));
        let deep = format!("at most {MAX_EXPR_DEPTH} nested levels");
        prop_assert!(d.0.iter().all(|d| d.pos.is_some() && d.message.contains(&deep)), "{}", d);
    }

    /// Any range past the limit.
    #[test]
    fn any_range_over_the_limit_is_refused(n in (MAX_RANGE as u64 + 1)..(1u64 << 53)) {
        let d = refused(resource(&format!("    count: \"${{length(range({n}))}}\"\n")));
        says(&d, &format!("more than {MAX_RANGE} elements"));
    }
}
