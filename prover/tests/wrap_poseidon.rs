//! The native Poseidon-over-BN254 hasher: its permutation against the
//! reference implementation, packing, digests, and plonky2's Merkle trees and
//! challenger running on it.

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::{Field as _, PrimeField};
use plonky2::field::goldilocks_field::GoldilocksField as F;
use plonky2::field::types::{Field, Field64, PrimeField64, Sample};
use plonky2::hash::hashing::PlonkyPermutation;
use plonky2::hash::merkle_proofs::verify_merkle_proof_to_cap;
use plonky2::hash::merkle_tree::MerkleTree;
use plonky2::iop::challenger::Challenger;
use plonky2::plonk::config::{GenericHashOut, Hasher};
use poseidon_primitives::poseidon::primitives::{ConstantLength, Hash as ReferencePoseidon};
use prover::wrap::poseidon_bn254::{
    limbs, pack, permute_fr, permute_gl, unpack, Bn254HashOut, PoseidonBn254Hash, PoseidonBn254Permutation,
    PoseidonBn254Spec, WIDTH_GL,
};
use rand_core::OsRng;

type H = PoseidonBn254Hash;

#[test]
fn permutation_matches_the_reference_implementation() {
    let reference = ReferencePoseidon::<Fr, PoseidonBn254Spec, ConstantLength<2>, 3, 2>::init();
    let mut states = vec![[Fr::ZERO; 3], [Fr::ONE, Fr::from(2), Fr::from(3)], [-Fr::ONE; 3]];
    states.extend((0..8).map(|_| [Fr::random(OsRng), Fr::random(OsRng), Fr::random(OsRng)]));
    for state in states {
        let mut ours = state;
        let mut theirs = state;
        permute_fr(&mut ours);
        reference.permute(&mut theirs);
        assert_eq!(ours, theirs, "permutation of {state:?}");
        assert_ne!(ours, state);
    }
}

#[test]
fn permutation_is_the_circomlib_poseidon() {
    // circomlib's poseidon([1, 2]) (t = 3): permute [0, 1, 2], output lane 0.
    let mut state = [Fr::ZERO, Fr::ONE, Fr::from(2)];
    permute_fr(&mut state);
    let expected =
        Fr::from_str_vartime("7853200120776062878684798364095072458815029376092732009249414926327459813530").unwrap();
    assert_eq!(state[0], expected);
}

#[test]
fn packing_is_injective_and_unpacking_inverts_it() {
    let mut triples = vec![[F::ZERO; 3], [F::NEG_ONE; 3], [F::ONE, F::ZERO, F::NEG_ONE]];
    triples.extend((0..8).map(|_| F::rand_array::<3>()));
    for t in triples {
        let packed = pack(&t);
        assert_eq!(unpack(packed), t);
        assert_eq!(limbs(packed)[3], 0);
    }
    // Fewer elements pack with zeros above them.
    let [a, b] = F::rand_array::<2>();
    assert_eq!(pack(&[a, b]), pack(&[a, b, F::ZERO]));
    assert_eq!(pack(&[]), Fr::ZERO);
    // Limbs at or above p reduce when unpacking (-1 = r - 1 has such limbs).
    let minus_one = limbs(-Fr::ONE);
    let expected: Vec<F> = minus_one[..3].iter().map(|&l| F::from_noncanonical_u64(l)).collect();
    assert_eq!(unpack(-Fr::ONE).to_vec(), expected);
}

#[test]
fn goldilocks_permutation_packs_permutes_and_unpacks() {
    let state: [F; WIDTH_GL] = F::rand_array();
    let mut lanes = [pack(&state[0..3]), pack(&state[3..6]), pack(&state[6..9])];
    permute_fr(&mut lanes);
    let expected: Vec<F> = lanes.iter().flat_map(|l| unpack(*l)).collect();
    assert_eq!(permute_gl(&state).to_vec(), expected);

    let mut perm = PoseidonBn254Permutation::new(state);
    assert_eq!(perm.as_ref(), &state);
    perm.permute();
    assert_eq!(perm.as_ref(), expected.as_slice());
    assert_eq!(
        perm.squeeze(),
        &expected[..<PoseidonBn254Permutation as PlonkyPermutation<F>>::RATE]
    );
}

#[test]
fn digests_are_deterministic_and_domain_separated() {
    let input = F::rand_vec(20);
    assert_eq!(H::hash_no_pad(&input), H::hash_no_pad(&input));
    let mut other = input.clone();
    other[19] += F::ONE;
    assert_ne!(H::hash_no_pad(&input), H::hash_no_pad(&other));
    // Trailing zeros change the length, hence the capacity: no collision.
    let mut padded = input[..18].to_vec();
    padded.push(F::ZERO);
    assert_ne!(H::hash_no_pad(&input[..18]), H::hash_no_pad(&padded));
    // The sponge: [len, 0, 0], chunks of six added to lanes 1 and 2, permute, lane 1.
    let mut state = [Fr::from(20), Fr::ZERO, Fr::ZERO];
    for chunk in input.chunks(6) {
        let (lo, hi) = chunk.split_at(chunk.len().min(3));
        state[1] += pack(lo);
        state[2] += pack(hi);
        permute_fr(&mut state);
    }
    assert_eq!(H::hash_no_pad(&input).to_fr(), state[1]);

    // hash_or_noop packs up to three elements and hashes four or more.
    assert_eq!(H::hash_or_noop(&input[..3]).to_fr(), pack(&input[..3]));
    assert_eq!(H::hash_or_noop(&input[..4]), H::hash_no_pad(&input[..4]));

    // two_to_one is ordered and matches the documented state.
    let (a, b) = (H::hash_no_pad(&input[..5]), H::hash_no_pad(&input[5..]));
    assert_ne!(H::two_to_one(a, b), H::two_to_one(b, a));
    let mut state = [Fr::from_u128(1 << 64), a.to_fr(), b.to_fr()];
    permute_fr(&mut state);
    assert_eq!(H::two_to_one(a, b).to_fr(), state[1]);
}

#[test]
fn digest_bytes_round_trip_and_reduce() {
    let d = H::hash_no_pad(&F::rand_vec(7));
    assert_eq!(Bn254HashOut::from_bytes(&d.to_bytes()), d);
    assert_eq!(d.to_bytes().len(), <H as Hasher<F>>::HASH_SIZE);
    // All-ones bytes exceed the modulus and reduce.
    let reduced = Bn254HashOut::from_bytes(&[0xff; 32]);
    let two_256_minus_1 =
        Fr::from_u128(u128::MAX) * Fr::from_u128(1 << 64) * Fr::from_u128(1 << 64) + Fr::from_u128(u128::MAX);
    assert_eq!(reduced.to_fr(), two_256_minus_1);
    // The Goldilocks view: three low limbs mod p and the top limb.
    let l = limbs(d.to_fr());
    let view = d.to_vec();
    assert_eq!(view.len(), 4);
    for i in 0..3 {
        assert_eq!(view[i], F::from_noncanonical_u64(l[i]));
    }
    assert_eq!(view[3].to_canonical_u64(), l[3]);
    assert!(l[3] < F::ORDER);
}

#[test]
fn merkle_trees_and_the_challenger_run_on_the_hasher() {
    let leaves: Vec<Vec<F>> = (0..32).map(|_| F::rand_vec(9)).collect();
    let tree = MerkleTree::<F, H>::new(leaves.clone(), 2);
    for index in [0, 13, 31] {
        let proof = tree.prove(index);
        assert_eq!(proof.siblings.len(), 3);
        verify_merkle_proof_to_cap(leaves[index].clone(), index, &tree.cap, &proof).unwrap();
        let mut bad = proof.clone();
        bad.siblings[1] = H::two_to_one(bad.siblings[1], bad.siblings[0]);
        assert!(verify_merkle_proof_to_cap(leaves[index].clone(), index, &tree.cap, &bad).is_err());
        assert!(verify_merkle_proof_to_cap(leaves[index].clone(), index ^ 1, &tree.cap, &proof).is_err());
    }

    let transcript = |x: F| {
        let mut c = Challenger::<F, H>::new();
        c.observe_cap(&tree.cap);
        c.observe_element(x);
        (c.get_challenge(), c.get_n_challenges(7))
    };
    let (a, b) = (F::rand(), F::rand());
    assert_eq!(transcript(a), transcript(a));
    assert_ne!(transcript(a), transcript(b));
}
