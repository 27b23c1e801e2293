//! Snapshots of the human rendering of plans, for every kind of change,
//! from forge-testkit's sample plans (forge-engine pins their JSON form).

#![allow(clippy::unwrap_used)]

use forge_cli::render::render_plan;
use forge_engine::Plan;
use forge_testkit::samples;

fn check(name: &str, plan: &Plan) {
    insta::assert_snapshot!(format!("{name}_human"), render_plan(plan, false));
}

#[tokio::test(start_paused = true)]
async fn create_with_unknown_and_sensitive() {
    let plan = samples::create().await.unwrap();
    let text = render_plan(&plan, false);
    assert!(!text.contains("hunter2"));
    check("create", &plan);
    // Colour only when asked.
    assert!(render_plan(&plan, true).contains("\u{1b}["));
    assert!(!text.contains("\u{1b}["));
}

#[tokio::test(start_paused = true)]
async fn update_replace_delete_and_no_op() {
    let (mixed, no_op) = samples::mixed_and_no_op().await.unwrap();
    assert!(!render_plan(&mixed, false).contains("secret\""));
    check("mixed", &mixed);
    check("no_op", &no_op);
}

#[tokio::test(start_paused = true)]
async fn adopt() {
    check("adopt", &samples::adopt().await.unwrap());
}
