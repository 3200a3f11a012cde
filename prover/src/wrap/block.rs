//! Wrapping an aggregated block proof or a batch proof of consecutive
//! blocks ([`crate::zkevm::aggregate`]; both have the same public inputs).
//!
//! The statement the L1 contracts check comes from the root proof's public
//! inputs ([`crate::zkevm::aggregate::pi`]): the state roots before and after
//! the proven transactions, and as the batch data hash the aggregation's
//! statement digest, the Poseidon commitment to every transaction's data
//! (id, code, callee, caller, value, call data, starting gas) and to the
//! instruction and call-context tuples the tables were checked against
//! ([`aggregated_public_inputs`] recomputes it from the chunk statements;
//! for a batch, the digest of the blocks' digests with their numbers,
//! [`batch_public_inputs`]).
//! Block proofs carry no chain id, so the final layer appends it as a
//! constant: the wrap keys, and so the Solidity verifier, are made for one
//! chain.
//!
//! The final layer bakes in the root circuit's verifier data and pins the
//! root's tree hashes ([`crate::zkevm::aggregate::normal`]), which depend on
//! the leaf circuits under it and so on the chunk shapes of the block: the
//! keys are made for one set of leaf shapes in one tree; a deployment that
//! takes every block with one verifier needs fixed leaf shapes (see the
//! README's L1 section).

use super::circuit::WrapLayout;
use super::final_layer::{FinalLayer, F};
use crate::zkevm::aggregate::normal::npi;
use crate::zkevm::aggregate::pi;
use crate::zkevm::proof::{C, D};
use plonky2::field::types::{Field, Field64};
use plonky2::plonk::circuit_data::VerifierCircuitData;

pub use crate::zkevm::aggregate::batch::batch_public_inputs;
pub use crate::zkevm::aggregate::tree::aggregated_public_inputs;

/// Where the statement sits in a block proof's final layer: the root
/// proof's public inputs, then the appended chain id.
pub const BLOCK_LAYOUT: WrapLayout = WrapLayout {
    old_root: pi::OLD_ROOT,
    new_root: pi::NEW_ROOT,
    data_hash: pi::DIGEST,
    chain_id: pi::NUM,
};

/// A chain id the statement cannot hold (it must be a Goldilocks element).
#[derive(Debug, thiserror::Error)]
#[error("chain id {0} does not fit a Goldilocks element (it must be below 2^64 - 2^32 + 1)")]
pub struct ChainIdTooLarge(pub u64);

/// The final layer for proofs of the root circuit `root` (a block's or a
/// batch's, from [`crate::zkevm::aggregate::VerifierData`] or
/// [`crate::zkevm::aggregate::BatchVerifierData`]) whose public inputs are
/// `public_inputs` (the verifier data's: their tree hashes are pinned, the
/// statement exposed) on chain `chain_id`.
pub fn block_final_layer(
    root: &VerifierCircuitData<F, C, D>,
    public_inputs: &[F],
    chain_id: u64,
) -> Result<FinalLayer, ChainIdTooLarge> {
    if chain_id >= F::ORDER {
        return Err(ChainIdTooLarge(chain_id));
    }
    Ok(FinalLayer::build_pinned(
        &root.common,
        &root.verifier_only,
        FinalLayer::wrap_config(),
        &public_inputs[npi::LEAVES..],
        &[F::from_canonical_u64(chain_id)],
    ))
}
