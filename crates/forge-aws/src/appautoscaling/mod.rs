//! Application Auto Scaling kinds: scalable targets and target tracking
//! policies. This module holds what both share: the service and the
//! composite ids.
//!
//! Scalable targets and scaling policies are identified by what they scale
//! (namespace, resource id, dimension), not by an id AWS hands out, and
//! both are upserts (RegisterScalableTarget and PutScalingPolicy create or
//! update). forge's id is that identity joined with `|`
//! (`ecs|service/prod/api|ecs:service:DesiredCount`, plus `|policy-name`
//! for policies), so observe can batch by namespace.

pub mod policy;
pub mod target;

pub use policy::PolicyKind;
pub use target::TargetKind;

use crate::paging::{collect_pages, for_chunks};
use aws_sdk_applicationautoscaling::Client;
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use forge_engine::ProviderError;
use std::collections::BTreeMap;
use std::future::Future;

crate::kind::declare_service! {
    /// The Application Auto Scaling service.
    pub struct AppAutoScaling: Client = Client::new, "application-autoscaling";
    concurrency 5;
    kinds [TargetKind, PolicyKind];
}

/// Sets the identity `s` (namespace, resource id, dimension) on a request:
/// every call on a target or policy takes all three.
macro_rules! on_scaled {
    ($call:expr, $s:expr) => {
        $call
            .service_namespace($s.sdk_namespace())
            .resource_id(&$s.resource_id)
            .scalable_dimension($s.sdk_dimension())
    };
}
pub(crate) use on_scaled;

/// One page of a describe call (`$items`: the answer's list).
macro_rules! page {
    ($call:expr, $items:ident) => {{
        let call = $call;
        async move {
            let o = call.send().await.map_err(AppAutoScaling::err)?;
            Ok((o.$items.unwrap_or_default(), o.next_token))
        }
    }};
}
pub(crate) use page;

/// Writes, inside a kind's `#[async_trait] impl Kind`, the methods of an
/// object whose one write call is an upsert (RegisterScalableTarget,
/// PutScalingPolicy): `create` and `update` both send `$put(client,
/// desired)`, which answers the id, and read the object back (the identity
/// cannot change in place, so the update's id is the upsert's); and an
/// empty `list_owned`: neither carries tags here (targets: see
/// `target.rs`; AWS tags no scaling policy), so nothing proves ownership,
/// and the write being an upsert, a retried create takes over what a
/// crashed run wrote anyway.
///
/// The methods are spelled through [`kind_method`](crate::kind::kind_method).
macro_rules! upsert_methods {
    ($put:path) => {
        $crate::kind::kind_method!(create(ctx, desired, _token) {
            Self::made(ctx, $put(ctx.client, desired).await?).await
        });

        $crate::kind::kind_method!(update(ctx, _id, u) {
            let id = $put(ctx.client, u.desired).await?;
            Self::read_back(ctx, &id).await
        });

        $crate::kind::kind_method!(list_owned(_ctx, _address) { Ok(Vec::new()) });
    };
}
pub(crate) use upsert_methods;

/// Resource ids per DescribeScalableTargets / policy names per
/// DescribeScalingPolicies call (the APIs' limit).
pub const BATCH: usize = 50;

/// Whether an error means the target or policy is gone: AWS says
/// `ObjectNotFoundException`; some endpoints (the emulator among them) say
/// `ValidationException: No scaling policy found ...` instead.
pub fn is_gone(err: &ProviderError) -> bool {
    match err {
        ProviderError::Api { code, message } => {
            code == "ObjectNotFoundException"
                || (code == "ValidationException"
                    && (message.starts_with("No scaling policy found")
                        || message.starts_with("No scalable target found")))
        }
        _ => false,
    }
}

/// A delete's outcome: "already gone" counts as done (deletes are
/// idempotent).
pub fn gone_is_ok<T>(result: Result<T, ProviderError>) -> Result<(), ProviderError> {
    crate::error::ok_if(result, is_gone)
}

/// Describes, per namespace, the objects of `ids` in chunks of [`BATCH`]
/// keys, every page: `key` is what the describe filters by (the resource
/// id or the policy name) and `fetch` one page of one chunk.
pub async fn describe_by_namespace<T, F, Fut>(
    ids: &[String],
    key: impl Fn(Scaled, Option<String>) -> Result<String, ProviderError>,
    fetch: F,
) -> Result<Vec<T>, ProviderError>
where
    F: Fn(ServiceNamespace, Vec<String>, Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), ProviderError>>,
{
    let mut by_ns: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in ids {
        let (s, rest) = Scaled::parse(id)?;
        let ns = s.namespace.clone();
        by_ns.entry(ns).or_default().push(key(s, rest)?);
    }
    let mut out = Vec::new();
    for (ns, keys) in by_ns {
        let (ns, fetch) = (&ns, &fetch);
        out.extend(
            for_chunks(&keys, BATCH, |chunk| async move {
                let chunk = &chunk;
                collect_pages(|token| {
                    fetch(ServiceNamespace::from(ns.as_str()), chunk.clone(), token)
                })
                .await
            })
            .await?,
        );
    }
    Ok(out)
}

/// What a scalable target (and a policy on it) is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Scaled {
    /// `ecs`, `dynamodb`, ...
    pub namespace: String,
    /// `service/<cluster>/<service>` for ECS.
    pub resource_id: String,
    /// `ecs:service:DesiredCount` for ECS.
    pub dimension: String,
}

impl Scaled {
    /// The identity of desired fields (unset namespace and dimension take
    /// their defaults).
    pub fn new(namespace: &Option<String>, resource_id: &str, dimension: &Option<String>) -> Self {
        Scaled {
            namespace: namespace
                .clone()
                .unwrap_or_else(|| DEFAULT_NAMESPACE.into()),
            resource_id: resource_id.to_string(),
            dimension: dimension
                .clone()
                .unwrap_or_else(|| DEFAULT_DIMENSION.into()),
        }
    }

    /// The identity as AWS reports it.
    pub fn of(
        namespace: &ServiceNamespace,
        resource_id: &str,
        dimension: &ScalableDimension,
    ) -> Self {
        Scaled {
            namespace: namespace.as_str().to_string(),
            resource_id: resource_id.to_string(),
            dimension: dimension.as_str().to_string(),
        }
    }

    /// The namespace as the SDK's type.
    pub fn sdk_namespace(&self) -> ServiceNamespace {
        ServiceNamespace::from(self.namespace.as_str())
    }

    /// The dimension as the SDK's type.
    pub fn sdk_dimension(&self) -> ScalableDimension {
        ScalableDimension::from(self.dimension.as_str())
    }

    /// forge's id of the target.
    pub fn id(&self) -> String {
        format!("{}|{}|{}", self.namespace, self.resource_id, self.dimension)
    }

    /// Parses a target id; the rest after the third `|` (a policy name)
    /// is returned too.
    pub fn parse(id: &str) -> Result<(Scaled, Option<String>), ProviderError> {
        let mut parts = id.splitn(4, '|');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(n), Some(r), Some(d), rest)
                if !n.is_empty() && !r.is_empty() && !d.is_empty() =>
            {
                Ok((
                    Scaled {
                        namespace: n.to_string(),
                        resource_id: r.to_string(),
                        dimension: d.to_string(),
                    },
                    rest.map(str::to_string),
                ))
            }
            _ => Err(ProviderError::Invalid(format!(
                "`{id}` is not an Application Auto Scaling id (namespace|resource_id|dimension[|policy])"
            ))),
        }
    }
}

/// The namespace when unset.
pub const DEFAULT_NAMESPACE: &str = "ecs";
/// The dimension when unset.
pub const DEFAULT_DIMENSION: &str = "ecs:service:DesiredCount";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let s = Scaled {
            namespace: "ecs".into(),
            resource_id: "service/app/api".into(),
            dimension: "ecs:service:DesiredCount".into(),
        };
        assert_eq!(s.id(), "ecs|service/app/api|ecs:service:DesiredCount");
        assert_eq!(Scaled::parse(&s.id()).unwrap(), (s.clone(), None));
        let (p, name) = Scaled::parse(&format!("{}|cpu-70", s.id())).unwrap();
        assert_eq!((p, name.as_deref()), (s, Some("cpu-70")));
        assert!(Scaled::parse("ecs|x").is_err());
        assert!(is_gone(&ProviderError::Api {
            code: "ObjectNotFoundException".into(),
            message: String::new()
        }));
        let validation = |m: &str| ProviderError::Api {
            code: "ValidationException".into(),
            message: m.into(),
        };
        assert!(is_gone(&validation(
            "No scaling policy found for service namespace: ecs"
        )));
        assert!(!is_gone(&validation("min_capacity must be below max")));
    }
}
