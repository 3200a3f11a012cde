//! `zkr demo`: runs every pipeline stage that exists on the bundled sample data
//! and prints one row per stage with its status and wall time; `--cluster`
//! proves the sample block on a local proving cluster instead.

mod cluster;

use crate::gpu::backend_choice;
use clap::Args;
use gpu_kernels::selftest::run_all;
use gpu_kernels::{GpuContext, GpuError, GpuOptions};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Options for `zkr demo`.
#[derive(Args)]
pub struct DemoArgs {
    /// Start a coordinator and two worker processes on loopback, prove the sample block's execution output through
    /// them, SIGKILL one worker while it holds a lease, and print the outcome and a metrics summary.
    #[arg(long)]
    pub cluster: bool,
}

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

/// Runs every GPU kernel against its CPU reference on the best adapter,
/// software devices included; with no adapter there is nothing to check.
fn gpu_selftest_stage() -> anyhow::Result<String> {
    let ctx = match GpuContext::new(GpuOptions::default()) {
        Ok(ctx) => Arc::new(ctx),
        Err(GpuError::NoAdapter) => return Ok("skipped: no GPU adapter on this machine".into()),
        Err(err) => return Err(err.into()),
    };
    let checks = run_all(&ctx);
    let failed: Vec<&str> = checks.iter().filter(|c| !c.passed).map(|c| c.name.as_str()).collect();
    anyhow::ensure!(
        failed.is_empty(),
        "kernels differ from their CPU reference: {}",
        failed.join(", ")
    );
    Ok(format!(
        "{} of {} kernels equal their CPU reference on {}",
        checks.len(),
        checks.len(),
        ctx.adapter.name
    ))
}

/// Prints one row per stage; returns whether any failed.
fn print_stages(reports: &[StageReport]) -> bool {
    println!("{:<22} {:<7} {:>10}  detail", "stage", "status", "time");
    let mut failed = false;
    for r in reports {
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
    failed
}

/// Runs `zkr demo`.
pub fn run(args: DemoArgs) -> anyhow::Result<ExitCode> {
    if args.cluster {
        return cluster::run();
    }
    let reports = vec![
        timed("backend selection", || backend_choice().map(|c| c.describe())),
        timed("GPU kernel self-test", gpu_selftest_stage),
        timed("execute sample block", crate::execute::demo_stage),
    ];
    let failed = print_stages(&reports);
    Ok(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
