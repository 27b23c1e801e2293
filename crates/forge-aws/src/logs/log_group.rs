//! `aws.logs.log_group`: a CloudWatch Logs log group with its retention,
//! KMS key and class.
//!
//! The group's name is its id.
//!
//! Observe cost: DescribeLogGroups with `logGroupIdentifiers` (up to 50
//! names per request, paged) for all ids, plus one ListTagsForResource per
//! existing group (CloudWatch Logs returns no tags from the describe), run
//! concurrently with at most eight in flight. Results are filtered by name
//! on our side as well, so an endpoint that ignores the identifiers filter
//! and lists everything still gives the right answer.

use super::{CONCURRENCY, logs_err};
use crate::attrs::attrs;
use crate::attrs::{int_or_null, opt_i64, opt_str, req_str, str_or_null};
use crate::clients::AwsClients;
use crate::error::is_not_found;
use crate::normalize::normalize_common;
use crate::paging::{collect_pages, concurrent, for_chunks};
use crate::tags::tags_field;
use crate::tags::{self, ADDRESS_TAG};
use async_trait::async_trait;
use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::types::{LogGroup, LogGroupClass};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::Owner;
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock};

/// Names per DescribeLogGroups request (the API's cap on identifiers).
const IDENTIFIERS_PER_CALL: usize = 50;
/// Tag reads in flight at once.
const TAG_CONCURRENCY: usize = 8;
/// The class AWS gives a group created without one.
const DEFAULT_CLASS: &str = "STANDARD";

/// The `aws.logs.log_group` provider.
pub struct LogGroupProvider {
    clients: Arc<AwsClients>,
    schema: KindSchema,
}

impl LogGroupProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        LogGroupProvider {
            clients,
            schema: schema(),
        }
    }

    async fn client(&self, region: &str) -> Result<Client, ProviderError> {
        self.clients.client(region, Client::new).await
    }
}

/// The schema of `aws.logs.log_group`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.logs.log_group",
        "A CloudWatch Logs log group.",
        [
            (
                "log_group_name",
                FieldSchema::required(FieldType::String).force_new().describe("The group's name, e.g. /ecs/api."),
            ),
            (
                "retention_in_days",
                FieldSchema::optional(FieldType::Number)
                    .describe("Days to keep events (1, 3, 5, 7, 14, 30, ...); unset keeps them forever."),
            ),
            (
                "kms_key_id",
                FieldSchema::optional(FieldType::String)
                    .describe("ARN of the KMS key encrypting the group's data (a full key ARN, as the API requires)."),
            ),
            (
                "log_group_class",
                FieldSchema::optional(FieldType::String)
                    .force_new()
                    .default(DEFAULT_CLASS)
                    .describe("STANDARD, INFREQUENT_ACCESS or DELIVERY; fixed at create."),
            ),
            ("tags", tags_field()),
            ("arn", FieldSchema::computed(FieldType::String).describe("The group's ARN (without the trailing :*).")),
        ],
    )
}

static SCHEMA: LazyLock<KindSchema> = LazyLock::new(schema);

/// The group's ARN without the `:*` suffix DescribeLogGroups' `arn` has
/// (the suffixless form is what TagResource and IAM policies on the group
/// itself take).
fn group_arn(g: &LogGroup) -> Option<String> {
    g.log_group_arn().map(str::to_string).or_else(|| {
        g.arn()
            .map(|a| a.strip_suffix(":*").unwrap_or(a).to_string())
    })
}

fn group_attrs(g: &LogGroup, tags: &HashMap<String, String>) -> Attrs {
    let name = g.log_group_name().unwrap_or_default();
    attrs([
        ("id", Value::from(name)),
        ("log_group_name", Value::from(name)),
        ("retention_in_days", int_or_null(g.retention_in_days())),
        ("kms_key_id", str_or_null(g.kms_key_id())),
        (
            "log_group_class",
            Value::from(
                g.log_group_class()
                    .map(LogGroupClass::as_str)
                    .unwrap_or(DEFAULT_CLASS),
            ),
        ),
        (
            "tags",
            tags::observed_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        ),
        ("arn", str_or_null(group_arn(g))),
    ])
}

fn normalize(mut attrs: Attrs) -> Attrs {
    normalize_common(&SCHEMA, &mut attrs);
    attrs
}

/// DescribeLogGroups pages for `names` (or, with `None`, every group).
async fn describe(
    client: &Client,
    names: Option<Vec<String>>,
) -> Result<Vec<LogGroup>, ProviderError> {
    collect_pages(|token| {
        let names = names.clone();
        async move {
            let out = client
                .describe_log_groups()
                .set_log_group_identifiers(names)
                .set_next_token(token)
                .send()
                .await
                .map_err(logs_err)?;
            Ok((out.log_groups.unwrap_or_default(), out.next_token))
        }
    })
    .await
}

async fn group_tags(
    client: &Client,
    arn: Option<String>,
) -> Result<HashMap<String, String>, ProviderError> {
    let Some(arn) = arn else {
        return Ok(HashMap::new());
    };
    match client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(logs_err)
    {
        Ok(out) => Ok(out.tags.unwrap_or_default()),
        Err(e) if is_not_found(&e) => Ok(HashMap::new()),
        Err(e) => Err(e),
    }
}

/// Groups with their tags.
async fn with_tags(
    client: &Client,
    groups: Vec<LogGroup>,
) -> Result<Vec<(LogGroup, HashMap<String, String>)>, ProviderError> {
    concurrent(groups, TAG_CONCURRENCY, |g| async move {
        let tags = group_tags(client, group_arn(&g)).await?;
        Ok((g, tags))
    })
    .await
}

async fn observe_groups(
    client: &Client,
    ids: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let found = for_chunks(ids, IDENTIFIERS_PER_CALL, |chunk| async move {
        let groups = describe(client, Some(chunk.clone())).await?;
        Ok(groups
            .into_iter()
            .filter(|g| {
                g.log_group_name()
                    .is_some_and(|n| chunk.iter().any(|c| c == n))
            })
            .collect())
    })
    .await?;
    let tagged = with_tags(client, found).await?;
    Ok(tagged
        .iter()
        .filter_map(|(g, t)| {
            Some((
                g.log_group_name()?.to_string(),
                normalize(group_attrs(g, t)),
            ))
        })
        .collect())
}

/// One change to a log group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupCall {
    /// PutRetentionPolicy.
    PutRetention(i32),
    /// DeleteRetentionPolicy.
    DeleteRetention,
    /// AssociateKmsKey.
    AssociateKey(String),
    /// DisassociateKmsKey.
    DisassociateKey,
    /// TagResource.
    Tag(BTreeMap<String, String>),
    /// UntagResource.
    Untag(Vec<String>),
}

/// The calls that bring a group from `prior` to `desired`.
pub fn update_calls(prior: &Attrs, desired: &Attrs) -> Vec<GroupCall> {
    let mut calls = Vec::new();
    match (
        opt_i64(prior, "retention_in_days"),
        opt_i64(desired, "retention_in_days"),
    ) {
        (p, Some(d)) if p != Some(d) => calls.push(GroupCall::PutRetention(
            i32::try_from(d).unwrap_or(i32::MAX),
        )),
        (Some(_), None) => calls.push(GroupCall::DeleteRetention),
        _ => {}
    }
    match (opt_str(prior, "kms_key_id"), opt_str(desired, "kms_key_id")) {
        (p, Some(d)) if p != Some(d) => calls.push(GroupCall::AssociateKey(d.to_string())),
        (Some(_), None) => calls.push(GroupCall::DisassociateKey),
        _ => {}
    }
    let (set, remove) = tags::diff(&tags::user_tags(prior), &tags::user_tags(desired));
    if !set.is_empty() {
        calls.push(GroupCall::Tag(set));
    }
    if !remove.is_empty() {
        calls.push(GroupCall::Untag(remove));
    }
    calls
}

async fn run_call(
    client: &Client,
    name: &str,
    arn: &str,
    call: GroupCall,
) -> Result<(), ProviderError> {
    match call {
        GroupCall::PutRetention(days) => {
            client
                .put_retention_policy()
                .log_group_name(name)
                .retention_in_days(days)
                .send()
                .await
                .map_err(logs_err)?;
        }
        GroupCall::DeleteRetention => {
            client
                .delete_retention_policy()
                .log_group_name(name)
                .send()
                .await
                .map_err(logs_err)?;
        }
        GroupCall::AssociateKey(key) => {
            client
                .associate_kms_key()
                .log_group_name(name)
                .kms_key_id(key)
                .send()
                .await
                .map_err(logs_err)?;
        }
        GroupCall::DisassociateKey => {
            client
                .disassociate_kms_key()
                .log_group_name(name)
                .send()
                .await
                .map_err(logs_err)?;
        }
        GroupCall::Tag(set) => {
            client
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(set.into_iter().collect()))
                .send()
                .await
                .map_err(logs_err)?;
        }
        GroupCall::Untag(keys) => {
            client
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map_err(logs_err)?;
        }
    }
    Ok(())
}

async fn observe_one(client: &Client, name: &str) -> Result<Attrs, ProviderError> {
    observe_groups(client, &[name.to_string()])
        .await?
        .remove(name)
        .ok_or_else(|| ProviderError::Transient {
            message: format!("log group {name} not visible yet"),
        })
}

/// Every group in the region with its tags (orphan search, drift report):
/// one paged DescribeLogGroups plus a tag read per group.
async fn all_with_tags(
    client: &Client,
) -> Result<Vec<(LogGroup, HashMap<String, String>)>, ProviderError> {
    let groups = describe(client, None).await?;
    with_tags(client, groups).await
}

#[async_trait]
impl Provider for LogGroupProvider {
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
        observe_groups(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.client(&ctx.region).await?;
        let name = req_str(desired, "log_group_name")?;
        let class = opt_str(desired, "log_group_class").unwrap_or(DEFAULT_CLASS);
        let result = client
            .create_log_group()
            .log_group_name(name)
            .set_kms_key_id(opt_str(desired, "kms_key_id").map(str::to_string))
            .log_group_class(LogGroupClass::from(class))
            .set_tags(Some(
                tags::create_tags(desired, &ctx.system_tags)
                    .into_iter()
                    .collect(),
            ))
            .send()
            .await
            .map_err(logs_err);
        match result {
            Ok(_) => {}
            // A retry of our own create whose answer was lost: the group
            // carries this state's tags. Anyone else's group is refused.
            Err(ProviderError::Api { code, .. }) if code == "ResourceAlreadyExistsException" => {
                let found = describe(&client, Some(vec![name.to_string()])).await?;
                let existing = with_tags(
                    &client,
                    found
                        .into_iter()
                        .filter(|g| g.log_group_name() == Some(name))
                        .collect(),
                )
                .await?;
                let t: Vec<(&str, &str)> = existing
                    .iter()
                    .flat_map(|(_, t)| t.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                    .collect();
                let address = ctx.address.to_string();
                if !tags::owned_by(t.iter().copied(), &ctx.owner, Some(&address)) {
                    return Err(tags::not_ours(ctx, &format!("log group {name}"), t));
                }
            }
            Err(e) => return Err(e),
        }
        if let Some(days) = opt_i64(desired, "retention_in_days") {
            run_call(
                &client,
                name,
                "",
                GroupCall::PutRetention(i32::try_from(days).unwrap_or(i32::MAX)),
            )
            .await?;
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
        let arn = match opt_str(prior, "arn") {
            Some(a) => a.to_string(),
            None => opt_str(&observe_one(&client, id).await?, "arn")
                .unwrap_or_default()
                .to_string(),
        };
        for call in update_calls(prior, desired) {
            run_call(&client, id, &arn, call).await?;
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
                .delete_log_group()
                .log_group_name(id)
                .send()
                .await
                .map(|_| ())
                .map_err(logs_err),
        )
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = self.client(&ctx.region).await?;
        let address = ctx.address.to_string();
        let ids = all_owned(&client, &ctx.owner, Some(&address), None).await?;
        tags::adopt_listed(tags::listed_ids(ids), &address, |id| async move {
            observe_groups(&client, std::slice::from_ref(&id)).await
        })
        .await
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.client(&ctx.region).await?;
        all_owned(&client, &ctx.owner, None, None).await
    }
}

/// Groups owned by `stack` (and `address`), as (name, address tag); with
/// `name`, only that group is read (one describe, one tag read).
async fn all_owned(
    client: &Client,
    owner: &Owner,
    address: Option<&str>,
    name: Option<&str>,
) -> Result<Vec<(String, Option<String>)>, ProviderError> {
    let groups = match name {
        Some(n) => {
            let found = describe(client, Some(vec![n.to_string()])).await?;
            with_tags(
                client,
                found
                    .into_iter()
                    .filter(|g| g.log_group_name() == Some(n))
                    .collect(),
            )
            .await?
        }
        None => all_with_tags(client).await?,
    };
    Ok(groups
        .iter()
        .filter(|(_, t)| {
            tags::owned_by(
                t.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                owner,
                address,
            )
        })
        .filter_map(|(g, t)| Some((g.log_group_name()?.to_string(), t.get(ADDRESS_TAG).cloned())))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs_of(v: serde_json::Value) -> Attrs {
        normalize(Value::from_json(&v).as_map().cloned().unwrap_or_default())
    }

    #[test]
    fn observed_attrs_cover_every_field() {
        let g = LogGroup::builder()
            .log_group_name("/ecs/api")
            .arn("arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/api:*")
            .retention_in_days(30)
            .build();
        let tags = HashMap::from([
            ("team".to_string(), "a".to_string()),
            ("forge:stack".to_string(), "s".to_string()),
        ]);
        let a = group_attrs(&g, &tags);
        for field in schema().fields.keys() {
            assert!(a.contains_key(field), "missing {field}");
        }
        assert_eq!(
            a["arn"],
            Value::from("arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/api")
        );
        assert_eq!(a["log_group_class"], Value::from("STANDARD"));
        assert_eq!(a["tags"].as_map().map(|m| m.len()), Some(1));
    }

    #[test]
    fn retention_and_key_changes_map_to_their_calls() {
        let prior = attrs_of(
            serde_json::json!({"log_group_name": "g", "retention_in_days": 7, "tags": {"a": "1"}}),
        );
        let want = attrs_of(
            serde_json::json!({"log_group_name": "g", "retention_in_days": 30, "kms_key_id": "arn:k", "tags": {"b": "2"}}),
        );
        assert_eq!(
            update_calls(&prior, &want),
            vec![
                GroupCall::PutRetention(30),
                GroupCall::AssociateKey("arn:k".into()),
                GroupCall::Tag(BTreeMap::from([("b".into(), "2".into())])),
                GroupCall::Untag(vec!["a".into()]),
            ]
        );
        assert_eq!(
            update_calls(&want, &prior)[..2],
            [GroupCall::PutRetention(7), GroupCall::DisassociateKey]
        );
        let forever = attrs_of(serde_json::json!({"log_group_name": "g"}));
        assert_eq!(
            update_calls(&prior, &forever),
            vec![
                GroupCall::DeleteRetention,
                GroupCall::Untag(vec!["a".into()])
            ]
        );
        assert!(update_calls(&prior, &prior).is_empty());
    }
}
