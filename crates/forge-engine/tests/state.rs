//! State files: JSON Schema conformance of every state the engine writes,
//! atomic local writes with backup, compare-and-swap, locking.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use forge_engine::state::{LocalBackend, LockError, LockInfo, State, StateBackend, VersionToken};
use forge_engine::{BackendError, MemoryBackend, PlanOptions};
use forge_testkit::fake::FakeCloud;

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../state-schema/forge-state.v1.schema.json"
    ))
    .unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

fn assert_valid(v: &jsonschema::Validator, text: &[u8]) {
    let json: serde_json::Value = serde_json::from_slice(text).unwrap();
    let errors: Vec<String> = v
        .iter_errors(&json)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{errors:#?}\n{}",
        String::from_utf8_lossy(text)
    );
}

#[tokio::test(start_paused = true)]
async fn every_written_state_validates_against_the_schema() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new().keep_history(true);
    let mut a = field(thing("a"), "secret", "hunter2");
    a.lifecycle.prevent_destroy = true;
    let mut st = stack(vec![
        a,
        dep(thing("b"), "a"),
        of_kind("c[\"k\"]", "fake.thing"),
    ]);
    st.outputs.push(forge_core::spec::OutputDef {
        name: "out".into(),
        value: forge_core::spec::Config::literal("v"),
        sensitive: true,
        description: None,
        dependencies: Default::default(),
        preconditions: Vec::new(),
    });
    let plan = e.plan(&st, &b, &PlanOptions::default()).await.unwrap();
    let r = e.apply(&plan, &b, &options(10)).await.unwrap();
    assert!(r.is_success(), "{r:?}");
    assert_eq!(r.outputs["out"].value, "v");
    // A crash leaves a pending intent; that state must validate too.
    let cancel = forge_engine::CancelToken::new();
    cloud.crash_after_create("d", cancel.clone());
    let st2 = stack(vec![
        field(thing("a"), "secret", "hunter2"),
        dep(thing("b"), "a"),
        of_kind("c[\"k\"]", "fake.thing"),
        thing("d"),
    ]);
    let plan = e.plan(&st2, &b, &PlanOptions::default()).await.unwrap();
    let mut o = options(10);
    o.cancel = cancel;
    e.apply(&plan, &b, &o).await.unwrap();
    let history = b.history();
    assert!(history.len() >= 4);
    let v = validator();
    for text in &history {
        assert_valid(&v, text);
    }
    let last = String::from_utf8(history.last().unwrap().clone()).unwrap();
    assert!(!last.contains("hunter2"), "secrets are hashed");
    assert!(last.contains("\"sha256\""));
    assert!(last.contains("\"pending\""));
    // The sensitive value is not a diff although only its hash is stored.
    cloud.clear_crash();
    let plan = e.plan(&st2, &b, &PlanOptions::default()).await.unwrap();
    let ca = plan.change(&"a".parse().unwrap()).unwrap();
    assert_eq!(
        ca.action,
        forge_engine::ChangeAction::NoOp,
        "{:?}",
        ca.changes
    );
}

#[test]
fn golden_example_validates_and_parses() {
    let v = validator();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../state-schema/examples");
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read(entry.unwrap().path()).unwrap();
        assert_valid(&v, &text);
        let state = State::from_json(&text).unwrap();
        assert!(
            state.get(&"db".parse().unwrap()).unwrap().attributes["master_password"].is_sensitive()
        );
    }
}

#[tokio::test]
async fn local_writes_are_atomic_keep_a_backup_and_compare_and_swap() {
    let dir = tempfile::tempdir().unwrap();
    let b = LocalBackend::for_stack(dir.path(), "app", Some("dev"), None);
    assert!(b.path().ends_with(".forge/state/app-dev.json"));
    let (none, t0) = b.read().await.unwrap();
    assert!(none.is_none());
    let mut s = State::new("app", Some("dev".into()));
    let t1 = b.write(&s, &t0).await.unwrap();
    assert!(!b.backup_path().exists());
    s.serial = 1;
    let t2 = b.write(&s, &t1).await.unwrap();
    let backup = State::from_json(&std::fs::read(b.backup_path()).unwrap()).unwrap();
    assert_eq!(backup.serial, 0);
    let (cur, t) = b.read().await.unwrap();
    assert_eq!(cur.unwrap().serial, 1);
    assert_eq!(t, t2);
    // A stale token is a conflict, never an overwrite.
    s.serial = 2;
    let err = b.write(&s, &t1).await.unwrap_err();
    assert!(matches!(err, BackendError::Conflict { .. }), "{err}");
    assert!(matches!(
        b.write(&s, &VersionToken::absent()).await,
        Err(BackendError::Conflict { .. })
    ));
    // No temp files left behind.
    let leftovers: Vec<_> = std::fs::read_dir(b.path().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    validator();
    assert_valid(&validator(), &std::fs::read(b.path()).unwrap());
}

#[tokio::test]
async fn local_lock_is_exclusive_and_names_its_holder() {
    let dir = tempfile::tempdir().unwrap();
    let b = LocalBackend::new(dir.path().join("s.json"));
    let mut first = LockInfo::new("apply", chrono::Duration::hours(1));
    first.who = "alice@ci-7".into();
    let g = b.lock(first.clone()).await.unwrap();
    let err = b
        .lock(LockInfo::new("plan", chrono::Duration::hours(1)))
        .await
        .unwrap_err();
    match &err {
        LockError::Held { info } => assert_eq!(**info, first),
        other => panic!("{other}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("alice@ci-7") && msg.contains(&format!("forge force-unlock {}", first.id)),
        "{msg}"
    );
    assert!(matches!(
        b.unlock("wrong").await,
        Err(LockError::Mismatch { .. })
    ));
    assert_eq!(b.lock_info().await.unwrap(), Some(first.clone()));
    b.force_unlock(&g.info.id).await.unwrap();
    assert!(matches!(
        b.unlock(&g.info.id).await,
        Err(LockError::NotLocked)
    ));
    b.lock(LockInfo::new("apply", chrono::Duration::hours(1)))
        .await
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn apply_refuses_while_locked() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let plan = e
        .plan(&stack(vec![thing("a")]), &b, &PlanOptions::default())
        .await
        .unwrap();
    b.lock(LockInfo::new("apply", chrono::Duration::hours(1)))
        .await
        .unwrap();
    let err = e.apply(&plan, &b, &options(10)).await.unwrap_err();
    assert!(err.to_string().contains("force-unlock"), "{err}");
    assert_eq!(cloud.count_of(KIND), 0);
}

#[tokio::test(start_paused = true)]
async fn state_commands() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let plan = e
        .plan(
            &stack(vec![thing("a"), thing("b")]),
            &b,
            &PlanOptions::default(),
        )
        .await
        .unwrap();
    e.apply(&plan, &b, &options(10)).await.unwrap();
    assert_eq!(e.state_list(&b).await.unwrap().len(), 2);
    let shown = e.state_show(&b, &"a".parse().unwrap()).await.unwrap();
    assert_eq!(shown.kind, KIND);
    e.state_rm(&b, &"a".parse().unwrap()).await.unwrap();
    assert!(e.state_rm(&b, &"a".parse().unwrap()).await.is_err());
    e.state_mv(&b, &"b".parse().unwrap(), &"c".parse().unwrap())
        .await
        .unwrap();
    let list: Vec<String> = e
        .state_list(&b)
        .await
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(list, ["c"]);
    assert_eq!(
        cloud.count_of(KIND),
        2,
        "state commands never touch the cloud"
    );
    assert!(b.lock_info().await.unwrap().is_none(), "lock released");
}
