//! The merge circuit: verifies two normal-form proofs ([`super::normal`])
//! of whatever circuits made them, checks that the left range ends where the
//! right one starts (transaction or block, and state root), and exposes the
//! joined range in normal form.
//!
//! Its children's verifier data are witnesses, not constants, so one merge
//! circuit merges every pair: leaves with leaves, merges with leaves, merges
//! with merges, at any level of any tree. What binds the children to the
//! right circuits are the two tree hashes every normal-form proof exposes
//! ([`super::normal::npi`]):
//!
//! - a child whose verifier data hash to the proof's own `MERGE` hash is a
//!   merge proof; its `MERGE` hash must then be the same, and its `LEAVES`
//!   hash is taken as it is;
//! - any other child is a leaf-type proof (a normalised chunk leaf, a block
//!   in batch form): its `LEAVES` hash is the hash of its verifier data.
//!
//! The proof's `LEAVES` hash is `Poseidon(left leaves ‖ right leaves)`: the
//! tree of the leaf-type circuits under it, in order. The verifier rebuilds
//! that tree from the chunk layouts and checks both hashes
//! ([`super::verify`]), so every proof under a root that passes is a merge
//! proof or a proof of the leaf-type circuit the verifier expects there.

use super::super::proof::{C, D};
use super::normal::{npi, pad_to_normal, verifier_hash, verifier_hash_circuit};
use super::{circuit_config, pi, PlonkProof};
use plonky2::gates::exponentiation::ExponentiationGate;
use plonky2::gates::gate::GateRef;
use plonky2::hash::hash_types::{HashOut, HashOutTarget};
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::target::{BoolTarget, Target};
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::{CircuitData, CommonCircuitData, VerifierCircuitTarget, VerifierOnlyCircuitData};
use plonky2::plonk::config::Hasher as _;
use plonky2::plonk::proof::ProofWithPublicInputsTarget;
use witness::F;

/// The statement public inputs ([`pi`]) of a merge of two proofs with
/// statement public inputs `left` and `right` (what the circuit computes).
pub fn merged_public_inputs(left: &[F], right: &[F]) -> Vec<F> {
    let mut out = vec![
        left[pi::FIRST_TX],
        right[pi::END_TX],
        left[pi::STEPS] + right[pi::STEPS],
    ];
    let mut digest_input = left[pi::DIGEST..pi::OLD_ROOT].to_vec();
    digest_input.extend(&right[pi::DIGEST..pi::OLD_ROOT]);
    out.extend(PoseidonHash::hash_no_pad(&digest_input).elements);
    out.extend(&left[pi::OLD_ROOT..pi::NEW_ROOT]);
    out.extend(&right[pi::NEW_ROOT..pi::NUM]);
    out
}

/// A child of a merge as the verifier sees it: the verifier data of its
/// circuit and its normal-form public inputs.
pub struct MergeInput<'a> {
    /// Its circuit's verifier data.
    pub verifier: &'a VerifierOnlyCircuitData<C, D>,
    /// Its public inputs ([`npi`]).
    pub public_inputs: &'a [F],
}

impl MergeInput<'_> {
    /// The `LEAVES` hash this child contributes: its own when it is a proof
    /// of the merge circuit `merge`, the hash of its verifier data otherwise.
    fn leaves(&self, merge: HashOut<F>) -> HashOut<F> {
        let hash = verifier_hash(self.verifier);
        if hash == merge {
            HashOut::from_partial(&self.public_inputs[npi::LEAVES..npi::MERGE])
        } else {
            hash
        }
    }
}

/// The normal-form public inputs of the merge circuit with verifier-data
/// hash `merge` over `left` and `right` (what the circuit computes).
pub fn merged_normal_public_inputs(merge: HashOut<F>, left: &MergeInput, right: &MergeInput) -> Vec<F> {
    let mut out = merged_public_inputs(&left.public_inputs[..pi::NUM], &right.public_inputs[..pi::NUM]);
    let mut leaves = left.leaves(merge).elements.to_vec();
    leaves.extend(right.leaves(merge).elements);
    out.extend(PoseidonHash::hash_no_pad(&leaves).elements);
    out.extend(merge.elements);
    out
}

/// One verified child: its proof, its circuit's verifier data, and whether
/// it is a merge proof.
struct Child {
    proof: ProofWithPublicInputsTarget<D>,
    verifier: VerifierCircuitTarget,
    is_merge: BoolTarget,
}

/// The merge circuit.
pub struct MergeCircuit {
    /// The circuit.
    pub data: CircuitData<F, C, D>,
    /// The hash of its own verifier data ([`verifier_hash`]): its proofs' `MERGE` hash.
    pub hash: HashOut<F>,
    left: Child,
    right: Child,
    merge: HashOutTarget,
}

/// `a == b` wherever `condition` holds.
fn connect_if(b: &mut CircuitBuilder<F, D>, condition: BoolTarget, x: Target, y: Target) {
    let difference = b.sub(x, y);
    let product = b.mul(condition.target, difference);
    b.assert_zero(product);
}

impl MergeCircuit {
    /// Builds the merge of two proofs with common data `common`, padded to
    /// [`super::normal::DEGREE_BITS`]; its own common data equals `common`
    /// when `common` is the normal form ([`super::normal::NormalForm::build`]
    /// finds that fixed point).
    pub fn build(common: &CommonCircuitData<F, D>) -> Self {
        let mut b = CircuitBuilder::<F, D>::new(circuit_config());
        let merge = b.add_virtual_hash();
        let child = |b: &mut CircuitBuilder<F, D>| {
            let proof = b.add_virtual_proof_with_pis(common);
            let verifier = b.add_virtual_verifier_data(common.config.fri_config.cap_height);
            b.verify_proof::<C>(&proof, &verifier, common);
            let is_merge = b.add_virtual_bool_target_safe();
            Child {
                proof,
                verifier,
                is_merge,
            }
        };
        let (left, right) = (child(&mut b), child(&mut b));
        let mut leaves = Vec::with_capacity(8);
        for c in [&left, &right] {
            let hash = verifier_hash_circuit(&mut b, &c.verifier);
            let pis = &c.proof.public_inputs;
            for i in 0..4 {
                // A merge child is a proof of this very circuit, under the same hash.
                connect_if(&mut b, c.is_merge, hash.elements[i], merge.elements[i]);
                connect_if(&mut b, c.is_merge, pis[npi::MERGE + i], merge.elements[i]);
                leaves.push(b.select(c.is_merge, pis[npi::LEAVES + i], hash.elements[i]));
            }
        }
        let (lp, rp) = (&left.proof.public_inputs, &right.proof.public_inputs);
        // Continuity: the right proof starts where the left one ends.
        b.connect(lp[pi::END_TX], rp[pi::FIRST_TX]);
        for i in 0..4 {
            b.connect(lp[pi::NEW_ROOT + i], rp[pi::OLD_ROOT + i]);
        }
        let steps = b.add(lp[pi::STEPS], rp[pi::STEPS]);
        let mut digest_input = lp[pi::DIGEST..pi::OLD_ROOT].to_vec();
        digest_input.extend(&rp[pi::DIGEST..pi::OLD_ROOT]);
        let digest = b.hash_n_to_hash_no_pad::<PoseidonHash>(digest_input);
        let leaves = b.hash_n_to_hash_no_pad::<PoseidonHash>(leaves);
        b.register_public_input(lp[pi::FIRST_TX]);
        b.register_public_input(rp[pi::END_TX]);
        b.register_public_input(steps);
        b.register_public_inputs(&digest.elements);
        b.register_public_inputs(&lp[pi::OLD_ROOT..pi::NEW_ROOT]);
        b.register_public_inputs(&rp[pi::NEW_ROOT..pi::NUM]);
        b.register_public_inputs(&leaves.elements);
        b.register_public_inputs(&merge.elements);
        // Normalisers of leaves of 2^18 rows or more verify zeta^n with the
        // exponentiation gate; the normal shape carries it for them.
        b.add_gate_to_gate_set(GateRef::new(ExponentiationGate::new_from_config(&circuit_config())));
        pad_to_normal(&mut b, common);
        let data = b.build::<C>();
        Self {
            hash: verifier_hash(&data.verifier_only),
            data,
            left,
            right,
            merge,
        }
    }

    /// Proves the merge of `left` and `right` (each a normal-form proof and
    /// its circuit's verifier data), and checks the result against this circuit.
    pub fn prove(
        &self,
        left: (&PlonkProof, &VerifierOnlyCircuitData<C, D>),
        right: (&PlonkProof, &VerifierOnlyCircuitData<C, D>),
    ) -> Result<PlonkProof, String> {
        let mut pw = PartialWitness::new();
        crate::guard::guarded("filling the merge witness", || {
            for (target, (proof, verifier)) in [(&self.left, left), (&self.right, right)] {
                pw.set_proof_with_pis_target(&target.proof, proof)
                    .map_err(|e| e.to_string())?;
                pw.set_verifier_data_target(&target.verifier, verifier)
                    .map_err(|e| e.to_string())?;
                pw.set_bool_target(target.is_merge, verifier_hash(verifier) == self.hash)
                    .map_err(|e| e.to_string())?;
            }
            pw.set_hash_target(self.merge, self.hash).map_err(|e| e.to_string())
        })?;
        let proof = super::circuits::prove_checked(&self.data, pw)?;
        debug_assert_eq!(proof.public_inputs.len(), npi::NUM);
        debug_assert_eq!(proof.public_inputs[npi::MERGE..], self.hash.elements);
        Ok(proof)
    }
}

#[cfg(test)]
mod tests {
    use super::super::normal::{NormalCircuit, NormalForm};
    use super::*;
    use plonky2::field::types::Field;
    use plonky2::plonk::circuit_data::VerifierCircuitData;

    /// A stand-in for a leaf circuit: its public inputs are a statement
    /// ([`pi`]) the prover chooses; `rounds` squarings make circuits of
    /// different shapes.
    fn stand_in(rounds: usize) -> CircuitData<F, C, D> {
        let mut b = CircuitBuilder::<F, D>::new(circuit_config());
        let statement = b.add_virtual_targets(pi::NUM);
        b.register_public_inputs(&statement);
        let mut x = statement[pi::STEPS];
        for _ in 0..rounds {
            x = b.mul(x, x);
        }
        let square = b.add_virtual_target();
        b.connect(x, square);
        b.build::<C>()
    }

    /// The statement of transactions `first..end` from root `old` to root `new`.
    fn statement(first: u64, end: u64, old: u64, new: u64) -> Vec<F> {
        let f = F::from_canonical_u64;
        let mut out = vec![f(first), f(end), F::ONE];
        out.extend([f(100 + first); 4]);
        out.extend([f(old); 4]);
        out.extend([f(new); 4]);
        out
    }

    /// A normal-form proof of `statement` through the stand-in `inner`.
    fn normal_leaf(
        normal: &NormalForm,
        inner: &CircuitData<F, C, D>,
        statement: &[F],
    ) -> (PlonkProof, VerifierCircuitData<F, C, D>) {
        let mut pw = PartialWitness::new();
        let targets: Vec<_> = (0..pi::NUM).map(|i| inner.prover_only.public_inputs[i]).collect();
        pw.set_target_arr(&targets, statement).unwrap();
        let proof = inner.prove(pw).unwrap();
        let normaliser = NormalCircuit::build(normal, &inner.verifier_data()).unwrap();
        (normaliser.prove(&proof).unwrap(), normaliser.data.verifier_data())
    }

    fn input<'a>(node: &'a (PlonkProof, VerifierCircuitData<F, C, D>)) -> MergeInput<'a> {
        MergeInput {
            verifier: &node.1.verifier_only,
            public_inputs: &node.0.public_inputs,
        }
    }

    #[test]
    fn one_merge_circuit_merges_leaves_of_any_shape_and_merges() {
        let normal = NormalForm::build();
        let merge = &normal.merge;
        let (a, b) = (stand_in(1), stand_in(3000));
        assert_ne!(a.common.degree_bits(), b.common.degree_bits());
        let first = normal_leaf(&normal, &a, &statement(0, 2, 7, 8));
        let second = normal_leaf(&normal, &b, &statement(2, 3, 8, 9));
        let third = normal_leaf(&normal, &a, &statement(3, 5, 9, 10));
        let node = |proof: PlonkProof| (proof, merge.data.verifier_data());

        let pair = merge
            .prove((&first.0, &first.1.verifier_only), (&second.0, &second.1.verifier_only))
            .unwrap();
        let pair = node(pair);
        assert_eq!(
            pair.0.public_inputs,
            merged_normal_public_inputs(merge.hash, &input(&first), &input(&second))
        );
        let whole = merge
            .prove((&pair.0, &merge.data.verifier_only), (&third.0, &third.1.verifier_only))
            .unwrap();
        let whole = node(whole);
        merge.data.verify(whole.0.clone()).unwrap();
        let expected = merged_normal_public_inputs(merge.hash, &input(&pair), &input(&third));
        assert_eq!(whole.0.public_inputs, expected);
        assert_eq!(whole.0.public_inputs[..pi::NUM], {
            let left = merged_public_inputs(&statement(0, 2, 7, 8), &statement(2, 3, 8, 9));
            merged_public_inputs(&left, &statement(3, 5, 9, 10))
        });
        // The leaves hash names the leaf circuits in order: the second leaf
        // proven by the first stand-in instead is another tree.
        let swapped = normal_leaf(&normal, &a, &statement(2, 3, 8, 9));
        let other = merged_normal_public_inputs(merge.hash, &input(&first), &input(&swapped));
        assert_ne!(
            other[npi::LEAVES..npi::MERGE],
            pair.0.public_inputs[npi::LEAVES..npi::MERGE]
        );
        assert_eq!(other[..npi::LEAVES], pair.0.public_inputs[..npi::LEAVES]);
    }

    #[test]
    fn a_merge_refuses_a_gap_and_a_leaf_passed_off_as_a_merge() {
        let normal = NormalForm::build();
        let merge = &normal.merge;
        let a = stand_in(1);
        let first = normal_leaf(&normal, &a, &statement(0, 2, 7, 8));
        let apart = normal_leaf(&normal, &a, &statement(3, 4, 8, 9));
        let error = merge
            .prove((&first.0, &first.1.verifier_only), (&apart.0, &apart.1.verifier_only))
            .unwrap_err();
        assert!(error.contains("prov"), "{error}");

        // A leaf claimed to be a merge proof, so that its (zero) leaves hash
        // would stand in for its circuit.
        let second = normal_leaf(&normal, &a, &statement(2, 3, 8, 9));
        let mut pw = PartialWitness::new();
        for (target, (proof, verifier)) in [(&merge.left, &first), (&merge.right, &second)] {
            pw.set_proof_with_pis_target(&target.proof, proof).unwrap();
            pw.set_verifier_data_target(&target.verifier, &verifier.verifier_only)
                .unwrap();
            pw.set_bool_target(target.is_merge, true).unwrap();
        }
        pw.set_hash_target(merge.merge, merge.hash).unwrap();
        let forged = crate::guard::guarded("proving", || merge.data.prove(pw).map_err(|e| e.to_string()));
        assert!(
            forged.is_err() || merge.data.verify(forged.unwrap()).is_err(),
            "a leaf passed off as a merge proof must not prove"
        );
    }
}
