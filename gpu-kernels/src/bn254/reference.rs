//! The CPU reference (halo2curves' MSM), reproducible sample inputs, and
//! the MSM checks that `zkr gpu selftest` runs.

use super::msm::MsmEngine;
use crate::context::GpuContext;
use crate::goldilocks::Timings;
use crate::selftest::KernelCheck;
use halo2curves_axiom::bn256::{Fr, G1Affine, G1};
use halo2curves_axiom::ff::{Field, FromUniformBytes, PrimeField};
use halo2curves_axiom::group::prime::PrimeCurveAffine;
use halo2curves_axiom::group::Curve;
use std::sync::Arc;
use std::time::Instant;

/// `sum_i scalars[i] * bases[i]` with halo2curves' parallel Pippenger on all
/// cores: the reference every GPU result must equal.
pub fn cpu_msm(bases: &[G1Affine], scalars: &[Fr]) -> G1 {
    halo2curves_axiom::msm::msm_best(scalars, &bases[..scalars.len()])
}

/// A small deterministic generator (SplitMix64) so tests, benchmarks and
/// the self-test draw reproducible inputs without an RNG dependency.
pub struct SampleRng(u64);

impl SampleRng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A uniformly distributed scalar (a 512-bit draw reduced mod r).
    pub fn scalar(&mut self) -> Fr {
        let mut wide = [0u8; 64];
        for chunk in wide.chunks_mut(8) {
            chunk.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        Fr::from_uniform_bytes(&wide)
    }

    /// `n` uniformly distributed scalars.
    pub fn scalars(&mut self, n: usize) -> Vec<Fr> {
        (0..n).map(|_| self.scalar()).collect()
    }

    /// `n` distinct points R, R + S, R + 2S, ... for random R and S (cheap
    /// to generate: one addition per point plus a batch normalisation).
    pub fn bases(&mut self, n: usize) -> Vec<G1Affine> {
        let start = G1::generator() * self.scalar();
        let step = G1::generator() * self.scalar();
        let mut projective = Vec::with_capacity(n);
        let mut current = start;
        for _ in 0..n {
            projective.push(current);
            current += step;
        }
        let mut affine = vec![G1Affine::identity(); n];
        G1::batch_normalize(&projective, &mut affine);
        affine
    }
}

/// Scalars that exercise the digit decomposition's edge cases: 0, 1, 2,
/// -1 = r - 1, -2, 2^(c-1) and its neighbours for every window width, and
/// a few all-ones patterns.
pub fn edge_scalars() -> Vec<Fr> {
    let mut out = vec![Fr::ZERO, Fr::ONE, Fr::from(2), -Fr::ONE, -Fr::from(2)];
    for c in 4..=16u32 {
        let half = Fr::from(1u64 << (c - 1));
        out.extend([half, half + Fr::ONE, half - Fr::ONE, -half]);
    }
    out.push(Fr::from(u64::MAX));
    out.push(Fr::from_u128(u128::MAX));
    out
}

/// MSM checks for `zkr gpu selftest`: GPU against halo2curves on random
/// scalars mixed with edge-case scalars, over bases that include a repeated
/// point, its opposite and the identity, at a few sizes up to 2^12. The
/// transfer time is not measured separately (reported as zero).
pub fn selftest_checks(ctx: &Arc<GpuContext>) -> Vec<KernelCheck> {
    let engine = MsmEngine::new(ctx.clone());
    let kind = if ctx.int64 { "u64" } else { "u32-only" };
    let mut rng = SampleRng::new(0x5e1f_7e57);
    let largest = 1 << 12;
    let mut bases = rng.bases(largest);
    bases[1] = bases[0];
    bases[2] = -bases[0];
    bases[3] = G1Affine::identity();
    let gpu_bases = engine.upload_bases(&bases);
    [1, 3, 1000, largest]
        .into_iter()
        .map(|size| {
            let mut scalars = rng.scalars(size);
            for (s, e) in scalars.iter_mut().skip(1).zip(edge_scalars()) {
                *s = e;
            }
            let start = Instant::now();
            let gpu = engine
                .msm(&gpu_bases, &scalars)
                .map(|p| (p.to_affine(), Timings::default()));
            let gpu_time = start.elapsed();
            let start = Instant::now();
            let cpu = cpu_msm(&bases, &scalars).to_affine();
            let cpu_time = start.elapsed();
            KernelCheck::compare(
                format!("bn254 MSM ({kind}) {size} points"),
                gpu,
                gpu_time,
                cpu,
                cpu_time,
            )
        })
        .collect()
}
