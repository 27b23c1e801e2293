//! Engine benchmark: prints figures, asserts nothing.
//!
//! `cargo run --release -p forge-testkit --example bench_engine`
//!
//! 1. 10,000 fake resources in a layered DAG (10 layers of 1,000, each
//!    depending on two of the layer before), zero latency, state in a
//!    local file: plan, apply, re-plan (refresh of 10,000), with wall time,
//!    state writes and peak memory (VmHWM).
//! 2. 500 resources, depth 10, 50 ms per operation: apply wall time
//!    against the critical path (10 x 50 ms).

use forge_core::Address;
use forge_core::spec::{Config, Instance, Stack};
use forge_engine::{ApplyOptions, Engine, LocalBackend, PlanOptions, ProviderRegistry};
use forge_testkit::fake::{FakeCloud, FakeProvider, Latency};
use std::time::{Duration, Instant};

fn layered(layers: usize, width: usize) -> Stack {
    let mut v = Vec::with_capacity(layers * width);
    for l in 0..layers {
        for i in 0..width {
            let mut inst = Instance::new(
                Address::indexed(format!("l{l}"), i),
                "fake.thing",
                "eu-west-1",
            )
            .with_field("name", Config::literal(format!("l{l}-{i}")))
            .with_field("size", Config::literal(i as i64));
            if l > 0 {
                inst = inst
                    .with_dependency(Address::indexed(format!("l{}", l - 1), i))
                    .with_dependency(Address::indexed(format!("l{}", l - 1), (i * 7 + 3) % width));
            }
            v.push(inst);
        }
    }
    forge_testkit::stack("bench", v)
}

fn vm_hwm_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_string)
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn engine(cloud: &FakeCloud) -> Engine {
    let mut r = ProviderRegistry::new();
    r.register(FakeProvider::arc("fake.thing", cloud));
    Engine::new(r)
}

async fn big() -> Result<(), Box<dyn std::error::Error>> {
    let cloud = FakeCloud::new();
    let e = engine(&cloud);
    let dir = tempfile::tempdir()?;
    let backend = LocalBackend::new(dir.path().join("bench.json"));
    let st = layered(10, 1000);

    let t = Instant::now();
    let plan = e.plan(&st, &backend, &PlanOptions::default()).await?;
    let plan_time = t.elapsed();
    let t = Instant::now();
    let opts = ApplyOptions {
        parallelism: 1000,
        ..Default::default()
    };
    let report = e.apply(&plan, &backend, &opts).await?;
    let apply_time = t.elapsed();
    let t = Instant::now();
    let replan = e.plan(&st, &backend, &PlanOptions::default()).await?;
    let replan_time = t.elapsed();
    let size = std::fs::metadata(backend.path())?.len();
    println!("== 10,000 resources, layered DAG (10 x 1,000), zero latency, local state file ==");
    println!(
        "plan (empty state):      {:>8.1} ms   (target < 1000 ms)",
        plan_time.as_secs_f64() * 1e3
    );
    println!(
        "apply:                   {:>8.1} ms   (target < 3000 ms)  succeeded {} / failed {}",
        apply_time.as_secs_f64() * 1e3,
        report.succeeded.len(),
        report.failed.len()
    );
    println!(
        "state writes during apply: {} (coalesced; 10,000 creates = 20,000 state changes)",
        report.state_writes
    );
    println!("state file size:         {:>8.1} MB", size as f64 / 1e6);
    println!(
        "re-plan (refresh 10,000): {:>7.1} ms   observe calls {}  changes {}",
        replan_time.as_secs_f64() * 1e3,
        cloud.observe_calls("fake.thing"),
        replan.has_changes()
    );
    println!(
        "peak memory (VmHWM):     {:>8.1} MB   (target < 500 MB)",
        vm_hwm_mb()
    );
    Ok(())
}

async fn latency() -> Result<(), Box<dyn std::error::Error>> {
    let cloud = FakeCloud::new();
    let per_op = Duration::from_millis(50);
    cloud.set_latency(Latency::mutations(per_op));
    let e = engine(&cloud);
    let dir = tempfile::tempdir()?;
    let backend = LocalBackend::new(dir.path().join("lat.json"));
    let st = layered(10, 50);
    let plan = e.plan(&st, &backend, &PlanOptions::default()).await?;
    let t = Instant::now();
    let opts = ApplyOptions {
        parallelism: 500,
        ..Default::default()
    };
    let report = e.apply(&plan, &backend, &opts).await?;
    let wall = t.elapsed();
    let critical = per_op * 10;
    println!("\n== 500 resources, depth 10, 50 ms per operation, parallelism 500 ==");
    println!(
        "apply wall time: {:.1} ms, critical path {:.1} ms, ratio {:.3} (target <= 1.2); state writes {}; max in flight {}",
        wall.as_secs_f64() * 1e3,
        critical.as_secs_f64() * 1e3,
        wall.as_secs_f64() / critical.as_secs_f64(),
        report.state_writes,
        report.max_in_flight
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    big().await?;
    latency().await?;
    Ok(())
}
