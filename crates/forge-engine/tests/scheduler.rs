//! The apply scheduler against the fake provider, on tokio's paused clock.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use forge_engine::{ChangeAction, Event, MemoryBackend, PlanOptions, ProviderError};
use forge_testkit::fake::{FakeCloud, Latency};
use std::time::Duration;

const S: Duration = Duration::from_secs(1);

#[tokio::test(start_paused = true)]
async fn independent_resources_run_concurrently_wall_time_is_critical_path() {
    let cloud = FakeCloud::new();
    cloud.set_latency(Latency::mutations(S));
    let e = engine(&cloud);
    // A chain of 3 (critical path 3 s) next to 20 independent resources.
    let mut v: Vec<_> = (0..20).map(|i| thing(&format!("free{i}"))).collect();
    v.push(thing("c0"));
    v.push(dep(thing("c1"), "c0"));
    v.push(dep(thing("c2"), "c1"));
    let st = stack(v);
    let b = MemoryBackend::new();
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let r = e.apply(&plan, &b, &options(100)).await.unwrap();
    assert!(r.is_success(), "{r:?}");
    assert_eq!(r.succeeded.len(), 23);
    assert!(
        r.elapsed >= 3 * S && r.elapsed < 3 * S + Duration::from_millis(50),
        "elapsed {:?}",
        r.elapsed
    );
    assert!(cloud.max_in_flight() >= 21);
    // Creates follow dependencies.
    assert!(cloud.op("create", "c1").unwrap().start >= cloud.op("create", "c0").unwrap().end);
    assert!(cloud.op("create", "c2").unwrap().start >= cloud.op("create", "c1").unwrap().end);
}

#[tokio::test(start_paused = true)]
async fn parallelism_bound_is_respected() {
    let cloud = FakeCloud::new();
    cloud.set_latency(Latency::mutations(S));
    let e = engine(&cloud);
    let st = stack((0..30).map(|i| thing(&format!("r{i}"))).collect());
    let b = MemoryBackend::new();
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let r = e.apply(&plan, &b, &options(4)).await.unwrap();
    assert!(r.is_success());
    assert_eq!(cloud.max_in_flight(), 4);
    assert_eq!(r.max_in_flight, 4);
    // 30 one-second operations, 4 at a time: 8 rounds.
    assert!(
        r.elapsed >= 8 * S && r.elapsed < 8 * S + Duration::from_millis(50),
        "{:?}",
        r.elapsed
    );
}

#[tokio::test(start_paused = true)]
async fn concurrency_group_limit_is_respected() {
    let cloud = FakeCloud::new();
    cloud.set_latency(Latency::mutations(S));
    let e = engine(&cloud);
    let mut v: Vec<_> = (0..10)
        .map(|i| of_kind(&format!("g{i}"), "fake.grouped"))
        .collect();
    v.extend((0..5).map(|i| thing(&format!("t{i}"))));
    let st = stack(v);
    let b = MemoryBackend::new();
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let r = e.apply(&plan, &b, &options(10)).await.unwrap();
    assert!(r.is_success());
    assert_eq!(cloud.max_in_flight_of_group("grp"), 2);
    // Ungrouped kinds were not held back by the group: all done in round 1.
    for i in 0..5 {
        assert_eq!(
            cloud.op("create", &format!("t{i}")).unwrap().end
                - cloud.op("create", &format!("t{i}")).unwrap().start,
            S
        );
    }
    assert!(
        r.elapsed >= 5 * S && r.elapsed < 5 * S + Duration::from_millis(50),
        "{:?}",
        r.elapsed
    );
}

#[tokio::test(start_paused = true)]
async fn failure_skips_dependents_and_independent_branches_finish() {
    let cloud = FakeCloud::new();
    cloud.set_latency(Latency::mutations(S));
    cloud.fail(
        "b",
        ProviderError::Api {
            code: "InvalidParameterValue".into(),
            message: "bad size".into(),
        },
    );
    let e = engine(&cloud);
    let st = stack(vec![
        thing("a"),
        dep(thing("b"), "a"),
        dep(thing("c"), "b"),
        dep(thing("d"), "c"),
        thing("x"),
        dep(thing("y"), "x"),
    ]);
    let b = MemoryBackend::new();
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let (opts, events) = recording(10);
    let r = e.apply(&plan, &b, &opts).await.unwrap();
    assert!(!r.is_success());
    assert_eq!(r.failed.len(), 1);
    assert_eq!(r.failed[0].address.to_string(), "b");
    assert!(
        r.failed[0].error.contains("InvalidParameterValue"),
        "{}",
        r.failed[0].error
    );
    let skipped: Vec<_> = r.skipped.iter().map(|s| s.address.to_string()).collect();
    assert_eq!(skipped, ["c", "d"]);
    assert!(r.skipped[0].reason.contains("b failed"));
    let ok: Vec<_> = r.succeeded.iter().map(|s| s.0.to_string()).collect();
    assert_eq!(ok, ["a", "x", "y"]);
    let state = b.state().unwrap();
    let recorded: Vec<_> = state
        .resources
        .iter()
        .filter(|r| r.id.is_some())
        .map(|r| r.address.to_string())
        .collect();
    assert_eq!(recorded, ["a", "x", "y"]);
    assert!(!r.is_success());
    assert_eq!(
        (r.succeeded.len(), r.failed.len(), r.skipped.len()),
        (3, 1, 2)
    );
    let ev = events.lock().unwrap();
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Failed { address, .. } if address.to_string() == "b"))
    );
    assert_eq!(
        ev.iter()
            .filter(|e| matches!(e, Event::Skipped { .. }))
            .count(),
        2
    );
}

#[tokio::test(start_paused = true)]
async fn deletes_run_in_reverse_dependency_order() {
    let cloud = FakeCloud::new();
    cloud.set_latency(Latency::mutations(S));
    let e = engine(&cloud);
    let st = stack(vec![
        thing("a"),
        dep(thing("b"), "a"),
        dep(thing("c"), "b"),
        dep(thing("d"), "a"),
    ]);
    let b = MemoryBackend::new();
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    assert!(e.apply(&plan, &b, &options(10)).await.unwrap().is_success());
    // Remove everything from the spec.
    let plan = e
        .plan(&stack(vec![]), &b, &PlanOptions::default())
        .await
        .unwrap();
    assert_eq!(plan.summary().destroy, 4);
    let r = e.apply(&plan, &b, &options(10)).await.unwrap();
    assert!(r.is_success(), "{r:?}");
    let del = |a: &str| cloud.op("delete", a).unwrap();
    assert!(del("b").start >= del("c").end);
    assert!(del("a").start >= del("b").end);
    assert!(del("a").start >= del("d").end);
    assert_eq!(cloud.count_of(KIND), 0);
    assert!(b.state().unwrap().resources.is_empty());
}

#[tokio::test(start_paused = true)]
async fn destroy_plan_deletes_in_reverse_order_and_clears_outputs() {
    let cloud = FakeCloud::new();
    cloud.set_latency(Latency::mutations(S));
    let e = engine(&cloud);
    let st = stack(vec![thing("a"), dep(thing("b"), "a")]);
    let b = MemoryBackend::new();
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    e.apply(&plan, &b, &options(10)).await.unwrap();
    let plan = e
        .plan_destroy(&st, &b, &PlanOptions::default())
        .await
        .unwrap();
    assert!(plan.destroy);
    assert!(
        plan.changes
            .iter()
            .all(|c| c.action == ChangeAction::Delete)
    );
    let r = e.apply(&plan, &b, &options(10)).await.unwrap();
    assert!(r.is_success());
    assert!(cloud.op("delete", "a").unwrap().start >= cloud.op("delete", "b").unwrap().end);
}

#[tokio::test(start_paused = true)]
async fn replace_deletes_first_unless_create_before_destroy() {
    let cloud = FakeCloud::new();
    cloud.set_latency(Latency::mutations(S));
    let e = engine(&cloud);
    let mut cbd = field(thing("keep"), "size", 1i64);
    cbd.lifecycle.create_before_destroy = true;
    let st = stack(vec![
        field(thing("plain"), "size", 1i64),
        cbd.clone(),
        dep(thing("user"), "keep"),
    ]);
    let b = MemoryBackend::new();
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    e.apply(&plan, &b, &options(10)).await.unwrap();
    let old_keep = b
        .state()
        .unwrap()
        .get(&"keep".parse().unwrap())
        .unwrap()
        .id
        .clone()
        .unwrap();

    // Change the force-new `name` of both.
    let mut cbd2 = cbd.with_field("name", forge_core::spec::Config::literal("keep-2"));
    cbd2.lifecycle.create_before_destroy = true;
    let plain2 = field(thing("plain"), "size", 1i64)
        .with_field("name", forge_core::spec::Config::literal("plain-2"));
    let st2 = stack(vec![plain2, cbd2, dep(thing("user"), "keep")]);
    let plan = e.plan(&st2, &b, &PlanOptions::default()).await.unwrap();
    let keep = plan.change(&"keep".parse().unwrap()).unwrap();
    assert_eq!(keep.action, ChangeAction::Replace);
    assert_eq!(keep.replace_because, ["name"]);
    assert!(keep.create_before_destroy);
    let r = e.apply(&plan, &b, &options(10)).await.unwrap();
    assert!(r.is_success(), "{r:?}");
    let tl = cloud.timeline();
    let find = |op: &str, a: &str, nth: usize| {
        tl.iter()
            .filter(|r| r.op == op && r.address == a)
            .nth(nth)
            .cloned()
            .unwrap()
    };
    // Delete-first: the old one is gone before the new one is created.
    assert!(find("create", "plain", 1).start >= find("delete", "plain", 0).end);
    // Create-before-destroy: the new one exists before the old is deleted.
    assert!(find("delete", "keep", 0).start >= find("create", "keep", 1).end);
    let state = b.state().unwrap();
    let k = state.get(&"keep".parse().unwrap()).unwrap();
    assert_ne!(k.id.as_deref(), Some(old_keep.as_str()));
    assert!(k.deposed.is_empty());
    assert!(!cloud.objects().contains_key(&old_keep));
    assert_eq!(cloud.count_of(KIND), 3);
}

#[tokio::test(start_paused = true)]
async fn update_in_place_and_no_op() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let st = stack(vec![field(thing("a"), "size", 1i64)]);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    e.apply(&plan, &b, &options(10)).await.unwrap();
    let st2 = stack(vec![field(thing("a"), "size", 2i64)]);
    let plan = e.plan(&st2, &b, &PlanOptions::default()).await.unwrap();
    assert_eq!(plan.changes[0].action, ChangeAction::Update);
    assert!(e.apply(&plan, &b, &options(10)).await.unwrap().is_success());
    assert_eq!(cloud.mutation_counts(), (1, 1, 0));
    let plan = e.plan(&st2, &b, &PlanOptions::default()).await.unwrap();
    assert!(!plan.has_changes());
    // Drift is seen through refresh and corrected.
    let id = b.state().unwrap().resources[0].id.clone().unwrap();
    cloud.tamper(&id, "size", forge_core::Value::int(7));
    let plan = e.plan(&st2, &b, &PlanOptions::default()).await.unwrap();
    assert_eq!(plan.changes[0].action, ChangeAction::Update);
    // A vanished resource is created again.
    cloud.vanish(&id);
    let plan = e.plan(&st2, &b, &PlanOptions::default()).await.unwrap();
    assert_eq!(plan.changes[0].action, ChangeAction::Create);
}

#[tokio::test(start_paused = true)]
async fn throttling_is_retried_with_backoff() {
    let cloud = FakeCloud::new();
    cloud.throttle_next(3);
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let st = stack(vec![thing("a")]);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let (opts, events) = recording(10);
    let r = e.apply(&plan, &b, &opts).await.unwrap();
    assert!(r.is_success(), "{r:?}");
    assert_eq!(cloud.throttled(), 3);
    let retries: Vec<u32> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| {
            if let Event::Retrying { attempt, .. } = e {
                Some(*attempt)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(retries, [1, 2, 3]);
}

#[tokio::test(start_paused = true)]
async fn retries_are_bounded() {
    let cloud = FakeCloud::new();
    cloud.throttle_next(100);
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let plan = e
        .plan(&stack(vec![thing("a")]), &b, &PlanOptions::default())
        .await
        .unwrap();
    let r = e.apply(&plan, &b, &options(10)).await.unwrap();
    assert_eq!(r.failed.len(), 1);
    assert!(r.failed[0].error.contains("throttled"));
    assert_eq!(cloud.throttled(), 6);
}
