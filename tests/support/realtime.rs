//! The emulator's time-scaled mode as tests see it: its request counters
//! (what forge asked, what AWS would have refused, what was throttled) and
//! the durations table it runs on (`scripts/moto_patches/harness_app.py`,
//! `scripts/moto_patches/durations.py`).

use crate::emulator::{Emulator, http_request};
use crate::forge::Forge;
use forge_engine::apply::ready::POLL_SCALE_ENV;
use serde_json::Value as Json;

/// Launcher arguments for the time-scaled mode at `scale`.
pub fn time_scale_args(scale: &str) -> [&str; 2] {
    ["--time-scale", scale]
}

/// A time-scaled emulator at `FORGE_REAL_TIME_SCALE`, else `default_scale`,
/// and a forge that polls at its intervals times the same scale (so its
/// waits keep their real proportions).
pub fn start_scaled(default_scale: &str) -> (Emulator, Forge) {
    let scale =
        std::env::var("FORGE_REAL_TIME_SCALE").unwrap_or_else(|_| default_scale.to_string());
    let emulator =
        Emulator::start_with_args(&time_scale_args(&scale)).unwrap_or_else(|e| panic!("{e}"));
    let mut env = emulator.env();
    env.push((POLL_SCALE_ENV.to_string(), scale));
    let forge = Forge::new(env).unwrap_or_else(|e| panic!("{e}"));
    (emulator, forge)
}

/// A harness endpoint's JSON answer; panics (failing the test) when the
/// emulator does not answer it.
fn get(emu: &Emulator, method: &str, path: &str) -> Json {
    let (status, body) = http_request(emu.port, method, path, "")
        .unwrap_or_else(|e| panic!("{method} {path}: {e}\n{}", emu.log()));
    assert_eq!(status, 200, "{method} {path}: HTTP {status}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{method} {path}: {e}: {body}"))
}

/// The counters so far: `requests`, `throttled` ("service:Action" ->
/// count), `errors` (code -> calls), `refused` ([{call, code}]).
pub fn counters(emu: &Emulator) -> Json {
    get(emu, "GET", "/forge-harness/counters")
}

/// Zeroes the counters.
pub fn reset_counters(emu: &Emulator) {
    get(emu, "POST", "/forge-harness/counters/reset");
}

/// Runs every maintenance window now: the RDS changes
/// held without `apply_immediately` are applied
/// (`scripts/moto_patches/deferred.py`). Returns how many objects changed.
pub fn run_maintenance_window(emu: &Emulator) -> u64 {
    get(emu, "POST", "/forge-harness/maintenance")["applied"]
        .as_u64()
        .unwrap_or(0)
}

/// The durations table and the scale: `{"scale": S, "durations": {kind:
/// {phase: [[state, seconds], ...]}}}`.
pub fn durations(emu: &Emulator) -> Json {
    get(emu, "GET", "/forge-harness/durations")
}

/// Real seconds of `kind`'s `phase` in a [`durations`] answer (0 if absent).
pub fn phase_seconds(table: &Json, kind: &str, phase: &str) -> f64 {
    table["durations"][kind][phase]
        .as_array()
        .map(|steps| steps.iter().filter_map(|s| s[1].as_f64()).sum())
        .unwrap_or(0.0)
}

/// The calls AWS would have refused, as "service:Action code" lines.
pub fn refused(counters: &Json) -> Vec<String> {
    counters["refused"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|r| {
                    format!(
                        "{} {}",
                        r["call"].as_str().unwrap_or("?"),
                        r["code"].as_str().unwrap_or("?")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Sum of the `requests` counts whose "service:Action" key satisfies `keep`.
pub fn requests_where(counters: &Json, keep: impl Fn(&str) -> bool) -> u64 {
    counters["requests"]
        .as_object()
        .map(|all| {
            all.iter()
                .filter(|(k, _)| keep(k))
                .filter_map(|(_, v)| v.as_u64())
                .sum()
        })
        .unwrap_or(0)
}

/// Replaces the rate limits of the services in `limits` (`{"ec2":
/// [["Create*", "per-action", burst, rate], ...]}`, rows as in
/// `durations.RATE_LIMITS`) with fresh buckets, and turns rate limiting on.
pub fn set_rate_limits(emu: &Emulator, limits: &Json) {
    let path = "/forge-harness/rate-limits";
    let (status, body) = http_request(emu.port, "POST", path, &limits.to_string())
        .unwrap_or_else(|e| panic!("POST {path}: {e}\n{}", emu.log()));
    assert_eq!(status, 200, "POST {path}: HTTP {status}: {body}");
}

/// Throttled requests in a [`counters`] answer, all calls together.
pub fn throttled_total(counters: &Json) -> u64 {
    counters["throttled"]
        .as_object()
        .map(|t| t.values().filter_map(|v| v.as_u64()).sum())
        .unwrap_or(0)
}
