//! Prometheus metrics of the coordinator and the worker, each in its own
//! registry so several can live in one process (tests).

use crate::job::{JobKind, JobState};
use crate::store::JobCounts;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};

/// Buckets for job durations, seconds.
const DURATION_BUCKETS: &[f64] = &[0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];

fn registered<T: prometheus::core::Collector + Clone + 'static>(
    registry: &Registry,
    metric: prometheus::Result<T>,
) -> T {
    // Names and labels are constants defined below, so construction and
    // registration can only fail on a programming error caught by the tests.
    let metric = metric.expect("metric definition is valid");
    registry
        .register(Box::new(metric.clone()))
        .expect("metric names are unique");
    metric
}

/// Renders a registry as Prometheus text.
pub fn render(registry: &Registry) -> String {
    let mut buf = Vec::new();
    let _ = TextEncoder::new().encode(&registry.gather(), &mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

/// Serves `registry` as Prometheus text at `GET /metrics` on `listener` until
/// `shutdown` resolves. This is the worker's endpoint: it has no
/// authentication (it reveals only counters), so bind it to loopback or a
/// private network.
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    registry: Registry,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let text = render(&registry);
            async move { ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], text) }
        }),
    );
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// The coordinator's metrics.
#[derive(Clone)]
pub struct CoordinatorMetrics {
    /// The registry served at `/metrics`.
    pub registry: Registry,
    /// Jobs by state and kind.
    pub jobs: IntGaugeVec,
    /// Ready jobs waiting for a worker.
    pub queue_depth: IntGauge,
    /// Leases that expired.
    pub lease_expiries: IntCounter,
    /// Jobs put back in the queue, by cause (failure, expiry, rejected).
    pub retries: IntCounterVec,
    /// Results rejected by verification, by worker.
    pub rejected_proofs: IntCounterVec,
    /// Results accepted, by kind.
    pub accepted: IntCounterVec,
    /// Lease-to-accept time, by kind.
    pub job_duration: HistogramVec,
    /// Workers seen recently.
    pub connected_workers: IntGauge,
    /// Connected workers by backend.
    pub workers_by_backend: IntGaugeVec,
    /// Refused authentication attempts.
    pub auth_failures: IntCounter,
    /// Batches submitted.
    pub batches_submitted: IntCounter,
}

impl Default for CoordinatorMetrics {
    fn default() -> Self {
        let r = Registry::new();
        Self {
            jobs: registered(
                &r,
                IntGaugeVec::new(Opts::new("zkr_jobs", "Jobs by state and kind"), &["state", "kind"]),
            ),
            queue_depth: registered(&r, IntGauge::new("zkr_queue_depth", "Ready jobs waiting for a worker")),
            lease_expiries: registered(&r, IntCounter::new("zkr_lease_expiries_total", "Leases that expired")),
            retries: registered(
                &r,
                IntCounterVec::new(
                    Opts::new("zkr_job_retries_total", "Jobs re-queued, by cause"),
                    &["cause"],
                ),
            ),
            rejected_proofs: registered(
                &r,
                IntCounterVec::new(
                    Opts::new("zkr_rejected_proofs_total", "Results that failed verification"),
                    &["worker"],
                ),
            ),
            accepted: registered(
                &r,
                IntCounterVec::new(
                    Opts::new("zkr_accepted_results_total", "Verified results accepted"),
                    &["kind"],
                ),
            ),
            job_duration: registered(
                &r,
                HistogramVec::new(
                    HistogramOpts::new("zkr_job_duration_seconds", "Lease to accepted result, by kind")
                        .buckets(DURATION_BUCKETS.to_vec()),
                    &["kind"],
                ),
            ),
            connected_workers: registered(
                &r,
                IntGauge::new("zkr_connected_workers", "Workers seen in the last lease period"),
            ),
            workers_by_backend: registered(
                &r,
                IntGaugeVec::new(
                    Opts::new("zkr_workers_by_backend", "Connected workers by backend"),
                    &["backend"],
                ),
            ),
            auth_failures: registered(
                &r,
                IntCounter::new("zkr_auth_failures_total", "Refused worker authentications"),
            ),
            batches_submitted: registered(&r, IntCounter::new("zkr_batches_submitted_total", "Batches submitted")),
            registry: r,
        }
    }
}

impl CoordinatorMetrics {
    /// Sets the job gauges from store counts.
    pub fn set_counts(&self, counts: &JobCounts) {
        for state in JobState::ALL {
            for kind in JobKind::ALL {
                let n = counts.get(&(state, kind)).copied().unwrap_or(0);
                self.jobs
                    .with_label_values(&[state.as_str(), kind.as_str()])
                    .set(n as i64);
            }
        }
        let ready: u64 = JobKind::ALL
            .iter()
            .map(|k| counts.get(&(JobState::Ready, *k)).copied().unwrap_or(0))
            .sum();
        self.queue_depth.set(ready as i64);
    }
}

/// A worker's metrics.
#[derive(Clone)]
pub struct WorkerMetrics {
    /// The registry served at the worker's `/metrics`.
    pub registry: Registry,
    /// Jobs finished, by kind and outcome (accepted, rejected, failed, released, lost).
    pub jobs: IntCounterVec,
    /// Time to run a job, by kind.
    pub job_duration: HistogramVec,
    /// 1 for the backend in use.
    pub backend: IntGaugeVec,
    /// 1 while a job runs.
    pub busy: IntGauge,
    /// Leases given back to the coordinator (shutdown before the job finished).
    pub lease_releases: IntCounter,
    /// Heartbeats the coordinator did not acknowledge.
    pub heartbeat_failures: IntCounter,
}

impl WorkerMetrics {
    /// Metrics for a worker running on `backend`.
    pub fn new(backend: &str) -> Self {
        let r = Registry::new();
        let m = Self {
            jobs: registered(
                &r,
                IntCounterVec::new(
                    Opts::new("zkr_worker_jobs_total", "Jobs finished by kind and outcome"),
                    &["kind", "outcome"],
                ),
            ),
            job_duration: registered(
                &r,
                HistogramVec::new(
                    HistogramOpts::new("zkr_worker_job_duration_seconds", "Time to run a job, by kind")
                        .buckets(DURATION_BUCKETS.to_vec()),
                    &["kind"],
                ),
            ),
            backend: registered(
                &r,
                IntGaugeVec::new(Opts::new("zkr_worker_backend", "Backend in use"), &["backend"]),
            ),
            busy: registered(&r, IntGauge::new("zkr_worker_busy", "1 while a job runs")),
            lease_releases: registered(
                &r,
                IntCounter::new(
                    "zkr_worker_lease_releases_total",
                    "Leases given back before the job finished",
                ),
            ),
            heartbeat_failures: registered(
                &r,
                IntCounter::new(
                    "zkr_worker_heartbeat_failures_total",
                    "Heartbeats the coordinator did not acknowledge",
                ),
            ),
            registry: r,
        };
        m.backend.with_label_values(&[backend]).set(1);
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_become_gauges_and_render() {
        let m = CoordinatorMetrics::default();
        let mut c = JobCounts::new();
        c.insert((JobState::Ready, JobKind::Chunk), 3);
        c.insert((JobState::Ready, JobKind::Aggregate), 1);
        m.set_counts(&c);
        assert_eq!(m.queue_depth.get(), 4);
        let text = render(&m.registry);
        assert!(text.contains(r#"zkr_jobs{kind="chunk",state="ready"} 3"#), "{text}");
        let w = WorkerMetrics::new("cpu");
        assert!(render(&w.registry).contains(r#"zkr_worker_backend{backend="cpu"} 1"#));
    }

    #[test]
    fn every_metric_on_the_grafana_dashboard_is_exported() {
        let c = CoordinatorMetrics::default();
        c.set_counts(&JobCounts::new());
        c.retries.with_label_values(&["expiry"]).inc();
        c.rejected_proofs.with_label_values(&["w"]).inc();
        c.accepted.with_label_values(&["chunk"]).inc();
        c.job_duration.with_label_values(&["chunk"]).observe(1.0);
        c.workers_by_backend.with_label_values(&["cpu"]).inc();
        let w = WorkerMetrics::new("cpu");
        w.jobs.with_label_values(&["chunk", "accepted"]).inc();
        w.job_duration.with_label_values(&["chunk"]).observe(1.0);
        let exported = render(&c.registry) + &render(&w.registry);
        let dashboard = include_str!("../../deploy/grafana/zkr-cluster.json");
        let mut names: Vec<&str> = dashboard
            .split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
            .filter(|word| word.starts_with("zkr_"))
            .collect();
        names.sort_unstable();
        names.dedup();
        assert!(names.len() >= 10, "{names:?}");
        for name in names {
            assert!(
                exported.contains(&format!("\n{name}{{")) || exported.contains(&format!("\n{name} ")),
                "the dashboard charts {name}, which no registry exports"
            );
        }
    }

    #[tokio::test]
    async fn the_worker_endpoint_serves_its_registry_and_nothing_else() {
        let m = WorkerMetrics::new("CPU (2 threads)");
        m.lease_releases.inc();
        m.jobs.with_label_values(&["chunk", "accepted"]).inc();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve_metrics(listener, m.registry.clone(), async move {
            let _ = stopped.await;
        }));
        let get = |path: &str| {
            let url = format!("http://{addr}{path}");
            async move { reqwest::get(url).await.expect("request") }
        };
        let resp = get("/metrics").await;
        assert_eq!(resp.status(), 200);
        let text = resp.text().await.expect("body");
        assert!(
            text.contains(r#"zkr_worker_backend{backend="CPU (2 threads)"} 1"#),
            "{text}"
        );
        assert!(text.contains("zkr_worker_lease_releases_total 1"), "{text}");
        assert!(
            text.contains(r#"zkr_worker_jobs_total{kind="chunk",outcome="accepted"} 1"#),
            "{text}"
        );
        assert!(text.contains("zkr_worker_heartbeat_failures_total 0"), "{text}");
        assert_eq!(get("/other").await.status(), 404);
        stop.send(()).expect("stop");
        server.await.expect("join").expect("serve");
    }
}
