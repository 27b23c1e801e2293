//! Code shared by the ECS kinds: the client, error mapping, tags and the
//! capacity provider strategy model used by clusters and services.

use crate::clients::AwsClients;
use crate::elbv2::common::int_of;
use crate::error::{is_not_found, sdk_error};
use crate::tags;
use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{CapacityProviderStrategyItem, Tag};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use forge_core::{Attrs, FieldSchema, FieldType, Value};
use forge_engine::Owner;
use forge_engine::{ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The service name used in errors.
pub const SERVICE: &str = "ecs";

/// Concurrent ECS mutations the scheduler may run (ECS's control plane
/// throttles mutating calls at a few per second per action).
pub const CONCURRENCY: (&str, usize) = (SERVICE, 10);

/// Maps an ECS SDK error.
pub fn ecs_err<E>(err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    sdk_error(SERVICE, err)
}

/// Whether an ECS error means "that does not exist". ECS says so with
/// `*NotFoundException`, but also with a plain `ClientException` whose
/// message says the thing "does not exist" / "not found"
/// (DescribeTaskDefinition, DeregisterTaskDefinition on a bad revision),
/// and with `ServiceNotActiveException` for a service being deleted.
pub fn is_gone(err: &ProviderError) -> bool {
    match err {
        ProviderError::Api { code, message } => {
            is_not_found(err)
                || code == "ServiceNotActiveException"
                || (code == "ClientException" && {
                    let m = message.to_ascii_lowercase();
                    m.contains("does not exist")
                        || m.contains("not found")
                        || m.contains("unable to describe")
                })
        }
        _ => false,
    }
}

/// A delete's result with "already gone" counted as success.
pub fn delete_result(result: Result<(), ProviderError>) -> Result<(), ProviderError> {
    match result {
        Err(e) if is_gone(&e) => Ok(()),
        other => other,
    }
}

/// What every ECS provider holds: the shared client cache.
#[derive(Debug, Clone)]
pub struct EcsBase {
    clients: Arc<AwsClients>,
}

impl EcsBase {
    /// A base sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        EcsBase { clients }
    }

    /// The ECS client of a region.
    pub async fn client(&self, region: &str) -> Result<Client, ProviderError> {
        self.clients.client(region, Client::new).await
    }
}

/// ECS tags from a key/value map.
pub fn to_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The user's and forge's tags to pass at create.
pub fn create_tags(desired: &Attrs, ctx: &ResourceCtx) -> Vec<Tag> {
    to_tags(&tags::create_tags(desired, &ctx.system_tags))
}

/// The observed `tags` attribute (system tags hidden).
pub fn observed_tags(list: &[Tag]) -> Value {
    tags::observed_tags(
        list.iter()
            .filter_map(|t| Some((t.key()?, t.value().unwrap_or("")))),
    )
}

/// The value of one tag.
pub fn tag_value<'a>(list: &'a [Tag], key: &str) -> Option<&'a str> {
    list.iter()
        .find(|t| t.key() == Some(key))
        .and_then(Tag::value)
}

/// Whether the tags mark a resource as `address` (if given) of `stack`.
pub fn owned_by(list: &[Tag], owner: &Owner, address: Option<&str>) -> bool {
    tags::owned_by(
        list.iter().filter_map(|t| Some((t.key()?, t.value()?))),
        owner,
        address,
    )
}

/// Brings the user tags of `arn` from `prior` to `desired` with at most one
/// TagResource and one UntagResource call.
pub async fn sync_tags(
    client: &Client,
    arn: &str,
    prior: &Attrs,
    desired: &Attrs,
) -> Result<(), ProviderError> {
    let (set, remove) = tags::diff(&tags::user_tags(prior), &tags::user_tags(desired));
    if !set.is_empty() {
        client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(to_tags(&set)))
            .send()
            .await
            .map_err(ecs_err)?;
    }
    if !remove.is_empty() {
        client
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(ecs_err)?;
    }
    Ok(())
}

/// The schema of a capacity provider strategy.
pub fn strategy_schema() -> FieldType {
    FieldType::list(FieldType::object([
        (
            "capacity_provider",
            FieldSchema::required(FieldType::String)
                .describe("FARGATE, FARGATE_SPOT or a provider name."),
        ),
        (
            "weight",
            FieldSchema::optional(FieldType::Number)
                .default(0i64)
                .describe("Relative share of tasks."),
        ),
        (
            "base",
            FieldSchema::optional(FieldType::Number)
                .default(0i64)
                .describe("Tasks always placed here first."),
        ),
    ]))
}

/// The canonical strategy: defaults filled, sorted by provider (ECS treats
/// it as a set).
pub fn normalize_strategy(v: &Value) -> Value {
    let Value::List(items) = v else {
        return if v.is_null() {
            Value::List(Vec::new())
        } else {
            v.clone()
        };
    };
    let mut out: Vec<Value> = items
        .iter()
        .map(|i| match i.as_map() {
            Some(m) => {
                let mut o = BTreeMap::new();
                o.insert(
                    "capacity_provider".to_string(),
                    m.get("capacity_provider").cloned().unwrap_or(Value::Null),
                );
                for key in ["weight", "base"] {
                    let n = m
                        .get(key)
                        .filter(|v| !v.is_null())
                        .map_or(Value::int(0), crate::elbv2::common::number_value);
                    o.insert(key.to_string(), n);
                }
                Value::Map(o)
            }
            None => i.clone(),
        })
        .collect();
    if out.iter().all(Value::is_known) {
        out.sort_by_key(|v| {
            v.get("capacity_provider")
                .map(|c| c.to_json().to_string())
                .unwrap_or_default()
        });
    }
    Value::List(out)
}

/// The SDK strategy of a desired one.
pub fn to_sdk_strategy(
    v: Option<&Value>,
) -> Result<Vec<CapacityProviderStrategyItem>, ProviderError> {
    v.and_then(Value::as_list)
        .unwrap_or_default()
        .iter()
        .map(|i| {
            let n = |k: &str| {
                i.get(k)
                    .and_then(int_of)
                    .and_then(|x| i32::try_from(x).ok())
                    .unwrap_or(0)
            };
            CapacityProviderStrategyItem::builder()
                .set_capacity_provider(
                    i.get("capacity_provider")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                )
                .weight(n("weight"))
                .base(n("base"))
                .build()
                .map_err(|e| ProviderError::Invalid(format!("capacity provider strategy: {e}")))
        })
        .collect()
}

/// The canonical value of a described strategy.
pub fn from_sdk_strategy(items: &[CapacityProviderStrategyItem]) -> Value {
    normalize_strategy(&Value::List(
        items
            .iter()
            .map(|i| {
                Value::Map(BTreeMap::from([
                    (
                        "capacity_provider".to_string(),
                        Value::from(i.capacity_provider()),
                    ),
                    ("weight".to_string(), Value::int(i64::from(i.weight()))),
                    ("base".to_string(), Value::int(i64::from(i.base()))),
                ]))
            })
            .collect(),
    ))
}

/// The last path segment of an ECS ARN (`...:cluster/prod` -> `prod`), or
/// the text itself when it is already a name.
pub fn name_of(arn_or_name: &str) -> &str {
    if arn_or_name.starts_with("arn:") {
        arn_or_name.rsplit('/').next().unwrap_or(arn_or_name)
    } else {
        arn_or_name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn gone_covers_ecs_spellings() {
        let api = |c: &str, m: &str| ProviderError::Api {
            code: c.into(),
            message: m.into(),
        };
        assert!(is_gone(&api("ClusterNotFoundException", "")));
        assert!(is_gone(&api("ServiceNotActiveException", "")));
        assert!(is_gone(&api(
            "ClientException",
            "The specified task definition does not exist."
        )));
        assert!(!is_gone(&api("ClientException", "bad cpu")));
        assert!(delete_result(Err(api("ServiceNotFoundException", ""))).is_ok());
    }

    #[test]
    fn strategies_are_sets_with_defaults() {
        let a = normalize_strategy(&Value::from_json(&json!([
            {"capacity_provider": "FARGATE_SPOT", "weight": 3},
            {"capacity_provider": "FARGATE", "weight": 1, "base": 1},
        ])));
        let sdk = to_sdk_strategy(Some(&a)).unwrap();
        assert_eq!(sdk[0].capacity_provider(), "FARGATE");
        assert_eq!(from_sdk_strategy(&sdk), a);
        assert_eq!(a.as_list().unwrap()[1].get("base"), Some(&Value::int(0)));
        assert_eq!(normalize_strategy(&Value::Null), Value::List(vec![]));
    }

    #[test]
    fn names_from_arns() {
        assert_eq!(name_of("arn:aws:ecs:eu-west-1:1:cluster/prod"), "prod");
        assert_eq!(name_of("prod"), "prod");
    }
}
