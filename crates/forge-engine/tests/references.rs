//! References between resources resolved during apply, against the fake
//! provider: what `${...}` sees of other resources while the graph runs.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use forge_core::spec::{Config, Instance};
use forge_core::{Address, Value};
use forge_engine::{MemoryBackend, PlanOptions};
use forge_testkit::fake::{FakeCloud, Latency};
use std::time::Duration;

fn counted(name: &str, i: usize) -> Instance {
    Instance::new(Address::indexed(name, i), "fake.thing", "eu-west-1")
        .with_field("name", Config::literal(format!("{name}{i}").as_str()))
}

fn refs_of(cloud: &FakeCloud, name: &str) -> Vec<Value> {
    let objects = cloud.objects();
    let obj = objects
        .values()
        .find(|o| o.attrs.get("name") == Some(&Value::from(name)))
        .unwrap();
    obj.attrs
        .get("refs")
        .and_then(Value::as_list)
        .unwrap()
        .to_vec()
}

/// `nat[2]` must be the third instance even while `nat[0]` is still being
/// created: instances not applied yet keep their place in the list.
#[tokio::test(start_paused = true)]
async fn an_indexed_reference_resolves_while_earlier_instances_are_in_flight() {
    let cloud = FakeCloud::new();
    cloud.set_latency(Latency::mutations(Duration::from_millis(10)));
    cloud.set_address_latency("c[0]", Duration::from_secs(30));
    let e = engine(&cloud);
    let user = Instance::new(Address::single("user"), "fake.thing", "eu-west-1")
        .with_field("name", Config::literal("user"))
        .with_field("ref", Config::template("${c[2].id}"))
        .with_dependency(Address::indexed("c", 2));
    let st = stack(vec![
        counted("c", 0),
        counted("c", 1),
        counted("c", 2),
        user,
    ]);
    let b = MemoryBackend::new();
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let r = e.apply(&plan, &b, &options(10)).await.unwrap();
    assert!(r.is_success(), "{:?}", r.failed);
    let objects = cloud.objects();
    let c2 = objects
        .iter()
        .find(|(_, o)| o.attrs.get("name") == Some(&Value::from("c2")))
        .unwrap()
        .0;
    let user = objects
        .values()
        .find(|o| o.attrs.get("name") == Some(&Value::from("user")))
        .unwrap();
    assert_eq!(user.attrs.get("ref"), Some(&Value::from(c2.as_str())));
}

/// Removing an instance updates its users to drop it: a resource on its way
/// out is invisible to expressions even before its delete has run.
#[tokio::test(start_paused = true)]
async fn a_splat_no_longer_sees_an_instance_being_deleted() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let all = |n: usize| {
        let mut user = Instance::new(Address::single("user"), "fake.thing", "eu-west-1")
            .with_field("name", Config::literal("user"))
            .with_field("refs", Config::template("${c[*].id}"));
        let mut v = Vec::new();
        for i in 0..n {
            user = user.with_dependency(Address::indexed("c", i));
            v.push(counted("c", i));
        }
        v.push(user);
        stack(v)
    };
    let b = MemoryBackend::new();
    let plan = e.plan(&all(3), &b, &PlanOptions::default()).await.unwrap();
    assert!(e.apply(&plan, &b, &options(10)).await.unwrap().is_success());
    assert_eq!(refs_of(&cloud, "user").len(), 3);

    let plan = e.plan(&all(2), &b, &PlanOptions::default()).await.unwrap();
    let r = e.apply(&plan, &b, &options(10)).await.unwrap();
    assert!(r.is_success(), "{:?}", r.failed);
    assert_eq!(
        refs_of(&cloud, "user").len(),
        2,
        "the user still references the deleted instance"
    );
    assert_eq!(cloud.count_of("fake.thing"), 3);
}

/// A kind that is always replaced new-first (an immutable revision) gets
/// create-before-destroy without any `lifecycle` setting in the spec.
#[tokio::test(start_paused = true)]
async fn a_kind_can_demand_create_before_destroy() {
    use forge_engine::{ChangeAction, ProviderRegistry};
    use forge_testkit::fake::FakeProvider;
    let cloud = FakeCloud::new();
    cloud.set_latency(Latency::mutations(Duration::from_secs(1)));
    let mut r = ProviderRegistry::new();
    r.register(std::sync::Arc::new(
        FakeProvider::new("fake.revision", &cloud).with_create_before_destroy(),
    ));
    let e = forge_engine::Engine::new(r);
    let rev = |name: &str| {
        Instance::new(Address::single("rev"), "fake.revision", "eu-west-1")
            .with_field("name", Config::literal(name))
    };
    let b = MemoryBackend::new();
    let plan = e
        .plan(&stack(vec![rev("v1")]), &b, &PlanOptions::default())
        .await
        .unwrap();
    assert!(e.apply(&plan, &b, &options(10)).await.unwrap().is_success());
    let plan = e
        .plan(&stack(vec![rev("v2")]), &b, &PlanOptions::default())
        .await
        .unwrap();
    let change = plan.change(&Address::single("rev")).unwrap();
    assert_eq!(change.action, ChangeAction::Replace);
    assert!(change.create_before_destroy);
    assert!(e.apply(&plan, &b, &options(10)).await.unwrap().is_success());
    let tl = cloud.timeline();
    let create_new = tl
        .iter()
        .filter(|o| o.op == "create" && o.address == "rev")
        .nth(1)
        .cloned()
        .unwrap();
    let delete_old = tl
        .iter()
        .find(|o| o.op == "delete" && o.address == "rev")
        .cloned()
        .unwrap();
    assert!(
        delete_old.start >= create_new.end,
        "the old revision went before the new one existed"
    );
}

/// A create whose answer was lost (the object exists, the call failed) is
/// not repeated blindly: the retry finds the object by its ownership tags
/// and adopts it, so nothing is created twice.
#[tokio::test(start_paused = true)]
async fn a_create_whose_answer_was_lost_is_adopted_not_duplicated() {
    let cloud = FakeCloud::new();
    cloud.lose_create_answers("solo", 1);
    let e = engine(&cloud);
    let st = stack(vec![
        Instance::new(Address::single("solo"), "fake.thing", "eu-west-1")
            .with_field("name", Config::literal("solo")),
    ]);
    let b = MemoryBackend::new();
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let r = e.apply(&plan, &b, &options(10)).await.unwrap();
    assert!(r.is_success(), "{:?}", r.failed);
    assert_eq!(
        cloud.count_of("fake.thing"),
        1,
        "the retry created a duplicate"
    );
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    assert!(!plan.has_changes());
}
