//! Batched readiness waiting and read-back: one poller per (kind, region,
//! credentials) observes all of that group's waiting resources in one call
//! per poll, so a hundred subnets becoming available cost one Describe per
//! poll, and waiting never holds a scheduler slot.
//!
//! A read-back (a create that left the rest of its object to be read, see
//! [`crate::provider::Created::read_back`]) is served the same way, but
//! soon: the poller observes once the group's creates that are still in
//! their call have finished (or [`READ_BACK_WINDOW`] has passed since the
//! first read-back came in), so the resources of a wave that finish
//! together cost one Describe, not one each.

use super::{Event, ProgressFn};
use crate::ownership::Owner;
use crate::provider::{ObserveCtx, Provider, Readiness};
use crate::refresh::Group;
use crate::retry::{RetryPolicy, with_retry};
use forge_core::{Address, Attrs};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// What a wait is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// The provider's `readiness` says ready.
    Ready,
    /// The object was just created and only partly known: read it back
    /// soon, batched with the group's other read-backs, then wait until
    /// ready like [`Goal::Ready`].
    ReadBack,
    /// The object is no longer listed (a slow delete finished).
    Gone,
}

/// How long a read-back waits for more of its group's creates to finish,
/// at most, counted from the first read-back waiting.
pub const READ_BACK_WINDOW: Duration = Duration::from_millis(1000);

/// Quiet time after the latest read-back came in before observing, so
/// creates answered a moment apart share the describe.
const READ_BACK_GAP: Duration = Duration::from_millis(20);

/// First delay before reading back again an object not visible yet
/// (eventual consistency); doubles up to the kind's poll interval.
const NOT_VISIBLE_RETRY: Duration = Duration::from_millis(100);

/// How a wait did not reach its goal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitError {
    /// The object could not be observed (the describe kept failing): it
    /// says nothing about the object itself.
    Unobserved(String),
    /// The object failed, or timed out, or the poller stopped.
    Failed(String),
}

impl std::fmt::Display for WaitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WaitError::Unobserved(e) | WaitError::Failed(e) => f.write_str(e),
        }
    }
}

struct WaitReq {
    id: String,
    address: Address,
    goal: Goal,
    timeout: Duration,
    deadline: Instant,
    /// When the resource's operation started (for the elapsed time shown).
    started: Instant,
    /// When it came in.
    arrived: Instant,
    /// When it is next due to be observed.
    due: Instant,
    /// Read-backs that found the object not visible yet.
    misses: u32,
    reply: oneshot::Sender<Result<Attrs, WaitError>>,
}

impl WaitReq {
    /// A read-back not yet observed.
    fn unread(&self) -> bool {
        self.goal == Goal::ReadBack && self.misses == 0
    }
}

/// Creates of one group in their call now: a read-back waits for them.
#[derive(Default)]
struct Calls(AtomicUsize);

/// One create's call, counted while it lasts (see [`ReadinessHub::calling`]).
pub struct CallGuard(Arc<Calls>);

impl Drop for CallGuard {
    fn drop(&mut self) {
        self.0.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The pollers of one apply.
pub struct ReadinessHub {
    owner: Owner,
    retry: RetryPolicy,
    progress: Option<ProgressFn>,
    /// One poller per (kind, region, credential alias): one batched
    /// observe answers every wait of the group.
    groups: Mutex<HashMap<Group, mpsc::UnboundedSender<WaitReq>>>,
    /// Creates in their call, per group.
    calls: Mutex<HashMap<Group, Arc<Calls>>>,
}

fn group_key(provider: &dyn Provider, (region, alias): (&str, Option<&str>)) -> Group {
    (
        provider.schema().kind.clone(),
        region.to_string(),
        alias.map(str::to_string),
    )
}

impl ReadinessHub {
    /// A hub for the state `owner` applies to.
    pub fn new(owner: Owner, retry: RetryPolicy, progress: Option<ProgressFn>) -> Self {
        ReadinessHub {
            owner,
            retry,
            progress,
            groups: Mutex::new(HashMap::new()),
            calls: Mutex::new(HashMap::new()),
        }
    }

    fn calls_of(&self, key: &Group) -> Arc<Calls> {
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        calls.entry(key.clone()).or_default().clone()
    }

    /// Counts a create call of `provider` in `(region, alias)` until the
    /// guard is dropped: the group's read-backs wait for it, so the
    /// creates of a wave are read back together.
    pub fn calling(&self, provider: &dyn Provider, at: (&str, Option<&str>)) -> CallGuard {
        let calls = self.calls_of(&group_key(provider, at));
        calls.0.fetch_add(1, Ordering::SeqCst);
        CallGuard(calls)
    }

    /// Waits until the object `id` reaches `goal` — ready (returning its
    /// observed attributes) or gone (returning no attributes); fails on a
    /// failed status or after `timeout`. `started` is when the resource's
    /// operation began: the `Waiting` events carry the time since.
    #[allow(clippy::too_many_arguments)]
    pub async fn wait(
        &self,
        provider: Arc<dyn Provider>,
        (region, alias): (&str, Option<&str>),
        id: &str,
        address: &Address,
        goal: Goal,
        timeout: Duration,
        started: Instant,
    ) -> Result<Attrs, WaitError> {
        let (reply, rx) = oneshot::channel();
        let now = Instant::now();
        let due = match goal {
            Goal::ReadBack => now + READ_BACK_GAP,
            Goal::Ready | Goal::Gone => now + poll_interval(provider.as_ref()),
        };
        let req = WaitReq {
            id: id.to_string(),
            address: address.clone(),
            goal,
            timeout,
            deadline: now + timeout,
            started,
            arrived: now,
            due,
            misses: 0,
            reply,
        };
        let key = group_key(provider.as_ref(), (region, alias));
        {
            let mut groups = self
                .groups
                .lock()
                .map_err(|_| WaitError::Failed("readiness hub poisoned".to_string()))?;
            let spawn = || {
                let (tx, rx) = mpsc::unbounded_channel();
                let ctx = ObserveCtx {
                    region: region.to_string(),
                    alias: alias.map(str::to_string),
                    owner: self.owner.clone(),
                };
                tokio::spawn(poll_group(
                    provider.clone(),
                    ctx,
                    rx,
                    self.calls_of(&key),
                    self.retry.clone(),
                    self.progress.clone(),
                ));
                tx
            };
            let tx = groups.entry(key.clone()).or_insert_with(spawn);
            if let Err(mpsc::error::SendError(req)) = tx.send(req) {
                // The poller stopped (it ends when idle and the hub is
                // dropped); start a fresh one.
                let tx2 = spawn();
                let _ = tx2.send(req);
                groups.insert(key, tx2);
            }
        }
        rx.await
            .map_err(|_| WaitError::Failed("readiness poller stopped".to_string()))?
    }
}

/// Environment variable scaling every kind's poll interval by a number in
/// (0, 1]. For harnesses running the AWS emulator in scaled time
/// (`FORGE_EMULATOR_TIME_SCALE`, docs/testing.md), so waits keep their
/// proportions to the durations they wait for; unset or invalid is 1.
pub const POLL_SCALE_ENV: &str = "FORGE_POLL_INTERVAL_SCALE";

fn poll_interval(provider: &dyn Provider) -> Duration {
    static SCALE: OnceLock<f64> = OnceLock::new();
    let scale = *SCALE.get_or_init(|| poll_scale(std::env::var(POLL_SCALE_ENV).ok().as_deref()));
    // A floor, so a tiny scale cannot turn waiting into a busy loop.
    provider
        .poll_interval()
        .mul_f64(scale)
        .max(Duration::from_millis(20))
}

fn poll_scale(value: Option<&str>) -> f64 {
    value
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 1.0)
        .unwrap_or(1.0)
}

/// When the group's poller observes next: the earliest due wait, except
/// that unread read-backs go together once the group's creates in their
/// call have finished, [`READ_BACK_GAP`] after the latest came in, and at
/// the latest [`READ_BACK_WINDOW`] after the first.
fn next_poll(pending: &[WaitReq], calls: &Calls, now: Instant) -> Instant {
    let others = pending.iter().filter(|r| !r.unread()).map(|r| r.due).min();
    let unread: Vec<&WaitReq> = pending.iter().filter(|r| r.unread()).collect();
    let read_back = match (
        unread.iter().map(|r| r.arrived).min(),
        unread.iter().map(|r| r.arrived).max(),
    ) {
        (Some(first), Some(latest)) => {
            let last_call = first + READ_BACK_WINDOW;
            let quiet = latest + READ_BACK_GAP;
            if calls.0.load(Ordering::SeqCst) > 0 {
                // Look again shortly: a create of the group may finish.
                Some(last_call.min(quiet.max(now + READ_BACK_GAP)))
            } else {
                Some(last_call.min(quiet))
            }
        }
        _ => None,
    };
    match (others, read_back) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => now,
    }
}

async fn poll_group(
    provider: Arc<dyn Provider>,
    ctx: ObserveCtx,
    mut rx: mpsc::UnboundedReceiver<WaitReq>,
    calls: Arc<Calls>,
    retry: RetryPolicy,
    progress: Option<ProgressFn>,
) {
    let mut pending: Vec<WaitReq> = Vec::new();
    let mut open = true;
    loop {
        if pending.is_empty() {
            if !open {
                return;
            }
            match rx.recv().await {
                Some(r) => pending.push(r),
                None => return,
            }
        }
        let at = next_poll(&pending, &calls, Instant::now());
        if open {
            tokio::select! {
                got = rx.recv() => {
                    match got {
                        Some(r) => pending.push(r),
                        None => open = false,
                    }
                    continue;
                }
                _ = tokio::time::sleep_until(at) => {}
            }
        } else {
            tokio::time::sleep_until(at).await;
        }
        // A read-back waits for its group's creates still in their call
        // (until its window closes): recompute now that time passed.
        if next_poll(&pending, &calls, Instant::now()) > Instant::now() {
            continue;
        }
        while let Ok(r) = rx.try_recv() {
            pending.push(r);
        }
        pending.retain(|r| !r.reply.is_closed());
        if pending.is_empty() {
            continue;
        }
        // Every wait of the group is observed in the one call, due or not:
        // it costs nothing more.
        let mut ids: Vec<String> = pending.iter().map(|r| r.id.clone()).collect();
        ids.sort();
        ids.dedup();
        let observed = with_retry(&retry, || provider.observe(&ctx, &ids), |_, _, _| {}).await;
        let now = Instant::now();
        let observed = match observed {
            Ok(o) => o,
            Err(e) => {
                for r in pending.drain(..) {
                    let what = match r.goal {
                        Goal::ReadBack if r.misses == 0 => "reading it back",
                        Goal::Ready | Goal::ReadBack => "waiting for readiness",
                        Goal::Gone => "waiting for it to be gone",
                    };
                    let _ = r.reply.send(Err(WaitError::Unobserved(format!(
                        "observing {} while {what}: {e}",
                        provider.schema().kind
                    ))));
                }
                continue;
            }
        };
        let interval = poll_interval(provider.as_ref());
        let mut still = Vec::new();
        for mut r in pending.drain(..) {
            let status = match (r.goal, observed.get(&r.id)) {
                (Goal::Gone, None) => {
                    let _ = r.reply.send(Ok(Attrs::new()));
                    continue;
                }
                (Goal::Gone, Some(attrs)) => match provider.readiness(attrs) {
                    Readiness::Pending(status) | Readiness::Failed(status) => status,
                    Readiness::Ready => "still listed".to_string(),
                },
                (Goal::Ready | Goal::ReadBack, Some(attrs)) => match provider.readiness(attrs) {
                    Readiness::Ready => {
                        let _ = r.reply.send(Ok(attrs.clone()));
                        continue;
                    }
                    Readiness::Failed(status) => {
                        let _ = r.reply.send(Err(WaitError::Failed(format!(
                            "{} {} became `{status}` instead of ready",
                            provider.schema().kind,
                            r.id
                        ))));
                        continue;
                    }
                    Readiness::Pending(status) => {
                        // Read back: from now on an ordinary wait.
                        r.goal = Goal::Ready;
                        status
                    }
                },
                // Eventual consistency: a new object may not be listed yet.
                (Goal::Ready | Goal::ReadBack, None) => "not visible yet".to_string(),
            };
            if now >= r.deadline {
                let what = match r.goal {
                    Goal::Ready | Goal::ReadBack => "was not ready",
                    Goal::Gone => "was still not gone",
                };
                let _ = r.reply.send(Err(WaitError::Failed(format!(
                    "{} {} {what} after {} (last status `{status}`); \
                     raise the resource's `timeouts` if it needs longer",
                    provider.schema().kind,
                    r.id,
                    human_duration(r.timeout)
                ))));
                continue;
            }
            r.due = if r.goal == Goal::ReadBack {
                // Not visible yet: read it back again soon.
                r.misses += 1;
                now + NOT_VISIBLE_RETRY
                    .saturating_mul(1 << r.misses.min(16))
                    .min(interval)
            } else {
                now + interval
            };
            if let Some(p) = &progress {
                p(&Event::Waiting {
                    address: r.address.clone(),
                    status,
                    elapsed: now.saturating_duration_since(r.started),
                });
            }
            still.push(r);
        }
        pending = still;
    }
}

/// `1h30m`, `45m`, `90s` — as `timeouts:` is written.
pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_timeouts() {
        assert_eq!(human_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(human_duration(Duration::from_secs(2700)), "45m");
        assert_eq!(human_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(human_duration(Duration::from_millis(300)), "0s");
    }

    #[test]
    fn poll_scale_takes_only_fractions() {
        assert_eq!(poll_scale(Some("0.01")), 0.01);
        assert_eq!(poll_scale(Some(" 1 ")), 1.0);
        for bad in [
            None,
            Some(""),
            Some("0"),
            Some("-1"),
            Some("2"),
            Some("NaN"),
            Some("x"),
        ] {
            assert_eq!(poll_scale(bad), 1.0, "{bad:?}");
        }
    }
}
