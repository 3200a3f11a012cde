//! `zkr verify`: verifies one chunk proof file, or every `chunk-<i>.proof`
//! in a folder together with the links between neighbouring chunks.

use anyhow::Context;
use clap::Args;
use prover::zkevm::{verify_chunk_sequence, ChunkProof};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Options for `zkr verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// A chunk proof file, or a folder written by `zkr prove`.
    proof: PathBuf,
}

fn load(path: &Path) -> anyhow::Result<ChunkProof> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    ChunkProof::from_bytes(&bytes).with_context(|| format!("decoding {}", path.display()))
}

pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let proofs = if args.proof.is_dir() {
        let mut found = Vec::new();
        for i in 0.. {
            let path = args.proof.join(format!("chunk-{i}.proof"));
            if !path.exists() {
                break;
            }
            found.push(load(&path)?);
        }
        anyhow::ensure!(!found.is_empty(), "{} holds no chunk-0.proof", args.proof.display());
        found
    } else {
        vec![load(&args.proof)?]
    };
    let start = Instant::now();
    verify_chunk_sequence(&proofs).with_context(|| format!("verifying {}", args.proof.display()))?;
    let first = &proofs[0].statement;
    let last = &proofs[proofs.len() - 1].statement;
    let steps: u64 = proofs.iter().map(|p| p.statement.steps).sum();
    println!(
        "valid: transactions {}..{}, {steps} steps, {} chunks, verified in {:.0} ms",
        first.first_tx,
        last.end_tx,
        proofs.len(),
        start.elapsed().as_secs_f64() * 1e3
    );
    Ok(ExitCode::SUCCESS)
}
