//! Tag sync, once for every kind: the user's tags go from what the object
//! carries to what the spec says with at most one "tag" and one "untag"
//! call. Each service says once how it tags a resource ([`TagApi`]);
//! forge's ownership tags are never touched here (they are set at create).

use crate::kind::{Act, Kind, Service, Updated};
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
    send_tag_diff::<S>(client, resource, &user(prior), &user(desired)).await
}

/// Brings the tags of `resource` that forge manages from `prior` to
/// `desired` (both maps of only those tags) with at most one tag and one
/// untag call; none when they agree.
pub async fn send_tag_diff<S: TagApi>(
    client: &S::Client,
    resource: &str,
    prior: &BTreeMap<String, String>,
    desired: &BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    let (set, remove) = tags::diff(prior, desired);
    if !set.is_empty() {
        S::tag(client, resource, &set).await?;
    }
    if !remove.is_empty() {
        S::untag(client, resource, &remove).await?;
    }
    Ok(())
}

/// A service's [`TagApi`] from its two calls, each written as a closure
/// over the client, the resource and the tags (or keys) that returns the
/// request ready to send; the macro sends it and maps the error.
///
/// ```ignore
/// crate::kind::tag_calls!(Iam,
///     |c, r, tags| c.tag_role().role_name(r).set_tags(Some(iam_tags(tags)?)),
///     |c, r, keys| c.untag_role().role_name(r).set_tag_keys(Some(keys.to_vec())));
/// ```
macro_rules! tag_calls {
    (
        $svc:ty,
        |$c:ident, $r:ident, $tags:ident| $tag:expr,
        |$c2:ident, $r2:ident, $keys:ident| $untag:expr $(,)?
    ) => {
        impl $crate::kind::TagApi for $svc {
            async fn tag(
                $c: &<$svc as $crate::kind::Service>::Client,
                $r: &str,
                $tags: &std::collections::BTreeMap<String, String>,
            ) -> $crate::kind::Res<()> {
                let sent = $tag.send().await;
                sent.map_err(<$svc as $crate::kind::Service>::err)?;
                Ok(())
            }

            async fn untag(
                $c2: &<$svc as $crate::kind::Service>::Client,
                $r2: &str,
                $keys: &[String],
            ) -> $crate::kind::Res<()> {
                let sent = $untag.send().await;
                sent.map_err(<$svc as $crate::kind::Service>::err)?;
                Ok(())
            }
        }
    };
}
pub(crate) use tag_calls;

/// The end of an update whose other changes are made: the user's tags on
/// `resource` (the id or ARN the service tags by, when known) brought
/// from `prior` to `desired`, then the object read back.
pub async fn retag_and_read<K: Kind>(
    ctx: &Act<'_, K>,
    id: &str,
    resource: Option<&str>,
    prior: &Tags,
    desired: &Tags,
) -> Updated<K>
where
    K::Service: TagApi,
{
    if let Some(resource) = resource {
        sync_tags::<K::Service>(ctx.client, resource, prior, desired).await?;
    }
    K::read_back(ctx, id).await
}
