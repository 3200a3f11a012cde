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
use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_proofs::halo2curves::bn256::{Bn256, Fr};
use halo2_proofs::plonk::{keygen_pk, keygen_vk};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use indicatif::{ProgressBar, ProgressStyle};
use plonky2::field::types::Field;
use plonky2::hash::hash_types::HashOut;
use prover::backend::GpuBackend;
use prover::kzg::evm::{prove_for_evm, verify_for_evm};
use prover::kzg::BackendParams;
use prover::wrap::circuit::assign_wrap;
use prover::wrap::final_layer::{FinalLayer, F};
use prover::wrap::instances::NUM_INSTANCES;
use prover::wrap::sample::{SampleCircuit, SAMPLE_LAYOUT};
use rand_core::OsRng;
use revm::primitives::B256;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use verifier_contract::evm::L1;
use verifier_contract::rollup::RollupClient;
use verifier_contract::solc::Solc;
use verifier_contract::verifier::{verifier_calldata, verifier_solidity, VERIFIER_CONTRACT};

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
    progress.set_message(what.to_string());
    Instant::now()
}

pub fn run(args: WrapArgs) -> anyhow::Result<ExitCode> {
    if args.lookup_bits as u32 >= args.k {
        bail!("--lookup-bits ({}) must be below --k ({})", args.lookup_bits, args.k);
    }
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
    );
    let wrapped = layer.prove(&inner)?;
    layer.verify(&wrapped)?;
    rows.push(("final layer build + prove".into(), t.elapsed()));
    let data = layer.circuit_data();

    let t = stage(&progress, "wrap circuit: assignment (keygen shape)");
    let mut builder = BaseCircuitBuilder::<Fr>::new(false)
        .use_k(args.k as usize)
        .use_lookup_bits(args.lookup_bits)
        .use_instance_columns(1);
    let statement = assign_wrap(&mut builder, &data.common, &data.verifier_only, SAMPLE_LAYOUT, &wrapped)?;
    let stats = builder.statistics();
    let config = builder.calculate_params(Some(9));
    rows.push(("wrap circuit assignment".into(), t.elapsed()));

    let t = stage(&progress, &format!("KZG setup, 2^{} (local random SRS)", args.k));
    let params = ParamsKZG::<Bn256>::setup(args.k, OsRng);
    rows.push(("KZG setup (test SRS)".into(), t.elapsed()));
    let t = stage(&progress, "keygen (vk, pk)");
    let vk = keygen_vk(&params, &builder).context("keygen_vk")?;
    let pk = keygen_pk(&params, vk.clone(), &builder).context("keygen_pk")?;
    let break_points = builder.break_points();
    rows.push(("keygen".into(), t.elapsed()));

    let instances = statement.to_scalars();
    let prove = |backend: &BackendParams, label: &str| -> anyhow::Result<(Vec<u8>, Duration)> {
        let t = stage(&progress, label);
        let mut builder = BaseCircuitBuilder::prover(config.clone(), break_points.clone());
        assign_wrap(&mut builder, &data.common, &data.verifier_only, SAMPLE_LAYOUT, &wrapped)?;
        let proof = prove_for_evm(backend, &pk, builder, &instances)?;
        Ok((proof, t.elapsed()))
    };
    let (proof, cpu_time) = prove(&BackendParams::new_cpu(params.clone()), "wrap proof, CPU commitments")?;
    rows.push(("wrap proof (CPU backend)".into(), cpu_time));
    let gpu_time = if args.gpu {
        let ctx = Arc::new(GpuContext::new(GpuOptions { force_u32: false }).context("opening the GPU")?);
        let backend = BackendParams::new(params.clone(), Arc::new(GpuBackend::new(ctx)?))?;
        let (gpu_proof, time) = prove(&backend, "wrap proof, GPU commitments")?;
        verify_for_evm(&params, &vk, &instances, &gpu_proof).context("the GPU-backed wrap proof does not verify")?;
        rows.push(("wrap proof (GPU backend)".into(), time));
        Some(time)
    } else {
        None
    };
    verify_for_evm(&params, &vk, &instances, &proof).context("the wrap proof does not verify")?;

    let t = stage(&progress, "Solidity verifier: generate and compile");
    let source = verifier_solidity(&params, &vk, NUM_INSTANCES)?;
    let solc = Solc::locate()?;
    let verifier = solc.compile("Halo2Verifier.sol", &source, VERIFIER_CONTRACT, false)?;
    rows.push(("verifier generation + solc".into(), t.elapsed()));

    let t = stage(&progress, "L1 (revm): deploy and submit");
    let mut l1 = L1::new();
    let deployed = l1.deploy(verifier.bytecode.clone())?;
    let Some(verifier_address) = deployed.created.filter(|_| deployed.success) else {
        progress.finish_and_clear();
        bail!(
            "the generated verifier ({} bytes of creation code) did not deploy (EIP-170 limits runtime code to 24,576 bytes)",
            verifier.bytecode.len()
        );
    };
    let direct = l1.call(verifier_address, verifier_calldata(&instances, &proof))?;
    if !direct.success {
        progress.finish_and_clear();
        bail!("the generated verifier rejected the wrap proof");
    }
    let rollup = RollupClient::deploy(
        &mut l1,
        verifier_address,
        statement.chain_id,
        B256::from(statement.old_root),
    )?;
    let accepted = rollup.submit_batch(
        &mut l1,
        B256::from(statement.data_hash),
        B256::from(statement.new_root),
        &proof,
    )?;
    rows.push(("L1 deploy + submit".into(), t.elapsed()));
    progress.finish_and_clear();

    println!(
        "wrap circuit: k = {}, {} advice cells, {} lookup cells, {} advice columns",
        args.k,
        stats.gate.total_advice_per_phase[0],
        stats.total_lookup_advice_per_phase[0],
        config.num_advice_per_phase[0]
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
        proof.len(),
        verifier.bytecode.len(),
        direct.gas_used,
        accepted.gas_used
    );
    println!(
        "rollup root advanced to 0x{} (batch {})",
        hex_word(&accepted.new_root.0),
        accepted.batch_index
    );
    println!("peak resident memory: {:.0} MiB", crate::bench_zkevm::peak_rss_mib());
    Ok(ExitCode::SUCCESS)
}

fn hex_word(word: &[u8; 32]) -> String {
    word.iter().map(|b| format!("{b:02x}")).collect()
}
