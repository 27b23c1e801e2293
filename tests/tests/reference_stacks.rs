//! Issue 9, end to end: every reference stack in `specs/` and every one of
//! its environments, with the real `forge` binary against its own emulator:
//! `forge validate`; `forge apply --auto-approve`; the key properties
//! verified independently through the AWS SDK (CIDRs, subnets per tier, NAT
//! gateways per environment, encryption, deletion protection, instance
//! classes, desired counts, both regions of a multi-region stack); `forge
//! plan --detailed-exitcode` exits 0 (its AWS requests counted by the
//! proxy); `forge drift` exits 0; protections switched off the way a user
//! would (a `--var` and an apply) where an environment has them; `forge
//! destroy --auto-approve`; nothing of the stack left in any service.
//!
//! Stack-environments run with bounded concurrency across the whole test
//! process (`FORGE_MATRIX_PARALLEL`, default 3: the machine has 2 cores and
//! each emulator is a Python process). Each prints its figures: resources,
//! apply wall time, no-op plan requests, destroy wall time.

use forge_e2e::leftovers;
use forge_e2e::network::STACK_TAG;
use forge_e2e::{Emulator, FaultConfig, Forge, Proxy, RunOutput, StackCopy, repo_root};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Values a real user gives forge, as `FORGE_VAR_<name>` (secrets are never
/// written in the specs).
const SECRET_VARS: &[&str] = &["app_secret=not-a-real-secret-0001"];
const DB_PASSWORD: &str = "db_password=Not-a-real-password-0001";

// ---------------------------------------------------------------------------
// The matrix runner

/// A counting semaphore over the whole test process, so the four stack
/// tests together never run more than `FORGE_MATRIX_PARALLEL` emulators.
struct Slots {
    free: Mutex<usize>,
    cond: Condvar,
}

static SLOTS: Slots = Slots {
    free: Mutex::new(usize::MAX),
    cond: Condvar::new(),
};

struct SlotGuard;

impl Slots {
    fn acquire(&'static self) -> SlotGuard {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        if *free == usize::MAX {
            *free = std::env::var("FORGE_MATRIX_PARALLEL")
                .ok()
                .and_then(|v| v.parse().ok())
                .filter(|n| *n > 0)
                .unwrap_or(3);
        }
        while *free == 0 {
            free = self.cond.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        SlotGuard
    }
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        let mut free = SLOTS.free.lock().unwrap_or_else(|e| e.into_inner());
        *free += 1;
        SLOTS.cond.notify_one();
    }
}

/// What one stack-environment measured.
#[derive(Debug, Clone)]
struct Figures {
    stack: String,
    env: String,
    resources: usize,
    apply: Duration,
    plan_requests: u64,
    destroy: Duration,
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:<19} {:<8} resources {:>3}  apply {:>6.1}s  no-op plan {:>4} requests  destroy {:>6.1}s",
            self.stack,
            self.env,
            self.resources,
            self.apply.as_secs_f64(),
            self.plan_requests,
            self.destroy.as_secs_f64()
        )
    }
}

/// One stack-environment's world: its emulator, the counting proxy forge
/// talks through, and a private copy of `specs/` (the stacks include
/// shared files from `specs/_envcommon/`, so the whole folder is copied).
struct World {
    emulator: Emulator,
    proxy: Proxy,
    forge: Forge,
    specs: StackCopy,
    stack: String,
    env: String,
    vars: Vec<String>,
}

impl World {
    fn new(stack: &str, env: &str, vars: &[&str]) -> World {
        let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
        let proxy =
            Proxy::start(&emulator.endpoint, FaultConfig::none()).unwrap_or_else(|e| panic!("{e}"));
        let forge = Forge::new(proxy.env()).unwrap_or_else(|e| panic!("{e}"));
        let specs = StackCopy::of(&specs_dir()).unwrap_or_else(|e| panic!("{e}"));
        // The copy stands for a repository: includes of `../_envcommon/`
        // must stay inside the stack's root, the enclosing git work tree.
        std::fs::create_dir(specs.path().join(".git")).unwrap_or_else(|e| panic!("{e}"));
        World {
            emulator,
            proxy,
            forge,
            specs,
            stack: stack.to_string(),
            env: env.to_string(),
            vars: vars.iter().map(|v| v.to_string()).collect(),
        }
    }

    /// The stacks keep their state in S3, as a team runs them: the bucket
    /// is made first, the way docs/state.md tells a user to.
    async fn bootstrap_state(&self) {
        let (bucket, _, region) = state_objects(&self.stack, &self.env).remove(0);
        self.forge
            .run(
                self.specs.path(),
                &[
                    "state",
                    "bootstrap",
                    "--bucket",
                    &bucket,
                    "--region",
                    region,
                ],
            )
            .unwrap_or_else(|e| panic!("{e}"))
            .expect_success();
        // The bucket policy refuses requests without TLS, and the emulator
        // speaks plain HTTP (tests/tests/s3_state.rs checks the policy).
        self.emulator
            .s3(region)
            .await
            .delete_bucket_policy()
            .bucket(&bucket)
            .send()
            .await
            .unwrap_or_else(|e| panic!("DeleteBucketPolicy {bucket}: {e:?}"));
    }

    fn dir(&self) -> PathBuf {
        self.specs.path().join(&self.stack)
    }

    /// `forge <cmd> . -e <env> <extra...>` in the stack's folder, or for a
    /// stack split into units `forge <cmd> . --all -e <env> <extra...>`
    /// (run-all, in dependency order). The vars go in as `FORGE_VAR_`, as a
    /// team's pipeline gives secrets (a unit that does not declare one
    /// ignores it).
    fn forge(&self, cmd: &str, extra: &[&str]) -> RunOutput {
        let mut args = vec![cmd, "."];
        if !units(&self.stack).is_empty() {
            args.push("--all");
        }
        args.extend_from_slice(&["-e", self.env.as_str()]);
        args.extend_from_slice(extra);
        self.run_in(&args)
    }

    /// `forge <cmd> <unit> -e <env> <extra...>` for each unit of a split
    /// stack in dependency order (the stack itself when it is not split),
    /// with the vars as `FORGE_VAR_`.
    fn each_unit(&self, cmd: &str, extra: &[&str]) -> Vec<RunOutput> {
        let units = match units(&self.stack) {
            [] => &["."][..],
            units => units,
        };
        units
            .iter()
            .map(|unit| {
                let mut args = vec![cmd, *unit, "-e", self.env.as_str()];
                args.extend_from_slice(extra);
                self.run_in(&args)
            })
            .collect()
    }

    /// Runs forge in the stack's folder with the vars in its environment.
    fn run_in(&self, args: &[&str]) -> RunOutput {
        let env: Vec<(String, String)> = self
            .vars
            .iter()
            .filter_map(|v| v.split_once('='))
            .map(|(k, v)| (format!("FORGE_VAR_{k}"), v.to_string()))
            .collect();
        let extra: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        self.forge
            .spawn(&self.dir(), args, &extra)
            .and_then(|r| r.wait())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The number of resources in the stack's state, read from its S3
    /// object (no local state file is written).
    async fn state_resources(&self) -> usize {
        let mut total = 0;
        for (bucket, key, region) in state_objects(&self.stack, &self.env) {
            total += self.state_object_resources(&bucket, &key, region).await;
        }
        total
    }

    /// The number of resources in one state object (a unit's, or the
    /// stack's), checking no local state was written next to it.
    async fn state_object_resources(&self, bucket: &str, key: &str, region: &str) -> usize {
        for unit in units(&self.stack).iter().chain(&["."]) {
            let local = self.dir().join(unit).join(".forge/state");
            assert!(
                !local.exists(),
                "a local state was written: {}",
                local.display()
            );
        }
        let object = self
            .emulator
            .s3(region)
            .await
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("state s3://{bucket}/{key}: {e:?}"));
        let bytes = object
            .body
            .collect()
            .await
            .unwrap_or_else(|e| panic!("state s3://{bucket}/{key}: {e}"))
            .into_bytes();
        let text = String::from_utf8_lossy(&bytes);
        let json: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("state is not JSON: {e}"));
        json.get("resources")
            .and_then(|r| r.as_array())
            .map_or(0, |r| r.len())
    }

    async fn config(&self, region: &str) -> aws_config::SdkConfig {
        self.emulator.sdk_config(region).await
    }
}

/// The units a stack is split into (network -> data -> app, each a folder
/// with its own state), in dependency order; empty for a one-folder stack.
fn units(stack: &str) -> &'static [&'static str] {
    match stack {
        "ai-tools" | "terragrunt-starter" => &["network", "data", "app"],
        _ => &[],
    }
}

/// Where a reference stack keeps its state (the `state:` blocks of
/// specs/*): bucket, key and region, one per unit (all in one bucket).
fn state_objects(stack: &str, env: &str) -> Vec<(String, String, &'static str)> {
    match stack {
        "devops-app" => vec![(
            format!("devops-app-{env}-forge-state"),
            "devops-app.json".into(),
            "us-east-1",
        )],
        "multi-env" => vec![(
            "multi-env-forge-state".into(),
            format!("multi-env/{env}.json"),
            "us-east-1",
        )],
        other => {
            let region = if other == "ai-tools" {
                "eu-central-1"
            } else {
                "us-east-1"
            };
            units(other)
                .iter()
                .map(|unit| {
                    (
                        format!("{other}-forge-state"),
                        format!("{other}/{unit}/{env}.json"),
                        region,
                    )
                })
                .collect()
        }
    }
}

/// `specs/` in this repository.
fn specs_dir() -> PathBuf {
    repo_root().join("specs")
}

/// Runs every environment of `stack` (bounded concurrency), prints the
/// figures, and fails with every environment's problems at once.
fn run_matrix(stack: &'static str, envs: &[&'static str], vars: &[&'static str]) {
    let started = Instant::now();
    let results: Vec<(String, std::thread::Result<Figures>)> = std::thread::scope(|s| {
        let handles: Vec<_> = envs
            .iter()
            .map(|env| {
                let handle = s.spawn(move || {
                    let _slot = SLOTS.acquire();
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap_or_else(|e| panic!("tokio runtime: {e}"));
                    rt.block_on(run_one(stack, env, vars))
                });
                (env.to_string(), handle)
            })
            .collect();
        handles
            .into_iter()
            .map(|(env, h)| (env, h.join()))
            .collect()
    });
    let mut failed = Vec::new();
    for (env, result) in &results {
        match result {
            Ok(fig) => println!("{fig}"),
            Err(e) => {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "panicked".into());
                failed.push(format!("=== {stack} / {env}\n{msg}"));
            }
        }
    }
    println!(
        "{stack}: {} environments in {:.1}s",
        envs.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

/// The whole life of one stack-environment.
async fn run_one(stack: &str, env: &str, vars: &[&str]) -> Figures {
    let w = World::new(stack, env, vars);
    for out in w.each_unit("validate", &[]) {
        out.expect_success();
    }
    w.bootstrap_state().await;

    let out = w.forge("apply", &["--auto-approve"]);
    out.expect_success();
    let apply = out.elapsed;
    let resources = w.state_resources().await;

    let problems = verify(&w).await;
    assert!(
        problems.is_empty(),
        "{stack} / {env}: the emulator does not hold what the spec says:\n  - {}\n\nafter:\n{out}",
        problems.join("\n  - ")
    );

    w.proxy.reset_counts();
    for out in w.each_unit("plan", &["--detailed-exitcode"]) {
        out.expect_code(0);
    }
    let plan_requests = w.proxy.total();

    w.forge("drift", &[]).expect_code(0);

    // What a user does before tearing down a protected environment: turn
    // the protection off in the spec (here with --var) and apply that.
    let mut w = w;
    if let Some(unprotect) = unprotect_vars(stack, env) {
        w.vars.extend(unprotect.iter().map(|v| v.to_string()));
        let out = w.forge("apply", &["--auto-approve"]);
        out.expect_success();
    }

    let out = w.forge("destroy", &["--auto-approve"]);
    out.expect_success();
    let destroy = out.elapsed;
    let left = leftovers(&w).await;
    assert!(
        left.is_empty(),
        "{stack} / {env}: left after destroy:\n  - {}\n\nafter:\n{out}",
        left.join("\n  - ")
    );

    Figures {
        stack: stack.into(),
        env: env.into(),
        resources,
        apply,
        plan_requests,
        destroy,
    }
}

/// The vars that switch off an environment's deletion protection (and let
/// its databases go without a final snapshot), or `None` if it has none.
fn unprotect_vars(stack: &str, env: &str) -> Option<&'static [&'static str]> {
    const OFF: &[&str] = &["deletion_protection=false", "skip_final_snapshot=true"];
    match (stack, env) {
        ("terragrunt-starter", "uat" | "prod") => Some(OFF),
        ("multi-env", "prod") => Some(OFF),
        ("ai-tools", "production") => Some(OFF),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Independent verification

/// Collects a problem unless `cond` holds.
macro_rules! check {
    ($p:expr, $cond:expr, $($msg:tt)+) => {
        if !$cond {
            $p.push(format!($($msg)+));
        }
    };
}

/// Every problem found in the emulator for this stack-environment.
async fn verify(w: &World) -> Vec<String> {
    let mut p = Vec::new();
    match w.stack.as_str() {
        "devops-app" => verify_devops_app(w, &mut p).await,
        "terragrunt-starter" => verify_terragrunt_starter(w, &mut p).await,
        "multi-env" => verify_multi_env(w, &mut p).await,
        "ai-tools" => verify_ai_tools(w, &mut p).await,
        other => p.push(format!("no verification for stack {other}")),
    }
    p
}

/// A VPC's network as read from EC2.
#[derive(Debug, Default)]
struct Net {
    vpc_id: String,
    cidr: String,
    tags: BTreeMap<String, String>,
    /// Tier tag -> sorted CIDRs.
    tiers: BTreeMap<String, Vec<String>>,
    /// Available NAT gateways.
    nats: usize,
}

fn tag_map(tags: &[aws_sdk_ec2::types::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect()
}

/// Reads the VPC named `name` (its Name tag) and what is in it.
async fn read_net(w: &World, region: &str, name: &str, p: &mut Vec<String>) -> Net {
    use aws_sdk_ec2::types::Filter;
    let ec2 = aws_sdk_ec2::Client::new(&w.config(region).await);
    let by = |k: &str, v: &str| Filter::builder().name(k).values(v).build();
    let vpcs = ec2
        .describe_vpcs()
        .filters(by("tag:Name", name))
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeVpcs: {e:?}"));
    let [vpc] = vpcs.vpcs() else {
        p.push(format!(
            "{region}: expected one VPC named {name}, found {}",
            vpcs.vpcs().len()
        ));
        return Net::default();
    };
    let vpc_id = vpc.vpc_id().unwrap_or_default().to_string();
    let mut net = Net {
        vpc_id: vpc_id.clone(),
        cidr: vpc.cidr_block().unwrap_or_default().to_string(),
        tags: tag_map(vpc.tags()),
        ..Net::default()
    };
    let subnets = ec2
        .describe_subnets()
        .filters(by("vpc-id", &vpc_id))
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeSubnets: {e:?}"));
    for s in subnets.subnets() {
        let tier = tag_map(s.tags()).get("Tier").cloned().unwrap_or_default();
        net.tiers
            .entry(tier)
            .or_default()
            .push(s.cidr_block().unwrap_or_default().to_string());
    }
    for cidrs in net.tiers.values_mut() {
        cidrs.sort_by_key(|c| cidr_key(c));
    }
    let nats = ec2
        .describe_nat_gateways()
        .filter(by("vpc-id", &vpc_id))
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeNatGateways: {e:?}"));
    net.nats = nats
        .nat_gateways()
        .iter()
        .filter(|n| n.state().is_some_and(|s| s.as_str() == "available"))
        .count();
    net
}

/// Sorts dotted quads numerically.
fn cidr_key(cidr: &str) -> Vec<u32> {
    cidr.split(['.', '/'])
        .map(|x| x.parse().unwrap_or(0))
        .collect()
}

/// `10.x.<n>.0/24` for each n, from the VPC's `/16`.
fn subnets_24(vpc_cidr: &str, netnums: std::ops::RangeInclusive<u32>) -> Vec<String> {
    let prefix: Vec<&str> = vpc_cidr.split('.').take(2).collect();
    netnums
        .map(|n| format!("{}.{}.{n}.0/24", prefix[0], prefix[1]))
        .collect()
}

/// The VPC's CIDR, its tiers' subnets and its NAT count.
fn check_net(
    p: &mut Vec<String>,
    net: &Net,
    cidr: &str,
    tiers: &[(&str, std::ops::RangeInclusive<u32>)],
    nats: usize,
) {
    check!(p, net.cidr == cidr, "VPC CIDR {} != {cidr}", net.cidr);
    for (tier, range) in tiers {
        let want = subnets_24(cidr, range.clone());
        let got = net.tiers.get(*tier).cloned().unwrap_or_default();
        check!(p, got == want, "{tier} subnets {got:?} != {want:?}");
    }
    let tiers_found = net.tiers.len();
    check!(
        p,
        tiers_found == tiers.len(),
        "expected {} subnet tiers, found {:?}",
        tiers.len(),
        net.tiers.keys().collect::<Vec<_>>()
    );
    check!(
        p,
        net.nats == nats,
        "{} NAT gateways, expected {nats}",
        net.nats
    );
}

/// Desired count, task size and ports of an ECS service.
struct ServiceExpect<'a> {
    cluster: &'a str,
    service: &'a str,
    desired: i32,
    cpu: &'a str,
    memory: &'a str,
    port: i32,
}

async fn check_service(w: &World, region: &str, e: ServiceExpect<'_>, p: &mut Vec<String>) {
    let ecs = aws_sdk_ecs::Client::new(&w.config(region).await);
    let out = ecs
        .describe_services()
        .cluster(e.cluster)
        .services(e.service)
        .send()
        .await
        .unwrap_or_else(|err| panic!("DescribeServices: {err:?}"));
    let Some(svc) = out.services().first() else {
        p.push(format!("no ECS service {}/{}", e.cluster, e.service));
        return;
    };
    check!(
        p,
        svc.desired_count() == e.desired,
        "{}: desired count {} != {}",
        e.service,
        svc.desired_count(),
        e.desired
    );
    check!(
        p,
        svc.launch_type().map(|l| l.as_str()) == Some("FARGATE"),
        "{}: launch type {:?}",
        e.service,
        svc.launch_type()
    );
    let td = ecs
        .describe_task_definition()
        .task_definition(svc.task_definition().unwrap_or_default())
        .send()
        .await
        .unwrap_or_else(|err| panic!("DescribeTaskDefinition: {err:?}"));
    let Some(td) = td.task_definition() else {
        p.push(format!("{}: no task definition", e.service));
        return;
    };
    check!(
        p,
        td.cpu() == Some(e.cpu),
        "{}: cpu {:?}",
        e.service,
        td.cpu()
    );
    check!(
        p,
        td.memory() == Some(e.memory),
        "{}: memory {:?}",
        e.service,
        td.memory()
    );
    let ports: Vec<i32> = td
        .container_definitions()
        .iter()
        .flat_map(|c| c.port_mappings())
        .filter_map(|m| m.container_port())
        .collect();
    check!(
        p,
        ports == vec![e.port],
        "{}: container ports {ports:?}",
        e.service
    );
}

/// Min/max capacity of a service's scalable target and its policies'
/// (metric, target value).
async fn check_scaling(
    w: &World,
    region: &str,
    resource_id: &str,
    (min, max): (i32, i32),
    policies: &[(&str, f64)],
    p: &mut Vec<String>,
) {
    use aws_sdk_applicationautoscaling::types::ServiceNamespace;
    let aas = aws_sdk_applicationautoscaling::Client::new(&w.config(region).await);
    let targets = aas
        .describe_scalable_targets()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_ids(resource_id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeScalableTargets: {e:?}"));
    match targets.scalable_targets() {
        [t] => check!(
            p,
            (t.min_capacity(), t.max_capacity()) == (min, max),
            "{resource_id}: capacity {}-{} != {min}-{max}",
            t.min_capacity(),
            t.max_capacity()
        ),
        other => p.push(format!("{resource_id}: {} scalable targets", other.len())),
    }
    let pols = aas
        .describe_scaling_policies()
        .service_namespace(ServiceNamespace::Ecs)
        .resource_id(resource_id)
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeScalingPolicies: {e:?}"));
    let mut got: Vec<(String, f64)> = pols
        .scaling_policies()
        .iter()
        .filter_map(|pol| {
            let c = pol.target_tracking_scaling_policy_configuration()?;
            let metric = c
                .predefined_metric_specification()?
                .predefined_metric_type()
                .as_str()
                .to_string();
            Some((metric, c.target_value()))
        })
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    let mut want: Vec<(String, f64)> = policies.iter().map(|(m, v)| (m.to_string(), *v)).collect();
    want.sort_by(|a, b| a.0.cmp(&b.0));
    check!(
        p,
        got == want,
        "{resource_id}: policies {got:?} != {want:?}"
    );
}

async fn verify_devops_app(w: &World, p: &mut Vec<String>) {
    let env = w.env.as_str();
    let region = "us-east-1";
    let cidr = match env {
        "test" => "10.3.0.0/16",
        "qa" => "10.1.0.0/16",
        "staging" => "10.2.0.0/16",
        _ => "10.0.0.0/16",
    };
    let net = read_net(w, region, &format!("devops-app-{env}-vpc"), p).await;
    check_net(
        p,
        &net,
        cidr,
        &[("public", 1..=3), ("private", 101..=103)],
        3,
    );
    for (k, v) in [
        ("Environment", env),
        ("Project", "devops-app"),
        ("Owner", "devops-team"),
        ("CreatedBy", "forge"),
        ("ManagedBy", "forge"),
        ("Application", "app"),
        (STACK_TAG, "devops-app"),
    ] {
        check!(
            p,
            net.tags.get(k).map(String::as_str) == Some(v),
            "VPC tag {k} = {:?}, expected {v}",
            net.tags.get(k)
        );
    }

    // The tasks' security group: 80 and 443 from anywhere, all out.
    let ec2 = aws_sdk_ec2::Client::new(&w.config(region).await);
    let sg_name = format!("devops-app-{env}-ecs-tasks-sg");
    let groups = ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-name")
                .values(&sg_name)
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeSecurityGroups: {e:?}"));
    match groups.security_groups() {
        [g] => {
            let mut ports: Vec<i32> = g
                .ip_permissions()
                .iter()
                .filter(|r| {
                    r.ip_ranges()
                        .iter()
                        .any(|r| r.cidr_ip() == Some("0.0.0.0/0"))
                })
                .filter_map(|r| r.from_port())
                .collect();
            ports.sort();
            check!(
                p,
                ports == vec![80, 443],
                "{sg_name}: ingress ports {ports:?}"
            );
            check!(
                p,
                g.vpc_id() == Some(net.vpc_id.as_str()),
                "{sg_name}: not in the VPC"
            );
        }
        other => p.push(format!("{} groups named {sg_name}", other.len())),
    }

    let cluster = format!("devops-app-{env}-ecs-cluster");
    let service = format!("devops-app-{env}-service");
    check_service(
        w,
        region,
        ServiceExpect {
            cluster: &cluster,
            service: &service,
            desired: 1,
            cpu: "256",
            memory: "512",
            port: 5000,
        },
        p,
    )
    .await;
    check_scaling(
        w,
        region,
        &format!("service/{cluster}/{service}"),
        (1, 10),
        &[
            ("ECSServiceAverageCPUUtilization", 70.0),
            ("ECSServiceAverageMemoryUtilization", 80.0),
        ],
        p,
    )
    .await;

    let iam = aws_sdk_iam::Client::new(&w.config(region).await);
    for role in ["ecs-task-role", "ecs-execution-role"] {
        let name = format!("devops-app-{env}-{role}");
        match iam.list_role_policies().role_name(&name).send().await {
            Ok(out) => {
                let mut names = out.policy_names().to_vec();
                names.sort();
                check!(
                    p,
                    names == ["ecr-pull", "logs-write", "ssm-read"],
                    "{name}: inline policies {names:?}"
                );
            }
            Err(e) => p.push(format!("role {name}: {e:?}")),
        }
    }

    let ssm = aws_sdk_ssm::Client::new(&w.config(region).await);
    let name = format!("/devops-app/{env}/app-secret");
    match ssm
        .get_parameter()
        .name(&name)
        .with_decryption(true)
        .send()
        .await
    {
        Ok(out) => check!(
            p,
            out.parameter().and_then(|x| x.value()) == Some("not-a-real-secret-0001")
                && out.parameter().and_then(|x| x.r#type())
                    == Some(&aws_sdk_ssm::types::ParameterType::SecureString),
            "{name}: wrong value or not a SecureString"
        ),
        Err(e) => p.push(format!("parameter {name}: {e:?}")),
    }
}

/// An RDS instance's settings that differ per environment.
#[derive(Debug, PartialEq)]
struct DbExpect {
    class: &'static str,
    storage: i32,
    multi_az: bool,
    backups: i32,
    deletion_protection: bool,
    encrypted: bool,
    monitoring: i32,
}

async fn check_db(w: &World, region: &str, id: &str, want: DbExpect, p: &mut Vec<String>) {
    let rds = aws_sdk_rds::Client::new(&w.config(region).await);
    match rds
        .describe_db_instances()
        .db_instance_identifier(id)
        .send()
        .await
    {
        Ok(out) => match out.db_instances().first() {
            Some(db) => {
                let got = DbExpect {
                    class: match db.db_instance_class() {
                        Some(c) if c == want.class => want.class,
                        _ => "other",
                    },
                    storage: db.allocated_storage().unwrap_or_default(),
                    multi_az: db.multi_az().unwrap_or_default(),
                    backups: db.backup_retention_period().unwrap_or_default(),
                    deletion_protection: db.deletion_protection().unwrap_or_default(),
                    encrypted: db.storage_encrypted().unwrap_or_default(),
                    monitoring: db.monitoring_interval().unwrap_or_default(),
                };
                check!(
                    p,
                    got == want,
                    "{id}: {got:?} (class {:?}) != {want:?}",
                    db.db_instance_class()
                );
            }
            None => p.push(format!("no DB instance {id}")),
        },
        Err(e) => p.push(format!("DescribeDBInstances {id}: {e:?}")),
    }
}

/// The VPC's flow logs.
async fn flow_logs(w: &World, region: &str, vpc_id: &str) -> usize {
    let ec2 = aws_sdk_ec2::Client::new(&w.config(region).await);
    let out = ec2
        .describe_flow_logs()
        .filter(
            aws_sdk_ec2::types::Filter::builder()
                .name("resource-id")
                .values(vpc_id)
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeFlowLogs: {e:?}"));
    out.flow_logs().len()
}

async fn verify_terragrunt_starter(w: &World, p: &mut Vec<String>) {
    let env = w.env.as_str();
    let region = "us-east-1";
    let (cidr, nats, db) = match env {
        "dev" => (
            "10.10.0.0/16",
            0,
            DbExpect {
                class: "db.t3.micro",
                storage: 20,
                multi_az: false,
                backups: 7,
                deletion_protection: false,
                encrypted: false,
                monitoring: 0,
            },
        ),
        "staging" => (
            "10.20.0.0/16",
            1,
            DbExpect {
                class: "db.t3.small",
                storage: 30,
                multi_az: false,
                backups: 14,
                deletion_protection: false,
                encrypted: false,
                monitoring: 0,
            },
        ),
        "uat" => (
            "10.30.0.0/16",
            1,
            DbExpect {
                class: "db.t3.small",
                storage: 50,
                multi_az: false,
                backups: 14,
                deletion_protection: true,
                encrypted: true,
                monitoring: 0,
            },
        ),
        _ => (
            "10.40.0.0/16",
            3,
            DbExpect {
                class: "db.r6g.large",
                storage: 100,
                multi_az: true,
                backups: 30,
                deletion_protection: true,
                encrypted: true,
                monitoring: 60,
            },
        ),
    };
    let net = read_net(w, region, &format!("terragrunt-starter-{env}-vpc"), p).await;
    check_net(
        p,
        &net,
        cidr,
        &[
            ("public", 1..=3),
            ("private", 11..=13),
            ("database", 21..=23),
        ],
        nats,
    );
    for (k, v) in [
        ("Project", "terragrunt-starter"),
        ("Environment", env),
        ("ManagedBy", "forge"),
    ] {
        check!(
            p,
            net.tags.get(k).map(String::as_str) == Some(v),
            "VPC tag {k} = {:?}",
            net.tags.get(k)
        );
    }
    let want_flow = usize::from(env == "prod");
    let got_flow = flow_logs(w, region, &net.vpc_id).await;
    check!(
        p,
        got_flow == want_flow,
        "{got_flow} flow logs, expected {want_flow}"
    );
    check_db(
        w,
        region,
        &format!("terragrunt-starter-{env}-postgres"),
        db,
        p,
    )
    .await;

    let ecs = aws_sdk_ecs::Client::new(&w.config(region).await);
    let cluster = format!("terragrunt-starter-{env}-ecs-cluster");
    let out = ecs
        .describe_clusters()
        .clusters(&cluster)
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeClusters: {e:?}"));
    check!(
        p,
        out.clusters().first().and_then(|c| c.status()) == Some("ACTIVE"),
        "ECS cluster {cluster} is not ACTIVE"
    );
}

async fn verify_multi_env(w: &World, p: &mut Vec<String>) {
    let env = w.env.as_str();
    let region = "us-east-1";
    let (cidr, nats, db, redis_nodes) = match env {
        "dev" => (
            "10.0.0.0/16",
            1,
            DbExpect {
                class: "db.t3.micro",
                storage: 20,
                multi_az: false,
                backups: 7,
                deletion_protection: false,
                encrypted: true,
                monitoring: 0,
            },
            1,
        ),
        "staging" => (
            "10.1.0.0/16",
            1,
            DbExpect {
                class: "db.t3.small",
                storage: 50,
                multi_az: false,
                backups: 14,
                deletion_protection: false,
                encrypted: true,
                monitoring: 0,
            },
            1,
        ),
        _ => (
            "10.2.0.0/16",
            3,
            DbExpect {
                class: "db.t3.medium",
                storage: 100,
                multi_az: true,
                backups: 30,
                deletion_protection: true,
                encrypted: true,
                monitoring: 0,
            },
            2,
        ),
    };
    let net = read_net(w, region, &format!("multi-env-{env}-vpc"), p).await;
    check_net(
        p,
        &net,
        cidr,
        &[("public", 1..=3), ("private", 4..=6)],
        nats,
    );
    let got_flow = flow_logs(w, region, &net.vpc_id).await;
    check!(p, got_flow == 1, "{got_flow} flow logs, expected 1");
    check_db(w, region, &format!("multi-env-{env}-postgres"), db, p).await;

    let cache = aws_sdk_elasticache::Client::new(&w.config(region).await);
    let id = format!("multi-env-{env}-redis");
    match cache
        .describe_replication_groups()
        .replication_group_id(&id)
        .send()
        .await
    {
        Ok(out) => match out.replication_groups().first() {
            Some(g) => {
                check!(
                    p,
                    g.member_clusters().len() == redis_nodes,
                    "{id}: members {:?}",
                    g.member_clusters()
                );
                check!(
                    p,
                    g.at_rest_encryption_enabled() == Some(true),
                    "{id}: not encrypted at rest"
                );
                check!(
                    p,
                    g.transit_encryption_enabled() == Some(true),
                    "{id}: no TLS"
                );
            }
            None => p.push(format!("no replication group {id}")),
        },
        Err(e) => p.push(format!("DescribeReplicationGroups {id}: {e:?}")),
    }

    let s3 = w.emulator.s3(region).await;
    for b in ["assets", "logs", "backups"] {
        let bucket = format!("multi-env-{env}-{b}");
        match s3.get_bucket_encryption().bucket(&bucket).send().await {
            Ok(out) => {
                let algo = out
                    .server_side_encryption_configuration()
                    .and_then(|c| c.rules().first())
                    .and_then(|r| r.apply_server_side_encryption_by_default())
                    .map(|d| d.sse_algorithm().as_str().to_string());
                check!(
                    p,
                    algo.as_deref() == Some("aws:kms"),
                    "{bucket}: encryption {algo:?}"
                );
            }
            Err(e) => p.push(format!("GetBucketEncryption {bucket}: {e:?}")),
        }
    }

    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&w.config(region).await);
    let name = format!("multi-env-{env}-alb");
    match elb.describe_load_balancers().names(&name).send().await {
        Ok(out) => match out
            .load_balancers()
            .first()
            .and_then(|l| l.load_balancer_arn())
        {
            Some(arn) => {
                let waf = aws_sdk_wafv2::Client::new(&w.config(region).await);
                let acl = waf
                    .get_web_acl_for_resource()
                    .resource_arn(arn)
                    .send()
                    .await;
                let acl_name = acl
                    .ok()
                    .and_then(|a| a.web_acl().map(|x| x.name().to_string()));
                check!(
                    p,
                    acl_name.as_deref() == Some(format!("multi-env-{env}-waf").as_str()),
                    "{name}: web ACL {acl_name:?}"
                );
            }
            None => p.push(format!("no load balancer {name}")),
        },
        Err(e) => p.push(format!("DescribeLoadBalancers {name}: {e:?}")),
    }
}

// ---------------------------------------------------------------------------
// ai-tools (000 + 001): two regions

const AI_PRIMARY: &str = "eu-central-1";
const AI_SECONDARY: &str = "ap-southeast-1";

/// What differs between the ai-tools environments.
struct AiEnv {
    nats: usize,
    backups: i32,
    /// Aurora instances of the primary cluster (2 = writer + reader in
    /// another AZ, production's multi-AZ).
    aurora_instances: usize,
    redis_nodes: usize,
    deletion_protection: bool,
    log_retention: i32,
}

fn ai_env(env: &str) -> AiEnv {
    match env {
        "dev" => AiEnv {
            nats: 1,
            backups: 7,
            aurora_instances: 1,
            redis_nodes: 1,
            deletion_protection: false,
            log_retention: 7,
        },
        "staging" => AiEnv {
            nats: 3,
            backups: 14,
            aurora_instances: 1,
            redis_nodes: 1,
            deletion_protection: false,
            log_retention: 30,
        },
        _ => AiEnv {
            nats: 3,
            backups: 30,
            aurora_instances: 2,
            redis_nodes: 2,
            deletion_protection: true,
            log_retention: 90,
        },
    }
}

async fn verify_ai_tools(w: &World, p: &mut Vec<String>) {
    let env = w.env.as_str();
    let want = ai_env(env);
    let vpc_name = format!("ai-tools-{env}-vpc");

    // Networks: the primary's four tiers and NATs, the secondary's database tier.
    let net = read_net(w, AI_PRIMARY, &vpc_name, p).await;
    check_net(
        p,
        &net,
        "10.0.0.0/16",
        &[
            ("public", 101..=103),
            ("private", 1..=3),
            ("database", 201..=203),
            ("cache", 211..=213),
        ],
        want.nats,
    );
    check!(
        p,
        net.tags.get(STACK_TAG).map(String::as_str) == Some("ai-tools")
            && net.tags.get("Environment").map(String::as_str) == Some(env),
        "{AI_PRIMARY} VPC tags {:?}",
        net.tags
    );
    let second = read_net(w, AI_SECONDARY, &vpc_name, p).await;
    check_net(p, &second, "10.1.0.0/16", &[("database", 201..=203)], 0);
    check_gateway_endpoints(w, &net.vpc_id, p).await;

    check_ai_aurora(w, &want, p).await;
    check_ai_redis(w, &want, p).await;
    check_ai_buckets(w, p).await;

    let alb = format!("ai-tools-{env}-alb");
    let acl = alb_web_acl(w, AI_PRIMARY, &alb, p).await;
    check!(
        p,
        acl.as_deref() == Some(format!("ai-tools-{env}-waf").as_str()),
        "{alb}: web ACL {acl:?}"
    );

    let cluster = format!("ai-tools-{env}");
    for (service, cpu, memory) in [("api", "512", "1024"), ("worker", "1024", "2048")] {
        check_service(
            w,
            AI_PRIMARY,
            ServiceExpect {
                cluster: &cluster,
                service,
                desired: 1,
                cpu,
                memory,
                port: 8000,
            },
            p,
        )
        .await;
        check_scaling(
            w,
            AI_PRIMARY,
            &format!("service/{cluster}/{service}"),
            (1, 5),
            &[("ECSServiceAverageCPUUtilization", 70.0)],
            p,
        )
        .await;
    }

    check_ai_logs_and_alarms(w, &want, p).await;

    let secrets = aws_sdk_secretsmanager::Client::new(&w.config(AI_PRIMARY).await);
    let name = format!("ai-tools/{env}/db");
    match secrets.describe_secret().secret_id(&name).send().await {
        Ok(s) => check!(
            p,
            s.kms_key_id().is_some_and(|k| !k.is_empty()),
            "{name}: not encrypted with the stack's key"
        ),
        Err(e) => p.push(format!("DescribeSecret {name}: {e:?}")),
    }
}

/// The primary VPC's S3 and DynamoDB gateway endpoints, each on all four
/// route tables (public + one private per AZ).
async fn check_gateway_endpoints(w: &World, vpc_id: &str, p: &mut Vec<String>) {
    let ec2 = aws_sdk_ec2::Client::new(&w.config(AI_PRIMARY).await);
    let out = ec2
        .describe_vpc_endpoints()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("vpc-id")
                .values(vpc_id)
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeVpcEndpoints: {e:?}"));
    let mut got: Vec<(String, String, usize)> = out
        .vpc_endpoints()
        .iter()
        .map(|e| {
            (
                e.service_name().unwrap_or_default().to_string(),
                e.vpc_endpoint_type()
                    .map(|t| t.as_str().to_string())
                    .unwrap_or_default(),
                e.route_table_ids().len(),
            )
        })
        .collect();
    got.sort();
    let want: Vec<(String, String, usize)> = ["dynamodb", "s3"]
        .iter()
        .map(|s| {
            (
                format!("com.amazonaws.{AI_PRIMARY}.{s}"),
                "Gateway".into(),
                4,
            )
        })
        .collect();
    check!(p, got == want, "VPC endpoints {got:?} != {want:?}");
}

/// The Aurora global database: the primary cluster (encrypted, backups,
/// instances in distinct AZs, protection) and the secondary cluster in the
/// second region, both members of the global cluster.
async fn check_ai_aurora(w: &World, want: &AiEnv, p: &mut Vec<String>) {
    let env = w.env.as_str();
    let mut arns = Vec::new();
    for (region, instances) in [(AI_PRIMARY, want.aurora_instances), (AI_SECONDARY, 1)] {
        let rds = aws_sdk_rds::Client::new(&w.config(region).await);
        let id = format!("ai-tools-{env}-{region}");
        let out = match rds
            .describe_db_clusters()
            .db_cluster_identifier(&id)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                p.push(format!("DescribeDBClusters {id}: {e:?}"));
                continue;
            }
        };
        let Some(c) = out.db_clusters().first() else {
            p.push(format!("no Aurora cluster {id} in {region}"));
            continue;
        };
        arns.extend(c.db_cluster_arn().map(str::to_string));
        check!(
            p,
            c.engine() == Some("aurora-postgresql"),
            "{id}: engine {:?}",
            c.engine()
        );
        check!(
            p,
            c.storage_encrypted() == Some(true),
            "{id}: not encrypted"
        );
        check!(
            p,
            c.deletion_protection() == Some(want.deletion_protection),
            "{id}: deletion protection {:?}",
            c.deletion_protection()
        );
        if region == AI_PRIMARY {
            check!(
                p,
                c.backup_retention_period() == Some(want.backups),
                "{id}: backup retention {:?} != {}",
                c.backup_retention_period(),
                want.backups
            );
        }
        let members: Vec<&str> = c
            .db_cluster_members()
            .iter()
            .filter_map(|m| m.db_instance_identifier())
            .collect();
        check!(
            p,
            members.len() == instances,
            "{id}: instances {members:?}, expected {instances}"
        );
        let mut azs = std::collections::BTreeSet::new();
        for m in &members {
            let db = rds
                .describe_db_instances()
                .db_instance_identifier(*m)
                .send()
                .await
                .unwrap_or_else(|e| panic!("DescribeDBInstances {m}: {e:?}"));
            azs.extend(
                db.db_instances()
                    .iter()
                    .filter_map(|i| i.availability_zone().map(str::to_string)),
            );
        }
        check!(
            p,
            azs.len() == instances && azs.iter().all(|a| a.starts_with(region)),
            "{id}: instances in AZs {azs:?}, expected {instances} distinct in {region}"
        );
    }
    let rds = aws_sdk_rds::Client::new(&w.config(AI_PRIMARY).await);
    let id = format!("ai-tools-{env}");
    match rds
        .describe_global_clusters()
        .global_cluster_identifier(&id)
        .send()
        .await
    {
        Ok(out) => {
            let mut members: Vec<String> = out
                .global_clusters()
                .iter()
                .flat_map(|g| g.global_cluster_members())
                .filter_map(|m| m.db_cluster_arn().map(str::to_string))
                .collect();
            members.sort();
            arns.sort();
            check!(
                p,
                members == arns && members.len() == 2,
                "global cluster {id}: members {members:?}, expected {arns:?}"
            );
        }
        Err(e) => p.push(format!("DescribeGlobalClusters {id}: {e:?}")),
    }
}

async fn check_ai_redis(w: &World, want: &AiEnv, p: &mut Vec<String>) {
    let cache = aws_sdk_elasticache::Client::new(&w.config(AI_PRIMARY).await);
    let id = format!("ai-tools-{}", w.env);
    let out = match cache
        .describe_replication_groups()
        .replication_group_id(&id)
        .send()
        .await
    {
        Ok(out) => out,
        Err(e) => return p.push(format!("DescribeReplicationGroups {id}: {e:?}")),
    };
    let Some(g) = out.replication_groups().first() else {
        return p.push(format!("no replication group {id}"));
    };
    check!(
        p,
        g.member_clusters().len() == want.redis_nodes,
        "{id}: members {:?}, expected {}",
        g.member_clusters(),
        want.redis_nodes
    );
    check!(
        p,
        g.at_rest_encryption_enabled() == Some(true)
            && g.transit_encryption_enabled() == Some(true),
        "{id}: encryption at rest {:?}, in transit {:?}",
        g.at_rest_encryption_enabled(),
        g.transit_encryption_enabled()
    );
    check!(
        p,
        g.snapshot_retention_limit() == Some(want.backups),
        "{id}: snapshot retention {:?} != {}",
        g.snapshot_retention_limit(),
        want.backups
    );
    let multi_az = g.multi_az().map(|m| m.as_str() == "enabled");
    check!(
        p,
        multi_az == Some(want.redis_nodes > 1),
        "{id}: multi-AZ {:?}",
        g.multi_az()
    );
}

/// SSE-KMS and versioning on both sides, and each primary bucket's
/// replication rule pointing at its replica in the secondary region.
async fn check_ai_buckets(w: &World, p: &mut Vec<String>) {
    let env = w.env.as_str();
    for region in [AI_PRIMARY, AI_SECONDARY] {
        let s3 = w.emulator.s3(region).await;
        for b in ["artifacts", "models"] {
            let bucket = format!("ai-tools-{env}-{b}-{region}");
            let algo = match s3.get_bucket_encryption().bucket(&bucket).send().await {
                Ok(out) => out
                    .server_side_encryption_configuration()
                    .and_then(|c| c.rules().first())
                    .and_then(|r| r.apply_server_side_encryption_by_default())
                    .map(|d| d.sse_algorithm().as_str().to_string()),
                Err(e) => Some(format!("{e:?}")),
            };
            check!(
                p,
                algo.as_deref() == Some("aws:kms"),
                "{bucket}: encryption {algo:?}"
            );
            let versioning = s3
                .get_bucket_versioning()
                .bucket(&bucket)
                .send()
                .await
                .ok()
                .and_then(|v| v.status().map(|s| s.as_str().to_string()));
            check!(
                p,
                versioning.as_deref() == Some("Enabled"),
                "{bucket}: versioning {versioning:?}"
            );
            if region != AI_PRIMARY {
                continue;
            }
            let replica = format!("arn:aws:s3:::ai-tools-{env}-{b}-{AI_SECONDARY}");
            match s3.get_bucket_replication().bucket(&bucket).send().await {
                Ok(out) => {
                    let dests: Vec<String> = out
                        .replication_configuration()
                        .map(|c| c.rules())
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|r| r.destination().map(|d| d.bucket().to_string()))
                        .collect();
                    check!(
                        p,
                        dests == [replica.clone()],
                        "{bucket}: replicates to {dests:?}, expected {replica}"
                    );
                }
                Err(e) => p.push(format!("GetBucketReplication {bucket}: {e:?}")),
            }
        }
    }
}

/// The name of the web ACL on the load balancer named `alb`.
async fn alb_web_acl(w: &World, region: &str, alb: &str, p: &mut Vec<String>) -> Option<String> {
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&w.config(region).await);
    let arn = match elb.describe_load_balancers().names(alb).send().await {
        Ok(out) => out
            .load_balancers()
            .first()
            .and_then(|l| l.load_balancer_arn())
            .map(str::to_string),
        Err(e) => {
            p.push(format!("DescribeLoadBalancers {alb}: {e:?}"));
            None
        }
    }?;
    let waf = aws_sdk_wafv2::Client::new(&w.config(region).await);
    let acl = waf
        .get_web_acl_for_resource()
        .resource_arn(arn)
        .send()
        .await;
    acl.ok()?.web_acl().map(|a| a.name().to_string())
}

/// The two services' log groups (exact names of 001, retention per env)
/// and the alarms: CPU > 75% per service, latency > 1 s, api 5xx, each
/// notifying the alarms topic.
async fn check_ai_logs_and_alarms(w: &World, want: &AiEnv, p: &mut Vec<String>) {
    let env = w.env.as_str();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&w.config(AI_PRIMARY).await);
    let out = logs
        .describe_log_groups()
        .log_group_name_prefix("/ecs/ai-tools-")
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeLogGroups: {e:?}"));
    let groups: Vec<(String, Option<i32>)> = out
        .log_groups()
        .iter()
        .map(|g| {
            (
                g.log_group_name().unwrap_or_default().to_string(),
                g.retention_in_days(),
            )
        })
        .collect();
    let want_groups: Vec<(String, Option<i32>)> = ["api", "worker"]
        .iter()
        .map(|s| (format!("/ecs/ai-tools-{s}"), Some(want.log_retention)))
        .collect();
    check!(
        p,
        groups == want_groups,
        "log groups {groups:?} != {want_groups:?}"
    );

    let cw = aws_sdk_cloudwatch::Client::new(&w.config(AI_PRIMARY).await);
    let prefix = format!("ai-tools-{env}-");
    let out = cw
        .describe_alarms()
        .alarm_name_prefix(&prefix)
        .send()
        .await
        .unwrap_or_else(|e| panic!("DescribeAlarms: {e:?}"));
    // Every alarm notifies the KMS-encrypted alarms topic, which mails
    // the environment's address.
    let topic = format!("arn:aws:sns:{AI_PRIMARY}:123456789012:ai-tools-{env}-alarms");
    for a in out.metric_alarms() {
        check!(
            p,
            a.alarm_actions() == [topic.clone()] && a.ok_actions() == [topic.clone()],
            "alarm {:?} notifies {:?} / {:?}, not {topic}",
            a.alarm_name(),
            a.alarm_actions(),
            a.ok_actions()
        );
    }
    let sns = aws_sdk_sns::Client::new(&w.config(AI_PRIMARY).await);
    match sns.get_topic_attributes().topic_arn(&topic).send().await {
        Ok(t) => {
            let key = t.attributes().and_then(|a| a.get("KmsMasterKeyId"));
            check!(
                p,
                key.is_some_and(|k| k.starts_with("arn:aws:kms:")),
                "alarms topic key {key:?}"
            );
        }
        Err(e) => p.push(format!("alarms topic {topic}: {e:?}")),
    }
    let subs = sns
        .list_subscriptions_by_topic()
        .topic_arn(&topic)
        .send()
        .await
        .map(|o| {
            o.subscriptions()
                .iter()
                .map(|s| {
                    format!(
                        "{}:{}",
                        s.protocol().unwrap_or_default(),
                        s.endpoint().unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let want_sub = format!("email:ai-tools-{env}-alarms@example.com");
    check!(
        p,
        subs == [want_sub.clone()],
        "alarms topic subscriptions {subs:?} != [{want_sub}]"
    );

    let mut alarms: Vec<(String, String, f64)> = out
        .metric_alarms()
        .iter()
        .map(|a| {
            (
                a.alarm_name().unwrap_or_default().replace(&prefix, ""),
                a.metric_name().unwrap_or_default().to_string(),
                a.threshold().unwrap_or_default(),
            )
        })
        .collect();
    alarms.sort_by(|a, b| a.0.cmp(&b.0));
    let want_alarms: Vec<(String, String, f64)> = [
        ("api-5xx-high", "HTTPCode_Target_5XX_Count", 10.0),
        ("api-cpu-high", "CPUUtilization", 75.0),
        ("latency-high", "TargetResponseTime", 1.0),
        ("worker-cpu-high", "CPUUtilization", 75.0),
    ]
    .iter()
    .map(|(n, m, t)| (n.to_string(), m.to_string(), *t))
    .collect();
    check!(
        p,
        alarms == want_alarms,
        "alarms {alarms:?} != {want_alarms:?}"
    );
}

// ---------------------------------------------------------------------------
// Leftovers

/// The regions a stack uses.
fn regions(stack: &str) -> &'static [&'static str] {
    match stack {
        "ai-tools" => &["eu-central-1", "ap-southeast-1"],
        _ => &["us-east-1"],
    }
}

/// Everything of the stack still alive, in every region it uses.
async fn leftovers(w: &World) -> Vec<String> {
    leftovers::of_stack(&w.emulator, &w.stack, regions(&w.stack)).await
}

// ---------------------------------------------------------------------------
// The matrix

#[test]
fn devops_app() {
    forge_e2e::require_emulator!("counts requests through the fault proxy");
    run_matrix(
        "devops-app",
        &["test", "qa", "staging", "prod"],
        SECRET_VARS,
    );
}

#[test]
fn terragrunt_starter() {
    forge_e2e::require_emulator!("counts requests through the fault proxy");
    run_matrix(
        "terragrunt-starter",
        &["dev", "staging", "uat", "prod"],
        &[DB_PASSWORD],
    );
}

#[test]
fn multi_env() {
    forge_e2e::require_emulator!("counts requests through the fault proxy");
    run_matrix("multi-env", &["dev", "staging", "prod"], &[DB_PASSWORD]);
}

#[test]
fn ai_tools() {
    forge_e2e::require_emulator!("counts requests through the fault proxy");
    run_matrix(
        "ai-tools",
        &["dev", "staging", "production"],
        &[DB_PASSWORD],
    );
}
