//! `zkr bench zkevm`: chunk-proving throughput of the zkEVM tables on a
//! block of loop-heavy contract calls, as EVM steps and gas per second per
//! CPU core, with the proving time as a ratio to the traced execution of
//! the same transactions measured in the same run, and peak memory.

use anyhow::{bail, Context};
use clap::Args;
use executor::synthetic::counter_loop_block;
use executor::{execute_block, ExecOptions};
use indicatif::ProgressBar;
use prover::backend::select_backend;
use prover::zkevm::{prove_chunk_with, verify_chunk};
use revm::primitives::hardfork::SpecId;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Options for `zkr bench zkevm`.
#[derive(Args)]
pub struct ZkevmArgs {
    /// log2 of the chunk sizes in step rows, comma-separated (the range is 16 to 20).
    #[arg(long, value_delimiter = ',', default_values_t = vec![12, 14, 16])]
    rows_logs: Vec<usize>,
    /// Loop iterations per transaction (7 steps and 26 gas each; see `executor::synthetic::counter_loop_code`).
    #[arg(long, default_value_t = 400)]
    iterations: u16,
}

/// Peak resident memory of this process so far, in MiB.
pub(crate) fn peak_rss_mib() -> f64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    if rc == 0 {
        usage.ru_maxrss as f64 / 1024.0
    } else {
        f64::NAN
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

pub fn run(args: ZkevmArgs) -> anyhow::Result<ExitCode> {
    if args.iterations == 0 {
        bail!("--iterations must be at least 1");
    }
    let choice = select_backend().context("choosing the proving backend")?;
    let cores = rayon::current_num_threads();
    println!("{} ; {cores} CPU threads", choice.describe());
    println!("one full chunk per size; overhead = proving time / traced execution time of the chunk's transactions");
    println!(
        "{:<6} {:>7} {:>9} {:>9} {:>10} {:>10} {:>15} {:>15} {:>10} {:>9}",
        "rows",
        "txs",
        "steps",
        "exec ms",
        "witness ms",
        "prove s",
        "steps/s/core",
        "gas/s/core",
        "overhead",
        "verify ms"
    );
    let progress = ProgressBar::new(args.rows_logs.len() as u64);
    for &rows_log in &args.rows_logs {
        let steps_per_tx = 7 * usize::from(args.iterations) + 9;
        let txs = ((1usize << rows_log) / steps_per_tx).max(1);
        let block = counter_loop_block(txs, args.iterations);
        let options = ExecOptions {
            capture_traces: true,
            sequential: true,
            spec: Some(SpecId::CANCUN),
            ..Default::default()
        };
        let started = Instant::now();
        let trace = execute_block(&block, &options)
            .context("executing the benchmark block")?
            .traces
            .context("traces were requested")?;
        let exec = started.elapsed();
        let started = Instant::now();
        let pre = witness::PreState::of(&block).context("building the state tree")?;
        let chunks = witness::build_chunks(&trace, &pre, rows_log)
            .with_context(|| format!("building chunks of 2^{rows_log} rows"))?;
        let witness_time = started.elapsed();
        let chunk = chunks.into_iter().next().context("the block produced no chunk")?;
        // The first chunk runs the block's first steps (a transaction longer
        // than a chunk is split, and the chunk holds its first piece).
        let chunk_txs = chunk.statement.calls.len();
        let chunk_steps = chunk.statement.steps as usize;
        let all_steps: usize = trace.txs.iter().map(|t| t.steps.len()).sum();
        let gas: u64 = trace
            .txs
            .iter()
            .flat_map(|t| t.steps.iter())
            .take(chunk_steps)
            .map(|s| s.gas_cost)
            .sum();
        // Only the chunk's witness stays in memory while it is proven.
        drop((trace, pre, block));
        let started = Instant::now();
        let proof = prove_chunk_with(chunk, choice.backend.as_ref())
            .with_context(|| format!("proving a chunk of 2^{rows_log} rows"))?;
        let prove = started.elapsed();
        let started = Instant::now();
        verify_chunk(&proof).context("the benchmark proof does not verify")?;
        let verify = started.elapsed();
        let steps = proof.statement.steps as f64;
        let chunk_exec = exec.mul_f64(chunk_steps as f64 / all_steps as f64);
        progress.suspend(|| {
            println!(
                "2^{:<4} {:>7} {:>9} {:>9.1} {:>10.1} {:>10.2} {:>15.0} {:>15.0} {:>9.0}x {:>9.1}",
                rows_log,
                chunk_txs,
                proof.statement.steps,
                secs(chunk_exec) * 1e3,
                secs(witness_time) * 1e3,
                secs(prove),
                steps / secs(prove) / cores as f64,
                gas as f64 / secs(prove) / cores as f64,
                secs(prove) / secs(chunk_exec),
                secs(verify) * 1e3
            )
        });
        progress.inc(1);
    }
    progress.finish_and_clear();
    println!("peak resident memory: {:.0} MiB", peak_rss_mib());
    Ok(ExitCode::SUCCESS)
}
