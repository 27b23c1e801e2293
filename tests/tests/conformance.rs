//! The provider conformance suite (see `forge_e2e::conformance`): every
//! registered kind runs the standard lifecycle against one emulator,
//! confirmed through the AWS SDK, rows in parallel.

#![allow(clippy::unwrap_used)]

use forge_e2e::ProviderWorld;
use forge_e2e::conformance::{self, Fixtures, REGION};
use forge_engine::ProviderRegistry;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Every service's registration, as `forge_aws::register_all` makes them.
const SERVICES: &[forge_e2e::provider_world::Register] = &[
    forge_aws::ec2::register,
    forge_aws::elbv2::register,
    forge_aws::ecs::register,
    forge_aws::appautoscaling::register,
    forge_aws::wafv2::register,
    forge_aws::iam::register,
    forge_aws::logs::register,
    forge_aws::kms::register,
    forge_aws::sns::register,
    forge_aws::s3::register,
    forge_aws::secretsmanager::register,
    forge_aws::ssm::register,
    forge_aws::rds::register,
    forge_aws::elasticache::register,
    forge_aws::cloudwatch::register,
];

/// A kind registered without a row fails here, as does a row of a kind
/// nobody registers or a kind with two rows.
#[test]
fn every_registered_kind_has_one_row() {
    let mut registry = ProviderRegistry::new();
    forge_aws::register_all(&mut registry, forge_aws::AwsSettings::default());
    let registered: BTreeSet<&str> = registry.kinds().collect();
    let mut rows = BTreeSet::new();
    for row in conformance::rows() {
        assert!(rows.insert(row.kind), "two rows of {}", row.kind);
    }
    let missing: Vec<_> = registered.difference(&rows).collect();
    assert!(
        missing.is_empty(),
        "kinds without a conformance row: {missing:?}"
    );
    let unknown: Vec<_> = rows.difference(&registered).collect();
    assert!(
        unknown.is_empty(),
        "rows of unregistered kinds: {unknown:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_kind_passes_the_lifecycle() {
    let world = Arc::new(ProviderWorld::start(&[REGION], SERVICES).await);
    let fixtures = Arc::new(Fixtures::build(&world).await);
    let only = std::env::var("FORGE_CONFORMANCE_KINDS").ok();
    let rows = conformance::rows()
        .into_iter()
        .filter(|r| {
            only.as_deref()
                .is_none_or(|o| o.split(',').any(|k| k == r.kind))
        })
        .collect();
    conformance::run_all(world, fixtures, rows, 8).await;
}
