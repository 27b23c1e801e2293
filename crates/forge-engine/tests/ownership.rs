//! Ownership by state, with the fake provider: two states of one stack
//! (two environments, or two copies) share names and addresses but never
//! each other's objects; this state's untracked objects are adopted or
//! deleted by the next plan, never left invisible.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use forge_core::spec::Stack;
use forge_core::{Attrs, Value};
use forge_engine::state::State;
use forge_engine::{
    CancelToken, ChangeAction, Engine, MemoryBackend, Owner, PlanOptions, ProviderRegistry,
};
use forge_testkit::fake::{FakeCloud, FakeProvider, Latency};
use forge_testkit::tag_index::FakeTagIndex;
use std::sync::Arc;
use std::time::Duration;

fn indexed_engine(cloud: &FakeCloud) -> Engine {
    let mut r = ProviderRegistry::new();
    r.register(FakeProvider::arc(KIND, cloud));
    r.set_tag_index(Arc::new(FakeTagIndex::new(cloud, &[KIND])));
    Engine::new(r)
}

fn env_stack(env: &str) -> Stack {
    let mut st = stack(vec![thing("a"), dep(thing("b"), "a")]);
    st.environment = Some(env.into());
    st
}

async fn apply(e: &Engine, st: &Stack, b: &MemoryBackend) {
    let plan = e.plan(st, b, &PlanOptions::default()).await.unwrap();
    let r = e.apply(&plan, b, &options(4)).await.unwrap();
    assert!(r.is_success(), "{r:?}");
}

fn owner(b: &MemoryBackend) -> Owner {
    Owner::of_state(&b.state().unwrap())
}

fn ids(b: &MemoryBackend) -> Vec<String> {
    b.state()
        .unwrap()
        .resources
        .iter()
        .filter_map(|r| r.id.clone())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_crashed_create_adopts_only_its_own_states_object() {
    let cloud = FakeCloud::new();
    cloud.set_latency(Latency::mutations(Duration::from_secs(1)));
    let e = indexed_engine(&cloud);
    let prod = MemoryBackend::new();
    apply(&e, &env_stack("prod"), &prod).await;
    let prod_ids = ids(&prod);

    // dev crashes right after creating `a`, before recording it.
    let dev = MemoryBackend::new();
    let st = env_stack("dev");
    let plan = e.plan(&st, &dev, &PlanOptions::default()).await.unwrap();
    let mut opts = options(4);
    let cancel = CancelToken::new();
    opts.cancel = cancel.clone();
    cloud.crash_after_create("a", cancel);
    e.apply(&plan, &dev, &opts).await.unwrap();
    cloud.clear_crash();

    // Its next plan adopts its own `a`, never prod's (same stack name and
    // address), and deletes nothing.
    let plan = e.plan(&st, &dev, &PlanOptions::default()).await.unwrap();
    let a = plan.change(&"a".parse().unwrap()).unwrap();
    assert_eq!(a.action, ChangeAction::Adopt);
    assert!(!prod_ids.contains(a.id.as_ref().unwrap()));
    assert!(
        plan.changes
            .iter()
            .all(|c| c.action != ChangeAction::Delete)
    );
    let r = e.apply(&plan, &dev, &options(4)).await.unwrap();
    assert!(r.is_success(), "{r:?}");
    assert_eq!(cloud.count_of(KIND), 4, "two objects per environment");

    // dev's destroy leaves prod's objects, and prod has nothing to do.
    let destroy = e
        .plan_destroy(&st, &dev, &PlanOptions::default())
        .await
        .unwrap();
    for c in &destroy.changes {
        assert!(!prod_ids.contains(c.id.as_ref().unwrap()), "{c:?}");
    }
    e.apply(&destroy, &dev, &options(4)).await.unwrap();
    let objects = cloud.objects();
    for id in &prod_ids {
        assert!(objects.contains_key(id), "prod's {id} was deleted");
    }
    let plan = e
        .plan(&env_stack("prod"), &prod, &PlanOptions::default())
        .await
        .unwrap();
    assert!(!plan.has_changes(), "{}", plan.to_json_string());
}

#[tokio::test(start_paused = true)]
async fn an_untracked_duplicate_of_this_state_is_planned_for_deletion() {
    let cloud = FakeCloud::new();
    let e = indexed_engine(&cloud);
    let b = MemoryBackend::new();
    let st = env_stack("dev");
    apply(&e, &st, &b).await;
    // A create retried blindly by some layer left a second `a`, tagged as
    // this state's: the state never heard of it.
    let dup = cloud.plant(
        KIND,
        Attrs::from([("name".to_string(), Value::from("a"))]),
        owner(&b).system_tags(&"a".parse().unwrap()),
    );
    // Another state's object with the same address is not touched.
    let other = Owner::new("another-lineage", "test", Some("dev".into()));
    let theirs = cloud.plant(
        KIND,
        Attrs::from([("name".to_string(), Value::from("a"))]),
        other.system_tags(&"a".parse().unwrap()),
    );

    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let deletes: Vec<_> = plan
        .changes
        .iter()
        .filter(|c| c.action == ChangeAction::Delete)
        .collect();
    assert_eq!(deletes.len(), 1, "{}", plan.to_json_string());
    assert_eq!(deletes[0].id.as_deref(), Some(dup.as_str()));
    assert!(deletes[0].deposed);
    assert!(
        deletes[0]
            .warnings
            .iter()
            .any(|w| w.contains("not recorded in the state")),
        "{:?}",
        deletes[0].warnings
    );
    let r = e.apply(&plan, &b, &options(4)).await.unwrap();
    assert!(r.is_success(), "{r:?}");
    let objects = cloud.objects();
    assert!(!objects.contains_key(&dup));
    assert!(objects.contains_key(&theirs));
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.to_json_string());
}

#[tokio::test(start_paused = true)]
async fn an_untracked_object_for_a_missing_address_is_adopted() {
    let cloud = FakeCloud::new();
    let e = indexed_engine(&cloud);
    let b = MemoryBackend::new();
    apply(&e, &stack(vec![thing("a")]), &b).await;
    // `b` was created by this state but its record is lost (no intent).
    let lost = cloud.plant(
        KIND,
        Attrs::from([("name".to_string(), Value::from("b"))]),
        owner(&b).system_tags(&"b".parse().unwrap()),
    );
    let st = stack(vec![thing("a"), thing("b")]);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let c = plan.change(&"b".parse().unwrap()).unwrap();
    assert_eq!(c.action, ChangeAction::Adopt, "{}", plan.to_json_string());
    assert_eq!(c.id.as_deref(), Some(lost.as_str()));
}

#[tokio::test(start_paused = true)]
async fn an_adoption_that_would_replace_is_refused() {
    let cloud = FakeCloud::new();
    let e = indexed_engine(&cloud);
    let b = MemoryBackend::new();
    apply(&e, &stack(vec![thing("a")]), &b).await;
    // This state's untracked `b`, whose force-new name differs from the
    // spec's: adopting it would only destroy it.
    cloud.plant(
        KIND,
        Attrs::from([("name".to_string(), Value::from("old-name"))]),
        owner(&b).system_tags(&"b".parse().unwrap()),
    );
    let st = stack(vec![thing("a"), thing("b")]);
    let err = e
        .plan(&st, &b, &PlanOptions::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("does not adopt an object only to destroy it"),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn import_records_an_existing_object_and_refuses_bad_ids() {
    let cloud = FakeCloud::new();
    let e = indexed_engine(&cloud);
    let b = MemoryBackend::new();
    let st = stack(vec![thing("a")]);
    let hand_made = cloud.plant(
        KIND,
        Attrs::from([
            ("name".to_string(), Value::from("a")),
            ("size".to_string(), Value::int(1)),
        ]),
        Default::default(),
    );
    let a = "a".parse().unwrap();
    let err = e.import(&st, &b, &a, "no-such-id").await.unwrap_err();
    assert!(err.to_string().contains("no fake.thing with id"), "{err}");
    assert!(b.state().is_none(), "a failed import writes nothing");
    let err = e
        .import(&st, &b, &"zzz".parse().unwrap(), &hand_made)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("no resource at this address"),
        "{err}"
    );

    let r = e.import(&st, &b, &a, &hand_made).await.unwrap();
    assert_eq!(r.id.as_deref(), Some(hand_made.as_str()));
    let state: State = b.state().unwrap();
    assert_eq!(
        state.get(&a).unwrap().id.as_deref(),
        Some(hand_made.as_str())
    );
    let err = e.import(&st, &b, &a, &hand_made).await.unwrap_err();
    assert!(err.to_string().contains("already in the state"), "{err}");
    // The next plan has nothing to create: the object is managed.
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    assert!(!plan.has_changes(), "{}", plan.to_json_string());
    assert_eq!(cloud.count_of(KIND), 1);
}
