//! `zkr bench ...`: benchmarks reported as ratios against a baseline
//! measured in the same run on the same machine.

use anyhow::Context;
use clap::{Args, Subcommand};
use gpu_kernels::bn254::{cpu_msm, MsmEngine, SampleRng};
use gpu_kernels::{GpuContext, GpuOptions};
use indicatif::{ProgressBar, ProgressStyle};
use prover::backend::GpuBackend;
use prover::kzg::range_check::{keygen, prove, prove_cpu, setup, verify, RangeCheckCircuit};
use prover::kzg::BackendParams;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Benchmark subcommands.
#[derive(Subcommand)]
pub enum BenchCommand {
    /// BN254 MSM: the GPU kernels against halo2curves on all cores, and a
    /// halo2 KZG proof with CPU and with GPU commitments.
    Msm(MsmArgs),
    /// Goldilocks NTT and LDE + Poseidon Merkle commitments: the GPU kernels
    /// against plonky2 on all cores, transfers shown apart from compute.
    Gpu(crate::bench_gpu::GpuBenchArgs),
    /// The parallel executor against the sequential one on the same block.
    Executor(crate::bench_executor::ExecutorArgs),
    /// zkEVM chunk proving throughput (steps and gas per second per core) and
    /// its overhead over traced execution.
    Zkevm(crate::bench_zkevm::ZkevmArgs),
    /// The L1 wrap end to end on a sample statement circuit: final layer,
    /// halo2 KZG wrap proof (CPU, or GPU against CPU), Solidity verifier and
    /// rollup contract in revm, with L1 gas and peak memory.
    Wrap(crate::bench_wrap::WrapArgs),
}

/// Options for `zkr bench msm`.
#[derive(Args)]
pub struct MsmArgs {
    /// log2 of the MSM sizes, comma-separated (the device run uses 16,18,20,22,24).
    #[arg(long, value_delimiter = ',', default_values_t = vec![16, 18, 20, 22])]
    log_sizes: Vec<u32>,
    /// Timed repetitions per size (the median is reported).
    #[arg(long, default_value_t = 3)]
    repeats: usize,
    /// k of the halo2 range-check proof (16 to 20); 0 skips the proof.
    #[arg(long, default_value_t = 16)]
    proof_k: u32,
    /// Use the 32-bit-only kernels even where SHADER_INT64 exists.
    #[arg(long)]
    force_u32: bool,
}

pub fn run(cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        BenchCommand::Msm(args) => msm(args),
        BenchCommand::Executor(args) => crate::bench_executor::run(args),
        BenchCommand::Gpu(args) => crate::bench_gpu::run(args),
        BenchCommand::Zkevm(args) => crate::bench_zkevm::run(args),
        BenchCommand::Wrap(args) => crate::bench_wrap::run(args),
    }
}

/// The median of timed repetitions.
pub(crate) fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// A duration in milliseconds.
pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn msm(args: MsmArgs) -> anyhow::Result<ExitCode> {
    if let Some(bad) = args.log_sizes.iter().find(|&&l| !(1..=26).contains(&l)) {
        anyhow::bail!("--log-sizes: 2^{bad} is outside 2^1 ..= 2^26");
    }
    if args.proof_k != 0 && !(10..=22).contains(&args.proof_k) {
        anyhow::bail!("--proof-k {} is outside 10..=22 (0 skips the proof)", args.proof_k);
    }
    let repeats = args.repeats.max(1);
    let ctx = Arc::new(
        GpuContext::new(GpuOptions {
            force_u32: args.force_u32,
        })
        .context("opening the GPU")?,
    );
    println!(
        "device: {} ({}, {} kernels), CPU threads: {}",
        ctx.adapter.name,
        ctx.adapter.device_type,
        if ctx.int64 { "u64" } else { "u32-only" },
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let engine = MsmEngine::new(ctx.clone());
    let largest = 1usize << args.log_sizes.iter().max().copied().unwrap_or(16);
    let progress = ProgressBar::new(args.log_sizes.len() as u64)
        .with_style(ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}").expect("valid template"));
    progress.set_message(format!("generating 2^{} bases", largest.trailing_zeros()));
    let mut rng = SampleRng::new(2026);
    let bases = rng.bases(largest);
    let start = Instant::now();
    let gpu_bases = engine.upload_bases(&bases);
    let upload = start.elapsed();
    let mut rows = Vec::new();
    let mut all_equal = true;
    for &log in &args.log_sizes {
        progress.set_message(format!("MSM 2^{log}"));
        let scalars = rng.scalars(1 << log);
        let mut cpu_times = Vec::new();
        let mut gpu_times = Vec::new();
        for _ in 0..repeats {
            let start = Instant::now();
            let cpu = cpu_msm(&bases, &scalars);
            cpu_times.push(start.elapsed());
            let start = Instant::now();
            let gpu = engine.msm(&gpu_bases, &scalars)?;
            gpu_times.push(start.elapsed());
            all_equal &= cpu == gpu;
        }
        tracing::info!(log, "MSM benchmark row done");
        rows.push((log, median(cpu_times), median(gpu_times)));
        progress.inc(1);
    }
    progress.finish_and_clear();
    println!(
        "base upload (2^{}, once): {:.1} ms",
        largest.trailing_zeros(),
        ms(upload)
    );
    println!(
        "{:<6} {:>14} {:>14} {:>12}",
        "size", "halo2curves ms", "GPU ms", "GPU speed-up"
    );
    for (log, cpu, gpu) in &rows {
        println!(
            "2^{:<4} {:>14.2} {:>14.2} {:>11.2}x",
            log,
            ms(*cpu),
            ms(*gpu),
            cpu.as_secs_f64() / gpu.as_secs_f64()
        );
    }
    println!("GPU results equal halo2curves: {all_equal}");
    if args.proof_k != 0 {
        proof_row(args.proof_k, ctx)?;
    }
    Ok(if all_equal {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn proof_row(k: u32, ctx: Arc<GpuContext>) -> anyhow::Result<()> {
    let spinner = ProgressBar::new_spinner();
    spinner.enable_steady_tick(Duration::from_millis(200));
    spinner.set_message(format!("halo2 range check, k = {k}: setup and keygen"));
    let params = setup(k);
    let circuit = RangeCheckCircuit::new(
        (0..RangeCheckCircuit::capacity(k) as u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .collect(),
    );
    let (vk, pk) = keygen(&params, &circuit)?;
    let values = circuit.values().to_vec();
    spinner.set_message(format!("halo2 range check, k = {k}: SRS upload"));
    let start = Instant::now();
    let gpu_params = BackendParams::new(params.clone(), Arc::new(GpuBackend::new(ctx)?))?;
    let upload = start.elapsed();
    spinner.set_message(format!("halo2 range check, k = {k}: CPU proof"));
    let start = Instant::now();
    let cpu_proof = prove_cpu(&params, &pk, &circuit)?;
    let cpu_time = start.elapsed();
    spinner.set_message(format!("halo2 range check, k = {k}: GPU proof"));
    let start = Instant::now();
    let gpu_proof = prove(&gpu_params, &pk, &circuit)?;
    let gpu_time = start.elapsed();
    spinner.finish_and_clear();
    verify(&params, &vk, &values, &cpu_proof).context("CPU proof failed to verify")?;
    verify(&params, &vk, &values, &gpu_proof).context("GPU-backed proof failed to verify")?;
    let share = gpu_params.share();
    println!(
        "halo2 range check k = {k}: CPU commitments {:.0} ms, GPU commitments {:.0} ms ({:.2}x); SRS upload {:.0} ms; \
         {:.1}% of MSM points on the GPU ({} MSMs); both proofs verify",
        ms(cpu_time),
        ms(gpu_time),
        cpu_time.as_secs_f64() / gpu_time.as_secs_f64(),
        ms(upload),
        100.0 * share.backend_fraction(),
        share.backend_msms
    );
    Ok(())
}
