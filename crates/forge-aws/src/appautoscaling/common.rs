//! Code shared by the Application Auto Scaling kinds: the client, error
//! mapping, and the composite ids.
//!
//! Scalable targets and scaling policies are identified by what they scale
//! (namespace, resource id, dimension), not by an id AWS hands out, and
//! both are upserts (RegisterScalableTarget and PutScalingPolicy create or
//! update). forge's id is that identity joined with `|`
//! (`ecs|service/prod/api|ecs:service:DesiredCount`, plus `|policy-name`
//! for policies), so observe can batch by namespace.

use crate::clients::AwsClients;
use crate::error::sdk_error;
use aws_sdk_applicationautoscaling::Client;
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use forge_core::{Attrs, KindSchema};
use forge_engine::ProviderError;
use std::sync::Arc;

/// The service name used in errors and as the concurrency group.
pub const SERVICE: &str = "application-autoscaling";

/// Concurrent mutations the scheduler may run.
pub const CONCURRENCY: (&str, usize) = (SERVICE, 5);

/// Resource ids per DescribeScalableTargets / policy names per
/// DescribeScalingPolicies call (the APIs' limit).
pub const BATCH: usize = 50;

/// Maps an Application Auto Scaling SDK error.
pub fn aas_err<E>(err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    sdk_error(SERVICE, err)
}

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
    match result {
        Err(e) if is_gone(&e) => Ok(()),
        other => other.map(|_| ()),
    }
}

/// The attributes of a resource just created or updated (shared helper).
pub use crate::attrs::observed;

/// The shared normalization of both kinds, which carry no tags (the
/// common step adds an empty map, removed again here).
pub fn normalize_untagged(schema: &KindSchema, mut attrs: Attrs) -> Attrs {
    crate::normalize::normalize_common(schema, &mut attrs);
    attrs.remove("tags");
    attrs
}

/// What every Application Auto Scaling provider holds.
#[derive(Debug, Clone)]
pub struct AasBase {
    clients: Arc<AwsClients>,
}

impl AasBase {
    /// A base sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        AasBase { clients }
    }

    /// The client of a region.
    pub async fn client(&self, region: &str) -> Result<Client, ProviderError> {
        self.clients.client(region, Client::new).await
    }
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
    /// The identity in desired or observed attributes.
    pub fn of(attrs: &Attrs) -> Result<Scaled, ProviderError> {
        Ok(Scaled {
            namespace: crate::attrs::req_str(attrs, "service_namespace")?.to_string(),
            resource_id: crate::attrs::req_str(attrs, "resource_id")?.to_string(),
            dimension: crate::attrs::req_str(attrs, "scalable_dimension")?.to_string(),
        })
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
