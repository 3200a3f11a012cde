//! The BN254 wrap: the last plonky2 layer re-proves the aggregation proof with
//! a Poseidon-over-BN254 hasher ([`poseidon_bn254`], [`final_layer`]), and
//! halo2 gadgets over BN254 ([`gadgets`]) re-check that proof's arithmetic,
//! hashing and Merkle paths so that a KZG proof can attest to it on L1;
//! [`instances`] fixes the public inputs that proof exposes to the L1
//! contracts, [`circuit`] puts the verifier and those instances together,
//! [`prove`] makes its keys and KZG proofs, and [`block`] applies it to the
//! aggregated block proofs ([`sample`] is a small stand-in statement).

pub mod block;
pub mod circuit;
pub mod final_layer;
pub mod gadgets;
pub mod instances;
pub mod poseidon_bn254;
pub mod prove;
pub mod sample;
