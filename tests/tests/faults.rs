//! Issue 4: through the fault-injecting proxy, with 30% of requests
//! throttled or answered HTTP 500, `forge apply` still converges to the same
//! verified network; plan then shows no changes and destroy leaves nothing.

use forge_e2e::network::{self, Expected};
use forge_e2e::{Emulator, FaultConfig, Forge, Proxy, RunOutput, StackCopy, getting_started_dir};

/// The seed is printed so a failing run can be replayed
/// (`FORGE_FAULT_SEED=<n> cargo test -p forge-e2e --test faults`).
fn seed() -> u64 {
    forge_e2e::seed_from_env("FORGE_FAULT_SEED", "fault")
}

fn run(forge: &Forge, stack: &StackCopy, args: &[&str]) -> RunOutput {
    let arg = stack.arg();
    let mut full = vec![args[0], arg.as_str()];
    full.extend_from_slice(&args[1..]);
    forge
        .run(stack.path(), &full)
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn converges_through(faults: FaultConfig, what: &str) {
    let emulator = Emulator::start().unwrap_or_else(|e| panic!("{e}"));
    let proxy = Proxy::start(&emulator.endpoint, faults).unwrap_or_else(|e| panic!("{e}"));
    let forge = Forge::new(proxy.env()).unwrap_or_else(|e| panic!("{e}"));
    let stack = StackCopy::of(&getting_started_dir()).unwrap_or_else(|e| panic!("{e}"));

    let out = run(&forge, &stack, &["apply", "-e", "dev", "--auto-approve"]);
    let injected = proxy.faults_injected();
    println!(
        "{what}: apply made {} requests, faults injected {injected:?}",
        proxy.total()
    );
    out.expect_success();
    assert!(
        injected.values().sum::<u64>() > 0,
        "no fault was injected: the test proved nothing"
    );

    // Verify directly against the emulator, not through the proxy.
    let ec2 = emulator.ec2("us-east-1").await;
    if let Err(problems) = network::verify(&ec2, &Expected::getting_started("dev")).await {
        panic!(
            "{what}: apply exited 0 but the network is wrong:\n  - {}\n\n{out}",
            problems.join("\n  - ")
        );
    }

    run(
        &forge,
        &stack,
        &["plan", "-e", "dev", "--detailed-exitcode"],
    )
    .expect_code(0);

    let out = run(&forge, &stack, &["destroy", "-e", "dev", "--auto-approve"]);
    out.expect_success();
    let left = network::leftovers(&ec2)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        left.is_empty(),
        "{what}: left after destroy: {left:?}\n{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_converges_with_30_percent_throttling_and_500s() {
    forge_e2e::require_emulator!(
        "injects throttling, 500s and dropped connections through the fault proxy"
    );
    converges_through(
        FaultConfig::throttle_and_errors(0.3, seed()),
        "30% throttled or 500",
    )
    .await;
}

/// Connections closed before the request reaches the emulator, plus latency:
/// the SDK must treat both as transient.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_converges_with_dropped_connections_and_latency() {
    forge_e2e::require_emulator!(
        "injects throttling, 500s and dropped connections through the fault proxy"
    );
    converges_through(
        FaultConfig::none()
            .with_seed(seed())
            .with_drops(0.15)
            .with_latency(std::time::Duration::from_millis(40), 0.5),
        "15% dropped + latency",
    )
    .await;
}
