//! `aws.wafv2.web_acl_association`: attaches a web ACL to a load balancer
//! (or another regional resource).
//!
//! Both ends are the association's identity (replacement). The id is
//! `<web ACL ARN>|<resource ARN>`. Associations carry no tags, and
//! AssociateWebACL replaces whatever ACL the resource had, so a create
//! retried after a crash simply associates again: `find_orphan` has
//! nothing to adopt.
//!
//! Observe cost: one GetWebACLForResource per association (WAF has no
//! batched form).

use super::common::{CONCURRENCY, WafBase, is_gone, waf_err};
use crate::attrs::attrs;
use crate::attrs::req_str;
use crate::clients::AwsClients;
use crate::normalize::normalize_common;
use async_trait::async_trait;
use aws_sdk_wafv2::Client;
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The `aws.wafv2.web_acl_association` provider.
pub struct WebAclAssociationProvider {
    base: WafBase,
    schema: KindSchema,
}

impl WebAclAssociationProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        WebAclAssociationProvider {
            base: WafBase::new(clients),
            schema: schema(),
        }
    }
}

/// The schema of `aws.wafv2.web_acl_association`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.wafv2.web_acl_association",
        "Protects a regional resource (an ALB) with a WAFv2 web ACL.",
        [
            (
                "web_acl_arn",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("The web ACL."),
            ),
            (
                "resource_arn",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("The load balancer (or API stage)."),
            ),
        ],
    )
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
    match client
        .get_web_acl_for_resource()
        .resource_arn(resource)
        .send()
        .await
        .map_err(waf_err)
    {
        Ok(out) => Ok(out.web_acl().map(|a| a.arn().to_string())),
        Err(e) if is_gone(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn observe_associations(
    client: &Client,
    ids: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let mut out = BTreeMap::new();
    for id in ids {
        let (acl, resource) = split_id(id)?;
        if acl_of(client, resource).await?.as_deref() == Some(acl) {
            out.insert(
                id.clone(),
                attrs([
                    ("id", Value::from(id.as_str())),
                    ("web_acl_arn", Value::from(acl)),
                    ("resource_arn", Value::from(resource)),
                ]),
            );
        }
    }
    Ok(out)
}

#[async_trait]
impl Provider for WebAclAssociationProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(CONCURRENCY)
    }

    fn normalize(&self, mut attrs: Attrs) -> Attrs {
        normalize_common(&self.schema, &mut attrs);
        attrs.remove("tags");
        attrs
    }

    async fn observe(
        &self,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        observe_associations(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let acl = req_str(desired, "web_acl_arn")?;
        let resource = req_str(desired, "resource_arn")?;
        client
            .associate_web_acl()
            .web_acl_arn(acl)
            .resource_arn(resource)
            .send()
            .await
            .map_err(waf_err)?;
        let id = format!("{acl}|{resource}");
        let attrs = observe_associations(&client, std::slice::from_ref(&id))
            .await?
            .remove(&id)
            .ok_or_else(|| ProviderError::Transient {
                message: format!("association {id} not visible yet"),
            })?;
        Ok(Created { id, attrs })
    }

    async fn update(
        &self,
        _ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
        _desired: &Attrs,
        _changes: &[FieldChange],
    ) -> Result<Attrs, ProviderError> {
        Err(ProviderError::Invalid(format!(
            "association {id} has no field that changes in place"
        )))
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let (acl, resource) = split_id(id)?;
        // Leave the resource alone if another ACL was associated since
        // (e.g. the replacement of this association already ran).
        if acl_of(&client, resource).await?.as_deref() != Some(acl) {
            return Ok(());
        }
        match client
            .disassociate_web_acl()
            .resource_arn(resource)
            .send()
            .await
            .map_err(waf_err)
        {
            Err(e) if is_gone(&e) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    async fn find_orphan(
        &self,
        _ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use forge_engine::PlannedAction;

    #[test]
    fn ids_and_plans() {
        let (a, r) = split_id("arn:acl|arn:lb").unwrap();
        assert_eq!((a, r), ("arn:acl", "arn:lb"));
        assert!(split_id("arn:acl").is_err());
        let p = WebAclAssociationProvider::new(Arc::new(AwsClients::new(
            crate::AwsSettings::default(),
        )));
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
