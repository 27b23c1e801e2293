//! Credential sets: the spec's `aws:` (profile, role to assume, allowed
//! accounts) turned into an SDK configuration, and the account check.
//!
//! A role is assumed with aws-config's `AssumeRoleProvider`, chained on the
//! profile (or the process's chain). The provider calls STS each time it is
//! asked; the configuration's identity cache (aws-config's lazy cache, which
//! every client built from it shares) keeps the session and asks again when
//! it is within seconds of expiring. So an apply that outlives a role
//! session signs its later calls with a fresh one, never with an expired
//! session.

use crate::error::{credentials_error, sdk_error};
use aws_config::SdkConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_sdk_sts::config::SharedCredentialsProvider;
use forge_core::spec::{AwsCredentials, Stack, StateBackendConfig};
use forge_engine::ProviderError;
use std::time::Duration;

/// The role session name when the spec names none.
const DEFAULT_SESSION_NAME: &str = "forge";

/// A named set of credentials: what the spec's `aws:` says, and where it
/// was written, for messages ("the credentials of stack `app`, environment
/// `prod`").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialSet {
    /// Who uses it, for messages.
    pub name: String,
    /// The spec's settings.
    pub aws: AwsCredentials,
}

impl CredentialSet {
    /// A set named `name`.
    pub fn new(name: impl Into<String>, aws: AwsCredentials) -> Self {
        CredentialSet {
            name: name.into(),
            aws,
        }
    }
}

/// The credentials the stack's resources use: its `aws:` (the chosen
/// environment's merged over the stack's); `None`: the process's chain.
pub fn stack_set(stack: &Stack) -> Option<CredentialSet> {
    let aws = stack.aws.clone()?;
    Some(CredentialSet::new(
        format!("the credentials of {}", who(stack)),
        aws,
    ))
}

/// The stack's named credential sets (`aws.aliases`, the environment's
/// merged over the stack's), by name. Each stands alone, as a Terraform
/// provider alias does: it does not inherit the stack's profile or role.
pub fn alias_sets(stack: &Stack) -> std::collections::BTreeMap<String, CredentialSet> {
    stack
        .aws_aliases
        .iter()
        .map(|(name, aws)| {
            let set = CredentialSet::new(
                format!("the credentials of alias `{name}` of {}", who(stack)),
                aws.clone(),
            );
            (name.clone(), set)
        })
        .collect()
}

/// The credentials the stack's S3 state uses: `state.aws`, else the
/// stack's own ([`stack_set`]).
pub fn state_set(stack: &Stack) -> Option<CredentialSet> {
    match &stack.state {
        StateBackendConfig::S3 { aws: Some(aws), .. } => Some(CredentialSet::new(
            format!("the state credentials of {}", who(stack)),
            (**aws).clone(),
        )),
        _ => stack_set(stack),
    }
}

fn who(stack: &Stack) -> String {
    match &stack.environment {
        Some(env) => format!("stack `{}`, environment `{env}`", stack.name),
        None => format!("stack `{}`", stack.name),
    }
}

/// `config` (loaded with the set's profile) with the set's role assumed
/// on top of its credentials, if it names one.
pub async fn with_role(config: SdkConfig, set: &CredentialSet) -> SdkConfig {
    let Some(role) = &set.aws.assume_role else {
        return config;
    };
    let mut builder = AssumeRoleProvider::builder(role.role_arn.clone())
        .session_name(
            role.session_name
                .clone()
                .unwrap_or_else(|| DEFAULT_SESSION_NAME.into()),
        )
        .configure(&config);
    if let Some(id) = &role.external_id {
        builder = builder.external_id(id.clone());
    }
    if let Some(secs) = role.duration {
        builder = builder.session_length(Duration::from_secs(secs));
    }
    let provider = builder.build().await;
    config
        .into_builder()
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build()
}

/// The account `config`'s credentials act in (STS `GetCallerIdentity`).
pub async fn caller_account(config: &SdkConfig) -> Result<String, ProviderError> {
    let out = aws_sdk_sts::Client::new(config)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| sdk_error("sts", e))?;
    out.account
        .ok_or_else(|| credentials_error("GetCallerIdentity returned no account"))
}

/// Refuses `account` unless the set's `allowed_account_ids` (if any)
/// lists it.
pub fn check_account(set: &CredentialSet, account: &str) -> Result<(), ProviderError> {
    let allowed = &set.aws.allowed_account_ids;
    if allowed.is_empty() || allowed.iter().any(|a| a == account) {
        return Ok(());
    }
    Err(ProviderError::Credentials(format!(
        "{} ({}) act in AWS account {account}, which is not in allowed_account_ids ({}); \
         nothing was changed. Check the profile, role or environment chosen (-e)",
        set.name,
        set.aws.describe(),
        allowed.join(", "),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(allowed: &[&str]) -> CredentialSet {
        CredentialSet::new(
            "the credentials of stack `app`, environment `prod`",
            AwsCredentials {
                allowed_account_ids: allowed.iter().map(|s| s.to_string()).collect(),
                ..AwsCredentials::default()
            },
        )
    }

    #[test]
    fn allowed_accounts_are_checked() {
        assert!(check_account(&set(&[]), "123456789012").is_ok());
        assert!(check_account(&set(&["123456789012"]), "123456789012").is_ok());
        let err = check_account(&set(&["222222222222"]), "123456789012")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        insta::assert_snapshot!(err);
    }
}
