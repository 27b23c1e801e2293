//! CloudWatch Logs kinds: log groups.

pub mod log_group;

pub use log_group::LogGroupKind;

use crate::kind::{Registrar, Res, Service, TagApi};
use aws_config::SdkConfig;
use aws_sdk_cloudwatchlogs::Client;
use std::collections::BTreeMap;

/// The CloudWatch Logs service.
pub struct Logs;

impl Service for Logs {
    type Client = Client;
    const MAKE_CLIENT: fn(&SdkConfig) -> Client = Client::new;
    const NAME: &'static str = "logs";
    /// Control-plane calls are limited to a few per second per account and
    /// region.
    const CONCURRENCY: usize = 5;
}

/// Registers every CloudWatch Logs kind.
pub fn register(r: &mut Registrar) {
    r.kind::<LogGroupKind>();
}

/// CloudWatch Logs tags a group by its ARN (without the trailing `:*`).
impl TagApi for Logs {
    async fn tag(client: &Client, resource: &str, tags: &BTreeMap<String, String>) -> Res<()> {
        client
            .tag_resource()
            .resource_arn(resource)
            .set_tags(Some(tags.clone().into_iter().collect()))
            .send()
            .await
            .map_err(Logs::err)?;
        Ok(())
    }

    async fn untag(client: &Client, resource: &str, keys: &[String]) -> Res<()> {
        client
            .untag_resource()
            .resource_arn(resource)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(Logs::err)?;
        Ok(())
    }
}
