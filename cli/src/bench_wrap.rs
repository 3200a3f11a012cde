//! `zkr bench wrap`: the L1 wrap end to end on the sample statement circuit
//! (`prover::wrap::sample`): its plonky2 proof, the final layer (Poseidon
//! over BN254), the halo2 wrap circuit (plonky2's verifier plus the public
//! inputs) proven with KZG through the `Backend` seam (CPU, and the GPU
//! backend against it with `--gpu`), the Solidity verifier generated from the
//! wrap's verifying key, and `Rollup.sol` accepting the proof inside revm.
//! It prints each stage's time, the circuit's size, the proof's size, the
//! verifier's bytecode size, the L1 gas and the peak memory.
//!
//! The KZG parameters come from a local random setup (a deployment loads a
//! ceremony SRS).

use crate::bench::ms;
use anyhow::{bail, Context};
use clap::Args;
use gpu_kernels::{GpuContext, GpuOptions};
use indicatif::{ProgressBar, ProgressStyle};
use plonky2::field::types::Field;
use plonky2::hash::hash_types::HashOut;
use prover::backend::GpuBackend;
use prover::kzg::{srs, BackendParams};
use prover::wrap::final_layer::{FinalLayer, F};
use prover::wrap::instances::{WrapInstances, NUM_INSTANCES};
use prover::wrap::prove::{WrapInput, WrapKeys, WrapShape};
use prover::wrap::sample::{SampleCircuit, SAMPLE_LAYOUT};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use verifier_contract::artifact::WrapArtifact;
use verifier_contract::evm::L1;
use verifier_contract::settle::settle;
use verifier_contract::solc::Solc;
use verifier_contract::verifier::{compile_verifier, verifier_solidity};

/// Options for `zkr bench wrap`.
#[derive(Args)]
pub struct WrapArgs {
    /// log2 of the wrap circuit's rows (the circuit has about 9.2M advice cells).
    #[arg(long, default_value_t = 20)]
    k: u32,
    /// Bits of the range-check lookup table (below k).
    #[arg(long, default_value_t = 15)]
    lookup_bits: usize,
    /// Also prove with the GPU backend and report its time against the CPU's.
    #[arg(long)]
    gpu: bool,
}

fn stage(progress: &ProgressBar, what: &str) -> Instant {
    tracing::info!(stage = what, "bench wrap stage started");
    progress.set_message(what.to_string());
    Instant::now()
}

pub fn run(args: WrapArgs) -> anyhow::Result<ExitCode> {
    if args.lookup_bits as u32 >= args.k {
        bail!("--lookup-bits ({}) must be below --k ({})", args.lookup_bits, args.k);
    }
    // The verifier is compiled after minutes of proving: find the compiler first.
    let solc = Solc::locate().context("the Solidity compiler the sample's verifier needs")?;
    let progress = ProgressBar::new_spinner();
    progress.set_style(ProgressStyle::with_template("{spinner} [{elapsed}] {msg}")?);
    progress.enable_steady_tick(Duration::from_millis(200));
    let mut rows: Vec<(String, Duration)> = Vec::new();

    let t = stage(&progress, "sample plonky2 proof");
    let sample = SampleCircuit::new();
    let old_root = HashOut::from([1, 2, 3, 4].map(F::from_canonical_u64));
    let data_hash = HashOut::from([11, 12, 13, 14].map(F::from_canonical_u64));
    let inner = sample
        .prove(old_root, data_hash, F::from_canonical_u64(534_352))
        .map_err(anyhow::Error::msg)?;
    rows.push(("sample plonky2 proof".into(), t.elapsed()));

    let t = stage(&progress, "final layer (Poseidon-BN254): build and prove");
    let layer = FinalLayer::build(
        &sample.data.common,
        &sample.data.verifier_only,
        FinalLayer::wrap_config(),
        &[],
    );
    let wrapped = layer.prove(&inner)?;
    layer.verify(&wrapped)?;
    rows.push(("final layer build + prove".into(), t.elapsed()));
    let input = WrapInput {
        layer: &layer,
        layout: SAMPLE_LAYOUT,
        proof: &wrapped,
    };

    let t = stage(&progress, "wrap circuit: assignment (keygen shape)");
    let shape = WrapShape::assign(input, args.k, args.lookup_bits)?;
    let (advice_cells, lookup_cells, advice_columns) = (shape.advice_cells, shape.lookup_cells, shape.advice_columns);
    rows.push(("wrap circuit assignment".into(), t.elapsed()));

    let t = stage(&progress, &format!("KZG setup, 2^{} (local random SRS)", args.k));
    let params = srs::insecure_local(args.k);
    rows.push(("KZG setup (test SRS)".into(), t.elapsed()));
    let t = stage(&progress, "keygen (vk, pk)");
    let keys = WrapKeys::generate(params, shape)?;
    rows.push(("keygen".into(), t.elapsed()));

    let prove = |on: &BackendParams, label: &str| -> anyhow::Result<(WrapInstances, Vec<u8>, Duration)> {
        let t = stage(&progress, label);
        let (statement, proof) = keys.prove(on, input)?;
        Ok((statement, proof, t.elapsed()))
    };
    let cpu = BackendParams::new_cpu(keys.params.clone());
    let (statement, proof, cpu_time) = prove(&cpu, "wrap proof, CPU commitments")?;
    rows.push(("wrap proof (CPU backend)".into(), cpu_time));
    let gpu_time = if args.gpu {
        let ctx = Arc::new(GpuContext::new(GpuOptions { force_u32: false }).context("opening the GPU")?);
        let gpu = BackendParams::new(keys.params.clone(), Arc::new(GpuBackend::new(ctx)?))?;
        let (_, _, time) = prove(&gpu, "wrap proof, GPU commitments")?;
        rows.push(("wrap proof (GPU backend)".into(), time));
        Some(time)
    } else {
        None
    };

    let t = stage(&progress, "Solidity verifier: generate and compile");
    let source = verifier_solidity(&keys.params, keys.vk(), NUM_INSTANCES)?;
    let verifier = compile_verifier(&solc, &source)?;
    rows.push(("verifier generation + solc".into(), t.elapsed()));

    let t = stage(&progress, "L1 (revm): deploy and submit");
    let artifact = WrapArtifact {
        subject: "the sample statement circuit".into(),
        statement,
        proof,
        k: args.k,
        verifier_source: source,
        verifier_bytecode: verifier.bytecode,
        verifier_abi: verifier.abi.to_string(),
    };
    let settled = settle(&mut L1::new(), &artifact)?;
    rows.push(("L1 deploy + submit".into(), t.elapsed()));
    progress.finish_and_clear();

    println!(
        "wrap circuit: k = {}, {} advice cells, {} lookup cells, {} advice columns",
        args.k, advice_cells, lookup_cells, advice_columns
    );
    for (what, time) in &rows {
        println!("{what:<28} {:>10.0} ms", ms(*time));
    }
    if let Some(gpu) = gpu_time {
        println!(
            "GPU backend against CPU on the wrap proof: {:.2}x",
            cpu_time.as_secs_f64() / gpu.as_secs_f64()
        );
    }
    println!(
        "proof: {} bytes; verifier creation code: {} bytes; L1 gas: verifier call {}, submitBatch {} (verification included)",
        artifact.proof.len(),
        artifact.verifier_bytecode.len(),
        settled.verifier_gas,
        settled.accepted.gas_used
    );
    println!(
        "rollup root advanced to 0x{} (batch {})",
        hex::encode(settled.accepted.new_root),
        settled.accepted.batch_index
    );
    println!("peak resident memory: {:.0} MiB", crate::bench_zkevm::peak_rss_mib());
    Ok(ExitCode::SUCCESS)
}
