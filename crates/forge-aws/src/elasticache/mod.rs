//! ElastiCache kinds: cache subnet groups, parameter groups and Redis OSS /
//! Valkey replication groups. This module holds what they share: the
//! service (its "busy" errors are transient), its tag calls, the tag reads
//! (ElastiCache returns tags from no describe call, only per resource from
//! ListTagsForResource) and the ownership listing built on them.

pub mod parameter_group;
pub mod pending;
pub mod replication_group;
pub mod subnet_group;

pub use parameter_group::ParameterGroupKind;
pub use replication_group::ReplicationGroupKind;
pub use subnet_group::SubnetGroupKind;

use crate::error::is_gone;
use crate::kind::{Owned, Service};
use crate::paging::concurrent;
use crate::tags::ADDRESS_TAG;
use aws_sdk_elasticache::Client;
use aws_sdk_elasticache::types::Tag;
use forge_core::Value;
use forge_engine::{ObserveCtx, ProviderError, ResourceCtx};
use std::collections::BTreeMap;

/// The description sent when the spec sets none (the API requires one).
pub const DEFAULT_DESCRIPTION: &str = "Managed by forge";

/// ListTagsForResource calls in flight at once.
const TAG_CONCURRENCY: usize = 8;

/// Error codes meaning "the object is busy, ask again shortly": AWS
/// refuses modifications while a group or cluster is not `available`
/// (creating, modifying, snapshotting), and documents retrying later.
const BUSY_CODES: &[&str] = &[
    "InvalidReplicationGroupState",
    "InvalidReplicationGroupStateFault",
    "InvalidCacheClusterState",
    "InvalidCacheClusterStateFault",
    "InvalidCacheParameterGroupState",
    "InvalidCacheParameterGroupStateFault",
];

crate::kind::declare_service! {
    /// The ElastiCache service.
    pub struct ElastiCache: Client = Client::new, "elasticache";
    /// The control plane's quotas are modest and group operations are
    /// long; a handful in flight is plenty.
    concurrency 5;
    busy BUSY_CODES;
    kinds [SubnetGroupKind, ParameterGroupKind, ReplicationGroupKind];
}

// ElastiCache tags resources by ARN: AddTagsToResource /
// RemoveTagsFromResource.
crate::tags::arn_tag_api!(ElastiCache, aws_sdk_elasticache);

/// The tags a create sets: the user's, forge's system tags and `extra`
/// (recorded forge settings).
pub(crate) fn create_tags(
    user: &forge_core::fields::Tags,
    ctx: &ResourceCtx,
    extra: BTreeMap<String, String>,
) -> Option<Vec<Tag>> {
    let mut all = crate::tags::with_system(user, &ctx.system_tags);
    all.extend(extra);
    Some(to_tags(&all))
}

/// The listed items named among `ids` (names compare exactly).
pub(crate) fn named<T>(all: Vec<T>, ids: &[String], name: fn(&T) -> Option<&str>) -> Vec<T> {
    let wanted = |t: &T| name(t).is_some_and(|n| ids.iter().any(|i| i == n));
    all.into_iter().filter(wanted).collect()
}

/// A resource's full tag list (system tags included), as key/value pairs.
pub(crate) type TagList = Vec<(String, String)>;

/// Every tag of one resource, by ARN. A resource gone meanwhile has none.
async fn list_tags(client: &Client, arn: &str) -> Result<TagList, ProviderError> {
    match client
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(ElastiCache::err)
    {
        Ok(out) => Ok(out
            .tag_list()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
            .collect()),
        Err(e) if is_gone(&e) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// The tags of many resources: one ListTagsForResource per ARN (the API
/// has no batched form), at most [`TAG_CONCURRENCY`] in flight. Keyed by
/// ARN.
pub(crate) async fn tags_by_arn(
    client: &Client,
    arns: Vec<String>,
) -> Result<BTreeMap<String, TagList>, ProviderError> {
    let tagged = concurrent(arns, TAG_CONCURRENCY, |arn| async move {
        let t = list_tags(client, &arn).await?;
        Ok((arn, t))
    })
    .await?;
    Ok(tagged.into_iter().collect())
}

/// The user's tags of a resource's full tag list.
pub(crate) fn user_tags(list: Option<&TagList>) -> forge_core::fields::Tags {
    crate::tags::observed_map(pairs(list.map(Vec::as_slice).unwrap_or_default()))
}

fn pairs(list: &[(String, String)]) -> impl Iterator<Item = (&str, &str)> {
    list.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// The value of one tag.
pub(crate) fn tag_value<'a>(list: &'a [(String, String)], key: &str) -> Option<&'a str> {
    list.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Among every listed resource of a kind (`id` and `arn` read from each),
/// those whose tags mark them as owned by `ctx`'s state (and `address`,
/// given), with their `forge:address` tag: one tag read per resource, since
/// no ElastiCache list call returns or filters by tags.
pub(crate) async fn owned<T>(
    client: &Client,
    ctx: &ObserveCtx,
    all: &[T],
    id: fn(&T) -> Option<&str>,
    arn: fn(&T) -> Option<&str>,
    address: Option<&str>,
) -> Result<Vec<Owned>, ProviderError> {
    let items = all
        .iter()
        .filter_map(|t| Some((id(t)?.to_string(), arn(t)?.to_string())));
    let tagged = concurrent(items.collect(), TAG_CONCURRENCY, |(id, arn)| async move {
        Ok((id, list_tags(client, &arn).await?))
    })
    .await?;
    Ok(tagged
        .into_iter()
        .filter(|(_, t)| ctx.owner.owns(pairs(t), address))
        .map(|(id, t)| {
            let at = tag_value(&t, ADDRESS_TAG).map(str::to_string);
            (id, at)
        })
        .collect())
}

/// Whether the spec's engine version pin is satisfied by the live version:
/// the prefix rule ([`crate::normalize::version_covers`]: `7` and `7.1`
/// accept `7.1.x`), plus ElastiCache's own spelling `6.x` ("the latest
/// 6"), which AWS itself reports as e.g. `6.2.6`.
pub fn version_pin_matches(pin: &str, live: &str) -> bool {
    let pin = pin.trim().trim_end_matches(".x");
    !pin.is_empty() && crate::normalize::version_covers(pin, live)
}

/// A field normalizer: text in lower case (AWS reports `Redis`, `SUN:...`).
pub(crate) fn lowercase(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(s.to_ascii_lowercase()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{busy_as_transient, ignore_gone};

    #[test]
    fn version_pins_match_by_prefix() {
        assert!(version_pin_matches("7", "7.1.0"));
        assert!(version_pin_matches("7.1", "7.1.2"));
        assert!(version_pin_matches("7.1.0", "7.1.0"));
        assert!(version_pin_matches("6.x", "6.2.6"));
        assert!(!version_pin_matches("7.1", "7.0.7"));
        assert!(!version_pin_matches("7", "17.0.1"));
        assert!(!version_pin_matches("7.1.0", "7.1"));
        assert!(!version_pin_matches("", "7.1"));
    }

    #[test]
    fn gone_and_busy_codes() {
        let api = |code: &str| ProviderError::Api {
            code: code.into(),
            message: "m".into(),
        };
        assert!(is_gone(&api("ReplicationGroupNotFoundFault")));
        assert!(is_gone(&api("CacheSubnetGroupNotFoundFault")));
        assert!(is_gone(&api("CacheParameterGroupNotFound")));
        assert!(!is_gone(&api("InvalidParameterValue")));
        assert!(ignore_gone(Err(api("CacheClusterNotFound"))).is_ok());
        let name = ElastiCache::NAME;
        assert!(matches!(
            busy_as_transient(name, BUSY_CODES, api("InvalidReplicationGroupState")),
            ProviderError::Transient { .. }
        ));
        assert!(matches!(
            busy_as_transient(name, BUSY_CODES, api("InvalidParameterCombination")),
            ProviderError::Api { .. }
        ));
    }

    #[test]
    fn tags_are_read_without_system_keys() {
        let list = vec![
            ("Name".to_string(), "cache".to_string()),
            ("forge:stack".to_string(), "s".to_string()),
        ];
        assert_eq!(user_tags(Some(&list)).0.len(), 1);
        assert_eq!(tag_value(&list, "forge:stack"), Some("s"));
        assert_eq!(user_tags(None).0.len(), 0);
        assert_eq!(
            lowercase(&Value::from("SUN:23:00")),
            Value::from("sun:23:00")
        );
    }
}
