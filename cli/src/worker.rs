//! `zkr worker`: pulls and proves jobs from a coordinator.

use anyhow::Context;
use clap::Args;
use coordinator::auth::WorkerIdentity;
use coordinator::job::{every_kind, Capabilities, JobKind};
use coordinator::metrics::serve_metrics;
use coordinator::pipeline::{PipelineRegistry, ZkevmWrap, DEFAULT_ROWS_LOG};
use coordinator::worker::{host_capabilities, Worker, WorkerConfig};
use prover::backend::BackendChoice;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Options for `zkr worker`.
#[derive(Args)]
pub struct WorkerArgs {
    /// Coordinator URL.
    #[arg(long, default_value = "http://127.0.0.1:7800")]
    pub coordinator: String,
    /// Worker key file (from `zkr keys new`).
    #[arg(long)]
    pub key: PathBuf,
    /// Seconds a running job may take after SIGTERM before its lease is released.
    #[arg(long, default_value_t = 60)]
    pub shutdown_grace_secs: u64,
    /// Serve this worker's Prometheus metrics at http://ADDR/metrics (e.g. 127.0.0.1:9801; port 0 picks a free
    /// port and prints it). Off when not given. The endpoint has no authentication: bind it to loopback or a
    /// private network.
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<String>,
    /// Milliseconds between lease attempts while the queue is empty.
    #[arg(long, default_value_t = 200)]
    pub poll_ms: u64,
    /// Run zkEVM wrap jobs on this SRS (the coordinator's setup: a `.ptau` ceremony file or halo2
    /// params of at least 2^k points). The worker offers it to the coordinator, which leases wrap
    /// jobs only to workers holding their SRS.
    #[arg(long)]
    pub wrap_srs: Option<PathBuf>,
    /// The kinds of job to take (chunk, aggregate, wrap; comma-separated; all by default). A worker
    /// given only `wrap` keeps the wrap circuit's keys between wrap jobs of the same block shapes;
    /// any other job makes it free them.
    #[arg(long, value_delimiter = ',', value_name = "KINDS")]
    pub kinds: Vec<JobKind>,
}

/// What the worker offers: the proving backend `prover::backend` picked
/// (`ZKR_BACKEND=cpu|gpu|auto`), reported by name, and the host's memory.
fn capabilities(choice: &BackendChoice) -> Capabilities {
    host_capabilities(&choice.backend.name(), choice.backend.on_gpu())
}

/// Runs `zkr worker` until SIGTERM/Ctrl-C (finishing or releasing the running job).
pub fn run(args: WorkerArgs) -> anyhow::Result<ExitCode> {
    let identity = WorkerIdentity::load(&args.key)?;
    let choice = crate::gpu::backend_choice()?;
    let wrap = args
        .wrap_srs
        .clone()
        .map(ZkevmWrap::worker)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    if args.kinds.contains(&JobKind::Wrap) && wrap.is_none() {
        anyhow::bail!("--kinds wrap needs --wrap-srs: wrap jobs run on the coordinator's SRS");
    }
    // Wrap jobs go only to workers holding their SRS.
    let caps = Capabilities {
        srs: wrap.as_ref().map(ZkevmWrap::srs_id),
        kinds: if args.kinds.is_empty() {
            every_kind()
        } else {
            args.kinds.clone()
        },
        ..capabilities(&choice)
    };
    println!(
        "worker {} on {} ({} MiB), taking {} jobs",
        identity.worker_id,
        choice.describe(),
        caps.memory_mb,
        caps.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
    );
    let rt = tokio::runtime::Runtime::new()?;
    let result = rt.block_on(async move {
        let worker = Worker::new(
            WorkerConfig {
                coordinator: args.coordinator.clone(),
                identity,
                capabilities: caps,
                poll_interval: Duration::from_millis(args.poll_ms.max(1)),
                shutdown_grace: Duration::from_secs(args.shutdown_grace_secs),
                max_jobs: None,
            },
            PipelineRegistry::builtin_on(choice.backend.clone(), DEFAULT_ROWS_LOG, wrap),
        );
        let (tx, rx) = tokio::sync::watch::channel(false);
        if let Some(addr) = &args.metrics_listen {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("--metrics-listen {addr}: cannot listen there"))?;
            println!("worker metrics on http://{}/metrics", listener.local_addr()?);
            let mut stopped = rx.clone();
            tokio::spawn(serve_metrics(listener, worker.metrics.registry.clone(), async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            }));
        }
        tokio::spawn(async move {
            crate::coordinator::shutdown_signal().await;
            let _ = tx.send(true);
        });
        let report = worker
            .run(rx)
            .await
            .with_context(|| format!("worker against {}", args.coordinator))?;
        println!(
            "worker stopped: {} accepted, {} rejected, {} unchecked, {} lost, {} failed, {} released",
            report.accepted, report.rejected, report.unchecked, report.lost, report.failed, report.released
        );
        Ok(ExitCode::SUCCESS)
    });
    // A job abandoned at the end of the shutdown grace still runs on a
    // blocking thread; its lease is already released, so do not wait for it.
    rt.shutdown_background();
    result
}
