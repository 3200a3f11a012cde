//! `zkr worker`: pulls and proves jobs from a coordinator.

use anyhow::Context;
use clap::Args;
use coordinator::auth::WorkerIdentity;
use coordinator::pipeline::PipelineRegistry;
use coordinator::worker::{default_capabilities, Worker, WorkerConfig};
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
}

/// Runs `zkr worker` until SIGTERM/Ctrl-C (finishing or releasing the running job).
pub fn run(args: WorkerArgs) -> anyhow::Result<ExitCode> {
    let identity = WorkerIdentity::load(&args.key)?;
    let caps = default_capabilities();
    println!(
        "worker {} on backend {} ({} MiB)",
        identity.worker_id, caps.backend, caps.memory_mb
    );
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let worker = Worker::new(
            WorkerConfig {
                coordinator: args.coordinator.clone(),
                identity,
                capabilities: caps,
                poll_interval: Duration::from_millis(200),
                shutdown_grace: Duration::from_secs(args.shutdown_grace_secs),
                max_jobs: None,
            },
            PipelineRegistry::builtin(),
        );
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            crate::coordinator::shutdown_signal().await;
            let _ = tx.send(true);
        });
        let report = worker
            .run(rx)
            .await
            .with_context(|| format!("worker against {}", args.coordinator))?;
        println!(
            "worker stopped: {} accepted, {} rejected, {} failed, {} released",
            report.accepted, report.rejected, report.failed, report.released
        );
        Ok(ExitCode::SUCCESS)
    })
}
