//! `-replace ADDR` against the in-memory fake cloud: the resource is
//! replaced though nothing in its spec forces it, a saved plan carrying
//! the request is accepted by the apply's re-derivation (and refused
//! without it), and a typo is an error rather than an empty plan.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use forge_core::Address;
use forge_engine::plan::replace::REASON;
use forge_engine::{ChangeAction, EngineError, MemoryBackend, PlanOptions};
use forge_testkit::fake::FakeCloud;

fn replacing(addresses: &[&str]) -> PlanOptions {
    PlanOptions {
        replace: addresses.iter().map(|a| Address::single(*a)).collect(),
        ..PlanOptions::default()
    }
}

fn live_ids(cloud: &FakeCloud) -> Vec<String> {
    cloud.objects().into_keys().collect()
}

#[tokio::test]
async fn a_requested_replacement_is_planned_applied_and_carried_by_the_plan() {
    let cloud = FakeCloud::new();
    let engine = engine(&cloud);
    let backend = MemoryBackend::new();
    let spec = stack(vec![thing("a"), thing("b")]);
    let plan = engine
        .plan(&spec, &backend, &PlanOptions::default())
        .await
        .unwrap();
    engine.apply(&plan, &backend, &options(2)).await.unwrap();
    let before = live_ids(&cloud);

    let plan = engine
        .plan(&spec, &backend, &replacing(&["a"]))
        .await
        .unwrap();
    let a = plan.change(&Address::single("a")).unwrap();
    assert_eq!(a.action, ChangeAction::Replace);
    assert_eq!(a.replace_because, vec![REASON.to_string()]);
    let b = plan.change(&Address::single("b")).unwrap();
    assert_eq!(b.action, ChangeAction::NoOp);
    assert_eq!(plan.replace, vec![Address::single("a")]);

    // The same plan without the request reads as an edited plan.
    let edited = forge_engine::Plan {
        replace: Vec::new(),
        ..plan.clone()
    };
    assert!(engine.apply(&edited, &backend, &options(2)).await.is_err());

    let report = engine.apply(&plan, &backend, &options(2)).await.unwrap();
    assert!(report.is_success());
    let after = live_ids(&cloud);
    assert_eq!(after.len(), 2, "{after:?}");
    // b's object is the same; a's is a new one.
    assert_eq!(before.iter().filter(|id| after.contains(id)).count(), 1);

    let again = engine
        .plan(&spec, &backend, &PlanOptions::default())
        .await
        .unwrap();
    assert!(!again.has_changes());
}

#[tokio::test]
async fn replacing_an_undeclared_resource_is_refused() {
    let cloud = FakeCloud::new();
    let engine = engine(&cloud);
    let backend = MemoryBackend::new();
    let spec = stack(vec![thing("a")]);
    let err = engine
        .plan(&spec, &backend, &replacing(&["nope"]))
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::Plan { .. }), "{err}");
    assert!(format!("{err:?}").contains("-replace"), "{err:?}");
}

#[tokio::test]
async fn without_refresh_the_plan_reads_nothing_from_the_cloud() {
    let cloud = FakeCloud::new();
    let engine = engine(&cloud);
    let backend = MemoryBackend::new();
    let spec = stack(vec![thing("a")]);
    let plan = engine
        .plan(&spec, &backend, &PlanOptions::default())
        .await
        .unwrap();
    engine.apply(&plan, &backend, &options(2)).await.unwrap();
    // Deleted outside forge: a refreshing plan sees it gone, a plan from
    // the state alone does not.
    for id in live_ids(&cloud) {
        cloud.vanish(&id);
    }
    let refreshed = engine
        .plan(&spec, &backend, &PlanOptions::default())
        .await
        .unwrap();
    assert!(refreshed.has_changes());
    let from_state = engine
        .plan(
            &spec,
            &backend,
            &PlanOptions {
                refresh: false,
                ..PlanOptions::default()
            },
        )
        .await
        .unwrap();
    assert!(!from_state.has_changes(), "{:?}", from_state.changes);
}
