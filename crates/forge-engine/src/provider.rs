//! The provider trait every resource kind implements.
//!
//! The shape follows Terraform's plan/apply split and Crossplane's
//! Observe/Create/Update/Delete: `observe` is batched (one Describe per kind
//! for all of a stack's resources of that kind), `plan` is pure, mutations
//! are idempotent, long operations return quickly and readiness is awaited
//! through further batched `observe` calls, and `find_orphan` adopts a
//! resource created by a run that crashed before recording it.

use crate::ownership::Owner;
use async_trait::async_trait;
use forge_core::{Address, Attrs, KindSchema, Value};
use std::collections::BTreeMap;
use std::time::Duration;

/// Context of a batched observe: which region, which state.
#[derive(Debug, Clone)]
pub struct ObserveCtx {
    /// The region to look in.
    pub region: String,
    /// The stack's credential alias to look with (`aws: NAME` on the
    /// resources observed); `None`: the stack's own credentials. Part of
    /// where a resource lives, like the region: the same id in another
    /// account is another object.
    pub alias: Option<String>,
    /// The state acting (its lineage, stack and environment), whose
    /// ownership tags decide what is its own.
    pub owner: Owner,
}

/// Context of a call about one resource.
#[derive(Debug, Clone)]
pub struct ResourceCtx {
    /// The region the resource lives in.
    pub region: String,
    /// The credential alias it is managed with (see [`ObserveCtx::alias`]).
    pub alias: Option<String>,
    /// The state acting (see [`ObserveCtx::owner`]).
    pub owner: Owner,
    /// The instance's address (the value of the `forge:address` tag).
    pub address: Address,
    /// Tags forge adds to every resource it creates, on top of the
    /// resource's own `tags`: the ownership tags of [`Owner::system_tags`].
    pub system_tags: BTreeMap<String, String>,
}

impl ResourceCtx {
    /// The context of a batched observe in this resource's region, for
    /// the same state.
    pub fn observe_ctx(&self) -> ObserveCtx {
        ObserveCtx {
            region: self.region.clone(),
            alias: self.alias.clone(),
            owner: self.owner.clone(),
        }
    }
}

/// What a provider's `plan` decided for one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlannedAction {
    /// Nothing to do.
    NoOp,
    /// Create it (nothing exists).
    Create,
    /// Change it in place.
    Update,
    /// Destroy and create again (a force-new field changed).
    Replace,
}

/// One field that differs between the live resource and the spec.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FieldChange {
    /// Dotted path of the field (`tags.Name`, `ingress[2]`); top-level
    /// fields are plain names.
    pub path: String,
    /// Live / recorded value (`None`: absent).
    pub before: Option<Value>,
    /// Desired value (`None`: to be removed). May be unknown.
    pub after: Option<Value>,
    /// Changing it forces replacement.
    pub forces_replacement: bool,
}

/// A provider's plan for one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedChange {
    /// What to do.
    pub action: PlannedAction,
    /// The attributes expected after the action (computed ones unknown).
    pub predicted: Attrs,
    /// Field by field differences.
    pub changes: Vec<FieldChange>,
    /// Changes the cloud holds pending (see [`crate::deferred`]): not
    /// made again.
    pub pending: Vec<FieldChange>,
}

/// The outcome of a create.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    /// The cloud's id of the new resource.
    pub id: String,
    /// Its attributes as far as known right after the call.
    pub attrs: Attrs,
}

/// Whether an observed resource is ready for its dependents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Usable.
    Ready,
    /// Still converging; the string is the status AWS reports.
    Pending(String),
    /// Will never become ready (e.g. `failed`, `incompatible-parameters`).
    Failed(String),
}

/// Errors a provider returns. The engine retries those that are retryable.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    /// The API throttled the request (`Throttling`, `RequestLimitExceeded`,
    /// `SlowDown`, ...): retried with backoff.
    #[error("throttled by {service}: {}", reason(.message))]
    Throttled {
        /// Which service.
        service: String,
        /// What it said.
        message: String,
    },
    /// A transient failure (5xx, dropped connection, eventual consistency):
    /// retried with backoff.
    #[error("transient error: {}", reason(.message))]
    Transient {
        /// What happened.
        message: String,
    },
    /// The API refused the request; retrying will not help.
    #[error("{code}: {}", reason(.message))]
    Api {
        /// AWS error code (`InvalidParameterValue`, ...).
        code: String,
        /// What it said.
        message: String,
    },
    /// The desired attributes cannot be sent as they are.
    #[error("invalid configuration: {}", reason(.0))]
    Invalid(String),
    /// Credentials are missing or refused.
    #[error("credentials: {}", reason(.0))]
    Credentials(String),
}

/// The text of an error's reason, never empty: a message that is blank or
/// ends at a colon (`logs: `, a service name with nothing after it) says
/// so, instead of a report ending in a bare `transient error: logs: `.
fn reason(message: &str) -> std::borrow::Cow<'_, str> {
    let text = message.trim_end();
    if text.is_empty() {
        "(no reason given)".into()
    } else if text.ends_with(':') {
        format!("{text} (no reason given)").into()
    } else {
        message.into()
    }
}

impl ProviderError {
    /// Whether the engine should retry the call.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ProviderError::Throttled { .. } | ProviderError::Transient { .. }
        )
    }
}

/// A resource kind.
///
/// Implementations must be cheap to share (`Arc<dyn Provider>`) and safe to
/// call concurrently.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// The kind's schema (its name is `schema().kind`).
    fn schema(&self) -> &KindSchema;

    /// A concurrency group and its limit (e.g. `("ec2", 20)`): the scheduler
    /// never runs more than `limit` mutations of kinds sharing the group.
    fn concurrency(&self) -> Option<(&'static str, usize)> {
        None
    }

    /// Whether every replacement of this kind must create the new resource
    /// before destroying the old one, whatever the spec's `lifecycle` says.
    /// True for kinds whose "replacement" is a new version of an immutable
    /// object that dependents must move to first (ECS task definition
    /// revisions: deregistering the old revision before the service points
    /// at the new one would leave the service on a dead revision).
    fn always_create_before_destroy(&self) -> bool {
        false
    }

    /// The settable fields whose values name an object uniquely among the
    /// live objects of its kind (a target group's `name` in its region, a
    /// security group's `group_name` in its VPC). A replacement that keeps
    /// all of them cannot create the new object while the old one exists,
    /// so the planner never makes it create-before-destroy to let the
    /// objects that refer to it move first: it replaces those with it
    /// instead (they go first, and come back pointing at the new object).
    fn unique_fields(&self) -> &'static [&'static str] {
        &[]
    }

    /// Whether objects of this kind hold data that deleting or replacing
    /// them destroys (databases, caches, buckets). Plans flag such deletes
    /// and replacements loudly: a warning block in the human plan and
    /// `"data_loss": true` in the JSON.
    fn holds_data(&self) -> bool {
        false
    }

    /// Whether the live object refuses deletion (AWS `DeletionProtection`).
    /// A plan that would delete or replace such an object fails, changing
    /// nothing, with a hint to turn the protection off first. The default
    /// reads a boolean `deletion_protection` attribute.
    fn deletion_protected(&self, observed: &Attrs) -> bool {
        matches!(
            observed.get("deletion_protection").map(Value::unmarked),
            Some(Value::Bool(true))
        )
    }

    /// Whether `delete` returns while the object is still going away
    /// (`deleting`), so the engine must wait, through batched `observe`
    /// polling, until it is no longer listed before deleting what it
    /// depends on (an Aurora cluster before its subnet group).
    fn await_deletion(&self) -> bool {
        false
    }

    /// Whether an observed object is already going away (`deleting`): a
    /// deletion an interrupted run asked for. The engine then waits for it
    /// to be gone instead of asking again, which AWS refuses for some kinds
    /// (an RDS instance "is already being deleted").
    fn deleting(&self, observed: &Attrs) -> bool {
        let _ = observed;
        false
    }

    /// How often to poll while waiting for readiness.
    fn poll_interval(&self) -> Duration {
        Duration::from_secs(5)
    }

    /// How long to wait for readiness before failing.
    fn ready_timeout(&self) -> Duration {
        Duration::from_secs(30 * 60)
    }

    /// Describes all the given resources in ONE batched call (paged and
    /// chunked as the API needs). A missing id in the result means the
    /// resource is gone. Returned attributes are normalized and exclude
    /// `forge:` and `aws:` tags.
    async fn observe(
        &self,
        ctx: &ObserveCtx,
        ids: &[String],
    ) -> Result<BTreeMap<String, Attrs>, ProviderError>;

    /// Normalizes attributes (desired or observed) so equal meaning compares
    /// equal: CIDR text, policy JSON, rule order, AWS-filled defaults.
    fn normalize(&self, attrs: Attrs) -> Attrs {
        attrs
    }

    /// Plans one resource: `prior` is its observed (or recorded) attributes,
    /// `None` if it does not exist; `desired` is the evaluated spec (may hold
    /// unknowns), already normalized and with schema defaults filled in.
    /// Pure: no I/O. The default compares field by field using the schema.
    fn plan(&self, prior: Option<&Attrs>, desired: &Attrs) -> PlannedChange {
        crate::diff::schema_plan(self.schema(), prior, desired)
    }

    /// Creates the resource. `desired` is fully known. `token` is an
    /// idempotency token stable across retries of the same intent; pass it
    /// as the API's client token where there is one.
    async fn create(
        &self,
        ctx: &ResourceCtx,
        desired: &Attrs,
        token: &str,
    ) -> Result<Created, ProviderError>;

    /// Changes the resource in place to match `desired`.
    async fn update(
        &self,
        ctx: &ResourceCtx,
        id: &str,
        prior: &Attrs,
        desired: &Attrs,
        changes: &[FieldChange],
    ) -> Result<Attrs, ProviderError>;

    /// Deletes the resource. Deleting something already gone succeeds.
    async fn delete(&self, ctx: &ResourceCtx, id: &str, prior: &Attrs)
    -> Result<(), ProviderError>;

    /// Finds a resource created for `ctx.address` by this state but never
    /// recorded (a crash between create and state write), by its ownership
    /// tags (`forge:state` must be this state's lineage, see
    /// [`Owner::owns`]) or the idempotency `token`. An object of another
    /// state, or of none, is never returned.
    async fn find_orphan(
        &self,
        ctx: &ResourceCtx,
        token: &str,
    ) -> Result<Option<Created>, ProviderError>;

    /// Lists every resource of this kind owned by `ctx.owner` (its
    /// `forge:state` tag), as `(id, forge:address tag)`, for the orphan
    /// search of plan, destroy and drift.
    async fn list_tagged(
        &self,
        ctx: &ObserveCtx,
    ) -> Result<Vec<(String, Option<String>)>, ProviderError> {
        let _ = ctx;
        Ok(Vec::new())
    }

    /// Explains why a difference between the recorded (last applied) and
    /// the live value of a settable field at `path` is not drift, or `None`
    /// if it is. For changes AWS makes by itself that the spec allows, e.g.
    /// an automatic minor engine-version upgrade when the spec pins only the
    /// major version. `forge drift` lists these as classified, not drifted.
    /// `object` is the whole live object, for rules that depend on its
    /// other fields (a global database member's version).
    fn classify_change(
        &self,
        path: &str,
        recorded: &Value,
        live: &Value,
        object: &Attrs,
    ) -> Option<String> {
        let _ = (path, recorded, live, object);
        None
    }

    /// Whether an observed resource is ready for dependents.
    fn readiness(&self, observed: &Attrs) -> Readiness {
        let _ = observed;
        Readiness::Ready
    }

    /// Why an update that reached readiness did not land as asked, or
    /// `None` if it did: AWS may settle an object on something else, e.g.
    /// an ECS service its deployment circuit breaker rolled back to the
    /// previous task definition. The engine then records what is live
    /// (so the next plan shows the update again) and fails the apply.
    fn not_landed(&self, desired: &Attrs, observed: &Attrs) -> Option<String> {
        let _ = (desired, observed);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_always_say_why() {
        let blank = ProviderError::Transient {
            message: "logs: ".into(),
        };
        assert_eq!(
            blank.to_string(),
            "transient error: logs: (no reason given)"
        );
        let empty = ProviderError::Api {
            code: "HTTP500".into(),
            message: String::new(),
        };
        assert_eq!(empty.to_string(), "HTTP500: (no reason given)");
        let full = ProviderError::Transient {
            message: "logs: ServiceUnavailable: try later".into(),
        };
        assert_eq!(
            full.to_string(),
            "transient error: logs: ServiceUnavailable: try later"
        );
    }
}
