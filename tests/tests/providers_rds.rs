//! The RDS providers (subnet groups, parameter groups, Aurora clusters and
//! instances, standalone instances, global databases) against the emulator:
//! through the provider API (create, independent read-back with
//! aws-sdk-rds, observe, no-op re-plan, in-place update, forced
//! replacement, delete with and without a final snapshot, gone), and one
//! stack spanning two regions applied and destroyed by the real `forge`
//! binary.

#![allow(clippy::unwrap_used)]

use forge_aws::kind::KindProvider;
use forge_aws::rds;
use forge_core::Value;
use forge_e2e::provider_world::{Scope, desired, unmarked};
use forge_e2e::{Emulator, Forge, ProviderWorld, RunOutput, StackCopy};
use forge_engine::{PlannedAction, Provider};

const REGION: &str = "us-east-1";
const STACK: &str = "rds-test";
const S: Scope = Scope {
    stack: STACK,
    region: REGION,
};

async fn world() -> ProviderWorld {
    ProviderWorld::start(&[REGION], &[]).await
}

async fn rds(w: &ProviderWorld) -> aws_sdk_rds::Client {
    aws_sdk_rds::Client::new(&w.emu.sdk_config(REGION).await)
}

/// A VPC with three subnets in three AZs; returns the subnet ids.
async fn subnets(w: &ProviderWorld) -> Vec<String> {
    let azs = ["a", "b", "c"].map(|az| format!("{REGION}{az}"));
    let azs: Vec<&str> = azs.iter().map(String::as_str).collect();
    w.vpc_with_subnets("10.0", &azs).await.1
}

/// Asserts `spec` replaces the live object because of `field`.
async fn assert_replace(p: &dyn Provider, id: &str, spec: &forge_core::Attrs, field: &str) {
    let (_, plan) = S.plan(p, id, spec, PlannedAction::Replace).await;
    assert!(
        plan.changes
            .iter()
            .any(|c| c.path == field && c.forces_replacement),
        "{:?}",
        plan.changes
    );
}

#[tokio::test]
async fn subnet_and_parameter_groups_lifecycle() {
    let w = world().await;
    let rds = rds(&w).await;
    let subnets = subnets(&w).await;

    let p = KindProvider::<rds::DbSubnetGroupKind>::new(w.clients.clone());
    let spec = desired(
        &p,
        serde_json::json!({"db_subnet_group_name": "App-DB", "subnet_ids": [subnets[1], subnets[0]], "tags": {"tier": "data"}}),
    );
    let created = S.created(&p, "subnets", &spec).await;
    assert_eq!(created.id, "app-db");
    let live = rds
        .describe_db_subnet_groups()
        .db_subnet_group_name("app-db")
        .send()
        .await
        .unwrap();
    let g = &live.db_subnet_groups()[0];
    let mut got: Vec<&str> = g
        .subnets()
        .iter()
        .filter_map(|s| s.subnet_identifier())
        .collect();
    got.sort();
    let mut want = vec![subnets[0].as_str(), subnets[1].as_str()];
    want.sort();
    assert_eq!(got, want);
    let tags = rds
        .list_tags_for_resource()
        .resource_name(g.db_subnet_group_arn().unwrap())
        .send()
        .await
        .unwrap();
    assert!(
        tags.tag_list()
            .iter()
            .any(|t| t.key() == Some("forge:stack") && t.value() == Some(STACK))
    );
    S.assert_noop(&p, "app-db", &spec).await;
    let spec2 = desired(
        &p,
        serde_json::json!({"db_subnet_group_name": "app-db", "subnet_ids": subnets, "tags": {"tier": "db"}}),
    );
    let after = S.update(&p, "subnets", "app-db", &spec2).await;
    assert_eq!(after["subnet_ids"].as_list().unwrap().len(), 3);
    assert_eq!(after["tags"].get("tier"), Some(&Value::from("db")));
    S.assert_noop(&p, "app-db", &spec2).await;
    // A listing by ownership tags finds it (crash recovery, drift).
    assert_eq!(
        p.find_orphan(&S.ctx("subnets"), "t")
            .await
            .unwrap()
            .unwrap()
            .id,
        "app-db"
    );
    assert!(
        p.list_tagged(&S.octx())
            .await
            .unwrap()
            .iter()
            .any(|(id, a)| id == "app-db" && a.as_deref() == Some("subnets"))
    );
    S.delete_and_gone(&p, "subnets", "app-db").await;

    // Cluster parameter group: only user-set parameters compare.
    let cp = KindProvider::<rds::ClusterParameterGroupKind>::new(w.clients.clone());
    let spec = desired(
        &cp,
        serde_json::json!({
            "db_cluster_parameter_group_name": "app-cluster", "db_parameter_group_family": "aurora-postgresql16",
            "description": "app", "parameters": {"log_min_duration_statement": 500, "rds.force_ssl": {"value": "1", "apply_method": "pending-reboot"}}
        }),
    );
    S.created(&cp, "cluster_params", &spec).await;
    let params = rds
        .describe_db_cluster_parameters()
        .db_cluster_parameter_group_name("app-cluster")
        .send()
        .await
        .unwrap();
    let value_of = |ps: &[aws_sdk_rds::types::Parameter], n: &str| {
        ps.iter()
            .find(|p| p.parameter_name() == Some(n))
            .and_then(|p| p.parameter_value().map(str::to_string))
    };
    assert_eq!(
        value_of(params.parameters(), "log_min_duration_statement").as_deref(),
        Some("500")
    );
    assert_eq!(
        value_of(params.parameters(), "rds.force_ssl").as_deref(),
        Some("1")
    );
    let g = rds
        .describe_db_cluster_parameter_groups()
        .db_cluster_parameter_group_name("app-cluster")
        .send()
        .await
        .unwrap();
    assert_eq!(
        g.db_cluster_parameter_groups()[0].db_parameter_group_family(),
        Some("aurora-postgresql16")
    );
    S.assert_noop(&cp, "app-cluster", &spec).await;
    let spec2 = desired(
        &cp,
        serde_json::json!({
            "db_cluster_parameter_group_name": "app-cluster", "db_parameter_group_family": "aurora-postgresql16",
            "description": "app", "parameters": {"log_min_duration_statement": 1000}
        }),
    );
    S.update(&cp, "cluster_params", "app-cluster", &spec2).await;
    let params = rds
        .describe_db_cluster_parameters()
        .db_cluster_parameter_group_name("app-cluster")
        .send()
        .await
        .unwrap();
    assert_eq!(
        value_of(params.parameters(), "log_min_duration_statement").as_deref(),
        Some("1000")
    );
    assert_eq!(
        value_of(params.parameters(), "rds.force_ssl"),
        None,
        "removed parameter is reset"
    );
    S.assert_noop(&cp, "app-cluster", &spec2).await;
    let family = desired(
        &cp,
        serde_json::json!({"db_cluster_parameter_group_name": "app-cluster", "db_parameter_group_family": "aurora-postgresql15", "description": "app", "parameters": {"log_min_duration_statement": 1000}}),
    );
    assert_replace(&cp, "app-cluster", &family, "db_parameter_group_family").await;
    S.delete_and_gone(&cp, "cluster_params", "app-cluster")
        .await;
    // DB parameter groups (the same code with the instance calls) run the
    // standard lifecycle in the conformance suite.
}

fn cluster_spec(kms: &str, retention: i64, protection: bool, skip: bool) -> serde_json::Value {
    serde_json::json!({
        "db_cluster_identifier": "app-db",
        "engine_version": "16",
        "master_username": "app_admin",
        "master_user_password": "correct-horse-battery",
        "database_name": "app",
        "db_subnet_group_name": "app-subnets",
        "storage_encrypted": true,
        "kms_key_id": kms,
        "backup_retention_period": retention,
        "preferred_backup_window": "03:00-04:00",
        "deletion_protection": protection,
        "copy_tags_to_snapshot": true,
        "skip_final_snapshot": skip,
        "final_snapshot_identifier": "app-db-last",
        "enabled_cloudwatch_logs_exports": ["postgresql"],
        "tags": {"tier": "data"}
    })
}

#[tokio::test]
async fn aurora_cluster_and_instances_lifecycle() {
    let w = world().await;
    let rds = rds(&w).await;
    let subnets = subnets(&w).await;
    let sg = KindProvider::<rds::DbSubnetGroupKind>::new(w.clients.clone());
    S.created(
        &sg,
        "subnets",
        &desired(
            &sg,
            serde_json::json!({"db_subnet_group_name": "app-subnets", "subnet_ids": subnets}),
        ),
    )
    .await;
    let key_arn = w.kms_key_arn().await;
    let key_id = key_arn.rsplit('/').next().unwrap().to_string();

    let p = KindProvider::<rds::ClusterKind>::new(w.clients.clone());
    // The spec names the key by ARN; a key id must compare equal too.
    let spec = desired(&p, cluster_spec(&key_arn, 7, true, false));
    let created = S.created(&p, "cluster", &spec).await;
    assert_eq!(created.id, "app-db");
    assert!(
        created
            .attrs
            .get("master_user_password")
            .is_none_or(Value::is_null),
        "the password is never read back"
    );

    let c = rds
        .describe_db_clusters()
        .db_cluster_identifier("app-db")
        .send()
        .await
        .unwrap();
    let c = &c.db_clusters()[0];
    assert_eq!(c.engine(), Some("aurora-postgresql"));
    assert_eq!(c.storage_encrypted(), Some(true));
    assert!(c.kms_key_id().unwrap().ends_with(&key_id));
    assert_eq!(c.db_subnet_group(), Some("app-subnets"));
    assert_eq!(c.backup_retention_period(), Some(7));
    assert_eq!(c.deletion_protection(), Some(true));
    assert!(
        c.tag_list()
            .iter()
            .any(|t| t.key() == Some("forge:address") && t.value() == Some("cluster"))
    );
    assert!(
        c.tag_list()
            .iter()
            .any(|t| t.key() == Some("forge:final_snapshot_identifier")
                && t.value() == Some("app-db-last"))
    );

    S.assert_noop(&p, "app-db", &spec).await;
    S.assert_noop(
        &p,
        "app-db",
        &desired(&p, cluster_spec(&key_id, 7, true, false)),
    )
    .await;
    let live = S.prior(&p, "app-db", &spec).await.unwrap();
    assert!(p.deletion_protected(&live));
    assert!(p.holds_data() && p.await_deletion());

    // In place: backup retention.
    let after = S
        .update(
            &p,
            "cluster",
            "app-db",
            &desired(&p, cluster_spec(&key_arn, 14, true, false)),
        )
        .await;
    assert_eq!(after["backup_retention_period"], Value::int(14));
    let c = rds
        .describe_db_clusters()
        .db_cluster_identifier("app-db")
        .send()
        .await
        .unwrap();
    assert_eq!(c.db_clusters()[0].backup_retention_period(), Some(14));

    // Forced replacement: the database name and the KMS key.
    let mut renamed = cluster_spec(&key_arn, 14, true, false);
    renamed["database_name"] = "other".into();
    assert_replace(&p, "app-db", &desired(&p, renamed), "database_name").await;
    let other_key = w.kms_key_arn().await;
    assert_replace(
        &p,
        "app-db",
        &desired(&p, cluster_spec(&other_key, 14, true, false)),
        "kms_key_id",
    )
    .await;

    // Two instances.
    let ip = KindProvider::<rds::ClusterInstanceKind>::new(w.clients.clone());
    let inst = |n: u32, class: &str| {
        desired(
            &ip,
            serde_json::json!({"db_instance_identifier": format!("app-db-{n}"), "db_cluster_identifier": "app-db", "db_instance_class": class, "promotion_tier": n, "apply_immediately": true}),
        )
    };
    for n in [1, 2] {
        S.created(&ip, &format!("instance[{n}]"), &inst(n, "db.r6g.large"))
            .await;
        S.assert_noop(&ip, &format!("app-db-{n}"), &inst(n, "db.r6g.large"))
            .await;
    }
    let c = rds
        .describe_db_clusters()
        .db_cluster_identifier("app-db")
        .send()
        .await
        .unwrap();
    assert_eq!(c.db_clusters()[0].db_cluster_members().len(), 2);
    let i = rds
        .describe_db_instances()
        .db_instance_identifier("app-db-2")
        .send()
        .await
        .unwrap();
    let i = &i.db_instances()[0];
    assert_eq!(i.db_cluster_identifier(), Some("app-db"));
    assert_eq!(i.db_instance_class(), Some("db.r6g.large"));
    // In place: the instance class.
    S.update(&ip, "instance[2]", "app-db-2", &inst(2, "db.r6g.xlarge"))
        .await;
    let i = rds
        .describe_db_instances()
        .db_instance_identifier("app-db-2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        i.db_instances()[0].db_instance_class(),
        Some("db.r6g.xlarge")
    );
    S.assert_noop(&ip, "app-db-2", &inst(2, "db.r6g.xlarge"))
        .await;
    // One batched observe sees both instances.
    let both = ip
        .observe(
            &S.octx(),
            &["app-db-1".into(), "app-db-2".into(), "gone".into()],
        )
        .await
        .unwrap();
    assert_eq!(both.len(), 2);
    for n in [1, 2] {
        S.delete_and_gone(&ip, &format!("instance[{n}]"), &format!("app-db-{n}"))
            .await;
    }

    // Deletion protection on: AWS refuses the delete.
    let live = unmarked(&S.prior(&p, "app-db", &spec).await.unwrap());
    assert!(p.delete(&S.ctx("cluster"), "app-db", &live).await.is_err());
    // Turn it off, then delete with the named final snapshot.
    S.update(
        &p,
        "cluster",
        "app-db",
        &desired(&p, cluster_spec(&key_arn, 14, false, false)),
    )
    .await;
    S.delete_and_gone(&p, "cluster", "app-db").await;
    let snaps = rds
        .describe_db_cluster_snapshots()
        .db_cluster_snapshot_identifier("app-db-last")
        .send()
        .await
        .unwrap();
    assert_eq!(snaps.db_cluster_snapshots().len(), 1);
    assert_eq!(
        snaps.db_cluster_snapshots()[0].db_cluster_identifier(),
        Some("app-db")
    );

    // Again with skip_final_snapshot: no snapshot.
    let mut spec = cluster_spec(&key_arn, 1, false, true);
    spec["db_cluster_identifier"] = "app-db2".into();
    spec["final_snapshot_identifier"] = serde_json::Value::Null;
    let spec = desired(&p, spec);
    S.created(&p, "cluster2", &spec).await;
    S.assert_noop(&p, "app-db2", &spec).await;
    S.delete_and_gone(&p, "cluster2", "app-db2").await;
    let snaps = rds
        .describe_db_cluster_snapshots()
        .db_cluster_identifier("app-db2")
        .snapshot_type("manual")
        .send()
        .await
        .unwrap();
    assert!(
        snaps.db_cluster_snapshots().is_empty(),
        "{:?}",
        snaps.db_cluster_snapshots()
    );
    S.delete_and_gone(&sg, "subnets", "app-subnets").await;
}

#[tokio::test]
async fn standalone_postgres_instance_lifecycle() {
    let w = world().await;
    let rds = rds(&w).await;
    let subnets = subnets(&w).await;
    let sg = KindProvider::<rds::DbSubnetGroupKind>::new(w.clients.clone());
    S.created(
        &sg,
        "subnets",
        &desired(
            &sg,
            serde_json::json!({"db_subnet_group_name": "pg-subnets", "subnet_ids": subnets}),
        ),
    )
    .await;
    let key_arn = w.kms_key_arn().await;
    let p = KindProvider::<rds::DbInstanceKind>::new(w.clients.clone());
    let spec_of = |class: &str, retention: i64| {
        desired(
            &p,
            serde_json::json!({
                "db_instance_identifier": "pg", "db_instance_class": class, "engine": "postgres", "engine_version": "16",
                "allocated_storage": 20, "max_allocated_storage": 100, "storage_type": "gp3", "multi_az": true,
                "db_subnet_group_name": "pg-subnets", "storage_encrypted": true, "kms_key_id": key_arn,
                "master_username": "pgadmin", "master_user_password": "correct-horse-battery", "db_name": "app",
                "backup_retention_period": retention, "apply_immediately": true, "tags": {"env": "dev"}
            }),
        )
    };
    let spec = spec_of("db.t4g.micro", 7);
    S.created(&p, "db", &spec).await;
    let i = rds
        .describe_db_instances()
        .db_instance_identifier("pg")
        .send()
        .await
        .unwrap();
    let i = &i.db_instances()[0];
    assert_eq!(i.engine(), Some("postgres"));
    assert_eq!(i.multi_az(), Some(true));
    assert_eq!(i.storage_encrypted(), Some(true));
    assert_eq!(
        i.db_subnet_group().and_then(|g| g.db_subnet_group_name()),
        Some("pg-subnets")
    );
    assert_eq!(i.allocated_storage(), Some(20));
    S.assert_noop(&p, "pg", &spec).await;
    let after = S.update(&p, "db", "pg", &spec_of("db.t4g.small", 14)).await;
    assert_eq!(after["db_instance_class"], Value::from("db.t4g.small"));
    let i = rds
        .describe_db_instances()
        .db_instance_identifier("pg")
        .send()
        .await
        .unwrap();
    assert_eq!(i.db_instances()[0].backup_retention_period(), Some(14));
    S.assert_noop(&p, "pg", &spec_of("db.t4g.small", 14)).await;
    let mut renamed = spec_of("db.t4g.small", 14);
    renamed.insert("db_name".into(), Value::from("other"));
    assert_replace(&p, "pg", &renamed, "db_name").await;
    // Default final snapshot name: pg-final-<timestamp>.
    S.delete_and_gone(&p, "db", "pg").await;
    let snaps = rds
        .describe_db_snapshots()
        .db_instance_identifier("pg")
        .snapshot_type("manual")
        .send()
        .await
        .unwrap();
    assert_eq!(snaps.db_snapshots().len(), 1, "{:?}", snaps.db_snapshots());
    assert!(
        snaps.db_snapshots()[0]
            .db_snapshot_identifier()
            .unwrap()
            .starts_with("pg-final-")
    );
    S.delete_and_gone(&sg, "subnets", "pg-subnets").await;
}

const SECOND: &str = "ap-southeast-1";

const STACK_YAML: &str = r#"
stack: rds-global
region: us-east-1

state:
  backend: local

vars:
  cidr: 10.20.0.0/16
  azs: [us-east-1a, us-east-1b]

tags:
  Project: rds-global

resources:
  vpc:
    type: aws.ec2.vpc
    cidr_block: 10.20.0.0/16

  subnet:
    type: aws.ec2.subnet
    for_each: "${vars.azs}"
    vpc_id: "${vpc.id}"
    availability_zone: "${each.key}"
    cidr_block: "${cidrsubnet(vars.cidr, 8, index(vars.azs, each.key))}"

  key:
    type: aws.kms.key
    description: aurora storage
    deletion_window_in_days: 7

  subnets:
    type: aws.rds.db_subnet_group
    db_subnet_group_name: app-db
    subnet_ids: "${subnet[*].id}"

  global:
    type: aws.rds.global_cluster
    global_cluster_identifier: app-global
    engine_version: "16"
    storage_encrypted: true

  primary:
    type: aws.rds.cluster
    db_cluster_identifier: app-primary
    global_cluster_identifier: "${global.id}"
    engine_version: "16"
    master_username: app_admin
    master_user_password: correct-horse-battery
    database_name: app
    db_subnet_group_name: "${subnets.id}"
    storage_encrypted: true
    kms_key_id: "${key.arn}"
    backup_retention_period: 7
    skip_final_snapshot: true

  writer:
    type: aws.rds.cluster_instance
    db_instance_identifier: app-primary-1
    db_cluster_identifier: "${primary.id}"
    db_instance_class: db.r6g.large

  reader:
    type: aws.rds.cluster_instance
    db_instance_identifier: app-primary-2
    db_cluster_identifier: "${primary.id}"
    db_instance_class: db.r6g.large
    promotion_tier: 2
    depends_on: [writer]

  replica:
    type: aws.rds.cluster
    region: ap-southeast-1
    db_cluster_identifier: app-replica
    global_cluster_identifier: "${global.id}"
    engine_version: "16"
    storage_encrypted: true
    skip_final_snapshot: true
    depends_on: [primary]
"#;

fn run(forge: &Forge, stack: &StackCopy, args: &[&str]) -> RunOutput {
    let mut all = vec![args[0], stack.path().to_str().unwrap()];
    all.extend_from_slice(&args[1..]);
    forge
        .run(stack.path(), &all)
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn clusters(emu: &Emulator, region: &str) -> Vec<aws_sdk_rds::types::DbCluster> {
    let rds = aws_sdk_rds::Client::new(&emu.sdk_config(region).await);
    rds.describe_db_clusters()
        .send()
        .await
        .unwrap()
        .db_clusters()
        .to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forge_applies_a_two_region_aurora_stack() {
    let emu = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(emu.env()).unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::empty().unwrap_or_else(|e| panic!("{e}"));
    stack
        .write("stack.yaml", STACK_YAML)
        .unwrap_or_else(|e| panic!("{e}"));

    let out = run(&forge, &stack, &["apply", "--auto-approve"]);
    out.expect_success();

    // Primary region: the cluster, encrypted with the stack's key, two instances.
    let primary = clusters(&emu, REGION).await;
    assert_eq!(primary.len(), 1, "{out}");
    let c = &primary[0];
    assert_eq!(c.db_cluster_identifier(), Some("app-primary"));
    assert_eq!(c.storage_encrypted(), Some(true));
    assert_eq!(c.db_subnet_group(), Some("app-db"));
    assert_eq!(c.backup_retention_period(), Some(7));
    assert_eq!(c.db_cluster_members().len(), 2);
    assert!(
        c.tag_list()
            .iter()
            .any(|t| t.key() == Some("forge:stack") && t.value() == Some("rds-global"))
    );
    // Second region: the replica cluster, member of the same global database.
    let replica = clusters(&emu, SECOND).await;
    assert_eq!(replica.len(), 1, "{out}");
    assert_eq!(replica[0].db_cluster_identifier(), Some("app-replica"));
    assert!(
        replica[0]
            .tag_list()
            .iter()
            .any(|t| t.key() == Some("forge:address") && t.value() == Some("replica"))
    );
    let rds = aws_sdk_rds::Client::new(&emu.sdk_config(REGION).await);
    let globals = rds.describe_global_clusters().send().await.unwrap();
    let g = &globals.global_clusters()[0];
    let mut members: Vec<&str> = g
        .global_cluster_members()
        .iter()
        .filter_map(|m| m.db_cluster_arn())
        .collect();
    members.sort();
    let mut want = vec![
        c.db_cluster_arn().unwrap(),
        replica[0].db_cluster_arn().unwrap(),
    ];
    want.sort();
    assert_eq!(members, want);

    run(&forge, &stack, &["plan", "--detailed-exitcode"]).expect_code(0);

    // In place: backup retention.
    let yaml = STACK_YAML.replace("backup_retention_period: 7", "backup_retention_period: 14");
    stack
        .write("stack.yaml", &yaml)
        .unwrap_or_else(|e| panic!("{e}"));
    let plan = run(&forge, &stack, &["plan", "--detailed-exitcode"]);
    plan.expect_code(2);
    assert!(!plan.stdout.contains("must be replaced"), "{plan}");
    let out = run(&forge, &stack, &["apply", "--auto-approve"]);
    out.expect_success();
    let after = clusters(&emu, REGION).await;
    assert_eq!(after[0].backup_retention_period(), Some(14));
    assert_eq!(
        after[0].db_cluster_resource_id(),
        c.db_cluster_resource_id(),
        "updated in place"
    );
    run(&forge, &stack, &["plan", "--detailed-exitcode"]).expect_code(0);

    let out = run(&forge, &stack, &["destroy", "--auto-approve"]);
    out.expect_success();
    for region in [REGION, SECOND] {
        let rds = aws_sdk_rds::Client::new(&emu.sdk_config(region).await);
        assert!(
            clusters(&emu, region).await.is_empty(),
            "clusters left in {region}\n{out}"
        );
        let instances = rds.describe_db_instances().send().await.unwrap();
        assert!(
            instances.db_instances().is_empty(),
            "instances left in {region}"
        );
        let groups = rds.describe_db_subnet_groups().send().await.unwrap();
        assert!(
            groups
                .db_subnet_groups()
                .iter()
                .all(|g| g.db_subnet_group_name() != Some("app-db"))
        );
    }
    let globals = rds.describe_global_clusters().send().await.unwrap();
    assert!(
        globals.global_clusters().is_empty(),
        "global cluster left\n{out}"
    );
    let ec2 = emu.ec2(REGION).await;
    let left = forge_e2e::network::leftovers(&ec2)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(left.is_empty(), "EC2 resources left: {left:?}");
}
