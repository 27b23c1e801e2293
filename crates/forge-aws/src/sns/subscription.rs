//! `aws.sns.subscription`: one endpoint (an email address, a URL, an SQS
//! queue, a Lambda function, ...) subscribed to a topic. Its id is the
//! subscription ARN.
//!
//! Pending confirmation: email and HTTP/S subscriptions wait for the
//! endpoint to confirm. forge subscribes with `ReturnSubscriptionArn`, so
//! even a pending subscription has its real ARN; `pending_confirmation` is
//! computed (never drift) and a pending subscription is ready. SNS refuses
//! to unsubscribe a pending subscription; delete takes that as done (SNS
//! drops unconfirmed subscriptions after three days, and with their topic).
//!
//! Ownership: subscriptions carry no tags, so no listing can prove which
//! state made one, and the kind lists nothing for drift's orphan search.
//! Subscribe is idempotent per (topic, protocol, endpoint): a create
//! repeated after a lost answer gets the same subscription back. Before
//! subscribing, create looks for that triple on the topic: it is taken
//! when the topic is owned by this state (that subscription can only be
//! this state's), and refused otherwise, never adopted. Observe cost: one
//! GetSubscriptionAttributes per subscription, a few at a time.

use super::{
    Sns, answered, attr, attr_bool, attributed, describe_each, json_text, made, pairs, set_each,
    topic_tags,
};
use crate::error::found;
use crate::kind::prelude::*;
use crate::paging::collect_pages;
use crate::tags;
use aws_sdk_sns::Client;
use forge_core::Value;
use std::collections::HashMap;

crate::kind::declare_kind!(SubscriptionKind: "aws.sns.subscription", Sns, SubscriptionFields,
    "An endpoint (email, https, sqs, lambda, ...) subscribed to an SNS topic.");

/// The fields of `aws.sns.subscription`.
#[derive(Debug, Clone, Fields)]
pub struct SubscriptionFields {
    /// The ARN of the topic subscribed to.
    #[field(force_new)]
    pub topic_arn: String,
    /// How messages are delivered: email, email-json, http, https, sqs, lambda, firehose, sms or application.
    #[field(force_new)]
    pub protocol: String,
    /// Where messages go: an email address, a URL, an SQS queue ARN, a Lambda function ARN, ... by protocol.
    #[field(force_new)]
    pub endpoint: String,
    /// Deliver messages as published, without SNS's JSON envelope (sqs, http, https, firehose).
    #[field(default = false)]
    pub raw_message_delivery: Option<bool>,
    /// Which messages the subscription receives (JSON text or YAML object); unset: all.
    #[field(normalize = crate::normalize::json_value)]
    pub filter_policy: Option<Value>,
    /// What filter_policy matches: MessageAttributes (SNS's default) or MessageBody.
    #[field(optional_computed)]
    pub filter_policy_scope: Option<String>,
    /// Where undeliverable messages go (JSON text or YAML object: `deadLetterTargetArn`, an SQS queue ARN).
    #[field(normalize = crate::normalize::json_value)]
    pub redrive_policy: Option<Value>,
    /// The retry policy of HTTP/S deliveries (JSON text or YAML object).
    #[field(normalize = crate::normalize::json_value)]
    pub delivery_policy: Option<Value>,
    /// The subscription's ARN (its id).
    pub arn: Computed<String>,
    /// Whether the endpoint has yet to confirm (email, http, https); not drift.
    pub pending_confirmation: Computed<bool>,
    /// The AWS account that owns the subscription.
    pub owner: Computed<String>,
}

fn fields(arn: &str, a: &HashMap<String, String>) -> SubscriptionFields {
    let json = |name| attr(a, name).map(|p| crate::normalize::json_value(&Value::String(p)));
    SubscriptionFields {
        topic_arn: attr(a, "TopicArn").unwrap_or_default(),
        protocol: attr(a, "Protocol").unwrap_or_default(),
        endpoint: attr(a, "Endpoint").unwrap_or_default(),
        raw_message_delivery: Some(attr_bool(a, "RawMessageDelivery")),
        filter_policy: json("FilterPolicy"),
        filter_policy_scope: attr(a, "FilterPolicyScope"),
        redrive_policy: json("RedrivePolicy"),
        delivery_policy: json("DeliveryPolicy"),
        arn: Some(arn.to_string()),
        pending_confirmation: Some(attr_bool(a, "PendingConfirmation")),
        owner: attr(a, "Owner"),
    }
}

/// The settable attributes as SNS names them, in the order they must be
/// set (the scope before the filter policy it governs); unset is the
/// empty string, which SNS reads as "none".
fn attribute_values(f: &SubscriptionFields) -> Result<Vec<(&'static str, String)>, ProviderError> {
    let json = |field: &str, v: &Option<Value>| match v {
        Some(v) => json_text(field, v),
        None => Ok(String::new()),
    };
    Ok(vec![
        (
            "RawMessageDelivery",
            f.raw_message_delivery.unwrap_or(false).to_string(),
        ),
        (
            "FilterPolicyScope",
            f.filter_policy_scope.clone().unwrap_or_default(),
        ),
        ("FilterPolicy", json("filter_policy", &f.filter_policy)?),
        ("RedrivePolicy", json("redrive_policy", &f.redrive_policy)?),
        (
            "DeliveryPolicy",
            json("delivery_policy", &f.delivery_policy)?,
        ),
    ])
}

/// The attributes Subscribe takes: those the spec sets (raw delivery only
/// when on: some protocols refuse the attribute altogether).
fn subscribe_attributes(f: &SubscriptionFields) -> Result<HashMap<String, String>, ProviderError> {
    Ok(attribute_values(f)?
        .into_iter()
        .filter(|(name, value)| match *name {
            "RawMessageDelivery" => value == "true",
            _ => !value.is_empty(),
        })
        .map(|(name, value)| (name.to_string(), value))
        .collect())
}

/// The SetSubscriptionAttributes calls that bring `prior` to `desired`.
/// An unset scope keeps what SNS chose (see the field).
fn attribute_changes(
    prior: &SubscriptionFields,
    desired: &SubscriptionFields,
) -> Result<Vec<(&'static str, String)>, ProviderError> {
    let before: HashMap<_, _> = attribute_values(prior)?.into_iter().collect();
    Ok(attribute_values(desired)?
        .into_iter()
        .filter(|(name, value)| before.get(name) != Some(value))
        .filter(|(name, value)| !(*name == "FilterPolicyScope" && value.is_empty()))
        .collect())
}

/// The confirmed subscription of `protocol` to `endpoint` on `topic`, if
/// any (pending ones list without an ARN).
async fn existing(
    client: &Client,
    topic: &str,
    protocol: &str,
    endpoint: &str,
) -> Result<Option<String>, ProviderError> {
    let subs = collect_pages(|token| async move {
        let out = client
            .list_subscriptions_by_topic()
            .topic_arn(topic)
            .set_next_token(token)
            .send()
            .await
            .map_err(Sns::err)?;
        Ok((
            out.subscriptions().to_vec(),
            out.next_token().map(str::to_string),
        ))
    })
    .await?;
    Ok(subs
        .into_iter()
        .filter(|s| s.protocol() == Some(protocol) && s.endpoint() == Some(endpoint))
        .filter_map(|s| s.subscription_arn().map(str::to_string))
        .find(|arn| arn.starts_with("arn:")))
}

/// Whether an Unsubscribe failure is SNS refusing a subscription still
/// pending confirmation.
fn is_pending_refusal(err: &ProviderError) -> bool {
    matches!(err, ProviderError::Api { code, message }
        if code.starts_with("InvalidParameter") && message.contains("pending confirmation"))
}

/// One subscription's attributes, or `None` when it is gone.
async fn describe_one(client: &Client, arn: &str) -> Res<Option<SubscriptionFields>> {
    let call = client.get_subscription_attributes().subscription_arn(arn);
    let out = found(call.send().await.map_err(Sns::err))?;
    Ok(out.map(|out| fields(arn, &out.attributes().cloned().unwrap_or_default())))
}

attributed!(SubscriptionKind: SubscriptionFields, describe_one, set_subscription_attributes.subscription_arn);

#[async_trait]
impl Kind for SubscriptionKind {
    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        describe_each::<Self>(ctx.client, ids).await
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let (topic, protocol, endpoint) =
            (&desired.topic_arn, &desired.protocol, &desired.endpoint);
        if let Some(arn) = existing(ctx.client, topic, protocol, endpoint).await? {
            let topic_tags = topic_tags(ctx.client, topic).await?.unwrap_or_default();
            let what = format!("SNS subscription of {protocol} {endpoint} to {topic}");
            tags::ensure_ours(ctx, &what, pairs(&topic_tags), false)?;
            if let Some(fields) = describe_one(ctx.client, &arn).await? {
                return Ok(Made { id: arn, fields });
            }
        }
        let out = ctx
            .client
            .subscribe()
            .topic_arn(topic)
            .protocol(protocol)
            .endpoint(endpoint)
            .set_attributes(Some(subscribe_attributes(desired)?))
            .return_subscription_arn(true)
            .send()
            .await
            .map_err(Sns::err)?;
        let arn = out.subscription_arn().filter(|a| a.starts_with("arn:"));
        let arn = answered(arn, "Subscribe returned no subscription ARN")?;
        made(ctx.client, arn, desired).await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        set_each::<Self>(ctx.client, id, attribute_changes(prior, desired)?).await?;
        Self::read_back(ctx, id).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        let result = ctx.client.unsubscribe().subscription_arn(id).send().await;
        match crate::error::ignore_not_found(result.map(drop).map_err(Sns::err)) {
            // See the module docs: SNS removes it itself.
            Err(e) if is_pending_refusal(&e) => {
                tracing::warn!(subscription = %id, "subscription still pending confirmation: SNS deletes it after three days");
                Ok(())
            }
            other => other,
        }
    }

    /// Subscriptions carry no tags: nothing proves a state made one (see
    /// the module docs).
    async fn list_owned(_ctx: &Look<'_, Self>, _address: Option<&str>) -> Res<Vec<Owned>> {
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub() -> SubscriptionFields {
        SubscriptionFields {
            topic_arn: "arn:aws:sns:eu-central-1:1:alerts".into(),
            protocol: "email".into(),
            endpoint: "ops@example.com".into(),
            raw_message_delivery: Some(false),
            filter_policy: None,
            filter_policy_scope: None,
            redrive_policy: None,
            delivery_policy: None,
            arn: None,
            pending_confirmation: None,
            owner: None,
        }
    }

    #[test]
    fn subscribe_sends_only_what_is_set() {
        let mut f = sub();
        assert!(subscribe_attributes(&f).unwrap().is_empty());
        f.raw_message_delivery = Some(true);
        f.filter_policy = Some(Value::from(r#"{"severity": ["high"]}"#));
        let a = subscribe_attributes(&f).unwrap();
        assert_eq!(a["RawMessageDelivery"], "true");
        assert_eq!(a["FilterPolicy"], r#"{"severity":["high"]}"#);
        assert_eq!(a.len(), 2);
    }

    #[test]
    fn updates_change_what_differs_and_keep_an_unset_scope() {
        let mut prior = sub();
        prior.filter_policy = Some(Value::from(r#"{"a":["b"]}"#));
        prior.filter_policy_scope = Some("MessageAttributes".into());
        let mut desired = prior.clone();
        desired.filter_policy_scope = None;
        assert!(attribute_changes(&prior, &desired).unwrap().is_empty());
        desired.filter_policy = None;
        desired.raw_message_delivery = Some(true);
        assert_eq!(
            attribute_changes(&prior, &desired).unwrap(),
            vec![
                ("RawMessageDelivery", "true".to_string()),
                ("FilterPolicy", String::new())
            ]
        );
    }

    #[test]
    fn pending_confirmation_is_read_and_refusals_recognized() {
        let a = HashMap::from([
            ("PendingConfirmation".to_string(), "true".to_string()),
            ("Protocol".to_string(), "email".to_string()),
            ("RawMessageDelivery".to_string(), "false".to_string()),
        ]);
        let f = fields("arn:aws:sns:eu-central-1:1:alerts:uuid", &a);
        assert_eq!(f.pending_confirmation, Some(true));
        assert_eq!(f.raw_message_delivery, Some(false));
        let refusal = ProviderError::Api {
            code: "InvalidParameter".into(),
            message: "Invalid parameter: SubscriptionArn Reason: Cannot unsubscribe a subscription that is pending confirmation".into(),
        };
        assert!(is_pending_refusal(&refusal));
        assert!(!is_pending_refusal(&ProviderError::Api {
            code: "InvalidParameter".into(),
            message: "Endpoint".into()
        }));
    }
}
