//! Constraints of the stack read/write table; the column layout is
//! [`witness::stack::col`].
//!
//! Rows are sorted by (transaction, slot, time stamp), proven by a 24-bit
//! ordering difference to the next row made of three range-checked bytes.
//! Within one slot a read returns the previous row's value; the first access
//! to a slot is a write (each transaction's stack starts empty).

use super::expr::{impl_stark_via_cx, Cx};
use super::rw::{eval_range_column, eval_reads_return_last, eval_sorted, range_lookup};
use plonky2::field::types::Field;
use starky::lookup::Lookup;
use witness::stack::col;
use witness::word::LIMBS;

/// The stack read/write table.
#[derive(Clone, Copy, Debug, Default)]
pub struct StackStark;

impl StackStark {
    /// Byte range checks of the slot and of the ordering difference.
    pub fn range_lookups<F: Field>(&self) -> Vec<Lookup<F>> {
        range_lookup(&col::RANGE_CHECKED, col::RANGE, col::FREQ)
    }

    /// All constraints of the table.
    pub fn eval<C: Cx>(&self, cx: &mut C, lv: &[C::V], nv: &[C::V], _pis: &[C::V]) {
        eval_sorted(cx, lv, nv, &col::SORTED);

        // Slot = low byte + 256 * high byte.
        let hi = cx.scale(lv[col::ADDR_HI], 256);
        let addr = cx.add(lv[col::ADDR_LO], hi);
        let c = cx.sub(lv[col::ADDR], addr);
        cx.always(c);

        // Memory consistency: a read returns the previous value of its slot,
        // and a slot's first access is a write.
        eval_reads_return_last(cx, lv, nv, &col::SORTED, col::VAL, LIMBS);
        let same = lv[col::SAME];
        let next_read = cx.not(nv[col::IS_WRITE]);
        let not_same = cx.not(same);
        let c = cx.mul(not_same, next_read);
        cx.transition(c);
        let first_read = cx.not(lv[col::IS_WRITE]);
        let c = cx.mul(lv[col::IS_REAL], first_read);
        cx.first_row(c);

        eval_range_column(cx, lv, nv, col::RANGE);
    }
}

impl_stark_via_cx!(StackStark, witness::stack::col::NUM_COLUMNS, 0);
