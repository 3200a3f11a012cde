//! Executor benchmarks: Block-STM against the sequential path on each
//! synthetic workload (1,000 transactions) and on a few mainnet blocks, and
//! trace capture against plain execution. Read them as ratios of the
//! sequential (or untraced) time to the parallel (or traced) time, same run.
//! "parallel" is what `execute_block` does by default (Block-STM, or the
//! sequential fallback for blocks it cannot speed up); "block-stm" forces
//! Block-STM.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use executor::synthetic::{block, Workload};
use executor::{execute_block, fixtures, BlockInput, ExecOptions};
use std::num::NonZeroUsize;
use std::path::Path;

fn options(threads: Option<usize>, traces: bool) -> ExecOptions {
    forced(threads, traces, true)
}

/// Options with the sequential fallback on or off.
fn forced(threads: Option<usize>, traces: bool, fallback: bool) -> ExecOptions {
    match threads {
        None => ExecOptions {
            sequential: true,
            capture_traces: traces,
            ..ExecOptions::default()
        },
        Some(t) => ExecOptions {
            threads: NonZeroUsize::new(t).expect("threads > 0"),
            capture_traces: traces,
            sequential_fallback: fallback,
            ..ExecOptions::default()
        },
    }
}

fn compare(c: &mut Criterion, group: &str, input: &BlockInput) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut g = c.benchmark_group(group);
    g.sample_size(10);
    g.bench_function(BenchmarkId::new("sequential", 1), |b| {
        b.iter(|| execute_block(input, &options(None, false)).unwrap())
    });
    g.bench_function(BenchmarkId::new("parallel", threads), |b| {
        b.iter(|| execute_block(input, &options(Some(threads), false)).unwrap())
    });
    g.bench_function(BenchmarkId::new("block-stm", threads), |b| {
        b.iter(|| execute_block(input, &forced(Some(threads), false, false)).unwrap())
    });
    g.finish();
}

fn synthetic(c: &mut Criterion) {
    for workload in Workload::ALL {
        compare(c, &format!("executor/{}", workload.name()), &block(workload, 1000));
    }
}

fn mainnet(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/mainnet-blocks");
    for number in ["15538827", "19426587", "19932703"] {
        let dir = root.join(number);
        let input = fixtures::mainnet::load(&dir).unwrap_or_else(|e| panic!("{e} (needs ../shared/data)"));
        compare(c, &format!("executor/mainnet-{number}"), &input);
    }
}

fn traces(c: &mut Criterion) {
    let input = block(Workload::Erc20, 1000);
    let mut g = c.benchmark_group("executor/trace-capture");
    g.sample_size(10);
    g.bench_function("off", |b| {
        b.iter(|| execute_block(&input, &options(None, false)).unwrap())
    });
    g.bench_function("on", |b| {
        b.iter(|| execute_block(&input, &options(None, true)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, synthetic, mainnet, traces);
criterion_main!(benches);
