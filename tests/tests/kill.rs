//! Issue 7: crash safety proven by killing forge.
//!
//! The getting-started stack, state in S3, is applied from nothing and the
//! `forge` process is sent SIGKILL at a random moment (20 trials, moments
//! spread over the length of a full apply, seeded: the seed is printed and
//! `FORGE_KILL_SEED=<n>` replays it). After each kill `forge apply` runs
//! again: it waits for the dead run's lock to expire (`FORGE_LOCK_TTL=3s`),
//! takes it over, adopts what the dead run created, and converges. Then an
//! independent listing of the emulator's EC2 resources must show every
//! resource in state exactly once, nothing that state does not hold (tagged
//! or not), and `forge destroy` must leave nothing.

// Test code: a failed call should stop the test with its error.
#![allow(clippy::unwrap_used)]

use forge_e2e::network::leftovers;
use forge_e2e::{Emulator, Forge, RunOutput, StackCopy};
use forge_engine::state::State;
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const REGION: &str = "us-east-1";
const BUCKET: &str = "kill-state";
const STACK: &str = "getting-started";
/// vpc, 3 + 3 subnets, igw, eip, nat, 1 + 3 route tables, 2 security groups.
const RESOURCES: usize = 16;

fn trials() -> usize {
    std::env::var("FORGE_KILL_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
}

fn seed() -> u64 {
    forge_e2e::seed_from_env("FORGE_KILL_SEED", "kill")
}

/// SplitMix64: tiny, seedable, good enough to pick kill moments.
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One live EC2 object that belongs to (or was left by) the stack.
#[derive(Debug, Clone)]
struct Live {
    kind: &'static str,
    id: String,
    /// The `forge:address` tag; `None` means untagged (a leak forge could
    /// never adopt).
    address: Option<String>,
}

fn tag<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>, key: &str) -> Option<String> {
    tags.into_iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.to_string())
}

macro_rules! tags_of {
    ($item:expr) => {
        $item
            .tags()
            .iter()
            .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()))
    };
}

/// Everything in the emulator's EC2 that is not AWS's own default (the
/// default VPC and its parts, main route tables, `default` groups).
async fn live(ec2: &aws_sdk_ec2::Client) -> Vec<Live> {
    let mut out = Vec::new();
    let vpcs = ec2.describe_vpcs().send().await.unwrap();
    let ours: Vec<String> = vpcs
        .vpcs()
        .iter()
        .filter(|v| v.is_default() != Some(true))
        .map(|v| v.vpc_id().unwrap_or_default().to_string())
        .collect();
    for v in vpcs.vpcs().iter().filter(|v| v.is_default() != Some(true)) {
        out.push(Live {
            kind: "vpc",
            id: v.vpc_id().unwrap_or_default().into(),
            address: tag(tags_of!(v), "forge:address"),
        });
    }
    let in_ours = |vpc: Option<&str>| vpc.is_some_and(|v| ours.iter().any(|o| o == v));
    for s in ec2.describe_subnets().send().await.unwrap().subnets() {
        if in_ours(s.vpc_id()) {
            out.push(Live {
                kind: "subnet",
                id: s.subnet_id().unwrap_or_default().into(),
                address: tag(tags_of!(s), "forge:address"),
            });
        }
    }
    for g in ec2
        .describe_internet_gateways()
        .send()
        .await
        .unwrap()
        .internet_gateways()
    {
        let attached_default = g.attachments().iter().any(|a| !in_ours(a.vpc_id()));
        if !attached_default {
            out.push(Live {
                kind: "igw",
                id: g.internet_gateway_id().unwrap_or_default().into(),
                address: tag(tags_of!(g), "forge:address"),
            });
        }
    }
    for a in ec2.describe_addresses().send().await.unwrap().addresses() {
        out.push(Live {
            kind: "eip",
            id: a.allocation_id().unwrap_or_default().into(),
            address: tag(tags_of!(a), "forge:address"),
        });
    }
    for n in ec2
        .describe_nat_gateways()
        .send()
        .await
        .unwrap()
        .nat_gateways()
    {
        let gone = matches!(
            n.state().map(|s| s.as_str()),
            Some("deleted" | "deleting" | "failed")
        );
        if !gone {
            out.push(Live {
                kind: "nat",
                id: n.nat_gateway_id().unwrap_or_default().into(),
                address: tag(tags_of!(n), "forge:address"),
            });
        }
    }
    for t in ec2
        .describe_route_tables()
        .send()
        .await
        .unwrap()
        .route_tables()
    {
        let main = t.associations().iter().any(|a| a.main() == Some(true));
        if in_ours(t.vpc_id()) && !main {
            out.push(Live {
                kind: "route table",
                id: t.route_table_id().unwrap_or_default().into(),
                address: tag(tags_of!(t), "forge:address"),
            });
        }
    }
    for g in ec2
        .describe_security_groups()
        .send()
        .await
        .unwrap()
        .security_groups()
    {
        if in_ours(g.vpc_id()) && g.group_name() != Some("default") {
            out.push(Live {
                kind: "security group",
                id: g.group_id().unwrap_or_default().into(),
                address: tag(tags_of!(g), "forge:address"),
            });
        }
    }
    out
}

async fn remote_state(s3: &aws_sdk_s3::Client) -> Option<State> {
    let got = s3
        .get_object()
        .bucket(BUCKET)
        .key(format!("{STACK}/dev.json"))
        .send()
        .await
        .ok()?;
    let bytes = got.body.collect().await.unwrap().into_bytes();
    Some(State::from_json(&bytes).unwrap())
}

/// Compares the live objects with the state; returns the problems and
/// the number of addresses with more than one live object.
fn compare(live: &[Live], state: &State) -> (Vec<String>, usize) {
    let mut problems = Vec::new();
    let ids: BTreeMap<&str, String> = state
        .resources
        .iter()
        .filter_map(|r| Some((r.id.as_deref()?, r.address.to_string())))
        .collect();
    for r in &state.resources {
        if r.id.is_none() || r.pending.is_some() {
            problems.push(format!(
                "{} is not settled in state: {:?}",
                r.address, r.pending
            ));
        }
    }
    if ids.len() != RESOURCES {
        problems.push(format!(
            "state holds {} resources, expected {RESOURCES}",
            ids.len()
        ));
    }
    let mut per_address: BTreeMap<String, usize> = BTreeMap::new();
    for l in live {
        if let Some(a) = &l.address {
            *per_address.entry(a.clone()).or_default() += 1;
        }
        match ids.get(l.id.as_str()) {
            None => problems.push(format!(
                "{} {} ({:?}) exists but state does not hold it",
                l.kind, l.id, l.address
            )),
            Some(addr) if l.address.as_ref() != Some(addr) => problems.push(format!(
                "{} {} is tagged {:?} but recorded as {addr}",
                l.kind, l.id, l.address
            )),
            Some(_) => {}
        }
    }
    for (id, addr) in &ids {
        let n = live.iter().filter(|l| l.id == *id).count();
        if n != 1 {
            problems.push(format!("{addr} ({id}) is live {n} times"));
        }
    }
    let duplicates = per_address.values().filter(|n| **n > 1).count();
    if duplicates > 0 {
        problems.push(format!("duplicated addresses: {per_address:?}"));
    }
    (problems, duplicates)
}

struct Row {
    trial: usize,
    kill_at: Duration,
    finished_before_kill: bool,
    existing: usize,
    adopted: usize,
    duplicates: usize,
    rerun: Duration,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_never_duplicates_or_orphans() {
    let seed = seed();
    let mut rng = Rng(seed);
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let s3 = emulator.s3(REGION).await;
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let ec2 = emulator.ec2(REGION).await;
    let mut env = emulator.env();
    env.push(("FORGE_LOCK_TTL".into(), "3s".into()));
    let forge = Forge::new(env).unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::getting_started_network().unwrap_or_else(|e| panic!("{e}"));
    stack.edit(
        "stack.yaml",
        "state:\n  backend: local\n",
        &format!(
            "state:\n  backend: s3\n  bucket: {BUCKET}\n  key: \"${{stack}}/${{env}}.json\"\n  region: us-east-1\n"
        ),
    );
    let arg = stack.arg();
    let run = |args: &[&str]| -> RunOutput {
        let mut full = vec![args[0], arg.as_str(), "-e", "dev"];
        full.extend_from_slice(&args[1..]);
        forge
            .run(stack.path(), &full)
            .unwrap_or_else(|e| panic!("{e}"))
    };

    // Calibration: how long an uninterrupted apply takes here, once warm
    // (the first run also pays for the emulator's lazy imports).
    let mut span = Duration::MAX;
    for _ in 0..3 {
        let full = run(&["apply", "--auto-approve"]);
        full.expect_success();
        span = span.min(full.elapsed);
        run(&["destroy", "--auto-approve"]).expect_success();
    }
    println!("an uninterrupted apply takes {:.2}s", span.as_secs_f64());

    let n = trials();
    let mut rows = Vec::new();
    for trial in 0..n {
        // Stratified: trial i is killed somewhere in the i-th slice of the
        // apply's length (plus a little before the start), so the moments
        // cover start-up, locking, intents, creates and the last writes.
        let frac = (trial as f64 + rng.next_f64()) / n as f64;
        let kill_at = span.mul_f64(frac * 1.05);
        let mut cmd = Command::new(&forge.bin);
        cmd.args(["apply", &arg, "-e", "dev", "--auto-approve"])
            .current_dir(stack.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .env("NO_COLOR", "1")
            .env("FORGE_NO_PROGRESS", "1");
        for (k, v) in &forge.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let started = Instant::now();
        let mut finished_before_kill = false;
        while started.elapsed() < kill_at {
            if child.try_wait().unwrap().is_some() {
                finished_before_kill = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        // std's kill is SIGKILL on Unix: no handler runs, nothing is saved.
        let _ = child.kill();
        let _ = child.wait();
        let existing = live(&ec2).await.len();

        let rerun = run(&["apply", "--auto-approve", "--lock-timeout", "2m"]);
        rerun.expect_success();
        let adopted = rerun.stdout.matches("will be adopted (created").count();
        let state = remote_state(&s3)
            .await
            .unwrap_or_else(|| panic!("trial {trial}: no state after the rerun\n{rerun}"));
        let now = live(&ec2).await;
        let (problems, duplicates) = compare(&now, &state);
        assert!(
            problems.is_empty(),
            "trial {trial} (seed {seed}, killed at {kill_at:?}):\n  - {}\n\nrerun:\n{rerun}",
            problems.join("\n  - ")
        );
        assert!(
            adopted <= existing,
            "trial {trial}: adopted {adopted} but only {existing} existed\n{rerun}"
        );

        let destroyed = run(&["destroy", "--auto-approve"]);
        destroyed.expect_success();
        let left = leftovers(&ec2).await.unwrap();
        assert!(
            left.is_empty(),
            "trial {trial}: left after destroy: {left:?}\n{destroyed}"
        );
        let untagged = live(&ec2).await;
        assert!(
            untagged.is_empty(),
            "trial {trial}: left after destroy: {untagged:?}"
        );
        rows.push(Row {
            trial,
            kill_at,
            finished_before_kill,
            existing,
            adopted,
            duplicates,
            rerun: rerun.elapsed,
        });
    }

    println!(
        "\nseed {seed}, {n} trials, full apply {:.2}s",
        span.as_secs_f64()
    );
    println!(
        "trial | kill at (s) | resources existing at kill | adopted on rerun | duplicates | rerun (s)"
    );
    println!(
        "----- | ----------- | -------------------------- | ---------------- | ---------- | ---------"
    );
    for r in &rows {
        println!(
            "{:>5} | {:>11.3}{} | {:>26} | {:>16} | {:>10} | {:>9.2}",
            r.trial,
            r.kill_at.as_secs_f64(),
            if r.finished_before_kill { "*" } else { " " },
            r.existing,
            r.adopted,
            r.duplicates,
            r.rerun.as_secs_f64()
        );
    }
    println!("(* = the apply had already finished when the kill was due)");
    assert!(
        rows.iter()
            .any(|r| r.existing > 0 && r.existing < RESOURCES),
        "no kill landed in the middle of the creates: the test proved little"
    );
}
