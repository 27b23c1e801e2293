//! Systems Manager kinds: Parameter Store parameters.
//!
//! Parameter values are treated as sensitive whatever their type (a
//! `String` parameter often holds a connection string too): read into
//! [`forge_core::Value::Sensitive`], masked in every display, hashed in
//! state, and never put in an error or log line.

pub mod parameter;

pub use parameter::ParameterKind;

use crate::kind::{Registrar, Res, Service, TagApi};
use crate::tags;
use aws_config::SdkConfig;
use aws_sdk_ssm::Client;
use aws_sdk_ssm::types::{ResourceTypeForTagging, Tag};
use forge_engine::ProviderError;
use std::collections::BTreeMap;

/// The Systems Manager service.
pub struct Ssm;

impl Service for Ssm {
    type Client = Client;
    const MAKE_CLIENT: fn(&SdkConfig) -> Client = Client::new;
    const NAME: &'static str = "ssm";
    /// PutParameter is throttled at a few calls per second by default.
    const CONCURRENCY: usize = 3;
}

/// Registers every SSM kind.
pub fn register(r: &mut Registrar) {
    r.kind::<ParameterKind>();
}

/// Parameters are tagged by name: AddTagsToResource /
/// RemoveTagsFromResource with the `Parameter` resource type.
impl TagApi for Ssm {
    async fn tag(client: &Client, resource: &str, tags: &BTreeMap<String, String>) -> Res<()> {
        client
            .add_tags_to_resource()
            .resource_type(ResourceTypeForTagging::Parameter)
            .resource_id(resource)
            .set_tags(Some(to_tags(tags)?))
            .send()
            .await
            .map(drop)
            .map_err(Ssm::err)
    }

    async fn untag(client: &Client, resource: &str, keys: &[String]) -> Res<()> {
        client
            .remove_tags_from_resource()
            .resource_type(ResourceTypeForTagging::Parameter)
            .resource_id(resource)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map(drop)
            .map_err(Ssm::err)
    }
}

/// Tags in the SDK's shape.
fn to_tags(map: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags::sdk_tags(map, |k, v| Tag::builder().key(k).value(v).build())
}
