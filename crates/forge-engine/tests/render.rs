//! Snapshots of plan rendering, human and JSON, for every kind of change.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use forge_core::Value;
use forge_core::spec::Config;
use forge_engine::{CancelToken, MemoryBackend, Plan, PlanOptions};
use forge_testkit::fake::FakeCloud;

fn stable_json(plan: &Plan) -> serde_json::Value {
    let mut j = plan.to_json();
    j["created_at"] = "[created_at]".into();
    j["lineage"] = "[lineage]".into();
    j["serial"] = "[serial]".into();
    j
}

fn check(name: &str, plan: &Plan) {
    insta::assert_snapshot!(format!("{name}_human"), plan.render(false));
    insta::assert_json_snapshot!(format!("{name}_json"), stable_json(plan));
}

async fn applied(cloud: &FakeCloud, st: &forge_core::spec::Stack) -> MemoryBackend {
    let e = engine(cloud);
    let b = MemoryBackend::new();
    let plan = e.plan(st, &b, &PlanOptions::default()).await.unwrap();
    assert!(e.apply(&plan, &b, &options(10)).await.unwrap().is_success());
    b
}

#[tokio::test(start_paused = true)]
async fn create_with_unknown_and_sensitive() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let mut st = stack(vec![
        field(
            field(thing("db"), "secret", "hunter2"),
            "tags",
            Value::Map([("Team".to_string(), Value::from("data"))].into()),
        ),
        // A reference to an attribute unknown until apply evaluates to Unknown.
        dep(
            thing("app").with_field("ref", Config::Literal(Value::Unknown)),
            "db",
        ),
    ]);
    st.tags.insert("env".into(), "dev".into());
    st.outputs.push(forge_core::spec::OutputDef {
        name: "password".into(),
        value: Config::literal("hunter2"),
        sensitive: true,
        description: None,
        dependencies: Default::default(),
    });
    let plan = e
        .plan(&st, &MemoryBackend::new(), &PlanOptions::default())
        .await
        .unwrap();
    let text = plan.render(false);
    assert!(!text.contains("hunter2"));
    assert!(!plan.to_json_string().contains("hunter2"));
    check("create", &plan);
    // Colour only when asked.
    assert!(plan.render(true).contains("\u{1b}["));
    assert!(!text.contains("\u{1b}["));
}

#[tokio::test(start_paused = true)]
async fn update_replace_delete_and_no_op() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let st = stack(vec![
        field(
            field(thing("upd"), "size", 1i64),
            "tags",
            Value::Map([("Owner".to_string(), Value::from("bob"))].into()),
        ),
        thing("same"),
        field(thing("repl"), "secret", "old-secret"),
        dep(thing("gone"), "same"),
    ]);
    let b = applied(&cloud, &st).await;
    let st2 = stack(vec![
        field(
            field(thing("upd"), "size", 2i64),
            "tags",
            Value::Map([("Owner".to_string(), Value::from("alice"))].into()),
        ),
        thing("same"),
        field(
            thing("repl").with_field("name", Config::literal("repl-v2")),
            "secret",
            "new-secret",
        ),
    ]);
    let plan = e.plan(&st2, &b, &PlanOptions::default()).await.unwrap();
    assert!(!plan.render(false).contains("secret\""));
    check("mixed", &plan);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    check("no_op", &plan);
}

#[tokio::test(start_paused = true)]
async fn adopt() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let st = stack(vec![thing("orphan")]);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let cancel = CancelToken::new();
    cloud.crash_after_create("orphan", cancel.clone());
    let mut o = options(10);
    o.cancel = cancel;
    e.apply(&plan, &b, &o).await.unwrap();
    cloud.clear_crash();
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    check("adopt", &plan);
}
