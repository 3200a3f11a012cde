//! `zkr keys new`: makes a worker's ed25519 key file.

use anyhow::Context;
use clap::{Args, Subcommand};
use coordinator::auth::{check_worker_id, WorkerIdentity};
use std::path::PathBuf;
use std::process::ExitCode;

/// Worker key management.
#[derive(Subcommand)]
pub enum KeysCommand {
    /// Writes a new worker key file and prints the public key to register with the coordinator.
    New(NewKey),
}

/// Options for `zkr keys new`.
#[derive(Args)]
pub struct NewKey {
    /// Worker id the coordinator will know this key by.
    #[arg(long)]
    pub id: String,
    /// Where to write the secret key file (must not exist).
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `zkr keys`.
pub fn run(cmd: KeysCommand) -> anyhow::Result<ExitCode> {
    let KeysCommand::New(args) = cmd;
    check_worker_id(&args.id).map_err(anyhow::Error::msg)?;
    let identity = WorkerIdentity::generate(&args.id);
    identity
        .save(&args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!("wrote {} (keep it secret)", args.out.display());
    println!(
        "register it with: zkr coordinator --authorize {}={}",
        args.id,
        identity.public_key_hex()
    );
    Ok(ExitCode::SUCCESS)
}
