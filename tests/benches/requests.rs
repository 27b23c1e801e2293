//! Request-count benchmark (issues 4 and 5): how many AWS API requests, per
//! action, and how much wall time forge needs for (a) the first apply of the
//! getting-started stack (network + app tier), (b) a no-op plan of it, with
//! the requests also summed per service, and (c)/(d) the first apply and
//! no-op plan of a generated stack with 10 copies of the network, whose EC2
//! request count should equal (b)'s: observe is one Describe per kind (plus
//! pages), however many resources there are; and (issue 8, in
//! `support/drift_figures.rs`) (e) a drift check of getting-started against (b),
//! (f) no-op plans and one drift check of 10 getting-started stacks.
//!
//! Prints figures; asserts nothing about them.
//!
//!   cargo test  -p forge-e2e --bench requests     # debug build (shares the test build)
//!   cargo bench -p forge-e2e --bench requests     # release build of forge

// Under support/ so Cargo does not take it for a bench target of its own.
#[path = "support/drift_figures.rs"]
mod drift_figures;

use forge_e2e::{Emulator, FaultConfig, Forge, Proxy, RunOutput, StackCopy, getting_started_dir};
use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;
use std::time::Duration;

const ENV: &str = "dev";
const COPIES: usize = 10;

struct Measured {
    total: u64,
    counts: BTreeMap<String, u64>,
    elapsed: Duration,
}

fn measure(
    proxy: &Proxy,
    forge: &Forge,
    stack: &StackCopy,
    args: &[&str],
) -> Result<Measured, String> {
    proxy.reset_counts();
    let arg = stack.arg();
    let mut full = vec![args[0], arg.as_str(), "-e", ENV];
    full.extend_from_slice(&args[1..]);
    let out: RunOutput = forge.run(stack.path(), &full).map_err(|e| e.to_string())?;
    let ok = match args[0] {
        // --detailed-exitcode: 0 = no changes.
        "plan" => out.code() == Some(0),
        _ => out.status.success(),
    };
    if !ok {
        return Err(format!("forge failed:\n{out}"));
    }
    Ok(Measured {
        total: proxy.total(),
        counts: proxy.counts(),
        elapsed: out.elapsed,
    })
}

fn print(title: &str, m: &Measured) {
    println!(
        "\n{title}: {} requests in {:.2} s",
        m.total,
        m.elapsed.as_secs_f64()
    );
    for (action, n) in &m.counts {
        println!("  {n:>5}  {action}");
    }
}

/// Requests summed per service (the part of the action before `:`; S3's
/// REST calls per method), to read against the kinds of the stack.
fn print_per_service(m: &Measured) {
    let mut per: BTreeMap<String, (u64, usize)> = BTreeMap::new();
    for (action, n) in &m.counts {
        let service = action.split(':').next().unwrap_or(action).to_string();
        let e = per.entry(service).or_default();
        e.0 += n;
        e.1 += 1;
    }
    println!("  per service:");
    for (service, (n, actions)) in per {
        println!("  {n:>5}  {service} ({actions} actions)");
    }
}

fn ec2_only(m: BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    m.into_iter()
        .filter(|(k, _)| k.starts_with("ec2:"))
        .collect()
}

/// Describe calls of a no-op plan, per action (what must not grow with the
/// number of resources).
fn describes(m: &Measured) -> BTreeMap<String, u64> {
    m.counts
        .iter()
        .filter(|(k, _)| k.contains(":Describe") || k.contains(":List") || k.contains(":Get"))
        .map(|(k, v)| (k.clone(), *v))
        .collect()
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("benchmark failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    // `FORGE_BENCH_PRINT_STACK=1`: print the generated 10-copy stack and stop.
    if std::env::var_os("FORGE_BENCH_PRINT_STACK").is_some() {
        let text = std::fs::read_to_string(getting_started_dir().join("stack.yaml"))
            .map_err(|e| e.to_string())?;
        print!("{}", replicate(&text, COPIES)?);
        return Ok(());
    }
    let emulator = Emulator::start().map_err(|e| e.to_string())?;
    let proxy = Proxy::start(&emulator.endpoint, FaultConfig::none()).map_err(|e| e.to_string())?;
    let forge = Forge::new(proxy.env()).map_err(|e| e.to_string())?;
    println!("forge: {}", forge.bin.display());
    println!(
        "emulator: {} (through counting proxy {})",
        emulator.endpoint, proxy.endpoint
    );

    let single = StackCopy::of(&getting_started_dir()).map_err(|e| e.to_string())?;
    let apply = measure(&proxy, &forge, &single, &["apply", "--auto-approve"])?;
    print("(a) getting-started, first apply", &apply);
    let noop = measure(&proxy, &forge, &single, &["plan", "--detailed-exitcode"])?;
    print("(b) getting-started, no-op plan", &noop);
    print_per_service(&noop);
    drift_figures::single(&proxy, &forge, &single, &noop)?;

    emulator.reset().map_err(|e| e.to_string())?;
    drift_figures::ten_stacks(&proxy, &forge, &getting_started_dir())?;
    emulator.reset().map_err(|e| e.to_string())?;
    let multi = StackCopy::empty().map_err(|e| e.to_string())?;
    let text = single.read("stack.yaml").map_err(|e| e.to_string())?;
    multi
        .write("stack.yaml", &replicate(&text, COPIES)?)
        .map_err(|e| e.to_string())?;
    let apply_n = measure(&proxy, &forge, &multi, &["apply", "--auto-approve"])?;
    print(
        &format!("(c) {COPIES} copies of the network, first apply"),
        &apply_n,
    );
    let noop_n = measure(&proxy, &forge, &multi, &["plan", "--detailed-exitcode"])?;
    print(
        &format!("(d) {COPIES} copies of the network, no-op plan"),
        &noop_n,
    );

    // The copies hold the network only: compare its (EC2) requests.
    let (one, ten) = (ec2_only(describes(&noop)), ec2_only(describes(&noop_n)));
    println!(
        "\nno-op plan requests: 1 copy = {}, {COPIES} copies = {}",
        noop.total, noop_n.total
    );
    println!(
        "EC2 describe requests per action equal for 1 and {COPIES} copies: {}",
        if one == ten { "yes" } else { "NO" }
    );
    if one != ten {
        let keys: BTreeSet<_> = one.keys().chain(ten.keys()).collect();
        for k in keys {
            println!(
                "  {k}: {} vs {}",
                one.get(k).copied().unwrap_or(0),
                ten.get(k).copied().unwrap_or(0)
            );
        }
    }
    Ok(())
}

/// A stack with `copies` renamed copies of every resource of `stack_yaml`
/// (the getting-started stack), outputs dropped.
fn replicate(stack_yaml: &str, copies: usize) -> Result<String, String> {
    let (head, rest) = stack_yaml
        .split_once("\nresources:\n")
        .ok_or("no `resources:` section")?;
    let body = rest.split("\noutputs:").next().unwrap_or(rest);
    let names: Vec<String> = body
        .lines()
        .filter_map(|l| {
            let name = l.strip_prefix("  ")?.strip_suffix(':')?;
            (!name.starts_with(' ') && !name.starts_with('#')).then(|| name.to_string())
        })
        .collect();
    if names.is_empty() {
        return Err("no resources found".into());
    }
    let head = head.replace("stack: getting-started", "stack: getting-started-x10");
    let mut out = format!("{head}\nresources:\n");
    for i in 0..copies {
        for line in body.lines() {
            out.push_str(&rename_line(line, &names, i));
            out.push('\n');
        }
    }
    Ok(out)
}

/// Renames references to resources in one line: the resource's own key, and
/// identifiers inside `${...}` or a `depends_on` list (never plain values
/// like `domain: vpc`). Security group names get the copy's suffix too.
fn rename_line(line: &str, names: &[String], copy: usize) -> String {
    let indent_key = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':'));
    if let Some(key) = indent_key
        && names.iter().any(|n| n == key)
    {
        return format!("  {key}_{copy}:");
    }
    if line.trim_start().starts_with("group_name:") {
        return line
            .replace("-alb\"", &format!("-alb-{copy}\""))
            .replace("-app\"", &format!("-app-{copy}\""));
    }
    let whole_line = line.trim_start().starts_with("depends_on:");
    let mut out = String::with_capacity(line.len() + 16);
    let chars: Vec<char> = line.chars().collect();
    let mut depth = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '$' && chars.get(i + 1) == Some(&'{') {
            depth += 1;
            out.push_str("${");
            i += 2;
            continue;
        }
        if c == '}' && depth > 0 {
            depth -= 1;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let after_dot = start > 0 && chars[start - 1] == '.';
            if (depth > 0 || whole_line) && !after_dot && names.contains(&word) {
                out.push_str(&format!("{word}_{copy}"));
            } else {
                out.push_str(&word);
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}
