//! `zkr prove`: executes a block with trace capture, cuts it into chunks,
//! writes one chunk proof per chunk (`chunk-<i>.proof`, bincode) and the
//! block's aggregated plonky2 proof (`aggregated.proof`).

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use prover::zkevm::aggregate::{aggregate_block, tree::num_steps, AggregationStep, Circuits, StepKind};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Options for `zkr prove`.
#[derive(Args)]
pub struct ProveArgs {
    /// Block in zkr's format (`.json` or bincode file).
    #[arg(long)]
    block: PathBuf,
    /// Chunk size: at most 2^k step rows per chunk.
    #[arg(long, default_value_t = 10)]
    chunk_rows_log: usize,
    /// Folder the chunk proofs and the aggregated proof are written to.
    #[arg(long)]
    out: PathBuf,
}

/// Totals of the aggregation steps of one kind.
#[derive(Default)]
struct StepTotals {
    count: usize,
    degree_bits: Vec<usize>,
    build: Duration,
    prove: Duration,
}

impl StepTotals {
    fn add(&mut self, step: &AggregationStep) {
        self.count += 1;
        if !self.degree_bits.contains(&step.degree_bits) {
            self.degree_bits.push(step.degree_bits);
        }
        self.build += step.build;
        self.prove += step.prove;
    }

    fn line(&self, name: &str) -> String {
        if self.count == 0 {
            return format!("{name}: none");
        }
        let degrees: Vec<String> = self.degree_bits.iter().map(|d| format!("2^{d}")).collect();
        format!(
            "{name}: {} proofs, degree {}, circuit builds {:.2}s, proving {:.2}s ({:.2}s per proof)",
            self.count,
            degrees.join("/"),
            self.build.as_secs_f64(),
            self.prove.as_secs_f64(),
            self.prove.as_secs_f64() / self.count as f64
        )
    }
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
    let pre = witness::PreState::of(&block).context("building the state tree of the pre-state")?;
    let chunks = witness::build_chunks(&trace, &pre, args.chunk_rows_log).context("building the chunk witnesses")?;
    let witness_time = start.elapsed();
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let bar = ProgressBar::new(chunks.len() as u64);
    bar.set_style(ProgressStyle::with_template(
        "proving chunks {bar:30} {pos}/{len} {elapsed}",
    )?);
    let prove_start = Instant::now();
    let mut proofs = Vec::with_capacity(chunks.len());
    for (i, chunk) in chunks.iter().enumerate() {
        let proof = prover::zkevm::prove_chunk(chunk).with_context(|| format!("proving chunk {i}"))?;
        let path = args.out.join(format!("chunk-{i}.proof"));
        std::fs::write(&path, proof.to_bytes()?).with_context(|| format!("writing {}", path.display()))?;
        tracing::info!(chunk = i, steps = chunk.statement.steps, "chunk proven");
        proofs.push(proof);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let prove_time = prove_start.elapsed();

    let bar = ProgressBar::new(num_steps(proofs.len()) as u64);
    bar.set_style(ProgressStyle::with_template(
        "aggregating {bar:30} {pos}/{len} {elapsed} {msg}",
    )?);
    let (mut leaves, mut merges) = (StepTotals::default(), StepTotals::default());
    let aggregate_start = Instant::now();
    let aggregated = aggregate_block(&mut Circuits::new(), block.header.number, &proofs, &mut |step| {
        match step.kind {
            StepKind::Leaf { index } => {
                leaves.add(step);
                bar.set_message(format!("leaf {index}"));
            }
            StepKind::Merge { level } => {
                merges.add(step);
                bar.set_message(format!("merge at level {level}"));
            }
        }
        bar.inc(1);
    })
    .context("aggregating the chunk proofs")?;
    bar.finish_and_clear();
    let aggregate_time = aggregate_start.elapsed();
    let path = args.out.join("aggregated.proof");
    std::fs::write(&path, aggregated.to_bytes()?).with_context(|| format!("writing {}", path.display()))?;

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
        "execute + witness {:.2}s, prove {:.2}s, aggregate {:.2}s",
        witness_time.as_secs_f64(),
        prove_time.as_secs_f64(),
        aggregate_time.as_secs_f64()
    );
    println!("  {}", leaves.line("leaves"));
    println!("  {}", merges.line("merges"));
    println!(
        "aggregated proof: transactions {}..{}, {} chunks -> {}",
        aggregated.first_tx,
        aggregated.end_tx,
        aggregated.num_chunks(),
        path.display()
    );
    crate::verify::print_effects(chunks.iter().map(|c| &c.statement));
    Ok(ExitCode::SUCCESS)
}
