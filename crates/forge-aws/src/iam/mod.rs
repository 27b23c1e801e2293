//! IAM kinds: roles (with their managed policy attachments and inline
//! policies).
//!
//! IAM is a global service. forge builds the IAM client with the stack's
//! region: the SDK's endpoint rules send every region of a partition to
//! that partition's single IAM endpoint (`iam.amazonaws.com`, signed for
//! `us-east-1`; `iam.cn-north-1.amazonaws.com.cn` in China), so a stack in
//! `eu-west-1` needs no special region, credentials and endpoint overrides
//! (`AWS_ENDPOINT_URL_IAM`) stay those of the stack, and roles are recorded
//! in state with the stack's region. `us-east-1` and `aws-global` work as
//! stack regions too.

pub mod policy;
pub mod role;

pub use role::RoleProvider;

use crate::error::sdk_error;
use crate::kind::Registrar;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use forge_engine::ProviderError;
use std::sync::Arc;

/// The service name used in errors and as the concurrency group.
pub const SERVICE: &str = "iam";

/// Concurrent IAM mutations. IAM's control plane is rate-limited per
/// account (tens of mutating calls per second, shared by every tool in the
/// account), so forge stays well below.
pub const CONCURRENCY: (&str, usize) = (SERVICE, 8);

/// Maps an IAM SDK error.
pub fn iam_err<E>(err: SdkError<E, HttpResponse>) -> ProviderError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    sdk_error(SERVICE, err)
}

/// Registers every IAM kind.
pub fn register(r: &mut Registrar) {
    r.provider(Arc::new(RoleProvider::new(r.clients().clone())), &[]);
}
