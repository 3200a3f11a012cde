//! The merge circuit: verifies two aggregation proofs whose circuits are
//! fixed at build time, checks that the left range ends where the right one
//! starts (transaction and state root), and exposes the joined range.

use super::super::proof::{C, D};
use super::{circuit_config, pi, PlonkProof};
use plonky2::hash::hash_types::HashOut;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::{CircuitData, VerifierCircuitData};
use plonky2::plonk::config::Hasher as _;
use plonky2::plonk::proof::ProofWithPublicInputsTarget;
use witness::F;

/// A built merge circuit for one (left circuit, right circuit) pair.
pub struct MergeCircuit {
    /// The circuit.
    pub data: CircuitData<F, C, D>,
    left: ProofWithPublicInputsTarget<D>,
    right: ProofWithPublicInputsTarget<D>,
}

/// The public inputs of a merge of two proofs with public inputs `left` and `right`
/// (what the circuit computes; used by the verifier to recompute the expected values).
pub fn merged_public_inputs(left: &[F], right: &[F]) -> Vec<F> {
    let mut out = vec![
        left[pi::FIRST_TX],
        right[pi::END_TX],
        left[pi::STEPS] + right[pi::STEPS],
    ];
    out.extend(merged_digest(left, right).elements);
    out.extend(&left[pi::OLD_ROOT..pi::NEW_ROOT]);
    out.extend(&right[pi::NEW_ROOT..pi::NUM]);
    out
}

fn merged_digest(left: &[F], right: &[F]) -> HashOut<F> {
    let mut input = left[pi::DIGEST..pi::OLD_ROOT].to_vec();
    input.extend(&right[pi::DIGEST..pi::OLD_ROOT]);
    PoseidonHash::hash_no_pad(&input)
}

impl MergeCircuit {
    /// Builds the merge of proofs of the `left` and `right` circuits.
    pub fn build(left: &VerifierCircuitData<F, C, D>, right: &VerifierCircuitData<F, C, D>) -> Self {
        let mut b = CircuitBuilder::<F, D>::new(circuit_config());
        let mut child = |vd: &VerifierCircuitData<F, C, D>| {
            let proof = b.add_virtual_proof_with_pis(&vd.common);
            let inner = b.constant_verifier_data(&vd.verifier_only);
            b.verify_proof::<C>(&proof, &inner, &vd.common);
            proof
        };
        let (l, r) = (child(left), child(right));
        let (lp, rp) = (&l.public_inputs, &r.public_inputs);
        // Continuity: the right proof starts where the left one ends.
        b.connect(lp[pi::END_TX], rp[pi::FIRST_TX]);
        for i in 0..4 {
            b.connect(lp[pi::NEW_ROOT + i], rp[pi::OLD_ROOT + i]);
        }
        let steps = b.add(lp[pi::STEPS], rp[pi::STEPS]);
        let mut digest_input = lp[pi::DIGEST..pi::OLD_ROOT].to_vec();
        digest_input.extend(&rp[pi::DIGEST..pi::OLD_ROOT]);
        let digest = b.hash_n_to_hash_no_pad::<PoseidonHash>(digest_input);
        b.register_public_input(lp[pi::FIRST_TX]);
        b.register_public_input(rp[pi::END_TX]);
        b.register_public_input(steps);
        b.register_public_inputs(&digest.elements);
        b.register_public_inputs(&lp[pi::OLD_ROOT..pi::NEW_ROOT]);
        b.register_public_inputs(&rp[pi::NEW_ROOT..pi::NUM]);
        Self {
            data: b.build::<C>(),
            left: l,
            right: r,
        }
    }

    /// Proves the merge of `left` and `right`, and checks the result against this circuit.
    pub fn prove(&self, left: &PlonkProof, right: &PlonkProof) -> Result<PlonkProof, String> {
        let mut pw = PartialWitness::new();
        crate::guard::guarded("filling the merge witness", || {
            pw.set_proof_with_pis_target(&self.left, left)
                .map_err(|e| e.to_string())?;
            pw.set_proof_with_pis_target(&self.right, right)
                .map_err(|e| e.to_string())
        })?;
        super::circuits::prove_checked(&self.data, pw)
    }
}
