//! An AWS service as kinds see it, declared once per service: its client,
//! its name in errors, its concurrency group, and how its errors map.

use crate::clients::AwsClients;
use crate::error::sdk_error;
use crate::retry_guard::GuardedClient;
use aws_config::SdkConfig;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use forge_engine::ProviderError;

/// One AWS service (EC2, RDS, ...). A zero-sized marker type implements
/// it in the service's module; every kind of the service names it.
pub trait Service: Send + Sync + 'static {
    /// The SDK client.
    type Client: GuardedClient + Clone + Send + Sync + 'static;

    /// The service's short name: the prefix of its error messages and the
    /// name of its concurrency group.
    const NAME: &'static str;

    /// How many mutations of the service's kinds may run at once (AWS's
    /// control-plane rate limits are per service, account and region).
    const CONCURRENCY: usize;

    /// Builds the client from a region's configuration: the SDK's
    /// `Client::new`, which reads `AWS_ENDPOINT_URL_<SERVICE>`.
    const MAKE_CLIENT: fn(&SdkConfig) -> Self::Client;

    /// Maps an SDK error of this service.
    fn err<E>(err: SdkError<E, HttpResponse>) -> ProviderError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        sdk_error(Self::NAME, err)
    }
}

/// The client of service `S` for `region`, from the shared cache.
pub async fn client<S: Service>(
    clients: &AwsClients,
    region: &str,
) -> Result<S::Client, ProviderError> {
    clients.client(region, S::MAKE_CLIENT).await
}
