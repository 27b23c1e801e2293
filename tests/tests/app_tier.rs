//! Issue 5, end to end: the real `forge` binary applies the grown
//! `examples/getting-started` (network + app tier, dev) to the emulator. The
//! app tier is verified independently through each service's SDK (ALB,
//! listener, target group, WAF ACL on the ALB, ECS cluster / task definition /
//! service, autoscaling target and policies, IAM roles, log group, KMS key and
//! alias, S3 bucket, secret); a second plan has no changes; a new image
//! registers a new task definition revision, moves the service to it and
//! deregisters the old one; desired count and the WAF rate limit change in
//! place; destroy leaves nothing of the stack in any service it used.
//!
//! Real-account capable (the first test): see docs/testing.md,
//! "Real-account acceptance runs".
//!
//! A second test runs a whole lifecycle with a distinctive secret value and
//! fails if that value appears in anything forge printed or stored.

use aws_config::SdkConfig;
use forge_e2e::network::{self, STACK_TAG};
use forge_e2e::tag_sweep::live_tagged;
use forge_e2e::target::RealCapable;
use forge_e2e::{
    ActionFilter, Emulator, FaultConfig, Forge, Proxy, RunOutput, StackCopy, Target,
    getting_started_dir,
};
use serde_json::Value as Json;
use std::path::Path;

const REGION: &str = "us-east-1";
const ENV: &str = "dev";
/// Names in app.yaml are `${stack}-${env}...`.
const PREFIX: &str = "getting-started-dev";

/// One test's world: its own target (emulator or account), forge runner
/// and copy of the stack.
struct World {
    target: Target,
    forge: Forge,
    stack: StackCopy,
    /// `--var` arguments given to every run.
    vars: Vec<String>,
    /// The prefix of the stack's names: [`PREFIX`], or in a real run the
    /// run's unique stack name and `-dev`.
    prefix: String,
    /// The stack's name in a real run.
    real_name: Option<String>,
}

impl World {
    fn new(vars: &[&str]) -> World {
        let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
        let forge = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
        World::with(emulator, forge, vars)
    }

    fn with(emulator: Emulator, forge: Forge, vars: &[&str]) -> World {
        let stack = StackCopy::of(&getting_started_dir()).unwrap_or_else(|e| panic!("{e}"));
        World {
            target: Target::Emulator(emulator),
            forge,
            stack,
            vars: vars.iter().map(|v| v.to_string()).collect(),
            prefix: PREFIX.to_string(),
            real_name: None,
        }
    }

    /// The world of a real-account capable test, or `None` when it does
    /// not run here (printed).
    fn start(test: &str) -> Option<World> {
        let r = RealCapable::start(test)?;
        Some(World {
            prefix: r
                .real_name
                .as_ref()
                .map_or_else(|| PREFIX.to_string(), |n| format!("{n}-{ENV}")),
            vars: r.spec.vars.iter().map(|v| v.to_string()).collect(),
            target: r.target,
            forge: r.forge,
            stack: r.stack,
            real_name: r.real_name,
        })
    }

    /// `forge <head...> <stack> -e dev --var ... <extra...>`.
    fn run_head(&self, head: &[&str], extra: &[&str]) -> RunOutput {
        let stack = self.stack.arg();
        let mut args = head.to_vec();
        args.extend_from_slice(&[stack.as_str(), "-e", ENV]);
        for v in &self.vars {
            args.extend_from_slice(&["--var", v.as_str()]);
        }
        args.extend_from_slice(extra);
        self.forge
            .run(self.stack.path(), &args)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// `forge <cmd> <stack> -e dev --var ... <extra...>`.
    fn run(&self, cmd: &str, extra: &[&str]) -> RunOutput {
        self.run_head(&[cmd], extra)
    }

    fn apply(&self) -> RunOutput {
        let out = self.run("apply", &["--auto-approve"]);
        out.expect_success();
        out
    }

    fn assert_no_changes(&self) {
        self.run("plan", &["--detailed-exitcode"]).expect_code(0);
    }

    /// The planned action of `address` in `forge plan --json`.
    fn planned_action(&self, address: &str) -> String {
        let out = self.run("plan", &["--json"]);
        out.expect_success();
        let plan: Json = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("plan --json is not JSON ({e})\n{out}"));
        plan["resource_changes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["address"] == address)
            .and_then(|c| c["action"].as_str())
            .unwrap_or_else(|| panic!("{address} is not in the plan\n{out}"))
            .to_string()
    }

    async fn config(&self) -> SdkConfig {
        self.target.sdk_config(REGION).await
    }

    fn set_var(&mut self, name: &str, value: &str) {
        self.vars.retain(|v| !v.starts_with(&format!("{name}=")));
        self.vars.push(format!("{name}={value}"));
    }
}

/// What the app tier should look like.
#[derive(Debug, Clone)]
struct Expected {
    image: String,
    desired_count: i32,
    rate_limit: i64,
}

impl Default for Expected {
    /// app.yaml's dev values.
    fn default() -> Expected {
        Expected {
            image: "public.ecr.aws/nginx/nginx:stable".into(),
            desired_count: 1,
            rate_limit: 2000,
        }
    }
}

/// What verification found that later steps compare against.
#[derive(Debug, Clone, PartialEq)]
struct Observed {
    alb_arn: String,
    task_definition_arn: String,
    web_acl_id: String,
}

/// Collects mismatches instead of stopping at the first one.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn check<T: PartialEq + std::fmt::Debug>(&mut self, what: &str, got: T, want: T) {
        if got != want {
            self.0.push(format!("{what}: got {got:?}, want {want:?}"));
        }
    }
    fn require(&mut self, what: &str, ok: bool) {
        if !ok {
            self.0.push(what.to_string());
        }
    }
}

/// Reads the app tier back through the services' own APIs.
async fn verify(config: &SdkConfig, exp: &Expected, prefix: &str) -> Result<Observed, Vec<String>> {
    let mut p = Problems::default();

    // KMS key + alias.
    let kms = aws_sdk_kms::Client::new(config);
    let aliases = kms
        .list_aliases()
        .send()
        .await
        .map_err(|e| vec![format!("{e:?}")])?;
    let alias = aliases
        .aliases()
        .iter()
        .find(|a| a.alias_name() == Some(&format!("alias/{prefix}")))
        .ok_or_else(|| vec![format!("no alias/{prefix}")])?;
    let key_id = alias.target_key_id().unwrap_or_default().to_string();
    let key = kms
        .describe_key()
        .key_id(&key_id)
        .send()
        .await
        .map_err(|e| vec![format!("describe key: {e:?}")])?;
    let key = key
        .key_metadata()
        .ok_or_else(|| vec!["no key metadata".into()])?;
    let key_arn = key.arn().unwrap_or_default().to_string();
    p.check("key enabled", key.enabled(), true);
    let rotation = kms
        .get_key_rotation_status()
        .key_id(&key_id)
        .send()
        .await
        .map_err(|e| vec![format!("{e:?}")])?;
    p.check("key rotation", rotation.key_rotation_enabled(), true);

    // S3 bucket.
    let s3 = forge_e2e::s3_client(config);
    let bucket = format!("{prefix}-assets");
    match s3.get_bucket_encryption().bucket(&bucket).send().await {
        Ok(enc) => {
            let rule = enc
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first());
            let default = rule.and_then(|r| r.apply_server_side_encryption_by_default());
            p.check(
                "bucket sse",
                default.map(|d| d.sse_algorithm().as_str().to_string()),
                Some("aws:kms".into()),
            );
            p.check(
                "bucket kms key",
                default
                    .and_then(|d| d.kms_master_key_id())
                    .map(str::to_string),
                Some(key_arn.clone()),
            );
            p.check(
                "bucket key enabled",
                rule.and_then(|r| r.bucket_key_enabled()),
                Some(true),
            );
        }
        Err(e) => p.0.push(format!("bucket encryption: {e:?}")),
    }
    match s3.get_bucket_versioning().bucket(&bucket).send().await {
        Ok(v) => p.check(
            "bucket versioning",
            v.status().map(|s| s.as_str().to_string()),
            Some("Enabled".into()),
        ),
        Err(e) => p.0.push(format!("bucket versioning: {e:?}")),
    }
    match s3.get_public_access_block().bucket(&bucket).send().await {
        Ok(pab) => {
            let c = pab.public_access_block_configuration();
            p.check(
                "public access block",
                c.map(|c| {
                    [
                        c.block_public_acls(),
                        c.ignore_public_acls(),
                        c.block_public_policy(),
                        c.restrict_public_buckets(),
                    ]
                }),
                Some([Some(true); 4]),
            );
        }
        Err(e) => p.0.push(format!("public access block: {e:?}")),
    }

    // Log group.
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    let group_name = format!("/ecs/{prefix}");
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix(&group_name)
        .send()
        .await
        .map_err(|e| vec![format!("{e:?}")])?;
    match groups
        .log_groups()
        .iter()
        .find(|g| g.log_group_name() == Some(&group_name))
    {
        Some(g) => {
            p.check("log retention", g.retention_in_days(), Some(7));
            p.check("log kms key", g.kms_key_id(), Some(key_arn.as_str()));
        }
        None => p.0.push(format!("no log group {group_name}")),
    }

    // Secret.
    let sm = aws_sdk_secretsmanager::Client::new(config);
    // `${stack}/${env}/app`; the prefix is `${stack}-${env}`.
    let stack = prefix.strip_suffix(&format!("-{ENV}")).unwrap_or(prefix);
    let secret_name = format!("{stack}/{ENV}/app");
    let secret_arn = match sm.describe_secret().secret_id(&secret_name).send().await {
        Ok(s) => {
            p.check("secret kms key", s.kms_key_id(), Some(key_arn.as_str()));
            s.arn().unwrap_or_default().to_string()
        }
        Err(e) => {
            p.0.push(format!("secret {secret_name}: {e:?}"));
            String::new()
        }
    };

    // IAM roles.
    let iam = aws_sdk_iam::Client::new(config);
    let mut role_arns = Vec::new();
    for suffix in ["execution", "task"] {
        let name = format!("{prefix}-{suffix}");
        match iam.get_role().role_name(&name).send().await {
            Ok(r) => {
                let role = r.role();
                let trust = role
                    .and_then(|r| r.assume_role_policy_document())
                    .unwrap_or_default();
                p.require(
                    &format!("{name} trusts ecs-tasks.amazonaws.com: {trust}"),
                    trust.contains("ecs-tasks.amazonaws.com"),
                );
                role_arns.push(role.map(|r| r.arn().to_string()).unwrap_or_default());
            }
            Err(e) => p.0.push(format!("role {name}: {e:?}")),
        }
    }
    let exec_role = format!("{prefix}-execution");
    match iam
        .list_attached_role_policies()
        .role_name(&exec_role)
        .send()
        .await
    {
        Ok(a) => p.check(
            "execution role managed policies",
            a.attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn())
                .collect::<Vec<_>>(),
            vec!["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"],
        ),
        Err(e) => p.0.push(format!("attached policies: {e:?}")),
    }
    match iam
        .get_role_policy()
        .role_name(&exec_role)
        .policy_name("read-app-secret")
        .send()
        .await
    {
        Ok(pol) => {
            let doc = pol.policy_document().to_string();
            let doc = percent_decode(&doc);
            p.require(
                &format!("inline policy reads the secret: {doc}"),
                doc.contains("secretsmanager:GetSecretValue") && doc.contains(&secret_arn),
            );
        }
        Err(e) => p.0.push(format!("inline policy: {e:?}")),
    }

    // Load balancer, target group, listener.
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(config);
    let lbs = elb
        .describe_load_balancers()
        .names(prefix)
        .send()
        .await
        .map_err(|e| vec![format!("describe load balancers: {e:?}")])?;
    let lb = lbs
        .load_balancers()
        .first()
        .ok_or_else(|| vec![format!("no load balancer {prefix}")])?;
    let alb_arn = lb.load_balancer_arn().unwrap_or_default().to_string();
    p.check(
        "alb scheme",
        lb.scheme().map(|s| s.as_str().to_string()),
        Some("internet-facing".into()),
    );
    p.check("alb subnets", lb.availability_zones().len(), 3);
    p.check("alb security groups", lb.security_groups().len(), 1);
    let tgs = elb
        .describe_target_groups()
        .names(format!("{prefix}-app"))
        .send()
        .await
        .map_err(|e| vec![format!("describe target groups: {e:?}")])?;
    let tg = tgs
        .target_groups()
        .first()
        .ok_or_else(|| vec!["no target group".to_string()])?;
    let tg_arn = tg.target_group_arn().unwrap_or_default().to_string();
    p.check(
        "target type",
        tg.target_type().map(|t| t.as_str().to_string()),
        Some("ip".into()),
    );
    p.check("target port", tg.port(), Some(8080));
    p.check("health check path", tg.health_check_path(), Some("/"));
    p.check(
        "health check matcher",
        tg.matcher().and_then(|m| m.http_code()),
        Some("200-399"),
    );
    let listeners = elb
        .describe_listeners()
        .load_balancer_arn(&alb_arn)
        .send()
        .await
        .map_err(|e| vec![format!("describe listeners: {e:?}")])?;
    p.check("listeners", listeners.listeners().len(), 1);
    if let Some(l) = listeners.listeners().first() {
        p.check("listener port", l.port(), Some(80));
        p.check(
            "listener forwards to the target group",
            l.default_actions()
                .iter()
                .map(|a| {
                    (
                        a.r#type().map(|t| t.as_str().to_string()),
                        a.target_group_arn().map(str::to_string),
                    )
                })
                .collect::<Vec<_>>(),
            vec![(Some("forward".into()), Some(tg_arn.clone()))],
        );
    }

    // WAF on the ALB.
    let waf = aws_sdk_wafv2::Client::new(config);
    let acl = waf
        .get_web_acl_for_resource()
        .resource_arn(&alb_arn)
        .send()
        .await
        .map_err(|e| vec![format!("web acl for the alb: {e:?}")])?;
    let acl = acl
        .web_acl()
        .ok_or_else(|| vec!["no web ACL associated with the ALB".to_string()])?;
    p.check("web acl name", acl.name(), prefix);
    let rate = acl
        .rules()
        .iter()
        .find(|r| r.name() == "rate-limit")
        .and_then(|r| r.statement())
        .and_then(|s| s.rate_based_statement())
        .map(|s| s.limit());
    p.check("waf rate limit", rate, Some(exp.rate_limit));
    let overrides = acl
        .rules()
        .iter()
        .find(|r| r.name() == "aws-common")
        .and_then(|r| r.statement())
        .and_then(|s| s.managed_rule_group_statement())
        .map(|m| {
            m.rule_action_overrides()
                .iter()
                .map(|o| o.name().to_string())
                .collect::<Vec<_>>()
        });
    p.check(
        "managed rule group overrides",
        overrides,
        Some(vec!["SizeRestrictions_BODY".to_string()]),
    );
    let web_acl_id = acl.id().to_string();

    // ECS cluster, service, task definition.
    let ecs = aws_sdk_ecs::Client::new(config);
    let clusters = ecs
        .describe_clusters()
        .clusters(prefix)
        .include(aws_sdk_ecs::types::ClusterField::Settings)
        .send()
        .await
        .map_err(|e| vec![format!("describe clusters: {e:?}")])?;
    match clusters.clusters().first() {
        Some(c) => {
            p.check("cluster status", c.status(), Some("ACTIVE"));
            p.check(
                "capacity providers",
                c.capacity_providers().to_vec(),
                vec!["FARGATE".to_string(), "FARGATE_SPOT".to_string()],
            );
            p.check(
                "container insights",
                c.settings()
                    .iter()
                    .find(|s| s.name().map(|n| n.as_str()) == Some("containerInsights"))
                    .and_then(|s| s.value()),
                Some("enabled"),
            );
        }
        None => p.0.push(format!("no cluster {prefix}")),
    }
    let services = ecs
        .describe_services()
        .cluster(prefix)
        .services("app")
        .send()
        .await
        .map_err(|e| vec![format!("describe services: {e:?}")])?;
    let svc = services
        .services()
        .first()
        .ok_or_else(|| vec!["no service app".to_string()])?;
    p.check("desired count", svc.desired_count(), exp.desired_count);
    p.check(
        "launch type",
        svc.launch_type().map(|t| t.as_str().to_string()),
        Some("FARGATE".into()),
    );
    p.check(
        "service load balancer",
        svc.load_balancers()
            .iter()
            .map(|l| {
                (
                    l.target_group_arn().map(str::to_string),
                    l.container_name().map(str::to_string),
                    l.container_port(),
                )
            })
            .collect::<Vec<_>>(),
        vec![(Some(tg_arn), Some("app".into()), Some(8080))],
    );
    let vpc = svc
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration());
    p.check("service subnets", vpc.map(|v| v.subnets().len()), Some(3));
    p.check(
        "service security groups",
        vpc.map(|v| v.security_groups().len()),
        Some(1),
    );
    let breaker = svc
        .deployment_configuration()
        .and_then(|d| d.deployment_circuit_breaker());
    p.check(
        "circuit breaker",
        breaker.map(|b| (b.enable(), b.rollback())),
        Some((true, true)),
    );
    p.check(
        "health check grace period",
        svc.health_check_grace_period_seconds(),
        Some(60),
    );
    let task_definition_arn = svc.task_definition().unwrap_or_default().to_string();
    let td = ecs
        .describe_task_definition()
        .task_definition(&task_definition_arn)
        .send()
        .await
        .map_err(|e| vec![format!("describe task definition: {e:?}")])?;
    let td = td
        .task_definition()
        .ok_or_else(|| vec!["no task definition".to_string()])?;
    p.check(
        "task definition status",
        td.status().map(|s| s.as_str().to_string()),
        Some("ACTIVE".into()),
    );
    p.check("task cpu", td.cpu(), Some("256"));
    p.check("task memory", td.memory(), Some("512"));
    p.check(
        "task roles",
        vec![
            td.execution_role_arn().unwrap_or_default().to_string(),
            td.task_role_arn().unwrap_or_default().to_string(),
        ],
        role_arns,
    );
    match td.container_definitions().first() {
        Some(c) => {
            p.check("image", c.image(), Some(exp.image.as_str()));
            p.check(
                "container secrets",
                c.secrets()
                    .iter()
                    .map(|s| (s.name().to_string(), s.value_from().to_string()))
                    .collect::<Vec<_>>(),
                vec![("APP_SECRET".to_string(), secret_arn)],
            );
            let log = c.log_configuration();
            p.check(
                "log driver",
                log.map(|l| l.log_driver().as_str().to_string()),
                Some("awslogs".into()),
            );
            p.check(
                "awslogs-group",
                log.and_then(|l| l.options())
                    .and_then(|o| o.get("awslogs-group"))
                    .cloned(),
                Some(group_name),
            );
        }
        None => p.0.push("task definition has no container".into()),
    }

    // Autoscaling.
    let aas = aws_sdk_applicationautoscaling::Client::new(config);
    let resource_id = format!("service/{prefix}/app");
    let targets = aas
        .describe_scalable_targets()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .resource_ids(&resource_id)
        .send()
        .await
        .map_err(|e| vec![format!("describe scalable targets: {e:?}")])?;
    p.check(
        "scalable target min/max",
        targets
            .scalable_targets()
            .iter()
            .map(|t| (t.min_capacity(), t.max_capacity()))
            .collect::<Vec<_>>(),
        vec![(1, 5)],
    );
    let policies = aas
        .describe_scaling_policies()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .resource_id(&resource_id)
        .send()
        .await
        .map_err(|e| vec![format!("describe scaling policies: {e:?}")])?;
    let mut got: Vec<(String, Option<f64>)> = policies
        .scaling_policies()
        .iter()
        .map(|p| {
            (
                p.policy_name().to_string(),
                p.target_tracking_scaling_policy_configuration()
                    .map(|c| c.target_value()),
            )
        })
        .collect();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    p.check(
        "scaling policies",
        got,
        vec![
            ("cpu-70".into(), Some(70.0)),
            ("memory-80".into(), Some(80.0)),
        ],
    );

    if p.0.is_empty() {
        Ok(Observed {
            alb_arn,
            task_definition_arn,
            web_acl_id,
        })
    } else {
        Err(p.0)
    }
}

/// IAM returns policy documents URL-encoded.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Ok(hex) = std::str::from_utf8(hex)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn verified(w: &World, exp: &Expected, after: &RunOutput) -> Observed {
    match verify(&w.config().await, exp, &w.prefix).await {
        Ok(obs) => obs,
        Err(problems) => panic!(
            "AWS does not hold the expected app tier:\n  - {}\n\nafter:\n{after}",
            problems.join("\n  - ")
        ),
    }
}

/// Everything of the stack still in the emulator, in every service the
/// stack uses (the emulator is this test's own, so "anything named or
/// tagged like the stack" is exact).
async fn leftovers(config: &SdkConfig) -> Vec<String> {
    let mut left = Vec::new();
    let ec2 = aws_sdk_ec2::Client::new(config);
    match network::leftovers(&ec2).await {
        Ok(l) => left.extend(l),
        Err(e) => left.push(format!("ec2: {e}")),
    }
    let named = |name: &str| name.contains("getting-started");

    let elb = aws_sdk_elasticloadbalancingv2::Client::new(config);
    gather(
        &mut left,
        "elbv2",
        elb.describe_load_balancers().send().await,
        |o| {
            o.load_balancers()
                .iter()
                .filter_map(|l| l.load_balancer_name())
                .map(|n| format!("load balancer {n}"))
                .collect()
        },
    );
    gather(
        &mut left,
        "elbv2",
        elb.describe_target_groups().send().await,
        |o| {
            o.target_groups()
                .iter()
                .filter_map(|t| t.target_group_name())
                .map(|n| format!("target group {n}"))
                .collect()
        },
    );
    let waf = aws_sdk_wafv2::Client::new(config);
    let acls = waf
        .list_web_acls()
        .scope(aws_sdk_wafv2::types::Scope::Regional)
        .send()
        .await;
    gather(&mut left, "wafv2", acls, |o| {
        o.web_acls()
            .iter()
            .filter_map(|a| a.name())
            .map(|n| format!("web acl {n}"))
            .collect()
    });
    let ecs = aws_sdk_ecs::Client::new(config);
    match ecs.list_clusters().send().await {
        Ok(o) if !o.cluster_arns().is_empty() => {
            match ecs
                .describe_clusters()
                .set_clusters(Some(o.cluster_arns().to_vec()))
                .send()
                .await
            {
                Ok(d) => left.extend(
                    d.clusters()
                        .iter()
                        .filter(|c| c.status() != Some("INACTIVE"))
                        .map(|c| format!("ecs cluster {:?}", c.cluster_name())),
                ),
                Err(e) => left.push(format!("ecs: {e:?}")),
            }
        }
        Ok(_) => {}
        Err(e) => left.push(format!("ecs: {e:?}")),
    }
    let task_definitions = ecs
        .list_task_definitions()
        .status(aws_sdk_ecs::types::TaskDefinitionStatus::Active)
        .send()
        .await;
    gather(&mut left, "ecs", task_definitions, |o| {
        o.task_definition_arns()
            .iter()
            .map(|a| format!("ACTIVE task definition {a}"))
            .collect()
    });
    let aas = aws_sdk_applicationautoscaling::Client::new(config);
    let ecs_ns = aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs;
    let targets = aas
        .describe_scalable_targets()
        .service_namespace(ecs_ns.clone())
        .send()
        .await;
    gather(&mut left, "autoscaling", targets, |o| {
        o.scalable_targets()
            .iter()
            .map(|t| format!("scalable target {}", t.resource_id()))
            .collect()
    });
    let policies = aas
        .describe_scaling_policies()
        .service_namespace(ecs_ns)
        .send()
        .await;
    gather(&mut left, "autoscaling", policies, |o| {
        o.scaling_policies()
            .iter()
            .map(|p| format!("scaling policy {}", p.policy_name()))
            .collect()
    });
    let iam = aws_sdk_iam::Client::new(config);
    gather(&mut left, "iam", iam.list_roles().send().await, |o| {
        o.roles()
            .iter()
            .filter(|r| named(r.role_name()))
            .map(|r| format!("role {}", r.role_name()))
            .collect()
    });
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    gather(
        &mut left,
        "logs",
        logs.describe_log_groups().send().await,
        |o| {
            o.log_groups()
                .iter()
                .filter_map(|g| g.log_group_name())
                .map(|n| format!("log group {n}"))
                .collect()
        },
    );
    let kms = aws_sdk_kms::Client::new(config);
    match kms.list_keys().send().await {
        Ok(o) => {
            for k in o.keys() {
                let id = k.key_id().unwrap_or_default();
                match kms.describe_key().key_id(id).send().await {
                    Ok(d) => {
                        let state = d.key_metadata().and_then(|m| m.key_state());
                        if state.map(|s| s.as_str()) != Some("PendingDeletion") {
                            left.push(format!("kms key {id} ({state:?})"));
                        }
                    }
                    Err(e) => left.push(format!("kms: {e:?}")),
                }
            }
        }
        Err(e) => left.push(format!("kms: {e:?}")),
    }
    gather(&mut left, "kms", kms.list_aliases().send().await, |o| {
        o.aliases()
            .iter()
            .filter_map(|a| a.alias_name())
            .filter(|n| named(n))
            .map(|n| format!("kms alias {n}"))
            .collect()
    });
    let s3 = forge_e2e::s3_client(config);
    gather(&mut left, "s3", s3.list_buckets().send().await, |o| {
        o.buckets()
            .iter()
            .filter_map(|b| b.name())
            .map(|n| format!("bucket {n}"))
            .collect()
    });
    let sm = aws_sdk_secretsmanager::Client::new(config);
    let secrets = sm
        .list_secrets()
        .include_planned_deletion(true)
        .send()
        .await;
    gather(&mut left, "secretsmanager", secrets, |o| {
        o.secret_list()
            .iter()
            .filter_map(|s| s.name())
            .map(|n| format!("secret {n}"))
            .collect()
    });
    left
}

/// Adds what a listing found to `left`, or the listing's failure: an
/// unreadable service must fail the check, never pass it.
fn gather<T, E: std::fmt::Debug>(
    left: &mut Vec<String>,
    service: &str,
    listed: Result<T, E>,
    found: impl FnOnce(T) -> Vec<String>,
) {
    match listed {
        Ok(o) => left.extend(found(o)),
        Err(e) => left.push(format!("{service}: {e:?}")),
    }
}

/// [`leftovers`] in a real account, which holds other stacks: the
/// stack's EC2 objects, whatever the tagging API lists with its
/// `forge:stack` tag, and its IAM roles and scalable targets (which the
/// tagging API does not list), by name.
async fn stack_leftovers(config: &SdkConfig, stack: &str, prefix: &str) -> Vec<String> {
    let mut left = Vec::new();
    let ec2 = aws_sdk_ec2::Client::new(config);
    match network::leftovers_in(&ec2, Some(stack)).await {
        Ok(l) => left.extend(l),
        Err(e) => left.push(format!("ec2: {e}")),
    }
    match live_tagged(config, STACK_TAG, &[stack]).await {
        // EC2 is covered (with NAT states) above.
        Ok(t) => left.extend(
            t.into_iter()
                .filter(|t| !t.arn.contains(":ec2:"))
                .map(|t| t.to_string()),
        ),
        Err(e) => left.push(e),
    }
    let iam = aws_sdk_iam::Client::new(config);
    let roles: Result<Vec<_>, _> = iam
        .list_roles()
        .into_paginator()
        .items()
        .send()
        .collect()
        .await;
    gather(&mut left, "iam", roles, |roles| {
        roles
            .iter()
            .filter(|r| r.role_name().starts_with(prefix))
            .map(|r| format!("role {}", r.role_name()))
            .collect()
    });
    let aas = aws_sdk_applicationautoscaling::Client::new(config);
    let targets = aas
        .describe_scalable_targets()
        .service_namespace(aws_sdk_applicationautoscaling::types::ServiceNamespace::Ecs)
        .send()
        .await;
    gather(&mut left, "autoscaling", targets, |o| {
        o.scalable_targets()
            .iter()
            .filter(|t| t.resource_id().contains(&format!("/{prefix}/")))
            .map(|t| format!("scalable target {}", t.resource_id()))
            .collect()
    });
    left
}

async fn assert_nothing_left(w: &World, after: &RunOutput) {
    let config = w.config().await;
    let left = match &w.real_name {
        None => leftovers(&config).await,
        Some(stack) => stack_leftovers(&config, stack, &w.prefix).await,
    };
    assert!(
        left.is_empty(),
        "left behind after destroy:\n  - {}\n\nafter:\n{after}",
        left.join("\n  - ")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_tier_apply_verify_update_and_destroy() {
    let Some(mut w) = World::start("app_tier::app_tier_apply_verify_update_and_destroy") else {
        return;
    };
    let mut exp = Expected::default();

    w.run("plan", &["--detailed-exitcode"]).expect_code(2);
    let out = w.apply();
    let first = verified(&w, &exp, &out).await;
    w.assert_no_changes();

    let outputs = w.run("output", &["--json"]);
    outputs.expect_success();
    let json: Json = serde_json::from_str(&outputs.stdout)
        .unwrap_or_else(|e| panic!("output --json is not JSON ({e})\n{outputs}"));
    let output = |name: &str| {
        json.get(name)
            .map(|v| v.get("value").unwrap_or(v).clone())
            .unwrap_or(Json::Null)
    };
    assert_eq!(output("cluster_name"), w.prefix.as_str(), "{outputs}");
    assert_eq!(output("service_name"), "app", "{outputs}");
    assert!(
        output("alb_dns_name")
            .as_str()
            .is_some_and(|d| d.contains(w.prefix.as_str())),
        "{outputs}"
    );

    // A new image: a new task definition revision, the service moves to
    // it, the old revision is deregistered (INACTIVE).
    exp.image = "public.ecr.aws/nginx/nginx:1.27".into();
    w.set_var("image", &exp.image);
    assert_eq!(w.planned_action("app_task"), "replace");
    let out = w.apply();
    let second = verified(&w, &exp, &out).await;
    assert_ne!(
        second.task_definition_arn, first.task_definition_arn,
        "a new image must register a new revision\n{out}"
    );
    assert_eq!(second.alb_arn, first.alb_arn, "{out}");
    let ecs = aws_sdk_ecs::Client::new(&w.config().await);
    let old = ecs
        .describe_task_definition()
        .task_definition(&first.task_definition_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        old.task_definition()
            .and_then(|t| t.status())
            .map(|s| s.as_str()),
        Some("INACTIVE"),
        "the old revision must be deregistered\n{out}"
    );
    w.assert_no_changes();

    // Desired count: in place.
    exp.desired_count = 3;
    w.set_var("desired_count", "3");
    assert_eq!(w.planned_action("app"), "update");
    let out = w.apply();
    let third = verified(&w, &exp, &out).await;
    assert_eq!(
        third.task_definition_arn, second.task_definition_arn,
        "{out}"
    );
    w.assert_no_changes();

    // WAF rate limit: in place (UpdateWebACL with a fresh LockToken); the
    // ACL keeps its id.
    exp.rate_limit = 500;
    w.set_var("rate_limit", "500");
    assert_eq!(w.planned_action("waf"), "update");
    let out = w.apply();
    let fourth = verified(&w, &exp, &out).await;
    assert_eq!(fourth.web_acl_id, first.web_acl_id, "{out}");
    w.assert_no_changes();

    let out = w.run("destroy", &["--auto-approve"]);
    out.expect_success();
    assert_nothing_left(&w, &out).await;
}

/// Every file under `dir`, as (path, text).
fn files_under(dir: &Path, out: &mut Vec<(String, String)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((
                path.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_value_never_printed_logged_or_stored() {
    forge_e2e::require_emulator!("records every request through the proxy to look for the secret");
    const SECRET: &str = "Zq7-forge-e2e-SECRET-4f1d9c";
    const ROTATED: &str = "Zq7-forge-e2e-ROTATED-8b2e0a";
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let proxy =
        Proxy::start(&emulator.endpoint, FaultConfig::none()).unwrap_or_else(|e| panic!("{e}"));
    // The most verbose logging there is (forge has no log subscriber yet;
    // the SDK and engine only log through `tracing`), set anyway so the test
    // keeps checking if one is added.
    let mut env = proxy.env();
    env.push(("RUST_LOG".into(), "trace".into()));
    env.push(("RUST_BACKTRACE".into(), "1".into()));
    let forge = Forge::new(env).unwrap_or_else(|e| panic!("{e}"));
    let mut w = World::with(emulator, forge, &[&format!("app_secret={SECRET}")]);

    let mut printed: Vec<RunOutput> = Vec::new();
    let mut keep = |out: RunOutput| -> RunOutput {
        printed.push(out.clone());
        out
    };
    keep(w.run("validate", &[])).expect_success();
    keep(w.run("plan", &[])).expect_success();
    keep(w.run("plan", &["--json"])).expect_success();
    keep(w.run("plan", &["-out", "plan.json"])).expect_success();
    let plan_file = w.stack.path().join("plan.json");
    let plan_path = plan_file.display().to_string();
    // The file keeps only a hash of the secret: the apply is given it again.
    let secret_var = format!("app_secret={SECRET}");
    keep(
        w.forge
            .run(
                w.stack.path(),
                &["apply", &plan_path, "--auto-approve", "--var", &secret_var],
            )
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .expect_success();
    keep(w.run("plan", &["--detailed-exitcode"])).expect_code(0);
    keep(w.run("output", &["--json"])).expect_success();
    keep(w.run("output", &[])).expect_success();
    keep(w.run_head(&["state", "show", "app_secret"], &[])).expect_success();
    keep(w.run_head(&["state", "list"], &[])).expect_success();
    keep(w.run("drift", &["--json"]));

    // The value really went to AWS: the test would catch a leak.
    let config = w.config().await;
    let sm = aws_sdk_secretsmanager::Client::new(&config);
    let got = sm
        .get_secret_value()
        .secret_id("getting-started/dev/app")
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_string(), Some(SECRET));

    // A changed value plans as a masked update.
    w.set_var("app_secret", ROTATED);
    let plan = keep(w.run("plan", &["--detailed-exitcode"]));
    plan.expect_code(2);
    assert!(plan.stdout.contains("app_secret"), "{plan}");
    keep(w.run("plan", &["--json"])).expect_success();

    // Failing runs: a bad value for another var (a load error), and an
    // apply whose Secrets Manager calls all fail (errors of the very call
    // carrying the value).
    keep(w.run("plan", &["--var", "desired_count=lots"])).expect_code(1);
    proxy.set_faults(
        FaultConfig::none()
            .with_errors(1.0)
            .only(ActionFilter::prefix("secretsmanager:")),
    );
    let failed = keep(w.run("apply", &["--auto-approve"]));
    assert_ne!(failed.code(), Some(0), "{failed}");
    proxy.set_faults(FaultConfig::none());
    keep(w.run("apply", &["--auto-approve"])).expect_success();
    let got = sm
        .get_secret_value()
        .secret_id("getting-started/dev/app")
        .send()
        .await
        .unwrap();
    assert_eq!(got.secret_string(), Some(ROTATED));
    keep(w.run_head(&["state", "show", "app_secret"], &[])).expect_success();
    // The state as apply left it (destroy empties it).
    let mut stored = Vec::new();
    files_under(&w.stack.path().join(".forge"), &mut stored);
    keep(w.run("destroy", &["--auto-approve"])).expect_success();

    // Everything forge printed, the saved plan and every state file
    // (including the previous copies).
    let mut texts: Vec<(String, String)> = printed
        .iter()
        .flat_map(|o| {
            [
                (format!("{} (stdout)", o.command), o.stdout.clone()),
                (format!("{} (stderr)", o.command), o.stderr.clone()),
            ]
        })
        .collect();
    texts.extend(stored);
    files_under(&w.stack.path().join(".forge"), &mut texts);
    // The saved plan holds hashes of the secrets, never the values.
    assert!(plan_file.exists(), "plan -out wrote no {plan_path}");
    texts.push((
        plan_path.clone(),
        std::fs::read_to_string(&plan_file).unwrap_or_else(|e| panic!("{plan_path}: {e}")),
    ));
    assert!(
        texts.iter().any(|(name, _)| name.contains(".forge/state")),
        "no state file found under .forge: {:?}",
        texts.iter().map(|t| &t.0).collect::<Vec<_>>()
    );
    let mut leaks = Vec::new();
    for (name, text) in &texts {
        for value in [SECRET, ROTATED] {
            if text.contains(value) {
                leaks.push(format!("{name} contains {value:?}:\n{text}"));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "the secret leaked in {} place(s):\n{}",
        leaks.len(),
        leaks.join("\n----\n")
    );
    let total: usize = texts.iter().map(|t| t.1.len()).sum();
    println!(
        "secret grep: {} outputs and files, {total} bytes, no occurrence",
        texts.len()
    );
}

/// A saved plan (`forge plan -out FILE`), unlike a Terraform plan file,
/// holds only hashes of the sensitive values its apply will send (the
/// apply is given them again); it is still created readable by its owner
/// only (also when it replaces a world-readable file), forge says what it
/// holds, and nothing it prints holds the secret.
#[test]
fn saved_plan_file_is_private_and_printed_plan_holds_no_secret() {
    use std::os::unix::fs::PermissionsExt;
    const SECRET: &str = "Zq7-forge-e2e-PLANFILE-c0ffee";
    let w = World::new(&[&format!("app_secret={SECRET}")]);
    let path = w.stack.path().join("plan.json");
    std::fs::write(&path, "old").unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = w.run("plan", &["-out", "plan.json"]);
    out.expect_success();
    let printed = format!("{}{}", out.stdout, out.stderr);
    assert!(
        !printed.contains(SECRET),
        "the printed plan holds the secret"
    );
    assert!(
        out.stderr.contains("holds hashes of the sensitive values"),
        "forge says the file keeps hashes of the secrets: {}",
        out.stderr
    );
    let mode = std::fs::metadata(&path)
        .unwrap_or_else(|e| panic!("{e}"))
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "plan file mode {mode:o}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("plan.json: {e}"));
    assert!(!text.contains(SECRET), "the saved plan holds the secret");
    assert!(text.contains("\"sha256\""), "the saved plan holds its hash");
}
