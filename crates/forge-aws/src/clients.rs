//! The cache of SDK configurations and service clients, per credential
//! set and region.
//!
//! Loading an `SdkConfig` walks the credential chain (env vars, profiles,
//! SSO, IMDS) and reads `AWS_ENDPOINT_URL*`, which is slow enough to do once
//! per region and process, not once per call. Every kind shares one
//! [`AwsClients`], so a stack touching ten kinds in one region builds one
//! configuration and one client per service.
//!
//! A stack's resources may use named credential sets (`aws.aliases`, picked
//! with `aws: NAME`): each set has its own configurations (so its own
//! identity cache and role session) and its own account check. The set is
//! named by the engine's contexts ([`forge_engine::ObserveCtx::alias`]),
//! which the kind adapter passes here: no kind file sees credentials.
//!
//! Every client is built with [`MutationRetryGuard`]: the SDK retries reads
//! but never re-sends a call that changes something (see
//! [`crate::retry_guard`] for why).

use crate::credentials::CredentialSet;
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

/// Where a client acts: a credential alias (`None`: the stack's own
/// credentials) and a region.
type Place = (Option<String>, String);

/// Lazily built SDK configurations and clients, one per credential set and
/// region.
#[derive(Debug)]
pub struct AwsClients {
    settings: AwsSettings,
    configs: Mutex<HashMap<Place, Arc<OnceCell<SdkConfig>>>>,
    ec2: Mutex<HashMap<Place, aws_sdk_ec2::Client>>,
    /// Clients of the other services, by (client type, place): each
    /// service module asks through [`AwsClients::client`] so adding a
    /// service needs no change here.
    others: Mutex<HashMap<(TypeId, Place), Box<dyn Any + Send + Sync>>>,
    /// The account of each credential set, checked against its
    /// `allowed_account_ids` once (one `GetCallerIdentity`) before any
    /// other call with it; only a pass is kept, so a failed check is tried
    /// again.
    accounts: Mutex<HashMap<Option<String>, Arc<OnceCell<String>>>>,
}

impl AwsClients {
    /// A cache that loads configurations with the standard chain.
    pub fn new(settings: AwsSettings) -> Self {
        AwsClients {
            settings,
            configs: Mutex::default(),
            ec2: Mutex::default(),
            others: Mutex::default(),
            accounts: Mutex::default(),
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
        let place = (None, region.to_string());
        lock(&self.configs).insert(place.clone(), cell);
        lock(&self.ec2).remove(&place);
        lock(&self.others).retain(|(_, p), _| *p != place);
    }

    /// The SDK configuration of the stack's own credentials for `region`,
    /// loaded on first use.
    pub async fn config(&self, region: &str) -> Result<SdkConfig, ProviderError> {
        self.config_for(region, None).await
    }

    /// The SDK configuration of credential set `alias` (`None`: the
    /// stack's own) for `region`, loaded on first use, after the set's
    /// account check.
    pub async fn config_for(
        &self,
        region: &str,
        alias: Option<&str>,
    ) -> Result<SdkConfig, ProviderError> {
        if region.is_empty() {
            return Err(ProviderError::Invalid(
                "no AWS region given (set `region` in the stack)".into(),
            ));
        }
        let set = self.set(alias)?;
        let place = (alias.map(str::to_string), region.to_string());
        let cell = lock(&self.configs).entry(place).or_default().clone();
        let config = cell.get_or_init(|| load(&self.settings, set, region)).await;
        if config.credentials_provider().is_none() {
            return Err(credentials_error(
                "no credentials provider could be configured",
            ));
        }
        self.check_account(alias, set, config).await?;
        Ok(config.clone())
    }

    /// The credential set `alias` names: the stack's own for `None`; an
    /// alias the stack does not declare (a resource recorded with one the
    /// spec has since dropped) is an error, never the default credentials,
    /// which act in another account.
    fn set(&self, alias: Option<&str>) -> Result<Option<&CredentialSet>, ProviderError> {
        match alias {
            None => Ok(self.settings.credentials.as_ref()),
            Some(name) => self.settings.aliases.get(name).map(Some).ok_or_else(|| {
                ProviderError::Credentials(format!(
                    "no credential alias `{name}`: the resource is managed with `aws: {name}`, \
                     which the stack's `aws.aliases` does not declare (declare it again to \
                     read, change or delete the resources recorded with it)"
                ))
            }),
        }
    }

    /// Checks every credential set's account against its
    /// `allowed_account_ids` now (nothing to do for a set without a list):
    /// commands call it first, so even a plan that would read nothing (an
    /// empty state) is refused in the wrong account, and so is a plan that
    /// would only touch another set's resources.
    pub async fn verify_account(&self, region: &str) -> Result<(), ProviderError> {
        let listed = |s: &CredentialSet| !s.aws.allowed_account_ids.is_empty();
        if self.settings.credentials.as_ref().is_some_and(listed) {
            self.config(region).await?;
        }
        for (name, set) in &self.settings.aliases {
            if listed(set) {
                self.config_for(region, Some(name)).await?;
            }
        }
        Ok(())
    }

    /// Refuses credentials acting in an account their set's
    /// `allowed_account_ids` does not list, before anything else is sent
    /// with them. One `GetCallerIdentity` per set (the first region's
    /// configuration answers for all: an account spans regions).
    async fn check_account(
        &self,
        alias: Option<&str>,
        set: Option<&CredentialSet>,
        config: &SdkConfig,
    ) -> Result<(), ProviderError> {
        let Some(set) = set.filter(|s| !s.aws.allowed_account_ids.is_empty()) else {
            return Ok(());
        };
        let cell = lock(&self.accounts)
            .entry(alias.map(str::to_string))
            .or_default()
            .clone();
        let account = cell
            .get_or_try_init(|| crate::credentials::caller_account(config))
            .await?;
        crate::credentials::check_account(set, account)
    }

    /// The EC2 client of the stack's own credentials for `region`.
    pub async fn ec2(&self, region: &str) -> Result<aws_sdk_ec2::Client, ProviderError> {
        self.ec2_for(region, None).await
    }

    /// The EC2 client of credential set `alias` for `region`.
    pub async fn ec2_for(
        &self,
        region: &str,
        alias: Option<&str>,
    ) -> Result<aws_sdk_ec2::Client, ProviderError> {
        let place = (alias.map(str::to_string), region.to_string());
        if let Some(client) = lock(&self.ec2).get(&place) {
            return Ok(client.clone());
        }
        let config = self.config_for(region, alias).await?;
        // `From<&SdkConfig>` is what reads `AWS_ENDPOINT_URL_EC2` (the
        // service-specific override) on top of `AWS_ENDPOINT_URL`.
        let client = aws_sdk_ec2::Client::new(&config).with_mutation_guard();
        lock(&self.ec2).insert(place, client.clone());
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
        self.client_for(region, None, make).await
    }

    /// [`AwsClients::client`] with credential set `alias` (`None`: the
    /// stack's own).
    pub async fn client_for<C>(
        &self,
        region: &str,
        alias: Option<&str>,
        make: fn(&SdkConfig) -> C,
    ) -> Result<C, ProviderError>
    where
        C: GuardedClient + Clone + Send + Sync + 'static,
    {
        let key = (
            TypeId::of::<C>(),
            (alias.map(str::to_string), region.to_string()),
        );
        if let Some(client) = lock(&self.others)
            .get(&key)
            .and_then(|c| c.downcast_ref::<C>())
        {
            return Ok(client.clone());
        }
        let config = self.config_for(region, alias).await?;
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

async fn load(settings: &AwsSettings, set: Option<&CredentialSet>, region: &str) -> SdkConfig {
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
