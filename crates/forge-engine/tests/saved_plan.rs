//! Saved plan files: their shape (pinned), their content digest, and the
//! re-derivation of every action before an apply, so an edited plan —
//! even with its digest rewritten — never deletes or replaces what the
//! configuration keeps.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use forge_core::spec::Config;
use forge_engine::plan::seal::{SpecInputs, SpecStamp, content_digest, is_plan_text};
use forge_engine::{ChangeAction, EngineError, MemoryBackend, Plan, PlanOptions};
use forge_testkit::fake::FakeCloud;
use serde_json::Value as Json;

/// A stack with two things applied, and a plan with nothing to do but
/// update `b`'s size.
async fn applied_and_planned() -> (FakeCloud, forge_engine::Engine, MemoryBackend, Plan) {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let output = forge_core::spec::OutputDef {
        name: "kept".into(),
        value: Config::literal("x"),
        sensitive: false,
        description: None,
        dependencies: Default::default(),
        preconditions: Vec::new(),
    };
    let mut st = stack(vec![thing("a"), dep(thing("b"), "a")]);
    st.outputs.push(output.clone());
    let first = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    assert!(
        e.apply(&first, &b, &options(10))
            .await
            .unwrap()
            .is_success()
    );
    let mut st2 = stack(vec![thing("a"), field(dep(thing("b"), "a"), "size", 3i64)]);
    st2.outputs.push(output);
    let plan = e.plan(&st2, &b, &PlanOptions::default()).await.unwrap();
    (cloud, e, b, plan)
}

fn file_json(plan: &Plan) -> Json {
    serde_json::from_str(&plan.to_file_string().unwrap()).unwrap()
}

/// Rewrites the digest over the edited content, as a forger would.
fn reseal(mut j: Json) -> String {
    let digest = content_digest(j.as_object().unwrap());
    j["digest"] = digest.into();
    serde_json::to_string_pretty(&j).unwrap()
}

fn change<'a>(j: &'a mut Json, address: &str) -> &'a mut Json {
    j["changes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["address"] == address)
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn saved_plan_file_shape() {
    let (_, _, _, mut plan) = applied_and_planned().await;
    plan.spec = Some(SpecStamp::compute(
        SpecInputs {
            path: "/stacks/test".into(),
            environment: None,
            vars: vec![("size".into(), "3".into())],
            hashed_vars: Default::default(),
            var_files: Vec::new(),
            region: None,
        },
        &[("/stacks/test/stack.yaml".into(), b"stack: test\n".to_vec())],
        &Default::default(),
    ));
    let mut j = file_json(&plan);
    assert!(j["digest"].as_str().unwrap().starts_with("sha256:"));
    assert!(
        std::path::Path::new(j["config"]["root"].as_str().unwrap()).is_absolute(),
        "the stack's root is recorded absolutely"
    );
    j["digest"] = "[digest]".into();
    j["created_at"] = "[created_at]".into();
    j["lineage"] = "[lineage]".into();
    j["config"]["root"] = "[root]".into();
    for c in j["changes"].as_array_mut().unwrap() {
        for side in ["before", "after"] {
            if let Some(a) = c[side].as_object_mut() {
                for k in ["id", "arn"] {
                    if a.get(k).is_some_and(Json::is_string) {
                        a.insert(k.into(), "[cloud]".into());
                    }
                }
            }
        }
        if c["id"].is_string() {
            c["id"] = "[cloud]".into();
        }
    }
    insta::assert_json_snapshot!("saved_plan_file", j);
}

#[tokio::test(start_paused = true)]
async fn a_saved_plan_round_trips_and_is_recognized_by_content() {
    let (_, _, _, plan) = applied_and_planned().await;
    let text = plan.to_file_string().unwrap();
    assert!(is_plan_text(&text));
    assert_eq!(Plan::from_file_str(&text).unwrap(), plan);
    // The human JSON form (`plan --json`) is not a saved plan.
    assert!(!is_plan_text(&plan.to_json_string()));
    assert!(matches!(
        Plan::from_file_str(&plan.to_json_string()),
        Err(EngineError::PlanFile { .. })
    ));
}

#[tokio::test(start_paused = true)]
async fn an_edited_plan_file_is_refused_on_load() {
    let (_, _, _, plan) = applied_and_planned().await;
    let original = file_json(&plan);
    let mut edits: Vec<(&str, Json)> = Vec::new();
    let mut action = original.clone();
    change(&mut action, "a")["action"] = "delete".into();
    edits.push(("action", action));
    let mut env = original.clone();
    env["environment"] = "prod".into();
    edits.push(("environment", env));
    let mut stack_name = original.clone();
    stack_name["stack"] = "other".into();
    edits.push(("stack", stack_name));
    for (what, edited) in edits {
        let text = serde_json::to_string_pretty(&edited).unwrap();
        let err = Plan::from_file_str(&text).unwrap_err();
        assert!(
            matches!(err, EngineError::PlanModified { .. }),
            "{what}: {err}"
        );
        assert!(
            err.to_string()
                .contains("was modified after it was written"),
            "{err}"
        );
    }
    // Reformatting (whitespace, key order) is no edit.
    let compact = serde_json::to_string(&original).unwrap();
    assert_eq!(Plan::from_file_str(&compact).unwrap(), plan);
}

#[tokio::test(start_paused = true)]
async fn a_forged_delete_of_a_declared_resource_is_refused_and_changes_nothing() {
    let (cloud, e, b, plan) = applied_and_planned().await;
    let mut j = file_json(&plan);
    let a = change(&mut j, "a");
    assert_eq!(a["action"], "no_op");
    a["action"] = "delete".into();
    let forged = Plan::from_file_str(&reseal(j)).unwrap();
    let err = e.apply(&forged, &b, &options(10)).await.unwrap_err();
    assert!(matches!(err, EngineError::PlanMismatch { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("a: is planned as a delete"), "{text}");
    assert!(text.contains("still declares it"), "{text}");
    assert_eq!(cloud.count_of(KIND), 2, "nothing was deleted");
    assert_eq!(cloud.mutation_counts(), (2, 0, 0), "nothing ran");
    // The genuine plan still applies.
    assert!(e.apply(&plan, &b, &options(10)).await.unwrap().is_success());
}

#[tokio::test(start_paused = true)]
async fn forged_actions_ids_and_headers_are_refused() {
    let (cloud, e, b, plan) = applied_and_planned().await;
    let original = file_json(&plan);
    type Edit = fn(&mut Json);
    let edits: [(&str, Edit, &str); 5] = [
        (
            "update turned into a replacement",
            |j| change(j, "b")["action"] = "replace".into(),
            "differ in nothing that forces one",
        ),
        (
            "another object's id",
            |j| change(j, "b")["id"] = "thing-999999".into(),
            "but the state records",
        ),
        (
            "another environment",
            |j| j["environment"] = "prod".into(),
            "but its configuration is stack",
        ),
        (
            "a delete of a declared output",
            |j| j["output_changes"][0]["action"] = "delete".into(),
            "output `kept` is planned as a delete",
        ),
        (
            "a no-op turned into a replacement",
            |j| change(j, "a")["action"] = "replace".into(),
            "differ in nothing that forces one",
        ),
    ];
    for (what, edit, says) in edits {
        let mut j = original.clone();
        edit(&mut j);
        let forged = match Plan::from_file_str(&reseal(j)) {
            Ok(p) => p,
            Err(e) => panic!("{what}: the forged file should load: {e}"),
        };
        let err = e.apply(&forged, &b, &options(10)).await.unwrap_err();
        assert!(
            err.to_string().contains(says),
            "{what}: expected {says:?} in: {err}"
        );
    }
    assert_eq!(cloud.mutation_counts(), (2, 0, 0), "nothing ran");
}

#[tokio::test(start_paused = true)]
async fn genuine_plans_of_every_action_pass_the_check() {
    // Create, update, replace (force-new), delete and no-op in one plan.
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let st = stack(vec![
        thing("keep"),
        thing("grow"),
        thing("rename"),
        thing("gone"),
    ]);
    let p = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    assert!(e.apply(&p, &b, &options(10)).await.unwrap().is_success());
    let st2 = stack(vec![
        thing("keep"),
        field(thing("grow"), "size", 5i64),
        thing("rename").with_field("name", Config::literal("renamed")),
        thing("new"),
    ]);
    let plan = e.plan(&st2, &b, &PlanOptions::default()).await.unwrap();
    let actions: Vec<ChangeAction> = plan.changes.iter().map(|c| c.action).collect();
    for a in [
        ChangeAction::Create,
        ChangeAction::Update,
        ChangeAction::Replace,
        ChangeAction::Delete,
        ChangeAction::NoOp,
    ] {
        assert!(actions.contains(&a), "{a:?} missing from {actions:?}");
    }
    let loaded = Plan::from_file_str(&plan.to_file_string().unwrap()).unwrap();
    let r = e.apply(&loaded, &b, &options(10)).await.unwrap();
    assert!(r.is_success(), "{r:?}");
}
