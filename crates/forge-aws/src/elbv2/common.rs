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
use crate::error::returned_id;
use crate::kind::{Act, Created, Kind};
use crate::kind::{Owned, Service};
use crate::paging::{collect_pages, for_chunks};
use crate::tags;
use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::types::Tag;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use forge_core::fields::Tags;
use forge_engine::{ObserveCtx, ProviderError, ResourceCtx};
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
    tags::tag_list(tags, |k, v| Tag::builder().key(k).value(v).build())
}

/// The user's and forge's tags to pass at create.
pub fn create_tags(desired: &Tags, ctx: &ResourceCtx) -> Option<Vec<Tag>> {
    Some(to_tags(&tags::with_system(desired, &ctx.system_tags)))
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

/// The objects of `ids` with their ARN and user tags: [`describe_arns`]
/// with `send` (one describe call for a chunk of ARNs, whose answer
/// `items` takes apart), then one DescribeTags per 20.
pub async fn describe_with_tags<T, O, E, F, Fut>(
    client: &Client,
    ids: &[String],
    arn_of: impl Fn(&T) -> Option<&str>,
    send: F,
    items: impl Fn(O) -> Option<Vec<T>>,
) -> Result<Vec<(String, T, Tags)>, ProviderError>
where
    F: Fn(Vec<String>) -> Fut,
    Fut: Future<Output = Result<O, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let (send, items) = (&send, &items);
    let objects = describe_arns(ids, |chunk| async move {
        Ok(items(send(chunk).await.map_err(Elbv2::err)?).unwrap_or_default())
    })
    .await?;
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
        .iter()
        .filter_map(|(arn, t)| {
            let pairs = t.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            tags::owned_entry(&ctx.owner, pairs, arn, address)
        })
        .collect();
    out.sort();
    Ok(out)
}

/// The ARNs of every object of a describe-all call, all pages: `$call`
/// names the call, `$items` the answer's list and `$arn` its ARN.
macro_rules! all_arns {
    ($client:expr, $call:ident, $items:ident, $arn:ident) => {
        $crate::paging::collect_pages(|marker| async move {
            let call = $client.$call().set_marker(marker).page_size(400);
            let out = call.send().await;
            let out = out.map_err(<$crate::elbv2::Elbv2 as $crate::kind::Service>::err)?;
            let items = out.$items().iter();
            let arns = items.filter_map(|x| x.$arn().map(str::to_string));
            Ok((arns.collect(), out.next_marker))
        })
    };
}
pub(crate) use all_arns;

/// [`describe_with_tags`] of `$ids` through one describe call:
/// `describe_x(set_x_arns) -> x, X::x_arn` names the call, its ARN-list
/// setter, the answer's list and the ARN of one object.
///
/// With `fields fields_of` it is a kind's whole `describe`: each object
/// found, with its tags, turned into the kind's fields by
/// `fields_of(&object, tags)`, by ARN.
macro_rules! describe_tagged {
    ($ctx:expr, $ids:expr, $call:ident($setter:ident) -> $items:ident, $arn:path,
     fields $fields:path) => {
        async {
            let tagged =
                $crate::elbv2::common::describe_tagged!($ctx, $ids, $call($setter) -> $items, $arn)
                    .await?;
            Ok(tagged
                .into_iter()
                .map(|(arn, object, tags)| (arn, $fields(&object, tags)))
                .collect())
        }
    };
    ($ctx:expr, $ids:expr, $call:ident($setter:ident) -> $items:ident, $arn:path) => {
        $crate::elbv2::common::describe_with_tags(
            $ctx.client,
            $ids,
            $arn,
            |chunk| $ctx.client.$call().$setter(Some(chunk)).send(),
            |o| o.$items,
        )
    };
}
pub(crate) use describe_tagged;

/// The end of a create: the ARN the call (`call`) answered with, left
/// for the engine's batched read-back ([`Kind::made`]).
pub async fn made<K: Kind>(ctx: &Act<'_, K>, arn: Option<&str>, call: &str) -> Created<K> {
    let id = returned_id(arn, call)?;
    K::made(ctx, id).await
}

/// Every load balancer ARN in the region (all pages).
pub async fn all_load_balancer_arns(client: &Client) -> Result<Vec<String>, ProviderError> {
    all_arns!(
        client,
        describe_load_balancers,
        load_balancers,
        load_balancer_arn
    )
    .await
}

/// The ARNs of the children of each of `parents` (listeners of load
/// balancers, rules of listeners): one call per parent, plus pages, with
/// `page` one page of one parent's; a parent gone meanwhile has none.
pub async fn child_arns<F, Fut>(parents: &[String], page: F) -> Result<Vec<String>, ProviderError>
where
    F: Fn(&str, Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<String>, Option<String>), ProviderError>>,
{
    let mut out = Vec::new();
    for parent in parents {
        let page = &page;
        let arns = collect_pages(|marker| async move {
            match page(parent, marker).await {
                Err(e) if is_not_found(&e) => Ok((Vec::new(), None)),
                other => other,
            }
        })
        .await?;
        out.extend(arns);
    }
    Ok(out)
}

/// The listeners of the load balancers `ctx`'s state owns: the parents of
/// its listener rules and the listeners themselves, which have no
/// describe-all call of their own (one call per load balancer, plus pages).
pub async fn owned_listener_arns(
    client: &Client,
    ctx: &ObserveCtx,
) -> Result<Vec<String>, ProviderError> {
    let all = all_load_balancer_arns(client).await?;
    let lbs: Vec<String> = tags::listed_ids(owned(client, &all, ctx, None).await?);
    child_arns(&lbs, |lb, marker| {
        let call = client.describe_listeners().load_balancer_arn(lb);
        let call = call.set_marker(marker);
        async move {
            let o = call.send().await.map_err(Elbv2::err)?;
            let arns = o.listeners().iter().filter_map(|l| l.listener_arn());
            Ok((arns.map(str::to_string).collect(), o.next_marker))
        }
    })
    .await
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
    use forge_engine::Owner;
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
            (tags::ADDRESS_TAG.to_string(), "alb".to_string()),
        ]);
        let owned_by = |owner: &str, address| {
            let pairs = t.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            tags::owned_entry(&Owner::new(owner, "s", None), pairs, "arn", address)
        };
        let entry = Some(("arn".to_string(), Some("alb".to_string())));
        assert_eq!(owned_by("l", Some("alb")), entry);
        assert_eq!(owned_by("l", None), entry);
        assert_eq!(owned_by("l", Some("other")), None);
        assert_eq!(owned_by("l2", None), None);
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
