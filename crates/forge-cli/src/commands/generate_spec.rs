//! `forge plan --generate-spec FILE`: plan, and write the spec of the
//! import blocks whose address the spec does not declare yet, from their
//! live objects (Terraform's `-generate-config-out`).

use super::{EXIT_ERROR, EXIT_OK, common};
use crate::cli::{LockArgs, StackArgs};
use crate::output;
use anyhow::{Context, bail};
use forge_cli::render::render_plan;
use forge_core::spec::generate::{LiveResource, References, generate_resources};
use forge_engine::PlanOptions;
use std::path::Path;

/// Runs `forge plan --generate-spec FILE`.
pub async fn run(args: &StackArgs, lock: &LockArgs, file: &Path) -> anyhow::Result<u8> {
    if file.exists() {
        bail!(
            "{} already exists: --generate-spec writes a new file (move it away, or name another)",
            file.display()
        );
    }
    let Some(loaded) = common::load_read_only(args)? else {
        return Ok(EXIT_ERROR);
    };
    let options = PlanOptions {
        generate_spec: true,
        ..PlanOptions::default()
    };
    let backend = loaded.backend.as_ref();
    let plan = common::locked(backend, lock, "plan", async {
        Ok(loaded.engine.plan(&loaded.stack, backend, &options).await?)
    })
    .await?;
    print!("{}", render_plan(&plan, output::color()));
    let keyed: Vec<String> = plan
        .unconfigured
        .iter()
        .filter(|u| u.address.key.is_some())
        .map(|u| u.address.to_string())
        .collect();
    if !keyed.is_empty() {
        bail!(
            "cannot write a resource for an instance of `count` / `for_each` ({}): declare the \
             resource with its `for_each` / `count` first, then import into its instances",
            keyed.join(", ")
        );
    }
    if plan.unconfigured.is_empty() {
        println!(
            "\nEvery import block's address is declared: nothing written to {}.",
            file.display()
        );
        return Ok(EXIT_OK);
    }
    let mut refs = References::default();
    for c in &plan.changes {
        if let Some(before) = &c.before {
            refs.add(&c.address, before);
        }
    }
    for u in &plan.unconfigured {
        refs.add(&u.address, &u.attrs);
    }
    let mut live = Vec::new();
    for u in &plan.unconfigured {
        let provider = loaded
            .engine
            .registry()
            .get(&u.kind)
            .with_context(|| format!("no provider for resource kind `{}`", u.kind))?;
        live.push(LiveResource {
            address: &u.address,
            schema: provider.schema(),
            attrs: &u.attrs,
        });
    }
    let text = generate_resources(&live, &refs, &loaded.stack.tags);
    std::fs::write(file, text).with_context(|| format!("writing {}", file.display()))?;
    let names: Vec<String> = plan
        .unconfigured
        .iter()
        .map(|u| u.address.to_string())
        .collect();
    println!(
        "\nWrote {} resource(s) to {} from their live objects: {}.\nReview it, put it in the \
         stack's folder, and run `forge plan` again: the import blocks then plan against it.",
        names.len(),
        file.display(),
        names.join(", ")
    );
    Ok(EXIT_OK)
}
