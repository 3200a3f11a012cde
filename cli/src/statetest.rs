//! `zkr statetest`: runs ethereum/tests GeneralStateTests (Cancun entries)
//! from files or folders and reports passed/failed/skipped.

use clap::Args;
use executor::fixtures::state_test;
use executor::ExecOptions;
use indicatif::{ProgressBar, ProgressStyle};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;

/// Options for `zkr statetest`.
#[derive(Args)]
pub struct StatetestArgs {
    /// Test files or folders.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Use the parallel path with this many threads (default: sequential).
    #[arg(long)]
    threads: Option<NonZeroUsize>,
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
    let mut failures = Vec::new();
    for case in &tests.cases {
        if let Err(e) = state_test::run_case(case, &options) {
            tracing::warn!(case = %case.name, "failed: {e}");
            failures.push(format!("{} {}: {e}", case.path.display(), case.name));
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    for f in &failures {
        println!("FAIL {f}");
    }
    println!(
        "passed {}, failed {}, skipped {} (entries for forks other than {})",
        tests.cases.len() - failures.len(),
        failures.len(),
        tests.skipped,
        state_test::FORK
    );
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
