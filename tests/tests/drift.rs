//! Issue 8, end to end: the real `forge` binary checks drift of
//! `examples/getting-started` (dev) on the emulator. A clean stack exits 0
//! with the requests of a no-op plan; changes made behind forge's back
//! through the SDK (an SG ingress rule, a tag, a deleted subnet) appear in
//! the JSON report field by field and exit 2; `--output` writes the JSON
//! while printing the human report; `forge refresh --auto-approve` accepts
//! the drift, `forge apply` reverts it; with the emulator gone, exit 1.
//! A second test checks 10 stacks together and prints the request figures.
//! A third applies `tests/fixtures/drift-app` (VPC, subnets, SG, KMS key,
//! IAM role, ECS cluster, task definition and Fargate service) and changes
//! an ECS service's desired count and a KMS key's rotation behind forge's
//! back, and creates a KMS key and a log group carrying the stack's tags
//! (orphans found through the tagging API, not EC2).

use aws_sdk_ec2::types::{IpPermission, IpRange, Tag};
use forge_e2e::{Emulator, FaultConfig, Forge, Proxy, RunOutput, StackCopy, getting_started_dir};
use serde_json::Value as Json;
use std::collections::BTreeMap;

const ENV: &str = "dev";
const REGION: &str = "us-east-1";

fn run(forge: &Forge, stack: &StackCopy, cmd: &str, extra: &[&str]) -> RunOutput {
    let arg = stack.arg();
    let mut args = vec![cmd, arg.as_str(), "-e", ENV];
    args.extend_from_slice(extra);
    forge
        .run(stack.path(), &args)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn json_of(out: &RunOutput) -> Json {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"))
}

/// The recorded id of `address` in the stack's local state.
fn recorded_id(stack: &StackCopy, address: &str) -> String {
    let text = stack
        .read(".forge/state/getting-started-dev.json")
        .unwrap_or_else(|e| panic!("{e}"));
    let state: Json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    state["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["address"] == address)
        .and_then(|r| r["id"].as_str())
        .unwrap_or_else(|| panic!("{address} not in the state:\n{text}"))
        .to_string()
}

fn drifted<'a>(report: &'a Json, address: &str) -> &'a Json {
    report["drifted"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["address"] == address)
        .unwrap_or_else(|| panic!("{address} is not in `drifted`:\n{report:#}"))
}

fn field<'a>(resource: &'a Json, path: &str) -> &'a Json {
    resource["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("no field {path}:\n{resource:#}"))
}

fn has_port(rules: &Json, port: i64) -> bool {
    rules
        .as_array()
        .into_iter()
        .flatten()
        .any(|r| r["from_port"].as_i64() == Some(port))
}

fn describes(counts: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    counts
        .iter()
        .filter(|(k, _)| !k.contains("sts") && !k.contains("GetCallerIdentity"))
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

/// What a drift check asks beyond a no-op plan: it must observe all the
/// plan observes, and add only the part of the orphan search a plan does
/// not make. Both make one tagging call per region (`tagging:GetResources`:
/// a plan looks for this state's untracked objects too); drift adds the
/// listings of kinds the tagging API does not cover (IAM roles; ECS task
/// definitions: ListTaskDefinitions and a DescribeTaskDefinition per active
/// revision, since ECS lists revisions without their tags). Returns the
/// extra requests.
fn extra_over_plan(
    plan: &BTreeMap<String, u64>,
    drift: &BTreeMap<String, u64>,
) -> BTreeMap<String, u64> {
    for (action, n) in plan {
        assert!(
            drift.get(action).is_some_and(|d| d >= n),
            "drift must observe what the plan observes ({action}: plan {n}, drift {:?})",
            drift.get(action)
        );
    }
    let extra: BTreeMap<String, u64> = drift
        .iter()
        .map(|(k, d)| (k.clone(), d - plan.get(k).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(
        (
            plan.get("tagging:GetResources"),
            drift.get("tagging:GetResources")
        ),
        (Some(&1), Some(&1)),
        "one tagging call for the one region, in the plan and in drift"
    );
    for action in extra.keys() {
        assert!(
            action == "tagging:GetResources"
                || action.starts_with("iam:")
                || action == "ecs:ListTaskDefinitions"
                || action == "ecs:DescribeTaskDefinition",
            "drift made {action} beyond the no-op plan's requests: {extra:?}"
        );
    }
    extra
}

fn print_counts(title: &str, out: &RunOutput, counts: &BTreeMap<String, u64>) {
    let total: u64 = counts.values().sum();
    println!(
        "\n{title}: {total} requests in {:.2} s",
        out.elapsed.as_secs_f64()
    );
    for (action, n) in counts {
        println!("  {n:>4}  {action}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_reports_out_of_band_changes_refresh_accepts_and_apply_reverts() {
    forge_e2e::require_emulator!("counts requests through the fault proxy");
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let proxy =
        Proxy::start(&emulator.endpoint, FaultConfig::none()).unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(proxy.env()).unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::of(&getting_started_dir()).unwrap_or_else(|e| panic!("{e}"));
    run(&forge, &stack, "apply", &["--auto-approve"]).expect_success();

    // Clean: exit 0, and the same requests as a no-op plan plus the
    // orphan search (one tagging call for the region).
    proxy.reset_counts();
    let plan = run(&forge, &stack, "plan", &["--detailed-exitcode"]);
    // Counted whether or not the plan proposes changes: a spec/provider
    // diff is not drift (it shows in `pending_spec_changes`).
    assert!(matches!(plan.code(), Some(0 | 2)), "{plan}");
    let plan_counts = describes(&proxy.counts());
    proxy.reset_counts();
    let clean = run(&forge, &stack, "drift", &[]);
    clean.expect_code(0);
    let drift_counts = describes(&proxy.counts());
    assert!(clean.stdout.contains("No drift: "), "{clean}");
    // Without the orphan search, exactly the no-op plan's requests.
    proxy.reset_counts();
    let lean = run(&forge, &stack, "drift", &["--no-orphans"]);
    lean.expect_code(0);
    let mut lean_counts = describes(&proxy.counts());
    // The plan's one search for untracked objects of this state is the
    // only request drift --no-orphans does not make.
    *lean_counts
        .entry("tagging:GetResources".into())
        .or_default() += 1;
    assert_eq!(lean_counts, plan_counts, "drift --no-orphans vs no-op plan");
    print_counts(
        "drift check --no-orphans (getting-started, dev)",
        &lean,
        &lean_counts,
    );
    print_counts("no-op plan (getting-started, dev)", &plan, &plan_counts);
    print_counts("drift check (getting-started, dev)", &clean, &drift_counts);
    extra_over_plan(&plan_counts, &drift_counts);

    // Behind forge's back.
    let ec2 = emulator.ec2(REGION).await;
    let alb_sg = recorded_id(&stack, "alb_sg");
    let vpc = recorded_id(&stack, "vpc");
    let gone = recorded_id(&stack, "private_subnet[\"us-east-1c\"]");
    ec2.authorize_security_group_ingress()
        .group_id(&alb_sg)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").build())
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    ec2.create_tags()
        .resources(&vpc)
        .tags(Tag::builder().key("Name").value("hand-edited").build())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    // AWS refuses to delete a subnet with a route table association in
    // some cases; drop the association first, as an operator would.
    let tables = ec2
        .describe_route_tables()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("association.subnet-id")
                .values(&gone)
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    for assoc in tables
        .route_tables()
        .iter()
        .flat_map(|t| t.associations())
        .filter(|a| a.subnet_id() == Some(gone.as_str()))
    {
        if let Some(id) = assoc.route_table_association_id() {
            ec2.disassociate_route_table()
                .association_id(id)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e:?}"));
        }
    }
    ec2.delete_subnet()
        .subnet_id(&gone)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));

    let out = run(&forge, &stack, "drift", &["--json"]);
    out.expect_code(2);
    let report = json_of(&out);
    assert_eq!(report["outcome"], "drift");
    assert_eq!(report["format_version"], "1");
    assert_eq!(report["environment"], ENV);

    let sg = drifted(&report, "alb_sg");
    assert_eq!(sg["id"], alb_sg.as_str());
    let ingress = field(sg, "ingress");
    assert!(!has_port(&ingress["recorded"], 22), "{ingress:#}");
    assert!(has_port(&ingress["recorded"], 443), "{ingress:#}");
    assert!(has_port(&ingress["live"], 22), "{ingress:#}");
    assert_eq!(ingress["spec_wants_recorded"], true);

    let name = field(drifted(&report, "vpc"), "tags.Name");
    assert_eq!(name["recorded"], "getting-started-dev");
    assert_eq!(name["live"], "hand-edited");
    assert_eq!(name["spec_wants_recorded"], true);

    let deleted = report["deleted"].as_array().cloned().unwrap_or_default();
    assert!(
        deleted
            .iter()
            .any(|d| d["address"] == "private_subnet[\"us-east-1c\"]"
                && d["id"] == gone.as_str()
                && d["in_spec"] == true),
        "{report:#}"
    );
    assert_eq!(report["orphans"], Json::Array(vec![]), "{report:#}");
    assert_eq!(report["errors"], Json::Array(vec![]), "{report:#}");

    // --output: the human report on stdout, the same JSON in the file.
    let file = stack.path().join("drift.json");
    let file_arg = file.display().to_string();
    let human = run(&forge, &stack, "drift", &["--output", &file_arg]);
    human.expect_code(2);
    assert!(human.stdout.contains("Changed outside forge:"), "{human}");
    assert!(human.stdout.contains("~ tags.Name"), "{human}");
    assert!(
        human
            .stdout
            .contains("\"getting-started-dev\" -> \"hand-edited\""),
        "{human}"
    );
    assert!(human.stdout.contains("Deleted outside forge:"), "{human}");
    let written: Json = serde_json::from_str(&std::fs::read_to_string(&file).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(written["drifted"], report["drifted"]);
    assert_eq!(written["deleted"], report["deleted"]);

    // Refresh accepts the drift: no drift afterwards, and the spec's
    // values are pending spec changes that apply puts back.
    let refreshed = run(&forge, &stack, "refresh", &["--auto-approve"]);
    refreshed.expect_success();
    assert!(
        refreshed.stdout.contains("will be forgotten"),
        "{refreshed}"
    );
    let after = run(&forge, &stack, "drift", &["--json"]);
    after.expect_code(0);
    let after = json_of(&after);
    assert!(
        after["pending_spec_changes"]
            .as_array()
            .is_some_and(|p| p.iter().any(|c| c["address"] == "vpc")),
        "{after:#}"
    );
    run(&forge, &stack, "apply", &["--auto-approve"]).expect_success();
    let reverted = run(&forge, &stack, "drift", &["--json"]);
    reverted.expect_code(0);
    let pending = json_of(&reverted)["pending_spec_changes"].clone();
    for address in ["vpc", "alb_sg", "private_subnet[\"us-east-1c\"]"] {
        assert!(
            !pending
                .as_array()
                .into_iter()
                .flatten()
                .any(|c| c["address"] == address),
            "apply did not put {address} back:\n{pending:#}"
        );
    }
    let vpcs = ec2
        .describe_vpcs()
        .vpc_ids(&vpc)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let name_tag = vpcs.vpcs()[0]
        .tags()
        .iter()
        .find(|t| t.key() == Some("Name"))
        .and_then(|t| t.value())
        .map(str::to_string);
    assert_eq!(name_tag.as_deref(), Some("getting-started-dev"));

    // The emulator gone: an error, never "no drift".
    drop(proxy);
    let direct = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    drop(emulator);
    let down = run(&direct, &stack, "drift", &["--json"]);
    down.expect_code(1);
    let down = json_of(&down);
    assert_eq!(down["outcome"], "error");
    assert!(down["errors"].as_array().is_some_and(|e| !e.is_empty()));
}

/// Ten copies of the stack (stack names gs-0 .. gs-9, distinct CIDRs),
/// checked together in one `forge drift DIR` run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_stacks_checked_together() {
    forge_e2e::require_emulator!("counts requests through the fault proxy");
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let proxy =
        Proxy::start(&emulator.endpoint, FaultConfig::none()).unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(proxy.env()).unwrap_or_else(|e| panic!("{e}"));
    let root = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
    let template = std::fs::read_to_string(getting_started_dir().join("stack.yaml"))
        .unwrap_or_else(|e| panic!("{e}"));
    // An include folder: skipped although its file has a `stack:` key.
    std::fs::create_dir(root.path().join("_envcommon")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        root.path().join("_envcommon/common.yaml"),
        "stack: not-a-stack\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut single = None;
    for i in 0..10 {
        let dir = root.path().join(format!("gs-{i}"));
        std::fs::create_dir(&dir).unwrap_or_else(|e| panic!("{e}"));
        let text = template
            .replacen("stack: getting-started", &format!("stack: gs-{i}"), 1)
            .replacen(
                "      cidr: 10.10.0.0/16",
                &format!("      cidr: 10.{}.0.0/16", 100 + i),
                1,
            );
        std::fs::write(dir.join("stack.yaml"), text).unwrap_or_else(|e| panic!("{e}"));
        let arg = dir.display().to_string();
        forge
            .run(&dir, &["apply", &arg, "-e", ENV, "--auto-approve"])
            .unwrap_or_else(|e| panic!("{e}"))
            .expect_success();
        if i == 0 {
            proxy.reset_counts();
            let out = forge
                .run(&dir, &["drift", &arg, "-e", ENV])
                .unwrap_or_else(|e| panic!("{e}"));
            out.expect_code(0);
            single = Some((out, describes(&proxy.counts())));
        }
    }
    let root_arg = root.arg();
    proxy.reset_counts();
    let out = forge
        .run(root.path(), &["drift", &root_arg, "-e", ENV, "--json"])
        .unwrap_or_else(|e| panic!("{e}"));
    out.expect_code(0);
    let counts = describes(&proxy.counts());
    let summary = json_of(&out);
    let stacks = summary["stacks"].as_array().cloned().unwrap_or_default();
    assert_eq!(stacks.len(), 10, "{summary:#}");
    assert!(
        stacks.iter().all(|s| s["outcome"] == "no_drift"),
        "{summary:#}"
    );
    assert_eq!(summary["outcome"], "no_drift");

    // The table form, with one stack drifted: exit 2, one row each.
    let ec2 = emulator.ec2(REGION).await;
    let state: Json = serde_json::from_str(
        &std::fs::read_to_string(root.path().join("gs-3/.forge/state/gs-3-dev.json"))
            .unwrap_or_default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let vpc = state["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["address"] == "vpc")
        .and_then(|r| r["id"].as_str())
        .unwrap_or_default()
        .to_string();
    ec2.create_tags()
        .resources(&vpc)
        .tags(Tag::builder().key("Owner").value("someone").build())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let table = forge
        .run(root.path(), &["drift", &root_arg, "-e", ENV])
        .unwrap_or_else(|e| panic!("{e}"));
    table.expect_code(2);
    assert!(table.stdout.starts_with("STACK"), "{table}");
    assert_eq!(
        table
            .stdout
            .lines()
            .filter(|l| l.starts_with("gs-"))
            .count(),
        10,
        "{table}"
    );
    assert!(table.stdout.contains("drift: "), "{table}");

    if let Some((one, one_counts)) = single {
        print_counts("drift check, 1 stack", &one, &one_counts);
    }
    print_counts(
        "drift check, 10 stacks together (parallelism 4)",
        &out,
        &counts,
    );
}

/// The state id of `address` in a copy of `tests/fixtures/drift-app`.
fn app_id(stack: &StackCopy, address: &str) -> String {
    let text = stack
        .read(".forge/state/drift-app-dev.json")
        .unwrap_or_else(|e| panic!("{e}"));
    let state: Json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    state["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["address"] == address)
        .and_then(|r| r["id"].as_str())
        .unwrap_or_else(|| panic!("{address} not in the state:\n{text}"))
        .to_string()
}

fn orphan_ids(report: &Json) -> Vec<(String, String)> {
    report["orphans"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            (
                o["kind"].as_str().unwrap_or_default().to_string(),
                o["id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ecs_desired_count_kms_rotation_and_non_ec2_orphans() {
    forge_e2e::require_emulator!("counts requests through the fault proxy");
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let proxy =
        Proxy::start(&emulator.endpoint, FaultConfig::none()).unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(proxy.env()).unwrap_or_else(|e| panic!("{e}"));
    let fixture = forge_e2e::repo_root().join("tests/fixtures/drift-app");
    let stack = StackCopy::of(&fixture).unwrap_or_else(|e| panic!("{e}"));
    run(&forge, &stack, "apply", &["--auto-approve"]).expect_success();

    // Clean right after the apply, for the ECS and KMS kinds too; the
    // orphan search adds one tagging call (and IAM's own listing: the
    // tagging API does not list IAM roles).
    proxy.reset_counts();
    let plan = run(&forge, &stack, "plan", &["--detailed-exitcode"]);
    plan.expect_code(0);
    let plan_counts = describes(&proxy.counts());
    proxy.reset_counts();
    let clean = run(&forge, &stack, "drift", &["--json"]);
    clean.expect_code(0);
    let drift_counts = describes(&proxy.counts());
    let extra = extra_over_plan(&plan_counts, &drift_counts);
    print_counts("no-op plan (drift-app, dev)", &plan, &plan_counts);
    print_counts("drift check (drift-app, dev)", &clean, &drift_counts);
    println!("  beyond the plan: {extra:?}");
    let report = json_of(&clean);
    assert_eq!(report["outcome"], "no_drift", "{report:#}");

    // Behind forge's back: the service scaled by hand, the key's rotation
    // turned off.
    let config = emulator.sdk_config(REGION).await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    let kms = aws_sdk_kms::Client::new(&config);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let cluster = app_id(&stack, "cluster");
    let service = app_id(&stack, "service");
    let key = app_id(&stack, "key");
    ecs.update_service()
        .cluster(&cluster)
        .service(&service)
        .desired_count(5)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    kms.disable_key_rotation()
        .key_id(&key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));

    // Orphans of kinds outside EC2, found through the tagging API: a key
    // and a log group made by hand with the stack's tags. A key of the
    // stack's prod environment and a key pending deletion are not this
    // stack's orphans.
    let kms_tag = |k: &str, v: &str| {
        aws_sdk_kms::types::Tag::builder()
            .tag_key(k)
            .tag_value(v)
            .build()
            .unwrap_or_else(|e| panic!("{e:?}"))
    };
    let new_key = |tags: Vec<aws_sdk_kms::types::Tag>| {
        let kms = kms.clone();
        async move {
            kms.create_key()
                .set_tags(Some(tags))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e:?}"))
                .key_metadata()
                .map(|m| m.key_id().to_string())
                .unwrap_or_default()
        }
    };
    let stray_key = new_key(vec![
        kms_tag("forge:stack", "drift-app"),
        kms_tag("forge:address", "old_key"),
    ])
    .await;
    let prod_key = new_key(vec![
        kms_tag("forge:stack", "drift-app"),
        kms_tag("Environment", "prod"),
    ])
    .await;
    let doomed_key = new_key(vec![kms_tag("forge:stack", "drift-app")]).await;
    kms.schedule_key_deletion()
        .key_id(&doomed_key)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    logs.create_log_group()
        .log_group_name("/hand/made")
        .tags("forge:stack", "drift-app")
        .tags("Environment", "dev")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));

    proxy.reset_counts();
    let out = run(&forge, &stack, "drift", &["--json"]);
    out.expect_code(2);
    let orphan_search = describes(&proxy.counts());
    let report = json_of(&out);
    assert_eq!(report["outcome"], "drift");

    let svc = drifted(&report, "service");
    assert_eq!(svc["kind"], "aws.ecs.service");
    assert_eq!(svc["id"], service.as_str());
    let count = field(svc, "desired_count");
    assert_eq!(count["recorded"], 2, "{count:#}");
    assert_eq!(count["live"], 5, "{count:#}");
    assert_eq!(count["spec_wants_recorded"], true);

    let k = drifted(&report, "key");
    assert_eq!(k["kind"], "aws.kms.key");
    assert_eq!(k["id"], key.as_str());
    let rotation = field(k, "enable_key_rotation");
    assert_eq!(rotation["recorded"], true, "{rotation:#}");
    assert_eq!(rotation["live"], false, "{rotation:#}");
    assert_eq!(rotation["spec_wants_recorded"], true);

    let orphans = orphan_ids(&report);
    assert!(
        orphans.contains(&("aws.kms.key".to_string(), stray_key.clone())),
        "{report:#}"
    );
    assert!(
        orphans.contains(&("aws.logs.log_group".to_string(), "/hand/made".to_string())),
        "{report:#}"
    );
    assert_eq!(orphans.len(), 2, "only the two hand-made ones: {report:#}");
    let stray = report["orphans"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|o| o["id"] == stray_key.as_str())
        .cloned()
        .unwrap_or_default();
    assert_eq!(stray["address_tag"], "old_key");
    assert!(
        !orphans
            .iter()
            .any(|(_, id)| *id == prod_key || *id == doomed_key)
    );
    assert_eq!(report["errors"], Json::Array(vec![]), "{report:#}");
    // Confirming the candidates costs one batched observe per kind that
    // has some, still one tagging call.
    assert_eq!(orphan_search.get("tagging:GetResources"), Some(&1));
    print_counts(
        "drift check with orphans (drift-app, dev)",
        &out,
        &orphan_search,
    );

    // The human report names them too.
    let human = run(&forge, &stack, "drift", &[]);
    human.expect_code(2);
    assert!(human.stdout.contains("~ desired_count"), "{human}");
    assert!(human.stdout.contains("2 -> 5"), "{human}");
    assert!(human.stdout.contains("~ enable_key_rotation"), "{human}");
    assert!(human.stdout.contains("true -> false"), "{human}");
    assert!(human.stdout.contains("/hand/made"), "{human}");

    // The other way round: rotation enabled behind the back of a spec that
    // has it off is drift too.
    stack.edit(
        "stack.yaml",
        "enable_key_rotation: true",
        "enable_key_rotation: false",
    );
    run(&forge, &stack, "apply", &["--auto-approve"]).expect_success();
    kms.enable_key_rotation()
        .key_id(&key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let out = run(&forge, &stack, "drift", &["--json", "--no-orphans"]);
    out.expect_code(2);
    let report = json_of(&out);
    let rotation = field(drifted(&report, "key"), "enable_key_rotation");
    assert_eq!(rotation["recorded"], false, "{rotation:#}");
    assert_eq!(rotation["live"], true, "{rotation:#}");
    // The apply also put the service back to the spec's count.
    assert!(
        !report["drifted"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|d| d["address"] == "service"),
        "{report:#}"
    );
    let seen = ecs
        .describe_services()
        .cluster(&cluster)
        .services(&service)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(seen.services()[0].desired_count(), 2);
}
