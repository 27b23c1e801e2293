//! The canonical layout on small specs (pinned), its guarantees (same
//! values, a second pass changes nothing) on every YAML spec of the
//! repository, and the files it refuses.

use super::{LayoutError, canonical_layout};
use std::path::{Path, PathBuf};

fn layout(text: &str) -> String {
    let out = canonical_layout(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let again = canonical_layout(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(again, out, "a second pass changed the layout");
    out
}

#[test]
fn sections_and_resource_keys_take_the_documented_order() {
    let text = r#"# The stack's opening comment stays on top.

resources:
  # The network.
  vpc:
    cidr_block: 10.0.0.0/16
    lifecycle: {prevent_destroy: true}
    type: aws.ec2.vpc   # the kind
    for_each: ${vars.envs}
vars:
  cidr:
    description: The range
    default: 10.0.0.0/16
    type: string
# Where it runs.
region: eu-west-1
stack: demo
"#;
    insta::assert_snapshot!(layout(text), @r#"
    # The stack's opening comment stays on top.

    stack: demo
    # Where it runs.
    region: eu-west-1
    vars:
      cidr:
        type: string
        default: 10.0.0.0/16
        description: The range
    resources:
      # The network.
      vpc:
        type: aws.ec2.vpc   # the kind
        for_each: ${vars.envs}
        cidr_block: 10.0.0.0/16
        lifecycle: {prevent_destroy: true}
    "#);
}

#[test]
fn indentation_quotes_and_blank_lines_are_made_uniform() {
    let text = "stack: demo\n\n\n\nresources:\n    subnet:\n        type: aws.ec2.subnet\n        tags:\n            Name: 'it''s \"a\" name'\n        cidrs:\n        - 10.0.1.0/24   # first\n        - '10.0.2.0/24'\n        rules:\n        -   from: 80\n            to: 80\n        -   from: 443\n            to: 443\n";
    insta::assert_snapshot!(layout(text), @r#"
    stack: demo

    resources:
      subnet:
        type: aws.ec2.subnet
        tags:
          Name: "it's \"a\" name"
        cidrs:
          - 10.0.1.0/24   # first
          - "10.0.2.0/24"
        rules:
          - from: 80
            to: 80
          - from: 443
            to: 443
    "#);
}

#[test]
fn flow_collections_and_block_scalars_are_kept_as_written() {
    let text = "stack: demo\nresources:\n    policy:\n        type: aws.iam.policy\n        statements: [{Effect: Allow,\n                      Action: \"s3:*\"}]\n        document: |\n            line one\n              indented\n\n            after a blank\n        note: >-\n            folded\n            text\n    # a commented-out resource\n    # old: {type: aws.ec2.vpc}\noutputs:\n    id: \"${policy.arn}\"\n";
    insta::assert_snapshot!(layout(text), @r#"
    stack: demo
    resources:
      policy:
        type: aws.iam.policy
        statements: [{Effect: Allow,
                      Action: "s3:*"}]
        document: |
          line one
            indented

          after a blank
        note: >-
          folded
          text
      # a commented-out resource
      # old: {type: aws.ec2.vpc}
    outputs:
      id: "${policy.arn}"
    "#);
}

#[test]
fn comments_on_keys_and_empty_values_stay_on_their_line() {
    let text = "stack: demo  # the name\nresources:   # everything\n  a:\n    type: x\n    empty:     # nothing yet\n    list: []\n# the end\n";
    insta::assert_snapshot!(layout(text), @r"
    stack: demo  # the name
    resources:   # everything
      a:
        type: x
        empty:     # nothing yet
        list: []
    # the end
    ");
}

#[test]
fn anchors_aliases_and_tags_are_refused_not_rewritten() {
    for (text, what) in [
        ("stack: a\nvars: &v {x: 1}\nmore: *v\n", "anchor"),
        ("stack: a\nvars: !custom {x: 1}\n", "tag"),
    ] {
        match canonical_layout(text) {
            Err(LayoutError::Unsupported { what: w, .. }) => assert!(w.contains(what), "{w}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    assert!(matches!(
        canonical_layout("stack: [a\n"),
        Err(LayoutError::Syntax { line: 2, .. })
    ));
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn spec_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        if p.is_dir() {
            spec_files(&p, out);
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            out.push(p);
        }
    }
}

/// Every spec of the repository: the layout keeps its values and a second
/// pass changes nothing. (Whether they are already laid out is checked by
/// `forge fmt --check` in scripts/test.)
#[test]
fn every_spec_in_the_repository_keeps_its_values_and_is_stable() {
    let mut files = Vec::new();
    for dir in ["specs", "examples", "tests/fixtures"] {
        spec_files(&repo_root().join(dir), &mut files);
    }
    assert!(files.len() > 20, "found only {} files", files.len());
    let mut laid_out = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        if !super::is_spec_text(&text, crate::spec::TOP_LEVEL_KEYS) {
            continue;
        }
        match canonical_layout(&text) {
            Ok(out) => {
                let again = canonical_layout(&out)
                    .unwrap_or_else(|e| panic!("{}: second pass: {e}", f.display()));
                assert_eq!(again, out, "{}: a second pass changed it", f.display());
                laid_out += 1;
            }
            Err(LayoutError::Unsupported { .. }) => {}
            Err(e) => panic!("{}: {e}", f.display()),
        }
    }
    assert!(laid_out > 20, "laid out only {laid_out} files");
}
