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
            sequential_fallback: false,
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

#[test]
fn a_chain_falls_back_to_the_sequential_path_and_transfers_do_not() {
    let defaults = ExecOptions {
        threads: NonZeroUsize::new(2).unwrap(),
        ..ExecOptions::default()
    };
    let chain = block(Workload::Chain, 200);
    let out = execute_block(&chain, &defaults).expect("chain executes");
    assert!(!out.block_stm, "a one-sender chain runs sequentially");
    let reason = out.fallback.as_deref().expect("the fallback says why");
    assert!(reason.contains("same-sender chain 200"), "{reason}");
    assert!(same(&out, &run(&chain, None)));
    let transfers = block(Workload::Transfers, 200);
    let out = execute_block(&transfers, &defaults).expect("transfers execute");
    assert!(
        out.block_stm && out.fallback.is_none(),
        "independent transfers run on Block-STM"
    );
    // With the fallback off, Block-STM runs even the chain.
    assert!(run(&chain, Some(2)).block_stm);
}
