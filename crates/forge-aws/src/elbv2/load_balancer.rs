//! `aws.elbv2.load_balancer`: an Application Load Balancer.
//!
//! Name, type and scheme cannot change (replacement); subnets, security
//! groups and IP address type change in place (SetSubnets,
//! SetSecurityGroups, SetIpAddressType); the load balancer attributes
//! (idle timeout, deletion protection, header handling, HTTP/2, access
//! logs) change with one ModifyLoadBalancerAttributes carrying only the
//! keys that differ. A load balancer with deletion protection on is never
//! deleted: delete fails with a message saying how to proceed.
//!
//! Observe cost: one DescribeLoadBalancers and one DescribeTags per 20
//! load balancers, plus one DescribeLoadBalancerAttributes per load
//! balancer (the API has no batched form).

use super::Elbv2;
use super::common::{all_load_balancer_arns, bool_of, create_tags, describe_tagged, owned};
use crate::attrs::{Shaped, set_value};
use crate::error::{ignore_not_found, is_not_found, none_if, returned_id};
use crate::kind::prelude::*;
use crate::normalize::number_value;
use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types::{
    IpAddressType, LoadBalancer, LoadBalancerAttribute, LoadBalancerSchemeEnum,
    LoadBalancerTypeEnum,
};
use forge_core::Value;
use forge_engine::Readiness;
use std::collections::BTreeMap;
use std::time::Duration;

crate::kind::declare_kind!(LoadBalancerKind: "aws.elbv2.load_balancer", Elbv2, LoadBalancerFields,
    "An Elastic Load Balancing v2 load balancer (application).");

/// The fields of `aws.elbv2.load_balancer`.
#[derive(Debug, Clone, Fields)]
pub struct LoadBalancerFields {
    /// Name, unique in the region (max 32 characters).
    #[field(force_new)]
    pub name: String,
    // The API's `Type` (Terraform's name too): `type` is the spec's meta
    // key naming a resource's kind.
    /// The API's Type: application (default).
    #[field(force_new, default = "application")]
    pub load_balancer_type: Option<String>,
    /// internet-facing (default) or internal.
    #[field(force_new, default = "internet-facing")]
    pub scheme: Option<String>,
    /// Subnet ids, at least two AZs (a set).
    #[field(normalize = set_value)]
    pub subnets: Vec<String>,
    /// Security group ids (a set); the VPC's default group when unset.
    #[field(optional_computed, normalize = set_value)]
    pub security_groups: Option<Vec<String>>,
    /// ipv4 (default) or dualstack.
    #[field(default = "ipv4")]
    pub ip_address_type: Option<String>,
    /// Idle timeout in seconds (1-4000).
    #[field(default = 60i64, normalize = number_value)]
    pub idle_timeout: Option<i64>,
    /// Refuse deletion while true.
    #[field(default = false)]
    pub deletion_protection: Option<bool>,
    /// Drop HTTP headers with invalid names.
    #[field(default = false)]
    pub drop_invalid_header_fields: Option<bool>,
    /// Whether HTTP/2 is enabled.
    #[field(default = true)]
    pub http2_enabled: Option<bool>,
    /// Access logs to S3.
    #[field(default = logs_off(), normalize = normalize_access_logs)]
    pub access_logs: Option<Shaped<AccessLogs>>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The load balancer's ARN (= id).
    pub arn: Computed<String>,
    /// Its public DNS name.
    pub dns_name: Computed<String>,
    /// Route 53 hosted zone id for alias records.
    pub zone_id: Computed<String>,
    /// Same as zone_id (AWS's name).
    pub canonical_hosted_zone_id: Computed<String>,
    /// The VPC of its subnets.
    pub vpc_id: Computed<String>,
    /// The ARN part CloudWatch metrics use.
    pub arn_suffix: Computed<String>,
    /// provisioning, active, active_impaired or failed.
    pub state: Computed<String>,
}

/// The `access_logs` block.
#[derive(Debug, Clone, Fields)]
pub struct AccessLogs {
    /// Write access logs to S3.
    #[field(default = false)]
    pub enabled: Option<bool>,
    /// The S3 bucket.
    pub bucket: Option<String>,
    /// Key prefix in the bucket.
    pub prefix: Option<String>,
}

/// Access logs off: the default, and what AWS reports when unset.
fn logs_off() -> Value {
    Value::Map(BTreeMap::from([(
        "enabled".to_string(),
        Value::Bool(false),
    )]))
}

/// The canonical `access_logs`: unset parts absent, `enabled` false when
/// unset.
fn normalize_access_logs(v: &Value) -> Value {
    let Value::Map(logs) = v else {
        return v.clone();
    };
    let mut logs = logs.clone();
    logs.retain(|_, v| !v.is_null() && v.as_str() != Some(""));
    logs.entry("enabled".to_string())
        .or_insert(Value::Bool(false));
    Value::Map(logs)
}

/// The field of a boolean attribute.
type Flag = fn(&mut LoadBalancerFields) -> &mut Option<bool>;

/// The boolean load balancer attributes: their key and the field holding
/// each.
const FLAGS: [(&str, Flag); 3] = [
    ("deletion_protection.enabled", |f| {
        &mut f.deletion_protection
    }),
    ("routing.http.drop_invalid_header_fields.enabled", |f| {
        &mut f.drop_invalid_header_fields
    }),
    ("routing.http2.enabled", |f| &mut f.http2_enabled),
];

/// The attribute keys and texts `f` asks for (keys it leaves unset are not
/// managed).
pub fn attribute_map(f: &LoadBalancerFields) -> BTreeMap<String, String> {
    let timeout = f.idle_timeout.map(|i| i.to_string());
    let mut pairs = vec![("idle_timeout.timeout_seconds", timeout)];
    let mut flags = f.clone();
    pairs.extend(FLAGS.map(|(key, field)| (key, field(&mut flags).map(|b| b.to_string()))));
    if let Some(logs) = f
        .access_logs
        .as_ref()
        .and_then(|l| l.typed("access_logs").ok())
    {
        // An unset bucket or prefix is "none": clear it.
        pairs.extend([
            (
                "access_logs.s3.enabled",
                logs.enabled.map(|b| b.to_string()),
            ),
            (
                "access_logs.s3.bucket",
                Some(logs.bucket.unwrap_or_default()),
            ),
            (
                "access_logs.s3.prefix",
                Some(logs.prefix.unwrap_or_default()),
            ),
        ]);
    }
    pairs
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_string(), v?)))
        .collect()
}

/// The attributes to send to go from `prior` to `desired`: only keys whose
/// text differs.
pub fn attribute_changes(
    prior: &LoadBalancerFields,
    desired: &LoadBalancerFields,
) -> Vec<(String, String)> {
    let before = attribute_map(prior);
    attribute_map(desired)
        .into_iter()
        .filter(|(k, v)| before.get(k) != Some(v))
        .collect()
}

fn fields_of(
    lb: &LoadBalancer,
    attributes: &[LoadBalancerAttribute],
    tags: Tags,
) -> LoadBalancerFields {
    let by_key: BTreeMap<&str, &str> = attributes
        .iter()
        .filter_map(|a| Some((a.key()?, a.value().unwrap_or(""))))
        .collect();
    let flag = |k: &str| bool_of(by_key.get(k).copied());
    let mut logs = BTreeMap::from([(
        "enabled".to_string(),
        Value::Bool(flag("access_logs.s3.enabled").unwrap_or(false)),
    )]);
    for (field, key) in [
        ("bucket", "access_logs.s3.bucket"),
        ("prefix", "access_logs.s3.prefix"),
    ] {
        if let Some(t) = by_key.get(key).filter(|t| !t.is_empty()) {
            logs.insert(field.to_string(), Value::from(*t));
        }
    }
    let arn = lb.load_balancer_arn().unwrap_or_default();
    let text = |s: Option<&str>| s.map(str::to_string);
    let mut f = LoadBalancerFields {
        name: lb.load_balancer_name().unwrap_or_default().to_string(),
        load_balancer_type: text(lb.r#type().map(|t| t.as_str())),
        scheme: text(lb.scheme().map(|s| s.as_str())),
        subnets: sorted(lb.availability_zones().iter().filter_map(|z| z.subnet_id())),
        security_groups: Some(sorted(lb.security_groups().iter().map(String::as_str))),
        ip_address_type: text(lb.ip_address_type().map(|t| t.as_str())),
        idle_timeout: by_key
            .get("idle_timeout.timeout_seconds")
            .and_then(|t| t.trim().parse().ok()),
        deletion_protection: None,
        drop_invalid_header_fields: None,
        http2_enabled: None,
        access_logs: Some(Shaped::new(Value::Map(logs))),
        tags,
        arn: Some(arn.to_string()),
        dns_name: text(lb.dns_name()),
        zone_id: text(lb.canonical_hosted_zone_id()),
        canonical_hosted_zone_id: text(lb.canonical_hosted_zone_id()),
        vpc_id: text(lb.vpc_id()),
        // The part of the ARN after `loadbalancer/` (CloudWatch's dimension).
        arn_suffix: text(arn.split_once(":loadbalancer/").map(|(_, s)| s)),
        state: text(lb.state().and_then(|s| s.code()).map(|c| c.as_str())),
    };
    for (key, field) in FLAGS {
        *field(&mut f) = flag(key);
    }
    f
}

/// Ids as a set: sorted, without duplicates.
fn sorted<'a>(items: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<String> = items.map(str::to_string).collect();
    v.sort();
    v.dedup();
    v
}

async fn lb_attributes(
    client: &Client,
    arn: &str,
) -> Result<Option<Vec<LoadBalancerAttribute>>, ProviderError> {
    let call = client
        .describe_load_balancer_attributes()
        .load_balancer_arn(arn);
    let out = none_if(call.send().await.map_err(Elbv2::err), is_not_found)?;
    Ok(out.map(|o| o.attributes.unwrap_or_default()))
}

async fn modify_attributes(
    client: &Client,
    arn: &str,
    changes: Vec<(String, String)>,
) -> Result<(), ProviderError> {
    if changes.is_empty() {
        return Ok(());
    }
    let list = changes
        .into_iter()
        .map(|(k, v)| LoadBalancerAttribute::builder().key(k).value(v).build())
        .collect();
    client
        .modify_load_balancer_attributes()
        .load_balancer_arn(arn)
        .set_attributes(Some(list))
        .send()
        .await
        .map_err(Elbv2::err)?;
    Ok(())
}

/// The message of a refused delete.
fn protected_message(arn: &str) -> String {
    format!(
        "load balancer {arn} has deletion protection enabled; set `deletion_protection: false` and apply \
         before destroying it"
    )
}

#[async_trait]
impl Kind for LoadBalancerKind {
    // Application and network load balancers (a bare `loadbalancer/` would
    // also match classic load balancers, which are not this kind).
    const ARNS: &[ArnShape] = &[
        ArnShape::arn("elasticloadbalancing", "loadbalancer/app/"),
        ArnShape::arn("elasticloadbalancing", "loadbalancer/net/"),
    ];

    // Load balancer names are unique in a region.
    const UNIQUE_FIELDS: &'static [&'static str] = &["name"];

    const POLL_INTERVAL: Duration = Duration::from_secs(10);

    const READY_TIMEOUT: Duration = Duration::from_secs(15 * 60);

    fn readiness(observed: &LoadBalancerFields) -> Readiness {
        match observed.state.as_deref() {
            Some("provisioning") => Readiness::Pending("provisioning".into()),
            Some("failed") => Readiness::Failed("failed".into()),
            _ => Readiness::Ready,
        }
    }

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        let lbs = describe_tagged!(
            ctx, ids,
            describe_load_balancers(set_load_balancer_arns) -> load_balancers,
            LoadBalancer::load_balancer_arn
        )
        .await?;
        let mut out = BTreeMap::new();
        for (arn, lb, tags) in lbs {
            // Gone between the two calls: absent, like any deleted resource.
            if let Some(attributes) = lb_attributes(ctx.client, &arn).await? {
                out.insert(arn, fields_of(&lb, &attributes, tags));
            }
        }
        Ok(out)
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let sgs = desired.security_groups.clone().filter(|s| !s.is_empty());
        let text = |v: &Option<String>, default: &'static str| v.clone().unwrap_or(default.into());
        let out = ctx
            .client
            .create_load_balancer()
            .name(&desired.name)
            .set_subnets(Some(desired.subnets.clone()))
            .set_security_groups(sgs)
            .scheme(LoadBalancerSchemeEnum::from(
                text(&desired.scheme, "internet-facing").as_str(),
            ))
            .r#type(LoadBalancerTypeEnum::from(
                text(&desired.load_balancer_type, "application").as_str(),
            ))
            .ip_address_type(IpAddressType::from(
                text(&desired.ip_address_type, "ipv4").as_str(),
            ))
            .set_tags(create_tags(&desired.tags, ctx))
            .send()
            .await
            .map_err(Elbv2::err)?;
        let first = out
            .load_balancers()
            .first()
            .and_then(|l| l.load_balancer_arn());
        let id = returned_id(first, "CreateLoadBalancer")?;
        // Every attribute the spec sets, in one call, without reading AWS's
        // defaults first: a new load balancer has nothing else to keep.
        modify_attributes(
            ctx.client,
            &id,
            attribute_map(desired).into_iter().collect(),
        )
        .await?;
        Self::made(ctx, id).await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        let set = |v: &[String]| sorted(v.iter().map(String::as_str));
        if set(&prior.subnets) != set(&desired.subnets) {
            ctx.client
                .set_subnets()
                .load_balancer_arn(id)
                .set_subnets(Some(desired.subnets.clone()))
                .send()
                .await
                .map_err(Elbv2::err)?;
        }
        if let Some(sgs) = &desired.security_groups
            && set(prior.security_groups.as_deref().unwrap_or_default()) != set(sgs)
        {
            ctx.client
                .set_security_groups()
                .load_balancer_arn(id)
                .set_security_groups(Some(sgs.clone()))
                .send()
                .await
                .map_err(Elbv2::err)?;
        }
        if let Some(t) = &desired.ip_address_type
            && prior.ip_address_type.as_ref() != Some(t)
        {
            ctx.client
                .set_ip_address_type()
                .load_balancer_arn(id)
                .ip_address_type(IpAddressType::from(t.as_str()))
                .send()
                .await
                .map_err(Elbv2::err)?;
        }
        modify_attributes(ctx.client, id, attribute_changes(prior, desired)).await?;
        retag_and_read(ctx, id, Some(id), &prior.tags, &desired.tags).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        // Checked live rather than from prior: protection may have been
        // turned on outside forge, and AWS's own refusal is less helpful.
        let Some(attributes) = lb_attributes(ctx.client, id).await? else {
            return Ok(());
        };
        let protected = attributes.iter().any(|a| {
            a.key() == Some("deletion_protection.enabled") && bool_of(a.value()) == Some(true)
        });
        if protected {
            return Err(ProviderError::Invalid(protected_message(id)));
        }
        match ctx
            .client
            .delete_load_balancer()
            .load_balancer_arn(id)
            .send()
            .await
            .map_err(Elbv2::err)
        {
            Err(ProviderError::Api { code, .. }) if code == "OperationNotPermitted" => {
                Err(ProviderError::Invalid(protected_message(id)))
            }
            other => ignore_not_found(other.map(|_| ())),
        }
    }

    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        let all = all_load_balancer_arns(ctx.client).await?;
        owned(ctx.client, &all, ctx, address).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing;
    use aws_sdk_elasticloadbalancingv2::types::{
        AvailabilityZone, LoadBalancerState, LoadBalancerStateEnum,
    };
    use forge_core::Attrs;
    use forge_core::fields::Fields;
    use forge_engine::PlannedAction;
    use forge_engine::Provider;
    use serde_json::json;

    fn lb_attrs(lb: &LoadBalancer, attributes: &[LoadBalancerAttribute]) -> Attrs {
        fields_of(lb, attributes, Tags::default()).to_attrs()
    }

    fn described() -> (LoadBalancer, Vec<LoadBalancerAttribute>) {
        let lb = LoadBalancer::builder()
            .load_balancer_arn("arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/web/abc")
            .load_balancer_name("web")
            .r#type(LoadBalancerTypeEnum::Application)
            .scheme(LoadBalancerSchemeEnum::InternetFacing)
            .availability_zones(AvailabilityZone::builder().subnet_id("subnet-b").build())
            .availability_zones(AvailabilityZone::builder().subnet_id("subnet-a").build())
            .security_groups("sg-1")
            .ip_address_type(IpAddressType::Ipv4)
            .dns_name("web.elb")
            .canonical_hosted_zone_id("Z1")
            .vpc_id("vpc-1")
            .state(
                LoadBalancerState::builder()
                    .code(LoadBalancerStateEnum::Active)
                    .build(),
            )
            .build();
        let kv = |k: &str, v: &str| LoadBalancerAttribute::builder().key(k).value(v).build();
        let attributes = vec![
            kv("idle_timeout.timeout_seconds", "60"),
            kv("deletion_protection.enabled", "false"),
            kv("routing.http.drop_invalid_header_fields.enabled", "false"),
            kv("routing.http2.enabled", "true"),
            kv("access_logs.s3.enabled", "false"),
            kv("access_logs.s3.bucket", ""),
            kv("access_logs.s3.prefix", ""),
            kv("waf.fail_open.enabled", "false"),
        ];
        (lb, attributes)
    }

    #[test]
    fn defaults_against_a_fresh_load_balancer_are_a_no_op() {
        let (lb, attributes) = described();
        let observed =
            testing::provider::<LoadBalancerKind>().normalize(lb_attrs(&lb, &attributes));
        testing::assert_covers_schema::<LoadBalancerKind>(&observed, &[]);
        assert_eq!(observed["arn_suffix"], Value::from("app/web/abc"));
        let d = testing::desired::<LoadBalancerKind>(
            json!({"name": "web", "subnets": ["subnet-a", "subnet-b"], "security_groups": ["sg-1"]}),
        );
        testing::assert_no_op::<LoadBalancerKind>(&observed, &d);
        assert!(
            attribute_changes(
                &testing::typed::<LoadBalancerKind>(&observed),
                &testing::typed::<LoadBalancerKind>(&d)
            )
            .is_empty()
        );
        assert_eq!(
            testing::provider::<LoadBalancerKind>().readiness(&observed),
            Readiness::Ready
        );
    }

    #[test]
    fn attribute_changes_are_minimal() {
        let (lb, attributes) = described();
        let observed =
            testing::provider::<LoadBalancerKind>().normalize(lb_attrs(&lb, &attributes));
        let d = testing::desired::<LoadBalancerKind>(json!({
            "name": "web", "subnets": ["subnet-a", "subnet-b"], "idle_timeout": "120",
            "access_logs": {"enabled": true, "bucket": "logs", "prefix": "alb"}
        }));
        let plan = testing::provider::<LoadBalancerKind>().plan(Some(&observed), &d);
        assert_eq!(plan.action, PlannedAction::Update);
        let changes = attribute_changes(
            &testing::typed::<LoadBalancerKind>(&observed),
            &testing::typed::<LoadBalancerKind>(&d),
        );
        assert_eq!(
            changes,
            vec![
                ("access_logs.s3.bucket".to_string(), "logs".to_string()),
                ("access_logs.s3.enabled".to_string(), "true".to_string()),
                ("access_logs.s3.prefix".to_string(), "alb".to_string()),
                (
                    "idle_timeout.timeout_seconds".to_string(),
                    "120".to_string()
                ),
            ]
        );
    }

    #[test]
    fn scheme_change_replaces() {
        let (lb, attributes) = described();
        let observed =
            testing::provider::<LoadBalancerKind>().normalize(lb_attrs(&lb, &attributes));
        let d = testing::desired::<LoadBalancerKind>(
            json!({"name": "web", "scheme": "internal", "subnets": ["subnet-a", "subnet-b"]}),
        );
        assert_eq!(
            testing::provider::<LoadBalancerKind>()
                .plan(Some(&observed), &d)
                .action,
            PlannedAction::Replace
        );
    }

    #[test]
    fn provisioning_is_pending() {
        let (lb, attributes) = described();
        let mut f = fields_of(&lb, &attributes, Tags::default());
        assert_eq!(LoadBalancerKind::readiness(&f), Readiness::Ready);
        f.state = Some("provisioning".into());
        assert!(matches!(
            LoadBalancerKind::readiness(&f),
            Readiness::Pending(_)
        ));
        f.state = Some("failed".into());
        assert!(matches!(
            LoadBalancerKind::readiness(&f),
            Readiness::Failed(_)
        ));
        assert!(protected_message("arn:x").contains("deletion_protection: false"));
    }
}
