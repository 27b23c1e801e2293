//! `aws.elbv2.listener`: a listener of a load balancer (HTTP or HTTPS) and
//! its default actions.
//!
//! Only the load balancer cannot change; port, protocol, certificate, SSL
//! policy and default actions change in place with one ModifyListener
//! carrying just what differs. An HTTP listener redirecting to HTTPS is a
//! `redirect` default action with `protocol: HTTPS, port: "443",
//! status_code: HTTP_301`.
//!
//! Observe cost: one DescribeListeners and one DescribeTags per 20
//! listeners.

use super::actions::{action_schema, from_sdk_actions, normalize_actions, to_sdk_actions};
use super::common::{
    self, CONCURRENCY, ElbBase, describe_arns, elb_err, observed, observed_tags, with_tags,
};
use crate::attrs::attrs;
use crate::attrs::{opt_i64, opt_str, req_str, str_or_null};
use crate::clients::AwsClients;
use crate::error::delete_result;
use crate::normalize::normalize_common;
use crate::tags::tags_field;
use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types::{Certificate, Listener, ProtocolEnum};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::diff::values_equal;
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The `aws.elbv2.listener` provider.
pub struct ListenerProvider {
    base: ElbBase,
    schema: KindSchema,
}

impl ListenerProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        ListenerProvider {
            base: ElbBase::new(clients),
            schema: schema(),
        }
    }
}

/// The schema of `aws.elbv2.listener`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.elbv2.listener",
        "A listener of an Elastic Load Balancing v2 load balancer.",
        [
            (
                "load_balancer_arn",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("The load balancer it listens on."),
            ),
            (
                "port",
                FieldSchema::required(FieldType::Number).describe("Port (1-65535)."),
            ),
            (
                "protocol",
                FieldSchema::required(FieldType::String).describe("HTTP or HTTPS."),
            ),
            (
                "certificate_arn",
                FieldSchema::optional(FieldType::String)
                    .describe("ACM certificate of an HTTPS listener (its default certificate)."),
            ),
            (
                "ssl_policy",
                FieldSchema::optional_computed(FieldType::String)
                    .describe("TLS policy of an HTTPS listener; AWS picks its default when unset."),
            ),
            (
                "default_actions",
                FieldSchema::required(FieldType::list(action_schema()))
                    .describe("What to do with requests no rule matches, in order."),
            ),
            ("tags", tags_field()),
            (
                "arn",
                FieldSchema::computed(FieldType::String).describe("The listener's ARN (= id)."),
            ),
        ],
    )
}

fn default_certificate(l: &Listener) -> Option<&str> {
    let certs = l.certificates();
    certs
        .iter()
        .find(|c| c.is_default() == Some(true))
        .or_else(|| certs.first())
        .and_then(|c| c.certificate_arn())
}

fn listener_attrs(l: &Listener, tags: Option<&BTreeMap<String, String>>) -> Attrs {
    let arn = l.listener_arn().unwrap_or_default();
    attrs([
        ("id", arn.into()),
        ("arn", arn.into()),
        ("load_balancer_arn", str_or_null(l.load_balancer_arn())),
        ("port", crate::attrs::int_or_null(l.port())),
        ("protocol", str_or_null(l.protocol().map(|p| p.as_str()))),
        ("certificate_arn", str_or_null(default_certificate(l))),
        ("ssl_policy", str_or_null(l.ssl_policy())),
        ("default_actions", from_sdk_actions(l.default_actions())),
        ("tags", observed_tags(tags)),
    ])
}

/// Observes listeners by ARN.
pub async fn observe_listeners(
    client: &Client,
    arns: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let listeners = describe_arns(arns, |chunk| async move {
        let out = client
            .describe_listeners()
            .set_listener_arns(Some(chunk))
            .send()
            .await
            .map_err(elb_err)?;
        Ok(out.listeners.unwrap_or_default())
    })
    .await?;
    with_tags(client, &listeners, Listener::listener_arn, listener_attrs).await
}

async fn observe_one(client: &Client, arn: &str) -> Result<Attrs, ProviderError> {
    observed(
        observe_listeners(client, &[arn.to_string()]).await?,
        arn,
        "listener",
    )
}

fn port_of(attrs: &Attrs) -> Result<i32, ProviderError> {
    opt_i64(attrs, "port")
        .and_then(|p| i32::try_from(p).ok())
        .ok_or_else(|| ProviderError::Invalid("`port` must be a port number".into()))
}

/// What a ModifyListener must carry to go from `prior` to `desired`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ListenerChanges {
    /// New port.
    pub port: Option<i32>,
    /// New protocol.
    pub protocol: Option<String>,
    /// New default certificate.
    pub certificate_arn: Option<String>,
    /// New SSL policy.
    pub ssl_policy: Option<String>,
    /// New default actions.
    pub default_actions: bool,
}

impl ListenerChanges {
    /// Whether nothing needs modifying.
    pub fn is_empty(&self) -> bool {
        *self == ListenerChanges::default()
    }
}

/// The minimal ModifyListener parameters (pure).
pub fn listener_changes(prior: &Attrs, desired: &Attrs) -> ListenerChanges {
    let differs = |k: &str| match (prior.get(k), desired.get(k)) {
        (_, None) | (_, Some(Value::Null)) => false,
        (Some(a), Some(b)) => !values_equal(a, b),
        (None, Some(_)) => true,
    };
    let protocol_changes = differs("protocol");
    ListenerChanges {
        port: if differs("port") {
            opt_i64(desired, "port").and_then(|p| i32::try_from(p).ok())
        } else {
            None
        },
        protocol: protocol_changes
            .then(|| opt_str(desired, "protocol").map(str::to_string))
            .flatten(),
        // Switching to HTTPS needs the certificate in the same call.
        certificate_arn: (differs("certificate_arn") || protocol_changes)
            .then(|| opt_str(desired, "certificate_arn").map(str::to_string))
            .flatten(),
        ssl_policy: differs("ssl_policy")
            .then(|| opt_str(desired, "ssl_policy").map(str::to_string))
            .flatten(),
        default_actions: differs("default_actions"),
    }
}

#[async_trait]
impl Provider for ListenerProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(CONCURRENCY)
    }

    fn normalize(&self, mut attrs: Attrs) -> Attrs {
        if let Some(v) = attrs.get_mut("port") {
            *v = common::number_value(v);
        }
        if let Some(Value::String(p)) = attrs.get_mut("protocol") {
            *p = p.to_ascii_uppercase();
        }
        let actions = normalize_actions(attrs.get("default_actions").unwrap_or(&Value::Null));
        attrs.insert("default_actions".into(), actions);
        normalize_common(&self.schema, &mut attrs);
        attrs
    }

    async fn observe(
        &self,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        observe_listeners(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let actions = to_sdk_actions(desired.get("default_actions"))?;
        let out = client
            .create_listener()
            .load_balancer_arn(req_str(desired, "load_balancer_arn")?)
            .port(port_of(desired)?)
            .protocol(ProtocolEnum::from(req_str(desired, "protocol")?))
            .set_certificates(
                opt_str(desired, "certificate_arn")
                    .map(|c| vec![Certificate::builder().certificate_arn(c).build()]),
            )
            .set_ssl_policy(opt_str(desired, "ssl_policy").map(str::to_string))
            .set_default_actions(Some(actions))
            .set_tags(Some(common::create_tags(desired, ctx)))
            .send()
            .await
            .map_err(elb_err)?;
        let arn = out
            .listeners()
            .first()
            .and_then(|l| l.listener_arn())
            .ok_or_else(|| ProviderError::Transient {
                message: "CreateListener returned no ARN".into(),
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
        _changes: &[FieldChange],
    ) -> Result<Attrs, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let c = listener_changes(prior, desired);
        if !c.is_empty() {
            let actions = if c.default_actions {
                Some(to_sdk_actions(desired.get("default_actions"))?)
            } else {
                None
            };
            client
                .modify_listener()
                .listener_arn(id)
                .set_port(c.port)
                .set_protocol(c.protocol.as_deref().map(ProtocolEnum::from))
                .set_certificates(
                    c.certificate_arn
                        .map(|a| vec![Certificate::builder().certificate_arn(a).build()]),
                )
                .set_ssl_policy(c.ssl_policy)
                .set_default_actions(actions)
                .send()
                .await
                .map_err(elb_err)?;
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
        delete_result(
            client
                .delete_listener()
                .listener_arn(id)
                .send()
                .await
                .map(|_| ())
                .map_err(elb_err),
        )
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let lbs = common::stack_load_balancer_arns(&client, &ctx.owner).await?;
        let listeners = common::listener_arns_of(&client, &lbs).await?;
        let Some(arn) = common::orphan_arn(&client, ctx, &listeners).await? else {
            return Ok(None);
        };
        let mut observed = observe_listeners(&client, std::slice::from_ref(&arn)).await?;
        Ok(observed
            .remove(&arn)
            .map(|attrs| Created { id: arn, attrs }))
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let lbs = common::stack_load_balancer_arns(&client, &ctx.owner).await?;
        let listeners = common::listener_arns_of(&client, &lbs).await?;
        common::tagged_arns(&client, &listeners, &ctx.owner, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use forge_engine::PlannedAction;
    use serde_json::json;

    fn provider() -> ListenerProvider {
        ListenerProvider::new(Arc::new(AwsClients::new(crate::AwsSettings::default())))
    }

    fn desired(j: serde_json::Value) -> Attrs {
        let mut a: Attrs = Value::from_json(&j).as_map().cloned().unwrap_or_default();
        forge_engine::diff::fill_defaults(&schema(), &mut a);
        provider().normalize(a)
    }

    fn redirect_listener() -> Attrs {
        desired(json!({
            "load_balancer_arn": "arn:lb", "port": 80, "protocol": "http",
            "default_actions": [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": 443, "status_code": "HTTP_301"}}]
        }))
    }

    #[test]
    fn described_redirect_listener_is_a_no_op() {
        let d = redirect_listener();
        let sdk = to_sdk_actions(d.get("default_actions")).unwrap();
        let l = Listener::builder()
            .listener_arn("arn:l")
            .load_balancer_arn("arn:lb")
            .port(80)
            .protocol(ProtocolEnum::Http)
            .set_default_actions(Some(sdk))
            .build();
        let observed = provider().normalize(listener_attrs(&l, None));
        for field in schema().fields.keys() {
            assert!(
                observed.contains_key(field) || field == "certificate_arn" || field == "ssl_policy",
                "missing {field}"
            );
        }
        let plan = provider().plan(Some(&observed), &d);
        assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
        assert!(listener_changes(&observed, &d).is_empty());
    }

    #[test]
    fn changing_the_default_action_modifies_only_actions() {
        let prior = redirect_listener();
        let d = desired(json!({
            "load_balancer_arn": "arn:lb", "port": 80, "protocol": "HTTP",
            "default_actions": [{"type": "fixed-response", "fixed_response": {"status_code": 503}}]
        }));
        assert_eq!(
            provider().plan(Some(&prior), &d).action,
            PlannedAction::Update
        );
        let c = listener_changes(&prior, &d);
        assert!(c.default_actions);
        assert_eq!(
            (c.port, c.protocol.as_deref(), c.certificate_arn.as_deref()),
            (None, None, None)
        );
    }

    #[test]
    fn switching_to_https_sends_the_certificate() {
        let prior = redirect_listener();
        let d = desired(json!({
            "load_balancer_arn": "arn:lb", "port": 443, "protocol": "HTTPS", "certificate_arn": "arn:cert",
            "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "default_actions": [{"type": "forward", "target_group_arn": "arn:tg"}]
        }));
        let c = listener_changes(&prior, &d);
        assert_eq!(c.port, Some(443));
        assert_eq!(c.protocol.as_deref(), Some("HTTPS"));
        assert_eq!(c.certificate_arn.as_deref(), Some("arn:cert"));
        assert!(c.ssl_policy.is_some() && c.default_actions);
        let moved = desired(json!({
            "load_balancer_arn": "arn:other", "port": 80, "protocol": "HTTP",
            "default_actions": [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": 443, "status_code": "HTTP_301"}}]
        }));
        assert_eq!(
            provider().plan(Some(&prior), &moved).action,
            PlannedAction::Replace
        );
    }
}
