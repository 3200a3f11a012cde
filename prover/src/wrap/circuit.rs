//! The wrap circuit: plonky2's verifier of a final-layer proof
//! ([`super::gadgets::verifier`]) followed by the public-input layer
//! ([`super::instances`]), which exposes the verified proof's old root, new
//! root, batch data hash and chain id as the seven instances the L1
//! contracts read.
//!
//! Which of the final proof's public inputs hold those values is the
//! circuit's [`WrapLayout`]: each word is four Goldilocks elements (64-bit
//! limbs, most significant first, as a Poseidon digest prints), the chain id
//! one element.

use super::final_layer::{FinalProof, OuterConfig, D, F};
use super::gadgets::verifier::{verify_final_proof, VerifierShapeError};
use super::instances::{expose, AssignedWord, WrapInstances};
use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_proofs::halo2curves::bn256::Fr;
use plonky2::field::types::PrimeField64;
use plonky2::plonk::circuit_data::{CommonCircuitData, VerifierOnlyCircuitData};

/// Goldilocks elements per 256-bit word.
const WORD_ELEMENTS: usize = 4;
/// Bits per element of a word.
const ELEMENT_BITS: usize = 64;

/// Where the wrapped statement sits in the final proof's public inputs:
/// the index of each word's first element (four consecutive elements) and
/// of the chain id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WrapLayout {
    /// The old state root.
    pub old_root: usize,
    /// The new state root.
    pub new_root: usize,
    /// The batch data hash.
    pub data_hash: usize,
    /// The chain id.
    pub chain_id: usize,
}

impl WrapLayout {
    /// The statement of `public_inputs` (as the contracts will see it), or
    /// `None` if they are too few for this layout.
    pub fn instances(&self, public_inputs: &[F]) -> Option<WrapInstances> {
        let word = |start: usize| -> Option<[u8; 32]> {
            let elements = public_inputs.get(start..start + WORD_ELEMENTS)?;
            let mut bytes = [0u8; 32];
            for (chunk, e) in bytes.chunks_mut(8).zip(elements) {
                chunk.copy_from_slice(&e.to_canonical_u64().to_be_bytes());
            }
            Some(bytes)
        };
        Some(WrapInstances {
            old_root: word(self.old_root)?,
            new_root: word(self.new_root)?,
            data_hash: word(self.data_hash)?,
            chain_id: public_inputs.get(self.chain_id)?.to_canonical_u64(),
        })
    }

    fn max_index(&self) -> usize {
        [
            self.old_root + WORD_ELEMENTS,
            self.new_root + WORD_ELEMENTS,
            self.data_hash + WORD_ELEMENTS,
            self.chain_id + 1,
        ]
        .into_iter()
        .max()
        .expect("four entries")
    }
}

/// Why a wrap circuit could not be built for a proof.
#[derive(Debug, thiserror::Error)]
pub enum WrapCircuitError {
    /// The proof does not fit the final layer's circuit.
    #[error(transparent)]
    Shape(#[from] VerifierShapeError),
    /// The layout points past the final layer's public inputs.
    #[error("wrap layout needs {needed} public inputs, the final layer has {has}")]
    Layout {
        /// What the layout reads.
        needed: usize,
        /// What the circuit has.
        has: usize,
    },
}

/// Assigns the wrap circuit for `proof` into `builder` (which must have one
/// instance column) and returns the statement its instances carry.
pub fn assign_wrap(
    builder: &mut BaseCircuitBuilder<Fr>,
    common: &CommonCircuitData<F, D>,
    verifier_only: &VerifierOnlyCircuitData<OuterConfig, D>,
    layout: WrapLayout,
    proof: &FinalProof,
) -> Result<WrapInstances, WrapCircuitError> {
    let needed = layout.max_index();
    if needed > common.num_public_inputs {
        return Err(WrapCircuitError::Layout {
            needed,
            has: common.num_public_inputs,
        });
    }
    let range = builder.range_chip();
    let ctx = builder.main(0);
    let public_inputs = verify_final_proof(ctx, &range, common, verifier_only, proof)?;
    let word = |start: usize| AssignedWord {
        limbs: public_inputs[start..start + WORD_ELEMENTS]
            .iter()
            .map(|x| x.cell())
            .collect(),
        limb_bits: ELEMENT_BITS,
    };
    let cells = expose(
        ctx,
        &range,
        &word(layout.old_root),
        &word(layout.new_root),
        &word(layout.data_hash),
        public_inputs[layout.chain_id].cell(),
    );
    builder.assigned_instances[0].extend(cells);
    Ok(layout
        .instances(&proof.public_inputs)
        .expect("the layout fits the public inputs, checked above"))
}
