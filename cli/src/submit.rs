//! `zkr submit` and `zkr status`: the operator side of the cluster.

use anyhow::Context;
use clap::Args;
use coordinator::client::OperatorClient;
use coordinator::pipeline::ZkevmBatchInput;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// How to reach the coordinator's operator API.
#[derive(Args)]
pub struct OperatorArgs {
    /// Coordinator URL.
    #[arg(long, default_value = "http://127.0.0.1:7800")]
    pub coordinator: String,
    /// File holding the operator token (or set ZKR_OPERATOR_TOKEN).
    #[arg(long, default_value = "zkr-operator.token")]
    pub token_file: PathBuf,
}

impl OperatorArgs {
    /// A client with the operator token.
    pub fn client(&self) -> anyhow::Result<OperatorClient> {
        let token = match std::env::var("ZKR_OPERATOR_TOKEN") {
            Ok(t) => t,
            Err(_) => std::fs::read_to_string(&self.token_file)
                .with_context(|| format!("reading the operator token from {}", self.token_file.display()))?
                .trim()
                .to_string(),
        };
        Ok(OperatorClient::new(&self.coordinator, &token))
    }
}

/// Options for `zkr submit`.
#[derive(Args)]
pub struct SubmitArgs {
    /// The block. For `zkevm`: a block file in zkr's format (JSON or
    /// bincode) or a mainnet block folder; repeat it for a batch of
    /// consecutive blocks, each run on the state the one before leaves and
    /// proven as one batch proof. For the other pipelines: one folder whose
    /// files (sorted by name) go into the batch input.
    #[arg(long, required = true)]
    pub block: Vec<PathBuf>,
    /// Pipeline that proves it (`zkevm`, `poseidon-commitment`, `sha256-digest-tree`).
    #[arg(long, default_value = "zkevm")]
    pub pipeline: String,
    #[command(flatten)]
    pub operator: OperatorArgs,
}

/// The batch input for a block folder: each file's name, length and bytes, in name order.
pub fn block_input(dir: &Path) -> anyhow::Result<Vec<u8>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading block folder {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    anyhow::ensure!(!files.is_empty(), "block folder {} has no files", dir.display());
    let mut input = Vec::new();
    for f in files {
        let bytes = std::fs::read(&f).with_context(|| format!("reading {}", f.display()))?;
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        input.extend_from_slice(&(name.len() as u32).to_le_bytes());
        input.extend_from_slice(name.as_bytes());
        input.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        input.extend_from_slice(&bytes);
    }
    Ok(input)
}

/// The zkEVM pipeline's batch input: the blocks, in order.
pub fn zkevm_input(paths: &[PathBuf]) -> anyhow::Result<Vec<u8>> {
    let blocks = paths
        .iter()
        .map(|path| crate::execute::load_block(path).with_context(|| format!("loading the block {}", path.display())))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(ZkevmBatchInput::new(blocks).to_bytes())
}

/// Runs `zkr submit`.
pub fn run(args: SubmitArgs) -> anyhow::Result<ExitCode> {
    let input = match (args.pipeline.as_str(), args.block.as_slice()) {
        ("zkevm", blocks) => zkevm_input(blocks)?,
        (_, [folder]) => block_input(folder)?,
        (pipeline, _) => anyhow::bail!("the {pipeline} pipeline takes one --block folder"),
    };
    let client = args.operator.client()?;
    let created = tokio::runtime::Runtime::new()?.block_on(client.submit(&args.pipeline, None, input))?;
    let blocks = match (args.pipeline.as_str(), args.block.len()) {
        ("zkevm", n) if n > 1 => format!("{n} blocks, "),
        _ => String::new(),
    };
    println!(
        "batch {} submitted: {blocks}{} chunks, {} jobs",
        created.batch.id, created.batch.chunks, created.jobs
    );
    Ok(ExitCode::SUCCESS)
}

/// Options for `zkr status`.
#[derive(Args)]
pub struct StatusArgs {
    /// A batch id, or a job id (`<batch>/<kind>/<level>/<index>`); all batches when omitted.
    pub id: Option<String>,
    /// Print the coordinator's JSON answer (batch list, batch with its jobs, or job) instead of a table.
    #[arg(long)]
    pub json: bool,
    /// With a batch id: write the finished batch's final output to this file
    /// (for `zkevm` the block's aggregated proof or the blocks' batch proof,
    /// which `zkr verify` checks, or from a wrapping coordinator the wrap
    /// proof file, which `zkr l1 verify` settles).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub operator: OperatorArgs,
}

/// Runs `zkr status`.
pub fn status(args: StatusArgs) -> anyhow::Result<ExitCode> {
    let client = args.operator.client()?;
    let rt = tokio::runtime::Runtime::new()?;
    if let Some(out) = &args.out {
        let id = args.id.as_deref().context("--out needs a batch id")?;
        let output = rt.block_on(client.output(id))?;
        std::fs::write(out, &output).with_context(|| format!("writing {}", out.display()))?;
        println!(
            "wrote the output of batch {id} ({} bytes) to {}",
            output.len(),
            out.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    match args.id {
        None if args.json => println!("{}", serde_json::to_string_pretty(&rt.block_on(client.batches())?)?),
        Some(id) if args.json && !id.contains('/') => {
            println!("{}", serde_json::to_string_pretty(&rt.block_on(client.batch(&id))?)?)
        }
        None => {
            for b in rt.block_on(client.batches())? {
                println!(
                    "{:<32} {:<8} {:<22} {} chunks {}",
                    b.id,
                    b.state.as_str(),
                    b.pipeline,
                    b.chunks,
                    b.error.unwrap_or_default()
                );
            }
        }
        Some(id) if id.contains('/') => {
            let j = rt.block_on(client.job(&id))?;
            println!("{}", serde_json::to_string_pretty(&j)?);
        }
        Some(id) => {
            let s = rt.block_on(client.batch(&id))?;
            println!(
                "batch {} ({}): {}",
                s.batch.id,
                s.batch.pipeline,
                s.batch.state.as_str()
            );
            if let Some(e) = &s.batch.error {
                println!("error: {e}");
            }
            for j in &s.jobs {
                println!(
                    "  {:<40} {:<8} attempts {} {}",
                    j.id,
                    j.state.as_str(),
                    j.attempts,
                    j.last_error.clone().unwrap_or_default()
                );
            }
            if let Some(o) = s.output {
                println!("output: {o}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
