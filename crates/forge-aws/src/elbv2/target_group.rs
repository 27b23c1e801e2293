//! `aws.elbv2.target_group`: a target group (ip targets for Fargate tasks).
//!
//! Name, port, protocol, protocol version, VPC and target type cannot
//! change (replacement). The health check changes in place with one
//! ModifyTargetGroup carrying the whole desired health check; the
//! deregistration delay is a target group attribute
//! (ModifyTargetGroupAttributes). Health check defaults AWS fills in
//! (path `/`, port `traffic-port`, protocol = the group's, matcher `200`,
//! 30 s interval, 5 s timeout, 5 healthy / 2 unhealthy) are filled into the
//! spec too, so leaving them out is never a diff.
//!
//! Observe cost: one DescribeTargetGroups and one DescribeTags per 20
//! groups, plus one DescribeTargetGroupAttributes per group (no batched
//! form exists).

use super::common::{
    self, CONCURRENCY, ElbBase, describe_arns, describe_tags, elb_err, int_of, observed_tags,
    text_value,
};
use crate::attrs::attrs;
use crate::attrs::{opt_str, req_str, str_or_null, str_set};
use crate::clients::AwsClients;
use crate::error::{delete_result, is_not_found};
use crate::normalize::normalize_common;
use crate::tags::tags_field;
use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types::{
    Matcher, ProtocolEnum, TargetGroup, TargetGroupAttribute, TargetGroupIpAddressTypeEnum,
    TargetTypeEnum,
};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The deregistration delay attribute's key.
const DEREGISTRATION_DELAY: &str = "deregistration_delay.timeout_seconds";

/// The `aws.elbv2.target_group` provider.
pub struct TargetGroupProvider {
    base: ElbBase,
    schema: KindSchema,
}

impl TargetGroupProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        TargetGroupProvider {
            base: ElbBase::new(clients),
            schema: schema(),
        }
    }
}

/// Health check settings AWS fills in for HTTP(S) target groups; the
/// protocol defaults to the group's own.
const HEALTH_DEFAULTS: [(&str, HealthDefault); 8] = [
    ("enabled", HealthDefault::Bool(true)),
    ("path", HealthDefault::Text("/")),
    ("port", HealthDefault::Text("traffic-port")),
    ("matcher", HealthDefault::Text("200")),
    ("interval_seconds", HealthDefault::Int(30)),
    ("timeout_seconds", HealthDefault::Int(5)),
    ("healthy_threshold", HealthDefault::Int(5)),
    ("unhealthy_threshold", HealthDefault::Int(2)),
];

#[derive(Debug, Clone, Copy)]
enum HealthDefault {
    Bool(bool),
    Text(&'static str),
    Int(i64),
}

impl HealthDefault {
    fn value(self) -> Value {
        match self {
            HealthDefault::Bool(b) => Value::Bool(b),
            HealthDefault::Text(t) => Value::from(t),
            HealthDefault::Int(i) => Value::int(i),
        }
    }
}

fn health_check_schema() -> FieldType {
    FieldType::object([
        (
            "enabled",
            FieldSchema::optional(FieldType::Bool)
                .default(true)
                .describe("Whether health checks run."),
        ),
        (
            "path",
            FieldSchema::optional(FieldType::String)
                .default("/")
                .describe("HTTP path to check."),
        ),
        (
            "port",
            FieldSchema::optional(FieldType::String)
                .default("traffic-port")
                .describe("Port, or traffic-port."),
        ),
        (
            "protocol",
            FieldSchema::optional(FieldType::String)
                .describe("HTTP or HTTPS; the group's protocol when unset."),
        ),
        (
            "matcher",
            FieldSchema::optional(FieldType::String)
                .default("200")
                .describe("Healthy HTTP codes (200, 200-299, 200,302)."),
        ),
        (
            "interval_seconds",
            FieldSchema::optional(FieldType::Number)
                .default(30i64)
                .describe("Seconds between checks."),
        ),
        (
            "timeout_seconds",
            FieldSchema::optional(FieldType::Number)
                .default(5i64)
                .describe("Seconds before a check fails."),
        ),
        (
            "healthy_threshold",
            FieldSchema::optional(FieldType::Number)
                .default(5i64)
                .describe("Successes to become healthy."),
        ),
        (
            "unhealthy_threshold",
            FieldSchema::optional(FieldType::Number)
                .default(2i64)
                .describe("Failures to become unhealthy."),
        ),
    ])
}

/// The schema of `aws.elbv2.target_group`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.elbv2.target_group",
        "An Elastic Load Balancing v2 target group.",
        [
            (
                "name",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("Name, unique in the region (max 32)."),
            ),
            (
                "port",
                FieldSchema::required(FieldType::Number)
                    .force_new()
                    .describe("Port targets receive traffic on."),
            ),
            (
                "protocol",
                FieldSchema::optional(FieldType::String)
                    .default("HTTP")
                    .force_new()
                    .describe("HTTP (default) or HTTPS."),
            ),
            (
                "protocol_version",
                FieldSchema::optional(FieldType::String)
                    .default("HTTP1")
                    .force_new()
                    .describe("HTTP1 (default), HTTP2 or GRPC."),
            ),
            (
                "vpc_id",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("The VPC of the targets."),
            ),
            (
                "target_type",
                FieldSchema::optional(FieldType::String)
                    .default("instance")
                    .force_new()
                    .describe("instance (AWS's default), ip (Fargate), lambda or alb."),
            ),
            (
                "ip_address_type",
                FieldSchema::optional(FieldType::String)
                    .default("ipv4")
                    .force_new()
                    .describe("ipv4 (default) or ipv6."),
            ),
            (
                "health_check",
                FieldSchema::optional(health_check_schema())
                    .describe("Health check of the targets."),
            ),
            (
                "deregistration_delay",
                FieldSchema::optional(FieldType::Number)
                    .default(300i64)
                    .describe("Seconds to drain a deregistering target."),
            ),
            ("tags", tags_field()),
            (
                "arn",
                FieldSchema::computed(FieldType::String).describe("The target group's ARN (= id)."),
            ),
            (
                "arn_suffix",
                FieldSchema::computed(FieldType::String)
                    .describe("The ARN part CloudWatch metrics use."),
            ),
            (
                "load_balancer_arns",
                FieldSchema::computed(FieldType::list(FieldType::String))
                    .describe("Load balancers routing to it."),
            ),
        ],
    )
}

/// The canonical health check: AWS's defaults filled in, the protocol
/// defaulting to the group's, numbers as numbers and the port as text.
pub fn normalize_health_check(hc: Option<&Value>, group_protocol: Option<&str>) -> Value {
    let given = match hc {
        Some(Value::Map(m)) => m.clone(),
        Some(v) if !v.is_null() => return v.clone(),
        _ => BTreeMap::new(),
    };
    let mut out = BTreeMap::new();
    for (key, default) in HEALTH_DEFAULTS {
        let v = given
            .get(key)
            .filter(|v| !v.is_null())
            .cloned()
            .unwrap_or_else(|| default.value());
        let v = match (key, default) {
            (_, HealthDefault::Int(_)) => common::number_value(&v),
            (_, HealthDefault::Text(_)) => text_value(&v),
            _ => v,
        };
        out.insert(key.to_string(), v);
    }
    let protocol = match given.get("protocol").filter(|v| !v.is_null()) {
        Some(Value::String(p)) => Value::String(p.to_ascii_uppercase()),
        Some(other) => other.clone(),
        None => group_protocol.map_or(Value::from("HTTP"), |p| {
            Value::String(p.to_ascii_uppercase())
        }),
    };
    out.insert("protocol".into(), protocol);
    Value::Map(out)
}

fn tg_attrs(
    tg: &TargetGroup,
    delay: Option<i64>,
    tags: Option<&BTreeMap<String, String>>,
) -> Attrs {
    let arn = tg.target_group_arn().unwrap_or_default();
    let health = attrs([
        (
            "enabled",
            tg.health_check_enabled().map_or(Value::Null, Value::Bool),
        ),
        ("path", str_or_null(tg.health_check_path())),
        ("port", str_or_null(tg.health_check_port())),
        (
            "protocol",
            str_or_null(tg.health_check_protocol().map(|p| p.as_str())),
        ),
        (
            "matcher",
            str_or_null(tg.matcher().and_then(|m| m.http_code())),
        ),
        (
            "interval_seconds",
            crate::attrs::int_or_null(tg.health_check_interval_seconds()),
        ),
        (
            "timeout_seconds",
            crate::attrs::int_or_null(tg.health_check_timeout_seconds()),
        ),
        (
            "healthy_threshold",
            crate::attrs::int_or_null(tg.healthy_threshold_count()),
        ),
        (
            "unhealthy_threshold",
            crate::attrs::int_or_null(tg.unhealthy_threshold_count()),
        ),
    ]);
    let health: BTreeMap<String, Value> =
        health.into_iter().filter(|(_, v)| !v.is_null()).collect();
    let protocol = tg.protocol().map(|p| p.as_str());
    attrs([
        ("id", arn.into()),
        ("arn", arn.into()),
        ("name", str_or_null(tg.target_group_name())),
        ("port", crate::attrs::int_or_null(tg.port())),
        ("protocol", str_or_null(protocol)),
        ("protocol_version", str_or_null(tg.protocol_version())),
        ("vpc_id", str_or_null(tg.vpc_id())),
        (
            "target_type",
            str_or_null(tg.target_type().map(|t| t.as_str())),
        ),
        (
            "ip_address_type",
            str_or_null(tg.ip_address_type().map(|t| t.as_str())),
        ),
        (
            "health_check",
            normalize_health_check(Some(&Value::Map(health)), protocol),
        ),
        (
            "deregistration_delay",
            delay.map_or(Value::Null, Value::int),
        ),
        ("tags", observed_tags(tags)),
        (
            "arn_suffix",
            arn.split_once(":targetgroup/")
                .map_or(Value::Null, |(_, s)| {
                    Value::from(format!("targetgroup/{s}"))
                }),
        ),
        (
            "load_balancer_arns",
            str_set(tg.load_balancer_arns().iter().map(String::as_str)),
        ),
    ])
}

async fn deregistration_delay(
    client: &Client,
    arn: &str,
) -> Result<Option<Option<i64>>, ProviderError> {
    match client
        .describe_target_group_attributes()
        .target_group_arn(arn)
        .send()
        .await
        .map_err(elb_err)
    {
        Ok(out) => Ok(Some(
            out.attributes()
                .iter()
                .find(|a| a.key() == Some(DEREGISTRATION_DELAY))
                .and_then(|a| a.value())
                .and_then(|v| v.parse().ok()),
        )),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn observe_tgs(
    client: &Client,
    arns: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let tgs = describe_arns(arns, |chunk| async move {
        let out = client
            .describe_target_groups()
            .set_target_group_arns(Some(chunk))
            .send()
            .await
            .map_err(elb_err)?;
        Ok(out.target_groups.unwrap_or_default())
    })
    .await?;
    let found: Vec<String> = tgs
        .iter()
        .filter_map(|t| t.target_group_arn().map(str::to_string))
        .collect();
    let tags = describe_tags(client, &found).await?;
    let mut out = BTreeMap::new();
    for tg in &tgs {
        let Some(arn) = tg.target_group_arn() else {
            continue;
        };
        let Some(delay) = deregistration_delay(client, arn).await? else {
            continue;
        };
        out.insert(arn.to_string(), tg_attrs(tg, delay, tags.get(arn)));
    }
    Ok(out)
}

async fn observe_one(client: &Client, arn: &str) -> Result<Attrs, ProviderError> {
    observe_tgs(client, &[arn.to_string()])
        .await?
        .remove(arn)
        .ok_or_else(|| ProviderError::Transient {
            message: format!("target group {arn} not visible yet"),
        })
}

/// The desired health check, read for the API.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HealthCheck {
    /// Whether checks run.
    pub enabled: Option<bool>,
    /// Path.
    pub path: Option<String>,
    /// Port or `traffic-port`.
    pub port: Option<String>,
    /// Protocol.
    pub protocol: Option<String>,
    /// Healthy HTTP codes.
    pub matcher: Option<String>,
    /// Interval.
    pub interval_seconds: Option<i32>,
    /// Timeout.
    pub timeout_seconds: Option<i32>,
    /// Healthy threshold.
    pub healthy_threshold: Option<i32>,
    /// Unhealthy threshold.
    pub unhealthy_threshold: Option<i32>,
}

impl HealthCheck {
    /// The canonical health check of `attrs`.
    pub fn of(attrs: &Attrs) -> HealthCheck {
        let hc = normalize_health_check(attrs.get("health_check"), opt_str(attrs, "protocol"));
        let s = |k: &str| hc.get(k).and_then(Value::as_str).map(str::to_string);
        let n = |k: &str| {
            hc.get(k)
                .and_then(int_of)
                .and_then(|i| i32::try_from(i).ok())
        };
        HealthCheck {
            enabled: hc.get("enabled").and_then(Value::as_bool),
            path: s("path"),
            port: s("port"),
            protocol: s("protocol"),
            matcher: s("matcher"),
            interval_seconds: n("interval_seconds"),
            timeout_seconds: n("timeout_seconds"),
            healthy_threshold: n("healthy_threshold"),
            unhealthy_threshold: n("unhealthy_threshold"),
        }
    }
}

async fn set_deregistration_delay(
    client: &Client,
    arn: &str,
    seconds: i64,
) -> Result<(), ProviderError> {
    client
        .modify_target_group_attributes()
        .target_group_arn(arn)
        .attributes(
            TargetGroupAttribute::builder()
                .key(DEREGISTRATION_DELAY)
                .value(seconds.to_string())
                .build(),
        )
        .send()
        .await
        .map_err(elb_err)?;
    Ok(())
}

#[async_trait]
impl Provider for TargetGroupProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn unique_fields(&self) -> &'static [&'static str] {
        // Target group names are unique in a region.
        &["name"]
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(CONCURRENCY)
    }

    fn normalize(&self, mut attrs: Attrs) -> Attrs {
        let protocol = attrs
            .get("protocol")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase);
        if let Some(p) = &protocol {
            attrs.insert("protocol".into(), Value::from(p.as_str()));
        }
        let hc = normalize_health_check(attrs.get("health_check"), protocol.as_deref());
        attrs.insert("health_check".into(), hc);
        for key in ["port", "deregistration_delay"] {
            if let Some(v) = attrs.get_mut(key) {
                *v = common::number_value(v);
            }
        }
        normalize_common(&self.schema, &mut attrs);
        attrs
    }

    async fn observe(
        &self,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        observe_tgs(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let hc = HealthCheck::of(desired);
        let port = crate::attrs::opt_i64(desired, "port")
            .and_then(|p| i32::try_from(p).ok())
            .ok_or_else(|| ProviderError::Invalid("`port` must be a port number".into()))?;
        let out = client
            .create_target_group()
            .name(req_str(desired, "name")?)
            .port(port)
            .protocol(ProtocolEnum::from(
                opt_str(desired, "protocol").unwrap_or("HTTP"),
            ))
            .set_protocol_version(opt_str(desired, "protocol_version").map(str::to_string))
            .vpc_id(req_str(desired, "vpc_id")?)
            .target_type(TargetTypeEnum::from(
                opt_str(desired, "target_type").unwrap_or("instance"),
            ))
            .ip_address_type(TargetGroupIpAddressTypeEnum::from(
                opt_str(desired, "ip_address_type").unwrap_or("ipv4"),
            ))
            .set_health_check_enabled(hc.enabled)
            .set_health_check_path(hc.path)
            .set_health_check_port(hc.port)
            .set_health_check_protocol(hc.protocol.as_deref().map(ProtocolEnum::from))
            .set_matcher(hc.matcher.map(|m| Matcher::builder().http_code(m).build()))
            .set_health_check_interval_seconds(hc.interval_seconds)
            .set_health_check_timeout_seconds(hc.timeout_seconds)
            .set_healthy_threshold_count(hc.healthy_threshold)
            .set_unhealthy_threshold_count(hc.unhealthy_threshold)
            .set_tags(Some(common::create_tags(desired, ctx)))
            .send()
            .await
            .map_err(elb_err)?;
        let arn = out
            .target_groups()
            .first()
            .and_then(|t| t.target_group_arn())
            .ok_or_else(|| ProviderError::Transient {
                message: "CreateTargetGroup returned no ARN".into(),
            })?
            .to_string();
        if let Some(delay) = crate::attrs::opt_i64(desired, "deregistration_delay")
            && delay != 300
        {
            set_deregistration_delay(&client, &arn, delay).await?;
        }
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
        let hc = HealthCheck::of(desired);
        if HealthCheck::of(prior) != hc {
            client
                .modify_target_group()
                .target_group_arn(id)
                .set_health_check_enabled(hc.enabled)
                .set_health_check_path(hc.path)
                .set_health_check_port(hc.port)
                .set_health_check_protocol(hc.protocol.as_deref().map(ProtocolEnum::from))
                .set_matcher(hc.matcher.map(|m| Matcher::builder().http_code(m).build()))
                .set_health_check_interval_seconds(hc.interval_seconds)
                .set_health_check_timeout_seconds(hc.timeout_seconds)
                .set_healthy_threshold_count(hc.healthy_threshold)
                .set_unhealthy_threshold_count(hc.unhealthy_threshold)
                .send()
                .await
                .map_err(elb_err)?;
        }
        let delay = crate::attrs::opt_i64(desired, "deregistration_delay");
        if let Some(d) = delay
            && crate::attrs::opt_i64(prior, "deregistration_delay") != Some(d)
        {
            set_deregistration_delay(&client, id, d).await?;
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
        // ResourceInUse: a listener or rule still forwards here and is being
        // replaced or deleted; retrying lets it finish.
        match delete_result(
            client
                .delete_target_group()
                .target_group_arn(id)
                .send()
                .await
                .map(|_| ())
                .map_err(elb_err),
        ) {
            Err(ProviderError::Api { code, message }) if code == "ResourceInUse" => {
                Err(ProviderError::Transient {
                    message: format!("{code}: {message}"),
                })
            }
            other => other,
        }
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let all = all_target_group_arns(&client).await?;
        let Some(arn) = common::orphan_arn(&client, ctx, &all).await? else {
            return Ok(None);
        };
        let mut observed = observe_tgs(&client, std::slice::from_ref(&arn)).await?;
        Ok(observed
            .remove(&arn)
            .map(|attrs| Created { id: arn, attrs }))
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let all = all_target_group_arns(&client).await?;
        common::tagged_arns(&client, &all, &ctx.owner, None).await
    }
}

async fn all_target_group_arns(client: &Client) -> Result<Vec<String>, ProviderError> {
    common::all_pages(|marker| async move {
        let out = client
            .describe_target_groups()
            .set_marker(marker)
            .page_size(400)
            .send()
            .await
            .map_err(elb_err)?;
        let arns = out
            .target_groups()
            .iter()
            .filter_map(|t| t.target_group_arn().map(str::to_string))
            .collect();
        Ok((arns, out.next_marker))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use forge_engine::PlannedAction;
    use serde_json::json;

    fn provider() -> TargetGroupProvider {
        TargetGroupProvider::new(Arc::new(AwsClients::new(crate::AwsSettings::default())))
    }

    fn desired(j: serde_json::Value) -> Attrs {
        let mut a: Attrs = Value::from_json(&j).as_map().cloned().unwrap_or_default();
        forge_engine::diff::fill_defaults(&schema(), &mut a);
        provider().normalize(a)
    }

    fn described() -> TargetGroup {
        TargetGroup::builder()
            .target_group_arn("arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/api/abc")
            .target_group_name("api")
            .protocol(ProtocolEnum::Http)
            .port(8080)
            .vpc_id("vpc-1")
            .health_check_protocol(ProtocolEnum::Http)
            .health_check_port("traffic-port")
            .health_check_enabled(true)
            .health_check_interval_seconds(30)
            .health_check_timeout_seconds(5)
            .healthy_threshold_count(5)
            .unhealthy_threshold_count(2)
            .health_check_path("/health")
            .matcher(Matcher::builder().http_code("200").build())
            .target_type(TargetTypeEnum::Ip)
            .protocol_version("HTTP1")
            .ip_address_type(TargetGroupIpAddressTypeEnum::Ipv4)
            .build()
    }

    #[test]
    fn spec_with_defaults_matches_described_group() {
        let observed = provider().normalize(tg_attrs(&described(), Some(300), None));
        for field in schema().fields.keys() {
            assert!(observed.contains_key(field), "missing {field}");
        }
        assert_eq!(observed["arn_suffix"], Value::from("targetgroup/api/abc"));
        let d = desired(json!({
            "name": "api", "port": 8080, "vpc_id": "vpc-1", "target_type": "ip",
            "health_check": {"path": "/health"}
        }));
        let plan = provider().plan(Some(&observed), &d);
        assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
    }

    #[test]
    fn health_check_path_is_in_place_and_port_replaces() {
        let observed = provider().normalize(tg_attrs(&described(), Some(300), None));
        let d = desired(json!({
            "name": "api", "port": 8080, "vpc_id": "vpc-1", "target_type": "ip",
            "health_check": {"path": "/ready", "matcher": 200, "port": 8080}
        }));
        let plan = provider().plan(Some(&observed), &d);
        assert_eq!(plan.action, PlannedAction::Update);
        let hc = HealthCheck::of(&d);
        assert_eq!(hc.path.as_deref(), Some("/ready"));
        assert_eq!(hc.port.as_deref(), Some("8080"));
        assert_eq!(hc.matcher.as_deref(), Some("200"));
        assert_ne!(HealthCheck::of(&observed), hc);
        let d = desired(
            json!({"name": "api", "port": 80, "vpc_id": "vpc-1", "target_type": "ip", "health_check": {"path": "/health"}}),
        );
        assert_eq!(
            provider().plan(Some(&observed), &d).action,
            PlannedAction::Replace
        );
    }

    #[test]
    fn https_groups_check_over_https_by_default() {
        let hc = normalize_health_check(None, Some("HTTPS"));
        assert_eq!(hc.get("protocol"), Some(&Value::from("HTTPS")));
        assert_eq!(hc.get("interval_seconds"), Some(&Value::int(30)));
        let hc = normalize_health_check(
            Some(&Value::from_json(
                &json!({"protocol": "http", "interval_seconds": "10"}),
            )),
            Some("HTTPS"),
        );
        assert_eq!(hc.get("protocol"), Some(&Value::from("HTTP")));
        assert_eq!(hc.get("interval_seconds"), Some(&Value::int(10)));
    }
}
