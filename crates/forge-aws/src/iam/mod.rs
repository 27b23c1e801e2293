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

use crate::kind::{Registrar, Res, Service, TagApi};
use crate::tags;
use aws_config::SdkConfig;
use aws_sdk_iam::Client;
use aws_sdk_iam::types::Tag;
use forge_engine::ProviderError;
use std::collections::BTreeMap;

/// The IAM service.
pub struct Iam;

impl Service for Iam {
    type Client = Client;
    const MAKE_CLIENT: fn(&SdkConfig) -> Client = Client::new;
    const NAME: &'static str = "iam";
    /// IAM's control plane is rate-limited per account (tens of mutating
    /// calls per second, shared by every tool in the account), so forge
    /// stays well below.
    const CONCURRENCY: usize = 8;
}

/// Registers every IAM kind.
pub fn register(r: &mut Registrar) {
    r.kind::<RoleKind>();
}

/// IAM tags roles by name: TagRole / UntagRole.
impl TagApi for Iam {
    async fn tag(client: &Client, resource: &str, tags: &BTreeMap<String, String>) -> Res<()> {
        client
            .tag_role()
            .role_name(resource)
            .set_tags(Some(iam_tags(tags)?))
            .send()
            .await
            .map(drop)
            .map_err(Iam::err)
    }

    async fn untag(client: &Client, resource: &str, keys: &[String]) -> Res<()> {
        client
            .untag_role()
            .role_name(resource)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map(drop)
            .map_err(Iam::err)
    }
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
