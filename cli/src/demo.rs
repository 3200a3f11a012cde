//! `zkr demo`: runs every pipeline stage that exists on the bundled sample data
//! and prints one row per stage with its status and wall time; `--cluster`
//! proves the zkEVM demo block on a local proving cluster instead.

mod cluster;

use crate::gpu::backend_choice;
use anyhow::Context;
use clap::Args;
use gpu_kernels::selftest::run_all;
use gpu_kernels::{GpuContext, GpuError, GpuOptions};
use prover::zkevm::aggregate::{aggregate_block, verify_aggregated, Circuits, VerifierData};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Options for `zkr demo`.
#[derive(Args)]
pub struct DemoArgs {
    /// Start a coordinator and two worker processes on loopback, prove the zkEVM demo block through them
    /// (zkevm pipeline), SIGKILL one worker while it holds a lease, and print the outcome and a metrics summary.
    #[arg(long)]
    pub cluster: bool,
}

/// Outcome of one stage.
struct StageReport {
    name: &'static str,
    result: anyhow::Result<String>,
    elapsed: Duration,
}

fn timed(name: &'static str, stage: impl FnOnce() -> anyhow::Result<String>) -> StageReport {
    let start = Instant::now();
    let result = stage();
    StageReport {
        name,
        result,
        elapsed: start.elapsed(),
    }
}

/// Runs every GPU kernel against its CPU reference on the best adapter,
/// software devices included; with no adapter there is nothing to check.
fn gpu_selftest_stage() -> anyhow::Result<String> {
    let ctx = match GpuContext::new(GpuOptions::default()) {
        Ok(ctx) => Arc::new(ctx),
        Err(GpuError::NoAdapter) => return Ok("skipped: no GPU adapter on this machine".into()),
        Err(err) => return Err(err.into()),
    };
    let checks = run_all(&ctx);
    let failed: Vec<&str> = checks.iter().filter(|c| !c.passed).map(|c| c.name.as_str()).collect();
    anyhow::ensure!(
        failed.is_empty(),
        "kernels differ from their CPU reference: {}",
        failed.join(", ")
    );
    Ok(format!(
        "{} of {} kernels equal their CPU reference on {}",
        checks.len(),
        checks.len(),
        ctx.adapter.name
    ))
}

/// Calls per block and loop rounds per call of the zkEVM demo block.
const ZKEVM_DEMO_TXS: usize = 2;
const ZKEVM_DEMO_ITERATIONS: u16 = 30;
/// log2 of the chunk size of the zkEVM demo, small enough to give several chunks.
const ZKEVM_DEMO_ROWS_LOG: usize = 8;

/// The zkEVM demo block: calls to a contract that runs only the opcodes the
/// zkEVM's tables prove (the sample block's token and pool calls are in
/// scope, but its plain transfers run no code, and transaction-level
/// accounting is not proven yet).
fn zkevm_demo_block() -> executor::BlockInput {
    executor::synthetic::counter_loop_block(ZKEVM_DEMO_TXS, ZKEVM_DEMO_ITERATIONS)
}

/// The chunk witnesses of `block`, in chunks of at most `2^ZKEVM_DEMO_ROWS_LOG` steps.
fn zkevm_demo_chunks(block: &executor::BlockInput) -> anyhow::Result<Vec<witness::ChunkWitness>> {
    use executor::{execute_block, ExecOptions};
    let options = ExecOptions {
        capture_traces: true,
        ..ExecOptions::default()
    };
    let trace = execute_block(block, &options)?
        .traces
        .context("traces were requested")?;
    let pre = witness::PreState::of(block)?;
    Ok(witness::build_chunks(&trace, &pre, ZKEVM_DEMO_ROWS_LOG)?)
}

/// Executes the zkEVM demo block, proves it in chunks through the chosen
/// backend, aggregates the chunk proofs into one plonky2 proof and verifies it.
fn zkevm_stage() -> anyhow::Result<String> {
    let block = zkevm_demo_block();
    let chunks = zkevm_demo_chunks(&block)?;
    let choice = backend_choice()?;
    let proofs = chunks
        .into_iter()
        .map(|chunk| prover::zkevm::prove_chunk_with(chunk, choice.backend.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    prover::zkevm::verify_chunk_sequence(&proofs)?;
    let mut circuits = Circuits::new();
    let aggregated = aggregate_block(&mut circuits, &proofs, &mut |_| {})?;
    let verifier = VerifierData::for_chunks(&mut circuits, &aggregated.chunks)?;
    verify_aggregated(&aggregated, &verifier)?;
    let slots = witness::storage_changes(proofs.iter().map(|p| &p.statement));
    let counter = slots
        .first()
        .map_or_else(String::new, |s| format!(", counter {} -> {}", s.before, s.after));
    Ok(format!(
        "counter-loop block: {} txs, {} EVM steps in {} chunks of <= 2^{ZKEVM_DEMO_ROWS_LOG} rows{counter}, proven, aggregated into one plonky2 proof and verified",
        block.transactions.len(),
        aggregated.steps,
        proofs.len()
    ))
}

/// Prints one row per stage; returns whether any failed.
fn print_stages(reports: &[StageReport]) -> bool {
    println!("{:<22} {:<7} {:>10}  detail", "stage", "status", "time");
    let mut failed = false;
    for r in reports {
        let (status, detail) = match &r.result {
            Ok(d) => ("ok", d.clone()),
            Err(e) => {
                failed = true;
                ("FAILED", format!("{e:#}"))
            }
        };
        println!(
            "{:<22} {:<7} {:>8.1}ms  {}",
            r.name,
            status,
            r.elapsed.as_secs_f64() * 1e3,
            detail
        );
    }
    failed
}

/// Runs `zkr demo`.
pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    if args.cluster {
        return cluster::run();
    }
    let reports = vec![
        timed("backend selection", || backend_choice().map(|c| c.describe())),
        timed("GPU kernel self-test", gpu_selftest_stage),
        timed("execute sample block", crate::execute::demo_stage),
        timed("zkEVM prove+aggregate", zkevm_stage),
        timed("L1 settle wrap proof", crate::l1::demo_stage),
    ];
    let failed = print_stages(&reports);
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
