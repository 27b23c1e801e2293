//! An in-memory cloud and a provider over it.
//!
//! Everything is configured on the shared [`FakeCloud`]: latency per
//! operation, failures per address, throttling of the next N calls,
//! readiness that stays pending for N polls, a crash point after a create,
//! and counters of every call (with a timeline of operation start and end
//! times on tokio's clock).

use async_trait::async_trait;
use forge_core::{Attrs, FieldSchema as F, FieldType as T, KindSchema, Value};
use forge_engine::{
    CancelToken, Created, FieldChange, ObserveCtx, Provider, ProviderError, Readiness, ResourceCtx,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::time::Instant;

/// Simulated latency per operation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Latency {
    /// Of `create`.
    pub create: Duration,
    /// Of `update`.
    pub update: Duration,
    /// Of `delete`.
    pub delete: Duration,
    /// Of `observe`.
    pub observe: Duration,
}

impl Latency {
    /// The same latency for every mutation, none for observe.
    pub fn mutations(d: Duration) -> Self {
        Latency {
            create: d,
            update: d,
            delete: d,
            observe: Duration::ZERO,
        }
    }
}

/// One object in the fake cloud.
#[derive(Debug, Clone)]
pub struct FakeObject {
    /// Its kind.
    pub kind: String,
    /// Its attributes (without `id`).
    pub attrs: Attrs,
    /// `forge:stack` / `forge:address` tags.
    pub system_tags: BTreeMap<String, String>,
    /// The idempotency token it was created with.
    pub token: String,
    /// Observes left before it leaves `creating`.
    pub polls_left: u32,
    /// Its status after that.
    pub final_status: String,
    /// Set once deleted by a kind that deletes slowly: observes left
    /// while it is still listed as `deleting`.
    pub deleting_polls: Option<u32>,
}

/// A recorded operation.
#[derive(Debug, Clone, PartialEq)]
pub struct OpRecord {
    /// `create`, `update`, `delete`.
    pub op: &'static str,
    /// The resource address.
    pub address: String,
    /// When the call started.
    pub start: Instant,
    /// When it returned.
    pub end: Instant,
}

#[derive(Default)]
struct Inner {
    objects: BTreeMap<String, FakeObject>,
    next_id: u64,
    latency: Latency,
    per_address_latency: HashMap<String, Duration>,
    failures: HashMap<String, ProviderError>,
    throttle_next: u32,
    readiness: HashMap<String, (u32, String)>,
    slow_deletes: HashMap<String, u32>,
    crash_after_create: Option<(String, CancelToken)>,
    lost_create_answers: HashMap<String, u32>,
    observe_calls: HashMap<String, u64>,
    observe_failures: HashMap<String, ProviderError>,
    list_tagged_calls: HashMap<String, u64>,
    observe_ids: HashMap<String, Vec<usize>>,
    creates: u64,
    updates: u64,
    deletes: u64,
    find_orphan_calls: u64,
    throttled: u64,
    in_flight: usize,
    max_in_flight: usize,
    group_in_flight: HashMap<String, (usize, usize)>,
    timeline: Vec<OpRecord>,
    refuse_in_use: bool,
    rolled_back: std::collections::HashSet<String>,
}

/// The fake cloud, shared by all fake providers of a test.
#[derive(Clone, Default)]
pub struct FakeCloud {
    inner: Arc<Mutex<Inner>>,
}

impl FakeCloud {
    /// An empty cloud with no latency.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic in another test thread must not hide this test's result.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets latency.
    pub fn set_latency(&self, latency: Latency) {
        self.lock().latency = latency;
    }

    /// Sets the mutation latency of one address (overrides [`Latency`]).
    pub fn set_address_latency(&self, address: &str, d: Duration) {
        self.lock().per_address_latency.insert(address.into(), d);
    }

    /// Makes every create/update/delete of `address` fail with `error`.
    pub fn fail(&self, address: &str, error: ProviderError) {
        self.lock().failures.insert(address.into(), error);
    }

    /// Stops failing `address`.
    pub fn heal(&self, address: &str) {
        self.lock().failures.remove(address);
    }

    /// Makes the next `n` creates of `address` create the object but lose
    /// the answer (a transient error), with no idempotency token honoured:
    /// a blind retry would create a duplicate.
    pub fn lose_create_answers(&self, address: &str, n: u32) {
        self.lock()
            .lost_create_answers
            .insert(address.to_string(), n);
    }

    /// Throttles the next `n` mutation calls (any address).
    pub fn throttle_next(&self, n: u32) {
        self.lock().throttle_next = n;
    }

    /// Objects created for `address` stay `creating` for `polls` observes,
    /// then become `final_status` (`available` is ready, `failed` fails).
    pub fn readiness(&self, address: &str, polls: u32, final_status: &str) {
        self.lock()
            .readiness
            .insert(address.into(), (polls, final_status.into()));
    }

    /// Updates of `address` are accepted, then undone by the cloud (as
    /// ECS's deployment circuit breaker rolls a failed deployment back):
    /// the object settles, ready, on what it was, status `rolled-back`.
    pub fn roll_back_updates(&self, address: &str) {
        self.lock().rolled_back.insert(address.into());
    }

    /// Deleting `address` (with a kind made [`FakeProvider::with_data`])
    /// leaves it listed as `deleting` for `polls` observes before it is
    /// gone, as an Aurora cluster or a Redis group does.
    pub fn slow_delete(&self, address: &str, polls: u32) {
        self.lock().slow_deletes.insert(address.into(), polls);
    }

    /// After creating `address`, aborts `cancel` and never returns: a
    /// process dying between the create and the state write.
    pub fn crash_after_create(&self, address: &str, cancel: CancelToken) {
        self.lock().crash_after_create = Some((address.into(), cancel));
    }

    /// Makes deletes refuse (`ResourceInUse`, not retryable) an object
    /// another live object still refers to: its id or arn in that object's
    /// `ref`, `refs` or `parent`, as AWS refuses to delete a target group a
    /// listener forwards to.
    pub fn refuse_deletes_in_use(&self) {
        self.lock().refuse_in_use = true;
    }

    /// Clears the crash point.
    pub fn clear_crash(&self) {
        self.lock().crash_after_create = None;
    }

    /// Objects of `kind`.
    pub fn count_of(&self, kind: &str) -> usize {
        self.lock()
            .objects
            .values()
            .filter(|o| o.kind == kind)
            .count()
    }

    /// All objects by id.
    pub fn objects(&self) -> BTreeMap<String, FakeObject> {
        self.lock().objects.clone()
    }

    /// Changes an object behind forge's back (drift).
    pub fn tamper(&self, id: &str, field: &str, value: Value) {
        if let Some(o) = self.lock().objects.get_mut(id) {
            o.attrs.insert(field.into(), value);
        }
    }

    /// Makes every `observe` and `list_tagged` of `kind` fail with `error`
    /// (an API outage, refused credentials).
    pub fn fail_observe(&self, kind: &str, error: ProviderError) {
        self.lock().observe_failures.insert(kind.into(), error);
    }

    /// Stops failing `observe` of `kind`.
    pub fn heal_observe(&self, kind: &str) {
        self.lock().observe_failures.remove(kind);
    }

    /// Creates an object behind forge's back (by hand, or by a run whose
    /// state was lost), with `system_tags` such as `forge:stack`; returns
    /// its id.
    pub fn plant(&self, kind: &str, attrs: Attrs, system_tags: BTreeMap<String, String>) -> String {
        let mut i = self.lock();
        i.next_id += 1;
        let id = format!(
            "{}-{:06}",
            kind.rsplit('.').next().unwrap_or("obj"),
            i.next_id
        );
        i.objects.insert(
            id.clone(),
            FakeObject {
                kind: kind.into(),
                attrs,
                system_tags,
                token: format!("planted-{id}"),
                polls_left: 0,
                final_status: "available".into(),
                deleting_polls: None,
            },
        );
        id
    }

    /// `list_tagged` calls of `kind`.
    pub fn list_tagged_calls(&self, kind: &str) -> u64 {
        self.lock()
            .list_tagged_calls
            .get(kind)
            .copied()
            .unwrap_or(0)
    }

    /// Removes an object behind forge's back.
    pub fn vanish(&self, id: &str) {
        self.lock().objects.remove(id);
    }

    /// `observe` calls of `kind`.
    pub fn observe_calls(&self, kind: &str) -> u64 {
        self.lock().observe_calls.get(kind).copied().unwrap_or(0)
    }

    /// How many ids each `observe` of `kind` asked for, in order.
    pub fn observe_batch_sizes(&self, kind: &str) -> Vec<usize> {
        self.lock()
            .observe_ids
            .get(kind)
            .cloned()
            .unwrap_or_default()
    }

    /// (creates, updates, deletes) performed.
    pub fn mutation_counts(&self) -> (u64, u64, u64) {
        let i = self.lock();
        (i.creates, i.updates, i.deletes)
    }

    /// `find_orphan` calls.
    pub fn find_orphan_calls(&self) -> u64 {
        self.lock().find_orphan_calls
    }

    /// Calls refused by throttling.
    pub fn throttled(&self) -> u64 {
        self.lock().throttled
    }

    /// The most mutations in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.lock().max_in_flight
    }

    /// The most mutations of a concurrency group in flight at once.
    pub fn max_in_flight_of_group(&self, group: &str) -> usize {
        self.lock()
            .group_in_flight
            .get(group)
            .map(|g| g.1)
            .unwrap_or(0)
    }

    /// Every mutation with its start and end time.
    pub fn timeline(&self) -> Vec<OpRecord> {
        self.lock().timeline.clone()
    }

    /// The timeline entry of `op` on `address`.
    pub fn op(&self, op: &str, address: &str) -> Option<OpRecord> {
        self.lock()
            .timeline
            .iter()
            .find(|r| r.op == op && r.address == address)
            .cloned()
    }
}

/// A provider of one kind over a [`FakeCloud`].
///
/// Schema: `name` (force-new), `size` (default 1), `tags`, `ref`
/// (optional string, for references), `parent` (a force-new reference),
/// `secret` (sensitive), `zone` (optional-computed), computed `arn` and
/// `status`.
pub struct FakeProvider {
    schema: KindSchema,
    cloud: FakeCloud,
    group: Option<(&'static str, usize)>,
    poll: Duration,
    timeout: Duration,
    new_first: bool,
    data: bool,
    unique_names: bool,
    read_back: bool,
}

/// The schema of fake kinds.
pub fn fake_schema(kind: &str) -> KindSchema {
    KindSchema::new(
        kind,
        "an object in the fake cloud",
        [
            ("name", F::optional(T::String).force_new()),
            ("size", F::optional(T::Number).default(1i64)),
            ("tags", F::optional(T::map(T::String))),
            ("ref", F::optional(T::String)),
            ("refs", F::optional(T::list(T::String))),
            ("parent", F::optional(T::String).force_new()),
            ("secret", F::optional(T::String).sensitive()),
            ("zone", F::optional_computed(T::String)),
            ("arn", F::computed(T::String)),
            ("status", F::computed(T::String)),
            ("deletion_protection", F::optional(T::Bool)),
        ],
    )
}

impl FakeProvider {
    /// A provider of `kind`.
    pub fn new(kind: &str, cloud: &FakeCloud) -> Self {
        FakeProvider {
            schema: fake_schema(kind),
            cloud: cloud.clone(),
            group: None,
            poll: Duration::from_secs(5),
            timeout: Duration::from_secs(600),
            new_first: false,
            data: false,
            unique_names: false,
            read_back: false,
        }
    }

    /// As an `Arc<dyn Provider>` for registering.
    pub fn arc(kind: &str, cloud: &FakeCloud) -> Arc<dyn Provider> {
        Arc::new(Self::new(kind, cloud))
    }

    /// Declares a concurrency group.
    pub fn with_concurrency(mut self, group: &'static str, limit: usize) -> Self {
        self.group = Some((group, limit));
        self
    }

    /// Makes every replacement of this kind create-before-destroy, as a
    /// kind whose objects are immutable revisions would.
    pub fn with_create_before_destroy(mut self) -> Self {
        self.new_first = true;
        self
    }

    /// Makes this a stateful kind, like a database: it holds data (plans
    /// flag its deletes and replacements) and its deletes are awaited
    /// until the object is no longer listed.
    pub fn with_data(mut self) -> Self {
        self.data = true;
        self
    }

    /// Makes `name` unique among live objects of this kind, as a target
    /// group's is in its region: a create with a taken name fails
    /// (`DuplicateName`, not retryable), and the provider says so
    /// ([`Provider::unique_fields`]).
    pub fn with_unique_names(mut self) -> Self {
        self.unique_names = true;
        self
    }

    /// Makes a new object's create answer only its id and what was sent
    /// (no `arn`), asking the engine to read the rest back
    /// ([`Created::read_back`]), as a kind whose create API answers little.
    pub fn with_read_back(mut self) -> Self {
        self.read_back = true;
        self
    }

    /// Sets the readiness poll interval and timeout.
    pub fn with_readiness_timing(mut self, poll: Duration, timeout: Duration) -> Self {
        self.poll = poll;
        self.timeout = timeout;
        self
    }

    fn begin(&self, op: &'static str, address: &str) -> Result<(Duration, Instant), ProviderError> {
        let mut i = self.cloud.lock();
        if i.throttle_next > 0 {
            i.throttle_next -= 1;
            i.throttled += 1;
            return Err(ProviderError::Throttled {
                service: "fake".into(),
                message: "Rate exceeded".into(),
            });
        }
        if let Some(e) = i.failures.get(address) {
            return Err(e.clone());
        }
        i.in_flight += 1;
        i.max_in_flight = i.max_in_flight.max(i.in_flight);
        if let Some((g, _)) = self.group {
            let e = i.group_in_flight.entry(g.to_string()).or_default();
            e.0 += 1;
            e.1 = e.1.max(e.0);
        }
        let latency = i
            .per_address_latency
            .get(address)
            .copied()
            .unwrap_or(match op {
                "create" => i.latency.create,
                "update" => i.latency.update,
                _ => i.latency.delete,
            });
        Ok((latency, Instant::now()))
    }

    fn end(&self, op: &'static str, address: &str, start: Instant) {
        let mut i = self.cloud.lock();
        i.in_flight -= 1;
        if let Some((g, _)) = self.group
            && let Some(e) = i.group_in_flight.get_mut(g)
        {
            e.0 -= 1;
        }
        i.timeline.push(OpRecord {
            op,
            address: address.into(),
            start,
            end: Instant::now(),
        });
    }
}

async fn sleep(d: Duration) {
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
}

/// A live object that refers to `id` (or its arn) in `ref`, `refs` or
/// `parent`, by its `forge:address` tag (or id).
fn user_of(objects: &BTreeMap<String, FakeObject>, id: &str) -> Option<String> {
    let arn = format!("arn:fake:{id}");
    let names = |v: &Value| v.as_str().is_some_and(|s| s == id || s == arn);
    objects
        .iter()
        .filter(|(other, o)| other.as_str() != id && o.deleting_polls.is_none())
        .find(|(_, o)| {
            ["ref", "parent"]
                .iter()
                .any(|f| o.attrs.get(*f).map(Value::unmarked).is_some_and(|v| names(&v)))
                || matches!(o.attrs.get("refs").map(Value::unmarked), Some(Value::List(l)) if l.iter().any(names))
        })
        .map(|(other, o)| {
            o.system_tags
                .get("forge:address")
                .cloned()
                .unwrap_or_else(|| other.clone())
        })
}

fn visible(o: &FakeObject) -> Attrs {
    let mut a = o.attrs.clone();
    let status = if o.deleting_polls.is_some() {
        "deleting".to_string()
    } else if o.polls_left > 0 {
        "creating".to_string()
    } else {
        o.final_status.clone()
    };
    a.insert("status".into(), Value::from(status));
    a
}

#[async_trait]
impl Provider for FakeProvider {
    fn schema(&self) -> &KindSchema {
        &self.schema
    }

    fn concurrency(&self) -> Option<(&'static str, usize)> {
        self.group
    }

    fn always_create_before_destroy(&self) -> bool {
        self.new_first
    }

    fn poll_interval(&self) -> Duration {
        self.poll
    }

    fn ready_timeout(&self) -> Duration {
        self.timeout
    }

    fn holds_data(&self) -> bool {
        self.data
    }

    fn unique_fields(&self) -> &'static [&'static str] {
        if self.unique_names { &["name"] } else { &[] }
    }

    fn await_deletion(&self) -> bool {
        self.data
    }

    async fn observe(
        &self,
        _ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
        let latency = {
            let mut i = self.cloud.lock();
            *i.observe_calls.entry(self.schema.kind.clone()).or_default() += 1;
            i.observe_ids
                .entry(self.schema.kind.clone())
                .or_default()
                .push(ids.len());
            if let Some(e) = i.observe_failures.get(&self.schema.kind) {
                return Err(e.clone());
            }
            i.latency.observe
        };
        sleep(latency).await;
        let mut i = self.cloud.lock();
        let mut out = BTreeMap::new();
        let mut gone = Vec::new();
        for id in ids {
            if let Some(o) = i.objects.get_mut(id).filter(|o| o.kind == self.schema.kind) {
                if o.deleting_polls == Some(0) {
                    gone.push(id.clone());
                    continue;
                }
                let seen = visible(o);
                o.polls_left = o.polls_left.saturating_sub(1);
                o.deleting_polls = o.deleting_polls.map(|n| n - 1);
                out.insert(id.clone(), seen);
            }
        }
        for id in gone {
            i.objects.remove(&id);
        }
        Ok(out)
    }

    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        token: &str,
    ) -> Result<Created, ProviderError> {
        let address = ctx.address.to_string();
        let (latency, start) = self.begin("create", &address)?;
        sleep(latency).await;
        let (created, crash) = {
            let mut i = self.cloud.lock();
            // Idempotency: the same token returns the same object.
            // An API without idempotency tokens (like EC2's CreateVpc) is
            // simulated by losing answers: then the token is not honoured.
            let honours_token = !i.lost_create_answers.contains_key(&address);
            let existing = i
                .objects
                .iter()
                .find(|(_, o)| honours_token && o.token == token)
                .map(|(id, o)| (id.clone(), o.clone()));
            let created = match existing {
                Some((id, o)) => Created::new(id, visible(&o)),
                None => {
                    let name = desired.get("name").filter(|_| self.unique_names);
                    if let Some(name) = name
                        && i.objects.values().any(|o| {
                            o.kind == self.schema.kind && o.attrs.get("name") == Some(name)
                        })
                    {
                        drop(i);
                        self.end("create", &address, start);
                        return Err(ProviderError::Api {
                            code: "DuplicateName".into(),
                            message: format!("an object named {name} already exists"),
                        });
                    }
                    i.next_id += 1;
                    let id = format!(
                        "{}-{:06}",
                        self.schema.kind.rsplit('.').next().unwrap_or("obj"),
                        i.next_id
                    );
                    let mut attrs = desired.clone();
                    attrs.insert("arn".into(), Value::from(format!("arn:fake:{id}")));
                    attrs
                        .entry("zone".into())
                        .or_insert_with(|| Value::from("zone-a"));
                    let (polls_left, final_status) = i
                        .readiness
                        .get(&address)
                        .cloned()
                        .unwrap_or((0, "available".into()));
                    let o = FakeObject {
                        kind: self.schema.kind.clone(),
                        attrs,
                        system_tags: ctx.system_tags.clone(),
                        token: token.into(),
                        polls_left,
                        final_status,
                        deleting_polls: None,
                    };
                    let seen = visible(&o);
                    i.objects.insert(id.clone(), o);
                    i.creates += 1;
                    if self.read_back {
                        Created::to_read_back(id, desired.clone())
                    } else {
                        Created::new(id, seen)
                    }
                }
            };
            let crash = i
                .crash_after_create
                .as_ref()
                .filter(|(a, _)| *a == address)
                .map(|(_, c)| c.clone());
            (created, crash)
        };
        if let Some(cancel) = crash {
            cancel.abort();
            std::future::pending::<()>().await;
        }
        self.end("create", &address, start);
        let lost = {
            let mut i = self.cloud.lock();
            match i.lost_create_answers.get_mut(&address) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            }
        };
        if lost {
            return Err(ProviderError::Transient {
                message: "connection reset after the request was sent".into(),
            });
        }
        Ok(created)
    }

    async fn update(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
        desired: &Attrs,
        _changes: &[FieldChange],
    ) -> Result<Attrs, ProviderError> {
        let address = ctx.address.to_string();
        let (latency, start) = self.begin("update", &address)?;
        sleep(latency).await;
        let out = {
            let mut i = self.cloud.lock();
            i.updates += 1;
            let undone = i.rolled_back.contains(&address);
            let o = i.objects.get_mut(id).ok_or_else(|| ProviderError::Api {
                code: "NotFound".into(),
                message: format!("{id} does not exist"),
            })?;
            if undone {
                o.final_status = "rolled-back".into();
                let seen = visible(o);
                drop(i);
                self.end("update", &address, start);
                return Ok(seen);
            }
            for (k, v) in desired {
                if k != "id" && k != "arn" && k != "status" {
                    o.attrs.insert(k.clone(), v.clone());
                }
            }
            o.attrs
                .retain(|k, _| desired.contains_key(k) || matches!(k.as_str(), "arn" | "zone"));
            visible(o)
        };
        self.end("update", &address, start);
        Ok(out)
    }

    async fn delete(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        _prior: &Attrs,
    ) -> Result<(), ProviderError> {
        let address = ctx.address.to_string();
        let (latency, start) = self.begin("delete", &address)?;
        sleep(latency).await;
        {
            let mut i = self.cloud.lock();
            if i.refuse_in_use
                && let Some(user) = user_of(&i.objects, id)
            {
                drop(i);
                self.end("delete", &address, start);
                return Err(ProviderError::Api {
                    code: "ResourceInUse".into(),
                    message: format!("{id} is in use by {user}"),
                });
            }
            let slow = i.slow_deletes.get(&address).copied().filter(|_| self.data);
            match (slow, i.objects.get_mut(id)) {
                (Some(polls), Some(o)) => {
                    if o.deleting_polls.is_none() {
                        o.deleting_polls = Some(polls);
                        i.deletes += 1;
                    }
                }
                _ => {
                    if i.objects.remove(id).is_some() {
                        i.deletes += 1;
                    }
                }
            }
        }
        self.end("delete", &address, start);
        Ok(())
    }

    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        token: &str,
    ) -> Result<Option<Created>, ProviderError> {
        let mut i = self.cloud.lock();
        i.find_orphan_calls += 1;
        let address = ctx.address.to_string();
        Ok(i.objects
            .iter()
            .find(|(_, o)| {
                o.kind == self.schema.kind
                    && (o.token == token
                        || ctx.owner.owns(
                            o.system_tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                            Some(&address),
                        ))
            })
            .map(|(id, o)| Created::new(id.clone(), visible(o))))
    }

    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let mut i = self.cloud.lock();
        *i.list_tagged_calls
            .entry(self.schema.kind.clone())
            .or_default() += 1;
        if let Some(e) = i.observe_failures.get(&self.schema.kind) {
            return Err(e.clone());
        }
        Ok(i.objects
            .iter()
            .filter(|(_, o)| {
                o.kind == self.schema.kind
                    && ctx.owner.owns(
                        o.system_tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                        None,
                    )
            })
            .map(|(id, o)| (id.clone(), o.system_tags.get("forge:address").cloned()))
            .collect())
    }

    fn readiness(&self, observed: &Attrs) -> Readiness {
        match observed.get("status").and_then(Value::as_str) {
            Some("creating") => Readiness::Pending("creating".into()),
            Some("failed") => Readiness::Failed("failed".into()),
            _ => Readiness::Ready,
        }
    }

    fn not_landed(&self, _desired: &Attrs, observed: &Attrs) -> Option<String> {
        (observed.get("status").and_then(Value::as_str) == Some("rolled-back"))
            .then(|| "the update was rolled back".to_string())
    }
}
