//! Shared helpers of the engine's integration tests.
#![allow(dead_code, missing_docs)]
#![allow(clippy::unwrap_used)]

use forge_core::spec::{Config, Instance, Stack};
use forge_core::{Address, Value};
use forge_engine::{ApplyOptions, Engine, Event, ProviderRegistry, RetryPolicy};
use forge_testkit::fake::{FakeCloud, FakeProvider};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const KIND: &str = "fake.thing";

pub fn engine(cloud: &FakeCloud) -> Engine {
    let mut r = ProviderRegistry::new();
    r.register(FakeProvider::arc(KIND, cloud));
    r.register(Arc::new(
        FakeProvider::new("fake.grouped", cloud).with_concurrency("grp", 2),
    ));
    r.register(Arc::new(
        FakeProvider::new("fake.slow", cloud)
            .with_readiness_timing(Duration::from_secs(5), Duration::from_secs(30)),
    ));
    Engine::new(r)
}

pub fn thing(name: &str) -> Instance {
    Instance::new(name.parse::<Address>().unwrap(), KIND, "eu-west-1")
        .with_field("name", Config::literal(name))
}

pub fn of_kind(name: &str, kind: &str) -> Instance {
    Instance::new(name.parse::<Address>().unwrap(), kind, "eu-west-1")
        .with_field("name", Config::literal(name))
}

pub fn dep(i: Instance, on: &str) -> Instance {
    i.with_dependency(on.parse().unwrap())
}

pub fn field(i: Instance, name: &str, v: impl Into<Value>) -> Instance {
    i.with_field(name, Config::Literal(v.into()))
}

pub fn stack(instances: Vec<Instance>) -> Stack {
    forge_testkit::stack("test", instances)
}

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 6,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(1),
    }
}

pub fn options(parallelism: usize) -> ApplyOptions {
    ApplyOptions {
        parallelism,
        retry: fast_retry(),
        ..Default::default()
    }
}

/// Options recording every event.
pub fn recording(parallelism: usize) -> (ApplyOptions, Arc<Mutex<Vec<Event>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let mut o = options(parallelism);
    o.progress = Some(Arc::new(move |e: &Event| {
        sink.lock().unwrap().push(e.clone())
    }));
    (o, events)
}
