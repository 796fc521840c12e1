//! The `drover` binary. Invoked through a link named `ansible-playbook`, it behaves as
//! `drover play` (`ansible`: `drover adhoc`, `ansible-inventory`: `drover inventory`),
//! so existing scripts and CI jobs can swap it in.

mod adhoc;
mod args;
mod config_file;
mod console;
mod diff;
mod doc_cmd;
mod extra_vars;
mod inventory_cmd;
mod list_hosts;
mod listing;
mod play;
mod prompts;
mod pyjson;
mod snippet;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

/// An error that ends the run, with ansible-playbook's exit code for it.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub report: String,
}

impl Failure {
    pub fn new(code: u8, message: impl std::fmt::Display) -> Self {
        Failure {
            code,
            report: format!("[ERROR]: {message}\n"),
        }
    }
}

/// Arguments as `drover ...` would take them, whatever name we were invoked by.
fn normalized_args() -> Vec<OsString> {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    let invoked_as = args
        .first()
        .and_then(|a| {
            std::path::Path::new(a)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    if invoked_as == "ansible-playbook" {
        args.insert(1, "play".into());
    } else if invoked_as == "ansible-inventory" {
        args.insert(1, "inventory".into());
    } else if invoked_as == "ansible" {
        args.insert(1, "adhoc".into());
    }
    args
}

fn init_tracing(verbosity: u8) {
    let default = match verbosity {
        0..=2 => "warn",
        3 => "info",
        4 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("DROVER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse_from(normalized_args()) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // ansible-playbook exits 2 on bad usage; --help and --version are not errors.
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("[ERROR]: cannot start the async runtime: {e}");
            return ExitCode::from(250);
        }
    };
    let result = match cli.command {
        Command::Play(args) => {
            init_tracing(args.run.verbose);
            runtime.block_on(play::run(args))
        }
        Command::Adhoc(args) => {
            init_tracing(args.run.verbose);
            runtime.block_on(adhoc::run(args))
        }
        Command::Inventory(args) => {
            init_tracing(args.verbose);
            inventory_cmd::run(args)
        }
        Command::Doc(args) => doc_cmd::run(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprint!("{}", f.report);
            ExitCode::from(f.code)
        }
    }
}
