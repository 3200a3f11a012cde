//! The worker service: authenticates, pulls jobs, runs them on its backend
//! while heartbeating the lease, submits results or failure causes, and on
//! shutdown finishes the running job (or releases it after a grace period).

use crate::auth::WorkerIdentity;
use crate::client::{ClientError, WorkerClient};
use crate::job::{every_kind, Capabilities, LeasedJob};
use crate::metrics::WorkerMetrics;
use crate::pipeline::{JobSpec, PipelineRegistry};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Worker settings.
pub struct WorkerConfig {
    /// Coordinator base URL.
    pub coordinator: String,
    /// Id and key.
    pub identity: WorkerIdentity,
    /// What it offers.
    pub capabilities: Capabilities,
    /// Wait between lease attempts when the queue is empty.
    pub poll_interval: Duration,
    /// After shutdown is requested, how long the running job may take before its lease is released.
    pub shutdown_grace: Duration,
    /// Stop after this many jobs (None: run until shutdown).
    pub max_jobs: Option<u64>,
}

/// What a worker did before it stopped.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WorkerReport {
    /// Results accepted by the coordinator.
    pub accepted: u64,
    /// Results rejected by the coordinator's verification.
    pub rejected: u64,
    /// Results the coordinator no longer wanted: the lease had expired and the
    /// job went to another worker.
    pub lost: u64,
    /// Results the coordinator could not check (its own failure; the job
    /// went back to the queue or failed at its attempts cap).
    pub unchecked: u64,
    /// Jobs that failed here.
    pub failed: u64,
    /// Leases given back at shutdown.
    pub released: u64,
}

/// Worker failures that stop it.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The coordinator refused the worker's key.
    #[error("authentication refused: {0}")]
    Refused(ClientError),
}

/// Memory of this machine in MiB (from `/proc/meminfo`; 1024 where unknown).
fn host_memory_mb() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()))
        })
        .map(|kb| kb / 1024)
        .unwrap_or(1024)
}

/// What this machine offers when proving on `backend` (its name, as the
/// caller's backend selection reports it; `gpu` when that backend is a GPU):
/// the backend and the host's memory, every job kind (and no SRS: a caller with one sets it). This crate does not link the prover,
/// so choosing the backend is the caller's job (`zkr worker` asks
/// `prover::backend`).
pub fn host_capabilities(backend: &str, gpu: bool) -> Capabilities {
    Capabilities {
        backend: backend.into(),
        gpu,
        memory_mb: host_memory_mb(),
        srs: None,
        kinds: every_kind(),
    }
}

/// CPU-only capabilities with the host's memory, for callers that have no
/// backend selection of their own (tests, embedded workers).
pub fn default_capabilities() -> Capabilities {
    host_capabilities("cpu", false)
}

/// A worker.
pub struct Worker {
    config: WorkerConfig,
    pipelines: PipelineRegistry,
    /// Its metrics.
    pub metrics: WorkerMetrics,
}

enum Ran {
    Done(Result<Vec<u8>, String>),
    Abandoned,
}

impl Worker {
    /// A worker running `pipelines`.
    pub fn new(config: WorkerConfig, pipelines: PipelineRegistry) -> Self {
        let metrics = WorkerMetrics::new(&config.capabilities.backend);
        Self {
            config,
            pipelines,
            metrics,
        }
    }

    /// Runs until `shutdown` becomes true (or `max_jobs` are done).
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) -> Result<WorkerReport, WorkerError> {
        let mut client = WorkerClient::new(&self.config.coordinator);
        let mut report = WorkerReport::default();
        let mut lease_ms = 30_000i64;
        let mut backoff = self.config.poll_interval;
        while !*shutdown.borrow()
            && self
                .config
                .max_jobs
                .is_none_or(|m| report.accepted + report.rejected + report.lost + report.failed < m)
        {
            if !client.has_session() {
                match client
                    .authenticate(&self.config.identity, &self.config.capabilities)
                    .await
                {
                    Ok(s) => {
                        lease_ms = s.lease_ms;
                        backoff = self.config.poll_interval;
                        tracing::info!(worker = %self.config.identity.worker_id, "session opened");
                    }
                    Err(e @ ClientError::Unauthorized) => return Err(WorkerError::Refused(e)),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot open a session; retrying");
                        self.sleep(&mut shutdown, backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                        continue;
                    }
                }
            }
            let job = match client.lease().await {
                Ok(Some(job)) => job,
                Ok(None) => {
                    self.sleep(&mut shutdown, self.config.poll_interval).await;
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "lease failed");
                    client.drop_session();
                    self.sleep(&mut shutdown, self.config.poll_interval).await;
                    continue;
                }
            };
            self.handle(&client, job, lease_ms, &mut shutdown, &mut report).await;
        }
        Ok(report)
    }

    async fn sleep(&self, shutdown: &mut watch::Receiver<bool>, d: Duration) {
        tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = shutdown.changed() => {}
        }
    }

    async fn handle(
        &self,
        client: &WorkerClient,
        job: LeasedJob,
        lease_ms: i64,
        shutdown: &mut watch::Receiver<bool>,
        report: &mut WorkerReport,
    ) {
        let kind = job.kind.as_str();
        tracing::info!(job = %job.id, attempt = job.attempt, "running job");
        let Some(pipeline) = self.pipelines.get(&job.pipeline) else {
            let _ = client
                .fail(&job.id, &format!("this worker has no pipeline {:?}", job.pipeline))
                .await;
            report.failed += 1;
            return;
        };
        let mut inputs = Vec::with_capacity(job.inputs.len());
        for h in &job.inputs {
            match client.blob(h).await {
                Ok(b) => inputs.push(b),
                Err(e) => {
                    let _ = client.fail(&job.id, &format!("fetching input blob {h}: {e}")).await;
                    report.failed += 1;
                    return;
                }
            }
        }
        let spec = JobSpec {
            kind: job.kind,
            level: job.level,
            index: job.index,
        };
        self.metrics.busy.set(1);
        let start = Instant::now();
        let mut task = tokio::task::spawn_blocking(move || pipeline.run(&spec, &inputs).map_err(|e| e.to_string()));
        let beat = Duration::from_millis((lease_ms / 3).max(100) as u64);
        let mut grace_deadline: Option<tokio::time::Instant> = None;
        let ran = loop {
            let grace = async {
                match grace_deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                r = &mut task => break Ran::Done(r.unwrap_or_else(|e| Err(format!("job task panicked: {e}")))),
                _ = tokio::time::sleep(beat) => {
                    match client.heartbeat(&job.id).await {
                        Ok(_) => tracing::debug!(job = %job.id, "lease extended"),
                        Err(e) => {
                            self.metrics.heartbeat_failures.inc();
                            tracing::warn!(job = %job.id, error = %e, "heartbeat failed");
                        }
                    }
                }
                _ = shutdown.changed(), if grace_deadline.is_none() => {
                    tracing::info!(job = %job.id, "shutdown requested; finishing the running job");
                    grace_deadline = Some(tokio::time::Instant::now() + self.config.shutdown_grace);
                }
                _ = grace => break Ran::Abandoned,
            }
        };
        self.metrics.busy.set(0);
        self.metrics
            .job_duration
            .with_label_values(&[kind])
            .observe(start.elapsed().as_secs_f64());
        let outcome = match ran {
            Ran::Abandoned => {
                match client.release(&job.id).await {
                    Ok(_) => {
                        self.metrics.lease_releases.inc();
                        tracing::info!(job = %job.id, "shutdown grace over; lease released");
                    }
                    Err(e) => tracing::warn!(job = %job.id, error = %e, "releasing the lease failed; it will expire"),
                }
                report.released += 1;
                "released"
            }
            Ran::Done(Ok(output)) => match client.submit(&job.id, output).await {
                Ok(_) => {
                    report.accepted += 1;
                    "accepted"
                }
                Err(e @ ClientError::Status { status: 409, .. }) => {
                    tracing::warn!(job = %job.id, error = %e, "lease lost before the result arrived");
                    report.lost += 1;
                    "lost"
                }
                Err(e @ ClientError::Status { status: 503, .. }) => {
                    tracing::warn!(job = %job.id, error = %e, "the coordinator could not check the result");
                    report.unchecked += 1;
                    "unchecked"
                }
                Err(e) => {
                    tracing::warn!(job = %job.id, error = %e, "result not accepted");
                    report.rejected += 1;
                    "rejected"
                }
            },
            Ran::Done(Err(reason)) => {
                tracing::warn!(job = %job.id, %reason, "job failed");
                let _ = client.fail(&job.id, &reason).await;
                report.failed += 1;
                "failed"
            }
        };
        self.metrics.jobs.with_label_values(&[kind, outcome]).inc();
    }
}
