//! `Engine::drift` and `Engine::accept_drift` against the fake cloud:
//! changed fields (and whether the spec still wants the recorded value),
//! deletions, orphans, classified changes, pending spec changes, errors,
//! read-only behaviour, request counts, the report's JSON schema, and a
//! snapshot of the JSON form (forge-cli renders that snapshot for people).

#![allow(clippy::unwrap_used)]

mod common;

use async_trait::async_trait;
use common::*;
use forge_core::spec::Stack;
use forge_core::{Attrs, KindSchema, Value};
use forge_engine::drift::classify::is_minor_upgrade;
use forge_engine::{
    ChangeAction, Created, DriftOptions, DriftOutcome, DriftReport, DriftSummary, Engine,
    EngineError, FieldChange, LocalBackend, MemoryBackend, ObserveCtx, PlanOptions, Provider,
    ProviderError, ProviderRegistry, ResourceCtx, StackDrift, StateBackend,
};
use forge_testkit::fake::{FakeCloud, FakeProvider};
use forge_testkit::tag_index::FakeTagIndex;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A fake kind whose provider explains automatic minor upgrades of `ref`
/// (standing in for an engine version) as not drift.
const VERSIONED: &str = "fake.versioned";

struct Versioned(FakeProvider);

#[async_trait]
impl Provider for Versioned {
    fn schema(&self) -> &KindSchema {
        self.0.schema()
    }
    async fn observe(
        &self,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        self.0.observe(ctx, ids).await
    }
    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        token: &str,
    ) -> Result<Created, ProviderError> {
        self.0.create(ctx, desired, token).await
    }
    async fn update(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Attrs,
        desired: &Attrs,
        changes: &[FieldChange],
    ) -> Result<Attrs, ProviderError> {
        self.0.update(ctx, id, prior, desired, changes).await
    }
    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Attrs,
    ) -> Result<(), ProviderError> {
        self.0.delete(ctx, id, prior).await
    }
    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        self.0.find_orphan(ctx, token).await
    }
    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        self.0.list_tagged(ctx).await
    }
    fn classify_change(
        &self,
        path: &str,
        recorded: &Value,
        live: &Value,
        _: &Attrs,
    ) -> Option<String> {
        (path == "ref" && is_minor_upgrade(recorded, live))
            .then(|| "automatic minor version upgrade".to_string())
    }
}

fn drift_engine(cloud: &FakeCloud) -> Engine {
    let mut r = ProviderRegistry::new();
    r.register(FakeProvider::arc(KIND, cloud));
    r.register(Arc::new(Versioned(FakeProvider::new(VERSIONED, cloud))));
    Engine::new(r)
}

fn tags(pairs: &[(&str, &str)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(*v)))
            .collect(),
    )
}

/// web (size 2, tags), db (secret, ignore_changes on tags.Backup), cache
/// (versioned, ref "15.4"), logs.
fn spec() -> Stack {
    let mut db = field(thing("db"), "secret", "hunter2");
    db = field(db, "tags", tags(&[("Team", "data")]));
    db.lifecycle.ignore_changes = vec!["tags.Backup".into()];
    stack(vec![
        field(
            field(thing("web"), "size", Value::int(2)),
            "tags",
            tags(&[("Team", "web")]),
        ),
        db,
        field(of_kind("cache", VERSIONED), "ref", "15.4"),
        thing("logs"),
    ])
}

async fn apply(e: &Engine, st: &Stack, b: &dyn StateBackend) {
    let plan = e.plan(st, b, &PlanOptions::default()).await.unwrap();
    let report = e.apply(&plan, b, &options(4)).await.unwrap();
    assert!(report.is_success(), "{report:?}");
}

/// The ownership tags of `address` in the state held by `b`.
fn owned_in(b: &MemoryBackend, address: &str) -> BTreeMap<String, String> {
    let state = b.state().expect("a state");
    forge_engine::Owner::of_state(&state).system_tags(&address.parse().expect("an address"))
}

fn id_of(cloud: &FakeCloud, name: &str) -> String {
    cloud
        .objects()
        .into_iter()
        .find(|(_, o)| o.attrs.get("name") == Some(&Value::from(name)))
        .map(|(id, _)| id)
        .unwrap()
}

fn fast() -> DriftOptions {
    DriftOptions {
        retry: fast_retry(),
        ..DriftOptions::default()
    }
}

/// The report with its time and lineage fixed, for snapshots.
fn stable(mut r: DriftReport) -> DriftReport {
    r.checked_at = "2030-01-01T00:00:00Z".parse().unwrap();
    r.state_lineage = r.state_lineage.map(|_| "[lineage]".into());
    r
}

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../state-schema/drift-report.v1.schema.json"
    ))
    .unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

fn assert_valid(text: &str) {
    let json: serde_json::Value = serde_json::from_str(text).unwrap();
    let v = validator();
    let errors: Vec<String> = v
        .iter_errors(&json)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{text}");
}

#[tokio::test(start_paused = true)]
async fn clean_after_apply_with_one_observe_and_one_list_per_kind() {
    let cloud = FakeCloud::new();
    let e = drift_engine(&cloud);
    let st = spec();
    let b = MemoryBackend::new();
    apply(&e, &st, &b).await;
    let (observes, lists) = (cloud.observe_calls(KIND), cloud.list_tagged_calls(KIND));

    let r = e.drift(&st, &b, &fast()).await.unwrap();
    assert_eq!(r.outcome, DriftOutcome::NoDrift, "{}", r.to_json_string());
    assert_eq!(r.resources_checked, 4);
    assert!(r.drifted.is_empty() && r.deleted.is_empty() && r.orphans.is_empty());
    assert!(r.classified.is_empty() && r.pending_spec_changes.is_empty());
    assert!(r.errors.is_empty());
    // Three fake.thing resources, one batched observe and one list.
    assert_eq!(cloud.observe_calls(KIND) - observes, 1);
    assert_eq!(cloud.observe_batch_sizes(KIND).last(), Some(&3));
    assert_eq!(cloud.list_tagged_calls(KIND) - lists, 1);
    assert_eq!(cloud.mutation_counts(), (4, 0, 0), "drift changed nothing");
    assert_valid(&r.to_json_string());
}

#[tokio::test(start_paused = true)]
async fn changed_fields_deleted_orphans_classified_and_pending() {
    let cloud = FakeCloud::new();
    let e = drift_engine(&cloud);
    let mut st = spec();
    let b = MemoryBackend::new();
    apply(&e, &st, &b).await;

    // Behind forge's back: web resized and retagged, the db's secret
    // changed and its ignored tag set, cache upgraded 15.4 -> 15.6, a
    // computed attribute changed, logs deleted, and a tagged resource
    // created by hand.
    let web = id_of(&cloud, "web");
    cloud.tamper(&web, "size", Value::int(8));
    cloud.tamper(&web, "tags", tags(&[("Team", "ops"), ("Owner", "eve")]));
    cloud.tamper(&web, "arn", "arn:fake:changed".into());
    let db = id_of(&cloud, "db");
    cloud.tamper(&db, "secret", "swordfish".into());
    cloud.tamper(&db, "tags", tags(&[("Team", "data"), ("Backup", "daily")]));
    // A resize AWS holds for the db's maintenance window: shown, not drift.
    let held = BTreeMap::from([("size".to_string(), Value::int(4))]);
    cloud.tamper(&db, "pending_modified_values", Value::Map(held));
    let cache = id_of(&cloud, "cache");
    cloud.tamper(&cache, "ref", "15.6".into());
    cloud.vanish(&id_of(&cloud, "logs"));
    let stray = cloud.plant(
        KIND,
        Attrs::from([("name".to_string(), Value::from("stray"))]),
        owned_in(&b, "stray"),
    );
    // Another stack's resource is not an orphan of this one.
    cloud.plant(
        KIND,
        Attrs::new(),
        BTreeMap::from([("forge:stack".to_string(), "other".to_string())]),
    );
    // And the spec moved on: web's Team tag is now "platform" (so the
    // spec no longer wants the recorded "web"), and a new resource.
    let web_inst = st
        .instances
        .iter_mut()
        .find(|i| i.address.to_string() == "web")
        .unwrap();
    *web_inst = field(
        field(thing("web"), "size", Value::int(2)),
        "tags",
        tags(&[("Team", "platform")]),
    );
    st.instances.push(thing("queue"));
    st.instances.sort_by(|a, b| a.address.cmp(&b.address));

    let r = e.drift(&st, &b, &fast()).await.unwrap();
    let text = r.to_json_string();
    assert_eq!(r.outcome, DriftOutcome::Drift, "{text}");
    assert_eq!(r.resources_checked, 4);

    let addrs: Vec<&str> = r.drifted.iter().map(|d| d.address.as_str()).collect();
    assert_eq!(addrs, ["db", "web"], "{text}");
    let web_fields: Vec<(&str, String, String, bool)> = r.drifted[1]
        .fields
        .iter()
        .map(|f| {
            (
                f.path.as_str(),
                f.recorded.to_string(),
                f.live.to_string(),
                f.spec_wants_recorded,
            )
        })
        .collect();
    assert_eq!(
        web_fields,
        [
            ("size", "2".into(), "8".into(), true),
            ("tags.Owner", "null".into(), "\"eve\"".into(), true),
            ("tags.Team", "\"web\"".into(), "\"ops\"".into(), false),
        ],
        "{text}"
    );
    assert_eq!(r.drifted[1].id, web);
    // The secret changed: reported, masked on both sides.
    let secret = &r.drifted[0].fields;
    assert_eq!(secret.len(), 1, "{text}");
    assert_eq!(secret[0].path, "secret");
    assert_eq!(secret[0].recorded, "(sensitive)");
    assert_eq!(secret[0].live, "(sensitive)");
    assert!(!text.contains("swordfish"));
    assert!(!text.contains("hunter2"));

    assert_eq!(r.deleted.len(), 1);
    assert_eq!(r.deleted[0].address, "logs");
    assert!(r.deleted[0].in_spec);

    assert_eq!(r.orphans.len(), 1, "{text}");
    assert_eq!(r.orphans[0].id, stray);
    assert_eq!(r.orphans[0].address_tag.as_deref(), Some("stray"));

    let classified: Vec<(&str, &str, &str)> = r
        .classified
        .iter()
        .map(|c| (c.address.as_str(), c.path.as_str(), c.reason.as_str()))
        .collect();
    assert_eq!(
        classified,
        [
            ("cache", "ref", "automatic minor version upgrade"),
            ("db", "tags.Backup", "covered by lifecycle.ignore_changes"),
        ]
    );

    let pending: Vec<(&str, &str)> = r
        .pending_spec_changes
        .iter()
        .map(|p| (p.address.as_str(), p.action.as_str()))
        .collect();
    assert_eq!(pending, [("queue", "create"), ("web", "update")]);
    assert_eq!(r.pending_spec_changes[1].fields[0].path, "tags.Team");
    assert_eq!(r.pending_spec_changes[1].fields[0].desired, "platform");

    let held: Vec<(&str, &str, String, String)> = r
        .pending_maintenance
        .iter()
        .flat_map(|p| {
            p.fields.iter().map(move |f| {
                (
                    p.address.as_str(),
                    f.path.as_str(),
                    f.live.to_string(),
                    f.pending.to_string(),
                )
            })
        })
        .collect();
    assert_eq!(held, [("db", "size", "1".into(), "4".into())], "{text}");

    assert_valid(&r.to_json_string());
    // forge-cli's rendering test reads this snapshot as its input.
    insta::assert_json_snapshot!("drift_json", stable(r));
}

#[tokio::test(start_paused = true)]
async fn spec_change_alone_is_not_drift() {
    let cloud = FakeCloud::new();
    let e = drift_engine(&cloud);
    let st = spec();
    let b = MemoryBackend::new();
    apply(&e, &st, &b).await;
    let changed = stack(
        st.instances
            .iter()
            .map(|i| {
                if i.address.to_string() == "web" {
                    field(i.clone(), "size", Value::int(3))
                } else {
                    i.clone()
                }
            })
            .collect(),
    );
    let r = e.drift(&changed, &b, &fast()).await.unwrap();
    assert_eq!(r.outcome, DriftOutcome::NoDrift, "{}", r.to_json_string());
    assert_eq!(r.pending_spec_changes.len(), 1);
    let f = &r.pending_spec_changes[0].fields[0];
    assert_eq!(
        (f.path.as_str(), f.recorded.clone(), f.desired.clone()),
        ("size", 2.into(), 3.into())
    );
}

#[tokio::test(start_paused = true)]
async fn any_failure_is_an_error_never_no_drift() {
    let cloud = FakeCloud::new();
    let e = drift_engine(&cloud);
    let st = spec();
    let b = MemoryBackend::new();
    apply(&e, &st, &b).await;
    // The versioned kind's API refuses our credentials; the other kind is
    // still checked and its drift still reported.
    cloud.fail_observe(
        VERSIONED,
        ProviderError::Credentials("ExpiredToken: the security token has expired".into()),
    );
    cloud.tamper(&id_of(&cloud, "web"), "size", Value::int(9));
    let r = e.drift(&st, &b, &fast()).await.unwrap();
    assert_eq!(r.outcome, DriftOutcome::Error);
    assert_eq!(r.resources_checked, 3, "the failed group is not counted");
    assert_eq!(r.drifted.len(), 1);
    // One from observe, one from list_tagged.
    assert_eq!(r.errors.len(), 2, "{:#?}", r.errors);
    assert!(
        r.errors
            .iter()
            .all(|e| e.kind.as_deref() == Some(VERSIONED))
    );
    assert!(r.errors[0].message.contains("ExpiredToken"));
    assert_valid(&r.to_json_string());

    // A throttled API is retried, and then it is no error.
    cloud.heal_observe(VERSIONED);
    let r = e.drift(&st, &b, &fast()).await.unwrap();
    assert_eq!(r.outcome, DriftOutcome::Drift);

    // Only errors, no drift: still an error.
    cloud.tamper(&id_of(&cloud, "web"), "size", Value::int(2));
    cloud.fail_observe(
        KIND,
        ProviderError::Transient {
            message: "HTTP 500".into(),
        },
    );
    let r = e.drift(&st, &b, &fast()).await.unwrap();
    assert_eq!(r.outcome, DriftOutcome::Error);
    assert!(r.drifted.is_empty() && r.deleted.is_empty());
}

#[tokio::test(start_paused = true)]
async fn unreadable_or_foreign_state_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(&path, "{ not json").unwrap();
    let cloud = FakeCloud::new();
    let e = drift_engine(&cloud);
    let err = e
        .drift(&spec(), &LocalBackend::new(&path), &fast())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not valid"), "{err}");

    let b = MemoryBackend::new();
    apply(&e, &spec(), &b).await;
    let other = forge_testkit::stack("other", vec![thing("web")]);
    let err = e.drift(&other, &b, &fast()).await.unwrap_err();
    assert!(err.to_string().contains("belongs to stack `test`"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn drift_is_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.json");
    let b = LocalBackend::new(&path);
    let cloud = FakeCloud::new();
    let e = drift_engine(&cloud);
    let st = spec();
    apply(&e, &st, &b).await;
    cloud.tamper(&id_of(&cloud, "web"), "size", Value::int(8));
    cloud.vanish(&id_of(&cloud, "logs"));
    let before = std::fs::read(&path).unwrap();
    let files_before: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();

    let r = e.drift(&st, &b, &fast()).await.unwrap();
    assert_eq!(r.outcome, DriftOutcome::Drift);

    assert_eq!(std::fs::read(&path).unwrap(), before, "state file changed");
    let mut files_after: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    files_after.sort();
    let mut files_before = files_before;
    files_before.sort();
    assert_eq!(files_after, files_before, "drift left files behind");
    assert!(!b.lock_path().exists());
    assert!(b.lock_info().await.unwrap().is_none());
    assert_eq!(cloud.mutation_counts(), (4, 0, 0));

    // A lock held by someone else does not stop a drift check.
    let guard = b
        .lock(forge_engine::LockInfo::new(
            "apply",
            chrono::Duration::minutes(5),
        ))
        .await
        .unwrap();
    assert!(e.drift(&st, &b, &fast()).await.is_ok());
    b.unlock(&guard.info.id).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn refresh_accepts_drift_and_apply_reverts_it() {
    let cloud = FakeCloud::new();
    let e = drift_engine(&cloud);
    let st = spec();
    let b = MemoryBackend::new();
    apply(&e, &st, &b).await;
    let web = id_of(&cloud, "web");
    cloud.tamper(&web, "size", Value::int(8));
    cloud.vanish(&id_of(&cloud, "logs"));
    let report = e.drift(&st, &b, &fast()).await.unwrap();
    assert_eq!(report.outcome, DriftOutcome::Drift);

    // A write since the report: refused, nothing written.
    let stale = {
        let mut r = report.clone();
        r.state_serial -= 1;
        r
    };
    let serial = b.read().await.unwrap().0.unwrap().serial;
    let err = e
        .accept_drift(&st, &b, &stale, &fast_retry())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("changed since it was read"),
        "{err}"
    );
    assert_eq!(b.read().await.unwrap().0.unwrap().serial, serial);
    assert!(b.lock_info().await.unwrap().is_none());

    let state = e
        .accept_drift(&st, &b, &report, &fast_retry())
        .await
        .unwrap();
    assert_eq!(state.serial, serial + 1);
    assert!(
        state.get(&"logs".parse().unwrap()).is_none(),
        "deleted resource forgotten"
    );
    assert!(b.lock_info().await.unwrap().is_none());

    // The state took the live values: no drift any more; the spec still
    // wants size 2 and logs, which are now pending spec changes.
    let r = e.drift(&st, &b, &fast()).await.unwrap();
    assert_eq!(r.outcome, DriftOutcome::NoDrift, "{}", r.to_json_string());
    let pending: Vec<(&str, &str)> = r
        .pending_spec_changes
        .iter()
        .map(|p| (p.address.as_str(), p.action.as_str()))
        .collect();
    assert_eq!(pending, [("logs", "create"), ("web", "update")]);

    // Apply reverts the drift.
    apply(&e, &st, &b).await;
    assert_eq!(cloud.objects()[&web].attrs["size"], Value::int(2));
    let r = e.drift(&st, &b, &fast()).await.unwrap();
    assert_eq!(r.outcome, DriftOutcome::NoDrift);
    assert!(r.pending_spec_changes.is_empty());
}

#[tokio::test(start_paused = true)]
async fn no_state_yet_lists_orphans_and_creates() {
    let cloud = FakeCloud::new();
    let mut r = ProviderRegistry::new();
    r.register(FakeProvider::arc(KIND, &cloud));
    r.register(Arc::new(Versioned(FakeProvider::new(VERSIONED, &cloud))));
    r.set_tag_index(Arc::new(FakeTagIndex::new(&cloud, &[KIND, VERSIONED])));
    let e = Engine::new(r);
    // A state lost after an apply: everything tagged by a state of this
    // stack and environment is an unconfirmed orphan (it may be the lost
    // state's, or another copy's: never adopted).
    let b = MemoryBackend::new();
    apply(&e, &spec(), &b).await;
    let fresh = MemoryBackend::new();
    let r = e.drift(&spec(), &fresh, &fast()).await.unwrap();
    assert_eq!(r.outcome, DriftOutcome::Drift);
    assert_eq!(r.state_lineage, None);
    assert_eq!(r.resources_checked, 0);
    assert_eq!(r.orphans.len(), 4);
    assert!(r.orphans.iter().all(|o| o.unconfirmed));
    assert_eq!(r.pending_spec_changes.len(), 4);
    assert_valid(&r.to_json_string());
}

#[test]
fn summary_takes_the_worst_outcome_and_validates() {
    let ok = DriftReport::new("a", Some("dev".into()));
    let mut drifted = DriftReport::new("b", Some("prod".into()));
    drifted.deleted.push(forge_engine::DeletedResource {
        address: "x".into(),
        kind: KIND.into(),
        region: "eu-west-1".into(),
        id: "x-1".into(),
        in_spec: true,
    });
    drifted.finish();
    let at = "2030-01-01T00:00:00Z".parse().unwrap();
    let mut ok_fixed = ok.clone();
    ok_fixed.checked_at = at;
    drifted.checked_at = at;
    let s = DriftSummary::new(
        at,
        vec![
            StackDrift::checked("specs/b".into(), Some("prod".into()), 1.25, drifted.clone()),
            StackDrift::checked("specs/a".into(), Some("dev".into()), 0.5, ok_fixed.clone()),
        ],
    );
    assert_eq!(s.outcome, DriftOutcome::Drift);
    assert_eq!(s.stacks[0].path, "specs/a");
    assert_valid(&s.to_json_string());
    let with_error = DriftSummary::new(
        at,
        vec![
            StackDrift::checked("specs/b".into(), Some("prod".into()), 1.25, drifted),
            StackDrift::failed("specs/c".into(), None, 0.1, "2 errors in the spec".into()),
            StackDrift::checked("specs/a".into(), Some("dev".into()), 0.5, ok_fixed),
        ],
    );
    assert_eq!(with_error.outcome, DriftOutcome::Error);
    assert_valid(&with_error.to_json_string());
}

#[tokio::test(start_paused = true)]
async fn other_environments_of_the_stack_are_not_orphans() {
    let cloud = FakeCloud::new();
    let e = drift_engine(&cloud);
    let mut st = stack(vec![thing("web")]);
    st.environment = Some("dev".into());
    st.tags.insert("Environment".into(), "dev".into());
    let b = MemoryBackend::new();
    apply(&e, &st, &b).await;
    let owned = |address: &str| owned_in(&b, address);
    let with_env = |env: &str| {
        Attrs::from([(
            "tags".to_string(),
            tags(&[("Environment", env), ("Name", "web")]),
        )])
    };
    // prod's web, in the same account: same stack name and address, even
    // the same environment tag (a copy of the stack): another lineage.
    let mut prod = owned("web");
    prod.insert("forge:state".into(), "another-lineage".into());
    cloud.plant(KIND, with_env("prod"), prod.clone());
    cloud.plant(KIND, with_env("dev"), prod);
    let stray_dev = cloud.plant(KIND, with_env("dev"), owned("web"));
    let untagged = cloud.plant(KIND, Attrs::new(), owned("extra"));
    let (observes, lists) = (cloud.observe_calls(KIND), cloud.list_tagged_calls(KIND));

    let r = e.drift(&st, &b, &fast()).await.unwrap();
    let ids: Vec<&str> = r.orphans.iter().map(|o| o.id.as_str()).collect();
    let mut want = vec![stray_dev.as_str(), untagged.as_str()];
    want.sort();
    assert_eq!(ids, want, "{}", r.to_json_string());
    // One observe of the state's resources, one of the candidates.
    assert_eq!(cloud.observe_calls(KIND) - observes, 2);
    assert_eq!(cloud.list_tagged_calls(KIND) - lists, 1);
}

#[tokio::test(start_paused = true)]
async fn tag_index_replaces_list_tagged_for_the_kinds_it_covers() {
    let cloud = FakeCloud::new();
    let mut r = ProviderRegistry::new();
    r.register(FakeProvider::arc(KIND, &cloud));
    r.register(Arc::new(Versioned(FakeProvider::new(VERSIONED, &cloud))));
    let index = Arc::new(FakeTagIndex::new(&cloud, &[KIND]).lagging());
    r.set_tag_index(index.clone());
    let e = Engine::new(r);
    let mut st = spec();
    st.environment = Some("dev".into());
    st.tags.insert("Environment".into(), "dev".into());
    let b = MemoryBackend::new();
    apply(&e, &st, &b).await;
    let (observes, lists) = (cloud.observe_calls(KIND), cloud.list_tagged_calls(KIND));
    let versioned_lists = cloud.list_tagged_calls(VERSIONED);

    // Clean: one index call for the region, no list of the covered kind,
    // the uncovered kind still listed; the index's stale entry is dropped
    // by the observe that confirms candidates.
    let clean = e.drift(&st, &b, &fast()).await.unwrap();
    assert_eq!(index.calls(), 1);
    assert_eq!(cloud.list_tagged_calls(KIND) - lists, 0);
    assert_eq!(cloud.list_tagged_calls(VERSIONED) - versioned_lists, 1);
    assert_eq!(
        clean.outcome,
        DriftOutcome::NoDrift,
        "{}",
        clean.to_json_string()
    );
    // The state's observe, and the one confirming the stale candidate.
    assert_eq!(cloud.observe_calls(KIND) - observes, 2);

    // Orphans: one of this environment (reported, with its address tag),
    // one of prod (left out by the index's tags, never observed).
    let owned = |address: &str| owned_in(&b, address);
    let with_env = |env: &str| {
        Attrs::from([(
            "tags".to_string(),
            tags(&[("Environment", env), ("Name", "web")]),
        )])
    };
    let stray = cloud.plant(KIND, with_env("dev"), owned("stray"));
    let mut prod = owned("web");
    prod.insert("forge:state".into(), "another-lineage".into());
    cloud.plant(KIND, with_env("prod"), prod);
    let observes = cloud.observe_calls(KIND);
    let r = e.drift(&st, &b, &fast()).await.unwrap();
    let ids: Vec<&str> = r.orphans.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, vec![stray.as_str()], "{}", r.to_json_string());
    assert_eq!(r.orphans[0].address_tag.as_deref(), Some("stray"));
    assert_eq!(r.orphans[0].kind, KIND);
    assert_eq!(cloud.observe_calls(KIND) - observes, 2);
    assert_eq!(
        cloud.observe_batch_sizes(KIND).last(),
        Some(&2),
        "the stray and the stale entry, in one batch"
    );

    // An index that fails (not allowed, say) falls back to list_tagged:
    // same findings, no error.
    let mut r2 = ProviderRegistry::new();
    r2.register(FakeProvider::arc(KIND, &cloud));
    r2.register(Arc::new(Versioned(FakeProvider::new(VERSIONED, &cloud))));
    r2.set_tag_index(Arc::new(FakeTagIndex::new(&cloud, &[KIND]).failing()));
    let lists = cloud.list_tagged_calls(KIND);
    let fallback = Engine::new(r2).drift(&st, &b, &fast()).await.unwrap();
    assert_eq!(cloud.list_tagged_calls(KIND) - lists, 1);
    assert!(fallback.errors.is_empty(), "{:?}", fallback.errors);
    let ids: Vec<&str> = fallback.orphans.iter().map(|o| o.id.as_str()).collect();
    assert_eq!(ids, vec![stray.as_str()], "{}", fallback.to_json_string());
}

/// A scheduled check is given no secrets: the spec's fields that depend on
/// a sensitive var with no value are not compared (the recorded value is
/// kept, nothing is pending), the report names them, and the verdict is
/// still "no drift". A plan made that way is for review only: apply
/// refuses it.
#[tokio::test(start_paused = true)]
async fn a_secret_var_without_value_is_not_compared_and_never_applied() {
    let cloud = FakeCloud::new();
    let e = drift_engine(&cloud);
    let mut st = spec();
    st.vars
        .insert("db_password".into(), Value::from("hunter2").sensitive());
    let b = MemoryBackend::new();
    apply(&e, &st, &b).await;

    // As loaded without the secret: the var and what depends on it unknown.
    let mut read_only = st.clone();
    read_only
        .vars
        .insert("db_password".into(), Value::Unknown.sensitive());
    for inst in &mut read_only.instances {
        if inst.address.to_string() == "db" {
            inst.fields.insert(
                "secret".into(),
                forge_core::spec::Config::literal(Value::Unknown.sensitive()),
            );
        }
    }
    assert_eq!(read_only.unset_vars(), ["db_password"]);

    let r = e.drift(&read_only, &b, &fast()).await.unwrap();
    let text = r.to_json_string();
    assert_eq!(r.outcome, DriftOutcome::NoDrift, "{text}");
    assert!(r.pending_spec_changes.is_empty(), "{text}");
    assert_eq!(r.unset_vars, ["db_password"]);
    assert_eq!(
        r.not_compared,
        [forge_engine::NotCompared {
            address: "db".into(),
            paths: vec!["secret".into()],
        }]
    );
    assert!(!text.contains("hunter2"));
    assert_valid(&text);

    let plan = e
        .plan(&read_only, &b, &PlanOptions::default())
        .await
        .unwrap();
    let db = plan
        .changes
        .iter()
        .find(|c| c.address.to_string() == "db")
        .unwrap();
    assert_eq!(db.action, ChangeAction::NoOp);
    assert_eq!(db.not_compared, ["secret"]);
    assert!(
        db.warnings
            .iter()
            .any(|w| w.contains("not compared: secret") && w.contains("`db_password`")),
        "{:?}",
        db.warnings
    );
    let refused = e.apply(&plan, &b, &options(4)).await;
    assert!(
        matches!(&refused, Err(EngineError::UnsetVars(v)) if v == &["db_password"]),
        "{refused:?}"
    );
    assert_eq!(cloud.mutation_counts(), (4, 0, 0), "nothing changed");
}
