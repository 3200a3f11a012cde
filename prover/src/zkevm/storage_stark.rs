//! Constraints of the storage read/write table; the column layout is
//! [`witness::storage::col`].
//!
//! Rows are sorted by (slot index, time stamp) with a 32-bit ordering
//! difference. Each slot's rows start with its initial write and end with
//! its final read, both pinned to the statement by a lookup, and share the
//! slot's contract and key; reads return the row above's value. On access
//! rows (real, neither initial nor final):
//! - `COLD` holds exactly when the row above belongs to another transaction
//!   (initial writes belong to [`INIT_TX`], which no step has);
//! - `ORIG`, the value at the start of the transaction, is the row above's
//!   value on cold rows and the row above's `ORIG` otherwise;
//! - `COST` is `100 + 2000 COLD` for SLOAD and, for SSTORE,
//!   `100 + 2100 COLD` plus `2800` when it first changes the slot in the
//!   transaction (`FIRST_CHANGE`: the new value differs from the current one,
//!   which still equals `ORIG`) plus `17100` more when `ORIG` is zero;
//! - `REV`, the transaction's reverted flag (a lookup into the call-context
//!   table), is 1 only on access rows; `LAST` marks an access not followed by
//!   a warm one (the transaction's last to the slot), and where `REV` is set
//!   that row's value is `ORIG`: a reverted transaction leaves every slot as
//!   it found it;
//! - `REFUND` is zero on SLOAD and, for SSTORE, moves the refund counter by
//!   EIP-3529's figures: `4800` for clearing a slot that was nonzero at the
//!   start of the transaction (`CLEARS`), `-4800` for undoing such a clear
//!   (`UNCLEARS`: an earlier change, the row above zero), and, where it puts
//!   back `ORIG` after an earlier change (`RESTORES`), `2800`, or `19900`
//!   when `ORIG` is zero;
//! - rollback rows (`IS_ROLLBACK`) are unpriced writes that only a reverted
//!   transaction's `LAST` row can be; no step matches them (the step lookup
//!   excludes them), and the rule above makes them write `ORIG`.
//!
//! A split transaction's warm slots ([`witness::boundary`]): an initial
//! write may be `WARM_INIT`, the resumed transaction's row (its `TX` and
//! `ORIG`, pinned by the warm-slot lookup), which makes its next access warm
//! and counts as that transaction's row for `REV` and `LAST` (so a
//! reverting transaction rolls back slots it changed in earlier chunks);
//! other initial writes belong to [`INIT_TX`]. In a suspending chunk (public
//! inputs: whether it suspends, and `END_TX`, the suspended transaction), a
//! final read is `WARM_FINAL` exactly when the row above is the suspended
//! transaction's (else `GAP_INV` inverts the difference), and then carries
//! that row's `TX` and `ORIG` into the warm-slot lookup.
//!
//! Value, key and contract bytes are bytes because they come from the step
//! table's words and the verifier's tuples, so a sum of squared byte
//! differences is zero exactly when two words are equal.

use super::expr::{impl_stark_via_cx, Cx};
use super::rw::{eval_range_column, eval_reads_return_last, eval_sorted, range_lookup};
use plonky2::field::types::Field;
use starky::lookup::Lookup;
use witness::storage::{col, gas, FINAL_TS, INIT_TX};
use witness::word::LIMBS;

/// The storage read/write table.
#[derive(Clone, Copy, Debug, Default)]
pub struct StorageStark;

/// The two constraints making `flag = 1` exactly when `sum` is zero, with
/// `inv` its inverse otherwise.
fn is_zero<C: Cx>(cx: &mut C, sum: C::V, flag: C::V, inv: C::V) -> [C::V; 2] {
    let c0 = cx.mul(flag, sum);
    let c = cx.mul(sum, inv);
    let not_flag = cx.not(flag);
    let c1 = cx.sub(c, not_flag);
    [c0, c1]
}

/// The sum over the word's limbs of `(a_j - b_j)^2`.
fn squared_distance<C: Cx>(cx: &mut C, a: &[C::V], b: &[C::V]) -> C::V {
    let squares: Vec<C::V> = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = cx.sub(x, y);
            cx.mul(d, d)
        })
        .collect();
    cx.sum(&squares)
}

impl StorageStark {
    /// Byte range checks of the ordering difference.
    pub fn range_lookups<F: Field>(&self) -> Vec<Lookup<F>> {
        range_lookup(&col::RANGE_CHECKED, col::RANGE, col::FREQ)
    }

    /// All constraints of the table.
    pub fn eval<C: Cx>(&self, cx: &mut C, lv: &[C::V], nv: &[C::V], pis: &[C::V]) {
        eval_sorted(cx, lv, nv, &col::SORTED);
        let (real, init, fin, write) = (lv[col::IS_REAL], lv[col::IS_INIT], lv[col::IS_FINAL], lv[col::IS_WRITE]);
        for c in [
            col::IS_INIT,
            col::IS_FINAL,
            col::COLD,
            col::NOOP,
            col::CLEAN,
            col::ORIG_ZERO,
            col::WARM_INIT,
            col::WARM_FINAL,
        ] {
            cx.boolean(lv[c]);
        }

        // Initial writes and final reads.
        let not_real = cx.not(real);
        let not_write = cx.not(write);
        let init_tx = cx.add_int(lv[col::TX], -(INIT_TX as i64));
        let cold_init = cx.sub(init, lv[col::WARM_INIT]);
        let final_ts = cx.add_int(lv[col::TS], -(FINAL_TS as i64));
        let (warm_init, warm_final) = (lv[col::WARM_INIT], lv[col::WARM_FINAL]);
        let not_init = cx.not(init);
        let not_fin = cx.not(fin);
        for (flag, c) in [
            (init, not_real),
            (init, not_write),
            (init, lv[col::TS]),
            (cold_init, init_tx),
            (warm_init, not_init),
            (warm_final, not_fin),
            (fin, not_real),
            (fin, write),
            (fin, final_ts),
        ] {
            let c = cx.mul(flag, c);
            cx.always(c);
        }

        // Each slot's rows run from its initial write to its final read.
        let same = lv[col::SAME];
        let not_same = cx.not(same);
        let first = cx.mul(real, not_init);
        cx.first_row(first);
        let next_not_init = cx.not(nv[col::IS_INIT]);
        let c = cx.mul(not_same, nv[col::IS_REAL]);
        let c = cx.mul(c, next_not_init);
        cx.transition(c);
        let open = cx.sub(real, fin);
        let c = cx.mul(open, not_same);
        cx.transition(c);
        let next_pad = cx.not(nv[col::IS_REAL]);
        let c = cx.mul(open, next_pad);
        cx.transition(c);
        cx.last_row(open);

        // One contract and key per slot; reads return the value above.
        for c in (col::ADDR..col::ADDR + col::ADDR_BYTES).chain(col::KEY..col::KEY + LIMBS) {
            let d = cx.sub(nv[c], lv[c]);
            let c = cx.mul(same, d);
            cx.transition(c);
        }
        eval_reads_return_last(cx, lv, nv, &col::SORTED, col::VAL, LIMBS);

        // A suspending chunk's final reads: warm exactly after a row of the
        // suspended transaction, carrying its transaction and ORIG.
        let (suspends, end_tx) = (pis[0], pis[1]);
        let next_warm_final = nv[col::WARM_FINAL];
        let gap = cx.sub(lv[col::TX], end_tx);
        let c = cx.mul(next_warm_final, gap);
        cx.transition(c);
        let inverted = cx.mul(gap, nv[col::GAP_INV]);
        let c = cx.not(next_warm_final);
        let c = cx.sub(c, inverted);
        let c = cx.mul(nv[col::IS_FINAL], c);
        let c = cx.mul(suspends, c);
        cx.transition(c);
        let not_suspends = cx.not(suspends);
        let c = cx.mul(not_suspends, warm_final);
        cx.always(c);
        for j in std::iter::once(col::TX).chain(col::ORIG..col::ORIG + LIMBS) {
            let d = cx.sub(nv[j], lv[j]);
            let c = cx.mul(next_warm_final, d);
            cx.transition(c);
        }

        // Warmth and the value at the start of the transaction (on the next row).
        let access = cx.sub(open, init);
        let not_access = cx.not(access);
        // A transaction's rows: its accesses and, when it resumes, its warm initial writes.
        let owned = cx.add(access, warm_init);
        let not_owned = cx.not(owned);
        let c = cx.mul(lv[col::COLD], not_access);
        cx.always(c);
        let rollback = lv[col::IS_ROLLBACK];
        let next_access = {
            let t = cx.sub(nv[col::IS_REAL], nv[col::IS_INIT]);
            cx.sub(t, nv[col::IS_FINAL])
        };
        let next_cold = nv[col::COLD];
        let next_warm = cx.not(next_cold);
        let next_warm = cx.mul(next_access, next_warm);
        let tx_step = cx.sub(nv[col::TX], lv[col::TX]);
        let c = cx.mul(tx_step, nv[col::TX_INV]);
        let c = cx.add_int(c, -1);
        let c = cx.mul(next_cold, c);
        cx.transition(c);
        let c = cx.mul(next_warm, tx_step);
        cx.transition(c);
        for j in 0..LIMBS {
            let d = cx.sub(nv[col::ORIG + j], lv[col::VAL + j]);
            let c = cx.mul(next_cold, d);
            cx.transition(c);
            let d = cx.sub(nv[col::ORIG + j], lv[col::ORIG + j]);
            let c = cx.mul(next_warm, d);
            cx.transition(c);
        }

        // Reverts and rollbacks.
        let (rev, last) = (lv[col::REV], lv[col::LAST]);
        cx.boolean(rev);
        cx.boolean(rollback);
        let not_rev = cx.not(rev);
        let not_last = cx.not(last);
        for (flag, c) in [
            (rev, not_owned),
            (rollback, not_access),
            (rollback, not_write),
            (rollback, not_rev),
            (rollback, not_last),
        ] {
            let c = cx.mul(flag, c);
            cx.always(c);
        }
        let next_not_warm = cx.not(next_warm);
        let ends_run = cx.mul(owned, next_not_warm);
        let c = cx.sub(last, ends_run);
        cx.transition(c);
        cx.last_row(last);
        let restores = cx.mul(rev, last);
        for j in 0..LIMBS {
            let d = cx.sub(lv[col::VAL + j], lv[col::ORIG + j]);
            let c = cx.mul(restores, d);
            cx.always(c);
        }

        // Comparisons of the next row's value and ORIG with this row's value.
        let above: Vec<C::V> = (0..LIMBS).map(|j| lv[col::VAL + j]).collect();
        let value: Vec<C::V> = (0..LIMBS).map(|j| nv[col::VAL + j]).collect();
        let orig: Vec<C::V> = (0..LIMBS).map(|j| nv[col::ORIG + j]).collect();
        let noop = squared_distance(cx, &value, &above);
        let clean = squared_distance(cx, &orig, &above);
        let orig_sum = cx.sum(&orig);
        let restore = squared_distance(cx, &value, &orig);
        for (sum, flag, inv) in [
            (noop, col::NOOP, col::NOOP_INV),
            (clean, col::CLEAN, col::CLEAN_INV),
            (orig_sum, col::ORIG_ZERO, col::ORIG_ZERO_INV),
            (restore, col::RESTORE, col::RESTORE_INV),
        ] {
            for c in is_zero(cx, sum, nv[flag], nv[inv]) {
                cx.transition(c);
            }
        }
        // VAL_ZERO on every row, so the next row sees whether the slot is zero now.
        let here: Vec<C::V> = (0..LIMBS).map(|j| lv[col::VAL + j]).collect();
        let here_sum = cx.sum(&here);
        cx.boolean(lv[col::VAL_ZERO]);
        for c in is_zero(cx, here_sum, lv[col::VAL_ZERO], lv[col::VAL_ZERO_INV]) {
            cx.always(c);
        }
        let changes = cx.not(lv[col::NOOP]);
        let first_change = cx.mul(changes, lv[col::CLEAN]);
        let c = cx.sub(lv[col::FIRST_CHANGE], first_change);
        cx.always(c);
        let creates = cx.mul(lv[col::FIRST_CHANGE], lv[col::ORIG_ZERO]);
        let c = cx.sub(lv[col::CREATES], creates);
        cx.always(c);

        // The refund cases (on the next row, which sees this row's VAL_ZERO).
        let next_changes = cx.not(nv[col::NOOP]);
        let next_dirty = cx.sub(next_changes, nv[col::FIRST_CHANGE]);
        let next_orig_nonzero = cx.not(nv[col::ORIG_ZERO]);
        let clears = cx.mul(next_changes, nv[col::VAL_ZERO]);
        let clears = cx.mul(clears, next_orig_nonzero);
        let c = cx.sub(nv[col::CLEARS], clears);
        cx.transition(c);
        let unclears = cx.mul(next_dirty, lv[col::VAL_ZERO]);
        let unclears = cx.mul(unclears, next_orig_nonzero);
        let c = cx.sub(nv[col::UNCLEARS], unclears);
        cx.transition(c);
        let restores = cx.mul(next_dirty, nv[col::RESTORE]);
        let c = cx.sub(nv[col::RESTORES], restores);
        cx.transition(c);
        let restores_zero = cx.mul(nv[col::RESTORES], nv[col::ORIG_ZERO]);
        let c = cx.sub(nv[col::RESTORES_ZERO], restores_zero);
        cx.transition(c);

        // The price of the access.
        let cold = lv[col::COLD];
        let read_cost = cx.scale(cold, gas::COLD_SLOAD_EXTRA as i64);
        let read_cost = cx.add_int(read_cost, gas::WARM as i64);
        let write_extra = {
            let t0 = cx.scale(cold, (gas::COLD_SSTORE_EXTRA - gas::COLD_SLOAD_EXTRA) as i64);
            let t1 = cx.scale(lv[col::FIRST_CHANGE], (gas::RESET - gas::WARM) as i64);
            let t2 = cx.scale(lv[col::CREATES], (gas::SET - gas::RESET) as i64);
            cx.sum(&[t0, t1, t2])
        };
        let write_extra = cx.mul(write, write_extra);
        let expected = cx.add(read_cost, write_extra);
        let d = cx.sub(lv[col::COST], expected);
        let priced = cx.sub(access, rollback);
        let c = cx.mul(priced, d);
        cx.always(c);

        // The refund change: SSTORE's by its cases, zero on every other row.
        let clear_net = cx.sub(lv[col::CLEARS], lv[col::UNCLEARS]);
        let terms = [
            cx.scale(clear_net, gas::CLEAR_REFUND),
            cx.scale(lv[col::RESTORES], gas::RESTORE_REFUND),
            cx.scale(lv[col::RESTORES_ZERO], gas::RESTORE_ZERO_REFUND - gas::RESTORE_REFUND),
        ];
        let refund = cx.sum(&terms);
        let refund = cx.mul(write, refund);
        let d = cx.sub(lv[col::REFUND], refund);
        let c = cx.mul(priced, d);
        cx.always(c);
        let not_priced = cx.not(priced);
        let c = cx.mul(not_priced, lv[col::REFUND]);
        cx.always(c);

        eval_range_column(cx, lv, nv, col::RANGE);
    }
}

impl_stark_via_cx!(StorageStark, witness::storage::col::NUM_COLUMNS, 2);
