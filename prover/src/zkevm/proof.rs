//! Chunk proof type and its bincode serialisation.

use plonky2::plonk::config::PoseidonGoldilocksConfig;
use serde::{Deserialize, Serialize};
use starky::proof::StarkProofWithPublicInputs;
use witness::state::StateWitness;
use witness::{ChunkStatement, F};

/// Extension degree of the STARK challenges.
pub const D: usize = 2;
/// Hash and field configuration of every chunk proof.
pub type C = PoseidonGoldilocksConfig;
/// The proof of one table.
pub type TableProof = StarkProofWithPublicInputs<F, C, D>;

/// A chunk's statement and the proofs of its tables, which share one set of
/// cross-table lookup challenges.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChunkProof {
    /// What is proven.
    pub statement: ChunkStatement,
    /// The state-tree paths of the called code and of each storage slot
    /// (the witness of the statement's state roots).
    pub state: StateWitness,
    /// Step table proof.
    pub cpu: TableProof,
    /// Stack table proof.
    pub stack: TableProof,
    /// Bytecode table proof.
    pub bytecode: TableProof,
    /// Logic table proof.
    pub logic: TableProof,
    /// Call-context table proof.
    pub context: TableProof,
    /// Memory table proof.
    pub memory: TableProof,
    /// Arithmetic table proof.
    pub arith: TableProof,
    /// Storage table proof.
    pub storage: TableProof,
    /// Exponentiation table proof.
    pub exp: TableProof,
}

/// Why a proof could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// Encoding failed.
    #[error("cannot encode the chunk proof: {0}")]
    Encode(#[from] bincode::error::EncodeError),
    /// Decoding failed (truncated or not a chunk proof).
    #[error("cannot decode a chunk proof: {0}")]
    Decode(#[from] bincode::error::DecodeError),
    /// Bytes were left over after the proof.
    #[error("cannot decode a chunk proof: {0} trailing bytes")]
    Trailing(usize),
}

impl ChunkProof {
    /// The table proofs in table-index order (see [`super::tables`]).
    pub fn tables(&self) -> [&TableProof; super::tables::NUM_TABLES] {
        [
            &self.cpu,
            &self.stack,
            &self.bytecode,
            &self.logic,
            &self.context,
            &self.memory,
            &self.arith,
            &self.storage,
            &self.exp,
        ]
    }

    /// Serialises with bincode (standard configuration).
    pub fn to_bytes(&self) -> Result<Vec<u8>, CodecError> {
        Ok(bincode::serde::encode_to_vec(self, bincode::config::standard())?)
    }

    /// Deserialises what [`ChunkProof::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CodecError> {
        let (proof, read) = bincode::serde::decode_from_slice(bytes, bincode::config::standard())?;
        if read != bytes.len() {
            return Err(CodecError::Trailing(bytes.len() - read));
        }
        Ok(proof)
    }
}
