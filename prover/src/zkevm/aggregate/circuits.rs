//! The circuits of an aggregation tree, built on demand and reused: one leaf
//! circuit per [`LeafShape`], one merge circuit per pair of child circuits,
//! one block circuit per block root circuit.

use super::super::proof::{C, D};
use super::batch::BlockCircuit;
use super::leaf::{LeafCircuit, LeafShape};
use super::merge::MergeCircuit;
use super::PlonkProof;
use crate::guard::guarded;
use plonky2::hash::hash_types::HashOut;
use plonky2::iop::witness::PartialWitness;
use plonky2::plonk::circuit_data::{CircuitData, VerifierCircuitData};
use std::collections::HashMap;
use std::sync::Arc;
use witness::F;

/// Cache of built leaf and merge circuits. Building is deterministic, so a
/// prover and a verifier that build the same shapes get the same circuits.
/// The circuits are shared (`Arc`), so a long-lived service can keep one
/// cache behind a lock and prove outside it.
#[derive(Default)]
pub struct Circuits {
    leaves: HashMap<LeafShape, Arc<LeafCircuit>>,
    merges: HashMap<(HashOut<F>, HashOut<F>), Arc<MergeCircuit>>,
    blocks: HashMap<HashOut<F>, Arc<BlockCircuit>>,
}

impl Circuits {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The leaf circuit of `shape`, building it on first use.
    pub fn leaf(&mut self, shape: LeafShape) -> Arc<LeafCircuit> {
        self.leaves
            .entry(shape)
            .or_insert_with(|| Arc::new(LeafCircuit::build(shape)))
            .clone()
    }

    /// The merge circuit of proofs of `left` and `right`, building it on first use.
    pub fn merge(
        &mut self,
        left: &VerifierCircuitData<F, C, D>,
        right: &VerifierCircuitData<F, C, D>,
    ) -> Arc<MergeCircuit> {
        let key = (left.verifier_only.circuit_digest, right.verifier_only.circuit_digest);
        self.merges
            .entry(key)
            .or_insert_with(|| Arc::new(MergeCircuit::build(left, right)))
            .clone()
    }

    /// The block circuit taking proofs of the block root circuit `root`
    /// into batch form, building it on first use.
    pub fn block(&mut self, root: &VerifierCircuitData<F, C, D>) -> Arc<BlockCircuit> {
        self.blocks
            .entry(root.verifier_only.circuit_digest)
            .or_insert_with(|| Arc::new(BlockCircuit::build(root)))
            .clone()
    }
}

/// Proves `data` on the witness `pw` and verifies the result: a witness that
/// violates a gate constraint without a conflicting copy yields a proof that
/// does not verify, which is reported as an error here.
pub(crate) fn prove_checked(data: &CircuitData<F, C, D>, pw: PartialWitness<F>) -> Result<PlonkProof, String> {
    let proof = guarded("proving", || data.prove(pw).map_err(|e| format!("{e:#}")))?;
    data.verify(proof.clone())
        .map_err(|e| format!("the proof does not verify: {e:#}"))?;
    Ok(proof)
}
