//! A fault-injecting HTTP proxy between forge and the emulator.
//!
//! Tests point `AWS_ENDPOINT_URL` at the proxy. It forwards every request to
//! the emulator, counts requests per AWS action (see [`action`] for the
//! names), and at configured rates (seeded, so a failing run can be
//! replayed) answers with the protocol's throttling error, an HTTP 500
//! (instead of forwarding, or after the emulator acted on the request),
//! closes the connection without answering (before or after the emulator
//! acted on the request), or adds latency. An optional filter limits faults
//! to some actions (e.g. only S3 PUTs). Every request is logged in order
//! with the fault it got ([`Proxy::requests`]), so a test can see what was
//! sent again after a fault.
//!
//! It runs on its own runtime thread, so sync and async tests can use it.

pub mod action;
mod config;
mod conn;
pub mod http;
mod log;
mod rng;

pub use config::{ActionFilter, FaultConfig};
pub use log::LoggedRequest;

use crate::emulator::aws_env;
use crate::error::HarnessError;
use rng::SplitMix64;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// What the proxy decided to do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    Throttle,
    Internal,
    /// Close the client connection without forwarding.
    Drop,
    /// Forward (the emulator acts on it), then close without answering.
    DropAfter,
    /// Forward (the emulator acts on it), then answer HTTP 500 instead of
    /// its response: the caller cannot tell whether the call took effect.
    InternalAfter,
}

impl Fault {
    /// The name used in [`Proxy::faults_injected`] and the request log.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Fault::Throttle => "throttle",
            Fault::Internal => "error500",
            Fault::Drop => "drop",
            Fault::DropAfter => "drop_after",
            Fault::InternalAfter => "error500_after",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Decision {
    pub fault: Option<Fault>,
    pub latency: Option<Duration>,
    pub request_id: u64,
}

struct State {
    config: FaultConfig,
    rng: SplitMix64,
    counts: BTreeMap<String, u64>,
    faults: BTreeMap<String, u64>,
    log: Vec<LoggedRequest>,
    next_id: u64,
}

pub(crate) struct Shared {
    state: Mutex<State>,
    pub upstream: String,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the maps inconsistent
        // in a way that matters to a test, so poisoning is ignored.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts the request and draws its fate.
    pub(crate) fn decide(&self, key: &str) -> Decision {
        let mut st = self.lock();
        *st.counts.entry(key.to_string()).or_default() += 1;
        st.next_id += 1;
        let request_id = st.next_id;
        let applies = st.config.filter.as_ref().is_none_or(|f| f.matches(key));
        if !applies {
            st.log.push(LoggedRequest {
                id: request_id,
                action: key.to_string(),
                fault: None,
            });
            return Decision {
                fault: None,
                latency: None,
                request_id,
            };
        }
        let c = &st.config;
        let (t, e, d, da, ea) = (
            c.throttle_rate,
            c.error_rate,
            c.drop_rate,
            c.drop_after_rate,
            c.error_after_rate,
        );
        let (lat, lat_rate) = (c.latency, c.latency_rate);
        let r = st.rng.next_f64();
        let fault = if r < t {
            Some(Fault::Throttle)
        } else if r < t + e {
            Some(Fault::Internal)
        } else if r < t + e + d {
            Some(Fault::Drop)
        } else if r < t + e + d + da {
            Some(Fault::DropAfter)
        } else if r < t + e + d + da + ea {
            Some(Fault::InternalAfter)
        } else {
            None
        };
        let latency = (!lat.is_zero() && st.rng.next_f64() < lat_rate).then_some(lat);
        if let Some(f) = fault {
            *st.faults.entry(f.name().to_string()).or_default() += 1;
        }
        st.log.push(LoggedRequest {
            id: request_id,
            action: key.to_string(),
            fault: fault.map(Fault::name),
        });
        if latency.is_some() {
            *st.faults.entry("latency".to_string()).or_default() += 1;
        }
        Decision {
            fault,
            latency,
            request_id,
        }
    }
}

/// A running proxy on `127.0.0.1:port`; stopped on drop.
pub struct Proxy {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    pub port: u16,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Starts a proxy forwarding to `upstream` (`http://host:port`).
    pub fn start(upstream: &str, faults: FaultConfig) -> Result<Proxy, HarnessError> {
        let upstream_addr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let io_err = |what: &str| {
            let what = what.to_string();
            move |source| HarnessError::Io { what, source }
        };
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").map_err(io_err("bind proxy port"))?;
        let port = listener
            .local_addr()
            .map_err(io_err("proxy local address"))?
            .port();
        listener
            .set_nonblocking(true)
            .map_err(io_err("proxy set_nonblocking"))?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                rng: SplitMix64::new(faults.seed),
                config: faults,
                counts: BTreeMap::new(),
                faults: BTreeMap::new(),
                log: Vec::new(),
                next_id: 0,
            }),
            upstream: upstream_addr,
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("forge-proxy")
            .enable_all()
            .build()
            .map_err(io_err("proxy runtime"))?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let task_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("forge-proxy".into())
            .spawn(move || runtime.block_on(conn::serve(listener, task_shared, rx)))
            .map_err(io_err("spawn proxy thread"))?;
        Ok(Proxy {
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            shared,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// Requests received so far, per action (including those answered with
    /// an injected fault).
    pub fn counts(&self) -> BTreeMap<String, u64> {
        self.shared.lock().counts.clone()
    }

    /// Total requests received so far.
    pub fn total(&self) -> u64 {
        self.shared.lock().counts.values().sum()
    }

    /// Faults injected so far, by kind (`throttle`, `error500`, `drop`,
    /// `drop_after`, `error500_after`, `latency`).
    pub fn faults_injected(&self) -> BTreeMap<String, u64> {
        self.shared.lock().faults.clone()
    }

    /// Every request received so far, in arrival order, with the fault it
    /// got.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.lock().log.clone()
    }

    /// Forgets the counts of requests and of injected faults, and the
    /// request log.
    pub fn reset_counts(&self) {
        let mut st = self.shared.lock();
        st.counts.clear();
        st.faults.clear();
        st.log.clear();
    }

    /// Replaces the fault configuration (and reseeds the RNG with its seed).
    pub fn set_faults(&self, faults: FaultConfig) {
        let mut st = self.shared.lock();
        st.rng = SplitMix64::new(faults.seed);
        st.config = faults;
    }

    /// Environment pointing AWS tools at this proxy (see [`aws_env`]).
    pub fn env(&self) -> Vec<(String, String)> {
        aws_env(&self.endpoint)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
