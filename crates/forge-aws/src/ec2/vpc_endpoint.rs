//! `aws.ec2.vpc_endpoint`: a gateway (S3, DynamoDB) or interface
//! (PrivateLink) endpoint.
//!
//! Route tables, subnets, security groups, private DNS and the policy
//! change in place with one ModifyVpcEndpoint call adding/removing only
//! what changed. The policy is compared as normalized JSON. Observe cost:
//! one DescribeVpcEndpoints per 200 endpoints (plus pages).

use super::common::{
    self, Describe, Ec2Base, attrs, by_id, describe_ids, ec2_err, normalize_common, set_diff,
    tags_field,
};
use crate::attrs::{
    bool_or_null, normalize_set, opt_bool, opt_str, req_str, str_list, str_or_null, str_set,
};
use crate::clients::AwsClients;
use crate::normalize;
use crate::paging::collect_pages;
use async_trait::async_trait;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{Filter, ResourceType, Tag, VpcEndpoint, VpcEndpointType};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::{
    Created, FieldChange, ObserveCtx, Provider, ProviderError, Readiness, ResourceCtx,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// DescribeVpcEndpoints.
pub struct VpcEndpointApi;

impl Describe for VpcEndpointApi {
    type Item = VpcEndpoint;
    const ID_FILTER: &'static str = "vpc-endpoint-id";

    async fn page(
        client: &Client,
        filters: Vec<Filter>,
        token: Option<String>,
    ) -> Result<(Vec<VpcEndpoint>, Option<String>), ProviderError> {
        let out = client
            .describe_vpc_endpoints()
            .set_filters(Some(filters))
            .set_next_token(token)
            .send()
            .await
            .map_err(ec2_err)?;
        Ok((out.vpc_endpoints.unwrap_or_default(), out.next_token))
    }

    /// By `VpcEndpointIds` rather than the `vpc-endpoint-id` filter, which
    /// some EC2-compatible endpoints (moto) do not implement.
    async fn by_ids(client: &Client, ids: Vec<String>) -> Result<Vec<VpcEndpoint>, ProviderError> {
        let items = common::by_id_list_with_fallback(ids, |ids| async move {
            collect_pages(|token| {
                let call = client
                    .describe_vpc_endpoints()
                    .set_vpc_endpoint_ids(Some(ids.clone()))
                    .set_next_token(token);
                async move {
                    let out = call.send().await.map_err(ec2_err)?;
                    Ok((out.vpc_endpoints.unwrap_or_default(), out.next_token))
                }
            })
            .await
        })
        .await?;
        Ok(items.into_iter().filter(Self::alive).collect())
    }

    fn id(item: &VpcEndpoint) -> Option<&str> {
        item.vpc_endpoint_id()
    }

    fn tags(item: &VpcEndpoint) -> &[Tag] {
        item.tags()
    }

    /// The SDK's `State` enum spells values `Deleted`, but EC2 answers
    /// `deleted` (lower camel case), so compare the text case-insensitively.
    fn alive(item: &VpcEndpoint) -> bool {
        let state = item.state().map(|s| s.as_str().to_ascii_lowercase());
        !matches!(state.as_deref(), Some("deleted" | "deleting"))
    }
}

/// The `aws.ec2.vpc_endpoint` provider.
pub struct VpcEndpointProvider {
    base: Ec2Base,
    schema: KindSchema,
}

impl VpcEndpointProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        VpcEndpointProvider {
            base: Ec2Base::new(clients),
            schema: schema(),
        }
    }
}

/// The schema of `aws.ec2.vpc_endpoint`.
pub fn schema() -> KindSchema {
    let ids = || FieldType::list(FieldType::String);
    KindSchema::new(
        "aws.ec2.vpc_endpoint",
        "A VPC endpoint: private access to an AWS service (S3, DynamoDB, ECR, ...).",
        [
            (
                "vpc_id",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("The VPC of the endpoint."),
            ),
            (
                "service_name",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("The service, e.g. com.amazonaws.eu-central-1.s3."),
            ),
            (
                "vpc_endpoint_type",
                FieldSchema::optional(FieldType::String)
                    .force_new()
                    .default("Gateway")
                    .describe("Gateway (S3, DynamoDB), Interface or GatewayLoadBalancer."),
            ),
            (
                "route_table_ids",
                FieldSchema::optional(ids())
                    .default(Value::List(Vec::new()))
                    .describe("Gateway endpoints: route tables that get a route to the service."),
            ),
            (
                "subnet_ids",
                FieldSchema::optional(ids())
                    .default(Value::List(Vec::new()))
                    .describe(
                        "Interface endpoints: one subnet per zone for the endpoint's interfaces.",
                    ),
            ),
            (
                "security_group_ids",
                FieldSchema::optional_computed(ids()).describe(
                    "Interface endpoints: groups of its interfaces (the VPC default when unset).",
                ),
            ),
            (
                "private_dns_enabled",
                FieldSchema::optional_computed(FieldType::Bool).describe(
                    "Interface endpoints: resolve the service's public name to the endpoint.",
                ),
            ),
            (
                "policy",
                FieldSchema::optional_computed(FieldType::Any).describe(
                    "IAM policy (JSON text or an object); AWS allows everything when unset.",
                ),
            ),
            ("tags", tags_field()),
            (
                "arn",
                FieldSchema::computed(FieldType::String).describe("The endpoint's ARN."),
            ),
            (
                "owner_id",
                FieldSchema::computed(FieldType::String).describe("The owning AWS account."),
            ),
            (
                "state",
                FieldSchema::computed(FieldType::String)
                    .describe("pendingAcceptance, pending, available, failed, ..."),
            ),
            (
                "network_interface_ids",
                FieldSchema::computed(ids())
                    .describe("Interface endpoints: the network interfaces created."),
            ),
            (
                "dns_names",
                FieldSchema::computed(ids())
                    .describe("Interface endpoints: the DNS names it answers to."),
            ),
        ],
    )
}

fn endpoint_attrs(region: &str, e: &VpcEndpoint) -> Attrs {
    let id = e.vpc_endpoint_id().unwrap_or_default();
    let policy = e
        .policy_document()
        .map(|p| match normalize::policy(&Value::from(p)) {
            Ok(text) => text,
            Err(_) => p.to_string(),
        });
    attrs([
        ("id", id.into()),
        ("vpc_id", str_or_null(e.vpc_id())),
        ("service_name", str_or_null(e.service_name())),
        (
            "vpc_endpoint_type",
            str_or_null(e.vpc_endpoint_type().map(|t| t.as_str())),
        ),
        (
            "route_table_ids",
            str_set(e.route_table_ids().iter().cloned()),
        ),
        ("subnet_ids", str_set(e.subnet_ids().iter().cloned())),
        (
            "security_group_ids",
            str_set(e.groups().iter().filter_map(|g| g.group_id())),
        ),
        ("private_dns_enabled", bool_or_null(e.private_dns_enabled())),
        ("policy", str_or_null(policy)),
        ("tags", common::observed_tags(e.tags())),
        ("arn", common::arn(region, e.owner_id(), "vpc-endpoint", id)),
        ("owner_id", str_or_null(e.owner_id())),
        ("state", str_or_null(e.state().map(|s| s.as_str()))),
        (
            "network_interface_ids",
            str_set(e.network_interface_ids().iter().cloned()),
        ),
        (
            "dns_names",
            str_set(e.dns_entries().iter().filter_map(|d| d.dns_name())),
        ),
    ])
}

/// The policy to send: canonical JSON text of the desired value.
fn desired_policy(desired: &Attrs) -> Result<Option<String>, ProviderError> {
    match desired.get("policy") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => normalize::policy(v)
            .map(Some)
            .map_err(|e| ProviderError::Invalid(e.to_string())),
    }
}

/// What ModifyVpcEndpoint must change, computed from prior and desired
/// (pure, so the minimal call is testable).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct EndpointChanges {
    /// Route tables to add / remove.
    pub route_tables: (Vec<String>, Vec<String>),
    /// Subnets to add / remove.
    pub subnets: (Vec<String>, Vec<String>),
    /// Security groups to add / remove.
    pub security_groups: (Vec<String>, Vec<String>),
    /// New private DNS setting.
    pub private_dns: Option<bool>,
    /// New policy text.
    pub policy: Option<String>,
}

impl EndpointChanges {
    /// Compares prior (observed) with desired attributes.
    pub fn between(prior: &Attrs, desired: &Attrs) -> Result<Self, ProviderError> {
        let mut c = EndpointChanges {
            route_tables: set_diff(
                &str_list(prior, "route_table_ids"),
                &str_list(desired, "route_table_ids"),
            ),
            subnets: set_diff(
                &str_list(prior, "subnet_ids"),
                &str_list(desired, "subnet_ids"),
            ),
            ..EndpointChanges::default()
        };
        // Optional-computed fields: unset in the spec means "whatever AWS
        // has", so only a set value is enforced.
        if desired
            .get("security_group_ids")
            .is_some_and(|v| !v.is_null())
        {
            c.security_groups = set_diff(
                &str_list(prior, "security_group_ids"),
                &str_list(desired, "security_group_ids"),
            );
        }
        if let Some(want) = opt_bool(desired, "private_dns_enabled")
            && opt_bool(prior, "private_dns_enabled") != Some(want)
        {
            c.private_dns = Some(want);
        }
        if let Some(want) = desired_policy(desired)? {
            let have = prior.get("policy").and_then(|p| normalize::policy(p).ok());
            if have.as_deref() != Some(want.as_str()) {
                c.policy = Some(want);
            }
        }
        Ok(c)
    }

    /// Whether there is nothing to send.
    pub fn is_empty(&self) -> bool {
        *self == EndpointChanges::default()
    }
}

async fn describe_one(
    client: &Client,
    region: &str,
    id: &str,
) -> Result<Option<Attrs>, ProviderError> {
    let items = describe_ids::<VpcEndpointApi>(client, &[id.to_string()]).await?;
    Ok(items.first().map(|e| endpoint_attrs(region, e)))
}

#[async_trait]
impl Provider for VpcEndpointProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(common::CONCURRENCY)
    }

    fn normalize(&self, mut attrs: Attrs) -> Attrs {
        for list in ["route_table_ids", "subnet_ids"] {
            if attrs.get(list).is_none_or(Value::is_null) {
                attrs.insert(list.into(), Value::List(Vec::new()));
            }
        }
        for list in [
            "route_table_ids",
            "subnet_ids",
            "security_group_ids",
            "network_interface_ids",
            "dns_names",
        ] {
            normalize_set(&mut attrs, list);
        }
        normalize::policy_field(&mut attrs, "policy");
        normalize_common(&self.schema, &mut attrs);
        attrs
    }

    async fn observe(
        &self,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let items = describe_ids::<VpcEndpointApi>(&client, ids).await?;
        Ok(by_id::<VpcEndpointApi>(items, |e| {
            endpoint_attrs(&ctx.region, e)
        }))
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let kind = opt_str(desired, "vpc_endpoint_type").unwrap_or("Gateway");
        let list = |name: &str| Some(str_list(desired, name)).filter(|l| !l.is_empty());
        let out = client
            .create_vpc_endpoint()
            .vpc_id(req_str(desired, "vpc_id")?)
            .service_name(req_str(desired, "service_name")?)
            .vpc_endpoint_type(VpcEndpointType::from(kind))
            .set_route_table_ids(list("route_table_ids"))
            .set_subnet_ids(list("subnet_ids"))
            .set_security_group_ids(list("security_group_ids"))
            .set_private_dns_enabled(opt_bool(desired, "private_dns_enabled"))
            .set_policy_document(desired_policy(desired)?)
            .client_token(common::client_token(token))
            .tag_specifications(common::tag_spec(ResourceType::VpcEndpoint, desired, ctx))
            .send()
            .await
            .map_err(ec2_err)?;
        let endpoint = out.vpc_endpoint.ok_or_else(|| ProviderError::Transient {
            message: "CreateVpcEndpoint returned nothing".into(),
        })?;
        let id = endpoint.vpc_endpoint_id().unwrap_or_default().to_string();
        Ok(Created {
            id,
            attrs: endpoint_attrs(&ctx.region, &endpoint),
        })
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
        let c = EndpointChanges::between(prior, desired)?;
        if !c.is_empty() {
            let some = |v: Vec<String>| Some(v).filter(|v| !v.is_empty());
            client
                .modify_vpc_endpoint()
                .vpc_endpoint_id(id)
                .set_add_route_table_ids(some(c.route_tables.0))
                .set_remove_route_table_ids(some(c.route_tables.1))
                .set_add_subnet_ids(some(c.subnets.0))
                .set_remove_subnet_ids(some(c.subnets.1))
                .set_add_security_group_ids(some(c.security_groups.0))
                .set_remove_security_group_ids(some(c.security_groups.1))
                .set_private_dns_enabled(c.private_dns)
                .set_policy_document(c.policy)
                .send()
                .await
                .map_err(ec2_err)?;
        }
        common::sync_tags(&client, id, prior, desired).await?;
        describe_one(&client, &ctx.region, id)
            .await?
            .ok_or_else(|| ProviderError::Transient {
                message: format!("VPC endpoint {id} not visible after update"),
            })
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        const GONE: &str = "InvalidVpcEndpointId.NotFound";
        let client = self.base.client(&ctx.region).await?;
        // Already gone (or `deleted`, which AWS lists for a while): done,
        // without asking EC2 to delete it again.
        if describe_ids::<VpcEndpointApi>(&client, &[id.to_string()])
            .await?
            .is_empty()
        {
            return Ok(());
        }
        let out = match client
            .delete_vpc_endpoints()
            .vpc_endpoint_ids(id)
            .send()
            .await
            .map_err(ec2_err)
        {
            Ok(out) => out,
            Err(e) => return crate::error::delete_result_own(Err(e), GONE),
        };
        // The batch API reports per-endpoint failures in the body.
        crate::error::delete_result_own(common::unsuccessful(out.unsuccessful()), GONE)
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let Some(id) = common::orphan_id::<VpcEndpointApi>(&client, ctx).await? else {
            return Ok(None);
        };
        Ok(describe_one(&client, &ctx.region, &id)
            .await?
            .map(|attrs| Created { id, attrs }))
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        common::list_tagged::<VpcEndpointApi>(&client, ctx).await
    }

    fn readiness(&self, observed: &Attrs) -> Readiness {
        match opt_str(observed, "state")
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("available") => Readiness::Ready,
            Some(s @ ("failed" | "rejected" | "expired")) => Readiness::Failed(s.to_string()),
            Some(s) => Readiness::Pending(s.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(pairs: serde_json::Value) -> Attrs {
        match Value::from_json(&pairs) {
            Value::Map(m) => m,
            _ => Attrs::new(),
        }
    }

    #[test]
    fn modify_sends_only_differences() {
        let prior = a(serde_json::json!({
            "route_table_ids": ["rtb-1", "rtb-2"],
            "subnet_ids": [],
            "security_group_ids": [],
            "private_dns_enabled": false,
            "policy": r#"{"Statement":[{"Action":"*","Effect":"Allow","Principal":"*","Resource":"*"}]}"#
        }));
        let desired = a(serde_json::json!({
            "route_table_ids": ["rtb-2", "rtb-3"],
            "subnet_ids": [],
            "policy": {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": ["*"], "Resource": "*"}]}
        }));
        let c = EndpointChanges::between(&prior, &desired).unwrap();
        assert_eq!(
            c.route_tables,
            (vec!["rtb-3".to_string()], vec!["rtb-1".to_string()])
        );
        assert_eq!(c.policy, None, "same policy, other spelling");
        assert_eq!(
            c.security_groups,
            (vec![], vec![]),
            "unset optional-computed field is not enforced"
        );
        assert_eq!(c.private_dns, None);
        assert!(EndpointChanges::between(&prior, &prior).unwrap().is_empty());
    }

    #[test]
    fn policy_objects_and_text_normalize_alike() {
        let p = VpcEndpointProvider::new(Arc::new(AwsClients::new(crate::AwsSettings::default())));
        let text = p.normalize(a(
            serde_json::json!({"policy": "{\"Version\": \"2012-10-17\", \"Statement\": []}"}),
        ));
        let obj = p.normalize(a(
            serde_json::json!({"policy": {"Statement": [], "Version": "2012-10-17"}}),
        ));
        assert_eq!(text["policy"], obj["policy"]);
        assert_eq!(text["route_table_ids"], Value::List(vec![]));
    }

    #[test]
    fn deleted_endpoints_are_gone_whatever_the_case() {
        use aws_sdk_ec2::types::State;
        for (state, alive) in [
            ("deleted", false),
            ("Deleted", false),
            ("deleting", false),
            ("available", true),
        ] {
            let e = VpcEndpoint::builder()
                .vpc_endpoint_id("vpce-1")
                .state(State::from(state))
                .build();
            assert_eq!(VpcEndpointApi::alive(&e), alive, "{state}");
        }
    }

    #[test]
    fn readiness_follows_state() {
        let p = VpcEndpointProvider::new(Arc::new(AwsClients::new(crate::AwsSettings::default())));
        assert_eq!(
            p.readiness(&a(serde_json::json!({"state": "available"}))),
            Readiness::Ready
        );
        assert_eq!(
            p.readiness(&a(serde_json::json!({"state": "pending"}))),
            Readiness::Pending("pending".into())
        );
        assert!(matches!(
            p.readiness(&a(serde_json::json!({"state": "failed"}))),
            Readiness::Failed(_)
        ));
    }
}
