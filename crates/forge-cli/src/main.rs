//! The `forge` command-line tool: parses arguments and hands off to one
//! module per subcommand. Everything it does goes through the forge
//! library API (`forge-core`, `forge-engine`, `forge-aws`).

use clap::Parser;
use std::process::ExitCode;

mod cli;
mod commands;
mod context;
mod dependency_outputs;
mod logging;
mod output;
mod progress;
mod signals;

fn main() -> ExitCode {
    let cli = cli::Cli::parse_from(cli::terraform_style_args(std::env::args_os()));
    output::init_color(cli.global.no_color);
    output::set_input(cli.global.input);
    logging::init();
    context::allow_outside_root(cli.global.allow_outside_root);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let code = runtime.block_on(commands::run(cli));
    // After a signal, a prompt's reader thread may still wait on stdin:
    // everything that matters has finished, so do not wait for it.
    runtime.shutdown_background();
    ExitCode::from(code)
}
