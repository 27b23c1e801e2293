//! `aws.kms.key`: a customer managed KMS key with its policy, rotation and
//! enabled state.
//!
//! Observe cost: KMS has no describe-many. Per key: DescribeKey,
//! GetKeyPolicy, GetKeyRotationStatus and ListResourceTags (4 calls), keys
//! running concurrently with at most eight in flight. Keys pending deletion
//! count as gone. The ownership listing is ListKeys plus a tag read per key.
//!
//! `deletion_window_in_days` is a forge setting (the waiting period passed
//! to ScheduleKeyDeletion on destroy), not a property KMS stores. So that
//! refresh and destroy see the value the spec set, forge records it on the
//! key as the tag `forge:deletion_window_in_days` (hidden from `tags` like
//! every `forge:` tag).

use super::{Kms, kms_tags};
use crate::attrs::non_empty;
use crate::error::{found, has_code, is_not_found};
use crate::kind::prelude::*;
use crate::paging::{concurrent_readable, each_id};
use crate::tags;
use aws_sdk_kms::Client;
use aws_sdk_kms::types::{KeyMetadata, KeySpec, KeyState, KeyUsageType};
use forge_core::Value;
use std::collections::BTreeMap;

/// Keys described at once.
const OBSERVE_CONCURRENCY: usize = 8;
/// The tag recording the deletion window.
pub const WINDOW_TAG: &str = "forge:deletion_window_in_days";
/// KMS's default (and maximum) waiting period.
const DEFAULT_WINDOW: i64 = 30;

crate::kind::declare_kind!(KeyKind: "aws.kms.key", Kms, KeyFields,
    "A customer managed KMS key.");

/// The fields of `aws.kms.key`.
#[derive(Debug, Clone, Default, Fields)]
pub struct KeyFields {
    /// What the key is for.
    pub description: Option<String>,
    /// ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC or KEY_AGREEMENT.
    #[field(force_new, default = "ENCRYPT_DECRYPT")]
    pub key_usage: Option<String>,
    /// Key type (the former customer_master_key_spec): SYMMETRIC_DEFAULT, RSA_2048, ...
    #[field(force_new, default = "SYMMETRIC_DEFAULT")]
    pub key_spec: Option<String>,
    /// The key policy (JSON text or YAML object); unset: KMS's default policy.
    #[field(optional_computed, normalize = crate::normalize::policy_value)]
    pub policy: Option<Value>,
    /// Rotate the key material yearly.
    #[field(default = false)]
    pub enable_key_rotation: Option<bool>,
    /// Days (7-30) between destroy and the key's actual deletion.
    #[field(default = DEFAULT_WINDOW)]
    pub deletion_window_in_days: Option<i64>,
    /// Create a multi-Region primary key.
    #[field(force_new, default = false)]
    pub multi_region: Option<bool>,
    /// Whether the key can be used.
    #[field(default = true)]
    pub is_enabled: Option<bool>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The key's ARN.
    pub arn: Computed<String>,
    /// The key's id (a UUID, or mrk-... for multi-Region keys).
    pub key_id: Computed<String>,
}

impl KeyFields {
    fn window(&self) -> i64 {
        self.deletion_window_in_days.unwrap_or(DEFAULT_WINDOW)
    }
    fn enabled(&self) -> bool {
        self.is_enabled.unwrap_or(true)
    }
    fn rotation(&self) -> bool {
        self.enable_key_rotation.unwrap_or(false)
    }
}

/// What observe learns about a key.
#[derive(Debug, Clone)]
struct KeyView {
    meta: KeyMetadata,
    policy: Option<String>,
    rotation: bool,
    tags: Vec<(String, String)>,
}

fn fields(v: &KeyView) -> KeyFields {
    let m = &v.meta;
    let window = v
        .tags
        .iter()
        .find(|(k, _)| k == WINDOW_TAG)
        .and_then(|(_, w)| w.parse::<i64>().ok())
        .unwrap_or(DEFAULT_WINDOW);
    KeyFields {
        description: non_empty(m.description()),
        key_usage: m.key_usage().map(|u| u.as_str().to_string()),
        key_spec: m.key_spec().map(|s| s.as_str().to_string()),
        policy: v
            .policy
            .as_ref()
            .map(|p| crate::normalize::policy_value(&Value::from(p.as_str()))),
        enable_key_rotation: Some(v.rotation),
        deletion_window_in_days: Some(window),
        multi_region: Some(m.multi_region().unwrap_or(false)),
        is_enabled: Some(m.enabled()),
        tags: tags::observed_map(v.tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        arn: m.arn().map(str::to_string),
        key_id: Some(m.key_id().to_string()),
    }
}

/// Whether a key still counts as existing: one scheduled for deletion is on
/// its way out and cannot be used or updated.
fn alive(m: &KeyMetadata) -> bool {
    !matches!(
        m.key_state(),
        Some(KeyState::PendingDeletion | KeyState::PendingReplicaDeletion)
    )
}

async fn key_tags(client: &Client, id: &str) -> Res<Vec<(String, String)>> {
    kms_pages!(client.list_resource_tags().key_id(id), |out| out
        .tags()
        .iter()
        .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
        .collect())
}

/// A live key's metadata, or `None` when it is gone or pending deletion.
async fn key_meta(client: &Client, id: &str) -> Res<Option<KeyMetadata>> {
    let got = client.describe_key().key_id(id).send().await;
    Ok(found(got.map_err(Kms::err))?.and_then(|out| out.key_metadata.filter(alive)))
}

async fn fetch_key(client: &Client, id: &str) -> Res<Option<KeyView>> {
    let Some(meta) = key_meta(client, id).await? else {
        return Ok(None);
    };
    let policy = client.get_key_policy().key_id(id).policy_name("default");
    let policy = policy.send().await.map_err(Kms::err)?.policy;
    // Asymmetric and HMAC keys have no rotation; KMS answers
    // UnsupportedOperationException for them, which means "off".
    let rotation = match client
        .get_key_rotation_status()
        .key_id(id)
        .send()
        .await
        .map_err(Kms::err)
    {
        Ok(out) => out.key_rotation_enabled(),
        Err(e) if has_code(&e, "UnsupportedOperationException") => false,
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

fn bad_policy(e: crate::normalize::PolicyError) -> ProviderError {
    ProviderError::Invalid(format!("policy: {e}"))
}

/// One change to a key (tags go through [`sync_tags`]).
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
    /// TagResource of the deletion-window tag.
    Window(i64),
}

/// The calls that bring a key from `prior` to `desired` (user tags aside).
/// Enabling comes first and disabling last, because a disabled key refuses
/// rotation changes.
pub fn update_calls(prior: &KeyFields, desired: &KeyFields) -> Result<Vec<KeyCall>, ProviderError> {
    let mut calls = Vec::new();
    let (enabled, was_enabled) = (desired.enabled(), prior.enabled());
    if enabled && !was_enabled {
        calls.push(KeyCall::Enabled(true));
    }
    let description = desired.description.clone().unwrap_or_default();
    if prior.description.clone().unwrap_or_default() != description {
        calls.push(KeyCall::Describe(description));
    }
    // Unset keeps whatever policy the key has (see the field).
    if let Some(p) = &desired.policy
        && prior.policy.as_ref() != Some(p)
    {
        calls.push(KeyCall::PutPolicy(
            crate::normalize::policy(p).map_err(bad_policy)?,
        ));
    }
    if prior.rotation() != desired.rotation() {
        calls.push(KeyCall::Rotation(desired.rotation()));
    }
    if prior.window() != desired.window() {
        calls.push(KeyCall::Window(desired.window()));
    }
    if !enabled && was_enabled {
        calls.push(KeyCall::Enabled(false));
    }
    Ok(calls)
}

async fn run_call(client: &Client, id: &str, call: KeyCall) -> Res<()> {
    // Every call names the key; forge needs nothing from the answers.
    macro_rules! kms {
        ($op:ident $(, $set:ident($v:expr))*) => {
            client.$op().key_id(id)$(.$set($v))*.send().await.map(drop).map_err(Kms::err)
        };
    }
    match call {
        KeyCall::Describe(d) => kms!(update_key_description, description(d)),
        KeyCall::PutPolicy(p) => kms!(put_key_policy, policy_name("default"), policy(p)),
        KeyCall::Rotation(true) => kms!(enable_key_rotation),
        KeyCall::Rotation(false) => kms!(disable_key_rotation),
        KeyCall::Enabled(true) => kms!(enable_key),
        KeyCall::Enabled(false) => kms!(disable_key),
        KeyCall::Window(days) => {
            let tag = BTreeMap::from([(WINDOW_TAG.to_string(), days.to_string())]);
            Kms::tag(client, id, &tag).await
        }
    }
}

#[async_trait]
impl Kind for KeyKind {
    const ARNS: &[ArnShape] = &[ArnShape::rest("kms", "key/")];

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        each_id(ids, OBSERVE_CONCURRENCY, |id| async move {
            Ok(fetch_key(ctx.client, &id).await?.as_ref().map(fields))
        })
        .await
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let mut all_tags = tags::with_system(&desired.tags, &ctx.system_tags);
        all_tags.insert(WINDOW_TAG.to_string(), desired.window().to_string());
        let policy = crate::normalize::policy_text(desired.policy.as_ref()).map_err(bad_policy)?;
        let out = ctx
            .client
            .create_key()
            .set_description(desired.description.clone())
            .key_usage(KeyUsageType::from(
                desired.key_usage.as_deref().unwrap_or("ENCRYPT_DECRYPT"),
            ))
            .key_spec(KeySpec::from(
                desired.key_spec.as_deref().unwrap_or("SYMMETRIC_DEFAULT"),
            ))
            .set_policy(policy)
            .multi_region(desired.multi_region.unwrap_or(false))
            .set_tags(Some(kms_tags(&all_tags)?))
            .send()
            .await
            .map_err(Kms::err)?;
        let meta = returned(out.key_metadata, "CreateKey returned no key metadata")?;
        let id = meta.key_id().to_string();
        // What CreateKey set; rotation and the enabled flag follow.
        let prior = KeyFields {
            enable_key_rotation: Some(false),
            is_enabled: Some(true),
            ..desired.clone()
        };
        for call in update_calls(&prior, desired)? {
            run_call(ctx.client, &id, call).await?;
        }
        Self::made(ctx, id).await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        // Tags first: KMS tags enabled and disabled keys alike.
        sync_tags::<Kms>(ctx.client, id, &prior.tags, &desired.tags).await?;
        for call in update_calls(prior, desired)? {
            run_call(ctx.client, id, call).await?;
        }
        Self::read_back(ctx, id).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, prior: &Self::Fields) -> Res<()> {
        let days = i32::try_from(prior.window().clamp(7, 30)).unwrap_or(30);
        let call = ctx.client.schedule_key_deletion().key_id(id);
        match call
            .pending_window_in_days(days)
            .send()
            .await
            .map_err(Kms::err)
        {
            // Already scheduled: the destroy has happened.
            Err(e) if !is_not_found(&e) && !has_code(&e, "KMSInvalidStateException") => Err(e),
            _ => Ok(()),
        }
    }

    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        let client = ctx.client;
        let ids: Vec<String> = kms_pages!(client.list_keys(), |out| out
            .keys()
            .iter()
            .filter_map(|k| k.key_id().map(str::to_string))
            .collect())?;
        // AWS managed keys refuse tag reads to customers.
        let tagged = concurrent_readable(ids, OBSERVE_CONCURRENCY, |id| async move {
            key_tags(ctx.client, &id).await
        })
        .await?;
        let mut out = Vec::new();
        for (id, t) in tagged {
            let pairs = t.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            // Keys already scheduled for deletion are not candidates.
            if let Some(entry) = tags::owned_entry(&ctx.owner, pairs, id, address)
                && key_meta(ctx.client, &entry.0).await?.is_some()
            {
                out.push(entry);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use forge_core::fields::Fields;

    fn fields_of(v: serde_json::Value) -> KeyFields {
        crate::kind::testing::spec_fields::<KeyKind>(v)
    }

    #[test]
    fn observed_fields_read_as_the_spec_writes_them() {
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
        let f = fields(&v);
        assert_eq!(f.deletion_window_in_days, Some(7));
        assert_eq!(
            f.policy,
            Some(Value::from(r#"{"Statement":[],"Version":"2012-10-17"}"#))
        );
        assert_eq!(f.tags.0.len(), 1);
        assert_eq!(f.key_id.as_deref(), Some("k-1"));
        assert_eq!(f.key_usage.as_deref(), Some("ENCRYPT_DECRYPT"));
        let back = KeyFields::from_attrs(&f.to_attrs()).unwrap();
        assert_eq!(back.policy, f.policy);
    }

    #[test]
    fn rotation_and_enable_order() {
        let prior = fields_of(serde_json::json!({"is_enabled": false}));
        let want = fields_of(
            serde_json::json!({"enable_key_rotation": true, "description": "x", "deletion_window_in_days": 7}),
        );
        assert_eq!(
            update_calls(&prior, &want).unwrap(),
            vec![
                KeyCall::Enabled(true),
                KeyCall::Describe("x".into()),
                KeyCall::Rotation(true),
                KeyCall::Window(7),
            ]
        );
        let calls =
            update_calls(&want, &fields_of(serde_json::json!({"is_enabled": false}))).unwrap();
        assert_eq!(calls.last(), Some(&KeyCall::Enabled(false)));
        assert!(calls.contains(&KeyCall::Rotation(false)));
        assert!(update_calls(&want, &want).unwrap().is_empty());
    }

    #[test]
    fn unset_policy_is_left_alone() {
        let prior = fields_of(serde_json::json!({"policy": {"Statement": []}}));
        assert!(
            update_calls(&prior, &fields_of(serde_json::json!({})))
                .unwrap()
                .is_empty()
        );
        let want = fields_of(
            serde_json::json!({"policy": "{ \"Statement\": [ {\"Effect\":\"Allow\"} ] }"}),
        );
        assert_eq!(
            update_calls(&prior, &want).unwrap(),
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
