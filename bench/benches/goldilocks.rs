//! Goldilocks NTT and LDE + Poseidon Merkle commitment: the GPU kernels
//! against plonky2 on all CPU cores, same inputs, same run. Sizes come from
//! `ZKR_NTT_LOG_SIZES` (default "14,16"; the device run uses
//! "16,18,20,22,24") and `ZKR_LDE_SHAPES` (log2 rows x columns, default
//! "12x64"; the device run uses "16x64,18x128,20x128,20x256"). `zkr bench
//! gpu` prints the same comparison as ratios with transfers split out.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use gpu_kernels::goldilocks::{commit_reference, ntt_reference, CommitParams, GoldilocksGpu, NttDirection, F};
use gpu_kernels::{GpuContext, GpuOptions};
use plonky2::field::polynomial::PolynomialValues;
use plonky2::field::types::Sample;
use std::sync::Arc;

const NTT_COLUMNS: usize = 16;

fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .map(|s| s.trim().to_string())
        .collect()
}

fn parse(name: &str, s: &str) -> usize {
    s.parse().unwrap_or_else(|_| panic!("{name}: {s:?} is not a number"))
}

fn gpu() -> GoldilocksGpu {
    let ctx = GpuContext::new(GpuOptions::default()).expect("a wgpu adapter");
    GoldilocksGpu::new(Arc::new(ctx)).expect("Goldilocks kernels compile")
}

fn ntt(c: &mut Criterion) {
    let gpu = gpu();
    let mut group = c.benchmark_group("goldilocks_ntt");
    group.sample_size(10);
    for s in env_list("ZKR_NTT_LOG_SIZES", "14,16") {
        let log = parse("ZKR_NTT_LOG_SIZES", &s);
        let input: Vec<Vec<F>> = (0..NTT_COLUMNS).map(|_| F::rand_vec(1 << log)).collect();
        group.bench_with_input(BenchmarkId::new("plonky2_cpu", log), &input, |b, input| {
            b.iter(|| ntt_reference(input, NttDirection::Forward))
        });
        group.bench_with_input(BenchmarkId::new("gpu", log), &input, |b, input| {
            b.iter(|| gpu.ntt(input, NttDirection::Forward).expect("GPU NTT"))
        });
    }
    group.finish();
}

fn lde_merkle(c: &mut Criterion) {
    let gpu = gpu();
    let mut group = c.benchmark_group("goldilocks_lde_merkle");
    group.sample_size(10);
    let params = CommitParams {
        rate_bits: 1,
        blinding: false,
        cap_height: 4,
    };
    for shape in env_list("ZKR_LDE_SHAPES", "12x64") {
        let (log, cols) = shape
            .split_once('x')
            .unwrap_or_else(|| panic!("ZKR_LDE_SHAPES: {shape:?} is not <log2 rows>x<columns>"));
        let (log, cols) = (parse("ZKR_LDE_SHAPES", log), parse("ZKR_LDE_SHAPES", cols));
        let values: Vec<PolynomialValues<F>> = (0..cols)
            .map(|_| PolynomialValues::new(F::rand_vec(1 << log)))
            .collect();
        group.bench_with_input(BenchmarkId::new("plonky2_cpu", &shape), &values, |b, values| {
            b.iter(|| commit_reference(values, params.rate_bits, params.cap_height))
        });
        group.bench_with_input(BenchmarkId::new("gpu", &shape), &values, |b, values| {
            b.iter(|| gpu.commit(values, params).expect("GPU commit"))
        });
    }
    group.finish();
}

criterion_group!(benches, ntt, lde_merkle);
criterion_main!(benches);
