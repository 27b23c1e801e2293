//! Saved plans, stale plans, crash recovery, cancellation and readiness.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use forge_engine::{
    CancelToken, ChangeAction, EngineError, Event, MemoryBackend, Plan, PlanOptions, StateBackend,
};
use forge_testkit::fake::{FakeCloud, Latency};
use std::time::Duration;

const S: Duration = Duration::from_secs(1);

#[tokio::test(start_paused = true)]
async fn saved_plan_is_applied_exactly_and_stale_plan_is_refused() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let st = stack(vec![thing("a"), dep(thing("b"), "a")]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.json");
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    plan.save(&file).unwrap();
    assert!(!plan.holds_secrets(), "nothing sensitive in this plan");
    let stale_candidate = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();

    let loaded = Plan::load(&file).unwrap();
    assert_eq!(loaded, plan);
    // The loaded plan carries its configuration: the spec changing later
    // does not matter.
    let r = e.apply(&loaded, &b, &options(10)).await.unwrap();
    assert!(r.is_success());
    assert_eq!(cloud.count_of(KIND), 2);

    // A plan made against the previous state is refused.
    let err = e
        .apply(&stale_candidate, &b, &options(10))
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::StalePlan { .. }), "{err}");
    assert!(err.to_string().contains("run `forge plan` again"), "{err}");
    assert_eq!(cloud.count_of(KIND), 2);

    // Also after any later write: plan, then the state changes, then apply.
    let p = e
        .plan(&stack(vec![thing("a")]), &b, &PlanOptions::default())
        .await
        .unwrap();
    e.state_mv(&b, &"b".parse().unwrap(), &"b2".parse().unwrap())
        .await
        .unwrap();
    assert!(matches!(
        e.apply(&p, &b, &options(10)).await,
        Err(EngineError::StalePlan { .. })
    ));
}

#[tokio::test(start_paused = true)]
async fn crash_after_create_before_state_write_is_adopted_not_duplicated() {
    let cloud = FakeCloud::new();
    cloud.set_latency(Latency::mutations(S));
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let st = stack(vec![thing("a"), dep(thing("b"), "a"), dep(thing("c"), "b")]);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let mut opts = options(10);
    let cancel = CancelToken::new();
    opts.cancel = cancel.clone();
    cloud.crash_after_create("b", cancel);
    let r = e.apply(&plan, &b, &opts).await.unwrap();
    assert_eq!(r.interrupted.len(), 1, "{r:?}");
    assert_eq!(cloud.count_of(KIND), 2, "a and b exist in the cloud");
    let state = b.state().unwrap();
    let rb = state.get(&"b".parse().unwrap()).unwrap();
    assert!(rb.id.is_none());
    assert!(
        rb.pending.is_some(),
        "the create intent was recorded before the call"
    );

    cloud.clear_crash();
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let cb = plan.change(&"b".parse().unwrap()).unwrap();
    assert_eq!(cb.action, ChangeAction::Adopt);
    assert!(
        cb.warnings.iter().any(|w| w.contains("will be adopted")),
        "{cb:?}"
    );
    let (creates_before, _, _) = cloud.mutation_counts();
    let r = e.apply(&plan, &b, &options(10)).await.unwrap();
    assert!(r.is_success(), "{r:?}");
    let (creates_after, _, _) = cloud.mutation_counts();
    assert_eq!(creates_after - creates_before, 1, "only c is created");
    assert_eq!(cloud.count_of(KIND), 3);
    let state = b.state().unwrap();
    assert!(
        state
            .resources
            .iter()
            .all(|r| r.id.is_some() && r.pending.is_none())
    );
    assert!(
        !e.plan(&st, &b, &PlanOptions::default())
            .await
            .unwrap()
            .has_changes()
    );
}

#[tokio::test(start_paused = true)]
async fn failed_state_write_blocks_creates_and_next_run_recovers() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let st = stack(vec![thing("a")]);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    b.fail_writes(true);
    let err = e.apply(&plan, &b, &options(10)).await.unwrap_err();
    assert!(
        err.to_string().contains("recording create intents failed"),
        "{err}"
    );
    assert_eq!(
        cloud.count_of(KIND),
        0,
        "nothing is created without a durable intent"
    );
    assert!(b.lock_info().await.unwrap().is_none(), "lock released");
    b.fail_writes(false);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    assert!(e.apply(&plan, &b, &options(10)).await.unwrap().is_success());
}

#[tokio::test(start_paused = true)]
async fn drain_finishes_in_flight_and_starts_nothing_new() {
    let cloud = FakeCloud::new();
    cloud.set_latency(Latency::mutations(S));
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let st = stack(vec![
        thing("a"),
        dep(thing("b"), "a"),
        thing("x"),
        dep(thing("y"), "x"),
    ]);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let mut opts = options(10);
    let cancel = CancelToken::new();
    opts.cancel = cancel.clone();
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        cancel.drain();
    });
    let r = e.apply(&plan, &b, &opts).await.unwrap();
    canceller.await.unwrap();
    assert_eq!(r.cancelled, Some(forge_engine::CancelLevel::Drain));
    let ok: Vec<_> = r.succeeded.iter().map(|s| s.0.to_string()).collect();
    assert_eq!(ok, ["a", "x"]);
    assert_eq!(r.skipped.len(), 2);
    assert!(r.skipped[0].reason.contains("cancelled"));
    let state = b.state().unwrap();
    assert_eq!(
        state.resources.iter().filter(|r| r.id.is_some()).count(),
        2,
        "in-flight results were saved"
    );
    // The next plan picks up where it stopped.
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    assert_eq!(plan.summary().add, 2);
}

#[tokio::test(start_paused = true)]
async fn readiness_is_awaited_with_batched_polling() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let mut v = Vec::new();
    for i in 0..5 {
        let name = format!("s{i}");
        cloud.readiness(&name, 3, "available");
        v.push(of_kind(&name, "fake.slow"));
    }
    v.push(dep(thing("after"), "s0"));
    let st = stack(v);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let (opts, events) = recording(10);
    let r = e.apply(&plan, &b, &opts).await.unwrap();
    assert!(r.is_success(), "{r:?}");
    // Three polls at 5 s each (one observe sees `creating` each time, the
    // object counts down per observe): ready on the 4th poll.
    assert_eq!(cloud.observe_batch_sizes("fake.slow"), [5, 5, 5, 5]);
    assert_eq!(
        cloud.observe_calls("fake.slow"),
        4,
        "one observe per group per poll"
    );
    assert_eq!(r.elapsed, Duration::from_secs(20));
    // The dependent started only once s0 was ready.
    assert_eq!(
        cloud.op("create", "after").unwrap().start - cloud.op("create", "s0").unwrap().start,
        Duration::from_secs(20)
    );
    assert!(
        events
            .lock()
            .unwrap()
            .iter()
            .any(|e| matches!(e, Event::Waiting { status, .. } if status == "creating"))
    );
    let state = b.state().unwrap();
    let s0 = state.get(&"s0".parse().unwrap()).unwrap();
    assert_eq!(
        s0.attributes["status"],
        forge_core::Value::from("available")
    );
}

#[tokio::test(start_paused = true)]
async fn readiness_timeout_and_failed_status_fail_and_taint() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    cloud.readiness("never", 1000, "available");
    cloud.readiness("broken", 1, "failed");
    let st = stack(vec![
        of_kind("never", "fake.slow"),
        of_kind("broken", "fake.slow"),
        dep(thing("dependent"), "never"),
    ]);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let r = e.apply(&plan, &b, &options(10)).await.unwrap();
    let failed: Vec<_> = r
        .failed
        .iter()
        .map(|f| (f.address.to_string(), f.error.clone()))
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(failed[0].1.contains("`failed`"), "{failed:?}");
    assert!(failed[1].1.contains("not ready after"), "{failed:?}");
    assert_eq!(r.skipped.len(), 1);
    // Timed out at 30 s (+ the poll that noticed).
    assert!(r.elapsed <= Duration::from_secs(35), "{:?}", r.elapsed);
    let state = b.state().unwrap();
    assert_eq!(
        state.get(&"never".parse().unwrap()).unwrap().status,
        forge_engine::state::ResourceStatus::Tainted
    );
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let c = plan.change(&"broken".parse().unwrap()).unwrap();
    assert_eq!(c.action, ChangeAction::Replace);
    assert!(c.replace_because[0].contains("tainted"));
}

#[tokio::test(start_paused = true)]
async fn prevent_destroy_refuses_removal_and_replacement() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let mut p = thing("precious");
    p.lifecycle.prevent_destroy = true;
    let st = stack(vec![p.clone()]);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    e.apply(&plan, &b, &options(10)).await.unwrap();
    let err = e
        .plan(&stack(vec![]), &b, &PlanOptions::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("prevent_destroy"), "{err}");
    let renamed = p
        .clone()
        .with_field("name", forge_core::spec::Config::literal("other"));
    let err = e
        .plan(&stack(vec![renamed]), &b, &PlanOptions::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("must be replaced (because of name)"),
        "{err}"
    );
    assert!(
        e.plan_destroy(&st, &b, &PlanOptions::default())
            .await
            .is_err()
    );
}

#[tokio::test(start_paused = true)]
async fn ignore_changes_drops_diffs() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let st = stack(vec![field(thing("a"), "size", 1i64)]);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    e.apply(&plan, &b, &options(10)).await.unwrap();
    let mut changed = field(thing("a"), "size", 5i64)
        .with_field("name", forge_core::spec::Config::literal("renamed"));
    changed.lifecycle.ignore_changes = vec!["size".into(), "name".into()];
    let plan = e
        .plan(&stack(vec![changed.clone()]), &b, &PlanOptions::default())
        .await
        .unwrap();
    assert!(!plan.has_changes(), "{}", plan.to_json_string());
    changed.lifecycle.ignore_changes = vec!["name".into()];
    let plan = e
        .plan(&stack(vec![changed]), &b, &PlanOptions::default())
        .await
        .unwrap();
    assert_eq!(plan.changes[0].action, ChangeAction::Update);
}

#[tokio::test(start_paused = true)]
async fn a_plan_says_whether_its_saved_form_holds_secrets() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let output = |sensitive: bool| forge_core::spec::OutputDef {
        name: "out".into(),
        value: forge_core::spec::Config::literal("v"),
        sensitive,
        description: None,
        dependencies: Default::default(),
        preconditions: Vec::new(),
    };
    // Outputs that are not sensitive hold no secret.
    let mut plain = stack(vec![thing("a")]);
    plain.outputs.push(output(false));
    let plan = e.plan(&plain, &b, &PlanOptions::default()).await.unwrap();
    assert!(!plan.holds_secrets());
    // A sensitive field's value does.
    let secret = stack(vec![thing("a").with_field(
        "secret",
        forge_core::spec::Config::literal(forge_core::Value::from("hunter2").sensitive()),
    )]);
    let plan = e.plan(&secret, &b, &PlanOptions::default()).await.unwrap();
    assert!(plan.holds_secrets());
    // So does a sensitive output's value.
    let mut out = stack(vec![thing("a")]);
    out.outputs.push(output(true));
    let plan = e.plan(&out, &b, &PlanOptions::default()).await.unwrap();
    assert!(plan.holds_secrets());
}
