//! Issue 18, end to end: forge against the emulator in real time, scaled
//! (`--time-scale`, scripts/moto_patches/realtime.py). Slow objects pass
//! through their AWS lifecycle states for the durations of
//! scripts/moto_patches/durations.py times the scale, and the emulator
//! refuses, with AWS's error codes, the calls AWS refuses meanwhile (an
//! instance added to a creating cluster, a subnet deleted under a deleting
//! NAT gateway, ...). forge must order its calls and waits so that none is
//! refused; the harness counts every refusal and throttle.
//!
//! A test of ordering and waits, not of speed: the wall times and polling
//! requests are printed (run with `--nocapture`), never asserted.

use forge_e2e::realtime::{counters, durations, refused, reset_counters, start_scaled};
use forge_e2e::walk_model::Unit;
use forge_e2e::walk_model::figures::{Measured, forge_graph, report_both};
use forge_e2e::{Emulator, Forge, RunOutput, StackCopy, getting_started_dir, network};
use std::time::Instant;

/// Real durations times this: a 150 s load balancer provisions in 1.5 s,
/// an Aurora writer takes 6 s. `FORGE_REAL_TIME_SCALE` overrides it, to
/// measure where forge's own overhead weighs less (0.05).
const SCALE: &str = "0.01";

fn start() -> (Emulator, Forge) {
    start_scaled(SCALE)
}

fn run(forge: &Forge, stack: &StackCopy, cmd: &str, extra: &[&str]) -> (RunOutput, f64) {
    let path = stack.arg();
    let mut args = vec![cmd, path.as_str()];
    args.extend_from_slice(extra);
    let started = Instant::now();
    let out = forge
        .run(stack.path(), &args)
        .unwrap_or_else(|e| panic!("{e}"));
    (out, started.elapsed().as_secs_f64())
}

/// Asserts the emulator refused nothing since its counters were zeroed.
fn assert_nothing_refused(emu: &Emulator, during: &str, out: &RunOutput) {
    let seen = counters(emu);
    let refused = refused(&seen);
    assert!(
        refused.is_empty(),
        "AWS would have refused these calls during {during}:\n  {}\n\n{out}",
        refused.join("\n  ")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn getting_started_applies_in_order_and_destroys_after_slow_deletes() {
    let (emulator, forge) = start();
    let stack = StackCopy::of(&getting_started_dir()).unwrap_or_else(|e| panic!("{e}"));
    let table = durations(&emulator);
    let scale = table["scale"].as_f64().unwrap_or(0.0);
    assert!(scale > 0.0, "the emulator is not time-scaled: {table}");

    let (apply, apply_secs) = run(&forge, &stack, "apply", &["-e", "dev", "--auto-approve"]);
    apply.expect_success();
    assert_nothing_refused(&emulator, "apply", &apply);
    let applied = counters(&emulator);

    // Settled: nothing to change and no drift once every object is ready.
    reset_counters(&emulator);
    let (plan, _) = run(
        &forge,
        &stack,
        "plan",
        &["-e", "dev", "--detailed-exitcode"],
    );
    plan.expect_code(0);
    let (drift, _) = run(&forge, &stack, "drift", &["-e", "dev"]);
    drift.expect_code(0);
    assert_nothing_refused(&emulator, "plan and drift", &drift);

    // Destroy: the NAT gateway is `deleting` for a while; its subnet and
    // Elastic IP can only go after it (DependencyViolation /
    // InvalidIPAddress.InUse otherwise).
    reset_counters(&emulator);
    let (destroy, destroy_secs) = run(&forge, &stack, "destroy", &["-e", "dev", "--auto-approve"]);
    destroy.expect_success();
    assert_nothing_refused(&emulator, "destroy", &destroy);
    let destroyed = counters(&emulator);
    let ec2 = emulator.ec2("us-east-1").await;
    let left = network::leftovers(&ec2)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(left.is_empty(), "left after destroy: {left:?}\n\n{destroy}");
    let nats = ec2
        .describe_nat_gateways()
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    for nat in nats.nat_gateways() {
        assert_eq!(
            nat.state().map(|s| s.as_str()),
            Some("deleted"),
            "{nat:?}\n\n{destroy}"
        );
    }

    // Figures: forge's against the critical path and the model of
    // Terraform's walk, both over the graph forge builds and the same
    // durations table (tests/support/walk_model).
    let graph = forge_graph(&forge, stack.path(), &[&stack.arg(), "-e", "dev"], &[]);
    let units = [Unit::whole("getting-started", graph)];
    let (apply, destroy) = (
        Measured::new(apply_secs, &applied),
        Measured::new(destroy_secs, &destroyed),
    );
    print!(
        "{}",
        report_both("getting-started dev", &units, &table, &apply, &destroy)
    );
}

const AURORA: &str = r#"
stack: aurora-wait
region: us-east-1

state:
  backend: local

vars:
  cidr: 10.30.0.0/16
  azs: [us-east-1a, us-east-1b]

resources:
  vpc:
    type: aws.ec2.vpc
    cidr_block: 10.30.0.0/16

  subnet:
    type: aws.ec2.subnet
    for_each: "${vars.azs}"
    vpc_id: "${vpc.id}"
    availability_zone: "${each.key}"
    cidr_block: "${cidrsubnet(vars.cidr, 8, index(vars.azs, each.key))}"

  subnets:
    type: aws.rds.db_subnet_group
    db_subnet_group_name: aurora-wait
    subnet_ids: "${subnet[*].id}"

  cluster:
    type: aws.rds.cluster
    db_cluster_identifier: aurora-wait
    engine_version: "16"
    master_username: app_admin
    master_user_password: correct-horse-battery
    db_subnet_group_name: "${subnets.id}"
    skip_final_snapshot: true

  writer:
    type: aws.rds.cluster_instance
    db_instance_identifier: aurora-wait-1
    db_cluster_identifier: "${cluster.id}"
    db_instance_class: db.r6g.large
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aurora_instance_waits_for_its_creating_cluster() {
    let (emulator, forge) = start();
    let stack = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
    stack
        .write("stack.yaml", AURORA)
        .unwrap_or_else(|e| panic!("{e}"));
    let table = durations(&emulator);
    let scale = table["scale"].as_f64().unwrap_or(0.0);
    assert!(scale > 0.0, "the emulator is not time-scaled: {table}");

    let (apply, apply_secs) = run(&forge, &stack, "apply", &["--auto-approve"]);
    apply.expect_success();
    assert_nothing_refused(&emulator, "apply", &apply);
    let applied = counters(&emulator);
    assert_eq!(
        applied["requests"]["rds:CreateDBInstance"].as_u64(),
        Some(1),
        "the instance is created once, after its cluster is available\n{applied}"
    );

    // Verified through the RDS API: the writer is in the cluster, both
    // available.
    let rds = aws_sdk_rds::Client::new(&emulator.sdk_config("us-east-1").await);
    let instance = rds
        .describe_db_instances()
        .db_instance_identifier("aurora-wait-1")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    let instance = &instance.db_instances()[0];
    assert_eq!(instance.db_cluster_identifier(), Some("aurora-wait"));
    assert_eq!(
        instance.db_instance_status(),
        Some("available"),
        "{instance:?}"
    );

    reset_counters(&emulator);
    let (plan, _) = run(&forge, &stack, "plan", &["--detailed-exitcode"]);
    plan.expect_code(0);

    // Destroy: the instance is `deleting` for minutes; the cluster may go
    // then, the subnet group only once the cluster is gone.
    reset_counters(&emulator);
    let (destroy, destroy_secs) = run(&forge, &stack, "destroy", &["--auto-approve"]);
    destroy.expect_success();
    assert_nothing_refused(&emulator, "destroy", &destroy);
    let destroyed = counters(&emulator);
    let clusters = rds
        .describe_db_clusters()
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert!(clusters.db_clusters().is_empty(), "{clusters:?}");

    let graph = forge_graph(&forge, stack.path(), &[&stack.arg()], &[]);
    let units = [Unit::whole("aurora", graph)];
    let (apply, destroy) = (
        Measured::new(apply_secs, &applied),
        Measured::new(destroy_secs, &destroyed),
    );
    print!(
        "{}",
        report_both("aurora cluster + writer", &units, &table, &apply, &destroy)
    );
}
