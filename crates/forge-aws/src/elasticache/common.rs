//! Code shared by the ElastiCache kinds: error mapping, tags (which
//! ElastiCache returns from no describe call, only per resource from
//! ListTagsForResource), ownership lookup for `find_orphan` /
//! `list_tagged`, and the engine-version pin rule.

use crate::clients::AwsClients;
use crate::error::sdk_error_busy;
pub use crate::error::{ignore_gone, is_gone};
use crate::paging::concurrent;
use crate::tags::{self, ADDRESS_TAG};
use aws_sdk_elasticache::Client;
use aws_sdk_elasticache::types::Tag;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use forge_core::Attrs;
use forge_engine::Owner;
use forge_engine::{Created, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The service name used in errors and as the concurrency group.
pub const SERVICE: &str = "elasticache";

/// Concurrent ElastiCache mutations. The control plane's quotas are modest
/// and group operations are long; a handful in flight is plenty.
pub const CONCURRENCY: (&str, usize) = (SERVICE, 5);

/// ListTagsForResource calls in flight at once.
pub const TAG_CONCURRENCY: usize = 8;

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

/// Maps an ElastiCache SDK error; "busy" states become transient so the
/// engine retries them with backoff.
pub fn ec_err<E>(err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    sdk_error_busy(SERVICE, BUSY_CODES, err)
}

/// What every ElastiCache provider holds: the shared client cache.
#[derive(Debug, Clone)]
pub struct EcBase {
    clients: Arc<AwsClients>,
}

impl EcBase {
    /// A base sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        EcBase { clients }
    }

    /// The ElastiCache client of a region.
    pub async fn client(&self, region: &str) -> Result<Client, ProviderError> {
        self.clients.client(region, Client::new).await
    }
}

/// ElastiCache tags from a key/value map.
pub fn to_tags(map: &BTreeMap<String, String>) -> Vec<Tag> {
    map.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The tags of one resource, by ARN. A resource gone meanwhile has none.
pub async fn list_tags(client: &Client, arn: &str) -> Result<Vec<(String, String)>, ProviderError> {
    match client
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(ec_err)
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
pub async fn tags_by_arn(
    client: &Client,
    arns: Vec<String>,
) -> Result<BTreeMap<String, Vec<(String, String)>>, ProviderError> {
    let tagged = concurrent(arns, TAG_CONCURRENCY, |arn| async move {
        let t = list_tags(client, &arn).await?;
        Ok((arn, t))
    })
    .await?;
    Ok(tagged.into_iter().collect())
}

/// The `tags` attribute from a resource's full tag list.
pub fn observed_tags(list: Option<&Vec<(String, String)>>) -> forge_core::Value {
    tags::observed_tags(
        list.into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    )
}

/// The value of one tag.
pub fn tag_value<'a>(list: &'a [(String, String)], key: &str) -> Option<&'a str> {
    list.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Brings the user tags of `arn` from `prior` to `desired` (plus `extra`
/// forge-setting tags to set) with at most one AddTagsToResource and one
/// RemoveTagsFromResource. Ownership tags are never touched.
pub async fn sync_tags(
    client: &Client,
    arn: &str,
    prior: &Attrs,
    desired: &Attrs,
    extra: BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    let (mut set, remove) = tags::diff(&tags::user_tags(prior), &tags::user_tags(desired));
    set.extend(extra);
    if !set.is_empty() {
        client
            .add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(to_tags(&set)))
            .send()
            .await
            .map_err(ec_err)?;
    }
    if !remove.is_empty() {
        client
            .remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(ec_err)?;
    }
    Ok(())
}

/// Among `(id, arn)` pairs of every listed resource of a kind, those whose
/// tags mark them as owned by `stack` (and `address`, given), with their
/// `forge:address` tag: one tag read per resource, since no ElastiCache
/// list call returns or filters by tags.
pub async fn owned(
    client: &Client,
    items: Vec<(String, String)>,
    owner: &Owner,
    address: Option<&str>,
) -> Result<Vec<(String, Option<String>)>, ProviderError> {
    let tagged = concurrent(items, TAG_CONCURRENCY, |(id, arn)| async move {
        let t = list_tags(client, &arn).await?;
        Ok((id, t))
    })
    .await?;
    Ok(tagged
        .into_iter()
        .filter(|(_, t)| {
            tags::owned_by(
                t.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                owner,
                address,
            )
        })
        .map(|(id, t)| {
            let addr = tag_value(&t, ADDRESS_TAG).map(str::to_string);
            (id, addr)
        })
        .collect())
}

/// The whole of an ElastiCache kind's `find_orphan`: among its listed
/// `(id, arn)` pairs, the one tagged with `ctx`'s stack and address, read
/// with `observe`.
pub async fn adopt_orphan<F, Fut>(
    client: &Client,
    items: Vec<(String, String)>,
    ctx: &ResourceCtx,
    observe: F,
) -> Result<Option<Created>, ProviderError>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<BTreeMap<String, Attrs>, ProviderError>>,
{
    let address = ctx.address.to_string();
    let found = owned(client, items, &ctx.owner, Some(&address)).await?;
    tags::adopt_owned(ctx, found, observe).await
}

/// Whether the spec's engine version pin is satisfied by the live version.
/// The prefix rule is RDS's ([`crate::rds::common::version_covers`]: `7`
/// and `7.1` accept `7.1.x`); ElastiCache also accepts its own spelling
/// `6.x` ("the latest 6"), which AWS itself reports as e.g. `6.2.6`.
pub fn version_pin_matches(pin: &str, live: &str) -> bool {
    let pin = pin.trim().trim_end_matches(".x");
    !pin.is_empty() && crate::rds::common::version_covers(pin, live)
}

/// Plans with the live engine version when the spec's pin accepts it, so a
/// minor version AWS picked or upgraded to is not a diff.
pub fn align_version(prior: Option<&Attrs>, desired: &mut Attrs) {
    let live = prior.and_then(|p| crate::attrs::opt_str(p, "engine_version"));
    let pin = crate::attrs::opt_str(desired, "engine_version");
    if let (Some(live), Some(pin)) = (live, pin)
        && version_pin_matches(pin, live)
    {
        let live = live.to_string();
        desired.insert("engine_version".into(), forge_core::Value::String(live));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::busy_as_transient;

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
        assert!(matches!(
            busy_as_transient(SERVICE, BUSY_CODES, api("InvalidReplicationGroupState")),
            ProviderError::Transient { .. }
        ));
        assert!(matches!(
            busy_as_transient(SERVICE, BUSY_CODES, api("InvalidParameterCombination")),
            ProviderError::Api { .. }
        ));
    }

    #[test]
    fn tags_are_read_without_system_keys() {
        let list = vec![
            ("Name".to_string(), "cache".to_string()),
            ("forge:stack".to_string(), "s".to_string()),
        ];
        let v = observed_tags(Some(&list));
        assert_eq!(v.as_map().map(|m| m.len()), Some(1));
        assert_eq!(tag_value(&list, "forge:stack"), Some("s"));
        assert_eq!(observed_tags(None).as_map().map(|m| m.len()), Some(0));
    }
}
