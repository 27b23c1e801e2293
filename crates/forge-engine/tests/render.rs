//! Snapshots of the plan's JSON form (`forge plan --json`) for every kind
//! of change, from forge-testkit's sample plans (forge-cli pins their
//! human rendering).

#![allow(clippy::unwrap_used)]

use forge_engine::Plan;
use forge_testkit::samples;

fn stable_json(plan: &Plan) -> serde_json::Value {
    let mut j = plan.to_json();
    j["created_at"] = "[created_at]".into();
    j["lineage"] = "[lineage]".into();
    j["serial"] = "[serial]".into();
    j
}

fn check(name: &str, plan: &Plan) {
    insta::assert_json_snapshot!(format!("{name}_json"), stable_json(plan));
}

#[tokio::test(start_paused = true)]
async fn create_with_unknown_and_sensitive() {
    let plan = samples::create().await.unwrap();
    assert!(!plan.to_json_string().contains("hunter2"));
    check("create", &plan);
}

#[tokio::test(start_paused = true)]
async fn update_replace_delete_and_no_op() {
    let (mixed, no_op) = samples::mixed_and_no_op().await.unwrap();
    let json = mixed.to_json_string();
    assert!(!json.contains("old-secret") && !json.contains("new-secret"));
    check("mixed", &mixed);
    check("no_op", &no_op);
}

#[tokio::test(start_paused = true)]
async fn adopt() {
    check("adopt", &samples::adopt().await.unwrap());
}
