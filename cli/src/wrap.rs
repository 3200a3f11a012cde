//! `zkr wrap`: wraps an aggregated block proof (`zkr prove`'s
//! `aggregated.proof`) or a batch proof of consecutive blocks (`batch.proof`)
//! for L1. It rebuilds and checks the aggregation circuits, re-proves the root proof in the final plonky2 layer
//! (Poseidon over BN254, the chain id appended), proves the halo2 wrap
//! circuit with KZG through the proving backend, generates and compiles the
//! Solidity verifier from the wrap's verifying key, and writes a wrap proof
//! file (`verifier_contract::artifact`) that `zkr l1 verify` settles.

use crate::gpu::backend_choice;
use anyhow::{bail, Context};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use prover::kzg::srs;
use prover::wrap::instances::WrapInstances;
use prover::zkevm::aggregate::{Circuits, RootProof};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use verifier_contract::solc::Solc;
use verifier_contract::wrap::{wrap_root, KeptKeys, VerifiedRoot, WrapSettings};

/// Options for `zkr wrap`.
#[derive(Args)]
pub struct WrapArgs {
    /// The aggregated block proof (`aggregated.proof`) or batch proof (`batch.proof`), written by `zkr prove`.
    proof: PathBuf,
    /// Where the wrap proof file is written.
    #[arg(long)]
    out: PathBuf,
    /// The rollup's chain id: bound into the wrap keys and exposed to the contracts.
    #[arg(long)]
    chain_id: u64,
    /// log2 of the wrap circuit's rows. A block's wrap circuit (about 7.3M advice cells) fits one
    /// advice column at k = 23 (about 306k gas to verify, 20 GB to prove); fewer rows mean more
    /// columns and more gas (k = 22: two columns, 354k gas, 12 GB).
    #[arg(long, default_value_t = 23)]
    k: u32,
    /// Bits of the range-check lookup table (below k).
    #[arg(long, default_value_t = 15)]
    lookup_bits: usize,
    /// The SRS: a snarkjs Powers of Tau file (`.ptau`) or halo2 KZG params. Without it, an
    /// insecure local setup is made (its verifier is then good for tests only).
    #[arg(long)]
    srs: Option<PathBuf>,
    /// Also write the SRS used (halo2 format) here, so that later wraps reuse it.
    #[arg(long)]
    save_srs: Option<PathBuf>,
}

/// Reads what is wrapped: a block's aggregated proof or a batch proof.
fn load_root(path: &std::path::Path) -> anyhow::Result<RootProof> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if !RootProof::is_root(&bytes) {
        crate::verify::refuse_other_format_version(path, &bytes)?;
        bail!(
            "{} is neither an aggregated block proof nor a batch proof (zkr prove writes them as \
             aggregated.proof and batch.proof)",
            path.display()
        )
    }
    RootProof::from_bytes(&bytes).with_context(|| format!("decoding {}", path.display()))
}

pub fn run(args: WrapArgs) -> anyhow::Result<ExitCode> {
    let subject = load_root(&args.proof)?;
    // The verifier is compiled after minutes of keygen: find
    // the compiler, check the proof and read the SRS first.
    let solc = Solc::locate().context("the Solidity compiler the wrap's verifier needs")?;
    let settings = WrapSettings {
        chain_id: args.chain_id,
        k: args.k,
        lookup_bits: args.lookup_bits,
    };
    let progress = ProgressBar::new_spinner();
    progress.set_style(ProgressStyle::with_template("{spinner} [{elapsed}] {msg}")?);
    progress.enable_steady_tick(Duration::from_millis(200));
    let (root, check_stage) = timed(&progress, "rebuild and check the aggregation circuits", || {
        Ok(subject.verify(&mut Circuits::new())?)
    })?;
    let (params, srs_stage) = timed(&progress, "SRS", || {
        Ok(match &args.srs {
            Some(path) => srs::load(path, args.k)?,
            None => {
                tracing::warn!("no --srs: using an insecure local setup (tests only)");
                srs::insecure_local(args.k)
            }
        })
    })?;
    if let Some(path) = &args.save_srs {
        srs::save(&params, path)?;
    }
    let choice = backend_choice()?;
    let root = VerifiedRoot {
        circuit: &root.circuit,
        public_inputs: &root.public_inputs,
        proof: subject.proof(),
    };
    let wrapped = wrap_root(
        root,
        settings,
        move || Ok(params),
        choice.backend.clone(),
        &solc,
        &KeptKeys::default(),
        format!("{}, chain {}", subject.summary(), args.chain_id),
        &|name| progress.set_message(name),
    )?;
    progress.finish_and_clear();
    let artifact = &wrapped.artifact;
    artifact.write(&args.out)?;

    println!("wrapped {} -> {}", artifact.subject, args.out.display());
    print_statement(&artifact.statement);
    println!(
        "wrap circuit: k = {}, {} advice cells in {} columns; proof {} bytes; verifier creation code {} bytes; backend {}",
        args.k,
        wrapped.advice_cells,
        wrapped.advice_columns,
        artifact.proof.len(),
        artifact.verifier_bytecode.len(),
        choice.describe()
    );
    if args.srs.is_none() {
        println!("SRS: insecure local setup (pass --srs with a ceremony file for a deployment)");
    }
    for (name, time) in [check_stage, srs_stage].iter().chain(&wrapped.stages) {
        println!("  {name:<46} {:>8.1} s", time.as_secs_f64());
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs one stage under the progress bar; returns its result and its name and duration.
fn timed<T>(
    progress: &ProgressBar,
    name: &'static str,
    stage: impl FnOnce() -> anyhow::Result<T>,
) -> anyhow::Result<(T, (&'static str, Duration))> {
    progress.set_message(name);
    tracing::info!(stage = name, "wrap stage");
    let start = Instant::now();
    let out = stage()?;
    Ok((out, (name, start.elapsed())))
}

/// Prints the statement the contracts check.
pub fn print_statement(statement: &WrapInstances) {
    println!("  old state root  0x{}", hex::encode(statement.old_root));
    println!("  new state root  0x{}", hex::encode(statement.new_root));
    println!("  batch data hash 0x{}", hex::encode(statement.data_hash));
    println!("  chain id        {}", statement.chain_id);
}
