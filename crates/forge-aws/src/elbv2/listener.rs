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

use super::Elbv2;
use super::actions::{Action, from_sdk_actions, normalize_actions, to_sdk_actions};
use super::common::{create_tags, describe_tagged, made, owned, owned_listener_arns};
use crate::error::delete_result;
use crate::kind::prelude::*;
use crate::normalize::{number_value, upper_value};
use aws_sdk_elasticloadbalancingv2::types::{Certificate, Listener, ProtocolEnum};
use forge_core::fields::FieldValue;
use forge_engine::diff::values_equal;

crate::kind::declare_kind!(ListenerKind: "aws.elbv2.listener", Elbv2, ListenerFields,
    "A listener of an Elastic Load Balancing v2 load balancer.");

/// The fields of `aws.elbv2.listener`.
#[derive(Debug, Clone, Fields)]
pub struct ListenerFields {
    /// The load balancer it listens on.
    #[field(force_new)]
    pub load_balancer_arn: String,
    /// Port (1-65535).
    #[field(normalize = number_value)]
    pub port: i32,
    /// HTTP or HTTPS.
    #[field(normalize = upper_value)]
    pub protocol: String,
    /// ACM certificate of an HTTPS listener (its default certificate).
    pub certificate_arn: Option<String>,
    /// TLS policy of an HTTPS listener; AWS picks its default when unset.
    #[field(optional_computed)]
    pub ssl_policy: Option<String>,
    /// What to do with requests no rule matches, in order.
    #[field(normalize = normalize_actions)]
    pub default_actions: Vec<Action>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The listener's ARN (= id).
    pub arn: Computed<String>,
}

fn default_certificate(l: &Listener) -> Option<&str> {
    let certs = l.certificates();
    certs
        .iter()
        .find(|c| c.is_default() == Some(true))
        .or_else(|| certs.first())
        .and_then(|c| c.certificate_arn())
}

fn fields_of(l: &Listener, tags: Tags) -> ListenerFields {
    ListenerFields {
        load_balancer_arn: l.load_balancer_arn().unwrap_or_default().to_string(),
        port: l.port().unwrap_or_default(),
        protocol: l
            .protocol()
            .map(|p| p.as_str())
            .unwrap_or_default()
            .to_string(),
        certificate_arn: default_certificate(l).map(str::to_string),
        ssl_policy: l.ssl_policy().map(str::to_string),
        default_actions: from_sdk_actions(l.default_actions()),
        tags,
        arn: l.listener_arn().map(str::to_string),
    }
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

/// The minimal ModifyListener parameters (pure). An unset certificate or
/// SSL policy keeps what the listener has.
pub fn listener_changes(prior: &ListenerFields, desired: &ListenerFields) -> ListenerChanges {
    let changed = |a: &Option<String>, b: &Option<String>| b.is_some() && a != b;
    let protocol_changes = prior.protocol != desired.protocol;
    ListenerChanges {
        port: (prior.port != desired.port).then_some(desired.port),
        protocol: protocol_changes.then(|| desired.protocol.clone()),
        // Switching to HTTPS needs the certificate in the same call.
        certificate_arn: (protocol_changes
            || changed(&prior.certificate_arn, &desired.certificate_arn))
        .then(|| desired.certificate_arn.clone())
        .flatten(),
        ssl_policy: changed(&prior.ssl_policy, &desired.ssl_policy)
            .then(|| desired.ssl_policy.clone())
            .flatten(),
        default_actions: !values_equal(
            &prior.default_actions.to_value(),
            &desired.default_actions.to_value(),
        ),
    }
}

fn certificate(arn: Option<String>) -> Option<Vec<Certificate>> {
    arn.map(|c| vec![Certificate::builder().certificate_arn(c).build()])
}

#[async_trait]
impl Kind for ListenerKind {
    const ARNS: &[ArnShape] = &[ArnShape::arn("elasticloadbalancing", "listener/")];

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        describe_tagged!(
            ctx, ids,
            describe_listeners(set_listener_arns) -> listeners, Listener::listener_arn,
            fields fields_of
        )
        .await
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let out = ctx
            .client
            .create_listener()
            .load_balancer_arn(&desired.load_balancer_arn)
            .port(desired.port)
            .protocol(ProtocolEnum::from(desired.protocol.as_str()))
            .set_certificates(certificate(desired.certificate_arn.clone()))
            .set_ssl_policy(desired.ssl_policy.clone())
            .set_default_actions(Some(to_sdk_actions(&desired.default_actions)?))
            .set_tags(create_tags(&desired.tags, ctx))
            .send()
            .await
            .map_err(Elbv2::err)?;
        let first = out.listeners().first().and_then(|l| l.listener_arn());
        made(ctx, first, "CreateListener").await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        let c = listener_changes(prior, desired);
        if !c.is_empty() {
            let actions = if c.default_actions {
                Some(to_sdk_actions(&desired.default_actions)?)
            } else {
                None
            };
            ctx.client
                .modify_listener()
                .listener_arn(id)
                .set_port(c.port)
                .set_protocol(c.protocol.as_deref().map(ProtocolEnum::from))
                .set_certificates(certificate(c.certificate_arn))
                .set_ssl_policy(c.ssl_policy)
                .set_default_actions(actions)
                .send()
                .await
                .map_err(Elbv2::err)?;
        }
        retag_and_read(ctx, id, Some(id), &prior.tags, &desired.tags).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        let result = ctx.client.delete_listener().listener_arn(id).send().await;
        delete_result(result.map(|_| ()).map_err(Elbv2::err))
    }

    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        let listeners = owned_listener_arns(ctx.client, ctx).await?;
        owned(ctx.client, &listeners, ctx, address).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing;
    use forge_core::Attrs;
    use forge_core::fields::Fields;
    use forge_engine::PlannedAction;
    use forge_engine::Provider;
    use serde_json::json;

    fn redirect_listener() -> Attrs {
        testing::desired::<ListenerKind>(json!({
            "load_balancer_arn": "arn:lb", "port": 80, "protocol": "http",
            "default_actions": [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": 443, "status_code": "HTTP_301"}}]
        }))
    }

    #[test]
    fn described_redirect_listener_is_a_no_op() {
        let d = redirect_listener();
        let sdk = to_sdk_actions(&testing::typed::<ListenerKind>(&d).default_actions).unwrap();
        let l = Listener::builder()
            .listener_arn("arn:l")
            .load_balancer_arn("arn:lb")
            .port(80)
            .protocol(ProtocolEnum::Http)
            .set_default_actions(Some(sdk))
            .build();
        let observed = testing::provider::<ListenerKind>()
            .normalize(fields_of(&l, Tags::default()).to_attrs());
        testing::assert_covers_schema::<ListenerKind>(
            &observed,
            &["certificate_arn", "ssl_policy"],
        );
        testing::assert_no_op::<ListenerKind>(&observed, &d);
        assert!(
            listener_changes(
                &testing::typed::<ListenerKind>(&observed),
                &testing::typed::<ListenerKind>(&d)
            )
            .is_empty()
        );
    }

    #[test]
    fn changing_the_default_action_modifies_only_actions() {
        let prior = redirect_listener();
        let d = testing::desired::<ListenerKind>(json!({
            "load_balancer_arn": "arn:lb", "port": 80, "protocol": "HTTP",
            "default_actions": [{"type": "fixed-response", "fixed_response": {"status_code": 503}}]
        }));
        assert_eq!(
            testing::provider::<ListenerKind>()
                .plan(Some(&prior), &d)
                .action,
            PlannedAction::Update
        );
        let c = listener_changes(
            &testing::typed::<ListenerKind>(&prior),
            &testing::typed::<ListenerKind>(&d),
        );
        assert!(c.default_actions);
        assert_eq!(
            (c.port, c.protocol.as_deref(), c.certificate_arn.as_deref()),
            (None, None, None)
        );
    }

    #[test]
    fn switching_to_https_sends_the_certificate() {
        let prior = redirect_listener();
        let d = testing::desired::<ListenerKind>(json!({
            "load_balancer_arn": "arn:lb", "port": 443, "protocol": "HTTPS", "certificate_arn": "arn:cert",
            "ssl_policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "default_actions": [{"type": "forward", "target_group_arn": "arn:tg"}]
        }));
        let c = listener_changes(
            &testing::typed::<ListenerKind>(&prior),
            &testing::typed::<ListenerKind>(&d),
        );
        assert_eq!(c.port, Some(443));
        assert_eq!(c.protocol.as_deref(), Some("HTTPS"));
        assert_eq!(c.certificate_arn.as_deref(), Some("arn:cert"));
        assert!(c.ssl_policy.is_some() && c.default_actions);
        let moved = testing::desired::<ListenerKind>(json!({
            "load_balancer_arn": "arn:other", "port": 80, "protocol": "HTTP",
            "default_actions": [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": 443, "status_code": "HTTP_301"}}]
        }));
        assert_eq!(
            testing::provider::<ListenerKind>()
                .plan(Some(&prior), &moved)
                .action,
            PlannedAction::Replace
        );
    }
}
