//! The aggregated proof of a block and its bincode serialisation.
//!
//! On disk an aggregated proof is [`MAGIC`] followed by the bincode
//! (standard configuration) encoding of [`AggregatedProof`]; the magic lets
//! tools tell it apart from a chunk proof or a batch proof
//! ([`super::batch::MAGIC`], encoded the same way).

use super::leaf::ChunkLayout;
use super::PlonkProof;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The first bytes of a serialised [`AggregatedProof`].
pub const MAGIC: &[u8; 8] = b"ZKRAGG02";

/// One plonky2 proof that every chunk of a block verifies and that the
/// chunks link up, with what it proves.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AggregatedProof {
    /// Block number: the one every chunk's statement names (its block
    /// context), which [`super::verify_aggregated`] checks.
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
    /// The root proof of the aggregation tree, in normal form (public
    /// inputs: [`super::normal::npi`]).
    pub proof: PlonkProof,
}

/// The header of `bytes` when they start like an aggregated or batch proof
/// of another format version than this build reads (an older `zkr`'s
/// output), as text; `None` otherwise.
pub fn other_format_version(bytes: &[u8]) -> Option<String> {
    let current = [MAGIC, super::batch::MAGIC];
    let header = bytes.get(..MAGIC.len())?;
    let same_kind = current.iter().any(|magic| header[..6] == magic[..6]);
    (same_kind && !current.iter().any(|magic| header == magic.as_slice()))
        .then(|| String::from_utf8_lossy(header).into_owned())
}

/// Why an aggregated or batch proof could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum ProofCodecError {
    /// Encoding failed.
    #[error("cannot encode the proof")]
    Encode(#[from] bincode::error::EncodeError),
    /// The bytes do not start with the expected magic.
    #[error("not {kind}: it does not start with the magic bytes {:?}", String::from_utf8_lossy(*magic))]
    Magic {
        /// What was expected ("an aggregated proof", "a batch proof").
        kind: &'static str,
        /// Its magic bytes.
        magic: &'static [u8; 8],
    },
    /// Decoding failed (truncated or corrupted).
    #[error("cannot decode the proof (truncated or corrupted)")]
    Decode(#[from] bincode::error::DecodeError),
    /// Bytes were left over after the proof.
    #[error("cannot decode the proof: {0} trailing bytes")]
    Trailing(usize),
}

/// `magic` followed by the bincode (standard configuration) encoding of `value`.
pub(crate) fn encode<T: Serialize>(magic: &[u8; 8], value: &T) -> Result<Vec<u8>, ProofCodecError> {
    let mut out = magic.to_vec();
    out.extend(bincode::serde::encode_to_vec(value, bincode::config::standard())?);
    Ok(out)
}

/// Decodes what [`encode`] wrote with `magic`; `kind` names what was expected.
pub(crate) fn decode<T: DeserializeOwned>(
    magic: &'static [u8; 8],
    kind: &'static str,
    bytes: &[u8],
) -> Result<T, ProofCodecError> {
    let body = bytes
        .strip_prefix(magic.as_slice())
        .ok_or(ProofCodecError::Magic { kind, magic })?;
    let (value, read) = bincode::serde::decode_from_slice(body, bincode::config::standard())?;
    if read != body.len() {
        return Err(ProofCodecError::Trailing(body.len() - read));
    }
    Ok(value)
}

impl AggregatedProof {
    /// Number of chunks aggregated.
    pub fn num_chunks(&self) -> usize {
        self.chunks.len()
    }

    /// What it proves, for people: block, transactions, steps and chunks.
    pub fn summary(&self) -> String {
        format!(
            "block {}, transactions {}..{}, {} steps in {} chunks",
            self.block,
            self.first_tx,
            self.end_tx,
            self.steps,
            self.num_chunks()
        )
    }

    /// Whether `bytes` start like a serialised aggregated proof.
    pub fn is_aggregated(bytes: &[u8]) -> bool {
        bytes.starts_with(MAGIC)
    }

    /// Serialises as [`MAGIC`] followed by bincode (standard configuration).
    pub fn to_bytes(&self) -> Result<Vec<u8>, ProofCodecError> {
        encode(MAGIC, self)
    }

    /// Deserialises what [`AggregatedProof::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ProofCodecError> {
        decode(MAGIC, "an aggregated proof", bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_format_version_is_told_apart_from_other_files() {
        assert_eq!(other_format_version(b"ZKRAGG01rest").as_deref(), Some("ZKRAGG01"));
        assert_eq!(other_format_version(b"ZKRBAT01rest").as_deref(), Some("ZKRBAT01"));
        let mut current = MAGIC.to_vec();
        current.extend(b"rest");
        assert_eq!(other_format_version(&current), None);
        assert_eq!(other_format_version(super::super::batch::MAGIC), None);
        assert_eq!(other_format_version(b"ZKRAGG"), None);
        assert_eq!(other_format_version(b"[package]\nname"), None);
    }
}
