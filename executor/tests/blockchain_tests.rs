//! Every Cancun BlockchainTests/ValidBlocks chain passes on the parallel path,
//! with each engine (per-block gas, receipts root, bloom and state root;
//! final post-state).

mod common;

use executor::fixtures::blockchain_test;
use executor::{ExecOptions, ParallelEngine};
use std::num::NonZeroUsize;

#[test]
fn valid_blocks_pass_in_parallel() {
    let loaded = blockchain_test::load(&common::data_path("ethereum-tests/BlockchainTests/ValidBlocks"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(loaded.chains.len() > 400, "only {} chains", loaded.chains.len());
    let mut failures = Vec::new();
    for engine in [ParallelEngine::BlockStm, ParallelEngine::Ranges] {
        let options = ExecOptions {
            threads: NonZeroUsize::new(4).unwrap(),
            sequential_fallback: false,
            engine: Some(engine),
            ..ExecOptions::default()
        };
        failures.extend(loaded.chains.iter().filter_map(|c| {
            blockchain_test::run_chain(c, &options)
                .err()
                .map(|e| format!("{engine}: {} {}: {e}", c.path.display(), c.name))
        }));
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        loaded.chains.len() * 2,
        failures.join("\n")
    );
}
