//! Issue 18, "fewer requests on a fresh apply": the AWS requests a fresh
//! `forge apply` costs, counted per action by the proxy forge talks
//! through. Real accounts throttle big applies, so the objects a create
//! leaves to be read back are read by the engine's batched poller, one
//! describe per kind, region and credentials for all the creates that
//! finish together (docs/engine.md, "Read-back after create"):
//! - a wave of security groups and target groups (one stack, made here)
//!   is read back with one `DescribeSecurityGroups`, one
//!   `DescribeTargetGroups` and one ELBv2 `DescribeTags`;
//! - getting-started dev (network and app tier) and the devops-app
//!   reference stack (test) stay within their request budgets on a fresh
//!   apply, and their no-op plans cost no more than before the read-backs
//!   were batched.
//!
//! Each test prints its per-action figures for the apply and the no-op
//! plan (`cargo test --test fresh_apply_requests -- --nocapture`).

use forge_e2e::{
    Emulator, FaultConfig, Forge, Proxy, RunOutput, StackCopy, getting_started_dir, repo_root,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Requests per action.
type Counts = BTreeMap<String, u64>;

/// One stack's world: an emulator, the counting proxy forge talks
/// through, and a private copy of the stack.
struct World {
    emulator: Emulator,
    proxy: Proxy,
    forge: Forge,
    copy: StackCopy,
}

impl World {
    fn new(src: &Path, env: &[(&str, &str)]) -> World {
        let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
        let proxy =
            Proxy::start(&emulator.endpoint, FaultConfig::none()).unwrap_or_else(|e| panic!("{e}"));
        let mut vars = proxy.env();
        vars.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let forge = Forge::new(vars).unwrap_or_else(|e| panic!("{e}"));
        let copy = StackCopy::of(src).unwrap_or_else(|e| panic!("{e}"));
        World {
            emulator,
            proxy,
            forge,
            copy,
        }
    }

    fn run(&self, dir: &Path, args: &[&str]) -> RunOutput {
        self.forge.run(dir, args).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// What one stack cost.
struct Measured {
    name: &'static str,
    resources: u64,
    apply: Counts,
    plan: Counts,
}

fn total(counts: &Counts) -> u64 {
    counts.values().sum()
}

fn count(counts: &Counts, key: &str) -> u64 {
    counts.get(key).copied().unwrap_or(0)
}

impl Measured {
    /// Prints the figures: totals, then every action's count in the apply
    /// and in the no-op plan.
    fn print(&self) {
        println!(
            "{}: {} resources; fresh apply {} requests ({:.2} per resource); no-op plan {} requests",
            self.name,
            self.resources,
            total(&self.apply),
            total(&self.apply) as f64 / self.resources.max(1) as f64,
            total(&self.plan)
        );
        let keys: std::collections::BTreeSet<&String> =
            self.apply.keys().chain(self.plan.keys()).collect();
        println!("  {:<52} {:>6} {:>6}", "action", "apply", "plan");
        for k in keys {
            println!(
                "  {k:<52} {:>6} {:>6}",
                count(&self.apply, k),
                count(&self.plan, k)
            );
        }
    }

    /// Within the budgets of a stack: the fresh apply's and the no-op
    /// plan's total requests.
    fn check(&self, budget: Budget) {
        let (apply, plan) = (total(&self.apply), total(&self.plan));
        assert!(
            apply <= budget.apply,
            "{}: a fresh apply of {} resources cost {apply} requests (budget {})",
            self.name,
            self.resources,
            budget.apply
        );
        assert!(
            plan <= budget.plan,
            "{}: the no-op plan cost {plan} requests (budget {})",
            self.name,
            budget.plan
        );
    }
}

/// What a stack may cost.
struct Budget {
    /// Requests of the fresh apply: what it cost once read-backs were
    /// batched, with a little room for a create answered after its
    /// kind's read-back window closed on a loaded machine.
    apply: u64,
    /// Requests of the no-op plan afterwards: what it cost before read-
    /// backs were batched (they must not make it dearer).
    plan: u64,
}

/// The number of lines `forge state list` prints.
fn state_list_len(w: &World, dir: &Path, args: &[&str]) -> u64 {
    let mut all = vec!["state", "list"];
    all.extend_from_slice(args);
    let out = w.run(dir, &all);
    out.expect_success();
    out.stdout.lines().filter(|l| !l.trim().is_empty()).count() as u64
}

#[test]
fn getting_started_dev_fresh_apply_is_batched() {
    let w = World::new(&getting_started_dir(), &[]);
    let dir = w.copy.path().to_path_buf();
    w.proxy.reset_counts();
    w.run(&dir, &["apply", ".", "-e", "dev", "--auto-approve"])
        .expect_success();
    let apply = w.proxy.counts();
    w.proxy.reset_counts();
    w.run(&dir, &["plan", ".", "-e", "dev", "--detailed-exitcode"])
        .expect_code(0);
    let plan = w.proxy.counts();
    let resources = state_list_len(&w, &dir, &[".", "-e", "dev"]);
    let m = Measured {
        name: "getting-started dev (network + app tier)",
        resources,
        apply,
        plan,
    };
    m.print();
    // Before batching: apply 129, plan 57.
    m.check(Budget {
        apply: 126,
        plan: 57,
    });
    w.run(&dir, &["destroy", ".", "-e", "dev", "--auto-approve"])
        .expect_success();
    drop(w.emulator);
}

fn specs_dir() -> PathBuf {
    repo_root().join("specs")
}

#[tokio::test(flavor = "multi_thread")]
async fn devops_app_fresh_apply_is_batched() {
    const BUCKET: &str = "devops-app-test-forge-state";
    let w = World::new(
        &specs_dir(),
        &[("FORGE_VAR_app_secret", "not-a-real-secret-0001")],
    );
    // Includes of `../_envcommon/` stay inside the repository root: the
    // copy stands for one.
    std::fs::create_dir(w.copy.path().join(".git")).unwrap_or_else(|e| panic!("{e}"));
    let dir = w.copy.path().join("devops-app");
    w.run(
        &dir,
        &[
            "state",
            "bootstrap",
            "--bucket",
            BUCKET,
            "--region",
            "us-east-1",
        ],
    )
    .expect_success();
    // The bucket policy refuses requests without TLS; the emulator speaks
    // plain HTTP (tests/tests/s3_state.rs checks the policy).
    w.emulator
        .s3("us-east-1")
        .await
        .delete_bucket_policy()
        .bucket(BUCKET)
        .send()
        .await
        .unwrap_or_else(|e| panic!("DeleteBucketPolicy {BUCKET}: {e:?}"));
    w.proxy.reset_counts();
    w.run(&dir, &["apply", ".", "-e", "test", "--auto-approve"])
        .expect_success();
    let apply = w.proxy.counts();
    w.proxy.reset_counts();
    w.run(&dir, &["plan", ".", "-e", "test", "--detailed-exitcode"])
        .expect_code(0);
    let plan = w.proxy.counts();
    let resources = state_list_len(&w, &dir, &[".", "-e", "test"]);
    let m = Measured {
        name: "devops-app test",
        resources,
        apply,
        plan,
    };
    m.print();
    // Before batching: apply 121 (21 of them state writes), plan 43.
    m.check(Budget {
        apply: 117,
        plan: 43,
    });
}

/// One VPC, then four security groups and three target groups in one
/// wave: each kind's creates are read back with one describe.
const WAVE: &str = r#"
stack: waves
region: us-east-1
state:
  backend: local
resources:
  vpc:
    type: aws.ec2.vpc
    cidr_block: 10.42.0.0/16
  sg:
    type: aws.ec2.security_group
    for_each: [a, b, c, d]
    group_name: "waves-${each.key}"
    vpc_id: "${vpc.id}"
    ingress:
      - {ip_protocol: tcp, from_port: 443, to_port: 443, cidr_ipv4: 10.0.0.0/8}
    egress:
      - {ip_protocol: "-1", cidr_ipv4: 0.0.0.0/0}
  tg:
    type: aws.elbv2.target_group
    for_each: [a, b, c]
    name: "waves-${each.key}"
    port: 80
    protocol: HTTP
    target_type: ip
    vpc_id: "${vpc.id}"
"#;

#[test]
fn a_wave_of_creates_is_read_back_once_per_kind() {
    let copy = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
    copy.write("stack.yaml", WAVE)
        .unwrap_or_else(|e| panic!("{e}"));
    let w = World::new(copy.path(), &[]);
    let dir = w.copy.path().to_path_buf();
    w.proxy.reset_counts();
    w.run(&dir, &["apply", ".", "--auto-approve"])
        .expect_success();
    let apply = w.proxy.counts();
    w.proxy.reset_counts();
    w.run(&dir, &["plan", ".", "--detailed-exitcode"])
        .expect_code(0);
    let plan = w.proxy.counts();
    let m = Measured {
        name: "one wave: 4 security groups, 3 target groups",
        resources: state_list_len(&w, &dir, &["."]),
        apply,
        plan,
    };
    m.print();
    assert_eq!(m.resources, 8);
    let apply = &m.apply;
    assert_eq!(count(apply, "ec2:CreateSecurityGroup"), 4);
    // One read-back of the four groups (the other DescribeSecurityGroups
    // is the VPC's, for its default group); each group's create reads its
    // rules once itself, for AWS's default egress rule (before batching:
    // 5 DescribeSecurityGroups, 8 DescribeSecurityGroupRules).
    assert_eq!(
        count(apply, "ec2:DescribeSecurityGroups"),
        1 + 1,
        "{apply:?}"
    );
    assert_eq!(
        count(apply, "ec2:DescribeSecurityGroupRules"),
        4 + 1,
        "{apply:?}"
    );
    // Before batching: 3 DescribeTargetGroups, 3 DescribeTags.
    assert_eq!(
        count(apply, "elasticloadbalancing:DescribeTargetGroups"),
        1,
        "{apply:?}"
    );
    assert_eq!(
        count(apply, "elasticloadbalancing:DescribeTags"),
        1,
        "{apply:?}"
    );
}
