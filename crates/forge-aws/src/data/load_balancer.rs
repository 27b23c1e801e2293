//! `aws.elbv2.load_balancer`: an existing application or network load
//! balancer by name. One DescribeLoadBalancers per twenty names (the
//! API's cap) answers the batch; when a name of a call is unknown, AWS
//! fails the whole call (`LoadBalancerNotFound`), so that call's names are
//! asked one by one to tell which.

use super::{Found, Lookup};
use crate::AwsClients;
use crate::kind::Computed;
use async_trait::async_trait;
use forge_derive::Fields;
use forge_engine::{DataError, ProviderError};
use std::collections::BTreeMap;

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

/// `aws.elbv2.load_balancer`.
pub(crate) struct LoadBalancer;

type Lb = aws_sdk_elasticloadbalancingv2::types::LoadBalancer;

async fn describe(
    client: &aws_sdk_elasticloadbalancingv2::Client,
    names: &[String],
) -> Result<Vec<Lb>, ProviderError> {
    let out = client
        .describe_load_balancers()
        .set_names(Some(names.to_vec()))
        .send()
        .await
        .map_err(|e| crate::error::sdk_error("elasticloadbalancing", e))?;
    Ok(out.load_balancers.unwrap_or_default())
}

#[async_trait]
impl Lookup for LoadBalancer {
    const TYPE: &'static str = "aws.elbv2.load_balancer";
    const DESCRIPTION: &'static str = "An existing application or network load balancer, by name.";
    type Fields = LoadBalancerFields;

    async fn read(
        clients: &AwsClients,
        region: &str,
        batch: &[Self::Fields],
    ) -> Result<Vec<Found<Self::Fields>>, ProviderError> {
        let client = clients
            .client(region, aws_sdk_elasticloadbalancingv2::Client::new)
            .await?;
        let mut names: Vec<String> = batch.iter().map(|a| a.name.clone()).collect();
        names.sort();
        names.dedup();
        let mut found: BTreeMap<String, Lb> = BTreeMap::new();
        for chunk in names.chunks(NAMES_PER_CALL) {
            let lbs = match describe(&client, chunk).await {
                Ok(lbs) => lbs,
                Err(e) if crate::error::has_code(&e, "LoadBalancerNotFound") => {
                    let mut lbs = Vec::new();
                    for name in chunk {
                        match describe(&client, std::slice::from_ref(name)).await {
                            Ok(one) => lbs.extend(one),
                            Err(e) if crate::error::has_code(&e, "LoadBalancerNotFound") => {}
                            Err(e) => return Err(e),
                        }
                    }
                    lbs
                }
                Err(e) => return Err(e),
            };
            for lb in lbs {
                found.insert(lb.load_balancer_name().unwrap_or_default().to_string(), lb);
            }
        }
        Ok(batch
            .iter()
            .map(|args| {
                let Some(lb) = found.get(&args.name) else {
                    return Err(DataError::NotFound(format!(
                        "load balancer `{}`",
                        args.name
                    )));
                };
                let mut f = args.clone();
                f.arn = lb.load_balancer_arn().map(str::to_string);
                f.dns_name = lb.dns_name().map(str::to_string);
                f.zone_id = lb.canonical_hosted_zone_id().map(str::to_string);
                f.vpc_id = lb.vpc_id().map(str::to_string);
                f.load_balancer_type = lb.r#type().map(|t| t.as_str().to_string());
                f.scheme = lb.scheme().map(|s| s.as_str().to_string());
                f.security_groups = Some(lb.security_groups().to_vec());
                Ok((f.arn.clone().unwrap_or_default(), f))
            })
            .collect())
    }
}
