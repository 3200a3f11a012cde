//! `zkr`: one command line for the whole prover pipeline.

mod bench;
mod bench_executor;
mod bench_gpu;
mod bench_wrap;
mod bench_zkevm;
mod coordinator;
mod demo;
mod execute;
mod gpu;
mod keys;
mod l1;
mod prove;
mod statetest;
mod submit;
mod verify;
mod worker;
mod wrap;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// mimalloc instead of glibc's allocator: revm allocates per transaction and
/// frame, and glibc's arenas made Block-STM's threads spend their time in
/// malloc and free (bench/RESULTS.md, executor).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// zkr: a GPU-accelerated zk-rollup prover pipeline.
#[derive(Parser)]
#[command(name = "zkr", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every pipeline stage that exists on the bundled sample block and print a table
    /// (`--cluster`: prove it on a local coordinator and two workers, killing one mid-batch).
    Demo(demo::DemoArgs),
    /// Execute one block (file, mainnet dump folder or synthetic workload).
    Execute(execute::ExecuteArgs),
    /// Run ethereum/tests GeneralStateTests (Cancun) from files or folders.
    Statetest(statetest::StatetestArgs),
    /// Execute a block and prove it chunk by chunk (zkEVM chunk proofs); several consecutive blocks also into one batch proof.
    Prove(prove::ProveArgs),
    /// Verify a chunk, aggregated or batch proof, or a folder written by `zkr prove`.
    Verify(verify::VerifyArgs),
    /// Wrap an aggregated block proof for L1: final plonky2 layer, halo2 KZG proof, Solidity verifier.
    Wrap(wrap::WrapArgs),
    /// Settle a wrap proof on an in-process L1 (revm), or export the contracts.
    #[command(subcommand)]
    L1(l1::L1Command),
    /// GPU adapters, backend choice and kernel self-tests.
    #[command(subcommand)]
    Gpu(gpu::GpuCommand),
    /// Benchmarks, as ratios against a baseline measured in the same run.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Run the proving-cluster coordinator.
    Coordinator(coordinator::CoordinatorArgs),
    /// Run a proving-cluster worker.
    Worker(worker::WorkerArgs),
    /// Worker keys, and an insecure SRS for a test cluster's wrap jobs.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Submit a block folder to the coordinator as a batch.
    Submit(submit::SubmitArgs),
    /// Batches, one batch's jobs, or one job on the coordinator.
    Status(submit::StatusArgs),
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
        Command::Execute(args) => execute::run(args),
        Command::Statetest(args) => statetest::run(args),
        Command::Prove(args) => prove::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Wrap(args) => wrap::run(args),
        Command::L1(cmd) => l1::run(cmd),
        Command::Gpu(cmd) => gpu::run(cmd),
        Command::Bench(cmd) => bench::run(cmd),
        Command::Coordinator(args) => coordinator::run(args),
        Command::Worker(args) => worker::run(args),
        Command::Keys(cmd) => keys::run(cmd),
        Command::Submit(args) => submit::run(args),
        Command::Status(args) => submit::status(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
