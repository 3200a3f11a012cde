//! Every GeneralStateTest (Cancun) in ../shared/data passes on the sequential
//! and the parallel path: post-state root and logs hash.

mod common;

use executor::fixtures::state_test::{self, StateTestCase};
use executor::{ExecOptions, ParallelEngine};
use std::num::NonZeroUsize;

/// Runs every case, spread over the cores case by case (the slow cases sit
/// together in one folder), and lists the failures.
fn run_all(cases: &[StateTestCase], options: &ExecOptions) -> Vec<String> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|first| {
                scope.spawn(move || {
                    cases
                        .iter()
                        .skip(first)
                        .step_by(workers)
                        .filter_map(|c| {
                            state_test::run_case(c, options)
                                .err()
                                .map(|e| format!("{} {}: {e}", c.path.display(), c.name))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker panicked"))
            .collect()
    })
}

#[test]
fn general_state_tests_pass_sequential_and_parallel() {
    let loaded = state_test::load(&common::data_path("ethereum-tests/GeneralStateTests")).expect("fixtures load");
    assert!(loaded.cases.len() > 10_000, "only {} cases loaded", loaded.cases.len());
    let sequential = ExecOptions {
        sequential: true,
        ..ExecOptions::default()
    };
    let mut failures = run_all(&loaded.cases, &sequential);
    for engine in [ParallelEngine::BlockStm, ParallelEngine::Ranges] {
        let parallel = ExecOptions {
            sequential: false,
            threads: NonZeroUsize::new(2).unwrap(),
            sequential_fallback: false,
            engine: Some(engine),
            ..ExecOptions::default()
        };
        failures.extend(
            run_all(&loaded.cases, &parallel)
                .into_iter()
                .map(|f| format!("{engine}: {f}")),
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        loaded.cases.len() * 3,
        failures.join("\n")
    );
}
