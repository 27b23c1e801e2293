//! `aws.elasticache.parameter_group`: a cache parameter group with the
//! parameters the user sets.
//!
//! Name, family and description cannot change (CreateCacheParameterGroup
//! is the only call that takes them: replacement). Parameters change in
//! place: ModifyCacheParameterGroup for values set or changed,
//! ResetCacheParameterGroup for parameters removed from the spec (back to
//! the engine default), at most 20 per request as the API allows.
//!
//! Only user-set parameters are compared: observe reads
//! DescribeCacheParameters with `Source=user`, so the hundreds of engine
//! defaults never show as a diff.
//!
//! Observe cost: DescribeCacheParameterGroups takes one name or none, so
//! observe lists every group of the region (paged with `Marker`) in one
//! call sequence and keeps the names asked for; then per group found one
//! DescribeCacheParameters (paged) and one ListTagsForResource, at most
//! eight groups in flight. n groups of a region with N cost
//! ceil(N/100) + 2n requests.

use super::{DEFAULT_DESCRIPTION, ElastiCache, create_tags, named, owned, tags_by_arn, user_tags};
use crate::error::is_gone;
use crate::kind::prelude::*;
use crate::paging::{concurrent, marker_pages};
use crate::tags;
use aws_sdk_elasticache::Client;
use aws_sdk_elasticache::types::{CacheParameterGroup, ParameterNameValue};
use forge_core::{Attrs, Value};
use std::collections::BTreeMap;

/// Parameters per Modify/ResetCacheParameterGroup request (the API's cap).
pub const PARAMETERS_PER_CALL: usize = 20;

/// Groups read at once by observe.
const READ_CONCURRENCY: usize = 8;

crate::kind::declare_kind!(ParameterGroupKind: "aws.elasticache.parameter_group", ElastiCache, ParameterGroupFields,
    "An ElastiCache cache parameter group.");

/// The fields of `aws.elasticache.parameter_group`.
#[derive(Debug, Clone, Fields)]
pub struct ParameterGroupFields {
    /// The group's name (CacheParameterGroupName).
    #[field(force_new)]
    pub name: String,
    /// The engine family (CacheParameterGroupFamily), e.g. redis7, valkey8.
    #[field(force_new)]
    pub family: String,
    /// What the group is for (fixed at creation).
    #[field(force_new, default = DEFAULT_DESCRIPTION)]
    pub description: Option<String>,
    /// Parameter name -> value, only those set explicitly; removed ones reset to the engine default.
    #[field(normalize = param_values)]
    pub parameters: Option<BTreeMap<String, String>>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The group's ARN.
    pub arn: Computed<String>,
}

/// YAML numbers and booleans (`timeout: 300`) mean their text, which is
/// what the API returns (a boolean is `yes` / `no`). A map holding unknown
/// values is left alone.
fn param_values(value: &Value) -> Value {
    match value {
        Value::Map(m) if m.values().all(Value::is_known) => Value::Map(
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), Value::String(param_text(v)?))))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn param_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(if *b { "yes" } else { "no" }.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Sensitive(inner) => param_text(inner),
        _ => None,
    }
}

async fn describe_all(client: &Client) -> Result<Vec<CacheParameterGroup>, ProviderError> {
    let request = || client.describe_cache_parameter_groups();
    marker_pages!(request(), cache_parameter_groups, ElastiCache::err)
}

/// The user-set parameters of a group (`None`: the group is gone).
async fn user_params(
    client: &Client,
    name: &str,
) -> Result<Option<BTreeMap<String, String>>, ProviderError> {
    let request = || client.describe_cache_parameters().source("user");
    let pages: Result<Vec<_>, _> = marker_pages!(
        request().cache_parameter_group_name(name),
        parameters,
        ElastiCache::err
    );
    match pages {
        Ok(list) => Ok(Some(
            list.iter()
                // Filtered again: `Source` is a request hint, the answer is
                // what counts.
                .filter(|p| p.source().is_none_or(|s| s == "user"))
                .filter_map(|p| {
                    let value = p.parameter_value().unwrap_or("").to_string();
                    Some((p.parameter_name()?.to_string(), value))
                })
                .collect(),
        )),
        Err(e) if is_gone(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// What to change: (name, value) pairs to set, and names to reset.
fn param_changes(
    prior: &ParameterGroupFields,
    desired: &ParameterGroupFields,
) -> (Vec<(String, String)>, Vec<String>) {
    let (before, after) = (
        prior.parameters.clone().unwrap_or_default(),
        desired.parameters.clone().unwrap_or_default(),
    );
    let (set, reset) = tags::diff(&before, &after);
    (set.into_iter().collect(), reset)
}

async fn apply_params(
    client: &Client,
    name: &str,
    (set, reset): (Vec<(String, String)>, Vec<String>),
) -> Result<(), ProviderError> {
    let value = |k: &String, v: Option<&String>| {
        ParameterNameValue::builder()
            .parameter_name(k)
            .set_parameter_value(v.cloned())
            .build()
    };
    for chunk in set.chunks(PARAMETERS_PER_CALL) {
        client
            .modify_cache_parameter_group()
            .cache_parameter_group_name(name)
            .set_parameter_name_values(Some(chunk.iter().map(|(k, v)| value(k, Some(v))).collect()))
            .send()
            .await
            .map_err(ElastiCache::err)?;
    }
    for chunk in reset.chunks(PARAMETERS_PER_CALL) {
        client
            .reset_cache_parameter_group()
            .cache_parameter_group_name(name)
            .reset_all_parameters(false)
            .set_parameter_name_values(Some(chunk.iter().map(|k| value(k, None)).collect()))
            .send()
            .await
            .map_err(ElastiCache::err)?;
    }
    Ok(())
}

#[async_trait]
impl Kind for ParameterGroupKind {
    const ARNS: &[ArnShape] = &[ArnShape::rest("elasticache", "parametergroup:")];

    /// An absent parameter map is an empty one.
    fn normalize(attrs: &mut Attrs) {
        if attrs.get("parameters").is_none_or(Value::is_null) {
            attrs.insert("parameters".into(), Value::Map(BTreeMap::new()));
        }
    }

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        let all = describe_all(ctx.client).await?;
        let wanted = named(all, ids, CacheParameterGroup::cache_parameter_group_name);
        let read = concurrent(wanted, READ_CONCURRENCY, |g| async move {
            let name = g.cache_parameter_group_name().unwrap_or_default();
            let Some(params) = user_params(ctx.client, name).await? else {
                return Ok(None);
            };
            let arns = g.arn().map(str::to_string).into_iter().collect();
            let tags = tags_by_arn(ctx.client, arns).await?;
            let fields = ParameterGroupFields {
                name: name.to_string(),
                family: g.cache_parameter_group_family().unwrap_or_default().into(),
                description: g.description().map(str::to_string),
                parameters: Some(params),
                tags: user_tags(tags.values().next()),
                arn: g.arn().map(str::to_string),
            };
            Ok(Some((name.to_string(), fields)))
        })
        .await?;
        Ok(read.into_iter().flatten().collect())
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let name = &desired.name;
        ctx.client
            .create_cache_parameter_group()
            .cache_parameter_group_name(name)
            .cache_parameter_group_family(&desired.family)
            .description(
                desired
                    .description
                    .as_deref()
                    .unwrap_or(DEFAULT_DESCRIPTION),
            )
            .set_tags(create_tags(&desired.tags, ctx, BTreeMap::new()))
            .send()
            .await
            .map_err(ElastiCache::err)?;
        let set = desired.parameters.clone().unwrap_or_default();
        apply_params(ctx.client, name, (set.into_iter().collect(), Vec::new())).await?;
        Self::made(ctx, name.clone()).await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        apply_params(ctx.client, id, param_changes(prior, desired)).await?;
        retag_and_read(ctx, id, prior.arn.as_deref(), &prior.tags, &desired.tags).await
    }

    // A group still used by a replication group answers
    // InvalidCacheParameterGroupState, mapped to transient: the engine
    // retries while the group's user is being deleted.
    delete_by!(ElastiCache::deleted: delete_cache_parameter_group.cache_parameter_group_name);

    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        let all = describe_all(ctx.client).await?;
        let id = CacheParameterGroup::cache_parameter_group_name;
        owned(ctx.client, ctx, &all, id, CacheParameterGroup::arn, address).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing::{
        self, assert_covers_schema, assert_no_op, desired, provider, typed,
    };
    use forge_engine::{PlannedAction, Provider};
    use serde_json::json;

    type K = ParameterGroupKind;

    fn observed(params: &[(&str, &str)]) -> Attrs {
        let f = ParameterGroupFields {
            name: "app".into(),
            family: "redis7".into(),
            description: Some(DEFAULT_DESCRIPTION.into()),
            parameters: Some(
                params
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            tags: Tags::default(),
            arn: Some("arn:aws:elasticache:eu-west-1:1:parametergroup:app".into()),
        };
        testing::observed::<K>(&f)
    }

    #[test]
    fn numbers_compare_as_text_and_defaults_never_diff() {
        let live = observed(&[("timeout", "300"), ("activedefrag", "yes")]);
        assert_covers_schema::<K>(&live, &[]);
        let d = desired::<K>(json!({"name": "app", "family": "redis7",
            "parameters": {"timeout": 300, "activedefrag": true}}));
        assert_no_op::<K>(&live, &d);
        let none = desired::<K>(json!({"name": "app", "family": "redis7"}));
        assert_eq!(none["parameters"], Value::Map(BTreeMap::new()));
    }

    #[test]
    fn changed_values_are_set_and_removed_ones_reset() {
        let live = observed(&[("timeout", "300"), ("maxmemory-policy", "allkeys-lru")]);
        let d = desired::<K>(json!({"name": "app", "family": "redis7",
            "parameters": {"timeout": "60", "notify-keyspace-events": "Ex"}}));
        let (set, reset) = param_changes(&typed::<K>(&live), &typed::<K>(&d));
        assert_eq!(
            set,
            vec![
                ("notify-keyspace-events".to_string(), "Ex".to_string()),
                ("timeout".to_string(), "60".to_string())
            ]
        );
        assert_eq!(reset, vec!["maxmemory-policy".to_string()]);
        assert_eq!(
            provider::<K>().plan(Some(&live), &d).action,
            PlannedAction::Update
        );
        let d = desired::<K>(json!({"name": "app", "family": "redis6.x"}));
        assert_eq!(
            provider::<K>().plan(Some(&live), &d).action,
            PlannedAction::Replace
        );
    }
}
