//! `zkr bench executor`: Block-STM against the sequential path on each
//! synthetic workload and on mainnet blocks, plus trace-capture overhead,
//! printed as ratios measured in the same run.

use crate::bench::{median, ms};
use clap::Args;
use executor::synthetic::{block, Workload};
use executor::{execute_block, BlockInput, ExecOptions};
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
    /// Run Block-STM on every block, even where the executor would fall back
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
/// stage alone (what Block-STM parallelises); and whether Block-STM ran.
struct Timing {
    total: Duration,
    stage: Duration,
    block_stm: bool,
}

/// Times `input` under both `options`, alternating between them (in turn
/// first and second) so that a slow stretch of a shared machine falls on both.
fn measure_pair(repeats: usize, input: &BlockInput, options: [&ExecOptions; 2]) -> anyhow::Result<[Timing; 2]> {
    let mut totals = [Vec::with_capacity(repeats), Vec::with_capacity(repeats)];
    let mut stages = [Vec::with_capacity(repeats), Vec::with_capacity(repeats)];
    let mut block_stm = [false; 2];
    for round in 0..repeats {
        for which in [round % 2, 1 - round % 2] {
            let start = Instant::now();
            let output = execute_block(input, options[which])?;
            totals[which].push(start.elapsed());
            stages[which].push(output.elapsed);
            block_stm[which] = output.block_stm;
        }
    }
    let [total_a, total_b] = totals;
    let [stage_a, stage_b] = stages;
    Ok([
        Timing {
            total: median(total_a),
            stage: median(stage_a),
            block_stm: block_stm[0],
        },
        Timing {
            total: median(total_b),
            stage: median(stage_b),
            block_stm: block_stm[1],
        },
    ])
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
    let parallel = ExecOptions {
        threads,
        sequential_fallback: !args.no_fallback,
        ..ExecOptions::default()
    };
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
    println!("path = what the parallel run used: Block-STM, or the sequential fallback (seq)");
    println!(
        "{:<22} {:>6} {:>10} {:>10} {:>8} {:>10} {:>10} {:>8} {:>9}",
        "block", "txs", "seq stage", "par stage", "speedup", "seq total", "par total", "speedup", "path"
    );
    let progress = ProgressBar::new(rows.len() as u64 + 1);
    let mut stage_ratios = Vec::new();
    let mut total_ratios = Vec::new();
    for (name, input) in &rows {
        let [seq, par] = measure_pair(repeats, input, [&sequential, &parallel])?;
        let stage_ratio = seq.stage.as_secs_f64() / par.stage.as_secs_f64();
        let total_ratio = seq.total.as_secs_f64() / par.total.as_secs_f64();
        if name.starts_with("mainnet") {
            stage_ratios.push(stage_ratio);
            total_ratios.push(total_ratio);
        }
        progress.suspend(|| {
            println!(
                "{:<22} {:>6} {:>10.2} {:>10.2} {:>7.2}x {:>10.2} {:>10.2} {:>7.2}x {:>9}",
                name,
                input.transactions.len(),
                ms(seq.stage),
                ms(par.stage),
                stage_ratio,
                ms(seq.total),
                ms(par.total),
                total_ratio,
                if par.block_stm { "Block-STM" } else { "seq" }
            )
        });
        progress.inc(1);
    }
    if !stage_ratios.is_empty() {
        println!(
            "mainnet geometric mean speedup over {} blocks: stage {:.2}x, total {:.2}x",
            stage_ratios.len(),
            geometric_mean(&stage_ratios),
            geometric_mean(&total_ratios)
        );
    }
    let erc20 = block(Workload::Erc20, args.txs);
    let traced = ExecOptions {
        capture_traces: true,
        ..sequential.clone()
    };
    let [off, on] = measure_pair(repeats, &erc20, [&sequential, &traced])?.map(|t| t.stage);
    progress.finish_and_clear();
    println!(
        "trace capture overhead (erc20, sequential): {:.2}x ({:.2} ms -> {:.2} ms)",
        on.as_secs_f64() / off.as_secs_f64(),
        off.as_secs_f64() * 1e3,
        on.as_secs_f64() * 1e3
    );
    Ok(ExitCode::SUCCESS)
}
