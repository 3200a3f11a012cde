//! What the sorted read/write tables (stack, memory, storage) share: rows
//! sorted by (transaction, address, time stamp), padding, and the ordering
//! witness between neighbouring rows that turns "a read returns the last
//! value written" into a check between neighbours.

use crate::{WitnessError, F};
use plonky2::field::types::{Field, PrimeField64};

/// Where a sorted read/write table keeps its key, flag and ordering columns
/// (the witness fills them, the prover constrains them).
#[derive(Clone, Copy, Debug)]
pub struct SortedColumns {
    /// 1 on rows holding a real access.
    pub is_real: usize,
    /// Transaction.
    pub tx: usize,
    /// Address within the transaction.
    pub addr: usize,
    /// Time stamp.
    pub ts: usize,
    /// 1 for a write.
    pub is_write: usize,
    /// 1 when the next row has the same (transaction, address).
    pub same: usize,
    /// 1 when the next row has a later transaction.
    pub tx_change: usize,
    /// First of the range-checked bytes of the ordering difference, least significant first.
    pub delta: usize,
    /// Number of ordering-difference bytes.
    pub delta_bytes: usize,
    /// A flag column letting its row share the time stamp of the row above
    /// at the same (transaction, address); `None` when time stamps are strict.
    pub tie: Option<usize>,
}

impl SortedColumns {
    /// The ordering-difference byte columns.
    pub fn delta_columns(&self) -> std::ops::Range<usize> {
        self.delta..self.delta + self.delta_bytes
    }
}

/// Pads the sorted real rows of a `table` to `height` rows, then fills the
/// ordering columns. Padding rows repeat the last row as reads of its value
/// at increasing time stamps, with the `cleared` flag columns (`is_real`,
/// `is_write` and any other) zero.
pub fn pad_and_order<const N: usize>(
    rows: &mut Vec<[F; N]>,
    height: usize,
    c: &SortedColumns,
    cleared: &[usize],
    table: &str,
) -> Result<(), WitnessError> {
    let template = rows.last().copied().unwrap_or([F::ZERO; N]);
    while rows.len() < height {
        let mut row = template;
        for &flag in cleared {
            row[flag] = F::ZERO;
        }
        row[c.ts] = rows.last().map_or(F::ZERO, |r| r[c.ts] + F::ONE);
        rows.push(row);
    }
    let key = |r: &[F; N]| [c.tx, c.addr, c.ts].map(|k| r[k].to_canonical_u64());
    for i in 0..height - 1 {
        let (cur, mut next) = (key(&rows[i]), key(&rows[i + 1]));
        // A tie counts as one time stamp later.
        next[2] += c.tie.map_or(0, |t| rows[i + 1][t].to_canonical_u64());
        let bits = 8 * c.delta_bytes;
        let o = order(cur, next)
            .filter(|o| o.delta < 1 << bits)
            .ok_or_else(|| WitnessError::MalformedTrace {
                tx: cur[0] as u32,
                step: 0,
                reason: format!("{table} accesses {cur:?} and {next:?} are not ordered within {bits} bits"),
            })?;
        let row = &mut rows[i];
        row[c.same] = F::from_bool(o.same);
        row[c.tx_change] = F::from_bool(o.tx_change);
        for (k, col) in c.delta_columns().enumerate() {
            row[col] = F::from_canonical_u64((o.delta >> (8 * k)) & 0xff);
        }
    }
    rows[height - 1][c.same] = F::ONE;
    Ok(())
}

/// How a row relates to the next one in a sorted read/write table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Order {
    /// Both rows touch the same (transaction, address).
    pub same: bool,
    /// The next row belongs to a later transaction.
    pub tx_change: bool,
    /// The ordering difference minus one: of the time stamps when `same`,
    /// of the transactions when `tx_change`, of the addresses otherwise.
    pub delta: u64,
}

/// The order between the keys `(tx, addr, ts)` of two neighbouring rows,
/// or `None` when `next` does not come strictly after `cur`.
pub fn order(cur: [u64; 3], next: [u64; 3]) -> Option<Order> {
    let [tx, addr, ts] = cur;
    let [ntx, naddr, nts] = next;
    let (same, tx_change, delta) = if ntx != tx {
        (false, true, ntx.checked_sub(tx + 1)?)
    } else if naddr != addr {
        (false, false, naddr.checked_sub(addr + 1)?)
    } else {
        (true, false, nts.checked_sub(ts + 1)?)
    };
    Some(Order { same, tx_change, delta })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_transaction_then_address_then_time() {
        let o = order([0, 3, 9], [0, 3, 12]).unwrap();
        assert!(o.same && !o.tx_change);
        assert_eq!(o.delta, 2);
        let o = order([0, 3, 9], [0, 5, 1]).unwrap();
        assert!(!o.same && !o.tx_change);
        assert_eq!(o.delta, 1);
        let o = order([1, 3, 9], [2, 0, 0]).unwrap();
        assert!(o.tx_change);
        assert_eq!(o.delta, 0);
        assert_eq!(order([0, 3, 9], [0, 3, 9]), None);
        assert_eq!(order([0, 3, 9], [0, 2, 10]), None);
    }
}
