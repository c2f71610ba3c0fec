use std::process::ExitCode;

use clap::Parser;
use sentinel_sidecar::config::{Cli, Command};
use sentinel_sidecar::recovery::{backup, rebuild, restore};
use sentinel_sidecar::{eval, fingerprint, migrate, scan, server};

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Serve(config) => server::serve(config),
        Command::Scan(args) => scan::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Migrate(args) => migrate::run(&args),
        Command::Backup(args) => backup::run(&args),
        Command::Restore(args) => restore::run(&args),
        Command::RebuildState(args) => rebuild::run(&args),
        Command::Fingerprint(args) => fingerprint::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sentinel-sidecar: {error:#}");
            ExitCode::FAILURE
        }
    }
}
