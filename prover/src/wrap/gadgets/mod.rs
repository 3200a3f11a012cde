//! halo2 (halo2-base over BN254) gadgets that re-check the final plonky2
//! layer's proof: emulated Goldilocks arithmetic, the Poseidon-BN254
//! permutation and hashes, plonky2's Goldilocks Poseidon, Merkle paths, the
//! Fiat-Shamir transcript, FRI verification, the gate constraints at the
//! challenge point, the vanishing-polynomial identity, and ([`verifier`])
//! all of them composed into plonky2's verifier.

pub mod challenger;
pub mod fri;
pub mod gates;
pub mod goldilocks;
pub mod merkle;
pub mod poseidon;
pub mod poseidon_goldilocks;
pub mod vanishing;
pub mod verifier;
