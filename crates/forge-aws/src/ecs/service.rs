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
//! With the circuit breaker's `rollback` on, ECS answers a failed
//! deployment by rolling the service back to the last deployment that
//! completed: the service settles (ready) on the previous task definition.
//! An update that settles so did not land: the apply fails with "rolled
//! back to <task definition>" and ECS's reason, and the live service (on
//! the previous revision) is recorded, so the next plan shows the update
//! again.
//!
//! Observe cost: one DescribeServices (tags included) per cluster per 10
//! services (the API's limit per call).

use super::Ecs;
use super::common::{
    StrategyItem, cluster_arns, create_tags, delete_result, is_gone, name_of, normalize_object_set,
    normalize_strategy, owned_of, sdk_strategy, strategy_of, tag_pairs,
};
use crate::error::{none_if, returned_id};
use crate::kind::Service as _;
use crate::kind::prelude::*;
use crate::normalize::number_value;
use crate::paging::{collect_pages, for_chunks};
use crate::tags;
use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, DeploymentCircuitBreaker, DeploymentConfiguration,
    LaunchType, LoadBalancer, NetworkConfiguration, PropagateTags, Service, ServiceField,
};
use forge_core::{Attrs, Value};
use forge_engine::Readiness;
use std::collections::BTreeMap;
use std::time::Duration;

/// Services per DescribeServices call (the API's limit).
const BATCH: usize = 10;

/// The longest client token ECS accepts.
const MAX_CLIENT_TOKEN: usize = 36;

crate::kind::declare_kind!(ServiceKind: "aws.ecs.service", Ecs, ServiceFields,
    "An ECS service keeping tasks of a task definition running.");

/// The fields of `aws.ecs.service`.
#[derive(Debug, Clone, PartialEq, Fields)]
pub struct ServiceFields {
    /// Service name, unique in the cluster.
    #[field(force_new)]
    pub service_name: String,
    /// Cluster ARN or name.
    #[field(force_new, normalize = name_value)]
    pub cluster: String,
    /// Task definition ARN or family:revision.
    #[field(normalize = name_value)]
    pub task_definition: String,
    /// Tasks to keep running.
    #[field(normalize = number_value)]
    pub desired_count: i64,
    /// FARGATE; leave unset when giving a capacity provider strategy.
    #[field(optional_computed, force_new)]
    pub launch_type: Option<String>,
    /// FARGATE / FARGATE_SPOT weights and bases.
    #[field(optional_computed, normalize = normalize_strategy)]
    pub capacity_provider_strategy: Option<Vec<StrategyItem>>,
    /// Fargate platform version (LATEST).
    #[field(optional_computed)]
    pub platform_version: Option<String>,
    /// awsvpc networking of the tasks.
    #[field(normalize = normalize_network)]
    pub network_configuration: Option<Network>,
    /// Target groups the tasks are registered in (a set).
    #[field(default = Value::List(Vec::new()), normalize = normalize_load_balancers)]
    pub load_balancers: Option<Vec<Balancer>>,
    /// Rolling deployment settings.
    #[field(default = default_deployment(), normalize = normalize_deployment)]
    pub deployment_configuration: Option<Deployment>,
    /// Seconds to ignore load balancer health checks after start.
    #[field(optional_computed, normalize = number_value)]
    pub health_check_grace_period_seconds: Option<i64>,
    /// Allow ECS Exec.
    #[field(default = false)]
    pub enable_execute_command: Option<bool>,
    /// Tag tasks with cluster/service.
    #[field(default = false)]
    pub enable_ecs_managed_tags: Option<bool>,
    /// SERVICE, TASK_DEFINITION or NONE.
    #[field(default = "NONE")]
    pub propagate_tags: Option<String>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The service's ARN (= id).
    pub arn: Computed<String>,
    /// ACTIVE, DRAINING or INACTIVE.
    pub status: Computed<String>,
    /// Tasks running now.
    pub running_count: Computed<i64>,
    /// The primary deployment's rollout state.
    pub rollout_state: Computed<String>,
    /// Why the primary deployment is in that state (a failed rollout's
    /// circuit breaker reason).
    pub rollout_state_reason: Computed<String>,
    /// Deployments in progress or active.
    pub deployment_count: Computed<i64>,
}

/// The awsvpc networking of a service's tasks.
#[derive(Debug, Clone, PartialEq, Fields)]
pub struct Network {
    /// Subnet ids (a set).
    pub subnets: Vec<String>,
    /// Security group ids (a set).
    pub security_groups: Vec<String>,
    /// ENABLED or DISABLED (default).
    #[field(default = "DISABLED")]
    pub assign_public_ip: Option<String>,
}

/// A target group a service's tasks are registered in.
#[derive(Debug, Clone, PartialEq, Fields)]
pub struct Balancer {
    /// Target group to register tasks in.
    pub target_group_arn: String,
    /// Container receiving traffic.
    pub container_name: String,
    /// Its port.
    pub container_port: i64,
}

/// Rolling deployment settings.
#[derive(Debug, Clone, PartialEq, Fields)]
pub struct Deployment {
    /// Deployment circuit breaker.
    pub deployment_circuit_breaker: Option<Breaker>,
    /// Upper task limit during deployments (%).
    #[field(default = 200i64)]
    pub maximum_percent: Option<i64>,
    /// Lower healthy task limit during deployments (%).
    #[field(default = 100i64)]
    pub minimum_healthy_percent: Option<i64>,
}

/// The deployment circuit breaker.
#[derive(Debug, Clone, PartialEq, Fields)]
pub struct Breaker {
    /// Stop failing deployments.
    #[field(default = false)]
    pub enable: Option<bool>,
    /// Roll back a failed deployment.
    #[field(default = false)]
    pub rollback: Option<bool>,
}

fn default_deployment() -> Value {
    Value::from_json(&serde_json::json!({
        "deployment_circuit_breaker": {"enable": false, "rollback": false},
        "maximum_percent": 200,
        "minimum_healthy_percent": 100,
    }))
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
    let item = |m: &BTreeMap<String, Value>| {
        let mut o = m.clone();
        o.retain(|k, v| {
            !v.is_null()
                && ["target_group_arn", "container_name", "container_port"].contains(&k.as_str())
        });
        if let Some(p) = o.get_mut("container_port") {
            *p = number_value(p);
        }
        Value::Map(o)
    };
    normalize_object_set(v, item, |v| v.to_json().to_string())
}

/// `given` with every part `defaults` has (numbers as numbers), unset
/// parts taking the default; other keys are dropped.
fn with_defaults(given: Option<&BTreeMap<String, Value>>, defaults: &Value) -> Value {
    let Some(defaults) = defaults.as_map() else {
        return defaults.clone();
    };
    let out = defaults.iter().map(|(key, d)| {
        let v = given.and_then(|g| g.get(key)).filter(|v| !v.is_null());
        let v = match (d, v) {
            (Value::Map(_), v) => with_defaults(v.and_then(Value::as_map), d),
            (_, Some(v)) if d.as_i64().is_some() => number_value(v),
            (_, v) => v.unwrap_or(d).clone(),
        };
        (key.clone(), v)
    });
    Value::Map(out.collect())
}

fn normalize_deployment(v: &Value) -> Value {
    match v.as_map() {
        Some(given) => with_defaults(Some(given), &default_deployment()),
        None if v.is_null() => default_deployment(),
        None => v.clone(),
    }
}

fn name_value(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::from(name_of(s)),
        other => other.clone(),
    }
}

fn sorted(items: &[String]) -> Vec<String> {
    let mut items = items.to_vec();
    items.sort();
    items.dedup();
    items
}

fn fields(s: &Service) -> ServiceFields {
    let text = |v: Option<&str>| v.map(str::to_string);
    let network = s
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration())
        .map(|a| Network {
            subnets: sorted(a.subnets()),
            security_groups: sorted(a.security_groups()),
            assign_public_ip: text(a.assign_public_ip().map(|p| p.as_str())),
        });
    let lbs = s
        .load_balancers()
        .iter()
        .map(|l| Balancer {
            target_group_arn: l.target_group_arn().unwrap_or_default().to_string(),
            container_name: l.container_name().unwrap_or_default().to_string(),
            container_port: l.container_port().map_or(0, i64::from),
        })
        .collect();
    let deployment = s.deployment_configuration().map(|d| Deployment {
        deployment_circuit_breaker: d.deployment_circuit_breaker().map(|cb| Breaker {
            enable: Some(cb.enable()),
            rollback: Some(cb.rollback()),
        }),
        maximum_percent: d.maximum_percent().map(i64::from),
        minimum_healthy_percent: d.minimum_healthy_percent().map(i64::from),
    });
    let primary = s
        .deployments()
        .iter()
        .find(|d| d.status() == Some("PRIMARY"));
    ServiceFields {
        service_name: s.service_name().unwrap_or_default().to_string(),
        cluster: s.cluster_arn().map(name_of).unwrap_or_default().to_string(),
        task_definition: s
            .task_definition()
            .map(name_of)
            .unwrap_or_default()
            .to_string(),
        desired_count: i64::from(s.desired_count()),
        launch_type: text(s.launch_type().map(|l| l.as_str())),
        capacity_provider_strategy: Some(strategy_of(s.capacity_provider_strategy())),
        platform_version: text(s.platform_version()),
        network_configuration: network,
        load_balancers: Some(lbs),
        deployment_configuration: deployment,
        // ECS API Reference, CreateService: "If you do not specify a health
        // check grace period value, the default value of 0 is used"; a
        // service that never set one may describe none.
        health_check_grace_period_seconds: Some(
            s.health_check_grace_period_seconds().map_or(0, i64::from),
        ),
        enable_execute_command: Some(s.enable_execute_command()),
        enable_ecs_managed_tags: Some(s.enable_ecs_managed_tags()),
        propagate_tags: Some(
            s.propagate_tags()
                .map_or("NONE", |p| p.as_str())
                .to_string(),
        ),
        tags: tags::observed_map(tag_pairs(s.tags())),
        arn: text(s.service_arn()),
        status: text(s.status()),
        running_count: Some(i64::from(s.running_count())),
        rollout_state: text(primary.and_then(|d| d.rollout_state()).map(|r| r.as_str())),
        rollout_state_reason: text(primary.and_then(|d| d.rollout_state_reason())),
        deployment_count: Some(i64::try_from(s.deployments().len()).unwrap_or(i64::MAX)),
    }
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
            let call = client.describe_services().cluster(cluster);
            let out = call.set_services(Some(chunk)).include(ServiceField::Tags);
            // The whole cluster is gone, and its services with it.
            let out = none_if(out.send().await.map_err(Ecs::err), is_gone)?;
            Ok(out.and_then(|o| o.services).unwrap_or_default())
        })
        .await?;
        out.extend(found.into_iter().filter(alive));
    }
    Ok(out)
}

fn to_i32(v: Option<i64>) -> Option<i32> {
    v.and_then(|i| i32::try_from(i).ok())
}

fn sdk_network(n: Option<&Network>) -> Result<Option<NetworkConfiguration>, ProviderError> {
    let Some(n) = n else {
        return Ok(None);
    };
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(n.subnets.clone()))
        .set_security_groups(Some(n.security_groups.clone()))
        .set_assign_public_ip(n.assign_public_ip.as_deref().map(AssignPublicIp::from))
        .build()
        .map_err(|e| ProviderError::Invalid(format!("network_configuration: {e}")))?;
    Ok(Some(
        NetworkConfiguration::builder()
            .awsvpc_configuration(vpc)
            .build(),
    ))
}

fn sdk_load_balancers(lbs: Option<&[Balancer]>) -> Vec<LoadBalancer> {
    lbs.unwrap_or_default()
        .iter()
        .map(|l| {
            LoadBalancer::builder()
                .target_group_arn(&l.target_group_arn)
                .container_name(&l.container_name)
                .set_container_port(to_i32(Some(l.container_port)))
                .build()
        })
        .collect()
}

fn sdk_deployment(d: Option<&Deployment>) -> DeploymentConfiguration {
    let cb = d.and_then(|d| d.deployment_circuit_breaker.as_ref());
    let flag = |f: fn(&Breaker) -> Option<bool>| cb.and_then(f).unwrap_or(false);
    DeploymentConfiguration::builder()
        .deployment_circuit_breaker(
            DeploymentCircuitBreaker::builder()
                .enable(flag(|b| b.enable))
                .rollback(flag(|b| b.rollback))
                .build(),
        )
        .set_maximum_percent(to_i32(Some(
            d.and_then(|d| d.maximum_percent).unwrap_or(200),
        )))
        .set_minimum_healthy_percent(to_i32(Some(
            d.and_then(|d| d.minimum_healthy_percent).unwrap_or(100),
        )))
        .build()
}

/// Puts the settings CreateService and UpdateService share on a request:
/// those of `$d` whose field `$send` names (`None` is not sent); with
/// `$create`, empty lists are left out too.
macro_rules! with_settings {
    ($call:expr, $d:expr, $send:expr, $create:expr) => {{
        let (d, send, create): (&ServiceFields, _, bool) = ($d, $send, $create);
        let listed = |n: usize| !create || n > 0;
        let strategy = d.capacity_provider_strategy.as_deref().unwrap_or_default();
        let strategy = (send("capacity_provider_strategy"))
            .then(|| sdk_strategy(strategy))
            .transpose()?;
        let network = match send("network_configuration") {
            true => sdk_network(d.network_configuration.as_ref())?,
            false => None,
        };
        let lbs = send("load_balancers").then(|| sdk_load_balancers(d.load_balancers.as_deref()));
        let deployment = (send("deployment_configuration"))
            .then(|| sdk_deployment(d.deployment_configuration.as_ref()));
        let propagate = d.propagate_tags.as_deref().map(PropagateTags::from);
        $call
            .set_capacity_provider_strategy(strategy.filter(|s| listed(s.len())))
            .set_platform_version(
                d.platform_version
                    .clone()
                    .filter(|_| send("platform_version")),
            )
            .set_network_configuration(network)
            .set_load_balancers(lbs.filter(|l| listed(l.len())))
            .set_deployment_configuration(deployment)
            .set_health_check_grace_period_seconds(
                to_i32(d.health_check_grace_period_seconds)
                    .filter(|_| send("health_check_grace_period_seconds")),
            )
            .set_enable_execute_command(
                (d.enable_execute_command).filter(|_| send("enable_execute_command")),
            )
            .set_enable_ecs_managed_tags(
                (d.enable_ecs_managed_tags).filter(|_| send("enable_ecs_managed_tags")),
            )
            .set_propagate_tags(propagate.filter(|_| send("propagate_tags")))
    }};
}

/// The fields an UpdateService must carry to go from `prior` to `desired`
/// (pure; each listed field is sent, the rest left out: an unset optional
/// field is left as it is).
pub fn update_fields(prior: &ServiceFields, desired: &ServiceFields) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |name: &'static str, set: bool, differs: bool| {
        if set && differs {
            out.push(name);
        }
    };
    let (p, d) = (prior, desired);
    check(
        "task_definition",
        true,
        p.task_definition != d.task_definition,
    );
    check("desired_count", true, p.desired_count != d.desired_count);
    macro_rules! optional {
        ($($f:ident),*) => {$(
            check(stringify!($f), d.$f.is_some(), p.$f != d.$f);
        )*};
    }
    optional!(
        capacity_provider_strategy,
        platform_version,
        network_configuration,
        load_balancers,
        deployment_configuration,
        health_check_grace_period_seconds,
        enable_execute_command,
        enable_ecs_managed_tags,
        propagate_tags
    );
    out
}

/// Readiness from the observed rollout state (see the module docs).
pub fn service_readiness(observed: &ServiceFields) -> Readiness {
    match observed.rollout_state.as_deref() {
        Some("IN_PROGRESS") => Readiness::Pending("deployment IN_PROGRESS".into()),
        Some("FAILED") => Readiness::Failed(format!(
            "deployment FAILED: {}",
            observed
                .rollout_state_reason
                .as_deref()
                .unwrap_or("stopped by the circuit breaker")
        )),
        Some(_) => Readiness::Ready,
        None => match observed.deployment_count {
            Some(n) if n > 1 => Readiness::Pending(format!("{n} deployments active")),
            _ => Readiness::Ready,
        },
    }
}

/// Why an update that settled did not land (see the module docs): the
/// service runs another task definition than asked and its circuit
/// breaker rolls back.
pub fn rolled_back(desired: &ServiceFields, observed: &ServiceFields) -> Option<String> {
    let rollback = observed
        .deployment_configuration
        .as_ref()
        .and_then(|d| d.deployment_circuit_breaker.as_ref())
        .is_some_and(|b| b.enable == Some(true) && b.rollback == Some(true));
    let (asked, live) = (
        name_of(&desired.task_definition),
        name_of(&observed.task_definition),
    );
    if !rollback || asked.is_empty() || asked == live {
        return None;
    }
    let why = observed
        .rollout_state_reason
        .as_deref()
        .unwrap_or("ECS deployment circuit breaker");
    Some(format!(
        "deployment of {asked} failed and was rolled back to {live}: {why}"
    ))
}

#[async_trait]
impl Kind for ServiceKind {
    const ARNS: &[ArnShape] = &[ArnShape::arn("ecs", "service/")];

    const POLL_INTERVAL: Duration = Duration::from_secs(15);

    /// Unset deployment settings are AWS's defaults.
    fn normalize(attrs: &mut Attrs) {
        if attrs
            .get("deployment_configuration")
            .is_none_or(Value::is_null)
        {
            attrs.insert("deployment_configuration".into(), default_deployment());
        }
    }

    fn readiness(observed: &ServiceFields) -> Readiness {
        service_readiness(observed)
    }

    fn not_landed(desired: &ServiceFields, observed: &ServiceFields) -> Option<String> {
        rolled_back(desired, observed)
    }

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        Ok(describe(ctx.client, ids)
            .await?
            .iter()
            .filter_map(|s| Some((s.service_arn()?.to_string(), fields(s))))
            .collect())
    }

    async fn create(ctx: &Act<'_, Self>, d: &Self::Fields, token: &str) -> Created<Self> {
        let call = ctx
            .client
            .create_service()
            .cluster(&d.cluster)
            .service_name(&d.service_name)
            .task_definition(&d.task_definition)
            .desired_count(to_i32(Some(d.desired_count)).unwrap_or(0))
            .client_token(token.chars().take(MAX_CLIENT_TOKEN).collect::<String>())
            .set_launch_type(d.launch_type.as_deref().map(LaunchType::from))
            .set_tags(create_tags(&d.tags, ctx));
        let out = with_settings!(call, d, |_: &str| true, true)
            .send()
            .await
            .map_err(Ecs::err)?;
        let arn = returned_id(out.service().and_then(|s| s.service_arn()), "CreateService")?;
        let fields = Self::read_back(ctx, &arn).await?;
        Ok(Made { id: arn, fields })
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update {
            prior, desired: d, ..
        } = u;
        let fields = update_fields(prior, d);
        if !fields.is_empty() {
            let has = |k: &str| fields.contains(&k);
            let call = ctx
                .client
                .update_service()
                .cluster(cluster_of(id))
                .service(id);
            let call = call
                .set_task_definition(has("task_definition").then(|| d.task_definition.clone()))
                .set_desired_count(to_i32(Some(d.desired_count)).filter(|_| has("desired_count")));
            with_settings!(call, d, has, false)
                .send()
                .await
                .map_err(Ecs::err)?;
        }
        retag_and_read(ctx, id, Some(id), &prior.tags, &d.tags).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        let cluster = cluster_of(id);
        // Scaling to 0 first stops new tasks from being placed while the
        // service drains; `force` then deletes without waiting for it.
        let scaled = ctx
            .client
            .update_service()
            .cluster(&cluster)
            .service(id)
            .desired_count(0)
            .send()
            .await
            .map_err(Ecs::err);
        match scaled {
            Err(e) if is_gone(&e) => return Ok(()),
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        delete_result(
            ctx.client
                .delete_service()
                .cluster(&cluster)
                .service(id)
                .force(true)
                .send()
                .await
                .map(drop)
                .map_err(Ecs::err),
        )
    }

    /// The services of every cluster (ListClusters, ListServices per
    /// cluster, DescribeServices with tags), kept to those owned, by ARN.
    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        let mut arns = Vec::new();
        for cluster in &cluster_arns(ctx.client).await? {
            let found = collect_pages(|token| async move {
                let out = ctx
                    .client
                    .list_services()
                    .cluster(cluster)
                    .set_next_token(token)
                    .max_results(100)
                    .send()
                    .await
                    .map_err(Ecs::err)?;
                Ok((out.service_arns.unwrap_or_default(), out.next_token))
            })
            .await?;
            arns.extend(found);
        }
        let services = describe(ctx.client, &arns).await?;
        Ok(owned_of(ctx, address, &services, |s| {
            (s.tags(), s.service_arn())
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing;
    use aws_sdk_ecs::types::{Deployment as SdkDeployment, DeploymentRolloutState};
    use forge_core::fields::Fields;
    use forge_engine::{PlannedAction, Provider};
    use serde_json::json;

    fn provider() -> crate::kind::KindProvider<ServiceKind> {
        testing::provider()
    }

    fn typed(a: &Attrs) -> ServiceFields {
        testing::typed::<ServiceKind>(a)
    }

    fn service_attrs(s: &Service) -> Attrs {
        fields(s).to_attrs()
    }

    fn spec() -> Attrs {
        testing::desired::<ServiceKind>(json!({
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
        let d = typed(&spec());
        Service::builder()
            .service_arn("arn:aws:ecs:eu-west-1:1:service/app/api")
            .service_name("api")
            .cluster_arn("arn:aws:ecs:eu-west-1:1:cluster/app")
            .task_definition("arn:aws:ecs:eu-west-1:1:task-definition/api:3")
            .desired_count(2)
            .launch_type(LaunchType::Fargate)
            .platform_version("LATEST")
            .status("ACTIVE")
            .set_network_configuration(sdk_network(d.network_configuration.as_ref()).unwrap())
            .set_load_balancers(Some(sdk_load_balancers(d.load_balancers.as_deref())))
            .deployment_configuration(sdk_deployment(d.deployment_configuration.as_ref()))
            .health_check_grace_period_seconds(60)
            .deployments(
                SdkDeployment::builder()
                    .status("PRIMARY")
                    .set_rollout_state(rollout)
                    .build(),
            )
            .build()
    }

    #[test]
    fn described_service_is_a_no_op() {
        let observed = provider().normalize(service_attrs(&described(None)));
        testing::assert_covers_schema::<ServiceKind>(&observed, &[]);
        testing::assert_no_op::<ServiceKind>(&observed, &spec());
        assert!(update_fields(&typed(&observed), &typed(&spec())).is_empty());
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
            update_fields(&typed(&observed), &typed(&d)),
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
        let readiness = |r| provider().readiness(&service_attrs(&described(Some(r))));
        assert_eq!(
            readiness(DeploymentRolloutState::Completed),
            Readiness::Ready
        );
        assert!(matches!(
            readiness(DeploymentRolloutState::InProgress),
            Readiness::Pending(_)
        ));
        assert!(matches!(
            readiness(DeploymentRolloutState::Failed),
            Readiness::Failed(_)
        ));
        // No rollout state (the emulator): one deployment is ready, even
        // with 0 tasks running.
        assert_eq!(
            provider().readiness(&service_attrs(&described(None))),
            Readiness::Ready
        );
        let mut two = fields(&described(None));
        two.deployment_count = Some(2);
        assert!(matches!(service_readiness(&two), Readiness::Pending(_)));
        // A failed rollout says why, as ECS reports it.
        let mut failed = fields(&described(Some(DeploymentRolloutState::Failed)));
        failed.rollout_state_reason =
            Some("ECS deployment circuit breaker: tasks failed to start.".into());
        assert_eq!(
            service_readiness(&failed),
            Readiness::Failed(
                "deployment FAILED: ECS deployment circuit breaker: tasks failed to start.".into()
            )
        );
    }

    #[test]
    fn a_rolled_back_update_did_not_land() {
        let desired = typed(&spec());
        let mut back = fields(&described(Some(DeploymentRolloutState::Completed)));
        assert_eq!(rolled_back(&desired, &back), None, "landed");
        back.task_definition = "api:2".into();
        back.rollout_state_reason =
            Some("ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.".into());
        assert_eq!(
            rolled_back(&desired, &back).as_deref(),
            Some(
                "deployment of api:3 failed and was rolled back to api:2: ECS deployment \
                 circuit breaker: rolling back to deploymentId ecs-svc/1."
            )
        );
        // The same through the provider, as the engine asks it.
        assert!(
            provider()
                .not_landed(&spec(), &back.to_attrs())
                .is_some_and(|r| r.contains("rolled back to api:2"))
        );
        // Without rollback ECS leaves the failed deployment primary:
        // readiness reports it, nothing rolled back.
        back.deployment_configuration = Some(Deployment {
            deployment_circuit_breaker: Some(Breaker {
                enable: Some(true),
                rollback: Some(false),
            }),
            maximum_percent: Some(200),
            minimum_healthy_percent: Some(100),
        });
        assert_eq!(rolled_back(&desired, &back), None);
    }

    #[test]
    fn service_arns_name_their_cluster() {
        assert_eq!(cluster_of("arn:aws:ecs:eu-west-1:1:service/app/api"), "app");
        assert_eq!(cluster_of("arn:aws:ecs:eu-west-1:1:service/api"), "default");
    }
}
