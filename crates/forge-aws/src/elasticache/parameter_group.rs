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

use super::common::{
    self, CONCURRENCY, EcBase, TAG_CONCURRENCY, ec_err, ignore_gone, is_gone, observed_tags,
    to_tags,
};
use crate::attrs::attrs;
use crate::attrs::{opt_str, req_str, str_or_null};
use crate::clients::AwsClients;
use crate::normalize::normalize_common;
use crate::paging::{collect_pages, concurrent};
use crate::tags;
use crate::tags::tags_field;
use async_trait::async_trait;
use aws_sdk_elasticache::Client;
use aws_sdk_elasticache::types::{CacheParameterGroup, ParameterNameValue};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

/// Parameters per Modify/ResetCacheParameterGroup request (the API's cap).
pub const PARAMETERS_PER_CALL: usize = 20;

/// The description sent when the spec sets none (the API requires one).
const DEFAULT_DESCRIPTION: &str = "Managed by forge";

/// The `aws.elasticache.parameter_group` provider.
pub struct ParameterGroupProvider {
    base: EcBase,
    schema: KindSchema,
}

impl ParameterGroupProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        ParameterGroupProvider {
            base: EcBase::new(clients),
            schema: schema(),
        }
    }
}

/// The schema of `aws.elasticache.parameter_group`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.elasticache.parameter_group",
        "An ElastiCache cache parameter group.",
        [
            (
                "name",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("The group's name (CacheParameterGroupName)."),
            ),
            (
                "family",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("The engine family (CacheParameterGroupFamily), e.g. redis7, valkey8."),
            ),
            (
                "description",
                FieldSchema::optional(FieldType::String)
                    .force_new()
                    .default(DEFAULT_DESCRIPTION)
                    .describe("What the group is for (fixed at creation)."),
            ),
            (
                "parameters",
                FieldSchema::optional(FieldType::map(FieldType::String))
                    .describe("Parameter name -> value, only those set explicitly; removed ones reset to the engine default."),
            ),
            ("tags", tags_field()),
            (
                "arn",
                FieldSchema::computed(FieldType::String).describe("The group's ARN."),
            ),
        ],
    )
}

static SCHEMA: LazyLock<KindSchema> = LazyLock::new(schema);

fn normalize(mut attrs: Attrs) -> Attrs {
    // YAML numbers and booleans (`timeout: 300`) mean their text, which is
    // what the API returns; an absent map is an empty one.
    let params = match attrs.get("parameters") {
        None | Some(Value::Null) => Some(BTreeMap::new()),
        Some(Value::Map(m)) if m.values().all(Value::is_known) => Some(
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), Value::String(param_text(v)?))))
                .collect(),
        ),
        _ => None,
    };
    if let Some(p) = params {
        attrs.insert("parameters".into(), Value::Map(p));
    }
    normalize_common(&SCHEMA, &mut attrs);
    attrs
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

/// The `parameters` map as text.
pub fn params_of(attrs: &Attrs) -> BTreeMap<String, String> {
    attrs
        .get("parameters")
        .and_then(Value::as_map)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), param_text(v)?)))
                .collect()
        })
        .unwrap_or_default()
}

fn group_attrs(
    g: &CacheParameterGroup,
    params: &BTreeMap<String, String>,
    tag_list: Option<&Vec<(String, String)>>,
) -> Attrs {
    let name = g.cache_parameter_group_name().unwrap_or_default();
    attrs([
        ("id", Value::from(name)),
        ("name", Value::from(name)),
        ("family", str_or_null(g.cache_parameter_group_family())),
        ("description", str_or_null(g.description())),
        (
            "parameters",
            Value::Map(
                params
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                    .collect(),
            ),
        ),
        ("tags", observed_tags(tag_list)),
        ("arn", str_or_null(g.arn())),
    ])
}

async fn describe_all(client: &Client) -> Result<Vec<CacheParameterGroup>, ProviderError> {
    collect_pages(|marker| async move {
        let out = client
            .describe_cache_parameter_groups()
            .set_marker(marker)
            .send()
            .await
            .map_err(ec_err)?;
        Ok((out.cache_parameter_groups.unwrap_or_default(), out.marker))
    })
    .await
}

/// The user-set parameters of a group (`None`: the group is gone).
async fn user_params(
    client: &Client,
    name: &str,
) -> Result<Option<BTreeMap<String, String>>, ProviderError> {
    let pages = collect_pages(|marker| async move {
        let out = client
            .describe_cache_parameters()
            .cache_parameter_group_name(name)
            .source("user")
            .set_marker(marker)
            .send()
            .await
            .map_err(ec_err)?;
        Ok((out.parameters.unwrap_or_default(), out.marker))
    })
    .await;
    match pages {
        Ok(list) => Ok(Some(
            list.iter()
                // Filtered again: `Source` is a request hint, the answer is
                // what counts.
                .filter(|p| p.source().is_none_or(|s| s == "user"))
                .filter_map(|p| {
                    Some((
                        p.parameter_name()?.to_string(),
                        p.parameter_value().unwrap_or("").to_string(),
                    ))
                })
                .collect(),
        )),
        Err(e) if is_gone(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn observe_groups(
    client: &Client,
    ids: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let wanted: Vec<CacheParameterGroup> = describe_all(client)
        .await?
        .into_iter()
        .filter(|g| {
            g.cache_parameter_group_name()
                .is_some_and(|n| ids.iter().any(|i| i == n))
        })
        .collect();
    let read = concurrent(wanted, TAG_CONCURRENCY, |g| async move {
        let name = g
            .cache_parameter_group_name()
            .unwrap_or_default()
            .to_string();
        let Some(params) = user_params(client, &name).await? else {
            return Ok(None);
        };
        let tags = match g.arn() {
            Some(arn) => Some(common::list_tags(client, arn).await?),
            None => None,
        };
        Ok(Some((
            name,
            normalize(group_attrs(&g, &params, tags.as_ref())),
        )))
    })
    .await?;
    Ok(read.into_iter().flatten().collect())
}

async fn observe_one(client: &Client, name: &str) -> Result<Attrs, ProviderError> {
    crate::attrs::observed(
        observe_groups(client, &[name.to_string()]).await?,
        name,
        "cache parameter group",
    )
}

/// What to change: (name, value) pairs to set, and names to reset.
pub fn param_changes(prior: &Attrs, desired: &Attrs) -> (Vec<(String, String)>, Vec<String>) {
    let before = params_of(prior);
    let after = params_of(desired);
    let set = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let reset = before
        .keys()
        .filter(|k| !after.contains_key(*k))
        .cloned()
        .collect();
    (set, reset)
}

async fn apply_params(
    client: &Client,
    name: &str,
    prior: &Attrs,
    desired: &Attrs,
) -> Result<(), ProviderError> {
    let (set, reset) = param_changes(prior, desired);
    for chunk in set.chunks(PARAMETERS_PER_CALL) {
        let values = chunk
            .iter()
            .map(|(k, v)| {
                ParameterNameValue::builder()
                    .parameter_name(k)
                    .parameter_value(v)
                    .build()
            })
            .collect();
        client
            .modify_cache_parameter_group()
            .cache_parameter_group_name(name)
            .set_parameter_name_values(Some(values))
            .send()
            .await
            .map_err(ec_err)?;
    }
    for chunk in reset.chunks(PARAMETERS_PER_CALL) {
        let values = chunk
            .iter()
            .map(|k| ParameterNameValue::builder().parameter_name(k).build())
            .collect();
        client
            .reset_cache_parameter_group()
            .cache_parameter_group_name(name)
            .reset_all_parameters(false)
            .set_parameter_name_values(Some(values))
            .send()
            .await
            .map_err(ec_err)?;
    }
    Ok(())
}

async fn listed(client: &Client) -> Result<Vec<(String, String)>, ProviderError> {
    Ok(describe_all(client)
        .await?
        .iter()
        .filter_map(|g| {
            Some((
                g.cache_parameter_group_name()?.to_string(),
                g.arn()?.to_string(),
            ))
        })
        .collect())
}

#[async_trait]
impl Provider for ParameterGroupProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        Some(CONCURRENCY)
    }

    fn normalize(&self, attrs: Attrs) -> Attrs {
        normalize(attrs)
    }

    async fn observe(
        &self,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        if ids.is_empty() {
            return Ok(BTreeMap::new());
        }
        let client = self.base.client(&ctx.region).await?;
        observe_groups(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        let name = req_str(desired, "name")?;
        client
            .create_cache_parameter_group()
            .cache_parameter_group_name(name)
            .cache_parameter_group_family(req_str(desired, "family")?)
            .description(opt_str(desired, "description").unwrap_or(DEFAULT_DESCRIPTION))
            .set_tags(Some(to_tags(&tags::create_tags(desired, &ctx.system_tags))))
            .send()
            .await
            .map_err(ec_err)?;
        apply_params(&client, name, &Attrs::new(), desired).await?;
        Ok(Created {
            id: name.to_string(),
            attrs: observe_one(&client, name).await?,
        })
    }

    async fn update(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Attrs,
        desired: &Attrs,
        _changes: &[FieldChange],
    ) -> Result<Attrs, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        apply_params(&client, id, prior, desired).await?;
        if let Some(arn) = opt_str(prior, "arn") {
            common::sync_tags(&client, arn, prior, desired, BTreeMap::new()).await?;
        }
        observe_one(&client, id).await
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        // A group still used by a replication group answers
        // InvalidCacheParameterGroupState, mapped to transient: the engine
        // retries while the group's user is being deleted.
        ignore_gone(
            client
                .delete_cache_parameter_group()
                .cache_parameter_group_name(id)
                .send()
                .await
                .map(|_| ())
                .map_err(ec_err),
        )
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = &self.base.client(&ctx.region).await?;
        common::adopt_orphan(client, listed(client).await?, ctx, |id| async move {
            observe_groups(client, std::slice::from_ref(&id)).await
        })
        .await
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.base.client(&ctx.region).await?;
        common::owned(&client, listed(&client).await?, &ctx.owner, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use forge_engine::PlannedAction;
    use serde_json::json;

    fn desired(j: serde_json::Value) -> Attrs {
        let mut a: Attrs = Value::from_json(&j).as_map().cloned().unwrap_or_default();
        forge_engine::diff::fill_defaults(&SCHEMA, &mut a);
        normalize(a)
    }

    fn observed(params: &[(&str, &str)]) -> Attrs {
        let g = CacheParameterGroup::builder()
            .cache_parameter_group_name("app")
            .cache_parameter_group_family("redis7")
            .description(DEFAULT_DESCRIPTION)
            .arn("arn:aws:elasticache:eu-west-1:1:parametergroup:app")
            .build();
        let p = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        normalize(group_attrs(&g, &p, None))
    }

    #[test]
    fn numbers_compare_as_text_and_defaults_never_diff() {
        let live = observed(&[("timeout", "300")]);
        for field in schema().fields.keys() {
            assert!(live.contains_key(field), "missing {field}");
        }
        let d = desired(json!({"name": "app", "family": "redis7", "parameters": {"timeout": 300}}));
        let plan = forge_engine::diff::schema_plan(&SCHEMA, Some(&live), &d);
        assert_eq!(plan.action, PlannedAction::NoOp, "{:?}", plan.changes);
    }

    #[test]
    fn changed_values_are_set_and_removed_ones_reset() {
        let live = observed(&[("timeout", "300"), ("maxmemory-policy", "allkeys-lru")]);
        let d = desired(json!({"name": "app", "family": "redis7",
            "parameters": {"timeout": "60", "notify-keyspace-events": "Ex"}}));
        let (set, reset) = param_changes(&live, &d);
        assert_eq!(
            set,
            vec![
                ("notify-keyspace-events".to_string(), "Ex".to_string()),
                ("timeout".to_string(), "60".to_string())
            ]
        );
        assert_eq!(reset, vec!["maxmemory-policy".to_string()]);
        let plan = forge_engine::diff::schema_plan(&SCHEMA, Some(&live), &d);
        assert_eq!(plan.action, PlannedAction::Update);
        let d = desired(json!({"name": "app", "family": "redis6.x"}));
        let plan = forge_engine::diff::schema_plan(&SCHEMA, Some(&live), &d);
        assert_eq!(plan.action, PlannedAction::Replace);
    }
}
