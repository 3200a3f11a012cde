//! halo2 KZG proving with its commitments on a BN254 MSM backend (CPU or
//! GPU), without forking halo2.
//!
//! [`BackendKzg`] is a halo2 `CommitmentScheme` whose prover parameters
//! ([`BackendParams`]) wrap a standard `ParamsKZG<Bn256>` and send `commit`
//! and `commit_lagrange` (advice, lookup, permutation and quotient
//! commitments in `create_proof`) through a [`Backend`](crate::backend::Backend), with the
//! SRS uploaded once. The multi-open step is halo2's own SHPLONK prover
//! ([`BackendShplonk`] delegates to it, since `ProverQuery`'s fields are
//! crate-private), so its two opening MSMs stay on the CPU; [`MsmShare`]
//! counts the points each side handled. Proofs are ordinary SHPLONK proofs:
//! they verify with `VerifierSHPLONK`, the verifier parameters and the
//! verifying key of the wrapped `ParamsKZG`. [`range_check`] is a real
//! circuit to prove with it; [`evm`] makes proofs with the Keccak
//! transcript that Solidity verifiers replay; [`srs`] loads the reference
//! string from a Powers of Tau ceremony file.

mod backend_msm;
pub mod evm;
pub mod range_check;
mod scheme;
mod shplonk;
pub mod srs;
#[cfg(test)]
mod tests;

pub use backend_msm::PreparedBases;
pub(crate) use backend_msm::{CpuBases, GpuPrepared};
pub use scheme::{BackendKzg, BackendParams, BackendShplonk, MsmShare};

use gpu_kernels::GpuError;
use thiserror::Error;

/// Errors from KZG proving through a backend.
#[derive(Debug, Error)]
pub enum KzgError {
    /// The GPU failed to run an MSM.
    #[error("GPU MSM failed: {0}")]
    Gpu(#[from] GpuError),
    /// halo2 rejected the circuit, the keys or the proof.
    #[error("halo2 {stage} failed: {source:?}")]
    Halo2 {
        /// keygen, proving or verification.
        stage: &'static str,
        /// halo2's error.
        source: halo2_proofs::plonk::Error,
    },
    /// Bad input to a circuit or a key.
    #[error("invalid input: {0}")]
    InvalidInput(String),
}
