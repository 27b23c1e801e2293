//! forge-aws: forge's AWS resource providers.
//!
//! Every resource kind (`aws.ec2.vpc`, `aws.ec2.subnet`, ...) is one
//! [`forge_engine::Provider`] in its own file, calling AWS through the AWS
//! SDK for Rust. All kinds share one [`AwsClients`] cache: credentials and
//! endpoints come from the standard aws-config chain (env vars, profiles,
//! SSO, IMDS, `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>`), one SDK
//! configuration per region, built on first use.
//!
//! ```no_run
//! use forge_aws::{AwsSettings, register_all};
//! use forge_engine::ProviderRegistry;
//!
//! let mut registry = ProviderRegistry::new();
//! register_all(&mut registry, AwsSettings::default());
//! assert!(registry.get("aws.ec2.vpc").is_some());
//! ```

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod appautoscaling;
pub mod arn;
pub mod attrs;
pub mod clients;
pub mod cloudwatch;
pub mod credentials;
pub mod data;
pub mod ec2;
pub mod ecs;
pub mod elasticache;
pub mod elbv2;
pub mod error;
pub mod iam;
pub mod kind;
pub mod kms;
pub mod logs;
pub mod normalize;
pub mod paging;
pub mod pending;
pub mod rds;
pub mod retry_guard;
pub mod s3;
pub mod secretsmanager;
pub mod settings;
pub mod sns;
pub mod ssm;
pub mod state;
pub mod tagging;
pub mod tags;
pub mod terraform;
pub mod wafv2;

pub use clients::AwsClients;
pub use settings::{AwsSettings, RetryMode};

use forge_engine::ProviderRegistry;
use std::sync::Arc;

/// Registers every AWS kind forge knows, sharing one client cache built
/// from `settings`.
pub fn register_all(registry: &mut ProviderRegistry, settings: AwsSettings) {
    register_with(registry, Arc::new(AwsClients::new(settings)));
}

/// [`register_all`] sharing a client cache the caller keeps (to check the
/// credentials' account before anything else, see
/// [`AwsClients::verify_account`]).
pub fn register_with(registry: &mut ProviderRegistry, clients: Arc<AwsClients>) {
    let mut r = kind::Registrar::new(registry, clients.clone());
    register_kinds(&mut r);
    let (registry, shapes) = r.finish();
    data::register(registry, clients.clone());
    // Drift's orphan search: one tagging call per region for the kinds
    // whose ARN shape the tag index knows.
    registry.set_tag_index(Arc::new(tagging::ResourceTagIndex::new(clients, shapes)));
}

/// Every kind, service by service.
fn register_kinds(r: &mut kind::Registrar) {
    ec2::register(r);
    elbv2::register(r);
    ecs::register(r);
    appautoscaling::register(r);
    wafv2::register(r);
    iam::register(r);
    logs::register(r);
    kms::register(r);
    s3::register(r);
    secretsmanager::register(r);
    ssm::register(r);
    sns::register(r);
    rds::register(r);
    elasticache::register(r);
    cloudwatch::register(r);
}

/// The ARN shapes of every kind (for tests of the tag index).
#[cfg(test)]
pub(crate) fn registered_shapes() -> Vec<(kind::ArnShape, String)> {
    let mut registry = ProviderRegistry::new();
    let mut r = kind::Registrar::new(
        &mut registry,
        Arc::new(AwsClients::new(AwsSettings::default())),
    );
    register_kinds(&mut r);
    r.finish().1
}

#[cfg(test)]
mod tests {
    use super::*;
    use forge_core::spec::META_KEYS;

    /// A field named like a resource meta key (`type`, `count`, `region`...)
    /// could never be set from a spec: the loader reads the key as the meta
    /// key. Such fields carry the kind's prefix (`parameter_type`).
    #[test]
    fn no_field_is_named_like_a_meta_key() {
        let mut registry = ProviderRegistry::new();
        register_all(&mut registry, AwsSettings::default());
        let mut clashes = Vec::new();
        for kind in registry.kinds() {
            let Some(p) = registry.get(kind) else {
                continue;
            };
            for (field, schema) in &p.schema().fields {
                // Computed attributes are only read (`${bucket.region}`).
                if schema.mode != forge_core::FieldMode::Computed
                    && META_KEYS.contains(&field.as_str())
                {
                    clashes.push(format!("{kind}.{field}"));
                }
            }
        }
        assert!(
            clashes.is_empty(),
            "fields named like meta keys: {clashes:?}"
        );
    }
}
