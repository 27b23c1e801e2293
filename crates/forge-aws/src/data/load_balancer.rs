//! `aws.elbv2.load_balancer`: an existing application or network load
//! balancer by name. One DescribeLoadBalancers per twenty names (the
//! API's cap) answers the batch; when a name of a call is unknown, AWS
//! fails the whole call (`LoadBalancerNotFound`), so that call's names are
//! asked one by one to tell which.

use super::{Answers, Lookup, Reading, answer_each, declare_lookup, fetch_named};
use crate::kind::Computed;
use async_trait::async_trait;
use forge_derive::Fields;
use forge_engine::ProviderError;

/// Names per DescribeLoadBalancers request.
const NAMES_PER_CALL: usize = 20;

/// Arguments and attributes of `aws.elbv2.load_balancer`.
#[derive(Clone, Fields)]
pub(crate) struct LoadBalancerFields {
    /// The load balancer's name.
    pub name: String,
    /// The load balancer's ARN.
    pub arn: Computed<String>,
    /// Its DNS name.
    pub dns_name: Computed<String>,
    /// Its Route 53 hosted zone (for alias records).
    pub zone_id: Computed<String>,
    /// Its VPC.
    pub vpc_id: Computed<String>,
    /// application, network or gateway.
    pub load_balancer_type: Computed<String>,
    /// internet-facing or internal.
    pub scheme: Computed<String>,
    /// Its security groups.
    pub security_groups: Computed<Vec<String>>,
}

declare_lookup!(LoadBalancer: "aws.elbv2.load_balancer", LoadBalancerFields,
    "An existing application or network load balancer, by name.");

type Lb = aws_sdk_elasticloadbalancingv2::types::LoadBalancer;

/// The load balancers of these names, by name.
async fn describe(
    client: &aws_sdk_elasticloadbalancingv2::Client,
    names: &[String],
) -> Result<Vec<(String, Lb)>, ProviderError> {
    let out = client
        .describe_load_balancers()
        .set_names(Some(names.to_vec()))
        .send()
        .await
        .map_err(|e| crate::error::sdk_error("elasticloadbalancing", e))?;
    let named = |lb: Lb| (lb.load_balancer_name().unwrap_or_default().to_string(), lb);
    Ok(out
        .load_balancers
        .unwrap_or_default()
        .into_iter()
        .map(named)
        .collect())
}

#[async_trait]
impl Lookup for LoadBalancer {
    async fn read(cx: &Reading<'_>, batch: &[LoadBalancerFields]) -> Answers<Self> {
        let client = &cx
            .client(aws_sdk_elasticloadbalancingv2::Client::new)
            .await?;
        let names = batch.iter().map(|a| a.name.clone());
        let found = fetch_named(names, NAMES_PER_CALL, |chunk| async move {
            match describe(client, &chunk).await {
                Err(e) if crate::error::has_code(&e, "LoadBalancerNotFound") => {
                    let mut lbs = Vec::new();
                    for name in &chunk {
                        match describe(client, std::slice::from_ref(name)).await {
                            Ok(one) => lbs.extend(one),
                            Err(e) if crate::error::has_code(&e, "LoadBalancerNotFound") => {}
                            Err(e) => return Err(e),
                        }
                    }
                    Ok(lbs)
                }
                lbs => lbs,
            }
        })
        .await?;
        let missing = |a: &LoadBalancerFields| format!("load balancer `{}`", a.name);
        Ok(answer_each(
            batch,
            &found,
            |a| a.name.clone(),
            missing,
            |f, lb| {
                f.arn = lb.load_balancer_arn().map(str::to_string);
                f.dns_name = lb.dns_name().map(str::to_string);
                f.zone_id = lb.canonical_hosted_zone_id().map(str::to_string);
                f.vpc_id = lb.vpc_id().map(str::to_string);
                f.load_balancer_type = lb.r#type().map(|t| t.as_str().to_string());
                f.scheme = lb.scheme().map(|s| s.as_str().to_string());
                f.security_groups = Some(lb.security_groups().to_vec());
                f.arn.clone().unwrap_or_default()
            },
        ))
    }
}
