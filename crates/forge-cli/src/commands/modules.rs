//! `forge modules update`: re-resolve the refs of the stack's git module
//! sources and rewrite its lock file (docs/spec-language.md#modules).

use super::{EXIT_ERROR, EXIT_OK};
use crate::cli::StackArgs;
use crate::{context, output};

/// Runs `forge modules update`.
pub fn update(args: &StackArgs) -> anyhow::Result<u8> {
    let registry = context::registry();
    let mut opts = match context::load_options(args) {
        Ok(o) => o,
        Err(diags) => {
            eprint!("{}", output::render_diagnostics(&diags));
            return Ok(EXIT_ERROR);
        }
    };
    // Only the module sources matter: no var needs a value.
    opts.allow_unset_vars = true;
    opts.update_modules = true;
    if let Err(diags) = forge_core::spec::load_stack(&args.stack, &opts, &registry.schemas()) {
        eprint!("{}", output::render_diagnostics(&diags));
        return Ok(EXIT_ERROR);
    }
    let lock = forge_core::spec::read_module_lock(&args.stack);
    if lock.modules.is_empty() {
        println!("The stack uses no git module sources.");
    }
    for (source, locked) in &lock.modules {
        println!("{source}: {}", locked.commit);
    }
    println!("{} is up to date.", forge_core::spec::LOCK_FILE);
    Ok(EXIT_OK)
}
