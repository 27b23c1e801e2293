//! The batched read-back after creates: a kind whose create answers only
//! the id (`Created::read_back`) is read back by the engine's poller of its
//! (kind, region, credentials), one observe for all the creates that
//! finish together, before dependents start.
#![allow(clippy::unwrap_used)]

mod common;

use common::{dep, fast_retry, of_kind, options, stack};
use forge_core::Value;
use forge_core::spec::Config;
use forge_engine::state::ResourceStatus;
use forge_engine::{
    ChangeAction, Engine, MemoryBackend, PlanOptions, ProviderError, ProviderRegistry,
};
use forge_testkit::fake::{FakeCloud, FakeProvider, Latency};
use std::sync::Arc;
use std::time::Duration;

/// A kind whose creates leave the object to be read back.
const UNREAD: &str = "fake.unread";
/// The same, with objects that take polls to become ready.
const UNREAD_SLOW: &str = "fake.unread_slow";

fn engine(cloud: &FakeCloud) -> Engine {
    let mut r = ProviderRegistry::new();
    r.register(FakeProvider::arc(common::KIND, cloud));
    r.register(Arc::new(FakeProvider::new(UNREAD, cloud).with_read_back()));
    r.register(Arc::new(
        FakeProvider::new(UNREAD_SLOW, cloud)
            .with_read_back()
            .with_readiness_timing(Duration::from_secs(5), Duration::from_secs(60)),
    ));
    Engine::new(r)
}

fn arn_of(state: &forge_engine::state::State, address: &str) -> Value {
    state.get(&address.parse().unwrap()).unwrap().attributes["arn"].clone()
}

#[tokio::test(start_paused = true)]
async fn creates_finishing_together_are_read_back_in_one_observe() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    cloud.set_latency(Latency::mutations(Duration::from_millis(100)));
    // Answers a few hundred milliseconds apart: the read-back waits for the
    // creates of its kind still in their call.
    for (i, ms) in [0u64, 150, 300, 450].iter().enumerate() {
        cloud.set_address_latency(&format!("u{i}"), Duration::from_millis(100 + ms));
    }
    let mut v: Vec<_> = (0..4).map(|i| of_kind(&format!("u{i}"), UNREAD)).collect();
    // Needs a computed attribute only the read-back gives.
    v.push(dep(
        of_kind("user", common::KIND).with_field("ref", Config::template("${u0.arn}")),
        "u0",
    ));
    let st = stack(v);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let r = e.apply(&plan, &b, &options(10)).await.unwrap();
    assert!(r.is_success(), "{r:?}");
    assert_eq!(
        cloud.observe_batch_sizes(UNREAD),
        [4],
        "one observe reads back the four"
    );
    let state = b.state().unwrap();
    for i in 0..4 {
        assert!(
            arn_of(&state, &format!("u{i}")).as_str().is_some(),
            "u{i} recorded with what the read-back found"
        );
    }
    let user = state.get(&"user".parse().unwrap()).unwrap();
    assert_eq!(user.attributes["ref"], arn_of(&state, "u0"));
    // Recorded as read: the next plan has nothing to do, at one observe.
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    assert!(plan.changes.iter().all(|c| c.action == ChangeAction::NoOp));
}

#[tokio::test(start_paused = true)]
async fn a_read_back_waits_for_slow_creates_no_longer_than_its_window() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    cloud.set_address_latency("fast", Duration::from_millis(10));
    cloud.set_address_latency("slow", Duration::from_secs(10));
    let st = stack(vec![
        of_kind("fast", UNREAD),
        of_kind("slow", UNREAD),
        dep(of_kind("after_fast", common::KIND), "fast"),
    ]);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let r = e.apply(&plan, &b, &options(10)).await.unwrap();
    assert!(r.is_success(), "{r:?}");
    assert_eq!(cloud.observe_batch_sizes(UNREAD), [1, 1]);
    let waited =
        cloud.op("create", "after_fast").unwrap().start - cloud.op("create", "fast").unwrap().start;
    assert!(
        waited <= Duration::from_millis(10) + forge_engine::apply::ready::READ_BACK_WINDOW,
        "the fast object's read-back waited {waited:?} for the slow create"
    );
}

#[tokio::test(start_paused = true)]
async fn a_read_back_goes_on_to_wait_for_readiness_in_the_same_poller() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    for name in ["s0", "s1", "s2"] {
        cloud.readiness(name, 2, "available");
    }
    let st = stack(vec![
        of_kind("s0", UNREAD_SLOW),
        of_kind("s1", UNREAD_SLOW),
        of_kind("s2", UNREAD_SLOW),
        dep(of_kind("after", common::KIND), "s0"),
    ]);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let r = e.apply(&plan, &b, &options(10)).await.unwrap();
    assert!(r.is_success(), "{r:?}");
    // The read-back sees `creating` (one poll counted down), a poll 5 s
    // later sees it again, the next sees it ready: three observes of three.
    assert_eq!(cloud.observe_batch_sizes(UNREAD_SLOW), [3, 3, 3]);
    let state = b.state().unwrap();
    let s0 = state.get(&"s0".parse().unwrap()).unwrap();
    assert_eq!(s0.attributes["status"], Value::from("available"));
    assert_eq!(s0.status, ResourceStatus::Ready);
}

#[tokio::test(start_paused = true)]
async fn a_read_back_that_cannot_observe_records_the_object_not_ready() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let st = stack(vec![
        of_kind("u", UNREAD),
        dep(of_kind("after", common::KIND), "u"),
    ]);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    cloud.fail_observe(
        UNREAD,
        ProviderError::Api {
            code: "AccessDenied".into(),
            message: "not allowed to describe".into(),
        },
    );
    let mut opts = options(10);
    opts.retry = fast_retry();
    let r = e.apply(&plan, &b, &opts).await.unwrap();
    assert_eq!(r.failed.len(), 1, "{r:?}");
    assert!(
        r.failed[0].error.contains("recorded as not ready"),
        "{:?}",
        r.failed[0].error
    );
    assert_eq!(r.skipped.len(), 1, "the dependent waits for the read-back");
    // The object is in state with its id, not tainted: the next apply
    // reads it and goes on, creating nothing twice.
    let state = b.state().unwrap();
    let u = state.get(&"u".parse().unwrap()).unwrap();
    assert!(u.id.is_some());
    assert_eq!(u.status, ResourceStatus::NotReady);
    cloud.heal_observe(UNREAD);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let c = plan.change(&"u".parse().unwrap()).unwrap();
    assert_ne!(c.action, ChangeAction::Create);
    assert_ne!(c.action, ChangeAction::Replace);
    let r = e.apply(&plan, &b, &opts).await.unwrap();
    assert!(r.is_success(), "{r:?}");
    assert_eq!(cloud.count_of(UNREAD), 1);
}
