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

use super::{Ssm, to_tags};
use crate::attrs::{SensitiveText, non_empty};
use crate::error::{has_code, ignore_not_found, is_not_found};
use crate::kind::prelude::*;
use crate::paging::{concurrent, for_chunks, token_pages};
use crate::tags::{self, ADDRESS_TAG, STATE_TAG};
use aws_sdk_ssm::Client;
use aws_sdk_ssm::types::{
    Parameter, ParameterMetadata, ParameterStringFilter, ParameterTier, ParameterType,
    ResourceTypeForTagging, Tag,
};
use std::collections::BTreeMap;

/// Names per GetParameters request (the API's cap).
const NAMES_PER_GET: usize = 10;
/// Names per DescribeParameters filter.
const NAMES_PER_DESCRIBE: usize = 50;
/// Tag reads in flight at once.
const TAG_CONCURRENCY: usize = 8;

crate::kind::declare_kind!(ParameterKind: "aws.ssm.parameter", Ssm, ParameterFields,
    "A Systems Manager Parameter Store parameter.");

/// The fields of `aws.ssm.parameter`. No `Debug`: it holds the value.
#[derive(Clone, Fields)]
pub struct ParameterFields {
    /// The parameter's name, e.g. /app/db/url.
    #[field(force_new)]
    pub name: String,
    // The API's `Type`: `type` is the spec's meta key naming a resource's
    // kind, so the field carries the kind's prefix.
    /// The API's Type: String, StringList or SecureString.
    #[field(force_new, default = "String")]
    pub parameter_type: Option<String>,
    /// The value; always treated as secret (masked, hashed in state).
    #[field(sensitive)]
    pub value: SensitiveText,
    /// KMS key encrypting a SecureString; unset: alias/aws/ssm.
    #[field(optional_computed)]
    pub key_id: Option<String>,
    /// What the parameter is for.
    pub description: Option<String>,
    /// Standard, Advanced or Intelligent-Tiering.
    #[field(default = "Standard")]
    pub tier: Option<String>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The parameter's ARN.
    pub arn: Computed<String>,
    /// The value's version, counting from 1.
    pub version: Computed<i64>,
}

fn fields(p: &Parameter, meta: Option<&ParameterMetadata>, tag_list: &[Tag]) -> ParameterFields {
    ParameterFields {
        name: p.name().unwrap_or_default().to_string(),
        parameter_type: p.r#type().map(|t| t.as_str().to_string()),
        value: SensitiveText(p.value().unwrap_or_default().to_string()),
        key_id: meta.and_then(ParameterMetadata::key_id).map(str::to_string),
        description: non_empty(meta.and_then(ParameterMetadata::description)),
        tier: Some(
            meta.and_then(ParameterMetadata::tier)
                .map_or("Standard", ParameterTier::as_str)
                .to_string(),
        ),
        tags: tags::observed_map(pairs(tag_list)),
        arn: p.arn().map(str::to_string),
        version: Some(p.version()),
    }
}

async fn get_parameters(client: &Client, names: &[String]) -> Res<Vec<Parameter>> {
    for_chunks(names, NAMES_PER_GET, |chunk| async move {
        let out = client
            .get_parameters()
            .set_names(Some(chunk))
            .with_decryption(true)
            .send()
            .await
            .map_err(Ssm::err)?;
        Ok(out.parameters.unwrap_or_default())
    })
    .await
}

/// DescribeParameters with one filter, every page.
async fn describe_filtered(
    client: &Client,
    key: &str,
    values: Vec<String>,
) -> Res<Vec<ParameterMetadata>> {
    let filter = ParameterStringFilter::builder()
        .key(key)
        .option("Equals")
        .set_values(Some(values))
        .build()
        .map_err(|e| ProviderError::Invalid(format!("parameter filter: {e}")))?;
    let describe = || {
        client
            .describe_parameters()
            .parameter_filters(filter.clone())
    };
    token_pages!(describe(), Ssm::err, |out| out
        .parameters
        .unwrap_or_default())
}

/// A parameter's tags; one gone meanwhile has none.
async fn param_tags(client: &Client, name: &str) -> Res<Vec<Tag>> {
    let call = client
        .list_tags_for_resource()
        .resource_type(ResourceTypeForTagging::Parameter);
    match call.resource_id(name).send().await.map_err(Ssm::err) {
        Ok(out) => Ok(out.tag_list.unwrap_or_default()),
        Err(e) if is_not_found(&e) || has_code(&e, "InvalidResourceId") => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

fn pairs(t: &[Tag]) -> impl Iterator<Item = (&str, &str)> + Clone {
    t.iter().map(|t| (t.key(), t.value()))
}

/// Each named parameter with its tags, at most eight reads in flight.
async fn with_tags(client: &Client, names: Vec<String>) -> Res<Vec<(String, Vec<Tag>)>> {
    concurrent(names, TAG_CONCURRENCY, |n| async move {
        let t = param_tags(client, &n).await?;
        Ok((n, t))
    })
    .await
}

/// Whether the parameter itself must be put again. PutParameter sets
/// value, key, description and tier together (it takes the value on every
/// put); an unset key is AWS's choice, not a change.
fn needs_put(prior: &ParameterFields, desired: &ParameterFields) -> bool {
    prior.value != desired.value
        || prior.description != desired.description
        || prior.tier != desired.tier
        || (desired.key_id.is_some() && prior.key_id != desired.key_id)
}

async fn put(
    client: &Client,
    desired: &ParameterFields,
    overwrite: bool,
    tags: Option<Vec<Tag>>,
) -> Res<()> {
    let kind = desired.parameter_type.as_deref().unwrap_or("String");
    // A key only means something for SecureString; SSM rejects it otherwise.
    let key = desired.key_id.clone().filter(|_| kind == "SecureString");
    client
        .put_parameter()
        .name(&desired.name)
        .value(&desired.value.0)
        .r#type(ParameterType::from(kind))
        .set_key_id(key)
        .description(desired.description.clone().unwrap_or_default())
        .tier(ParameterTier::from(
            desired.tier.as_deref().unwrap_or("Standard"),
        ))
        .overwrite(overwrite)
        .set_tags(tags)
        .send()
        .await
        .map_err(Ssm::err)?;
    Ok(())
}

async fn converge(
    client: &Client,
    id: &str,
    prior: &ParameterFields,
    desired: &ParameterFields,
) -> Res<()> {
    if needs_put(prior, desired) {
        put(client, desired, true, None).await?;
    }
    sync_tags::<Ssm>(client, id, &prior.tags, &desired.tags).await
}

#[async_trait]
impl Kind for ParameterKind {
    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        let params = get_parameters(ctx.client, ids).await?;
        let names: Vec<String> = params
            .iter()
            .filter_map(|p| Some(p.name()?.into()))
            .collect();
        let metas = for_chunks(&names, NAMES_PER_DESCRIBE, |chunk| {
            describe_filtered(ctx.client, "Name", chunk)
        })
        .await?;
        let metas: BTreeMap<&str, &ParameterMetadata> =
            metas.iter().filter_map(|m| Some((m.name()?, m))).collect();
        let tagged = with_tags(ctx.client, names).await?;
        let params = params.iter().filter(|p| p.name().is_some());
        Ok(params
            .zip(tagged)
            .map(|(p, (name, t))| {
                let meta = metas.get(name.as_str()).copied();
                (name, fields(p, meta, &t))
            })
            .collect())
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let name = &desired.name;
        let all_tags = to_tags(&tags::with_system(&desired.tags, &ctx.system_tags))?;
        match put(ctx.client, desired, false, Some(all_tags)).await {
            Ok(()) => {}
            Err(ProviderError::Api { code, .. }) if code == "ParameterAlreadyExists" => {
                let t = param_tags(ctx.client, name).await?;
                tags::ensure_ours(ctx, &format!("parameter {name}"), pairs(&t), true)?;
                // Ours, from a create whose answer was lost: bring it to
                // the spec.
                let current = Self::read_back(ctx, name).await?;
                converge(ctx.client, name, &current, desired).await?;
            }
            Err(e) => return Err(e),
        }
        Self::made(ctx, name.clone()).await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        converge(ctx.client, id, prior, desired).await?;
        Self::read_back(ctx, id).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        let answer = ctx.client.delete_parameter().name(id).send().await;
        ignore_not_found(answer.map(drop).map_err(Ssm::err))
    }

    /// Parameters tagged with the address (server-side tag filter), or
    /// without one every parameter tagged with the state's lineage; the
    /// tags are then checked exactly here.
    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        let (key, value) = address.map_or((STATE_TAG, ctx.owner.lineage.as_str()), |a| {
            (ADDRESS_TAG, a)
        });
        let metas =
            describe_filtered(ctx.client, &format!("tag:{key}"), vec![value.into()]).await?;
        let names = metas
            .iter()
            .filter_map(|m| m.name())
            .map(Into::into)
            .collect();
        Ok(with_tags(ctx.client, names)
            .await?
            .into_iter()
            .filter_map(|(n, t)| tags::owned_entry(&ctx.owner, pairs(&t), n, address))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::schema_of;
    use forge_core::Value;
    use forge_core::fields::Fields;

    fn param(value: &str, tags: &[(&str, &str)]) -> ParameterFields {
        ParameterFields {
            name: "/a".into(),
            parameter_type: Some("String".into()),
            value: SensitiveText(value.into()),
            key_id: None,
            description: None,
            tier: Some("Standard".into()),
            tags: Tags(
                tags.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            arn: None,
            version: None,
        }
    }

    #[test]
    fn value_is_always_sensitive() {
        let schema = schema_of::<ParameterKind>();
        assert!(schema.field("value").is_some_and(|f| f.sensitive));
        let p = Parameter::builder()
            .name("/a")
            .value("hunter2")
            .r#type(ParameterType::String)
            .version(3)
            .build();
        let a = fields(&p, None, &[]).to_attrs();
        assert!(a["value"].is_sensitive());
        assert_eq!(a["version"], Value::int(3));
        assert_eq!(a["tier"], Value::from("Standard"));
        for field in schema.fields.keys() {
            assert!(a.contains_key(field), "missing {field}");
        }
        assert!(!format!("{:?}", fields(&p, None, &[]).value).contains("hunter2"));
    }

    #[test]
    fn value_and_settings_changes_put_again() {
        let prior = param("v1", &[("a", "1")]);
        let want = param("v2", &[("a", "1"), ("b", "2")]);
        assert!(needs_put(&prior, &want));
        assert!(!needs_put(&want, &want));
        // An unset key is AWS's choice, not a change.
        let mut observed = want.clone();
        observed.key_id = Some("alias/aws/ssm".into());
        assert!(!needs_put(&observed, &want));
        let mut keyed = want.clone();
        keyed.key_id = Some("alias/mine".into());
        assert!(needs_put(&observed, &keyed));
    }
}
