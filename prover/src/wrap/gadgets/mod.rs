//! halo2 (halo2-base over BN254) gadgets that re-check the final plonky2
//! layer's proof: emulated Goldilocks arithmetic, the Poseidon-BN254
//! permutation and hashes, Merkle paths, the Fiat-Shamir transcript, and
//! FRI verification.

pub mod challenger;
pub mod fri;
pub mod goldilocks;
pub mod merkle;
pub mod poseidon;
