//! `zkr keys new`: makes a worker's ed25519 key file; `zkr keys srs`: an
//! insecure SRS file for a test cluster's wrap jobs.

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
    /// Writes an insecure SRS (a fresh tau, dropped at once) for a test cluster's wrap jobs
    /// (`zkr coordinator --wrap-srs`, `zkr worker --wrap-srs`); a deployment uses a ceremony's
    /// `.ptau` file instead.
    Srs(InsecureSrs),
}

/// Options for `zkr keys srs`.
#[derive(Args)]
pub struct InsecureSrs {
    /// log2 of the points (the wrap k).
    #[arg(long, default_value_t = 23)]
    pub k: u32,
    /// Where to write it (halo2 params, raw form).
    #[arg(long)]
    pub out: PathBuf,
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
    let args = match cmd {
        KeysCommand::New(args) => args,
        KeysCommand::Srs(args) => return insecure_srs(&args),
    };
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

/// Runs `zkr keys srs`.
fn insecure_srs(args: &InsecureSrs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!((1..=26).contains(&args.k), "--k {}: expected 1 to 26", args.k);
    let params = prover::kzg::srs::insecure_local(args.k);
    prover::kzg::srs::save(&params, &args.out)?;
    println!(
        "wrote an insecure SRS of 2^{} points to {} (tests only: a deployment uses a ceremony file)",
        args.k,
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
