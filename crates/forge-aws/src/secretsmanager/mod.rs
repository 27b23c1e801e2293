//! Secrets Manager kinds: secrets.
//!
//! Secret values are sensitive end to end: they are read into
//! [`forge_core::Value::Sensitive`] (masked in every display; the state
//! keeps only their sha256 unless the resource opts in), and no error or
//! log line forge writes here contains one.

pub mod secret;

pub use secret::SecretKind;

use crate::kind::{Registrar, Res, Service, TagApi};
use aws_config::SdkConfig;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::types::Tag;
use std::collections::BTreeMap;

/// The Secrets Manager service.
pub struct SecretsManager;

impl Service for SecretsManager {
    type Client = Client;
    const MAKE_CLIENT: fn(&SdkConfig) -> Client = Client::new;
    const NAME: &'static str = "secretsmanager";
    const CONCURRENCY: usize = 10;
}

/// Registers every Secrets Manager kind.
pub fn register(r: &mut Registrar) {
    r.kind::<SecretKind>();
}

/// Secrets are tagged by id (ARN): TagResource / UntagResource.
impl TagApi for SecretsManager {
    async fn tag(client: &Client, resource: &str, tags: &BTreeMap<String, String>) -> Res<()> {
        client
            .tag_resource()
            .secret_id(resource)
            .set_tags(Some(to_tags(tags)))
            .send()
            .await
            .map(drop)
            .map_err(SecretsManager::err)
    }

    async fn untag(client: &Client, resource: &str, keys: &[String]) -> Res<()> {
        client
            .untag_resource()
            .secret_id(resource)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map(drop)
            .map_err(SecretsManager::err)
    }
}

/// Tags in the SDK's shape.
fn to_tags(map: &BTreeMap<String, String>) -> Vec<Tag> {
    map.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}
