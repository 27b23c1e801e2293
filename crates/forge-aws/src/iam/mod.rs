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

pub use role::RoleKind;

use crate::tags;
use aws_sdk_iam::Client;
use aws_sdk_iam::types::Tag;
use forge_engine::ProviderError;
use std::collections::BTreeMap;

crate::kind::declare_service! {
    /// The IAM service.
    pub struct Iam: Client = Client::new, "iam";
    /// IAM's control plane is rate-limited per account (tens of mutating
    /// calls per second, shared by every tool in the account), so forge
    /// stays well below.
    concurrency 8;
    // IAM tags roles by name: TagRole / UntagRole.
    tags tag_role / untag_role, |call, role| call.role_name(role), |t| iam_tags(t)?;
    kinds [RoleKind];
}

/// IAM tags from a key/value map.
fn iam_tags(map: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags::sdk_tags(map, |k, v| Tag::builder().key(k).value(v).build())
}

#[cfg(test)]
mod tests {
    use crate::paging::next_marker;

    #[test]
    fn next_marker_only_when_truncated() {
        assert_eq!(next_marker(true, Some("m")), Some("m".into()));
        assert_eq!(next_marker(false, Some("m")), None);
    }
}
