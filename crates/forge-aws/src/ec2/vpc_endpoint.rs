//! `aws.ec2.vpc_endpoint`: a gateway (S3, DynamoDB) or interface
//! (PrivateLink) endpoint.
//!
//! Route tables, subnets, security groups, private DNS and the policy
//! change in place with one ModifyVpcEndpoint call adding/removing only
//! what changed. The policy is compared as normalized JSON. Observe cost:
//! one DescribeVpcEndpoints per 200 endpoints (plus pages).

use super::common::prelude::*;
use crate::attrs::set_diff;
use crate::normalize;
use crate::paging::collect_pages;
use aws_sdk_ec2::types::{VpcEndpoint, VpcEndpointType};
use forge_core::Value;
use forge_engine::Readiness;

ec2_kind!(VpcEndpointKind: "aws.ec2.vpc_endpoint", VpcEndpointFields, ResourceType::VpcEndpoint,
"A VPC endpoint: private access to an AWS service (S3, DynamoDB, ECR, ...).",
describes VpcEndpoint, "vpc-endpoint-id",
describe_vpc_endpoints.set_filters -> vpc_endpoints, vpc_endpoint_id, paged, {
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

    /// The SDK's `State` enum spells values `Deleted`, but EC2 answers
    /// `deleted` (lower camel case), so compare the text case-insensitively.
    fn alive(item: &VpcEndpoint) -> bool {
        let state = item.state().map(|s| s.as_str().to_ascii_lowercase());
        !matches!(state.as_deref(), Some("deleted" | "deleting"))
    }
});

/// The fields of `aws.ec2.vpc_endpoint`.
#[derive(Debug, Clone, Default, Fields)]
pub struct VpcEndpointFields {
    /// The VPC of the endpoint.
    #[field(force_new)]
    pub vpc_id: String,
    /// The service, e.g. com.amazonaws.eu-central-1.s3.
    #[field(force_new)]
    pub service_name: String,
    /// Gateway (S3, DynamoDB), Interface or GatewayLoadBalancer.
    #[field(force_new, default = "Gateway")]
    pub vpc_endpoint_type: Option<String>,
    /// Gateway endpoints: route tables that get a route to the service.
    #[field(default = Value::List(Vec::new()), normalize = crate::attrs::set_value)]
    pub route_table_ids: Option<Vec<String>>,
    /// Interface endpoints: one subnet per zone for the endpoint's interfaces.
    #[field(default = Value::List(Vec::new()), normalize = crate::attrs::set_value)]
    pub subnet_ids: Option<Vec<String>>,
    /// Interface endpoints: groups of its interfaces (the VPC default when unset).
    #[field(optional_computed, normalize = crate::attrs::set_value)]
    pub security_group_ids: Option<Vec<String>>,
    /// Interface endpoints: resolve the service's public name to the endpoint.
    #[field(optional_computed)]
    pub private_dns_enabled: Option<bool>,
    /// IAM policy (JSON text or an object); AWS allows everything when unset.
    #[field(optional_computed, normalize = normalize::policy_value)]
    pub policy: Option<Value>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The endpoint's ARN.
    pub arn: Computed<String>,
    /// The owning AWS account.
    pub owner_id: Computed<String>,
    /// pendingAcceptance, pending, available, failed, ...
    pub state: Computed<String>,
    /// Interface endpoints: the network interfaces created.
    #[field(normalize = crate::attrs::set_value)]
    pub network_interface_ids: Computed<Vec<String>>,
    /// Interface endpoints: the DNS names it answers to.
    #[field(normalize = crate::attrs::set_value)]
    pub dns_names: Computed<Vec<String>>,
}

/// A sorted, deduplicated list of ids.
fn id_set<'a>(ids: impl IntoIterator<Item = &'a str>) -> Option<Vec<String>> {
    let mut v: Vec<String> = ids.into_iter().map(str::to_string).collect();
    v.sort();
    v.dedup();
    Some(v)
}

fn endpoint_fields(region: &str, e: &VpcEndpoint) -> VpcEndpointFields {
    let id = e.vpc_endpoint_id().unwrap_or_default();
    let policy = e
        .policy_document()
        .map(|p| normalize::policy_value(&Value::from(p)));
    VpcEndpointFields {
        vpc_id: e.vpc_id().unwrap_or_default().to_string(),
        service_name: e.service_name().unwrap_or_default().to_string(),
        vpc_endpoint_type: e.vpc_endpoint_type().map(|t| t.as_str().to_string()),
        route_table_ids: id_set(e.route_table_ids().iter().map(String::as_str)),
        subnet_ids: id_set(e.subnet_ids().iter().map(String::as_str)),
        security_group_ids: id_set(e.groups().iter().filter_map(|g| g.group_id())),
        private_dns_enabled: e.private_dns_enabled(),
        policy,
        tags: common::observed_tag_map(e.tags()),
        arn: common::arn_text(region, e.owner_id(), "vpc-endpoint", id),
        owner_id: e.owner_id().map(str::to_string),
        state: e.state().map(|s| s.as_str().to_string()),
        network_interface_ids: id_set(e.network_interface_ids().iter().map(String::as_str)),
        dns_names: id_set(e.dns_entries().iter().filter_map(|d| d.dns_name())),
    }
}

/// The policy to send: canonical JSON text of the desired value.
fn desired_policy(desired: &VpcEndpointFields) -> Result<Option<String>, ProviderError> {
    normalize::policy_text(desired.policy.as_ref())
        .map_err(|e| ProviderError::Invalid(e.to_string()))
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
    /// Compares prior (observed) with desired fields.
    pub fn between(
        prior: &VpcEndpointFields,
        desired: &VpcEndpointFields,
    ) -> Result<Self, ProviderError> {
        let list = |v: &Option<Vec<String>>| v.clone().unwrap_or_default();
        let mut c = EndpointChanges {
            route_tables: set_diff(
                &list(&prior.route_table_ids),
                &list(&desired.route_table_ids),
            ),
            subnets: set_diff(&list(&prior.subnet_ids), &list(&desired.subnet_ids)),
            ..EndpointChanges::default()
        };
        // Optional-computed fields: unset in the spec means "whatever AWS
        // has", so only a set value is enforced.
        if let Some(want) = &desired.security_group_ids {
            c.security_groups = set_diff(&list(&prior.security_group_ids), want);
        }
        if let Some(want) = desired.private_dns_enabled
            && prior.private_dns_enabled != Some(want)
        {
            c.private_dns = Some(want);
        }
        if let Some(want) = desired_policy(desired)? {
            let have = prior
                .policy
                .as_ref()
                .and_then(|p| normalize::policy(p).ok());
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

#[async_trait]
impl Kind for VpcEndpointKind {
    const ARNS: &[ArnShape] = &[ArnShape::rest("ec2", "vpc-endpoint/")];

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        describe_fields::<Self, _>(ctx.client, ids, |e| endpoint_fields(&ctx.region, e)).await
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, token: &str) -> Created<Self> {
        let kind = desired.vpc_endpoint_type.as_deref().unwrap_or("Gateway");
        let list = |v: &Option<Vec<String>>| v.clone().filter(|l| !l.is_empty());
        let out = ctx
            .client
            .create_vpc_endpoint()
            .vpc_id(&desired.vpc_id)
            .service_name(&desired.service_name)
            .vpc_endpoint_type(VpcEndpointType::from(kind))
            .set_route_table_ids(list(&desired.route_table_ids))
            .set_subnet_ids(list(&desired.subnet_ids))
            .set_security_group_ids(list(&desired.security_group_ids))
            .set_private_dns_enabled(desired.private_dns_enabled)
            .set_policy_document(desired_policy(desired)?)
            .client_token(common::client_token(token))
            .tag_specifications(common::tag_spec::<Self>(&desired.tags, ctx))
            .send()
            .await
            .map_err(ec2_err)?;
        let (id, endpoint) =
            common::created::<Self>(out.vpc_endpoint, "CreateVpcEndpoint returned nothing")?;
        Ok(Made {
            id,
            fields: endpoint_fields(&ctx.region, &endpoint),
        })
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        let c = EndpointChanges::between(prior, desired)?;
        if !c.is_empty() {
            let some = |v: Vec<String>| Some(v).filter(|v| !v.is_empty());
            ctx.client
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
        common::retag_and_read(ctx, id, &prior.tags, &desired.tags).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        const GONE: &str = "InvalidVpcEndpointId.NotFound";
        // Already gone (or `deleted`, which AWS lists for a while): done,
        // without asking EC2 to delete it again.
        if describe_ids::<Self>(ctx.client, &[id.to_string()])
            .await?
            .is_empty()
        {
            return Ok(());
        }
        let out = match ctx
            .client
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

    tagged_methods!();

    fn readiness(observed: &VpcEndpointFields) -> Readiness {
        match observed
            .state
            .as_deref()
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
    use crate::kind::testing::{desired, typed};

    fn f(mut pairs: serde_json::Value) -> VpcEndpointFields {
        pairs["vpc_id"] = "vpc-1".into();
        pairs["service_name"] = "s3".into();
        typed::<VpcEndpointKind>(Value::from_json(&pairs).as_map().unwrap())
    }

    #[test]
    fn modify_sends_only_differences() {
        let prior = f(serde_json::json!({
            "route_table_ids": ["rtb-1", "rtb-2"],
            "subnet_ids": [],
            "security_group_ids": [],
            "private_dns_enabled": false,
            "policy": r#"{"Statement":[{"Action":"*","Effect":"Allow","Principal":"*","Resource":"*"}]}"#
        }));
        let desired = f(serde_json::json!({
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
        let text = desired::<VpcEndpointKind>(
            serde_json::json!({"policy": "{\"Version\": \"2012-10-17\", \"Statement\": []}"}),
        );
        let obj = desired::<VpcEndpointKind>(
            serde_json::json!({"policy": {"Statement": [], "Version": "2012-10-17"}}),
        );
        assert_eq!(text["policy"], obj["policy"]);
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
            assert_eq!(VpcEndpointKind::alive(&e), alive, "{state}");
        }
    }

    #[test]
    fn readiness_follows_state() {
        let with_state = |s: &str| VpcEndpointFields {
            state: Some(s.to_string()),
            ..VpcEndpointFields::default()
        };
        assert_eq!(
            VpcEndpointKind::readiness(&with_state("available")),
            Readiness::Ready
        );
        assert_eq!(
            VpcEndpointKind::readiness(&with_state("pending")),
            Readiness::Pending("pending".into())
        );
        assert!(matches!(
            VpcEndpointKind::readiness(&with_state("failed")),
            Readiness::Failed(_)
        ));
    }
}
