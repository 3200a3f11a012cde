//! `zkr verify`: verifies one proof file (a chunk proof, an aggregated
//! proof or a batch proof, recognised by its magic header), or a folder
//! written by `zkr prove`: every `chunk-<i>.proof` with the links between
//! neighbouring chunks, and `aggregated.proof` when present; for a batch,
//! each `block-<number>/` folder that way, then `batch.proof`.

use anyhow::Context;
use clap::Args;
use prover::zkevm::aggregate::{
    verify_aggregated, verify_batch, AggregatedProof, BatchProof, BatchVerifierData, Circuits, VerifierData,
};
use prover::zkevm::{verify_chunk_sequence, ChunkProof};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Options for `zkr verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// A chunk, aggregated or batch proof file, or a folder written by `zkr prove`.
    proof: PathBuf,
}

/// A proof file's contents.
enum ProofFile {
    Chunk(Box<ChunkProof>),
    Aggregated(Box<AggregatedProof>),
    Batch(Box<BatchProof>),
}

fn load(path: &Path) -> anyhow::Result<ProofFile> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if AggregatedProof::is_aggregated(&bytes) {
        let proof = AggregatedProof::from_bytes(&bytes).with_context(|| format!("decoding {}", path.display()))?;
        return Ok(ProofFile::Aggregated(Box::new(proof)));
    }
    if BatchProof::is_batch(&bytes) {
        let proof = BatchProof::from_bytes(&bytes).with_context(|| format!("decoding {}", path.display()))?;
        return Ok(ProofFile::Batch(Box::new(proof)));
    }
    refuse_other_format_version(path, &bytes)?;
    let proof = ChunkProof::from_bytes(&bytes).with_context(|| {
        format!(
            "{} is neither an aggregated proof nor a batch proof (it lacks the {:?} or {:?} header) nor a chunk proof",
            path.display(),
            String::from_utf8_lossy(prover::zkevm::aggregate::proof::MAGIC),
            String::from_utf8_lossy(prover::zkevm::aggregate::batch::MAGIC)
        )
    })?;
    Ok(ProofFile::Chunk(Box::new(proof)))
}

/// Fails with a clear message when `bytes` are an aggregated or batch
/// proof of another format version.
pub(crate) fn refuse_other_format_version(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    match prover::zkevm::aggregate::proof::other_format_version(bytes) {
        Some(header) => anyhow::bail!(
            "{} is a proof of another format version ({header:?}; this zkr reads {:?} and {:?}): prove the block again with this zkr",
            path.display(),
            String::from_utf8_lossy(prover::zkevm::aggregate::proof::MAGIC),
            String::from_utf8_lossy(prover::zkevm::aggregate::batch::MAGIC)
        ),
        None => Ok(()),
    }
}

fn load_chunk(path: &Path) -> anyhow::Result<ChunkProof> {
    match load(path)? {
        ProofFile::Chunk(proof) => Ok(*proof),
        ProofFile::Aggregated(_) | ProofFile::Batch(_) => {
            anyhow::bail!(
                "{} is an aggregated or batch proof, expected a chunk proof",
                path.display()
            )
        }
    }
}

fn verify_chunks(proofs: &[ChunkProof], what: &Path) -> anyhow::Result<()> {
    let start = Instant::now();
    verify_chunk_sequence(proofs).with_context(|| format!("verifying {}", what.display()))?;
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
    print_effects(proofs.iter().map(|p| &p.statement));
    Ok(())
}

/// The state-tree roots before and after the chunks, the gas the proven
/// transactions used, which of them reverted, then the nonces and balances
/// and the storage they read and leave, one line per field or slot.
pub(crate) fn print_effects<'a>(statements: impl IntoIterator<Item = &'a witness::ChunkStatement>) {
    let statements: Vec<&witness::ChunkStatement> = statements.into_iter().collect();
    if let (Some(first), Some(last)) = (statements.first(), statements.last()) {
        println!(
            "state root: {} -> {}",
            witness::state::root_hex(first.old_root),
            witness::state::root_hex(last.new_root)
        );
    }
    let used: Vec<u64> = statements
        .iter()
        .flat_map(|s| s.finished_calls())
        .filter_map(|c| c.gas_used())
        .collect();
    let refunded: u64 = statements
        .iter()
        .flat_map(|s| s.finished_calls())
        .map(|c| c.refund)
        .sum();
    println!(
        "gas used: {} by {} transactions (refund counters {refunded} before the EIP-3529 cap)",
        used.iter().sum::<u64>(),
        used.len()
    );
    let reverted: Vec<String> = statements
        .iter()
        .flat_map(|s| s.finished_calls())
        .filter(|c| c.reverted)
        .map(|c| c.tx.to_string())
        .collect();
    if !reverted.is_empty() {
        println!(
            "reverted (storage writes rolled back): transactions {}",
            reverted.join(", ")
        );
    }
    for line in witness::describe_accounts(&witness::account_changes(statements.iter().copied()), 8) {
        println!("{line}");
    }
    for line in witness::describe_storage(&witness::storage_changes(statements), 8) {
        println!("{line}");
    }
}

fn verify_aggregate(circuits: &mut Circuits, proof: &AggregatedProof, path: &Path) -> anyhow::Result<()> {
    let start = Instant::now();
    let data = VerifierData::for_chunks(circuits, &proof.chunks)
        .with_context(|| format!("rebuilding the circuits of {}", path.display()))?;
    let rebuild = start.elapsed();
    let start = Instant::now();
    verify_aggregated(proof, &data).with_context(|| format!("verifying {}", path.display()))?;
    println!(
        "valid aggregated proof: block {}, transactions {}..{}, {} steps, {} chunks \
         (circuits rebuilt in {:.2}s, root degree 2^{}, verified in {:.0} ms)",
        proof.block,
        proof.first_tx,
        proof.end_tx,
        proof.steps,
        proof.num_chunks(),
        rebuild.as_secs_f64(),
        data.circuit.common.degree_bits(),
        start.elapsed().as_secs_f64() * 1e3
    );
    print_effects(proof.chunks.iter().map(|c| &c.statement));
    Ok(())
}

fn verify_batch_file(circuits: &mut Circuits, proof: &BatchProof, path: &Path) -> anyhow::Result<()> {
    let start = Instant::now();
    let data = BatchVerifierData::for_blocks(circuits, &proof.blocks)
        .with_context(|| format!("rebuilding the circuits of {}", path.display()))?;
    let rebuild = start.elapsed();
    let start = Instant::now();
    verify_batch(proof, &data).with_context(|| format!("verifying {}", path.display()))?;
    let transactions: u32 = proof.blocks.iter().map(|b| b.transactions()).sum();
    println!(
        "valid batch proof: blocks {}..{}, {transactions} transactions, {} steps, {} chunks \
         (circuits rebuilt in {:.2}s, root degree 2^{}, verified in {:.0} ms)",
        proof.first_block(),
        proof.end_block(),
        proof.steps(),
        proof.chunks().count(),
        rebuild.as_secs_f64(),
        data.circuit.common.degree_bits(),
        start.elapsed().as_secs_f64() * 1e3
    );
    print_effects(proof.chunks().map(|c| &c.statement));
    Ok(())
}

fn verify_file(path: &Path) -> anyhow::Result<()> {
    match load(path)? {
        ProofFile::Chunk(proof) => verify_chunks(&[*proof], path),
        ProofFile::Aggregated(proof) => verify_aggregate(&mut Circuits::new(), &proof, path),
        ProofFile::Batch(proof) => verify_batch_file(&mut Circuits::new(), &proof, path),
    }
}

/// Verifies a block's folder: its chunk proofs, then `aggregated.proof` when
/// present (with the circuits in `circuits`, building those missing).
fn verify_block_folder(circuits: &mut Circuits, folder: &Path) -> anyhow::Result<()> {
    let mut found = Vec::new();
    for i in 0.. {
        let path = folder.join(format!("chunk-{i}.proof"));
        if !path.exists() {
            break;
        }
        found.push(load_chunk(&path)?);
    }
    anyhow::ensure!(!found.is_empty(), "{} holds no chunk-0.proof", folder.display());
    verify_chunks(&found, folder)?;
    let aggregated = folder.join("aggregated.proof");
    if aggregated.exists() {
        match load(&aggregated)? {
            ProofFile::Aggregated(proof) => verify_aggregate(circuits, &proof, &aggregated)?,
            _ => anyhow::bail!("{} is not an aggregated proof", aggregated.display()),
        }
    }
    Ok(())
}

pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    if !args.proof.is_dir() {
        verify_file(&args.proof)?;
        return Ok(ExitCode::SUCCESS);
    }
    let batch = args.proof.join("batch.proof");
    if !batch.exists() {
        verify_block_folder(&mut Circuits::new(), &args.proof)?;
        return Ok(ExitCode::SUCCESS);
    }
    let proof = match load(&batch)? {
        ProofFile::Batch(proof) => proof,
        _ => anyhow::bail!("{} is not a batch proof", batch.display()),
    };
    // One circuit cache: the batch reuses every block's circuits.
    let mut circuits = Circuits::new();
    for block in &proof.blocks {
        let folder = args.proof.join(format!("block-{}", block.number));
        println!("block {} ({}):", block.number, folder.display());
        verify_block_folder(&mut circuits, &folder)?;
    }
    verify_batch_file(&mut circuits, &proof, &batch)?;
    Ok(ExitCode::SUCCESS)
}
