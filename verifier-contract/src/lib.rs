//! The L1 side: the Solidity verifier generated from a halo2 verifying key
//! ([`verifier`]), the `Rollup` contract that stores the state root and
//! accepts a batch only with a proof over the right public inputs
//! ([`rollup`], layout in [`prover::wrap::instances`]), the compiler that
//! builds them ([`solc`]), and an in-process chain that deploys and calls
//! them inside revm ([`evm`]); the wrap proof file ([`artifact`]) and settling
//! it on such a chain ([`settle`]); making a wrap proof file from a verified
//! aggregation root and checking one made elsewhere ([`wrap`]).

pub mod artifact;
pub mod evm;
pub mod rollup;
pub mod settle;
pub mod solc;
pub mod verifier;
pub mod wrap;
