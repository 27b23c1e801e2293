//! Support library of forge's end-to-end tests: the local AWS emulator
//! harness, a fault-injecting proxy in front of it, a runner for the real
//! `forge` binary, the world the provider-level tests share, and the
//! opt-in real-account runs (target, dry run, cleanup).

// Test support, not an API: modules say what they hold; items whose name
// says it all go without a doc comment.
#![allow(missing_docs)]

pub mod cleanup;
pub mod conformance;
pub mod cost_class;
pub mod dry_run;
pub mod emulator;
pub mod error;
pub mod forge;
pub mod leftovers;
pub mod network;
pub mod provider_world;
pub mod proxy;
pub mod real_aws;
pub mod realtime;
pub mod tag_sweep;
pub mod tagged;
pub mod target;
pub mod walk_model;

pub use emulator::{Emulator, aws_env, repo_root, s3_client, sdk_config_for};
pub use error::HarnessError;
pub use forge::{Forge, RunOutput, Running, StackCopy, getting_started_dir};
pub use provider_world::ProviderWorld;
pub use proxy::{ActionFilter, FaultConfig, Proxy};
pub use target::Target;

/// A seed for a randomized test: `$var` if set (to replay a failure),
/// else the clock. Printed, so a failing run says how to replay it.
pub fn seed_from_env(var: &str, what: &str) -> u64 {
    let seed = std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(7)
        });
    println!("{what} seed: {seed} (replay with {var}={seed})");
    seed
}
