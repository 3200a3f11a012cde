//! The zkEVM pipeline: a block is executed, cut into chunks and proven by the
//! prover's zkEVM tables, and the chunk proofs are aggregated up the job tree.
//!
//! - **Batch input**: a block in zkr's format, bincode-encoded
//!   ([`executor::codec::to_bincode`] of an [`executor::BlockInput`], what
//!   `zkr submit --pipeline zkevm` sends). The coordinator executes it with
//!   trace capture and builds the chunk witnesses (chunks of at most
//!   `2^rows_log` step rows, and a larger one of its own for a longer
//!   transaction, up to `2^max_rows_log`: [`ChunkSize`]), which refuses a block out of the proven scope
//!   before any job exists; that is the plan's execute+witness stage. It
//!   keeps each chunk's layout and traces, not its table rows.
//! - **Chunk job**: input [`ChunkJobInput`] (the chunk's layout, whose
//!   statement names the block, its state-tree paths and its transactions'
//!   traces); the worker rebuilds the chunk's tables from the traces (they
//!   must give the layout's statement and table degrees), proves them on its
//!   backend with the leaf circuit that verifies them and the leaf's normal
//!   form, and returns an [`AggregatedProof`] of that one chunk.
//! - **Aggregation job**: inputs are the two children's aggregated proofs
//!   (left first); the worker proves the merge circuit and returns the
//!   aggregated proof of both runs of chunks. The root's output is the
//!   block's aggregated proof (`ZKRAGG02`), which `zkr verify` checks.
//! - **Wrap job** (when the coordinator is given wrap settings and an SRS):
//!   the root's proof wrapped for L1; the batch's output is then the wrap
//!   proof file ([`super::zkevm_wrap`]).
//!
//! The coordinator never trusts what a worker says about a proof: it derives
//! the chunk layout a chunk job's proof must have from the witness it made
//! itself, requires an aggregation's chunk list to be its children's (which it
//! already accepted), rebuilds every circuit from those layouts and verifies
//! the proof against them.

use super::zkevm_wrap::{wrap_memory_mb, ZkevmWrap};
use super::{bad_input, expect_inputs, rejected, run_failed, JobSpec, PipelineError, ProofPipeline};
use crate::job::{JobKind, Requirement};
use executor::trace::TxTrace;
use executor::{BlockInput, ExecOptions};
use prover::backend::Backend;
use prover::guard::guarded;
use prover::zkevm::aggregate::{
    aggregate_chunk, merge_aggregated, verify_aggregated, AggregatedProof, ChunkLayout, Circuits, VerifierData,
};
use prover::zkevm::tables::CPU;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use verifier_contract::artifact::WrapArtifact;
use witness::state::StateWitness;
use witness::{ChunkSize, ChunkWitness};

/// Default chunk size: at most 2^10 step rows per chunk (as `zkr prove`).
pub const DEFAULT_ROWS_LOG: usize = 10;

/// A chunk job's input as it is stored in the blob store (bincode): what a
/// worker needs to rebuild the chunk's witness (its transactions' traces),
/// not the witness's table rows, which are tens of times larger.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChunkJobInput {
    /// The chunk's statement and table degrees as the coordinator built
    /// them: the worker's rebuilt witness and its proof must have them.
    pub layout: ChunkLayout,
    /// The state-tree paths proving the statement's roots.
    pub state: StateWitness,
    /// The traces of the chunk's transactions, in order.
    pub traces: Vec<TxTrace>,
}

impl ChunkJobInput {
    /// The input of the chunk job proving `witness`, a chunk built from
    /// `traces` (its statement names its block).
    pub fn new(witness: &ChunkWitness, traces: Vec<TxTrace>) -> Result<Self, String> {
        Ok(Self {
            layout: ChunkLayout::of_witness(witness).ok_or("a table's row count is not a power of two")?,
            state: witness.state.clone(),
            traces,
        })
    }

    /// Rebuilds the chunk's witness from the traces and checks that it has
    /// the job's layout.
    pub fn witness(self) -> Result<ChunkWitness, String> {
        let rows_log = self.layout.degree_bits[CPU];
        let (statement, state, traces) = (self.layout.statement.clone(), self.state, self.traces);
        let witness = guarded("rebuilding the chunk witness", || {
            witness::chunk::rebuild_chunk(statement, state, &traces, rows_log).map_err(|e| e.to_string())
        })?;
        match ChunkLayout::of_witness(&witness) {
            Some(layout) if layout == self.layout => Ok(witness),
            _ => Err("the rebuilt witness's table degrees are not the job's".into()),
        }
    }
}

/// The zkEVM pipeline; the circuits it builds are cached for the process.
pub struct ZkevmPipeline {
    backend: Arc<dyn Backend>,
    chunks: ChunkSize,
    circuits: Mutex<Circuits>,
    wrap: Option<ZkevmWrap>,
}

impl ZkevmPipeline {
    /// Cuts blocks into chunks of `chunks` (a plain `k`: at most `2^k` step
    /// rows each) and proves them, committing to the table traces through
    /// `backend`.
    pub fn new(backend: Arc<dyn Backend>, chunks: impl Into<ChunkSize>) -> Self {
        Self {
            backend,
            chunks: chunks.into(),
            circuits: Mutex::new(Circuits::new()),
            wrap: None,
        }
    }

    /// Runs (on a worker) or plans and checks (on a coordinator) wrap jobs.
    pub fn with_wrap(mut self, wrap: ZkevmWrap) -> Self {
        self.wrap = Some(wrap);
        self
    }

    /// The wrap setup, where wrap jobs run or are planned here.
    pub fn wrap_setup(&self) -> Option<&ZkevmWrap> {
        self.wrap.as_ref()
    }

    /// The wrap setup, or why a wrap job cannot run here.
    fn wrap(&self, job: &JobSpec) -> Result<&ZkevmWrap, PipelineError> {
        self.wrap.as_ref().ok_or_else(|| {
            bad_input(
                job,
                "this process has no wrap SRS (start the worker with --wrap-srs, the same setup as the coordinator's)"
                    .into(),
            )
        })
    }

    /// Rebuilds the circuits of a root proof's chunks and checks the proof.
    fn root_data(&self, proof: &AggregatedProof) -> Result<VerifierData, String> {
        guarded("verification", || {
            let data = VerifierData::for_chunks(&mut self.circuits(), &proof.chunks).map_err(|e| e.to_string())?;
            verify_aggregated(proof, &data).map_err(|e| e.to_string())?;
            Ok(data)
        })
    }

    /// The circuit cache. A panic while it was held (a malformed proof that
    /// plonky2 trips over) leaves it usable: built circuits stay valid.
    fn circuits(&self) -> MutexGuard<'_, Circuits> {
        self.circuits.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn decode_chunk_input(job: &JobSpec, bytes: &[u8]) -> Result<ChunkJobInput, PipelineError> {
    executor::codec::from_bincode(bytes, Path::new("chunk job input"), "ChunkJobInput")
        .map_err(|e| bad_input(job, e.to_string()))
}

fn decode_proof(bytes: &[u8]) -> Result<AggregatedProof, String> {
    AggregatedProof::from_bytes(bytes).map_err(|e| e.to_string())
}

fn encode_proof(job: &JobSpec, proof: &AggregatedProof) -> Result<Vec<u8>, PipelineError> {
    proof.to_bytes().map_err(|e| run_failed(job, e.to_string()))
}

impl ProofPipeline for ZkevmPipeline {
    fn name(&self) -> &'static str {
        "zkevm"
    }

    fn split(&self, batch_input: &[u8]) -> Result<Vec<Vec<u8>>, PipelineError> {
        let bad = |detail: String| PipelineError::BadInput {
            job: "batch input".into(),
            detail,
        };
        let block: BlockInput = executor::codec::from_bincode(batch_input, Path::new("batch input"), "BlockInput")
            .map_err(|e| bad(e.to_string()))?;
        let options = ExecOptions {
            capture_traces: true,
            trace_limit: witness::chunk::chunk_trace_limit(witness::chunk::MAX_ROWS_LOG),
            ..ExecOptions::default()
        };
        let number = block.header.number;
        let output =
            executor::execute_block(&block, &options).map_err(|e| bad(format!("executing block {number}: {e}")))?;
        let trace = output.traces.ok_or_else(|| PipelineError::Run {
            job: "batch input".into(),
            detail: "the executor returned no traces".into(),
        })?;
        // Each chunk's witness is built (bad input is refused here, before
        // any job exists), its layout kept with its traces, and freed.
        let mut chunks = witness::PreState::of(&block)
            .and_then(|pre| witness::chunk_witnesses(trace, &pre, self.chunks))
            .map_err(|e| bad(format!("block {number}: {e}")))?;
        let mut inputs = Vec::with_capacity(chunks.len());
        while let Some(built) = chunks.next_with_traces() {
            let (witness, traces) = built.map_err(|e| bad(format!("block {number}: {e}")))?;
            let input = ChunkJobInput::new(&witness, traces).map_err(|e| bad(format!("block {number}: {e}")))?;
            inputs.push(executor::codec::to_bincode(&input));
        }
        tracing::info!(
            block = number,
            chunks = inputs.len(),
            input_bytes = inputs.iter().map(Vec::len).sum::<usize>(),
            "block executed and cut into chunks"
        );
        Ok(inputs)
    }

    fn has_wrap(&self) -> bool {
        self.wrap.as_ref().is_some_and(|w| w.settings().is_some())
    }

    fn wrap_input(&self) -> Option<Vec<u8>> {
        self.wrap.as_ref()?.job_input()
    }

    fn requirement(&self, kind: JobKind) -> Requirement {
        let plain = Requirement {
            needs_gpu: false,
            min_memory_mb: 2048,
            srs: None,
        };
        match (kind, &self.wrap) {
            (JobKind::Wrap, Some(wrap)) => match wrap.settings() {
                Some(settings) => Requirement {
                    min_memory_mb: wrap_memory_mb(settings.k),
                    srs: Some(wrap.srs_id()),
                    ..plain
                },
                None => plain,
            },
            _ => plain,
        }
    }

    fn run(&self, job: &JobSpec, inputs: &[Vec<u8>]) -> Result<Vec<u8>, PipelineError> {
        if let (Some(wrap), JobKind::Chunk | JobKind::Aggregate) = (&self.wrap, job.kind) {
            wrap.forget_keys();
        }
        let proof = match job.kind {
            JobKind::Chunk => {
                expect_inputs(job, inputs, 1)?;
                let input = decode_chunk_input(job, &inputs[0])?;
                let witness = input
                    .witness()
                    .map_err(|e| bad_input(job, format!("chunk job input: {e}")))?;
                let chunk = prover::zkevm::prove_chunk_with(witness, self.backend.as_ref())
                    .map_err(|e| run_failed(job, e.to_string()))?;
                aggregate_chunk(&mut self.circuits(), &chunk).map_err(|e| run_failed(job, e.to_string()))?
            }
            JobKind::Aggregate => {
                expect_inputs(job, inputs, 2)?;
                let left = decode_proof(&inputs[0]).map_err(|e| bad_input(job, format!("left child: {e}")))?;
                let right = decode_proof(&inputs[1]).map_err(|e| bad_input(job, format!("right child: {e}")))?;
                merge_aggregated(&mut self.circuits(), &left, &right).map_err(|e| run_failed(job, e.to_string()))?
            }
            JobKind::Wrap => {
                return self
                    .wrap(job)?
                    .run(job, inputs, self.backend.clone(), |root| self.root_data(root))
            }
        };
        encode_proof(job, &proof)
    }

    fn verify(&self, job: &JobSpec, inputs: &[Vec<u8>], output: &[u8]) -> Result<(), PipelineError> {
        let (block, chunks) = match job.kind {
            JobKind::Chunk => {
                expect_inputs(job, inputs, 1)?;
                let input = decode_chunk_input(job, &inputs[0])?;
                (input.layout.statement.block.number, vec![input.layout])
            }
            JobKind::Aggregate => {
                expect_inputs(job, inputs, 2)?;
                let left = decode_proof(&inputs[0]).map_err(|e| bad_input(job, format!("left child: {e}")))?;
                let right = decode_proof(&inputs[1]).map_err(|e| bad_input(job, format!("right child: {e}")))?;
                (left.block, [left.chunks, right.chunks].concat())
            }
            JobKind::Wrap => return self.wrap(job)?.verify(job, inputs, output, |root| self.root_data(root)),
        };
        let proof = decode_proof(output).map_err(|e| rejected(job, e))?;
        if proof.block != block {
            return Err(rejected(
                job,
                format!("the proof is for block {}, not {block}", proof.block),
            ));
        }
        if proof.chunks != chunks {
            return Err(rejected(
                job,
                "the proof lists other chunks (statements or table degrees) than the job's".into(),
            ));
        }
        self.root_data(&proof).map(drop).map_err(|e| rejected(job, e))
    }

    fn describe_output(&self, output: &[u8]) -> String {
        if let Ok(wrap) = WrapArtifact::from_bytes(output, Path::new("batch output")) {
            return format!(
                "{}: wrap proof for L1 (k = {}, {} bytes), old root 0x{}, new root 0x{}, data hash 0x{}",
                wrap.subject,
                wrap.k,
                wrap.proof.len(),
                hex::encode(wrap.statement.old_root),
                hex::encode(wrap.statement.new_root),
                hex::encode(wrap.statement.data_hash)
            );
        }
        match decode_proof(output) {
            Ok(p) => format!(
                "block {}: transactions {}..{}, {} EVM steps in {} chunks, one aggregated plonky2 proof ({} KiB)",
                p.block,
                p.first_tx,
                p.end_tx,
                p.steps,
                p.num_chunks(),
                output.len().div_ceil(1024)
            ),
            Err(e) => format!("unreadable output: {e}"),
        }
    }
}
