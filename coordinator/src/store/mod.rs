//! The durable job graph. One trait, two implementations with the same schema:
//! SQLite (a file, zero setup, the default) and PostgreSQL (for a cluster; jobs
//! are leased with `SELECT .. FOR UPDATE SKIP LOCKED`).

mod postgres;
mod schema;
mod sqlite;

pub use self::postgres::PostgresStore;
pub use self::sqlite::SqliteStore;

use crate::job::{BatchRecord, Capabilities, JobKind, JobRecord, JobState, LeasedJob, NewJob};
use std::collections::BTreeMap;

/// Store failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(String),
    /// A stored row does not parse (schema drift or manual edits).
    #[error("corrupt row in table {table}: {detail}")]
    CorruptRow {
        /// Table holding the row.
        table: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// A batch with this id already exists.
    #[error("batch {0} already exists")]
    DuplicateBatch(String),
    /// No job with this id.
    #[error("job {0} not found")]
    UnknownJob(String),
    /// The caller does not hold the job's lease (it expired, or another worker has it).
    #[error("job {job} is not leased to worker {worker}")]
    NotLeaseHolder {
        /// Job id.
        job: String,
        /// The worker that asked.
        worker: String,
    },
    /// The database URL is not one this build understands.
    #[error("unsupported database URL {0:?}: expected sqlite://PATH or postgres://...")]
    BadUrl(String),
}

/// What happened when leases were checked for expiry.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExpiryReport {
    /// Jobs put back in the queue.
    pub requeued: Vec<String>,
    /// Jobs that reached their attempt cap and failed.
    pub failed: Vec<String>,
}

/// What happened to a job after its worker reported a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureOutcome {
    /// Back in the queue for another attempt.
    Retried,
    /// Attempts are used up; the job and its batch failed.
    Failed,
}

/// A registered worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerRecord {
    /// Worker id (chosen by the operator).
    pub id: String,
    /// Hex ed25519 public key.
    pub public_key: String,
    /// Revoked workers are refused.
    pub revoked: bool,
    /// Results accepted from it.
    pub accepted: u64,
    /// Results rejected by verification.
    pub rejected: u64,
}

/// Counts of jobs by `(state, kind)`.
pub type JobCounts = BTreeMap<(JobState, JobKind), u64>;

/// The durable job graph. Every method is one transaction; implementations are
/// blocking (call them from `spawn_blocking` in async code).
pub trait JobStore: Send + Sync {
    /// Stores a new batch and its planned jobs; jobs without dependencies start ready.
    fn create_batch(&self, batch: &BatchRecord, jobs: &[NewJob], max_attempts: u32) -> Result<(), StoreError>;

    /// Leases the oldest ready job that `caps` can run to `worker` until
    /// `now_ms + lease_ms`, counting an attempt. `None` when nothing matches.
    fn lease(
        &self,
        worker: &str,
        caps: &Capabilities,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<LeasedJob>, StoreError>;

    /// Extends `worker`'s lease on `job` to `deadline_ms`.
    fn heartbeat(&self, job: &str, worker: &str, deadline_ms: i64) -> Result<(), StoreError>;

    /// Records a verified result: the job becomes done, dependents whose inputs
    /// are now all done become ready, and a finished root finishes its batch.
    fn complete(&self, job: &str, worker: &str, output_blob: &str, now_ms: i64) -> Result<(), StoreError>;

    /// Records a failure reported by (or a rejected result from) `worker`:
    /// retried while attempts remain, failed (with its batch) otherwise.
    fn fail(&self, job: &str, worker: &str, reason: &str) -> Result<FailureOutcome, StoreError>;

    /// Gives a lease back without counting the attempt (worker shutting down).
    fn release(&self, job: &str, worker: &str) -> Result<(), StoreError>;

    /// Re-queues jobs whose lease deadline is before `now_ms` (failing those at their cap).
    fn expire_leases(&self, now_ms: i64) -> Result<ExpiryReport, StoreError>;

    /// One job.
    fn job(&self, id: &str) -> Result<Option<JobRecord>, StoreError>;

    /// Output blobs of a job's dependencies, in order (its inputs when it is not a chunk).
    fn dependency_outputs(&self, id: &str) -> Result<Vec<String>, StoreError>;

    /// Jobs of a batch (all batches when `None`), in creation order.
    fn jobs(&self, batch: Option<&str>) -> Result<Vec<JobRecord>, StoreError>;

    /// One batch.
    fn batch(&self, id: &str) -> Result<Option<BatchRecord>, StoreError>;

    /// All batches, oldest first.
    fn batches(&self) -> Result<Vec<BatchRecord>, StoreError>;

    /// Job counts by state and kind.
    fn counts(&self) -> Result<JobCounts, StoreError>;

    /// Registers (or re-keys and un-revokes) a worker.
    fn register_worker(&self, id: &str, public_key: &str) -> Result<(), StoreError>;

    /// Revokes a worker; returns false when it is unknown.
    fn revoke_worker(&self, id: &str) -> Result<bool, StoreError>;

    /// One worker.
    fn worker(&self, id: &str) -> Result<Option<WorkerRecord>, StoreError>;

    /// Adds one to a worker's accepted (`accepted = true`) or rejected result count.
    fn count_result(&self, id: &str, accepted: bool) -> Result<(), StoreError>;
}

/// Opens the store named by `url`: `sqlite://PATH` (created if missing) or
/// `postgres://...`/`postgresql://...`.
pub fn open(url: &str) -> Result<Box<dyn JobStore>, StoreError> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        Ok(Box::new(SqliteStore::open(path)?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Box::new(PostgresStore::connect(url)?))
    } else {
        Err(StoreError::BadUrl(url.into()))
    }
}

/// Parses a stored enum column.
fn parse_col<T: std::str::FromStr<Err = String>>(table: &'static str, value: &str) -> Result<T, StoreError> {
    value.parse().map_err(|detail| StoreError::CorruptRow { table, detail })
}
