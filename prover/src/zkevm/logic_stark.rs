//! Constraints of the logic table; the column layout is
//! [`witness::logic::col`].
//!
//! Per row: the three selectors are boolean and at most one is set; every
//! operand bit is boolean; each result byte is the weighted sum of the
//! selected per-bit operation (AND: `ab`, OR: `a + b - ab`, XOR:
//! `a + b - 2ab`). On rows with no selector the result is zero. A step's
//! first row (a selector set, `HIGH` not) is followed by its second row
//! (`HIGH`, the same selector), and only by it: `HIGH` holds exactly on the
//! rows after first rows, so the table starts and ends on no half step. The
//! operand bytes the step table sees are the bits of both rows recomposed
//! in the cross-table lookup, so they are bytes by construction.

use super::expr::{impl_stark_via_cx, Cx};
use plonky2::field::types::Field;
use starky::lookup::Lookup;
use witness::logic::{col, HALF_BYTES};
use witness::opcode::Family;

/// The logic table.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogicStark;

impl LogicStark {
    /// The logic table has no range checks (its bits are boolean).
    pub fn range_lookups<F: Field>(&self) -> Vec<Lookup<F>> {
        Vec::new()
    }

    /// All constraints of the table.
    pub fn eval<C: Cx>(&self, cx: &mut C, lv: &[C::V], nv: &[C::V], _pis: &[C::V]) {
        let [and, or, xor] = Family::LOGIC.map(|f| lv[col::sel(f)]);
        for s in [and, or, xor] {
            cx.boolean(s);
        }
        let any = cx.sum(&[and, or, xor]);
        cx.boolean(any);

        // Steps take two rows: the second is HIGH, with the first's selector.
        let high = lv[col::HIGH];
        cx.boolean(high);
        let not_any = cx.not(any);
        let c = cx.mul(high, not_any);
        cx.always(c);
        let first_half = cx.sub(any, high);
        let c = cx.sub(nv[col::HIGH], first_half);
        cx.transition(c);
        for f in Family::LOGIC {
            let d = cx.sub(nv[col::sel(f)], lv[col::sel(f)]);
            let c = cx.mul(first_half, d);
            cx.transition(c);
        }
        cx.first_row(high);
        cx.last_row(first_half);
        // Per bit: OR and XOR share a + b, and subtract ab once or twice; AND keeps ab.
        let or_xor = cx.add(or, xor);
        let ab_weight = {
            let t = cx.scale(xor, 2);
            let t = cx.add(or, t);
            cx.sub(and, t)
        };
        for j in 0..HALF_BYTES {
            let mut byte = cx.int(0);
            for k in (0..8).rev() {
                let bit = 8 * j + k;
                let (a, b) = (lv[col::A_BITS + bit], lv[col::B_BITS + bit]);
                cx.boolean(a);
                cx.boolean(b);
                let ab = cx.mul(a, b);
                let a_plus_b = cx.add(a, b);
                let t0 = cx.mul(or_xor, a_plus_b);
                let t1 = cx.mul(ab_weight, ab);
                let r = cx.add(t0, t1);
                let shifted = cx.scale(byte, 2);
                byte = cx.add(shifted, r);
            }
            let c = cx.sub(lv[col::OUT + j], byte);
            cx.always(c);
        }
    }
}

impl_stark_via_cx!(LogicStark, witness::logic::col::NUM_COLUMNS, 0);
