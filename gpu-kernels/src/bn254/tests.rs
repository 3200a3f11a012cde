//! GPU MSM against halo2curves on the adapter at hand (lavapipe in CI), on
//! both the 64-bit and the 32-bit-only kernels.

use super::reference::{cpu_msm, edge_scalars, SampleRng};
use super::MsmEngine;
use crate::context::{GpuContext, GpuOptions};
use halo2curves_axiom::bn256::{Fr, G1Affine};
use halo2curves_axiom::ff::Field;
use halo2curves_axiom::group::prime::PrimeCurveAffine;
use halo2curves_axiom::group::{Curve, Group};
use std::sync::Arc;

fn engine(force_u32: bool) -> MsmEngine {
    let ctx = GpuContext::new(GpuOptions { force_u32 }).expect("a wgpu adapter (lavapipe in CI)");
    MsmEngine::new(Arc::new(ctx))
}

/// GPU and CPU MSMs of `scalars` over the first bases agree exactly.
fn assert_matches(engine: &MsmEngine, bases: &[G1Affine], scalars: &[Fr], what: &str) {
    let gpu_bases = engine.upload_bases(bases);
    let gpu = engine.msm(&gpu_bases, scalars).expect("GPU MSM");
    let cpu = cpu_msm(bases, scalars);
    assert_eq!(gpu.to_affine(), cpu.to_affine(), "{what}: {} points", scalars.len());
}

fn random_sizes(engine: &MsmEngine, seed: u64, sizes: &[usize]) {
    let mut rng = SampleRng::new(seed);
    let bases = rng.bases(*sizes.iter().max().unwrap());
    for &n in sizes {
        let mut scalars = rng.scalars(n);
        for (s, e) in scalars.iter_mut().step_by(7).zip(edge_scalars()) {
            *s = e;
        }
        assert_matches(engine, &bases, &scalars, "random scalars with edge cases");
    }
}

#[test]
fn u64_kernels_match_cpu_from_1_to_2_pow_16_points() {
    let engine = engine(false);
    random_sizes(&engine, 1, &[1, 2, 3, 5, 64, 255, 1000, 4097, 1 << 16]);
}

#[test]
fn u32_kernels_match_cpu() {
    let engine = engine(true);
    assert!(!engine.context().int64);
    random_sizes(&engine, 2, &[1, 7, 300, 5003]);
}

#[test]
fn edge_scalars_and_degenerate_bases_match_cpu() {
    let engine = engine(false);
    let mut rng = SampleRng::new(3);
    let n = 600;
    let bases = rng.bases(n);
    // Every edge scalar on its own point, then zeros.
    let mut scalars = edge_scalars();
    scalars.resize(n, Fr::ZERO);
    assert_matches(&engine, &bases, &scalars, "edge scalars");
    // All scalars equal: every point in the same bucket of each window.
    let same = vec![rng.scalar(); n];
    assert_matches(&engine, &bases, &same, "one repeated scalar");
    assert_matches(&engine, &bases, &vec![Fr::ONE; n], "all ones");
    assert_matches(&engine, &bases, &vec![-Fr::ONE; n], "all r - 1");
    // A bucket larger than one accumulation round (256 points).
    let many = rng.bases(3000);
    assert_matches(&engine, &many, &vec![Fr::ONE; 3000], "3000 points in one bucket");
    // Repeated points: bucket additions hit the doubling case.
    let repeated = vec![bases[0]; n];
    assert_matches(&engine, &repeated, &same, "repeated point, repeated scalar");
    assert_matches(&engine, &repeated, &rng.scalars(n), "repeated point, random scalars");
    // Opposite points with equal scalars cancel to the identity.
    let opposite: Vec<G1Affine> = (0..n)
        .map(|i| if i % 2 == 0 { bases[i] } else { -bases[i - 1] })
        .collect();
    let gpu_bases = engine.upload_bases(&opposite);
    let zero = engine.msm(&gpu_bases, &same).expect("GPU MSM");
    assert!(bool::from(zero.is_identity()), "P - P summed to the identity");
    assert_matches(&engine, &opposite, &rng.scalars(n), "opposite points, random scalars");
    // The identity among the bases, and all-zero scalars.
    let mut with_identity = bases.clone();
    with_identity[5] = G1Affine::identity();
    assert_matches(&engine, &with_identity, &rng.scalars(n), "identity base");
    let gpu_bases = engine.upload_bases(&bases);
    let zero = engine.msm(&gpu_bases, &vec![Fr::ZERO; n]).expect("GPU MSM");
    assert!(bool::from(zero.is_identity()), "all-zero scalars give the identity");
}

#[test]
fn inputs_larger_than_a_chunk_are_split_and_bases_reused() {
    let ctx = Arc::new(GpuContext::new(GpuOptions::default()).expect("a wgpu adapter"));
    let engine = MsmEngine::with_max_chunk(ctx, 1000);
    assert_eq!(engine.chunk_points(), 512);
    let mut rng = SampleRng::new(4);
    let bases = rng.bases(1500);
    let gpu_bases = engine.upload_bases(&bases);
    // The same uploaded bases serve MSMs of several lengths (prefixes).
    for n in [1500, 1024, 513, 10] {
        let scalars = rng.scalars(n);
        let gpu = engine.msm(&gpu_bases, &scalars).expect("GPU MSM");
        assert_eq!(
            gpu.to_affine(),
            cpu_msm(&bases, &scalars).to_affine(),
            "{n} points in chunks of 512"
        );
    }
}

#[test]
fn more_scalars_than_bases_is_an_error() {
    let engine = engine(false);
    let mut rng = SampleRng::new(5);
    let gpu_bases = engine.upload_bases(&rng.bases(8));
    let err = engine.msm(&gpu_bases, &rng.scalars(9)).unwrap_err();
    assert!(err.to_string().contains("9 scalars over 8 uploaded bases"), "{err}");
}

#[test]
fn selftest_checks_pass() {
    let ctx = Arc::new(GpuContext::new(GpuOptions::default()).expect("a wgpu adapter"));
    let checks = super::selftest_checks(&ctx);
    assert_eq!(checks.len(), 4);
    for check in checks {
        assert!(check.passed, "{}: {}", check.name, check.detail);
    }
}
