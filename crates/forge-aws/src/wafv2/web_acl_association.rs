//! `aws.wafv2.web_acl_association`: attaches a web ACL to a load balancer
//! (or another regional resource).
//!
//! Both ends are the association's identity (replacement). The id is
//! `<web ACL ARN>|<resource ARN>`. Associations carry no tags, and
//! AssociateWebACL replaces whatever ACL the resource had, so a create
//! retried after a crash simply associates again: there is nothing to
//! adopt.
//!
//! Observe cost: one GetWebACLForResource per association (WAF has no
//! batched form).

use super::Wafv2;
use super::common::is_gone;
use crate::error::none_if;
use crate::kind::prelude::*;
use aws_sdk_wafv2::Client;
use std::collections::BTreeMap;

crate::kind::declare_kind!(WebAclAssociationKind: "aws.wafv2.web_acl_association", Wafv2, WebAclAssociationFields,
    "Protects a regional resource (an ALB) with a WAFv2 web ACL.");

/// The fields of `aws.wafv2.web_acl_association`.
#[derive(Debug, Clone, Fields)]
pub struct WebAclAssociationFields {
    /// The web ACL.
    #[field(force_new)]
    pub web_acl_arn: String,
    /// The load balancer (or API stage).
    #[field(force_new)]
    pub resource_arn: String,
}

/// The ids' two ARNs.
pub fn split_id(id: &str) -> Result<(&str, &str), ProviderError> {
    id.split_once('|')
        .filter(|(a, r)| !a.is_empty() && !r.is_empty())
        .ok_or_else(|| {
            ProviderError::Invalid(format!(
                "`{id}` is not a web ACL association id (<acl arn>|<resource arn>)"
            ))
        })
}

/// The ARN of the ACL associated with `resource`, if any.
async fn acl_of(client: &Client, resource: &str) -> Result<Option<String>, ProviderError> {
    let call = client.get_web_acl_for_resource().resource_arn(resource);
    let out = none_if(call.send().await.map_err(Wafv2::err), is_gone)?;
    Ok(out.and_then(|out| out.web_acl().map(|a| a.arn().to_string())))
}

#[async_trait]
impl Kind for WebAclAssociationKind {
    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        let mut out = BTreeMap::new();
        for id in ids {
            let (acl, resource) = split_id(id)?;
            if acl_of(ctx.client, resource).await?.as_deref() == Some(acl) {
                let fields = WebAclAssociationFields {
                    web_acl_arn: acl.to_string(),
                    resource_arn: resource.to_string(),
                };
                out.insert(id.clone(), fields);
            }
        }
        Ok(out)
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        ctx.client
            .associate_web_acl()
            .web_acl_arn(&desired.web_acl_arn)
            .resource_arn(&desired.resource_arn)
            .send()
            .await
            .map_err(Wafv2::err)?;
        let id = format!("{}|{}", desired.web_acl_arn, desired.resource_arn);
        Self::made(ctx, id).await
    }

    async fn update(_ctx: &Act<'_, Self>, id: &str, _u: Update<'_, Self>) -> Updated<Self> {
        Err(ProviderError::Invalid(format!(
            "association {id} has no field that changes in place"
        )))
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        let (acl, resource) = split_id(id)?;
        // Leave the resource alone if another ACL was associated since
        // (e.g. the replacement of this association already ran).
        if acl_of(ctx.client, resource).await?.as_deref() != Some(acl) {
            return Ok(());
        }
        let call = ctx.client.disassociate_web_acl().resource_arn(resource);
        none_if(call.send().await.map_err(Wafv2::err), is_gone).map(drop)
    }

    async fn list_owned(_ctx: &Look<'_, Self>, _address: Option<&str>) -> Res<Vec<Owned>> {
        // Associations are links without tags (and without an ARN of their
        // own): nothing marks one as this state's.
        Ok(vec![])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attrs::attrs;
    use forge_core::Value;
    use forge_engine::{PlannedAction, Provider};

    #[test]
    fn ids_and_plans() {
        let (a, r) = split_id("arn:acl|arn:lb").unwrap();
        assert_eq!((a, r), ("arn:acl", "arn:lb"));
        assert!(split_id("arn:acl").is_err());
        let p = crate::kind::testing::provider::<WebAclAssociationKind>();
        let prior = attrs([
            ("id", Value::from("arn:acl|arn:lb")),
            ("web_acl_arn", Value::from("arn:acl")),
            ("resource_arn", Value::from("arn:lb")),
        ]);
        let desired = p.normalize(attrs([
            ("web_acl_arn", Value::from("arn:acl")),
            ("resource_arn", Value::from("arn:lb")),
        ]));
        assert_eq!(p.plan(Some(&prior), &desired).action, PlannedAction::NoOp);
        let other = p.normalize(attrs([
            ("web_acl_arn", Value::from("arn:acl2")),
            ("resource_arn", Value::from("arn:lb")),
        ]));
        assert_eq!(p.plan(Some(&prior), &other).action, PlannedAction::Replace);
    }
}
