//! Constraints of the stack read/write table; the column layout is
//! [`witness::stack::col`].
//!
//! Rows are sorted by (transaction, slot, time stamp), proven by a 24-bit
//! ordering difference to the next row made of three range-checked bytes.
//! Within one slot a read returns the previous row's value; the first access
//! to a slot is a write (each transaction's stack starts empty).

use super::expr::{impl_stark_via_cx, Cx};
use plonky2::field::types::Field;
use starky::lookup::{Column, Filter, Lookup};
use witness::stack::col;
use witness::word::LIMBS;

/// The stack read/write table.
#[derive(Clone, Copy, Debug, Default)]
pub struct StackStark;

impl StackStark {
    /// Byte range checks of the slot and of the ordering difference.
    pub fn range_lookups<F: Field>(&self) -> Vec<Lookup<F>> {
        let columns: Vec<Column<F>> = [col::ADDR_LO, col::ADDR_HI, col::DELTA, col::DELTA + 1, col::DELTA + 2]
            .map(Column::single)
            .to_vec();
        vec![Lookup {
            filter_columns: vec![Filter::new_simple(Column::one()); columns.len()],
            columns,
            table_column: Column::single(col::RANGE),
            frequencies_column: Column::single(col::FREQ),
        }]
    }

    /// All constraints of the table.
    pub fn eval<C: Cx>(&self, cx: &mut C, lv: &[C::V], nv: &[C::V], _pis: &[C::V]) {
        let one = cx.int(1);
        for c in [col::IS_REAL, col::IS_WRITE, col::SAME, col::TX_CHANGE] {
            cx.boolean(lv[c]);
        }
        let not_real = cx.not(lv[col::IS_REAL]);
        let c = cx.mul(nv[col::IS_REAL], not_real);
        cx.transition(c);
        let (same, tx_change) = (lv[col::SAME], lv[col::TX_CHANGE]);
        let c = cx.mul(same, tx_change);
        cx.always(c);

        // Slot = low byte + 256 * high byte.
        let hi = cx.scale(lv[col::ADDR_HI], 256);
        let addr = cx.add(lv[col::ADDR_LO], hi);
        let c = cx.sub(lv[col::ADDR], addr);
        cx.always(c);

        // Ordering: same slot -> time stamp grows; new slot in the same
        // transaction -> slot grows; new transaction -> transaction grows.
        let tx_step = cx.sub(nv[col::TX], lv[col::TX]);
        let addr_step = cx.sub(nv[col::ADDR], lv[col::ADDR]);
        let ts_step = cx.sub(nv[col::TS], lv[col::TS]);
        let new_slot = cx.sub(one, same);
        let new_slot = cx.sub(new_slot, tx_change);
        let not_tx_change = cx.not(tx_change);
        let c = cx.mul(not_tx_change, tx_step);
        cx.transition(c);
        let c = cx.mul(same, addr_step);
        cx.transition(c);
        let t0 = cx.sub(ts_step, one);
        let t0 = cx.mul(same, t0);
        let t1 = cx.sub(addr_step, one);
        let t1 = cx.mul(new_slot, t1);
        let t2 = cx.sub(tx_step, one);
        let t2 = cx.mul(tx_change, t2);
        let ordered = cx.add(t0, t1);
        let ordered = cx.add(ordered, t2);
        let delta_bytes = [lv[col::DELTA], lv[col::DELTA + 1], lv[col::DELTA + 2]];
        let delta = cx.bytes_le(&delta_bytes);
        let c = cx.sub(ordered, delta);
        cx.transition(c);

        // Memory consistency.
        let next_read = cx.not(nv[col::IS_WRITE]);
        let same_read = cx.mul(same, next_read);
        for j in 0..LIMBS {
            let d = cx.sub(nv[col::VAL + j], lv[col::VAL + j]);
            let c = cx.mul(same_read, d);
            cx.transition(c);
        }
        let not_same = cx.not(same);
        let c = cx.mul(not_same, next_read);
        cx.transition(c);
        let first_read = cx.not(lv[col::IS_WRITE]);
        let c = cx.mul(lv[col::IS_REAL], first_read);
        cx.first_row(c);

        // Byte range table.
        cx.first_row(lv[col::RANGE]);
        let step = cx.sub(nv[col::RANGE], lv[col::RANGE]);
        let step1 = cx.sub(step, one);
        let c = cx.mul(step, step1);
        cx.transition(c);
        let top = cx.int(255);
        let c = cx.sub(lv[col::RANGE], top);
        cx.last_row(c);
    }
}

impl_stark_via_cx!(StackStark, witness::stack::col::NUM_COLUMNS, 0);
