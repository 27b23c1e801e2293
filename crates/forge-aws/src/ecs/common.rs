//! Code shared by the ECS kinds: "gone" in ECS's spellings, tags, names
//! from ARNs, the cluster listing, ownership and the capacity provider
//! strategy model used by clusters and services.

use super::Ecs;
use crate::error::is_not_found;
use crate::kind::{Owned, Service};
use crate::paging::collect_pages;
use crate::tags;
use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{CapacityProviderStrategyItem, Tag};
use forge_core::Value;
use forge_core::fields::Tags;
use forge_engine::{ObserveCtx, ProviderError, ResourceCtx};
use std::collections::BTreeMap;

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
    crate::error::ok_if(result, is_gone)
}

/// ECS tags from a key/value map.
pub fn to_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags::tag_list(tags, |k, v| Tag::builder().key(k).value(v).build())
}

/// The user's and forge's tags to pass at create.
pub fn create_tags(desired: &Tags, ctx: &ResourceCtx) -> Option<Vec<Tag>> {
    Some(to_tags(&tags::with_system(desired, &ctx.system_tags)))
}

/// A list of objects ECS treats as a set, in canonical form: null is
/// empty, each object put in shape by `item`, the list sorted by `key`
/// when fully known.
pub fn normalize_object_set(
    v: &Value,
    item: impl Fn(&BTreeMap<String, Value>) -> Value,
    key: impl Fn(&Value) -> String,
) -> Value {
    let Value::List(items) = v else {
        return if v.is_null() {
            Value::List(Vec::new())
        } else {
            v.clone()
        };
    };
    let mut out: Vec<Value> = items
        .iter()
        .map(|i| i.as_map().map_or_else(|| i.clone(), &item))
        .collect();
    if out.iter().all(Value::is_known) {
        out.sort_by_key(|v| key(v));
    }
    Value::List(out)
}

/// The canonical strategy: defaults filled, sorted by provider (ECS treats
/// it as a set).
pub fn normalize_strategy(v: &Value) -> Value {
    let item = |m: &BTreeMap<String, Value>| {
        let mut o = BTreeMap::new();
        o.insert(
            "capacity_provider".to_string(),
            m.get("capacity_provider").cloned().unwrap_or(Value::Null),
        );
        for key in ["weight", "base"] {
            let n = m
                .get(key)
                .filter(|v| !v.is_null())
                .map_or(Value::int(0), crate::normalize::number_value);
            o.insert(key.to_string(), n);
        }
        Value::Map(o)
    };
    normalize_object_set(v, item, |v| {
        v.get("capacity_provider")
            .map(|c| c.to_json().to_string())
            .unwrap_or_default()
    })
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

/// One item of a capacity provider strategy (ECS treats the strategy as a
/// set, keyed by provider).
#[derive(Debug, Clone, PartialEq, Eq, forge_derive::Fields)]
pub struct StrategyItem {
    /// FARGATE, FARGATE_SPOT or a provider name.
    pub capacity_provider: String,
    /// Relative share of tasks.
    #[field(default = 0i64)]
    pub weight: Option<i64>,
    /// Tasks always placed here first.
    #[field(default = 0i64)]
    pub base: Option<i64>,
}

/// A described strategy, typed and in canonical order.
pub fn strategy_of(items: &[CapacityProviderStrategyItem]) -> Vec<StrategyItem> {
    let mut out: Vec<StrategyItem> = items
        .iter()
        .map(|i| StrategyItem {
            capacity_provider: i.capacity_provider().to_string(),
            weight: Some(i64::from(i.weight())),
            base: Some(i64::from(i.base())),
        })
        .collect();
    out.sort_by(|a, b| a.capacity_provider.cmp(&b.capacity_provider));
    out
}

/// The SDK strategy of a desired one.
pub fn sdk_strategy(
    items: &[StrategyItem],
) -> Result<Vec<CapacityProviderStrategyItem>, ProviderError> {
    let n = |v: Option<i64>| v.and_then(|x| i32::try_from(x).ok()).unwrap_or(0);
    items
        .iter()
        .map(|i| {
            CapacityProviderStrategyItem::builder()
                .capacity_provider(&i.capacity_provider)
                .weight(n(i.weight))
                .base(n(i.base))
                .build()
                .map_err(|e| ProviderError::Invalid(format!("capacity provider strategy: {e}")))
        })
        .collect()
}

/// The key/value pairs of ECS tags (a tag without a value reads as "").
pub fn tag_pairs(list: &[Tag]) -> impl Iterator<Item = (&str, &str)> + Clone {
    list.iter()
        .filter_map(|t| Some((t.key()?, t.value().unwrap_or(""))))
}

/// Every cluster ARN of the region (ListClusters, all pages).
pub async fn cluster_arns(client: &Client) -> Result<Vec<String>, ProviderError> {
    collect_pages(|token| async move {
        let out = client
            .list_clusters()
            .set_next_token(token)
            .max_results(100)
            .send()
            .await
            .map_err(Ecs::err)?;
        Ok((out.cluster_arns.unwrap_or_default(), out.next_token))
    })
    .await
}

/// Of described objects (with their tags and ARN), those `ctx`'s state
/// owns (as `address`, if given), sorted by ARN.
pub fn owned_of<T>(
    ctx: &ObserveCtx,
    address: Option<&str>,
    objects: &[T],
    parts: impl Fn(&T) -> (&[Tag], Option<&str>),
) -> Vec<Owned> {
    let mut out: Vec<Owned> = objects
        .iter()
        .filter_map(|o| {
            let (t, arn) = parts(o);
            tags::owned_entry(&ctx.owner, tag_pairs(t), arn?, address)
        })
        .collect();
    out.sort();
    out
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
        let typed = <Vec<StrategyItem> as forge_core::fields::FieldValue>::from_value(&a).unwrap();
        let sdk = sdk_strategy(&typed).unwrap();
        assert_eq!(sdk[0].capacity_provider(), "FARGATE");
        assert_eq!(strategy_of(&sdk), typed);
        assert_eq!(a.as_list().unwrap()[1].get("base"), Some(&Value::int(0)));
        assert_eq!(normalize_strategy(&Value::Null), Value::List(vec![]));
    }

    #[test]
    fn names_from_arns() {
        assert_eq!(name_of("arn:aws:ecs:eu-west-1:1:cluster/prod"), "prod");
        assert_eq!(name_of("prod"), "prod");
    }
}
