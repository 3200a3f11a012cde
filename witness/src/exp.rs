//! The exponentiation table: EXP by square-and-multiply, one row per bit of
//! the exponent's significant bytes (eight rows for a zero exponent),
//! lowest bit first.
//!
//! Row `i` of an EXP holds `POW = base^(2^i)` and `ACC`, the product of the
//! powers of the bits below `i`; it asks the arithmetic table for
//! `POW * POW`, which is the next row's `POW` (except on the last row), and,
//! when bit `i` is set, for `PROD = ACC * POW` (otherwise `PROD = ACC`; the
//! next row's `ACC`). The last row's `PROD` is the result. Those products are
//! MUL rows of the arithmetic table marked as serving EXP
//! ([`crate::arith::col::EXPMUL`]), matched by a cross-table lookup, so the
//! table itself needs no range checks: every word it holds is the base, the
//! constant 1, or a range-checked product.
//!
//! The bit comes from the exponent through a cursor: one-hot `BYTE_SEL`
//! (which exponent byte, from 0 up) and `BIT_SEL` (which bit of it), the
//! selected byte `SELB` and its bits `BITS`. The cursor starts at bit 0 of
//! byte 0, advances by one bit per row and stops at bit 7 of the
//! exponent's top nonzero byte (of byte 0 when the exponent is zero): every
//! byte above the cursor is zero, and the cursor's byte is nonzero unless it
//! is byte 0. So the exponent's byte length is the cursor's byte index plus
//! `NZ` (1 when `SELB` is nonzero), and the dynamic gas the step table
//! charges is 50 times that (the last row's lookup tuple carries it).

use crate::arith::ArithOp;
use crate::opcode::Family;
use crate::word::{limbs, limbs_f, LIMBS};
use crate::F;
use plonky2::field::types::Field;
use revm::primitives::U256;

/// Gas per byte of the exponent (since Spurious Dragon).
pub const GAS_PER_BYTE: u64 = 50;

/// Column indices of the exponentiation table.
pub mod col {
    use crate::word::LIMBS;

    /// 1 on rows of an EXP (0 on padding).
    pub const REAL: usize = 0;
    /// 1 on an EXP's first row (bit 0).
    pub const FIRST: usize = REAL + 1;
    /// 1 on an EXP's last row (bit 7 of the exponent's top nonzero byte).
    pub const LAST: usize = FIRST + 1;
    /// The base, byte limbs (the same on every row of an EXP).
    pub const BASE: usize = LAST + 1;
    /// The exponent, byte limbs (the same on every row of an EXP).
    pub const EXPONENT: usize = BASE + LIMBS;
    /// `base^(2^i)` on the EXP's row `i`, byte limbs.
    pub const POW: usize = EXPONENT + LIMBS;
    /// The product of the powers of the exponent's bits below `i`, byte limbs.
    pub const ACC: usize = POW + LIMBS;
    /// `ACC * POW mod 2^256` when the row's bit is set, else `ACC`, byte limbs.
    pub const PROD: usize = ACC + LIMBS;
    /// One-hot: the exponent byte the cursor is on (byte 0 is the lowest).
    pub const BYTE_SEL: usize = PROD + LIMBS;
    /// One-hot: the bit of that byte the cursor is on.
    pub const BIT_SEL: usize = BYTE_SEL + LIMBS;
    /// The exponent byte the cursor is on.
    pub const SELB: usize = BIT_SEL + 8;
    /// The bits of `SELB`, lowest first.
    pub const BITS: usize = SELB + 1;
    /// The exponent bit the cursor is on.
    pub const BIT: usize = BITS + 8;
    /// 1 when `SELB` is nonzero.
    pub const NZ: usize = BIT + 1;
    /// Inverse witness of `SELB` (when nonzero).
    pub const INV: usize = NZ + 1;
    /// Number of columns.
    pub const NUM_COLUMNS: usize = INV + 1;
}

/// One EXP step, as the step table hands it over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpOp {
    /// The base (top of stack).
    pub base: U256,
    /// The exponent.
    pub exponent: U256,
}

/// One row of an EXP, before it is written out.
struct BitRow {
    pow: U256,
    acc: U256,
    /// `POW * POW`, asked for on every row but the last.
    sq: Option<U256>,
    prod: U256,
    byte: usize,
    bit: usize,
}

impl ExpOp {
    /// `base^exponent mod 2^256`.
    pub fn result(&self) -> U256 {
        self.base.wrapping_pow(self.exponent)
    }

    /// Bytes of the exponent without its leading zeros (0 for a zero exponent).
    pub fn exponent_bytes(&self) -> u64 {
        self.exponent.bit_len().div_ceil(8) as u64
    }

    /// The gas EXP charges on top of its static gas.
    pub fn dynamic_gas(&self) -> u64 {
        GAS_PER_BYTE * self.exponent_bytes()
    }

    /// The rows of this EXP: eight per significant exponent byte, at least eight.
    fn rows(&self) -> Vec<BitRow> {
        let bits = 8 * self.exponent_bytes().max(1) as usize;
        let (mut pow, mut acc) = (self.base, U256::from(1u8));
        let mut out = Vec::with_capacity(bits);
        for i in 0..bits {
            let prod = if self.exponent.bit(i) {
                acc.wrapping_mul(pow)
            } else {
                acc
            };
            let sq = (i + 1 < bits).then(|| pow.wrapping_mul(pow));
            out.push(BitRow {
                pow,
                acc,
                sq,
                prod,
                byte: i / 8,
                bit: i % 8,
            });
            pow = sq.unwrap_or_default();
            acc = prod;
        }
        out
    }

    /// The multiplications this EXP asks the arithmetic table for, as MUL
    /// operations: each row's square but the last's, and each set bit's product.
    pub fn products(&self) -> Vec<ArithOp> {
        let mul = |in0, in1| ArithOp {
            family: Family::Mul,
            in0,
            in1,
            in2: U256::ZERO,
        };
        let mut out = Vec::new();
        for (i, r) in self.rows().iter().enumerate() {
            if r.sq.is_some() {
                out.push(mul(r.pow, r.pow));
            }
            if self.exponent.bit(i) {
                out.push(mul(r.acc, r.pow));
            }
        }
        out
    }
}

fn put_word(row: &mut [F; col::NUM_COLUMNS], base: usize, word: U256) {
    row[base..base + LIMBS].copy_from_slice(&limbs_f(word));
}

/// Builds the exponentiation table from the step table's EXP steps, padded
/// with all-zero rows to `2^rows_log` rows (or the next power of two that fits).
pub fn generate(ops: &[ExpOp], rows_log: usize) -> Vec<[F; col::NUM_COLUMNS]> {
    let mut rows = Vec::new();
    for op in ops {
        let bit_rows = op.rows();
        let last = bit_rows.len() - 1;
        let exponent = limbs(op.exponent);
        for (i, r) in bit_rows.iter().enumerate() {
            let mut row = [F::ZERO; col::NUM_COLUMNS];
            row[col::REAL] = F::ONE;
            row[col::FIRST] = F::from_bool(i == 0);
            row[col::LAST] = F::from_bool(i == last);
            put_word(&mut row, col::BASE, op.base);
            put_word(&mut row, col::EXPONENT, op.exponent);
            put_word(&mut row, col::POW, r.pow);
            put_word(&mut row, col::ACC, r.acc);
            put_word(&mut row, col::PROD, r.prod);
            row[col::BYTE_SEL + r.byte] = F::ONE;
            row[col::BIT_SEL + r.bit] = F::ONE;
            let selb = exponent[r.byte];
            row[col::SELB] = F::from_canonical_u8(selb);
            for k in 0..8 {
                row[col::BITS + k] = F::from_bool(selb >> k & 1 == 1);
            }
            row[col::BIT] = F::from_bool(selb >> r.bit & 1 == 1);
            row[col::NZ] = F::from_bool(selb != 0);
            row[col::INV] = F::from_canonical_u8(selb).try_inverse().unwrap_or(F::ZERO);
            rows.push(row);
        }
    }
    let height = rows.len().next_power_of_two().max(1 << rows_log);
    rows.resize(height, [F::ZERO; col::NUM_COLUMNS]);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use plonky2::field::types::PrimeField64;

    fn op(base: u64, exponent: U256) -> ExpOp {
        ExpOp {
            base: U256::from(base),
            exponent,
        }
    }

    fn word(row: &[F; col::NUM_COLUMNS], base: usize) -> U256 {
        let bytes: Vec<u8> = (0..LIMBS)
            .rev()
            .map(|j| row[base + j].to_canonical_u64() as u8)
            .collect();
        U256::from_be_slice(&bytes)
    }

    #[test]
    fn results_and_gas_follow_the_evm() {
        assert_eq!(op(3, U256::from(5u8)).result(), U256::from(243u64));
        assert_eq!(op(0, U256::ZERO).result(), U256::from(1u8));
        assert_eq!(op(2, U256::from(256u64)).result(), U256::ZERO);
        assert_eq!(op(7, U256::ZERO).dynamic_gas(), 0);
        assert_eq!(op(7, U256::from(255u64)).dynamic_gas(), 50);
        assert_eq!(op(7, U256::from(256u64)).dynamic_gas(), 100);
        assert_eq!(op(7, U256::MAX).dynamic_gas(), 1600);
    }

    #[test]
    fn rows_chain_squares_and_products() {
        let e = U256::from(0x0105u64); // two bytes: 16 rows
        let exp = op(3, e);
        let rows = generate(std::slice::from_ref(&exp), 8);
        assert_eq!(rows.len(), 256);
        let real: Vec<_> = rows.iter().take_while(|r| r[col::REAL] == F::ONE).collect();
        assert_eq!(real.len(), 16);
        assert_eq!(real[0][col::FIRST], F::ONE);
        assert_eq!(real[15][col::LAST], F::ONE);
        assert_eq!(word(real[0], col::POW), U256::from(3u8));
        assert_eq!(word(real[0], col::ACC), U256::from(1u8));
        for i in 0..15 {
            let pow = word(real[i], col::POW);
            assert_eq!(word(real[i + 1], col::POW), pow.wrapping_mul(pow));
            assert_eq!(word(real[i + 1], col::ACC), word(real[i], col::PROD));
        }
        assert_eq!(word(real[15], col::PROD), exp.result());
        assert_eq!(real[9][col::BYTE_SEL + 1], F::ONE);
        assert_eq!(real[9][col::BIT_SEL + 1], F::ONE);
        assert_eq!(real[8][col::BIT], F::ONE);
        assert_eq!(real[15][col::NZ], F::ONE);
        // 15 squares and one product per set bit (three).
        assert_eq!(exp.products().len(), 15 + 3);
        // A zero exponent: one byte of zero bits, result 1, no products but the squares.
        let zero = op(5, U256::ZERO);
        let rows = generate(std::slice::from_ref(&zero), 8);
        assert_eq!(word(&rows[7], col::PROD), U256::from(1u8));
        assert_eq!(rows[7][col::NZ], F::ZERO);
        assert_eq!(zero.products().len(), 7);
    }
}
