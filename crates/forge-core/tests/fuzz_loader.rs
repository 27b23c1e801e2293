//! Property test: the loader never panics, whatever YAML (or almost-YAML)
//! it is given; it returns a stack or diagnostics.

use forge_core::spec::testing::network_schemas;
use forge_core::spec::{LoadOptions, load_stack};
use proptest::prelude::*;

fn load(text: &str) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("main.yaml"), text).unwrap_or_else(|e| panic!("{e}"));
    let opts = LoadOptions {
        environment: Some("dev".into()),
        ..Default::default()
    };
    let _ = load_stack(dir.path(), &opts, &network_schemas());
}

/// Scalars that exercise the interesting paths: templates, numbers, kinds.
fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("aws.ec2.vpc".to_string()),
        Just("aws.ec2.subnet".to_string()),
        Just("10.0.0.0/16".to_string()),
        Just("\"${vpc.id}\"".to_string()),
        Just("\"${cidrsubnet(vars.cidr, 8, count.index)}\"".to_string()),
        Just("\"${each.key}\"".to_string()),
        Just("\"${vars.azs}\"".to_string()),
        Just("\"${a[*].id}\"".to_string()),
        Just("\"${ [ for x in y : x ] }\"".to_string()),
        Just("-1".to_string()),
        Just("3".to_string()),
        Just("true".to_string()),
        Just("~".to_string()),
        "[a-z_${}.\\[\\]\"*()0-9 ]{0,16}".prop_map(|s| format!("{s:?}")),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("type".to_string()),
        Just("count".to_string()),
        Just("for_each".to_string()),
        Just("depends_on".to_string()),
        Just("lifecycle".to_string()),
        Just("cidr_block".to_string()),
        Just("vpc_id".to_string()),
        Just("tags".to_string()),
        Just("routes".to_string()),
        "[a-z_]{1,8}",
    ]
}

fn node(depth: u32) -> BoxedStrategy<String> {
    if depth == 0 {
        return scalar().boxed();
    }
    prop_oneof![
        scalar(),
        prop::collection::vec(node(depth - 1), 0..3)
            .prop_map(|items| format!("[{}]", items.join(", "))),
        prop::collection::vec((key(), node(depth - 1)), 0..4).prop_map(|kv| format!(
            "{{{}}}",
            kv.into_iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    ]
    .boxed()
}

fn document() -> impl Strategy<Value = String> {
    let top = prop_oneof![
        Just("stack".to_string()),
        Just("region".to_string()),
        Just("vars".to_string()),
        Just("environments".to_string()),
        Just("resources".to_string()),
        Just("outputs".to_string()),
        Just("state".to_string()),
        Just("tags".to_string()),
        Just("include".to_string()),
    ];
    prop::collection::vec((top, node(3)), 0..6).prop_map(|kv| {
        kv.into_iter()
            .map(|(k, v)| format!("{k}: {v}\n"))
            .collect::<String>()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "[ -~\n\t]{0,200}") {
        load(&text);
    }

    #[test]
    fn arbitrary_documents_never_panic(doc in document()) {
        load(&format!("region: us-east-1\n{doc}"));
        load(&doc);
    }
}
