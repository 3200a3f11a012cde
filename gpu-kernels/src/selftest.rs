//! Kernel self-tests for `zkr gpu selftest`: every kernel runs on small
//! random inputs on the chosen adapter and is compared with its CPU
//! reference. [`run_all`] is the list; each kernel family adds its checks
//! there with one line.

use crate::context::GpuContext;
use crate::goldilocks::{
    commit_reference, merkle_tree_reference, ntt_reference, CommitParams, GoldilocksGpu, NttDirection, Timings, F,
};
use plonky2::field::polynomial::PolynomialValues;
use plonky2::field::types::Sample;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The outcome of one kernel check.
#[derive(Clone, Debug)]
pub struct KernelCheck {
    /// Kernel and input size, e.g. "goldilocks inverse NTT 2^10 x 4".
    pub name: String,
    /// Whether the GPU result equals the CPU reference exactly.
    pub passed: bool,
    /// What differed, or why the kernel could not run; empty when passed.
    pub detail: String,
    /// Wall time of the GPU call, transfers included.
    pub gpu_time: Duration,
    /// Host-to-device and device-to-host part of `gpu_time`.
    pub transfer_time: Duration,
    /// Wall time of the CPU reference.
    pub cpu_time: Duration,
}

impl KernelCheck {
    /// Compares a GPU result (or its error) with the reference.
    pub fn compare<T: PartialEq>(
        name: String,
        gpu: Result<(T, Timings), crate::context::GpuError>,
        gpu_time: Duration,
        reference: T,
        cpu_time: Duration,
    ) -> Self {
        let (passed, detail, transfer_time) = match gpu {
            Ok((got, timings)) if got == reference => (true, String::new(), timings.transfers()),
            Ok((_, timings)) => (
                false,
                "GPU result differs from the CPU reference".into(),
                timings.transfers(),
            ),
            Err(err) => (false, format!("kernel failed: {err}"), Duration::ZERO),
        };
        Self {
            name,
            passed,
            detail,
            gpu_time,
            transfer_time,
            cpu_time,
        }
    }

    fn failed(name: &str, detail: String) -> Self {
        Self {
            name: name.into(),
            passed: false,
            detail,
            gpu_time: Duration::ZERO,
            transfer_time: Duration::ZERO,
            cpu_time: Duration::ZERO,
        }
    }
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

/// Runs every kernel check on `ctx`.
pub fn run_all(ctx: &Arc<GpuContext>) -> Vec<KernelCheck> {
    let mut checks = Vec::new();
    checks.extend(goldilocks_checks(ctx));
    checks.extend(crate::bn254::selftest_checks(ctx));
    checks
}

/// NTT, inverse NTT, Merkle tree and LDE commitment on small random inputs.
pub fn goldilocks_checks(ctx: &Arc<GpuContext>) -> Vec<KernelCheck> {
    let gpu = match GoldilocksGpu::new(ctx.clone()) {
        Ok(gpu) => gpu,
        Err(err) => return vec![KernelCheck::failed("goldilocks kernels", err.to_string())],
    };
    let mut checks = Vec::new();
    for (log, cols) in [(5usize, 3usize), (12, 4)] {
        let input: Vec<Vec<F>> = (0..cols).map(|_| F::rand_vec(1 << log)).collect();
        for (direction, label) in [(NttDirection::Forward, "NTT"), (NttDirection::Inverse, "inverse NTT")] {
            let (got, gpu_time) = timed(|| gpu.ntt(&input, direction));
            let (want, cpu_time) = timed(|| ntt_reference(&input, direction));
            let name = format!("goldilocks {label} 2^{log} x {cols}");
            checks.push(KernelCheck::compare(name, got, gpu_time, want, cpu_time));
        }
    }
    let leaves: Vec<Vec<F>> = (0..1 << 10).map(|_| F::rand_vec(13)).collect();
    let (got, gpu_time) = timed(|| gpu.merkle_tree(leaves.clone(), 3));
    let (want, cpu_time) = timed(|| merkle_tree_reference(leaves, 3));
    checks.push(KernelCheck::compare(
        "goldilocks poseidon merkle 2^10 leaves x 13, cap 2^3".into(),
        got,
        gpu_time,
        want,
        cpu_time,
    ));
    let values: Vec<PolynomialValues<F>> = (0..10).map(|_| PolynomialValues::new(F::rand_vec(1 << 9))).collect();
    let params = CommitParams {
        rate_bits: 2,
        blinding: false,
        cap_height: 4,
    };
    let (got, gpu_time) = timed(|| gpu.commit(&values, params));
    let (want, cpu_time) = timed(|| commit_reference(&values, 2, 4));
    checks.push(KernelCheck::compare(
        "goldilocks LDE + merkle 2^9 x 10, blowup 4".into(),
        got,
        gpu_time,
        want,
        cpu_time,
    ));
    checks
}
