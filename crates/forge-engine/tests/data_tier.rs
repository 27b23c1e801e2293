//! Stateful kinds (databases, caches): readiness waits with per-resource
//! timeouts that never hold the scheduler, slow deletes awaited before what
//! they use is deleted, loud data-loss flags, and the refusal to delete or
//! replace an object whose deletion protection is on.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use forge_core::spec::{Config, Instance, Stack, Timeouts};
use forge_core::{Address, Value};
use forge_engine::state::{MemoryBackend, ResourceStatus};
use forge_engine::{ChangeAction, Engine, Event, PlanOptions, ProviderRegistry};
use forge_testkit::fake::{FakeCloud, FakeProvider};
use std::sync::Arc;
use std::time::Duration;

const DB: &str = "fake.db";

/// The usual fake kinds plus a database-like kind: holds data, deletes
/// slowly, polls every 5 s, waits 30 s by default.
fn data_engine(cloud: &FakeCloud) -> Engine {
    let mut r = ProviderRegistry::new();
    r.register(FakeProvider::arc(KIND, cloud));
    r.register(Arc::new(
        FakeProvider::new(DB, cloud)
            .with_data()
            .with_readiness_timing(Duration::from_secs(5), Duration::from_secs(30)),
    ));
    Engine::new(r)
}

fn db(name: &str) -> Instance {
    of_kind(name, DB)
}

fn addr(a: &str) -> Address {
    a.parse().unwrap()
}

fn with_timeouts(mut i: Instance, t: Timeouts) -> Instance {
    i.lifecycle.timeouts = t;
    i
}

#[tokio::test(start_paused = true)]
async fn per_resource_timeouts_override_the_kinds_default() {
    let cloud = FakeCloud::new();
    let e = data_engine(&cloud);
    let b = MemoryBackend::new();
    // Both stay `creating` for 8 polls (40 s): longer than the kind's 30 s.
    cloud.readiness("patient", 8, "available");
    cloud.readiness("hasty", 8, "available");
    let st = stack(vec![
        with_timeouts(
            db("patient"),
            Timeouts {
                create: Some(60),
                ..Timeouts::default()
            },
        ),
        db("hasty"),
    ]);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let r = e.apply(&plan, &b, &options(10)).await.unwrap();
    let failed: Vec<_> = r.failed.iter().map(|f| f.address.to_string()).collect();
    assert_eq!(failed, ["hasty"], "{r:?}");
    let err = &r.failed[0].error;
    assert!(err.contains("not ready after 30s"), "{err}");
    assert!(
        err.contains("timeouts"),
        "the error says how to wait longer: {err}"
    );
    let state = b.state().unwrap();
    assert_eq!(
        state.get(&addr("patient")).unwrap().attributes["status"],
        Value::from("available")
    );
}

#[tokio::test(start_paused = true)]
async fn a_long_wait_holds_no_scheduler_slot() {
    let cloud = FakeCloud::new();
    let e = data_engine(&cloud);
    let b = MemoryBackend::new();
    cloud.set_latency(forge_testkit::fake::Latency {
        create: Duration::from_secs(1),
        ..Default::default()
    });
    // The database takes 10 polls (50 s) to become available.
    cloud.readiness("aurora", 10, "available");
    let mut v = vec![with_timeouts(
        db("aurora"),
        Timeouts {
            create: Some(600),
            ..Timeouts::default()
        },
    )];
    for i in 0..4 {
        v.push(thing(&format!("web{i}")));
    }
    v.push(dep(thing("app"), "aurora"));
    let st = stack(v);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let (opts, events) = recording(1);
    let r = e.apply(&plan, &b, &opts).await.unwrap();
    assert!(r.is_success(), "{r:?}");
    // With one slot, the four independent creates still ran while the
    // database was being waited for: all done within 1 + 4 s.
    for i in 0..4 {
        let op = cloud.op("create", &format!("web{i}")).unwrap();
        let aurora = cloud.op("create", "aurora").unwrap();
        assert!(
            op.end - aurora.start <= Duration::from_secs(5),
            "web{i} waited for the database"
        );
    }
    // The dependent started only after the database was ready (~50 s).
    let app = cloud.op("create", "app").unwrap();
    let aurora = cloud.op("create", "aurora").unwrap();
    assert!(app.start - aurora.start >= Duration::from_secs(50));
    // The progress line shows the status AWS reports while waiting.
    let waiting = events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, Event::Waiting { address, status, .. } if address.to_string() == "aurora" && status == "creating"))
        .count();
    assert!(waiting >= 2, "one progress event per poll: {waiting}");
}

#[tokio::test(start_paused = true)]
async fn slow_deletes_are_awaited_before_what_they_use_is_deleted() {
    let cloud = FakeCloud::new();
    let e = data_engine(&cloud);
    let b = MemoryBackend::new();
    let st = stack(vec![
        thing("subnet_group"),
        dep(db("cluster"), "subnet_group"),
    ]);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    assert!(e.apply(&plan, &b, &options(10)).await.unwrap().is_success());

    // The cluster stays `deleting` for 3 observes after DeleteDBCluster.
    cloud.slow_delete("cluster", 3);
    let plan = e
        .plan_destroy(&st, &b, &PlanOptions::default())
        .await
        .unwrap();
    let (opts, events) = recording(10);
    let r = e.apply(&plan, &b, &opts).await.unwrap();
    assert!(r.is_success(), "{r:?}");
    let cluster = cloud.op("delete", "cluster").unwrap();
    let group = cloud.op("delete", "subnet_group").unwrap();
    assert!(
        group.start - cluster.end >= Duration::from_secs(15),
        "the subnet group was deleted {:?} after the cluster's delete returned; it was still deleting",
        group.start - cluster.end
    );
    assert!(cloud.objects().is_empty());
    assert!(
        events
            .lock()
            .unwrap()
            .iter()
            .any(|e| matches!(e, Event::Waiting { status, .. } if status == "deleting"))
    );
    assert!(b.state().unwrap().resources.is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_update_the_cloud_rolls_back_fails_and_records_what_is_live() {
    let cloud = FakeCloud::new();
    let e = data_engine(&cloud);
    let b = MemoryBackend::new();
    let plan = e
        .plan(
            &stack(vec![field(db("svc"), "size", 1i64)]),
            &b,
            &PlanOptions::default(),
        )
        .await
        .unwrap();
    assert!(e.apply(&plan, &b, &options(10)).await.unwrap().is_success());

    // The update settles on what was there before (an ECS rollback).
    cloud.roll_back_updates("svc");
    let st = stack(vec![field(db("svc"), "size", 2i64)]);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let r = e.apply(&plan, &b, &options(10)).await.unwrap();
    assert_eq!(r.failed.len(), 1, "{r:?}");
    assert!(
        r.failed[0].error.contains("rolled back"),
        "{}",
        r.failed[0].error
    );
    // Recorded as live and ready (not tainted): the next plan is the same
    // update again, not a no-op or a replacement.
    let recorded = b.state().unwrap().get(&addr("svc")).cloned().unwrap();
    assert_eq!(recorded.attributes.get("size"), Some(&Value::int(1)));
    assert_eq!(recorded.status, ResourceStatus::Ready);
    let again = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let change = again
        .changes
        .iter()
        .find(|c| c.address == addr("svc"))
        .unwrap();
    assert_eq!(change.action, ChangeAction::Update, "{change:?}");
}

#[tokio::test(start_paused = true)]
async fn a_delete_that_never_finishes_times_out_and_stays_recorded() {
    let cloud = FakeCloud::new();
    let e = data_engine(&cloud);
    let b = MemoryBackend::new();
    let st = stack(vec![with_timeouts(
        db("cache"),
        Timeouts {
            delete: Some(20),
            ..Timeouts::default()
        },
    )]);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    assert!(e.apply(&plan, &b, &options(10)).await.unwrap().is_success());
    cloud.slow_delete("cache", 1000);
    let plan = e
        .plan_destroy(&st, &b, &PlanOptions::default())
        .await
        .unwrap();
    let r = e.apply(&plan, &b, &options(10)).await.unwrap();
    assert_eq!(r.failed.len(), 1, "{r:?}");
    assert!(
        r.failed[0].error.contains("still not gone after 20s"),
        "{}",
        r.failed[0].error
    );
    // Still recorded: the next run deletes (or waits) again.
    assert!(b.state().unwrap().get(&addr("cache")).is_some());
}

fn renamed(st: &Stack, name: &str, to: &str) -> Stack {
    let mut st = st.clone();
    for i in st.instances.iter_mut() {
        if i.address.to_string() == name {
            i.fields.insert("name".into(), Config::literal(to));
        }
    }
    st
}

fn protected(mut i: Instance, on: bool) -> Instance {
    i.fields
        .insert("deletion_protection".into(), Config::literal(on));
    i
}

#[tokio::test(start_paused = true)]
async fn replacing_or_deleting_data_is_flagged_loudly() {
    let cloud = FakeCloud::new();
    let e = data_engine(&cloud);
    let b = MemoryBackend::new();
    let st = stack(vec![db("orders"), thing("web")]);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    assert!(e.apply(&plan, &b, &options(10)).await.unwrap().is_success());

    let plan = e
        .plan(
            &renamed(&st, "orders", "orders-v2"),
            &b,
            &PlanOptions::default(),
        )
        .await
        .unwrap();
    let c = plan.change(&addr("orders")).unwrap();
    assert_eq!(c.action, ChangeAction::Replace);
    assert!(c.data_loss);
    assert!(c.warnings.iter().any(|w| w.contains("holds data")), "{c:?}");
    assert_eq!(c.replace_because, ["name"]);
    let json = plan.to_json();
    assert_eq!(json["data_loss"], serde_json::json!(["orders"]));
    let orders = json["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "orders")
        .unwrap();
    assert_eq!(orders["data_loss"], true);

    // A plan that loses no data says nothing of the kind.
    let plan = e
        .plan(&renamed(&st, "web", "web-v2"), &b, &PlanOptions::default())
        .await
        .unwrap();
    assert!(!plan.changes.iter().any(|c| c.data_loss));
    assert_eq!(plan.to_json()["data_loss"], serde_json::json!([]));

    // Destroy flags it too.
    let plan = e
        .plan_destroy(&st, &b, &PlanOptions::default())
        .await
        .unwrap();
    let c = plan.change(&addr("orders")).unwrap();
    assert_eq!(c.action, ChangeAction::Delete);
    assert!(c.data_loss);
}

#[tokio::test(start_paused = true)]
async fn deletion_protection_refuses_replacement_until_turned_off() {
    let cloud = FakeCloud::new();
    let e = data_engine(&cloud);
    let b = MemoryBackend::new();
    let st = stack(vec![protected(db("orders"), true)]);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    assert!(e.apply(&plan, &b, &options(10)).await.unwrap().is_success());
    let before: Vec<_> = cloud
        .objects()
        .into_iter()
        .map(|(id, o)| (id, o.attrs))
        .collect();

    // A force-new change while protected: refused at plan time.
    let changed = renamed(&st, "orders", "orders-v2");
    let err = e
        .plan(&changed, &b, &PlanOptions::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("deletion protection is on"), "{err}");
    assert!(err.contains("because of name"), "{err}");
    assert!(
        err.contains("deletion_protection: false"),
        "the hint: {err}"
    );
    // So is a destroy.
    let err = e
        .plan_destroy(&st, &b, &PlanOptions::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("would be destroyed"), "{err}");
    let after: Vec<_> = cloud
        .objects()
        .into_iter()
        .map(|(id, o)| (id, o.attrs))
        .collect();
    assert_eq!(after, before, "nothing changed");

    // Turning the protection off is an in-place update...
    let off = stack(vec![protected(db("orders"), false)]);
    let plan = e.plan(&off, &b, &PlanOptions::default()).await.unwrap();
    assert_eq!(
        plan.change(&addr("orders")).unwrap().action,
        ChangeAction::Update
    );
    assert!(e.apply(&plan, &b, &options(10)).await.unwrap().is_success());
    // ...after which the replacement goes through.
    let plan = e
        .plan(
            &renamed(&off, "orders", "orders-v2"),
            &b,
            &PlanOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        plan.change(&addr("orders")).unwrap().action,
        ChangeAction::Replace
    );
    let r = e.apply(&plan, &b, &options(10)).await.unwrap();
    assert!(r.is_success(), "{r:?}");
    let names: Vec<Value> = cloud
        .objects()
        .values()
        .filter_map(|o| o.attrs.get("name").cloned())
        .collect();
    assert_eq!(names, [Value::from("orders-v2")]);
}
