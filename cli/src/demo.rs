//! `zkr demo`: runs every pipeline stage that exists on the bundled sample data
//! and prints one row per stage with its status and wall time.

use crate::gpu::backend_choice;
use clap::Args;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Options for `zkr demo`.
#[derive(Args)]
pub struct DemoArgs {}

/// Outcome of one stage.
struct StageReport {
    name: &'static str,
    result: anyhow::Result<String>,
    elapsed: Duration,
}

fn timed(name: &'static str, stage: impl FnOnce() -> anyhow::Result<String>) -> StageReport {
    let start = Instant::now();
    let result = stage();
    StageReport {
        name,
        result,
        elapsed: start.elapsed(),
    }
}

pub fn run(_args: DemoArgs) -> anyhow::Result<ExitCode> {
    let reports = vec![
        timed("backend selection", || backend_choice().map(|c| c.describe())),
        timed("execute sample block", crate::execute::demo_stage),
    ];
    println!("{:<22} {:<7} {:>10}  detail", "stage", "status", "time");
    let mut failed = false;
    for r in &reports {
        let (status, detail) = match &r.result {
            Ok(d) => ("ok", d.clone()),
            Err(e) => {
                failed = true;
                ("FAILED", format!("{e:#}"))
            }
        };
        println!(
            "{:<22} {:<7} {:>8.1}ms  {}",
            r.name,
            status,
            r.elapsed.as_secs_f64() * 1e3,
            detail
        );
    }
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
