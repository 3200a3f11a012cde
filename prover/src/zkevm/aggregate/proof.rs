//! The aggregated proof of a block and its bincode serialisation.
//!
//! On disk an aggregated proof is [`MAGIC`] followed by the bincode
//! (standard configuration) encoding of [`AggregatedProof`]; the magic lets
//! tools tell it apart from a chunk proof.

use super::leaf::ChunkLayout;
use super::PlonkProof;
use serde::{Deserialize, Serialize};

/// The first bytes of a serialised [`AggregatedProof`].
pub const MAGIC: &[u8; 8] = b"ZKRAGG01";

/// One plonky2 proof that every chunk of a block verifies and that the
/// chunks link up, with what it proves.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AggregatedProof {
    /// Block number (a label: chunk statements do not carry it).
    pub block: u64,
    /// First transaction of the block range proven.
    pub first_tx: u32,
    /// One past the last transaction proven.
    pub end_tx: u32,
    /// Number of steps proven.
    pub steps: u64,
    /// Every chunk's statement and table degrees, in order: what the verifier
    /// rebuilds the circuits and the statement digest from.
    pub chunks: Vec<ChunkLayout>,
    /// The root proof of the aggregation tree (public inputs: [`super::pi`]).
    pub proof: PlonkProof,
}

/// Why an aggregated proof could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum AggregatedCodecError {
    /// Encoding failed.
    #[error("cannot encode the aggregated proof")]
    Encode(#[from] bincode::error::EncodeError),
    /// The bytes do not start with [`MAGIC`].
    #[error(
        "not an aggregated proof: it does not start with the magic bytes {:?}",
        String::from_utf8_lossy(MAGIC)
    )]
    Magic,
    /// Decoding failed (truncated or corrupted).
    #[error("cannot decode the aggregated proof (truncated or corrupted)")]
    Decode(#[from] bincode::error::DecodeError),
    /// Bytes were left over after the proof.
    #[error("cannot decode the aggregated proof: {0} trailing bytes")]
    Trailing(usize),
}

impl AggregatedProof {
    /// Number of chunks aggregated.
    pub fn num_chunks(&self) -> usize {
        self.chunks.len()
    }

    /// Whether `bytes` start like a serialised aggregated proof.
    pub fn is_aggregated(bytes: &[u8]) -> bool {
        bytes.starts_with(MAGIC)
    }

    /// Serialises as [`MAGIC`] followed by bincode (standard configuration).
    pub fn to_bytes(&self) -> Result<Vec<u8>, AggregatedCodecError> {
        let mut out = MAGIC.to_vec();
        out.extend(bincode::serde::encode_to_vec(self, bincode::config::standard())?);
        Ok(out)
    }

    /// Deserialises what [`AggregatedProof::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AggregatedCodecError> {
        let body = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or(AggregatedCodecError::Magic)?;
        let (proof, read) = bincode::serde::decode_from_slice(body, bincode::config::standard())?;
        if read != body.len() {
            return Err(AggregatedCodecError::Trailing(body.len() - read));
        }
        Ok(proof)
    }
}
