//! `zkr statetest`: runs ethereum/tests GeneralStateTests (Cancun entries)
//! from files or folders and reports passed/failed/skipped; with `--prove`
//! it also proves, with the zkEVM's chunk proofs, every passing case whose
//! execution is in the proven scope.

use clap::Args;
use executor::fixtures::state_test::{self, StateTestCase};
use executor::trace::TraceCut;
use executor::tracer::TraceLimit;
use executor::{execute_block, ExecOptions};
use indicatif::{ProgressBar, ProgressStyle};
use prover::backend::Backend;
use revm::primitives::hardfork::SpecId;
use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use witness::WitnessError;

/// Options for `zkr statetest`.
#[derive(Args)]
pub struct StatetestArgs {
    /// Test files or folders.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Use the parallel path with this many threads (default: sequential).
    #[arg(long)]
    threads: Option<NonZeroUsize>,
    /// Also prove each passing case whose execution is in the zkEVM's scope
    /// (chunk proofs, verified) and report proven / out of scope / failed.
    #[arg(long)]
    prove: bool,
    /// Chunk size when proving: at most 2^k step rows per chunk.
    #[arg(long, default_value_t = 10)]
    chunk_rows_log: usize,
}

/// What proving one case came to.
enum Proving {
    /// Every chunk proven and the chunk sequence verified.
    Proven,
    /// The execution uses something the tables do not prove yet (why).
    OutOfScope(String),
    /// Proving or verification failed (why).
    Failed(String),
}

/// The short reason a witness error puts a case out of scope, for the
/// summary (a feature's details after ": " left out).
fn scope_reason(e: &WitnessError) -> Option<String> {
    match e {
        WitnessError::UnsupportedOpcode { name, .. } => Some(format!("opcode {name}")),
        WitnessError::UnsupportedFeature { feature, .. } => {
            Some(feature.split(": ").next().unwrap_or(feature).to_string())
        }
        WitnessError::TransactionTooLong { .. } => {
            Some("a transaction longer than one chunk that cannot be split (more than 64 KiB of memory)".into())
        }
        WitnessError::TraceCut {
            cut: TraceCut::Steps(_),
            ..
        } => Some(format!("a transaction longer than {SPLIT_CHUNKS} chunks")),
        WitnessError::TraceCut {
            cut: TraceCut::MemoryBytes(_),
            ..
        } => Some("memory accesses beyond the tracing limit".into()),
        _ => None,
    }
}

/// Most bytes of memory accesses a proven case's trace may record: a guard
/// against tracing memory-heavy cases (within one chunk of steps, RETURN
/// and REVERT can still read megabytes each).
const MAX_TRACED_MEMORY: usize = 1 << 26;

/// Most chunks a proven case's transaction may be split over: the trace
/// of a longer one stops there (it is out of scope and need not be recorded whole).
const SPLIT_CHUNKS: usize = 4;

/// Executes `case` with traces, builds its chunk witnesses and proves them.
/// The trace of each transaction stops at [`SPLIT_CHUNKS`] chunks' steps and
/// at [`MAX_TRACED_MEMORY`].
fn prove_case(case: &StateTestCase, rows_log: usize, backend: &dyn Backend) -> Proving {
    let options = ExecOptions {
        sequential: true,
        capture_traces: true,
        trace_limit: TraceLimit {
            memory_bytes: MAX_TRACED_MEMORY,
            ..witness::chunk::chunk_trace_limit(rows_log + SPLIT_CHUNKS.ilog2() as usize)
        },
        spec: Some(SpecId::CANCUN),
        ..ExecOptions::default()
    };
    let trace = match execute_block(&case.block, &options) {
        Ok(out) => out.traces.expect("traces were requested"),
        Err(e) => return Proving::Failed(format!("executing with traces: {e}")),
    };
    let chunks = match witness::PreState::of(&case.block).and_then(|pre| witness::build_chunks(&trace, &pre, rows_log))
    {
        Ok(chunks) => chunks,
        Err(e) => {
            return match scope_reason(&e) {
                Some(reason) => Proving::OutOfScope(reason),
                None => Proving::Failed(format!("building the witness: {e}")),
            }
        }
    };
    let proofs = match chunks
        .into_iter()
        .map(|c| prover::zkevm::prove_chunk_with(c, backend))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(proofs) => proofs,
        Err(e) => return Proving::Failed(format!("proving: {e}")),
    };
    match prover::zkevm::verify_chunk_sequence(&proofs) {
        Ok(()) => Proving::Proven,
        Err(e) => Proving::Failed(format!("verifying: {e}")),
    }
}

pub fn run(args: StatetestArgs) -> anyhow::Result<ExitCode> {
    let mut tests = state_test::StateTests::default();
    for path in &args.paths {
        let loaded = state_test::load(path)?;
        tests.cases.extend(loaded.cases);
        tests.skipped += loaded.skipped;
    }
    let options = match args.threads {
        Some(threads) => ExecOptions {
            sequential: false,
            threads,
            ..ExecOptions::default()
        },
        None => ExecOptions {
            sequential: true,
            ..ExecOptions::default()
        },
    };
    let progress = ProgressBar::new(tests.cases.len() as u64)
        .with_style(ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}").expect("valid template"));
    progress.set_message("state tests");
    let backend = match args.prove {
        true => Some(crate::gpu::backend_choice()?),
        false => None,
    };
    let mut failures = Vec::new();
    let mut proof_failures = Vec::new();
    let (mut proven, mut out_of_scope) = (0usize, BTreeMap::<String, usize>::new());
    for case in &tests.cases {
        let label = format!("{} {}", case.path.display(), case.name);
        match (state_test::run_case(case, &options), &backend) {
            (Err(e), _) => {
                tracing::warn!(case = %case.name, "failed: {e}");
                failures.push(format!("{label}: {e}"));
            }
            (Ok(_), None) => {}
            (Ok(output), Some(choice)) => match output.map_or_else(
                || Proving::OutOfScope("a rejected transaction".into()),
                |_| prove_case(case, args.chunk_rows_log, choice.backend.as_ref()),
            ) {
                Proving::Proven => proven += 1,
                Proving::OutOfScope(reason) => *out_of_scope.entry(reason).or_default() += 1,
                Proving::Failed(reason) => {
                    tracing::warn!(case = %case.name, "proving failed: {reason}");
                    proof_failures.push(format!("{label}: {reason}"));
                }
            },
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    for f in &failures {
        println!("FAIL {f}");
    }
    for f in &proof_failures {
        println!("PROOF FAIL {f}");
    }
    println!(
        "passed {}, failed {}, skipped {} (entries for forks other than {})",
        tests.cases.len() - failures.len(),
        failures.len(),
        tests.skipped,
        state_test::FORK
    );
    if let Some(choice) = &backend {
        let total: usize = out_of_scope.values().sum();
        println!(
            "proving ({}): proven {proven}, out of scope {total}, failed {} (chunk proofs of the execution steps and of the rollup state tree's root transition; the Ethereum MPT state root is checked by execution, not proven)",
            choice.describe(),
            proof_failures.len()
        );
        let mut reasons: Vec<_> = out_of_scope.into_iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for (reason, count) in reasons.iter().take(10) {
            println!("  out of scope: {count:>6}  {reason}");
        }
    }
    Ok(if failures.is_empty() && proof_failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use executor::synthetic::{block, counter_loop_block, Workload};
    use prover::backend::CpuBackend;

    fn case(block: executor::BlockInput) -> StateTestCase {
        StateTestCase {
            path: PathBuf::from("generated"),
            name: "case".into(),
            block,
            expected_root: Default::default(),
            expected_logs: Default::default(),
            expect_exception: None,
            unencodable: None,
        }
    }

    fn prove(case: &StateTestCase, rows_log: usize) -> Proving {
        prove_case(case, rows_log, &CpuBackend)
    }

    #[test]
    fn in_scope_cases_are_proven_and_the_rest_say_what_is_missing() {
        assert!(matches!(prove(&case(counter_loop_block(1, 5)), 8), Proving::Proven));
        // Token transfers (storage reads and writes, a balance check) and swaps are in scope.
        assert!(matches!(prove(&case(block(Workload::Erc20, 2)), 8), Proving::Proven));
        assert!(matches!(prove(&case(block(Workload::Uniswap, 2)), 8), Proving::Proven));
        let with_code = |code: &'static [u8]| {
            let mut block = counter_loop_block(1, 5);
            for account in block.pre_state.values_mut().filter(|a| !a.code.is_empty()) {
                account.code = revm::primitives::Bytes::from_static(code);
            }
            case(block)
        };
        // ADDMOD(3, 2, 1) and EXP(2, 3) are proven; BALANCE(ADDRESS) is not in scope yet.
        let modular = with_code(&[0x60, 0x01, 0x60, 0x02, 0x60, 0x03, 0x08, 0x00]);
        assert!(matches!(prove(&modular, 8), Proving::Proven));
        let power = with_code(&[0x60, 0x03, 0x60, 0x02, 0x0a, 0x00]);
        assert!(matches!(prove(&power, 8), Proving::Proven));
        match prove(&with_code(&[0x30, 0x31, 0x00]), 8) {
            Proving::OutOfScope(reason) => assert_eq!(reason, "opcode BALANCE"),
            _ => panic!("BALANCE is not in the proven scope yet"),
        }
        // 80 loop rounds (569 steps) are split over three chunks of 2^8 rows;
        // 150 (1,059 steps) need more than four, and the trace stops at 1,023
        // steps; a loop holding more than 64 KiB of memory cannot be split.
        assert!(matches!(prove(&case(counter_loop_block(1, 80)), 8), Proving::Proven));
        match prove(&case(counter_loop_block(1, 150)), 8) {
            Proving::OutOfScope(reason) => assert_eq!(reason, "a transaction longer than 4 chunks"),
            _ => panic!("a transaction longer than four chunks is out of scope"),
        }
        let mut early = counter_loop_block(1, 80);
        for account in early.pre_state.values_mut().filter(|a| !a.code.is_empty()) {
            account.code = executor::synthetic::memory_first_loop_code(80);
        }
        match prove(&case(early), 8) {
            Proving::OutOfScope(reason) => assert!(reason.contains("cannot be split"), "{reason}"),
            _ => panic!("a long transaction holding too much memory to cut is out of scope"),
        }
    }
}
