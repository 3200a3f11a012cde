//! `zkr prove`: executes a block with trace capture, cuts it into chunks and
//! writes one chunk proof per chunk (`chunk-<i>.proof`, bincode).

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Options for `zkr prove`.
#[derive(Args)]
pub struct ProveArgs {
    /// Block in zkr's format (`.json` or bincode file).
    #[arg(long)]
    block: PathBuf,
    /// Chunk size: at most 2^k step rows per chunk.
    #[arg(long, default_value_t = 10)]
    chunk_rows_log: usize,
    /// Folder the chunk proofs are written to.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: ProveArgs) -> anyhow::Result<ExitCode> {
    let block =
        executor::codec::load_block(&args.block).with_context(|| format!("loading {}", args.block.display()))?;
    let start = Instant::now();
    let options = executor::ExecOptions {
        capture_traces: true,
        sequential: true,
        ..Default::default()
    };
    let output = executor::execute_block(&block, &options).context("executing the block")?;
    let trace = output.traces.context("the executor returned no traces")?;
    let chunks = witness::build_chunks(&trace, &witness::codes_of(&block), args.chunk_rows_log)
        .context("building the chunk witnesses")?;
    let witness_time = start.elapsed();
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let bar = ProgressBar::new(chunks.len() as u64);
    bar.set_style(ProgressStyle::with_template(
        "proving chunks {bar:30} {pos}/{len} {elapsed}",
    )?);
    let prove_start = Instant::now();
    for (i, chunk) in chunks.iter().enumerate() {
        let proof = prover::zkevm::prove_chunk(chunk).with_context(|| format!("proving chunk {i}"))?;
        let path = args.out.join(format!("chunk-{i}.proof"));
        std::fs::write(&path, proof.to_bytes()?).with_context(|| format!("writing {}", path.display()))?;
        tracing::info!(chunk = i, steps = chunk.statement.steps, "chunk proven");
        bar.inc(1);
    }
    bar.finish_and_clear();
    let steps: u64 = chunks.iter().map(|c| c.statement.steps).sum();
    println!(
        "block {}: {} transactions, {steps} steps in {} chunks of at most 2^{} rows -> {}",
        block.header.number,
        trace.txs.len(),
        chunks.len(),
        args.chunk_rows_log,
        args.out.display()
    );
    println!(
        "execute + witness {:.2}s, prove {:.2}s",
        witness_time.as_secs_f64(),
        prove_start.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
