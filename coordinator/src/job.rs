//! The job model: what a batch turns into, and the records the store keeps.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a job does. A batch is a DAG of these: chunk jobs at the leaves, a
/// binary tree of aggregation jobs above each block's chunks (and, for a
/// batch of several blocks, one lifting each block's result and a tree
/// above those), and an optional wrap job on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Proves one chunk of the batch from the chunk's input blob.
    Chunk,
    /// Merges the results of two adjacent child jobs into one, or lifts
    /// one block's result into the form the batch's tree merges.
    Aggregate,
    /// Turns the root aggregation result into the final, externally checked form.
    Wrap,
}

impl JobKind {
    /// Every kind, in pipeline order (used to label metrics).
    pub const ALL: [JobKind; 3] = [JobKind::Chunk, JobKind::Aggregate, JobKind::Wrap];

    /// The lowercase name used in the store, the API and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Chunk => "chunk",
            JobKind::Aggregate => "aggregate",
            JobKind::Wrap => "wrap",
        }
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        JobKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown job kind {s:?} (expected chunk, aggregate or wrap)"))
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for the jobs it depends on.
    Pending,
    /// All inputs exist; any matching worker may lease it.
    Ready,
    /// Leased to a worker until its lease deadline.
    Leased,
    /// Finished with a verified output.
    Done,
    /// Gave up after the attempt cap; `last_error` says why.
    Failed,
}

impl JobState {
    /// Every state (used to label metrics).
    pub const ALL: [JobState; 5] = [
        JobState::Pending,
        JobState::Ready,
        JobState::Leased,
        JobState::Done,
        JobState::Failed,
    ];

    /// The lowercase name used in the store, the API and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Ready => "ready",
            JobState::Leased => "leased",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        JobState::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown job state {s:?}"))
    }
}

/// Where a batch is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchState {
    /// Some jobs are not done yet.
    Running,
    /// The root job is done; its output is the batch's final result.
    Done,
    /// A job failed for good; the batch's error says which and why.
    Failed,
}

impl BatchState {
    /// The lowercase name used in the store and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            BatchState::Running => "running",
            BatchState::Done => "done",
            BatchState::Failed => "failed",
        }
    }
}

impl FromStr for BatchState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [BatchState::Running, BatchState::Done, BatchState::Failed]
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown batch state {s:?}"))
    }
}

/// What a worker must offer to run a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Requirement {
    /// The job only runs on a worker with a GPU backend.
    pub needs_gpu: bool,
    /// The least memory (MiB) the worker must report.
    pub min_memory_mb: u64,
    /// The SRS the job's keys are on, by id (a wrap job's): it only runs on
    /// a worker holding that SRS.
    #[serde(default)]
    pub srs: Option<u64>,
}

/// What a worker offers, sent when it authenticates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// The proving backend the worker runs jobs on (`"cpu"`, `"gpu: <adapter>"`, ...).
    pub backend: String,
    /// True when the backend is a GPU.
    pub gpu: bool,
    /// Memory available for jobs, MiB.
    pub memory_mb: u64,
    /// The SRS the worker holds for wrap jobs, by id, if any.
    #[serde(default)]
    pub srs: Option<u64>,
    /// The kinds of job the worker takes (every kind unless it says; a
    /// worker dedicated to wrap jobs keeps their keys between them).
    #[serde(default = "every_kind")]
    pub kinds: Vec<JobKind>,
}

/// Every job kind: what a worker takes unless it names fewer.
pub fn every_kind() -> Vec<JobKind> {
    JobKind::ALL.to_vec()
}

impl Capabilities {
    /// Whether a worker with these capabilities may run a job of `kind`
    /// with `req` (what the stores' lease queries select).
    pub fn satisfies(&self, kind: JobKind, req: &Requirement) -> bool {
        (self.gpu || !req.needs_gpu)
            && self.memory_mb >= req.min_memory_mb
            && (req.srs.is_none() || req.srs == self.srs)
            && self.kinds.contains(&kind)
    }
}

/// A job as the planner creates it, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    /// Unique id, `<batch>/<kind>/<level>/<index>`.
    pub id: String,
    /// What the job does.
    pub kind: JobKind,
    /// Height in the tree: 0 for chunks, 1.. for aggregation levels.
    pub level: u32,
    /// Position within its level, left to right.
    pub index: u32,
    /// Jobs whose outputs are this job's inputs, in order (left child first).
    pub deps: Vec<String>,
    /// The blob holding the job's own input: a chunk's, or a wrap job's
    /// parameters when its pipeline has them.
    pub input_blob: Option<String>,
    /// What a worker must offer to run it.
    pub requirement: Requirement,
}

/// A job as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    /// Unique id.
    pub id: String,
    /// The batch it belongs to.
    pub batch_id: String,
    /// What the job does.
    pub kind: JobKind,
    /// Height in the tree.
    pub level: u32,
    /// Position within its level.
    pub index: u32,
    /// Current state.
    pub state: JobState,
    /// The job's own input blob (chunk jobs, and wrap jobs with parameters).
    pub input_blob: Option<String>,
    /// Output blob once done.
    pub output_blob: Option<String>,
    /// How many times it has been leased.
    pub attempts: u32,
    /// Lease cap; reaching it on a failure or expiry fails the job.
    pub max_attempts: u32,
    /// Worker holding the lease.
    pub lease_owner: Option<String>,
    /// Lease deadline, milliseconds since the Unix epoch.
    pub lease_deadline_ms: Option<i64>,
    /// Last failure, expiry or rejection reason.
    pub last_error: Option<String>,
    /// How many times a result was accepted (exactly one for a done job).
    pub completions: u32,
    /// What a worker must offer to run it.
    pub requirement: Requirement,
}

/// A job handed to a worker: everything it needs to run it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeasedJob {
    /// Job id.
    pub id: String,
    /// The batch it belongs to.
    pub batch_id: String,
    /// Name of the pipeline that runs it.
    pub pipeline: String,
    /// What the job does.
    pub kind: JobKind,
    /// Height in the tree.
    pub level: u32,
    /// Position within its level.
    pub index: u32,
    /// Input blobs in order: the job's own input if it has one (a chunk's,
    /// a wrap's parameters), then its dependencies' outputs (left first).
    pub inputs: Vec<String>,
    /// Which lease attempt this is (1 for the first).
    pub attempt: u32,
    /// Lease deadline, milliseconds since the Unix epoch; heartbeats extend it.
    pub lease_deadline_ms: i64,
}

/// A batch as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRecord {
    /// Unique id.
    pub id: String,
    /// Pipeline that proves it.
    pub pipeline: String,
    /// Current state.
    pub state: BatchState,
    /// The job whose output is the batch's final result.
    pub root_job: String,
    /// Number of chunks.
    pub chunks: u32,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// Creation time, milliseconds since the Unix epoch.
    pub created_ms: i64,
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
