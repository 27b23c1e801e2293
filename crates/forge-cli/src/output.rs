//! Terminal output: colour decisions and rendering of diagnostics/errors.

use forge_core::{Diagnostic, Diagnostics};
use owo_colors::OwoColorize;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

static COLOR: AtomicBool = AtomicBool::new(false);

/// Decides once whether to use colour: never with `--no-color`, `NO_COLOR`
/// set (any value, per no-color.org), or when stdout is not a terminal.
pub fn init_color(no_color_flag: bool) {
    let env_off = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let on = !no_color_flag && !env_off && std::io::stdout().is_terminal();
    COLOR.store(on, Ordering::Relaxed);
}

/// Whether to colour output.
pub fn color() -> bool {
    COLOR.load(Ordering::Relaxed)
}

static INPUT: AtomicBool = AtomicBool::new(true);

/// Records `-input=false`: no prompt, even on a terminal.
pub fn set_input(allowed: bool) {
    INPUT.store(allowed, Ordering::Relaxed);
}

/// Whether a confirmation may be asked: stdin is a terminal and
/// `-input=false` was not given.
pub fn prompts_allowed() -> bool {
    INPUT.load(Ordering::Relaxed) && interactive()
}

/// Whether stdin is a terminal (interactive confirmation possible).
pub fn interactive() -> bool {
    std::io::stdin().is_terminal()
}

/// Renders one diagnostic the way compilers do.
pub fn render_diagnostic(d: &Diagnostic) -> String {
    let c = color();
    let mut out = String::new();
    let label = if c {
        "error".red().bold().to_string()
    } else {
        "error".to_string()
    };
    match &d.pos {
        Some(pos) => out.push_str(&format!("{label}: {}\n  --> {pos}\n", d.message)),
        None => out.push_str(&format!("{label}: {}\n", d.message)),
    }
    if let Some(snippet) = &d.snippet {
        for line in snippet.lines() {
            out.push_str(&format!("   | {line}\n"));
        }
    }
    if let Some(hint) = &d.hint {
        let h = if c {
            "hint".cyan().bold().to_string()
        } else {
            "hint".to_string()
        };
        out.push_str(&format!("   = {h}: {hint}\n"));
    }
    out
}

/// Renders all diagnostics and a count line.
pub fn render_diagnostics(ds: &Diagnostics) -> String {
    let mut out = String::new();
    for d in &ds.0 {
        out.push_str(&render_diagnostic(d));
        out.push('\n');
    }
    let n = ds.0.len();
    out.push_str(&format!(
        "{n} error{} found; nothing was changed.\n",
        if n == 1 { "" } else { "s" }
    ));
    out
}

/// Prints an error chain to stderr.
pub fn print_error(err: &anyhow::Error) {
    // Failed data source lookups are positioned in the spec: shown like
    // the spec's own errors.
    if let Some(forge_engine::EngineError::Data(ds)) = err.downcast_ref() {
        eprint!("{}", render_diagnostics(ds));
        return;
    }
    let label = if color() {
        "error".red().bold().to_string()
    } else {
        "error".to_string()
    };
    eprintln!("{label}: {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
}
