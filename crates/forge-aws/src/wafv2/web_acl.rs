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

use super::common::{self, CONCURRENCY, WafBase, waf_err};
use super::rules::{
    default_action, default_action_name, from_sdk_rules, from_sdk_visibility, normalize_rules,
    normalize_visibility, rule_schema, to_sdk_rules, to_sdk_visibility, visibility_schema,
};
use crate::attrs::attrs;
use crate::attrs::{opt_str, req_str, str_or_null};
use crate::clients::AwsClients;
use crate::normalize::normalize_common;
use crate::tags::tags_field;
use async_trait::async_trait;
use aws_sdk_wafv2::Client;
use aws_sdk_wafv2::types::{Scope, WebAcl};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The `aws.wafv2.web_acl` provider.
pub struct WebAclProvider {
    base: WafBase,
    schema: KindSchema,
}

impl WebAclProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        WebAclProvider {
            base: WafBase::new(clients),
            schema: schema(),
        }
    }
}

/// The schema of `aws.wafv2.web_acl`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.wafv2.web_acl",
        "A WAFv2 web ACL and its rules.",
        [
            (
                "name",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("Name, unique per scope and region."),
            ),
            (
                "scope",
                FieldSchema::optional(FieldType::String)
                    .default("REGIONAL")
                    .force_new()
                    .describe("REGIONAL (default; ALB, API Gateway) or CLOUDFRONT."),
            ),
            (
                "description",
                FieldSchema::optional(FieldType::String).describe("Free text."),
            ),
            (
                "default_action",
                FieldSchema::optional(FieldType::String)
                    .default("allow")
                    .describe("allow (default) or block."),
            ),
            (
                "visibility_config",
                FieldSchema::optional(visibility_schema()).describe(
                    "Metrics and sampling of the ACL (metric name defaults to its name).",
                ),
            ),
            (
                "rules",
                FieldSchema::optional(FieldType::list(rule_schema()))
                    .default(Value::List(Vec::new()))
                    .describe("Rules, evaluated by priority."),
            ),
            ("tags", tags_field()),
            (
                "arn",
                FieldSchema::computed(FieldType::String).describe("The ACL's ARN (= id)."),
            ),
            (
                "web_acl_id",
                FieldSchema::computed(FieldType::String).describe("WAF's own id of the ACL."),
            ),
            (
                "capacity",
                FieldSchema::computed(FieldType::Number).describe("Web ACL capacity units used."),
            ),
        ],
    )
}

fn acl_attrs(acl: &WebAcl, scope: &str, tags: Value) -> Attrs {
    attrs([
        ("id", Value::from(acl.arn())),
        ("arn", Value::from(acl.arn())),
        ("web_acl_id", Value::from(acl.id())),
        ("name", Value::from(acl.name())),
        ("scope", Value::from(scope)),
        (
            "description",
            str_or_null(acl.description().filter(|d| !d.is_empty())),
        ),
        ("default_action", default_action_name(acl.default_action())),
        (
            "visibility_config",
            from_sdk_visibility(acl.visibility_config()),
        ),
        ("rules", from_sdk_rules(acl.rules())),
        ("tags", tags),
        ("capacity", Value::int(acl.capacity())),
    ])
}

/// The ACL and its current lock token; `None` when it is gone.
pub async fn get(client: &Client, arn: &str) -> Result<Option<(WebAcl, String)>, ProviderError> {
    let (scope, name, id) = common::parse_arn(arn)?;
    match client
        .get_web_acl()
        .name(name)
        .scope(Scope::from(scope.as_str()))
        .id(id)
        .send()
        .await
        .map_err(waf_err)
    {
        Ok(out) => {
            let token = out.lock_token().unwrap_or_default().to_string();
            Ok(out.web_acl.map(|acl| (acl, token)))
        }
        Err(e) if common::is_gone(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn observe_acls(
    client: &Client,
    arns: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let mut scopes: BTreeMap<String, Vec<&String>> = BTreeMap::new();
    for arn in arns {
        let (scope, _, _) = common::parse_arn(arn)?;
        scopes.entry(scope).or_default().push(arn);
    }
    let mut out = BTreeMap::new();
    for (scope, wanted) in scopes {
        // One list call tells which ACLs still exist, so a deleted one costs
        // no failing GetWebACL.
        let live = common::list_acl_arns(client, &scope).await?;
        for arn in wanted.into_iter().filter(|a| live.contains(*a)) {
            let Some((acl, _)) = get(client, arn).await? else {
                continue;
            };
            let tags = common::observed_tags(&common::tags_of(client, arn).await?);
            out.insert(arn.clone(), acl_attrs(&acl, &scope, tags));
        }
    }
    Ok(out)
}

async fn observe_one(client: &Client, arn: &str) -> Result<Attrs, ProviderError> {
    observe_acls(client, &[arn.to_string()])
        .await?
        .remove(arn)
        .ok_or_else(|| ProviderError::Transient {
            message: format!("web ACL {arn} not visible yet"),
        })
}

/// Runs `call` with a fresh lock token; on `WAFOptimisticLockException`
/// (someone else changed the ACL since the token was read) fetches a new
/// token and tries exactly once more. `Ok(false)`: the ACL is gone.
pub async fn with_lock<F, Fut>(client: &Client, arn: &str, call: F) -> Result<bool, ProviderError>
where
    F: Fn(WebAcl, String) -> Fut,
    Fut: std::future::Future<Output = Result<(), ProviderError>>,
{
    common::parse_arn(arn)?;
    lock_retry(|| get(client, arn), call).await
}

/// The lock-token protocol, apart from the SDK: `fetch` reads the object
/// and its token, `call` uses them.
pub async fn lock_retry<T, G, GFut, F, Fut>(fetch: G, call: F) -> Result<bool, ProviderError>
where
    G: Fn() -> GFut,
    GFut: std::future::Future<Output = Result<Option<(T, String)>, ProviderError>>,
    F: Fn(T, String) -> Fut,
    Fut: std::future::Future<Output = Result<(), ProviderError>>,
{
    for attempt in 0..2 {
        let Some((item, token)) = fetch().await? else {
            return Ok(false);
        };
        match call(item, token).await {
            Err(ProviderError::Api { code, message }) if code == "WAFOptimisticLockException" => {
                if attempt == 1 {
                    return Err(ProviderError::Transient {
                        message: format!("{code}: {message}"),
                    });
                }
                tracing::debug!("lock token went stale; retrying with a fresh one");
            }
            Err(e) if common::is_gone(&e) => return Ok(false),
            other => return other.map(|()| true),
        }
    }
    Ok(true)
}

fn acl_visibility(desired: &Attrs) -> Value {
    normalize_visibility(desired.get("visibility_config"), desired.get("name"))
}

#[async_trait]
impl Provider for WebAclProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(CONCURRENCY)
    }

    fn normalize(&self, mut attrs: Attrs) -> Attrs {
        let rules = normalize_rules(attrs.get("rules").unwrap_or(&Value::Null));
        attrs.insert("rules".into(), rules);
        let vis = acl_visibility(&attrs);
        attrs.insert("visibility_config".into(), vis);
        if let Some(Value::String(d)) = attrs.get_mut("default_action") {
            *d = d.to_ascii_lowercase();
        }
        if let Some(Value::String(s)) = attrs.get_mut("scope") {
            *s = s.to_ascii_uppercase();
        }
        if attrs.get("description").and_then(Value::as_str) == Some("") {
            attrs.remove("description");
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
        observe_acls(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let scope = opt_str(desired, "scope").unwrap_or("REGIONAL");
        let out = client
            .create_web_acl()
            .name(req_str(desired, "name")?)
            .scope(Scope::from(scope))
            .default_action(default_action(
                opt_str(desired, "default_action").unwrap_or("allow"),
            )?)
            .set_description(opt_str(desired, "description").map(str::to_string))
            .set_rules(Some(to_sdk_rules(desired.get("rules"))?))
            .visibility_config(to_sdk_visibility(&acl_visibility(desired))?)
            .set_tags(Some(common::create_tags(desired, ctx)?))
            .send()
            .await
            .map_err(waf_err)?;
        let arn = out
            .summary()
            .and_then(|s| s.arn())
            .ok_or_else(|| ProviderError::Transient {
                message: "CreateWebACL returned no ARN".into(),
            })?
            .to_string();
        let attrs = observe_one(&client, &arn).await?;
        Ok(Created { id: arn, attrs })
    }

    async fn update(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Attrs,
        desired: &Attrs,
        changes: &[FieldChange],
    ) -> Result<Attrs, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let acl_changed = changes.iter().any(|c| !c.path.starts_with("tags"));
        if acl_changed {
            let rules = to_sdk_rules(desired.get("rules"))?;
            let action = default_action(opt_str(desired, "default_action").unwrap_or("allow"))?;
            let visibility = to_sdk_visibility(&acl_visibility(desired))?;
            let description = opt_str(desired, "description").map(str::to_string);
            let client = &client;
            let found = with_lock(client, id, |acl, token| {
                let call = client
                    .update_web_acl()
                    .name(acl.name())
                    .id(acl.id())
                    .scope(Scope::from(opt_str(desired, "scope").unwrap_or("REGIONAL")))
                    .default_action(action.clone())
                    .set_description(description.clone())
                    .set_rules(Some(rules.clone()))
                    .visibility_config(visibility.clone())
                    .lock_token(token);
                async move { call.send().await.map(|_| ()).map_err(waf_err) }
            })
            .await?;
            if !found {
                return Err(ProviderError::Api {
                    code: "WAFNonexistentItemException".into(),
                    message: format!("web ACL {id} no longer exists"),
                });
            }
        }
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
        let (scope, _, _) = common::parse_arn(id)?;
        let client = &client;
        let scope = &scope;
        let result = with_lock(client, id, |acl, token| {
            let call = client
                .delete_web_acl()
                .name(acl.name())
                .id(acl.id())
                .scope(Scope::from(scope.as_str()))
                .lock_token(token);
            async move { call.send().await.map(|_| ()).map_err(waf_err) }
        })
        .await;
        match result {
            // Still associated: the association is being deleted in the
            // same apply, so retrying gets through.
            Err(ProviderError::Api { code, message }) if code == "WAFAssociatedItemException" => {
                Err(ProviderError::Transient {
                    message: format!("{code}: {message}"),
                })
            }
            other => other.map(|_| ()),
        }
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let address = ctx.address.to_string();
        let found = common::tagged(&client, "REGIONAL", &ctx.owner, Some(&address)).await?;
        let Some((arn, _)) = found.into_iter().next() else {
            return Ok(None);
        };
        let attrs = observe_one(&client, &arn).await?;
        Ok(Some(Created { id: arn, attrs }))
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        common::tagged(&client, "REGIONAL", &ctx.owner, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_wafv2::types::DefaultAction;
    use forge_engine::PlannedAction;
    use serde_json::json;

    fn provider() -> WebAclProvider {
        WebAclProvider::new(Arc::new(AwsClients::new(crate::AwsSettings::default())))
    }

    fn desired(limit: i64) -> Attrs {
        let mut d: Attrs = Value::from_json(&json!({
            "name": "edge",
            "rules": [{"name": "rate", "priority": 1, "action": "block", "statement": {"rate_based": {"limit": limit}}}],
        }))
        .as_map()
        .cloned()
        .unwrap();
        forge_engine::diff::fill_defaults(&schema(), &mut d);
        provider().normalize(d)
    }

    #[test]
    fn described_acl_is_a_no_op_and_rate_limit_is_in_place() {
        let d = desired(2000);
        let acl = WebAcl::builder()
            .name("edge")
            .id("abc")
            .arn("arn:aws:wafv2:eu-west-1:1:regional/webacl/edge/abc")
            .default_action(
                DefaultAction::builder()
                    .allow(aws_sdk_wafv2::types::AllowAction::builder().build())
                    .build(),
            )
            .set_rules(Some(to_sdk_rules(d.get("rules")).unwrap()))
            .visibility_config(to_sdk_visibility(&acl_visibility(&d)).unwrap())
            .capacity(2)
            .build()
            .unwrap();
        let observed =
            provider().normalize(acl_attrs(&acl, "REGIONAL", Value::Map(BTreeMap::new())));
        for field in schema().fields.keys() {
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

    #[tokio::test]
    async fn a_stale_token_is_refreshed_once() {
        use std::cell::RefCell;
        let fetches = RefCell::new(0);
        let tokens = RefCell::new(Vec::new());
        let stale = || ProviderError::Api {
            code: "WAFOptimisticLockException".into(),
            message: "stale".into(),
        };
        let fetch = || {
            *fetches.borrow_mut() += 1;
            let n = *fetches.borrow();
            async move { Ok(Some(((), format!("token-{n}")))) }
        };
        // Stale once, then accepted: two fetches, the second token used.
        let ok = lock_retry(fetch, |(), t: String| {
            tokens.borrow_mut().push(t.clone());
            async move { if t == "token-1" { Err(stale()) } else { Ok(()) } }
        })
        .await;
        assert!(matches!(ok, Ok(true)));
        assert_eq!(*tokens.borrow(), vec!["token-1", "token-2"]);
        // Stale twice: give up with a retryable error.
        let r = lock_retry(
            || async { Ok(Some(((), "t".to_string()))) },
            |(), _t| async move { Err(stale()) },
        )
        .await;
        assert!(matches!(r, Err(ProviderError::Transient { .. })));
        // Gone before or during the call.
        let gone = lock_retry(
            || async { Ok(None::<((), String)>) },
            |(), _t| async { Ok(()) },
        )
        .await;
        assert!(matches!(gone, Ok(false)));
        let r = lock_retry(
            || async { Ok(Some(((), "t".to_string()))) },
            |(), _t| async {
                Err(ProviderError::Api {
                    code: "WAFNonexistentItemException".into(),
                    message: String::new(),
                })
            },
        )
        .await;
        assert!(matches!(r, Ok(false)));
    }
}
