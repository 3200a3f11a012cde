//! The memory read/write table: every byte the step table reads from or
//! writes to memory, sorted by (transaction, address, time stamp).
//!
//! MLOAD reads and MSTORE writes 32 bytes (one access per byte, at
//! consecutive addresses, all with the step's time stamp), MSTORE8 writes
//! one. As in the stack table, sorting makes memory consistency a check
//! between neighbours: a read returns the value of the row above when both
//! touch the same address. Memory starts zeroed, so the first access to an
//! address in a transaction is a write or a read of 0. The ordering is
//! proven with a 32-bit difference per row (four range-checked bytes).
//!
//! Padding rows repeat the last address as reads of its last value with
//! increasing time stamps, and are excluded from the cross-table lookup by
//! `IS_REAL = 0`.

use crate::rw::order;
use crate::{range, WitnessError, F};
use plonky2::field::types::{Field, PrimeField64};

/// Column indices of the memory table.
pub mod col {
    /// 1 on rows holding an access of the step table.
    pub const IS_REAL: usize = 0;
    /// Transaction index (each transaction has its own memory).
    pub const TX: usize = 1;
    /// Byte address.
    pub const ADDR: usize = 2;
    /// Time stamp: the step's row counter.
    pub const TS: usize = 3;
    /// 1 for a write, 0 for a read.
    pub const IS_WRITE: usize = 4;
    /// The byte read or written.
    pub const VAL: usize = 5;
    /// 1 when the next row touches the same (transaction, address).
    pub const SAME: usize = 6;
    /// 1 when the next row belongs to a later transaction.
    pub const TX_CHANGE: usize = 7;
    /// Bytes of the ordering difference to the next row (minus one).
    pub const DELTA: usize = 8;
    /// Number of DELTA bytes.
    pub const DELTA_BYTES: usize = 4;
    /// Byte range table.
    pub const RANGE: usize = DELTA + DELTA_BYTES;
    /// Lookup frequencies of RANGE.
    pub const FREQ: usize = RANGE + 1;
    /// Number of columns.
    pub const NUM_COLUMNS: usize = FREQ + 1;

    /// The columns checked to hold bytes by a lookup into RANGE.
    pub const RANGE_CHECKED: [usize; DELTA_BYTES + 1] = [DELTA, DELTA + 1, DELTA + 2, DELTA + 3, VAL];
}

/// One byte access of the step table to memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryAccess {
    /// Transaction.
    pub tx: u32,
    /// Byte address.
    pub addr: u64,
    /// Time stamp: the row counter of the step.
    pub ts: u64,
    /// Write (true) or read.
    pub write: bool,
    /// The byte.
    pub value: u8,
}

/// Builds the memory table from the step table's accesses, padded to
/// `2^rows_log` rows.
pub fn generate(accesses: &[MemoryAccess], rows_log: usize) -> Result<Vec<[F; col::NUM_COLUMNS]>, WitnessError> {
    let height = 1usize << rows_log;
    let malformed = |tx: u32, reason: String| WitnessError::MalformedTrace { tx, step: 0, reason };
    if accesses.len() > height {
        return Err(malformed(
            accesses[0].tx,
            format!(
                "{} memory accesses do not fit a memory table of {height} rows",
                accesses.len()
            ),
        ));
    }
    let mut sorted: Vec<&MemoryAccess> = accesses.iter().collect();
    sorted.sort_by_key(|a| (a.tx, a.addr, a.ts));
    let mut rows: Vec<[F; col::NUM_COLUMNS]> = Vec::with_capacity(height);
    for a in &sorted {
        let mut row = [F::ZERO; col::NUM_COLUMNS];
        row[col::IS_REAL] = F::ONE;
        row[col::TX] = F::from_canonical_u32(a.tx);
        row[col::ADDR] = F::from_canonical_u64(a.addr);
        row[col::TS] = F::from_canonical_u64(a.ts);
        row[col::IS_WRITE] = F::from_bool(a.write);
        row[col::VAL] = F::from_canonical_u8(a.value);
        rows.push(row);
    }
    let template = rows.last().copied().unwrap_or([F::ZERO; col::NUM_COLUMNS]);
    while rows.len() < height {
        let mut row = template;
        row[col::IS_REAL] = F::ZERO;
        row[col::IS_WRITE] = F::ZERO;
        row[col::TS] = rows.last().map_or(F::ZERO, |r| r[col::TS] + F::ONE);
        rows.push(row);
    }
    let key = |r: &[F; col::NUM_COLUMNS]| [col::TX, col::ADDR, col::TS].map(|c| r[c].to_canonical_u64());
    for i in 0..height - 1 {
        let (cur, next) = (key(&rows[i]), key(&rows[i + 1]));
        let o = order(cur, next)
            .filter(|o| o.delta < 1 << (8 * col::DELTA_BYTES))
            .ok_or_else(|| {
                malformed(
                    cur[0] as u32,
                    format!("memory accesses {cur:?} and {next:?} are not ordered within 32 bits"),
                )
            })?;
        let row = &mut rows[i];
        row[col::SAME] = F::from_bool(o.same);
        row[col::TX_CHANGE] = F::from_bool(o.tx_change);
        for k in 0..col::DELTA_BYTES {
            row[col::DELTA + k] = F::from_canonical_u64((o.delta >> (8 * k)) & 0xff);
        }
    }
    rows[height - 1][col::SAME] = F::ONE;
    range::fill(&mut rows, &col::RANGE_CHECKED, col::RANGE, col::FREQ);
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_by_address_then_time_and_pads_with_reads() {
        let acc = |addr, ts, write, value| MemoryAccess {
            tx: 0,
            addr,
            ts,
            write,
            value,
        };
        let rows = generate(&[acc(33, 2, true, 7), acc(1, 6, false, 0), acc(33, 4, false, 7)], 8).unwrap();
        assert_eq!(rows.len(), 256);
        assert_eq!(rows[0][col::ADDR], F::ONE);
        assert_eq!(rows[0][col::DELTA], F::from_canonical_u64(31));
        assert_eq!(rows[1][col::SAME], F::ONE);
        assert_eq!(rows[2][col::TS], F::from_canonical_u64(4));
        assert_eq!(rows[3][col::IS_REAL], F::ZERO);
        assert_eq!(rows[3][col::VAL], F::from_canonical_u64(7));
        assert_eq!(
            rows[7][col::FREQ],
            F::from_canonical_u64(255),
            "every VAL cell but the read of address 1"
        );
    }
}
