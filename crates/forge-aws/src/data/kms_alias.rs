//! `aws.kms.alias`: the key an alias points at. One ListAliases (every
//! page) per region answers every lookup.

use super::{Found, Lookup};
use crate::AwsClients;
use crate::kind::Computed;
use crate::paging::truncated_pages;
use async_trait::async_trait;
use forge_derive::Fields;
use forge_engine::{DataError, ProviderError};

/// Arguments and attributes of `aws.kms.alias`.
#[derive(Clone, Fields)]
pub(crate) struct AliasFields {
    /// The alias's name, starting with alias/.
    pub name: String,
    /// The alias's ARN.
    pub arn: Computed<String>,
    /// The id of the key it points at.
    pub target_key_id: Computed<String>,
    /// The ARN of the key it points at.
    pub target_key_arn: Computed<String>,
}

/// `aws.kms.alias`.
pub(crate) struct Alias;

#[async_trait]
impl Lookup for Alias {
    const TYPE: &'static str = "aws.kms.alias";
    const DESCRIPTION: &'static str = "A KMS alias and the key it points at.";
    type Fields = AliasFields;

    async fn read(
        clients: &AwsClients,
        region: &str,
        batch: &[Self::Fields],
    ) -> Result<Vec<Found<Self::Fields>>, ProviderError> {
        let client = clients.client(region, aws_sdk_kms::Client::new).await?;
        let client = &client;
        let aliases: Vec<aws_sdk_kms::types::AliasListEntry> = truncated_pages!(
            client.list_aliases(),
            |e| crate::error::sdk_error("kms", e),
            truncated,
            next_marker,
            |out| out.aliases.unwrap_or_default()
        )?;
        Ok(batch
            .iter()
            .map(|args| {
                let Some(a) = aliases
                    .iter()
                    .find(|a| a.alias_name() == Some(args.name.as_str()))
                else {
                    return Err(DataError::NotFound(format!("KMS alias `{}`", args.name)));
                };
                let mut f = args.clone();
                f.arn = a.alias_arn().map(str::to_string);
                f.target_key_id = a.target_key_id().map(str::to_string);
                // arn:aws:kms:REGION:ACCOUNT:alias/NAME -> ...:key/KEY_ID
                f.target_key_arn = match (&f.arn, &f.target_key_id) {
                    (Some(arn), Some(key)) => arn
                        .split_once(":alias/")
                        .map(|(prefix, _)| format!("{prefix}:key/{key}")),
                    _ => None,
                };
                Ok((args.name.clone(), f))
            })
            .collect())
    }
}
