//! `zkr l1`: the L1 side of a wrap proof. `verify` settles it on an
//! in-process chain (revm): deploys its verifier and `Rollup.sol` at the
//! statement's old root, checks the proof with the verifier, submits the
//! batch and prints the gas; `export` writes the contracts for a deployment.

use crate::wrap::print_statement;
use anyhow::Context;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use verifier_contract::artifact::WrapArtifact;
use verifier_contract::evm::L1;
use verifier_contract::rollup::{ROLLUP_ABI_JSON, ROLLUP_BYTECODE_HEX, ROLLUP_SOURCE};
use verifier_contract::settle::{settle, SettleError};

/// The bundled wrap proof of the zkEVM demo block, relative to the repository root.
pub const DEMO_WRAP_PROOF: &str = "data/wrap/demo.wrap";

/// `zkr l1` subcommands.
#[derive(Subcommand)]
pub enum L1Command {
    /// Deploy a wrap proof's verifier and Rollup.sol in an in-process revm, submit the batch and
    /// print the gas used (exit 1 if rejected).
    Verify(VerifyArgs),
    /// Write Verifier.sol, Rollup.sol, their ABI and bytecode, and the deployment parameters.
    Export(ExportArgs),
}

/// Options for `zkr l1 verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// The wrap proof file (`zkr wrap` writes it).
    #[arg(default_value = DEMO_WRAP_PROOF)]
    wrap_proof: PathBuf,
}

/// Options for `zkr l1 export`.
#[derive(Args)]
pub struct ExportArgs {
    /// Folder the files are written to.
    #[arg(long)]
    out: PathBuf,
    /// The wrap proof whose verifier is exported (the verifier belongs to its keys).
    #[arg(long, default_value = DEMO_WRAP_PROOF)]
    wrap_proof: PathBuf,
}

pub fn run(command: L1Command) -> anyhow::Result<ExitCode> {
    match command {
        L1Command::Verify(args) => verify(&args.wrap_proof),
        L1Command::Export(args) => export(&args.wrap_proof, &args.out),
    }
}

fn verify(path: &Path) -> anyhow::Result<ExitCode> {
    let artifact = WrapArtifact::read(path)?;
    println!("{}: {}", path.display(), artifact.subject);
    print_statement(&artifact.statement);
    let mut l1 = L1::new();
    match settle(&mut l1, &artifact) {
        Ok(settled) => {
            println!(
                "accepted: Rollup at {} advanced to 0x{} (batch {})",
                settled.rollup.address,
                hex::encode(settled.accepted.new_root),
                settled.accepted.batch_index
            );
            println!(
                "gas: verifier call {} ; submitBatch {} (verification included); proof {} bytes, verifier creation code {} bytes",
                settled.verifier_gas,
                settled.accepted.gas_used,
                artifact.proof.len(),
                artifact.verifier_bytecode.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(err @ (SettleError::VerifierRejected { .. } | SettleError::Rollup(_) | SettleError::VerifierDeploy(_))) => {
            println!("rejected: {err}");
            Ok(ExitCode::FAILURE)
        }
        Err(err) => Err(err.into()),
    }
}

/// `zkr demo`'s L1 stage: settles the bundled wrap proof of the demo block
/// (wrapping it again takes minutes and gigabytes; `zkr wrap` does that).
pub fn demo_stage() -> anyhow::Result<String> {
    let path = Path::new(DEMO_WRAP_PROOF);
    let artifact = WrapArtifact::read(path)?;
    let settled = settle(&mut L1::new(), &artifact)?;
    Ok(format!(
        "{}: {} ({} proof bytes) accepted by its Solidity verifier ({} gas) and Rollup.sol (root 0x{}.. -> 0x{}.., submitBatch {} gas)",
        path.display(),
        artifact.subject,
        artifact.proof.len(),
        settled.verifier_gas,
        hex::encode(&settled.accepted.old_root[..4]),
        hex::encode(&settled.accepted.new_root[..4]),
        settled.accepted.gas_used
    ))
}

fn export(path: &Path, out: &Path) -> anyhow::Result<ExitCode> {
    let artifact = WrapArtifact::read(path)?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let deployment = serde_json::json!({
        "wrapProof": path.display().to_string(),
        "subject": artifact.subject,
        "chainId": artifact.statement.chain_id,
        "genesisRoot": format!("0x{}", hex::encode(artifact.statement.old_root)),
        "steps": [
            "deploy Verifier.bin (no constructor arguments)",
            "deploy Rollup.bin with constructor(address verifier, uint64 chainId, bytes32 genesisRoot)",
            "submitBatch(bytes32 dataHash, bytes32 newRoot, bytes proof)"
        ],
    });
    let files = [
        ("Verifier.sol", artifact.verifier_source.clone()),
        ("Verifier.bin", hex::encode(&artifact.verifier_bytecode)),
        ("Verifier.abi.json", artifact.verifier_abi.clone()),
        ("Rollup.sol", ROLLUP_SOURCE.to_string()),
        ("Rollup.bin", ROLLUP_BYTECODE_HEX.trim().to_string()),
        ("Rollup.abi.json", ROLLUP_ABI_JSON.to_string()),
        ("deployment.json", serde_json::to_string_pretty(&deployment)?),
    ];
    for (name, contents) in &files {
        let file = out.join(name);
        std::fs::write(&file, contents).with_context(|| format!("writing {}", file.display()))?;
        println!("{}", file.display());
    }
    Ok(ExitCode::SUCCESS)
}
