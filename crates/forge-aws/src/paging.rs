//! Paging and chunking of batched Describe calls.
//!
//! `observe` makes one logical call per kind; physically that is one request
//! per chunk of ids (APIs cap filter values) times the pages of each chunk.
//! The loops live here, separate from the SDK, so they can be tested with a
//! fake page source (moto never pages).

use forge_engine::ProviderError;
use std::future::Future;

/// Filter values per Describe request. EC2 accepts up to 200 values per
/// filter; staying at that cap keeps request counts minimal.
pub const MAX_FILTER_VALUES: usize = 200;

/// Safety net against an API that keeps returning the same token.
const MAX_PAGES: usize = 10_000;

/// Calls `fetch` with `None`, then with every `next_token` it returns, until
/// a page comes back without one (or with an empty one), collecting items.
pub async fn collect_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, ProviderError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>), ProviderError>>,
{
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let (page, next) = fetch(token.take()).await?;
        items.extend(page);
        match next {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => return Ok(items),
        }
    }
    Err(ProviderError::Transient {
        message: format!("gave up paging after {MAX_PAGES} pages"),
    })
}

/// Runs `fetch` once per chunk of at most `chunk` ids (deduplicated, in
/// order) and concatenates the results. No ids, no calls.
pub async fn for_chunks<T, F, Fut>(
    ids: &[String],
    chunk: usize,
    mut fetch: F,
) -> Result<Vec<T>, ProviderError>
where
    F: FnMut(Vec<String>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, ProviderError>>,
{
    let mut unique: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        if !id.is_empty() && !unique.contains(id) {
            unique.push(id.clone());
        }
    }
    let mut out = Vec::new();
    for part in unique.chunks(chunk.max(1)) {
        out.extend(fetch(part.to_vec()).await?);
    }
    Ok(out)
}

/// Runs `fetch` for every item with at most `limit` calls in flight, for
/// APIs that have no batch describe (S3 bucket sub-resources, KMS keys,
/// IAM roles). Results come back in input order; the first error fails all.
pub async fn concurrent<I, T, F, Fut>(
    items: Vec<I>,
    limit: usize,
    fetch: F,
) -> Result<Vec<T>, ProviderError>
where
    F: FnMut(I) -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    use futures::{StreamExt, TryStreamExt};
    futures::stream::iter(items)
        .map(fetch)
        .buffered(limit.max(1))
        .try_collect()
        .await
}

/// Reads every distinct, non-empty id with `fetch` (at most `limit` in
/// flight; see [`concurrent`]): the batched describe of a kind whose API
/// reads one object per call. An id `fetch` answers `None` for is gone and
/// left out.
pub async fn each_id<T, F, Fut>(
    ids: &[String],
    limit: usize,
    mut fetch: F,
) -> Result<std::collections::BTreeMap<String, T>, ProviderError>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<Option<T>, ProviderError>>,
{
    let mut unique: Vec<String> = ids.iter().filter(|i| !i.is_empty()).cloned().collect();
    unique.sort();
    unique.dedup();
    let found = concurrent(unique, limit, |id| {
        let read = fetch(id.clone());
        async move { Ok(read.await?.map(|t| (id, t))) }
    })
    .await?;
    Ok(found.into_iter().flatten().collect())
}

/// Every item of a `Marker`-paged SDK list call: `$request` builds the
/// request (a fluent builder, sent once per page with the page's marker),
/// `$items` names the answer's list, `$err` is the service's error mapper.
macro_rules! marker_pages {
    ($request:expr, $items:ident, $err:path) => {
        $crate::paging::collect_pages(|marker| async move {
            let out = ($request).set_marker(marker).send().await.map_err($err)?;
            Ok((out.$items.unwrap_or_default(), out.marker))
        })
        .await
    };
}
pub(crate) use marker_pages;

/// A Marker/IsTruncated page's next token (IAM, KMS): the marker, only
/// when the answer says it is truncated.
pub fn next_marker(truncated: bool, marker: Option<&str>) -> Option<String> {
    truncated.then(|| marker.map(str::to_string)).flatten()
}

/// Every page of a Marker/IsTruncated list call (IAM, KMS): `$call` is the
/// request without its marker, `$err` the service's error mapping,
/// `$truncated` and `$marker` the answer's paging accessors, and `$items`
/// what one answer `$out` yields.
macro_rules! truncated_pages {
    ($call:expr, $err:expr, $truncated:ident, $marker:ident, |$out:ident| $items:expr) => {
        $crate::paging::collect_pages(|marker| async move {
            let $out = $call.set_marker(marker).send().await.map_err($err)?;
            let next = $crate::paging::next_marker($out.$truncated(), $out.$marker());
            Ok(($items, next))
        })
        .await
    };
}
pub(crate) use truncated_pages;

/// Every page of a NextToken list call: `$call` builds the request
/// without its token (once per page), `$err` is the service's error
/// mapping, and `$items` what one answer `$out` yields.
macro_rules! token_pages {
    ($call:expr, $err:expr, |$out:ident| $items:expr) => {
        $crate::paging::collect_pages(|token| {
            let call = $call;
            async move {
                let $out = call.set_next_token(token).send().await.map_err($err)?;
                Ok(($items, $out.next_token))
            }
        })
        .await
    };
}
pub(crate) use token_pages;

/// Like [`concurrent`], each item paired with what `fetch` read for it,
/// leaving out the items whose read the API refuses (an object forge may
/// not read, such as an AWS managed key, or one of another region): for
/// ownership listings, where such an object cannot be this state's.
pub async fn concurrent_readable<I, T, F, Fut>(
    items: Vec<I>,
    limit: usize,
    mut fetch: F,
) -> Result<Vec<(I, T)>, ProviderError>
where
    I: Clone,
    F: FnMut(I) -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let read = concurrent(items, limit, |item| {
        let read = fetch(item.clone());
        async move {
            match read.await {
                Ok(t) => Ok(Some((item, t))),
                Err(ProviderError::Api { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        }
    })
    .await?;
    Ok(read.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[tokio::test]
    async fn follows_tokens_until_the_last_page() {
        let calls = RefCell::new(Vec::new());
        let pages = collect_pages(|token: Option<String>| {
            calls.borrow_mut().push(token.clone());
            async move {
                Ok(match token.as_deref() {
                    None => (vec![1, 2], Some("p2".to_string())),
                    Some("p2") => (vec![3], Some("p3".to_string())),
                    Some("p3") => (vec![4], Some(String::new())),
                    Some(other) => panic!("unexpected token {other}"),
                })
            }
        })
        .await
        .unwrap();
        assert_eq!(pages, vec![1, 2, 3, 4]);
        assert_eq!(
            *calls.borrow(),
            vec![None, Some("p2".into()), Some("p3".into())]
        );
    }

    #[tokio::test]
    async fn a_page_error_fails_the_call() {
        let result: Result<Vec<i32>, _> = collect_pages(|token: Option<String>| async move {
            match token {
                None => Ok((vec![1], Some("t".into()))),
                Some(_) => Err(ProviderError::Transient {
                    message: "boom".into(),
                }),
            }
        })
        .await;
        assert!(result.is_err());
    }

    #[tokio::test]
    async fn a_token_loop_is_cut() {
        let result: Result<Vec<i32>, _> = collect_pages(|_token: Option<String>| async {
            Ok((vec![], Some("same".to_string())))
        })
        .await;
        assert!(matches!(result, Err(ProviderError::Transient { .. })));
    }

    #[tokio::test]
    async fn chunks_dedup_and_cap() {
        let ids: Vec<String> = (0..450)
            .map(|i| format!("id-{i}"))
            .chain(["id-0".to_string()])
            .collect();
        let sizes = RefCell::new(Vec::new());
        let out = for_chunks(&ids, MAX_FILTER_VALUES, |part: Vec<String>| {
            sizes.borrow_mut().push(part.len());
            async move { Ok(part) }
        })
        .await
        .unwrap();
        assert_eq!(*sizes.borrow(), vec![200, 200, 50]);
        assert_eq!(out.len(), 450);
        let none = for_chunks(&[], 200, |_part: Vec<String>| async { Ok(vec![1]) })
            .await
            .unwrap();
        assert!(none.is_empty());
    }

    #[tokio::test]
    async fn concurrent_keeps_order_and_fails_on_error() {
        let out = concurrent(vec![3, 1, 2], 2, |i| async move { Ok(i * 10) })
            .await
            .unwrap();
        assert_eq!(out, vec![30, 10, 20]);
        let err = concurrent(vec![1, 2], 2, |i| async move {
            if i == 2 {
                Err(ProviderError::Transient {
                    message: "x".into(),
                })
            } else {
                Ok(i)
            }
        })
        .await;
        assert!(err.is_err());
    }
}
