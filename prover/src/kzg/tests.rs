//! A real halo2 proof with its commitments on the GPU (lavapipe in CI),
//! checked by halo2's standard verifier; corrupted proofs and wrong public
//! inputs are rejected.

use super::range_check::{keygen, prove, verify, RangeCheckCircuit};
use super::BackendParams;
use crate::backend::{CpuBackend, GpuBackend};
use gpu_kernels::{GpuContext, GpuOptions};
use halo2_proofs::halo2curves::bn256::Bn256;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use rand_core::OsRng;
use std::sync::Arc;

/// The smallest k the brief allows; larger k runs in `zkr bench msm`.
const K: u32 = 16;

fn values(k: u32) -> Vec<u64> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..RangeCheckCircuit::capacity(k))
        .map(|i| {
            x = x.rotate_left(17).wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ i as u64;
            if i % 5 == 0 {
                u64::MAX - i as u64
            } else {
                x
            }
        })
        .collect()
}

#[test]
fn gpu_backed_proof_verifies_with_the_standard_verifier_and_corruption_is_rejected() {
    let params = ParamsKZG::<Bn256>::setup(K, OsRng);
    let values = values(K);
    let circuit = RangeCheckCircuit::new(values.clone());
    let (vk, pk) = keygen(&params, &circuit).expect("keygen");
    let ctx = Arc::new(GpuContext::new(GpuOptions::default()).expect("a wgpu adapter (lavapipe in CI)"));
    let gpu_params =
        BackendParams::new(params.clone(), Arc::new(GpuBackend::new(ctx).expect("GPU backend"))).expect("SRS upload");
    let proof = prove(&gpu_params, &pk, &circuit).expect("GPU-backed proof");
    verify(&params, &vk, &values, &proof).expect("standard SHPLONK verifier accepts the GPU-backed proof");

    let share = gpu_params.share();
    eprintln!(
        "k = {K}: {share:?}, {:.1}% of MSM points on the GPU",
        100.0 * share.backend_fraction()
    );
    assert_eq!(share.fallbacks, 0, "no GPU MSM fell back to the CPU");
    assert!(
        share.backend_msms >= 8,
        "advice, lookup, permutation and quotient commitments: {share:?}"
    );
    assert!(share.backend_fraction() > 0.5, "most MSM work on the GPU: {share:?}");

    // Negative twins: a flipped proof byte, and different public values.
    let mut corrupted = proof.clone();
    corrupted[proof.len() / 2] ^= 1;
    assert!(
        verify(&params, &vk, &values, &corrupted).is_err(),
        "corrupted proof rejected"
    );
    let mut other = values.clone();
    other[3] ^= 1;
    assert!(
        verify(&params, &vk, &other, &proof).is_err(),
        "proof for other public values rejected"
    );
}

#[test]
fn cpu_backend_gives_verifying_proofs_and_counts_its_work() {
    let k = 10;
    let params = ParamsKZG::<Bn256>::setup(k, OsRng);
    let values = values(k);
    let circuit = RangeCheckCircuit::new(values.clone());
    let (vk, pk) = keygen(&params, &circuit).expect("keygen");
    let cpu_params = BackendParams::new(params.clone(), Arc::new(CpuBackend)).expect("CPU prepare");
    let proof = prove(&cpu_params, &pk, &circuit).expect("proof");
    verify(&params, &vk, &values, &proof).expect("verifies");
    let share = cpu_params.share();
    assert_eq!(share.cpu_points, 2 * (1 << k) - 1, "SHPLONK's two opening MSMs");
    assert!(share.backend_points >= 8 * (1 << k), "{share:?}");
    let mut truncated = proof;
    truncated.truncate(truncated.len() - 32);
    assert!(
        verify(&params, &vk, &values, &truncated).is_err(),
        "truncated proof rejected"
    );
}

#[test]
fn a_value_that_is_not_the_byte_sum_fails_to_prove_or_verify() {
    // A witness whose last running sum disagrees with the public value.
    let k = 10;
    let params = ParamsKZG::<Bn256>::setup(k, OsRng);
    let values = values(k);
    let circuit = RangeCheckCircuit::new(values.clone());
    let (vk, pk) = keygen(&params, &circuit).expect("keygen");
    let cpu_params = BackendParams::new(params.clone(), Arc::new(CpuBackend)).expect("CPU prepare");
    let mut wrong = values.clone();
    wrong[0] = wrong[0].wrapping_add(1);
    let bad_circuit = RangeCheckCircuit::new(wrong);
    // halo2 proves unsatisfiable circuits without complaint; the proof is
    // checked against the honest public values and must fail.
    let proof = prove(&cpu_params, &pk, &bad_circuit).expect("proving does not check constraints");
    assert!(
        verify(&params, &vk, &values, &proof).is_err(),
        "unsatisfied copy constraint rejected"
    );
}
