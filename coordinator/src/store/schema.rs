//! The schema both stores share. Only portable types (TEXT, BIGINT) are used so
//! the same statements run on SQLite and PostgreSQL; booleans are 0/1.

use crate::job::JobKind;

/// Creates the tables and indexes if they do not exist.
pub const CREATE: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS batches (
        id TEXT PRIMARY KEY,
        pipeline TEXT NOT NULL,
        state TEXT NOT NULL,
        root_job TEXT NOT NULL,
        chunks BIGINT NOT NULL,
        error TEXT,
        created_ms BIGINT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        seq BIGINT NOT NULL,
        batch_id TEXT NOT NULL REFERENCES batches(id),
        kind TEXT NOT NULL,
        level BIGINT NOT NULL,
        idx BIGINT NOT NULL,
        state TEXT NOT NULL,
        input_blob TEXT,
        output_blob TEXT,
        attempts BIGINT NOT NULL DEFAULT 0,
        max_attempts BIGINT NOT NULL,
        lease_owner TEXT,
        lease_deadline_ms BIGINT,
        last_error TEXT,
        completions BIGINT NOT NULL DEFAULT 0,
        needs_gpu BIGINT NOT NULL,
        min_memory_mb BIGINT NOT NULL,
        srs BIGINT
    )",
    "CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs(state, seq)",
    "CREATE INDEX IF NOT EXISTS jobs_by_batch ON jobs(batch_id, seq)",
    "CREATE TABLE IF NOT EXISTS job_deps (
        job_id TEXT NOT NULL REFERENCES jobs(id),
        dep_id TEXT NOT NULL REFERENCES jobs(id),
        position BIGINT NOT NULL,
        PRIMARY KEY (job_id, position)
    )",
    "CREATE INDEX IF NOT EXISTS job_deps_by_dep ON job_deps(dep_id)",
    "CREATE TABLE IF NOT EXISTS workers (
        id TEXT PRIMARY KEY,
        public_key TEXT NOT NULL,
        revoked BIGINT NOT NULL DEFAULT 0,
        accepted BIGINT NOT NULL DEFAULT 0,
        rejected BIGINT NOT NULL DEFAULT 0
    )",
];

/// Columns selected for a [`crate::job::JobRecord`], in the order the row mappers read them.
pub const JOB_COLUMNS: &str = "id, batch_id, kind, level, idx, state, input_blob, output_blob, attempts, \
     max_attempts, lease_owner, lease_deadline_ms, last_error, completions, needs_gpu, min_memory_mb, srs";

/// The `jobs` columns added since the first schema, with their types: a
/// store opened on an older database adds those it lacks.
pub const ADDED_JOB_COLUMNS: &[(&str, &str)] = &[("srs", "BIGINT")];

/// The SRS id of a requirement or capabilities as stored (ids are any `u64`,
/// kept in a signed column bit for bit).
pub fn srs_column(srs: Option<u64>) -> Option<i64> {
    srs.map(|id| id as i64)
}

/// The lease queries' three job-kind parameters for the kinds a worker
/// takes: each kind's name where it takes it, NULL (which matches no row)
/// where it does not.
pub fn kind_params(kinds: &[JobKind]) -> [Option<&'static str>; 3] {
    JobKind::ALL.map(|kind| kinds.contains(&kind).then(|| kind.as_str()))
}

/// Columns selected for a [`crate::job::BatchRecord`].
pub const BATCH_COLUMNS: &str = "id, pipeline, state, root_job, chunks, error, created_ms";

/// Makes every pending job whose dependencies are all done ready (parameter 1: the job just done).
pub const PROMOTE_DEPENDENTS: &str = "UPDATE jobs SET state = 'ready'
    WHERE state = 'pending'
      AND id IN (SELECT job_id FROM job_deps WHERE dep_id = $1)
      AND NOT EXISTS (SELECT 1 FROM job_deps d JOIN jobs j ON j.id = d.dep_id
                      WHERE d.job_id = jobs.id AND j.state <> 'done')";

use super::{parse_col, StoreError};
use crate::job::{BatchRecord, JobRecord, Requirement};

/// A `jobs` row as read from either database, before its enums are parsed.
pub struct RawJob {
    pub id: String,
    pub batch_id: String,
    pub kind: String,
    pub level: i64,
    pub idx: i64,
    pub state: String,
    pub input_blob: Option<String>,
    pub output_blob: Option<String>,
    pub attempts: i64,
    pub max_attempts: i64,
    pub lease_owner: Option<String>,
    pub lease_deadline_ms: Option<i64>,
    pub last_error: Option<String>,
    pub completions: i64,
    pub needs_gpu: i64,
    pub min_memory_mb: i64,
    pub srs: Option<i64>,
}

impl RawJob {
    /// Parses the row into a record.
    pub fn into_record(self) -> Result<JobRecord, StoreError> {
        Ok(JobRecord {
            kind: parse_col("jobs", &self.kind)?,
            state: parse_col("jobs", &self.state)?,
            id: self.id,
            batch_id: self.batch_id,
            level: self.level as u32,
            index: self.idx as u32,
            input_blob: self.input_blob,
            output_blob: self.output_blob,
            attempts: self.attempts as u32,
            max_attempts: self.max_attempts as u32,
            lease_owner: self.lease_owner,
            lease_deadline_ms: self.lease_deadline_ms,
            last_error: self.last_error,
            completions: self.completions as u32,
            requirement: Requirement {
                needs_gpu: self.needs_gpu != 0,
                min_memory_mb: self.min_memory_mb as u64,
                srs: self.srs.map(|id| id as u64),
            },
        })
    }
}

/// A `batches` row as read from either database.
pub struct RawBatch {
    pub id: String,
    pub pipeline: String,
    pub state: String,
    pub root_job: String,
    pub chunks: i64,
    pub error: Option<String>,
    pub created_ms: i64,
}

impl RawBatch {
    /// Parses the row into a record.
    pub fn into_record(self) -> Result<BatchRecord, StoreError> {
        Ok(BatchRecord {
            state: parse_col("batches", &self.state)?,
            id: self.id,
            pipeline: self.pipeline,
            root_job: self.root_job,
            chunks: self.chunks as u32,
            error: self.error,
            created_ms: self.created_ms,
        })
    }
}

/// The message kept on a batch when one of its jobs fails for good.
pub fn batch_failure(job: &str, attempts: i64, reason: &str) -> String {
    format!("job {job} failed after {attempts} attempt(s): {reason}")
}
