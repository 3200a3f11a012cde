//! Aggregation of chunk proofs into one plonky2 proof per block, and of
//! consecutive blocks' proofs into one proof per batch ([`batch`]).
//!
//! A **leaf** circuit ([`leaf`]) verifies one [`ChunkProof`](super::proof::ChunkProof) recursively:
//! it replays the chunk transcript in-circuit (statement, the eight trace
//! caps, the shared cross-table lookup challenges, then each table's own
//! challenges on a copy of the sponge, exactly as `prove.rs`/`verify.rs` do
//! natively), verifies the eight STARK proofs with starky's recursive
//! verifier and checks the cross-table lookup balances, including the
//! public sides (the instruction and call-context tuples the native verifier
//! derives from the statement's calls; see [`super::statement`]).
//!
//! Each leaf proof is re-proven in **normal form** ([`normal`]): by a
//! normaliser circuit of one fixed shape whatever the leaf's, which exposes
//! the leaf's statement and two tree hashes. One **merge** circuit
//! ([`mod@merge`]) then verifies any two normal-form proofs (leaves or merges; the
//! children's verifier data are witnesses, bound by the tree hashes), checks
//! continuity (the left proof's `end_tx` is the right proof's `first_tx`,
//! its new state root the right proof's old root) and exposes the joined
//! range in normal form.
//!
//! Every aggregation proof (leaf or merge) has the same statement public
//! inputs, [`pi`]: `first_tx`, `end_tx`, `steps` (summed over the chunks), a
//! 4-element Poseidon digest, and the state roots before and after the range;
//! normal-form proofs add the tree hashes ([`normal::npi`]).
//! Where a chunk resumes or suspends a transaction split across chunks
//! ([`witness::boundary`]), its leaf exposes that root mixed with the
//! boundary ([`leaf::linked_root`]), so the merges' root check also checks
//! that one chunk resumes where the other suspended.
//! A leaf proves its chunk's state-tree transition ([`state`]); a merge
//! checks that the left proof's new root is the right proof's old root. A leaf's digest hashes everything of its
//! statement that is not a link value: the transcript elements of the
//! statement (per transaction: id, code, callee, caller, value, call data,
//! starting gas)
//! followed by the instruction and call-context tuples. A merge's digest is
//! `hash(left digest ‖ right digest)`. The code is thus a private witness of
//! the circuit, bound to the statement by the digest, which the verifier
//! recomputes from the statements an [`AggregatedProof`] carries.
//!
//! **Shapes.** A leaf circuit depends on the degrees of the nine tables
//! (the step table always has `2^k` rows; the other tables grow with the
//! chunk's stack and memory accesses, code, bitwise, arithmetic and EXP steps and transactions) and on the number of statement
//! elements and instruction tuples: the [`LeafShape`]. One leaf circuit is
//! built per shape, with its normaliser, and reused for every chunk of that
//! shape. The merge circuit is the same for every pair, at every level of
//! every tree (a chunk tree, a batch's tree of blocks). The tree is built
//! level by level, pairing neighbours; an odd proof at the end of a level
//! moves up unchanged. Everything is deterministic, so the verifier rebuilds
//! the same circuits from the chunk layouts recorded in the proof
//! ([`VerifierData::for_chunks`]) instead of trusting shipped verifier data.

pub mod batch;
pub mod circuits;
pub mod leaf;
pub mod merge;
pub mod normal;
pub mod proof;
pub mod root;
pub mod state;
pub mod tree;
pub mod verify;

pub use batch::{
    aggregate_batch, batch_of_block, merge_batches, verify_batch, BatchBlock, BatchProof, BatchVerifierData,
};
pub use circuits::Circuits;
pub use leaf::{ChunkLayout, LeafShape};
pub use proof::AggregatedProof;
pub use root::{RootCircuit, RootProof};
pub use tree::{
    aggregate_block, aggregate_chunk, aggregate_leaves, merge, merge_aggregated, prove_leaf, AggregationStep, Node,
    StepKind,
};
pub use verify::{verify_aggregated, VerifierData};

use super::proof::{C, D};
use plonky2::plonk::circuit_data::CircuitConfig;
use plonky2::plonk::proof::ProofWithPublicInputs;
use witness::F;

/// A leaf, merge or aggregated plonky2 proof (Poseidon-Goldilocks, D = 2).
pub type PlonkProof = ProofWithPublicInputs<F, C, D>;

/// Layout of the public inputs every leaf and merge proof exposes.
pub mod pi {
    /// First transaction of the proven range.
    pub const FIRST_TX: usize = 0;
    /// One past the last transaction of the proven range.
    pub const END_TX: usize = 1;
    /// Total number of steps proven.
    pub const STEPS: usize = 2;
    /// Start of the 4-element statement digest.
    pub const DIGEST: usize = 3;
    /// Start of the 4-element state root before the range.
    pub const OLD_ROOT: usize = DIGEST + 4;
    /// Start of the 4-element state root after the range.
    pub const NEW_ROOT: usize = OLD_ROOT + 4;
    /// Number of public inputs.
    pub const NUM: usize = NEW_ROOT + 4;
}

/// The plonky2 configuration of the leaf and merge circuits (100-bit
/// conjectured security, the standard recursion configuration).
pub fn circuit_config() -> CircuitConfig {
    CircuitConfig::standard_recursion_config()
}

/// Why aggregation or verification of an aggregated proof failed.
#[derive(Debug, thiserror::Error)]
pub enum AggregationError {
    /// There is nothing to aggregate.
    #[error("no chunk proofs to aggregate")]
    Empty,
    /// A chunk proof cannot be proven inside the leaf circuit (it does not verify).
    #[error("chunk {index} (transactions {first_tx}..{end_tx}) does not verify in the leaf circuit: {reason}")]
    Leaf {
        /// Position of the chunk in the block.
        index: usize,
        /// Its first transaction.
        first_tx: u32,
        /// One past its last transaction.
        end_tx: u32,
        /// What plonky2 reported.
        reason: String,
    },
    /// Two neighbouring proofs cannot be merged (not adjacent, or an inner proof is invalid).
    #[error(
        "cannot merge {left_first}..{left_end} with {right_first}..{right_end} (transactions; blocks in a batch): {reason}"
    )]
    Merge {
        /// Range of the left proof (transactions; block numbers in a batch).
        left_first: u64,
        /// End of the left range.
        left_end: u64,
        /// Start of the right range.
        right_first: u64,
        /// End of the right range.
        right_end: u64,
        /// What plonky2 reported.
        reason: String,
    },
    /// An aggregation circuit cannot be built (a leaf circuit outgrows the normal form).
    #[error("cannot build the aggregation circuits: {0}")]
    Circuit(String),
    /// The aggregated proof does not verify.
    #[error("the aggregated proof does not verify: {0}")]
    Verify(String),
    /// The proof's claims disagree with its public inputs or the verifier data.
    #[error("the aggregated proof is inconsistent: {0}")]
    Statement(String),
}
