//! `zkr statetest`: runs ethereum/tests GeneralStateTests (Cancun entries)
//! from files or folders and reports passed/failed/skipped; with `--prove`
//! it also proves, with the zkEVM's chunk proofs, every passing case whose
//! execution is in the proven scope.

use clap::Args;
use executor::fixtures::state_test::{self, StateTestCase};
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
        WitnessError::TransactionTooLong { .. } => Some("a transaction longer than one chunk".into()),
        _ => None,
    }
}

/// The most gas a transaction of `case` can use if its execution fits one
/// chunk of `2^rows_log` proven steps: an upper bound of its intrinsic gas
/// (calldata at 16 per byte, access list) plus the dearest proven opcode's
/// static gas per step, and the dearest storage access (a cold SSTORE
/// setting a zero slot) for each SLOAD or SSTORE byte in the called code.
/// Memory expansion beyond that, or storage accesses in loops, are not
/// attempted (a guard against tracing memory-heavy cases).
fn provable_gas(case: &StateTestCase, rows_log: usize) -> u64 {
    use witness::storage::gas::{COLD_SSTORE_EXTRA, SET};
    let step_gas = witness::opcode::Family::ALL.iter().map(|f| f.gas()).max().unwrap_or(0);
    let execution = step_gas << rows_log;
    case.block
        .transactions
        .iter()
        .map(|tx| {
            let keys: usize = tx.access_list.iter().map(|item| item.storage_keys.len()).sum();
            let code = tx.to.and_then(|to| case.block.pre_state.get(&to)).map(|a| &a.code[..]);
            let storage_ops = code
                .unwrap_or_default()
                .iter()
                .filter(|&&b| b == 0x54 || b == 0x55)
                .count() as u64;
            21_000
                + 16 * tx.input.len() as u64
                + 2_400 * tx.access_list.len() as u64
                + 1_900 * keys as u64
                + execution
                + storage_ops * (SET + COLD_SSTORE_EXTRA)
        })
        .sum()
}

/// Executes `case` with traces, builds its chunk witnesses and proves them.
/// `gas_used` is what its (untraced, checked) execution used; `None` when
/// its transaction was rejected. A case that burns more gas than one chunk
/// of proven steps can is out of scope without being traced (memory-heavy
/// tests record gigabytes of trace).
fn prove_case(case: &StateTestCase, gas_used: Option<u64>, rows_log: usize, backend: &dyn Backend) -> Proving {
    match gas_used {
        None => return Proving::OutOfScope("a rejected transaction".into()),
        Some(gas) if gas > provable_gas(case, rows_log) => {
            return Proving::OutOfScope("more gas than one chunk of proven steps can use".into())
        }
        Some(_) => {}
    }
    let options = ExecOptions {
        sequential: true,
        capture_traces: true,
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
            (Ok(output), Some(choice)) => match prove_case(
                case,
                output.map(|o| o.gas_used),
                args.chunk_rows_log,
                choice.backend.as_ref(),
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

    /// Executes `case` untraced, as `run_case` does, then proves it.
    fn prove(case: &StateTestCase, rows_log: usize) -> Proving {
        let options = ExecOptions {
            sequential: true,
            ..ExecOptions::default()
        };
        let gas = execute_block(&case.block, &options).expect("executes").gas_used;
        prove_case(case, Some(gas), rows_log, &CpuBackend)
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
        // 2000 loop rounds burn more gas than 2^8 proven steps and two storage
        // accesses can (caught before tracing); 80 rounds (569 steps) do not,
        // but still do not fit.
        match prove(&case(counter_loop_block(1, 2000)), 8) {
            Proving::OutOfScope(reason) => assert!(reason.starts_with("more gas"), "{reason}"),
            _ => panic!("a transaction longer than a chunk is out of scope"),
        }
        match prove(&case(counter_loop_block(1, 80)), 8) {
            Proving::OutOfScope(reason) => assert!(reason.contains("longer than one chunk"), "{reason}"),
            _ => panic!("a transaction longer than a chunk is out of scope"),
        }
        let rejected = case(counter_loop_block(1, 5));
        assert!(
            matches!(prove_case(&rejected, None, 8, &CpuBackend), Proving::OutOfScope(r) if r == "a rejected transaction")
        );
    }
}
