//! The coordinator service: the HTTP/JSON API (documented in
//! `coordinator/API.md`), lease expiry, result verification and metrics.

use crate::api::*;
use crate::auth::{self, Session, SessionTable};
use crate::blob::{self, BlobError, BlobStore};
use crate::job::{now_ms, BatchRecord, BatchState, JobKind, JobState};
use crate::metrics::{render, CoordinatorMetrics};
use crate::pipeline::{JobSpec, PipelineError, PipelineRegistry};
use crate::planner::{plan, PlanShape};
use crate::store::{FailureOutcome, JobStore, StoreError};
use crate::upload::{read_limited, UploadError};
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Coordinator settings.
#[derive(Debug, Clone)]
pub struct CoordinatorConfig {
    /// Lease length; workers heartbeat to extend it.
    pub lease: Duration,
    /// How often expired leases are re-queued.
    pub expiry_interval: Duration,
    /// Lease attempts before a job fails.
    pub max_attempts: u32,
    /// Bearer token of the operator API.
    pub operator_token: String,
    /// Largest accepted body for uploads (batches, results), bytes.
    pub max_upload_bytes: usize,
}

impl CoordinatorConfig {
    /// Defaults with the given operator token: 30 s leases, 3 attempts, 64 MiB uploads.
    pub fn new(operator_token: String) -> Self {
        Self {
            lease: Duration::from_secs(30),
            expiry_interval: Duration::from_secs(2),
            max_attempts: 3,
            operator_token,
            max_upload_bytes: 64 << 20,
        }
    }
}

/// Largest JSON control message, bytes.
const MAX_JSON_BYTES: usize = 64 << 10;

/// Shared state of a running coordinator.
pub struct Coordinator {
    store: Arc<dyn JobStore>,
    blobs: Arc<dyn BlobStore>,
    pipelines: PipelineRegistry,
    sessions: Mutex<SessionTable>,
    lease_started: Mutex<HashMap<String, Instant>>,
    /// Its metrics.
    pub metrics: CoordinatorMetrics,
    config: CoordinatorConfig,
}

/// An API error: status code and message.
#[derive(Debug)]
pub struct ApiError(StatusCode, String);

impl ApiError {
    fn unauthorized() -> Self {
        ApiError(StatusCode::UNAUTHORIZED, "unauthorized".into())
    }
    fn bad_request(msg: impl Into<String>) -> Self {
        ApiError(StatusCode::BAD_REQUEST, msg.into())
    }
    fn not_found(msg: impl Into<String>) -> Self {
        ApiError(StatusCode::NOT_FOUND, msg.into())
    }
    fn internal(msg: impl std::fmt::Display) -> Self {
        tracing::error!(error = %msg, "internal error");
        ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; see the coordinator log".into(),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(ErrorBody { error: self.1 })).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::UnknownJob(_) => ApiError::not_found(e.to_string()),
            StoreError::NotLeaseHolder { .. } => ApiError(StatusCode::CONFLICT, e.to_string()),
            StoreError::DuplicateBatch(_) => ApiError(StatusCode::CONFLICT, e.to_string()),
            other => ApiError::internal(other),
        }
    }
}

impl From<UploadError> for ApiError {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::TooLarge { .. } => ApiError(StatusCode::PAYLOAD_TOO_LARGE, e.to_string()),
            UploadError::Read(_) => ApiError::bad_request(e.to_string()),
        }
    }
}

impl From<BlobError> for ApiError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::BadName(_) => ApiError::bad_request(e.to_string()),
            BlobError::NotFound(_) => ApiError::not_found(e.to_string()),
            other => ApiError::internal(other),
        }
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// Runs blocking store or proving work off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> ApiResult<T> + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(ApiError::internal)?
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// Checks that a batch id is safe in URLs: 1-64 characters of `[A-Za-z0-9_.-]`.
fn check_batch_id(id: &str) -> ApiResult<()> {
    auth::check_worker_id(id)
        .map_err(|_| ApiError::bad_request(format!("batch id {id:?} must be 1-64 characters of A-Z a-z 0-9 _ . -")))
}

impl Coordinator {
    /// A coordinator over `store` and `blobs`.
    pub fn new(
        store: Arc<dyn JobStore>,
        blobs: Arc<dyn BlobStore>,
        pipelines: PipelineRegistry,
        config: CoordinatorConfig,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            blobs,
            pipelines,
            sessions: Mutex::new(SessionTable::default()),
            lease_started: Mutex::new(HashMap::new()),
            metrics: CoordinatorMetrics::default(),
            config,
        })
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, SessionTable> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lease_started(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.lease_started.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn operator(&self, headers: &HeaderMap) -> ApiResult<()> {
        match bearer(headers) {
            Some(t) if auth::constant_time_eq(t, &self.config.operator_token) => Ok(()),
            _ => Err(ApiError::unauthorized()),
        }
    }

    fn worker(&self, headers: &HeaderMap) -> ApiResult<Session> {
        bearer(headers)
            .and_then(|t| self.sessions().touch(t))
            .ok_or_else(ApiError::unauthorized)
    }

    /// The router with every endpoint.
    pub fn router(self: &Arc<Self>) -> Router {
        let json = DefaultBodyLimit::max(MAX_JSON_BYTES);
        Router::new()
            .route("/v1/worker/challenge", post(challenge).layer(json))
            .route("/v1/worker/session", post(open_session).layer(json))
            .route("/v1/worker/lease", post(lease).layer(json))
            .route("/v1/worker/heartbeat", post(heartbeat).layer(json))
            .route("/v1/worker/release", post(release).layer(json))
            .route("/v1/worker/failure", post(failure).layer(json))
            // Uploads take a raw `Body` and are limited by `read_limited`.
            .route("/v1/worker/result", post(submit_result))
            .route("/v1/blobs/{hash}", get(get_blob))
            .route("/v1/batches", post(create_batch).get(list_batches))
            .route("/v1/batches/{id}", get(batch_status))
            .route("/v1/batches/{id}/output", get(batch_output))
            .route("/v1/job", get(job_status))
            .route("/v1/workers", post(register_worker).layer(json))
            .route("/v1/workers/revoke", post(revoke_worker).layer(json))
            .route("/metrics", get(metrics))
            .with_state(self.clone())
    }

    /// Re-queues expired leases once and updates the metrics.
    pub async fn tick(self: &Arc<Self>) -> ApiResult<()> {
        let me = self.clone();
        blocking(move || {
            let report = me.store.expire_leases(now_ms())?;
            let expired = (report.requeued.len() + report.failed.len()) as u64;
            if expired > 0 {
                tracing::warn!(requeued = ?report.requeued, failed = ?report.failed, "leases expired");
            }
            me.metrics.lease_expiries.inc_by(expired);
            me.metrics
                .retries
                .with_label_values(&["expiry"])
                .inc_by(report.requeued.len() as u64);
            {
                let mut started = me.lease_started();
                for id in report.requeued.iter().chain(&report.failed) {
                    started.remove(id);
                }
            }
            me.metrics.set_counts(&me.store.counts()?);
            let active = me.sessions().active(me.config.lease);
            let mut distinct: HashMap<String, String> = HashMap::new();
            for s in active {
                distinct.insert(s.worker_id, s.capabilities.backend);
            }
            me.metrics.connected_workers.set(distinct.len() as i64);
            me.metrics.workers_by_backend.reset();
            for backend in distinct.values() {
                me.metrics
                    .workers_by_backend
                    .with_label_values(&[backend.as_str()])
                    .inc();
            }
            Ok(())
        })
        .await
    }

    /// Serves on `listener` until `shutdown` resolves, running lease expiry in the background.
    pub async fn serve(
        self: Arc<Self>,
        listener: tokio::net::TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let ticker = {
            let me = self.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(me.config.expiry_interval);
                loop {
                    every.tick().await;
                    if let Err(e) = me.tick().await {
                        tracing::error!(error = e.1, "lease expiry pass failed");
                    }
                }
            })
        };
        let result = axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await;
        ticker.abort();
        result
    }

    /// Plans and stores a batch from its raw input.
    pub async fn submit_batch(
        self: &Arc<Self>,
        pipeline: &str,
        id: Option<String>,
        input: Bytes,
    ) -> ApiResult<BatchCreated> {
        let p = self.pipelines.get(pipeline).ok_or_else(|| {
            ApiError::bad_request(format!(
                "unknown pipeline {pipeline:?}; known: {}",
                self.pipelines.names().join(", ")
            ))
        })?;
        let id = match id {
            Some(id) => {
                check_batch_id(&id)?;
                id
            }
            None => format!("batch-{}-{:08x}", now_ms(), rand::random::<u32>()),
        };
        let me = self.clone();
        let created = blocking(move || {
            let blocks = p.split(&input).map_err(|e| ApiError::bad_request(e.to_string()))?;
            let chunk_inputs = blocks
                .iter()
                .map(|chunks| chunks.iter().map(|c| me.blobs.put(c)).collect::<Result<Vec<_>, _>>())
                .collect::<Result<Vec<_>, _>>()?;
            let wrap_input = match p.wrap_input() {
                Some(input) if p.has_wrap() => Some(me.blobs.put(&input)?),
                _ => None,
            };
            let shape = PlanShape {
                chunk_inputs,
                wrap: p.has_wrap(),
                wrap_input,
                requirements: JobKind::ALL.map(|k| p.requirement(k)),
            };
            let plan = plan(&id, &shape).ok_or_else(|| ApiError::bad_request("the batch has no chunks"))?;
            let batch = BatchRecord {
                id: id.clone(),
                pipeline: p.name().into(),
                state: BatchState::Running,
                root_job: plan.root.clone(),
                chunks: shape.num_chunks() as u32,
                error: None,
                created_ms: now_ms(),
            };
            me.store.create_batch(&batch, &plan.jobs, me.config.max_attempts)?;
            Ok(BatchCreated {
                batch,
                jobs: plan.jobs.len(),
            })
        })
        .await?;
        self.metrics.batches_submitted.inc();
        tracing::info!(batch = %created.batch.id, jobs = created.jobs, pipeline, "batch planned");
        Ok(created)
    }

    /// Verifies and records a worker's result for `job_id`, keeping the
    /// worker's lease alive meanwhile: the worker stops heartbeating once it
    /// has submitted, and a verification (the first one of a circuit builds
    /// it) may take longer than a lease.
    async fn accept_result(
        self: &Arc<Self>,
        session: Session,
        job_id: String,
        output: Bytes,
    ) -> ApiResult<SubmitResponse> {
        let worker = session.worker_id.clone();
        let verified = self.verify_result(session, job_id.clone(), output);
        tokio::pin!(verified);
        let mut every = tokio::time::interval((self.config.lease / 3).max(Duration::from_millis(10)));
        loop {
            tokio::select! {
                r = &mut verified => return r,
                _ = every.tick() => self.extend_lease(&job_id, &worker).await,
            }
        }
    }

    /// Pushes `worker`'s lease on `job_id` one lease length into the future;
    /// does nothing when the worker no longer holds it (or the job does not exist).
    async fn extend_lease(&self, job_id: &str, worker: &str) {
        let store = self.store.clone();
        let (job, worker) = (job_id.to_string(), worker.to_string());
        let deadline = now_ms() + self.config.lease.as_millis() as i64;
        match tokio::task::spawn_blocking(move || store.heartbeat(&job, &worker, deadline)).await {
            // Verification answers for lost leases and unknown jobs.
            Ok(Ok(())) | Ok(Err(StoreError::NotLeaseHolder { .. } | StoreError::UnknownJob(_))) => {}
            Ok(Err(e)) => tracing::warn!(job = %job_id, error = %e, "extending a lease under verification failed"),
            Err(e) => tracing::warn!(job = %job_id, error = %e, "lease extension task failed"),
        }
    }

    /// Checks that `session` holds `job_id`, verifies `output` and records it.
    async fn verify_result(
        self: &Arc<Self>,
        session: Session,
        job_id: String,
        output: Bytes,
    ) -> ApiResult<SubmitResponse> {
        let me = self.clone();
        blocking(move || {
            let job = me
                .store
                .job(&job_id)?
                .ok_or_else(|| ApiError::not_found(format!("job {job_id} not found")))?;
            if job.state != JobState::Leased || job.lease_owner.as_deref() != Some(session.worker_id.as_str()) {
                return Err(StoreError::NotLeaseHolder {
                    job: job_id,
                    worker: session.worker_id,
                }
                .into());
            }
            let batch = me
                .store
                .batch(&job.batch_id)?
                .ok_or_else(|| ApiError::internal(format!("job {job_id} has no batch")))?;
            let pipeline = me
                .pipelines
                .get(&batch.pipeline)
                .ok_or_else(|| ApiError::internal(format!("pipeline {} missing", batch.pipeline)))?;
            // As the lease gave them: the job's own input, then its dependencies' outputs.
            let mut input_names: Vec<String> = job.input_blob.clone().into_iter().collect();
            input_names.extend(me.store.dependency_outputs(&job_id)?);
            let inputs = input_names
                .iter()
                .map(|h| me.blobs.get(h))
                .collect::<Result<Vec<_>, _>>()?;
            let spec = JobSpec {
                kind: job.kind,
                level: job.level,
                index: job.index,
            };
            match pipeline.verify(&spec, &inputs, &output) {
                Ok(()) => {
                    let hash = me.blobs.put(&output)?;
                    me.store.complete(&job_id, &session.worker_id, &hash, now_ms())?;
                    me.store.count_result(&session.worker_id, true)?;
                    me.metrics.accepted.with_label_values(&[job.kind.as_str()]).inc();
                    if let Some(start) = me.lease_started().remove(&job_id) {
                        me.metrics
                            .job_duration
                            .with_label_values(&[job.kind.as_str()])
                            .observe(start.elapsed().as_secs_f64());
                    }
                    tracing::info!(job = %job_id, worker = %session.worker_id, "result verified and accepted");
                    Ok(SubmitResponse {
                        accepted: true,
                        outcome: "done".into(),
                    })
                }
                Err(e) => {
                    // A check that could not be made is not the worker's
                    // fault; the attempt counts either way, so a check that
                    // can never run still ends the job.
                    let blamed = !matches!(e, PipelineError::Unchecked { .. });
                    let (verdict, status) = if blamed {
                        ("rejected", StatusCode::UNPROCESSABLE_ENTITY)
                    } else {
                        ("unchecked", StatusCode::SERVICE_UNAVAILABLE)
                    };
                    let reason = format!("result from worker {} {verdict}: {e}", session.worker_id);
                    if blamed {
                        tracing::warn!(job = %job_id, %reason);
                        me.store.count_result(&session.worker_id, false)?;
                        me.metrics
                            .rejected_proofs
                            .with_label_values(&[session.worker_id.as_str()])
                            .inc();
                    } else {
                        tracing::error!(job = %job_id, %reason);
                    }
                    let outcome = me.store.fail(&job_id, &session.worker_id, &reason)?;
                    me.lease_started().remove(&job_id);
                    if outcome == FailureOutcome::Retried {
                        me.metrics.retries.with_label_values(&[verdict]).inc();
                    }
                    Err(ApiError(status, reason))
                }
            }
        })
        .await
    }
}

async fn challenge(
    State(c): State<Arc<Coordinator>>,
    Json(req): Json<ChallengeRequest>,
) -> ApiResult<Json<ChallengeResponse>> {
    auth::check_worker_id(&req.worker_id).map_err(ApiError::bad_request)?;
    Ok(Json(ChallengeResponse {
        nonce: c.sessions().challenge(&req.worker_id),
    }))
}

async fn open_session(
    State(c): State<Arc<Coordinator>>,
    Json(req): Json<SessionRequest>,
) -> ApiResult<Json<SessionResponse>> {
    let fresh = c.sessions().take_challenge(&req.worker_id, &req.nonce);
    let store = c.store.clone();
    let id = req.worker_id.clone();
    let record = blocking(move || Ok(store.worker(&id)?)).await?;
    let ok = fresh
        && record.is_some_and(|w| {
            !w.revoked && auth::verify_challenge(&w.public_key, &req.worker_id, &req.nonce, &req.signature)
        });
    if !ok {
        c.metrics.auth_failures.inc();
        tracing::warn!(worker = %req.worker_id, "worker authentication refused");
        return Err(ApiError::unauthorized());
    }
    tracing::info!(worker = %req.worker_id, backend = %req.capabilities.backend, "worker authenticated");
    let token = c.sessions().open(&req.worker_id, req.capabilities);
    Ok(Json(SessionResponse {
        token,
        lease_ms: c.config.lease.as_millis() as i64,
    }))
}

async fn lease(State(c): State<Arc<Coordinator>>, headers: HeaderMap) -> ApiResult<Json<LeaseResponse>> {
    let s = c.worker(&headers)?;
    let me = c.clone();
    let job = blocking(move || {
        Ok(me.store.lease(
            &s.worker_id,
            &s.capabilities,
            now_ms(),
            me.config.lease.as_millis() as i64,
        )?)
    })
    .await?;
    if let Some(j) = &job {
        c.lease_started().insert(j.id.clone(), Instant::now());
        tracing::info!(job = %j.id, attempt = j.attempt, "job leased");
    }
    Ok(Json(LeaseResponse { job }))
}

async fn heartbeat(
    State(c): State<Arc<Coordinator>>,
    headers: HeaderMap,
    Json(req): Json<JobRef>,
) -> ApiResult<Json<HeartbeatResponse>> {
    let s = c.worker(&headers)?;
    let deadline = now_ms() + c.config.lease.as_millis() as i64;
    let store = c.store.clone();
    blocking(move || Ok(store.heartbeat(&req.job_id, &s.worker_id, deadline)?)).await?;
    Ok(Json(HeartbeatResponse {
        lease_deadline_ms: deadline,
    }))
}

async fn release(
    State(c): State<Arc<Coordinator>>,
    headers: HeaderMap,
    Json(req): Json<JobRef>,
) -> ApiResult<Json<SubmitResponse>> {
    let s = c.worker(&headers)?;
    let store = c.store.clone();
    let id = req.job_id.clone();
    blocking(move || Ok(store.release(&id, &s.worker_id)?)).await?;
    c.lease_started().remove(&req.job_id);
    Ok(Json(SubmitResponse {
        accepted: true,
        outcome: "released".into(),
    }))
}

async fn failure(
    State(c): State<Arc<Coordinator>>,
    headers: HeaderMap,
    Json(req): Json<FailureReport>,
) -> ApiResult<Json<SubmitResponse>> {
    let s = c.worker(&headers)?;
    let store = c.store.clone();
    let reason = format!(
        "worker {} reported: {}",
        s.worker_id,
        req.reason.chars().take(2000).collect::<String>()
    );
    let id = req.job_id.clone();
    let outcome = blocking(move || Ok(store.fail(&id, &s.worker_id, &reason)?)).await?;
    c.lease_started().remove(&req.job_id);
    if outcome == FailureOutcome::Retried {
        c.metrics.retries.with_label_values(&["failure"]).inc();
    }
    Ok(Json(SubmitResponse {
        accepted: true,
        outcome: match outcome {
            FailureOutcome::Retried => "retried",
            FailureOutcome::Failed => "failed",
        }
        .into(),
    }))
}

/// Query of `POST /v1/worker/result` and `GET /v1/job`.
#[derive(Deserialize)]
struct JobQuery {
    job: String,
}

async fn submit_result(
    State(c): State<Arc<Coordinator>>,
    headers: HeaderMap,
    Query(q): Query<JobQuery>,
    body: Body,
) -> ApiResult<Json<SubmitResponse>> {
    let s = c.worker(&headers)?;
    let body = read_limited(&headers, body, c.config.max_upload_bytes).await?;
    Ok(Json(c.accept_result(s, q.job, body).await?))
}

async fn get_blob(
    State(c): State<Arc<Coordinator>>,
    headers: HeaderMap,
    Path(hash): Path<String>,
) -> ApiResult<Response> {
    if c.operator(&headers).is_err() {
        c.worker(&headers)?;
    }
    blob::check_name(&hash)?;
    let blobs = c.blobs.clone();
    let bytes = blocking(move || Ok(blobs.get(&hash)?)).await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

/// Query of `POST /v1/batches`.
#[derive(Deserialize)]
struct NewBatchQuery {
    pipeline: String,
    id: Option<String>,
}

async fn create_batch(
    State(c): State<Arc<Coordinator>>,
    headers: HeaderMap,
    Query(q): Query<NewBatchQuery>,
    body: Body,
) -> ApiResult<Json<BatchCreated>> {
    c.operator(&headers)?;
    let body = read_limited(&headers, body, c.config.max_upload_bytes).await?;
    Ok(Json(c.submit_batch(&q.pipeline, q.id, body).await?))
}

async fn list_batches(State(c): State<Arc<Coordinator>>, headers: HeaderMap) -> ApiResult<Json<Vec<BatchRecord>>> {
    c.operator(&headers)?;
    let store = c.store.clone();
    Ok(Json(blocking(move || Ok(store.batches()?)).await?))
}

async fn batch_status(
    State(c): State<Arc<Coordinator>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Json<BatchStatus>> {
    c.operator(&headers)?;
    check_batch_id(&id)?;
    let me = c.clone();
    Ok(Json(
        blocking(move || {
            let batch = me
                .store
                .batch(&id)?
                .ok_or_else(|| ApiError::not_found(format!("batch {id} not found")))?;
            let jobs = me.store.jobs(Some(&id))?;
            let output = match (
                batch.state,
                jobs.iter()
                    .find(|j| j.id == batch.root_job)
                    .and_then(|j| j.output_blob.clone()),
            ) {
                (BatchState::Done, Some(h)) => me
                    .pipelines
                    .get(&batch.pipeline)
                    .map(|p| p.describe_output(&me.blobs.get(&h).unwrap_or_default())),
                _ => None,
            };
            Ok(BatchStatus { batch, jobs, output })
        })
        .await?,
    ))
}

async fn batch_output(
    State(c): State<Arc<Coordinator>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    c.operator(&headers)?;
    check_batch_id(&id)?;
    let me = c.clone();
    let bytes = blocking(move || {
        let batch = me
            .store
            .batch(&id)?
            .ok_or_else(|| ApiError::not_found(format!("batch {id} not found")))?;
        if batch.state != BatchState::Done {
            return Err(ApiError(
                StatusCode::CONFLICT,
                format!("batch {id} is {}, not done", batch.state.as_str()),
            ));
        }
        let root = me
            .store
            .job(&batch.root_job)?
            .and_then(|j| j.output_blob)
            .ok_or_else(|| ApiError::internal("done batch without output"))?;
        Ok(me.blobs.get(&root)?)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

async fn job_status(
    State(c): State<Arc<Coordinator>>,
    headers: HeaderMap,
    Query(q): Query<JobQuery>,
) -> ApiResult<Json<crate::job::JobRecord>> {
    c.operator(&headers)?;
    let store = c.store.clone();
    let job = blocking(move || Ok(store.job(&q.job)?)).await?;
    job.map(Json).ok_or_else(|| ApiError::not_found("job not found"))
}

async fn register_worker(
    State(c): State<Arc<Coordinator>>,
    headers: HeaderMap,
    Json(req): Json<RegisterWorker>,
) -> ApiResult<StatusCode> {
    c.operator(&headers)?;
    auth::check_worker_id(&req.worker_id).map_err(ApiError::bad_request)?;
    auth::parse_public_key(&req.public_key).map_err(|e| ApiError::bad_request(format!("field public_key: {e}")))?;
    let store = c.store.clone();
    blocking(move || Ok(store.register_worker(&req.worker_id, &req.public_key)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn revoke_worker(
    State(c): State<Arc<Coordinator>>,
    headers: HeaderMap,
    Json(req): Json<ChallengeRequest>,
) -> ApiResult<StatusCode> {
    c.operator(&headers)?;
    let store = c.store.clone();
    let id = req.worker_id.clone();
    let known = blocking(move || Ok(store.revoke_worker(&id)?)).await?;
    c.sessions().revoke(&req.worker_id);
    if known {
        tracing::warn!(worker = %req.worker_id, "worker revoked");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("worker {} not registered", req.worker_id)))
    }
}

async fn metrics(State(c): State<Arc<Coordinator>>, headers: HeaderMap) -> ApiResult<Response> {
    c.operator(&headers)?;
    c.tick().await?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        render(&c.metrics.registry),
    )
        .into_response())
}
