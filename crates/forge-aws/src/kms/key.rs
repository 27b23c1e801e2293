//! `aws.kms.key`: a customer managed KMS key with its policy, rotation and
//! enabled state.
//!
//! Observe cost: KMS has no describe-many. Per key: DescribeKey,
//! GetKeyPolicy, GetKeyRotationStatus and ListResourceTags (4 calls), keys
//! running concurrently with at most eight in flight. Keys pending deletion
//! count as gone.
//!
//! `deletion_window_in_days` is a forge setting (the waiting period passed
//! to ScheduleKeyDeletion on destroy), not a property KMS stores. So that
//! refresh and destroy see the value the spec set, forge records it on the
//! key as the tag `forge:deletion_window_in_days` (hidden from `tags` like
//! every `forge:` tag).

use super::{CONCURRENCY, kms_err};
use crate::attrs::attrs;
use crate::attrs::{opt_bool, opt_i64, opt_str, str_or_null};
use crate::clients::AwsClients;
use crate::error::is_not_found;
use crate::normalize::normalize_common;
use crate::paging::{collect_pages, concurrent};
use crate::tags::tags_field;
use crate::tags::{self, ADDRESS_TAG};
use async_trait::async_trait;
use aws_sdk_kms::Client;
use aws_sdk_kms::types::{KeyMetadata, KeySpec, KeyState, KeyUsageType, Tag};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::Owner;
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

/// Keys described at once.
const OBSERVE_CONCURRENCY: usize = 8;
/// The tag recording the deletion window.
pub const WINDOW_TAG: &str = "forge:deletion_window_in_days";
/// KMS's default (and maximum) waiting period.
const DEFAULT_WINDOW: i64 = 30;

/// The `aws.kms.key` provider.
pub struct KeyProvider {
    clients: Arc<AwsClients>,
    schema: KindSchema,
}

impl KeyProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        KeyProvider {
            clients,
            schema: schema(),
        }
    }

    async fn client(&self, region: &str) -> Result<Client, ProviderError> {
        self.clients.client(region, Client::new).await
    }
}

/// The schema of `aws.kms.key`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.kms.key",
        "A customer managed KMS key.",
        [
            ("description", FieldSchema::optional(FieldType::String).describe("What the key is for.")),
            (
                "key_usage",
                FieldSchema::optional(FieldType::String)
                    .force_new()
                    .default("ENCRYPT_DECRYPT")
                    .describe("ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC or KEY_AGREEMENT."),
            ),
            (
                "key_spec",
                FieldSchema::optional(FieldType::String)
                    .force_new()
                    .default("SYMMETRIC_DEFAULT")
                    .describe("Key type (the former customer_master_key_spec): SYMMETRIC_DEFAULT, RSA_2048, ..."),
            ),
            (
                "policy",
                FieldSchema::optional_computed(FieldType::Any)
                    .describe("The key policy (JSON text or YAML object); unset: KMS's default policy."),
            ),
            (
                "enable_key_rotation",
                FieldSchema::optional(FieldType::Bool).default(false).describe("Rotate the key material yearly."),
            ),
            (
                "deletion_window_in_days",
                FieldSchema::optional(FieldType::Number)
                    .default(DEFAULT_WINDOW)
                    .describe("Days (7-30) between destroy and the key's actual deletion."),
            ),
            (
                "multi_region",
                FieldSchema::optional(FieldType::Bool)
                    .force_new()
                    .default(false)
                    .describe("Create a multi-Region primary key."),
            ),
            ("is_enabled", FieldSchema::optional(FieldType::Bool).default(true).describe("Whether the key can be used.")),
            ("tags", tags_field()),
            ("arn", FieldSchema::computed(FieldType::String).describe("The key's ARN.")),
            ("key_id", FieldSchema::computed(FieldType::String).describe("The key's id (a UUID, or mrk-... for multi-Region keys).")),
        ],
    )
}

static SCHEMA: LazyLock<KindSchema> = LazyLock::new(schema);

fn normalize(mut attrs: Attrs) -> Attrs {
    crate::normalize::policy_field(&mut attrs, "policy");
    normalize_common(&SCHEMA, &mut attrs);
    attrs
}

/// What observe learns about a key.
#[derive(Debug, Clone)]
struct KeyView {
    meta: KeyMetadata,
    policy: Option<String>,
    rotation: bool,
    tags: Vec<(String, String)>,
}

fn key_attrs(v: &KeyView) -> Attrs {
    let m = &v.meta;
    let window = v
        .tags
        .iter()
        .find(|(k, _)| k == WINDOW_TAG)
        .and_then(|(_, w)| w.parse::<i64>().ok())
        .unwrap_or(DEFAULT_WINDOW);
    attrs([
        ("id", Value::from(m.key_id())),
        (
            "description",
            str_or_null(m.description().filter(|d| !d.is_empty())),
        ),
        (
            "key_usage",
            str_or_null(m.key_usage().map(KeyUsageType::as_str)),
        ),
        ("key_spec", str_or_null(m.key_spec().map(KeySpec::as_str))),
        ("policy", str_or_null(v.policy.clone())),
        ("enable_key_rotation", Value::Bool(v.rotation)),
        ("deletion_window_in_days", Value::int(window)),
        (
            "multi_region",
            Value::Bool(m.multi_region().unwrap_or(false)),
        ),
        ("is_enabled", Value::Bool(m.enabled())),
        (
            "tags",
            tags::observed_tags(v.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        ),
        ("arn", str_or_null(m.arn())),
        ("key_id", Value::from(m.key_id())),
    ])
}

/// Whether a key still counts as existing: one scheduled for deletion is on
/// its way out and cannot be used or updated.
fn alive(m: &KeyMetadata) -> bool {
    !matches!(
        m.key_state(),
        Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion)
    )
}

async fn key_tags(client: &Client, id: &str) -> Result<Vec<(String, String)>, ProviderError> {
    collect_pages(|marker| async move {
        let out = client
            .list_resource_tags()
            .key_id(id)
            .set_marker(marker)
            .send()
            .await
            .map_err(kms_err)?;
        let tags = out
            .tags()
            .iter()
            .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
            .collect();
        let next = if out.truncated() {
            out.next_marker().map(str::to_string)
        } else {
            None
        };
        Ok((tags, next))
    })
    .await
}

async fn fetch_key(client: &Client, id: &str) -> Result<Option<KeyView>, ProviderError> {
    let meta = match client
        .describe_key()
        .key_id(id)
        .send()
        .await
        .map_err(kms_err)
    {
        Ok(out) => match out.key_metadata {
            Some(m) if alive(&m) => m,
            _ => return Ok(None),
        },
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(e),
    };
    let policy = client
        .get_key_policy()
        .key_id(id)
        .policy_name("default")
        .send()
        .await
        .map_err(kms_err)?
        .policy
        .map(|p| crate::normalize::policy(&Value::String(p.clone())).unwrap_or(p));
    // Asymmetric and HMAC keys have no rotation; KMS answers
    // UnsupportedOperationException for them, which means "off".
    let rotation = match client
        .get_key_rotation_status()
        .key_id(id)
        .send()
        .await
        .map_err(kms_err)
    {
        Ok(out) => out.key_rotation_enabled(),
        Err(ProviderError::Api { code, .. }) if code == "UnsupportedOperationException" => false,
        Err(e) => return Err(e),
    };
    let tags = key_tags(client, id).await?;
    Ok(Some(KeyView {
        meta,
        policy,
        rotation,
        tags,
    }))
}

async fn observe_keys(
    client: &Client,
    ids: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let mut unique: Vec<String> = ids.iter().filter(|i| !i.is_empty()).cloned().collect();
    unique.sort();
    unique.dedup();
    let views = concurrent(unique, OBSERVE_CONCURRENCY, |id| async move {
        Ok(fetch_key(client, &id).await?.map(|v| (id, v)))
    })
    .await?;
    Ok(views
        .into_iter()
        .flatten()
        .map(|(id, v)| (id, normalize(key_attrs(&v))))
        .collect())
}

async fn observe_one(client: &Client, id: &str) -> Result<Attrs, ProviderError> {
    observe_keys(client, &[id.to_string()])
        .await?
        .remove(id)
        .ok_or_else(|| ProviderError::Transient {
            message: format!("KMS key {id} not visible yet"),
        })
}

fn kms_tags(map: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    map.iter()
        .map(|(k, v)| {
            Tag::builder()
                .tag_key(k)
                .tag_value(v)
                .build()
                .map_err(|e| ProviderError::Invalid(format!("tag `{k}`: {e}")))
        })
        .collect()
}

fn window_of(attrs: &Attrs) -> i64 {
    opt_i64(attrs, "deletion_window_in_days").unwrap_or(DEFAULT_WINDOW)
}

/// One change to a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCall {
    /// UpdateKeyDescription.
    Describe(String),
    /// PutKeyPolicy.
    PutPolicy(String),
    /// EnableKeyRotation / DisableKeyRotation.
    Rotation(bool),
    /// EnableKey / DisableKey.
    Enabled(bool),
    /// TagResource (user tags and the deletion-window tag).
    Tag(BTreeMap<String, String>),
    /// UntagResource.
    Untag(Vec<String>),
}

/// The calls that bring a key from `prior` to `desired`. Enabling comes
/// first and disabling last, because a disabled key refuses rotation
/// changes.
pub fn update_calls(prior: &Attrs, desired: &Attrs) -> Vec<KeyCall> {
    let mut calls = Vec::new();
    let enabled = opt_bool(desired, "is_enabled").unwrap_or(true);
    let was_enabled = opt_bool(prior, "is_enabled").unwrap_or(true);
    if enabled && !was_enabled {
        calls.push(KeyCall::Enabled(true));
    }
    let description = opt_str(desired, "description").unwrap_or_default();
    if opt_str(prior, "description").unwrap_or_default() != description {
        calls.push(KeyCall::Describe(description.to_string()));
    }
    if let Some(p) = opt_str(desired, "policy")
        && opt_str(prior, "policy") != Some(p)
    {
        calls.push(KeyCall::PutPolicy(p.to_string()));
    }
    let rotation = opt_bool(desired, "enable_key_rotation").unwrap_or(false);
    if opt_bool(prior, "enable_key_rotation").unwrap_or(false) != rotation {
        calls.push(KeyCall::Rotation(rotation));
    }
    let (mut set, remove) = tags::diff(&tags::user_tags(prior), &tags::user_tags(desired));
    if window_of(prior) != window_of(desired) {
        set.insert(WINDOW_TAG.to_string(), window_of(desired).to_string());
    }
    if !set.is_empty() {
        calls.push(KeyCall::Tag(set));
    }
    if !remove.is_empty() {
        calls.push(KeyCall::Untag(remove));
    }
    if !enabled && was_enabled {
        calls.push(KeyCall::Enabled(false));
    }
    calls
}

async fn run_call(client: &Client, id: &str, call: KeyCall) -> Result<(), ProviderError> {
    match call {
        KeyCall::Describe(d) => {
            client
                .update_key_description()
                .key_id(id)
                .description(d)
                .send()
                .await
                .map_err(kms_err)?;
        }
        KeyCall::PutPolicy(p) => {
            client
                .put_key_policy()
                .key_id(id)
                .policy_name("default")
                .policy(p)
                .send()
                .await
                .map_err(kms_err)?;
        }
        KeyCall::Rotation(true) => {
            client
                .enable_key_rotation()
                .key_id(id)
                .send()
                .await
                .map_err(kms_err)?;
        }
        KeyCall::Rotation(false) => {
            client
                .disable_key_rotation()
                .key_id(id)
                .send()
                .await
                .map_err(kms_err)?;
        }
        KeyCall::Enabled(true) => {
            client
                .enable_key()
                .key_id(id)
                .send()
                .await
                .map_err(kms_err)?;
        }
        KeyCall::Enabled(false) => {
            client
                .disable_key()
                .key_id(id)
                .send()
                .await
                .map_err(kms_err)?;
        }
        KeyCall::Tag(set) => {
            client
                .tag_resource()
                .key_id(id)
                .set_tags(Some(kms_tags(&set)?))
                .send()
                .await
                .map_err(kms_err)?;
        }
        KeyCall::Untag(keys) => {
            client
                .untag_resource()
                .key_id(id)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map_err(kms_err)?;
        }
    }
    Ok(())
}

/// Live keys of the region owned by `stack` (and `address`), as (id,
/// address tag): ListKeys plus a tag read per key. Only for orphan search
/// and the drift report.
async fn owned_keys(
    client: &Client,
    owner: &Owner,
    address: Option<&str>,
) -> Result<Vec<(String, Option<String>)>, ProviderError> {
    let ids: Vec<String> = collect_pages(|marker| async move {
        let out = client
            .list_keys()
            .set_marker(marker)
            .send()
            .await
            .map_err(kms_err)?;
        let ids = out
            .keys()
            .iter()
            .filter_map(|k| k.key_id().map(str::to_string))
            .collect();
        let next = if out.truncated() {
            out.next_marker().map(str::to_string)
        } else {
            None
        };
        Ok((ids, next))
    })
    .await?;
    let tagged = concurrent(ids, OBSERVE_CONCURRENCY, |id| async move {
        match key_tags(client, &id).await {
            Ok(t) => Ok(Some((id, t))),
            // AWS managed keys refuse tag reads to customers.
            Err(ProviderError::Api { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    })
    .await?;
    let mut out = Vec::new();
    for (id, t) in tagged.into_iter().flatten() {
        if tags::owned_by(
            t.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            owner,
            address,
        ) {
            // Keys already scheduled for deletion are not candidates.
            if fetch_key_alive(client, &id).await? {
                let addr = t
                    .iter()
                    .find(|(k, _)| k == ADDRESS_TAG)
                    .map(|(_, v)| v.clone());
                out.push((id, addr));
            }
        }
    }
    Ok(out)
}

async fn fetch_key_alive(client: &Client, id: &str) -> Result<bool, ProviderError> {
    match client
        .describe_key()
        .key_id(id)
        .send()
        .await
        .map_err(kms_err)
    {
        Ok(out) => Ok(out.key_metadata.as_ref().is_some_and(alive)),
        Err(e) if is_not_found(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

#[async_trait]
impl Provider for KeyProvider {
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
        observe_keys(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.client(&ctx.region).await?;
        let mut all_tags = tags::create_tags(desired, &ctx.system_tags);
        all_tags.insert(WINDOW_TAG.to_string(), window_of(desired).to_string());
        let policy = match desired.get("policy").filter(|v| !v.is_null()) {
            Some(p) => Some(
                crate::normalize::policy(p)
                    .map_err(|e| ProviderError::Invalid(format!("policy: {e}")))?,
            ),
            None => None,
        };
        let out = client
            .create_key()
            .set_description(opt_str(desired, "description").map(str::to_string))
            .key_usage(KeyUsageType::from(
                opt_str(desired, "key_usage").unwrap_or("ENCRYPT_DECRYPT"),
            ))
            .key_spec(KeySpec::from(
                opt_str(desired, "key_spec").unwrap_or("SYMMETRIC_DEFAULT"),
            ))
            .set_policy(policy)
            .multi_region(opt_bool(desired, "multi_region").unwrap_or(false))
            .set_tags(Some(kms_tags(&all_tags)?))
            .send()
            .await
            .map_err(kms_err)?;
        let meta = out.key_metadata.ok_or_else(|| ProviderError::Transient {
            message: "CreateKey returned no key metadata".into(),
        })?;
        let id = meta.key_id().to_string();
        // What CreateKey set; rotation and the enabled flag follow.
        let mut prior = desired.clone();
        prior.insert("enable_key_rotation".into(), Value::Bool(false));
        prior.insert("is_enabled".into(), Value::Bool(true));
        for call in update_calls(&prior, desired) {
            run_call(&client, &id, call).await?;
        }
        Ok(Created {
            attrs: observe_one(&client, &id).await?,
            id,
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
        for call in update_calls(prior, desired) {
            run_call(&client, id, call).await?;
        }
        observe_one(&client, id).await
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.client(&ctx.region).await?;
        let days = i32::try_from(window_of(prior).clamp(7, 30)).unwrap_or(30);
        match client
            .schedule_key_deletion()
            .key_id(id)
            .pending_window_in_days(days)
            .send()
            .await
            .map_err(kms_err)
        {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            // Already scheduled: the destroy has happened.
            Err(ProviderError::Api { code, .. }) if code == "KMSInvalidStateException" => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let client = self.client(&ctx.region).await?;
        let address = ctx.address.to_string();
        let ids = owned_keys(&client, &ctx.owner, Some(&address)).await?;
        tags::adopt_listed(tags::listed_ids(ids), &address, |id| async move {
            observe_keys(&client, std::slice::from_ref(&id)).await
        })
        .await
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.client(&ctx.region).await?;
        owned_keys(&client, &ctx.owner, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs_of(v: serde_json::Value) -> Attrs {
        let mut a = Value::from_json(&v).as_map().cloned().unwrap_or_default();
        forge_engine::diff::fill_defaults(&SCHEMA, &mut a);
        normalize(a)
    }

    #[test]
    fn observed_attrs_cover_every_field() {
        let meta = KeyMetadata::builder()
            .key_id("k-1")
            .arn("arn:aws:kms:eu-west-1:123456789012:key/k-1")
            .enabled(true)
            .key_usage(KeyUsageType::EncryptDecrypt)
            .key_spec(KeySpec::SymmetricDefault)
            .description("d")
            .build()
            .unwrap();
        let v = KeyView {
            meta,
            policy: Some("{\"Statement\": [], \"Version\": \"2012-10-17\"}".into()),
            rotation: true,
            tags: vec![("a".into(), "1".into()), (WINDOW_TAG.into(), "7".into())],
        };
        let a = normalize(key_attrs(&v));
        for field in schema().fields.keys() {
            assert!(a.contains_key(field), "missing {field}");
        }
        assert_eq!(a["deletion_window_in_days"], Value::int(7));
        assert_eq!(
            a["policy"],
            Value::from(r#"{"Statement":[],"Version":"2012-10-17"}"#)
        );
        assert_eq!(a["tags"].as_map().map(|m| m.len()), Some(1));
    }

    #[test]
    fn rotation_and_enable_order() {
        let prior = attrs_of(serde_json::json!({"is_enabled": false}));
        let want = attrs_of(
            serde_json::json!({"enable_key_rotation": true, "description": "x", "deletion_window_in_days": 7}),
        );
        assert_eq!(
            update_calls(&prior, &want),
            vec![
                KeyCall::Enabled(true),
                KeyCall::Describe("x".into()),
                KeyCall::Rotation(true),
                KeyCall::Tag(BTreeMap::from([(WINDOW_TAG.into(), "7".into())])),
            ]
        );
        let calls = update_calls(&want, &attrs_of(serde_json::json!({"is_enabled": false})));
        assert_eq!(calls.last(), Some(&KeyCall::Enabled(false)));
        assert!(calls.contains(&KeyCall::Rotation(false)));
        assert!(update_calls(&want, &want).is_empty());
    }

    #[test]
    fn unset_policy_is_left_alone() {
        let prior = attrs_of(serde_json::json!({"policy": {"Statement": []}}));
        assert!(update_calls(&prior, &attrs_of(serde_json::json!({}))).is_empty());
        let want = attrs_of(
            serde_json::json!({"policy": "{ \"Statement\": [ {\"Effect\":\"Allow\"} ] }"}),
        );
        assert_eq!(
            update_calls(&prior, &want),
            vec![KeyCall::PutPolicy(
                r#"{"Statement":[{"Effect":"Allow"}]}"#.into()
            )]
        );
    }

    #[test]
    fn pending_deletion_counts_as_gone() {
        let m = |s| {
            KeyMetadata::builder()
                .key_id("k")
                .key_state(s)
                .build()
                .unwrap()
        };
        assert!(!alive(&m(KeyState::PendingDeletion)));
        assert!(alive(&m(KeyState::Enabled)));
        assert!(alive(&m(KeyState::Disabled)));
    }
}
