//! Systems Manager kinds: Parameter Store parameters.
//!
//! Parameter values are treated as sensitive whatever their type (a
//! `String` parameter often holds a connection string too): read into
//! [`forge_core::Value::Sensitive`], masked in every display, hashed in
//! state, and never put in an error or log line.

pub mod parameter;

pub use parameter::ParameterKind;

use crate::tags;
use aws_sdk_ssm::Client;
use aws_sdk_ssm::types::{ResourceTypeForTagging, Tag};
use forge_engine::ProviderError;
use std::collections::BTreeMap;

crate::kind::declare_service! {
    /// The Systems Manager service.
    pub struct Ssm: Client = Client::new, "ssm";
    /// PutParameter is throttled at a few calls per second by default.
    concurrency 3;
    // Parameters are tagged by name: AddTagsToResource /
    // RemoveTagsFromResource with the `Parameter` resource type.
    tags add_tags_to_resource / remove_tags_from_resource,
        |call, name| call.resource_type(ResourceTypeForTagging::Parameter).resource_id(name),
        |t| to_tags(t)?;
    kinds [ParameterKind];
}

/// Tags in the SDK's shape.
fn to_tags(map: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags::sdk_tags(map, |k, v| Tag::builder().key(k).value(v).build())
}
