//! `zkr coordinator`: runs the proving-cluster coordinator.

use anyhow::Context;
use clap::Args;
use coordinator::auth::random_token;
use coordinator::blob::FsBlobStore;
use coordinator::pipeline::{PipelineRegistry, ZkevmWrap, DEFAULT_ROWS_LOG};
use coordinator::server::{Coordinator, CoordinatorConfig};
use prover::backend::CpuBackend;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use verifier_contract::wrap::WrapSettings;

/// Options for `zkr coordinator`.
#[derive(Args)]
pub struct CoordinatorArgs {
    /// Job store: sqlite://PATH or postgres://USER:PASS@HOST/DB.
    #[arg(long, default_value = "sqlite://zkr-coordinator.sqlite")]
    pub db: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7800")]
    pub listen: String,
    /// Folder for content-addressed blobs.
    #[arg(long, default_value = "zkr-blobs")]
    pub blobs: PathBuf,
    /// File holding the operator bearer token; created with a random token if missing.
    #[arg(long, default_value = "zkr-operator.token")]
    pub operator_token_file: PathBuf,
    /// Registers a worker key at start, as ID=HEX_PUBLIC_KEY (repeatable).
    #[arg(long)]
    pub authorize: Vec<String>,
    /// Lease length in seconds.
    #[arg(long, default_value_t = 30)]
    pub lease_secs: u64,
    /// Lease attempts before a job fails.
    #[arg(long, default_value_t = 3)]
    pub max_attempts: u32,
    /// zkEVM batches are cut into chunks of at most 2^k step rows.
    #[arg(long, default_value_t = DEFAULT_ROWS_LOG)]
    pub zkevm_chunk_rows_log: usize,
    /// A transaction longer than 2^k - 1 steps gets a chunk job of its own,
    /// of the smallest size that holds it, up to 2^K rows [default: k, no
    /// larger chunks].
    #[arg(long)]
    pub zkevm_max_chunk_rows_log: Option<usize>,
    /// Wrap every zkEVM block for L1 on this chain: each plan ends in a wrap job, whose output
    /// (the wrap proof file `zkr l1 verify` settles) becomes the batch's output. Needs --wrap-srs.
    #[arg(long, requires = "wrap_srs")]
    pub wrap_chain_id: Option<u64>,
    /// log2 of the wrap circuit's rows (as `zkr wrap --k`; 23: one column, about 306k gas, 20 GB).
    #[arg(long, default_value_t = 23)]
    pub wrap_k: u32,
    /// Bits of the wrap circuit's range-check table (below the wrap k).
    #[arg(long, default_value_t = 15)]
    pub wrap_lookup_bits: usize,
    /// The SRS wrap jobs are made and checked on: a `.ptau` ceremony file or halo2 params of at
    /// least 2^k points (`zkr keys srs` writes an insecure one for tests). Workers that run wrap
    /// jobs need the same setup (`zkr worker --wrap-srs`).
    #[arg(long, requires = "wrap_chain_id")]
    pub wrap_srs: Option<PathBuf>,
}

/// Reads the operator token, creating it if the file is missing.
fn operator_token(path: &PathBuf) -> anyhow::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(t) if !t.trim().is_empty() => Ok(t.trim().to_string()),
        Ok(_) => anyhow::bail!("operator token file {} is empty", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let token = random_token();
            std::fs::write(path, &token).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote a new operator token to {}", path.display());
            Ok(token)
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Runs `zkr coordinator` until Ctrl-C or SIGTERM.
pub fn run(args: CoordinatorArgs) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let store: Arc<dyn coordinator::store::JobStore> = Arc::from(
            coordinator::store::open(&args.db).with_context(|| format!("opening the job store {}", args.db))?,
        );
        for entry in &args.authorize {
            let (id, key) = entry
                .split_once('=')
                .with_context(|| format!("--authorize {entry:?}: expected ID=HEX_PUBLIC_KEY"))?;
            coordinator::auth::check_worker_id(id).map_err(anyhow::Error::msg)?;
            coordinator::auth::parse_public_key(key).map_err(|e| anyhow::anyhow!("--authorize {id}: {e}"))?;
            store.register_worker(id, key)?;
        }
        let blobs = Arc::new(FsBlobStore::open(&args.blobs)?);
        let mut config = CoordinatorConfig::new(operator_token(&args.operator_token_file)?);
        config.lease = Duration::from_secs(args.lease_secs.max(1));
        config.expiry_interval = (config.lease / 4).clamp(Duration::from_millis(200), Duration::from_secs(5));
        config.max_attempts = args.max_attempts.max(1);
        // The coordinator only verifies: its backend never commits anything.
        let chunks = witness::ChunkSize {
            rows_log: args.zkevm_chunk_rows_log,
            max_rows_log: args.zkevm_max_chunk_rows_log.unwrap_or(args.zkevm_chunk_rows_log),
        };
        let wrap = match (&args.wrap_srs, args.wrap_chain_id) {
            (Some(srs), Some(chain_id)) => {
                let settings = WrapSettings {
                    chain_id,
                    k: args.wrap_k,
                    lookup_bits: args.wrap_lookup_bits,
                };
                let wrap = ZkevmWrap::coordinator(srs.clone(), settings).map_err(anyhow::Error::msg)?;
                println!(
                    "wrapping zkEVM blocks for chain {chain_id} at k = {} on the SRS in {}",
                    args.wrap_k,
                    srs.display()
                );
                Some(wrap)
            }
            _ => None,
        };
        let pipelines = PipelineRegistry::builtin_on(Arc::new(CpuBackend), chunks, wrap);
        let c = Coordinator::new(store, blobs, pipelines, config);
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        println!("coordinator listening on http://{}", listener.local_addr()?);
        c.serve(listener, shutdown_signal()).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}
