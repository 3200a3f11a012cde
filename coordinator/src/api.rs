//! Request and response bodies of the coordinator's HTTP/JSON API (see
//! `coordinator/API.md`), shared by the server and the clients.

use crate::job::{BatchRecord, Capabilities, JobRecord, LeasedJob};
use serde::{Deserialize, Serialize};

/// `POST /v1/worker/challenge`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ChallengeRequest {
    /// The worker asking.
    pub worker_id: String,
}

/// Answer to [`ChallengeRequest`] (given to anyone, so it reveals nothing).
#[derive(Debug, Serialize, Deserialize)]
pub struct ChallengeResponse {
    /// One-time nonce to sign.
    pub nonce: String,
}

/// `POST /v1/worker/session`.
#[derive(Debug, Serialize, Deserialize)]
pub struct SessionRequest {
    /// The worker.
    pub worker_id: String,
    /// The nonce it was given.
    pub nonce: String,
    /// Hex ed25519 signature of the challenge message.
    pub signature: String,
    /// What it offers.
    pub capabilities: Capabilities,
}

/// Answer to [`SessionRequest`].
#[derive(Debug, Serialize, Deserialize)]
pub struct SessionResponse {
    /// Bearer token for the worker endpoints.
    pub token: String,
    /// Lease length; heartbeat well within it.
    pub lease_ms: i64,
}

/// Answer to `POST /v1/worker/lease`.
#[derive(Debug, Serialize, Deserialize)]
pub struct LeaseResponse {
    /// The leased job, or none when nothing matches.
    pub job: Option<LeasedJob>,
}

/// `POST /v1/worker/heartbeat`, `/release`.
#[derive(Debug, Serialize, Deserialize)]
pub struct JobRef {
    /// The job.
    pub job_id: String,
}

/// Answer to a heartbeat.
#[derive(Debug, Serialize, Deserialize)]
pub struct HeartbeatResponse {
    /// New lease deadline, ms since the epoch.
    pub lease_deadline_ms: i64,
}

/// `POST /v1/worker/failure`.
#[derive(Debug, Serialize, Deserialize)]
pub struct FailureReport {
    /// The job.
    pub job_id: String,
    /// Why it failed (kept on the job).
    pub reason: String,
}

/// Answer to a result or failure submission.
#[derive(Debug, Serialize, Deserialize)]
pub struct SubmitResponse {
    /// Whether the result was accepted.
    pub accepted: bool,
    /// What happened (`done`, `retried`, `failed`).
    pub outcome: String,
}

/// Answer to `POST /v1/batches`.
#[derive(Debug, Serialize, Deserialize)]
pub struct BatchCreated {
    /// The new batch.
    pub batch: BatchRecord,
    /// Number of jobs planned.
    pub jobs: usize,
}

/// Answer to `GET /v1/batches/{id}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct BatchStatus {
    /// The batch.
    pub batch: BatchRecord,
    /// Its jobs.
    pub jobs: Vec<JobRecord>,
    /// One-line description of the final output, once done.
    pub output: Option<String>,
}

/// `POST /v1/workers`.
#[derive(Debug, Serialize, Deserialize)]
pub struct RegisterWorker {
    /// Worker id.
    pub worker_id: String,
    /// Hex ed25519 public key.
    pub public_key: String,
}

/// Error body of every non-2xx answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: String,
}
