//! `zkr gpu ...`: adapter listing and backend choice.

use clap::Subcommand;
use gpu_kernels::{probe_adapters, GpuContext, GpuOptions};
use std::process::ExitCode;

/// GPU subcommands.
#[derive(Subcommand)]
pub enum GpuCommand {
    /// List wgpu adapters, SHADER_INT64 support, and which backend zkr will use and why.
    Info,
}

pub fn run(cmd: GpuCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        GpuCommand::Info => info(),
    }
}

fn info() -> anyhow::Result<ExitCode> {
    let adapters = probe_adapters();
    if adapters.is_empty() {
        println!("No GPU adapters found.");
    } else {
        println!("{:<3} {:<40} {:<8} {:<12} {:<12} driver", "#", "adapter", "backend", "type", "SHADER_INT64");
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
    println!("{}", backend_choice().describe());
    Ok(ExitCode::SUCCESS)
}

/// Which backend zkr will prove with, and why.
pub enum BackendChoice {
    /// The GPU backend on this adapter.
    Gpu { adapter: String, device_type: String, int64: bool },
    /// The CPU backend, for this reason.
    Cpu { reason: String },
}

impl BackendChoice {
    /// One line for operators.
    pub fn describe(&self) -> String {
        match self {
            BackendChoice::Gpu { adapter, device_type, int64 } => format!(
                "backend: GPU on {adapter} ({device_type}, {} kernels)",
                if *int64 { "u64" } else { "u32-only" }
            ),
            BackendChoice::Cpu { reason } => format!("backend: CPU fallback ({reason})"),
        }
    }
}

/// Picks the backend: `ZKR_BACKEND=cpu` forces the CPU; otherwise the best
/// adapter is opened, and any failure to open one falls back to the CPU.
pub fn backend_choice() -> BackendChoice {
    if std::env::var("ZKR_BACKEND").is_ok_and(|v| v.eq_ignore_ascii_case("cpu")) {
        return BackendChoice::Cpu {
            reason: "ZKR_BACKEND=cpu".into(),
        };
    }
    match GpuContext::new(GpuOptions::default()) {
        Ok(ctx) => BackendChoice::Gpu {
            adapter: ctx.adapter.name.clone(),
            device_type: ctx.adapter.device_type.clone(),
            int64: ctx.int64,
        },
        Err(err) => BackendChoice::Cpu { reason: err.to_string() },
    }
}
