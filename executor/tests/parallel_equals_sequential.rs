//! Both parallel engines (Block-STM, optimistic ranges) equal the
//! sequential path on contended synthetic blocks for 1, 2, 4 and 16 threads,
//! run many times; and a corrupted result is noticed.

use executor::synthetic::{block, Workload};
use executor::{execute_block, BlockOutput, ExecOptions, ParallelEngine};
use std::num::NonZeroUsize;

const ENGINES: [ParallelEngine; 2] = [ParallelEngine::BlockStm, ParallelEngine::Ranges];

fn sequential(input: &executor::BlockInput) -> BlockOutput {
    let options = ExecOptions {
        sequential: true,
        ..ExecOptions::default()
    };
    execute_block(input, &options).expect("synthetic block executes")
}

/// Runs `input` on `engine` with `threads` workers, never falling back.
fn run(input: &executor::BlockInput, threads: usize, engine: ParallelEngine) -> BlockOutput {
    let options = ExecOptions {
        threads: NonZeroUsize::new(threads).unwrap(),
        sequential_fallback: false,
        engine: Some(engine),
        ..ExecOptions::default()
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
        let reference = sequential(&input);
        assert!(
            reference.txs.iter().all(|t| t.success),
            "{workload:?}: every synthetic transaction succeeds"
        );
        for engine in ENGINES {
            for threads in [1, 2, 4, 16] {
                for round in 0..5 {
                    let parallel = run(&input, threads, engine);
                    assert_eq!(parallel.engine, Some(engine));
                    assert!(
                        same(&parallel, &reference),
                        "{workload:?} on {engine} with {threads} threads, round {round}: differs"
                    );
                }
            }
        }
    }
}

#[test]
fn equality_check_notices_a_changed_result() {
    let input = block(Workload::Uniswap, 50);
    let reference = sequential(&input);
    let mut corrupted = run(&input, 4, ParallelEngine::Ranges);
    assert!(same(&corrupted, &reference));
    corrupted.txs[7].gas_used += 1;
    assert!(!same(&corrupted, &reference));
}

#[test]
fn swaps_really_conflict_and_are_re_executed() {
    let input = block(Workload::Uniswap, 200);
    // Optimistic ranges execute every run against the pre-state, whatever
    // the timing, so a run's first swap on a pool an earlier run swapped on
    // always reads stale reserves. (Block-STM may instead wait on the
    // earlier swap, so how often it re-executes depends on the timing.)
    let out = run(&input, 4, ParallelEngine::Ranges);
    assert!(out.reexecutions > 0, "swaps on a few pools conflict");
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
    assert_eq!(out.engine, None, "a one-sender chain runs sequentially");
    let reason = out.fallback.as_deref().expect("the fallback says why");
    assert!(reason.contains("same-sender chain 200"), "{reason}");
    assert!(same(&out, &sequential(&chain)));
    let transfers = block(Workload::Transfers, 200);
    let out = execute_block(&transfers, &defaults).expect("transfers execute");
    assert!(
        out.engine.is_some() && out.fallback.is_none(),
        "independent transfers run in parallel"
    );
    assert_eq!(out.reexecutions, 0, "independent transfers never conflict");
    // With the fallback off, the engines run even the chain.
    for engine in ENGINES {
        assert_eq!(run(&chain, 2, engine).engine, Some(engine));
    }
}

#[test]
fn an_invalid_transaction_fails_the_block_at_its_index_on_every_engine() {
    let mut input = block(Workload::Erc20, 120);
    input.transactions[77].nonce += 1;
    for engine in ENGINES {
        for threads in [1, 2, 4] {
            let options = ExecOptions {
                threads: NonZeroUsize::new(threads).unwrap(),
                sequential_fallback: false,
                engine: Some(engine),
                ..ExecOptions::default()
            };
            match execute_block(&input, &options) {
                Err(executor::ExecError::InvalidTransaction { index, reason }) => {
                    assert_eq!(index, 77, "{engine}, {threads} threads: {reason}");
                    assert!(reason.contains("Nonce"), "{engine}: {reason}");
                }
                other => panic!("{engine}, {threads} threads: expected transaction 77 to be rejected, got {other:?}"),
            }
        }
    }
}
