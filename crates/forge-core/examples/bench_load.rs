//! Benchmark: generate a stack of 10,000 resource instances (for_each and
//! count, cross-references, cidrsubnet), then load + validate + expand +
//! graph it, and print wall time and peak memory.
//!
//! `cargo run --release -p forge-core --example bench_load`

use forge_core::graph::DepGraph;
use forge_core::spec::testing::network_schemas;
use forge_core::spec::{LoadOptions, load_stack};
use std::fmt::Write;
use std::time::Instant;

/// Peak resident set size (VmHWM) in MiB, from /proc/self/status.
fn peak_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn generate(groups: usize, per_group: usize) -> String {
    let mut s = String::from("stack: bench\nregion: us-east-1\nvars:\n  cidr: 10.0.0.0/8\n");
    let _ = writeln!(
        s,
        "  keys: [{}]",
        (0..per_group)
            .map(|i| format!("k{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    s.push_str("tags:\n  Env: \"${env}\"\nresources:\n");
    for g in 0..groups {
        let _ = write!(
            s,
            "  vpc{g}:\n    type: aws.ec2.vpc\n    cidr_block: \"${{cidrsubnet(vars.cidr, 8, {g})}}\"\n    tags: {{Name: \"vpc-{g}\"}}\n"
        );
        let _ = write!(
            s,
            "  subnet{g}:\n    type: aws.ec2.subnet\n    for_each: \"${{vars.keys}}\"\n    vpc_id: \"${{vpc{g}.id}}\"\n    cidr_block: \"${{cidrsubnet(vpc{g}.cidr_block, 8, index(vars.keys, each.key))}}\"\n    availability_zone: \"us-east-1${{each.key}}\"\n    tags: {{Name: \"subnet-${{each.key}}\"}}\n"
        );
        let _ = write!(
            s,
            "  eip{g}:\n    type: aws.ec2.eip\n    count: {per_group}\n    tags: {{Name: \"eip-{g}-${{count.index}}\"}}\n"
        );
        let _ = write!(
            s,
            "  nat{g}:\n    type: aws.ec2.nat_gateway\n    count: {per_group}\n    subnet_id: \"${{subnet{g}[vars.keys[count.index]].id}}\"\n    allocation_id: \"${{eip{g}[count.index].allocation_id}}\"\n"
        );
        let _ = write!(
            s,
            "  rt{g}:\n    type: aws.ec2.route_table\n    vpc_id: \"${{vpc{g}.id}}\"\n    subnet_ids: \"${{subnet{g}[*].id}}\"\n    routes:\n      - destination_cidr_block: 0.0.0.0/0\n        nat_gateway_id: \"${{nat{g}[0].id}}\"\n"
        );
    }
    s
}

fn main() {
    // 40 groups x (1 vpc + 83 subnets + 83 eips + 83 nats + 1 route table) = 10,000 instances.
    let (groups, per_group) = (40, 83);
    let text = generate(groups, per_group);
    let dir = std::env::temp_dir().join(format!("forge-bench-{}", std::process::id()));
    if let Err(e) =
        std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(dir.join("stack.yaml"), &text))
    {
        eprintln!("cannot write the generated stack: {e}");
        std::process::exit(1);
    }
    let schemas = network_schemas();
    let start = Instant::now();
    let stack = match load_stack(&dir, &LoadOptions::default(), &schemas) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let loaded = start.elapsed();
    let graph = match DepGraph::build(&stack) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let order = graph.topo_order();
    let total = start.elapsed();
    let edges: usize = stack.instances.iter().map(|i| i.dependencies.len()).sum();
    println!("spec: {} bytes, {} resources", text.len(), groups * 5);
    println!(
        "instances: {}  dependency edges: {edges}  topo order: {}",
        stack.instances.len(),
        order.len()
    );
    println!(
        "load+validate+expand (incl. cycle check): {:.1} ms",
        loaded.as_secs_f64() * 1000.0
    );
    println!(
        "load+validate+expand+graph+topo:          {:.1} ms",
        total.as_secs_f64() * 1000.0
    );
    match peak_mib() {
        Some(m) => println!("peak memory (VmHWM): {m:.1} MiB"),
        None => println!("peak memory: unavailable (no /proc/self/status)"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}
