//! `aws.ssm.parameter`: a Parameter Store parameter (String, StringList or
//! SecureString with a KMS key).
//!
//! The parameter's name is its id.
//!
//! Observe cost: GetParameters with decryption (10 names per request) for
//! values, types, versions and ARNs; DescribeParameters filtered by name
//! (paged) for description, key and tier; one ListTagsForResource per
//! existing parameter (SSM returns tags from no list call), run
//! concurrently with at most eight in flight.

use super::{CONCURRENCY, ssm_err};
use crate::attrs::attrs;
use crate::attrs::{opt_str, req_str, str_or_null};
use crate::clients::AwsClients;
use crate::error::is_not_found;
use crate::normalize::normalize_common;
use crate::paging::{collect_pages, concurrent, for_chunks};
use crate::tags::tags_field;
use crate::tags::{self, ADDRESS_TAG};
use async_trait::async_trait;
use aws_sdk_ssm::Client;
use aws_sdk_ssm::types::{
    Parameter, ParameterMetadata, ParameterStringFilter, ParameterTier, ParameterType,
    ResourceTypeForTagging, Tag,
};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::Owner;
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

/// Names per GetParameters request (the API's cap).
const NAMES_PER_GET: usize = 10;
/// Names per DescribeParameters filter.
const NAMES_PER_DESCRIBE: usize = 50;
/// Tag reads in flight at once.
const TAG_CONCURRENCY: usize = 8;

/// The `aws.ssm.parameter` provider.
pub struct ParameterProvider {
    clients: Arc<AwsClients>,
    schema: KindSchema,
}

impl ParameterProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        ParameterProvider {
            clients,
            schema: schema(),
        }
    }

    async fn client(&self, region: &str) -> Result<Client, ProviderError> {
        self.clients.client(region, Client::new).await
    }
}

/// The schema of `aws.ssm.parameter`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.ssm.parameter",
        "A Systems Manager Parameter Store parameter.",
        [
            (
                "name",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("The parameter's name, e.g. /app/db/url."),
            ),
            (
                // The API's `Type`: `type` is the spec's meta key naming a
                // resource's kind, so the field carries the kind's prefix.
                "parameter_type",
                FieldSchema::optional(FieldType::String)
                    .force_new()
                    .default("String")
                    .describe("The API's Type: String, StringList or SecureString."),
            ),
            (
                "value",
                FieldSchema::required(FieldType::String)
                    .sensitive()
                    .describe("The value; always treated as secret (masked, hashed in state)."),
            ),
            (
                "key_id",
                FieldSchema::optional_computed(FieldType::String)
                    .describe("KMS key encrypting a SecureString; unset: alias/aws/ssm."),
            ),
            (
                "description",
                FieldSchema::optional(FieldType::String).describe("What the parameter is for."),
            ),
            (
                "tier",
                FieldSchema::optional(FieldType::String)
                    .default("Standard")
                    .describe("Standard, Advanced or Intelligent-Tiering."),
            ),
            ("tags", tags_field()),
            (
                "arn",
                FieldSchema::computed(FieldType::String).describe("The parameter's ARN."),
            ),
            (
                "version",
                FieldSchema::computed(FieldType::Number)
                    .describe("The value's version, counting from 1."),
            ),
        ],
    )
}

static SCHEMA: LazyLock<KindSchema> = LazyLock::new(schema);

fn normalize(mut attrs: Attrs) -> Attrs {
    normalize_common(&SCHEMA, &mut attrs);
    attrs
}

fn param_attrs(p: &Parameter, meta: Option<&ParameterMetadata>, tag_list: &[Tag]) -> Attrs {
    let name = p.name().unwrap_or_default();
    attrs([
        ("id", Value::from(name)),
        ("name", Value::from(name)),
        (
            "parameter_type",
            str_or_null(p.r#type().map(ParameterType::as_str)),
        ),
        (
            "value",
            p.value()
                .map(|v| Value::from(v).sensitive())
                .unwrap_or_default(),
        ),
        (
            "key_id",
            str_or_null(meta.and_then(ParameterMetadata::key_id)),
        ),
        (
            "description",
            str_or_null(
                meta.and_then(ParameterMetadata::description)
                    .filter(|d| !d.is_empty()),
            ),
        ),
        (
            "tier",
            Value::from(
                meta.and_then(ParameterMetadata::tier)
                    .map(ParameterTier::as_str)
                    .unwrap_or("Standard"),
            ),
        ),
        (
            "tags",
            tags::observed_tags(tag_list.iter().map(|t| (t.key(), t.value()))),
        ),
        ("arn", str_or_null(p.arn())),
        ("version", Value::int(p.version())),
    ])
}

async fn get_parameters(
    client: &Client,
    names: &[String],
) -> Result<Vec<Parameter>, ProviderError> {
    for_chunks(names, NAMES_PER_GET, |chunk| async move {
        let out = client
            .get_parameters()
            .set_names(Some(chunk))
            .with_decryption(true)
            .send()
            .await
            .map_err(ssm_err)?;
        Ok(out.parameters.unwrap_or_default())
    })
    .await
}

async fn describe(
    client: &Client,
    filter: ParameterStringFilter,
) -> Result<Vec<ParameterMetadata>, ProviderError> {
    collect_pages(|token| {
        let filter = filter.clone();
        async move {
            let out = client
                .describe_parameters()
                .parameter_filters(filter)
                .set_next_token(token)
                .send()
                .await
                .map_err(ssm_err)?;
            Ok((out.parameters.unwrap_or_default(), out.next_token))
        }
    })
    .await
}

fn string_filter(
    key: &str,
    option: &str,
    values: Vec<String>,
) -> Result<ParameterStringFilter, ProviderError> {
    ParameterStringFilter::builder()
        .key(key)
        .option(option)
        .set_values(Some(values))
        .build()
        .map_err(|e| ProviderError::Invalid(format!("parameter filter: {e}")))
}

async fn param_tags(client: &Client, name: &str) -> Result<Vec<Tag>, ProviderError> {
    match client
        .list_tags_for_resource()
        .resource_type(ResourceTypeForTagging::Parameter)
        .resource_id(name)
        .send()
        .await
        .map_err(ssm_err)
    {
        Ok(out) => Ok(out.tag_list.unwrap_or_default()),
        Err(e)
            if is_not_found(&e)
                || matches!(&e, ProviderError::Api { code, .. } if code == "InvalidResourceId") =>
        {
            Ok(Vec::new())
        }
        Err(e) => Err(e),
    }
}

async fn observe_params(
    client: &Client,
    ids: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let params = get_parameters(client, ids).await?;
    let found: Vec<String> = params
        .iter()
        .filter_map(|p| p.name().map(str::to_string))
        .collect();
    if found.is_empty() {
        return Ok(BTreeMap::new());
    }
    let metas = for_chunks(&found, NAMES_PER_DESCRIBE, |chunk| async move {
        describe(client, string_filter("Name", "Equals", chunk)?).await
    })
    .await?;
    let metas: BTreeMap<String, ParameterMetadata> = metas
        .into_iter()
        .filter_map(|m| Some((m.name()?.to_string(), m)))
        .collect();
    let tagged = concurrent(params, TAG_CONCURRENCY, |p| async move {
        let t = param_tags(client, p.name().unwrap_or_default()).await?;
        Ok((p, t))
    })
    .await?;
    Ok(tagged
        .iter()
        .filter_map(|(p, t)| {
            let name = p.name()?;
            Some((
                name.to_string(),
                normalize(param_attrs(p, metas.get(name), t)),
            ))
        })
        .collect())
}

async fn observe_one(client: &Client, name: &str) -> Result<Attrs, ProviderError> {
    observe_params(client, &[name.to_string()])
        .await?
        .remove(name)
        .ok_or_else(|| ProviderError::Transient {
            message: format!("parameter {name} not visible yet"),
        })
}

fn ssm_tags(map: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    map.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| ProviderError::Invalid(format!("tag `{k}`: {e}")))
        })
        .collect()
}

/// One change to a parameter. `Debug` never prints the value.
#[derive(Clone, PartialEq, Eq)]
pub enum ParamCall {
    /// PutParameter with Overwrite: value, key, description and tier are
    /// all set together (the API takes the value on every put).
    Put,
    /// AddTagsToResource.
    Tag(BTreeMap<String, String>),
    /// RemoveTagsFromResource.
    Untag(Vec<String>),
}

impl std::fmt::Debug for ParamCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamCall::Put => f.write_str("Put"),
            ParamCall::Tag(t) => f.debug_tuple("Tag").field(t).finish(),
            ParamCall::Untag(k) => f.debug_tuple("Untag").field(k).finish(),
        }
    }
}

/// The calls that bring a parameter from `prior` to `desired`.
pub fn update_calls(prior: &Attrs, desired: &Attrs) -> Vec<ParamCall> {
    let mut calls = Vec::new();
    let changed = |k: &str| opt_str(prior, k) != opt_str(desired, k);
    let key_changed = opt_str(desired, "key_id").is_some() && changed("key_id");
    if changed("value") || changed("description") || changed("tier") || key_changed {
        calls.push(ParamCall::Put);
    }
    let (set, remove) = tags::diff(&tags::user_tags(prior), &tags::user_tags(desired));
    if !set.is_empty() {
        calls.push(ParamCall::Tag(set));
    }
    if !remove.is_empty() {
        calls.push(ParamCall::Untag(remove));
    }
    calls
}

async fn put(
    client: &Client,
    desired: &Attrs,
    overwrite: bool,
    tags: Option<Vec<Tag>>,
) -> Result<(), ProviderError> {
    let kind = opt_str(desired, "parameter_type").unwrap_or("String");
    // A key only means something for SecureString; SSM rejects it otherwise.
    let key = if kind == "SecureString" {
        opt_str(desired, "key_id").map(str::to_string)
    } else {
        None
    };
    client
        .put_parameter()
        .name(req_str(desired, "name")?)
        .value(req_str(desired, "value")?)
        .r#type(ParameterType::from(kind))
        .set_key_id(key)
        .description(opt_str(desired, "description").unwrap_or_default())
        .tier(ParameterTier::from(
            opt_str(desired, "tier").unwrap_or("Standard"),
        ))
        .overwrite(overwrite)
        .set_tags(tags)
        .send()
        .await
        .map_err(ssm_err)?;
    Ok(())
}

async fn run_call(
    client: &Client,
    name: &str,
    desired: &Attrs,
    call: ParamCall,
) -> Result<(), ProviderError> {
    match call {
        ParamCall::Put => put(client, desired, true, None).await?,
        ParamCall::Tag(set) => {
            client
                .add_tags_to_resource()
                .resource_type(ResourceTypeForTagging::Parameter)
                .resource_id(name)
                .set_tags(Some(ssm_tags(&set)?))
                .send()
                .await
                .map_err(ssm_err)?;
        }
        ParamCall::Untag(keys) => {
            client
                .remove_tags_from_resource()
                .resource_type(ResourceTypeForTagging::Parameter)
                .resource_id(name)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map_err(ssm_err)?;
        }
    }
    Ok(())
}

/// Parameters tagged with `address` (server-side tag filter), checked for
/// the stack tag here; without an address, every parameter of the stack.
async fn owned(
    client: &Client,
    owner: &Owner,
    address: Option<&str>,
) -> Result<Vec<(String, Option<String>)>, ProviderError> {
    let filter = match address {
        Some(a) => string_filter(&format!("tag:{ADDRESS_TAG}"), "Equals", vec![a.to_string()])?,
        None => string_filter(
            &format!("tag:{}", tags::STATE_TAG),
            "Equals",
            vec![owner.lineage.clone()],
        )?,
    };
    let metas = describe(client, filter).await?;
    let names: Vec<String> = metas
        .iter()
        .filter_map(|m| m.name().map(str::to_string))
        .collect();
    let tagged = concurrent(names, TAG_CONCURRENCY, |n| async move {
        let t = param_tags(client, &n).await?;
        Ok((n, t))
    })
    .await?;
    Ok(tagged
        .into_iter()
        .filter(|(_, t)| tags::owned_by(t.iter().map(|t| (t.key(), t.value())), owner, address))
        .map(|(n, t)| {
            let addr = t
                .iter()
                .find(|t| t.key() == ADDRESS_TAG)
                .map(|t| t.value().to_string());
            (n, addr)
        })
        .collect())
}

#[async_trait]
impl Provider for ParameterProvider {
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
        let client = self.client(&ctx.region).await?;
        observe_params(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.client(&ctx.region).await?;
        let name = req_str(desired, "name")?;
        let all_tags = ssm_tags(&tags::create_tags(desired, &ctx.system_tags))?;
        match put(&client, desired, false, Some(all_tags)).await {
            Ok(()) => {}
            Err(ProviderError::Api { code, .. }) if code == "ParameterAlreadyExists" => {
                let t = param_tags(&client, name).await?;
                let pairs = || t.iter().map(|t| (t.key(), t.value()));
                let address = ctx.address.to_string();
                if !tags::owned_by(pairs(), &ctx.owner, Some(&address)) {
                    return Err(tags::not_ours(ctx, &format!("parameter {name}"), pairs()));
                }
                let current = observe_one(&client, name).await?;
                for call in update_calls(&current, desired) {
                    run_call(&client, name, desired, call).await?;
                }
            }
            Err(e) => return Err(e),
        }
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
        let client = self.client(&ctx.region).await?;
        for call in update_calls(prior, desired) {
            run_call(&client, id, desired, call).await?;
        }
        observe_one(&client, id).await
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.client(&ctx.region).await?;
        crate::error::ignore_not_found(
            client
                .delete_parameter()
                .name(id)
                .send()
                .await
                .map(|_| ())
                .map_err(ssm_err),
        )
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = self.client(&ctx.region).await?;
        let address = ctx.address.to_string();
        let found = owned(&client, &ctx.owner, Some(&address)).await?;
        tags::adopt_listed(tags::listed_ids(found), &address, |id| async move {
            observe_params(&client, std::slice::from_ref(&id)).await
        })
        .await
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.client(&ctx.region).await?;
        owned(&client, &ctx.owner, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs_of(v: serde_json::Value) -> Attrs {
        let mut a = Value::from_json(&v).as_map().cloned().unwrap_or_default();
        forge_engine::diff::fill_defaults(&SCHEMA, &mut a);
        forge_engine::diff::mark_sensitive(&SCHEMA, &mut a);
        normalize(a)
    }

    #[test]
    fn value_is_always_sensitive() {
        assert!(schema().field("value").is_some_and(|f| f.sensitive));
        let p = Parameter::builder()
            .name("/a")
            .value("hunter2")
            .r#type(ParameterType::String)
            .version(3)
            .build();
        let a = normalize(param_attrs(&p, None, &[]));
        assert!(a["value"].is_sensitive());
        assert_eq!(a["version"], Value::int(3));
        for field in schema().fields.keys() {
            if field != "description" && field != "key_id" {
                assert!(a.contains_key(field), "missing {field}");
            }
        }
    }

    #[test]
    fn changes_map_to_one_put_and_tag_calls() {
        let prior = attrs_of(serde_json::json!({"name": "/a", "value": "v1", "tags": {"a": "1"}}));
        let want = attrs_of(
            serde_json::json!({"name": "/a", "value": "v2", "tags": {"a": "1", "b": "2"}}),
        );
        let calls = update_calls(&prior, &want);
        assert_eq!(
            calls,
            vec![
                ParamCall::Put,
                ParamCall::Tag(BTreeMap::from([("b".into(), "2".into())]))
            ]
        );
        assert!(!format!("{calls:?}").contains("v2"));
        assert!(update_calls(&want, &want).is_empty());
        // An unset key is AWS's choice, not a change.
        let mut observed = want.clone();
        observed.insert("key_id".into(), Value::from("alias/aws/ssm"));
        assert!(update_calls(&observed, &want).is_empty());
    }
}
