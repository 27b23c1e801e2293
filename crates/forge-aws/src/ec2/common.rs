//! Code shared by the EC2 kinds: error mapping, filters, tags, and the
//! batched describe used by `observe`, `find_orphan` and `list_tagged`.
//!
//! Every EC2 kind describes by filter (`vpc-id`, `subnet-id`, ...) rather
//! than by id list: an id that no longer exists is then simply absent from
//! the answer instead of failing the whole batch with `*.NotFound`.

use crate::error::sdk_error;
use crate::paging::{MAX_FILTER_VALUES, collect_pages, for_chunks};
use crate::tags::{self, ADDRESS_TAG, STATE_TAG};
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification, UnsuccessfulItem};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use forge_engine::{Owner, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::future::Future;

pub use crate::arn::partition;
pub use crate::attrs::{attrs, set_diff};
pub use crate::normalize::normalize_common;
pub use crate::tags::tags_field;

/// What the EC2 kind files share in scope: the service, these helpers and
/// the kind framework.
pub mod prelude {
    pub use super::super::Ec2;
    pub use super::super::common::{
        self, Describe, deleted, describe, describe_fields, describe_ids, ec2_err, filter,
    };
    pub(crate) use super::super::common::{describe_api, ec2_kind, tagged_methods};
    pub use crate::kind::prelude::*;
    pub use aws_sdk_ec2::Client;
    pub use aws_sdk_ec2::types::ResourceType;
}

/// The service name used in errors and as the concurrency group.
pub const SERVICE: &str = "ec2";

/// Concurrent EC2 mutations the scheduler may run. EC2's mutating-action
/// token bucket refills at a few requests per second per action; 20 in
/// flight keeps big stacks fast without tripping `RequestLimitExceeded`.
pub const CONCURRENCY: (&str, usize) = (SERVICE, 20);

/// Maps an EC2 SDK error.
pub fn ec2_err<E>(err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    sdk_error(SERVICE, err)
}

/// The longest `ClientToken` EC2 accepts.
pub const MAX_CLIENT_TOKEN: usize = 64;

/// The engine's intent token as an EC2 `ClientToken`: at most 64 ASCII
/// characters. The same intent always gives the same token (the engine's
/// tokens are UUIDs, which pass unchanged), so a create sent again after a
/// lost answer returns the object of the first call.
pub fn client_token(token: &str) -> String {
    token
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(MAX_CLIENT_TOKEN)
        .collect()
}

/// A Describe filter.
pub fn filter(name: &str, values: impl IntoIterator<Item = impl Into<String>>) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.into_iter().map(Into::into).collect()))
        .build()
}

/// The filters selecting resources owned by a state (and, given, one
/// address in it).
pub fn ownership_filters(owner: &Owner, address: Option<&str>) -> Vec<Filter> {
    let mut f = vec![filter(
        &format!("tag:{STATE_TAG}"),
        [owner.lineage.as_str()],
    )];
    if let Some(a) = address {
        f.push(filter(&format!("tag:{ADDRESS_TAG}"), [a]));
    }
    f
}

/// EC2 tags from a key/value map.
pub fn to_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    crate::tags::tag_list(tags, |k, v| Tag::builder().key(k).value(v).build())
}

/// An EC2 kind's resource type, as the TagSpecification of its create
/// call names it (declared with [`ec2_kind`]).
pub trait Tagged {
    /// The resource type.
    const RESOURCE_TYPE: ResourceType;
}

/// The TagSpecification carrying the user's and forge's tags at the create
/// of a `K` (typed fields).
pub fn tag_spec<K: Tagged>(user: &forge_core::fields::Tags, ctx: &ResourceCtx) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(K::RESOURCE_TYPE)
        .set_tags(Some(to_tags(&tags::with_system(user, &ctx.system_tags))))
        .build()
}

/// The user's tags of an observed resource, typed (system tags hidden).
pub fn observed_tag_map(tags: &[Tag]) -> forge_core::fields::Tags {
    tags::observed_map(
        tags.iter()
            .filter_map(|t| Some((t.key()?, t.value().unwrap_or("")))),
    )
}

/// The value of one tag.
pub fn tag_value<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.key() == Some(key))
        .and_then(|t| t.value())
}

/// One EC2 Describe API seen generically: how to fetch a page with
/// filters, and how to read an item's id and tags.
pub trait Describe: Sized {
    /// The SDK type of one described resource.
    type Item: Send + 'static;
    /// The filter selecting resources by id (`vpc-id`).
    const ID_FILTER: &'static str;

    /// One page of results for `filters`, with the next page's token.
    fn page(
        client: &Client,
        filters: Vec<Filter>,
        token: Option<String>,
    ) -> impl Future<Output = Result<(Vec<Self::Item>, Option<String>), ProviderError>> + Send;

    /// The item's id.
    fn id(item: &Self::Item) -> Option<&str>;

    /// The item's tags.
    fn tags(item: &Self::Item) -> &[Tag];

    /// The items with the given ids (at most [`MAX_FILTER_VALUES`]) that
    /// exist. By default a Describe filtered by [`Describe::ID_FILTER`],
    /// which simply omits ids that no longer exist.
    fn by_ids(
        client: &Client,
        ids: Vec<String>,
    ) -> impl Future<Output = Result<Vec<Self::Item>, ProviderError>> + Send {
        async move { describe::<Self>(client, vec![filter(Self::ID_FILTER, ids)]).await }
    }

    /// False for items AWS still lists after deletion (`deleted` NAT
    /// gateways, VPC endpoints): those count as gone.
    fn alive(item: &Self::Item) -> bool {
        let _ = item;
        true
    }
}

/// Declares a [`Describe`] API over one EC2 Describe call: its doc, name,
/// item type, id filter, the call with its filter setter and list, the
/// item's id getter, `paged` or `unpaged`, and in braces any further
/// items of the impl (`alive`, `by_ids`).
macro_rules! describe_api {
    (@next $out:ident, paged) => {
        $out.next_token
    };
    (@next $out:ident, unpaged) => {
        None
    };
    (@token $call:expr, $token:ident, paged) => {
        $call.set_next_token($token)
    };
    (@token $call:expr, $token:ident, unpaged) => {{
        drop($token);
        $call
    }};
    ($(#[$m:meta])* $api:ident: $($rest:tt)*) => {
        $(#[$m])*
        pub struct $api;

        $crate::ec2::common::describe_api!(@impl $api: $($rest)*);
    };
    (@impl $api:ident: $item:ty, $filter:literal, $call:ident.$set:ident -> $list:ident,
     $id:ident, $paging:ident $(, { $($extra:item)* })?) => {
        impl $crate::ec2::common::Describe for $api {
            type Item = $item;
            const ID_FILTER: &'static str = $filter;

            async fn page(
                client: &aws_sdk_ec2::Client,
                filters: Vec<aws_sdk_ec2::types::Filter>,
                token: Option<String>,
            ) -> Result<(Vec<$item>, Option<String>), forge_engine::ProviderError> {
                let call = client.$call().$set(Some(filters));
                let call = $crate::ec2::common::describe_api!(@token call, token, $paging);
                let out = call.send().await.map_err($crate::ec2::common::ec2_err)?;
                let next = $crate::ec2::common::describe_api!(@next out, $paging);
                Ok((out.$list.unwrap_or_default(), next))
            }

            fn id(item: &$item) -> Option<&str> {
                item.$id()
            }

            fn tags(item: &$item) -> &[aws_sdk_ec2::types::Tag] {
                item.tags()
            }

            $($($extra)*)?
        }
    };
}
pub(crate) use describe_api;

/// Declares an EC2 kind (see [`declare_kind`](crate::kind::declare_kind))
/// that is its own [`Describe`] API: the kind's type, name, fields, its
/// [`Tagged`] resource type and description, then after `describes` what
/// [`describe_api`] takes after an API's name.
macro_rules! ec2_kind {
    ($kind:ident: $name:literal, $fields:ty, $rtype:path, $desc:literal, describes $($api:tt)*) => {
        $crate::kind::declare_kind!($kind: $name, $crate::ec2::Ec2, $fields, $desc);
        impl $crate::ec2::common::Tagged for $kind {
            const RESOURCE_TYPE: aws_sdk_ec2::types::ResourceType = $rtype;
        }
        $crate::ec2::common::describe_api!(@impl $kind: $($api)*);
    };
}
pub(crate) use ec2_kind;

/// Writes, inside an EC2 kind's `#[async_trait] impl Kind`, the methods
/// most EC2 kinds share: always `list_owned`, the kind's Describe
/// filtered by the ownership tags ([`list_owned`]); given the delete call
/// and its id setter (`delete_vpc.vpc_id`), a `delete` that is that one
/// call, already gone being success. With `after prepare`,
/// `prepare(client, id)` runs first (it detaches what blocks the delete)
/// and answers whether the object is still there. A kind whose delete is
/// more than that writes its own next to `tagged_methods!();`.
///
/// The methods are spelled through [`kind_method`](crate::kind::kind_method);
/// a kind without `list_owned` still fails to compile.
macro_rules! tagged_methods {
    ($($call:ident . $set:ident $(, after $prepare:path)?)?) => {
        $crate::kind::kind_method!(list_owned(ctx, address) {
            $crate::ec2::common::list_owned::<Self>(ctx.client, &ctx.owner, address).await
        });

        $($crate::kind::delete_by!($crate::ec2::common::deleted: $call.$set $(, after $prepare)?);)?
    };
}
pub(crate) use tagged_methods;

/// The object a create call answered (`item`, absent: a transient
/// failure saying `message`) and its id.
pub fn created<D: Describe>(
    item: Option<D::Item>,
    message: &str,
) -> Result<(String, D::Item), ProviderError> {
    let item = crate::error::returned(item, message)?;
    let id = D::id(&item).unwrap_or_default().to_string();
    Ok((id, item))
}

/// All pages of a Describe with `filters`, dead items dropped.
pub async fn describe<D: Describe>(
    client: &Client,
    filters: Vec<Filter>,
) -> Result<Vec<D::Item>, ProviderError> {
    let items = collect_pages(|token| D::page(client, filters.clone(), token)).await?;
    Ok(items.into_iter().filter(D::alive).collect())
}

/// The resources with the given ids that exist: one Describe per chunk of
/// 200 ids (plus pages).
pub async fn describe_ids<D: Describe>(
    client: &Client,
    ids: &[String],
) -> Result<Vec<D::Item>, ProviderError> {
    for_chunks(ids, MAX_FILTER_VALUES, |chunk| D::by_ids(client, chunk)).await
}

/// Whether an item carries the stack's (and, given, the address's) tags.
/// The Describe already filtered by tag; checking again client-side keeps a
/// lax tag filter (moto ignores some on NAT gateways) from adopting or
/// listing someone else's resource.
pub fn owned<D: Describe>(item: &D::Item, owner: &Owner, address: Option<&str>) -> bool {
    tags::owned_by(
        D::tags(item)
            .iter()
            .filter_map(|t| Some((t.key()?, t.value()?))),
        owner,
        address,
    )
}

/// The live resources of the kind owned by `owner` (given, only those
/// tagged as `address`), with their `forge:address` tag: a kind's
/// `list_owned`.
pub async fn list_owned<D: Describe>(
    client: &Client,
    owner: &Owner,
    address: Option<&str>,
) -> Result<Vec<(String, Option<String>)>, ProviderError> {
    let items = describe::<D>(client, ownership_filters(owner, address)).await?;
    Ok(items
        .iter()
        .filter(|i| owned::<D>(i, owner, address))
        .filter_map(|i| {
            let id = D::id(i)?.to_string();
            Some((id, tag_value(D::tags(i), ADDRESS_TAG).map(str::to_string)))
        })
        .collect())
}

/// Describes by an id list for APIs whose id filter is unreliable: one
/// call for the whole chunk, and only when EC2 fails it with `*.NotFound`
/// (one id is gone and the batch fails as a whole) one call per id, so the
/// ids that still exist are found and the missing one counts as gone.
pub async fn by_id_list_with_fallback<T, F, Fut>(
    ids: Vec<String>,
    mut fetch: F,
) -> Result<Vec<T>, ProviderError>
where
    F: FnMut(Vec<String>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, ProviderError>>,
{
    match fetch(ids.clone()).await {
        Err(e) if crate::error::is_not_found(&e) && ids.len() > 1 => {
            let mut found = Vec::new();
            for id in ids {
                match fetch(vec![id]).await {
                    Ok(items) => found.extend(items),
                    Err(e) if crate::error::is_not_found(&e) => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(found)
        }
        Err(e) if crate::error::is_not_found(&e) => Ok(Vec::new()),
        other => other,
    }
}

/// The first failure reported in the body of a batch call (DeleteFlowLogs,
/// DeleteVpcEndpoints, CreateFlowLogs answer 200 with per-item errors).
pub fn unsuccessful(items: &[UnsuccessfulItem]) -> Result<(), ProviderError> {
    match items.iter().find_map(|u| u.error()) {
        None => Ok(()),
        Some(err) => Err(ProviderError::Api {
            code: err.code().unwrap_or("Unknown").to_string(),
            message: err.message().unwrap_or_default().to_string(),
        }),
    }
}

/// Keys described items by id, each turned into a kind's fields.
pub fn keyed<D: Describe, F>(
    items: Vec<D::Item>,
    mut to_fields: impl FnMut(&D::Item) -> F,
) -> BTreeMap<String, F> {
    items
        .iter()
        .filter_map(|i| Some((D::id(i)?.to_string(), to_fields(i))))
        .collect()
}

/// A kind's `describe` over a Describe API: the live items with these ids,
/// as fields, by id.
pub async fn describe_fields<D: Describe, F>(
    client: &Client,
    ids: &[String],
    to_fields: impl FnMut(&D::Item) -> F,
) -> Result<BTreeMap<String, F>, ProviderError> {
    Ok(keyed::<D, F>(
        describe_ids::<D>(client, ids).await?,
        to_fields,
    ))
}

/// A delete call's result: already gone is success.
pub fn deleted<T>(
    result: Result<
        T,
        SdkError<impl ProvideErrorMetadata + std::error::Error + 'static, HttpResponse>,
    >,
) -> Result<(), ProviderError> {
    crate::error::delete_result(result.map(|_| ()).map_err(ec2_err))
}

/// The ARN of an EC2 resource as text, when the owner is known.
pub fn arn_text(region: &str, owner: Option<&str>, resource: &str, id: &str) -> Option<String> {
    owner.map(|owner| {
        format!(
            "arn:{}:ec2:{region}:{owner}:{resource}/{id}",
            partition(region)
        )
    })
}

/// The end of every EC2 kind's update: the user's tags brought to
/// `desired` (CreateTags / DeleteTags by id), then the object read back.
pub async fn retag_and_read<K: crate::kind::Kind<Service = super::Ec2>>(
    ctx: &crate::kind::Act<'_, K>,
    id: &str,
    prior: &forge_core::fields::Tags,
    desired: &forge_core::fields::Tags,
) -> crate::kind::Updated<K> {
    crate::kind::retag_and_read(ctx, id, Some(id), prior, desired).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_tokens_fit_ec2s_limits() {
        let uuid = "0b7a6c1e-2f4d-4c1a-9e8b-5d6f7a8b9c0d";
        assert_eq!(client_token(uuid), uuid);
        let long = "x".repeat(100);
        assert_eq!(client_token(&long).len(), MAX_CLIENT_TOKEN);
        assert_eq!(client_token("a b\u{e9}c"), "abc");
        assert_eq!(client_token(&long), client_token(&long), "stable");
    }

    #[test]
    fn set_diff_is_minimal() {
        let (add, remove) = set_diff(&["a", "b", "c"], &["b", "c", "d"]);
        assert_eq!(add, vec!["d"]);
        assert_eq!(remove, vec!["a"]);
        let (add, remove) = set_diff(&["a"], &["a"]);
        assert!(add.is_empty() && remove.is_empty());
    }

    #[tokio::test]
    async fn id_list_falls_back_one_by_one_when_an_id_is_gone() {
        let calls = std::cell::RefCell::new(Vec::new());
        let fetch = |ids: Vec<String>| {
            calls.borrow_mut().push(ids.len());
            async move {
                if ids.iter().any(|i| i == "gone") {
                    Err(ProviderError::Api {
                        code: "InvalidVpcEndpointId.NotFound".into(),
                        message: String::new(),
                    })
                } else {
                    Ok(ids)
                }
            }
        };
        let ids = vec!["a".to_string(), "gone".to_string(), "b".to_string()];
        let found = by_id_list_with_fallback(ids, fetch).await.unwrap();
        assert_eq!(found, vec!["a", "b"]);
        assert_eq!(*calls.borrow(), vec![3, 1, 1, 1]);
        let all_there = by_id_list_with_fallback(
            vec!["a".to_string()],
            |ids: Vec<String>| async move { Ok(ids) },
        )
        .await
        .unwrap();
        assert_eq!(all_there, vec!["a"]);
        let denied =
            by_id_list_with_fallback(vec!["a".to_string()], |_ids: Vec<String>| async move {
                Err::<Vec<String>, _>(ProviderError::Api {
                    code: "UnauthorizedOperation".into(),
                    message: String::new(),
                })
            })
            .await;
        assert!(denied.is_err());
    }

    #[test]
    fn arns_follow_the_partition() {
        assert_eq!(
            arn_text("eu-central-1", Some("123"), "vpc", "vpc-1").as_deref(),
            Some("arn:aws:ec2:eu-central-1:123:vpc/vpc-1")
        );
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
        assert_eq!(arn_text("us-east-1", None, "vpc", "v"), None);
    }

    #[test]
    fn ownership_filters_use_tag_filters() {
        let owner = Owner::new("l-1", "demo", None);
        let f = ownership_filters(&owner, Some("vpc"));
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].name(), Some("tag:forge:state"));
        assert_eq!(f[0].values(), ["l-1"]);
        assert_eq!(f[1].name(), Some("tag:forge:address"));
        assert_eq!(ownership_filters(&owner, None).len(), 1);
    }

    #[test]
    fn observed_tags_hide_system_keys() {
        let t = vec![
            Tag::builder().key("Name").value("x").build(),
            Tag::builder().key("forge:stack").value("s").build(),
            Tag::builder()
                .key("aws:cloudformation:stack")
                .value("s")
                .build(),
        ];
        assert_eq!(observed_tag_map(&t).0.len(), 1);
        assert_eq!(tag_value(&t, "forge:stack"), Some("s"));
    }
}
