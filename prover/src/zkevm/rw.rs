//! Constraints shared by the sorted read/write tables (stack, memory, storage) and
//! the byte range table several tables carry.

use super::expr::Cx;
use plonky2::field::types::Field;
use starky::lookup::{Column, Filter, Lookup};
use witness::rw::SortedColumns;

/// Flags are boolean, padding rows only follow padding rows, and the rows
/// are sorted by (transaction, address, time stamp): the difference to the
/// next row in the key that changes (the time stamp when `same`, the
/// transaction when `tx_change`, the address otherwise), minus one, equals
/// the little-endian DELTA bytes. A next row whose `tie` flag is set may
/// share the time stamp (its difference is not lessened by one).
pub(crate) fn eval_sorted<C: Cx>(cx: &mut C, lv: &[C::V], nv: &[C::V], l: &SortedColumns) {
    let one = cx.int(1);
    for c in [l.is_real, l.is_write, l.same, l.tx_change] {
        cx.boolean(lv[c]);
    }
    let not_real = cx.not(lv[l.is_real]);
    let c = cx.mul(nv[l.is_real], not_real);
    cx.transition(c);
    let (same, tx_change) = (lv[l.same], lv[l.tx_change]);
    let c = cx.mul(same, tx_change);
    cx.always(c);

    let tx_step = cx.sub(nv[l.tx], lv[l.tx]);
    let addr_step = cx.sub(nv[l.addr], lv[l.addr]);
    let ts_step = cx.sub(nv[l.ts], lv[l.ts]);
    let new_addr = cx.sub(one, same);
    let new_addr = cx.sub(new_addr, tx_change);
    let not_tx_change = cx.not(tx_change);
    let c = cx.mul(not_tx_change, tx_step);
    cx.transition(c);
    let c = cx.mul(same, addr_step);
    cx.transition(c);
    let t0 = cx.sub(ts_step, one);
    let t0 = match l.tie {
        Some(tie) => cx.add(t0, nv[tie]),
        None => t0,
    };
    let t0 = cx.mul(same, t0);
    let t1 = cx.sub(addr_step, one);
    let t1 = cx.mul(new_addr, t1);
    let t2 = cx.sub(tx_step, one);
    let t2 = cx.mul(tx_change, t2);
    let ordered = cx.sum(&[t0, t1, t2]);
    let delta_bytes: Vec<C::V> = l.delta_columns().map(|c| lv[c]).collect();
    let delta = cx.bytes_le(&delta_bytes);
    let c = cx.sub(ordered, delta);
    cx.transition(c);
}

/// Within one key (`SAME`), a read returns the value above: the `width`
/// value columns from `val` of a next row that reads equal this row's.
pub(crate) fn eval_reads_return_last<C: Cx>(
    cx: &mut C,
    lv: &[C::V],
    nv: &[C::V],
    l: &SortedColumns,
    val: usize,
    width: usize,
) {
    let next_read = cx.not(nv[l.is_write]);
    let same_read = cx.mul(lv[l.same], next_read);
    for j in val..val + width {
        let d = cx.sub(nv[j], lv[j]);
        let c = cx.mul(same_read, d);
        cx.transition(c);
    }
}

/// The byte range table column: 0, 1, ..., 255 and then 255 repeated.
pub(crate) fn eval_range_column<C: Cx>(cx: &mut C, lv: &[C::V], nv: &[C::V], range: usize) {
    let one = cx.int(1);
    cx.first_row(lv[range]);
    let step = cx.sub(nv[range], lv[range]);
    let step1 = cx.sub(step, one);
    let c = cx.mul(step, step1);
    cx.transition(c);
    let top = cx.int(255);
    let c = cx.sub(lv[range], top);
    cx.last_row(c);
}

/// The lookup of every `checked` column into the byte range column `range`
/// with multiplicities `freq`.
pub(crate) fn range_lookup<F: Field>(checked: &[usize], range: usize, freq: usize) -> Vec<Lookup<F>> {
    let columns: Vec<Column<F>> = checked.iter().map(|&c| Column::single(c)).collect();
    vec![Lookup {
        filter_columns: vec![Filter::new_simple(Column::one()); columns.len()],
        columns,
        table_column: Column::single(range),
        frequencies_column: Column::single(freq),
    }]
}
