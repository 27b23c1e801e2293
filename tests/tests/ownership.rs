//! Ownership: one state never takes over, converges or deletes another
//! state's objects, whatever names they share.
//!
//! The stack `tests/fixtures/ownership-mini` is deployed twice into one
//! emulator account and region (two environments, two folders with the same
//! `stack:` name, a name without `${env}`), and every check of what exists
//! and who owns it goes through the AWS SDK, not through forge's state:
//! the other state's objects keep their ids, their settings and their
//! ownership tags, and the other state still plans no changes.

// Test code: a failed call should stop the test with its error.
#![allow(clippy::unwrap_used)]

use forge_e2e::forge::forge_binary;
use forge_e2e::{Emulator, Forge, RunOutput, StackCopy, repo_root};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

const REGION: &str = "us-east-1";

fn fixture() -> PathBuf {
    repo_root().join("tests/fixtures/ownership-mini")
}

struct World {
    emulator: Emulator,
    forge: Forge,
}

impl World {
    fn new() -> World {
        let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
        let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
        World { emulator, forge }
    }

    fn run(&self, stack: &StackCopy, args: &[&str]) -> RunOutput {
        let dir = stack.arg();
        let mut all = vec![args[0], dir.as_str()];
        all.extend_from_slice(&args[1..]);
        self.forge
            .run(stack.path(), &all)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn apply(&self, stack: &StackCopy, env: &str) -> RunOutput {
        let out = self.run(stack, &["apply", "-e", env, "--auto-approve"]);
        out.expect_success();
        out
    }

    fn assert_no_changes(&self, stack: &StackCopy, env: &str) {
        self.run(stack, &["plan", "-e", env, "--detailed-exitcode"])
            .expect_code(0);
    }

    /// Everything of one environment as AWS shows it: kind -> (id, the
    /// object's ownership tags).
    async fn live(&self, env: &str) -> BTreeMap<String, (String, BTreeMap<String, String>)> {
        let cfg = self.emulator.sdk_config(REGION).await;
        let mut out = BTreeMap::new();
        let logs = aws_sdk_cloudwatchlogs::Client::new(&cfg);
        let name = format!("/mini/{env}");
        let groups = logs
            .describe_log_groups()
            .log_group_name_prefix(&name)
            .send()
            .await
            .unwrap();
        if let Some(g) = groups
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name.as_str()))
        {
            let arn = g.arn().unwrap().trim_end_matches(":*").to_string();
            let tags = logs
                .list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
                .unwrap()
                .tags
                .unwrap_or_default()
                .into_iter()
                .collect();
            out.insert("logs".into(), (name.clone(), forge_tags(tags)));
        }
        let iam = aws_sdk_iam::Client::new(&cfg);
        let role = format!("mini-{env}-role");
        if let Ok(r) = iam.get_role().role_name(&role).send().await
            && let Some(r) = r.role()
        {
            let tags = r
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            out.insert("role".into(), (r.role_id().to_string(), forge_tags(tags)));
        }
        let sm = aws_sdk_secretsmanager::Client::new(&cfg);
        if let Ok(s) = sm
            .describe_secret()
            .secret_id(format!("mini/{env}/secret"))
            .send()
            .await
            && s.deleted_date().is_none()
        {
            let tags = s
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                .collect();
            out.insert(
                "secret".into(),
                (s.arn().unwrap().to_string(), forge_tags(tags)),
            );
        }
        let s3 = aws_sdk_s3::Client::new(&cfg);
        let bucket = format!("mini-{env}-data");
        if let Ok(t) = s3.get_bucket_tagging().bucket(&bucket).send().await {
            let tags = t
                .tag_set()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            out.insert("bucket".into(), (bucket.clone(), forge_tags(tags)));
        }
        let ec2 = aws_sdk_ec2::Client::new(&cfg);
        let env_filter = aws_sdk_ec2::types::Filter::builder()
            .name("tag:Environment")
            .values(env)
            .build();
        for v in ec2
            .describe_vpcs()
            .filters(env_filter.clone())
            .send()
            .await
            .unwrap()
            .vpcs()
        {
            let tags = v
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                .collect();
            let id = v.vpc_id().unwrap().to_string();
            out.insert(format!("vpc {id}"), (id, forge_tags(tags)));
        }
        for g in ec2
            .describe_security_groups()
            .filters(env_filter)
            .send()
            .await
            .unwrap()
            .security_groups()
        {
            let tags = g
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                .collect();
            let id = g.group_id().unwrap().to_string();
            out.insert(format!("sg {id}"), (id, forge_tags(tags)));
        }
        out
    }
}

fn forge_tags(all: BTreeMap<String, String>) -> BTreeMap<String, String> {
    all.into_iter()
        .filter(|(k, _)| k.starts_with("forge:"))
        .collect()
}

fn lineage_of(stack: &StackCopy, env: &str) -> String {
    let text = stack
        .read(&format!(".forge/state/mini-{env}.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["lineage"].as_str().unwrap().to_string()
}

/// Every object of `env` carries the ownership tags of `lineage`.
fn assert_owned(
    live: &BTreeMap<String, (String, BTreeMap<String, String>)>,
    lineage: &str,
    env: &str,
) {
    assert!(live.len() >= 6, "{live:#?}");
    for (what, (id, tags)) in live {
        assert_eq!(
            tags.get("forge:state").map(String::as_str),
            Some(lineage),
            "{what} {id}: {tags:?}"
        );
        assert_eq!(tags.get("forge:stack").map(String::as_str), Some("mini"));
        assert_eq!(tags.get("forge:environment").map(String::as_str), Some(env));
    }
}

/// Repro: prod applied; dev's apply SIGKILLed at several moments, its lock
/// forced away; dev then plans, applies and destroys. prod's objects keep
/// their ids and tags, and prod still plans no changes.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_apply_of_one_environment_never_adopts_another() {
    let w = World::new();
    let stack = StackCopy::of(&fixture()).unwrap();
    w.apply(&stack, "prod");
    let prod_lineage = lineage_of(&stack, "prod");
    let prod = w.live("prod").await;
    assert_owned(&prod, &prod_lineage, "prod");

    let bin = forge_binary().unwrap();
    for delay in [300u64, 900] {
        let mut child = Command::new(&bin)
            .args(["apply", &stack.arg(), "-e", "dev", "--auto-approve"])
            .current_dir(stack.path())
            .envs(w.emulator.env())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
        // The killed run's lock: what `forge force-unlock` would remove.
        let _ = std::fs::remove_file(stack.path().join(".forge/state/mini-dev.json.lock"));
        let plan = w.run(&stack, &["plan", "-e", "dev"]);
        for (id, _) in prod.values() {
            assert!(
                !plan.stdout.contains(id.as_str()),
                "dev's plan after a kill at {delay} ms names prod's {id}:\n{}",
                plan.stdout
            );
        }
    }
    w.apply(&stack, "dev");
    let dev_lineage = lineage_of(&stack, "dev");
    assert_ne!(dev_lineage, prod_lineage);
    assert_owned(&w.live("dev").await, &dev_lineage, "dev");
    w.assert_no_changes(&stack, "dev");
    w.run(&stack, &["destroy", "-e", "dev", "--auto-approve"])
        .expect_success();

    assert_eq!(w.live("prod").await, prod, "prod's objects changed");
    w.assert_no_changes(&stack, "prod");
}

/// Repro: prod applied; someone creates dev's log group by hand; dev's
/// apply refuses it (saying it is nobody's) and leaves a pending intent;
/// dev's destroy then must not touch prod's log group.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_create_then_destroy_leaves_the_other_environment_alone() {
    let w = World::new();
    let stack = StackCopy::of(&fixture()).unwrap();
    w.apply(&stack, "prod");
    let prod = w.live("prod").await;
    let cfg = w.emulator.sdk_config(REGION).await;
    aws_sdk_cloudwatchlogs::Client::new(&cfg)
        .create_log_group()
        .log_group_name("/mini/dev")
        .send()
        .await
        .unwrap();
    let out = w.run(&stack, &["apply", "-e", "dev", "--auto-approve"]);
    assert_ne!(out.code(), Some(0), "{}", out.stderr);
    assert!(
        out.stderr.contains("not managed by any forge state")
            && out.stderr.contains("forge import logs"),
        "{}",
        out.stderr
    );
    // The refused apply left a pending intent for `logs`: destroy must not
    // resolve it to prod's group (same stack name and address).
    w.run(&stack, &["destroy", "-e", "dev", "--auto-approve"])
        .expect_success();
    assert_eq!(w.live("prod").await, prod, "prod's objects changed");
    w.assert_no_changes(&stack, "prod");
    // The hand-made group is still there: forge never owned it.
    assert!(w.live("dev").await.contains_key("logs"));

    // Taken over explicitly: `forge import` records it, the next apply
    // converges it (retention) and the stack completes.
    let dir = stack.arg();
    w.forge
        .run(
            stack.path(),
            &["import", "logs", "/mini/dev", &dir, "-e", "dev"],
        )
        .unwrap()
        .expect_success();
    w.apply(&stack, "dev");
    w.assert_no_changes(&stack, "dev");
    assert_eq!(w.live("prod").await, prod, "prod's objects changed");
}

/// Repro: two folders with the same `stack:` name (different CIDRs). The
/// second folder's apply refuses the first's named objects (owned by
/// another state), never records or re-encrypts them, and its destroy
/// deletes only what it made; the first folder drifts not at all.
#[tokio::test(flavor = "multi_thread")]
async fn two_folders_with_one_stack_name_are_two_owners() {
    let w = World::new();
    let first = StackCopy::of(&fixture()).unwrap();
    let second = StackCopy::of(&fixture()).unwrap();
    second.edit(
        "stack.yaml",
        "cidr: 10.20.0.0/16\n  prod",
        "cidr: 10.30.0.0/16\n  prod",
    );
    w.apply(&first, "dev");
    let lineage = lineage_of(&first, "dev");
    let before = w.live("dev").await;

    let out = w.run(&second, &["apply", "-e", "dev", "--auto-approve"]);
    assert_ne!(out.code(), Some(0), "{}", out.stdout);
    assert!(
        out.stderr.contains(&format!("owned by state {lineage}")),
        "{}",
        out.stderr
    );
    let state: serde_json::Value =
        serde_json::from_str(&second.read(".forge/state/mini-dev.json").unwrap()).unwrap();
    let recorded: Vec<&str> = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    for what in ["logs", "role", "secret", "bucket"] {
        let id = &before[what].0;
        assert!(
            !recorded.contains(&id.as_str()),
            "the second folder recorded the first's {what} {id}: {recorded:?}"
        );
    }
    w.run(&second, &["destroy", "-e", "dev", "--auto-approve"])
        .expect_success();
    let after = w.live("dev").await;
    for (what, v) in &before {
        assert_eq!(
            after.get(what),
            Some(v),
            "{what} of the first folder changed"
        );
    }
    w.assert_no_changes(&first, "dev");
    w.run(&first, &["drift", "-e", "dev"]).expect_code(0);
}

/// Repro: a name without `${env}`: prod's apply refuses dev's role, and
/// prod's destroy leaves it.
#[tokio::test(flavor = "multi_thread")]
async fn a_shared_name_is_refused_not_taken_over() {
    let w = World::new();
    let stack = StackCopy::of(&fixture()).unwrap();
    stack.edit(
        "stack.yaml",
        "\"${stack}-${env}-role\"",
        "\"${stack}-shared-role\"",
    );
    w.apply(&stack, "dev");
    let dev_lineage = lineage_of(&stack, "dev");
    let cfg = w.emulator.sdk_config(REGION).await;
    let iam = aws_sdk_iam::Client::new(&cfg);
    let role_id = |r: aws_sdk_iam::operation::get_role::GetRoleOutput| {
        r.role().map(|r| r.role_id().to_string())
    };
    let before = role_id(
        iam.get_role()
            .role_name("mini-shared-role")
            .send()
            .await
            .unwrap(),
    );

    let out = w.run(&stack, &["apply", "-e", "prod", "--auto-approve"]);
    assert_ne!(out.code(), Some(0));
    assert!(
        out.stderr
            .contains(&format!("owned by state {dev_lineage}"))
            && out.stderr.contains("environment dev"),
        "{}",
        out.stderr
    );
    w.run(&stack, &["destroy", "-e", "prod", "--auto-approve"])
        .expect_success();
    let after = role_id(
        iam.get_role()
            .role_name("mini-shared-role")
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(before, after, "dev's role was deleted or replaced");
    w.assert_no_changes(&stack, "dev");
}

/// Two states claiming one object (a state copied under a new lineage):
/// drift reports the conflict in both the human and the JSON report.
#[tokio::test(flavor = "multi_thread")]
async fn drift_reports_an_object_claimed_by_two_states() {
    let w = World::new();
    let stack = StackCopy::of(&fixture()).unwrap();
    w.apply(&stack, "dev");
    let lineage = lineage_of(&stack, "dev");
    // A second folder whose state is a copy of the first's under another
    // lineage: it records objects tagged as the first state's.
    let copy = StackCopy::of(&fixture()).unwrap();
    let text = stack.read(".forge/state/mini-dev.json").unwrap();
    std::fs::create_dir_all(copy.path().join(".forge/state")).unwrap();
    copy.write(
        ".forge/state/mini-dev.json",
        &text.replace(&lineage, "00000000-0000-4000-8000-000000000000"),
    )
    .unwrap();
    let out = w.run(&copy, &["drift", "-e", "dev", "--json"]);
    out.expect_code(2);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let conflicts = report["conflicts"].as_array().unwrap();
    let addresses: Vec<&str> = conflicts
        .iter()
        .filter_map(|c| c["address"].as_str())
        .collect();
    for a in ["logs", "secret", "bucket", "vpc"] {
        assert!(addresses.contains(&a), "{a} not reported: {conflicts:#?}");
    }
    assert!(
        conflicts
            .iter()
            .all(|c| c["claimed_by_lineage"].as_str() == Some(lineage.as_str()))
    );
    let human = w.run(&copy, &["drift", "-e", "dev"]);
    assert!(
        human.stdout.contains("Claimed by another state"),
        "{}",
        human.stdout
    );
    // The owner itself sees no drift.
    w.run(&stack, &["drift", "-e", "dev"]).expect_code(0);
}
