//! The memory read/write table: every byte the step table reads from or
//! writes to memory, sorted by (transaction, address, time stamp).
//!
//! MLOAD reads and MSTORE writes 32 bytes (one access per byte, at
//! consecutive addresses, all with the step's time stamp `clk + 1`), MSTORE8
//! writes one. As in the stack table, sorting makes memory consistency a
//! check between neighbours: a read returns the value of the row above when
//! both touch the same address. Memory starts zeroed, so the first access to
//! an address in a transaction is a write or a read of 0. The ordering is
//! proven with a 32-bit difference per row (four range-checked bytes).
//!
//! Call data lives in the same table, read-only, from address
//! [`CALLDATA_BASE`] on (memory addresses stay below 2^29): one initial
//! write per call-data byte at time stamp 0 (a public row, `IS_PUBLIC`,
//! pinned by a lookup to tuples the verifier derives from the statement,
//! [`calldata_tuples`]), read by CALLDATALOAD like memory, so bytes past the
//! end read as zero. A transaction split across chunks
//! ([`crate::boundary`]) has its memory at the cut as public rows too:
//! initial writes where it resumes, final reads after every step where it
//! is suspended.
//!
//! Padding rows repeat the last address as reads of its last value with
//! increasing time stamps, and are excluded from the cross-table lookups by
//! `IS_REAL = 0`.

use crate::rw::pad_and_order;
use crate::{range, WitnessError, F};
use plonky2::field::types::Field;

/// Column indices of the memory table.
pub mod col {
    /// 1 on rows holding an access (a step's, or a public row).
    pub const IS_REAL: usize = 0;
    /// 1 on public rows: the initial writes of call-data bytes, and a split
    /// transaction's memory where it resumes (writes) or is suspended (reads).
    pub const IS_PUBLIC: usize = 1;
    /// Transaction index (each transaction has its own memory).
    pub const TX: usize = 2;
    /// Byte address.
    pub const ADDR: usize = 3;
    /// Time stamp: the step's row counter plus one; 0 for initial writes,
    /// the number of steps plus one for a suspended transaction's final reads.
    pub const TS: usize = 4;
    /// 1 for a write, 0 for a read.
    pub const IS_WRITE: usize = 5;
    /// The byte read or written.
    pub const VAL: usize = 6;
    /// 1 when the next row touches the same (transaction, address).
    pub const SAME: usize = 7;
    /// 1 when the next row belongs to a later transaction.
    pub const TX_CHANGE: usize = 8;
    /// Bytes of the ordering difference to the next row (minus one).
    pub const DELTA: usize = 9;
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
    /// Width of an access tuple (TX..=VAL).
    pub const TUPLE: usize = VAL + 1 - TX;

    /// The key, flag and ordering columns (four DELTA bytes).
    pub const SORTED: crate::rw::SortedColumns = crate::rw::SortedColumns {
        is_real: IS_REAL,
        tx: TX,
        addr: ADDR,
        ts: TS,
        is_write: IS_WRITE,
        same: SAME,
        tx_change: TX_CHANGE,
        delta: DELTA,
        delta_bytes: DELTA_BYTES,
        tie: None,
    };
}

/// First address of the call data in each transaction's address space.
pub const CALLDATA_BASE: u64 = 1 << 31;

/// Call data must be shorter than this (far more than a block's gas can
/// pay for); CALLDATALOAD at an offset of this or more pushes zero without
/// touching the table, so every address stays within 32-bit ordering steps.
pub const MAX_CALLDATA: usize = 1 << 24;

/// One byte access to a transaction's memory or call data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryAccess {
    /// Transaction.
    pub tx: u32,
    /// Byte address.
    pub addr: u64,
    /// Time stamp: the row counter of the step plus one (0 for initial writes).
    pub ts: u64,
    /// Write (true) or read.
    pub write: bool,
    /// The byte.
    pub value: u8,
}

/// The initial writes of the call data of each `(tx, calldata)`.
pub fn calldata_writes(calldata: &[(u32, &[u8])]) -> Vec<MemoryAccess> {
    calldata
        .iter()
        .flat_map(|&(tx, data)| {
            data.iter().enumerate().map(move |(i, &value)| MemoryAccess {
                tx,
                addr: CALLDATA_BASE + i as u64,
                ts: 0,
                write: true,
                value,
            })
        })
        .collect()
}

/// The tuple (tx, address, time stamp, write, byte) of an access, as the table's row holds it.
pub fn tuple(a: &MemoryAccess) -> [F; col::TUPLE] {
    [
        F::from_canonical_u32(a.tx),
        F::from_canonical_u64(a.addr),
        F::from_canonical_u64(a.ts),
        F::from_bool(a.write),
        F::from_canonical_u8(a.value),
    ]
}

/// The initial-write tuples (tx, address, time stamp 0, write, byte) of a
/// transaction's call data, as the table's public rows hold them.
pub fn calldata_tuples(tx: u32, calldata: &[u8]) -> Vec<[F; col::TUPLE]> {
    calldata_writes(&[(tx, calldata)]).iter().map(tuple).collect()
}

/// Builds the memory table from its public rows (`public`: the call data's
/// initial writes, see [`calldata_writes`], and any split transaction's
/// boundary memory) and the step table's accesses, padded to `2^rows_log` rows.
pub fn generate(
    public: &[MemoryAccess],
    accesses: &[MemoryAccess],
    rows_log: usize,
) -> Result<Vec<[F; col::NUM_COLUMNS]>, WitnessError> {
    let height = 1usize << rows_log;
    let malformed = |tx: u32, reason: String| WitnessError::MalformedTrace { tx, step: 0, reason };
    let total = public.len() + accesses.len();
    if total > height {
        return Err(malformed(
            accesses.first().or(public.first()).map_or(0, |a| a.tx),
            format!("{total} memory accesses do not fit a memory table of {height} rows"),
        ));
    }
    let mut sorted: Vec<(bool, &MemoryAccess)> = public
        .iter()
        .map(|a| (true, a))
        .chain(accesses.iter().map(|a| (false, a)))
        .collect();
    sorted.sort_by_key(|(_, a)| (a.tx, a.addr, a.ts));
    let mut rows: Vec<[F; col::NUM_COLUMNS]> = Vec::with_capacity(height);
    for (is_public, a) in &sorted {
        let mut row = [F::ZERO; col::NUM_COLUMNS];
        row[col::IS_REAL] = F::ONE;
        row[col::IS_PUBLIC] = F::from_bool(*is_public);
        row[col::TX] = F::from_canonical_u32(a.tx);
        row[col::ADDR] = F::from_canonical_u64(a.addr);
        row[col::TS] = F::from_canonical_u64(a.ts);
        row[col::IS_WRITE] = F::from_bool(a.write);
        row[col::VAL] = F::from_canonical_u8(a.value);
        rows.push(row);
    }
    let cleared = [col::IS_REAL, col::IS_PUBLIC, col::IS_WRITE];
    pad_and_order(&mut rows, height, &col::SORTED, &cleared, "memory")?;
    range::fill(&mut rows, &col::RANGE_CHECKED, col::RANGE, col::FREQ);
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acc(addr: u64, ts: u64, write: bool, value: u8) -> MemoryAccess {
        MemoryAccess {
            tx: 0,
            addr,
            ts,
            write,
            value,
        }
    }

    #[test]
    fn sorts_by_address_then_time_and_pads_with_reads() {
        let rows = generate(
            &[],
            &[acc(33, 2, true, 7), acc(1, 6, false, 0), acc(33, 4, false, 7)],
            8,
        )
        .unwrap();
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

    #[test]
    fn call_data_follows_memory_as_initial_writes() {
        let inits = calldata_writes(&[(0, &[9, 8])]);
        let rows = generate(&inits, &[acc(33, 2, true, 7), acc(CALLDATA_BASE + 1, 3, false, 8)], 8).unwrap();
        assert_eq!(rows[1][col::IS_PUBLIC], F::ONE);
        assert_eq!(rows[1][col::ADDR], F::from_canonical_u64(CALLDATA_BASE));
        assert_eq!(rows[0][col::DELTA + 3], F::from_canonical_u64(0x7f), "2^31 - 33 - 1");
        assert_eq!(rows[3][col::IS_PUBLIC], F::ZERO);
        assert_eq!(rows[3][col::VAL], F::from_canonical_u64(8));
        let tuple = calldata_tuples(0, &[9, 8])[1];
        assert_eq!(&tuple[..], &rows[2][col::TX..=col::VAL]);
    }
}
