//! `import:`, `moved:` and `removed:` blocks planned and applied against
//! the fake cloud: imports record existing objects (and then change them
//! as the spec asks) without creating anything, moves rename records
//! without touching objects, removed blocks forget records and leave the
//! objects; saved plans carry all three.

#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use forge_core::spec::{ImportBlock, MovedBlock, RemovedBlock, SerdePos, Stack};
use forge_core::{Address, Attrs, Value};
use forge_engine::{ChangeAction, MemoryBackend, Plan, PlanOptions};
use forge_testkit::fake::FakeCloud;
use std::collections::BTreeMap;

fn pos(line: usize) -> SerdePos {
    SerdePos {
        file: "stack.yaml".into(),
        line,
        column: 3,
    }
}

fn addr(a: &str) -> Address {
    a.parse().unwrap()
}

fn importing(mut s: Stack, to: &str, id: &str) -> Stack {
    s.adoption.imports.push(ImportBlock {
        to: addr(to),
        id: id.into(),
        kind: None,
        pos: pos(7),
    });
    s
}

fn plant(cloud: &FakeCloud, name: &str, size: i64) -> String {
    let attrs = Attrs::from([
        ("name".to_string(), Value::from(name)),
        ("size".to_string(), Value::from(size)),
    ]);
    cloud.plant(KIND, attrs, BTreeMap::new())
}

async fn plan(e: &forge_engine::Engine, s: &Stack, b: &MemoryBackend) -> Plan {
    e.plan(s, b, &PlanOptions::default()).await.unwrap()
}

#[tokio::test(start_paused = true)]
async fn an_import_records_the_object_and_creates_nothing() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let id = plant(&cloud, "web", 1);
    let spec = importing(stack(vec![thing("web")]), "web", &id);
    let p = plan(&e, &spec, &b).await;
    let c = p.change(&addr("web")).unwrap();
    assert_eq!((c.action, c.import), (ChangeAction::NoOp, true));
    assert_eq!(c.id.as_deref(), Some(id.as_str()));
    assert!(p.has_changes());
    assert_eq!((p.summary().import, p.summary().add), (1, 0));
    let r = e.apply(&p, &b, &options(4)).await.unwrap();
    assert!(r.is_success(), "{r:?}");
    assert_eq!(cloud.mutation_counts(), (0, 0, 0));
    let state = b.state().unwrap();
    assert_eq!(
        state.get(&addr("web")).unwrap().id.as_deref(),
        Some(id.as_str())
    );
    // The block is done: the next plan has nothing to do.
    let again = plan(&e, &spec, &b).await;
    assert!(!again.has_changes(), "{}", again.to_json_string());
}

#[tokio::test(start_paused = true)]
async fn an_import_is_followed_by_the_update_the_spec_asks_for() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let id = plant(&cloud, "web", 3);
    let spec = importing(stack(vec![field(thing("web"), "size", 5)]), "web", &id);
    let p = plan(&e, &spec, &b).await;
    let c = p.change(&addr("web")).unwrap();
    assert_eq!((c.action, c.import), (ChangeAction::Update, true));
    // Saved and loaded, the plan still carries the import.
    let p = Plan::from_file_str(&p.to_file_string().unwrap()).unwrap();
    let r = e.apply(&p, &b, &options(4)).await.unwrap();
    assert!(r.is_success(), "{r:?}");
    assert_eq!(cloud.mutation_counts(), (0, 1, 0));
    assert_eq!(cloud.objects()[&id].attrs["size"], Value::from(5i64));
    assert!(!plan(&e, &spec, &b).await.has_changes());
}

#[tokio::test(start_paused = true)]
async fn an_import_into_a_keyed_instance_and_a_replacement_after_it() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let id = plant(&cloud, "old-name", 1);
    // `name` forces a replacement: the imported object is replaced.
    let spec = importing(stack(vec![thing("web[\"a\"]")]), "web[\"a\"]", &id);
    let p = plan(&e, &spec, &b).await;
    let c = p.change(&addr("web[\"a\"]")).unwrap();
    assert_eq!((c.action, c.import), (ChangeAction::Replace, true));
    let r = e.apply(&p, &b, &options(4)).await.unwrap();
    assert!(r.is_success(), "{r:?}");
    assert_eq!(cloud.mutation_counts(), (1, 0, 1));
    assert!(!cloud.objects().contains_key(&id));
}

#[tokio::test(start_paused = true)]
async fn an_import_of_a_missing_object_or_a_taken_address_fails_writing_nothing() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let spec = importing(stack(vec![thing("web")]), "web", "thing-999999");
    let err = e
        .plan(&spec, &b, &PlanOptions::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("stack.yaml:7:3: import block: no fake.thing with id `thing-999999`"),
        "{err}"
    );
    assert!(b.state().is_none());

    // Managed already with the same id: done; with another: an error.
    let id = plant(&cloud, "web", 1);
    let p = plan(&e, &importing(stack(vec![thing("web")]), "web", &id), &b).await;
    assert!(e.apply(&p, &b, &options(4)).await.unwrap().is_success());
    let other = plant(&cloud, "web", 1);
    let err = e
        .plan(
            &importing(stack(vec![thing("web")]), "web", &other),
            &b,
            &PlanOptions::default(),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("already records {id} at web")),
        "{err}"
    );
}

#[tokio::test(start_paused = true)]
async fn moved_blocks_rename_records_and_touch_no_object() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let first = stack(vec![thing("old"), thing("one")]);
    let p = plan(&e, &first, &b).await;
    assert!(e.apply(&p, &b, &options(4)).await.unwrap().is_success());
    let old_id = b.state().unwrap().get(&addr("old")).unwrap().id.clone();

    // `old` becomes `new`; `one` goes under `count` as `many[0]`.
    let mut next = stack(vec![
        field(thing("new"), "name", "old"),
        field(thing("many[0]"), "name", "one"),
    ]);
    for (from, to) in [("old", "new"), ("one", "many[0]")] {
        next.adoption.moved.push(MovedBlock {
            from: addr(from),
            to: addr(to),
            pos: pos(3),
        });
    }
    let p = plan(&e, &next, &b).await;
    let c = p.change(&addr("new")).unwrap();
    assert_eq!(c.action, ChangeAction::NoOp);
    assert_eq!(c.moved_from, Some(addr("old")));
    assert_eq!(p.moves.len(), 2);
    assert!(p.has_changes());
    // The JSON form: the renames, and each change's `moved_from`.
    let j = p.to_json();
    let changes: Vec<serde_json::Value> = j["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            serde_json::json!({
                "address": c["address"], "action": c["action"],
                "import": c["import"], "moved_from": c["moved_from"],
            })
        })
        .collect();
    insta::assert_json_snapshot!(
        "moved_json",
        serde_json::json!({
            "summary": j["summary"], "moved": j["moved"], "removed": j["removed"],
            "has_changes": j["has_changes"], "resource_changes": changes,
        })
    );
    let p = Plan::from_file_str(&p.to_file_string().unwrap()).unwrap();
    let before = cloud.mutation_counts();
    assert!(e.apply(&p, &b, &options(4)).await.unwrap().is_success());
    assert_eq!(cloud.mutation_counts(), before);
    let state = b.state().unwrap();
    assert_eq!(state.get(&addr("new")).unwrap().id, old_id);
    assert!(state.get(&addr("old")).is_none());
    assert!(state.get(&addr("many[0]")).is_some());
    assert!(!plan(&e, &next, &b).await.has_changes());
}

#[tokio::test(start_paused = true)]
async fn removed_blocks_forget_records_and_leave_objects() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let first = stack(vec![thing("keep"), thing("gone"), thing("bye")]);
    let p = plan(&e, &first, &b).await;
    assert!(e.apply(&p, &b, &options(4)).await.unwrap().is_success());
    let mut next = stack(vec![thing("keep")]);
    next.adoption.removed.push(RemovedBlock {
        from: addr("gone"),
        destroy: false,
        pos: pos(9),
    });
    // `destroy: true` is a delete, as if the resource just left the spec.
    next.adoption.removed.push(RemovedBlock {
        from: addr("bye"),
        destroy: true,
        pos: pos(12),
    });
    let p = plan(&e, &next, &b).await;
    assert_eq!(p.unmanage, vec![addr("gone")]);
    assert!(p.change(&addr("gone")).is_none());
    assert_eq!(p.change(&addr("bye")).unwrap().action, ChangeAction::Delete);
    assert_eq!((p.summary().forget, p.summary().destroy), (1, 1));
    assert!(e.apply(&p, &b, &options(4)).await.unwrap().is_success());
    assert_eq!(cloud.mutation_counts().2, 1);
    assert_eq!(cloud.count_of(KIND), 2);
    let state = b.state().unwrap();
    assert!(state.get(&addr("gone")).is_none());
    assert!(!plan(&e, &next, &b).await.has_changes());
}

#[tokio::test(start_paused = true)]
async fn an_undeclared_target_is_read_for_generate_spec_and_refused_otherwise() {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let id = plant(&cloud, "web", 4);
    let mut spec = stack(vec![thing("other")]);
    spec.adoption.imports.push(ImportBlock {
        to: addr("web"),
        id: id.clone(),
        kind: Some(KIND.into()),
        pos: pos(2),
    });
    let err = e
        .plan(&spec, &b, &PlanOptions::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("stack.yaml:2:3: import block: web is not declared in the spec"),
        "{err}"
    );
    let options = PlanOptions {
        generate_spec: true,
        ..PlanOptions::default()
    };
    let p = e.plan(&spec, &b, &options).await.unwrap();
    assert_eq!(p.unconfigured.len(), 1);
    let u = &p.unconfigured[0];
    assert_eq!(
        (u.address.clone(), u.id.as_str()),
        (addr("web"), id.as_str())
    );
    assert_eq!(u.attrs["size"], Value::from(4i64));
    assert!(p.change(&addr("web")).is_none());
}
