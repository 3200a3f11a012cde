//! The circuits of an aggregation tree, built on demand and reused: one leaf
//! circuit and one normaliser per [`LeafShape`], one block circuit per block
//! root circuit and tree hashes, and the normal form with its one merge circuit.

use super::super::proof::{C, D};
use super::batch::BlockCircuit;
use super::leaf::{LeafCircuit, LeafShape};
use super::normal::{NormalCircuit, NormalForm};
use super::PlonkProof;
use crate::guard::guarded;
use plonky2::hash::hash_types::HashOut;
use plonky2::iop::witness::PartialWitness;
use plonky2::plonk::circuit_data::{CircuitData, VerifierCircuitData};
use std::collections::HashMap;
use std::sync::Arc;
use witness::F;

/// Cache of built circuits. Building is deterministic, so a prover and a
/// verifier that build the same shapes get the same circuits. The circuits
/// are shared (`Arc`), so a long-lived service can keep one cache behind a
/// lock and prove outside it.
#[derive(Default)]
pub struct Circuits {
    normal: Option<Arc<NormalForm>>,
    leaves: HashMap<LeafShape, Arc<LeafCircuit>>,
    normalisers: HashMap<LeafShape, Arc<NormalCircuit>>,
    blocks: HashMap<(HashOut<F>, Vec<F>), Arc<BlockCircuit>>,
}

impl Circuits {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The normal form and the merge circuit, building them on first use.
    pub fn normal(&mut self) -> Arc<NormalForm> {
        self.normal.get_or_insert_with(|| Arc::new(NormalForm::build())).clone()
    }

    /// The leaf circuit of `shape`, building it on first use.
    pub fn leaf(&mut self, shape: LeafShape) -> Arc<LeafCircuit> {
        self.leaves
            .entry(shape)
            .or_insert_with(|| Arc::new(LeafCircuit::build(shape)))
            .clone()
    }

    /// The normaliser of the leaf circuit of `shape`, building both on first use.
    pub fn normaliser(&mut self, shape: LeafShape) -> Result<Arc<NormalCircuit>, String> {
        if let Some(circuit) = self.normalisers.get(&shape) {
            return Ok(circuit.clone());
        }
        let leaf = self.leaf(shape).data.verifier_data();
        let circuit = Arc::new(NormalCircuit::build(&self.normal(), &leaf)?);
        self.normalisers.insert(shape, circuit.clone());
        Ok(circuit)
    }

    /// The block circuit taking proofs of the block root circuit `root`,
    /// whose tree hashes are `tree` (public inputs [`super::normal::npi::LEAVES`]
    /// on), into batch form, building it on first use.
    pub fn block(&mut self, root: &VerifierCircuitData<F, C, D>, tree: &[F]) -> Result<Arc<BlockCircuit>, String> {
        let key = (root.verifier_only.circuit_digest, tree.to_vec());
        if let Some(circuit) = self.blocks.get(&key) {
            return Ok(circuit.clone());
        }
        let circuit = Arc::new(BlockCircuit::build(&self.normal(), root, tree)?);
        self.blocks.insert(key, circuit.clone());
        Ok(circuit)
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
