//! Secrets Manager kinds: secrets.
//!
//! Secret values are sensitive end to end: they are read into
//! [`forge_core::Value::Sensitive`] (masked in every display; the state
//! keeps only their sha256 unless the resource opts in), and no error or
//! log line forge writes here contains one.

pub mod secret;

pub use secret::SecretKind;

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::types::Tag;
use std::collections::BTreeMap;

crate::kind::declare_service! {
    /// The Secrets Manager service.
    pub struct SecretsManager: Client = Client::new, "secretsmanager";
    concurrency 10;
    // Secrets are tagged by id (ARN): TagResource / UntagResource.
    tags tag_resource / untag_resource, |call, id| call.secret_id(id), |t| to_tags(t);
    kinds [SecretKind];
}

/// Tags in the SDK's shape.
fn to_tags(map: &BTreeMap<String, String>) -> Vec<Tag> {
    crate::tags::tag_list(map, |k, v| Tag::builder().key(k).value(v).build())
}
