//! The application and data tiers of the migrated estate, made with the
//! AWS SDK: an Aurora PostgreSQL cluster with one instance in a DB subnet
//! group, an ALB with an ip target group and an HTTP listener, an ECS
//! cluster, a Fargate task definition and a service behind the target
//! group. Their Terraform state is written from what the SDK reads back,
//! as terraform-provider-aws records what it read after its own create
//! (attribute names and shapes from the provider's resource docs).

use super::{ACCOUNT, REGION, instance, resource};
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, Compatibility, ContainerDefinition, LaunchType,
    LoadBalancer as EcsLoadBalancer, LogConfiguration, LogDriver, NetworkConfiguration,
    NetworkMode, PortMapping, TransportProtocol,
};
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, LoadBalancerSchemeEnum, ProtocolEnum, TargetTypeEnum,
};
use serde_json::{Value as Json, json};

/// What the SDK made, as read back.
pub struct AppEstate {
    pub cluster: aws_sdk_rds::types::DbCluster,
    pub db_instance: aws_sdk_rds::types::DbInstance,
    pub subnet_group: aws_sdk_rds::types::DbSubnetGroup,
    pub lb: aws_sdk_elasticloadbalancingv2::types::LoadBalancer,
    pub tg: aws_sdk_elasticloadbalancingv2::types::TargetGroup,
    pub listener: aws_sdk_elasticloadbalancingv2::types::Listener,
    pub ecs_cluster_arn: String,
    pub task_definition: aws_sdk_ecs::types::TaskDefinition,
    pub service: aws_sdk_ecs::types::Service,
    pub sg: String,
    pub subnets: Vec<String>,
}

/// The master password (Terraform marks it sensitive; it must not reach
/// the generated spec).
pub const DB_PASSWORD: &str = "migr8-Secret-pw";
pub const EXEC_POLICY: &str =
    "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

pub async fn build(
    config: &aws_config::SdkConfig,
    vpc: &str,
    subnets: &[String],
    sg: &str,
    key_arn: &str,
) -> AppEstate {
    let rds = aws_sdk_rds::Client::new(config);
    rds.create_db_subnet_group()
        .db_subnet_group_name("acme-db")
        .db_subnet_group_description("acme database")
        .set_subnet_ids(Some(subnets.to_vec()))
        .send()
        .await
        .unwrap();
    rds.create_db_cluster()
        .db_cluster_identifier("acme-db")
        .engine("aurora-postgresql")
        .engine_version("15.4")
        .master_username("app")
        .master_user_password(DB_PASSWORD)
        .database_name("app")
        .db_subnet_group_name("acme-db")
        .vpc_security_group_ids(sg)
        .storage_encrypted(true)
        .kms_key_id(key_arn)
        .backup_retention_period(7)
        .send()
        .await
        .unwrap();
    rds.create_db_instance()
        .db_instance_identifier("acme-db-1")
        .db_cluster_identifier("acme-db")
        .engine("aurora-postgresql")
        .db_instance_class("db.r6g.large")
        .send()
        .await
        .unwrap();
    let cluster = rds
        .describe_db_clusters()
        .db_cluster_identifier("acme-db")
        .send()
        .await
        .unwrap()
        .db_clusters()[0]
        .clone();
    let db_instance = rds
        .describe_db_instances()
        .db_instance_identifier("acme-db-1")
        .send()
        .await
        .unwrap()
        .db_instances()[0]
        .clone();
    let subnet_group = rds
        .describe_db_subnet_groups()
        .db_subnet_group_name("acme-db")
        .send()
        .await
        .unwrap()
        .db_subnet_groups()[0]
        .clone();

    let elb = aws_sdk_elasticloadbalancingv2::Client::new(config);
    let lb = elb
        .create_load_balancer()
        .name("acme-web")
        .set_subnets(Some(subnets.to_vec()))
        .security_groups(sg)
        .scheme(LoadBalancerSchemeEnum::InternetFacing)
        .send()
        .await
        .unwrap()
        .load_balancers()[0]
        .clone();
    let tg = elb
        .create_target_group()
        .name("acme-web")
        .protocol(ProtocolEnum::Http)
        .port(80)
        .vpc_id(vpc)
        .target_type(TargetTypeEnum::Ip)
        .health_check_path("/health")
        .send()
        .await
        .unwrap()
        .target_groups()[0]
        .clone();
    let tg_arn = tg.target_group_arn().unwrap().to_string();
    let listener = elb
        .create_listener()
        .load_balancer_arn(lb.load_balancer_arn().unwrap())
        .protocol(ProtocolEnum::Http)
        .port(80)
        .default_actions(
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .target_group_arn(&tg_arn)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .listeners()[0]
        .clone();

    let ecs = aws_sdk_ecs::Client::new(config);
    let ecs_cluster_arn = ecs
        .create_cluster()
        .cluster_name("acme")
        .send()
        .await
        .unwrap()
        .cluster
        .and_then(|c| c.cluster_arn)
        .unwrap();
    let container = ContainerDefinition::builder()
        .name("web")
        .image("public.ecr.aws/nginx/nginx:1.27")
        .essential(true)
        .port_mappings(
            PortMapping::builder()
                .container_port(80)
                .host_port(80)
                .protocol(TransportProtocol::Tcp)
                .build(),
        )
        .environment(
            aws_sdk_ecs::types::KeyValuePair::builder()
                .name("APP_ENV")
                .value("prod")
                .build(),
        )
        .log_configuration(
            LogConfiguration::builder()
                .log_driver(LogDriver::Awslogs)
                .options("awslogs-group", "/ecs/acme-web")
                .options("awslogs-region", REGION)
                .options("awslogs-stream-prefix", "web")
                .build()
                .unwrap(),
        )
        .build();
    let task_definition = ecs
        .register_task_definition()
        .family("acme-web")
        .requires_compatibilities(Compatibility::Fargate)
        .network_mode(NetworkMode::Awsvpc)
        .cpu("256")
        .memory("512")
        .execution_role_arn(format!("arn:aws:iam::{ACCOUNT}:role/acme-app"))
        .container_definitions(container)
        .send()
        .await
        .unwrap()
        .task_definition
        .unwrap();
    let service = ecs
        .create_service()
        .cluster("acme")
        .service_name("web")
        .task_definition(task_definition.task_definition_arn().unwrap())
        .desired_count(1)
        .launch_type(LaunchType::Fargate)
        .network_configuration(
            NetworkConfiguration::builder()
                .awsvpc_configuration(
                    AwsVpcConfiguration::builder()
                        .set_subnets(Some(subnets.to_vec()))
                        .security_groups(sg)
                        .assign_public_ip(AssignPublicIp::Disabled)
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .load_balancers(
            EcsLoadBalancer::builder()
                .target_group_arn(&tg_arn)
                .container_name("web")
                .container_port(80)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .service
        .unwrap();

    let iam = aws_sdk_iam::Client::new(config);
    iam.attach_role_policy()
        .role_name("acme-app")
        .policy_arn(EXEC_POLICY)
        .send()
        .await
        .unwrap();

    AppEstate {
        cluster,
        db_instance,
        subnet_group,
        lb,
        tg,
        listener,
        ecs_cluster_arn,
        task_definition,
        service,
        sg: sg.to_string(),
        subnets: subnets.to_vec(),
    }
}

fn text(v: Option<&str>) -> Json {
    json!(v.unwrap_or_default())
}

/// Terraform's JSON text of the container definitions: the API's
/// camelCase shape, as the provider stores it.
fn container_definitions_json(td: &aws_sdk_ecs::types::TaskDefinition) -> String {
    let defs: Vec<Json> = td
        .container_definitions()
        .iter()
        .map(|c| {
            let ports: Vec<Json> = c
                .port_mappings()
                .iter()
                .map(|p| {
                    json!({"containerPort": p.container_port(), "hostPort": p.host_port(),
                           "protocol": p.protocol().map(|p| p.as_str())})
                })
                .collect();
            let env: Vec<Json> = c
                .environment()
                .iter()
                .map(|e| json!({"name": e.name(), "value": e.value()}))
                .collect();
            let log = c.log_configuration().map(|l| {
                json!({"logDriver": l.log_driver().as_str(), "options": l.options(), "secretOptions": []})
            });
            json!({"name": c.name(), "image": c.image(), "essential": c.essential(), "cpu": c.cpu(),
                   "portMappings": ports, "environment": env, "mountPoints": [], "volumesFrom": [],
                   "systemControls": [], "logConfiguration": log})
        })
        .collect();
    serde_json::to_string(&defs).unwrap()
}

/// The state terraform-provider-aws records for the tiers (under
/// `module.data` and `module.app`).
pub fn tf_resources(e: &AppEstate) -> Vec<Json> {
    let data = Some("module.data");
    let app = Some("module.app");
    let c = &e.cluster;
    let i = &e.db_instance;
    let tg_arn = e.tg.target_group_arn().unwrap_or_default();
    let hc = &e.tg;
    let td = &e.task_definition;
    let svc = &e.service;
    let subnets = json!(e.subnets);
    let dc = svc.deployment_configuration();
    let breaker = dc.and_then(|d| d.deployment_circuit_breaker());
    let password_sensitive = json!([[{"type": "get_attr", "value": "master_password"}]]);
    let mut cluster = instance(json!({
        "arn": c.db_cluster_arn(), "availability_zones": c.availability_zones(),
        "backup_retention_period": c.backup_retention_period(),
        "cluster_identifier": "acme-db", "cluster_identifier_prefix": "",
        "cluster_members": ["acme-db-1"], "cluster_resource_id": c.db_cluster_resource_id(),
        "copy_tags_to_snapshot": c.copy_tags_to_snapshot().unwrap_or(false),
        "database_name": "app", "db_cluster_parameter_group_name": c.db_cluster_parameter_group(),
        "db_subnet_group_name": "acme-db", "deletion_protection": c.deletion_protection().unwrap_or(false),
        "enabled_cloudwatch_logs_exports": [], "endpoint": c.endpoint(), "engine": "aurora-postgresql",
        "engine_mode": "provisioned", "engine_version": c.engine_version(),
        "final_snapshot_identifier": null, "hosted_zone_id": c.hosted_zone_id(),
        "iam_database_authentication_enabled": false, "id": "acme-db",
        "kms_key_id": c.kms_key_id(), "master_password": DB_PASSWORD, "master_username": "app",
        "port": c.port(), "preferred_backup_window": c.preferred_backup_window(),
        "preferred_maintenance_window": c.preferred_maintenance_window(),
        "reader_endpoint": c.reader_endpoint(), "skip_final_snapshot": true,
        "storage_encrypted": true, "tags": {}, "tags_all": {},
        "vpc_security_group_ids": [e.sg]}));
    cluster["sensitive_attributes"] = password_sensitive;
    vec![
        resource(
            data,
            "aws_db_subnet_group",
            "this",
            vec![instance(json!({
            "arn": e.subnet_group.db_subnet_group_arn(), "description": "acme database",
            "id": "acme-db", "name": "acme-db", "name_prefix": "", "subnet_ids": subnets,
            "supported_network_types": ["IPV4"], "tags": {}, "tags_all": {},
            "vpc_id": e.subnet_group.vpc_id()}))],
        ),
        resource(data, "aws_rds_cluster", "this", vec![cluster]),
        resource(
            data,
            "aws_rds_cluster_instance",
            "this",
            vec![super::counted(
                0,
                json!({
            "apply_immediately": null, "arn": i.db_instance_arn(),
            "auto_minor_version_upgrade": i.auto_minor_version_upgrade().unwrap_or(true),
            "availability_zone": i.availability_zone(), "cluster_identifier": "acme-db",
            "db_parameter_group_name": i.db_parameter_groups().first().and_then(|g| g.db_parameter_group_name()),
            "db_subnet_group_name": "acme-db", "endpoint": i.endpoint().and_then(|e| e.address()),
            "engine": "aurora-postgresql", "engine_version": i.engine_version(),
            "id": "acme-db-1", "identifier": "acme-db-1", "identifier_prefix": "",
            "instance_class": "db.r6g.large", "monitoring_interval": i.monitoring_interval().unwrap_or(0),
            "monitoring_role_arn": "", "performance_insights_enabled": i.performance_insights_enabled().unwrap_or(false),
            "promotion_tier": i.promotion_tier().unwrap_or(0),
            "publicly_accessible": i.publicly_accessible().unwrap_or(false),
            "storage_encrypted": true, "tags": {}, "tags_all": {}, "writer": true}),
            )],
        ),
        resource(
            app,
            "aws_lb",
            "this",
            vec![instance(json!({
            "access_logs": [{"bucket": "", "enabled": false, "prefix": ""}],
            "arn": e.lb.load_balancer_arn(), "arn_suffix": "", "dns_name": e.lb.dns_name(),
            "drop_invalid_header_fields": false, "enable_deletion_protection": false,
            "enable_http2": true, "id": e.lb.load_balancer_arn(), "idle_timeout": 60,
            "internal": false, "ip_address_type": "ipv4", "load_balancer_type": "application",
            "name": "acme-web", "name_prefix": "", "security_groups": [e.sg], "subnets": subnets,
            "tags": {}, "tags_all": {}, "vpc_id": e.lb.vpc_id(), "zone_id": e.lb.canonical_hosted_zone_id()}))],
        ),
        resource(
            app,
            "aws_lb_target_group",
            "this",
            vec![instance(json!({
            "arn": tg_arn, "arn_suffix": "", "deregistration_delay": "300",
            "health_check": [{"enabled": hc.health_check_enabled().unwrap_or(true),
                "healthy_threshold": hc.healthy_threshold_count(),
                "interval": hc.health_check_interval_seconds(),
                "matcher": hc.matcher().and_then(|m| m.http_code()).unwrap_or("200"),
                "path": "/health", "port": text(hc.health_check_port()),
                "protocol": hc.health_check_protocol().map(|p| p.as_str()),
                "timeout": hc.health_check_timeout_seconds(),
                "unhealthy_threshold": hc.unhealthy_threshold_count()}],
            "id": tg_arn, "ip_address_type": "ipv4", "name": "acme-web", "name_prefix": "",
            "port": 80, "protocol": "HTTP", "protocol_version": "HTTP1", "slow_start": 0,
            "tags": {}, "tags_all": {}, "target_type": "ip", "vpc_id": hc.vpc_id()}))],
        ),
        resource(
            app,
            "aws_lb_listener",
            "http",
            vec![instance(json!({
            "alpn_policy": null, "arn": e.listener.listener_arn(), "certificate_arn": null,
            "default_action": [{"authenticate_cognito": [], "authenticate_oidc": [], "fixed_response": [],
                "forward": [], "order": 1, "redirect": [], "target_group_arn": tg_arn, "type": "forward"}],
            "id": e.listener.listener_arn(), "load_balancer_arn": e.lb.load_balancer_arn(),
            "port": 80, "protocol": "HTTP", "ssl_policy": "", "tags": {}, "tags_all": {}}))],
        ),
        resource(
            app,
            "aws_ecs_cluster",
            "this",
            vec![instance(json!({
            "arn": e.ecs_cluster_arn, "configuration": [], "id": e.ecs_cluster_arn, "name": "acme",
            "service_connect_defaults": [], "setting": [{"name": "containerInsights", "value": "disabled"}],
            "tags": {}, "tags_all": {}}))],
        ),
        resource(
            app,
            "aws_ecs_task_definition",
            "web",
            vec![instance(json!({
            "arn": td.task_definition_arn(), "arn_without_revision": format!("arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/acme-web"),
            "container_definitions": container_definitions_json(td), "cpu": "256",
            "ephemeral_storage": [], "execution_role_arn": td.execution_role_arn(), "family": "acme-web",
            "id": "acme-web", "inference_accelerator": [], "ipc_mode": "", "memory": "512",
            "network_mode": "awsvpc", "pid_mode": "", "placement_constraints": [],
            "proxy_configuration": [], "requires_compatibilities": ["FARGATE"],
            "revision": td.revision(), "runtime_platform": [], "skip_destroy": false,
            "tags": {}, "tags_all": {}, "task_role_arn": "", "track_latest": false, "volume": []}))],
        ),
        resource(
            app,
            "aws_ecs_service",
            "web",
            vec![instance(json!({
            "alarms": [], "capacity_provider_strategy": [], "cluster": e.ecs_cluster_arn,
            "deployment_circuit_breaker": [{"enable": breaker.map(|b| b.enable()).unwrap_or(false),
                "rollback": breaker.map(|b| b.rollback()).unwrap_or(false)}],
            "deployment_controller": [{"type": "ECS"}],
            "deployment_maximum_percent": dc.and_then(|d| d.maximum_percent()).unwrap_or(200),
            "deployment_minimum_healthy_percent": dc.and_then(|d| d.minimum_healthy_percent()).unwrap_or(100),
            "desired_count": 1, "enable_ecs_managed_tags": false, "enable_execute_command": false,
            "force_new_deployment": null, "health_check_grace_period_seconds": 0, "iam_role": "",
            "id": svc.service_arn(), "launch_type": "FARGATE",
            "load_balancer": [{"container_name": "web", "container_port": 80, "elb_name": "", "target_group_arn": tg_arn}],
            "name": "web", "network_configuration": [{"assign_public_ip": false,
                "security_groups": [e.sg], "subnets": subnets}],
            "ordered_placement_strategy": [], "placement_constraints": [],
            "platform_version": text(svc.platform_version()), "propagate_tags": "NONE",
            "scheduling_strategy": "REPLICA", "service_connect_configuration": [],
            "service_registries": [], "tags": {}, "tags_all": {},
            "task_definition": td.task_definition_arn(), "triggers": {},
            "wait_for_steady_state": false}))],
        ),
        resource(
            None,
            "aws_iam_role_policy_attachment",
            "exec",
            vec![instance(json!({
            "id": "acme-app-20240101000000000000000001", "policy_arn": EXEC_POLICY, "role": "acme-app"}))],
        ),
    ]
}

/// After destroy: no cluster, instance, subnet group, load balancer, target
/// group is left; the task definition revision and the ECS cluster are no
/// longer active.
pub async fn assert_gone(config: &aws_config::SdkConfig) {
    let rds = aws_sdk_rds::Client::new(config);
    let clusters = rds.describe_db_clusters().send().await.unwrap();
    assert!(
        clusters.db_clusters().is_empty(),
        "an Aurora cluster is left"
    );
    let instances = rds.describe_db_instances().send().await.unwrap();
    assert!(instances.db_instances().is_empty(), "a DB instance is left");
    let groups = rds.describe_db_subnet_groups().send().await.unwrap();
    assert!(
        groups.db_subnet_groups().is_empty(),
        "a DB subnet group is left"
    );
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(config);
    let lbs = elb.describe_load_balancers().send().await.unwrap();
    assert!(lbs.load_balancers().is_empty(), "the load balancer is left");
    let tgs = elb.describe_target_groups().send().await.unwrap();
    assert!(tgs.target_groups().is_empty(), "the target group is left");
    let ecs = aws_sdk_ecs::Client::new(config);
    let clusters = ecs
        .describe_clusters()
        .clusters("acme")
        .send()
        .await
        .unwrap();
    let active = |s: Option<&str>| s == Some("ACTIVE");
    assert!(
        !clusters.clusters().iter().any(|c| active(c.status())),
        "the ECS cluster is still active"
    );
    let services = ecs
        .describe_services()
        .cluster("acme")
        .services("web")
        .send()
        .await;
    let service_active = services
        .map(|o| o.services().iter().any(|s| active(s.status())))
        .unwrap_or(false);
    assert!(!service_active, "the ECS service is still active");
    // AWS lists a deregistered revision as INACTIVE (or DELETE_IN_PROGRESS
    // once deleted); the emulator forgets it.
    let td = ecs
        .describe_task_definition()
        .task_definition("acme-web:1")
        .send()
        .await;
    let status = td
        .ok()
        .and_then(|o| o.task_definition)
        .and_then(|t| t.status)
        .map(|s| s.as_str().to_string());
    assert!(
        !matches!(status.as_deref(), Some("ACTIVE")),
        "the task definition is still active"
    );
    let iam = aws_sdk_iam::Client::new(config);
    assert!(
        iam.get_role().role_name("acme-app").send().await.is_err(),
        "the role is left"
    );
}
