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

use super::{SecretsManager, to_tags};
use crate::attrs::{SensitiveText, non_empty};
use crate::error::ignore_not_found;
use crate::kind::prelude::*;
use crate::paging::{for_chunks, token_pages};
use crate::tags::{self, STATE_TAG};
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType, SecretListEntry, Tag};
use std::collections::BTreeMap;

/// The tag recording the recovery window.
pub const WINDOW_TAG: &str = "forge:recovery_window_in_days";
/// Secrets Manager's default recovery window.
const DEFAULT_WINDOW: i64 = 30;
/// Values per ListSecrets filter.
const NAMES_PER_LIST: usize = 10;
/// Secrets per BatchGetSecretValue.
const IDS_PER_BATCH: usize = 20;

crate::kind::declare_kind!(SecretKind: "aws.secretsmanager.secret", SecretsManager, SecretFields,
    "A Secrets Manager secret.");

/// The fields of `aws.secretsmanager.secret`. `Debug` masks the value.
#[derive(Debug, Clone, Fields)]
pub struct SecretFields {
    /// The secret's name, e.g. app/db.
    #[field(force_new)]
    pub name: String,
    /// What the secret is.
    pub description: Option<String>,
    /// KMS key (id, ARN or alias) encrypting the secret; unset: aws/secretsmanager.
    pub kms_key_id: Option<String>,
    /// The secret's value; never shown, stored in state as a hash.
    #[field(sensitive)]
    pub secret_string: Option<SensitiveText>,
    /// Days (7-30) the secret stays recoverable after destroy; 0 deletes it at once.
    #[field(default = DEFAULT_WINDOW)]
    pub recovery_window_in_days: Option<i64>,
    /// The user's tags (the schema's description is `Tags`'s own).
    pub tags: Tags,
    /// The secret's ARN.
    pub arn: Computed<String>,
    /// The id of the current value's version.
    pub version_id: Computed<String>,
}

impl SecretFields {
    fn window(&self) -> i64 {
        self.recovery_window_in_days.unwrap_or(DEFAULT_WINDOW)
    }
}

/// The name inside a secret ARN (`...:secret:<name>-<6 chars>`).
pub fn name_of_arn(arn: &str) -> Option<&str> {
    let (_, rest) = arn.split_once(":secret:")?;
    let (name, suffix) = rest.rsplit_once('-')?;
    (suffix.len() == 6).then_some(name)
}

/// A secret's current value and version.
#[derive(Debug, Clone, Default)]
struct Current {
    value: Option<SensitiveText>,
    version_id: Option<String>,
}

fn pairs(t: &[Tag]) -> impl Iterator<Item = (&str, &str)> + Clone {
    t.iter().filter_map(|t| Some((t.key()?, t.value()?)))
}

fn fields(s: &SecretListEntry, current: &Current) -> SecretFields {
    let window = pairs(s.tags())
        .find(|(k, _)| *k == WINDOW_TAG)
        .and_then(|(_, v)| v.parse::<i64>().ok());
    SecretFields {
        name: s.name().unwrap_or_default().to_string(),
        description: non_empty(s.description()),
        kms_key_id: s.kms_key_id().map(str::to_string),
        secret_string: current.value.clone(),
        recovery_window_in_days: Some(window.unwrap_or(DEFAULT_WINDOW)),
        tags: tags::observed_map(pairs(s.tags())),
        arn: s.arn().map(str::to_string),
        version_id: current.version_id.clone(),
    }
}

async fn list_secrets(client: &Client, filters: Vec<Filter>) -> Res<Vec<SecretListEntry>> {
    let list = || client.list_secrets().set_filters(Some(filters.clone()));
    token_pages!(list(), SecretsManager::err, |out| out
        .secret_list
        .unwrap_or_default())
}

fn filter(key: FilterNameStringType, values: Vec<String>) -> Filter {
    Filter::builder().key(key).set_values(Some(values)).build()
}

/// Current values of the given secrets (ARNs); secrets without a value
/// are absent.
async fn current_values(client: &Client, arns: &[String]) -> Res<BTreeMap<String, Current>> {
    let entries = for_chunks(arns, IDS_PER_BATCH, |chunk| async move {
        let get = || {
            client
                .batch_get_secret_value()
                .set_secret_id_list(Some(chunk.clone()))
        };
        // Per-secret errors (no value yet, deleted meanwhile) leave that
        // secret without a value; the listing decides existence.
        token_pages!(get(), SecretsManager::err, |out| out
            .secret_values()
            .iter()
            .filter_map(|v| {
                let current = Current {
                    value: v.secret_string().map(|s| SensitiveText(s.to_string())),
                    version_id: v.version_id().map(str::to_string),
                };
                Some((v.arn()?.to_string(), current))
            })
            .collect::<Vec<_>>())
    })
    .await?;
    Ok(entries.into_iter().collect())
}

/// One change to the secret itself (tags go through [`sync_tags`]).
/// `Debug` masks the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretCall {
    /// UpdateSecret: the description (empty clears it) and the key, if set.
    Update(String, Option<String>),
    /// PutSecretValue.
    PutValue(SensitiveText),
    /// Records a new recovery window in its tag.
    Window(i64),
}

/// The calls that bring a secret from `prior` to `desired`.
pub fn update_calls(prior: &SecretFields, desired: &SecretFields) -> Vec<SecretCall> {
    let mut calls = Vec::new();
    let description = desired.description.clone().unwrap_or_default();
    let key = &desired.kms_key_id;
    if prior.description.clone().unwrap_or_default() != description
        || (key.is_some() && prior.kms_key_id != *key)
    {
        calls.push(SecretCall::Update(description, key.clone()));
    }
    if let Some(v) = &desired.secret_string
        && prior.secret_string.as_ref() != Some(v)
    {
        calls.push(SecretCall::PutValue(v.clone()));
    }
    if prior.window() != desired.window() {
        calls.push(SecretCall::Window(desired.window()));
    }
    calls
}

async fn converge(
    client: &Client,
    id: &str,
    prior: &SecretFields,
    desired: &SecretFields,
) -> Res<()> {
    for call in update_calls(prior, desired) {
        match call {
            SecretCall::Update(description, kms_key_id) => {
                client
                    .update_secret()
                    .secret_id(id)
                    .description(description)
                    .set_kms_key_id(kms_key_id)
                    .send()
                    .await
                    .map_err(SecretsManager::err)?;
            }
            SecretCall::PutValue(v) => {
                client
                    .put_secret_value()
                    .secret_id(id)
                    .secret_string(v.0)
                    .send()
                    .await
                    .map_err(SecretsManager::err)?;
            }
            SecretCall::Window(days) => {
                let tag = BTreeMap::from([(WINDOW_TAG.to_string(), days.to_string())]);
                SecretsManager::tag(client, id, &tag).await?;
            }
        }
    }
    sync_tags::<SecretsManager>(client, id, &prior.tags, &desired.tags).await
}

#[async_trait]
impl Kind for SecretKind {
    const ARNS: &[ArnShape] = &[ArnShape::arn("secretsmanager", "secret:")];

    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        let names: Vec<String> = ids
            .iter()
            .map(|id| name_of_arn(id).unwrap_or(id).to_string())
            .collect();
        let listed = for_chunks(&names, NAMES_PER_LIST, |chunk| async move {
            list_secrets(ctx.client, vec![filter(FilterNameStringType::Name, chunk)]).await
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
        let values = current_values(ctx.client, &arns).await?;
        let none = Current::default();
        Ok(found
            .iter()
            .filter_map(|s| {
                let arn = s.arn()?;
                let current = values.get(arn).unwrap_or(&none);
                Some((arn.to_string(), fields(s, current)))
            })
            .collect())
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, token: &str) -> Created<Self> {
        let name = &desired.name;
        let mut all_tags = tags::with_system(&desired.tags, &ctx.system_tags);
        all_tags.insert(WINDOW_TAG.to_string(), desired.window().to_string());
        // The engine's intent token makes a retried CreateSecret (answer
        // lost) return the same secret instead of failing; it must be
        // 32-64 characters.
        let request_token = (token.len() >= 32 && token.len() <= 64).then(|| token.to_string());
        let result = ctx
            .client
            .create_secret()
            .name(name)
            .set_description(desired.description.clone())
            .set_kms_key_id(desired.kms_key_id.clone())
            .set_secret_string(desired.secret_string.clone().map(|s| s.0))
            .set_client_request_token(request_token)
            .set_tags(Some(to_tags(&all_tags)))
            .send()
            .await
            .map_err(SecretsManager::err);
        let arn = match result {
            Ok(out) => returned(out.arn, "CreateSecret returned no ARN")?,
            Err(ProviderError::Api { code, message }) if code == "ResourceExistsException" => {
                let existing = ctx
                    .client
                    .describe_secret()
                    .secret_id(name)
                    .send()
                    .await
                    .map_err(SecretsManager::err)?;
                tags::ensure_ours(ctx, &format!("secret {name}"), pairs(existing.tags()), true)?;
                let arn = existing.arn.ok_or_else(|| ProviderError::Api {
                    code,
                    message: format!("{message} (secret {name} has no ARN)"),
                })?;
                // Ours, from a create whose answer was lost: bring it to
                // the spec.
                let current = Self::read_back(ctx, &arn).await?;
                converge(ctx.client, &arn, &current, desired).await?;
                arn
            }
            Err(e) => return Err(e),
        };
        Ok(Made {
            fields: Self::read_back(ctx, &arn).await?,
            id: arn,
        })
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        converge(ctx.client, id, prior, desired).await?;
        Self::read_back(ctx, id).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, prior: &Self::Fields) -> Res<()> {
        let window = prior.window();
        let call = ctx.client.delete_secret().secret_id(id);
        let call = if window == 0 {
            call.force_delete_without_recovery(true)
        } else {
            call.recovery_window_in_days(window.clamp(7, 30))
        };
        match call.send().await.map_err(SecretsManager::err) {
            // Already scheduled for deletion by an earlier attempt.
            Err(ProviderError::Api { code, message })
                if code == "InvalidRequestException"
                    && message.contains("scheduled for deletion") =>
            {
                Ok(())
            }
            other => ignore_not_found(other.map(drop)),
        }
    }

    async fn list_owned(ctx: &Look<'_, Self>, address: Option<&str>) -> Res<Vec<Owned>> {
        // Secrets Manager's tag filters match key and value separately (any
        // tag with this key, any tag with this value): narrow by the state's
        // lineage, which no other tag holds, and check exactly below.
        let filters = vec![
            filter(FilterNameStringType::TagKey, vec![STATE_TAG.into()]),
            filter(
                FilterNameStringType::TagValue,
                vec![ctx.owner.lineage.clone()],
            ),
        ];
        let listed = list_secrets(ctx.client, filters).await?;
        Ok(listed
            .iter()
            .filter(|s| s.deleted_date().is_none())
            .filter_map(|s| tags::owned_entry(&ctx.owner, pairs(s.tags()), s.arn()?, address))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::schema_of;
    use forge_core::fields::Fields;

    fn secret(value: &str, window: i64) -> SecretFields {
        SecretFields {
            name: "s".into(),
            description: None,
            kms_key_id: None,
            secret_string: Some(SensitiveText(value.into())),
            recovery_window_in_days: Some(window),
            tags: Tags::default(),
            arn: None,
            version_id: None,
        }
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
        let prior = secret("old-hunter2", 30);
        let want = secret("new-hunter2", 0);
        let calls = update_calls(&prior, &want);
        assert_eq!(
            calls,
            vec![
                SecretCall::PutValue(SensitiveText("new-hunter2".into())),
                SecretCall::Window(0)
            ]
        );
        let shown = format!("{calls:?} {want:?}");
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
        let current = Current {
            value: Some(SensitiveText("hunter2".into())),
            version_id: Some("v1".into()),
        };
        let a = fields(&s, &current).to_attrs();
        for field in schema_of::<SecretKind>().fields.keys() {
            assert!(a.contains_key(field), "missing {field}");
        }
        assert!(a["secret_string"].is_sensitive());
        assert_eq!(a["secret_string"].to_string(), "(sensitive)");
        assert_eq!(a["recovery_window_in_days"], forge_core::Value::int(30));
        assert_eq!(a["tags"].as_map().map(|m| m.len()), Some(0));
        assert!(!format!("{current:?}").contains("hunter2"));
    }
}
