//! Code shared by the WAFv2 kinds: the client, error mapping, ARN parsing,
//! listing and tags.

use crate::clients::AwsClients;
use crate::error::sdk_error;
use crate::paging::collect_pages;
use crate::tags;
use aws_sdk_wafv2::Client;
use aws_sdk_wafv2::types::{Scope, Tag};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use forge_core::{Attrs, Value};
use forge_engine::Owner;
use forge_engine::{ProviderError, ResourceCtx};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The service name used in errors and as the concurrency group.
pub const SERVICE: &str = "wafv2";

/// Concurrent WAF mutations: WAF's control plane allows about one
/// mutating call per second per account.
pub const CONCURRENCY: (&str, usize) = (SERVICE, 2);

/// Maps a WAFv2 SDK error.
pub fn waf_err<E>(err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    sdk_error(SERVICE, err)
}

/// Whether an error says the ACL (or association) does not exist.
pub fn is_gone(err: &ProviderError) -> bool {
    matches!(err, ProviderError::Api { code, .. } if code == "WAFNonexistentItemException")
}

/// What every WAFv2 provider holds.
#[derive(Debug, Clone)]
pub struct WafBase {
    clients: Arc<AwsClients>,
}

impl WafBase {
    /// A base sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        WafBase { clients }
    }

    /// The WAFv2 client of a region.
    pub async fn client(&self, region: &str) -> Result<Client, ProviderError> {
        self.clients.client(region, Client::new).await
    }
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
            .map_err(waf_err)?;
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
        .map_err(waf_err)?;
    Ok(out
        .tag_info_for_resource()
        .map(|t| t.tag_list().to_vec())
        .unwrap_or_default())
}

/// The observed `tags` attribute (system tags hidden).
pub fn observed_tags(list: &[Tag]) -> Value {
    tags::observed_tags(list.iter().map(|t| (t.key(), t.value())))
}

fn to_tags(map: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
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

/// The user's and forge's tags to pass at create.
pub fn create_tags(desired: &Attrs, ctx: &ResourceCtx) -> Result<Vec<Tag>, ProviderError> {
    to_tags(&tags::create_tags(desired, &ctx.system_tags))
}

/// Brings the user tags of `arn` from `prior` to `desired`.
pub async fn sync_tags(
    client: &Client,
    arn: &str,
    prior: &Attrs,
    desired: &Attrs,
) -> Result<(), ProviderError> {
    let (set, remove) = tags::diff(&tags::user_tags(prior), &tags::user_tags(desired));
    if !set.is_empty() {
        client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(to_tags(&set)?))
            .send()
            .await
            .map_err(waf_err)?;
    }
    if !remove.is_empty() {
        client
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(remove))
            .send()
            .await
            .map_err(waf_err)?;
    }
    Ok(())
}

/// The web ACLs of a scope tagged with the stack (and address, if given),
/// sorted by ARN, with their `forge:address` tag.
pub async fn tagged(
    client: &Client,
    scope: &str,
    owner: &Owner,
    address: Option<&str>,
) -> Result<Vec<(String, Option<String>)>, ProviderError> {
    let mut out = Vec::new();
    for arn in list_acl_arns(client, scope).await? {
        let t = tags_of(client, &arn).await?;
        let get = |k: &str| {
            t.iter()
                .find(|x| x.key() == k)
                .map(|x| x.value().to_string())
        };
        if tags::owned_by(t.iter().map(|x| (x.key(), x.value())), owner, address) {
            out.push((arn, get(tags::ADDRESS_TAG)));
        }
    }
    Ok(out)
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
}
