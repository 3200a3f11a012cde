//! `zkr prove`: executes a block with trace capture, cuts it into chunks,
//! writes one chunk proof per chunk (`chunk-<i>.proof`, bincode) and the
//! block's aggregated plonky2 proof (`aggregated.proof`). Given several
//! consecutive blocks, it runs each on the state the previous one left,
//! writes each block's proofs to `block-<number>/` and aggregates the blocks
//! into one batch proof (`batch.proof`).

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use prover::backend::Backend;
use prover::zkevm::aggregate::{
    aggregate_batch, aggregate_block,
    tree::{num_batch_steps, num_steps},
    AggregatedProof, AggregationStep, ChunkLayout, Circuits, StepKind,
};
use prover::zkevm::tables::CPU;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use witness::ChunkSize;

/// Options for `zkr prove`.
#[derive(Args)]
pub struct ProveArgs {
    /// Block in zkr's format (`.json` or bincode file); repeat for a batch of
    /// consecutive blocks, each run on the state the previous one leaves.
    #[arg(long, required = true)]
    block: Vec<PathBuf>,
    /// Chunk size: at most 2^k step rows per chunk.
    #[arg(long, default_value_t = 10)]
    chunk_rows_log: usize,
    /// Largest chunk: a transaction with more than 2^k - 1 steps that cannot
    /// be split over chunks (more than 64 KiB of memory at every cut) gets a
    /// chunk of its own of the smallest size that holds it, up to 2^K rows
    /// [default: 20, or k if larger].
    #[arg(long)]
    max_chunk_rows_log: Option<usize>,
    /// Folder the chunk proofs and the aggregated (and batch) proofs are written to.
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

/// Totals of one aggregation tree's steps: its first-level proofs (chunk
/// leaves, or a batch's block proofs), the leaves' normal forms and the
/// merges, shown on a progress bar.
struct TreeTotals {
    nodes: StepTotals,
    normal: StepTotals,
    merges: StepTotals,
    bar: ProgressBar,
}

impl TreeTotals {
    /// A progress bar of `steps` proofs, labelled `what`.
    fn new(what: &str, steps: usize) -> anyhow::Result<Self> {
        let bar = ProgressBar::new(steps as u64);
        bar.set_style(ProgressStyle::with_template(&format!(
            "{what} {{bar:30}} {{pos}}/{{len}} {{elapsed}} {{msg}}"
        ))?);
        Ok(Self {
            nodes: StepTotals::default(),
            normal: StepTotals::default(),
            merges: StepTotals::default(),
            bar,
        })
    }

    fn record(&mut self, step: &AggregationStep) {
        match step.kind {
            StepKind::Merge { .. } => self.merges.add(step),
            StepKind::Normalise { .. } => self.normal.add(step),
            StepKind::Leaf { .. } | StepKind::Block { .. } => self.nodes.add(step),
        }
        self.bar.set_message(step.kind.to_string());
        self.bar.inc(1);
    }

    /// Prints one line per kind (`nodes`: the first-level proofs' name).
    fn print(&self, nodes: &str) {
        println!("  {}", self.nodes.line(nodes));
        if self.normal.count > 0 {
            println!("  {}", self.normal.line("normal forms"));
        }
        println!("  {}", self.merges.line("merges"));
    }
}

/// A block's traced execution: its chunk witnesses, built as they are
/// asked for, and what the execution left.
struct Executed {
    /// The chunk witnesses, in order.
    chunks: witness::ChunkWitnesses<'static>,
    /// Number of transactions in the block.
    transactions: usize,
    /// The execution output (the post-state the next block runs on).
    output: executor::BlockOutput,
    /// Time spent executing and planning the chunks.
    time: Duration,
}

/// The default largest chunk (log2 of its rows) for a long transaction.
const DEFAULT_MAX_CHUNK_ROWS_LOG: usize = 20;

impl ProveArgs {
    /// The chunk size the options ask for.
    fn chunk_size(&self) -> ChunkSize {
        ChunkSize {
            rows_log: self.chunk_rows_log,
            max_rows_log: self
                .max_chunk_rows_log
                .unwrap_or(DEFAULT_MAX_CHUNK_ROWS_LOG.max(self.chunk_rows_log)),
        }
    }
}

/// Executes `block` with trace capture and plans its chunks.
fn execute(block: &executor::BlockInput, size: ChunkSize) -> anyhow::Result<Executed> {
    let start = Instant::now();
    let options = executor::ExecOptions {
        capture_traces: true,
        trace_limit: witness::chunk::chunk_trace_limit(witness::chunk::MAX_ROWS_LOG),
        sequential: true,
        ..Default::default()
    };
    let mut output = executor::execute_block(block, &options).context("executing the block")?;
    let trace = output.traces.take().context("the executor returned no traces")?;
    let transactions = trace.txs.len();
    let pre = witness::PreState::of(block).context("building the state tree of the pre-state")?;
    let chunks = witness::chunk_witnesses(trace, &pre, size).context("cutting the block into chunks")?;
    Ok(Executed {
        chunks,
        transactions,
        output,
        time: start.elapsed(),
    })
}

/// Executes `block` and builds each of its chunk witnesses once, dropping
/// each as soon as it is built: bad input fails here, before anything is
/// proven, while memory holds one chunk's witness at a time. Returns the
/// execution output.
fn check(block: &executor::BlockInput, size: ChunkSize) -> anyhow::Result<executor::BlockOutput> {
    let executed = execute(block, size)?;
    for (i, chunk) in executed.chunks.enumerate() {
        chunk.with_context(|| format!("building the witness of chunk {i}"))?;
    }
    Ok(executed.output)
}

/// Executes a checked block again and proves it into `out`: its chunk
/// proofs, each chunk's witness built just before it is proven and freed by
/// proving, and its aggregated proof.
fn prove_block(
    circuits: &mut Circuits,
    block: &executor::BlockInput,
    backend: &dyn Backend,
    size: ChunkSize,
    out: &Path,
) -> anyhow::Result<AggregatedProof> {
    let Executed {
        mut chunks,
        transactions,
        time: mut witness_time,
        ..
    } = execute(block, size)?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let bar = ProgressBar::new(chunks.len() as u64);
    bar.set_style(ProgressStyle::with_template(
        "proving chunks {bar:30} {pos}/{len} {elapsed}",
    )?);
    let mut prove_time = Duration::ZERO;
    let mut proofs = Vec::with_capacity(chunks.len());
    for i in 0.. {
        let start = Instant::now();
        let Some(chunk) = chunks.next() else { break };
        let chunk = chunk.with_context(|| format!("building the witness of chunk {i}"))?;
        witness_time += start.elapsed();
        let start = Instant::now();
        let proof = prover::zkevm::prove_chunk_with(chunk, backend).with_context(|| format!("proving chunk {i}"))?;
        prove_time += start.elapsed();
        let path = out.join(format!("chunk-{i}.proof"));
        std::fs::write(&path, proof.to_bytes()?).with_context(|| format!("writing {}", path.display()))?;
        tracing::info!(
            block = block.header.number,
            chunk = i,
            steps = proof.statement.steps,
            rows_log = ChunkLayout::of(&proof).degree_bits[CPU],
            "chunk proven"
        );
        proofs.push(proof);
        bar.inc(1);
    }
    bar.finish_and_clear();

    let mut totals = TreeTotals::new("aggregating", num_steps(proofs.len()))?;
    let aggregate_start = Instant::now();
    let aggregated =
        aggregate_block(circuits, &proofs, &mut |step| totals.record(step)).context("aggregating the chunk proofs")?;
    totals.bar.finish_and_clear();
    let aggregate_time = aggregate_start.elapsed();
    let path = out.join("aggregated.proof");
    std::fs::write(&path, aggregated.to_bytes()?).with_context(|| format!("writing {}", path.display()))?;

    let steps: u64 = proofs.iter().map(|p| p.statement.steps).sum();
    let larger = proofs
        .iter()
        .map(|p| ChunkLayout::of(p).degree_bits[CPU])
        .filter(|&k| k > size.rows_log)
        .count();
    let suspending = proofs.iter().filter(|p| p.statement.suspend.is_some()).count();
    let notes: Vec<String> = [
        (larger, "larger, each holding one longer transaction"),
        (
            suspending,
            "suspending a longer transaction that the next chunk resumes",
        ),
    ]
    .into_iter()
    .filter(|&(n, _)| n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    let long = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join("; "))
    };
    println!(
        "block {}: {} transactions, {steps} steps in {} chunks of at most 2^{} rows{long} -> {}",
        block.header.number,
        transactions,
        proofs.len(),
        size.rows_log,
        out.display()
    );
    println!(
        "execute + witness {:.2}s, prove {:.2}s, aggregate {:.2}s",
        witness_time.as_secs_f64(),
        prove_time.as_secs_f64(),
        aggregate_time.as_secs_f64()
    );
    totals.print("leaves");
    println!(
        "aggregated proof: transactions {}..{}, {} chunks -> {}",
        aggregated.first_tx,
        aggregated.end_tx,
        aggregated.num_chunks(),
        path.display()
    );
    crate::verify::print_effects(proofs.iter().map(|p| &p.statement));
    Ok(aggregated)
}

/// Aggregates the blocks' proofs into `out/batch.proof`.
fn prove_batch(circuits: &mut Circuits, blocks: &[AggregatedProof], out: &Path) -> anyhow::Result<()> {
    let mut totals = TreeTotals::new("aggregating the batch", num_batch_steps(blocks.len()))?;
    let start = Instant::now();
    let batch = aggregate_batch(circuits, blocks, &mut |step| totals.record(step))
        .context("aggregating the block proofs into a batch")?;
    totals.bar.finish_and_clear();
    let path = out.join("batch.proof");
    std::fs::write(&path, batch.to_bytes()?).with_context(|| format!("writing {}", path.display()))?;
    println!(
        "batch proof: blocks {}..{}, {} steps, aggregated in {:.2}s -> {}",
        batch.first_block(),
        batch.end_block(),
        batch.steps(),
        start.elapsed().as_secs_f64(),
        path.display()
    );
    totals.print("blocks");
    crate::verify::print_effects(batch.chunks().map(|c| &c.statement));
    Ok(())
}

pub fn run(args: ProveArgs) -> anyhow::Result<ExitCode> {
    // Execute every block on its parent's post-state and build all its
    // chunk witnesses first, so that bad input (a block that does not
    // follow, an out-of-scope opcode) stops the run before anything is
    // proven or written. The witnesses are dropped as they are built and
    // built again when their turn to be proven comes (seconds against
    // minutes of proving), so memory holds one chunk's witness at a time.
    let mut blocks: Vec<executor::BlockInput> = Vec::with_capacity(args.block.len());
    let mut parent: Option<executor::BlockOutput> = None;
    for path in &args.block {
        let mut block = executor::codec::load_block(path).with_context(|| format!("loading {}", path.display()))?;
        if let Some(parent) = &parent {
            block = executor::chain::follow(&block, parent)
                .with_context(|| format!("{} cannot follow the block before it", path.display()))?;
        }
        parent = Some(check(&block, args.chunk_size()).with_context(|| format!("executing {}", path.display()))?);
        blocks.push(block);
    }
    let choice = crate::gpu::backend_choice()?;
    println!("{}", choice.describe());
    let mut circuits = Circuits::new();
    let batch = blocks.len() > 1;
    let mut proven: Vec<AggregatedProof> = Vec::with_capacity(blocks.len());
    for (block, path) in blocks.iter().zip(&args.block) {
        let out = if batch {
            args.out.join(format!("block-{}", block.header.number))
        } else {
            args.out.clone()
        };
        proven.push(
            prove_block(&mut circuits, block, choice.backend.as_ref(), args.chunk_size(), &out)
                .with_context(|| format!("proving {}", path.display()))?,
        );
    }
    if batch {
        prove_batch(&mut circuits, &proven, &args.out)?;
    }
    Ok(ExitCode::SUCCESS)
}
