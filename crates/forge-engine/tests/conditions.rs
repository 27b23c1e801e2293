//! `precondition` / `postcondition` rules against the fake provider:
//! decided at plan when known (a failure is a plan problem, nothing is
//! applied), else checked at apply right before the resource's call;
//! postconditions after it, with `self`. A failure stops the resource
//! and its dependents, and the state keeps exactly what was done.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use forge_core::spec::{Condition, Conditions, Config, Instance, OutputDef, SerdePos};
use forge_core::{Address, Value};
use forge_engine::{EngineError, MemoryBackend, PlanOptions};
use forge_testkit::fake::FakeCloud;

fn rule(condition: &str, message: &str, line: usize) -> Condition {
    Condition {
        condition: Config::template(condition),
        error_message: Config::literal(message),
        pos: Some(SerdePos {
            file: "main.yaml".into(),
            line,
            column: 20,
        }),
    }
}

fn with(mut i: Instance, pre: Vec<Condition>, post: Vec<Condition>) -> Instance {
    i.conditions = Conditions { pre, post };
    i
}

fn plan_error(e: EngineError) -> String {
    match e {
        EngineError::Plan { problems, .. } => problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        other => panic!("expected a plan error, got {other}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_known_false_precondition_fails_the_plan() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let a = with(
        field(thing("a"), "size", 3i64),
        vec![rule("${stack == \"prod\"}", "only in prod", 7)],
        vec![],
    );
    let b = MemoryBackend::new();
    let err = e
        .plan(&stack(vec![a]), &b, &PlanOptions::default())
        .await
        .err()
        .map(plan_error)
        .unwrap();
    insta::assert_snapshot!(err);
    assert_eq!(cloud.count_of(KIND), 0);
}

#[tokio::test(start_paused = true)]
async fn an_unknown_precondition_is_checked_at_apply_and_stops_dependents() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let a = thing("a");
    // Unknown at plan (a's arn is computed), false at apply.
    let b_inst = dep(
        with(
            thing("b"),
            vec![rule("${a.arn == \"nope\"}", "a must be nope", 12)],
            vec![],
        ),
        "a",
    );
    let c = dep(thing("c"), "b");
    let backend = MemoryBackend::new();
    let plan = e
        .plan(
            &stack(vec![a, b_inst, c]),
            &backend,
            &PlanOptions::default(),
        )
        .await
        .unwrap();
    let r = e.apply(&plan, &backend, &options(4)).await.unwrap();
    assert!(!r.is_success());
    assert_eq!(r.failed.len(), 1);
    assert_eq!(r.failed[0].address, Address::single("b"));
    insta::assert_snapshot!(r.failed[0].error);
    assert_eq!(
        r.skipped
            .iter()
            .map(|s| s.address.to_string())
            .collect::<Vec<_>>(),
        ["c"]
    );
    // Only `a` was made, and only `a` is recorded.
    assert_eq!(cloud.count_of(KIND), 1);
    let state = backend.state().unwrap();
    let recorded: Vec<String> = state
        .resources
        .iter()
        .map(|r| r.address.to_string())
        .collect();
    assert_eq!(recorded, ["a"]);
}

#[tokio::test(start_paused = true)]
async fn a_failed_postcondition_keeps_the_object_in_state_and_fails_the_next_plan() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let a = with(
        field(thing("a"), "size", 3i64),
        vec![],
        vec![
            rule("${self.size == 3}", "size is 3", 20),
            // Unknown at plan (the arn is computed), false after the create.
            rule("${length(self.arn) < 3}", "the arn is too long", 21),
        ],
    );
    let user = dep(thing("user"), "a");
    let st = stack(vec![a, user]);
    let backend = MemoryBackend::new();
    let plan = e
        .plan(&st, &backend, &PlanOptions::default())
        .await
        .unwrap();
    let r = e.apply(&plan, &backend, &options(4)).await.unwrap();
    assert_eq!(r.failed.len(), 1, "{:?}", r.failed);
    insta::assert_snapshot!(r.failed[0].error);
    assert_eq!(r.skipped.len(), 1);
    // The object exists and is recorded exactly as created.
    let objects = cloud.objects();
    assert_eq!(objects.len(), 1);
    let (id, obj) = objects.iter().next().unwrap();
    let state = backend.state().unwrap();
    let rec = state.get(&Address::single("a")).unwrap();
    assert_eq!(rec.id.as_deref(), Some(id.as_str()));
    assert_eq!(rec.attributes.get("size"), obj.attrs.get("size"));
    assert_eq!(state.resources.len(), 1);
    // Known now: the next plan refuses before touching anything.
    let err = e
        .plan(&st, &backend, &PlanOptions::default())
        .await
        .err()
        .map(plan_error)
        .unwrap();
    assert!(
        err.contains("postcondition of a failed: the arn is too long"),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn passing_conditions_apply_normally() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let a = thing("a");
    let b = dep(
        with(
            thing("b").with_field("ref", Config::template("${a.id}")),
            vec![rule(
                "${startswith(a.id, \"\") && stack == \"test\"}",
                "x",
                1,
            )],
            vec![rule("${self.ref == a.id && self.name == \"b\"}", "y", 2)],
        ),
        "a",
    );
    let backend = MemoryBackend::new();
    let plan = e
        .plan(&stack(vec![a, b]), &backend, &PlanOptions::default())
        .await
        .unwrap();
    let r = e.apply(&plan, &backend, &options(4)).await.unwrap();
    assert!(r.is_success(), "{:?}", r.failed);
    assert_eq!(cloud.count_of(KIND), 2);
}

#[tokio::test(start_paused = true)]
async fn output_preconditions_are_checked_at_plan() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let mut st = stack(vec![field(thing("a"), "size", 3i64)]);
    st.outputs.push(OutputDef {
        name: "size".into(),
        value: Config::literal(Value::int(3)),
        sensitive: false,
        description: None,
        dependencies: Default::default(),
        preconditions: vec![rule("${stack != \"test\"}", "not in test", 30)],
    });
    let err = e
        .plan(&st, &MemoryBackend::new(), &PlanOptions::default())
        .await
        .err()
        .map(plan_error)
        .unwrap();
    insta::assert_snapshot!(err);
}

#[tokio::test(start_paused = true)]
async fn an_output_failing_its_precondition_at_apply_is_not_recorded() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let mut st = stack(vec![thing("a")]);
    let output = |name: &str, condition: &str| OutputDef {
        name: name.into(),
        value: Config::template("${a.id}"),
        sensitive: false,
        description: None,
        dependencies: [Address::single("a")].into(),
        preconditions: vec![rule(condition, "no", 40)],
    };
    // Both unknown at plan (the arn is computed); one is false at apply.
    st.outputs.push(output("bad", "${length(a.arn) < 3}"));
    st.outputs.push(output("good", "${length(a.arn) > 3}"));
    let backend = MemoryBackend::new();
    let plan = e
        .plan(&st, &backend, &PlanOptions::default())
        .await
        .unwrap();
    let r = e.apply(&plan, &backend, &options(4)).await.unwrap();
    assert!(r.is_success(), "{:?}", r.failed);
    let outputs = backend.state().unwrap().outputs;
    assert!(outputs.contains_key("good"));
    assert!(!outputs.contains_key("bad"));
}
