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

use super::Elbv2;
use super::common::{all_arns, create_tags, describe_tagged, owned};
use crate::error::{delete_result, is_not_found, none_if, retry_on, returned_id};
use crate::kind::prelude::*;
use crate::normalize::{number_value, text_value};
use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types::{
    Matcher, ProtocolEnum, TargetGroup, TargetGroupAttribute, TargetGroupIpAddressTypeEnum,
    TargetTypeEnum,
};
use forge_core::fields::{FieldValue, Fields as _, Tags};
use forge_core::{Attrs, Value};
use std::collections::BTreeMap;

/// The deregistration delay attribute's key.
const DEREGISTRATION_DELAY: &str = "deregistration_delay.timeout_seconds";

crate::kind::declare_kind!(TargetGroupKind: "aws.elbv2.target_group", Elbv2, TargetGroupFields,
    "An Elastic Load Balancing v2 target group.");

/// The fields of `aws.elbv2.target_group`.
#[derive(Debug, Clone, Fields)]
pub struct TargetGroupFields {
    /// Name, unique in the region (max 32).
    #[field(force_new)]
    pub name: String,
    /// Port targets receive traffic on.
    #[field(force_new, normalize = number_value)]
    pub port: i32,
    /// HTTP (default) or HTTPS.
    #[field(force_new, default = "HTTP")]
    pub protocol: Option<String>,
    /// HTTP1 (default), HTTP2 or GRPC.
    #[field(force_new, default = "HTTP1")]
    pub protocol_version: Option<String>,
    /// The VPC of the targets.
    #[field(force_new)]
    pub vpc_id: String,
    /// instance (AWS's default), ip (Fargate), lambda or alb.
    #[field(force_new, default = "instance")]
    pub target_type: Option<String>,
    /// ipv4 (default) or ipv6.
    #[field(force_new, default = "ipv4")]
    pub ip_address_type: Option<String>,
    /// Health check of the targets.
    pub health_check: Option<HealthCheck>,
    /// Seconds to drain a deregistering target.
    #[field(default = 300i64, normalize = number_value)]
    pub deregistration_delay: Option<i64>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The target group's ARN (= id).
    pub arn: Computed<String>,
    /// The ARN part CloudWatch metrics use.
    pub arn_suffix: Computed<String>,
    /// Load balancers routing to it.
    pub load_balancer_arns: Computed<Vec<String>>,
}

/// A target group's health check (canonical: every part set).
#[derive(Debug, Clone, PartialEq, Fields)]
pub struct HealthCheck {
    /// Whether health checks run.
    #[field(default = true)]
    pub enabled: Option<bool>,
    /// HTTP path to check.
    #[field(default = "/")]
    pub path: Option<String>,
    /// Port, or traffic-port.
    #[field(default = "traffic-port")]
    pub port: Option<String>,
    /// HTTP or HTTPS; the group's protocol when unset.
    pub protocol: Option<String>,
    /// Healthy HTTP codes (200, 200-299, 200,302).
    #[field(default = "200")]
    pub matcher: Option<String>,
    /// Seconds between checks.
    #[field(default = 30i64)]
    pub interval_seconds: Option<i32>,
    /// Seconds before a check fails.
    #[field(default = 5i64)]
    pub timeout_seconds: Option<i32>,
    /// Successes to become healthy.
    #[field(default = 5i64)]
    pub healthy_threshold: Option<i32>,
    /// Failures to become unhealthy.
    #[field(default = 2i64)]
    pub unhealthy_threshold: Option<i32>,
}

/// The canonical health check: AWS's defaults (the schema's) filled in,
/// the protocol defaulting to the group's, numbers as numbers and texts as
/// text.
pub fn normalize_health_check(hc: Option<&Value>, group_protocol: Option<&str>) -> Value {
    let given = match hc {
        Some(Value::Map(m)) => m.clone(),
        Some(v) if !v.is_null() => return v.clone(),
        _ => BTreeMap::new(),
    };
    let mut out = BTreeMap::new();
    for (key, field) in HealthCheck::field_schemas() {
        let v = given.get(&key).filter(|v| !v.is_null()).cloned();
        let v = match (key.as_str(), v) {
            ("protocol", Some(p)) => crate::normalize::upper_value(&p),
            ("protocol", None) => {
                Value::from(group_protocol.unwrap_or("HTTP").to_ascii_uppercase())
            }
            (_, v) => v.or(field.default).unwrap_or(Value::Null),
        };
        let v = match field.ty {
            forge_core::FieldType::Number => number_value(&v),
            forge_core::FieldType::String => text_value(&v),
            _ => v,
        };
        out.insert(key, v);
    }
    Value::Map(out)
}

/// The desired health check, every part set.
fn health(f: &TargetGroupFields) -> Result<HealthCheck, ProviderError> {
    let hc = normalize_health_check(Some(&f.health_check.to_value()), f.protocol.as_deref());
    HealthCheck::from_value(&hc).map_err(|e| ProviderError::Invalid(format!("health_check: {e}")))
}

fn fields_of(tg: &TargetGroup, delay: Option<i64>, tags: Tags) -> TargetGroupFields {
    let text = |s: Option<&str>| s.map(Value::from).unwrap_or(Value::Null);
    let int = |i: Option<i32>| i.map_or(Value::Null, |i| Value::int(i64::from(i)));
    let given: BTreeMap<String, Value> = [
        (
            "enabled",
            tg.health_check_enabled().map_or(Value::Null, Value::Bool),
        ),
        ("path", text(tg.health_check_path())),
        ("port", text(tg.health_check_port())),
        (
            "protocol",
            text(tg.health_check_protocol().map(|p| p.as_str())),
        ),
        ("matcher", text(tg.matcher().and_then(|m| m.http_code()))),
        ("interval_seconds", int(tg.health_check_interval_seconds())),
        ("timeout_seconds", int(tg.health_check_timeout_seconds())),
        ("healthy_threshold", int(tg.healthy_threshold_count())),
        ("unhealthy_threshold", int(tg.unhealthy_threshold_count())),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_null())
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let protocol = tg.protocol().map(|p| p.as_str());
    let hc = normalize_health_check(Some(&Value::Map(given)), protocol);
    let arn = tg.target_group_arn().unwrap_or_default();
    let own = |s: Option<&str>| s.map(str::to_string);
    let mut lbs = tg.load_balancer_arns().to_vec();
    lbs.sort();
    lbs.dedup();
    TargetGroupFields {
        name: tg.target_group_name().unwrap_or_default().to_string(),
        port: tg.port().unwrap_or_default(),
        protocol: own(protocol),
        protocol_version: own(tg.protocol_version()),
        vpc_id: tg.vpc_id().unwrap_or_default().to_string(),
        target_type: own(tg.target_type().map(|t| t.as_str())),
        ip_address_type: own(tg.ip_address_type().map(|t| t.as_str())),
        health_check: HealthCheck::from_value(&hc).ok(),
        deregistration_delay: delay,
        tags,
        arn: Some(arn.to_string()),
        arn_suffix: arn
            .split_once(":targetgroup/")
            .map(|(_, s)| format!("targetgroup/{s}")),
        load_balancer_arns: Some(lbs),
    }
}

/// The group's deregistration delay (`Some(None)`: not reported), or
/// `None` when the group is gone.
async fn deregistration_delay(
    client: &Client,
    arn: &str,
) -> Result<Option<Option<i64>>, ProviderError> {
    let call = client
        .describe_target_group_attributes()
        .target_group_arn(arn);
    let out = none_if(call.send().await.map_err(Elbv2::err), is_not_found)?;
    Ok(out.map(|o| {
        let delay = o
            .attributes()
            .iter()
            .find(|a| a.key() == Some(DEREGISTRATION_DELAY));
        delay.and_then(|a| a.value()).and_then(|v| v.parse().ok())
    }))
}

async fn set_deregistration_delay(
    client: &Client,
    arn: &str,
    seconds: i64,
) -> Result<(), ProviderError> {
    let attribute = TargetGroupAttribute::builder()
        .key(DEREGISTRATION_DELAY)
        .value(seconds.to_string())
        .build();
    client
        .modify_target_group_attributes()
        .target_group_arn(arn)
        .attributes(attribute)
        .send()
        .await
        .map_err(Elbv2::err)?;
    Ok(())
}

/// Sets the health check `$hc` (a [`HealthCheck`], every part set) on a
/// CreateTargetGroup or ModifyTargetGroup request.
macro_rules! with_health_check {
    ($call:expr, $hc:expr) => {{
        let hc: HealthCheck = $hc;
        $call
            .set_health_check_enabled(hc.enabled)
            .set_health_check_path(hc.path)
            .set_health_check_port(hc.port)
            .set_health_check_protocol(hc.protocol.as_deref().map(ProtocolEnum::from))
            .set_matcher(hc.matcher.map(|m| Matcher::builder().http_code(m).build()))
            .set_health_check_interval_seconds(hc.interval_seconds)
            .set_health_check_timeout_seconds(hc.timeout_seconds)
            .set_healthy_threshold_count(hc.healthy_threshold)
            .set_unhealthy_threshold_count(hc.unhealthy_threshold)
    }};
}

#[async_trait]
impl Kind for TargetGroupKind {
    const ARNS: &[ArnShape] = &[ArnShape::arn("elasticloadbalancing", "targetgroup/")];

    // Target group names are unique in a region.
    const UNIQUE_FIELDS: &'static [&'static str] = &["name"];

    fn normalize(attrs: &mut Attrs) {
        let protocol = attrs
            .get("protocol")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase);
        if let Some(p) = &protocol {
            attrs.insert("protocol".into(), Value::from(p.as_str()));
        }
        let hc = normalize_health_check(attrs.get("health_check"), protocol.as_deref());
        attrs.insert("health_check".into(), hc);
    }

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        let tgs = describe_tagged!(
            ctx, ids,
            describe_target_groups(set_target_group_arns) -> target_groups,
            TargetGroup::target_group_arn
        )
        .await?;
        let mut out = BTreeMap::new();
        for (arn, tg, tags) in tgs {
            // Gone between the two calls: absent, like any deleted resource.
            if let Some(delay) = deregistration_delay(ctx.client, &arn).await? {
                out.insert(arn, fields_of(&tg, delay, tags));
            }
        }
        Ok(out)
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let hc = health(desired)?;
        let text = |v: &Option<String>, default: &'static str| v.clone().unwrap_or(default.into());
        let call = ctx
            .client
            .create_target_group()
            .name(&desired.name)
            .port(desired.port)
            .protocol(ProtocolEnum::from(text(&desired.protocol, "HTTP").as_str()))
            .set_protocol_version(desired.protocol_version.clone())
            .vpc_id(&desired.vpc_id)
            .target_type(TargetTypeEnum::from(
                text(&desired.target_type, "instance").as_str(),
            ))
            .ip_address_type(TargetGroupIpAddressTypeEnum::from(
                text(&desired.ip_address_type, "ipv4").as_str(),
            ))
            .set_tags(create_tags(&desired.tags, ctx));
        let out = with_health_check!(call, hc)
            .send()
            .await
            .map_err(Elbv2::err)?;
        let first = out
            .target_groups()
            .first()
            .and_then(|t| t.target_group_arn());
        let id = returned_id(first, "CreateTargetGroup")?;
        if let Some(delay) = desired.deregistration_delay
            && delay != 300
        {
            set_deregistration_delay(ctx.client, &id, delay).await?;
        }
        Self::made(ctx, id).await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        let hc = health(desired)?;
        if health(prior)? != hc {
            let call = ctx.client.modify_target_group().target_group_arn(id);
            with_health_check!(call, hc)
                .send()
                .await
                .map_err(Elbv2::err)?;
        }
        if let Some(d) = desired.deregistration_delay
            && prior.deregistration_delay != Some(d)
        {
            set_deregistration_delay(ctx.client, id, d).await?;
        }
        retag_and_read(ctx, id, Some(id), &prior.tags, &desired.tags).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        let result = ctx
            .client
            .delete_target_group()
            .target_group_arn(id)
            .send()
            .await;
        // ResourceInUse: a listener or rule still forwards here and is being
        // replaced or deleted; retrying lets it finish.
        let result = delete_result(result.map(|_| ()).map_err(Elbv2::err));
        retry_on(result, &["ResourceInUse"])
    }

    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        let all = all_arns!(
            ctx.client,
            describe_target_groups,
            target_groups,
            target_group_arn
        )
        .await?;
        owned(ctx.client, &all, ctx, address).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing;
    use forge_core::fields::Fields;
    use forge_engine::PlannedAction;
    use forge_engine::Provider;
    use serde_json::json;

    fn tg_attrs(tg: &TargetGroup, delay: Option<i64>) -> Attrs {
        fields_of(tg, delay, Tags::default()).to_attrs()
    }

    fn health_of(a: &Attrs) -> HealthCheck {
        health(&testing::typed::<TargetGroupKind>(a)).unwrap()
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
        let observed =
            testing::provider::<TargetGroupKind>().normalize(tg_attrs(&described(), Some(300)));
        testing::assert_covers_schema::<TargetGroupKind>(&observed, &[]);
        assert_eq!(observed["arn_suffix"], Value::from("targetgroup/api/abc"));
        let d = testing::desired::<TargetGroupKind>(json!({
            "name": "api", "port": 8080, "vpc_id": "vpc-1", "target_type": "ip",
            "health_check": {"path": "/health"}
        }));
        testing::assert_no_op::<TargetGroupKind>(&observed, &d);
    }

    #[test]
    fn health_check_path_is_in_place_and_port_replaces() {
        let observed =
            testing::provider::<TargetGroupKind>().normalize(tg_attrs(&described(), Some(300)));
        let d = testing::desired::<TargetGroupKind>(json!({
            "name": "api", "port": 8080, "vpc_id": "vpc-1", "target_type": "ip",
            "health_check": {"path": "/ready", "matcher": 200, "port": 8080}
        }));
        let plan = testing::provider::<TargetGroupKind>().plan(Some(&observed), &d);
        assert_eq!(plan.action, PlannedAction::Update);
        let hc = health_of(&d);
        assert_eq!(hc.path.as_deref(), Some("/ready"));
        assert_eq!(hc.port.as_deref(), Some("8080"));
        assert_eq!(hc.matcher.as_deref(), Some("200"));
        assert_ne!(health_of(&observed), hc);
        let d = testing::desired::<TargetGroupKind>(
            json!({"name": "api", "port": 80, "vpc_id": "vpc-1", "target_type": "ip", "health_check": {"path": "/health"}}),
        );
        assert_eq!(
            testing::provider::<TargetGroupKind>()
                .plan(Some(&observed), &d)
                .action,
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
