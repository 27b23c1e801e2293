//! `aws.secretsmanager.secret`: a secret with its current value.
//!
//! The secret's ARN is its id (a name can be reused after deletion; the
//! ARN's random suffix cannot, so a replaced secret is a new id).
//!
//! Observe cost: ListSecrets filtered by name (10 names per request,
//! paged) for metadata and tags, plus BatchGetSecretValue (20 secrets per
//! request) for the current values: two requests per ten secrets. Secrets
//! scheduled for deletion are not listed, so they count as gone.
//!
//! The live value is returned as a sensitive value, so a spec whose
//! `secret_string` matches the secret plans as no change, and a value
//! changed outside forge shows as drift (masked).
//!
//! `recovery_window_in_days` is a forge setting used on destroy (0 deletes
//! without recovery); forge records it on the secret as the tag
//! `forge:recovery_window_in_days` so refresh and destroy see it.

use super::{CONCURRENCY, sm_err};
use crate::attrs::attrs;
use crate::attrs::{opt_i64, opt_str, req_str, str_or_null};
use crate::clients::AwsClients;
use crate::error::is_not_found;
use crate::normalize::normalize_common;
use crate::paging::{collect_pages, for_chunks};
use crate::tags::tags_field;
use crate::tags::{self, ADDRESS_TAG, STATE_TAG};
use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType, SecretListEntry, Tag};
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::Owner;
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

/// The tag recording the recovery window.
pub const WINDOW_TAG: &str = "forge:recovery_window_in_days";
/// Secrets Manager's default recovery window.
const DEFAULT_WINDOW: i64 = 30;
/// Values per ListSecrets filter.
const NAMES_PER_LIST: usize = 10;
/// Secrets per BatchGetSecretValue.
const IDS_PER_BATCH: usize = 20;

/// The `aws.secretsmanager.secret` provider.
pub struct SecretProvider {
    clients: Arc<AwsClients>,
    schema: KindSchema,
}

impl SecretProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        SecretProvider {
            clients,
            schema: schema(),
        }
    }

    async fn client(&self, region: &str) -> Result<Client, ProviderError> {
        self.clients.client(region, Client::new).await
    }
}

/// The schema of `aws.secretsmanager.secret`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.secretsmanager.secret",
        "A Secrets Manager secret.",
        [
            ("name", FieldSchema::required(FieldType::String).force_new().describe("The secret's name, e.g. app/db.")),
            ("description", FieldSchema::optional(FieldType::String).describe("What the secret is.")),
            (
                "kms_key_id",
                FieldSchema::optional(FieldType::String)
                    .describe("KMS key (id, ARN or alias) encrypting the secret; unset: aws/secretsmanager."),
            ),
            (
                "secret_string",
                FieldSchema::optional(FieldType::String)
                    .sensitive()
                    .describe("The secret's value; never shown, stored in state as a hash."),
            ),
            (
                "recovery_window_in_days",
                FieldSchema::optional(FieldType::Number)
                    .default(DEFAULT_WINDOW)
                    .describe("Days (7-30) the secret stays recoverable after destroy; 0 deletes it at once."),
            ),
            ("tags", tags_field()),
            ("arn", FieldSchema::computed(FieldType::String).describe("The secret's ARN.")),
            ("version_id", FieldSchema::computed(FieldType::String).describe("The id of the current value's version.")),
        ],
    )
}

static SCHEMA: LazyLock<KindSchema> = LazyLock::new(schema);

fn normalize(mut attrs: Attrs) -> Attrs {
    normalize_common(&SCHEMA, &mut attrs);
    attrs
}

/// The name inside a secret ARN (`...:secret:<name>-<6 chars>`).
pub fn name_of_arn(arn: &str) -> Option<&str> {
    let (_, rest) = arn.split_once(":secret:")?;
    let (name, suffix) = rest.rsplit_once('-')?;
    (suffix.len() == 6).then_some(name)
}

/// A secret's current value and version.
#[derive(Clone, Default)]
struct Current {
    value: Option<String>,
    version_id: Option<String>,
}

// Never prints the value.
impl std::fmt::Debug for Current {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Current")
            .field("value", &self.value.as_ref().map(|_| "(sensitive)"))
            .field("version_id", &self.version_id)
            .finish()
    }
}

fn secret_attrs(s: &SecretListEntry, current: &Current) -> Attrs {
    let window = s
        .tags()
        .iter()
        .find(|t| t.key() == Some(WINDOW_TAG))
        .and_then(|t| t.value()?.parse::<i64>().ok())
        .unwrap_or(DEFAULT_WINDOW);
    attrs([
        ("id", str_or_null(s.arn())),
        ("name", str_or_null(s.name())),
        (
            "description",
            str_or_null(s.description().filter(|d| !d.is_empty())),
        ),
        ("kms_key_id", str_or_null(s.kms_key_id())),
        (
            "secret_string",
            current
                .value
                .clone()
                .map(|v| Value::String(v).sensitive())
                .unwrap_or_default(),
        ),
        ("recovery_window_in_days", Value::int(window)),
        (
            "tags",
            tags::observed_tags(
                s.tags()
                    .iter()
                    .filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))),
            ),
        ),
        ("arn", str_or_null(s.arn())),
        ("version_id", str_or_null(current.version_id.clone())),
    ])
}

async fn list_secrets(
    client: &Client,
    filters: Vec<Filter>,
) -> Result<Vec<SecretListEntry>, ProviderError> {
    collect_pages(|token| {
        let filters = filters.clone();
        async move {
            let out = client
                .list_secrets()
                .set_filters(Some(filters))
                .set_next_token(token)
                .send()
                .await
                .map_err(sm_err)?;
            Ok((out.secret_list.unwrap_or_default(), out.next_token))
        }
    })
    .await
}

fn filter(key: FilterNameStringType, values: Vec<String>) -> Filter {
    Filter::builder().key(key).set_values(Some(values)).build()
}

/// Current values of the given secrets (ARNs); secrets without a value
/// are absent.
async fn current_values(
    client: &Client,
    arns: &[String],
) -> Result<BTreeMap<String, Current>, ProviderError> {
    let entries = for_chunks(arns, IDS_PER_BATCH, |chunk| async move {
        collect_pages(|token| {
            let chunk = chunk.clone();
            async move {
                let out = client
                    .batch_get_secret_value()
                    .set_secret_id_list(Some(chunk))
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(sm_err)?;
                // Per-secret errors (no value yet, deleted meanwhile) leave
                // that secret without a value; the listing decides existence.
                let values: Vec<(String, Current)> = out
                    .secret_values()
                    .iter()
                    .filter_map(|v| {
                        Some((
                            v.arn()?.to_string(),
                            Current {
                                value: v.secret_string().map(str::to_string),
                                version_id: v.version_id().map(str::to_string),
                            },
                        ))
                    })
                    .collect();
                Ok((values, out.next_token))
            }
        })
        .await
    })
    .await?;
    Ok(entries.into_iter().collect())
}

async fn observe_secrets(
    client: &Client,
    ids: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    let names: Vec<String> = ids
        .iter()
        .map(|id| name_of_arn(id).unwrap_or(id).to_string())
        .collect();
    let listed = for_chunks(&names, NAMES_PER_LIST, |chunk| async move {
        list_secrets(client, vec![filter(FilterNameStringType::Name, chunk)]).await
    })
    .await?;
    // The name filter matches prefixes: keep exactly the ids asked for.
    let found: Vec<SecretListEntry> = listed
        .into_iter()
        .filter(|s| {
            s.deleted_date().is_none() && s.arn().is_some_and(|a| ids.iter().any(|i| i == a))
        })
        .collect();
    let arns: Vec<String> = found
        .iter()
        .filter_map(|s| s.arn().map(str::to_string))
        .collect();
    let values = current_values(client, &arns).await?;
    let none = Current::default();
    Ok(found
        .iter()
        .filter_map(|s| {
            let arn = s.arn()?;
            Some((
                arn.to_string(),
                normalize(secret_attrs(s, values.get(arn).unwrap_or(&none))),
            ))
        })
        .collect())
}

async fn observe_one(client: &Client, arn: &str) -> Result<Attrs, ProviderError> {
    observe_secrets(client, &[arn.to_string()])
        .await?
        .remove(arn)
        .ok_or_else(|| ProviderError::Transient {
            message: format!("secret {arn} not visible yet"),
        })
}

fn sm_tags(map: &BTreeMap<String, String>) -> Vec<Tag> {
    map.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn window_of(attrs: &Attrs) -> i64 {
    opt_i64(attrs, "recovery_window_in_days").unwrap_or(DEFAULT_WINDOW)
}

/// One change to a secret. The value is held, never printed: `Debug` masks
/// it.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretCall {
    /// UpdateSecret (description, KMS key).
    Update {
        /// New description (empty clears it).
        description: String,
        /// New key, if one is set.
        kms_key_id: Option<String>,
    },
    /// PutSecretValue.
    PutValue(String),
    /// TagResource (user tags and the recovery-window tag).
    Tag(BTreeMap<String, String>),
    /// UntagResource.
    Untag(Vec<String>),
}

impl std::fmt::Debug for SecretCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretCall::Update {
                description,
                kms_key_id,
            } => f
                .debug_struct("Update")
                .field("description", description)
                .field("kms_key_id", kms_key_id)
                .finish(),
            SecretCall::PutValue(_) => f.write_str("PutValue((sensitive))"),
            SecretCall::Tag(t) => f.debug_tuple("Tag").field(t).finish(),
            SecretCall::Untag(k) => f.debug_tuple("Untag").field(k).finish(),
        }
    }
}

/// The calls that bring a secret from `prior` to `desired`.
pub fn update_calls(prior: &Attrs, desired: &Attrs) -> Vec<SecretCall> {
    let mut calls = Vec::new();
    let description = opt_str(desired, "description").unwrap_or_default();
    let key = opt_str(desired, "kms_key_id");
    if opt_str(prior, "description").unwrap_or_default() != description
        || (key.is_some() && opt_str(prior, "kms_key_id") != key)
    {
        calls.push(SecretCall::Update {
            description: description.to_string(),
            kms_key_id: key.map(str::to_string),
        });
    }
    if let Some(v) = opt_str(desired, "secret_string")
        && opt_str(prior, "secret_string") != Some(v)
    {
        calls.push(SecretCall::PutValue(v.to_string()));
    }
    let (mut set, remove) = tags::diff(&tags::user_tags(prior), &tags::user_tags(desired));
    if window_of(prior) != window_of(desired) {
        set.insert(WINDOW_TAG.to_string(), window_of(desired).to_string());
    }
    if !set.is_empty() {
        calls.push(SecretCall::Tag(set));
    }
    if !remove.is_empty() {
        calls.push(SecretCall::Untag(remove));
    }
    calls
}

async fn run_call(client: &Client, id: &str, call: SecretCall) -> Result<(), ProviderError> {
    match call {
        SecretCall::Update {
            description,
            kms_key_id,
        } => {
            client
                .update_secret()
                .secret_id(id)
                .description(description)
                .set_kms_key_id(kms_key_id)
                .send()
                .await
                .map_err(sm_err)?;
        }
        SecretCall::PutValue(v) => {
            client
                .put_secret_value()
                .secret_id(id)
                .secret_string(v)
                .send()
                .await
                .map_err(sm_err)?;
        }
        SecretCall::Tag(set) => {
            client
                .tag_resource()
                .secret_id(id)
                .set_tags(Some(sm_tags(&set)))
                .send()
                .await
                .map_err(sm_err)?;
        }
        SecretCall::Untag(keys) => {
            client
                .untag_resource()
                .secret_id(id)
                .set_tag_keys(Some(keys))
                .send()
                .await
                .map_err(sm_err)?;
        }
    }
    Ok(())
}

/// Live secrets tagged for `stack` (and `address`), filtered by tag on the
/// server and checked exactly here.
async fn owned(
    client: &Client,
    owner: &Owner,
    address: Option<&str>,
) -> Result<Vec<(String, Option<String>)>, ProviderError> {
    // Secrets Manager's tag filters match key and value separately (any
    // tag with this key, any tag with this value): narrow by the state's
    // lineage, which no other tag holds, and check exactly below.
    let filters = vec![
        filter(FilterNameStringType::TagKey, vec![STATE_TAG.into()]),
        filter(FilterNameStringType::TagValue, vec![owner.lineage.clone()]),
    ];
    let listed = list_secrets(client, filters).await?;
    Ok(listed
        .iter()
        .filter(|s| s.deleted_date().is_none())
        .filter(|s| {
            tags::owned_by(
                s.tags().iter().filter_map(|t| Some((t.key()?, t.value()?))),
                owner,
                address,
            )
        })
        .filter_map(|s| {
            let addr = s
                .tags()
                .iter()
                .find(|t| t.key() == Some(ADDRESS_TAG))
                .and_then(|t| t.value())
                .map(str::to_string);
            Some((s.arn()?.to_string(), addr))
        })
        .collect())
}

#[async_trait]
impl Provider for SecretProvider {
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
        observe_secrets(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.client(&ctx.region).await?;
        let name = req_str(desired, "name")?;
        let mut all_tags = tags::create_tags(desired, &ctx.system_tags);
        all_tags.insert(WINDOW_TAG.to_string(), window_of(desired).to_string());
        // The engine's intent token makes a retried CreateSecret (answer
        // lost) return the same secret instead of failing; it must be
        // 32-64 characters.
        let request_token = (token.len() >= 32 && token.len() <= 64).then(|| token.to_string());
        let result = client
            .create_secret()
            .name(name)
            .set_description(opt_str(desired, "description").map(str::to_string))
            .set_kms_key_id(opt_str(desired, "kms_key_id").map(str::to_string))
            .set_secret_string(opt_str(desired, "secret_string").map(str::to_string))
            .set_client_request_token(request_token)
            .set_tags(Some(sm_tags(&all_tags)))
            .send()
            .await
            .map_err(sm_err);
        let arn = match result {
            Ok(out) => out.arn.ok_or_else(|| ProviderError::Transient {
                message: "CreateSecret returned no ARN".into(),
            })?,
            Err(ProviderError::Api { code, message }) if code == "ResourceExistsException" => {
                let existing = client
                    .describe_secret()
                    .secret_id(name)
                    .send()
                    .await
                    .map_err(sm_err)?;
                let pairs = || {
                    existing
                        .tags()
                        .iter()
                        .filter_map(|t| Some((t.key()?, t.value()?)))
                };
                let address = ctx.address.to_string();
                if !tags::owned_by(pairs(), &ctx.owner, Some(&address)) {
                    return Err(tags::not_ours(ctx, &format!("secret {name}"), pairs()));
                }
                let arn = existing
                    .arn()
                    .map(str::to_string)
                    .ok_or_else(|| ProviderError::Api {
                        code,
                        message: format!("{message} (secret {name} has no ARN)"),
                    })?;
                let current = observe_one(&client, &arn).await?;
                for call in update_calls(&current, desired) {
                    run_call(&client, &arn, call).await?;
                }
                arn
            }
            Err(e) => return Err(e),
        };
        Ok(Created {
            attrs: observe_one(&client, &arn).await?,
            id: arn,
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
        let window = window_of(prior);
        let call = client.delete_secret().secret_id(id);
        let call = if window == 0 {
            call.force_delete_without_recovery(true)
        } else {
            call.recovery_window_in_days(window.clamp(7, 30))
        };
        match call.send().await.map_err(sm_err) {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            // Already scheduled for deletion by an earlier attempt.
            Err(ProviderError::Api { code, message })
                if code == "InvalidRequestException"
                    && message.contains("scheduled for deletion") =>
            {
                Ok(())
            }
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
        let found = owned(&client, &ctx.owner, Some(&address)).await?;
        tags::adopt_listed(tags::listed_ids(found), &address, |id| async move {
            observe_secrets(&client, std::slice::from_ref(&id)).await
        })
        .await
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let client = self.client(&ctx.region).await?;
        owned(&client, &ctx.owner, None).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs_of(v: serde_json::Value) -> Attrs {
        let mut a = Value::from_json(&v).as_map().cloned().unwrap_or_default();
        forge_engine::diff::fill_defaults(&SCHEMA, &mut a);
        forge_engine::diff::mark_sensitive(&SCHEMA, &mut a);
        normalize(a)
    }

    #[test]
    fn names_come_out_of_arns() {
        assert_eq!(
            name_of_arn("arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbC123"),
            Some("app/db")
        );
        assert_eq!(
            name_of_arn("arn:aws:secretsmanager:eu-west-1:1:secret:a-b-c-XyZ789"),
            Some("a-b-c")
        );
        assert_eq!(name_of_arn("app/db"), None);
    }

    #[test]
    fn value_changes_put_a_new_version_and_never_print() {
        let prior = attrs_of(serde_json::json!({"name": "s", "secret_string": "old-hunter2"}));
        let want = attrs_of(
            serde_json::json!({"name": "s", "secret_string": "new-hunter2", "recovery_window_in_days": 0}),
        );
        assert!(want["secret_string"].is_sensitive());
        let calls = update_calls(&prior, &want);
        assert_eq!(calls[0], SecretCall::PutValue("new-hunter2".into()));
        assert_eq!(
            calls[1],
            SecretCall::Tag(BTreeMap::from([(WINDOW_TAG.into(), "0".into())]))
        );
        let shown = format!("{calls:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(update_calls(&want, &want).is_empty());
    }

    #[test]
    fn observed_value_is_sensitive_and_every_field_is_there() {
        let s = SecretListEntry::builder()
            .arn("arn:aws:secretsmanager:eu-west-1:1:secret:app-AbC123")
            .name("app")
            .tags(Tag::builder().key("forge:stack").value("x").build())
            .build();
        let a = normalize(secret_attrs(
            &s,
            &Current {
                value: Some("hunter2".into()),
                version_id: Some("v1".into()),
            },
        ));
        for field in schema().fields.keys() {
            if field != "description" && field != "kms_key_id" {
                assert!(a.contains_key(field), "missing {field}");
            }
        }
        assert!(a["secret_string"].is_sensitive());
        assert_eq!(a["secret_string"].to_string(), "(sensitive)");
        assert_eq!(a["tags"].as_map().map(|m| m.len()), Some(0));
        let dbg = format!(
            "{:?}",
            Current {
                value: Some("hunter2".into()),
                version_id: None
            }
        );
        assert!(!dbg.contains("hunter2"));
    }
}
