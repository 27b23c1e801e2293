//! SNS: topics and their subscriptions (`aws.sns.topic`,
//! `aws.sns.subscription`), written on the kind framework. This module
//! holds what both kinds share: the service, its tag calls, the topic
//! tag read and the attribute text conversions.

pub mod subscription;
pub mod topic;

pub use subscription::SubscriptionKind;
pub use topic::TopicKind;

use crate::kind::{Kind, Made, Res, Service};
use crate::paging::collect_pages;
use crate::tags;
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

/// The ARN a create answered with; none is a transient `failure`.
/// What a create made: the object as described, or, while SNS does not
/// show it yet, the spec with its new ARN (`with_arn`).
pub(crate) fn made<K: Kind>(
    arn: String,
    found: Option<K::Fields>,
    with_arn: impl FnOnce(String) -> K::Fields,
) -> Made<K> {
    let fields = found.unwrap_or_else(|| with_arn(arn.clone()));
    Made { id: arn, fields }
}

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
