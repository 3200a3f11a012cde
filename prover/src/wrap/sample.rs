//! A small plonky2 circuit with the wrapped statement's shape, for testing and
//! measuring the wrap before it is connected to the block proofs: its public
//! inputs are an old root (4 elements), a new root (4), a data hash (4) and a
//! chain id (1), and it proves `new_root = H(H(H(H(old_root ‖ data_hash) ‖
//! chain_id) ‖ chain_id) ‖ chain_id)` with plonky2's Poseidon, in the
//! standard recursion configuration (the configuration of our aggregation
//! proofs).

use super::circuit::WrapLayout;
use super::final_layer::{InnerConfig, InnerProof, D, F};
use plonky2::hash::hash_types::{HashOut, HashOutTarget};
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::target::Target;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::{CircuitConfig, CircuitData};

/// Where [`SampleCircuit`]'s statement sits in its public inputs.
pub const SAMPLE_LAYOUT: WrapLayout = WrapLayout {
    old_root: 0,
    new_root: 4,
    data_hash: 8,
    chain_id: 12,
};

/// The sample circuit.
pub struct SampleCircuit {
    /// Its plonky2 circuit data.
    pub data: CircuitData<F, InnerConfig, D>,
    old_root: HashOutTarget,
    data_hash: HashOutTarget,
    chain_id: Target,
}

impl Default for SampleCircuit {
    fn default() -> Self {
        Self::new()
    }
}

impl SampleCircuit {
    /// Builds the circuit.
    pub fn new() -> Self {
        let mut b = CircuitBuilder::<F, D>::new(CircuitConfig::standard_recursion_config());
        let old_root = b.add_virtual_hash();
        let data_hash = b.add_virtual_hash();
        let chain_id = b.add_virtual_target();
        let mut acc = b.hash_n_to_hash_no_pad::<PoseidonHash>([old_root.elements, data_hash.elements].concat());
        for _ in 0..3 {
            let mut input = acc.elements.to_vec();
            input.push(chain_id);
            acc = b.hash_n_to_hash_no_pad::<PoseidonHash>(input);
        }
        b.register_public_inputs(&old_root.elements);
        b.register_public_inputs(&acc.elements);
        b.register_public_inputs(&data_hash.elements);
        b.register_public_input(chain_id);
        Self {
            data: b.build::<InnerConfig>(),
            old_root,
            data_hash,
            chain_id,
        }
    }

    /// A proof for `old_root`, `data_hash` and `chain_id` (the new root follows).
    pub fn prove(&self, old_root: HashOut<F>, data_hash: HashOut<F>, chain_id: F) -> Result<InnerProof, String> {
        let mut pw = PartialWitness::new();
        pw.set_hash_target(self.old_root, old_root).map_err(witness_error)?;
        pw.set_hash_target(self.data_hash, data_hash).map_err(witness_error)?;
        pw.set_target(self.chain_id, chain_id).map_err(witness_error)?;
        self.data.prove(pw).map_err(|e| format!("sample proof: {e:#}"))
    }
}

fn witness_error(e: impl std::fmt::Display) -> String {
    format!("sample witness: {e:#}")
}
