//! Batched readiness waiting: one poller per (kind, region) observes all
//! of that group's waiting resources in one call per poll interval, so a
//! hundred subnets becoming available cost one Describe per poll, and
//! waiting never holds a scheduler slot.

use super::{Event, ProgressFn};
use crate::ownership::Owner;
use crate::provider::{ObserveCtx, Provider, Readiness};
use crate::retry::{RetryPolicy, with_retry};
use forge_core::{Address, Attrs};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// What a wait is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    /// The provider's `readiness` says ready.
    Ready,
    /// The object is no longer listed (a slow delete finished).
    Gone,
}

struct WaitReq {
    id: String,
    address: Address,
    goal: Goal,
    timeout: Duration,
    deadline: Instant,
    /// When the resource's operation started (for the elapsed time shown).
    started: Instant,
    reply: oneshot::Sender<Result<Attrs, String>>,
}

/// The pollers of one apply.
pub struct ReadinessHub {
    owner: Owner,
    retry: RetryPolicy,
    progress: Option<ProgressFn>,
    /// One poller per (kind, region, credential alias): one batched
    /// observe answers every wait of the group.
    groups: Mutex<HashMap<crate::refresh::Group, mpsc::UnboundedSender<WaitReq>>>,
}

impl ReadinessHub {
    /// A hub for the state `owner` applies to.
    pub fn new(owner: Owner, retry: RetryPolicy, progress: Option<ProgressFn>) -> Self {
        ReadinessHub {
            owner,
            retry,
            progress,
            groups: Mutex::new(HashMap::new()),
        }
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
    ) -> Result<Attrs, String> {
        let (reply, rx) = oneshot::channel();
        let req = WaitReq {
            id: id.to_string(),
            address: address.clone(),
            goal,
            timeout,
            deadline: Instant::now() + timeout,
            started,
            reply,
        };
        let key = (
            provider.schema().kind.clone(),
            region.to_string(),
            alias.map(str::to_string),
        );
        {
            let mut groups = self
                .groups
                .lock()
                .map_err(|_| "readiness hub poisoned".to_string())?;
            let tx = groups.entry(key.clone()).or_insert_with(|| {
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
                    self.retry.clone(),
                    self.progress.clone(),
                ));
                tx
            });
            if let Err(mpsc::error::SendError(req)) = tx.send(req) {
                // The poller stopped (it ends when idle and the hub is
                // dropped); start a fresh one.
                let (tx2, rx2) = mpsc::unbounded_channel();
                let ctx = ObserveCtx {
                    region: region.to_string(),
                    alias: alias.map(str::to_string),
                    owner: self.owner.clone(),
                };
                tokio::spawn(poll_group(
                    provider.clone(),
                    ctx,
                    rx2,
                    self.retry.clone(),
                    self.progress.clone(),
                ));
                let _ = tx2.send(req);
                groups.insert(key, tx2);
            }
        }
        rx.await
            .map_err(|_| "readiness poller stopped".to_string())?
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

async fn poll_group(
    provider: Arc<dyn Provider>,
    ctx: ObserveCtx,
    mut rx: mpsc::UnboundedReceiver<WaitReq>,
    retry: RetryPolicy,
    progress: Option<ProgressFn>,
) {
    let mut pending: Vec<WaitReq> = Vec::new();
    loop {
        if pending.is_empty() {
            match rx.recv().await {
                Some(r) => pending.push(r),
                None => return,
            }
        }
        tokio::time::sleep(poll_interval(provider.as_ref())).await;
        while let Ok(r) = rx.try_recv() {
            pending.push(r);
        }
        pending.retain(|r| !r.reply.is_closed());
        if pending.is_empty() {
            continue;
        }
        let mut ids: Vec<String> = pending.iter().map(|r| r.id.clone()).collect();
        ids.sort();
        ids.dedup();
        let observed = with_retry(&retry, || provider.observe(&ctx, &ids), |_, _, _| {}).await;
        let now = Instant::now();
        let observed = match observed {
            Ok(o) => o,
            Err(e) => {
                for r in pending.drain(..) {
                    let _ = r.reply.send(Err(format!(
                        "observing {} while waiting for readiness: {e}",
                        provider.schema().kind
                    )));
                }
                continue;
            }
        };
        let mut still = Vec::new();
        for r in pending.drain(..) {
            let status = match (r.goal, observed.get(&r.id)) {
                (Goal::Gone, None) => {
                    let _ = r.reply.send(Ok(Attrs::new()));
                    continue;
                }
                (Goal::Gone, Some(attrs)) => match provider.readiness(attrs) {
                    Readiness::Pending(status) | Readiness::Failed(status) => status,
                    Readiness::Ready => "still listed".to_string(),
                },
                (Goal::Ready, Some(attrs)) => match provider.readiness(attrs) {
                    Readiness::Ready => {
                        let _ = r.reply.send(Ok(attrs.clone()));
                        continue;
                    }
                    Readiness::Failed(status) => {
                        let _ = r.reply.send(Err(format!(
                            "{} {} became `{status}` instead of ready",
                            provider.schema().kind,
                            r.id
                        )));
                        continue;
                    }
                    Readiness::Pending(status) => status,
                },
                // Eventual consistency: a new object may not be listed yet.
                (Goal::Ready, None) => "not visible yet".to_string(),
            };
            if now >= r.deadline {
                let what = match r.goal {
                    Goal::Ready => "was not ready",
                    Goal::Gone => "was still not gone",
                };
                let _ = r.reply.send(Err(format!(
                    "{} {} {what} after {} (last status `{status}`); \
                     raise the resource's `timeouts` if it needs longer",
                    provider.schema().kind,
                    r.id,
                    human_duration(r.timeout)
                )));
                continue;
            }
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
