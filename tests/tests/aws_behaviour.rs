//! Issue 18, AWS behaviour the emulator used to hide, end to end with the
//! real `forge` binary and verified through the AWS SDK:
//!
//! - deferred modifications: an RDS change made without `apply_immediately`
//!   waits for the maintenance window (`PendingModifiedValues`); forge
//!   shows it as pending, does not plan it again, reports no drift, and is
//!   clean once the window has run; with `apply_immediately` it applies at
//!   once.
//! - the same for an ElastiCache replication group: a node type change
//!   without `apply_immediately` is pending on the member clusters; plan
//!   (text and markdown) and drift show it as pending, drift (text and
//!   JSON) reports no drift, and once the window ran the landed change is
//!   classified, not drift.
//! - Aurora global database upgrades: a newer `engine_version` of an
//!   `aws.rds.global_cluster` is an in-place upgrade (ModifyGlobalCluster
//!   with AllowMajorVersionUpgrade), its member cluster upgraded with it,
//!   not a replacement; the member's own older pin is not a change to
//!   make, nor drift.
//! - ECS rollouts that fail: a deployment whose tasks never start is
//!   stopped by the circuit breaker (FAILED); forge, waiting for the
//!   rollout, fails the apply with ECS's reason and records the service
//!   that exists. With the circuit breaker's rollback on, an update whose
//!   deployment fails is rolled back to the previous task definition: the
//!   apply fails saying so, the live revision is recorded, and the next
//!   plan shows the update again.

#![allow(clippy::unwrap_used)]

use forge_e2e::realtime::{counters, refused, run_maintenance_window, time_scale_args};
use forge_e2e::{Emulator, Forge, RunOutput, StackCopy, getting_started_dir};
use forge_engine::apply::ready::POLL_SCALE_ENV;

const REGION: &str = "us-east-1";

const AURORA: &str = r#"
stack: deferred
region: us-east-1

state:
  backend: local

resources:
  db:
    type: aws.rds.cluster
    db_cluster_identifier: app-db
    engine: aurora-postgresql
    engine_version: "15.4"
    master_username: app_admin
    master_user_password: correct-horse-battery
    skip_final_snapshot: true

  writer:
    type: aws.rds.cluster_instance
    db_instance_identifier: app-db-1
    db_cluster_identifier: "${db.id}"
    db_instance_class: db.r6g.large
"#;

fn run(forge: &Forge, stack: &StackCopy, args: &[&str]) -> RunOutput {
    let mut all = vec![args[0], stack.path().to_str().unwrap()];
    all.extend_from_slice(&args[1..]);
    forge
        .run(stack.path(), &all)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The writer's live class and pending class, through the SDK.
async fn writer(emu: &Emulator) -> (String, Option<String>) {
    let rds = aws_sdk_rds::Client::new(&emu.sdk_config(REGION).await);
    let out = rds
        .describe_db_instances()
        .db_instance_identifier("app-db-1")
        .send()
        .await
        .unwrap();
    let i = &out.db_instances()[0];
    (
        i.db_instance_class().unwrap_or_default().to_string(),
        i.pending_modified_values()
            .and_then(|p| p.db_instance_class())
            .map(str::to_string),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deferred_instance_class_change_is_pending_until_the_maintenance_window() {
    forge_e2e::require_emulator!(
        "runs the maintenance window now through the harness endpoint (AWS waits for the weekly window)"
    );
    let emu = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emu.env()).unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
    stack.write("stack.yaml", AURORA).unwrap();
    run(&forge, &stack, &["apply", "--auto-approve"]).expect_success();

    // Without apply_immediately (AWS's and Terraform's default) the new
    // class waits for the maintenance window.
    let bigger = AURORA.replace("db.r6g.large", "db.r6g.xlarge");
    stack.write("stack.yaml", &bigger).unwrap();
    let out = run(&forge, &stack, &["apply", "--auto-approve"]);
    out.expect_success();
    assert_eq!(
        writer(&emu).await,
        ("db.r6g.large".into(), Some("db.r6g.xlarge".into())),
        "{out}"
    );

    // Pending: shown, not planned again, not drift.
    let plan = run(&forge, &stack, &["plan", "--detailed-exitcode"]);
    plan.expect_code(0);
    assert!(
        plan.stdout.contains("pending until the maintenance window")
            && plan.stdout.contains(
                r#"writer: db_instance_class = "db.r6g.large" -> "db.r6g.xlarge" (pending)"#
            ),
        "{plan}"
    );
    let json = run(&forge, &stack, &["plan", "--json"]);
    let parsed: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let writer_json = parsed["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "writer")
        .unwrap();
    assert_eq!(writer_json["action"], "no_op", "{json}");
    assert_eq!(
        writer_json["pending"][0]["after"], "db.r6g.xlarge",
        "{json}"
    );
    run(&forge, &stack, &["drift"]).expect_code(0);

    // The window runs: the change lands; nothing to do, no drift.
    assert!(run_maintenance_window(&emu) >= 1);
    assert_eq!(writer(&emu).await, ("db.r6g.xlarge".into(), None));
    let plan = run(&forge, &stack, &["plan", "--detailed-exitcode"]);
    plan.expect_code(0);
    assert!(!plan.stdout.contains("pending"), "{plan}");
    run(&forge, &stack, &["drift"]).expect_code(0);

    // With apply_immediately the change applies at once.
    let now = bigger.replace(
        "    db_instance_class: db.r6g.xlarge",
        "    db_instance_class: db.r6g.2xlarge\n    apply_immediately: true",
    );
    stack.write("stack.yaml", &now).unwrap();
    run(&forge, &stack, &["apply", "--auto-approve"]).expect_success();
    assert_eq!(writer(&emu).await, ("db.r6g.2xlarge".into(), None));
    run(&forge, &stack, &["plan", "--detailed-exitcode"]).expect_code(0);
}

const REDIS: &str = r#"
stack: deferred-cache
region: us-east-1

state:
  backend: local

resources:
  cache:
    type: aws.elasticache.replication_group
    replication_group_id: app-cache
    engine_version: "7.1"
    node_type: cache.t4g.small
    num_cache_clusters: 2
"#;

/// The member clusters' live and pending node types, through the SDK.
async fn cache_nodes(emu: &Emulator) -> Vec<(String, Option<String>)> {
    let ec = aws_sdk_elasticache::Client::new(&emu.sdk_config(REGION).await);
    let out = ec.describe_cache_clusters().send().await.unwrap();
    out.cache_clusters()
        .iter()
        .filter(|c| c.replication_group_id() == Some("app-cache"))
        .map(|c| {
            (
                c.cache_node_type().unwrap_or_default().to_string(),
                c.pending_modified_values()
                    .and_then(|p| p.cache_node_type())
                    .map(str::to_string),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deferred_cache_node_type_change_is_pending_in_plan_and_drift() {
    forge_e2e::require_emulator!(
        "runs the maintenance window now through the harness endpoint (AWS waits for the weekly window)"
    );
    let emu = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emu.env()).unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
    stack.write("stack.yaml", REDIS).unwrap();
    run(&forge, &stack, &["apply", "--auto-approve"]).expect_success();

    // apply_immediately is off (AWS's default): the new node type waits
    // for the maintenance window on both member clusters.
    let bigger = REDIS.replace("cache.t4g.small", "cache.t4g.medium");
    stack.write("stack.yaml", &bigger).unwrap();
    let out = run(&forge, &stack, &["apply", "--auto-approve"]);
    out.expect_success();
    let held = (
        "cache.t4g.small".to_string(),
        Some("cache.t4g.medium".to_string()),
    );
    assert_eq!(cache_nodes(&emu).await, [held.clone(), held], "{out}");

    // The plan shows it as pending and has nothing to do.
    let line = r#"cache: node_type = "cache.t4g.small" -> "cache.t4g.medium" (pending)"#;
    let plan = run(&forge, &stack, &["plan", "--detailed-exitcode"]);
    plan.expect_code(0);
    assert!(
        plan.stdout.contains("pending until the maintenance window") && plan.stdout.contains(line),
        "{plan}"
    );
    let md = run(&forge, &stack, &["plan", "--format", "markdown"]);
    md.expect_success();
    assert!(
        md.stdout
            .contains("**Pending until the maintenance window**")
            && md
                .stdout
                .contains(r#"`node_type` = `"cache.t4g.small"` -> `"cache.t4g.medium"`"#),
        "{md}"
    );

    // Drift: none, and the pending change is shown.
    let drift = run(&forge, &stack, &["drift"]);
    drift.expect_code(0);
    assert!(
        drift
            .stdout
            .contains("pending until the maintenance window")
            && drift.stdout.contains(line),
        "{drift}"
    );
    let json = run(&forge, &stack, &["drift", "--json"]);
    json.expect_code(0);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["outcome"], "no_drift", "{json}");
    assert!(report["drifted"].as_array().unwrap().is_empty(), "{json}");
    let pending = &report["pending_maintenance"][0];
    assert_eq!(pending["address"], "cache", "{json}");
    assert_eq!(pending["fields"][0]["path"], "node_type", "{json}");
    assert_eq!(pending["fields"][0]["live"], "cache.t4g.small", "{json}");
    assert_eq!(
        pending["fields"][0]["pending"], "cache.t4g.medium",
        "{json}"
    );

    // The window runs: the change lands. Nothing to do; drift sees the
    // landed change as what the state recorded pending, not as drift.
    assert!(run_maintenance_window(&emu) >= 1);
    let landed = ("cache.t4g.medium".to_string(), None);
    assert_eq!(cache_nodes(&emu).await, [landed.clone(), landed]);
    let plan = run(&forge, &stack, &["plan", "--detailed-exitcode"]);
    plan.expect_code(0);
    assert!(!plan.stdout.contains("pending"), "{plan}");
    let drift = run(&forge, &stack, &["drift"]);
    drift.expect_code(0);
    assert!(
        drift
            .stdout
            .contains("pending change applied in the maintenance window"),
        "{drift}"
    );
}

const GLOBAL: &str = r#"
stack: global-upgrade
region: us-east-1

state:
  backend: local

resources:
  global:
    type: aws.rds.global_cluster
    global_cluster_identifier: app-global
    engine: aurora-postgresql
    engine_version: "15.4"

  primary:
    type: aws.rds.cluster
    db_cluster_identifier: app-primary
    engine: aurora-postgresql
    global_cluster_identifier: "${global.id}"
    # Pinned to the version it was created with: the global cluster's
    # upgrade moves it, and that is not a change to undo.
    engine_version: "15.4"
    master_username: app_admin
    master_user_password: correct-horse-battery
    skip_final_snapshot: true
"#;

/// The global database's resource id and version, and its primary's
/// version, through the SDK.
async fn global_versions(emu: &Emulator) -> (String, String, String) {
    let rds = aws_sdk_rds::Client::new(&emu.sdk_config(REGION).await);
    let all = rds.describe_global_clusters().send().await.unwrap();
    let g = all
        .global_clusters()
        .iter()
        .find(|g| g.global_cluster_identifier() == Some("app-global"))
        .unwrap();
    let c = rds
        .describe_db_clusters()
        .db_cluster_identifier("app-primary")
        .send()
        .await
        .unwrap();
    (
        g.global_cluster_resource_id()
            .unwrap_or_default()
            .to_string(),
        g.engine_version().unwrap_or_default().to_string(),
        c.db_clusters()[0]
            .engine_version()
            .unwrap_or_default()
            .to_string(),
    )
}

/// Applies [`GLOBAL`], then upgrades the global database from 15.4 to
/// 16.1 (with `also` changed in the same apply) and checks the upgrade was
/// made in place, the member pinning 15.4 included, with a clean re-plan
/// and drift after it.
async fn upgrade_global_database(emu: &Emulator, forge: &Forge, also: Option<(&str, &str)>) {
    let stack = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
    stack.write("stack.yaml", GLOBAL).unwrap();
    run(forge, &stack, &["apply", "--auto-approve"]).expect_success();
    let (resource_id, version, _) = global_versions(emu).await;
    assert_eq!(version, "15.4");

    // A new major version: planned as an in-place update, not -/+. Only
    // the global cluster's version changes (the first pin).
    let mut upgraded = GLOBAL.replacen(r#"engine_version: "15.4""#, r#"engine_version: "16.1""#, 1);
    if let Some((from, to)) = also {
        upgraded = upgraded.replace(from, to);
    }
    stack.write("stack.yaml", &upgraded).unwrap();
    let plan = run(forge, &stack, &["plan"]);
    plan.expect_success();
    assert!(!plan.stdout.contains("must be replaced"), "{plan}");
    run(forge, &stack, &["apply", "--auto-approve"]).expect_success();

    // The same global database, upgraded with its member.
    assert_eq!(
        global_versions(emu).await,
        (resource_id, "16.1".into(), "16.1".into())
    );
    // The member still pins 15.4: no change planned, no drift.
    run(forge, &stack, &["plan", "--detailed-exitcode"]).expect_code(0);
    run(forge, &stack, &["drift"]).expect_code(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_global_database_upgrade_is_made_in_place() {
    let emu = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emu.env()).unwrap_or_else(|e| panic!("{e}"));
    upgrade_global_database(&emu, &forge, None).await;
}

/// On the time-scaled emulator the upgrade keeps the global database and
/// its members `modifying` for (scaled) minutes: a change of the member in
/// the same apply waits for the upgrade, and no call is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_change_waits_for_the_global_upgrade_in_real_time() {
    let scale = "0.01";
    let emu = Emulator::start_with_args(&time_scale_args(scale)).unwrap_or_else(|e| panic!("{e}"));
    let mut env = emu.env();
    env.push((POLL_SCALE_ENV.to_string(), scale.to_string()));
    let forge = Forge::new(env).unwrap_or_else(|e| panic!("{e}"));
    let retention = (
        "    skip_final_snapshot: true\n",
        "    skip_final_snapshot: true\n    backup_retention_period: 3\n",
    );
    upgrade_global_database(&emu, &forge, Some(retention)).await;
    let seen = counters(&emu);
    assert!(refused(&seen).is_empty(), "refused: {:?}", refused(&seen));
    let rds = aws_sdk_rds::Client::new(&emu.sdk_config(REGION).await);
    let c = rds
        .describe_db_clusters()
        .db_cluster_identifier("app-primary")
        .send()
        .await
        .unwrap();
    assert_eq!(c.db_clusters()[0].backup_retention_period(), Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_ecs_rollout_fails_the_apply_with_its_reason() {
    forge_e2e::require_emulator!(
        "fails the rollout with the harness's forge-fail-rollout image switch"
    );
    let emu = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emu.env()).unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::of(&getting_started_dir()).unwrap_or_else(|e| panic!("{e}"));
    // An image the emulator's tasks never start from (docs/testing.md).
    let image = "image=example/forge-fail-rollout:1";
    let out = run(
        &forge,
        &stack,
        &["apply", "-e", "dev", "--auto-approve", "--var", image],
    );
    out.expect_code(1);
    let text = format!("{}{}", out.stdout, out.stderr);
    assert!(
        text.contains("deployment FAILED: ECS deployment circuit breaker: tasks failed to start."),
        "{out}"
    );

    // The service exists, its deployment FAILED: the state records it.
    let service = app_service(&emu).await;
    assert_eq!(
        service.deployments()[0]
            .rollout_state()
            .map(|r| r.as_str().to_string()),
        Some("FAILED".to_string())
    );
    let path = stack.path().to_str().unwrap();
    let list = forge
        .run(stack.path(), &["state", "list", path, "-e", "dev"])
        .unwrap_or_else(|e| panic!("{e}"));
    list.expect_success();
    assert!(list.stdout.lines().any(|l| l.trim() == "app"), "{list}");
    // Recorded as not ready: the next plan replaces it (not a second create).
    let plan = run(&forge, &stack, &["plan", "-e", "dev", "--var", image]);
    assert!(plan.stdout.contains("tainted"), "{plan}");
}

/// The app service of a getting-started stack, described through the SDK.
async fn app_service(emu: &Emulator) -> aws_sdk_ecs::types::Service {
    let ecs = aws_sdk_ecs::Client::new(&emu.sdk_config(REGION).await);
    let clusters = ecs.list_clusters().send().await.unwrap();
    let cluster = clusters.cluster_arns().first().cloned().unwrap();
    let services = ecs.list_services().cluster(&cluster).send().await.unwrap();
    let described = ecs
        .describe_services()
        .cluster(&cluster)
        .set_services(Some(services.service_arns().to_vec()))
        .send()
        .await
        .unwrap();
    described.services()[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolled_back_ecs_update_fails_the_apply_and_stays_planned() {
    forge_e2e::require_emulator!(
        "fails the rollout with the harness's forge-fail-rollout image switch"
    );
    let emu = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emu.env()).unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::of(&getting_started_dir()).unwrap_or_else(|e| panic!("{e}"));
    // getting-started's service has `deployment_circuit_breaker: {enable:
    // true, rollback: true}`.
    run(&forge, &stack, &["apply", "-e", "dev", "--auto-approve"]).expect_success();
    let live = app_service(&emu)
        .await
        .task_definition()
        .unwrap()
        .to_string();
    let previous = live.rsplit('/').next().unwrap().to_string();

    // An image the emulator's tasks never start from (docs/testing.md).
    let image = "image=example/forge-fail-rollout:1";
    let apply = ["apply", "-e", "dev", "--auto-approve", "--var", image];
    let out = run(&forge, &stack, &apply);
    out.expect_code(1);
    let text = format!("{}{}", out.stdout, out.stderr);
    assert!(
        text.contains(&format!(
            "was rolled back to {previous}: ECS deployment circuit breaker"
        )),
        "{out}"
    );

    // ECS rolled back: the PRIMARY deployment is on the previous revision
    // and completed; the failed one is FAILED on the new revision.
    let service = app_service(&emu).await;
    assert_eq!(service.task_definition(), Some(live.as_str()));
    let primary = service
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"))
        .unwrap();
    assert_eq!(primary.task_definition(), Some(live.as_str()));
    assert_eq!(
        primary.rollout_state().map(|r| r.as_str()),
        Some("COMPLETED")
    );
    let failed = service
        .deployments()
        .iter()
        .find(|d| d.rollout_state().map(|r| r.as_str()) == Some("FAILED"))
        .unwrap();
    assert_ne!(failed.task_definition(), Some(live.as_str()));

    // The state records what is live: the service is not tainted, its
    // task definition is the previous revision, and the next plan updates
    // it to the new one again (not a no-op, not a replacement).
    let path = stack.path().to_str().unwrap();
    let shown = forge
        .run(stack.path(), &["state", "show", "app", path, "-e", "dev"])
        .unwrap_or_else(|e| panic!("{e}"));
    shown.expect_success();
    assert!(shown.stdout.contains(&previous), "{shown}");
    let plan = run(
        &forge,
        &stack,
        &["plan", "-e", "dev", "--var", image, "--detailed-exitcode"],
    );
    plan.expect_code(2);
    assert!(!plan.stdout.contains("tainted"), "{plan}");
    assert!(
        plan.stdout.contains("# app will be updated in-place"),
        "{plan}"
    );
    let family = previous.split(':').next().unwrap();
    assert!(
        plan.stdout
            .contains(&format!("task_definition = \"{previous}\" -> \"{family}:")),
        "{plan}"
    );
    // The previous revision the service still runs is deleted only once the
    // service has moved off it (it is kept, deposed, until then).
    assert!(plan.stdout.contains("deposed object"), "{plan}");
}
