//! `aws.secretsmanager.secret_version`: a secret's value (always
//! sensitive), by secret id or ARN and optionally version id or stage.
//! One GetSecretValue per lookup, at most eight in flight.

use super::{Answers, Lookup, Reading, declare_lookup};
use crate::kind::Computed;
use crate::paging::concurrent;
use async_trait::async_trait;
use forge_derive::Fields;
use forge_engine::DataError;

/// Reads in flight at once.
const CONCURRENCY: usize = 8;

/// Arguments and attributes of `aws.secretsmanager.secret_version`.
#[derive(Clone, Fields)]
pub(crate) struct SecretVersionFields {
    /// The secret's name or ARN.
    pub secret_id: String,
    /// A version id; unset: the stage's.
    pub version_id: Option<String>,
    /// A version stage; unset: AWSCURRENT.
    pub version_stage: Option<String>,
    /// The secret's text value.
    #[field(sensitive)]
    pub secret_string: Computed<String>,
    /// The secret's ARN.
    pub arn: Computed<String>,
    /// The secret's name.
    pub name: Computed<String>,
}

declare_lookup!(SecretVersion: "aws.secretsmanager.secret_version", SecretVersionFields,
    "A Secrets Manager secret's value (sensitive).");

#[async_trait]
impl Lookup for SecretVersion {
    async fn read(cx: &Reading<'_>, batch: &[SecretVersionFields]) -> Answers<Self> {
        let client = cx.client(aws_sdk_secretsmanager::Client::new).await?;
        let client = &client;
        concurrent(batch.to_vec(), CONCURRENCY, |args| async move {
            let got = client
                .get_secret_value()
                .secret_id(&args.secret_id)
                .set_version_id(args.version_id.clone())
                .set_version_stage(args.version_stage.clone())
                .send()
                .await
                .map_err(|e| crate::error::sdk_error("secretsmanager", e));
            Ok(match got {
                Ok(out) => {
                    let mut f = args.clone();
                    f.secret_string = out.secret_string().map(str::to_string);
                    f.arn = out.arn().map(str::to_string);
                    f.name = out.name().map(str::to_string);
                    let id = out.version_id().unwrap_or_default().to_string();
                    Ok((id, f))
                }
                Err(e) if crate::error::is_not_found(&e) => Err(DataError::NotFound(format!(
                    "secret `{}` (or the version asked for)",
                    args.secret_id
                ))),
                Err(e) => Err(DataError::Provider(e)),
            })
        })
        .await
    }
}
