//! `zkr gpu ...`: adapter listing, backend choice and kernel self-tests.

use anyhow::Context;
use clap::{Args, Subcommand};
use gpu_kernels::{probe_adapters, selftest, GpuContext, GpuOptions};
use prover::backend::{select_backend, BackendChoice};
use std::process::ExitCode;
use std::sync::Arc;

/// GPU subcommands.
#[derive(Subcommand)]
pub enum GpuCommand {
    /// List wgpu adapters, SHADER_INT64 support, and which backend zkr will use and why.
    Info,
    /// Run every kernel against its CPU reference on small random inputs; exit 1 on any mismatch.
    Selftest(SelftestArgs),
}

/// Options for `zkr gpu selftest`.
#[derive(Args)]
pub struct SelftestArgs {
    /// Use the 32-bit-only kernels even where SHADER_INT64 exists.
    #[arg(long)]
    force_u32: bool,
}

pub fn run(cmd: GpuCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        GpuCommand::Info => info(),
        GpuCommand::Selftest(args) => run_selftest(args),
    }
}

fn info() -> anyhow::Result<ExitCode> {
    let adapters = probe_adapters();
    if adapters.is_empty() {
        println!("No GPU adapters found.");
    } else {
        println!(
            "{:<3} {:<40} {:<8} {:<12} {:<12} driver",
            "#", "adapter", "backend", "type", "SHADER_INT64"
        );
        for (i, a) in adapters.iter().enumerate() {
            println!(
                "{:<3} {:<40} {:<8} {:<12} {:<12} {}",
                i,
                a.name,
                a.backend,
                a.device_type,
                if a.shader_int64 { "yes" } else { "no" },
                a.driver
            );
        }
    }
    println!();
    println!("{}", backend_choice()?.describe());
    Ok(ExitCode::SUCCESS)
}

/// Which backend zkr will prove with, and why (`ZKR_BACKEND=cpu|gpu|auto`).
pub fn backend_choice() -> anyhow::Result<BackendChoice> {
    select_backend().context("choosing the proving backend")
}

fn run_selftest(args: SelftestArgs) -> anyhow::Result<ExitCode> {
    let ctx = Arc::new(
        GpuContext::new(GpuOptions {
            force_u32: args.force_u32,
        })
        .context("opening the GPU for the self-test")?,
    );
    println!(
        "adapter: {} ({}, {} kernels)",
        ctx.adapter.name,
        ctx.adapter.device_type,
        if ctx.int64 { "u64" } else { "u32-only" }
    );
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.enable_steady_tick(std::time::Duration::from_millis(200));
    spinner.set_message("running kernel self-tests");
    let checks = selftest::run_all(&ctx);
    spinner.finish_and_clear();
    println!(
        "{:<6} {:<52} {:>10} {:>14} {:>10}",
        "result", "kernel", "GPU ms", "transfers ms", "CPU ms"
    );
    let mut failed = 0;
    for check in &checks {
        println!(
            "{:<6} {:<52} {:>10.2} {:>14.2} {:>10.2}{}",
            if check.passed { "pass" } else { "FAIL" },
            check.name,
            check.gpu_time.as_secs_f64() * 1e3,
            check.transfer_time.as_secs_f64() * 1e3,
            check.cpu_time.as_secs_f64() * 1e3,
            if check.detail.is_empty() {
                String::new()
            } else {
                format!("  {}", check.detail)
            }
        );
        failed += usize::from(!check.passed);
    }
    println!("{} of {} kernel checks passed", checks.len() - failed, checks.len());
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
