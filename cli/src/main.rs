//! `zkr`: one command line for the whole prover pipeline.

mod demo;
mod gpu;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// zkr: a GPU-accelerated zk-rollup prover pipeline.
#[derive(Parser)]
#[command(name = "zkr", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every pipeline stage that exists on the bundled sample block and print a table.
    Demo(demo::DemoArgs),
    /// GPU adapters, backend choice and kernel self-tests.
    #[command(subcommand)]
    Gpu(gpu::GpuCommand),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ZKR_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Gpu(cmd) => gpu::run(cmd),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
