//! Constraints of the call-context table; the column layout is
//! [`witness::context::col`]. Its contents are fixed by a cross-table lookup
//! against tuples the verifier derives from the statement's calls, so the
//! table itself only needs `IS_REAL` boolean and no reads counted on padding
//! rows.

use super::bytecode_stark::eval_pinned;
use super::expr::{impl_stark_via_cx, Cx};
use plonky2::field::types::Field;
use starky::lookup::Lookup;
use witness::context::col;

/// The call-context table.
#[derive(Clone, Copy, Debug, Default)]
pub struct ContextStark;

impl ContextStark {
    /// The call-context table has no range checks.
    pub fn range_lookups<F: Field>(&self) -> Vec<Lookup<F>> {
        Vec::new()
    }

    /// All constraints of the table.
    pub fn eval<C: Cx>(&self, cx: &mut C, lv: &[C::V], _nv: &[C::V], _pis: &[C::V]) {
        eval_pinned(cx, lv[col::IS_REAL], lv[col::MULT]);
    }
}

impl_stark_via_cx!(ContextStark, witness::context::col::NUM_COLUMNS, 0);
