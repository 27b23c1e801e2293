//! Malformed specs: every error class, with its message, position, snippet
//! and hint pinned by an insta snapshot. Paths are relative to the
//! fixture's temporary folder so snapshots are stable.

use forge_core::spec::testing::network_schemas;
use forge_core::spec::{LoadOptions, load_stack};

const HEAD: &str = "stack: t\nregion: us-east-1\n";

/// Writes `files` into a temp folder, loads it, and renders the errors.
fn errors_with(files: &[(&str, &str)], opts: &LoadOptions) -> String {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // A repository, so `stack/` may include `../common/` (the stack's root
    // is the enclosing git work tree).
    std::fs::create_dir(dir.path().join(".git")).unwrap_or_else(|e| panic!("{e}"));
    for (name, text) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    }
    let stack_dir = dir.path().join("stack");
    let target = if stack_dir.is_dir() {
        stack_dir
    } else {
        dir.path().to_path_buf()
    };
    match load_stack(&target, opts, &network_schemas()) {
        Ok(stack) => panic!(
            "expected errors, loaded {} instances",
            stack.instances.len()
        ),
        Err(diags) => {
            let prefix = format!("{}/", dir.path().display());
            // The repository root, named in hints about includes outside it.
            diags
                .to_string()
                .replace(&prefix, "")
                .replace(&dir.path().display().to_string(), "<repo>")
        }
    }
}

fn errors(main: &str) -> String {
    errors_with(&[("main.yaml", main)], &LoadOptions::default())
}

fn spec(body: &str) -> String {
    format!("{HEAD}{body}")
}

macro_rules! case {
    ($name:ident, $text:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(errors(&$text));
        }
    };
}

case!(yaml_syntax_error, spec("resources:\n  vpc: [1, 2\n"));
case!(
    unknown_top_level_key,
    spec("resource:\n  vpc: {type: aws.ec2.vpc, cidr_block: 10.0.0.0/16}\n")
);
case!(
    unknown_field_did_you_mean,
    spec("resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr: 10.0.0.0/16\n")
);
case!(
    wrong_type_literal,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n    enable_dns_support: maybe\n"
    )
);
case!(
    wrong_type_from_vars,
    spec(
        "vars:\n  dns: [a]\nresources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n    enable_dns_support: \"${vars.dns}\"\n"
    )
);
case!(
    wrong_type_list_for_string,
    spec("resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: [10.0.0.0/16]\n")
);
case!(
    missing_required_field,
    spec("resources:\n  subnet:\n    type: aws.ec2.subnet\n    cidr_block: 10.0.1.0/24\n")
);
case!(
    computed_field_set,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n    arn: arn:aws:ec2:x\n"
    )
);
case!(
    unknown_kind_did_you_mean,
    spec("resources:\n  vpc:\n    type: aws.ec2.vcp\n    cidr_block: 10.0.0.0/16\n")
);
case!(
    undefined_resource_did_you_mean,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n  subnet:\n    type: aws.ec2.subnet\n    vpc_id: \"${vcp.id}\"\n    cidr_block: 10.0.1.0/24\n"
    )
);
case!(
    undefined_attribute,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n  subnet:\n    type: aws.ec2.subnet\n    vpc_id: \"${vpc.vpc_id}\"\n    cidr_block: \"${vpc.cidr}\"\n"
    )
);
case!(
    undefined_var,
    spec(
        "vars:\n  cidr: 10.0.0.0/16\nresources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: \"${vars.cdir}\"\n"
    )
);
case!(
    bad_expression_syntax,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: \"${cidrsubnet(\\\"10.0.0.0/16\\\", 8, 1}\"\n"
    )
);
case!(
    expression_type_error,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: \"${cidrsubnet(10.0.0.0/16, 8, 1)}\"\n"
    )
);
case!(
    unknown_function,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: \"${cidr_subnet(\\\"10.0.0.0/8\\\", 8, 1)}\"\n"
    )
);
case!(
    wrong_function_argument_count,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: \"${cidrsubnet(\\\"10.0.0.0/8\\\", 8)}\"\n"
    )
);
case!(
    bad_function_argument_type,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: \"${cidrhost(\\\"10.0.0.0/16\\\", \\\"x\\\")}\"\n"
    )
);
case!(
    bad_regex_argument,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: \"${regex(\\\"[\\\", \\\"10.0.0.0/16\\\")}\"\n"
    )
);
case!(
    file_not_found,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: \"${trimspace(file(\\\"cidr.txt\\\"))}\"\n"
    )
);
case!(
    file_outside_the_repository,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: \"${file(\\\"../../../../etc/hostname\\\")}\"\n"
    )
);
case!(
    try_with_no_good_argument,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: \"${try(tonumber(\\\"x\\\"), cidrhost(\\\"10.0.0.0/30\\\", 9))}\"\n"
    )
);
case!(
    wrong_function_argument_value,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: \"${cidrsubnet(\\\"10.0.0.0/30\\\", 8, 1)}\"\n"
    )
);
case!(
    cycle_lists_whole_cycle,
    spec(
        "resources:\n  a:\n    type: aws.ec2.internet_gateway\n    vpc_id: \"${c.id}\"\n  b:\n    type: aws.ec2.internet_gateway\n    vpc_id: \"${a.id}\"\n  c:\n    type: aws.ec2.internet_gateway\n    depends_on: [b]\n"
    )
);
case!(
    duplicate_for_each_key,
    spec("resources:\n  igw:\n    type: aws.ec2.internet_gateway\n    for_each: [a, b, a]\n")
);
case!(missing_var_value, spec("vars:\n  cidr: {type: string}\n"));
case!(
    count_negative,
    spec("resources:\n  igw:\n    type: aws.ec2.internet_gateway\n    count: -1\n")
);
case!(
    count_not_a_number,
    spec(
        "vars:\n  n: three\nresources:\n  igw:\n    type: aws.ec2.internet_gateway\n    count: \"${vars.n}\"\n"
    )
);
case!(
    for_each_over_unknown_values,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n  igw:\n    type: aws.ec2.internet_gateway\n    for_each: \"${vpc.id}\"\n"
    )
);
case!(
    for_each_wrong_type,
    spec("resources:\n  igw:\n    type: aws.ec2.internet_gateway\n    for_each: 3\n")
);
case!(
    bad_depends_on_target,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n  igw:\n    type: aws.ec2.internet_gateway\n    depends_on: [vcp, \"vpc[0]\", \"not an address\"]\n"
    )
);
case!(
    bad_timeouts,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n    timeouts:\n      creat: 10m\n      delete: soon\n"
    )
);
case!(
    bad_lifecycle_key,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n    lifecycle:\n      prevent_destory: true\n      ignore_changes: [tag]\n"
    )
);
case!(
    reserved_resource_name,
    spec("resources:\n  env:\n    type: aws.ec2.internet_gateway\n")
);
case!(bad_state_backend, spec("state:\n  backend: s4\n"));
case!(
    s3_state_missing_bucket,
    spec("state:\n  backend: s3\n  key: \"${stack}.json\"\n  bucket_name: x\n")
);
case!(
    index_into_single_resource,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n  igw:\n    type: aws.ec2.internet_gateway\n    vpc_id: \"${vpc[0].id}\"\n"
    )
);
case!(
    attribute_of_expanded_resource,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    count: 2\n    cidr_block: 10.0.0.0/16\n  igw:\n    type: aws.ec2.internet_gateway\n    vpc_id: \"${vpc.id}\"\n"
    )
);
case!(
    reference_to_missing_instance,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    for_each: [a]\n    cidr_block: 10.0.0.0/16\n  igw:\n    type: aws.ec2.internet_gateway\n    vpc_id: \"${vpc[\\\"b\\\"].id}\"\n"
    )
);
case!(
    each_outside_for_each,
    spec("resources:\n  igw:\n    type: aws.ec2.internet_gateway\n    vpc_id: \"${each.key}\"\n")
);
case!(
    nested_object_checks,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n  rt:\n    type: aws.ec2.route_table\n    vpc_id: \"${vpc.id}\"\n    routes:\n      - destination_cidr: 0.0.0.0/0\n        gateway_id: [x]\n"
    )
);
case!(missing_region, String::from("stack: t\nresources: {}\n"));
case!(
    all_errors_at_once,
    spec(
        "tag: {}\nresources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr: 10.0.0.0/16\n  subnet:\n    type: aws.ec2.subnt\n  igw:\n    type: aws.ec2.internet_gateway\n    vpc_id: \"${nope.id}\"\n"
    )
);

#[test]
fn duplicate_resource_across_files() {
    let a = spec("resources:\n  vpc: {type: aws.ec2.vpc, cidr_block: 10.0.0.0/16}\n");
    let b = "resources:\n  vpc: {type: aws.ec2.vpc, cidr_block: 10.1.0.0/16}\n";
    insta::assert_snapshot!(errors_with(
        &[("a.yaml", &a), ("b.yaml", b)],
        &LoadOptions::default()
    ));
}

#[test]
fn include_not_found() {
    let main = format!("include: [../common/missing.yaml]\n{HEAD}");
    insta::assert_snapshot!(errors_with(
        &[("stack/main.yaml", &main)],
        &LoadOptions::default()
    ));
}

#[test]
fn include_cycle() {
    let main = format!("include: [../common/a.yaml]\n{HEAD}");
    insta::assert_snapshot!(errors_with(
        &[
            ("stack/main.yaml", &main),
            ("common/a.yaml", "include: [b.yaml]\n"),
            ("common/b.yaml", "include: [a.yaml]\n")
        ],
        &LoadOptions::default()
    ));
}

#[test]
fn self_include() {
    let main = format!("include: [main.yaml]\n{HEAD}");
    insta::assert_snapshot!(errors_with(
        &[("main.yaml", &main)],
        &LoadOptions::default()
    ));
}

#[test]
fn unknown_environment_chosen() {
    let main = spec("environments:\n  dev: {}\n  prod: {}\n");
    let opts = LoadOptions {
        environment: Some("prdo".into()),
        ..Default::default()
    };
    insta::assert_snapshot!(errors_with(&[("main.yaml", &main)], &opts));
}

#[test]
fn var_type_mismatch_from_cli() {
    let main =
        spec("vars:\n  azs: {type: list(string), default: []}\n  n: {type: number, default: 1}\n");
    let opts = LoadOptions {
        vars: vec![
            ("azs".into(), "a,b".into()),
            ("n".into(), "x".into()),
            ("nope".into(), "1".into()),
        ],
        ..Default::default()
    };
    insta::assert_snapshot!(errors_with(&[("main.yaml", &main)], &opts));
}

#[test]
fn var_file_mismatch() {
    let main = spec("vars:\n  n: {type: number, default: 1}\n");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let var_file = dir.path().join("vars.json");
    std::fs::write(&var_file, "{\"n\": \"many\"}\n").unwrap_or_else(|e| panic!("{e}"));
    let opts = LoadOptions {
        var_files: vec![var_file],
        ..Default::default()
    };
    let out = errors_with(&[("main.yaml", &main)], &opts)
        .replace(&format!("{}/", dir.path().display()), "");
    insta::assert_snapshot!(out);
}

#[test]
fn var_type_mismatch_from_environment() {
    let main = spec(
        "vars:\n  n: {type: number, default: 1}\nenvironments:\n  dev:\n    vars:\n      n: lots\n      m: 2\n    regoin: x\n",
    );
    let opts = LoadOptions {
        environment: Some("dev".into()),
        ..Default::default()
    };
    insta::assert_snapshot!(errors_with(&[("main.yaml", &main)], &opts));
}

#[test]
fn environment_not_chosen() {
    let main = spec("environments:\n  dev: {}\n  prod: {}\n");
    insta::assert_snapshot!(errors(&main));
}

#[test]
fn default_environment_unknown() {
    let main = spec("default_environment: prdo\nenvironments:\n  dev: {}\n  prod: {}\n");
    insta::assert_snapshot!(errors(&main));
}

case!(
    second_yaml_document,
    spec("vars:\n  cidr: 10.0.0.0/16\n---\nresources: {}\n")
);

case!(
    count_over_the_limit,
    spec(
        "resources:\n  vpc:\n    type: aws.ec2.vpc\n    cidr_block: 10.0.0.0/16\n    count: 10000000\n"
    )
);

#[test]
fn include_outside_the_root() {
    let main = format!(
        "include:\n  - /etc/passwd\n  - ../../../../../../../../../../etc/hostname\n{HEAD}"
    );
    insta::assert_snapshot!(errors_with(
        &[("stack/main.yaml", &main)],
        &LoadOptions::default()
    ));
}

#[test]
fn include_of_a_file_that_is_not_a_spec() {
    let main = format!("include: [../ci/credentials.yaml]\n{HEAD}");
    insta::assert_snapshot!(errors_with(
        &[
            ("stack/main.yaml", &main),
            (
                "ci/credentials.yaml",
                "aws_secret_access_key: hunter2-do-not-print\n"
            )
        ],
        &LoadOptions::default()
    ));
}
