//! Merkle paths of the final layer's trees (plonky2's `MerkleTree` under
//! [`PoseidonBn254Hash`]) checked against a Merkle cap, as the FRI query
//! rounds will need.
//!
//! Mirrors plonky2's `verify_merkle_proof_to_cap`: the leaf is hashed with
//! `hash_or_noop`; at each level the low bit of the index says whether the
//! current digest is the right child (`two_to_one(sibling, current)`) or the
//! left one (`two_to_one(current, sibling)`); the remaining index bits select
//! the cap entry the result must equal.

use super::goldilocks::AssignedGoldilocks;
use super::poseidon::{AssignedDigest, PoseidonBn254Chip};
use crate::wrap::poseidon_bn254::{Bn254HashOut, PoseidonBn254Hash};
use halo2_base::gates::{GateInstructions, RangeInstructions};
use halo2_base::{AssignedValue, Context};
use halo2_proofs::halo2curves::bn256::Fr;
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::hash::merkle_proofs::MerkleProof;
use plonky2::hash::merkle_tree::MerkleCap;

/// Merkle-path gadgets over the Poseidon-BN254 chip.
#[derive(Clone, Debug)]
pub struct MerkleChip<'a> {
    poseidon: PoseidonBn254Chip<'a>,
}

impl<'a> MerkleChip<'a> {
    /// A chip over `poseidon`.
    pub fn new(poseidon: PoseidonBn254Chip<'a>) -> Self {
        Self { poseidon }
    }

    /// The Poseidon chip.
    pub fn poseidon(&self) -> &PoseidonBn254Chip<'a> {
        &self.poseidon
    }

    /// A digest as a witness (any `Fr` is a digest, so no check is needed).
    pub fn load_digest(&self, ctx: &mut Context<Fr>, digest: Bn254HashOut) -> AssignedDigest {
        ctx.load_witness(digest.to_fr())
    }

    /// A proof's siblings as witnesses, leaf level first.
    pub fn load_proof(
        &self,
        ctx: &mut Context<Fr>,
        proof: &MerkleProof<GoldilocksField, PoseidonBn254Hash>,
    ) -> Vec<AssignedDigest> {
        proof.siblings.iter().map(|s| self.load_digest(ctx, *s)).collect()
    }

    /// A cap as witnesses.
    pub fn load_cap(
        &self,
        ctx: &mut Context<Fr>,
        cap: &MerkleCap<GoldilocksField, PoseidonBn254Hash>,
    ) -> Vec<AssignedDigest> {
        cap.0.iter().map(|s| self.load_digest(ctx, *s)).collect()
    }

    /// Constrains `leaf` to sit at `leaf_index` under `cap`, with `siblings`
    /// from the leaf level up. `leaf_index` is constrained to fit in
    /// `siblings.len() + log2(cap.len())` bits.
    ///
    /// # Panics
    /// If the cap's length is not a power of two (a circuit-shape bug).
    pub fn verify_merkle_proof_to_cap(
        &self,
        ctx: &mut Context<Fr>,
        leaf: &[AssignedGoldilocks],
        leaf_index: AssignedValue<Fr>,
        siblings: &[AssignedDigest],
        cap: &[AssignedDigest],
    ) {
        assert!(cap.len().is_power_of_two(), "a Merkle cap has 2^cap_height entries");
        let gate = self.poseidon.goldilocks().range().gate();
        let cap_height = cap.len().trailing_zeros() as usize;
        let bits = gate.num_to_bits(ctx, leaf_index, siblings.len() + cap_height);
        let mut current = self.poseidon.hash_or_noop(ctx, leaf);
        for (bit, sibling) in bits.iter().zip(siblings) {
            let left = gate.select(ctx, *sibling, current, *bit);
            let right = gate.select(ctx, current, *sibling, *bit);
            current = self.poseidon.two_to_one(ctx, left, right);
        }
        let root = if cap_height == 0 {
            cap[0]
        } else {
            let indicator = gate.bits_to_indicator(ctx, &bits[siblings.len()..]);
            gate.select_by_indicator(ctx, cap.iter().copied(), indicator)
        };
        ctx.constrain_equal(&current, &root);
    }
}
