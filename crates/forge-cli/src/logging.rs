//! Diagnostic logging to stderr, off unless asked for: `FORGE_LOG` (or,
//! when it is unset, `RUST_LOG`) holds a filter in tracing-subscriber's
//! env-filter syntax: `FORGE_LOG=debug`, `FORGE_LOG=forge_engine=trace,info`.
//!
//! Only the binary installs a subscriber; the libraries emit `tracing`
//! events and leave the choice to the program embedding them. forge's own
//! events carry addresses, ids, kinds, lock ids and error messages, never
//! attribute values, so secrets stay out of logs.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// The filter variables, the first set one wins.
const VARS: [&str; 2] = ["FORGE_LOG", "RUST_LOG"];

/// Installs the stderr subscriber if `FORGE_LOG` or `RUST_LOG` asks for it.
pub fn init() {
    let Some((var, directives)) = VARS.iter().find_map(|var| {
        std::env::var(var)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| (*var, v))
    }) else {
        return;
    };
    let filter = match EnvFilter::builder().parse(&directives) {
        Ok(filter) => filter,
        Err(e) => {
            eprintln!(
                "warning: {var}={directives:?} is not a log filter ({e}); logging stays off. \
                 Examples: {var}=debug, {var}=forge_engine=trace,info"
            );
            return;
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(crate::output::color() && std::io::stderr().is_terminal())
        .with_target(true)
        .try_init();
}
