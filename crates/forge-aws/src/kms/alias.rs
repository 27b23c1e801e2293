//! `aws.kms.alias`: a friendly name (`alias/app`) pointing at a KMS key.
//!
//! The alias name is its id. Observe cost: one ListAliases (paged) for all
//! aliases of the region, filtered by name on our side.
//!
//! Aliases carry no tags, so find_orphan cannot tell an alias forge
//! created from anyone else's and never adopts; instead create is
//! idempotent: an existing alias already pointing at the desired key is
//! taken as the result of an earlier attempt.

use super::{CONCURRENCY, key_id_of, kms_err};
use crate::attrs::attrs;
use crate::attrs::{opt_str, req_str, str_or_null};
use crate::clients::AwsClients;
use crate::error::ignore_not_found;
use crate::normalize::normalize_common;
use crate::paging::collect_pages;
use async_trait::async_trait;
use aws_sdk_kms::Client;
use aws_sdk_kms::types::AliasListEntry;
use forge_core::{Attrs, FieldSchema, FieldType, KindSchema, Value};
use forge_engine::{Created, FieldChange, ObserveCtx, Provider, ProviderError, ResourceCtx};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

/// The `aws.kms.alias` provider.
pub struct AliasProvider {
    clients: Arc<AwsClients>,
    schema: KindSchema,
}

impl AliasProvider {
    /// The provider, sharing `clients`.
    pub fn new(clients: Arc<AwsClients>) -> Self {
        AliasProvider {
            clients,
            schema: schema(),
        }
    }

    async fn client(&self, region: &str) -> Result<Client, ProviderError> {
        self.clients.client(region, Client::new).await
    }
}

/// The schema of `aws.kms.alias`.
pub fn schema() -> KindSchema {
    KindSchema::new(
        "aws.kms.alias",
        "An alias of a KMS key.",
        [
            (
                "alias_name",
                FieldSchema::required(FieldType::String)
                    .force_new()
                    .describe("The alias, starting with alias/ (e.g. alias/app-data)."),
            ),
            (
                "target_key_id",
                FieldSchema::required(FieldType::String)
                    .describe("Id or ARN of the key the alias points at; changed in place."),
            ),
            (
                "arn",
                FieldSchema::computed(FieldType::String).describe("The alias's ARN."),
            ),
        ],
    )
}

static SCHEMA: LazyLock<KindSchema> = LazyLock::new(schema);

fn normalize(mut attrs: Attrs) -> Attrs {
    // KMS reports the target as a key id; a spec may name it by ARN.
    if let Some(Value::String(t)) = attrs.get_mut("target_key_id") {
        *t = key_id_of(t).to_string();
    }
    normalize_common(&SCHEMA, &mut attrs);
    attrs
}

fn alias_attrs(a: &AliasListEntry) -> Attrs {
    attrs([
        ("id", str_or_null(a.alias_name())),
        ("alias_name", str_or_null(a.alias_name())),
        ("target_key_id", str_or_null(a.target_key_id())),
        ("arn", str_or_null(a.alias_arn())),
    ])
}

async fn list_aliases(client: &Client) -> Result<Vec<AliasListEntry>, ProviderError> {
    collect_pages(|marker| async move {
        let out = client
            .list_aliases()
            .set_marker(marker)
            .send()
            .await
            .map_err(kms_err)?;
        let next = if out.truncated() {
            out.next_marker().map(str::to_string)
        } else {
            None
        };
        Ok((out.aliases.unwrap_or_default(), next))
    })
    .await
}

async fn observe_aliases(
    client: &Client,
    ids: &[String],
) -> Result<BTreeMap<String, Attrs>, ProviderError> {
    Ok(list_aliases(client)
        .await?
        .iter()
        .filter_map(|a| {
            let name = a.alias_name()?;
            ids.iter()
                .any(|i| i == name)
                .then(|| (name.to_string(), normalize(alias_attrs(a))))
        })
        .collect())
}

async fn observe_one(client: &Client, name: &str) -> Result<Attrs, ProviderError> {
    observe_aliases(client, &[name.to_string()])
        .await?
        .remove(name)
        .ok_or_else(|| ProviderError::Transient {
            message: format!("KMS alias {name} not visible yet"),
        })
}

fn check_name(name: &str) -> Result<(), ProviderError> {
    if !name.starts_with("alias/") || name.starts_with("alias/aws/") {
        return Err(ProviderError::Invalid(format!(
            "alias_name `{name}` must start with `alias/` (and `alias/aws/` is reserved for AWS)"
        )));
    }
    Ok(())
}

#[async_trait]
impl Provider for AliasProvider {
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
        observe_aliases(&client, ids).await
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        _token: &str,
    ) -> Result<Created, ProviderError> {
        let client = self.client(&ctx.region).await?;
        let name = req_str(desired, "alias_name")?;
        check_name(name)?;
        let target = req_str(desired, "target_key_id")?;
        match client
            .create_alias()
            .alias_name(name)
            .target_key_id(target)
            .send()
            .await
            .map_err(kms_err)
        {
            Ok(_) => {}
            Err(ProviderError::Api { code, message }) if code == "AlreadyExistsException" => {
                let existing = observe_aliases(&client, &[name.to_string()]).await?;
                let same = existing.get(name).and_then(|a| opt_str(a, "target_key_id"))
                    == Some(key_id_of(target));
                if !same {
                    return Err(ProviderError::Api {
                        code,
                        message: format!(
                            "{message} (alias {name} exists and points at another key)"
                        ),
                    });
                }
            }
            Err(e) => return Err(e),
        }
        Ok(Created {
            id: name.to_string(),
            attrs: observe_one(&client, name).await?,
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
        let target = req_str(desired, "target_key_id")?;
        if opt_str(prior, "target_key_id") != Some(key_id_of(target)) {
            client
                .update_alias()
                .alias_name(id)
                .target_key_id(target)
                .send()
                .await
                .map_err(kms_err)?;
        }
        observe_one(&client, id).await
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let client = self.client(&ctx.region).await?;
        ignore_not_found(
            client
                .delete_alias()
                .alias_name(id)
                .send()
                .await
                .map(|_| ())
                .map_err(kms_err),
        )
    }

    async fn find_orphan(
        &self,
        _ctx: &ResourceCtx,
        _token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_arns_compare_as_ids() {
        let a = normalize(Attrs::from([
            ("alias_name".to_string(), Value::from("alias/app")),
            (
                "target_key_id".to_string(),
                Value::from("arn:aws:kms:eu-west-1:123456789012:key/k-1"),
            ),
        ]));
        assert_eq!(a["target_key_id"], Value::from("k-1"));
        let e = AliasListEntry::builder()
            .alias_name("alias/app")
            .target_key_id("k-1")
            .alias_arn("arn:aws:kms:eu-west-1:123456789012:alias/app")
            .build();
        let o = normalize(alias_attrs(&e));
        for field in schema().fields.keys() {
            assert!(o.contains_key(field), "missing {field}");
        }
        assert_eq!(o["target_key_id"], a["target_key_id"]);
    }

    #[test]
    fn alias_names_are_checked() {
        assert!(check_name("alias/app").is_ok());
        assert!(check_name("app").is_err());
        assert!(check_name("alias/aws/s3").is_err());
    }
}
