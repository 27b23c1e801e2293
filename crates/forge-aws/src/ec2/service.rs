//! EC2 as a [`Service`]: its client, error mapping, concurrency and tags.

use super::common::{CONCURRENCY, SERVICE, ec2_err, to_tags};
use crate::kind::{Res, Service, TagApi};
use aws_config::SdkConfig;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::Tag;
use std::collections::BTreeMap;

/// The EC2 service.
pub struct Ec2;

impl Service for Ec2 {
    type Client = Client;
    const MAKE_CLIENT: fn(&SdkConfig) -> Client = Client::new;
    const NAME: &'static str = SERVICE;
    const CONCURRENCY: usize = CONCURRENCY.1;
}

/// EC2 tags any resource by id: CreateTags / DeleteTags.
impl TagApi for Ec2 {
    async fn tag(client: &Client, resource: &str, tags: &BTreeMap<String, String>) -> Res<()> {
        client
            .create_tags()
            .resources(resource)
            .set_tags(Some(to_tags(tags)))
            .send()
            .await
            .map_err(ec2_err)?;
        Ok(())
    }

    async fn untag(client: &Client, resource: &str, keys: &[String]) -> Res<()> {
        let keys = keys.iter().map(|k| Tag::builder().key(k).build()).collect();
        client
            .delete_tags()
            .resources(resource)
            .set_tags(Some(keys))
            .send()
            .await
            .map_err(ec2_err)?;
        Ok(())
    }
}
