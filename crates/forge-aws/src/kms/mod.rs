//! KMS kinds: customer managed keys and their aliases.

pub mod alias;
pub mod key;

pub use alias::AliasProvider;
pub use key::KeyProvider;

use crate::error::sdk_error;
use crate::kind::{ArnShape, Registrar};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use forge_engine::ProviderError;
use std::sync::Arc;

/// The service name used in errors and as the concurrency group.
pub const SERVICE: &str = "kms";

/// Concurrent KMS mutations (KMS control-plane quotas are per account and
/// region, shared with every other tool).
pub const CONCURRENCY: (&str, usize) = (SERVICE, 5);

/// Maps a KMS SDK error.
pub fn kms_err<E>(err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    sdk_error(SERVICE, err)
}

/// A KMS key id from a key id or key ARN (`arn:...:key/<id>`), so either
/// spelling in a spec compares equal to what KMS reports.
pub fn key_id_of(text: &str) -> &str {
    match text.strip_prefix("arn:") {
        Some(rest) => rest.rsplit_once(":key/").map(|(_, id)| id).unwrap_or(text),
        None => text,
    }
}

/// Registers every KMS kind.
pub fn register(r: &mut Registrar) {
    r.provider(
        Arc::new(KeyProvider::new(r.clients().clone())),
        &[ArnShape::rest("kms", "key/")],
    );
    r.provider(Arc::new(AliasProvider::new(r.clients().clone())), &[]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_arns_reduce_to_ids() {
        assert_eq!(
            key_id_of("arn:aws:kms:eu-west-1:123456789012:key/abcd-1"),
            "abcd-1"
        );
        assert_eq!(key_id_of("abcd-1"), "abcd-1");
        assert_eq!(key_id_of("alias/app"), "alias/app");
        assert_eq!(
            key_id_of("arn:aws:kms:eu-west-1:123456789012:alias/app"),
            "arn:aws:kms:eu-west-1:123456789012:alias/app"
        );
    }
}
