//! The zkEVM pipeline: a batch of consecutive blocks is executed, each block
//! cut into chunks and proven by the prover's zkEVM tables; each block's
//! chunk proofs are aggregated up its job tree, and a batch of several
//! blocks aggregates the blocks' proofs into one.
//!
//! - **Batch input**: [`ZkevmBatchInput`] (bincode), consecutive blocks in
//!   zkr's format, what `zkr submit --pipeline zkevm --block A [--block B
//!   ...]` sends. The coordinator executes each block with trace capture on
//!   the state the one before it left ([`executor::chain::follow`]) and
//!   builds the chunk witnesses (chunks of at most `2^rows_log` step rows,
//!   and a larger one of its own for a longer transaction, up to
//!   `2^max_rows_log`: [`ChunkSize`]), which refuses a block out of the
//!   proven scope, or one that does not follow its parent, before any job
//!   exists; that is the plan's execute+witness stage. It keeps each chunk's
//!   layout and traces, not its table rows.
//! - **Chunk job**: input [`ChunkJobInput`] (the chunk's layout, whose
//!   statement names the block, its state-tree paths and its transactions'
//!   traces); the worker rebuilds the chunk's tables from the traces (they
//!   must give the layout's statement and table degrees), proves them on its
//!   backend with the leaf circuit that verifies them and the leaf's normal
//!   form, and returns an [`AggregatedProof`] of that one chunk.
//! - **Aggregation job**: with two children's aggregated proofs (left
//!   first), the worker proves the merge circuit and returns the aggregated
//!   proof of both runs of chunks; a block's root is the block's aggregated
//!   proof (`ZKRAGG02`). In a batch of several blocks, a job with one child
//!   (a block's root) proves the block circuit and returns the batch proof
//!   of that block alone, and a job with two children's batch proofs merges
//!   them; the batch's root is the batch proof (`ZKRBAT02`). `zkr verify`
//!   checks either.
//! - **Wrap job** (when the coordinator is given wrap settings and an SRS):
//!   the root's proof wrapped for L1; the batch's output is then the wrap
//!   proof file ([`super::zkevm_wrap`]).
//!
//! The coordinator never trusts what a worker says about a proof: it derives
//! the chunk layout a chunk job's proof must have from the witness it made
//! itself, requires an aggregation's chunk (or block) list to be its
//! children's (which it already accepted), rebuilds every circuit from those
//! layouts and verifies the proof against them.

use super::zkevm_wrap::{wrap_memory_mb, ZkevmWrap};
use super::{bad_input, rejected, run_failed, wrong_inputs, JobSpec, PipelineError, ProofPipeline};
use crate::job::{JobKind, Requirement};
use executor::trace::TxTrace;
use executor::{BlockInput, BlockOutput, ExecOptions};
use prover::backend::Backend;
use prover::guard::guarded;
use prover::zkevm::aggregate::{
    aggregate_chunk, batch_of_block, merge_aggregated, merge_batches, AggregatedProof, BatchBlock, ChunkLayout,
    Circuits, RootCircuit, RootProof,
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

/// The zkEVM pipeline's batch input, as it is submitted (bincode).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ZkevmBatchInput {
    /// Consecutive blocks in zkr's format. Each after the first runs on the
    /// state the one before it leaves; accounts its own pre-state lists
    /// must be what that block left.
    pub blocks: Vec<BlockInput>,
}

impl ZkevmBatchInput {
    /// The batch input of `blocks`.
    pub fn new(blocks: Vec<BlockInput>) -> Self {
        Self { blocks }
    }

    /// Encodes it for submission.
    pub fn to_bytes(&self) -> Vec<u8> {
        executor::codec::to_bincode(self)
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
    fn root_data(&self, proof: &RootProof) -> Result<RootCircuit, String> {
        guarded("verification", || {
            proof.verify(&mut self.circuits()).map_err(|e| e.to_string())
        })
    }

    /// Executes `block` with trace capture (on `parent`'s post-state when
    /// it has one) and cuts it into chunk job inputs; returns them and the
    /// execution output.
    fn split_block(
        &self,
        block: &BlockInput,
        parent: Option<&BlockOutput>,
    ) -> Result<(Vec<Vec<u8>>, BlockOutput), String> {
        let number = block.header.number;
        let followed;
        let block = match parent {
            Some(parent) => {
                followed = executor::chain::follow(block, parent)
                    .map_err(|e| format!("block {number} cannot follow block {}: {e}", parent.number))?;
                &followed
            }
            None => block,
        };
        let options = ExecOptions {
            capture_traces: true,
            trace_limit: witness::chunk::chunk_trace_limit(witness::chunk::MAX_ROWS_LOG),
            ..ExecOptions::default()
        };
        let mut output =
            executor::execute_block(block, &options).map_err(|e| format!("executing block {number}: {e}"))?;
        let trace = output.traces.take().ok_or("the executor returned no traces")?;
        // Each chunk's witness is built (bad input is refused here, before
        // any job exists), its layout kept with its traces, and freed.
        let mut chunks = witness::PreState::of(block)
            .and_then(|pre| witness::chunk_witnesses(trace, &pre, self.chunks))
            .map_err(|e| format!("block {number}: {e}"))?;
        let mut inputs = Vec::with_capacity(chunks.len());
        while let Some(built) = chunks.next_with_traces() {
            let (witness, traces) = built.map_err(|e| format!("block {number}: {e}"))?;
            let input = ChunkJobInput::new(&witness, traces).map_err(|e| format!("block {number}: {e}"))?;
            inputs.push(executor::codec::to_bincode(&input));
        }
        tracing::info!(
            block = number,
            chunks = inputs.len(),
            input_bytes = inputs.iter().map(Vec::len).sum::<usize>(),
            "block executed and cut into chunks"
        );
        Ok((inputs, output))
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

/// What a chunk or aggregation job's output must list: the chunks of one
/// block (a block's aggregated proof) or whole blocks (a batch proof).
#[derive(PartialEq)]
enum Listing {
    Chunks(u64, Vec<ChunkLayout>),
    Blocks(Vec<BatchBlock>),
}

impl Listing {
    /// What `proof` lists.
    fn of(proof: &RootProof) -> Self {
        match proof {
            RootProof::Block(p) => Self::Chunks(p.block, p.chunks.clone()),
            RootProof::Batch(p) => Self::Blocks(p.blocks.clone()),
        }
    }
}

impl std::fmt::Display for Listing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Chunks(block, chunks) => write!(f, "{} chunks of block {block}", chunks.len()),
            Self::Blocks(blocks) => {
                let numbers: Vec<String> = blocks.iter().map(|b| b.number.to_string()).collect();
                write!(f, "blocks [{}]", numbers.join(", "))
            }
        }
    }
}

/// A child's aggregated proof or batch proof (`which` names it in errors).
fn decode_root(job: &JobSpec, bytes: &[u8], which: &str) -> Result<RootProof, PipelineError> {
    RootProof::from_bytes(bytes).map_err(|e| bad_input(job, format!("{which} child: {e}")))
}

/// A lifting job's one child: a block's aggregated proof.
fn decode_block(job: &JobSpec, bytes: &[u8]) -> Result<AggregatedProof, PipelineError> {
    AggregatedProof::from_bytes(bytes).map_err(|e| bad_input(job, format!("the block's proof: {e}")))
}

impl ProofPipeline for ZkevmPipeline {
    fn name(&self) -> &'static str {
        "zkevm"
    }

    fn split(&self, batch_input: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, PipelineError> {
        let bad = |detail: String| PipelineError::BadInput {
            job: "batch input".into(),
            detail,
        };
        let batch: ZkevmBatchInput =
            executor::codec::from_bincode(batch_input, Path::new("batch input"), "ZkevmBatchInput")
                .map_err(|e| bad(e.to_string()))?;
        if batch.blocks.is_empty() {
            return Err(bad("the batch has no blocks".into()));
        }
        let mut groups = Vec::with_capacity(batch.blocks.len());
        let mut parent: Option<BlockOutput> = None;
        for block in &batch.blocks {
            let (inputs, output) = self.split_block(block, parent.as_ref()).map_err(bad)?;
            groups.push(inputs);
            parent = Some(output);
        }
        Ok(groups)
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
        let proof = match (job.kind, inputs) {
            (JobKind::Chunk, [input]) => {
                let input = decode_chunk_input(job, input)?;
                let witness = input
                    .witness()
                    .map_err(|e| bad_input(job, format!("chunk job input: {e}")))?;
                let chunk = prover::zkevm::prove_chunk_with(witness, self.backend.as_ref())
                    .map_err(|e| run_failed(job, e.to_string()))?;
                let proof =
                    aggregate_chunk(&mut self.circuits(), &chunk).map_err(|e| run_failed(job, e.to_string()))?;
                RootProof::Block(Box::new(proof))
            }
            (JobKind::Aggregate, [block]) => {
                let block = decode_block(job, block)?;
                let batch = batch_of_block(&mut self.circuits(), &block).map_err(|e| run_failed(job, e.to_string()))?;
                RootProof::Batch(Box::new(batch))
            }
            (JobKind::Aggregate, [left, right]) => {
                match (decode_root(job, left, "left")?, decode_root(job, right, "right")?) {
                    (RootProof::Block(left), RootProof::Block(right)) => RootProof::Block(Box::new(
                        merge_aggregated(&mut self.circuits(), &left, &right)
                            .map_err(|e| run_failed(job, e.to_string()))?,
                    )),
                    (RootProof::Batch(left), RootProof::Batch(right)) => RootProof::Batch(Box::new(
                        merge_batches(&mut self.circuits(), &left, &right)
                            .map_err(|e| run_failed(job, e.to_string()))?,
                    )),
                    _ => {
                        return Err(bad_input(
                            job,
                            "one child is a block's proof and the other a batch proof".into(),
                        ))
                    }
                }
            }
            (JobKind::Wrap, _) => {
                return self
                    .wrap(job)?
                    .run(job, inputs, self.backend.clone(), |root| self.root_data(root))
            }
            (JobKind::Chunk, _) => return Err(wrong_inputs(job, inputs, "1")),
            (JobKind::Aggregate, _) => return Err(wrong_inputs(job, inputs, "1 or 2")),
        };
        proof.to_bytes().map_err(|e| run_failed(job, e.to_string()))
    }

    fn verify(&self, job: &JobSpec, inputs: &[Vec<u8>], output: &[u8]) -> Result<(), PipelineError> {
        // What the output must list, from the inputs (accepted already).
        let expected = match (job.kind, inputs) {
            (JobKind::Chunk, [input]) => {
                let input = decode_chunk_input(job, input)?;
                Listing::Chunks(input.layout.statement.block.number, vec![input.layout])
            }
            (JobKind::Aggregate, [block]) => {
                let block = decode_block(job, block)?;
                Listing::Blocks(vec![BatchBlock {
                    number: block.block,
                    chunks: block.chunks,
                }])
            }
            (JobKind::Aggregate, [left, right]) => {
                match (decode_root(job, left, "left")?, decode_root(job, right, "right")?) {
                    (RootProof::Block(left), RootProof::Block(right)) => {
                        Listing::Chunks(left.block, [left.chunks, right.chunks].concat())
                    }
                    (RootProof::Batch(left), RootProof::Batch(right)) => {
                        Listing::Blocks([left.blocks, right.blocks].concat())
                    }
                    _ => {
                        return Err(bad_input(
                            job,
                            "one child is a block's proof and the other a batch proof".into(),
                        ))
                    }
                }
            }
            (JobKind::Wrap, _) => return self.wrap(job)?.verify(job, inputs, output, |root| self.root_data(root)),
            (JobKind::Chunk, _) => return Err(wrong_inputs(job, inputs, "1")),
            (JobKind::Aggregate, _) => return Err(wrong_inputs(job, inputs, "1 or 2")),
        };
        let proof = RootProof::from_bytes(output).map_err(|e| rejected(job, e.to_string()))?;
        let listed = Listing::of(&proof);
        if listed != expected {
            return Err(rejected(
                job,
                format!(
                    "the proof lists {listed}, the job's inputs {expected} (numbers, chunk statements and table \
                     degrees must be equal)"
                ),
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
        let kib = output.len().div_ceil(1024);
        match RootProof::from_bytes(output) {
            Ok(RootProof::Block(p)) => format!(
                "block {}: transactions {}..{}, {} EVM steps in {} chunks, one aggregated plonky2 proof ({kib} KiB)",
                p.block,
                p.first_tx,
                p.end_tx,
                p.steps,
                p.num_chunks(),
            ),
            Ok(RootProof::Batch(p)) => format!("{}: one batch plonky2 proof ({kib} KiB)", p.summary()),
            Err(e) => format!("unreadable output: {e}"),
        }
    }
}
