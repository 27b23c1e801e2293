//! `aws.wafv2.web_acl`: a WAF web ACL (REGIONAL, for load balancers) with
//! its rules.
//!
//! WAF guards every change with a lock token: UpdateWebACL and DeleteWebACL
//! must carry the token of the latest GetWebACL, and fail with
//! `WAFOptimisticLockException` when someone changed the ACL in between.
//! [`with_lock`] fetches a fresh token right before each such call and
//! retries once with a new token on that error. The token is never stored
//! in the state: it would be stale by the next run anyway.
//!
//! Name and scope cannot change (replacement); everything else changes in
//! place with one UpdateWebACL (which replaces the whole rule list).
//!
//! Observe cost: one ListWebACLs per scope (plus pages), then one GetWebACL
//! and one ListTagsForResource per ACL (WAF has no batched get).

use super::Wafv2;
use super::common::{is_gone, list_acl_arns, lock_retry, owned, parse_arn, tags_of};
use super::rules::{
    VisibilityValue, WafRule, default_action, default_action_name, from_sdk_rules, normalize_rules,
    normalize_visibility, to_sdk_rules, to_sdk_visibility, visibility_of,
};
use crate::error::{none_if, retry_on};
use crate::kind::prelude::*;
use crate::normalize::upper_value;
use crate::tags;
use aws_sdk_wafv2::Client;
use aws_sdk_wafv2::types::{Scope, VisibilityConfig, WebAcl};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use forge_core::fields::FieldValue;
use forge_core::{Attrs, Value};
use std::collections::BTreeMap;

crate::kind::declare_kind!(WebAclKind: "aws.wafv2.web_acl", Wafv2, WebAclFields,
    "A WAFv2 web ACL and its rules.");

/// The fields of `aws.wafv2.web_acl`.
#[derive(Debug, Clone, Fields)]
pub struct WebAclFields {
    /// Name, unique per scope and region.
    #[field(force_new)]
    pub name: String,
    /// REGIONAL (default; ALB, API Gateway) or CLOUDFRONT.
    #[field(force_new, default = "REGIONAL", normalize = upper_value)]
    pub scope: Option<String>,
    /// Free text.
    #[field(normalize = empty_is_unset)]
    pub description: Option<String>,
    /// allow (default) or block.
    #[field(default = "allow", normalize = crate::normalize::lower_value)]
    pub default_action: Option<String>,
    /// Metrics and sampling of the ACL (metric name defaults to its name).
    pub visibility_config: Option<VisibilityValue>,
    /// Rules, evaluated by priority.
    #[field(default = Value::List(Vec::new()), normalize = normalize_rules)]
    pub rules: Option<Vec<WafRule>>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The ACL's ARN (= id).
    pub arn: Computed<String>,
    /// WAF's own id of the ACL.
    pub web_acl_id: Computed<String>,
    /// Web ACL capacity units used.
    pub capacity: Computed<i64>,
}

/// An empty description is none (null, dropped with the other unset
/// fields).
fn empty_is_unset(v: &Value) -> Value {
    match v {
        Value::String(s) if s.is_empty() => Value::Null,
        other => other.clone(),
    }
}

fn fields_of(acl: &WebAcl, scope: &str, tags: Tags) -> WebAclFields {
    WebAclFields {
        name: acl.name().to_string(),
        scope: Some(scope.to_string()),
        description: acl
            .description()
            .filter(|d| !d.is_empty())
            .map(str::to_string),
        default_action: default_action_name(acl.default_action()).map(str::to_string),
        visibility_config: acl
            .visibility_config()
            .map(|v| VisibilityValue::new(visibility_of(v).to_value())),
        rules: Some(from_sdk_rules(acl.rules())),
        tags,
        arn: Some(acl.arn().to_string()),
        web_acl_id: Some(acl.id().to_string()),
        capacity: Some(acl.capacity()),
    }
}

/// The ACL and its current lock token; `None` when it is gone.
pub async fn get(client: &Client, arn: &str) -> Result<Option<(WebAcl, String)>, ProviderError> {
    let (scope, name, id) = parse_arn(arn)?;
    let call = client
        .get_web_acl()
        .name(name)
        .scope(Scope::from(scope.as_str()));
    let out = none_if(call.id(id).send().await.map_err(Wafv2::err), is_gone)?;
    Ok(out.and_then(|out| {
        let token = out.lock_token().unwrap_or_default().to_string();
        out.web_acl.map(|acl| (acl, token))
    }))
}

/// Sets on an ACL call (UpdateWebACL, DeleteWebACL) what names the ACL
/// and the lock token it holds: the call [`with_lock`] sends.
macro_rules! locked {
    ($call:expr, $acl:expr, $scope:expr, $token:expr) => {
        $call
            .name($acl.name())
            .id($acl.id())
            .scope($scope)
            .lock_token($token)
    };
}

/// Sends `call(acl, token)` with a fresh lock token ([`lock_retry`]).
/// `Ok(false)`: the ACL is gone.
pub async fn with_lock<F, Fut, T, E>(
    client: &Client,
    arn: &str,
    call: F,
) -> Result<bool, ProviderError>
where
    F: Fn(WebAcl, String) -> Fut,
    Fut: std::future::Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    parse_arn(arn)?;
    let send = |acl, token| {
        let sent = call(acl, token);
        async move { sent.await.map(drop).map_err(Wafv2::err) }
    };
    lock_retry(|| get(client, arn), send).await
}

/// The desired visibility configuration, its metric name defaulting to
/// the ACL's name.
fn visibility(desired: &WebAclFields) -> Result<VisibilityConfig, ProviderError> {
    let given = desired.visibility_config.as_ref().map(|v| &v.0);
    to_sdk_visibility(&normalize_visibility(
        given,
        Some(&Value::from(desired.name.as_str())),
    ))
}

fn scope(f: &WebAclFields) -> Scope {
    Scope::from(f.scope.as_deref().unwrap_or("REGIONAL"))
}

#[async_trait]
impl Kind for WebAclKind {
    const ARNS: &[ArnShape] = &[ArnShape::arn("wafv2", "regional/webacl/")];

    fn normalize(attrs: &mut Attrs) {
        let vis = normalize_visibility(attrs.get("visibility_config"), attrs.get("name"));
        attrs.insert("visibility_config".into(), vis);
    }

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        let mut scopes: BTreeMap<String, Vec<&String>> = BTreeMap::new();
        for arn in ids {
            let (scope, _, _) = parse_arn(arn)?;
            scopes.entry(scope).or_default().push(arn);
        }
        let mut out = BTreeMap::new();
        for (scope, wanted) in scopes {
            // One list call tells which ACLs still exist, so a deleted one
            // costs no failing GetWebACL.
            let live = list_acl_arns(ctx.client, &scope).await?;
            for arn in wanted.into_iter().filter(|a| live.contains(*a)) {
                let Some((acl, _)) = get(ctx.client, arn).await? else {
                    continue;
                };
                let all = tags_of(ctx.client, arn).await?;
                let tags = tags::observed_map(all.iter().map(|t| (t.key(), t.value())));
                out.insert(arn.clone(), fields_of(&acl, &scope, tags));
            }
        }
        Ok(out)
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let all_tags = tags::with_system(&desired.tags, &ctx.system_tags);
        let out = ctx
            .client
            .create_web_acl()
            .name(&desired.name)
            .scope(scope(desired))
            .default_action(default_action(
                desired.default_action.as_deref().unwrap_or("allow"),
            )?)
            .set_description(desired.description.clone())
            .set_rules(Some(to_sdk_rules(
                desired.rules.as_deref().unwrap_or_default(),
            )?))
            .visibility_config(visibility(desired)?)
            .set_tags(Some(super::common::to_tags(&all_tags)?))
            .send()
            .await
            .map_err(Wafv2::err)?;
        let arn = out.summary().and_then(|s| s.arn());
        let id = returned(arn, "CreateWebACL returned no ARN")?.to_string();
        Self::made(ctx, id).await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update {
            prior,
            desired,
            changes,
        } = u;
        if changes.iter().any(|c| !c.path.starts_with("tags")) {
            let rules = to_sdk_rules(desired.rules.as_deref().unwrap_or_default())?;
            let action = default_action(desired.default_action.as_deref().unwrap_or("allow"))?;
            let visibility = visibility(desired)?;
            let found = with_lock(ctx.client, id, |acl, token| {
                let call = ctx.client.update_web_acl();
                locked!(call, acl, scope(desired), token)
                    .default_action(action.clone())
                    .set_description(desired.description.clone())
                    .set_rules(Some(rules.clone()))
                    .visibility_config(visibility.clone())
                    .send()
            })
            .await?;
            if !found {
                let message = format!("web ACL {id} no longer exists");
                let code = "WAFNonexistentItemException".into();
                return Err(ProviderError::Api { code, message });
            }
        }
        retag_and_read(ctx, id, Some(id), &prior.tags, &desired.tags).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        let (scope, _, _) = parse_arn(id)?;
        let scope = &scope;
        let result = with_lock(ctx.client, id, |acl, token| {
            let call = ctx.client.delete_web_acl();
            locked!(call, acl, Scope::from(scope.as_str()), token).send()
        })
        .await;
        // Still associated: the association is being deleted in the same
        // apply, so retrying gets through.
        retry_on(result, &["WAFAssociatedItemException"]).map(|_| ())
    }

    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        owned(ctx.client, "REGIONAL", ctx, address).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing::{observed, typed};
    use aws_sdk_wafv2::types::DefaultAction;
    use forge_engine::{PlannedAction, Provider};
    use serde_json::json;

    fn provider() -> crate::kind::KindProvider<WebAclKind> {
        crate::kind::testing::provider::<WebAclKind>()
    }

    fn desired(limit: i64) -> Attrs {
        crate::kind::testing::desired::<WebAclKind>(json!({
            "name": "edge",
            "rules": [{"name": "rate", "priority": 1, "action": "block", "statement": {"rate_based": {"limit": limit}}}],
        }))
    }

    #[test]
    fn described_acl_is_a_no_op_and_rate_limit_is_in_place() {
        let d = desired(2000);
        let typed = typed::<WebAclKind>(&d);
        let acl = WebAcl::builder()
            .name("edge")
            .id("abc")
            .arn("arn:aws:wafv2:eu-west-1:1:regional/webacl/edge/abc")
            .default_action(
                DefaultAction::builder()
                    .allow(aws_sdk_wafv2::types::AllowAction::builder().build())
                    .build(),
            )
            .set_rules(Some(to_sdk_rules(typed.rules.as_deref().unwrap()).unwrap()))
            .visibility_config(visibility(&typed).unwrap())
            .capacity(2)
            .build()
            .unwrap();
        let observed = observed::<WebAclKind>(&fields_of(&acl, "REGIONAL", Tags::default()));
        for field in crate::kind::schema_of::<WebAclKind>().fields.keys() {
            assert!(
                observed.contains_key(field) || field == "description",
                "missing {field}"
            );
        }
        let plan = provider().plan(Some(&observed), &d);
        assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
        let plan = provider().plan(Some(&observed), &desired(500));
        assert_eq!(plan.action, PlannedAction::Update);
        let mut renamed = d.clone();
        renamed.insert("name".into(), Value::from("other"));
        assert_eq!(
            provider().plan(Some(&observed), &renamed).action,
            PlannedAction::Replace
        );
    }
}
