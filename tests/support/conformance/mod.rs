//! The provider conformance suite: one table row per registered kind, and
//! one driver that runs the standard lifecycle of every row against the
//! emulator through the provider API, confirming each step through the
//! AWS SDK (never through forge's own `observe` alone):
//!
//! 1. create, then the row's SDK read-back matches the spec;
//! 2. observe + plan as the engine does (defaults filled, normalized,
//!    sensitive values kept from the spec) is a no-op, and so is the plan
//!    against what create returned; readiness is not failed;
//! 3. in-place update: the plan says Update, the SDK sees the new value,
//!    the re-plan is a no-op;
//! 4. forced replacement (when the kind has a force-new field): the plan
//!    says Replace; the engine's order (create-before-destroy for kinds
//!    that always do it, else delete first) leaves the old object gone and
//!    the new one live with the new value, both through the SDK;
//! 5. orphan adoption: `find_orphan` at the row's address finds the object
//!    by its ownership tags (and nothing at another address), and
//!    `list_tagged` lists it with its address; kinds that cannot carry
//!    tags say why in their row and must list nothing;
//! 6. delete: the SDK no longer sees it, observe no longer returns it, and
//!    a second delete succeeds.
//!
//! Rows only name fixtures (VPC, subnets, keys, a load balancer, ...) that
//! [`fixtures::Fixtures::build`] makes once for all rows; rows run
//! concurrently against one emulator.

pub mod fixtures;
mod rows_appautoscaling;
mod rows_cloudwatch;
mod rows_ec2;
mod rows_ecs;
mod rows_elasticache;
mod rows_elbv2;
mod rows_rds;
mod rows_security;
mod rows_sns;
mod rows_wafv2;

pub use fixtures::Fixtures;

use crate::provider_world::{Scope, desired, unmarked};
use forge_core::Attrs;
use forge_engine::diff::mark_sensitive;
use forge_engine::refresh::merge_observed;
use forge_engine::{ObserveCtx, PlannedAction, Provider, Readiness, ResourceCtx};
use serde_json::Value as Json;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The region every row runs in.
pub const REGION: &str = "us-east-1";
/// The stack the rows' objects belong to (fixtures belong to another).
pub const STACK: &str = "conformance";

/// The SDK read-back of a row: the live object's relevant fields, named
/// and shaped like the spec's, or `None` when it is gone (deleted,
/// `INACTIVE`, pending deletion, `deleting`: whatever "gone" means for
/// the kind).
pub type Read = fn(Sdk, String) -> Pin<Box<dyn Future<Output = Option<Json>> + Send>>;

/// A spec of a row, built from the shared fixtures.
pub type Spec = fn(&Fixtures) -> Json;

/// A change a row makes (an update, a replacement), or why it makes none.
pub enum Change {
    /// The spec after the change.
    By(Spec),
    /// The kind has no such change (every field is its identity, or none
    /// forces replacement), and why.
    Not(&'static str),
}

/// Whether a kind's objects carry forge's ownership tags.
pub enum Tags {
    /// They do: `find_orphan` and `list_tagged` must find them.
    Owned,
    /// They cannot, and why: `list_tagged` must list nothing.
    None(&'static str),
}

/// One kind in the suite.
pub struct Row {
    /// The kind (`aws.ec2.vpc`).
    pub kind: &'static str,
    /// What to create.
    pub spec: Spec,
    /// An in-place change of `spec`.
    pub update: Change,
    /// A change of `update` (or `spec`) that forces replacement.
    pub replace: Change,
    /// The SDK read-back.
    pub read: Read,
    /// Whether it carries ownership tags.
    pub tags: Tags,
}

/// Boxes a read-back future (keeps rows to one line of ceremony).
pub fn boxed<F>(f: F) -> Pin<Box<dyn Future<Output = Option<Json>> + Send>>
where
    F: Future<Output = Option<Json>> + Send + 'static,
{
    Box::pin(f)
}

/// SDK clients reaching the emulator directly (never forge's clients).
#[derive(Clone)]
pub struct Sdk(pub aws_config::SdkConfig);

macro_rules! clients {
    ($($name:ident: $ty:ty),* $(,)?) => {
        impl Sdk {
            $(
                #[doc = concat!("A `", stringify!($ty), "`.")]
                pub fn $name(&self) -> $ty {
                    <$ty>::new(&self.0)
                }
            )*
        }
    };
}

clients! {
    ec2: aws_sdk_ec2::Client,
    elb: aws_sdk_elasticloadbalancingv2::Client,
    ecs: aws_sdk_ecs::Client,
    aas: aws_sdk_applicationautoscaling::Client,
    waf: aws_sdk_wafv2::Client,
    iam: aws_sdk_iam::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    kms: aws_sdk_kms::Client,
    secrets: aws_sdk_secretsmanager::Client,
    ssm: aws_sdk_ssm::Client,
    rds: aws_sdk_rds::Client,
    elasticache: aws_sdk_elasticache::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    sns: aws_sdk_sns::Client,
}

impl Sdk {
    /// An S3 client (path-style, as the emulator needs).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        crate::s3_client(&self.0)
    }
}

/// Every row, all services.
pub fn rows() -> Vec<Row> {
    [
        rows_ec2::rows(),
        rows_elbv2::rows(),
        rows_ecs::rows(),
        rows_appautoscaling::rows(),
        rows_wafv2::rows(),
        rows_security::rows(),
        rows_rds::rows(),
        rows_elasticache::rows(),
        rows_cloudwatch::rows(),
        rows_sns::rows(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// User tags from `(key, value)` pairs: forge's and AWS's own left out, as
/// a JSON map comparable with a spec's `tags`.
pub fn user_tags<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Json {
    Json::Object(
        pairs
            .into_iter()
            .filter(|(k, _)| !k.starts_with("forge:") && !k.starts_with("aws:"))
            .map(|(k, v)| (k.to_string(), Json::from(v)))
            .collect(),
    )
}

/// Whether two JSON values mean the same: numbers compare by value
/// (`70` and `70.0`), objects and lists member by member.
fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64() == y.as_f64(),
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Asserts every field of the read-back `live` equals the spec's.
fn assert_matches(kind: &str, step: &str, live: &Json, spec: &Json) {
    let Json::Object(fields) = live else {
        panic!("{kind} {step}: read-back is not an object: {live}");
    };
    assert!(!fields.is_empty(), "{kind} {step}: read-back has no fields");
    for (k, v) in fields {
        let want = spec.get(k).unwrap_or(&Json::Null);
        assert!(
            same(v, want),
            "{kind} {step}: `{k}` is {v} through the SDK, the spec says {want}"
        );
    }
}

/// One row's run: its provider, fixtures and SDK.
struct Run<'a> {
    row: &'a Row,
    p: &'a dyn Provider,
    fx: &'a Fixtures,
    sdk: Sdk,
}

/// The address every row's object has.
fn address(kind: &str) -> String {
    kind.rsplit('.').next().unwrap_or(kind).to_string()
}

/// The rows' stack in their region.
const SCOPE: Scope = Scope {
    stack: STACK,
    region: REGION,
};

fn ctx(address: &str) -> ResourceCtx {
    SCOPE.ctx(address)
}

fn octx() -> ObserveCtx {
    SCOPE.octx()
}

impl Run<'_> {
    fn kind(&self) -> &'static str {
        self.row.kind
    }

    fn desired(&self, spec: &Json) -> Attrs {
        desired(self.p, spec.clone())
    }

    async fn read(&self, id: &str) -> Option<Json> {
        (self.row.read)(self.sdk.clone(), id.to_string()).await
    }

    /// What the engine plans against: the observed object, normalized,
    /// with the sensitive values the cloud never returns kept from the
    /// spec, marked sensitive.
    async fn prior(&self, id: &str, want: &Attrs) -> Option<Attrs> {
        let found = self
            .p
            .observe(&octx(), &[id.to_string()])
            .await
            .unwrap_or_else(|e| panic!("{} observe {id}: {e}", self.kind()))
            .remove(id)?;
        let mut prior = merge_observed(Some(self.p.schema()), want, &self.p.normalize(found), id);
        mark_sensitive(self.p.schema(), &mut prior);
        Some(prior)
    }

    async fn plan(&self, id: &str, want: &Attrs, action: PlannedAction) -> Attrs {
        let prior = self
            .prior(id, want)
            .await
            .unwrap_or_else(|| panic!("{} {id} not observed", self.kind()));
        let planned = self.p.plan(Some(&prior), want);
        assert_eq!(
            planned.action,
            action,
            "{} plan against {id}: {:?}",
            self.kind(),
            planned.changes
        );
        prior
    }

    async fn create(&self, spec: &Json, step: &str) -> String {
        let want = self.desired(spec);
        assert_eq!(self.p.plan(None, &want).action, PlannedAction::Create);
        let addr = address(self.kind());
        let created = self
            .p
            .create(&ctx(&addr), &unmarked(&want), &format!("tok-{addr}-{step}"))
            .await
            .unwrap_or_else(|e| panic!("{} {step}: create: {e}", self.kind()));
        let created = crate::provider_world::read_back(self.p, &ctx(&addr), created).await;
        assert!(!created.id.is_empty(), "{} {step}: empty id", self.kind());
        // What create returns already plans as a no-op.
        let mut returned = merge_observed(
            Some(self.p.schema()),
            &want,
            &self.p.normalize(created.attrs),
            &created.id,
        );
        mark_sensitive(self.p.schema(), &mut returned);
        let planned = self.p.plan(Some(&returned), &want);
        assert_eq!(
            planned.action,
            PlannedAction::NoOp,
            "{} {step}: plan against what create returned: {:?}",
            self.kind(),
            planned.changes
        );
        let live = self.read(&created.id).await.unwrap_or_else(|| {
            panic!(
                "{} {step}: the SDK does not see {}",
                self.kind(),
                created.id
            )
        });
        assert_matches(self.kind(), step, &live, spec);
        let prior = self.plan(&created.id, &want, PlannedAction::NoOp).await;
        // The emulator makes everything available at once (an ECS
        // service's rollout stays in progress): never failed.
        let ready = self.p.readiness(&prior);
        assert!(
            !matches!(ready, Readiness::Failed(_)),
            "{} {step}: {ready:?}",
            self.kind()
        );
        created.id
    }

    async fn update(&self, id: &str, before: &Json) {
        let Change::By(update) = self.row.update else {
            return;
        };
        let spec = update(self.fx);
        let want = self.desired(&spec);
        let prior = self.plan(id, &want, PlannedAction::Update).await;
        let planned = self.p.plan(Some(&prior), &want);
        self.p
            .update(
                &ctx(&address(self.kind())),
                id,
                &unmarked(&prior),
                &unmarked(&want),
                &planned.changes,
            )
            .await
            .unwrap_or_else(|e| panic!("{} update: {e}", self.kind()));
        let live = self
            .read(id)
            .await
            .unwrap_or_else(|| panic!("{} update: the SDK does not see {id}", self.kind()));
        assert_matches(self.kind(), "update", &live, &spec);
        assert!(
            !same(&live, before),
            "{} update: the SDK sees no change ({live})",
            self.kind()
        );
        self.plan(id, &want, PlannedAction::NoOp).await;
    }

    async fn delete(&self, id: &str, step: &str) {
        let addr = address(self.kind());
        let prior = self
            .p
            .observe(&octx(), &[id.to_string()])
            .await
            .unwrap_or_else(|e| panic!("{} observe {id}: {e}", self.kind()))
            .remove(id)
            .unwrap_or_default();
        self.p
            .delete(&ctx(&addr), id, &prior)
            .await
            .unwrap_or_else(|e| panic!("{} {step}: delete {id}: {e}", self.kind()));
        assert_eq!(
            self.read(id).await,
            None,
            "{} {step}: the SDK still sees {id}",
            self.kind()
        );
        let seen = self
            .p
            .observe(&octx(), &[id.to_string()])
            .await
            .unwrap_or_else(|e| panic!("{} observe {id}: {e}", self.kind()));
        assert!(
            seen.is_empty(),
            "{} {step}: {id} still observed",
            self.kind()
        );
        self.p
            .delete(&ctx(&addr), id, &prior)
            .await
            .unwrap_or_else(|e| panic!("{} {step}: second delete of {id}: {e}", self.kind()));
    }

    async fn adopt(&self, id: &str) {
        let addr = address(self.kind());
        let found = self
            .p
            .find_orphan(&ctx(&addr), "tok-unrelated")
            .await
            .unwrap_or_else(|e| panic!("{} find_orphan: {e}", self.kind()));
        let listed = self
            .p
            .list_tagged(&octx())
            .await
            .unwrap_or_else(|e| panic!("{} list_tagged: {e}", self.kind()));
        match self.row.tags {
            Tags::Owned => {
                assert_eq!(
                    found.map(|c| c.id).as_deref(),
                    Some(id),
                    "{} find_orphan",
                    self.kind()
                );
                let elsewhere = self
                    .p
                    .find_orphan(&ctx("someone_else"), "tok-unrelated")
                    .await
                    .unwrap_or_else(|e| panic!("{} find_orphan: {e}", self.kind()));
                assert!(
                    elsewhere.is_none(),
                    "{} adopted at another address",
                    self.kind()
                );
                assert!(
                    listed.contains(&(id.to_string(), Some(addr.clone()))),
                    "{} list_tagged: {listed:?}",
                    self.kind()
                );
            }
            Tags::None(_) => {
                assert!(found.is_none(), "{} untagged kind adopted", self.kind());
                assert!(
                    listed.is_empty(),
                    "{} untagged kind listed: {listed:?}",
                    self.kind()
                );
            }
        }
    }

    async fn replace(&self, id: String) -> String {
        let Change::By(replacing) = self.row.replace else {
            return id;
        };
        let spec = replacing(self.fx);
        let want = self.desired(&spec);
        self.plan(&id, &want, PlannedAction::Replace).await;
        let old = self.read(&id).await.unwrap_or_default();
        let new = if self.p.always_create_before_destroy() {
            let new = self.create(&spec, "replacement").await;
            self.delete(&id, "replaced").await;
            new
        } else {
            self.delete(&id, "replaced").await;
            self.create(&spec, "replacement").await
        };
        let live = self.read(&new).await;
        assert!(
            live.as_ref().is_some_and(|l| !same(l, &old)),
            "{}: the replacement reads back as the old object: {live:?}",
            self.kind()
        );
        if new != id {
            assert_eq!(
                self.read(&id).await,
                None,
                "{}: old object left",
                self.kind()
            );
        }
        new
    }

    async fn lifecycle(&self) {
        let spec = (self.row.spec)(self.fx);
        let id = self.create(&spec, "create").await;
        let before = self.read(&id).await.unwrap_or_default();
        self.update(&id, &before).await;
        self.adopt(&id).await;
        let id = self.replace(id).await;
        self.delete(&id, "delete").await;
    }
}

/// Runs every row's lifecycle, `parallel` at a time, and panics with every
/// failure at the end (one row failing does not hide another's).
pub async fn run_all(
    world: Arc<crate::ProviderWorld>,
    fx: Arc<Fixtures>,
    rows: Vec<Row>,
    parallel: usize,
) {
    let gate = Arc::new(tokio::sync::Semaphore::new(parallel));
    let sdk = Sdk(world.config.clone());
    let mut tasks = tokio::task::JoinSet::new();
    for row in rows {
        let (world, fx, sdk, gate) = (world.clone(), fx.clone(), sdk.clone(), gate.clone());
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await;
            let kind = row.kind;
            let p = world.p(kind);
            let run = Run {
                row: &row,
                p,
                fx: &fx,
                sdk,
            };
            run.lifecycle().await;
            kind
        });
    }
    let mut failures = Vec::new();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(kind) => println!("{kind}: lifecycle passed"),
            Err(e) if e.is_panic() => {
                let payload = e.into_panic();
                let message = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "panic".into());
                failures.push(message);
            }
            Err(e) => failures.push(e.to_string()),
        }
    }
    assert!(
        failures.is_empty(),
        "{} row(s) failed:\n- {}",
        failures.len(),
        failures.join("\n- ")
    );
}
