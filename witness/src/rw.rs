//! What the sorted read/write tables (stack, memory) share: rows sorted by
//! (transaction, address, time stamp), and the ordering witness between
//! neighbouring rows that turns "a read returns the last value written" into
//! a check between neighbours.

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
