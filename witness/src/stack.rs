//! The stack read/write table: every stack access of the step table, sorted
//! by (transaction, slot, time stamp).
//!
//! Sorting turns "every read returns the last value written" into a local
//! check between neighbouring rows: a read returns the value of the row
//! above it when both touch the same slot, and the first access to a slot
//! must be a write (each transaction's stack starts empty). The ordering is
//! proven with one 24-bit difference per row (three range-checked bytes):
//! the time-stamp step within a slot, the slot step within a transaction, or
//! the transaction step.
//!
//! A transaction split across chunks ([`crate::boundary`]) has its stack at
//! the cut as public rows: initial writes at time stamp 0 where it resumes
//! (the steps' time stamps start at 4), final reads after every step where
//! it is suspended; the verifier supplies their side of the lookup.
//!
//! Padding rows repeat the last slot as reads of its last value with
//! increasing time stamps, so they satisfy the same constraints and are
//! excluded from the cross-table lookup by `IS_REAL = 0`.

use crate::cpu::StackAccess;
use crate::rw::pad_and_order;
use crate::word::limbs;
use crate::{range, WitnessError, F};
use plonky2::field::types::Field;

/// Column indices of the stack table.
pub mod col {
    use crate::word::LIMBS;

    /// 1 on rows holding an access of the step table.
    pub const IS_REAL: usize = 0;
    /// Transaction index.
    pub const TX: usize = 1;
    /// Stack slot.
    pub const ADDR: usize = 2;
    /// Low byte of the slot.
    pub const ADDR_LO: usize = 3;
    /// High byte of the slot.
    pub const ADDR_HI: usize = 4;
    /// Time stamp.
    pub const TS: usize = 5;
    /// 1 for a write, 0 for a read.
    pub const IS_WRITE: usize = 6;
    /// 1 when the next row touches the same (transaction, slot).
    pub const SAME: usize = 7;
    /// 1 when the next row belongs to a later transaction.
    pub const TX_CHANGE: usize = 8;
    /// Bytes of the ordering difference to the next row (minus one).
    pub const DELTA: usize = 9;
    /// Value read or written, byte limbs.
    pub const VAL: usize = DELTA + 3;
    /// Byte range table.
    pub const RANGE: usize = VAL + LIMBS;
    /// Lookup frequencies of RANGE.
    pub const FREQ: usize = RANGE + 1;
    /// Number of columns.
    pub const NUM_COLUMNS: usize = FREQ + 1;

    /// Width of an access tuple (tx, slot, time stamp, is write, value limbs).
    pub const TUPLE: usize = 4 + LIMBS;

    /// The columns checked to hold bytes by a lookup into RANGE.
    pub const RANGE_CHECKED: [usize; 5] = [ADDR_LO, ADDR_HI, DELTA, DELTA + 1, DELTA + 2];

    /// The key, flag and ordering columns (three DELTA bytes).
    pub const SORTED: crate::rw::SortedColumns = crate::rw::SortedColumns {
        is_real: IS_REAL,
        tx: TX,
        addr: ADDR,
        ts: TS,
        is_write: IS_WRITE,
        same: SAME,
        tx_change: TX_CHANGE,
        delta: DELTA,
        delta_bytes: 3,
        tie: None,
    };
}

/// Builds the stack table from the step table's accesses, padded to `2^rows_log` rows.
pub fn generate(accesses: &[StackAccess], rows_log: usize) -> Result<Vec<[F; col::NUM_COLUMNS]>, WitnessError> {
    let height = 1usize << rows_log;
    if accesses.len() > height {
        return Err(WitnessError::MalformedTrace {
            tx: accesses[0].tx,
            step: 0,
            reason: format!(
                "{} stack accesses do not fit a stack table of {height} rows",
                accesses.len()
            ),
        });
    }
    let mut sorted: Vec<&StackAccess> = accesses.iter().collect();
    sorted.sort_by_key(|a| (a.tx, a.addr, a.ts));
    let mut rows: Vec<[F; col::NUM_COLUMNS]> = Vec::with_capacity(height);
    for a in &sorted {
        let mut row = [F::ZERO; col::NUM_COLUMNS];
        row[col::IS_REAL] = F::ONE;
        row[col::TX] = F::from_canonical_u32(a.tx);
        row[col::ADDR] = F::from_canonical_u64(a.addr);
        row[col::ADDR_LO] = F::from_canonical_u64(a.addr & 0xff);
        row[col::ADDR_HI] = F::from_canonical_u64(a.addr >> 8);
        row[col::TS] = F::from_canonical_u64(a.ts);
        row[col::IS_WRITE] = F::from_bool(a.write);
        for (j, b) in limbs(a.value).iter().enumerate() {
            row[col::VAL + j] = F::from_canonical_u8(*b);
        }
        rows.push(row);
    }
    pad_and_order(&mut rows, height, &col::SORTED, &[col::IS_REAL, col::IS_WRITE], "stack")?;
    range::fill(&mut rows, &col::RANGE_CHECKED, col::RANGE, col::FREQ);
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use revm::primitives::U256;

    #[test]
    fn sorts_by_slot_then_time_and_pads_with_reads() {
        let acc = |addr, ts, write, v: u64| StackAccess {
            tx: 0,
            addr,
            ts,
            write,
            value: U256::from(v),
        };
        let rows = generate(&[acc(0, 2, true, 7), acc(1, 6, true, 8), acc(0, 4, false, 7)], 8).unwrap();
        assert_eq!(rows.len(), 256);
        assert_eq!(rows[1][col::TS], F::from_canonical_u64(4));
        assert_eq!(rows[0][col::SAME], F::ONE);
        assert_eq!(rows[1][col::SAME], F::ZERO);
        assert_eq!(rows[3][col::IS_REAL], F::ZERO);
        assert_eq!(rows[3][col::VAL], F::from_canonical_u64(8));
    }
}
