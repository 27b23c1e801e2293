//! Batched readiness waiting: one poller per (kind, region) observes all
//! of that group's waiting resources in one call per poll interval, so a
//! hundred subnets becoming available cost one Describe per poll, and
//! waiting never holds a scheduler slot.

use super::{Event, ProgressFn};
use crate::provider::{ObserveCtx, Provider, Readiness};
use crate::retry::{RetryPolicy, with_retry};
use forge_core::{Address, Attrs};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

struct WaitReq {
    id: String,
    address: Address,
    deadline: Instant,
    reply: oneshot::Sender<Result<Attrs, String>>,
}

/// The pollers of one apply.
pub struct ReadinessHub {
    stack: String,
    retry: RetryPolicy,
    progress: Option<ProgressFn>,
    groups: Mutex<HashMap<(String, String), mpsc::UnboundedSender<WaitReq>>>,
}

impl ReadinessHub {
    /// A hub for `stack`.
    pub fn new(stack: String, retry: RetryPolicy, progress: Option<ProgressFn>) -> Self {
        ReadinessHub {
            stack,
            retry,
            progress,
            groups: Mutex::new(HashMap::new()),
        }
    }

    /// Waits until `provider.readiness` says the object `id` is ready and
    /// returns its observed attributes; fails on a failed status or after
    /// the provider's `ready_timeout`.
    pub async fn wait(
        &self,
        provider: Arc<dyn Provider>,
        region: &str,
        id: &str,
        address: &Address,
    ) -> Result<Attrs, String> {
        let (reply, rx) = oneshot::channel();
        let req = WaitReq {
            id: id.to_string(),
            address: address.clone(),
            deadline: Instant::now() + provider.ready_timeout(),
            reply,
        };
        let key = (provider.schema().kind.clone(), region.to_string());
        {
            let mut groups = self
                .groups
                .lock()
                .map_err(|_| "readiness hub poisoned".to_string())?;
            let tx = groups.entry(key.clone()).or_insert_with(|| {
                let (tx, rx) = mpsc::unbounded_channel();
                let ctx = ObserveCtx {
                    region: region.to_string(),
                    stack: self.stack.clone(),
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
                    stack: self.stack.clone(),
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
        tokio::time::sleep(provider.poll_interval()).await;
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
            let status = match observed.get(&r.id) {
                Some(attrs) => match provider.readiness(attrs) {
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
                None => "not visible yet".to_string(),
            };
            if now >= r.deadline {
                let _ = r.reply.send(Err(format!(
                    "{} {} was not ready after {:?} (last status `{status}`)",
                    provider.schema().kind,
                    r.id,
                    provider.ready_timeout()
                )));
                continue;
            }
            if let Some(p) = &progress {
                p(&Event::Waiting {
                    address: r.address.clone(),
                    status,
                });
            }
            still.push(r);
        }
        pending = still;
    }
}
