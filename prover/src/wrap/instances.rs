//! The wrap proof's public inputs: what the L1 rollup contract checks, laid
//! out as the halo2 instance column the Solidity verifier reads.
//!
//! Three 32-byte words and the chain id, as [`NUM_INSTANCES`] BN254 scalars:
//!
//! | instance | value |
//! |---|---|
//! | 0, 1 | old state root: top 128 bits, bottom 128 bits |
//! | 2, 3 | new state root: top, bottom |
//! | 4, 5 | batch data hash: top, bottom |
//! | 6 | chain id |
//!
//! A word is read big-endian, so the contract splits a `bytes32` with
//! `uint256(w) >> 128` and `uint256(w) & (2**128 - 1)`. A state root (four
//! Goldilocks elements) is the word whose four 64-bit big-endian limbs are
//! its elements in order, the same digits [`witness::state::root_hex`]
//! prints.
//!
//! In the circuit, [`expose`] composes each half from limbs the wrap circuit
//! holds (the final plonky2 proof's public inputs), range-checking every
//! limb so that one value of the halves has exactly one limb decomposition.

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::{AssignedValue, Context, QuantumCell::Constant};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::{Field, PrimeField};

/// How many instances the wrap proof has.
pub const NUM_INSTANCES: usize = 7;

/// Bits in each half of a word.
const HALF_BITS: usize = 128;

/// The statement a wrap proof makes public.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WrapInstances {
    /// The state root before the batch.
    pub old_root: [u8; 32],
    /// The state root after the batch.
    pub new_root: [u8; 32],
    /// The hash of the batch's data.
    pub data_hash: [u8; 32],
    /// The rollup's chain id.
    pub chain_id: u64,
}

impl WrapInstances {
    /// The instance column, in the order of the module table.
    pub fn to_scalars(&self) -> Vec<Fr> {
        let mut scalars = Vec::with_capacity(NUM_INSTANCES);
        for word in [&self.old_root, &self.new_root, &self.data_hash] {
            scalars.extend(word_halves(word));
        }
        scalars.push(Fr::from(self.chain_id));
        scalars
    }
}

/// A word's top and bottom 128 bits (big-endian) as scalars.
pub fn word_halves(word: &[u8; 32]) -> [Fr; 2] {
    let half = |bytes: &[u8]| {
        let mut repr = [0u8; 32];
        for (dst, src) in repr.iter_mut().zip(bytes.iter().rev()) {
            *dst = *src;
        }
        Fr::from_repr(repr).expect("a 128-bit value is a canonical scalar")
    };
    [half(&word[..16]), half(&word[16..])]
}

/// A 256-bit word held in the circuit as limbs of `limb_bits` bits each,
/// most significant first (`limbs.len() * limb_bits == 256`).
#[derive(Clone, Debug)]
pub struct AssignedWord {
    /// The limbs, most significant first.
    pub limbs: Vec<AssignedValue<Fr>>,
    /// Bits per limb (a divisor of 128).
    pub limb_bits: usize,
}

impl AssignedWord {
    /// Loads `word` as witness limbs of `limb_bits` bits (not yet range-checked).
    pub fn load_witness(ctx: &mut Context<Fr>, word: &[u8; 32], limb_bits: usize) -> Self {
        assert!(
            limb_bits.is_multiple_of(8) && HALF_BITS.is_multiple_of(limb_bits),
            "limbs of {limb_bits} bits"
        );
        let limb_bytes = limb_bits / 8;
        let limbs = word
            .chunks(limb_bytes)
            .map(|chunk| {
                let mut repr = [0u8; 32];
                for (dst, src) in repr.iter_mut().zip(chunk.iter().rev()) {
                    *dst = *src;
                }
                ctx.load_witness(Fr::from_repr(repr).expect("a limb below 2^128 is canonical"))
            })
            .collect();
        Self { limbs, limb_bits }
    }

    /// Range-checks the limbs and composes the word's two halves.
    fn halves(&self, ctx: &mut Context<Fr>, range: &RangeChip<Fr>) -> [AssignedValue<Fr>; 2] {
        let per_half = HALF_BITS / self.limb_bits;
        assert_eq!(self.limbs.len(), 2 * per_half, "a word has 256 bits");
        for &limb in &self.limbs {
            range.range_check(ctx, limb, self.limb_bits);
        }
        let shift = Fr::from(2u64).pow_vartime([self.limb_bits as u64]);
        let compose = |ctx: &mut Context<Fr>, limbs: &[AssignedValue<Fr>]| {
            let mut acc = limbs[0];
            for &limb in &limbs[1..] {
                acc = range.gate().mul_add(ctx, acc, Constant(shift), limb);
            }
            acc
        };
        [
            compose(ctx, &self.limbs[..per_half]),
            compose(ctx, &self.limbs[per_half..]),
        ]
    }
}

/// Range-checks the statement's limbs (the chain id to 64 bits) and returns
/// the [`NUM_INSTANCES`] cells to expose, in the module table's order.
pub fn expose(
    ctx: &mut Context<Fr>,
    range: &RangeChip<Fr>,
    old_root: &AssignedWord,
    new_root: &AssignedWord,
    data_hash: &AssignedWord,
    chain_id: AssignedValue<Fr>,
) -> Vec<AssignedValue<Fr>> {
    let mut cells = Vec::with_capacity(NUM_INSTANCES);
    for word in [old_root, new_root, data_hash] {
        cells.extend(word.halves(ctx, range));
    }
    range.range_check(ctx, chain_id, 64);
    cells.push(chain_id);
    cells
}
