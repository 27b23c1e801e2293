//! Issue 18: a throttling storm at the emulator's rate limits
//! (scripts/moto_patches/harness_app.py's token buckets, tightened here so
//! 40 creates at parallelism 20 overrun them). forge must converge within
//! its retry budget, create nothing twice, and say how often it retried.
//!
//! Verified through the EC2 API and the emulator's counters. The retries
//! and throttles are printed (run with `--nocapture`).

// Test code: a failed call should stop the test with its error.
#![allow(clippy::unwrap_used)]

use forge_e2e::realtime::{counters, set_rate_limits, throttled_total};
use forge_e2e::{Emulator, Forge, StackCopy};
use serde_json::{Value as Json, json};

const GROUPS: usize = 40;

fn stack() -> String {
    format!(
        r#"
stack: throttling-storm
region: us-east-1

state:
  backend: local

resources:
  vpc:
    type: aws.ec2.vpc
    cidr_block: 10.32.0.0/16

  group:
    type: aws.ec2.security_group
    count: {GROUPS}
    group_name: "storm-${{count.index}}"
    description: One of many created at once
    vpc_id: "${{vpc.id}}"
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forty_security_groups_at_parallelism_20_converge_through_throttling() {
    let emulator =
        Emulator::start_with_args(&["--rate-limits", "on"]).unwrap_or_else(|e| panic!("{e}"));
    // EC2 publishes 200 tokens refilled at 5/s for mutating calls (per
    // action); a burst of 10 at 4/s makes 40 concurrent creates throttle.
    set_rate_limits(
        &emulator,
        &json!({"ec2": [["Describe*", "per-action", 100, 20], ["*", "per-action", 10, 4]]}),
    );
    let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    let copy = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
    copy.write("stack.yaml", &stack()).unwrap();
    let arg = copy.arg();
    let out = forge
        .run(
            copy.path(),
            &[
                "apply",
                &arg,
                "--auto-approve",
                "--parallelism",
                "20",
                "--json",
            ],
        )
        .unwrap();
    out.expect_success();

    let seen = counters(&emulator);
    let throttled = throttled_total(&seen);
    let retries = out
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Json>(l).ok())
        .filter(|e| e["type"] == "retrying")
        .count();
    println!(
        "{GROUPS} security groups at parallelism 20: {throttled} requests throttled, \
         {retries} retries reported, {} CreateSecurityGroup sent\n  throttled: {}",
        seen["requests"]["ec2:CreateSecurityGroup"], seen["throttled"]
    );
    assert!(throttled > 0, "nothing was throttled: {seen}");
    assert!(retries > 0, "no retry was reported:\n{}", out.stdout);

    // Exactly one group per address: none lost, none duplicated.
    let ec2 = emulator.ec2("us-east-1").await;
    let groups = ec2.describe_security_groups().send().await.unwrap();
    let mut names: Vec<&str> = groups
        .security_groups()
        .iter()
        .filter_map(|g| g.group_name())
        .filter(|n| n.starts_with("storm-"))
        .collect();
    names.sort();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "duplicated groups: {groups:?}");
    assert_eq!(names.len(), GROUPS, "{names:?}\n{out}");

    // Settled: nothing left to do.
    forge
        .run(copy.path(), &["plan", &arg, "--detailed-exitcode"])
        .unwrap()
        .expect_code(0);
}
