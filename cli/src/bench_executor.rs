//! `zkr bench executor`: Block-STM against the sequential path on each
//! synthetic workload and on mainnet blocks, plus trace-capture overhead,
//! printed as ratios measured in the same run.

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
    /// Folder of mainnet block dumps to include (every sub-folder).
    #[arg(long, default_value = "../shared/data/mainnet-blocks")]
    mainnet: PathBuf,
}

fn median_time(repeats: usize, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<Duration> {
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let start = Instant::now();
        f()?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

fn exec(input: &BlockInput, options: &ExecOptions) -> anyhow::Result<()> {
    execute_block(input, options)?;
    Ok(())
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
    println!(
        "{:<22} {:>6} {:>12} {:>12} {:>8}",
        "block", "txs", "seq ms", "par ms", "speedup"
    );
    let progress = ProgressBar::new(rows.len() as u64 + 1);
    let mut mainnet_ratios = Vec::new();
    for (name, input) in &rows {
        let seq = median_time(repeats, || exec(input, &sequential))?;
        let par = median_time(repeats, || exec(input, &parallel))?;
        let ratio = seq.as_secs_f64() / par.as_secs_f64();
        if name.starts_with("mainnet") {
            mainnet_ratios.push(ratio);
        }
        progress.suspend(|| {
            println!(
                "{:<22} {:>6} {:>12.2} {:>12.2} {:>7.2}x",
                name,
                input.transactions.len(),
                seq.as_secs_f64() * 1e3,
                par.as_secs_f64() * 1e3,
                ratio
            )
        });
        progress.inc(1);
    }
    if !mainnet_ratios.is_empty() {
        let geo = (mainnet_ratios.iter().map(|r| r.ln()).sum::<f64>() / mainnet_ratios.len() as f64).exp();
        println!(
            "mainnet geometric mean speedup: {geo:.2}x over {} blocks",
            mainnet_ratios.len()
        );
    }
    let erc20 = block(Workload::Erc20, args.txs);
    let off = median_time(repeats, || exec(&erc20, &sequential))?;
    let on = median_time(repeats, || {
        exec(
            &erc20,
            &ExecOptions {
                capture_traces: true,
                ..sequential.clone()
            },
        )
    })?;
    progress.finish_and_clear();
    println!(
        "trace capture overhead (erc20, sequential): {:.2}x ({:.2} ms -> {:.2} ms)",
        on.as_secs_f64() / off.as_secs_f64(),
        off.as_secs_f64() * 1e3,
        on.as_secs_f64() * 1e3
    );
    Ok(ExitCode::SUCCESS)
}
