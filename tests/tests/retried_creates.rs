//! A create answered HTTP 500 *after* the cloud acted on it must never leave
//! a second, tagged object behind.
//!
//! The fault proxy forwards every mutation and answers 15% of them with a
//! 500 instead of the emulator's response (`error500_after`), so each such
//! call did take effect. Before the fix, the SDK's own retry layer re-sent
//! them (`CreateKey`, `CreateVpc`, `AllocateAddress`... take no idempotency
//! token), and every run left one extra tagged object that neither plan nor
//! destroy knew about.
//!
//! 20 seeded runs (replay one with `FORGE_FAULT_SEED=<n>`; run `i` uses
//! seed `n + i`) against one emulator, each: apply through the
//! proxy -> every object tagged `forge:address`, listed through each
//! service's API (not forge's state), exactly once per address -> each
//! create action sent exactly once (a lost create is looked up, never sent
//! again) -> plan `--detailed-exitcode` exits 0 -> destroy through the proxy
//! -> nothing tagged is left.

use forge_e2e::tagged::{Listers, duplicates};
use forge_e2e::{ActionFilter, Emulator, FaultConfig, Forge, Proxy, RunOutput, StackCopy};
use std::collections::BTreeMap;
use std::time::Instant;

const RUNS: u64 = 20;

/// The fixture's objects: (kind as listed, address).
const EXPECTED: &[(&str, &str)] = &[
    ("elastic ip", "eip"),
    ("internet gateway", "igw"),
    ("kms key", "key"),
    ("log group", "logs"),
    ("route table", "routes"),
    ("security group", "web_sg"),
    ("subnet", "subnet"),
    ("vpc", "vpc"),
];

/// The create calls of the fixture: each is sent once per apply, faults or
/// not, because a create whose answer was lost is found, not re-sent.
const CREATES: &[&str] = &[
    "ec2:AllocateAddress",
    "ec2:CreateInternetGateway",
    "ec2:CreateRouteTable",
    "ec2:CreateSecurityGroup",
    "ec2:CreateSubnet",
    "ec2:CreateVpc",
    "kms:CreateKey",
    "logs:CreateLogGroup",
];

fn base_seed() -> u64 {
    forge_e2e::seed_from_env("FORGE_FAULT_SEED", "fault")
}

/// Faults go to calls that change something; reads pass untouched.
fn mutation(action: &str) -> bool {
    action.split_once(':').is_some_and(|(_, op)| {
        !["Describe", "List", "Get"]
            .iter()
            .any(|p| op.starts_with(p))
    })
}

fn run(forge: &Forge, stack: &StackCopy, args: &[&str]) -> RunOutput {
    let arg = stack.arg();
    let mut full = vec![args[0], arg.as_str()];
    full.extend_from_slice(&args[1..]);
    forge
        .run(stack.path(), &full)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_answered_500_after_the_cloud_acted_leave_no_duplicates() {
    forge_e2e::require_emulator!("makes creates fail ambiguously through the fault proxy");
    let started = Instant::now();
    let base = base_seed();
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let proxy =
        Proxy::start(&emulator.endpoint, FaultConfig::none()).unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(proxy.env()).unwrap_or_else(|e| panic!("{e}"));
    let listers = Listers::new(&emulator.sdk_config("us-east-1").await);
    let fixture = forge_e2e::repo_root().join("tests/fixtures/retried-creates");
    let expected: Vec<(String, String)> = EXPECTED
        .iter()
        .map(|(k, a)| (k.to_string(), a.to_string()))
        .collect();
    let mut lost_creates = 0;
    let mut lost_total = 0;

    for i in 0..RUNS {
        let seed = base.wrapping_add(i);
        // No `POST /moto-api/reset` between runs: each run ends by checking
        // that its destroy left nothing tagged, so the next one starts clean
        // anyway, and a reset of a populated moto costs ~1.3 s (plus the
        // lazy re-initialisation it causes in the next apply).
        proxy.set_faults(
            FaultConfig::none()
                .with_seed(seed)
                .with_errors_after_forward(0.15)
                .only(ActionFilter::new(mutation)),
        );
        proxy.reset_counts();
        let stack = StackCopy::of(&fixture).unwrap_or_else(|e| panic!("{e}"));
        let context = format!("run {i} (FORGE_FAULT_SEED={base}, seed {seed})");

        let out = run(&forge, &stack, &["apply", "-e", "dev", "--auto-approve"]);
        let log = proxy.requests();
        let faulted: Vec<&str> = log
            .iter()
            .filter(|r| r.fault.is_some())
            .map(|r| r.action.as_str())
            .collect();
        lost_total += faulted.len();
        lost_creates += faulted.iter().filter(|a| CREATES.contains(a)).count();
        assert!(
            out.code() == Some(0),
            "{context}: apply failed; 500 after forwarding: {faulted:?}\n{out}"
        );

        let objects = listers.all().await.unwrap_or_else(|e| panic!("{e}"));
        let dups = duplicates(&objects);
        assert!(
            dups.is_empty(),
            "{context}: duplicated objects {dups:?}; 500 after forwarding: {faulted:?}\n{out}"
        );
        let found: Vec<(String, String)> = objects
            .iter()
            .map(|o| (o.kind.to_string(), o.address.clone()))
            .collect();
        assert_eq!(found, expected, "{context}: objects {objects:?}");

        let mut sent: BTreeMap<&str, u64> = BTreeMap::new();
        for r in &log {
            if let Some(c) = CREATES.iter().find(|c| **c == r.action) {
                *sent.entry(c).or_default() += 1;
            }
        }
        let resent: Vec<(&str, u64)> = sent.into_iter().filter(|(_, n)| *n != 1).collect();
        assert!(
            resent.is_empty(),
            "{context}: create calls sent other than once: {resent:?}; 500 after forwarding: {faulted:?}"
        );

        let apply_time = out.elapsed;
        let plan = run(
            &forge,
            &stack,
            &["plan", "-e", "dev", "--detailed-exitcode"],
        );
        plan.expect_code(0);

        let out = run(&forge, &stack, &["destroy", "-e", "dev", "--auto-approve"]);
        assert!(out.code() == Some(0), "{context}: destroy failed\n{out}");
        let left = listers.all().await.unwrap_or_else(|e| panic!("{e}"));
        assert!(
            left.is_empty(),
            "{context}: left after destroy: {left:?}\n{out}"
        );
        println!(
            "run {i}: apply {:.1}s ({} lost: {faulted:?}), plan {:.1}s, destroy {:.1}s",
            apply_time.as_secs_f64(),
            faulted.len(),
            plan.elapsed.as_secs_f64(),
            out.elapsed.as_secs_f64()
        );
    }

    println!(
        "{RUNS} runs in {:.1}s; {lost_total} mutations answered 500 after acting, {lost_creates} of them creates",
        started.elapsed().as_secs_f64()
    );
    assert!(
        lost_creates > 0,
        "no create was answered 500 after acting: the test proved nothing"
    );
}
