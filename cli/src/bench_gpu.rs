//! `zkr bench gpu`: Goldilocks kernels against plonky2 on all CPU cores of
//! the same machine, in the same run. Batched NTTs, then LDE + Merkle
//! commitments (`PolynomialBatch::from_values`); GPU times are split into
//! compute and transfers, and every GPU result is checked against plonky2's.

use crate::bench::median;
use anyhow::Context;
use clap::Args;
use gpu_kernels::goldilocks::{ms, ntt_reference, NttDirection, Timings, F};
use gpu_kernels::{GpuContext, GpuOptions};
use indicatif::{ProgressBar, ProgressStyle};
use plonky2::field::polynomial::PolynomialValues;
use plonky2::field::types::Sample;
use plonky2::fri::oracle::PolynomialBatch;
use plonky2::util::timing::TimingTree;
use prover::backend::{Backend, CpuBackend, GpuBackend, C, D};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Options for `zkr bench gpu`.
#[derive(Args)]
pub struct GpuBenchArgs {
    /// log2 of the NTT sizes (the device run uses 16,18,20,22,24).
    #[arg(long, value_delimiter = ',', default_values_t = vec![12, 14, 16])]
    ntt_logs: Vec<usize>,
    /// Columns per batched NTT.
    #[arg(long, default_value_t = 16)]
    ntt_columns: usize,
    /// log2 of the trace rows for LDE + Merkle (the device run uses 16,18,20).
    #[arg(long, value_delimiter = ',', default_values_t = vec![12])]
    lde_logs: Vec<usize>,
    /// Trace columns for LDE + Merkle (the device run uses 64,128,256).
    #[arg(long, value_delimiter = ',', default_values_t = vec![64])]
    lde_columns: Vec<usize>,
    /// log2 of the blowup factor.
    #[arg(long, default_value_t = 1)]
    rate_bits: usize,
    /// log2 of the Merkle cap size.
    #[arg(long, default_value_t = 4)]
    cap_height: usize,
    /// Timed repetitions per size (the median is reported).
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// Use the 32-bit-only kernels even where SHADER_INT64 exists.
    #[arg(long)]
    force_u32: bool,
}

/// Median of the repeats by total GPU time.
fn median_by_total(mut runs: Vec<Timings>) -> Timings {
    runs.sort_by_key(Timings::total);
    runs[runs.len() / 2]
}

fn ratio(cpu: Duration, gpu: Duration) -> f64 {
    cpu.as_secs_f64() / gpu.as_secs_f64().max(1e-9)
}

pub fn run(args: GpuBenchArgs) -> anyhow::Result<ExitCode> {
    if let Some(bad) = args
        .ntt_logs
        .iter()
        .chain(&args.lde_logs)
        .find(|&&l| !(1..=26).contains(&l))
    {
        anyhow::bail!("sizes: 2^{bad} is outside 2^1 ..= 2^26");
    }
    let repeats = args.repeats.max(1);
    let ctx = Arc::new(
        GpuContext::new(GpuOptions {
            force_u32: args.force_u32,
        })
        .context("opening the GPU")?,
    );
    let backend = GpuBackend::new(ctx.clone())?;
    println!(
        "device: {}; CPU baseline: plonky2 on {}",
        backend.name(),
        CpuBackend.name()
    );
    let gpu = backend.goldilocks();
    let progress = ProgressBar::new((args.ntt_logs.len() + args.lde_logs.len() * args.lde_columns.len()) as u64)
        .with_style(ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}").expect("valid template"));
    let mut all_equal = true;

    let mut ntt_rows = Vec::new();
    for &log in &args.ntt_logs {
        progress.set_message(format!("NTT 2^{log} x {}", args.ntt_columns));
        let input: Vec<Vec<F>> = (0..args.ntt_columns).map(|_| F::rand_vec(1 << log)).collect();
        // One untimed run warms the twiddle cache and the pipelines.
        gpu.ntt(&input, NttDirection::Forward)?;
        let (mut gpu_runs, mut cpu_runs) = (Vec::new(), Vec::new());
        for _ in 0..repeats {
            let (got, timings) = gpu.ntt(&input, NttDirection::Forward)?;
            gpu_runs.push(timings);
            let start = Instant::now();
            let want = ntt_reference(&input, NttDirection::Forward);
            cpu_runs.push(start.elapsed());
            all_equal &= got == want;
        }
        tracing::info!(log, "NTT benchmark row done");
        ntt_rows.push((log, median_by_total(gpu_runs), median(cpu_runs)));
        progress.inc(1);
    }

    let mut lde_rows = Vec::new();
    for &log in &args.lde_logs {
        for &cols in &args.lde_columns {
            progress.set_message(format!("LDE + Merkle 2^{log} x {cols}"));
            let values: Vec<PolynomialValues<F>> = (0..cols)
                .map(|_| PolynomialValues::new(F::rand_vec(1 << log)))
                .collect();
            let params = gpu_kernels::goldilocks::CommitParams {
                rate_bits: args.rate_bits,
                blinding: false,
                cap_height: args.cap_height,
            };
            gpu.commit(&values, params)?;
            let (mut gpu_runs, mut cpu_runs) = (Vec::new(), Vec::new());
            for _ in 0..repeats {
                let (got, timings) = gpu.commit(&values, params)?;
                gpu_runs.push(timings);
                let start = Instant::now();
                let want = PolynomialBatch::<F, C, D>::from_values(
                    values.clone(),
                    args.rate_bits,
                    false,
                    args.cap_height,
                    &mut TimingTree::default(),
                    None,
                );
                cpu_runs.push(start.elapsed());
                all_equal &= got.polynomials == want.polynomials && got.merkle_tree == want.merkle_tree;
            }
            tracing::info!(log, cols, "LDE benchmark row done");
            lde_rows.push((log, cols, median_by_total(gpu_runs), median(cpu_runs)));
            progress.inc(1);
        }
    }
    progress.finish_and_clear();

    println!(
        "\nBatched forward NTT ({} columns), median of {repeats}:",
        args.ntt_columns
    );
    println!(
        "{:<6} {:>12} {:>11} {:>13} {:>12} {:>12} {:>16} {:>14}",
        "size", "plonky2 ms", "GPU ms", "compute ms", "upload ms", "download ms", "x (end to end)", "x (compute)"
    );
    for (log, t, cpu) in &ntt_rows {
        println!(
            "2^{:<4} {:>12.2} {:>11.2} {:>13.3} {:>12.2} {:>12.2} {:>15.2}x {:>13.2}x",
            log,
            ms(*cpu),
            ms(t.total()),
            ms(t.compute),
            ms(t.upload),
            ms(t.download),
            ratio(*cpu, t.total()),
            ratio(*cpu, t.compute)
        );
    }
    println!(
        "\nLDE (blowup 2^{}) + Poseidon Merkle tree (cap 2^{}), median of {repeats}:",
        args.rate_bits, args.cap_height
    );
    println!(
        "{:<6} {:>5} {:>12} {:>11} {:>13} {:>12} {:>12} {:>10} {:>16} {:>14}",
        "rows",
        "cols",
        "plonky2 ms",
        "GPU ms",
        "compute ms",
        "upload ms",
        "download ms",
        "host ms",
        "x (end to end)",
        "x (compute)"
    );
    for (log, cols, t, cpu) in &lde_rows {
        println!(
            "2^{:<4} {:>5} {:>12.1} {:>11.1} {:>13.2} {:>12.2} {:>12.2} {:>10.2} {:>15.2}x {:>13.2}x",
            log,
            cols,
            ms(*cpu),
            ms(t.total()),
            ms(t.compute),
            ms(t.upload),
            ms(t.download),
            ms(t.host),
            ratio(*cpu, t.total()),
            ratio(*cpu, t.compute)
        );
    }
    println!("\nGPU results equal plonky2's: {all_equal}");
    Ok(if all_equal {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
