//! The seam between the cluster and the prover: a [`ProofPipeline`] says how a
//! batch is cut into chunks, runs any one job from its input blobs, and
//! verifies a job's output. The coordinator and the worker only ever talk to
//! this trait, so a new proving stage plugs in by implementing it.

mod digest;
mod poseidon;
mod zkevm;
mod zkevm_wrap;

pub use digest::DigestTreePipeline;
pub use poseidon::PoseidonCommitmentPipeline;
pub use zkevm::{ChunkJobInput, ZkevmBatchInput, ZkevmPipeline, DEFAULT_ROWS_LOG};
pub use zkevm_wrap::{srs_id, wrap_memory_mb, WrapJobParams, ZkevmWrap};

use crate::job::{JobKind, Requirement};
use prover::backend::{Backend, CpuBackend};
use std::collections::BTreeMap;
use std::sync::Arc;
use witness::ChunkSize;

/// Pipeline failures: bad input, a failed proof, an output that does not
/// verify, or a check that could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The job's inputs are not what this pipeline expects.
    #[error("bad input for {job}: {detail}")]
    BadInput {
        /// Job description (kind, level, index).
        job: String,
        /// What was wrong.
        detail: String,
    },
    /// Running the job failed.
    #[error("running {job} failed: {detail}")]
    Run {
        /// Job description.
        job: String,
        /// What failed.
        detail: String,
    },
    /// The output does not verify against the job's inputs.
    #[error("output of {job} rejected: {detail}")]
    Rejected {
        /// Job description.
        job: String,
        /// Why it was rejected.
        detail: String,
    },
    /// The checking side could not decide whether the output is right (its
    /// own setup failed, e.g. the compiler its check runs): nothing is known
    /// against the worker.
    #[error("the output of {job} could not be checked: {detail}")]
    Unchecked {
        /// Job description.
        job: String,
        /// What failed on the checking side.
        detail: String,
    },
}

/// The position of a job in its batch's DAG: all a pipeline needs to know about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobSpec {
    /// What the job does.
    pub kind: JobKind,
    /// Height in the tree (0 for chunks).
    pub level: u32,
    /// Position within its level.
    pub index: u32,
}

impl std::fmt::Display for JobSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} job (level {}, index {})", self.kind, self.level, self.index)
    }
}

/// One proving pipeline, as the cluster sees it.
pub trait ProofPipeline: Send + Sync {
    /// The name batches refer to it by.
    fn name(&self) -> &'static str;

    /// Cuts a batch's input into chunk inputs (one chunk job each), grouped
    /// by block: each block's chunks are aggregated into one proof, and the
    /// blocks' proofs (where there are several) into the batch's. Pipelines
    /// without blocks return one group.
    fn split(&self, batch_input: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, PipelineError>;

    /// Whether the plan has a wrap job above the aggregation root.
    fn has_wrap(&self) -> bool;

    /// The wrap job's own input (its parameters), passed before the root's
    /// output; `None` (the default) when the wrap reads only that output.
    fn wrap_input(&self) -> Option<Vec<u8>> {
        None
    }

    /// What a worker must offer to run a job of `kind`.
    fn requirement(&self, kind: JobKind) -> Requirement;

    /// Runs a job. `inputs` are the chunk input for chunk jobs, the
    /// children's outputs (left first) for aggregation jobs (one child for
    /// the job that lifts a block's proof into a batch of several), and for a wrap
    /// job its own input ([`Self::wrap_input`]) if any, then the root's output.
    fn run(&self, job: &JobSpec, inputs: &[Vec<u8>]) -> Result<Vec<u8>, PipelineError>;

    /// Checks an output against the job's inputs (which the coordinator has
    /// already verified); the coordinator accepts nothing this rejects.
    fn verify(&self, job: &JobSpec, inputs: &[Vec<u8>], output: &[u8]) -> Result<(), PipelineError>;

    /// A one-line human description of a batch's final output.
    fn describe_output(&self, output: &[u8]) -> String;
}

/// The pipelines a coordinator or worker knows, by name.
#[derive(Clone, Default)]
pub struct PipelineRegistry {
    pipelines: BTreeMap<&'static str, Arc<dyn ProofPipeline>>,
}

impl PipelineRegistry {
    /// The pipelines this build ships, proving on the CPU backend, with
    /// zkEVM chunks of the default size: see [`Self::builtin_on`].
    pub fn builtin() -> Self {
        Self::builtin_on(Arc::new(CpuBackend), DEFAULT_ROWS_LOG, None)
    }

    /// The pipelines this build ships: the zkEVM blocks (committing through
    /// `backend`; blocks are cut into chunks of `zkevm_chunks`, which matters
    /// only where batches are split, on the coordinator; wrapped for L1 with
    /// `zkevm_wrap` where given), the Poseidon commitment proofs and the
    /// SHA-256 digest tree.
    pub fn builtin_on(
        backend: Arc<dyn Backend>,
        zkevm_chunks: impl Into<ChunkSize>,
        zkevm_wrap: Option<ZkevmWrap>,
    ) -> Self {
        let mut r = Self::default();
        let zkevm = ZkevmPipeline::new(backend, zkevm_chunks);
        r.add(Arc::new(match zkevm_wrap {
            Some(wrap) => zkevm.with_wrap(wrap),
            None => zkevm,
        }));
        r.add(Arc::new(PoseidonCommitmentPipeline::default()));
        r.add(Arc::new(DigestTreePipeline));
        r
    }

    /// Adds (or replaces) a pipeline.
    pub fn add(&mut self, pipeline: Arc<dyn ProofPipeline>) {
        self.pipelines.insert(pipeline.name(), pipeline);
    }

    /// The pipeline called `name`.
    pub fn get(&self, name: &str) -> Option<Arc<dyn ProofPipeline>> {
        self.pipelines.get(name).cloned()
    }

    /// Names of every pipeline, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        self.pipelines.keys().copied().collect()
    }
}

/// A job's input is not what its pipeline expects.
fn bad_input(job: &JobSpec, detail: String) -> PipelineError {
    PipelineError::BadInput {
        job: job.to_string(),
        detail,
    }
}

/// A job's output does not verify.
fn rejected(job: &JobSpec, detail: String) -> PipelineError {
    PipelineError::Rejected {
        job: job.to_string(),
        detail,
    }
}

/// The check of a job's output failed on the checking side.
fn unchecked(job: &JobSpec, detail: String) -> PipelineError {
    PipelineError::Unchecked {
        job: job.to_string(),
        detail,
    }
}

/// Running a job failed.
fn run_failed(job: &JobSpec, detail: String) -> PipelineError {
    PipelineError::Run {
        job: job.to_string(),
        detail,
    }
}

/// Checks that a job got exactly `n` inputs.
fn expect_inputs(job: &JobSpec, inputs: &[Vec<u8>], n: usize) -> Result<(), PipelineError> {
    if inputs.len() == n {
        Ok(())
    } else {
        Err(wrong_inputs(job, inputs, &n.to_string()))
    }
}

/// A job got another number of inputs than `expected` (in words).
fn wrong_inputs(job: &JobSpec, inputs: &[Vec<u8>], expected: &str) -> PipelineError {
    PipelineError::BadInput {
        job: job.to_string(),
        detail: format!("expected {expected} input blob(s), got {}", inputs.len()),
    }
}
