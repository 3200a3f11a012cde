//! Goldilocks (p = 2^64 - 2^32 + 1) kernels, bit-identical to plonky2:
//! batched forward and inverse NTT ([`ntt`]), coset low-degree extension with
//! Poseidon Merkle commitment in the shape of `PolynomialBatch` ([`commit`]),
//! and Poseidon Merkle trees over given leaves ([`merkle`]).
//!
//! Every kernel is WGSL with a u64 field path (wgpu's `SHADER_INT64`) and a
//! u32-only path; [`GoldilocksGpu`] compiles the one the context asks for.
//! Every device call returns [`Timings`] with transfers apart from compute.
//! The CPU references (`*_reference`) are plonky2's own functions.

pub mod commit;
mod engine;
pub mod merkle;
pub mod ntt;
mod shaders;
pub mod timings;

pub use commit::{commit_reference, CommitParams, LdeCommitment};
pub use engine::{GoldilocksGpu, F};
pub use merkle::{merkle_tree_reference, PoseidonMerkleTree};
pub use ntt::{ntt_reference, NttDirection};
pub use timings::{ms, Timings};
