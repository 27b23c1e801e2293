//! `aws.sts.caller_identity`: the account, ARN and user id of the
//! credentials forge runs with. One GetCallerIdentity per region,
//! whatever the number of lookups (they all have the same answer).

use super::{Answers, Lookup, Reading, declare_lookup};
use async_trait::async_trait;
use forge_derive::Fields;

use crate::kind::Computed;

/// Attributes of `aws.sts.caller_identity` (it takes no arguments).
#[derive(Clone, Fields)]
pub(crate) struct CallerIdentityFields {
    /// The AWS account id, e.g. 123456789012.
    pub account_id: Computed<String>,
    /// The ARN of the calling identity.
    pub arn: Computed<String>,
    /// The unique id of the calling identity.
    pub user_id: Computed<String>,
}

declare_lookup!(CallerIdentity: "aws.sts.caller_identity", CallerIdentityFields,
    "The account, ARN and user id forge runs as.");

#[async_trait]
impl Lookup for CallerIdentity {
    async fn read(cx: &Reading<'_>, batch: &[CallerIdentityFields]) -> Answers<Self> {
        let client = cx.client(aws_sdk_sts::Client::new).await?;
        let out = client
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| crate::error::sdk_error("sts", e))?;
        let fields = CallerIdentityFields {
            account_id: out.account().map(str::to_string),
            arn: out.arn().map(str::to_string),
            user_id: out.user_id().map(str::to_string),
        };
        let id = fields.account_id.clone().unwrap_or_default();
        Ok(batch
            .iter()
            .map(|_| Ok((id.clone(), fields.clone())))
            .collect())
    }
}
