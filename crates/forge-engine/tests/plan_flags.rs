//! `-replace ADDR`, `-refresh=false` and `-target ADDR` against the
//! in-memory fake cloud: a requested replacement is made though nothing in
//! the spec forces it, and a saved plan carrying the request is accepted by
//! the apply's re-derivation (refused without it); a plan without refresh
//! does not see what changed in the cloud; a targeted plan acts on the
//! target and its dependencies only. A typo is an error, never an empty plan.

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

fn targeting(addresses: &[&str]) -> PlanOptions {
    PlanOptions {
        target: addresses.iter().map(|a| a.parse().unwrap()).collect(),
        ..PlanOptions::default()
    }
}

#[tokio::test]
async fn a_targeted_plan_covers_the_target_and_what_it_depends_on() {
    let cloud = FakeCloud::new();
    let engine = engine(&cloud);
    let backend = MemoryBackend::new();
    // net <- app; other stands alone; gone is recorded, then removed.
    let first = stack(vec![
        thing("net"),
        dep(thing("app"), "net"),
        thing("other"),
        thing("gone"),
    ]);
    let plan = engine
        .plan(&first, &backend, &PlanOptions::default())
        .await
        .unwrap();
    engine.apply(&plan, &backend, &options(2)).await.unwrap();

    let spec = stack(vec![
        field(thing("net"), "size", 2),
        dep(field(thing("app"), "size", 2), "net"),
        field(thing("other"), "size", 2),
        thing("extra"),
    ]);
    let plan = engine
        .plan(&spec, &backend, &targeting(&["app"]))
        .await
        .unwrap();
    let planned: Vec<String> = plan.changes.iter().map(|c| c.address.to_string()).collect();
    assert_eq!(planned, ["app", "net"]);
    assert_eq!(plan.target, vec![Address::single("app")]);
    let report = engine.apply(&plan, &backend, &options(2)).await.unwrap();
    assert!(report.is_success());
    // Outside the target nothing moved: other not updated, extra not
    // created, gone not deleted.
    assert_eq!(cloud.objects().len(), 4);
    let rest = engine
        .plan(&spec, &backend, &PlanOptions::default())
        .await
        .unwrap();
    let left: Vec<(String, ChangeAction)> = rest
        .changes
        .iter()
        .filter(|c| c.action != ChangeAction::NoOp)
        .map(|c| (c.address.to_string(), c.action))
        .collect();
    assert_eq!(
        left,
        [
            ("extra".to_string(), ChangeAction::Create),
            ("gone".to_string(), ChangeAction::Delete),
            ("other".to_string(), ChangeAction::Update),
        ]
    );

    // A removed resource is deleted when targeted itself.
    let plan = engine
        .plan(&spec, &backend, &targeting(&["gone"]))
        .await
        .unwrap();
    let planned: Vec<(String, ChangeAction)> = plan
        .changes
        .iter()
        .map(|c| (c.address.to_string(), c.action))
        .collect();
    assert_eq!(planned, [("gone".to_string(), ChangeAction::Delete)]);
}

#[tokio::test]
async fn a_target_that_matches_nothing_is_refused() {
    let cloud = FakeCloud::new();
    let engine = engine(&cloud);
    let backend = MemoryBackend::new();
    let spec = stack(vec![thing("a")]);
    let err = engine
        .plan(&spec, &backend, &targeting(&["nope"]))
        .await
        .unwrap_err();
    assert!(format!("{err:?}").contains("-target"), "{err:?}");
}
