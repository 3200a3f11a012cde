//! `zkr execute`: executes one block (a file in zkr's format, a mainnet dump
//! folder, or a synthetic workload) and reports gas, roots and header checks.

use anyhow::Context;
use clap::Args;
use executor::synthetic::{self, Workload};
use executor::{codec, execute_block, fixtures, BlockInput, BlockOutput, ExecOptions, ParallelEngine};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Options for `zkr execute`.
#[derive(Args)]
pub struct ExecuteArgs {
    /// A block file (zkr format, `.json` or bincode) or a mainnet dump folder.
    #[arg(long, conflicts_with = "synthetic", required_unless_present = "synthetic")]
    block: Option<PathBuf>,
    /// A generated block: transfers, erc20, uniswap or chain.
    #[arg(long)]
    synthetic: Option<String>,
    /// Transactions in the synthetic block.
    #[arg(long, default_value_t = 1000)]
    txs: usize,
    /// Worker threads of the parallel path (default: all cores).
    #[arg(long)]
    threads: Option<NonZeroUsize>,
    /// Run the sequential reference path instead of the parallel one.
    #[arg(long)]
    sequential: bool,
    /// Run the parallel path even where it cannot beat the sequential path
    /// (one sender's chain, fewer than 16 transactions, one thread).
    #[arg(long)]
    no_fallback: bool,
    /// The parallel engine: block-stm or ranges (default: chosen per block).
    #[arg(long, value_enum)]
    engine: Option<EngineArg>,
    /// Write the execution traces here (JSON for `.json`, bincode otherwise).
    #[arg(long)]
    trace_out: Option<PathBuf>,
    /// Write the executed block's input here in zkr's block format (JSON for
    /// `.json`, bincode otherwise), e.g. to prove a synthetic block with `zkr prove`.
    #[arg(long)]
    block_out: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// Also run the sequential path; exit 1 on any difference from it or from the header.
    #[arg(long)]
    check: bool,
}

/// A parallel engine as the command line names it.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum EngineArg {
    /// Block-STM.
    BlockStm,
    /// Optimistic ranges.
    Ranges,
}

impl From<EngineArg> for ParallelEngine {
    fn from(arg: EngineArg) -> Self {
        match arg {
            EngineArg::BlockStm => Self::BlockStm,
            EngineArg::Ranges => Self::Ranges,
        }
    }
}

/// Which path ran the transactions, and why when it fell back.
fn path_of(options: &ExecOptions, out: &executor::BlockOutput) -> String {
    match (&out.fallback, out.engine) {
        (_, Some(engine)) => format!("{engine}, {} threads", options.threads),
        (Some(reason), None) => format!("sequential fallback: {reason}"),
        (None, None) => "sequential".into(),
    }
}

/// Loads a block from a file or a mainnet dump folder.
pub fn load_block(path: &Path) -> anyhow::Result<BlockInput> {
    if path.is_dir() {
        Ok(fixtures::mainnet::load(path)?)
    } else {
        Ok(codec::load_block(path)?)
    }
}

/// Differences between two executions of the same block, as readable lines.
pub fn differences(a: &BlockOutput, b: &BlockOutput) -> Vec<String> {
    let mut out = Vec::new();
    for (i, (x, y)) in a.txs.iter().zip(&b.txs).enumerate() {
        if x != y {
            out.push(format!("transaction {i}: {x:?} != {y:?}"));
        }
    }
    if a.txs.len() != b.txs.len() {
        out.push(format!("{} != {} transactions", a.txs.len(), b.txs.len()));
    }
    if a.post_state != b.post_state {
        let mut n = 0;
        for (address, account) in &a.post_state.accounts {
            if b.post_state.accounts.get(address) != Some(account) {
                n += 1;
            }
        }
        out.push(format!("post-state differs ({n} accounts differ or are missing)"));
    }
    out
}

/// Header mismatches of an execution, as readable lines.
pub fn header_mismatches(input: &BlockInput, out: &BlockOutput) -> Vec<String> {
    let Some(expected) = &input.header.expected else {
        return Vec::new();
    };
    let mut bad = Vec::new();
    if out.gas_used != expected.gas_used {
        bad.push(format!("gas used {} != header {}", out.gas_used, expected.gas_used));
    }
    if let Some(root) = out.receipts_root {
        if root != expected.receipts_root {
            bad.push(format!("receipts root {root} != header {}", expected.receipts_root));
        }
    }
    if out.logs_bloom != expected.logs_bloom {
        bad.push("logs bloom differs from the header".into());
    }
    if let Some(root) = expected.state_root {
        if root != out.state_root {
            bad.push(format!("state root {} != header {root}", out.state_root));
        }
    }
    bad
}

pub fn run(args: ExecuteArgs) -> anyhow::Result<ExitCode> {
    let input = match (&args.block, &args.synthetic) {
        (Some(path), _) => load_block(path)?,
        (None, Some(name)) => {
            let workload = Workload::parse(name)
                .with_context(|| format!("--synthetic {name}: expected transfers, erc20, uniswap or chain"))?;
            synthetic::block(workload, args.txs)
        }
        (None, None) => anyhow::bail!("give --block or --synthetic"),
    };
    let mut options = ExecOptions {
        sequential: args.sequential,
        sequential_fallback: !args.no_fallback,
        engine: args.engine.map(ParallelEngine::from),
        capture_traces: args.trace_out.is_some(),
        ..ExecOptions::default()
    };
    if let Some(threads) = args.threads {
        options.threads = threads;
    }
    tracing::info!(
        txs = input.transactions.len(),
        sequential = options.sequential,
        "executing block {}",
        input.header.number
    );
    let out = execute_block(&input, &options).context("executing the block")?;
    let mut problems = header_mismatches(&input, &out);
    if args.check {
        let reference = execute_block(
            &input,
            &ExecOptions {
                sequential: true,
                capture_traces: false,
                ..options.clone()
            },
        )
        .context("executing the block sequentially")?;
        problems.extend(
            differences(&out, &reference)
                .into_iter()
                .map(|d| format!("parallel vs sequential: {d}")),
        );
    }
    if let (Some(path), Some(traces)) = (&args.trace_out, &out.traces) {
        codec::save_traces(traces, path)?;
    }
    if let Some(path) = &args.block_out {
        codec::save_block(&input, path)?;
    }
    let has_expected = input.header.expected.is_some();
    let checks = if has_expected {
        if problems.is_empty() {
            "match"
        } else {
            "MISMATCH"
        }
    } else {
        "no header values"
    };
    if args.json {
        let summary = serde_json::json!({
            "block": out.number,
            "spec": format!("{:?}", out.spec),
            "transactions": out.txs.len(),
            "gas_used": out.gas_used,
            "receipts_root": out.receipts_root.map(|r| r.to_string()),
            "state_root": out.state_root.to_string(),
            "header_check": checks,
            "problems": problems,
            "wall_ms": out.elapsed.as_secs_f64() * 1e3,
            "path": path_of(&options, &out),
            "reexecutions": out.reexecutions,
        });
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!("block {} ({:?})", out.number, out.spec);
        println!("transactions   {}", out.txs.len());
        println!("gas used       {}", out.gas_used);
        match out.receipts_root {
            Some(root) => println!("receipts root  {root}"),
            None => println!("receipts root  (pre-Byzantium: commits to intermediate state roots, not computed)"),
        }
        println!(
            "state root     {} (meaningful only for a complete pre-state)",
            out.state_root
        );
        println!("header check   {checks} (gas used, receipts root, logs bloom)");
        println!(
            "wall time      {:.2} ms ({})",
            out.elapsed.as_secs_f64() * 1e3,
            path_of(&options, &out)
        );
        if out.engine.is_some() {
            println!("re-executions  {}", out.reexecutions);
        }
        for p in &problems {
            println!("  {p}");
        }
    }
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The bundled sample block, relative to the repository root.
pub const SAMPLE_BLOCK: &str = "data/demo/sample-block.json";

/// `zkr demo` stage: executes the sample block on the parallel path (no
/// sequential fallback, so the demo always shows it), checks it equals the
/// sequential path, and reports transactions, gas and re-executions.
pub fn demo_stage() -> anyhow::Result<String> {
    let input = load_block(Path::new(SAMPLE_BLOCK))
        .with_context(|| format!("run zkr demo from the repository root ({SAMPLE_BLOCK})"))?;
    let parallel_path = ExecOptions {
        sequential_fallback: false,
        ..ExecOptions::default()
    };
    let parallel = execute_block(&input, &parallel_path)?;
    let sequential = execute_block(
        &input,
        &ExecOptions {
            sequential: true,
            ..ExecOptions::default()
        },
    )?;
    let diffs = differences(&parallel, &sequential);
    anyhow::ensure!(
        diffs.is_empty(),
        "parallel differs from sequential: {}",
        diffs.join("; ")
    );
    Ok(format!(
        "{} txs, {} gas, {} re-executions, equals sequential",
        parallel.txs.len(),
        parallel.gas_used,
        parallel.reexecutions
    ))
}
