//! Issue 17, check 4: the whole reference tree (`specs/`: four stacks, two
//! of them split into network -> data -> app units, every environment) as
//! a team runs it, against one emulator:
//! - `forge stacks . --json` orders the units in levels;
//! - `forge apply . --all --all-envs` applies everything (secrets given as
//!   `FORGE_VAR_`, as a pipeline gives them);
//! - `forge drift . --all --all-envs` exits 0 **with no secret given**
//!   (a sensitive var without a value is unknown to read-only commands);
//! - one change made behind forge's back through the SDK makes it exit 2
//!   and name the resource;
//! - `forge destroy . --all --all-envs` leaves nothing.
//!
//! It prints its figures: for devops-app and terragrunt-starter (16 unit-
//! environments), the wall time and AWS requests of one `forge apply` per
//! unit and environment in turn against run-all; then the whole tree's
//! run-all apply and drift check.

use aws_sdk_ec2::types::AttributeBooleanValue;
use forge_e2e::{Emulator, FaultConfig, Forge, Proxy, RunOutput, StackCopy, repo_root};
use serde_json::Value as Json;
use std::time::{Duration, Instant};

const SECRETS: &[(&str, &str)] = &[
    ("FORGE_VAR_db_password", "Not-a-real-password-0001"),
    ("FORGE_VAR_app_secret", "not-a-real-secret-0001"),
];

/// The state buckets of the tree (the `state:` blocks of specs/*), made
/// with `forge state bootstrap` as docs/state.md says.
const BUCKETS: &[(&str, &str)] = &[
    ("devops-app-test-forge-state", "us-east-1"),
    ("devops-app-qa-forge-state", "us-east-1"),
    ("devops-app-staging-forge-state", "us-east-1"),
    ("devops-app-prod-forge-state", "us-east-1"),
    ("multi-env-forge-state", "us-east-1"),
    ("terragrunt-starter-forge-state", "us-east-1"),
    ("ai-tools-forge-state", "eu-central-1"),
];

struct Tree {
    emulator: Emulator,
    proxy: Proxy,
    forge: Forge,
    specs: StackCopy,
}

impl Tree {
    /// `forge ARGS` in the copy of `specs/`, with `env` added.
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> RunOutput {
        self.forge
            .spawn(self.specs.path(), args, env)
            .and_then(|r| r.wait())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Runs `args`, counting the AWS requests it makes.
    fn counted(&self, args: &[&str], env: &[(&str, &str)]) -> (RunOutput, u64) {
        self.proxy.reset_counts();
        let out = self.run(args, env);
        (out, self.proxy.total())
    }
}

/// The stacks' paths of each level of `forge stacks --json`.
fn levels(listing: &Json) -> Vec<Vec<String>> {
    listing["levels"]
        .as_array()
        .map(|levels| {
            levels
                .iter()
                .map(|l| {
                    l.as_array()
                        .map(|s| {
                            s.iter()
                                .filter_map(|p| p.as_str().map(String::from))
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_reference_tree_runs_all_and_drift_needs_no_secrets() {
    forge_e2e::require_emulator!("counts requests through the fault proxy");
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let proxy =
        Proxy::start(&emulator.endpoint, FaultConfig::none()).unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(proxy.env()).unwrap_or_else(|e| panic!("{e}"));
    let specs = StackCopy::of(&repo_root().join("specs")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir(specs.path().join(".git")).unwrap_or_else(|e| panic!("{e}"));
    // ai-tools runs each environment in its own account, so its log groups
    // have one name in all three (/ecs/ai-tools-api); one emulator is one
    // account, where the second environment would (rightly) be refused an
    // object the first one owns. Here the names carry the environment.
    let compute = specs
        .read("ai-tools/app/compute.yaml")
        .unwrap_or_else(|e| panic!("{e}"));
    let per_env = compute.replace(
        "log_group_name: \"/ecs/${stack}-${each.key}\"",
        "log_group_name: \"/ecs/${stack}-${env}-${each.key}\"",
    );
    assert_ne!(per_env, compute, "ai-tools' log group names moved");
    specs
        .write("ai-tools/app/compute.yaml", &per_env)
        .unwrap_or_else(|e| panic!("{e}"));
    let t = Tree {
        emulator,
        proxy,
        forge,
        specs,
    };

    // The tree, in levels: units after what they read from; the modules
    // folder is not a stack.
    let out = t.run(&["stacks", ".", "--json"], &[]);
    out.expect_success();
    let listing: Json = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(
        levels(&listing),
        [
            vec![
                "ai-tools/network",
                "devops-app",
                "multi-env",
                "terragrunt-starter/network"
            ],
            vec![
                "ai-tools/data",
                "terragrunt-starter/app",
                "terragrunt-starter/data"
            ],
            vec!["ai-tools/app"],
        ],
        "{out}"
    );
    let runs = listing["runs"].as_array().map_or(0, Vec::len);
    assert_eq!(runs, 4 + 3 + 3 * 4 + 3 * 3, "{out}");

    for (bucket, region) in BUCKETS {
        t.run(
            &["state", "bootstrap", "--bucket", bucket, "--region", region],
            &[],
        )
        .expect_success();
        // The bucket policy refuses plain HTTP, which the emulator speaks.
        t.emulator
            .s3(region)
            .await
            .delete_bucket_policy()
            .bucket(*bucket)
            .send()
            .await
            .unwrap_or_else(|e| panic!("DeleteBucketPolicy {bucket}: {e:?}"));
    }

    // The same units two ways, for the figures: devops-app (four
    // independent environments) and terragrunt-starter (four environments
    // of network -> data, network -> app). First one stack at a time, each
    // unit and environment its own `forge apply`, in dependency order
    // (protections off, so they go again at once) ...
    let unprotect: Vec<(&str, &str)> = SECRETS
        .iter()
        .chain(&[
            ("FORGE_VAR_deletion_protection", "false"),
            ("FORGE_VAR_skip_final_snapshot", "true"),
        ])
        .copied()
        .collect();
    let compared: [(&str, &[&str]); 4] = [
        ("devops-app", &["test", "qa", "staging", "prod"]),
        (
            "terragrunt-starter/network",
            &["dev", "staging", "uat", "prod"],
        ),
        (
            "terragrunt-starter/data",
            &["dev", "staging", "uat", "prod"],
        ),
        ("terragrunt-starter/app", &["dev", "staging", "uat", "prod"]),
    ];
    let compared_units: usize = compared.iter().map(|(_, envs)| envs.len()).sum();
    let started = Instant::now();
    let mut sequential_requests = 0;
    for (stack, envs) in compared {
        for env in envs {
            let (out, n) = t.counted(&["apply", stack, "-e", env, "--auto-approve"], &unprotect);
            out.expect_success();
            sequential_requests += n;
        }
    }
    let sequential = started.elapsed();
    for stack in ["devops-app", "terragrunt-starter"] {
        t.run(
            &["destroy", stack, "--all", "--all-envs", "--auto-approve"],
            &unprotect,
        )
        .expect_success();
    }
    // ... then the same with run-all, one command per stack.
    let started = Instant::now();
    let mut run_all_requests = 0;
    for stack in ["devops-app", "terragrunt-starter"] {
        let (out, n) = t.counted(
            &["apply", stack, "--all", "--all-envs", "--auto-approve"],
            SECRETS,
        );
        out.expect_success();
        run_all_requests += n;
    }
    let run_all_compared = started.elapsed();

    // The whole tree at once, in dependency order.
    // (devops-app and terragrunt-starter are applied already: no changes.)
    let (out, apply_requests) = t.counted(
        &["apply", ".", "--all", "--all-envs", "--auto-approve"],
        SECRETS,
    );
    out.expect_success();
    let run_all = out.elapsed;
    // Every unit finished; those applied above have nothing left to do.
    let finished = out
        .stdout
        .lines()
        .filter(|l| l.contains(" ok ") || l.contains(" no changes "))
        .count();
    assert_eq!(finished, runs, "{out}");

    // Read-only, with no secret given: no drift anywhere.
    let (out, drift_requests) = t.counted(&["drift", ".", "--all", "--all-envs"], &[]);
    out.expect_code(0);
    let drift_time = out.elapsed;

    // A change behind forge's back: DNS hostnames off on terragrunt-starter
    // dev's VPC (made by the network module of its network unit).
    let ec2 = t.emulator.ec2("us-east-1").await;
    let vpc = forge_e2e::network::vpc_named(&ec2, "terragrunt-starter-dev-vpc")
        .await
        .unwrap_or_else(|| panic!("no terragrunt-starter-dev-vpc"));
    ec2.modify_vpc_attribute()
        .vpc_id(&vpc)
        .enable_dns_hostnames(AttributeBooleanValue::builder().value(false).build())
        .send()
        .await
        .unwrap_or_else(|e| panic!("ModifyVpcAttribute: {e:?}"));
    let out = t.run(&["drift", ".", "--all", "--all-envs"], &[]);
    out.expect_code(2);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        all.contains("terragrunt-starter/network") && all.contains("module.network.vpc"),
        "{out}"
    );
    let drifted: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| {
            let l = l.trim_end();
            l.ends_with(" drift") && !l.ends_with("no drift")
        })
        .collect();
    assert_eq!(drifted.len(), 1, "one unit drifted: {drifted:?}\n{out}");

    // Tear down: protections off (an apply), then destroy in reverse order.
    let unprotect = [
        ("FORGE_VAR_deletion_protection", "false"),
        ("FORGE_VAR_skip_final_snapshot", "true"),
    ];
    let env: Vec<(&str, &str)> = SECRETS.iter().chain(&unprotect).copied().collect();
    t.run(
        &["apply", ".", "--all", "--all-envs", "--auto-approve"],
        &env,
    )
    .expect_success();
    let out = t.run(
        &["destroy", ".", "--all", "--all-envs", "--auto-approve"],
        &env,
    );
    out.expect_success();
    let left = forge_e2e::network::leftovers(&ec2)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(left.is_empty(), "left in us-east-1: {left:?}\n{out}");
    let ec2_eu = t.emulator.ec2("eu-central-1").await;
    let left = forge_e2e::network::leftovers(&ec2_eu)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(left.is_empty(), "left in eu-central-1: {left:?}\n{out}");

    let secs = |d: Duration| d.as_secs_f64();
    println!(
        "devops-app + terragrunt-starter ({compared_units} unit-environments): one at a time {:.1}s ({sequential_requests} requests), run-all {:.1}s ({run_all_requests} requests)",
        secs(sequential),
        secs(run_all_compared)
    );
    println!(
        "the whole tree ({runs} unit-environments, {} to create): run-all apply {:.1}s, {apply_requests} requests",
        runs - compared_units,
        secs(run_all)
    );
    println!(
        "drift --all --all-envs (no secrets): {:.1}s, {drift_requests} requests",
        secs(drift_time)
    );
}
