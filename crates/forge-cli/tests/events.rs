//! The `--json` event stream of an apply, pinned: a real engine apply over
//! forge-testkit's fake cloud with a resource that waits, a throttled call
//! that is retried, one that fails (its error echoing a secret) and one
//! skipped for it. Timestamps come from a fixed clock; the paused tokio
//! clock makes the elapsed times exact.

#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Utc};
use forge_cli::render::EventStream;
use forge_core::spec::{Config, Instance};
use forge_core::{Address, Value};
use forge_engine::{
    ApplyOptions, Engine, Event, MemoryBackend, PlanOptions, ProviderError, ProviderRegistry,
    RetryPolicy,
};
use forge_testkit::fake::{FakeCloud, FakeProvider};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const KIND: &str = "fake.thing";
const SECRET: &str = "hunter2-s3cret";

fn fixed() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap()
}

fn thing(name: &str) -> Instance {
    Instance::new(Address::single(name), KIND, "eu-west-1")
        .with_field("name", Config::literal(name))
}

#[tokio::test(start_paused = true)]
async fn an_apply_streams_one_json_object_a_line() {
    let cloud = FakeCloud::new();
    let mut registry = ProviderRegistry::new();
    registry.register(FakeProvider::arc(KIND, &cloud));
    let engine = Engine::new(registry);
    // A chain, so the order of the lines is the order of the work.
    let stack = forge_testkit::stack(
        "events",
        vec![
            thing("db").with_field("password", Config::Literal(Value::from(SECRET).sensitive())),
            thing("app").with_dependency(Address::single("db")),
            thing("web").with_dependency(Address::single("app")),
        ],
    );
    cloud.readiness("db", 2, "available");
    cloud.fail(
        "app",
        ProviderError::Api {
            code: "InvalidParameterValue".into(),
            message: format!("the password {SECRET} is not allowed here"),
        },
    );
    let backend = MemoryBackend::new();
    let plan = engine
        .plan(&stack, &backend, &PlanOptions::default())
        .await
        .unwrap();
    let stream = EventStream::new().masking(&plan).with_clock(fixed);
    let lines = Arc::new(Mutex::new(vec![stream.planned(&plan)]));
    let (sink, writer) = (lines.clone(), stream.clone());
    cloud.throttle_next(1);
    let options = ApplyOptions {
        parallelism: 1,
        progress: Some(Arc::new(move |e: &Event| {
            sink.lock().unwrap().push(writer.event(e));
        })),
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        },
        ..ApplyOptions::default()
    };
    let report = engine.apply(&plan, &backend, &options).await.unwrap();
    lines.lock().unwrap().push(stream.summary(&report));
    let text = lines.lock().unwrap().join("\n");
    assert!(!text.contains(SECRET), "{text}");
    for kind in [
        "started", "waiting", "retrying", "finished", "failed", "skipped", "summary",
    ] {
        assert!(
            text.contains(&format!("\"type\":\"{kind}\"")),
            "no {kind}: {text}"
        );
    }
    // Each line is one object; the retry delays are jittered, so the
    // times are checked to be numbers and pinned as a placeholder.
    let pinned: Vec<String> = text
        .lines()
        .map(|line| {
            let mut v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert!(
                v["type"].is_string() && v["timestamp"].is_string(),
                "{line}"
            );
            for key in ["delay_ms", "elapsed_ms"] {
                if let Some(ms) = v.get_mut(key) {
                    assert!(ms.is_u64(), "{line}");
                    *ms = "[ms]".into();
                }
            }
            v.to_string()
        })
        .collect();
    insta::assert_snapshot!(pinned.join("\n"));
}
