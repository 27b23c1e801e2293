//! `import:`, `moved:` and `removed:` blocks as the loader reads them: the
//! id evaluated at load time, addresses of `for_each` / `count` instances,
//! lists from several files concatenated, and every mistake reported at
//! its entry (pinned by insta snapshots).

use forge_core::Address;
use forge_core::spec::testing::network_schemas;
use forge_core::spec::{LoadOptions, Stack, load_stack};

const HEAD: &str = "stack: t\nregion: us-east-1\nvars:\n  vpc_id: vpc-0abc\nresources:\n  main:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n  nets:\n    type: aws.ec2.vpc\n    for_each: [a, b]\n    cidr_block: 10.1.0.0/16\n";

fn load(files: &[(&str, &str)]) -> Result<Stack, String> {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir(dir.path().join(".git")).unwrap_or_else(|e| panic!("{e}"));
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap_or_else(|e| panic!("{e}"));
    }
    load_stack(dir.path(), &LoadOptions::default(), &network_schemas()).map_err(|d| {
        d.to_string()
            .replace(&format!("{}/", dir.path().display()), "")
    })
}

fn errors(body: &str) -> String {
    match load(&[("main.yaml", &format!("{HEAD}{body}"))]) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e,
    }
}

fn addr(a: &str) -> Address {
    a.parse().unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn blocks_load_with_ids_evaluated_and_lists_merged_across_files() {
    let stack = load(&[
        (
            "main.yaml",
            &format!(
                "{HEAD}import:\n  - to: main\n    id: ${{vars.vpc_id}}\n  - to: 'nets[\"a\"]'\n    id: vpc-0def\nmoved:\n  - from: old\n    to: main\n"
            ),
        ),
        (
            "more.yaml",
            "import:\n  - to: fresh\n    id: vpc-0123\n    kind: aws.ec2.vpc\nremoved:\n  - from: legacy\n    lifecycle:\n      destroy: false\n",
        ),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let a = &stack.adoption;
    let imports: Vec<(String, &str)> = a
        .imports
        .iter()
        .map(|b| (b.to.to_string(), b.id.as_str()))
        .collect();
    assert_eq!(
        imports,
        [
            ("main".to_string(), "vpc-0abc"),
            ("nets[\"a\"]".to_string(), "vpc-0def"),
            ("fresh".to_string(), "vpc-0123"),
        ]
    );
    assert_eq!(a.imports[2].kind.as_deref(), Some("aws.ec2.vpc"));
    assert_eq!(a.imports[0].pos.line, 14);
    assert_eq!(
        (a.moved[0].from.clone(), a.moved[0].to.clone()),
        (addr("old"), addr("main"))
    );
    assert_eq!(a.removed[0].from, addr("legacy"));
    assert!(!a.removed[0].destroy);
}

#[test]
fn an_import_target_that_is_not_declared() {
    insta::assert_snapshot!(errors(
        "import:\n  - to: web\n    id: vpc-1\n  - to: 'nets[\"zz\"]'\n    id: vpc-2\n"
    ));
}

#[test]
fn an_import_id_that_is_not_known_at_load_time() {
    insta::assert_snapshot!(errors(
        "import:\n  - to: main\n    id: ${main.id}\n  - to: 'nets[\"a\"]'\n"
    ));
}

#[test]
fn moved_and_removed_mistakes() {
    insta::assert_snapshot!(errors(
        "moved:\n  - from: main\n    to: other\n  - from: x\n    to: x\n  - from: 'bad[1'\n    to: y\nremoved:\n  - from: main\n  - from: gone\n    lifecycle:\n      destroy: maybe\n"
    ));
}
