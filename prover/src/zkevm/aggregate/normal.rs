//! The normal form of aggregation proofs: one shape of circuit (one
//! [`CommonCircuitData`]) for every proof a merge takes, so that one merge
//! circuit ([`mod@super::merge`]) merges any two of them, and the same two
//! hashes after the statement in every proof's public inputs ([`npi`]).
//!
//! A leaf circuit's shape depends on its chunk (table degrees, statement
//! sizes), so each leaf proof is re-proven by a **normaliser**
//! ([`NormalCircuit`]): a circuit that verifies proofs of one leaf circuit
//! (its verifier data are constants), exposes their statement, and is
//! padded to the normal shape. The block-to-batch circuit
//! ([`super::batch::BlockCircuit`]) is built in normal form directly. The
//! normal shape is the merge circuit's own: a merge verifies two proofs of
//! the shape it has, so [`NormalForm::build`] finds it as a fixed point
//! (build the merge against a guess, take its shape as the next guess).

use super::super::proof::{C, D};
use super::merge::MergeCircuit;
use super::{circuit_config, pi, PlonkProof};
use plonky2::field::types::Field;
use plonky2::gates::noop::NoopGate;
use plonky2::hash::hash_types::{HashOut, HashOutTarget};
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::{
    CircuitData, CommonCircuitData, VerifierCircuitData, VerifierCircuitTarget, VerifierOnlyCircuitData,
};
use plonky2::plonk::config::Hasher as _;
use plonky2::plonk::proof::ProofWithPublicInputsTarget;
use witness::F;

/// Log2 of the rows of every normal-form circuit.
pub const DEGREE_BITS: usize = 13;

/// Layout of a normal-form proof's public inputs: the statement ([`pi`]),
/// then the two tree hashes the merge circuit keeps ([`mod@super::merge`]).
pub mod npi {
    use super::pi;
    /// Start of the 4-element hash of the leaf-type circuits under the proof
    /// (for a leaf-type proof: zero, its own circuit stands for it).
    pub const LEAVES: usize = pi::NUM;
    /// Start of the 4-element hash of the merge circuit's verifier data
    /// (zero in a leaf-type proof).
    pub const MERGE: usize = LEAVES + 4;
    /// Number of public inputs.
    pub const NUM: usize = MERGE + 4;
}

/// Poseidon over a circuit's verifier data: its constants-and-sigmas cap,
/// then its circuit digest.
pub fn verifier_hash(verifier: &VerifierOnlyCircuitData<C, D>) -> HashOut<F> {
    let mut input: Vec<F> = verifier.constants_sigmas_cap.flatten();
    input.extend(verifier.circuit_digest.elements);
    PoseidonHash::hash_no_pad(&input)
}

/// [`verifier_hash`] in-circuit.
pub(crate) fn verifier_hash_circuit(b: &mut CircuitBuilder<F, D>, verifier: &VerifierCircuitTarget) -> HashOutTarget {
    let mut input: Vec<_> = verifier
        .constants_sigmas_cap
        .0
        .iter()
        .flat_map(|h| h.elements)
        .collect();
    input.extend(verifier.circuit_digest.elements);
    b.hash_n_to_hash_no_pad::<PoseidonHash>(input)
}

/// The normal-form public inputs of a leaf-type proof (a normaliser's, a
/// block circuit's) with statement public inputs `statement`: zero tree
/// hashes follow it (the merge stands the circuit's own hash in for them).
pub(crate) fn leaf_public_inputs(mut statement: Vec<F>) -> Vec<F> {
    statement.resize(npi::NUM, F::ZERO);
    statement
}

/// Gives the circuit under construction every gate of `common` and pads it
/// with no-op gates to `2^DEGREE_BITS` rows (the builder rounds its rows up to
/// a power of two, so padding past half of it suffices; what the build adds
/// for constants fits the other half).
pub(crate) fn pad_to_normal(b: &mut CircuitBuilder<F, D>, common: &CommonCircuitData<F, D>) {
    for gate in &common.gates {
        b.add_gate_to_gate_set(gate.clone());
    }
    while b.num_gates() <= 1 << (DEGREE_BITS - 1) {
        b.add_gate(NoopGate, vec![]);
    }
}

/// The normal shape and the merge circuit, which has it.
pub struct NormalForm {
    /// The common circuit data of every normal-form proof.
    pub common: CommonCircuitData<F, D>,
    /// The merge circuit.
    pub merge: MergeCircuit,
}

impl NormalForm {
    /// Finds the normal shape: the merge circuit built against the shape of
    /// a merge circuit built against ... , from a trivial circuit with the
    /// normal-form public inputs, until the shape repeats (two or three builds).
    pub fn build() -> Self {
        let mut guess = {
            let mut b = CircuitBuilder::<F, D>::new(circuit_config());
            let inputs = b.add_virtual_targets(npi::NUM);
            b.register_public_inputs(&inputs);
            b.build::<C>().common
        };
        for _ in 0..4 {
            let merge = MergeCircuit::build(&guess);
            if merge.data.common == guess {
                return Self { common: guess, merge };
            }
            guess = merge.data.common.clone();
        }
        unreachable!("the merge circuit's shape does not settle: it outgrows 2^{DEGREE_BITS} rows")
    }

    /// Builds the leaf-type circuit in `b` (which has registered its
    /// statement, [`pi`]) in normal form: registers its zero tree hashes
    /// ([`leaf_public_inputs`]), pads it and checks that its shape is the
    /// normal one (it fails when the circuit outgrows `2^DEGREE_BITS` rows
    /// or uses a gate the merge circuit does not).
    pub(crate) fn finish_leaf(&self, mut b: CircuitBuilder<F, D>) -> Result<CircuitData<F, C, D>, String> {
        let zero = b.zero();
        for _ in npi::LEAVES..npi::NUM {
            b.register_public_input(zero);
        }
        pad_to_normal(&mut b, &self.common);
        let data = b.build::<C>();
        if data.common != self.common {
            return Err(format!(
                "the circuit does not have the normal shape: 2^{} rows and {} gate types, against 2^{DEGREE_BITS} and {}",
                data.common.degree_bits(),
                data.common.gates.len(),
                self.common.gates.len()
            ));
        }
        Ok(data)
    }
}

/// A normaliser: re-proves proofs of one circuit (public inputs: [`pi`]) in
/// normal form, with zero tree hashes.
pub struct NormalCircuit {
    /// The circuit.
    pub data: CircuitData<F, C, D>,
    inner: ProofWithPublicInputsTarget<D>,
}

impl NormalCircuit {
    /// Builds the normaliser of proofs of `inner`.
    pub fn build(normal: &NormalForm, inner: &VerifierCircuitData<F, C, D>) -> Result<Self, String> {
        if inner.common.num_public_inputs != pi::NUM {
            return Err(format!(
                "a normaliser takes proofs with {} public inputs, this circuit has {}",
                pi::NUM,
                inner.common.num_public_inputs
            ));
        }
        let mut b = CircuitBuilder::<F, D>::new(circuit_config());
        let proof = b.add_virtual_proof_with_pis(&inner.common);
        let verifier = b.constant_verifier_data(&inner.verifier_only);
        b.verify_proof::<C>(&proof, &verifier, &inner.common);
        b.register_public_inputs(&proof.public_inputs);
        Ok(Self {
            data: normal.finish_leaf(b)?,
            inner: proof,
        })
    }

    /// Re-proves `inner` in normal form, and checks the result.
    pub fn prove(&self, inner: &PlonkProof) -> Result<PlonkProof, String> {
        let mut pw = PartialWitness::new();
        crate::guard::guarded("filling the normaliser witness", || {
            pw.set_proof_with_pis_target(&self.inner, inner)
                .map_err(|e| e.to_string())
        })?;
        super::circuits::prove_checked(&self.data, pw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_merge_circuit_has_the_normal_shape() {
        let normal = NormalForm::build();
        assert_eq!(normal.merge.data.common, normal.common);
        assert_eq!(normal.common.degree_bits(), DEGREE_BITS);
        assert_eq!(normal.common.num_public_inputs, npi::NUM);
    }

    /// Verifying a proof of 2^18 rows or more takes plonky2's exponentiation
    /// gate (for zeta^n), which the merge circuit carries for them: a
    /// normaliser of a leaf that large still has the normal shape.
    #[test]
    fn a_normaliser_of_a_large_leaf_has_the_normal_shape() {
        let normal = NormalForm::build();
        let mut b = CircuitBuilder::<F, D>::new(circuit_config());
        let statement = b.add_virtual_targets(pi::NUM);
        b.register_public_inputs(&statement);
        while b.num_gates() <= 1 << 17 {
            b.add_gate(NoopGate, vec![]);
        }
        let large = b.build::<C>();
        assert_eq!(large.common.degree_bits(), 18);
        let normaliser = NormalCircuit::build(&normal, &large.verifier_data()).expect("the normal shape");
        assert_eq!(normaliser.data.common, normal.common);
    }
}
