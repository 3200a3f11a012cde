//! When the parallel engines are not worth running. Transactions from one
//! sender form a dependency chain (each needs the previous one's nonce and
//! balance), which they can only run one after the other, paying their
//! bookkeeping on top;
//! so can a block too small to share among the threads. Such blocks go to the
//! sequential path, which gives the same results (as pevm and grevm do).

use crate::input::BlockInput;
use revm::primitives::{Address, HashMap};
use std::num::NonZeroUsize;

/// Least ideal speed-up (transactions over the longest sender chain, or over
/// each thread's share) for which a parallel engine runs: on one thread
/// their bookkeeping adds 40% (optimistic ranges) to 70% (Block-STM) to the
/// sequential time (bench/RESULTS.md), so below 1.5 they cannot win.
const MIN_IDEAL_SPEEDUP: f64 = 1.5;

/// Fewest transactions the parallel engines run: below this, starting the threads and
/// the memory costs more than the block (bench/RESULTS.md, mainnet blocks).
const MIN_TRANSACTIONS: usize = 16;

/// Length of the longest chain of transactions sharing a sender.
pub(crate) fn longest_sender_chain(input: &BlockInput) -> usize {
    let mut per_sender: HashMap<Address, usize> = HashMap::default();
    input
        .transactions
        .iter()
        .map(|t| {
            let count = per_sender.entry(t.from).or_default();
            *count += 1;
            *count
        })
        .max()
        .unwrap_or(0)
}

/// Why a parallel engine on `threads` threads would not beat the sequential path on
/// `input`, or `None` when it might.
pub(crate) fn reason_to_run_sequentially(input: &BlockInput, threads: NonZeroUsize) -> Option<String> {
    let n = input.transactions.len();
    if n < MIN_TRANSACTIONS {
        return Some(format!("{n} transactions, fewer than {MIN_TRANSACTIONS}"));
    }
    let chain = longest_sender_chain(input);
    let share = n.div_ceil(threads.get());
    let ideal = n as f64 / chain.max(share) as f64;
    (ideal < MIN_IDEAL_SPEEDUP).then(|| {
        format!(
            "ideal speed-up {ideal:.2}x below {MIN_IDEAL_SPEEDUP}x ({n} transactions, longest same-sender chain {chain}, {} threads)",
            threads.get()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{block, Workload};

    fn threads(n: usize) -> NonZeroUsize {
        NonZeroUsize::new(n).expect("non-zero")
    }

    #[test]
    fn chains_small_blocks_and_one_thread_run_sequentially() {
        let chain = block(Workload::Chain, 100);
        assert_eq!(longest_sender_chain(&chain), 100);
        let reason = reason_to_run_sequentially(&chain, threads(16)).expect("a chain falls back");
        assert!(reason.contains("longest same-sender chain 100"), "{reason}");
        let transfers = block(Workload::Transfers, 100);
        assert_eq!(longest_sender_chain(&transfers), 1);
        assert_eq!(reason_to_run_sequentially(&transfers, threads(2)), None);
        assert!(reason_to_run_sequentially(&transfers, threads(1)).is_some());
        let small = block(Workload::Transfers, MIN_TRANSACTIONS - 1);
        assert!(reason_to_run_sequentially(&small, threads(2)).is_some());
    }
}
