//! The state tree in the leaf circuit: under the old root, each called
//! contract's code leaf holds its code hash; from the old root, each storage
//! slot, then each account field, of the statement is proven to hold its
//! `before` value and is set to its `after` value on the same path
//! ([`witness::state`] is the native definition this circuit mirrors, hash
//! for hash).

use super::super::proof::D;
use plonky2::field::types::Field;
use plonky2::hash::hash_types::{HashOutTarget, NUM_HASH_OUT_ELTS};
use plonky2::hash::hashing::PlonkyPermutation;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::target::{BoolTarget, Target};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::config::AlgebraicHasher;
use witness::state::{code_hash, CODE, DEPTH};
use witness::F;

/// Statement elements per storage slot or account field: the contract (20
/// bytes), then the key, the value before and the value after (32 bytes each).
pub const SLOT_ELEMENTS: usize = 20 + 3 * 32;

/// Packs big-endian bytes into 32-bit limbs, most significant first.
fn limbs(b: &mut CircuitBuilder<F, D>, bytes: &[Target]) -> Vec<Target> {
    let base = F::from_canonical_u32(256);
    bytes
        .chunks(4)
        .map(|four| {
            four[1..]
                .iter()
                .fold(four[0], |acc, &byte| b.mul_const_add(base, acc, byte))
        })
        .collect()
}

/// The leaf of a storage slot or account field holding the value with
/// limbs `value`: the empty leaf for zero, otherwise `Poseidon(key ‖ limbs)`.
fn value_leaf(b: &mut CircuitBuilder<F, D>, key: HashOutTarget, value: &[Target]) -> HashOutTarget {
    let mut input = key.elements.to_vec();
    input.extend(value);
    let hash = b.hash_n_to_hash_no_pad::<PoseidonHash>(input);
    // Limbs are below 2^32, so their sum (below 2^35) is zero only for a zero value.
    let sum = b.add_many(value);
    let zero = b.zero();
    let is_zero = b.is_equal(sum, zero);
    HashOutTarget {
        elements: hash.elements.map(|h| b.select(is_zero, zero, h)),
    }
}

/// The 64 bits of a key's position (its first element as a canonical
/// integer), lowest first.
fn position_bits(b: &mut CircuitBuilder<F, D>, key: HashOutTarget) -> Vec<BoolTarget> {
    let bits = b.split_le(key.elements[0], DEPTH);
    // The 64 bits must be the canonical representation (below the field
    // order 2^64 - 2^32 + 1): if the high half is all ones, the low half is zero.
    let low = b.le_sum(bits[..32].iter());
    let high = b.le_sum(bits[32..].iter());
    let all_ones = b.constant(F::from_canonical_u32(u32::MAX));
    let high_full = b.is_equal(high, all_ones);
    let overflow = b.mul(high_full.target, low);
    b.assert_zero(overflow);
    bits
}

/// A leaf's key, `Poseidon(kind ‖ address limbs ‖ slot limbs)`, and its position bits.
fn key_and_bits(
    b: &mut CircuitBuilder<F, D>,
    kind: u64,
    address: &[Target],
    slot: &[Target],
) -> (HashOutTarget, Vec<BoolTarget>) {
    let mut input = vec![b.constant(F::from_canonical_u64(kind))];
    input.extend(address);
    input.extend(slot);
    let key = b.hash_n_to_hash_no_pad::<PoseidonHash>(input);
    (key, position_bits(b, key))
}

/// The root a path leads to from `leaf`.
fn root_of(
    b: &mut CircuitBuilder<F, D>,
    leaf: HashOutTarget,
    bits: &[BoolTarget],
    path: &[HashOutTarget],
) -> HashOutTarget {
    let zero = b.zero();
    bits.iter().zip(path).fold(leaf, |node, (&bit, sibling)| {
        let mut state = <PoseidonHash as AlgebraicHasher<F>>::AlgebraicPermutation::new(std::iter::repeat(zero));
        state.set_from_slice(&node.elements, 0);
        state.set_from_slice(&sibling.elements, NUM_HASH_OUT_ELTS);
        let out = PoseidonHash::permute_swapped(state, bit, b);
        HashOutTarget::from_partial(&out.squeeze()[..NUM_HASH_OUT_ELTS], zero)
    })
}

/// A called contract's code leaf: the contract's address as five 32-bit
/// limbs, its code hash and the leaf's path.
pub struct CodeRead {
    /// The address limbs (most significant first).
    pub address: [Target; 5],
    /// The code hash ([`witness::state::code_hash`]).
    pub hash: HashOutTarget,
    /// The leaf's path.
    pub path: Vec<HashOutTarget>,
}

impl CodeRead {
    /// Number of values a code read holds: five address limbs and four code-hash elements.
    pub const VALUES: usize = 5 + 4;

    /// Its value targets in digest order: the address limbs, then the code hash.
    pub fn values(&self) -> Vec<Target> {
        let mut values = self.address.to_vec();
        values.extend(self.hash.elements);
        values
    }

    /// Virtual targets for one code read.
    pub fn add_virtual(b: &mut CircuitBuilder<F, D>) -> Self {
        Self {
            address: std::array::from_fn(|_| b.add_virtual_target()),
            hash: b.add_virtual_hash(),
            path: b.add_virtual_hashes(DEPTH),
        }
    }

    /// Constrains the code leaf to be in the tree of `root`: the empty leaf
    /// when the code hash is that of no code.
    pub fn check(&self, b: &mut CircuitBuilder<F, D>, root: HashOutTarget) {
        let zero = b.zero();
        let (key, bits) = key_and_bits(b, CODE, &self.address, &[zero; 8]);
        let mut leaf_input = key.elements.to_vec();
        leaf_input.extend(self.hash.elements);
        let hashed = b.hash_n_to_hash_no_pad::<PoseidonHash>(leaf_input);
        let no_code = code_hash(&[]);
        let mut empty = b._true();
        for (&h, &e) in self.hash.elements.iter().zip(&no_code.elements) {
            let e = b.constant(e);
            let same = b.is_equal(h, e);
            empty = b.and(empty, same);
        }
        let leaf = HashOutTarget {
            elements: hashed.elements.map(|h| b.select(empty, zero, h)),
        };
        let reached = root_of(b, leaf, &bits, &self.path);
        b.connect_hashes(reached, root);
    }
}

/// Constrains the transition from `old_root` through the storage slots or
/// account fields (`kind`; `slots`: [`SLOT_ELEMENTS`] statement elements
/// each) with their paths, and returns the new root.
pub fn slot_transition(
    b: &mut CircuitBuilder<F, D>,
    kind: u64,
    old_root: HashOutTarget,
    slots: &[Target],
    paths: &[Vec<HashOutTarget>],
) -> HashOutTarget {
    let mut root = old_root;
    for (slot, path) in slots.chunks(SLOT_ELEMENTS).zip(paths) {
        let (address, words) = slot.split_at(20);
        let (address, key) = (limbs(b, address), limbs(b, &words[..32]));
        let (key, bits) = key_and_bits(b, kind, &address, &key);
        let before = limbs(b, &words[32..64]);
        let after = limbs(b, &words[64..]);
        let before_leaf = value_leaf(b, key, &before);
        let reached = root_of(b, before_leaf, &bits, path);
        b.connect_hashes(reached, root);
        let after_leaf = value_leaf(b, key, &after);
        root = root_of(b, after_leaf, &bits, path);
    }
    root
}
