//! Issue 18, end to end: the ai-tools reference stack (specs/ai-tools, three
//! units: network, data, app; two regions; NAT, ALB, ECS services, an
//! Aurora global database with a secondary in ap-southeast-1, Redis) in its
//! dev environment, applied and destroyed with `forge ... --all` against
//! the emulator in real time, scaled (see real_time.rs). Nothing may be
//! refused: the Aurora writer waits for its creating cluster, the secondary
//! cluster for the writer, the app unit for the data unit; on destroy the
//! subnet groups, subnets and keys wait for the slow deletions that use
//! them.
//!
//! A test of ordering and waits, not of speed: forge's wall time and
//! polling requests are printed next to the critical path and the model of
//! Terraform's walk (run with `--nocapture`), never asserted.

use forge_e2e::leftovers;
use forge_e2e::realtime::{counters, durations, refused, reset_counters, start_scaled};
use forge_e2e::walk_model::Unit;
use forge_e2e::walk_model::figures::{Measured, forge_graph, report_both};
use forge_e2e::{Emulator, Forge, RunOutput, StackCopy, repo_root};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// As in real_time.rs: real durations times this (the Aurora writer takes
/// 6 s); `FORGE_REAL_TIME_SCALE` overrides it.
const SCALE: &str = "0.01";

const REGIONS: &[&str] = &["eu-central-1", "ap-southeast-1"];
const STATE_BUCKET: &str = "ai-tools-forge-state";

/// The units in dependency order, with the units each reads
/// (specs/ai-tools/*/main.yaml `dependencies:`).
const UNITS: &[(&str, &[usize])] = &[("network", &[]), ("data", &[0]), ("app", &[0, 1])];

/// The database password, given as a pipeline gives secrets.
const VARS: &[(&str, &str)] = &[("FORGE_VAR_db_password", "Not-a-real-password-0001")];

struct World {
    emulator: Emulator,
    forge: Forge,
    /// A private copy of specs/ (the units use ../../modules), as a
    /// repository: includes stay inside its work tree.
    specs: StackCopy,
}

impl World {
    fn start() -> World {
        let (emulator, forge) = start_scaled(SCALE);
        let specs = StackCopy::of(&repo_root().join("specs")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir(specs.path().join(".git")).unwrap_or_else(|e| panic!("{e}"));
        World {
            emulator,
            forge,
            specs,
        }
    }

    fn dir(&self) -> PathBuf {
        self.specs.path().join("ai-tools")
    }

    /// `forge ARGS` in the stack's folder with the vars; its wall time.
    fn run(&self, args: &[&str]) -> (RunOutput, f64) {
        run_in(&self.forge, &self.dir(), args)
    }

    /// The state bucket, made the way docs/state.md tells a user to; its
    /// TLS-only policy removed (the emulator speaks plain HTTP).
    async fn bootstrap_state(&self) {
        let region = REGIONS[0];
        let args = [
            "state",
            "bootstrap",
            "--bucket",
            STATE_BUCKET,
            "--region",
            region,
        ];
        run_in(&self.forge, self.specs.path(), &args)
            .0
            .expect_success();
        self.emulator
            .s3(region)
            .await
            .delete_bucket_policy()
            .bucket(STATE_BUCKET)
            .send()
            .await
            .unwrap_or_else(|e| panic!("DeleteBucketPolicy: {e:?}"));
    }

    /// Asserts the emulator refused nothing since its counters were zeroed.
    fn assert_nothing_refused(&self, during: &str, out: &RunOutput) {
        let refused = refused(&counters(&self.emulator));
        assert!(
            refused.is_empty(),
            "AWS would have refused these calls during {during}:\n  {}\n\n{out}",
            refused.join("\n  ")
        );
    }
}

fn run_in(forge: &Forge, cwd: &Path, args: &[&str]) -> (RunOutput, f64) {
    let started = Instant::now();
    let out = forge
        .spawn(cwd, args, VARS)
        .and_then(|r| r.wait())
        .unwrap_or_else(|e| panic!("{e}"));
    (out, started.elapsed().as_secs_f64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ai_tools_dev_applies_and_destroys_in_order() {
    let w = World::start();
    let table = durations(&w.emulator);
    let scale = table["scale"].as_f64().unwrap_or(0.0);
    assert!(scale > 0.0, "the emulator is not time-scaled: {table}");
    w.bootstrap_state().await;

    reset_counters(&w.emulator);
    let (apply, apply_secs) = w.run(&["apply", ".", "--all", "-e", "dev", "--auto-approve"]);
    apply.expect_success();
    w.assert_nothing_refused("apply", &apply);
    let applied = counters(&w.emulator);

    // Settled: every unit plans no change, and nothing drifted.
    reset_counters(&w.emulator);
    for (unit, _) in UNITS {
        let (plan, _) = w.run(&["plan", unit, "-e", "dev", "--detailed-exitcode"]);
        plan.expect_code(0);
    }
    let (drift, _) = w.run(&["drift", ".", "--all", "-e", "dev"]);
    drift.expect_code(0);
    w.assert_nothing_refused("plan and drift", &drift);

    // Destroy, app then data then network: the Aurora instances, clusters
    // and Redis are `deleting` for minutes, the NAT gateway for one; what
    // they use goes only after them.
    reset_counters(&w.emulator);
    let (destroy, destroy_secs) = w.run(&["destroy", ".", "--all", "-e", "dev", "--auto-approve"]);
    destroy.expect_success();
    w.assert_nothing_refused("destroy", &destroy);
    let destroyed = counters(&w.emulator);
    let left = leftovers::of_stack(&w.emulator, "ai-tools", REGIONS).await;
    assert!(
        left.is_empty(),
        "left after destroy:\n  - {}\n\n{destroy}",
        left.join("\n  - ")
    );

    // Figures over the graphs forge builds of each unit.
    let units: Vec<Unit> = UNITS
        .iter()
        .map(|(name, waits_for)| Unit {
            name: name.to_string(),
            graph: forge_graph(&w.forge, &w.dir(), &[name, "-e", "dev"], VARS),
            waits_for: waits_for.to_vec(),
        })
        .collect();
    let (apply, destroy) = (
        Measured::new(apply_secs, &applied),
        Measured::new(destroy_secs, &destroyed),
    );
    print!(
        "{}",
        report_both("ai-tools dev", &units, &table, &apply, &destroy)
    );
}
