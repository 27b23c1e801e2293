//! Support library of forge's end-to-end tests: the local AWS emulator
//! harness, a fault-injecting proxy in front of it, and a runner for the real
//! `forge` binary.

pub mod emulator;
pub mod error;
pub mod forge;
pub mod network;
pub mod proxy;

pub use emulator::{Emulator, aws_env, repo_root, s3_client, sdk_config_for};
pub use error::HarnessError;
pub use forge::{Forge, RunOutput, StackCopy, getting_started_dir};
pub use proxy::{ActionFilter, FaultConfig, Proxy};
