//! halo2 (halo2-base over BN254) gadgets that re-check the final plonky2
//! layer's proof: emulated Goldilocks arithmetic, the Poseidon-BN254
//! permutation and hashes, Merkle paths, the Fiat-Shamir transcript, FRI
//! verification, the gate constraints at the challenge point, and the
//! vanishing-polynomial identity.

pub mod challenger;
pub mod fri;
pub mod gates;
pub mod goldilocks;
pub mod merkle;
pub mod poseidon;
pub mod vanishing;
