//! SNS: topics and their subscriptions (`aws.sns.topic`,
//! `aws.sns.subscription`), written on the kind framework. This module
//! holds what both kinds share: the service, its tag calls, the topic
//! tag read and the attribute text conversions.

pub mod subscription;
pub mod topic;

pub use subscription::SubscriptionKind;
pub use topic::TopicKind;

use crate::kind::{Created, Found, Kind, Made, Res, Service};
use crate::paging::collect_pages;
use crate::tags;
use async_trait::async_trait;
use aws_sdk_sns::Client;
use aws_sdk_sns::types::Tag;
use forge_core::Value;
use forge_engine::ProviderError;
use std::collections::{BTreeMap, HashMap};

crate::kind::declare_service! {
    /// The SNS service.
    pub struct Sns: Client = Client::new, "sns";
    /// SNS's control-plane calls (CreateTopic, Subscribe, SetTopicAttributes)
    /// are throttled per account at tens per second.
    concurrency 8;
    kinds [TopicKind, SubscriptionKind];
}

/// Topics or subscriptions read at once.
const READ_CONCURRENCY: usize = 8;

// SNS tags topics by ARN: TagResource / UntagResource.
crate::tags::tag_by_arn!(Sns, client, |tags| to_tags(tags)?);

/// Tags in the SDK's shape.
pub(crate) fn to_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags::sdk_tags(tags, |k, v| Tag::builder().key(k).value(v).build())
}

/// Every tag of a topic (system tags included), or `None` when the topic
/// is gone.
pub(crate) async fn topic_tags(
    client: &Client,
    arn: &str,
) -> Result<Option<Vec<(String, String)>>, ProviderError> {
    let call = client.list_tags_for_resource().resource_arn(arn);
    let out = crate::error::found(call.send().await.map_err(Sns::err))?;
    Ok(out.map(|out| {
        let tags = out.tags().iter();
        tags.map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()
    }))
}

/// Tag pairs as the ownership checks read them.
pub(crate) fn pairs(tags: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> + Clone + '_ {
    tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// Reads every distinct id with `read` (SNS has no batch describe), a few
/// at a time: a kind's `describe`.
pub(crate) async fn read_each<T, F, Fut>(ids: &[String], read: F) -> Res<BTreeMap<String, T>>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Res<Option<T>>>,
{
    crate::paging::each_id(ids, READ_CONCURRENCY, read).await
}

/// The ARNs of every topic in the client's region (ListTopics, 100 a page).
pub(crate) async fn topic_arns(client: &Client) -> Result<Vec<String>, ProviderError> {
    collect_pages(|token| async move {
        let out = client
            .list_topics()
            .set_next_token(token)
            .send()
            .await
            .map_err(Sns::err)?;
        let arns = out
            .topics()
            .iter()
            .filter_map(|t| t.topic_arn().map(str::to_string))
            .collect();
        Ok((arns, out.next_token().map(str::to_string)))
    })
    .await
}

/// An attribute map's value, with SNS's empty string for "unset" as `None`.
pub(crate) fn attr(attrs: &HashMap<String, String>, name: &str) -> Option<String> {
    attrs.get(name).filter(|v| !v.is_empty()).cloned()
}

/// A boolean attribute (`"true"` / `"false"`); unset is `false`.
pub(crate) fn attr_bool(attrs: &HashMap<String, String>, name: &str) -> bool {
    attrs
        .get(name)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// The text SNS takes for a JSON document field given as JSON text or as a
/// YAML object (already canonical after normalization).
pub(crate) fn json_text(field: &str, value: &Value) -> Result<String, ProviderError> {
    match crate::normalize::json_text(value) {
        Some(text) => Ok(text),
        None => Err(ProviderError::Invalid(format!(
            "{field}: not a JSON document"
        ))),
    }
}

/// What the two SNS kinds differ in where their calls share a shape: how
/// one object is read (SNS has no batch describe), how one attribute is
/// set (SNS sets one a call), and where a new object's ARN goes.
#[async_trait]
pub(crate) trait Attributed: Kind {
    /// One object's fields, or `None` when it is gone.
    async fn describe_one(client: &Client, arn: &str) -> Res<Option<Self::Fields>>;
    /// Sets one attribute (`""` unsets it).
    async fn set_attribute(client: &Client, arn: &str, name: &str, value: String) -> Res<()>;
    /// The spec with its new ARN.
    fn with_arn(desired: &Self::Fields, arn: String) -> Self::Fields;
}

/// Writes an SNS kind's [`Attributed`] impl: its fields type, the
/// function that reads one object, and the Set*Attributes call with its
/// ARN setter (`set_topic_attributes.topic_arn`).
macro_rules! attributed {
    ($kind:ty: $fields:ident, $describe:path, $set:ident . $arn:ident) => {
        #[async_trait::async_trait]
        impl $crate::sns::Attributed for $kind {
            async fn describe_one(
                client: &aws_sdk_sns::Client,
                arn: &str,
            ) -> $crate::kind::Res<Option<$fields>> {
                $describe(client, arn).await
            }

            async fn set_attribute(
                client: &aws_sdk_sns::Client,
                arn: &str,
                name: &str,
                value: String,
            ) -> $crate::kind::Res<()> {
                let call = client.$set().$arn(arn).attribute_name(name);
                let sent = call.attribute_value(value).send().await;
                sent.map(drop)
                    .map_err(<$crate::sns::Sns as $crate::kind::Service>::err)
            }

            fn with_arn(desired: &$fields, arn: String) -> $fields {
                $fields {
                    arn: Some(arn),
                    ..desired.clone()
                }
            }
        }
    };
}
pub(crate) use attributed;

/// A kind's `describe`: each distinct ARN read a few at a time.
pub(crate) async fn describe_each<K: Attributed>(client: &Client, ids: &[String]) -> Found<K> {
    read_each(
        ids,
        |arn| async move { K::describe_one(client, &arn).await },
    )
    .await
}

/// What a create made, `arn`: the object as described, or, while SNS
/// does not show it yet, the spec with its new ARN.
pub(crate) async fn made<K: Attributed>(
    client: &Client,
    arn: String,
    desired: &K::Fields,
) -> Created<K> {
    let fields = match K::describe_one(client, &arn).await? {
        Some(fields) => fields,
        None => K::with_arn(desired, arn.clone()),
    };
    Ok(Made { id: arn, fields })
}

/// Sends the attribute `changes` of object `arn`, one call each, in order.
pub(crate) async fn set_each<K: Attributed>(
    client: &Client,
    arn: &str,
    changes: Vec<(&'static str, String)>,
) -> Res<()> {
    for (name, value) in changes {
        K::set_attribute(client, arn, name, value).await?;
    }
    Ok(())
}

/// The ARN a create answered with; none is a transient `failure`.
pub(crate) fn answered(arn: Option<&str>, failure: &str) -> Res<String> {
    let message = failure.to_string();
    arn.map(str::to_string)
        .ok_or(ProviderError::Transient { message })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_attributes_are_unset() {
        let attrs = HashMap::from([
            ("DisplayName".to_string(), String::new()),
            ("FifoTopic".to_string(), "true".to_string()),
        ]);
        assert_eq!(attr(&attrs, "DisplayName"), None);
        assert!(attr_bool(&attrs, "FifoTopic"));
        assert!(!attr_bool(&attrs, "ContentBasedDeduplication"));
    }
}
