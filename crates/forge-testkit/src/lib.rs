//! Test support for forge.
//!
//! [`fake`] is an in-memory cloud and a [`forge_engine::Provider`] over it,
//! with simulated latency (on tokio's clock, so tests run on the paused
//! clock), injected failures, throttling, readiness delays, crash points
//! and call counters. It is for the engine's own tests and benchmarks,
//! never a substitute for the AWS emulator in end-to-end tests.
//! [`samples`] are plans of every kind of change, made over it.
//!
//! ```
//! use forge_core::spec::{Config, Instance, Stack};
//! use forge_core::Address;
//! use forge_engine::{ApplyOptions, Engine, MemoryBackend, PlanOptions, ProviderRegistry};
//! use forge_testkit::fake::{FakeCloud, FakeProvider};
//! use forge_testkit::stack;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let cloud = FakeCloud::new();
//! let mut registry = ProviderRegistry::new();
//! registry.register(FakeProvider::arc("fake.thing", &cloud));
//! let engine = Engine::new(registry);
//!
//! let vpc = Instance::new(Address::single("vpc"), "fake.thing", "eu-west-1")
//!     .with_field("name", Config::literal("main"));
//! let stack = stack("demo", vec![vpc]);
//! let backend = MemoryBackend::new();
//!
//! let plan = engine.plan(&stack, &backend, &PlanOptions::default()).await.unwrap();
//! assert_eq!(plan.summary().add, 1);
//! let report = engine.apply(&plan, &backend, &ApplyOptions::default()).await.unwrap();
//! assert!(report.is_success());
//! assert_eq!(cloud.count_of("fake.thing"), 1);
//!
//! // Planning again finds nothing to do.
//! let again = engine.plan(&stack, &backend, &PlanOptions::default()).await.unwrap();
//! assert!(!again.has_changes());
//! # });
//! ```

pub mod fake;
pub mod samples;
pub mod tag_index;

use forge_core::spec::{Instance, Stack, StateBackendConfig};
use std::collections::BTreeMap;

/// A stack built in code: the given instances (sorted), no outputs, local
/// state under a non-existent root.
pub fn stack(name: &str, mut instances: Vec<Instance>) -> Stack {
    instances.sort_by(|a, b| a.address.cmp(&b.address));
    Stack {
        name: name.to_string(),
        environment: None,
        region: "eu-west-1".into(),
        root: std::path::PathBuf::from("."),
        state: StateBackendConfig::default(),
        tags: BTreeMap::new(),
        vars: BTreeMap::new(),
        locals: BTreeMap::new(),
        instances,
        outputs: Vec::new(),
        adoption: Default::default(),
        data: Vec::new(),
        data_values: BTreeMap::new(),
        dependency_outputs: BTreeMap::new(),
        aws: None,
        aws_aliases: BTreeMap::new(),
        modules: BTreeMap::new(),
        awaiting_data: Vec::new(),
    }
}
