//! SIGINT / SIGTERM while forge refreshes: the lock it took is released at
//! once, forge exits 130, and the next run needs no `force-unlock` — on
//! local state and on S3 state, for `plan`, `apply` and `destroy`.
//!
//! Refresh is made slow by the fault proxy: every EC2 Describe call waits
//! a few seconds before it is forwarded, so the signal lands while forge
//! holds the lock and waits on the cloud.

// Test code: a failed call should stop the test with its error.
#![allow(clippy::unwrap_used)]

use forge_e2e::{ActionFilter, Emulator, FaultConfig, Forge, Proxy, StackCopy};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const REGION: &str = "us-east-1";
const BUCKET: &str = "signal-state";

/// Where a test keeps the stack's state.
enum Backend {
    Local,
    S3(aws_sdk_s3::Client),
}

impl Backend {
    async fn lock_exists(&self, stack: &StackCopy) -> bool {
        match self {
            Backend::Local => lock_file(stack).exists(),
            Backend::S3(s3) => s3
                .head_object()
                .bucket(BUCKET)
                .key("getting-started/dev.json.lock")
                .send()
                .await
                .is_ok(),
        }
    }
}

fn lock_file(stack: &StackCopy) -> PathBuf {
    stack
        .path()
        .join(".forge/state/getting-started-dev.json.lock")
}

/// Slow EC2 reads (refresh) only; state traffic (S3) passes untouched.
fn slow_refresh() -> FaultConfig {
    FaultConfig::none()
        .with_latency(Duration::from_secs(4), 1.0)
        .only(ActionFilter::prefix("ec2:Describe"))
}

/// Starts `args` through the slow proxy, signals it once it is refreshing
/// under the lock, and checks it released the lock and exited 130.
async fn interrupt_during_refresh(
    slow: &Forge,
    proxy: &Proxy,
    stack: &StackCopy,
    backend: &Backend,
    args: &[&str],
    signal: &str,
) {
    proxy.reset_counts();
    let arg = stack.arg();
    let mut full = vec![args[0], arg.as_str(), "-e", "dev"];
    full.extend_from_slice(&args[1..]);
    let mut running = slow.spawn(stack.path(), &full, &[]).unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let refreshing = proxy.counts().keys().any(|k| k.starts_with("ec2:Describe"));
        if refreshing && backend.lock_exists(stack).await {
            break;
        }
        assert!(
            !running.finished(),
            "`forge {}` ended before it refreshed",
            full.join(" ")
        );
        assert!(
            Instant::now() < deadline,
            "`forge {}` never started refreshing:\n{}",
            full.join(" "),
            running.stderr_so_far()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let signalled = Instant::now();
    running.signal(signal).unwrap();
    let out = running.wait().unwrap();
    out.expect_code(130);
    // Generous: it must not wait for the slowed refresh calls to finish.
    assert!(
        signalled.elapsed() < Duration::from_secs(30),
        "took {:?} to stop\n{out}",
        signalled.elapsed()
    );
    assert!(out.stderr.contains("Interrupt received"), "{out}");
    assert!(out.stderr.contains("Released the state lock"), "{out}");
    assert!(
        !backend.lock_exists(stack).await,
        "SIG{signal} left the state lock behind\n{out}"
    );
}

async fn signals_release_the_lock(backend: impl FnOnce(&aws_sdk_s3::Client) -> Backend) {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let s3 = emulator.s3(REGION).await;
    s3.create_bucket().bucket(BUCKET).send().await.unwrap();
    let backend = backend(&s3);
    let stack = StackCopy::getting_started_network().unwrap_or_else(|e| panic!("{e}"));
    if matches!(backend, Backend::S3(_)) {
        stack.edit(
            "stack.yaml",
            "state:\n  backend: local\n",
            &format!(
                "state:\n  backend: s3\n  bucket: {BUCKET}\n  key: \"${{stack}}/${{env}}.json\"\n  region: {REGION}\n"
            ),
        );
    }
    let arg = stack.arg();
    let direct = Forge::new(emulator.env()).unwrap_or_else(|e| panic!("{e}"));
    direct
        .run(
            stack.path(),
            &["apply", &arg, "-e", "dev", "--auto-approve"],
        )
        .unwrap()
        .expect_success();

    let proxy = Proxy::start(&emulator.endpoint, slow_refresh()).unwrap_or_else(|e| panic!("{e}"));
    let slow = Forge::new(proxy.env()).unwrap_or_else(|e| panic!("{e}"));
    for (args, signal) in [
        (&["plan"][..], "INT"),
        (&["apply", "--auto-approve"][..], "TERM"),
        (&["destroy", "--auto-approve"][..], "INT"),
        (&["plan"][..], "TERM"),
    ] {
        interrupt_during_refresh(&slow, &proxy, &stack, &backend, args, signal).await;
    }

    // The next run takes the lock without `force-unlock`, and nothing
    // changed: the interrupted runs stopped before doing anything.
    direct
        .run(
            stack.path(),
            &["plan", &arg, "-e", "dev", "--detailed-exitcode"],
        )
        .unwrap()
        .expect_code(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_during_refresh_releases_the_local_lock() {
    forge_e2e::require_emulator!(
        "slows refreshes down with the fault proxy to signal forge during one"
    );
    signals_release_the_lock(|_| Backend::Local).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_during_refresh_releases_the_s3_lock() {
    forge_e2e::require_emulator!(
        "slows refreshes down with the fault proxy to signal forge during one"
    );
    signals_release_the_lock(|s3| Backend::S3(s3.clone())).await;
}
