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

use super::Logs;
use crate::error::found;
use crate::kind::IdFrom;
use crate::kind::prelude::*;
use crate::paging::{collect_pages, concurrent, for_chunks};
use crate::tags;
use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::types::{LogGroup, LogGroupClass};
use std::collections::HashMap;

/// Names per DescribeLogGroups request (the API's cap on identifiers).
const IDENTIFIERS_PER_CALL: usize = 50;
/// Tag reads in flight at once.
const TAG_CONCURRENCY: usize = 8;
/// The class AWS gives a group created without one.
const DEFAULT_CLASS: &str = "STANDARD";

crate::kind::declare_kind!(LogGroupKind: "aws.logs.log_group", Logs, LogGroupFields,
    "A CloudWatch Logs log group.");

/// The fields of `aws.logs.log_group`.
#[derive(Debug, Clone, Fields)]
pub struct LogGroupFields {
    /// The group's name, e.g. /ecs/api.
    #[field(force_new)]
    pub log_group_name: String,
    /// Days to keep events (1, 3, 5, 7, 14, 30, ...); unset keeps them forever.
    pub retention_in_days: Option<i64>,
    /// ARN of the KMS key encrypting the group's data (a full key ARN, as the API requires).
    pub kms_key_id: Option<String>,
    /// STANDARD, INFREQUENT_ACCESS or DELIVERY; fixed at create.
    #[field(force_new, default = DEFAULT_CLASS)]
    pub log_group_class: Option<String>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The group's ARN (without the trailing :*).
    pub arn: Computed<String>,
}

/// A group with all its tags (system tags included).
type Tagged = (LogGroup, HashMap<String, String>);

/// The group's ARN without the `:*` suffix DescribeLogGroups' `arn` has
/// (the suffixless form is what TagResource and IAM policies on the group
/// itself take).
fn group_arn(g: &LogGroup) -> Option<String> {
    g.log_group_arn().map(str::to_string).or_else(|| {
        g.arn()
            .map(|a| a.strip_suffix(":*").unwrap_or(a).to_string())
    })
}

fn fields((g, tags): &Tagged) -> LogGroupFields {
    LogGroupFields {
        log_group_name: g.log_group_name().unwrap_or_default().to_string(),
        retention_in_days: g.retention_in_days().map(i64::from),
        kms_key_id: g.kms_key_id().map(str::to_string),
        log_group_class: Some(
            g.log_group_class()
                .map_or(DEFAULT_CLASS, LogGroupClass::as_str)
                .to_string(),
        ),
        tags: tags::observed_map(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        arn: group_arn(g),
    }
}

/// Groups with their tags: DescribeLogGroups pages for `names` (or, with
/// `None`, every group; given, only groups of exactly those names), then a
/// tag read per group.
async fn groups(client: &Client, names: Option<Vec<String>>) -> Result<Vec<Tagged>, ProviderError> {
    let wanted = names.clone();
    let found = collect_pages(|token| {
        let names = names.clone();
        async move {
            let out = client
                .describe_log_groups()
                .set_log_group_identifiers(names)
                .set_next_token(token)
                .send()
                .await
                .map_err(Logs::err)?;
            Ok((out.log_groups.unwrap_or_default(), out.next_token))
        }
    })
    .await?
    .into_iter()
    .filter(|g| {
        wanted
            .as_ref()
            .is_none_or(|w| w.iter().any(|n| g.log_group_name() == Some(n)))
    })
    .collect();
    concurrent(found, TAG_CONCURRENCY, |g| async move {
        let tags = group_tags(client, group_arn(&g)).await?;
        Ok((g, tags))
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
    let call = client.list_tags_for_resource().resource_arn(arn);
    let out = found(call.send().await.map_err(Logs::err))?;
    Ok(out.and_then(|out| out.tags).unwrap_or_default())
}

fn pairs(tags: &HashMap<String, String>) -> impl Iterator<Item = (&str, &str)> + Clone {
    tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// One change to a log group's retention or key (tags go through
/// [`sync_tags`]).
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
}

fn days(d: i64) -> i32 {
    i32::try_from(d).unwrap_or(i32::MAX)
}

/// The retention and key calls that bring a group from `prior` to `desired`.
pub fn update_calls(prior: &LogGroupFields, desired: &LogGroupFields) -> Vec<GroupCall> {
    let mut calls = Vec::new();
    match (prior.retention_in_days, desired.retention_in_days) {
        (p, Some(d)) if p != Some(d) => calls.push(GroupCall::PutRetention(days(d))),
        (Some(_), None) => calls.push(GroupCall::DeleteRetention),
        _ => {}
    }
    match (&prior.kms_key_id, &desired.kms_key_id) {
        (p, Some(d)) if p.as_ref() != Some(d) => calls.push(GroupCall::AssociateKey(d.clone())),
        (Some(_), None) => calls.push(GroupCall::DisassociateKey),
        _ => {}
    }
    calls
}

async fn run_call(client: &Client, name: &str, call: GroupCall) -> Result<(), ProviderError> {
    /// Sends a request, keeping only whether it worked.
    macro_rules! send {
        ($call:expr) => {
            $call
                .log_group_name(name)
                .send()
                .await
                .map(drop)
                .map_err(Logs::err)
        };
    }
    match call {
        GroupCall::PutRetention(days) => {
            send!(client.put_retention_policy().retention_in_days(days))
        }
        GroupCall::DeleteRetention => send!(client.delete_retention_policy()),
        GroupCall::AssociateKey(key) => send!(client.associate_kms_key().kms_key_id(key)),
        GroupCall::DisassociateKey => send!(client.disassociate_kms_key()),
    }
}

#[async_trait]
impl Kind for LogGroupKind {
    const ARNS: &[ArnShape] = &[ArnShape {
        service: "logs",
        prefix: "log-group:",
        id: IdFrom::LogGroup,
    }];

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        let found = for_chunks(ids, IDENTIFIERS_PER_CALL, |chunk| {
            groups(ctx.client, Some(chunk))
        })
        .await?;
        Ok(found
            .iter()
            .map(|t| {
                (
                    t.0.log_group_name().unwrap_or_default().to_string(),
                    fields(t),
                )
            })
            .collect())
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let name = &desired.log_group_name;
        let class = desired.log_group_class.as_deref().unwrap_or(DEFAULT_CLASS);
        let result = ctx
            .client
            .create_log_group()
            .log_group_name(name)
            .set_kms_key_id(desired.kms_key_id.clone())
            .log_group_class(LogGroupClass::from(class))
            .set_tags(Some(
                tags::with_system(&desired.tags, &ctx.system_tags)
                    .into_iter()
                    .collect(),
            ))
            .send()
            .await
            .map_err(Logs::err);
        match result {
            Ok(_) => {}
            // A retry of our own create whose answer was lost: the group
            // carries this state's tags. Anyone else's group is refused.
            Err(ProviderError::Api { code, .. }) if code == "ResourceAlreadyExistsException" => {
                let existing = groups(ctx.client, Some(vec![name.clone()])).await?;
                let t: Vec<(&str, &str)> = existing.iter().flat_map(|(_, t)| pairs(t)).collect();
                tags::ensure_ours(ctx, &format!("log group {name}"), t, true)?;
            }
            Err(e) => return Err(e),
        }
        if let Some(d) = desired.retention_in_days {
            run_call(ctx.client, name, GroupCall::PutRetention(days(d))).await?;
        }
        Self::made(ctx, name.clone()).await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        let live = || async { Ok(Self::read_back(ctx, id).await?.arn) };
        let arn = crate::arn::recorded_or_live(&prior.arn, live).await?;
        for call in update_calls(prior, desired) {
            run_call(ctx.client, id, call).await?;
        }
        retag_and_read(ctx, id, Some(arn.as_str()), &prior.tags, &desired.tags).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        let call = ctx.client.delete_log_group().log_group_name(id);
        crate::error::ignore_not_found(call.send().await.map(drop).map_err(Logs::err))
    }

    /// Every group in the region with its tags: one paged
    /// DescribeLogGroups plus a tag read per group.
    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        Ok(groups(ctx.client, None)
            .await?
            .iter()
            .filter_map(|(g, t)| {
                let name = g.log_group_name()?.to_string();
                tags::owned_entry(&ctx.owner, pairs(t), &name, address)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::testing::attrs;
    use forge_core::fields::Fields;

    fn group(v: serde_json::Value) -> LogGroupFields {
        LogGroupFields::from_attrs(&attrs(v)).unwrap()
    }

    #[test]
    fn observed_fields_cover_every_field() {
        let g = LogGroup::builder()
            .log_group_name("/ecs/api")
            .arn("arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/api:*")
            .retention_in_days(30)
            .build();
        let tags = HashMap::from([
            ("team".to_string(), "a".to_string()),
            ("forge:stack".to_string(), "s".to_string()),
        ]);
        let f = fields(&(g, tags));
        assert_eq!(
            f.arn.as_deref(),
            Some("arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/api")
        );
        assert_eq!(f.log_group_class.as_deref(), Some("STANDARD"));
        assert_eq!(f.retention_in_days, Some(30));
        assert_eq!(f.tags.0.len(), 1);
        let a = f.to_attrs();
        for field in crate::kind::schema_of::<LogGroupKind>().fields.keys() {
            assert!(a.contains_key(field), "missing {field}");
        }
    }

    #[test]
    fn retention_and_key_changes_map_to_their_calls() {
        let prior = group(serde_json::json!({"log_group_name": "g", "retention_in_days": 7}));
        let want = group(
            serde_json::json!({"log_group_name": "g", "retention_in_days": 30, "kms_key_id": "arn:k"}),
        );
        assert_eq!(
            update_calls(&prior, &want),
            vec![
                GroupCall::PutRetention(30),
                GroupCall::AssociateKey("arn:k".into()),
            ]
        );
        assert_eq!(
            update_calls(&want, &prior),
            [GroupCall::PutRetention(7), GroupCall::DisassociateKey]
        );
        let forever = group(serde_json::json!({"log_group_name": "g"}));
        assert_eq!(
            update_calls(&prior, &forever),
            vec![GroupCall::DeleteRetention]
        );
        assert!(update_calls(&prior, &prior).is_empty());
    }
}
