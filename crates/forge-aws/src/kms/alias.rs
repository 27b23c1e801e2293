//! `aws.kms.alias`: a friendly name (`alias/app`) pointing at a KMS key.
//!
//! The alias name is its id. Observe cost: one ListAliases (paged) for all
//! aliases of the region, filtered by name on our side.
//!
//! Aliases carry no tags, so no listing can tell an alias forge created
//! from anyone else's: the kind lists nothing for orphan search and drift,
//! and never adopts. Instead create is idempotent: an existing alias
//! already pointing at the desired key is taken as the result of an
//! earlier attempt.

use super::{Kms, key_id_of};
use crate::error::ignore_not_found;
use crate::kind::prelude::*;
use aws_sdk_kms::Client;
use aws_sdk_kms::types::AliasListEntry;

crate::kind::declare_kind!(AliasKind: "aws.kms.alias", Kms, AliasFields,
    "An alias of a KMS key.");

/// The fields of `aws.kms.alias`.
#[derive(Debug, Clone, Fields)]
pub struct AliasFields {
    /// The alias, starting with alias/ (e.g. alias/app-data).
    #[field(force_new)]
    pub alias_name: String,
    /// Id or ARN of the key the alias points at; changed in place.
    #[field(normalize = crate::normalize::kms_key_value)]
    pub target_key_id: String,
    /// The alias's ARN.
    pub arn: Computed<String>,
}

fn fields(a: &AliasListEntry) -> Option<AliasFields> {
    Some(AliasFields {
        alias_name: a.alias_name()?.to_string(),
        target_key_id: key_id_of(a.target_key_id().unwrap_or_default()).to_string(),
        arn: a.alias_arn().map(str::to_string),
    })
}

async fn list_aliases(client: &Client) -> Res<Vec<AliasListEntry>> {
    kms_pages!(client.list_aliases(), |out| out.aliases.unwrap_or_default())
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
impl Kind for AliasKind {
    async fn describe(ctx: &Look<'_, Self>, ids: &[String]) -> Found<Self> {
        Ok(list_aliases(ctx.client)
            .await?
            .iter()
            .filter_map(fields)
            .filter(|f| ids.contains(&f.alias_name))
            .map(|f| (f.alias_name.clone(), f))
            .collect())
    }

    async fn create(ctx: &Act<'_, Self>, desired: &Self::Fields, _token: &str) -> Created<Self> {
        let name = &desired.alias_name;
        check_name(name)?;
        let target = &desired.target_key_id;
        match ctx
            .client
            .create_alias()
            .alias_name(name)
            .target_key_id(target)
            .send()
            .await
            .map_err(Kms::err)
        {
            Ok(_) => {}
            Err(ProviderError::Api { code, message }) if code == "AlreadyExistsException" => {
                let existing = Self::describe(&ctx.look(), std::slice::from_ref(name)).await?;
                let same =
                    existing.get(name).map(|a| a.target_key_id.as_str()) == Some(key_id_of(target));
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
        Self::made(ctx, name.clone()).await
    }

    async fn update(ctx: &Act<'_, Self>, id: &str, u: Update<'_, Self>) -> Updated<Self> {
        let Update { prior, desired, .. } = u;
        let target = &desired.target_key_id;
        if prior.target_key_id != key_id_of(target) {
            ctx.client
                .update_alias()
                .alias_name(id)
                .target_key_id(target)
                .send()
                .await
                .map_err(Kms::err)?;
        }
        Self::read_back(ctx, id).await
    }

    async fn delete(ctx: &Act<'_, Self>, id: &str, _prior: &Self::Fields) -> Res<()> {
        let answer = ctx.client.delete_alias().alias_name(id).send().await;
        ignore_not_found(answer.map(drop).map_err(Kms::err))
    }

    /// Aliases carry no tags: nothing proves which state made one, so none
    /// is listed (see the module docs).
    async fn list_owned(_ctx: &Look<'_, Self>, _address: Option<&str>) -> Res<Vec<Owned>> {
        Ok(vec![])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use forge_core::Value;
    use forge_core::fields::Fields;

    #[test]
    fn target_arns_compare_as_ids() {
        let mut a = forge_core::Attrs::from([
            ("alias_name".to_string(), Value::from("alias/app")),
            (
                "target_key_id".to_string(),
                Value::from("arn:aws:kms:eu-west-1:123456789012:key/k-1"),
            ),
        ]);
        AliasFields::normalize_attrs(&mut a);
        assert_eq!(a["target_key_id"], Value::from("k-1"));
        let e = AliasListEntry::builder()
            .alias_name("alias/app")
            .target_key_id("k-1")
            .alias_arn("arn:aws:kms:eu-west-1:123456789012:alias/app")
            .build();
        let o = fields(&e).unwrap();
        assert_eq!(Value::from(o.target_key_id.as_str()), a["target_key_id"]);
        assert_eq!(
            o.arn.as_deref(),
            Some("arn:aws:kms:eu-west-1:123456789012:alias/app")
        );
    }

    #[test]
    fn alias_names_are_checked() {
        assert!(check_name("alias/app").is_ok());
        assert!(check_name("app").is_err());
        assert!(check_name("alias/aws/s3").is_err());
    }
}
