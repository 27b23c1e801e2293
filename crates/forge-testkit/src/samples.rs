//! Sample plans made by the real engine over the fake cloud, one per kind
//! of change: a create with unknown and sensitive values, a mix of update,
//! replace, delete and no-op, a plan with nothing to do, an adoption.
//!
//! They are shared so one plan is pinned twice: forge-engine snapshots
//! its JSON form, forge-cli its human rendering. Run them on tokio's
//! paused clock (`#[tokio::test(start_paused = true)]`): the fake cloud's
//! latency and the retries then take no real time.

use crate::fake::{FakeCloud, FakeProvider};
use forge_core::spec::{Config, Instance, OutputDef, Stack};
use forge_core::{Address, Value};
use forge_engine::{
    ApplyOptions, CancelToken, Engine, EngineError, MemoryBackend, Plan, PlanOptions,
    ProviderRegistry, RetryPolicy,
};
use std::time::Duration;

/// The kind every sample uses.
pub const KIND: &str = "fake.thing";

fn engine(cloud: &FakeCloud) -> Engine {
    let mut r = ProviderRegistry::new();
    r.register(FakeProvider::arc(KIND, cloud));
    Engine::new(r)
}

fn thing(name: &str) -> Instance {
    Instance::new(Address::single(name), KIND, "eu-west-1")
        .with_field("name", Config::literal(name))
}

fn field(i: Instance, name: &str, v: impl Into<Value>) -> Instance {
    i.with_field(name, Config::Literal(v.into()))
}

fn tags(key: &str, value: &str) -> Value {
    Value::Map([(key.to_string(), Value::from(value))].into())
}

fn stack(instances: Vec<Instance>) -> Stack {
    crate::stack("test", instances)
}

fn options() -> ApplyOptions {
    ApplyOptions {
        parallelism: 10,
        retry: RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        },
        ..Default::default()
    }
}

/// Plans and applies `stack` on a fresh state. A failed apply is not an
/// error here: it shows in the plans made against the state afterwards.
async fn applied(e: &Engine, stack: &Stack) -> Result<MemoryBackend, EngineError> {
    let b = MemoryBackend::new();
    let plan = e.plan(stack, &b, &PlanOptions::default()).await?;
    e.apply(&plan, &b, &options()).await?;
    Ok(b)
}

/// A first plan: `db` with a sensitive `secret` (`hunter2`) and tags,
/// `app` depending on it with a value unknown until apply, a stack tag and
/// a sensitive output.
pub async fn create() -> Result<Plan, EngineError> {
    let cloud = FakeCloud::new();
    let mut st = stack(vec![
        field(
            field(thing("db"), "secret", "hunter2"),
            "tags",
            tags("Team", "data"),
        ),
        // A reference to an attribute unknown until apply evaluates to Unknown.
        thing("app")
            .with_field("ref", Config::Literal(Value::Unknown))
            .with_dependency(Address::single("db")),
    ]);
    st.tags.insert("env".into(), "dev".into());
    st.outputs.push(OutputDef {
        name: "password".into(),
        value: Config::literal("hunter2"),
        sensitive: true,
        description: None,
        dependencies: Default::default(),
        preconditions: Vec::new(),
    });
    engine(&cloud)
        .plan(&st, &MemoryBackend::new(), &PlanOptions::default())
        .await
}

/// After applying `upd`, `same`, `repl` (secret `old-secret`) and `gone`:
/// the plan that updates `upd` (size and tag), replaces `repl` (new name
/// and secret `new-secret`), deletes `gone` and leaves `same`; and the
/// plan of the unchanged stack, which has nothing to do.
pub async fn mixed_and_no_op() -> Result<(Plan, Plan), EngineError> {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let st = stack(vec![
        field(
            field(thing("upd"), "size", 1i64),
            "tags",
            tags("Owner", "bob"),
        ),
        thing("same"),
        field(thing("repl"), "secret", "old-secret"),
        thing("gone").with_dependency(Address::single("same")),
    ]);
    let b = applied(&e, &st).await?;
    let st2 = stack(vec![
        field(
            field(thing("upd"), "size", 2i64),
            "tags",
            tags("Owner", "alice"),
        ),
        thing("same"),
        field(
            thing("repl").with_field("name", Config::literal("repl-v2")),
            "secret",
            "new-secret",
        ),
    ]);
    let mixed = e.plan(&st2, &b, &PlanOptions::default()).await?;
    let no_op = e.plan(&st, &b, &PlanOptions::default()).await?;
    Ok((mixed, no_op))
}

/// An apply interrupted right after creating `orphan`, before recording
/// it: the next plan adopts it.
pub async fn adopt() -> Result<Plan, EngineError> {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let b = MemoryBackend::new();
    let st = stack(vec![thing("orphan")]);
    let plan = e.plan(&st, &b, &PlanOptions::default()).await?;
    let cancel = CancelToken::new();
    cloud.crash_after_create("orphan", cancel.clone());
    let mut o = options();
    o.cancel = cancel;
    e.apply(&plan, &b, &o).await?;
    cloud.clear_crash();
    e.plan(&st, &b, &PlanOptions::default()).await
}
