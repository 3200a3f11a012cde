//! Constraints of the exponentiation table; the column layout and the
//! square-and-multiply schedule are in [`witness::exp`].
//!
//! Per row: `REAL`, `FIRST`, `LAST`, the cursor's one-hot columns, the bits
//! of the selected byte and `NZ` are boolean; the cursor is one-hot on real
//! rows and empty on padding; `SELB` is the exponent byte under the cursor,
//! `BITS` its bits, `BIT` the one under the cursor, and `NZ` says whether
//! `SELB` is nonzero (with an inverse witness). Without the bit, `PROD =
//! ACC`. An EXP starts on a `FIRST` row with the cursor at bit 0 of byte 0,
//! `POW` the base and `ACC` 1; until its `LAST` row each row is followed by
//! one of the same EXP (same base and exponent, `ACC` the product, the
//! cursor one bit further); a `LAST` row has the cursor on a bit 7, nothing
//! but zeros above its byte, and a nonzero byte unless it is byte 0; the
//! row after it starts the next EXP or is
//! padding, and the table ends on no unfinished EXP. The squares (`POW *
//! POW` = the next row's `POW`, within an EXP) and products are MUL rows of
//! the arithmetic table, and the last row's
//! (base, exponent, `PROD`, `50 (cursor byte + NZ)`) is the step's (IN0,
//! IN1, OUT, dynamic gas): both are cross-table lookups.

use super::expr::{impl_stark_via_cx, Cx};
use plonky2::field::types::Field;
use starky::lookup::Lookup;
use witness::exp::col;
use witness::word::LIMBS;

/// The exponentiation table.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExpStark;

impl ExpStark {
    /// The exponentiation table has no range checks: its words are the
    /// step's operands or range-checked products of the arithmetic table.
    pub fn range_lookups<F: Field>(&self) -> Vec<Lookup<F>> {
        Vec::new()
    }

    /// All constraints of the table.
    pub fn eval<C: Cx>(&self, cx: &mut C, lv: &[C::V], nv: &[C::V], _pis: &[C::V]) {
        let (real, first, last) = (lv[col::REAL], lv[col::FIRST], lv[col::LAST]);
        let byte_sel: Vec<C::V> = (0..LIMBS).map(|j| lv[col::BYTE_SEL + j]).collect();
        let bit_sel: Vec<C::V> = (0..8).map(|k| lv[col::BIT_SEL + k]).collect();
        let bits: Vec<C::V> = (0..8).map(|k| lv[col::BITS + k]).collect();
        for &v in [real, first, last, lv[col::NZ]]
            .iter()
            .chain(&byte_sel)
            .chain(&bit_sel)
            .chain(&bits)
        {
            cx.boolean(v);
        }
        let not_real = cx.not(real);
        for v in [first, last] {
            let c = cx.mul(v, not_real);
            cx.always(c);
        }
        for cursor in [&byte_sel, &bit_sel] {
            let s = cx.sum(cursor);
            let c = cx.sub(s, real);
            cx.always(c);
        }

        // The exponent byte and bit under the cursor.
        let selected: Vec<C::V> = (0..LIMBS).map(|j| cx.mul(byte_sel[j], lv[col::EXPONENT + j])).collect();
        let selb = cx.sum(&selected);
        let c = cx.sub(lv[col::SELB], selb);
        cx.always(c);
        let from_bits = {
            let weighted: Vec<C::V> = (0..8).map(|k| cx.scale(bits[k], 1 << k)).collect();
            cx.sum(&weighted)
        };
        let c = cx.sub(from_bits, lv[col::SELB]);
        cx.always(c);
        let picked: Vec<C::V> = (0..8).map(|k| cx.mul(bit_sel[k], bits[k])).collect();
        let bit = cx.sum(&picked);
        let c = cx.sub(lv[col::BIT], bit);
        cx.always(c);
        let nz = lv[col::NZ];
        let not_nz = cx.not(nz);
        let c = cx.mul(not_nz, lv[col::SELB]);
        cx.always(c);
        let t = cx.mul(lv[col::SELB], lv[col::INV]);
        let t = cx.not(t);
        let c = cx.mul(nz, t);
        cx.always(c);

        // Without the bit the product is the accumulator.
        let skip = cx.not(lv[col::BIT]);
        for j in 0..LIMBS {
            let d = cx.sub(lv[col::PROD + j], lv[col::ACC + j]);
            let c = cx.mul(skip, d);
            cx.always(c);
        }

        // An EXP's first row: bit 0 of byte 0, POW = base, ACC = 1.
        for v in [bit_sel[0], byte_sel[0]] {
            let t = cx.not(v);
            let c = cx.mul(first, t);
            cx.always(c);
        }
        for j in 0..LIMBS {
            let d = cx.sub(lv[col::POW + j], lv[col::BASE + j]);
            let c = cx.mul(first, d);
            cx.always(c);
            let acc = if j == 0 {
                cx.add_int(lv[col::ACC], -1)
            } else {
                lv[col::ACC + j]
            };
            let c = cx.mul(first, acc);
            cx.always(c);
        }

        // Within an EXP: the same operands, the next accumulator, the cursor
        // one bit on (the next power is the square's lookup).
        let within = cx.sub(real, last);
        let c = cx.not(nv[col::REAL]);
        let c = cx.mul(within, c);
        cx.transition(c);
        let c = cx.mul(within, nv[col::FIRST]);
        cx.transition(c);
        for j in 0..LIMBS {
            for (next, here) in [
                (col::BASE, col::BASE),
                (col::EXPONENT, col::EXPONENT),
                (col::ACC, col::PROD),
            ] {
                let d = cx.sub(nv[next + j], lv[here + j]);
                let c = cx.mul(within, d);
                cx.transition(c);
            }
        }
        for k in 0..8 {
            let d = cx.sub(nv[col::BIT_SEL + (k + 1) % 8], bit_sel[k]);
            let c = cx.mul(within, d);
            cx.transition(c);
        }
        let byte_done = bit_sel[7];
        for j in 0..LIMBS {
            let below = if j == 0 { cx.int(0) } else { byte_sel[j - 1] };
            let moved = cx.sub(below, byte_sel[j]);
            let moved = cx.mul(byte_done, moved);
            let expected = cx.add(byte_sel[j], moved);
            let d = cx.sub(nv[col::BYTE_SEL + j], expected);
            let c = cx.mul(within, d);
            cx.transition(c);
        }
        // After an EXP (or padding) comes the next EXP's first row, or padding.
        let between = cx.not(within);
        let d = cx.sub(nv[col::FIRST], nv[col::REAL]);
        let c = cx.mul(between, d);
        cx.transition(c);
        let c = cx.sub(first, real);
        cx.first_row(c);
        cx.last_row(within);

        // An EXP's last row: a whole byte done, zeros above it, a nonzero byte
        // unless it is byte 0.
        let t = cx.not(byte_done);
        let c = cx.mul(last, t);
        cx.always(c);
        let mut below_cursor = cx.int(0);
        let mut above = Vec::with_capacity(LIMBS);
        for j in 0..LIMBS {
            above.push(cx.mul(below_cursor, lv[col::EXPONENT + j]));
            below_cursor = cx.add(below_cursor, byte_sel[j]);
        }
        let above = cx.sum(&above);
        let c = cx.mul(last, above);
        cx.always(c);
        let not_byte0 = cx.not(byte_sel[0]);
        let c = cx.mul(last, not_nz);
        let c = cx.mul(c, not_byte0);
        cx.always(c);
    }
}

impl_stark_via_cx!(ExpStark, witness::exp::col::NUM_COLUMNS, 0);
