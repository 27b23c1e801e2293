//! Issue 18: signals during a long readiness wait, on the emulator in real
//! time, scaled (scripts/moto_patches/realtime.py). An Aurora cluster is
//! `creating` for 240 real seconds; at [`SCALE`] that is 12 s, long enough
//! to signal forge while it waits.
//!
//! - SIGINT during the wait: forge exits within 5 s with 130; the state
//!   records the cluster's id, marked `not_ready`; the next apply waits for
//!   it (no second CreateDBCluster) and finishes.
//! - SIGKILL during the wait: the next apply adopts the cluster (its
//!   create intent and ownership tags) and waits; exactly one cluster.
//! - SIGINT during a destroy's wait for the cluster's deletion: forge exits
//!   within 5 s, the state still holds the cluster (AWS is deleting it) and
//!   its subnet group is untouched; the next destroy does not ask for the
//!   deletion again (RDS would refuse it) but waits for it, then deletes
//!   the subnet group.
//!
//! Verified through the RDS API and the emulator's request counters, never
//! through forge's output alone; the state file is read only for what the
//! issue asks of it (the id marked not ready).

// Test code: a failed call should stop the test with its error.
#![allow(clippy::unwrap_used)]

use forge_e2e::realtime::{counters, refused, reset_counters, time_scale_args};
use forge_e2e::{Emulator, Forge, RunOutput, StackCopy};
use forge_engine::apply::ready::POLL_SCALE_ENV;
use serde_json::Value as Json;
use std::time::{Duration, Instant};

/// Real durations times this: the cluster is `creating` for 12 s, its
/// writer for 30 s.
const SCALE: &str = "0.05";

const STACK: &str = r#"
stack: aurora-signals
region: us-east-1

state:
  backend: local

vars:
  cidr: 10.31.0.0/16
  azs: [us-east-1a, us-east-1b]

resources:
  vpc:
    type: aws.ec2.vpc
    cidr_block: 10.31.0.0/16

  subnet:
    type: aws.ec2.subnet
    for_each: "${vars.azs}"
    vpc_id: "${vpc.id}"
    availability_zone: "${each.key}"
    cidr_block: "${cidrsubnet(vars.cidr, 8, index(vars.azs, each.key))}"

  subnets:
    type: aws.rds.db_subnet_group
    db_subnet_group_name: aurora-signals
    subnet_ids: "${subnet[*].id}"

  cluster:
    type: aws.rds.cluster
    db_cluster_identifier: aurora-signals
    engine_version: "16"
    master_username: app_admin
    master_user_password: correct-horse-battery
    db_subnet_group_name: "${subnets.id}"
    skip_final_snapshot: true

  writer:
    type: aws.rds.cluster_instance
    db_instance_identifier: aurora-signals-1
    db_cluster_identifier: "${cluster.id}"
    db_instance_class: db.r6g.large
"#;

struct World {
    emulator: Emulator,
    forge: Forge,
    stack: StackCopy,
    rds: aws_sdk_rds::Client,
}

async fn world() -> World {
    world_of(STACK).await
}

async fn world_of(stack_yaml: &str) -> World {
    let emulator =
        Emulator::start_with_args(&time_scale_args(SCALE)).unwrap_or_else(|e| panic!("{e}"));
    let mut env = emulator.env();
    env.push((POLL_SCALE_ENV.to_string(), SCALE.to_string()));
    let forge = Forge::new(env).unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
    stack.write("stack.yaml", stack_yaml).unwrap();
    let rds = aws_sdk_rds::Client::new(&emulator.sdk_config("us-east-1").await);
    World {
        emulator,
        forge,
        stack,
        rds,
    }
}

/// The `--json` events of `stdout` of one `type`.
fn events(stdout: &str, kind: &str) -> Vec<Json> {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Json>(l).ok())
        .filter(|e| e["type"] == kind)
        .collect()
}

fn waiting_for_cluster(stdout: &str) -> Option<Json> {
    events(stdout, "waiting")
        .into_iter()
        .find(|e| e["address"] == "cluster")
}

/// Starts `forge apply --json` and signals it once it waits for the
/// cluster; returns its output and how long it took to stop.
fn signal_during_cluster_wait(w: &World, signal: &str) -> (RunOutput, Duration) {
    signal_during_wait(w, "apply", "creating", signal)
}

/// Starts `forge COMMAND --json` and signals it once it waits for the
/// cluster in `status`; returns its output and how long it took to stop.
/// The lock's ttl is short, so the lock a killed run leaves expires in
/// seconds (as `kill.rs` does).
fn signal_during_wait(
    w: &World,
    command: &str,
    status: &str,
    signal: &str,
) -> (RunOutput, Duration) {
    let arg = w.stack.arg();
    let mut running = w
        .forge
        .spawn(
            w.stack.path(),
            &[command, &arg, "--auto-approve", "--json"],
            &[("FORGE_LOCK_TTL", "3s")],
        )
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(waiting) = waiting_for_cluster(&running.stdout_so_far()) {
            assert_eq!(waiting["status"], status, "{waiting}");
            break;
        }
        assert!(
            !running.finished(),
            "the apply ended before it waited for the cluster:\n{}",
            running.stdout_so_far()
        );
        assert!(
            Instant::now() < deadline,
            "the apply never waited for the cluster:\n{}\n{}",
            running.stdout_so_far(),
            running.stderr_so_far()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let signalled = Instant::now();
    running.signal(signal).unwrap();
    let out = running.wait().unwrap();
    (out, signalled.elapsed())
}

/// The cluster's entry in the stack's local state file.
fn recorded_cluster(stack: &StackCopy) -> Json {
    let state = stack.read(".forge/state/aurora-signals.json").unwrap();
    let state: Json = serde_json::from_str(&state).unwrap();
    state["resources"]
        .as_array()
        .and_then(|all| all.iter().find(|r| r["address"] == "cluster"))
        .cloned()
        .unwrap_or_else(|| panic!("no cluster in the state:\n{state:#}"))
}

/// The clusters the RDS API lists, with their status.
async fn clusters(rds: &aws_sdk_rds::Client) -> Vec<(String, String)> {
    rds.describe_db_clusters()
        .send()
        .await
        .unwrap()
        .db_clusters()
        .iter()
        .map(|c| {
            (
                c.db_cluster_identifier().unwrap_or_default().to_string(),
                c.status().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn requests(seen: &Json, call: &str) -> u64 {
    seen["requests"][call].as_u64().unwrap_or(0)
}

/// `forge COMMAND` run again after an interrupted or killed run, with the
/// emulator's counters zeroed first; it waits for a killed run's lock to
/// expire and must succeed.
fn rerun(w: &World, command: &str) -> RunOutput {
    reset_counters(&w.emulator);
    let arg = w.stack.arg();
    let args = [
        command,
        &arg,
        "--auto-approve",
        "--json",
        "--lock-timeout",
        "1m",
    ];
    let out = w.forge.run(w.stack.path(), &args).unwrap();
    out.expect_success();
    out
}

/// The apply after the interrupted one: no second CreateDBCluster, a wait
/// for the cluster, then its writer; one cluster, available, with it. It
/// waits for a killed run's lock to expire.
async fn resume(w: &World, interrupted: &RunOutput) {
    let arg = w.stack.arg();
    let out = rerun(w, "apply");
    let seen = counters(&w.emulator);
    assert_eq!(
        requests(&seen, "rds:CreateDBCluster"),
        0,
        "the cluster was created again\n{seen}\n{out}\nthe interrupted run:\n{interrupted}"
    );
    assert_eq!(requests(&seen, "rds:CreateDBInstance"), 1, "{seen}\n{out}");
    assert!(
        waiting_for_cluster(&out.stdout).is_some(),
        "the apply did not wait for the cluster still creating:\n{out}"
    );
    assert_eq!(
        clusters(&w.rds).await,
        [("aurora-signals".to_string(), "available".to_string())],
        "{out}"
    );
    let instance = w
        .rds
        .describe_db_instances()
        .db_instance_identifier("aurora-signals-1")
        .send()
        .await
        .unwrap();
    let instance = &instance.db_instances()[0];
    assert_eq!(instance.db_cluster_identifier(), Some("aurora-signals"));
    assert_eq!(instance.db_instance_status(), Some("available"));
    assert_eq!(recorded_cluster(&w.stack)["status"], "ready");

    // Settled: a plan has nothing left to do.
    w.forge
        .run(w.stack.path(), &["plan", &arg, "--detailed-exitcode"])
        .unwrap()
        .expect_code(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_during_the_aurora_wait_stops_in_seconds_and_the_next_run_resumes_it() {
    let w = world().await;
    let (out, took) = signal_during_cluster_wait(&w, "INT");
    out.expect_code(130);
    assert!(
        took < Duration::from_secs(5),
        "took {took:?} to stop after SIGINT\n{out}"
    );
    let interrupted = events(&out.stdout, "interrupted");
    assert!(
        interrupted
            .iter()
            .any(|e| e["address"] == "cluster" && e["status"] == "creating"),
        "no `interrupted` event for the cluster:\n{out}"
    );

    // The state has the cluster's id, marked as not ready; AWS has the one
    // cluster, still creating.
    let recorded = recorded_cluster(&w.stack);
    assert_eq!(recorded["id"], "aurora-signals", "{recorded:#}");
    assert_eq!(recorded["status"], "not_ready", "{recorded:#}");
    assert!(recorded["pending"].is_null(), "{recorded:#}");
    assert_eq!(
        clusters(&w.rds).await,
        [("aurora-signals".to_string(), "creating".to_string())],
        "{out}"
    );
    let seen = counters(&w.emulator);
    assert_eq!(requests(&seen, "rds:CreateDBCluster"), 1, "{seen}");
    assert_eq!(requests(&seen, "rds:CreateDBInstance"), 0, "{seen}");

    // The plan says it waits for it rather than create it.
    let arg = w.stack.arg();
    let plan = w.forge.run(w.stack.path(), &["plan", &arg]).unwrap();
    plan.expect_success();
    assert!(
        plan.stdout.contains("the apply waits for it"),
        "the plan does not say it waits for the cluster:\n{plan}"
    );

    resume(&w, &out).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_the_aurora_wait_then_a_rerun_adopts_and_makes_no_duplicate() {
    let w = world().await;
    let (out, _) = signal_during_cluster_wait(&w, "KILL");
    assert_eq!(out.code(), None, "kill -9 should have ended it: {out}");
    assert_eq!(
        clusters(&w.rds).await,
        [("aurora-signals".to_string(), "creating".to_string())],
        "{out}"
    );
    resume(&w, &out).await;
}

/// The DB subnet groups the RDS API lists.
async fn subnet_groups(rds: &aws_sdk_rds::Client) -> Vec<String> {
    rds.describe_db_subnet_groups()
        .send()
        .await
        .unwrap()
        .db_subnet_groups()
        .iter()
        .filter_map(|g| g.db_subnet_group_name().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_during_a_slow_delete_stops_in_seconds_and_the_next_destroy_waits_for_it() {
    // The cluster alone: its deletion (120 real seconds, 6 s here) is the
    // wait to interrupt; its subnet group must outlive it.
    let cluster_only = STACK.split("  writer:").next().unwrap();
    let w = world_of(cluster_only).await;
    let arg = w.stack.arg();
    w.forge
        .run(w.stack.path(), &["apply", &arg, "--auto-approve"])
        .unwrap()
        .expect_success();

    let (out, took) = signal_during_wait(&w, "destroy", "deleting", "INT");
    out.expect_code(130);
    assert!(
        took < Duration::from_secs(5),
        "took {took:?} to stop after SIGINT\n{out}"
    );
    assert!(
        events(&out.stdout, "interrupted")
            .iter()
            .any(|e| e["address"] == "cluster" && e["status"] == "deleting"),
        "no `interrupted` event for the cluster's deletion:\n{out}"
    );
    // AWS goes on deleting; the state still holds the cluster, and what it
    // uses was left alone.
    assert_eq!(recorded_cluster(&w.stack)["id"], "aurora-signals");
    assert_eq!(
        clusters(&w.rds).await,
        [("aurora-signals".to_string(), "deleting".to_string())],
        "{out}"
    );
    assert_eq!(subnet_groups(&w.rds).await, ["aurora-signals"], "{out}");

    let again = rerun(&w, "destroy");
    let seen = counters(&w.emulator);
    assert_eq!(
        requests(&seen, "rds:DeleteDBCluster"),
        0,
        "the deletion was asked for again\n{seen}\n{again}"
    );
    assert!(refused(&seen).is_empty(), "refused calls: {seen}\n{again}");
    assert!(clusters(&w.rds).await.is_empty(), "{again}");
    assert!(subnet_groups(&w.rds).await.is_empty(), "{again}");
}
