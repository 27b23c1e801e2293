//! `forge migrate terraform SOURCE`: read Terraform state (a file, an S3
//! object or a Terragrunt tree), write a forge stack per state, and record
//! every mapped object in the stack's forge state by importing it (read
//! from the cloud, nothing changed there). The Terraform state is only
//! read. See `forge_aws::terraform::migrate` and docs/terraform.md.

use super::common;
use super::{EXIT_ERROR, EXIT_OK};
use crate::cli::{MigrateTerraformArgs, StackArgs};
use anyhow::{Context, bail};
use forge_aws::terraform::migrate::{self, Migration, source, spec, tfstate};
use forge_core::Value;
use std::path::{Path, PathBuf};

/// One state, mapped, and where its stack goes.
struct Planned {
    unit: source::Unit,
    migration: Migration,
    dir: PathBuf,
    name: String,
}

fn default_region(args: &MigrateTerraformArgs) -> String {
    args.region
        .clone()
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .unwrap_or_else(|| "us-east-1".into())
}

fn stack_name(args: &MigrateTerraformArgs, unit: &Path, dir: &Path) -> String {
    if let Some(n) = &args.stack_name {
        return n.clone();
    }
    let from_unit: Vec<String> = unit
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if !from_unit.is_empty() {
        return from_unit.join("-");
    }
    std::path::absolute(dir)
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "migrated".into())
}

/// Runs `forge migrate terraform`.
pub async fn run(args: &MigrateTerraformArgs) -> anyhow::Result<u8> {
    // Read and map everything first: bad input stops here, before any
    // file is written.
    let units = if args.source.starts_with("s3://") {
        let clients = forge_aws::AwsClients::new(forge_aws::AwsSettings::default());
        source::read_s3(&clients, &default_region(args), &args.source).await?
    } else {
        source::read_local(Path::new(&args.source))?
    };
    let registry = crate::context::registry();
    let mut planned = Vec::new();
    for unit in units {
        let state = tfstate::parse(&unit.text, &unit.source_name)?;
        let mut migration = migrate::map_state(&state, &registry, args.region.as_deref());
        if migration.region.is_none() {
            if migration.resources.is_empty() {
                migration.region = Some(default_region(args));
            } else {
                bail!(
                    "{}: no object says which region it is in (no ARN with a region); pass --region",
                    unit.source_name
                );
            }
        }
        let dir = args.out.join(&unit.path);
        let name = stack_name(args, &unit.path, &dir);
        for existing in [dir.join("stack.yaml"), dir.join(".forge")] {
            if existing.exists() {
                bail!(
                    "{} already exists: migrate into an empty folder (--out) so no stack or state is overwritten",
                    existing.display()
                );
            }
        }
        planned.push(Planned {
            unit,
            migration,
            dir,
            name,
        });
    }

    let mut failed = false;
    for p in &planned {
        failed |= !write_stack(p).await?;
    }
    Ok(if failed { EXIT_ERROR } else { EXIT_OK })
}

/// Writes one stack and records its objects; false if an object could not
/// be recorded.
async fn write_stack(p: &Planned) -> anyhow::Result<bool> {
    let m = &p.migration;
    std::fs::create_dir_all(&p.dir).with_context(|| format!("creating {}", p.dir.display()))?;
    let stack_file = p.dir.join("stack.yaml");
    std::fs::write(&stack_file, spec::to_yaml(m, &p.name, &p.unit.source_name))
        .with_context(|| format!("writing {}", stack_file.display()))?;
    let folded: usize = m.resources.iter().map(|r| r.folded.len()).sum();
    println!(
        "{}: {} resources mapped ({} Terraform sub-resources folded in), {} not mapped -> {}",
        p.unit.source_name,
        m.resources.len(),
        folded,
        m.unmapped.len(),
        stack_file.display()
    );
    for u in &m.unmapped {
        println!("  not mapped: {}: {}", u.tf_address, u.reason);
    }
    if m.resources.is_empty() {
        return Ok(true);
    }
    let stack_args = StackArgs {
        stack: p.dir.clone(),
        env: None,
        vars: Vec::new(),
        var_files: Vec::new(),
        region: None,
    };
    // Recording needs no secret: the generated spec reads Terraform's
    // sensitive values from sensitive vars the user gives later.
    let Some(loaded) = common::load_read_only(&stack_args)? else {
        eprintln!(
            "error: the generated {} does not load (see above); nothing was recorded in a forge state",
            stack_file.display()
        );
        return Ok(false);
    };
    let mut ok = true;
    for r in &m.resources {
        if let Err(e) = loaded
            .engine
            .import(&loaded.stack, loaded.backend.as_ref(), &r.address, &r.id)
            .await
        {
            eprintln!("error: {} ({}): {e}", r.address, r.tf_address);
            ok = false;
        }
    }
    // Sensitive values Terraform recorded go to the state the way forge
    // keeps them: as their hash. Forge-only settings (`local` fields such
    // as an RDS `skip_final_snapshot`) live in Terraform's state only, so
    // they go to the forge state too: the objects do not carry them yet.
    let registry = crate::context::registry();
    let locals = |r: &migrate::Mapped| -> Vec<(String, Value)> {
        let Some(p) = registry.get(&r.kind) else {
            return Vec::new();
        };
        p.schema()
            .fields
            .iter()
            .filter(|(_, f)| f.local)
            .filter_map(|(k, _)| Some((k.clone(), Value::from_json(r.fields.get(k)?))))
            .collect()
    };
    if m.resources
        .iter()
        .any(|r| !r.sensitive.is_empty() || !locals(r).is_empty())
    {
        let (state, token) = loaded.backend.read().await?;
        if let Some(mut state) = state {
            for r in &m.resources {
                let Some(rs) = state.get_mut(&r.address) else {
                    continue;
                };
                for (field, v) in &r.sensitive {
                    rs.attributes
                        .insert(field.clone(), Value::from_json(v).sensitive());
                }
                rs.attributes.extend(locals(r));
            }
            state.serial += 1;
            loaded.backend.write(&state, &token).await?;
        }
    }
    println!(
        "  recorded {} objects in the forge state of {}; run `forge plan {}` (it shows no changes)",
        m.resources.len(),
        p.name,
        p.dir.display()
    );
    Ok(ok)
}
