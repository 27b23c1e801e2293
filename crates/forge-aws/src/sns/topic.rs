//! `aws.sns.topic`: an SNS topic with its display name, FIFO settings, KMS
//! encryption, access and delivery policies and tags. Its id is the topic
//! ARN.
//!
//! CreateTopic is idempotent by name: on a name already taken it answers
//! with the existing topic's ARN. So create first looks for a topic of that
//! name and takes it only when it carries this state's ownership tags for
//! this address (a create whose answer was lost); any other is refused,
//! never adopted. Observe cost: one GetTopicAttributes and one
//! ListTagsForResource per topic (SNS has no batch describe), a few at a
//! time.

use super::{
    Sns, answered, attr, attr_bool, attributed, describe_each, json_text, made, pairs, read_each,
    set_each, to_tags, topic_arns, topic_tags,
};
use crate::error::found;
use crate::kind::prelude::*;
use crate::tags;
use aws_sdk_sns::Client;
use forge_core::Value;
use std::collections::HashMap;

crate::kind::declare_kind!(TopicKind: "aws.sns.topic", Sns, TopicFields,
    "An SNS topic: KMS encryption, access policy, tags.");

/// The fields of `aws.sns.topic`.
#[derive(Debug, Clone, Fields)]
pub struct TopicFields {
    /// The topic's name, unique in the account and region (letters, digits, `-` and `_`; a FIFO topic's ends in `.fifo`).
    #[field(force_new)]
    pub name: String,
    /// The sender name of SMS and email notifications.
    pub display_name: Option<String>,
    /// A FIFO topic (ordered, deduplicated delivery); its name must end in `.fifo`.
    #[field(force_new, default = false)]
    pub fifo_topic: Option<bool>,
    /// FIFO topics only: deduplicate messages by a hash of their body.
    #[field(default = false)]
    pub content_based_deduplication: Option<bool>,
    /// The KMS key encrypting messages at rest (key id, key ARN, alias or alias ARN); unset: not encrypted.
    pub kms_master_key_id: Option<String>,
    /// The access policy (JSON text or YAML object); unset: SNS's default policy (the owning account may use the topic).
    #[field(optional_computed, normalize = crate::normalize::policy_value)]
    pub policy: Option<Value>,
    /// The retry policy of HTTP/S deliveries (JSON text or YAML object).
    #[field(normalize = crate::normalize::json_value)]
    pub delivery_policy: Option<Value>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The topic's ARN (its id).
    pub arn: Computed<String>,
    /// The owning AWS account.
    pub owner: Computed<String>,
}

/// The name in a topic ARN (`arn:aws:sns:<region>:<account>:<name>`).
fn name_of(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

/// Refuses what AWS would refuse with a less helpful message: a FIFO topic
/// needs a `.fifo` name (and only a FIFO topic may have one), and content
/// based deduplication exists only on FIFO topics.
fn validate(f: &TopicFields) -> Result<(), ProviderError> {
    let fifo = f.fifo_topic.unwrap_or(false);
    let fifo_name = f.name.ends_with(".fifo");
    let problem = if fifo && !fifo_name {
        Some(format!(
            "a FIFO topic's name must end in `.fifo` (name `{}`)",
            f.name
        ))
    } else if !fifo && fifo_name {
        Some(format!(
            "name `{}` ends in `.fifo`: set fifo_topic: true, or drop the suffix",
            f.name
        ))
    } else if !fifo && f.content_based_deduplication.unwrap_or(false) {
        Some("content_based_deduplication needs fifo_topic: true".to_string())
    } else {
        None
    };
    match problem {
        Some(p) => Err(ProviderError::Invalid(format!("aws.sns.topic: {p}"))),
        None => Ok(()),
    }
}

fn fields(
    arn: &str,
    attrs: &HashMap<String, String>,
    all_tags: &[(String, String)],
) -> TopicFields {
    let policy = attr(attrs, "Policy").map(|p| crate::normalize::policy_value(&Value::String(p)));
    let delivery =
        attr(attrs, "DeliveryPolicy").map(|p| crate::normalize::json_value(&Value::String(p)));
    TopicFields {
        name: name_of(arn).to_string(),
        display_name: attr(attrs, "DisplayName"),
        fifo_topic: Some(attr_bool(attrs, "FifoTopic")),
        content_based_deduplication: Some(attr_bool(attrs, "ContentBasedDeduplication")),
        kms_master_key_id: attr(attrs, "KmsMasterKeyId"),
        policy,
        delivery_policy: delivery,
        tags: tags::observed_map(all_tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        arn: Some(arn.to_string()),
        owner: attr(attrs, "Owner"),
    }
}

/// The topic of `name` in the region, if any.
async fn find_by_name(client: &Client, name: &str) -> Result<Option<String>, ProviderError> {
    Ok(topic_arns(client)
        .await?
        .into_iter()
        .find(|arn| name_of(arn) == name))
}

/// The attributes CreateTopic takes, from the spec.
fn create_attributes(f: &TopicFields) -> Result<HashMap<String, String>, ProviderError> {
    let mut a = HashMap::new();
    if let Some(d) = &f.display_name {
        a.insert("DisplayName".into(), d.clone());
    }
    // Only a FIFO topic names the FIFO attributes: `FifoTopic=false` is a
    // standard topic in AWS, but not every emulator reads it so.
    if f.fifo_topic.unwrap_or(false) {
        a.insert("FifoTopic".into(), "true".into());
        let dedup = f.content_based_deduplication.unwrap_or(false);
        a.insert("ContentBasedDeduplication".into(), dedup.to_string());
    }
    if let Some(k) = &f.kms_master_key_id {
        a.insert("KmsMasterKeyId".into(), k.clone());
    }
    if let Some(p) = &f.policy {
        a.insert("Policy".into(), policy_text(p)?);
    }
    if let Some(p) = &f.delivery_policy {
        a.insert("DeliveryPolicy".into(), json_text("delivery_policy", p)?);
    }
    Ok(a)
}

fn policy_text(p: &Value) -> Result<String, ProviderError> {
    crate::normalize::policy(p).map_err(|e| ProviderError::Invalid(format!("policy: {e}")))
}

/// The SetTopicAttributes calls that bring `prior` to `desired`: an unset
/// field is set to the empty string, which SNS reads as "none".
fn attribute_changes(
    prior: &TopicFields,
    desired: &TopicFields,
) -> Result<Vec<(&'static str, String)>, ProviderError> {
    let mut out = Vec::new();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    if prior.display_name != desired.display_name {
        out.push(("DisplayName", text(&desired.display_name)));
    }
    let dedup = desired.content_based_deduplication.unwrap_or(false);
    if prior.content_based_deduplication.unwrap_or(false) != dedup {
        out.push(("ContentBasedDeduplication", dedup.to_string()));
    }
    if prior.kms_master_key_id != desired.kms_master_key_id {
        out.push(("KmsMasterKeyId", text(&desired.kms_master_key_id)));
    }
    // Unset keeps whatever policy the topic has (see the field).
    if let Some(p) = &desired.policy
        && prior.policy.as_ref() != Some(p)
    {
        out.push(("Policy", policy_text(p)?));
    }
    if prior.delivery_policy != desired.delivery_policy {
        let value = match &desired.delivery_policy {
            Some(p) => json_text("delivery_policy", p)?,
            None => String::new(),
        };
        out.push(("DeliveryPolicy", value));
    }
    Ok(out)
}

/// One topic's attributes and tags, or `None` when it is gone.
async fn describe_one(client: &Client, arn: &str) -> Res<Option<TopicFields>> {
    let call = client.get_topic_attributes().topic_arn(arn);
    let Some(out) = found(call.send().await.map_err(Sns::err))? else {
        return Ok(None);
    };
    let Some(all_tags) = topic_tags(client, arn).await? else {
        return Ok(None);
    };
    let attrs = out.attributes().cloned().unwrap_or_default();
    Ok(Some(fields(arn, &attrs, &all_tags)))
}

attributed!(TopicKind: TopicFields, describe_one, set_topic_attributes.topic_arn);

#[async_trait]
impl Kind for TopicKind {
    // `arn:aws:sns:<region>:<account>:<name>`: the id is the whole ARN.
    const ARNS: &[ArnShape] = &[ArnShape::arn("sns", "")];

    const UNIQUE_FIELDS: &'static [&'static str] = &["name"];

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        describe_each::<Self>(ctx.client, ids).await
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        validate(desired)?;
        if let Some(arn) = find_by_name(ctx.client, &desired.name).await? {
            let all_tags = topic_tags(ctx.client, &arn).await?.unwrap_or_default();
            let what = format!("SNS topic {}", desired.name);
            tags::ensure_ours(ctx, &what, pairs(&all_tags), true)?;
            // Ours, from a create whose answer was lost: take it as it is;
            // the next plan brings it to the spec.
            if let Some(fields) = describe_one(ctx.client, &arn).await? {
                return Ok(Made { id: arn, fields });
            }
        }
        let out = ctx
            .client
            .create_topic()
            .name(&desired.name)
            .set_attributes(Some(create_attributes(desired)?))
            .set_tags(Some(to_tags(&tags::with_system(
                &desired.tags,
                &ctx.system_tags,
            ))?))
            .send()
            .await
            .map_err(Sns::err)?;
        let arn = answered(out.topic_arn(), "CreateTopic returned no ARN")?;
        made(ctx.client, arn, desired).await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        validate(desired)?;
        set_each::<Self>(ctx.client, id, attribute_changes(prior, desired)?).await?;
        retag_and_read(ctx, id, Some(id), &prior.tags, &desired.tags).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        // DeleteTopic also deletes the topic's subscriptions, and is
        // idempotent in AWS (a topic already gone is success).
        let call = ctx.client.delete_topic().topic_arn(id);
        crate::error::ignore_not_found(call.send().await.map(drop).map_err(Sns::err))
    }

    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        let arns = topic_arns(ctx.client).await?;
        let tagged = read_each(
            &arns,
            |arn| async move { topic_tags(ctx.client, &arn).await },
        )
        .await?;
        Ok(tagged
            .into_iter()
            .filter_map(|(arn, t)| tags::owned_entry(&ctx.owner, pairs(&t), &arn, address))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::KindDecl;
    use forge_core::fields::Fields;

    fn topic(name: &str, fifo: bool, dedup: bool) -> TopicFields {
        TopicFields {
            name: name.into(),
            display_name: None,
            fifo_topic: Some(fifo),
            content_based_deduplication: Some(dedup),
            kms_master_key_id: None,
            policy: None,
            delivery_policy: None,
            tags: Tags::default(),
            arn: None,
            owner: None,
        }
    }

    #[test]
    fn fifo_needs_the_fifo_name() {
        assert!(validate(&topic("alerts", false, false)).is_ok());
        assert!(validate(&topic("orders.fifo", true, true)).is_ok());
        let e = validate(&topic("orders", true, false))
            .unwrap_err()
            .to_string();
        assert!(e.contains("must end in `.fifo`"), "{e}");
        let e = validate(&topic("orders.fifo", false, false))
            .unwrap_err()
            .to_string();
        assert!(e.contains("set fifo_topic: true"), "{e}");
        let e = validate(&topic("alerts", false, true))
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs fifo_topic"), "{e}");
    }

    #[test]
    fn the_id_is_the_whole_arn_and_the_name_its_last_part() {
        let arn = "arn:aws:sns:eu-central-1:123456789012:alerts";
        assert_eq!(name_of(arn), "alerts");
        let shapes = vec![(TopicKind::ARNS[0], TopicKind::KIND.to_string())];
        let (kinds, id) = crate::tagging::kind_and_id(&shapes, arn).unwrap();
        assert_eq!(kinds, vec!["aws.sns.topic".to_string()]);
        assert_eq!(id, arn);
    }

    #[test]
    fn observed_attributes_read_as_the_spec_writes_them() {
        let attrs = HashMap::from([
            ("DisplayName".to_string(), String::new()),
            ("Owner".to_string(), "123456789012".to_string()),
            ("KmsMasterKeyId".to_string(), "alias/aws/sns".to_string()),
            ("DeliveryPolicy".to_string(), String::new()),
            (
                "Policy".to_string(),
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["SNS:Publish"]}]}"#
                    .to_string(),
            ),
        ]);
        let tags = vec![
            ("team".to_string(), "ops".to_string()),
            ("forge:state".to_string(), "l".to_string()),
        ];
        let f = fields(
            "arn:aws:sns:eu-central-1:123456789012:alerts",
            &attrs,
            &tags,
        );
        assert_eq!(f.display_name, None);
        assert_eq!(f.delivery_policy, None);
        assert_eq!(f.fifo_topic, Some(false));
        assert_eq!(f.tags.0.len(), 1);
        let policy = f.policy.clone().unwrap();
        assert_eq!(
            policy,
            Value::from(
                r#"{"Statement":[{"Action":"SNS:Publish","Effect":"Allow"}],"Version":"2012-10-17"}"#
            )
        );
        let back = TopicFields::from_attrs(&f.to_attrs()).unwrap();
        assert_eq!(back.policy, f.policy);
    }

    #[test]
    fn updates_set_only_what_changed_and_unset_means_empty() {
        let mut prior = topic("alerts", false, false);
        prior.display_name = Some("Alerts".into());
        prior.kms_master_key_id = Some("alias/aws/sns".into());
        prior.policy = Some(Value::from("{}"));
        let mut desired = prior.clone();
        desired.display_name = None;
        desired.policy = None;
        let changes = attribute_changes(&prior, &desired).unwrap();
        assert_eq!(changes, vec![("DisplayName", String::new())]);
        desired.kms_master_key_id = None;
        desired.policy = Some(Value::from(r#"{"Statement":[]}"#));
        let names: Vec<&str> = attribute_changes(&prior, &desired)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(names, vec!["DisplayName", "KmsMasterKeyId", "Policy"]);
    }
}
