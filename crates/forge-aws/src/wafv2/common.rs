//! What the WAFv2 kinds share: web ACL ARNs, listing and tags.

use super::Wafv2;
use crate::kind::{Owned, Service};
use crate::paging::collect_pages;
use crate::tags;
use aws_sdk_wafv2::Client;
use aws_sdk_wafv2::types::{Scope, Tag};
use forge_engine::{ObserveCtx, ProviderError};
use std::collections::{BTreeMap, BTreeSet};

/// Whether an error says the ACL (or association) does not exist.
pub fn is_gone(err: &ProviderError) -> bool {
    matches!(err, ProviderError::Api { code, .. } if code == "WAFNonexistentItemException")
}

/// Scope, name and id of a web ACL ARN
/// (`arn:aws:wafv2:<region>:<acct>:regional/webacl/<name>/<id>`).
pub fn parse_arn(arn: &str) -> Result<(String, String, String), ProviderError> {
    let bad = || ProviderError::Invalid(format!("`{arn}` is not a WAFv2 web ACL ARN"));
    let resource = arn.splitn(6, ':').nth(5).ok_or_else(bad)?;
    let mut parts = resource.split('/');
    let (Some(scope), Some("webacl"), Some(name), Some(id), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(bad());
    };
    let scope = match scope {
        "regional" => "REGIONAL",
        "global" => "CLOUDFRONT",
        _ => return Err(bad()),
    };
    Ok((scope.to_string(), name.to_string(), id.to_string()))
}

/// The ARNs of every web ACL of a scope (all pages).
pub async fn list_acl_arns(
    client: &Client,
    scope: &str,
) -> Result<BTreeSet<String>, ProviderError> {
    let arns = collect_pages(|marker| async move {
        let out = client
            .list_web_acls()
            .scope(Scope::from(scope))
            .set_next_marker(marker)
            .limit(100)
            .send()
            .await
            .map_err(Wafv2::err)?;
        let arns: Vec<String> = out
            .web_acls()
            .iter()
            .filter_map(|a| a.arn().map(str::to_string))
            .collect();
        // WAF returns a marker even on the last page; an empty page ends it.
        let next = if arns.is_empty() {
            None
        } else {
            out.next_marker
        };
        Ok((arns, next))
    })
    .await?;
    Ok(arns.into_iter().collect())
}

/// All tags of an ARN (system tags included).
pub async fn tags_of(client: &Client, arn: &str) -> Result<Vec<Tag>, ProviderError> {
    let out = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(Wafv2::err)?;
    Ok(out
        .tag_info_for_resource()
        .map(|t| t.tag_list().to_vec())
        .unwrap_or_default())
}

/// WAFv2 tags from a key/value map.
pub fn to_tags(map: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags::sdk_tags(map, |k, v| Tag::builder().key(k).value(v).build())
}

/// The web ACLs of a scope carrying `ctx`'s ownership tags (and
/// `address`, if given), sorted by ARN, with their `forge:address` tag.
pub async fn owned(
    client: &Client,
    scope: &str,
    ctx: &ObserveCtx,
    address: Option<&str>,
) -> Result<Vec<Owned>, ProviderError> {
    let mut out = Vec::new();
    for arn in list_acl_arns(client, scope).await? {
        let t = tags_of(client, &arn).await?;
        let pairs = || t.iter().map(|x| (x.key(), x.value()));
        if ctx.owner.owns(pairs(), address) {
            let at = pairs().find(|(k, _)| *k == tags::ADDRESS_TAG);
            out.push((arn, at.map(|(_, v)| v.to_string())));
        }
    }
    Ok(out)
}

/// WAF's lock-token protocol, apart from the SDK: `fetch` reads the object
/// and its current token, `call` uses them; on `WAFOptimisticLockException`
/// (someone else changed it since the token was read) a new token is
/// fetched and the call tried exactly once more. `Ok(false)`: it is gone.
pub async fn lock_retry<T, G, GFut, F, Fut>(fetch: G, call: F) -> Result<bool, ProviderError>
where
    G: Fn() -> GFut,
    GFut: std::future::Future<Output = Result<Option<(T, String)>, ProviderError>>,
    F: Fn(T, String) -> Fut,
    Fut: std::future::Future<Output = Result<(), ProviderError>>,
{
    for attempt in 0..2 {
        let Some((item, token)) = fetch().await? else {
            return Ok(false);
        };
        match call(item, token).await {
            Err(ProviderError::Api { code, message }) if code == "WAFOptimisticLockException" => {
                if attempt == 1 {
                    return Err(ProviderError::Transient {
                        message: format!("{code}: {message}"),
                    });
                }
                tracing::debug!("lock token went stale; retrying with a fresh one");
            }
            Err(e) if is_gone(&e) => return Ok(false),
            other => return other.map(|()| true),
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_parse() {
        let (scope, name, id) =
            parse_arn("arn:aws:wafv2:eu-west-1:123:regional/webacl/edge/a-b-c").unwrap();
        assert_eq!(
            (scope.as_str(), name.as_str(), id.as_str()),
            ("REGIONAL", "edge", "a-b-c")
        );
        assert_eq!(
            parse_arn("arn:aws:wafv2:us-east-1:1:global/webacl/x/y")
                .unwrap()
                .0,
            "CLOUDFRONT"
        );
        assert!(parse_arn("arn:aws:wafv2:eu-west-1:1:regional/ipset/x/y").is_err());
        assert!(parse_arn("nope").is_err());
        assert!(is_gone(&ProviderError::Api {
            code: "WAFNonexistentItemException".into(),
            message: String::new()
        }));
    }

    #[tokio::test]
    async fn a_stale_token_is_refreshed_once() {
        use std::cell::RefCell;
        let fetches = RefCell::new(0);
        let tokens = RefCell::new(Vec::new());
        let stale = || ProviderError::Api {
            code: "WAFOptimisticLockException".into(),
            message: "stale".into(),
        };
        let fetch = || {
            *fetches.borrow_mut() += 1;
            let n = *fetches.borrow();
            async move { Ok(Some(((), format!("token-{n}")))) }
        };
        // Stale once, then accepted: two fetches, the second token used.
        let ok = lock_retry(fetch, |(), t: String| {
            tokens.borrow_mut().push(t.clone());
            async move { if t == "token-1" { Err(stale()) } else { Ok(()) } }
        })
        .await;
        assert!(matches!(ok, Ok(true)));
        assert_eq!(*tokens.borrow(), vec!["token-1", "token-2"]);
        // Stale twice: give up with a retryable error.
        let r = lock_retry(
            || async { Ok(Some(((), "t".to_string()))) },
            |(), _t| async move { Err(stale()) },
        )
        .await;
        assert!(matches!(r, Err(ProviderError::Transient { .. })));
        // Gone before or during the call.
        let gone = lock_retry(
            || async { Ok(None::<((), String)>) },
            |(), _t| async { Ok(()) },
        )
        .await;
        assert!(matches!(gone, Ok(false)));
        let r = lock_retry(
            || async { Ok(Some(((), "t".to_string()))) },
            |(), _t| async {
                Err(ProviderError::Api {
                    code: "WAFNonexistentItemException".into(),
                    message: String::new(),
                })
            },
        )
        .await;
        assert!(matches!(r, Ok(false)));
    }
}
