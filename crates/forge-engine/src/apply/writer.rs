//! The single state writer: every state change of an apply goes through
//! it, and a burst of changes arriving while a write is in progress costs
//! one more write, not one each.
//!
//! A write that fails (after the backend's own retries) drains the apply:
//! nothing new is started while the cloud runs ahead of the recorded state.

use crate::cancel::CancelToken;
use crate::state::{State, StateBackend, VersionToken};
use tokio::sync::{mpsc, oneshot};

/// A change to the state.
pub type Mutation = Box<dyn FnOnce(&mut State) + Send>;

/// A message to the writer.
pub enum WriterMsg {
    /// Apply a change; if `ack` is given, answer once it is durable.
    Mutate(Mutation, Option<oneshot::Sender<Result<(), String>>>),
    /// Write what is pending and stop.
    Close,
}

/// The handle operations use to change state.
#[derive(Clone)]
pub struct WriterHandle {
    tx: mpsc::UnboundedSender<WriterMsg>,
}

impl WriterHandle {
    /// Changes state; returns once the change is written (or failed to be).
    pub async fn durable(&self, m: Mutation) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(WriterMsg::Mutate(m, Some(tx)))
            .map_err(|_| "the state writer has stopped".to_string())?;
        rx.await
            .map_err(|_| "the state writer has stopped".to_string())?
    }

    /// Changes state; written with the next batch.
    pub fn record(&self, m: Mutation) {
        // After Close the writer is gone; an aborted apply's late changes
        // are dropped on purpose (the next run adopts).
        let _ = self.tx.send(WriterMsg::Mutate(m, None));
    }

    /// Asks the writer to flush and stop.
    pub fn close(&self) {
        let _ = self.tx.send(WriterMsg::Close);
    }
}

/// What the writer ends with.
pub struct WriterOutcome {
    /// The final in-memory state.
    pub state: State,
    /// Successful writes.
    pub writes: u64,
    /// The last write error, if the final state could not be saved.
    pub error: Option<String>,
}

/// A new writer channel.
pub fn channel() -> (WriterHandle, mpsc::UnboundedReceiver<WriterMsg>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (WriterHandle { tx }, rx)
}

/// Runs the writer until [`WriterMsg::Close`] (or every handle is gone).
/// A failed write drains `stop`.
pub async fn run(
    backend: &dyn StateBackend,
    mut state: State,
    mut token: VersionToken,
    mut rx: mpsc::UnboundedReceiver<WriterMsg>,
    stop: &CancelToken,
) -> WriterOutcome {
    let mut writes = 0;
    let mut error = None;
    let mut dirty = false;
    let mut closing = false;
    while !closing {
        let Some(first) = rx.recv().await else { break };
        let mut acks = Vec::new();
        let handle = |msg: WriterMsg, state: &mut State, acks: &mut Vec<_>| match msg {
            WriterMsg::Mutate(m, ack) => {
                m(state);
                acks.extend(ack);
                true
            }
            WriterMsg::Close => false,
        };
        if handle(first, &mut state, &mut acks) {
            dirty = true;
        } else {
            closing = true;
        }
        // Coalesce everything already queued into this write.
        while let Ok(msg) = rx.try_recv() {
            if handle(msg, &mut state, &mut acks) {
                dirty = true;
            } else {
                closing = true;
            }
        }
        if !dirty {
            continue;
        }
        state.serial += 1;
        match backend.write(&state, &token).await {
            Ok(t) => {
                token = t;
                writes += 1;
                dirty = false;
                error = None;
                for a in acks {
                    let _ = a.send(Ok(()));
                }
            }
            Err(e) => {
                // Not durable: the next batch retries with the same token.
                state.serial -= 1;
                let msg = format!("saving state to {}: {e}", backend.location());
                for a in acks {
                    let _ = a.send(Err(msg.clone()));
                }
                error = Some(msg);
                stop.drain();
            }
        }
    }
    WriterOutcome {
        state,
        writes,
        error,
    }
}
