//! Constraints of the memory read/write table; the column layout is
//! [`witness::memory::col`].
//!
//! Rows are sorted by (transaction, address, time stamp), proven by a 32-bit
//! ordering difference to the next row made of four range-checked bytes.
//! Within one address a read returns the previous row's byte; memory starts
//! zeroed, so a read that is an address's first access returns 0. Bytes are
//! range-checked. Public rows (`IS_PUBLIC`: call-data initial writes, and a
//! split transaction's boundary memory) are real rows; which ones exist, and
//! their time stamps, is fixed by the lookup against the tuples the verifier
//! derives from the statement.

use super::expr::{impl_stark_via_cx, Cx};
use super::rw::{eval_range_column, eval_sorted, range_lookup};
use plonky2::field::types::Field;
use starky::lookup::Lookup;
use witness::memory::col;

/// The memory read/write table.
#[derive(Clone, Copy, Debug, Default)]
pub struct MemoryStark;

impl MemoryStark {
    /// Byte range checks of the ordering difference and of the values.
    pub fn range_lookups<F: Field>(&self) -> Vec<Lookup<F>> {
        range_lookup(&col::RANGE_CHECKED, col::RANGE, col::FREQ)
    }

    /// All constraints of the table.
    pub fn eval<C: Cx>(&self, cx: &mut C, lv: &[C::V], nv: &[C::V], _pis: &[C::V]) {
        eval_sorted(cx, lv, nv, &col::SORTED);

        let public = lv[col::IS_PUBLIC];
        cx.boolean(public);
        let not_real = cx.not(lv[col::IS_REAL]);
        let c = cx.mul(public, not_real);
        cx.always(c);

        let next_read = cx.not(nv[col::IS_WRITE]);
        let same = lv[col::SAME];
        let same_read = cx.mul(same, next_read);
        let d = cx.sub(nv[col::VAL], lv[col::VAL]);
        let c = cx.mul(same_read, d);
        cx.transition(c);
        let not_same = cx.not(same);
        let fresh_read = cx.mul(not_same, next_read);
        let c = cx.mul(fresh_read, nv[col::VAL]);
        cx.transition(c);
        let first_read = cx.not(lv[col::IS_WRITE]);
        let c = cx.mul(first_read, lv[col::VAL]);
        cx.first_row(c);

        eval_range_column(cx, lv, nv, col::RANGE);
    }
}

impl_stark_via_cx!(MemoryStark, witness::memory::col::NUM_COLUMNS, 0);
