//! The wrap proof file (`zkr wrap` writes it, `zkr l1 verify` and
//! `zkr l1 export` read it): a KZG wrap proof, the statement it proves, and
//! the Solidity verifier generated from the verifying key it was made with.
//!
//! The verifier travels with the proof because it is specific to the keys:
//! the wrap circuit (which final-layer circuit, and so which aggregation
//! shape and chain) and the SRS. Its source is kept so that the bytecode can
//! be rebuilt and compared (the contract tests do this with solc).
//!
//! On disk: [`MAGIC`] followed by the bincode (standard configuration)
//! encoding of [`WrapArtifact`].

use prover::wrap::instances::WrapInstances;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The first bytes of a wrap proof file.
pub const MAGIC: &[u8; 8] = b"ZKRWRAP1";

/// A wrap proof with its statement and verifier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapArtifact {
    /// What was wrapped, for people (block, transactions, chunks).
    pub subject: String,
    /// The statement (the verifier's instances, [`WrapInstances::to_scalars`]).
    pub statement: WrapInstances,
    /// The proof (Keccak transcript), as the verifier's calldata carries it.
    pub proof: Vec<u8>,
    /// log2 of the wrap circuit's rows.
    pub k: u32,
    /// The Solidity verifier generated from the verifying key.
    pub verifier_source: String,
    /// Its creation code (solc 0.8.19, the pinned solc-js).
    pub verifier_bytecode: Vec<u8>,
    /// Its ABI as solc writes it (JSON): a fallback taking the instances
    /// and the proof as raw calldata.
    pub verifier_abi: String,
}

/// Why a wrap proof file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file does not start with [`MAGIC`].
    #[error(
        "{path}: not a wrap proof (it does not start with {:?}; `zkr wrap` writes them)",
        String::from_utf8_lossy(MAGIC)
    )]
    Magic {
        /// The file.
        path: PathBuf,
    },
    /// The body does not decode.
    #[error("{path}: cannot decode the wrap proof (truncated or corrupted): {reason}")]
    Decode {
        /// The file.
        path: PathBuf,
        /// What bincode said.
        reason: String,
    },
    /// Encoding failed.
    #[error("cannot encode the wrap proof: {0}")]
    Encode(#[from] bincode::error::EncodeError),
}

impl WrapArtifact {
    /// [`MAGIC`] followed by bincode.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ArtifactError> {
        let mut out = MAGIC.to_vec();
        out.extend(bincode::serde::encode_to_vec(self, bincode::config::standard())?);
        Ok(out)
    }

    /// Decodes what [`WrapArtifact::to_bytes`] wrote; `path` names the source in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self, ArtifactError> {
        let body = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or_else(|| ArtifactError::Magic {
                path: path.to_path_buf(),
            })?;
        let decode = |reason: String| ArtifactError::Decode {
            path: path.to_path_buf(),
            reason,
        };
        let (artifact, read): (Self, usize) =
            bincode::serde::decode_from_slice(body, bincode::config::standard()).map_err(|e| decode(e.to_string()))?;
        if read != body.len() {
            return Err(decode(format!("{} trailing bytes", body.len() - read)));
        }
        Ok(artifact)
    }

    /// Reads a wrap proof file.
    pub fn read(path: &Path) -> Result<Self, ArtifactError> {
        let bytes = std::fs::read(path).map_err(|source| ArtifactError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, path)
    }

    /// Writes a wrap proof file.
    pub fn write(&self, path: &Path) -> Result<(), ArtifactError> {
        std::fs::write(path, self.to_bytes()?).map_err(|source| ArtifactError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}
