//! HTTP clients for the coordinator API: the worker side (challenge-response
//! session, lease, heartbeat, results) and the operator side.

use crate::api::*;
use crate::auth::WorkerIdentity;
use crate::job::{BatchRecord, Capabilities, JobRecord, LeasedJob};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

/// Client failures.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The coordinator could not be reached.
    #[error("cannot reach the coordinator at {url}: {source}")]
    Unreachable {
        /// Coordinator base URL.
        url: String,
        /// Underlying error.
        source: reqwest::Error,
    },
    /// The coordinator refused the credentials (401).
    #[error("the coordinator refused our credentials (unknown, revoked or wrong key, or an expired session)")]
    Unauthorized,
    /// Any other non-2xx answer.
    #[error("coordinator answered {status}: {message}")]
    Status {
        /// HTTP status.
        status: u16,
        /// Its error message.
        message: String,
    },
}

async fn answer<T: DeserializeOwned>(
    url: &str,
    resp: Result<reqwest::Response, reqwest::Error>,
) -> Result<T, ClientError> {
    let resp = checked(url, resp).await?;
    resp.json().await.map_err(|source| ClientError::Unreachable {
        url: url.into(),
        source,
    })
}

async fn checked(url: &str, resp: Result<reqwest::Response, reqwest::Error>) -> Result<reqwest::Response, ClientError> {
    let resp = resp.map_err(|source| ClientError::Unreachable {
        url: url.into(),
        source,
    })?;
    let status = resp.status();
    if status == StatusCode::UNAUTHORIZED {
        return Err(ClientError::Unauthorized);
    }
    if !status.is_success() {
        let message = match resp.json::<ErrorBody>().await {
            Ok(b) => b.error,
            Err(_) => status.canonical_reason().unwrap_or("error").into(),
        };
        return Err(ClientError::Status {
            status: status.as_u16(),
            message,
        });
    }
    Ok(resp)
}

/// A worker's connection to the coordinator.
pub struct WorkerClient {
    base: String,
    http: reqwest::Client,
    token: Option<String>,
}

impl WorkerClient {
    /// A client for the coordinator at `base` (e.g. `http://127.0.0.1:7800`).
    pub fn new(base: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').into(),
            http: reqwest::Client::new(),
            token: None,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Whether a session is open.
    pub fn has_session(&self) -> bool {
        self.token.is_some()
    }

    /// Forgets the session (after a 401).
    pub fn drop_session(&mut self) {
        self.token = None;
    }

    /// Authenticates with challenge-response and opens a session.
    pub async fn authenticate(
        &mut self,
        id: &WorkerIdentity,
        caps: &Capabilities,
    ) -> Result<SessionResponse, ClientError> {
        let url = self.url("/v1/worker/challenge");
        let c: ChallengeResponse = answer(
            &url,
            self.http
                .post(&url)
                .json(&ChallengeRequest {
                    worker_id: id.worker_id.clone(),
                })
                .send()
                .await,
        )
        .await?;
        let req = SessionRequest {
            worker_id: id.worker_id.clone(),
            signature: id.sign_challenge(&c.nonce),
            nonce: c.nonce,
            capabilities: caps.clone(),
        };
        let url = self.url("/v1/worker/session");
        let s: SessionResponse = answer(&url, self.http.post(&url).json(&req).send().await).await?;
        self.token = Some(s.token.clone());
        Ok(s)
    }

    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .post(self.url(path))
            .bearer_auth(self.token.as_deref().unwrap_or(""))
    }

    /// Leases a job, if one matches.
    pub async fn lease(&self) -> Result<Option<LeasedJob>, ClientError> {
        let r: LeaseResponse = answer(&self.base, self.post("/v1/worker/lease").send().await).await?;
        Ok(r.job)
    }

    /// Fetches an input blob.
    pub async fn blob(&self, hash: &str) -> Result<Vec<u8>, ClientError> {
        let resp = self
            .http
            .get(self.url(&format!("/v1/blobs/{hash}")))
            .bearer_auth(self.token.as_deref().unwrap_or(""))
            .send()
            .await;
        let resp = checked(&self.base, resp).await?;
        Ok(resp
            .bytes()
            .await
            .map_err(|source| ClientError::Unreachable {
                url: self.base.clone(),
                source,
            })?
            .to_vec())
    }

    /// Extends a lease.
    pub async fn heartbeat(&self, job_id: &str) -> Result<HeartbeatResponse, ClientError> {
        answer(
            &self.base,
            self.post("/v1/worker/heartbeat")
                .json(&JobRef { job_id: job_id.into() })
                .send()
                .await,
        )
        .await
    }

    /// Submits a result for verification.
    pub async fn submit(&self, job_id: &str, output: Vec<u8>) -> Result<SubmitResponse, ClientError> {
        answer(
            &self.base,
            self.post("/v1/worker/result")
                .query(&[("job", job_id)])
                .body(output)
                .send()
                .await,
        )
        .await
    }

    /// Reports a failure with its cause.
    pub async fn fail(&self, job_id: &str, reason: &str) -> Result<SubmitResponse, ClientError> {
        let body = FailureReport {
            job_id: job_id.into(),
            reason: reason.into(),
        };
        answer(&self.base, self.post("/v1/worker/failure").json(&body).send().await).await
    }

    /// Gives a lease back.
    pub async fn release(&self, job_id: &str) -> Result<SubmitResponse, ClientError> {
        answer(
            &self.base,
            self.post("/v1/worker/release")
                .json(&JobRef { job_id: job_id.into() })
                .send()
                .await,
        )
        .await
    }
}

/// An operator's connection to the coordinator.
pub struct OperatorClient {
    base: String,
    http: reqwest::Client,
    token: String,
}

impl OperatorClient {
    /// A client for the coordinator at `base` with the operator bearer `token`.
    pub fn new(base: &str, token: &str) -> Self {
        Self {
            base: base.trim_end_matches('/').into(),
            http: reqwest::Client::new(),
            token: token.into(),
        }
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(format!("{}{path}", self.base)).bearer_auth(&self.token)
    }

    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.post(format!("{}{path}", self.base)).bearer_auth(&self.token)
    }

    /// Submits a batch's raw input to `pipeline`.
    pub async fn submit(&self, pipeline: &str, id: Option<&str>, input: Vec<u8>) -> Result<BatchCreated, ClientError> {
        let mut q = vec![("pipeline", pipeline)];
        if let Some(id) = id {
            q.push(("id", id));
        }
        answer(&self.base, self.post("/v1/batches").query(&q).body(input).send().await).await
    }

    /// Every batch.
    pub async fn batches(&self) -> Result<Vec<BatchRecord>, ClientError> {
        answer(&self.base, self.get("/v1/batches").send().await).await
    }

    /// One batch with its jobs.
    pub async fn batch(&self, id: &str) -> Result<BatchStatus, ClientError> {
        answer(&self.base, self.get(&format!("/v1/batches/{id}")).send().await).await
    }

    /// One job.
    pub async fn job(&self, id: &str) -> Result<JobRecord, ClientError> {
        answer(&self.base, self.get("/v1/job").query(&[("job", id)]).send().await).await
    }

    /// The final output of a done batch.
    pub async fn output(&self, id: &str) -> Result<Vec<u8>, ClientError> {
        let resp = checked(&self.base, self.get(&format!("/v1/batches/{id}/output")).send().await).await?;
        Ok(resp
            .bytes()
            .await
            .map_err(|source| ClientError::Unreachable {
                url: self.base.clone(),
                source,
            })?
            .to_vec())
    }

    /// Registers a worker's public key.
    pub async fn register_worker(&self, worker_id: &str, public_key: &str) -> Result<(), ClientError> {
        let body = RegisterWorker {
            worker_id: worker_id.into(),
            public_key: public_key.into(),
        };
        checked(&self.base, self.post("/v1/workers").json(&body).send().await)
            .await
            .map(|_| ())
    }

    /// Revokes a worker.
    pub async fn revoke_worker(&self, worker_id: &str) -> Result<(), ClientError> {
        let body = ChallengeRequest {
            worker_id: worker_id.into(),
        };
        checked(&self.base, self.post("/v1/workers/revoke").json(&body).send().await)
            .await
            .map(|_| ())
    }

    /// The coordinator's Prometheus text.
    pub async fn metrics(&self) -> Result<String, ClientError> {
        let resp = checked(&self.base, self.get("/metrics").send().await).await?;
        resp.text().await.map_err(|source| ClientError::Unreachable {
            url: self.base.clone(),
            source,
        })
    }
}
