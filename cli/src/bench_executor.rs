//! `zkr bench executor`: both parallel engines (Block-STM, optimistic
//! ranges) against the sequential path on each
//! synthetic workload and on mainnet blocks, plus trace-capture overhead
//! and the block's roots on all threads against one, printed as ratios
//! measured in the same run.

use crate::bench::{median, ms};
use clap::Args;
use executor::roots::{receipts_root, state_root, ReceiptFields};
use executor::synthetic::{block, Workload};
use executor::{execute_block, BlockInput, ExecOptions, ParallelEngine, TxOutcome};
use indicatif::ProgressBar;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Options for `zkr bench executor`.
#[derive(Args)]
pub struct ExecutorArgs {
    /// Worker threads of the parallel path (default: all cores).
    #[arg(long)]
    threads: Option<NonZeroUsize>,
    /// Transactions per synthetic block.
    #[arg(long, default_value_t = 1000)]
    txs: usize,
    /// Timed repetitions per row (the median is reported).
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// Run the parallel engines on every block, even where the executor would fall back
    /// to the sequential path (one sender's chain, fewer than 16
    /// transactions, one thread).
    #[arg(long)]
    no_fallback: bool,
    /// Folder of mainnet block dumps to include (every sub-folder).
    #[arg(long, default_value = "../shared/data/mainnet-blocks")]
    mainnet: PathBuf,
}

/// Median wall times of one configuration: the whole `execute_block` call
/// (state set-up, commits and roots included) and the transaction-execution
/// stage alone (what the parallel engines parallelise); and the engine that ran.
struct Timing {
    total: Duration,
    stage: Duration,
    engine: Option<ParallelEngine>,
}

/// Times `input` under each of `options`, rotating their order every round
/// so that a slow stretch of a shared machine falls on all of them.
fn measure(repeats: usize, input: &BlockInput, options: &[&ExecOptions]) -> anyhow::Result<Vec<Timing>> {
    let k = options.len();
    let mut totals = vec![Vec::with_capacity(repeats); k];
    let mut stages = vec![Vec::with_capacity(repeats); k];
    let mut engines = vec![None; k];
    for round in 0..repeats {
        for which in (0..k).map(|i| (i + round) % k) {
            let start = Instant::now();
            let output = execute_block(input, options[which])?;
            totals[which].push(start.elapsed());
            stages[which].push(output.elapsed);
            engines[which] = output.engine;
        }
    }
    Ok(totals
        .into_iter()
        .zip(stages)
        .zip(engines)
        .map(|((total, stage), engine)| Timing {
            total: median(total),
            stage: median(stage),
            engine,
        })
        .collect())
}

fn geometric_mean(ratios: &[f64]) -> f64 {
    (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp()
}

pub fn run(args: ExecutorArgs) -> anyhow::Result<ExitCode> {
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN));
    let repeats = args.repeats.max(1);
    let sequential = ExecOptions {
        sequential: true,
        ..ExecOptions::default()
    };
    let engine = |engine| ExecOptions {
        threads,
        sequential_fallback: !args.no_fallback,
        engine: Some(engine),
        ..ExecOptions::default()
    };
    let block_stm = engine(ParallelEngine::BlockStm);
    let ranges = engine(ParallelEngine::Ranges);
    let mut rows: Vec<(String, BlockInput)> = Workload::ALL
        .iter()
        .map(|w| (format!("{} x{}", w.name(), args.txs), block(*w, args.txs)))
        .collect();
    if args.mainnet.is_dir() {
        let mut dirs: Vec<_> = std::fs::read_dir(&args.mainnet)?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for dir in dirs {
            let input = crate::execute::load_block(&dir)?;
            rows.push((format!("mainnet {}", input.header.number), input));
        }
    }
    println!(
        "CPU threads available: {}, parallel path: {threads} threads, median of {repeats}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("stage = transaction execution only; total = execute_block with state set-up, commits and roots");
    println!("speedup = sequential over the engine: Block-STM (bstm), optimistic ranges (ranges)");
    println!("default = the engine the executor picks for the block (seq: the sequential fallback)");
    println!(
        "{:<22} {:>6} {:>9} {:>9} {:>9} {:>9} {:>7} {:>7} {:>7} {:>7} {:>7}",
        "block", "txs", "seq ms", "seq ms", "bstm ms", "ranges ms", "bstm", "ranges", "total", "total", "default"
    );
    println!(
        "{:<22} {:>6} {:>9} {:>9} {:>9} {:>9} {:>7} {:>7} {:>7} {:>7}",
        "", "", "total", "stage", "stage", "stage", "stage", "stage", "bstm", "ranges"
    );
    let progress = ProgressBar::new(rows.len() as u64 + 1);
    let mut stage_ratios = [Vec::new(), Vec::new()];
    let mut total_ratios = [Vec::new(), Vec::new()];
    for (name, input) in &rows {
        let timings = measure(repeats, input, &[&sequential, &block_stm, &ranges])?;
        let [seq, bstm, rng] = [&timings[0], &timings[1], &timings[2]];
        let stage = |t: &Timing| seq.stage.as_secs_f64() / t.stage.as_secs_f64();
        let total = |t: &Timing| seq.total.as_secs_f64() / t.total.as_secs_f64();
        if name.starts_with("mainnet") {
            for (i, t) in [bstm, rng].into_iter().enumerate() {
                stage_ratios[i].push(stage(t));
                total_ratios[i].push(total(t));
            }
        }
        let default = match (rng.engine, ParallelEngine::for_block(input, threads)) {
            (None, _) => "seq",
            (Some(_), ParallelEngine::BlockStm) => "bstm",
            (Some(_), ParallelEngine::Ranges) => "ranges",
        };
        progress.suspend(|| {
            println!(
                "{:<22} {:>6} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>6.2}x {:>6.2}x {:>6.2}x {:>6.2}x {:>7}",
                name,
                input.transactions.len(),
                ms(seq.total),
                ms(seq.stage),
                ms(bstm.stage),
                ms(rng.stage),
                stage(bstm),
                stage(rng),
                total(bstm),
                total(rng),
                default
            )
        });
        progress.inc(1);
    }
    if !stage_ratios[0].is_empty() {
        for (i, engine) in ["Block-STM", "optimistic ranges"].into_iter().enumerate() {
            println!(
                "mainnet geometric mean speedup over {} blocks, {engine}: stage {:.2}x, total {:.2}x",
                stage_ratios[i].len(),
                geometric_mean(&stage_ratios[i]),
                geometric_mean(&total_ratios[i])
            );
        }
    }
    let erc20 = block(Workload::Erc20, args.txs);
    let traced = ExecOptions {
        capture_traces: true,
        ..sequential.clone()
    };
    let timings = measure(repeats, &erc20, &[&sequential, &traced])?;
    let (off, on) = (timings[0].stage, timings[1].stage);
    progress.finish_and_clear();
    println!(
        "trace capture overhead (erc20, sequential): {:.2}x ({:.2} ms -> {:.2} ms)",
        on.as_secs_f64() / off.as_secs_f64(),
        off.as_secs_f64() * 1e3,
        on.as_secs_f64() * 1e3
    );
    let synthetic: Vec<_> = rows.iter().take(Workload::ALL.len()).collect();
    roots(&synthetic, threads, repeats)?;
    Ok(ExitCode::SUCCESS)
}

/// Times the block's roots (the post-state's state root and the receipts
/// root) on a pool of one thread and on a pool of `threads`, and prints the
/// medians and their ratio.
fn roots(rows: &[&(String, BlockInput)], threads: NonZeroUsize, repeats: usize) -> anyhow::Result<()> {
    let pool = |n: usize| rayon::ThreadPoolBuilder::new().num_threads(n).build();
    let pools = [pool(1)?, pool(threads.get())?];
    println!("state and receipts roots, median of {repeats}: one thread against {threads}");
    println!("{:<22} {:>9} {:>9} {:>7}", "block", "1 thr ms", "N thr ms", "speedup");
    for (name, input) in rows {
        let output = execute_block(input, &ExecOptions::default())?;
        let receipts: Vec<ReceiptFields<'_>> = output.txs.iter().map(TxOutcome::receipt).collect();
        let mut times = [Vec::with_capacity(repeats), Vec::with_capacity(repeats)];
        for round in 0..repeats {
            for which in [round % 2, (round + 1) % 2] {
                let start = Instant::now();
                std::hint::black_box(
                    pools[which].install(|| (state_root(&output.post_state), receipts_root(&receipts))),
                );
                times[which].push(start.elapsed());
            }
        }
        let [one, many] = times.map(median);
        println!(
            "{:<22} {:>9.2} {:>9.2} {:>6.2}x",
            name,
            ms(one),
            ms(many),
            one.as_secs_f64() / many.as_secs_f64()
        );
    }
    Ok(())
}
