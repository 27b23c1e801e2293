//! CloudWatch Logs kinds: log groups.

pub mod log_group;

pub use log_group::LogGroupKind;

use aws_sdk_cloudwatchlogs::Client;

crate::kind::declare_service! {
    /// The CloudWatch Logs service.
    pub struct Logs: Client = Client::new, "logs";
    /// Control-plane calls are limited to a few per second per account and
    /// region.
    concurrency 5;
    kinds [LogGroupKind];
}

// CloudWatch Logs tags a group by its ARN (without the trailing `:*`).
crate::tags::tag_by_arn!(Logs, client, |tags| tags.clone().into_iter().collect());
