//! Tag sync, once for every kind: the user's tags go from what the object
//! carries to what the spec says with at most one "tag" and one "untag"
//! call. Each service says once how it tags a resource ([`TagApi`]);
//! forge's ownership tags are never touched here (they are set at create).

use crate::kind::Service;
use crate::tags;
use forge_core::fields::Tags;
use forge_engine::ProviderError;
use std::collections::BTreeMap;
use std::future::Future;

/// How a service sets and removes tags on one of its resources, named by
/// the id or ARN the service's tagging calls take.
pub trait TagApi: Service {
    /// Sets (adds or overwrites) `tags`.
    fn tag(
        client: &Self::Client,
        resource: &str,
        tags: &BTreeMap<String, String>,
    ) -> impl Future<Output = Result<(), ProviderError>> + Send;

    /// Removes the tags with these keys.
    fn untag(
        client: &Self::Client,
        resource: &str,
        keys: &[String],
    ) -> impl Future<Output = Result<(), ProviderError>> + Send;
}

/// Brings the user tags of `resource` from `prior` to `desired`. System
/// tags (`forge:*`, `aws:*`) are never set or removed.
pub async fn sync_tags<S: TagApi>(
    client: &S::Client,
    resource: &str,
    prior: &Tags,
    desired: &Tags,
) -> Result<(), ProviderError> {
    let user = |t: &Tags| -> BTreeMap<String, String> {
        t.0.iter()
            .filter(|(k, _)| !tags::is_system_key(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let (set, remove) = tags::diff(&user(prior), &user(desired));
    if !set.is_empty() {
        S::tag(client, resource, &set).await?;
    }
    if !remove.is_empty() {
        S::untag(client, resource, &remove).await?;
    }
    Ok(())
}
