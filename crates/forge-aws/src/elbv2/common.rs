//! What the ELBv2 kinds share: tags, the batched describes and the
//! listings behind `list_owned`.
//!
//! ELBv2 describes by ARN list and fails the whole call with
//! `*NotFound` when one ARN is gone, so [`describe_arns`] falls back to one
//! call per ARN for a chunk that failed that way (rare: only after
//! something was deleted behind forge's back). Tags come from a separate
//! DescribeTags, which takes at most 20 ARNs per call.

use super::Elbv2;
use crate::error::is_not_found;
use crate::kind::{Owned, Service};
use crate::paging::{collect_pages, for_chunks};
use crate::tags::{self, ADDRESS_TAG};
use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types::Tag;
use forge_core::fields::Tags;
use forge_engine::{ObserveCtx, Owner, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::future::Future;

/// ARNs per DescribeTags call (the API's limit).
pub const TAG_BATCH: usize = 20;

/// ARNs per DescribeLoadBalancers / DescribeTargetGroups / DescribeListeners
/// / DescribeRules call. The load balancer API caps the list at 20; using
/// the same size everywhere keeps the NotFound fallback cheap.
pub const DESCRIBE_BATCH: usize = 20;

/// ELBv2 tags from a key/value map.
pub fn to_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The user's and forge's tags to pass at create.
pub fn create_tags(desired: &Tags, ctx: &ResourceCtx) -> Option<Vec<Tag>> {
    Some(to_tags(&tags::with_system(desired, &ctx.system_tags)))
}

/// The ARN a create answered with (its first object's).
pub fn created(arn: Option<&str>, call: &str) -> Result<String, ProviderError> {
    arn.map(str::to_string)
        .ok_or_else(|| ProviderError::Transient {
            message: format!("{call} returned no ARN"),
        })
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
            .map_err(Elbv2::err)?;
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

/// Described objects with their ARN and user tags (one DescribeTags per
/// 20 of them).
pub async fn with_tags<T>(
    client: &Client,
    objects: Vec<T>,
    arn_of: impl Fn(&T) -> Option<&str>,
) -> Result<Vec<(String, T, Tags)>, ProviderError> {
    let arns: Vec<String> = objects
        .iter()
        .filter_map(|o| arn_of(o).map(str::to_string))
        .collect();
    let all = describe_tags(client, &arns).await?;
    Ok(objects
        .into_iter()
        .filter_map(|o| {
            let arn = arn_of(&o)?.to_string();
            let t = all.get(&arn).map_or_else(Tags::default, |t| {
                tags::observed_map(t.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            });
            Some((arn, o, t))
        })
        .collect())
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

/// Whether a tag set marks the resource as `address` of `owner`.
pub fn owned_by(tags: &BTreeMap<String, String>, owner: &Owner, address: Option<&str>) -> bool {
    tags::owned_by(
        tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        owner,
        address,
    )
}

/// Of `arns`, those carrying `ctx`'s ownership tags (and `address`, if
/// given), with their `forge:address` tag, sorted by ARN.
pub async fn owned(
    client: &Client,
    arns: &[String],
    ctx: &ObserveCtx,
    address: Option<&str>,
) -> Result<Vec<Owned>, ProviderError> {
    let mut out: Vec<Owned> = describe_tags(client, arns)
        .await?
        .into_iter()
        .filter(|(_, t)| owned_by(t, &ctx.owner, address))
        .map(|(arn, t)| (arn, t.get(ADDRESS_TAG).cloned()))
        .collect();
    out.sort();
    Ok(out)
}

/// Every load balancer ARN in the region (all pages).
pub async fn all_load_balancer_arns(client: &Client) -> Result<Vec<String>, ProviderError> {
    collect_pages(|marker| async move {
        let out = client
            .describe_load_balancers()
            .set_marker(marker)
            .page_size(400)
            .send()
            .await
            .map_err(Elbv2::err)?;
        let arns = out
            .load_balancers()
            .iter()
            .filter_map(|l| l.load_balancer_arn().map(str::to_string))
            .collect();
        Ok((arns, out.next_marker))
    })
    .await
}

/// The listeners of the load balancers `ctx`'s state owns: the parents of
/// its listener rules and the listeners themselves, which have no
/// describe-all call of their own (one call per load balancer, plus pages).
pub async fn owned_listener_arns(
    client: &Client,
    ctx: &ObserveCtx,
) -> Result<Vec<String>, ProviderError> {
    let all = all_load_balancer_arns(client).await?;
    let mut out = Vec::new();
    for (lb, _) in owned(client, &all, ctx, None).await? {
        let lb = &lb;
        let arns = collect_pages(|marker| async move {
            let res = client
                .describe_listeners()
                .load_balancer_arn(lb)
                .set_marker(marker)
                .send()
                .await;
            match res.map_err(Elbv2::err) {
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
    use crate::normalize::{int_of, number_value, text_value};
    use forge_core::Value;
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
