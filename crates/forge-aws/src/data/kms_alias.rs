//! `aws.kms.alias`: the key an alias points at. One ListAliases (every
//! page) per region answers every lookup.

use super::{Answers, Lookup, Reading, answer_each, declare_lookup};
use crate::kind::Computed;
use crate::paging::truncated_pages;
use async_trait::async_trait;
use forge_derive::Fields;
use std::collections::BTreeMap;

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

declare_lookup!(Alias: "aws.kms.alias", AliasFields, "A KMS alias and the key it points at.");

#[async_trait]
impl Lookup for Alias {
    async fn read(cx: &Reading<'_>, batch: &[AliasFields]) -> Answers<Self> {
        let client = &cx.client(aws_sdk_kms::Client::new).await?;
        let aliases: Vec<aws_sdk_kms::types::AliasListEntry> = truncated_pages!(
            client.list_aliases(),
            |e| crate::error::sdk_error("kms", e),
            truncated,
            next_marker,
            |out| out.aliases.unwrap_or_default()
        )?;
        let by_name = aliases
            .into_iter()
            .map(|a| (a.alias_name().map(str::to_string), a));
        // Alias names are unique; should one repeat, the first listed wins.
        let found: BTreeMap<_, _> = by_name.rev().collect();
        let missing = |a: &AliasFields| format!("KMS alias `{}`", a.name);
        Ok(answer_each(
            batch,
            &found,
            |a| Some(a.name.clone()),
            missing,
            |f, a| {
                f.arn = a.alias_arn().map(str::to_string);
                f.target_key_id = a.target_key_id().map(str::to_string);
                // arn:aws:kms:REGION:ACCOUNT:alias/NAME -> ...:key/KEY_ID
                f.target_key_arn = match (&f.arn, &f.target_key_id) {
                    (Some(arn), Some(key)) => arn
                        .split_once(":alias/")
                        .map(|(prefix, _)| format!("{prefix}:key/{key}")),
                    _ => None,
                };
                f.name.clone()
            },
        ))
    }
}
