//! Constraints of the bytecode table; the column layout is
//! [`witness::bytecode::col`]. Its contents are fixed by a cross-table
//! lookup against tuples the verifier derives from the public code, so the
//! table itself only needs `IS_REAL` boolean and no executions counted on
//! padding rows.

use super::expr::{impl_stark_via_cx, Cx};
use plonky2::field::types::Field;
use starky::lookup::Lookup;
use witness::bytecode::col;

/// The bytecode table.
#[derive(Clone, Copy, Debug, Default)]
pub struct BytecodeStark;

impl BytecodeStark {
    /// The bytecode table has no range checks.
    pub fn range_lookups<F: Field>(&self) -> Vec<Lookup<F>> {
        Vec::new()
    }

    /// All constraints of the table.
    pub fn eval<C: Cx>(&self, cx: &mut C, lv: &[C::V], _nv: &[C::V], _pis: &[C::V]) {
        eval_pinned(cx, lv[col::IS_REAL], lv[col::MULT]);
    }
}

/// The constraints of a table pinned to public tuples by a lookup: `is_real`
/// is boolean and padding rows are never looked up (`mult = 0`).
pub(crate) fn eval_pinned<C: Cx>(cx: &mut C, is_real: C::V, mult: C::V) {
    cx.boolean(is_real);
    let padding = cx.not(is_real);
    let c = cx.mul(padding, mult);
    cx.always(c);
}

impl_stark_via_cx!(BytecodeStark, witness::bytecode::col::NUM_COLUMNS, 0);
