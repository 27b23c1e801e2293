//! CloudWatch Logs kinds: log groups.

pub mod log_group;

pub use log_group::LogGroupKind;

use crate::kind::{Registrar, Service};
use aws_config::SdkConfig;
use aws_sdk_cloudwatchlogs::Client;

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

// CloudWatch Logs tags a group by its ARN (without the trailing `:*`).
crate::tags::tag_by_arn!(Logs, client, |tags| tags.clone().into_iter().collect());
