//! The figures a time-scaled run prints: forge's measured wall time and
//! polling requests next to the critical path and to the model of
//! Terraform's walk over the same graph and durations table.

use super::kinds::{EcsSteadyState, forge_cost, slow_describes, terraform_cost};
use super::{Graph, Op, Params, Unit, Walk, across_units};
use crate::forge::Forge;
use crate::realtime::{requests_where, throttled_total};
use serde_json::Value as Json;
use std::fmt::Write;
use std::path::Path;

/// The graph `forge graph <args>` prints, run in `cwd` with the `extra`
/// environment; panics (failing the test) when forge prints none.
pub fn forge_graph(forge: &Forge, cwd: &Path, args: &[&str], extra: &[(&str, &str)]) -> Graph {
    let mut full = vec!["graph"];
    full.extend_from_slice(args);
    let out = forge
        .spawn(cwd, &full, extra)
        .and_then(|r| r.wait())
        .unwrap_or_else(|e| panic!("{e}"));
    out.expect_success();
    super::dot::parse(&out.stdout).unwrap_or_else(|| panic!("no DOT graph:\n{out}"))
}

/// What forge did in one run: its wall time and the emulator's counters
/// over it.
pub struct Measured<'a> {
    pub seconds: f64,
    pub counters: &'a Json,
}

impl<'a> Measured<'a> {
    pub fn new(seconds: f64, counters: &'a Json) -> Self {
        Measured { seconds, counters }
    }
}

/// Requests of the describe calls that observe the slow kinds (forge's
/// readiness polls, plus its refresh and read-after-write of those kinds).
pub fn polling_requests(counters: &Json) -> u64 {
    let describes = slow_describes();
    requests_where(counters, |k| describes.contains(&k))
}

/// The model's walks of `units` for `op`: (critical path, Terraform with
/// the provider's defaults, Terraform with `wait_for_steady_state`), in
/// real seconds.
pub fn model(units: &[Unit], table: &Json, op: Op, params: &Params) -> [Walk; 3] {
    let path = across_units(units, op, |g| {
        g.critical_path(op, params, forge_cost(table, op))
    })
    .0;
    let tf = |ecs| {
        across_units(units, op, |g| {
            g.terraform_walk(op, params, terraform_cost(table, op, ecs))
        })
        .0
    };
    [path, tf(EcsSteadyState::Default), tf(EcsSteadyState::Wait)]
}

/// One operation's lines: forge against the critical path, then the
/// Terraform model, at the emulator's `scale` (and unscaled, as on AWS).
pub fn report(op: Op, units: &[Unit], table: &Json, forge: &Measured) -> String {
    let scale = table["scale"].as_f64().unwrap_or(1.0);
    let params = Params::default();
    let [path, tf, tf_steady] = model(units, table, op, &params);
    let s = |w: &Walk| w.seconds * scale;
    let ratio = |secs: f64| {
        if s(&path) > 0.0 {
            format!("{:.2}x", secs / s(&path))
        } else {
            "-".to_string()
        }
    };
    let name = match op {
        Op::Apply => "apply",
        Op::Destroy => "destroy",
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  {name:<7} forge {:6.2}s = {} the critical path {:.2}s; {} polling requests \
         (describes of the slow kinds), {} requests in all",
        forge.seconds,
        ratio(forge.seconds),
        s(&path),
        polling_requests(forge.counters),
        requests_where(forge.counters, |_| true),
    );
    let _ = writeln!(
        out,
        "          terraform model {:6.2}s = {} ({} polling requests); \
         with wait_for_steady_state {:.2}s = {} ({} polling requests)",
        s(&tf),
        ratio(s(&tf)),
        tf.polls,
        s(&tf_steady),
        ratio(s(&tf_steady)),
        tf_steady.polls,
    );
    let _ = writeln!(
        out,
        "          unscaled (real AWS): critical path {:.1} min, terraform model {:.1} min",
        path.seconds / 60.0,
        tf.seconds / 60.0,
    );
    let _ = writeln!(out, "          critical path: {}", path.path.join(" -> "));
    out
}

/// The figures of an apply and a destroy of `units`, under a `title` line
/// (the scale, the resources, the throttled requests).
pub fn report_both(
    title: &str,
    units: &[Unit],
    table: &Json,
    apply: &Measured,
    destroy: &Measured,
) -> String {
    let resources: usize = units.iter().map(|u| u.graph.nodes.len()).sum();
    format!(
        "{title} at time scale {} ({resources} resources, {} unit(s); {} + {} throttled):\n{}{}",
        table["scale"],
        units.len(),
        throttled_total(apply.counters),
        throttled_total(destroy.counters),
        report(Op::Apply, units, table, apply),
        report(Op::Destroy, units, table, destroy),
    )
}
