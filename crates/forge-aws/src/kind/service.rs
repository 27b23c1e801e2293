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

    /// A delete call's answer as the delete's outcome: "gone" in any
    /// spelling ([`crate::error::is_gone`]) is success (deleting what is
    /// already deleted), other errors map through [`Service::err`].
    fn deleted<T, E>(result: Result<T, SdkError<E, HttpResponse>>) -> Result<(), ProviderError>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        crate::error::ignore_gone(result.map(drop).map_err(Self::err))
    }
}

/// The client of service `S` for `region` with credential set `alias`
/// (`None`: the stack's own), from the shared cache.
pub async fn client<S: Service>(
    clients: &AwsClients,
    region: &str,
    alias: Option<&str>,
) -> Result<S::Client, ProviderError> {
    clients.client_for(region, alias, S::MAKE_CLIENT).await
}

/// Declares a service in one place: its marker type, its [`Service`]
/// implementation and the `register` function adding its kinds.
///
/// ```ignore
/// crate::kind::declare_service! {
///     /// The IAM service.
///     pub struct Iam: aws_sdk_iam::Client = aws_sdk_iam::Client::new, "iam";
///     /// Why this many mutations at once.
///     concurrency 8;
///     kinds [RoleKind];
/// }
/// ```
///
/// `busy CODES;` after the concurrency makes those error codes transient
/// (the object is busy with another operation; AWS says to retry).
/// `tags TagOp / UntagOp, |call, id| call.id_setter(id), |map| sdk_tags;`
/// declares its [`TagApi`](crate::kind::TagApi) for the usual shape of
/// tag calls: the tag call sets `tags`, the untag call `tag_keys`, both on
/// the resource named the same way (see [`tag_calls`](crate::kind::tag_calls)
/// for other shapes).
macro_rules! declare_service {
    (
        $(#[$doc:meta])*
        $vis:vis struct $svc:ident: $client:ty = $make:expr, $name:expr;
        $(#[$cdoc:meta])*
        concurrency $n:expr;
        $(busy $busy:expr;)?
        $(tags $tag:ident / $untag:ident, |$b:ident, $r:ident| $on:expr, |$map:ident| $tags:expr;)?
        kinds [$($kind:ty),* $(,)?];
    ) => {
        $(#[$doc])*
        $vis struct $svc;

        impl $crate::kind::Service for $svc {
            type Client = $client;
            const MAKE_CLIENT: fn(&aws_config::SdkConfig) -> $client = $make;
            const NAME: &'static str = $name;
            $(#[$cdoc])*
            const CONCURRENCY: usize = $n;
            $(
                /// "Busy" states are transient, so the engine retries them
                /// with backoff.
                fn err<E>(
                    err: aws_smithy_runtime_api::client::result::SdkError<
                        E,
                        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
                    >,
                ) -> forge_engine::ProviderError
                where
                    E: aws_smithy_types::error::metadata::ProvideErrorMetadata
                        + std::error::Error
                        + 'static,
                {
                    $crate::error::sdk_error_busy(Self::NAME, $busy, err)
                }
            )?
        }

        $(
            $crate::kind::tag_calls!(
                $svc,
                |c, $r, $map| { let $b = c.$tag(); $on }.set_tags(Some($tags)),
                |c, $r, keys| { let $b = c.$untag(); $on }.set_tag_keys(Some(keys.to_vec())),
            );
        )?

        /// Registers every kind of the service.
        pub fn register(r: &mut $crate::kind::Registrar) {
            $(r.kind::<$kind>();)*
        }
    };
}
pub(crate) use declare_service;
