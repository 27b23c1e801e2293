//! Code shared by the ELBv2 kinds: the client, error mapping, tags, and the
//! batched describes used by `observe`, `find_orphan` and `list_tagged`.
//!
//! ELBv2 describes by ARN list and fails the whole call with
//! `*NotFound` when one ARN is gone, so [`describe_arns`] falls back to one
//! call per ARN for a chunk that failed that way (rare: only after
//! something was deleted behind forge's back). Tags come from a separate
//! DescribeTags, which takes at most 20 ARNs per call.

use crate::clients::AwsClients;
use crate::error::{is_not_found, sdk_error};
use crate::paging::{collect_pages, for_chunks};
use crate::tags::{self, ADDRESS_TAG};
use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types::Tag;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use forge_core::{Attrs, Value};
use forge_engine::Owner;
use forge_engine::{ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

/// The service name used in errors.
pub const SERVICE: &str = "elasticloadbalancing";

/// Concurrent ELBv2 mutations the scheduler may run: ELBv2's mutating
/// calls share a low per-account rate (about 10/s for most actions).
pub const CONCURRENCY: (&str, usize) = ("elbv2", 10);

/// ARNs per DescribeTags call (the API's limit).
pub const TAG_BATCH: usize = 20;

/// ARNs per DescribeLoadBalancers / DescribeTargetGroups / DescribeListeners
/// / DescribeRules call. The load balancer API caps the list at 20; using
/// the same size everywhere keeps the NotFound fallback cheap.
pub const DESCRIBE_BATCH: usize = 20;

/// Maps an ELBv2 SDK error.
pub fn elb_err<E>(err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    sdk_error(SERVICE, err)
}

/// What every ELBv2 provider holds: the shared client cache.
#[derive(Debug, Clone)]
pub struct ElbBase {
    clients: Arc<AwsClients>,
}

impl ElbBase {
    /// A base sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        ElbBase { clients }
    }

    /// The ELBv2 client of a region.
    pub async fn client(&self, region: &str) -> Result<Client, ProviderError> {
        self.clients.client(region, Client::new).await
    }
}

/// ELBv2 tags from a key/value map.
pub fn to_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The user's and forge's tags to pass at create.
pub fn create_tags(desired: &Attrs, ctx: &ResourceCtx) -> Vec<Tag> {
    to_tags(&tags::create_tags(desired, &ctx.system_tags))
}

/// All tags of each ARN (system tags included): one DescribeTags per 20.
pub async fn describe_tags(
    client: &Client,
    arns: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, String>>, ProviderError> {
    let descriptions = for_chunks(arns, TAG_BATCH, |chunk| async move {
        let out = client
            .describe_tags()
            .set_resource_arns(Some(chunk))
            .send()
            .await
            .map_err(elb_err)?;
        Ok(out.tag_descriptions.unwrap_or_default())
    })
    .await?;
    Ok(descriptions
        .into_iter()
        .filter_map(|d| {
            let arn = d.resource_arn()?.to_string();
            let tags = d
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                .collect();
            Some((arn, tags))
        })
        .collect())
}

/// The observed `tags` attribute (system tags hidden).
pub fn observed_tags(all: Option<&BTreeMap<String, String>>) -> Value {
    match all {
        Some(t) => tags::observed_tags(t.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        None => Value::Map(BTreeMap::new()),
    }
}

/// Attributes by ARN of described objects, with their tags (one
/// DescribeTags per 20 of the objects found): the observe of the kinds
/// whose describe answers everything but tags.
pub async fn with_tags<T>(
    client: &Client,
    objects: &[T],
    arn_of: impl Fn(&T) -> Option<&str>,
    attrs_of: impl Fn(&T, Option<&BTreeMap<String, String>>) -> Attrs,
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let found: Vec<String> = objects
        .iter()
        .filter_map(|o| arn_of(o).map(str::to_string))
        .collect();
    let tags = describe_tags(client, &found).await?;
    Ok(objects
        .iter()
        .filter_map(|o| {
            let arn = arn_of(o)?;
            Some((arn.to_string(), attrs_of(o, tags.get(arn))))
        })
        .collect())
}

/// The attributes of a resource just created or updated (shared helper).
pub use crate::attrs::observed;

/// Brings the user tags of `arn` from `prior` to `desired` with at most one
/// AddTags and one RemoveTags call. System tags are never touched.
pub async fn sync_tags(
    client: &Client,
    arn: &str,
    prior: &Attrs,
    desired: &Attrs,
) -> Result<(), ProviderError> {
    let (set, remove) = tags::diff(&tags::user_tags(prior), &tags::user_tags(desired));
    if !set.is_empty() {
        client
            .add_tags()
            .resource_arns(arn)
            .set_tags(Some(to_tags(&set)))
            .send()
            .await
            .map_err(elb_err)?;
    }
    if !remove.is_empty() {
        client
            .remove_tags()
            .resource_arns(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(elb_err)?;
    }
    Ok(())
}

/// Describes `arns` in chunks of [`DESCRIBE_BATCH`] with `fetch`. A chunk
/// failing with `*NotFound` is retried one ARN at a time so the missing
/// ones are simply absent from the result.
pub async fn describe_arns<T, F, Fut>(arns: &[String], fetch: F) -> Result<Vec<T>, ProviderError>
where
    F: Fn(Vec<String>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, ProviderError>>,
{
    let fetch = &fetch;
    for_chunks(arns, DESCRIBE_BATCH, |chunk| async move {
        match fetch(chunk.clone()).await {
            Err(e) if is_not_found(&e) => {
                let mut found = Vec::new();
                for arn in chunk {
                    match fetch(vec![arn]).await {
                        Ok(items) => found.extend(items),
                        Err(e) if is_not_found(&e) => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(found)
            }
            other => other,
        }
    })
    .await
}

/// Pages through a Describe with a `Marker` (ELBv2's paging token).
pub async fn all_pages<T, F, Fut>(fetch: F) -> Result<Vec<T>, ProviderError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), ProviderError>>,
{
    collect_pages(fetch).await
}

/// Whether a tag set marks the resource as `address` of `stack`.
pub fn owned_by(tags: &BTreeMap<String, String>, owner: &Owner, address: Option<&str>) -> bool {
    tags::owned_by(
        tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        owner,
        address,
    )
}

/// Of `arns`, those tagged with the stack (and address, if given), with
/// their `forge:address` tag, sorted by ARN so repeated lookups pick the
/// same one.
pub async fn tagged_arns(
    client: &Client,
    arns: &[String],
    owner: &Owner,
    address: Option<&str>,
) -> Result<Vec<(String, Option<String>)>, ProviderError> {
    let tags = describe_tags(client, arns).await?;
    let mut out: Vec<(String, Option<String>)> = tags
        .into_iter()
        .filter(|(_, t)| owned_by(t, owner, address))
        .map(|(arn, t)| {
            let addr = t.get(ADDRESS_TAG).cloned();
            (arn, addr)
        })
        .collect();
    out.sort();
    Ok(out)
}

/// The one ARN carrying this resource's ownership tags, if any (the first
/// when a repeated crash left several).
pub async fn orphan_arn(
    client: &Client,
    ctx: &ResourceCtx,
    arns: &[String],
) -> Result<Option<String>, ProviderError> {
    let address = ctx.address.to_string();
    let found = tagged_arns(client, arns, &ctx.owner, Some(&address)).await?;
    if found.len() > 1 {
        tracing::warn!(address = %address, arns = ?found, "several untracked resources carry this address; adopting the first");
    }
    Ok(found.into_iter().next().map(|(arn, _)| arn))
}

/// Every load balancer ARN in the region (all pages).
pub async fn all_load_balancer_arns(client: &Client) -> Result<Vec<String>, ProviderError> {
    all_pages(|marker| async move {
        let out = client
            .describe_load_balancers()
            .set_marker(marker)
            .page_size(400)
            .send()
            .await
            .map_err(elb_err)?;
        let arns = out
            .load_balancers()
            .iter()
            .filter_map(|l| l.load_balancer_arn().map(str::to_string))
            .collect();
        Ok((arns, out.next_marker))
    })
    .await
}

/// Load balancers tagged with `stack`: the parents of the stack's
/// listeners and rules, which have no describe-all call of their own.
pub async fn stack_load_balancer_arns(
    client: &Client,
    owner: &Owner,
) -> Result<Vec<String>, ProviderError> {
    let all = all_load_balancer_arns(client).await?;
    Ok(tagged_arns(client, &all, owner, None)
        .await?
        .into_iter()
        .map(|(a, _)| a)
        .collect())
}

/// The listener ARNs of the given load balancers (one call per load
/// balancer, plus pages).
pub async fn listener_arns_of(
    client: &Client,
    lbs: &[String],
) -> Result<Vec<String>, ProviderError> {
    let mut out = Vec::new();
    for lb in lbs {
        let arns = all_pages(|marker| async move {
            let res = client
                .describe_listeners()
                .load_balancer_arn(lb)
                .set_marker(marker)
                .send()
                .await;
            match res.map_err(elb_err) {
                Ok(o) => {
                    let arns = o
                        .listeners()
                        .iter()
                        .filter_map(|l| l.listener_arn().map(str::to_string))
                        .collect();
                    Ok((arns, o.next_marker))
                }
                Err(e) if is_not_found(&e) => Ok((Vec::new(), None)),
                Err(e) => Err(e),
            }
        })
        .await?;
        out.extend(arns);
    }
    Ok(out)
}

/// Reads a number or numeric text (AWS attributes are text, specs write
/// numbers).
pub fn int_of(v: &Value) -> Option<i64> {
    v.as_i64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// A number or numeric text as a number value; anything else unchanged.
pub fn number_value(v: &Value) -> Value {
    match v {
        Value::String(_) => int_of(v).map(Value::int).unwrap_or_else(|| v.clone()),
        other => other.clone(),
    }
}

/// A scalar as text (`443` and `"443"` are the same port in a redirect);
/// unknowns and nulls unchanged.
pub fn text_value(v: &Value) -> Value {
    match v {
        Value::Number(n) => Value::String(n.to_string()),
        Value::Bool(b) => Value::String(b.to_string()),
        other => other.clone(),
    }
}

/// `"true"`/`"false"` attribute text or a bool, as a bool.
pub fn bool_of(v: Option<&str>) -> Option<bool> {
    match v.map(str::trim) {
        Some(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Some(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[tokio::test]
    async fn not_found_chunk_falls_back_to_single_calls() {
        let calls = RefCell::new(Vec::new());
        let ids: Vec<String> = ["a", "gone", "b"].iter().map(|s| s.to_string()).collect();
        let found = describe_arns(&ids, |chunk: Vec<String>| {
            calls.borrow_mut().push(chunk.len());
            async move {
                if chunk.iter().any(|c| c == "gone") {
                    Err(ProviderError::Api {
                        code: "LoadBalancerNotFound".into(),
                        message: "x".into(),
                    })
                } else {
                    Ok(chunk)
                }
            }
        })
        .await
        .unwrap();
        assert_eq!(found, vec!["a", "b"]);
        assert_eq!(*calls.borrow(), vec![3, 1, 1, 1]);
    }

    #[tokio::test]
    async fn other_errors_fail_the_describe() {
        let ids = vec!["a".to_string()];
        let r: Result<Vec<String>, _> = describe_arns(&ids, |_chunk: Vec<String>| async {
            Err(ProviderError::Api {
                code: "ValidationError".into(),
                message: "x".into(),
            })
        })
        .await;
        assert!(r.is_err());
    }

    #[test]
    fn ownership_needs_the_state_and_address() {
        let t = BTreeMap::from([
            (tags::STATE_TAG.to_string(), "l".to_string()),
            (tags::STACK_TAG.to_string(), "s".to_string()),
            (ADDRESS_TAG.to_string(), "alb".to_string()),
        ]);
        let owner = Owner::new("l", "s", None);
        assert!(owned_by(&t, &owner, Some("alb")));
        assert!(owned_by(&t, &owner, None));
        assert!(!owned_by(&t, &owner, Some("other")));
        assert!(!owned_by(&t, &Owner::new("l2", "s", None), None));
    }

    #[test]
    fn scalars_convert_between_text_and_numbers() {
        assert_eq!(int_of(&Value::from("300")), Some(300));
        assert_eq!(number_value(&Value::from("60")), Value::int(60));
        assert_eq!(text_value(&Value::int(443)), Value::from("443"));
        assert_eq!(text_value(&Value::Unknown), Value::Unknown);
        assert_eq!(bool_of(Some("TRUE")), Some(true));
        assert_eq!(bool_of(Some("x")), None);
    }
}
