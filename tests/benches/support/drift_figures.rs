//! Drift figures of the request benchmark (issue 8): the requests per
//! action and wall time of a no-op plan and of a drift check, for the
//! getting-started stack (dev) and for 10 stacks (copies of it named
//! gs-0 .. gs-9) checked together by one `forge drift DIR` run. A drift
//! check must cost the no-op plan's requests plus the orphan search: one
//! `tagging:GetResources` per region, and the listing of kinds the tagging
//! API does not cover (IAM roles: `GetResources` does not list them).

use crate::{Measured, measure, print};
use forge_e2e::{Forge, Proxy, RunOutput, StackCopy};
use std::collections::BTreeMap;
use std::time::Duration;

const STACKS: usize = 10;

/// What `drift` asked beyond `plan`, per action (negative never happens:
/// drift observes what the plan observes; reported if it does).
fn beyond(plan: &BTreeMap<String, u64>, drift: &BTreeMap<String, u64>) -> BTreeMap<String, i64> {
    let mut keys: Vec<&String> = plan.keys().chain(drift.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|k| {
            let d = drift.get(k).copied().unwrap_or(0) as i64;
            let p = plan.get(k).copied().unwrap_or(0) as i64;
            (k.clone(), d - p)
        })
        .filter(|(_, n)| *n != 0)
        .collect()
}

/// Whether the extra requests are only the orphan search's: at most
/// `regions` tagging calls, plus IAM's listing.
fn only_orphan_search(extra: &BTreeMap<String, i64>, regions: i64) -> bool {
    extra.iter().all(|(k, n)| {
        (k == "tagging:GetResources" && *n <= regions) || (k.starts_with("iam:") && *n > 0)
    })
}

fn compare(title: &str, plan: &Measured, drift: &Measured, regions: i64) {
    let extra = beyond(&plan.counts, &drift.counts);
    println!(
        "\n{title}: no-op plan {} requests in {:.2} s, drift check {} requests in {:.2} s",
        plan.total,
        plan.elapsed.as_secs_f64(),
        drift.total,
        drift.elapsed.as_secs_f64()
    );
    println!("  drift beyond the no-op plan: {extra:?}");
    println!(
        "  = the no-op plan's requests plus the orphan search only: {}",
        if only_orphan_search(&extra, regions) {
            "yes"
        } else {
            "NO"
        }
    );
}

fn run_ok(forge: &Forge, cwd: &std::path::Path, args: &[&str]) -> Result<RunOutput, String> {
    let out = forge.run(cwd, args).map_err(|e| e.to_string())?;
    if args[0] == "plan" && out.code() != Some(0) || args[0] != "plan" && !out.status.success() {
        return Err(format!("forge failed:\n{out}"));
    }
    Ok(out)
}

/// (e) one stack: a drift check right after the no-op plan `noop` of
/// `single` (already applied).
pub fn single(
    proxy: &Proxy,
    forge: &Forge,
    single: &StackCopy,
    noop: &Measured,
) -> Result<(), String> {
    let drift = measure(proxy, forge, single, &["drift"])?;
    print("(e) getting-started, drift check", &drift);
    let lean = measure(proxy, forge, single, &["drift", "--no-orphans"])?;
    print("(e') getting-started, drift check --no-orphans", &lean);
    compare("(b) vs (e) getting-started (dev)", noop, &drift, 1);
    Ok(())
}

/// (f) ten stacks: each applied, each planned (no-op, counted together),
/// then all checked by one `forge drift DIR -e dev`.
pub fn ten_stacks(proxy: &Proxy, forge: &Forge, source: &std::path::Path) -> Result<(), String> {
    let root = StackCopy::empty().map_err(|e| e.to_string())?;
    let mut dirs = Vec::new();
    for i in 0..STACKS {
        let dir = root.path().join(format!("gs-{i}"));
        std::fs::create_dir(&dir).map_err(|e| e.to_string())?;
        // Every YAML file of the stack folder; the stack's name (which
        // every AWS name derives from) and CIDR renamed in stack.yaml.
        for entry in std::fs::read_dir(source).map_err(|e| e.to_string())? {
            let path = entry.map_err(|e| e.to_string())?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if !name.ends_with(".yaml") {
                continue;
            }
            let mut text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
            if name == "stack.yaml" {
                text = text
                    .replacen("stack: getting-started", &format!("stack: gs-{i}"), 1)
                    .replacen(
                        "      cidr: 10.10.0.0/16",
                        &format!("      cidr: 10.{}.0.0/16", 100 + i),
                        1,
                    );
            }
            std::fs::write(dir.join(name), text).map_err(|e| e.to_string())?;
        }
        dirs.push(dir);
    }
    for dir in &dirs {
        let arg = dir.display().to_string();
        run_ok(forge, dir, &["apply", &arg, "-e", "dev", "--auto-approve"])?;
    }
    proxy.reset_counts();
    let mut plan_time = Duration::ZERO;
    for dir in &dirs {
        let arg = dir.display().to_string();
        let out = run_ok(
            forge,
            dir,
            &["plan", &arg, "-e", "dev", "--detailed-exitcode"],
        )?;
        plan_time += out.elapsed;
    }
    let plans = Measured {
        total: proxy.total(),
        counts: proxy.counts(),
        elapsed: plan_time,
    };
    print(
        &format!("(f) {STACKS} stacks, no-op plans one after the other"),
        &plans,
    );
    proxy.reset_counts();
    let root_arg = root.arg();
    let out = run_ok(forge, root.path(), &["drift", &root_arg, "-e", "dev"])?;
    let drift = Measured {
        total: proxy.total(),
        counts: proxy.counts(),
        elapsed: out.elapsed,
    };
    print(
        &format!("(f) {STACKS} stacks, one `forge drift DIR` (parallelism 4)"),
        &drift,
    );
    println!("{}", out.stdout);
    compare(
        &format!("(f) {STACKS} stacks"),
        &plans,
        &drift,
        STACKS as i64,
    );
    Ok(())
}
