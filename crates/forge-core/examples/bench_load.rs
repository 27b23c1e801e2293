//! Benchmark: generate a stack of 10,000 resource instances (for_each and
//! count, cross-references, cidrsubnet), then load + validate + expand +
//! graph it, and print wall time and peak memory.
//!
//! `cargo run --release -p forge-core --example bench_load` (flat: every
//! resource in the stack), or `... -- modules`: the same 10,000 instances
//! as 40 instances of one module, whose inputs read a local and a data
//! source, with locals of its own (peak memory is the process's, so each
//! shape runs in a process of its own).

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

/// The module-shaped stack: `(stack.yaml, modules/group/main.yaml)`.
fn generate_modules(groups: usize, per_group: usize) -> (String, String) {
    let keys = (0..per_group)
        .map(|i| format!("k{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let stack = format!(
        "stack: bench\nregion: us-east-1\nvars:\n  cidr: 10.0.0.0/8\n  keys: [{keys}]\n  groups: {{type: number, default: {groups}}}\n\
         tags:\n  Env: \"${{env}}\"\n\
         data:\n  azs:\n    type: aws.ec2.availability_zones\n    state: available\n\
         locals:\n  prefix: \"bench-${{stack}}\"\n  indexes: \"${{{{for i in range(vars.groups) : format(\\\"g%d\\\", i) => i}}}}\"\n\
         modules:\n  group:\n    source: ./modules/group\n    for_each: \"${{local.indexes}}\"\n    inputs:\n\
         \x20     cidr: \"${{cidrsubnet(vars.cidr, 8, each.value)}}\"\n\
         \x20     keys: \"${{vars.keys}}\"\n\
         \x20     name: \"${{local.prefix}}-${{each.key}}\"\n\
         \x20     zones: \"${{data.azs.names}}\"\n"
    );
    let module = format!(
        "inputs:\n  cidr: {{type: string}}\n  keys: {{type: list(string)}}\n  name: {{type: string}}\n  zones: {{type: list(string)}}\n\
         locals:\n  label: \"${{vars.name}}-net\"\n  per_group: {per_group}\n\
         resources:\n\
         \x20 vpc:\n    type: aws.ec2.vpc\n    cidr_block: \"${{vars.cidr}}\"\n    tags: {{Name: \"${{local.label}}\"}}\n\
         \x20 subnet:\n    type: aws.ec2.subnet\n    for_each: \"${{vars.keys}}\"\n    vpc_id: \"${{vpc.id}}\"\n\
         \x20   cidr_block: \"${{cidrsubnet(vpc.cidr_block, 8, index(vars.keys, each.key))}}\"\n\
         \x20   availability_zone: \"${{vars.zones[index(vars.keys, each.key) % length(vars.zones)]}}\"\n\
         \x20   tags: {{Name: \"${{local.label}}-${{each.key}}\"}}\n\
         \x20 eip:\n    type: aws.ec2.eip\n    count: \"${{local.per_group}}\"\n    tags: {{Name: \"${{vars.name}}-eip-${{count.index}}\"}}\n\
         \x20 nat:\n    type: aws.ec2.nat_gateway\n    count: \"${{local.per_group}}\"\n\
         \x20   subnet_id: \"${{subnet[vars.keys[count.index]].id}}\"\n    allocation_id: \"${{eip[count.index].allocation_id}}\"\n\
         \x20 rt:\n    type: aws.ec2.route_table\n    vpc_id: \"${{vpc.id}}\"\n    subnet_ids: \"${{subnet[*].id}}\"\n\
         \x20   routes:\n      - destination_cidr_block: 0.0.0.0/0\n        nat_gateway_id: \"${{nat[0].id}}\"\n\
         outputs:\n  vpc_id: \"${{vpc.id}}\"\n"
    );
    (stack, module)
}

fn main() {
    // 40 groups x (1 vpc + 82 subnets + 82 eips + 82 nats + 1 route table)
    // = 9,920 instances: just under the stack's limit of 10,000.
    let (groups, per_group) = (40, 82);
    let modules = std::env::args().nth(1).as_deref() == Some("modules");
    let dir = std::env::temp_dir().join(format!("forge-bench-{}", std::process::id()));
    let written = if modules {
        let (stack, module) = generate_modules(groups, per_group);
        std::fs::create_dir_all(dir.join("modules/group"))
            .and_then(|()| std::fs::write(dir.join("modules/group/main.yaml"), &module))
            .and_then(|()| std::fs::write(dir.join("stack.yaml"), &stack))
            .map(|()| stack + &module)
    } else {
        let text = generate(groups, per_group);
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(dir.join("stack.yaml"), &text))
            .map(|()| text)
    };
    // Modules stay inside the repository root: the folder is one.
    let text = match written.and_then(|t| std::fs::create_dir_all(dir.join(".git")).map(|()| t)) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("cannot write the generated stack: {e}");
            std::process::exit(1);
        }
    };
    let mut schemas = network_schemas();
    schemas.insert_data(std::sync::Arc::new(forge_core::KindSchema::new(
        "aws.ec2.availability_zones",
        "The region's zones",
        [
            (
                "state",
                forge_core::FieldSchema::optional(forge_core::FieldType::String),
            ),
            (
                "names",
                forge_core::FieldSchema::computed(forge_core::FieldType::list(
                    forge_core::FieldType::String,
                )),
            ),
        ],
    )));
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
    let shape = if modules {
        "40 instances of a module (locals, a data source, module inputs)"
    } else {
        "flat"
    };
    println!(
        "spec ({shape}): {} bytes, {} resources",
        text.len(),
        groups * 5
    );
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
