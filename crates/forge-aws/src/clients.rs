//! The per-region cache of SDK configurations and service clients.
//!
//! Loading an `SdkConfig` walks the credential chain (env vars, profiles,
//! SSO, IMDS) and reads `AWS_ENDPOINT_URL*`, which is slow enough to do once
//! per region and process, not once per call. Every kind shares one
//! [`AwsClients`], so a stack touching ten kinds in one region builds one
//! configuration and one client per service.
//!
//! Every client is built with [`MutationRetryGuard`]: the SDK retries reads
//! but never re-sends a call that changes something (see
//! [`crate::retry_guard`] for why).

use crate::error::credentials_error;
use crate::retry_guard::GuardedClient;
use crate::settings::{AwsSettings, RetryMode};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use forge_engine::ProviderError;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::OnceCell;

/// Lazily built SDK configurations and clients, one per region.
#[derive(Debug)]
pub struct AwsClients {
    settings: AwsSettings,
    configs: Mutex<HashMap<String, Arc<OnceCell<SdkConfig>>>>,
    ec2: Mutex<HashMap<String, aws_sdk_ec2::Client>>,
    /// Clients of the other services, by (client type, region): each
    /// service module asks through [`AwsClients::client`] so adding a
    /// service needs no change here.
    others: Mutex<HashMap<(TypeId, String), Box<dyn Any + Send + Sync>>>,
    /// The account of the credentials, checked against the spec's
    /// `allowed_account_ids` once (one `GetCallerIdentity`) before any
    /// other call; only a pass is kept, so a failed check is tried again.
    account: OnceCell<String>,
}

impl AwsClients {
    /// A cache that loads configurations with the standard chain.
    pub fn new(settings: AwsSettings) -> Self {
        AwsClients {
            settings,
            configs: Mutex::default(),
            ec2: Mutex::default(),
            others: Mutex::default(),
            account: OnceCell::new(),
        }
    }

    /// The settings this cache was built with.
    pub fn settings(&self) -> &AwsSettings {
        &self.settings
    }

    /// Uses `config` for `region` instead of loading one (embedders and
    /// tests that build their own configuration). Clients already built for
    /// the region are dropped.
    pub fn preset(&self, region: &str, config: SdkConfig) {
        let cell = Arc::new(OnceCell::new_with(Some(config)));
        lock(&self.configs).insert(region.to_string(), cell);
        lock(&self.ec2).remove(region);
        lock(&self.others).retain(|(_, r), _| r != region);
    }

    /// The SDK configuration for `region`, loaded on first use.
    pub async fn config(&self, region: &str) -> Result<SdkConfig, ProviderError> {
        if region.is_empty() {
            return Err(ProviderError::Invalid(
                "no AWS region given (set `region` in the stack)".into(),
            ));
        }
        let cell = lock(&self.configs)
            .entry(region.to_string())
            .or_default()
            .clone();
        let config = cell.get_or_init(|| load(&self.settings, region)).await;
        if config.credentials_provider().is_none() {
            return Err(credentials_error(
                "no credentials provider could be configured",
            ));
        }
        self.check_account(config).await?;
        Ok(config.clone())
    }

    /// Checks the credentials' account against the spec's
    /// `allowed_account_ids` now (nothing to do without a list): commands
    /// call it first, so even a plan that would read nothing (an empty
    /// state) is refused in the wrong account.
    pub async fn verify_account(&self, region: &str) -> Result<(), ProviderError> {
        let listed = self
            .settings
            .credentials
            .as_ref()
            .is_some_and(|s| !s.aws.allowed_account_ids.is_empty());
        if listed {
            self.config(region).await?;
        }
        Ok(())
    }

    /// Refuses credentials acting in an account the spec's
    /// `allowed_account_ids` does not list, before anything else is sent
    /// with them. One `GetCallerIdentity` per cache (the first region's
    /// configuration answers for all: an account spans regions).
    async fn check_account(&self, config: &SdkConfig) -> Result<(), ProviderError> {
        let Some(set) = self
            .settings
            .credentials
            .as_ref()
            .filter(|s| !s.aws.allowed_account_ids.is_empty())
        else {
            return Ok(());
        };
        let account = self
            .account
            .get_or_try_init(|| crate::credentials::caller_account(config))
            .await?;
        crate::credentials::check_account(set, account)
    }

    /// The EC2 client for `region`.
    pub async fn ec2(&self, region: &str) -> Result<aws_sdk_ec2::Client, ProviderError> {
        if let Some(client) = lock(&self.ec2).get(region) {
            return Ok(client.clone());
        }
        let config = self.config(region).await?;
        // `From<&SdkConfig>` is what reads `AWS_ENDPOINT_URL_EC2` (the
        // service-specific override) on top of `AWS_ENDPOINT_URL`.
        let client = aws_sdk_ec2::Client::new(&config).with_mutation_guard();
        lock(&self.ec2).insert(region.to_string(), client.clone());
        Ok(client)
    }
}

impl AwsClients {
    /// The client of type `C` for `region`, built once with `make` (pass the
    /// service's `Client::new`, which reads `AWS_ENDPOINT_URL_<SERVICE>`),
    /// with the SDK's retries of mutations turned off.
    pub async fn client<C>(
        &self,
        region: &str,
        make: fn(&SdkConfig) -> C,
    ) -> Result<C, ProviderError>
    where
        C: GuardedClient + Clone + Send + Sync + 'static,
    {
        let key = (TypeId::of::<C>(), region.to_string());
        if let Some(client) = lock(&self.others)
            .get(&key)
            .and_then(|c| c.downcast_ref::<C>())
        {
            return Ok(client.clone());
        }
        let config = self.config(region).await?;
        let client = make(&config).with_mutation_guard();
        lock(&self.others).insert(key, Box::new(client.clone()));
        Ok(client)
    }
}

/// The retry configuration the settings ask for. It applies to reads only:
/// the SDK sends every other call once ([`crate::retry_guard`]).
pub fn retry_config(settings: &AwsSettings) -> RetryConfig {
    let base = match settings.retry_mode {
        RetryMode::Standard => RetryConfig::standard(),
        RetryMode::Adaptive => RetryConfig::adaptive(),
    };
    base.with_max_attempts(settings.max_attempts.max(1))
}

async fn load(settings: &AwsSettings, region: &str) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .retry_config(retry_config(settings));
    if let Some(timeout) = settings.attempt_timeout {
        loader = loader.timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(timeout)
                .build(),
        );
    }
    let set = settings.credentials.as_ref();
    if let Some(profile) = set
        .and_then(|s| s.aws.profile.as_ref())
        .or(settings.profile.as_ref())
    {
        loader = loader.profile_name(profile);
    }
    let config = loader.load().await;
    match set {
        Some(set) => crate::credentials::with_role(config, set).await,
        None => config,
    }
}

/// A poisoned lock only means another thread panicked while inserting into
/// a cache; the map itself is still consistent, so keep using it.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_config_follows_settings() {
        let s = AwsSettings {
            max_attempts: 2,
            ..AwsSettings::default()
        };
        let rc = retry_config(&s);
        assert_eq!(rc.max_attempts(), 2);
        assert_eq!(rc.mode(), aws_config::retry::RetryMode::Standard);
        let s = AwsSettings {
            max_attempts: 0,
            retry_mode: RetryMode::Adaptive,
            ..AwsSettings::default()
        };
        let rc = retry_config(&s);
        assert_eq!(rc.max_attempts(), 1);
        assert_eq!(rc.mode(), aws_config::retry::RetryMode::Adaptive);
    }

    #[tokio::test]
    async fn empty_region_is_invalid() {
        let clients = AwsClients::new(AwsSettings::default());
        assert!(matches!(
            clients.config("").await,
            Err(ProviderError::Invalid(_))
        ));
    }

    #[tokio::test]
    async fn preset_config_is_used() {
        let clients = AwsClients::new(AwsSettings::default());
        let config = SdkConfig::builder()
            .region(Region::new("eu-west-3"))
            .behavior_version(BehaviorVersion::latest())
            .credentials_provider(aws_sdk_ec2::config::SharedCredentialsProvider::new(
                aws_sdk_ec2::config::Credentials::new("a", "b", None, None, "test"),
            ))
            .build();
        clients.preset("eu-west-3", config);
        let got = clients.config("eu-west-3").await.unwrap();
        assert_eq!(got.region().map(|r| r.as_ref()), Some("eu-west-3"));
        assert!(clients.ec2("eu-west-3").await.is_ok());
    }
}
