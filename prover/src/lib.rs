//! Proves what the witness generator produced. It owns the table constraints
//! (starky `Stark` implementations with cross-table lookups), the plonky2
//! recursion circuits that aggregate chunk proofs, the halo2 (KZG over BN254)
//! wrap circuit that L1 verifies, the proof types and their serialisation, and
//! the `Backend` seam through which the heavy kernels (LDE, Merkle trees, MSM)
//! run on the CPU or on a GPU with bit-identical results.

pub mod backend;
mod cpu_commit;
pub mod guard;
pub mod kzg;
pub mod wrap;
pub mod zkevm;
