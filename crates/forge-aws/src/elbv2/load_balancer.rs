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

use super::common::{
    self, CONCURRENCY, ElbBase, bool_of, describe_arns, describe_tags, elb_err, int_of,
    observed_tags,
};
use crate::attrs::attrs;
use crate::attrs::{opt_str, req_str, str_list, str_or_null, str_set};
use crate::clients::AwsClients;
use crate::error::{ignore_not_found, is_not_found};
use crate::normalize::normalize_common;
use crate::tags::tags_field;
use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types::{
    IpAddressType, LoadBalancer, LoadBalancerAttribute, LoadBalancerSchemeEnum,
    LoadBalancerTypeEnum,
};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::{
    Created, FieldChange, ObserveCtx, Provider, ProviderError, Readiness, ResourceCtx,
};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The `aws.elbv2.load_balancer` provider.
pub struct LoadBalancerProvider {
    base: ElbBase,
    schema: KindSchema,
}

impl LoadBalancerProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        LoadBalancerProvider {
            base: ElbBase::new(clients),
            schema: schema(),
        }
    }
}

/// How a load balancer attribute's text maps to a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Int,
    Text,
}

/// Top-level fields stored as load balancer attributes: (field, key, kind).
const ATTRIBUTES: [(&str, &str, Kind); 4] = [
    ("idle_timeout", "idle_timeout.timeout_seconds", Kind::Int),
    (
        "deletion_protection",
        "deletion_protection.enabled",
        Kind::Bool,
    ),
    (
        "drop_invalid_header_fields",
        "routing.http.drop_invalid_header_fields.enabled",
        Kind::Bool,
    ),
    ("http2_enabled", "routing.http2.enabled", Kind::Bool),
];

/// The `access_logs` block's parts: (sub-field, key, kind).
const ACCESS_LOGS: [(&str, &str, Kind); 3] = [
    ("enabled", "access_logs.s3.enabled", Kind::Bool),
    ("bucket", "access_logs.s3.bucket", Kind::Text),
    ("prefix", "access_logs.s3.prefix", Kind::Text),
];

/// The schema of `aws.elbv2.load_balancer`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.elbv2.load_balancer",
        "An Elastic Load Balancing v2 load balancer (application).",
        [
            (
                "name",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("Name, unique in the region (max 32 characters)."),
            ),
            (
                // The API's `Type` (Terraform's name too): `type` is the
                // spec's meta key naming a resource's kind.
                "load_balancer_type",
                FieldSchema::optional(FieldType::String)
                    .default("application")
                    .force_new()
                    .describe("The API's Type: application (default)."),
            ),
            (
                "scheme",
                FieldSchema::optional(FieldType::String)
                    .default("internet-facing")
                    .force_new()
                    .describe("internet-facing (default) or internal."),
            ),
            (
                "subnets",
                FieldSchema::required(FieldType::list(FieldType::String))
                    .describe("Subnet ids, at least two AZs (a set)."),
            ),
            (
                "security_groups",
                FieldSchema::optional_computed(FieldType::list(FieldType::String))
                    .describe("Security group ids (a set); the VPC's default group when unset."),
            ),
            (
                "ip_address_type",
                FieldSchema::optional(FieldType::String)
                    .default("ipv4")
                    .describe("ipv4 (default) or dualstack."),
            ),
            (
                "idle_timeout",
                FieldSchema::optional(FieldType::Number)
                    .default(60i64)
                    .describe("Idle timeout in seconds (1-4000)."),
            ),
            (
                "deletion_protection",
                FieldSchema::optional(FieldType::Bool)
                    .default(false)
                    .describe("Refuse deletion while true."),
            ),
            (
                "drop_invalid_header_fields",
                FieldSchema::optional(FieldType::Bool)
                    .default(false)
                    .describe("Drop HTTP headers with invalid names."),
            ),
            (
                "http2_enabled",
                FieldSchema::optional(FieldType::Bool)
                    .default(true)
                    .describe("Whether HTTP/2 is enabled."),
            ),
            (
                "access_logs",
                FieldSchema::optional(FieldType::object([
                    (
                        "enabled",
                        FieldSchema::optional(FieldType::Bool)
                            .default(false)
                            .describe("Write access logs to S3."),
                    ),
                    (
                        "bucket",
                        FieldSchema::optional(FieldType::String).describe("The S3 bucket."),
                    ),
                    (
                        "prefix",
                        FieldSchema::optional(FieldType::String)
                            .describe("Key prefix in the bucket."),
                    ),
                ]))
                .default(Value::Map(BTreeMap::from([(
                    "enabled".to_string(),
                    Value::Bool(false),
                )])))
                .describe("Access logs to S3."),
            ),
            ("tags", tags_field()),
            (
                "arn",
                FieldSchema::computed(FieldType::String)
                    .describe("The load balancer's ARN (= id)."),
            ),
            (
                "dns_name",
                FieldSchema::computed(FieldType::String).describe("Its public DNS name."),
            ),
            (
                "zone_id",
                FieldSchema::computed(FieldType::String)
                    .describe("Route 53 hosted zone id for alias records."),
            ),
            (
                "canonical_hosted_zone_id",
                FieldSchema::computed(FieldType::String).describe("Same as zone_id (AWS's name)."),
            ),
            (
                "vpc_id",
                FieldSchema::computed(FieldType::String).describe("The VPC of its subnets."),
            ),
            (
                "arn_suffix",
                FieldSchema::computed(FieldType::String)
                    .describe("The ARN part CloudWatch metrics use."),
            ),
            (
                "state",
                FieldSchema::computed(FieldType::String)
                    .describe("provisioning, active, active_impaired or failed."),
            ),
        ],
    )
}

fn attr_text(v: &Value, kind: Kind) -> Option<String> {
    match kind {
        Kind::Bool => v
            .as_bool()
            .or_else(|| bool_of(v.as_str()))
            .map(|b| b.to_string()),
        Kind::Int => int_of(v).map(|i| i.to_string()),
        Kind::Text => v.as_str().map(str::to_string),
    }
}

fn attr_value(text: &str, kind: Kind) -> Value {
    match kind {
        Kind::Bool => bool_of(Some(text)).map(Value::Bool).unwrap_or(Value::Null),
        Kind::Int => text
            .trim()
            .parse::<i64>()
            .map(Value::int)
            .unwrap_or(Value::Null),
        Kind::Text if text.is_empty() => Value::Null,
        Kind::Text => Value::from(text),
    }
}

/// The attribute keys and texts `attrs` asks for (keys it leaves unset are
/// not managed).
pub fn attribute_map(attrs: &Attrs) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (field, key, kind) in ATTRIBUTES {
        if let Some(t) = attrs.get(field).and_then(|v| attr_text(v, kind)) {
            out.insert(key.to_string(), t);
        }
    }
    let logs = attrs.get("access_logs").and_then(Value::as_map);
    for (field, key, kind) in ACCESS_LOGS {
        match logs
            .and_then(|l| l.get(field))
            .and_then(|v| attr_text(v, kind))
        {
            Some(t) => {
                out.insert(key.to_string(), t);
            }
            // An unset bucket or prefix is "none": clear it.
            None if kind == Kind::Text && logs.is_some() => {
                out.insert(key.to_string(), String::new());
            }
            None => {}
        }
    }
    out
}

/// The attributes to send to go from `prior` to `desired`: only keys whose
/// text differs.
pub fn attribute_changes(prior: &Attrs, desired: &Attrs) -> Vec<(String, String)> {
    let before = attribute_map(prior);
    attribute_map(desired)
        .into_iter()
        .filter(|(k, v)| before.get(k) != Some(v))
        .collect()
}

fn fields_of_attributes(list: &[LoadBalancerAttribute]) -> Attrs {
    let by_key: BTreeMap<&str, &str> = list
        .iter()
        .filter_map(|a| Some((a.key()?, a.value().unwrap_or(""))))
        .collect();
    let mut out = Attrs::new();
    for (field, key, kind) in ATTRIBUTES {
        out.insert(
            field.to_string(),
            by_key.get(key).map_or(Value::Null, |t| attr_value(t, kind)),
        );
    }
    let mut logs = BTreeMap::new();
    for (field, key, kind) in ACCESS_LOGS {
        let v = by_key.get(key).map_or(Value::Null, |t| attr_value(t, kind));
        if !v.is_null() {
            logs.insert(field.to_string(), v);
        }
    }
    logs.entry("enabled".to_string())
        .or_insert(Value::Bool(false));
    out.insert("access_logs".into(), Value::Map(logs));
    out
}

/// The part of the ARN after `loadbalancer/` (CloudWatch's dimension).
fn arn_suffix(arn: &str) -> Value {
    arn.split_once(":loadbalancer/")
        .map_or(Value::Null, |(_, s)| Value::from(s))
}

fn lb_attrs(
    lb: &LoadBalancer,
    attributes: &[LoadBalancerAttribute],
    tags: Option<&BTreeMap<String, String>>,
) -> Attrs {
    let arn = lb.load_balancer_arn().unwrap_or_default();
    let mut a = attrs([
        ("id", arn.into()),
        ("arn", arn.into()),
        ("name", str_or_null(lb.load_balancer_name())),
        (
            "load_balancer_type",
            str_or_null(lb.r#type().map(|t| t.as_str())),
        ),
        ("scheme", str_or_null(lb.scheme().map(|s| s.as_str()))),
        (
            "subnets",
            str_set(lb.availability_zones().iter().filter_map(|z| z.subnet_id())),
        ),
        (
            "security_groups",
            str_set(lb.security_groups().iter().map(String::as_str)),
        ),
        (
            "ip_address_type",
            str_or_null(lb.ip_address_type().map(|t| t.as_str())),
        ),
        ("tags", observed_tags(tags)),
        ("dns_name", str_or_null(lb.dns_name())),
        ("zone_id", str_or_null(lb.canonical_hosted_zone_id())),
        (
            "canonical_hosted_zone_id",
            str_or_null(lb.canonical_hosted_zone_id()),
        ),
        ("vpc_id", str_or_null(lb.vpc_id())),
        ("arn_suffix", arn_suffix(arn)),
        (
            "state",
            str_or_null(lb.state().and_then(|s| s.code()).map(|c| c.as_str())),
        ),
    ]);
    a.extend(fields_of_attributes(attributes));
    a
}

async fn describe_lbs(
    client: &Client,
    arns: &[String],
) -> Result<Vec<LoadBalancer>, ProviderError> {
    describe_arns(arns, |chunk| async move {
        let out = client
            .describe_load_balancers()
            .set_load_balancer_arns(Some(chunk))
            .send()
            .await
            .map_err(elb_err)?;
        Ok(out.load_balancers.unwrap_or_default())
    })
    .await
}

async fn lb_attributes(
    client: &Client,
    arn: &str,
) -> Result<Option<Vec<LoadBalancerAttribute>>, ProviderError> {
    match client
        .describe_load_balancer_attributes()
        .load_balancer_arn(arn)
        .send()
        .await
        .map_err(elb_err)
    {
        Ok(out) => Ok(Some(out.attributes.unwrap_or_default())),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn observe_lbs(
    client: &Client,
    arns: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let lbs = describe_lbs(client, arns).await?;
    let found: Vec<String> = lbs
        .iter()
        .filter_map(|l| l.load_balancer_arn().map(str::to_string))
        .collect();
    let tags = describe_tags(client, &found).await?;
    let mut out = BTreeMap::new();
    for lb in &lbs {
        let Some(arn) = lb.load_balancer_arn() else {
            continue;
        };
        // Gone between the two calls: absent, like any deleted resource.
        let Some(attributes) = lb_attributes(client, arn).await? else {
            continue;
        };
        out.insert(arn.to_string(), lb_attrs(lb, &attributes, tags.get(arn)));
    }
    Ok(out)
}

async fn observe_one(client: &Client, arn: &str) -> Result<Attrs, ProviderError> {
    observe_lbs(client, &[arn.to_string()])
        .await?
        .remove(arn)
        .ok_or_else(|| ProviderError::Transient {
            message: format!("load balancer {arn} not visible yet"),
        })
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
        .map_err(elb_err)?;
    Ok(())
}

fn sets_differ(prior: &Attrs, desired: &Attrs, name: &str) -> bool {
    let mut a = str_list(prior, name);
    let mut b = str_list(desired, name);
    a.sort();
    b.sort();
    a != b
}

/// The message of a refused delete.
fn protected_message(arn: &str) -> String {
    format!(
        "load balancer {arn} has deletion protection enabled; set `deletion_protection: false` and apply \
         before destroying it"
    )
}

#[async_trait]
impl Provider for LoadBalancerProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn unique_fields(&self) -> &'static [&'static str] {
        // Load balancer names are unique in a region.
        &["name"]
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(CONCURRENCY)
    }

    fn poll_interval(&self) -> Duration {
        Duration::from_secs(10)
    }

    fn ready_timeout(&self) -> Duration {
        Duration::from_secs(15 * 60)
    }

    fn normalize(&self, mut attrs: Attrs) -> Attrs {
        crate::attrs::normalize_set(&mut attrs, "subnets");
        crate::attrs::normalize_set(&mut attrs, "security_groups");
        if let Some(v) = attrs.get_mut("idle_timeout") {
            *v = common::number_value(v);
        }
        if let Some(Value::Map(logs)) = attrs.get_mut("access_logs") {
            logs.retain(|_, v| !v.is_null() && v.as_str() != Some(""));
            logs.entry("enabled".to_string())
                .or_insert(Value::Bool(false));
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
        observe_lbs(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let sgs = str_list(desired, "security_groups");
        let out = client
            .create_load_balancer()
            .name(req_str(desired, "name")?)
            .set_subnets(Some(str_list(desired, "subnets")))
            .set_security_groups(if sgs.is_empty() { None } else { Some(sgs) })
            .scheme(LoadBalancerSchemeEnum::from(
                opt_str(desired, "scheme").unwrap_or("internet-facing"),
            ))
            .r#type(LoadBalancerTypeEnum::from(
                opt_str(desired, "load_balancer_type").unwrap_or("application"),
            ))
            .ip_address_type(IpAddressType::from(
                opt_str(desired, "ip_address_type").unwrap_or("ipv4"),
            ))
            .set_tags(Some(common::create_tags(desired, ctx)))
            .send()
            .await
            .map_err(elb_err)?;
        let arn = out
            .load_balancers()
            .first()
            .and_then(|l| l.load_balancer_arn())
            .ok_or_else(|| ProviderError::Transient {
                message: "CreateLoadBalancer returned no ARN".into(),
            })?
            .to_string();
        let current = observe_one(&client, &arn).await?;
        modify_attributes(&client, &arn, attribute_changes(&current, desired)).await?;
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
        if sets_differ(prior, desired, "subnets") {
            client
                .set_subnets()
                .load_balancer_arn(id)
                .set_subnets(Some(str_list(desired, "subnets")))
                .send()
                .await
                .map_err(elb_err)?;
        }
        if desired.get("security_groups").is_some_and(|v| !v.is_null())
            && sets_differ(prior, desired, "security_groups")
        {
            client
                .set_security_groups()
                .load_balancer_arn(id)
                .set_security_groups(Some(str_list(desired, "security_groups")))
                .send()
                .await
                .map_err(elb_err)?;
        }
        if let Some(t) = opt_str(desired, "ip_address_type")
            && opt_str(prior, "ip_address_type") != Some(t)
        {
            client
                .set_ip_address_type()
                .load_balancer_arn(id)
                .ip_address_type(IpAddressType::from(t))
                .send()
                .await
                .map_err(elb_err)?;
        }
        modify_attributes(&client, id, attribute_changes(prior, desired)).await?;
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
        // Checked live rather than from prior: protection may have been
        // turned on outside forge, and AWS's own refusal is less helpful.
        let Some(attributes) = lb_attributes(&client, id).await? else {
            return Ok(());
        };
        if fields_of_attributes(&attributes)
            .get("deletion_protection")
            .and_then(Value::as_bool)
            == Some(true)
        {
            return Err(ProviderError::Invalid(protected_message(id)));
        }
        match client
            .delete_load_balancer()
            .load_balancer_arn(id)
            .send()
            .await
            .map_err(elb_err)
        {
            Err(ProviderError::Api { code, .. }) if code == "OperationNotPermitted" => {
                Err(ProviderError::Invalid(protected_message(id)))
            }
            other => ignore_not_found(other.map(|_| ())),
        }
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let all = common::all_load_balancer_arns(&client).await?;
        let Some(arn) = common::orphan_arn(&client, ctx, &all).await? else {
            return Ok(None);
        };
        let mut observed = observe_lbs(&client, std::slice::from_ref(&arn)).await?;
        Ok(observed
            .remove(&arn)
            .map(|attrs| Created { id: arn, attrs }))
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let all = common::all_load_balancer_arns(&client).await?;
        common::tagged_arns(&client, &all, &ctx.owner, None).await
    }

    fn readiness(&self, observed: &Attrs) -> Readiness {
        match observed.get("state").and_then(Value::as_str) {
            Some("provisioning") => Readiness::Pending("provisioning".into()),
            Some("failed") => Readiness::Failed("failed".into()),
            _ => Readiness::Ready,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_elasticloadbalancingv2::types::{
        AvailabilityZone, LoadBalancerState, LoadBalancerStateEnum,
    };
    use forge_engine::PlannedAction;
    use serde_json::json;

    fn provider() -> LoadBalancerProvider {
        LoadBalancerProvider::new(Arc::new(AwsClients::new(crate::AwsSettings::default())))
    }

    fn desired(j: serde_json::Value) -> Attrs {
        let mut a: Attrs = Value::from_json(&j).as_map().cloned().unwrap_or_default();
        forge_engine::diff::fill_defaults(&schema(), &mut a);
        provider().normalize(a)
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
        let observed = provider().normalize(lb_attrs(&lb, &attributes, None));
        for field in schema().fields.keys() {
            assert!(observed.contains_key(field), "missing {field}");
        }
        assert_eq!(observed["arn_suffix"], Value::from("app/web/abc"));
        let d = desired(
            json!({"name": "web", "subnets": ["subnet-a", "subnet-b"], "security_groups": ["sg-1"]}),
        );
        let plan = provider().plan(Some(&observed), &d);
        assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
        assert!(attribute_changes(&observed, &d).is_empty());
        assert_eq!(provider().readiness(&observed), Readiness::Ready);
    }

    #[test]
    fn attribute_changes_are_minimal() {
        let (lb, attributes) = described();
        let observed = provider().normalize(lb_attrs(&lb, &attributes, None));
        let d = desired(json!({
            "name": "web", "subnets": ["subnet-a", "subnet-b"], "idle_timeout": "120",
            "access_logs": {"enabled": true, "bucket": "logs", "prefix": "alb"}
        }));
        let plan = provider().plan(Some(&observed), &d);
        assert_eq!(plan.action, PlannedAction::Update);
        let changes = attribute_changes(&observed, &d);
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
        let observed = provider().normalize(lb_attrs(&lb, &attributes, None));
        let d = desired(
            json!({"name": "web", "scheme": "internal", "subnets": ["subnet-a", "subnet-b"]}),
        );
        assert_eq!(
            provider().plan(Some(&observed), &d).action,
            PlannedAction::Replace
        );
    }

    #[test]
    fn provisioning_is_pending() {
        let a = attrs([("state", Value::from("provisioning"))]);
        assert!(matches!(provider().readiness(&a), Readiness::Pending(_)));
        let a = attrs([("state", Value::from("failed"))]);
        assert!(matches!(provider().readiness(&a), Readiness::Failed(_)));
        assert!(protected_message("arn:x").contains("deletion_protection: false"));
    }
}
