//! `aws.ecs.service`: an ECS service (Fargate launch type or a capacity
//! provider strategy), its network configuration, load balancers and
//! deployment settings.
//!
//! Name, cluster and launch type cannot change (replacement); everything
//! else changes with one UpdateService carrying only what differs (a new
//! task definition starts a rolling deployment). Delete scales to 0 and
//! deletes with `force`, so a service with running tasks goes in one step.
//!
//! `cluster` and `task_definition` are compared by name (`prod`,
//! `api:7`), so a spec may give either the ARN or the name. When an
//! autoscaling target manages the service, put `desired_count` under
//! `lifecycle.ignore_changes`, as with Terraform.
//!
//! Readiness follows the primary deployment's rollout state
//! (`IN_PROGRESS` -> pending, `FAILED` -> failed, `COMPLETED` -> ready);
//! where ECS reports no rollout state, a service with a single deployment
//! is ready. Running task counts are never waited for: the rollout state
//! already says whether the deployment reached steady state.
//!
//! Observe cost: one DescribeServices (tags included) per cluster per 10
//! services (the API's limit per call).

use super::common::{
    self, CONCURRENCY, EcsBase, ecs_err, from_sdk_strategy, name_of, normalize_strategy,
    observed_tags, strategy_schema, to_sdk_strategy,
};
use crate::attrs::attrs;
use crate::attrs::{opt_bool, opt_i64, opt_str, req_str, str_or_null, str_set};
use crate::clients::AwsClients;
use crate::elbv2::common::{int_of, number_value};
use crate::normalize::normalize_common;
use crate::paging::{collect_pages, for_chunks};
use crate::tags::tags_field;
use async_trait::async_trait;
use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, DeploymentCircuitBreaker, DeploymentConfiguration,
    LaunchType, LoadBalancer, NetworkConfiguration, PropagateTags, Service, ServiceField,
};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::Owner;
use forge_engine::diff::values_equal;
use forge_engine::{
    Created, FieldChange, ObserveCtx, Provider, ProviderError, Readiness, ResourceCtx,
};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// Services per DescribeServices call (the API's limit).
const BATCH: usize = 10;

/// The longest client token ECS accepts.
const MAX_CLIENT_TOKEN: usize = 36;

/// The `aws.ecs.service` provider.
pub struct ServiceProvider {
    base: EcsBase,
    schema: KindSchema,
}

impl ServiceProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        ServiceProvider {
            base: EcsBase::new(clients),
            schema: schema(),
        }
    }
}

fn default_deployment() -> Value {
    Value::from_json(&serde_json::json!({
        "deployment_circuit_breaker": {"enable": false, "rollback": false},
        "maximum_percent": 200,
        "minimum_healthy_percent": 100,
    }))
}

/// The schema of `aws.ecs.service`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.ecs.service",
        "An ECS service keeping tasks of a task definition running.",
        [
            (
                "service_name",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("Service name, unique in the cluster."),
            ),
            (
                "cluster",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("Cluster ARN or name."),
            ),
            (
                "task_definition",
                FieldSchema::required(FieldType::String)
                    .describe("Task definition ARN or family:revision."),
            ),
            (
                "desired_count",
                FieldSchema::required(FieldType::Number).describe("Tasks to keep running."),
            ),
            (
                "launch_type",
                FieldSchema::optional_computed(FieldType::String)
                    .force_new()
                    .describe("FARGATE; leave unset when giving a capacity provider strategy."),
            ),
            (
                "capacity_provider_strategy",
                FieldSchema::optional_computed(strategy_schema())
                    .describe("FARGATE / FARGATE_SPOT weights and bases."),
            ),
            (
                "platform_version",
                FieldSchema::optional_computed(FieldType::String)
                    .describe("Fargate platform version (LATEST)."),
            ),
            (
                "network_configuration",
                FieldSchema::optional(FieldType::object([
                    (
                        "subnets",
                        FieldSchema::required(FieldType::list(FieldType::String))
                            .describe("Subnet ids (a set)."),
                    ),
                    (
                        "security_groups",
                        FieldSchema::required(FieldType::list(FieldType::String))
                            .describe("Security group ids (a set)."),
                    ),
                    (
                        "assign_public_ip",
                        FieldSchema::optional(FieldType::String)
                            .default("DISABLED")
                            .describe("ENABLED or DISABLED (default)."),
                    ),
                ]))
                .describe("awsvpc networking of the tasks."),
            ),
            (
                "load_balancers",
                FieldSchema::optional(FieldType::list(FieldType::object([
                    (
                        "target_group_arn",
                        FieldSchema::required(FieldType::String)
                            .describe("Target group to register tasks in."),
                    ),
                    (
                        "container_name",
                        FieldSchema::required(FieldType::String)
                            .describe("Container receiving traffic."),
                    ),
                    (
                        "container_port",
                        FieldSchema::required(FieldType::Number).describe("Its port."),
                    ),
                ])))
                .default(Value::List(Vec::new()))
                .describe("Target groups the tasks are registered in (a set)."),
            ),
            (
                "deployment_configuration",
                FieldSchema::optional(FieldType::object([
                    (
                        "deployment_circuit_breaker",
                        FieldSchema::optional(FieldType::object([
                            (
                                "enable",
                                FieldSchema::optional(FieldType::Bool)
                                    .default(false)
                                    .describe("Stop failing deployments."),
                            ),
                            (
                                "rollback",
                                FieldSchema::optional(FieldType::Bool)
                                    .default(false)
                                    .describe("Roll back a failed deployment."),
                            ),
                        ]))
                        .describe("Deployment circuit breaker."),
                    ),
                    (
                        "maximum_percent",
                        FieldSchema::optional(FieldType::Number)
                            .default(200i64)
                            .describe("Upper task limit during deployments (%)."),
                    ),
                    (
                        "minimum_healthy_percent",
                        FieldSchema::optional(FieldType::Number)
                            .default(100i64)
                            .describe("Lower healthy task limit during deployments (%)."),
                    ),
                ]))
                .default(default_deployment())
                .describe("Rolling deployment settings."),
            ),
            (
                "health_check_grace_period_seconds",
                FieldSchema::optional_computed(FieldType::Number)
                    .describe("Seconds to ignore load balancer health checks after start."),
            ),
            (
                "enable_execute_command",
                FieldSchema::optional(FieldType::Bool)
                    .default(false)
                    .describe("Allow ECS Exec."),
            ),
            (
                "enable_ecs_managed_tags",
                FieldSchema::optional(FieldType::Bool)
                    .default(false)
                    .describe("Tag tasks with cluster/service."),
            ),
            (
                "propagate_tags",
                FieldSchema::optional(FieldType::String)
                    .default("NONE")
                    .describe("SERVICE, TASK_DEFINITION or NONE."),
            ),
            ("tags", tags_field()),
            (
                "arn",
                FieldSchema::computed(FieldType::String).describe("The service's ARN (= id)."),
            ),
            (
                "status",
                FieldSchema::computed(FieldType::String).describe("ACTIVE, DRAINING or INACTIVE."),
            ),
            (
                "running_count",
                FieldSchema::computed(FieldType::Number).describe("Tasks running now."),
            ),
            (
                "rollout_state",
                FieldSchema::computed(FieldType::String)
                    .describe("The primary deployment's rollout state."),
            ),
            (
                "deployment_count",
                FieldSchema::computed(FieldType::Number)
                    .describe("Deployments in progress or active."),
            ),
        ],
    )
}

/// The cluster part of a service ARN (`...:service/prod/api` -> `prod`);
/// old-format ARNs (`service/api`) live in the `default` cluster.
pub fn cluster_of(service_arn: &str) -> String {
    let path = service_arn
        .split_once(":service/")
        .map_or(service_arn, |(_, p)| p);
    match path.split_once('/') {
        Some((cluster, _)) => cluster.to_string(),
        None => "default".to_string(),
    }
}

fn normalize_network(v: &Value) -> Value {
    let Some(m) = v.as_map() else {
        return v.clone();
    };
    let mut out = m.clone();
    for key in ["subnets", "security_groups"] {
        if let Some(Value::List(items)) = out.get_mut(key)
            && items.iter().all(Value::is_known)
        {
            items.sort_by_key(|x| x.to_json().to_string());
            items.dedup();
        }
    }
    let ip = match out.get("assign_public_ip").filter(|v| !v.is_null()) {
        Some(Value::String(s)) => Value::String(s.to_ascii_uppercase()),
        Some(other) => other.clone(),
        None => Value::from("DISABLED"),
    };
    out.insert("assign_public_ip".into(), ip);
    Value::Map(out)
}

fn normalize_load_balancers(v: &Value) -> Value {
    let Value::List(items) = v else {
        return if v.is_null() {
            Value::List(Vec::new())
        } else {
            v.clone()
        };
    };
    let mut out: Vec<Value> = items
        .iter()
        .map(|i| match i.as_map() {
            Some(m) => {
                let mut o = m.clone();
                o.retain(|k, v| {
                    !v.is_null()
                        && ["target_group_arn", "container_name", "container_port"]
                            .contains(&k.as_str())
                });
                if let Some(p) = o.get_mut("container_port") {
                    *p = number_value(p);
                }
                Value::Map(o)
            }
            None => i.clone(),
        })
        .collect();
    if out.iter().all(Value::is_known) {
        out.sort_by_key(|v| v.to_json().to_string());
    }
    Value::List(out)
}

fn normalize_deployment(v: &Value) -> Value {
    let defaults = default_deployment();
    let Some(given) = v.as_map() else {
        return if v.is_null() { defaults } else { v.clone() };
    };
    let mut out = BTreeMap::new();
    for key in ["maximum_percent", "minimum_healthy_percent"] {
        let d = defaults.get(key).cloned().unwrap_or(Value::Null);
        out.insert(
            key.to_string(),
            given
                .get(key)
                .filter(|v| !v.is_null())
                .map_or(d, number_value),
        );
    }
    let cb = given
        .get("deployment_circuit_breaker")
        .and_then(Value::as_map);
    let mut breaker = BTreeMap::new();
    for key in ["enable", "rollback"] {
        breaker.insert(
            key.to_string(),
            cb.and_then(|c| c.get(key))
                .filter(|v| !v.is_null())
                .cloned()
                .unwrap_or(Value::Bool(false)),
        );
    }
    out.insert("deployment_circuit_breaker".into(), Value::Map(breaker));
    Value::Map(out)
}

fn name_value(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::from(name_of(s)),
        other => other.clone(),
    }
}

fn service_attrs(s: &Service) -> Attrs {
    let arn = s.service_arn().unwrap_or_default();
    let network = s
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration())
        .map_or(Value::Null, |a| {
            Value::Map(BTreeMap::from([
                (
                    "subnets".to_string(),
                    str_set(a.subnets().iter().map(String::as_str)),
                ),
                (
                    "security_groups".to_string(),
                    str_set(a.security_groups().iter().map(String::as_str)),
                ),
                (
                    "assign_public_ip".to_string(),
                    str_or_null(a.assign_public_ip().map(|p| p.as_str())),
                ),
            ]))
        });
    let lbs = s
        .load_balancers()
        .iter()
        .map(|l| {
            Value::Map(BTreeMap::from([
                (
                    "target_group_arn".to_string(),
                    str_or_null(l.target_group_arn()),
                ),
                (
                    "container_name".to_string(),
                    str_or_null(l.container_name()),
                ),
                (
                    "container_port".to_string(),
                    crate::attrs::int_or_null(l.container_port()),
                ),
            ]))
        })
        .collect();
    let deployment = s.deployment_configuration().map_or(Value::Null, |d| {
        let mut m = BTreeMap::new();
        if let Some(cb) = d.deployment_circuit_breaker() {
            m.insert(
                "deployment_circuit_breaker".to_string(),
                Value::Map(BTreeMap::from([
                    ("enable".to_string(), Value::Bool(cb.enable())),
                    ("rollback".to_string(), Value::Bool(cb.rollback())),
                ])),
            );
        }
        if let Some(p) = d.maximum_percent() {
            m.insert("maximum_percent".to_string(), Value::int(i64::from(p)));
        }
        if let Some(p) = d.minimum_healthy_percent() {
            m.insert(
                "minimum_healthy_percent".to_string(),
                Value::int(i64::from(p)),
            );
        }
        Value::Map(m)
    });
    let primary = s
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"));
    attrs([
        ("id", arn.into()),
        ("arn", arn.into()),
        ("service_name", str_or_null(s.service_name())),
        (
            "cluster",
            s.cluster_arn()
                .map_or(Value::Null, |c| Value::from(name_of(c))),
        ),
        (
            "task_definition",
            s.task_definition()
                .map_or(Value::Null, |t| Value::from(name_of(t))),
        ),
        ("desired_count", Value::int(i64::from(s.desired_count()))),
        (
            "launch_type",
            str_or_null(s.launch_type().map(|l| l.as_str())),
        ),
        (
            "capacity_provider_strategy",
            from_sdk_strategy(s.capacity_provider_strategy()),
        ),
        ("platform_version", str_or_null(s.platform_version())),
        ("network_configuration", network),
        ("load_balancers", Value::List(lbs)),
        ("deployment_configuration", deployment),
        (
            "health_check_grace_period_seconds",
            crate::attrs::int_or_null(s.health_check_grace_period_seconds()),
        ),
        (
            "enable_execute_command",
            Value::Bool(s.enable_execute_command()),
        ),
        (
            "enable_ecs_managed_tags",
            Value::Bool(s.enable_ecs_managed_tags()),
        ),
        (
            "propagate_tags",
            Value::from(s.propagate_tags().map_or("NONE", |p| p.as_str())),
        ),
        ("tags", observed_tags(s.tags())),
        ("status", str_or_null(s.status())),
        ("running_count", Value::int(i64::from(s.running_count()))),
        (
            "rollout_state",
            str_or_null(primary.and_then(|d| d.rollout_state()).map(|r| r.as_str())),
        ),
        (
            "deployment_count",
            Value::int(i64::try_from(s.deployments().len()).unwrap_or(i64::MAX)),
        ),
    ])
}

fn alive(s: &Service) -> bool {
    // DRAINING is a service being deleted: it will be INACTIVE shortly.
    matches!(s.status(), Some("ACTIVE") | None)
}

/// Describes services by ARN: one call per cluster per 10 services.
async fn describe(client: &Client, arns: &[String]) -> Result<Vec<Service>, ProviderError> {
    let mut by_cluster: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for arn in arns {
        by_cluster
            .entry(cluster_of(arn))
            .or_default()
            .push(arn.clone());
    }
    let mut out = Vec::new();
    for (cluster, ids) in by_cluster {
        let cluster = &cluster;
        let found = for_chunks(&ids, BATCH, |chunk| async move {
            match client
                .describe_services()
                .cluster(cluster)
                .set_services(Some(chunk))
                .include(ServiceField::Tags)
                .send()
                .await
                .map_err(ecs_err)
            {
                Ok(o) => Ok(o.services.unwrap_or_default()),
                // The whole cluster is gone, and its services with it.
                Err(e) if common::is_gone(&e) => Ok(Vec::new()),
                Err(e) => Err(e),
            }
        })
        .await?;
        out.extend(found.into_iter().filter(alive));
    }
    Ok(out)
}

async fn observe_services(
    client: &Client,
    arns: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let services = describe(client, arns).await?;
    Ok(services
        .iter()
        .filter_map(|s| Some((s.service_arn()?.to_string(), service_attrs(s))))
        .collect())
}

async fn observe_one(client: &Client, arn: &str) -> Result<Attrs, ProviderError> {
    observe_services(client, &[arn.to_string()])
        .await?
        .remove(arn)
        .ok_or_else(|| ProviderError::Transient {
            message: format!("service {arn} not visible yet"),
        })
}

fn to_i32(v: Option<&Value>) -> Option<i32> {
    v.and_then(int_of).and_then(|i| i32::try_from(i).ok())
}

fn sdk_network(desired: &Attrs) -> Result<Option<NetworkConfiguration>, ProviderError> {
    let Some(n) = desired
        .get("network_configuration")
        .filter(|v| !v.is_null())
    else {
        return Ok(None);
    };
    let list = |k: &str| -> Vec<String> {
        n.get(k)
            .and_then(Value::as_list)
            .map(|l| {
                l.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(list("subnets")))
        .set_security_groups(Some(list("security_groups")))
        .set_assign_public_ip(
            n.get("assign_public_ip")
                .and_then(Value::as_str)
                .map(AssignPublicIp::from),
        )
        .build()
        .map_err(|e| ProviderError::Invalid(format!("network_configuration: {e}")))?;
    Ok(Some(
        NetworkConfiguration::builder()
            .awsvpc_configuration(vpc)
            .build(),
    ))
}

fn sdk_load_balancers(desired: &Attrs) -> Vec<LoadBalancer> {
    desired
        .get("load_balancers")
        .and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .map(|l| {
            LoadBalancer::builder()
                .set_target_group_arn(
                    l.get("target_group_arn")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                )
                .set_container_name(
                    l.get("container_name")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                )
                .set_container_port(to_i32(l.get("container_port")))
                .build()
        })
        .collect()
}

fn sdk_deployment(desired: &Attrs) -> DeploymentConfiguration {
    let d = normalize_deployment(
        desired
            .get("deployment_configuration")
            .unwrap_or(&Value::Null),
    );
    let cb = d.get("deployment_circuit_breaker");
    let flag = |k: &str| {
        cb.and_then(|c| c.get(k))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    DeploymentConfiguration::builder()
        .deployment_circuit_breaker(
            DeploymentCircuitBreaker::builder()
                .enable(flag("enable"))
                .rollback(flag("rollback"))
                .build(),
        )
        .set_maximum_percent(to_i32(d.get("maximum_percent")))
        .set_minimum_healthy_percent(to_i32(d.get("minimum_healthy_percent")))
        .build()
}

/// The fields an UpdateService must carry to go from `prior` to `desired`
/// (pure; each listed field is sent, the rest left out).
pub fn update_fields(prior: &Attrs, desired: &Attrs) -> Vec<&'static str> {
    const UPDATABLE: [&str; 11] = [
        "task_definition",
        "desired_count",
        "capacity_provider_strategy",
        "platform_version",
        "network_configuration",
        "load_balancers",
        "deployment_configuration",
        "health_check_grace_period_seconds",
        "enable_execute_command",
        "enable_ecs_managed_tags",
        "propagate_tags",
    ];
    UPDATABLE
        .into_iter()
        .filter(|k| match (prior.get(*k), desired.get(*k)) {
            (_, None) | (_, Some(Value::Null)) => false,
            (Some(a), Some(b)) => !values_equal(a, b),
            (None, Some(_)) => true,
        })
        .collect()
}

#[async_trait]
impl Provider for ServiceProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(CONCURRENCY)
    }

    fn poll_interval(&self) -> Duration {
        Duration::from_secs(15)
    }

    fn ready_timeout(&self) -> Duration {
        Duration::from_secs(30 * 60)
    }

    fn normalize(&self, mut attrs: Attrs) -> Attrs {
        for key in ["cluster", "task_definition"] {
            if let Some(v) = attrs.get_mut(key) {
                *v = name_value(v);
            }
        }
        for key in ["desired_count", "health_check_grace_period_seconds"] {
            if let Some(v) = attrs.get_mut(key) {
                *v = number_value(v);
            }
        }
        if let Some(v) = attrs.get_mut("capacity_provider_strategy")
            && !v.is_null()
        {
            *v = normalize_strategy(v);
        }
        if let Some(v) = attrs.get_mut("network_configuration") {
            *v = normalize_network(v);
        }
        let lbs = normalize_load_balancers(attrs.get("load_balancers").unwrap_or(&Value::Null));
        attrs.insert("load_balancers".into(), lbs);
        let dep = normalize_deployment(
            attrs
                .get("deployment_configuration")
                .unwrap_or(&Value::Null),
        );
        attrs.insert("deployment_configuration".into(), dep);
        normalize_common(&self.schema, &mut attrs);
        attrs
    }

    async fn observe(
        &self,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        observe_services(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let strategy = to_sdk_strategy(desired.get("capacity_provider_strategy"))?;
        let lbs = sdk_load_balancers(desired);
        let out = client
            .create_service()
            .cluster(req_str(desired, "cluster")?)
            .service_name(req_str(desired, "service_name")?)
            .task_definition(req_str(desired, "task_definition")?)
            .desired_count(to_i32(desired.get("desired_count")).unwrap_or(0))
            .client_token(token.chars().take(MAX_CLIENT_TOKEN).collect::<String>())
            .set_launch_type(opt_str(desired, "launch_type").map(LaunchType::from))
            .set_capacity_provider_strategy(if strategy.is_empty() {
                None
            } else {
                Some(strategy)
            })
            .set_platform_version(opt_str(desired, "platform_version").map(str::to_string))
            .set_network_configuration(sdk_network(desired)?)
            .set_load_balancers(if lbs.is_empty() { None } else { Some(lbs) })
            .deployment_configuration(sdk_deployment(desired))
            .set_health_check_grace_period_seconds(to_i32(
                desired.get("health_check_grace_period_seconds"),
            ))
            .set_enable_execute_command(opt_bool(desired, "enable_execute_command"))
            .set_enable_ecs_managed_tags(opt_bool(desired, "enable_ecs_managed_tags"))
            .set_propagate_tags(opt_str(desired, "propagate_tags").map(PropagateTags::from))
            .set_tags(Some(common::create_tags(desired, ctx)))
            .send()
            .await
            .map_err(ecs_err)?;
        let arn = out
            .service()
            .and_then(|s| s.service_arn())
            .ok_or_else(|| ProviderError::Transient {
                message: "CreateService returned no ARN".into(),
            })?
            .to_string();
        let attrs = observe_one(&client, &arn).await?;
        Ok(Created { id: arn, attrs })
    }

    async fn update(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Attrs,
        desired: &Attrs,
        _changes: &[FieldChange],
    ) -> Result<Attrs, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let fields = update_fields(prior, desired);
        if !fields.is_empty() {
            let has = |k: &str| fields.contains(&k);
            let mut call = client.update_service().cluster(cluster_of(id)).service(id);
            if has("task_definition") {
                call = call
                    .set_task_definition(opt_str(desired, "task_definition").map(str::to_string));
            }
            if has("desired_count") {
                call = call.set_desired_count(to_i32(desired.get("desired_count")));
            }
            if has("capacity_provider_strategy") {
                call = call.set_capacity_provider_strategy(Some(to_sdk_strategy(
                    desired.get("capacity_provider_strategy"),
                )?));
            }
            if has("platform_version") {
                call = call
                    .set_platform_version(opt_str(desired, "platform_version").map(str::to_string));
            }
            if has("network_configuration") {
                call = call.set_network_configuration(sdk_network(desired)?);
            }
            if has("load_balancers") {
                call = call.set_load_balancers(Some(sdk_load_balancers(desired)));
            }
            if has("deployment_configuration") {
                call = call.deployment_configuration(sdk_deployment(desired));
            }
            if has("health_check_grace_period_seconds") {
                call = call.set_health_check_grace_period_seconds(to_i32(
                    desired.get("health_check_grace_period_seconds"),
                ));
            }
            if has("enable_execute_command") {
                call = call.set_enable_execute_command(opt_bool(desired, "enable_execute_command"));
            }
            if has("enable_ecs_managed_tags") {
                call =
                    call.set_enable_ecs_managed_tags(opt_bool(desired, "enable_ecs_managed_tags"));
            }
            if has("propagate_tags") {
                call = call.set_propagate_tags(
                    opt_str(desired, "propagate_tags").map(PropagateTags::from),
                );
            }
            call.send().await.map_err(ecs_err)?;
        }
        common::sync_tags(&client, id, prior, desired).await?;
        observe_one(&client, id).await
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let cluster = cluster_of(id);
        // Scaling to 0 first stops new tasks from being placed while the
        // service drains; `force` then deletes without waiting for it.
        let scaled = client
            .update_service()
            .cluster(&cluster)
            .service(id)
            .desired_count(0)
            .send()
            .await
            .map_err(ecs_err);
        match scaled {
            Err(e) if common::is_gone(&e) => return Ok(()),
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        common::delete_result(
            client
                .delete_service()
                .cluster(&cluster)
                .service(id)
                .force(true)
                .send()
                .await
                .map(|_| ())
                .map_err(ecs_err),
        )
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let _ = token;
        let address = ctx.address.to_string();
        let Some((arn, _)) = tagged(&client, &ctx.owner, Some(&address))
            .await?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        let attrs = observe_one(&client, &arn).await?;
        Ok(Some(Created { id: arn, attrs }))
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        tagged(&client, &ctx.owner, None).await
    }

    fn readiness(&self, observed: &Attrs) -> Readiness {
        service_readiness(observed)
    }
}

/// Readiness from the observed rollout state (see the module docs).
pub fn service_readiness(observed: &Attrs) -> Readiness {
    match observed.get("rollout_state").and_then(Value::as_str) {
        Some("IN_PROGRESS") => Readiness::Pending("deployment IN_PROGRESS".into()),
        Some("FAILED") => Readiness::Failed("deployment FAILED (circuit breaker)".into()),
        Some(_) => Readiness::Ready,
        None => match opt_i64(observed, "deployment_count") {
            Some(n) if n > 1 => Readiness::Pending(format!("{n} deployments active")),
            _ => Readiness::Ready,
        },
    }
}

/// The services in every cluster tagged with the stack (address, if
/// given), sorted by ARN.
async fn tagged(
    client: &Client,
    owner: &Owner,
    address: Option<&str>,
) -> Result<Vec<(String, Option<String>)>, ProviderError> {
    let clusters = collect_pages(|token| async move {
        let out = client
            .list_clusters()
            .set_next_token(token)
            .max_results(100)
            .send()
            .await
            .map_err(ecs_err)?;
        Ok((out.cluster_arns.unwrap_or_default(), out.next_token))
    })
    .await?;
    let mut arns = Vec::new();
    for cluster in &clusters {
        let found = collect_pages(|token| async move {
            let out = client
                .list_services()
                .cluster(cluster)
                .set_next_token(token)
                .max_results(100)
                .send()
                .await
                .map_err(ecs_err)?;
            Ok((out.service_arns.unwrap_or_default(), out.next_token))
        })
        .await?;
        arns.extend(found);
    }
    let services = describe(client, &arns).await?;
    let mut out: Vec<(String, Option<String>)> = services
        .iter()
        .filter(|s| common::owned_by(s.tags(), owner, address))
        .filter_map(|s| {
            Some((
                s.service_arn()?.to_string(),
                common::tag_value(s.tags(), crate::tags::ADDRESS_TAG).map(str::to_string),
            ))
        })
        .collect();
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::{Deployment, DeploymentRolloutState};
    use forge_engine::PlannedAction;
    use serde_json::json;

    fn provider() -> ServiceProvider {
        ServiceProvider::new(Arc::new(AwsClients::new(crate::AwsSettings::default())))
    }

    fn desired(j: serde_json::Value) -> Attrs {
        let mut a: Attrs = Value::from_json(&j).as_map().cloned().unwrap_or_default();
        forge_engine::diff::fill_defaults(&schema(), &mut a);
        provider().normalize(a)
    }

    fn spec() -> Attrs {
        desired(json!({
            "service_name": "api",
            "cluster": "arn:aws:ecs:eu-west-1:1:cluster/app",
            "task_definition": "arn:aws:ecs:eu-west-1:1:task-definition/api:3",
            "desired_count": 2,
            "launch_type": "FARGATE",
            "network_configuration": {"subnets": ["subnet-b", "subnet-a"], "security_groups": ["sg-1"]},
            "load_balancers": [{"target_group_arn": "arn:tg", "container_name": "api", "container_port": 8080}],
            "deployment_configuration": {"deployment_circuit_breaker": {"enable": true, "rollback": true}},
            "health_check_grace_period_seconds": 60,
        }))
    }

    fn described(rollout: Option<DeploymentRolloutState>) -> Service {
        let d = spec();
        Service::builder()
            .service_arn("arn:aws:ecs:eu-west-1:1:service/app/api")
            .service_name("api")
            .cluster_arn("arn:aws:ecs:eu-west-1:1:cluster/app")
            .task_definition("arn:aws:ecs:eu-west-1:1:task-definition/api:3")
            .desired_count(2)
            .launch_type(LaunchType::Fargate)
            .platform_version("LATEST")
            .status("ACTIVE")
            .set_network_configuration(sdk_network(&d).unwrap())
            .set_load_balancers(Some(sdk_load_balancers(&d)))
            .deployment_configuration(sdk_deployment(&d))
            .health_check_grace_period_seconds(60)
            .deployments(
                Deployment::builder()
                    .status("PRIMARY")
                    .set_rollout_state(rollout)
                    .build(),
            )
            .build()
    }

    #[test]
    fn described_service_is_a_no_op() {
        let observed = provider().normalize(service_attrs(&described(None)));
        for field in schema().fields.keys() {
            assert!(observed.contains_key(field), "missing {field}");
        }
        let plan = provider().plan(Some(&observed), &spec());
        assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
        assert!(update_fields(&observed, &spec()).is_empty());
    }

    #[test]
    fn desired_count_and_image_updates_are_in_place() {
        let observed = provider().normalize(service_attrs(&described(None)));
        let mut d = spec();
        d.insert("desired_count".into(), Value::int(4));
        d.insert("task_definition".into(), Value::from("api:4"));
        let plan = provider().plan(Some(&observed), &d);
        assert_eq!(plan.action, PlannedAction::Update);
        assert_eq!(
            update_fields(&observed, &d),
            vec!["task_definition", "desired_count"]
        );
        let mut moved = spec();
        moved.insert("cluster".into(), Value::from("other"));
        assert_eq!(
            provider().plan(Some(&observed), &moved).action,
            PlannedAction::Replace
        );
    }

    #[test]
    fn readiness_follows_the_rollout() {
        let ready = provider().readiness(&service_attrs(&described(Some(
            DeploymentRolloutState::Completed,
        ))));
        assert_eq!(ready, Readiness::Ready);
        let pending = provider().readiness(&service_attrs(&described(Some(
            DeploymentRolloutState::InProgress,
        ))));
        assert!(matches!(pending, Readiness::Pending(_)));
        let failed = provider().readiness(&service_attrs(&described(Some(
            DeploymentRolloutState::Failed,
        ))));
        assert!(matches!(failed, Readiness::Failed(_)));
        // No rollout state (the emulator): one deployment is ready, even
        // with 0 tasks running.
        assert_eq!(
            provider().readiness(&service_attrs(&described(None))),
            Readiness::Ready
        );
        let two = attrs([("deployment_count", Value::int(2))]);
        assert!(matches!(service_readiness(&two), Readiness::Pending(_)));
    }

    #[test]
    fn service_arns_name_their_cluster() {
        assert_eq!(cluster_of("arn:aws:ecs:eu-west-1:1:service/app/api"), "app");
        assert_eq!(cluster_of("arn:aws:ecs:eu-west-1:1:service/api"), "default");
    }
}
