//! BN254 MSM: the GPU kernels against halo2curves on all cores, same inputs,
//! same run. Sizes come from `ZKR_MSM_LOG_SIZES` (comma-separated log2,
//! default "16,18"; the device run uses "16,18,20,22,24"). `zkr bench msm`
//! prints the same comparison as ratios, plus a halo2 proof end to end.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use gpu_kernels::bn254::{cpu_msm, MsmEngine, SampleRng};
use gpu_kernels::{GpuContext, GpuOptions};
use std::sync::Arc;

fn log_sizes() -> Vec<u32> {
    let raw = std::env::var("ZKR_MSM_LOG_SIZES").unwrap_or_else(|_| "16,18".into());
    raw.split(',')
        .map(|s| {
            s.trim()
                .parse()
                .unwrap_or_else(|_| panic!("ZKR_MSM_LOG_SIZES: {s:?} is not a log2 size"))
        })
        .collect()
}

fn msm(c: &mut Criterion) {
    let sizes = log_sizes();
    let ctx = Arc::new(GpuContext::new(GpuOptions::default()).expect("a wgpu adapter"));
    let engine = MsmEngine::new(ctx);
    let mut rng = SampleRng::new(7);
    let bases = rng.bases(1 << sizes.iter().max().copied().unwrap_or(16));
    let gpu_bases = engine.upload_bases(&bases);
    let mut group = c.benchmark_group("bn254_msm");
    group.sample_size(10);
    for log in sizes {
        let scalars = rng.scalars(1 << log);
        group.bench_with_input(BenchmarkId::new("halo2curves", log), &scalars, |b, s| {
            b.iter(|| cpu_msm(&bases, s))
        });
        group.bench_with_input(BenchmarkId::new("gpu", log), &scalars, |b, s| {
            b.iter(|| engine.msm(&gpu_bases, s).expect("GPU MSM"))
        });
    }
    group.finish();
}

criterion_group!(benches, msm);
criterion_main!(benches);
