//! Retrying a mutation whose earlier attempt may have worked.
//!
//! A call can fail *after* the cloud acted: the answer was an HTTP 5xx
//! from somewhere on the way back, the connection dropped, the call timed
//! out, or a later call inside the provider's `create`/`update` failed after
//! the first ones took effect. Most AWS creates take no idempotency token
//! (`CreateVpc`, `CreateKey`, `AllocateAddress`, `CreateLoadBalancer`...),
//! so sending them again would make a second object with the same
//! ownership tags that no state records. The SDK is kept from re-sending
//! any mutation (`forge_aws::retry_guard`); this is the one layer that
//! does, carefully.
//!
//! Creates ([`create_or_adopt`]):
//! - before every attempt after the first, the object is looked up by this
//!   state's ownership tags and the intent's token
//!   ([`Provider::find_orphan`]); if it is there, it is adopted instead of
//!   created again;
//! - if an attempt after an *ambiguous* failure (one that may have taken
//!   effect, [`is_ambiguous`]) is refused outright — "already exists",
//!   `InvalidSubnet.Conflict`, `Resource.AlreadyAssociated`,
//!   `WAFDuplicateItemException` — it is looked up once more, and the
//!   refusal counts as success only when what exists is ours (found by
//!   `find_orphan`). Never otherwise: an object this state does not own is
//!   reported, not adopted.
//!
//! Updates ([`update_replanning`]): after an ambiguous failure the object
//! is observed again and the rest of the update is planned against what is
//! live, instead of replaying calls computed from the stale prior (a rule
//! authorized twice is `InvalidPermission.Duplicate`, a subnet associated
//! twice `Resource.AlreadyAssociated`).

use crate::provider::{
    Created, FieldChange, PlannedAction, PlannedChange, Provider, ProviderError, ResourceCtx,
};
use crate::retry::{RetryPolicy, with_retry};
use forge_core::Attrs;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// What a create step ended with.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateOutcome {
    /// The object.
    pub created: Created,
    /// Whether it was found (made by an earlier attempt whose answer was
    /// lost) rather than returned by a create: it may still need an update
    /// to match the spec.
    pub adopted: bool,
}

/// Whether a failed call may still have taken effect: a server error, a
/// timeout or a dropped connection (the engine's `Transient`). Throttling
/// and API errors are refusals: nothing was done.
pub fn is_ambiguous(error: &ProviderError) -> bool {
    matches!(error, ProviderError::Transient { .. })
}

/// Creates the object for `ctx.address` with `token`, retrying under
/// `policy` as the module docs describe. `on_retry` is told before each
/// backoff.
pub async fn create_or_adopt(
    policy: &RetryPolicy,
    provider: &dyn Provider,
    ctx: &ResourceCtx,
    desired: &Attrs,
    token: &str,
    on_retry: impl FnMut(u32, &ProviderError, Duration),
) -> Result<CreateOutcome, ProviderError> {
    let attempted = AtomicBool::new(false);
    let ambiguous = AtomicBool::new(false);
    let adopted = AtomicBool::new(false);
    let created = with_retry(
        policy,
        || {
            let (attempted, ambiguous, adopted) = (&attempted, &ambiguous, &adopted);
            async move {
                // Any earlier attempt may have created the object (even one
                // that failed inside `create` after the object existed):
                // look before sending the create again.
                if attempted.swap(true, Ordering::SeqCst)
                    && let Some(found) = provider.find_orphan(ctx, token).await?
                {
                    adopted.store(true, Ordering::SeqCst);
                    return Ok(found);
                }
                match provider.create(ctx, desired, token).await {
                    Ok(created) => Ok(created),
                    Err(e) if is_ambiguous(&e) => {
                        ambiguous.store(true, Ordering::SeqCst);
                        Err(e)
                    }
                    // Refused after an attempt whose outcome is unknown: most
                    // likely that attempt's own object is in the way. Ours
                    // (by ownership tags or token): done. Anything else: the
                    // refusal stands.
                    Err(e) if !e.is_retryable() && ambiguous.load(Ordering::SeqCst) => {
                        match provider.find_orphan(ctx, token).await? {
                            Some(found) => {
                                adopted.store(true, Ordering::SeqCst);
                                Ok(found)
                            }
                            None => Err(e),
                        }
                    }
                    Err(e) => Err(e),
                }
            }
        },
        on_retry,
    )
    .await?;
    Ok(CreateOutcome {
        created,
        adopted: adopted.load(Ordering::SeqCst),
    })
}

/// Updates `id` from `prior` to `desired` (`changes` between them),
/// retrying under `policy`. After an attempt that may have taken effect,
/// the object is observed again and `replan(live)` decides what is left:
/// nothing (the live object is returned), or an update from `live`.
#[allow(clippy::too_many_arguments)]
pub async fn update_replanning(
    policy: &RetryPolicy,
    provider: &dyn Provider,
    ctx: &ResourceCtx,
    id: &str,
    prior: &Attrs,
    desired: &Attrs,
    changes: &[FieldChange],
    replan: impl Fn(&Attrs) -> PlannedChange,
    on_retry: impl FnMut(u32, &ProviderError, Duration),
) -> Result<Attrs, ProviderError> {
    let ambiguous = AtomicBool::new(false);
    let (ambiguous, replan) = (&ambiguous, &replan);
    with_retry(
        policy,
        || async move {
            let result = if ambiguous.load(Ordering::SeqCst) {
                let live = observe_one(provider, ctx, id, prior).await?;
                let planned = replan(&live);
                match planned.action {
                    PlannedAction::NoOp => return Ok(live),
                    _ => {
                        provider
                            .update(ctx, id, &live, desired, &planned.changes)
                            .await
                    }
                }
            } else {
                provider.update(ctx, id, prior, desired, changes).await
            };
            if let Err(e) = &result
                && is_ambiguous(e)
            {
                ambiguous.store(true, Ordering::SeqCst);
            }
            result
        },
        on_retry,
    )
    .await
}

/// The object as it is now: what `observe` returns for it, over `prior` for
/// the fields observe cannot read back (write-only values).
pub(crate) async fn observe_one(
    provider: &dyn Provider,
    ctx: &ResourceCtx,
    id: &str,
    prior: &Attrs,
) -> Result<Attrs, ProviderError> {
    let octx = ctx.observe_ctx();
    let ids = [id.to_string()];
    let mut observed = provider.observe(&octx, &ids).await?;
    let Some(live) = observed.remove(id) else {
        // Just changed and not listed: most likely eventual consistency.
        return Err(ProviderError::Transient {
            message: format!("{id} is not visible after an update whose answer was lost"),
        });
    };
    let mut attrs = prior.clone();
    attrs.extend(provider.normalize(live));
    Ok(attrs)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::provider::{FieldChange, ObserveCtx};
    use forge_core::{Address, KindSchema};
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    /// What one `create` call does in the scripted cloud.
    #[derive(Debug, Clone, Copy)]
    enum Step {
        /// Creates the object (tagged as ours) and answers.
        Create,
        /// Creates the object, then the answer is lost (HTTP 500).
        CreateThenLose,
        /// The connection drops before anything was done.
        Lose,
        /// Refuses with this code, creating nothing.
        Refuse(&'static str),
        /// Throttled, creating nothing.
        Throttle,
    }

    /// A scripted cloud: each `create` call takes the next step; objects
    /// are ours (tagged for the context's address) or foreign (untagged);
    /// the first `hidden_lookups` lookups see nothing yet (eventual
    /// consistency).
    struct Scripted {
        steps: Mutex<Vec<Step>>,
        objects: Mutex<Vec<(String, bool)>>,
        hidden_lookups: Mutex<u32>,
        creates: Mutex<u32>,
        lookups: Mutex<u32>,
        schema: KindSchema,
    }

    impl Scripted {
        fn new(steps: &[Step]) -> Self {
            Scripted {
                steps: Mutex::new(steps.to_vec()),
                objects: Mutex::default(),
                hidden_lookups: Mutex::default(),
                creates: Mutex::default(),
                lookups: Mutex::default(),
                schema: KindSchema::new("test.scripted", "scripted", []),
            }
        }

        fn with_foreign(self) -> Self {
            self.objects
                .lock()
                .unwrap()
                .push(("foreign-1".into(), false));
            self
        }

        fn with_hidden_lookups(self, n: u32) -> Self {
            *self.hidden_lookups.lock().unwrap() = n;
            self
        }

        fn make(&self) -> Created {
            let mut objects = self.objects.lock().unwrap();
            let id = format!("obj-{}", objects.len() + 1);
            objects.push((id.clone(), true));
            Created::new(id, Attrs::new())
        }

        fn ours(&self) -> Vec<String> {
            let objects = self.objects.lock().unwrap();
            objects
                .iter()
                .filter(|(_, ours)| *ours)
                .map(|(id, _)| id.clone())
                .collect()
        }

        fn creates(&self) -> u32 {
            *self.creates.lock().unwrap()
        }

        fn lookups(&self) -> u32 {
            *self.lookups.lock().unwrap()
        }
    }

    #[async_trait::async_trait]
    impl Provider for Scripted {
        fn schema(&self) -> &KindSchema {
            &self.schema
        }

        async fn observe(
            &self,
            _ctx: &ObserveCtx,
            _ids: &[String],
        ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
            Ok(BTreeMap::new())
        }

        async fn create(
            &self,
            _ctx: &ResourceCtx,
            _desired: &Attrs,
            _token: &str,
        ) -> Result<Created, ProviderError> {
            *self.creates.lock().unwrap() += 1;
            let step = {
                let mut steps = self.steps.lock().unwrap();
                if steps.is_empty() {
                    Step::Create
                } else {
                    steps.remove(0)
                }
            };
            let lost = ProviderError::Transient {
                message: "InternalError: 500".into(),
            };
            match step {
                Step::Create => Ok(self.make()),
                Step::CreateThenLose => {
                    self.make();
                    Err(lost)
                }
                Step::Lose => Err(lost),
                Step::Refuse(code) => Err(ProviderError::Api {
                    code: code.into(),
                    message: "refused".into(),
                }),
                Step::Throttle => Err(ProviderError::Throttled {
                    service: "test".into(),
                    message: "slow down".into(),
                }),
            }
        }

        async fn update(
            &self,
            _ctx: &ResourceCtx,
            _id: &str,
            prior: &Attrs,
            _desired: &Attrs,
            _changes: &[FieldChange],
        ) -> Result<Attrs, ProviderError> {
            Ok(prior.clone())
        }

        async fn delete(
            &self,
            _ctx: &ResourceCtx,
            _id: &str,
            _prior: &Attrs,
        ) -> Result<(), ProviderError> {
            Ok(())
        }

        async fn find_orphan(
            &self,
            _ctx: &ResourceCtx,
            _token: &str,
        ) -> Result<Option<Created>, ProviderError> {
            *self.lookups.lock().unwrap() += 1;
            {
                let mut hidden = self.hidden_lookups.lock().unwrap();
                if *hidden > 0 {
                    *hidden -= 1;
                    return Ok(None);
                }
            }
            Ok(self
                .ours()
                .first()
                .map(|id| Created::new(id.clone(), Attrs::new())))
        }
    }

    async fn run(p: &Scripted) -> Result<CreateOutcome, ProviderError> {
        let ctx = crate::values::resource_ctx(
            &crate::ownership::Owner::new("l", "s", None),
            &Address::single("thing"),
            "r",
            None,
        );
        let policy = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
        };
        create_or_adopt(&policy, p, &ctx, &Attrs::new(), "tok", |_, _, _| {}).await
    }

    #[tokio::test(start_paused = true)]
    async fn a_lost_answer_is_looked_up_not_created_again() {
        let p = Scripted::new(&[Step::CreateThenLose]);
        let out = run(&p).await.unwrap();
        assert!(out.adopted);
        assert_eq!(out.created.id, "obj-1");
        assert_eq!(p.ours(), vec!["obj-1"], "one object, not two");
        assert_eq!(p.creates(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_first_attempt_that_succeeds_looks_nothing_up() {
        let p = Scripted::new(&[Step::Create]);
        let out = run(&p).await.unwrap();
        assert!(!out.adopted);
        assert_eq!(p.lookups(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_lost_request_that_did_nothing_is_sent_again() {
        let p = Scripted::new(&[Step::Lose, Step::Throttle, Step::Create]);
        let out = run(&p).await.unwrap();
        assert!(!out.adopted);
        assert_eq!(p.ours(), vec!["obj-1"]);
        assert_eq!((p.creates(), p.lookups()), (3, 2));
    }

    /// The object of an ambiguous attempt was not visible to the lookup
    /// before the next attempt (it appeared a moment later), so the create
    /// was sent again and refused as a conflict: that counts as success,
    /// because what exists is ours.
    #[tokio::test(start_paused = true)]
    async fn a_conflict_after_an_ambiguous_attempt_adopts_what_is_ours() {
        let p = Scripted::new(&[Step::CreateThenLose, Step::Refuse("InvalidSubnet.Conflict")])
            .with_hidden_lookups(1);
        let out = run(&p).await.unwrap();
        assert!(out.adopted);
        assert_eq!(out.created.id, "obj-1");
        assert_eq!(p.creates(), 2);
        assert_eq!(p.ours(), vec!["obj-1"]);
    }

    /// "Already exists" with nothing of ours to find: another owner's object
    /// is in the way. The error stands; nothing is adopted.
    #[tokio::test(start_paused = true)]
    async fn a_conflict_with_a_foreign_object_is_an_error() {
        let p = Scripted::new(&[Step::Lose, Step::Refuse("AlreadyExistsException")]).with_foreign();
        let err = run(&p).await.unwrap_err();
        assert!(
            matches!(&err, ProviderError::Api { code, .. } if code == "AlreadyExistsException"),
            "{err:?}"
        );
        assert!(p.ours().is_empty(), "nothing adopted or created");
        assert_eq!(p.creates(), 2);
    }

    /// Without an ambiguous attempt before it, "already exists" is the
    /// provider's answer to give: the engine does not go looking.
    #[tokio::test(start_paused = true)]
    async fn a_conflict_on_the_first_attempt_is_not_second_guessed() {
        let p = Scripted::new(&[Step::Refuse("AlreadyExistsException")]);
        let err = run(&p).await.unwrap_err();
        assert!(matches!(err, ProviderError::Api { .. }));
        assert_eq!(p.lookups(), 0);
        let p = Scripted::new(&[Step::Throttle, Step::Refuse("AlreadyExistsException")]);
        assert!(run(&p).await.is_err(), "a throttled attempt did nothing");
        assert_eq!(p.lookups(), 1, "only the lookup before the retry");
    }

    /// An object holding a set of rules; `update` authorizes the rules in
    /// `desired` but not in `prior` one call each, refusing a rule that is
    /// already there (like EC2's `InvalidPermission.Duplicate`). The first
    /// update's answer is lost after its calls took effect.
    struct Rules {
        schema: KindSchema,
        live: Mutex<Vec<String>>,
        lose_next: Mutex<bool>,
        observes: Mutex<u32>,
    }

    fn rules(attrs: &Attrs) -> Vec<String> {
        match attrs.get("rules") {
            Some(forge_core::Value::List(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn with_rules(list: &[&str]) -> Attrs {
        let mut a = Attrs::new();
        a.insert(
            "rules".into(),
            forge_core::Value::List(list.iter().map(|r| forge_core::Value::from(*r)).collect()),
        );
        a
    }

    #[async_trait::async_trait]
    impl Provider for Rules {
        fn schema(&self) -> &KindSchema {
            &self.schema
        }

        async fn observe(
            &self,
            _ctx: &ObserveCtx,
            ids: &[String],
        ) -> Result<BTreeMap<String, Attrs>, ProviderError> {
            *self.observes.lock().unwrap() += 1;
            let live = self.live.lock().unwrap().clone();
            let refs: Vec<&str> = live.iter().map(String::as_str).collect();
            Ok(ids
                .iter()
                .map(|id| (id.clone(), with_rules(&refs)))
                .collect())
        }

        async fn create(
            &self,
            _ctx: &ResourceCtx,
            _desired: &Attrs,
            _token: &str,
        ) -> Result<Created, ProviderError> {
            unreachable!("not used")
        }

        async fn update(
            &self,
            _ctx: &ResourceCtx,
            _id: &str,
            prior: &Attrs,
            desired: &Attrs,
            _changes: &[FieldChange],
        ) -> Result<Attrs, ProviderError> {
            let had = rules(prior);
            for rule in rules(desired).into_iter().filter(|r| !had.contains(r)) {
                let mut live = self.live.lock().unwrap();
                if live.contains(&rule) {
                    return Err(ProviderError::Api {
                        code: "InvalidPermission.Duplicate".into(),
                        message: rule,
                    });
                }
                live.push(rule);
            }
            if std::mem::take(&mut *self.lose_next.lock().unwrap()) {
                return Err(ProviderError::Transient {
                    message: "InternalError: 500".into(),
                });
            }
            Ok(desired.clone())
        }

        async fn delete(
            &self,
            _ctx: &ResourceCtx,
            _id: &str,
            _prior: &Attrs,
        ) -> Result<(), ProviderError> {
            Ok(())
        }

        async fn find_orphan(
            &self,
            _ctx: &ResourceCtx,
            _token: &str,
        ) -> Result<Option<Created>, ProviderError> {
            Ok(None)
        }
    }

    /// Sent again from the stale prior, the update would authorize the
    /// same rule twice and fail; planned against the live object it has
    /// nothing left to do.
    #[tokio::test(start_paused = true)]
    async fn an_update_whose_answer_was_lost_is_replanned_against_the_live_object() {
        let p = Rules {
            schema: KindSchema::new("test.rules", "rules", []),
            live: Mutex::new(vec!["a".into()]),
            lose_next: Mutex::new(true),
            observes: Mutex::new(0),
        };
        let ctx = crate::values::resource_ctx(
            &crate::ownership::Owner::new("l", "s", None),
            &Address::single("thing"),
            "r",
            None,
        );
        let policy = RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(1),
        };
        let (prior, desired) = (with_rules(&["a"]), with_rules(&["a", "b"]));
        let replan = |live: &Attrs| {
            let action = if rules(live) == rules(&desired) {
                PlannedAction::NoOp
            } else {
                PlannedAction::Update
            };
            PlannedChange {
                action,
                predicted: desired.clone(),
                changes: Vec::new(),
                pending: Vec::new(),
            }
        };
        let out = update_replanning(
            &policy,
            &p,
            &ctx,
            "obj-1",
            &prior,
            &desired,
            &[],
            replan,
            |_, _, _| {},
        )
        .await
        .unwrap();
        assert_eq!(rules(&out), vec!["a", "b"]);
        assert_eq!(*p.live.lock().unwrap(), vec!["a", "b"]);
        assert_eq!(*p.observes.lock().unwrap(), 1);
    }
}
