//! Tags: the user's `tags` map, forge's ownership tags, and what observe
//! shows.
//!
//! Every resource forge creates carries the user's tags plus forge's
//! ownership tags (`forge:state`, `forge:stack`, `forge:environment`,
//! `forge:address`; see [`forge_engine::ownership`]), set at create so a
//! crash cannot leave an untagged resource. Observed tags exclude `forge:*`
//! (forge's bookkeeping) and `aws:*` (reserved, set by AWS) so they compare
//! equal to the spec's.

use aws_smithy_types::error::operation::BuildError;
use forge_core::fields::Tags;
use forge_core::{Attrs, FieldSchema, FieldType, Value};
use forge_engine::{Created, Owner, ProviderError, ResourceCtx};
use std::collections::BTreeMap;

pub use forge_engine::ownership::{ADDRESS_TAG, STACK_TAG, STATE_TAG};

/// Whether a tag key is managed by forge or AWS rather than the user.
pub fn is_system_key(key: &str) -> bool {
    key.starts_with("forge:") || key.starts_with("aws:")
}

/// The user's tags from the `tags` attribute (numbers and bools written
/// without quotes in YAML are turned into their text).
pub fn user_tags(attrs: &Attrs) -> BTreeMap<String, String> {
    let Some(map) = attrs.get("tags").and_then(Value::as_map) else {
        return BTreeMap::new();
    };
    map.iter()
        .filter(|(k, _)| !is_system_key(k))
        .filter_map(|(k, v)| tag_text(v).map(|t| (k.clone(), t)))
        .collect()
}

fn tag_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Sensitive(inner) => tag_text(inner),
        _ => None,
    }
}

/// The tags to set at create: the user's plus forge's system tags (which
/// win over a user tag of the same key).
pub fn create_tags(attrs: &Attrs, system: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    with_system(&Tags(user_tags(attrs)), system)
}

/// The `tags` attribute of an observed resource, without system tags.
pub fn observed_tags<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> Value {
    use forge_core::fields::FieldValue;
    observed_map(tags).to_value()
}

/// The user's tags of an observed object, typed: system tags left out.
pub fn observed_map<'a>(tags: impl IntoIterator<Item = (&'a str, &'a str)>) -> Tags {
    Tags(
        tags.into_iter()
            .filter(|(k, _)| !is_system_key(k))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// The tags to set at create, typed: the user's plus forge's system tags
/// (which win over a user tag of the same key).
pub fn with_system(user: &Tags, system: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut tags: BTreeMap<String, String> = user
        .0
        .iter()
        .filter(|(k, _)| !is_system_key(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    tags.extend(system.iter().map(|(k, v)| (k.clone(), v.clone())));
    tags
}

/// Normalizes the `tags` attribute: a missing or null `tags` is an empty
/// map and values are text, so `tags: {}` and no tags compare equal.
pub fn normalize_tags(attrs: &mut Attrs) {
    let known_map = match attrs.get("tags") {
        None | Some(Value::Null) => Some(BTreeMap::new()),
        Some(Value::Map(m)) if m.values().all(Value::is_known) => Some(
            m.iter()
                .filter(|(k, _)| !is_system_key(k))
                .filter_map(|(k, v)| tag_text(v).map(|t| (k.clone(), Value::String(t))))
                .collect(),
        ),
        _ => None,
    };
    if let Some(m) = known_map {
        attrs.insert("tags".into(), Value::Map(m));
    }
}

/// What changes between two tag sets: keys to (re)set and keys to remove.
pub fn diff(
    prior: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, Vec<String>) {
    let set = desired
        .iter()
        .filter(|(k, v)| prior.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove = prior
        .keys()
        .filter(|k| !desired.contains_key(*k))
        .cloned()
        .collect();
    (set, remove)
}

/// Whether a resource's full tag set marks it as owned by the state
/// `owner` (and, given, as `address` in it): how kinds find their orphans
/// and what a state owns client-side. Only `forge:state` decides.
pub fn owned_by<'a>(
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
    owner: &Owner,
    address: Option<&str>,
) -> bool {
    owner.owns(tags, address)
}

/// The error for a create that found its name taken by an object this
/// state does not own (another state's, one from before the state tag, or
/// one made by hand): never adopted, never converged.
pub fn not_ours<'a>(
    ctx: &ResourceCtx,
    what: &str,
    tags: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> ProviderError {
    let claim = ctx.owner.claim(tags);
    ProviderError::Api {
        code: "NotOwnedByThisState".into(),
        message: ctx.owner.refusal(what, &ctx.address, &claim),
    }
}

/// The orphan to adopt among candidate ids: the lowest, so every run
/// adopts the same one when a crash repeated and left several.
pub fn pick_orphan(mut ids: Vec<String>, address: &str) -> Option<String> {
    ids.sort();
    ids.dedup();
    if ids.len() > 1 {
        tracing::warn!(address = %address, ids = ?ids, "several untracked resources carry this address; adopting the first");
    }
    ids.into_iter().next()
}

/// The last step of every `find_orphan`: pick one of the resources listed
/// for `address` and read it with `observe` (the kind's batched observe of
/// one id), so each kind turns its listing into a [`Created`] the same way.
pub async fn adopt_listed<F, Fut>(
    listed: Vec<String>,
    address: &str,
    observe: F,
) -> Result<Option<Created>, ProviderError>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<BTreeMap<String, Attrs>, ProviderError>>,
{
    let Some(id) = pick_orphan(listed, address) else {
        return Ok(None);
    };
    let mut observed = observe(id.clone()).await?;
    Ok(observed.remove(&id).map(|attrs| Created::new(id, attrs)))
}

/// The whole of `find_orphan` for a kind that lists what a stack owns:
/// `owned` is that listing narrowed to `ctx`'s address, `observe` the
/// kind's batched observe of one id (see [`adopt_listed`]).
pub async fn adopt_owned<F, Fut>(
    ctx: &ResourceCtx,
    owned: Vec<(String, Option<String>)>,
    observe: F,
) -> Result<Option<Created>, ProviderError>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<BTreeMap<String, Attrs>, ProviderError>>,
{
    adopt_listed(listed_ids(owned), &ctx.address.to_string(), observe).await
}

/// The ids of `(id, address tag)` listings.
pub fn listed_ids(listed: Vec<(String, Option<String>)>) -> Vec<String> {
    listed.into_iter().map(|(id, _)| id).collect()
}

/// The `tags` field every taggable kind has.
pub fn tags_field() -> FieldSchema {
    FieldSchema::optional(FieldType::map(FieldType::String)).describe(
        "Tags of the resource; forge adds forge:stack and forge:address (not shown here).",
    )
}

/// A key/value map as an SDK's tag list, for services whose tag builder
/// checks that key and value are set (`build()` is fallible); `build`
/// makes one tag.
pub fn sdk_tags<T>(
    map: &BTreeMap<String, String>,
    build: impl Fn(&str, &str) -> Result<T, BuildError>,
) -> Result<Vec<T>, ProviderError> {
    map.iter()
        .map(|(k, v)| build(k, v).map_err(|e| ProviderError::Invalid(format!("tag `{k}`: {e}"))))
        .collect()
}

/// For a service that tags any object by ARN with AddTagsToResource /
/// RemoveTagsFromResource (RDS, ElastiCache): its `to_tags` (the SDK's
/// tags from a key/value map) and its [`TagApi`](crate::kind::TagApi).
macro_rules! arn_tag_api {
    ($svc:ty, $sdk:ident) => {
        /// The SDK's tags from a key/value map.
        pub(crate) fn to_tags(
            map: &std::collections::BTreeMap<String, String>,
        ) -> Vec<$sdk::types::Tag> {
            $crate::tags::tag_list(map, |k, v| {
                $sdk::types::Tag::builder().key(k).value(v).build()
            })
        }

        $crate::kind::tag_calls!(
            $svc,
            |client, resource, tags| client
                .add_tags_to_resource()
                .resource_name(resource)
                .set_tags(Some(to_tags(tags))),
            |client, resource, keys| client
                .remove_tags_from_resource()
                .resource_name(resource)
                .set_tag_keys(Some(keys.to_vec())),
        );
    };
}
pub(crate) use arn_tag_api;

/// Refuses to take over the existing object `what` unless its tags mark
/// it as this state's and, with `same_address`, as this very address's (a
/// create retried after its answer was lost); [`not_ours`] otherwise.
pub fn ensure_ours<'a, I>(
    ctx: &ResourceCtx,
    what: &str,
    tags: I,
    same_address: bool,
) -> Result<(), ProviderError>
where
    I: IntoIterator<Item = (&'a str, &'a str)> + Clone,
{
    let address = ctx.address.to_string();
    if ctx
        .owner
        .owns(tags.clone(), same_address.then_some(address.as_str()))
    {
        Ok(())
    } else {
        Err(not_ours(ctx, what, tags))
    }
}

/// Implements [`crate::kind::TagApi`] for a service that tags a resource by
/// its ARN with TagResource / UntagResource (`resource_arn`, `tags`,
/// `tag_keys`): the service, the path to its client (`client` or
/// `client.cw`), and how the key/value map becomes the request's tags.
macro_rules! tag_by_arn {
    ($svc:ty, client $(.$field:ident)*, |$map:ident| $tags:expr) => {
        $crate::kind::tag_calls!(
            $svc,
            |client, resource, $map| client$(.$field)*.tag_resource().resource_arn(resource).set_tags(Some($tags)),
            |client, resource, keys| client$(.$field)*.untag_resource().resource_arn(resource).set_tag_keys(Some(keys.to_vec())),
        );
    };
}
pub(crate) use tag_by_arn;

/// The listing entry of an object whose full tag set marks it as owned by
/// `owner` (and, given, as `address`): its id and its `forge:address` tag;
/// `None` for an object this state does not own.
pub fn owned_entry<'a>(
    owner: &Owner,
    tags: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
    id: impl Into<String>,
    address: Option<&str>,
) -> Option<(String, Option<String>)> {
    owner.owns(tags.clone(), address).then(|| {
        let at = tags.into_iter().find(|(k, _)| *k == ADDRESS_TAG);
        (id.into(), at.map(|(_, v)| v.to_string()))
    })
}

/// A key/value map as an SDK tag list, for services whose tag builder
/// cannot fail; `build` makes one tag.
pub fn tag_list<T>(map: &BTreeMap<String, String>, build: impl Fn(&str, &str) -> T) -> Vec<T> {
    map.iter().map(|(k, v)| build(k, v)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs_with_tags(v: Value) -> Attrs {
        Attrs::from([("tags".to_string(), v)])
    }

    #[test]
    fn system_tags_are_added_and_hidden() {
        let a = attrs_with_tags(Value::Map(BTreeMap::from([
            ("Name".to_string(), Value::from("web")),
            ("forge:stack".to_string(), Value::from("spoof")),
            ("cost".to_string(), Value::int(12)),
        ])));
        let system = BTreeMap::from([
            (STACK_TAG.to_string(), "demo".to_string()),
            (ADDRESS_TAG.to_string(), "vpc".to_string()),
        ]);
        let all = create_tags(&a, &system);
        assert_eq!(all.get("forge:stack").map(String::as_str), Some("demo"));
        assert_eq!(all.get("cost").map(String::as_str), Some("12"));
        assert_eq!(all.len(), 4);
        let seen = observed_tags(
            all.iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .chain([("aws:x", "y")]),
        );
        assert_eq!(seen.as_map().map(|m| m.len()), Some(2));
    }

    #[test]
    fn tag_diff_is_minimal() {
        let prior = BTreeMap::from([("a".into(), "1".into()), ("b".into(), "2".into())]);
        let desired = BTreeMap::from([
            ("a".into(), "1".into()),
            ("b".into(), "3".into()),
            ("c".into(), "4".into()),
        ]);
        let (set, remove) = diff(&prior, &desired);
        assert_eq!(set.len(), 2);
        assert!(remove.is_empty());
        let (set, remove) = diff(&desired, &BTreeMap::new());
        assert!(set.is_empty());
        assert_eq!(remove, vec!["a", "b", "c"]);
    }

    #[test]
    fn missing_tags_normalize_to_empty_map() {
        let mut a = Attrs::new();
        normalize_tags(&mut a);
        assert_eq!(a["tags"], Value::Map(BTreeMap::new()));
        let mut b = attrs_with_tags(Value::Map(BTreeMap::from([(
            "n".to_string(),
            Value::Bool(true),
        )])));
        normalize_tags(&mut b);
        assert_eq!(b["tags"].get("n"), Some(&Value::from("true")));
        let mut u = attrs_with_tags(Value::Map(BTreeMap::from([(
            "n".to_string(),
            Value::Unknown,
        )])));
        normalize_tags(&mut u);
        assert_eq!(u["tags"].get("n"), Some(&Value::Unknown));
    }

    #[test]
    fn ownership_is_read_from_full_tags() {
        let t = [
            ("forge:state", "l-1"),
            ("forge:stack", "demo"),
            ("forge:address", "bucket"),
            ("Name", "x"),
        ];
        let owner = Owner::new("l-1", "demo", None);
        assert!(owned_by(t, &owner, Some("bucket")));
        assert!(owned_by(t, &owner, None));
        assert!(!owned_by(t, &Owner::new("l-2", "demo", None), None));
        assert!(!owned_by(t, &owner, Some("role")));
        // Stack and address without the state tag: not owned.
        assert!(!owned_by(
            [("forge:stack", "demo"), ("forge:address", "bucket")],
            &owner,
            Some("bucket")
        ));
        assert_eq!(
            pick_orphan(vec!["b".into(), "a".into()], "x"),
            Some("a".into())
        );
        assert_eq!(pick_orphan(vec![], "x"), None);
    }
}
