//! The Goldilocks kernels against plonky2, bit for bit, on the available
//! adapter (lavapipe in CI), on both the u64 and the u32-only field paths.

use gpu_kernels::goldilocks::{
    commit_reference, merkle_tree_reference, ntt_reference, CommitParams, GoldilocksGpu, NttDirection, F,
};
use gpu_kernels::{GpuContext, GpuError, GpuOptions};
use plonky2::field::polynomial::PolynomialValues;
use plonky2::field::types::{Field, Sample};
use plonky2::fri::oracle::SALT_SIZE;
use std::sync::Arc;

fn gpu(force_u32: bool) -> GoldilocksGpu {
    let ctx = GpuContext::new(GpuOptions { force_u32 })
        .expect("a wgpu adapter is required (install mesa-vulkan-drivers for lavapipe)");
    assert_eq!(ctx.int64, ctx.adapter.shader_int64 && !force_u32);
    GoldilocksGpu::new(Arc::new(ctx)).expect("kernels compile")
}

fn random_columns(cols: usize, len: usize) -> Vec<Vec<F>> {
    (0..cols).map(|_| F::rand_vec(len)).collect()
}

/// Columns that include the edge values 0, 1, p - 1 and p - 2^32 among
/// random ones, so carries and reductions are exercised.
fn edgy_columns(cols: usize, len: usize) -> Vec<Vec<F>> {
    let edges = [
        F::ZERO,
        F::ONE,
        F::NEG_ONE,
        F::from_canonical_u64(0xffff_ffff_0000_0000),
        F::from_canonical_u64(0xffff_ffff),
    ];
    let mut columns = random_columns(cols, len);
    for (c, column) in columns.iter_mut().enumerate() {
        for (i, x) in column.iter_mut().enumerate() {
            if (i + c) % 3 == 0 {
                *x = edges[(i + c) % edges.len()];
            }
        }
    }
    columns
}

fn check_ntt(gpu: &GoldilocksGpu, cols: usize, log: usize) {
    let input = edgy_columns(cols, 1 << log);
    for direction in [NttDirection::Forward, NttDirection::Inverse] {
        let (got, _) = gpu.ntt(&input, direction).unwrap();
        let want = ntt_reference(&input, direction);
        assert!(
            got == want,
            "{direction:?} NTT of {cols} x 2^{log} differs from plonky2"
        );
    }
}

#[test]
fn ntt_matches_plonky2_at_many_sizes_u64() {
    let gpu = gpu(false);
    // Every size from 2^0 to 2^12 (tile-only and tiled-plus-global stages),
    // with column counts that are not multiples of anything.
    for log in 0..=12 {
        check_ntt(&gpu, 1 + (log % 5), log);
    }
    check_ntt(&gpu, 3, 15);
}

#[test]
fn ntt_matches_plonky2_u32_only_path() {
    let gpu = gpu(true);
    for log in [1, 2, 5, 10, 11, 13] {
        check_ntt(&gpu, 3, log);
    }
}

#[test]
fn ntt_of_a_large_column_matches_plonky2() {
    // The largest size the software device handles in a few seconds.
    check_ntt(&gpu(false), 1, 20);
}

#[test]
fn ntt_round_trip_is_identity_and_splits_batches() {
    // A binding limit of three columns forces four batches for ten columns.
    let gpu = gpu(false).with_binding_limit(3 << 9);
    let input = random_columns(10, 1 << 9);
    let (values, _) = gpu.ntt(&input, NttDirection::Forward).unwrap();
    assert_eq!(values, ntt_reference(&input, NttDirection::Forward));
    let (back, _) = gpu.ntt(&values, NttDirection::Inverse).unwrap();
    assert_eq!(back, input);
}

fn check_merkle(gpu: &GoldilocksGpu, rows_log: usize, width: usize, cap_height: usize) {
    let leaves = edgy_columns(1 << rows_log, width);
    let (got, _) = gpu.merkle_tree(leaves.clone(), cap_height).unwrap();
    let want = merkle_tree_reference(leaves, cap_height);
    assert!(
        got.digests == want.digests,
        "digests of 2^{rows_log} x {width}, cap {cap_height}"
    );
    assert!(got.cap == want.cap, "cap of 2^{rows_log} x {width}, cap {cap_height}");
    assert!(got.leaves == want.leaves);
}

#[test]
fn merkle_tree_matches_plonky2() {
    let gpu = gpu(false);
    // Widths around hash_or_noop's 4-element cut-off and the sponge rate 8.
    for width in [1, 4, 5, 7, 8, 9, 16, 17, 135] {
        check_merkle(&gpu, 6, width, 2);
    }
    // Caps from a single root to one digest per leaf.
    for cap_height in 0..=5 {
        check_merkle(&gpu, 5, 12, cap_height);
    }
    check_merkle(&gpu, 0, 3, 0);
    check_merkle(&gpu, 0, 11, 0);
    // Not a multiple of the workgroup size at any level above the leaves.
    check_merkle(&gpu, 13, 10, 3);
}

#[test]
fn merkle_tree_matches_plonky2_u32_only_and_split() {
    let gpu = gpu(true).with_binding_limit(3 << 7);
    for width in [2, 9, 21] {
        check_merkle(&gpu, 7, width, 1);
    }
}

fn check_commit(gpu: &GoldilocksGpu, cols: usize, log: usize, rate_bits: usize, cap_height: usize) {
    let values: Vec<PolynomialValues<F>> = edgy_columns(cols, 1 << log)
        .into_iter()
        .map(PolynomialValues::new)
        .collect();
    let params = CommitParams {
        rate_bits,
        blinding: false,
        cap_height,
    };
    let (got, _) = gpu.commit(&values, params).unwrap();
    let want = commit_reference(&values, rate_bits, cap_height);
    assert!(got.polynomials == want.polynomials, "coefficients of {cols} x 2^{log}");
    assert!(
        got.merkle_tree.leaves == want.merkle_tree.leaves,
        "LDE leaves of {cols} x 2^{log}, rate {rate_bits}"
    );
    assert!(
        got.merkle_tree.digests == want.merkle_tree.digests,
        "digests of {cols} x 2^{log}"
    );
    assert!(got.merkle_tree.cap == want.merkle_tree.cap, "cap of {cols} x 2^{log}");
}

#[test]
fn commit_matches_plonky2_polynomial_batch() {
    let gpu = gpu(false);
    check_commit(&gpu, 1, 1, 1, 0);
    check_commit(&gpu, 3, 3, 1, 0);
    check_commit(&gpu, 4, 4, 2, 2);
    check_commit(&gpu, 13, 9, 1, 4);
    check_commit(&gpu, 20, 12, 2, 4);
}

#[test]
fn commit_matches_plonky2_u32_only_and_split() {
    // Three LDE columns per batch: 11 columns take four batches, and the
    // leaf sponges carry over at positions that are not multiples of 8.
    let gpu = gpu(true).with_binding_limit(3 << 8);
    check_commit(&gpu, 11, 6, 2, 1);
    check_commit(&gpu, 2, 7, 1, 3);
}

#[test]
fn commit_with_blinding_salts_every_leaf() {
    let gpu = gpu(false);
    let values: Vec<PolynomialValues<F>> = random_columns(6, 1 << 5)
        .into_iter()
        .map(PolynomialValues::new)
        .collect();
    let params = CommitParams {
        rate_bits: 2,
        blinding: true,
        cap_height: 2,
    };
    let (got, _) = gpu.commit(&values, params).unwrap();
    let want = commit_reference(&values, 2, 2);
    assert_eq!(got.polynomials, want.polynomials);
    for (row, (g, w)) in got.merkle_tree.leaves.iter().zip(&want.merkle_tree.leaves).enumerate() {
        assert_eq!(g.len(), w.len() + SALT_SIZE, "leaf {row} carries the salt");
        assert_eq!(&g[..w.len()], &w[..], "leaf {row} values");
    }
    // The tree is plonky2's tree of the salted leaves.
    let rebuilt = merkle_tree_reference(got.merkle_tree.leaves.clone(), 2);
    assert_eq!(got.merkle_tree, rebuilt);
    assert_ne!(got.merkle_tree.cap, want.merkle_tree.cap);
}

#[test]
fn bad_inputs_get_clear_errors() {
    let gpu = gpu(false);
    let err = gpu
        .ntt(&[F::rand_vec(8), F::rand_vec(4)], NttDirection::Forward)
        .unwrap_err();
    assert!(
        matches!(&err, GpuError::InvalidInput(m) if m.contains("column 1 has length 4")),
        "{err}"
    );
    let err = gpu.ntt(&[F::rand_vec(6)], NttDirection::Forward).unwrap_err();
    assert!(err.to_string().contains("power of two, got 6"), "{err}");
    let err = gpu.ntt(&[], NttDirection::Inverse).unwrap_err();
    assert!(err.to_string().contains("no columns"), "{err}");
    let err = gpu.merkle_tree(random_columns(8, 3), 4).unwrap_err();
    assert!(err.to_string().contains("cap height 4"), "{err}");
    let err = gpu.merkle_tree(vec![F::rand_vec(3), F::rand_vec(2)], 0).unwrap_err();
    assert!(err.to_string().contains("leaf 1 has 2 elements"), "{err}");
    let values = vec![PolynomialValues::new(F::rand_vec(4))];
    let too_tall = CommitParams {
        rate_bits: 1,
        blinding: false,
        cap_height: 4,
    };
    assert!(gpu.commit(&values, too_tall).is_err());
}

#[test]
fn a_column_longer_than_a_binding_is_split_and_still_matches_plonky2() {
    // 2^11-element columns under a binding limit of 2^6 (+ 5, not a power of
    // two) become 32 x 64 matrices: four-step, on both field paths.
    for force_u32 in [false, true] {
        let gpu = gpu(force_u32).with_binding_limit((1 << 6) + 5);
        check_ntt(&gpu, 2, 11);
        let input = random_columns(1, 1 << 11);
        let (values, _) = gpu.ntt(&input, NttDirection::Forward).unwrap();
        let (back, _) = gpu.ntt(&values, NttDirection::Inverse).unwrap();
        assert_eq!(back, input, "round trip through the split transform");
    }
    // Beyond the square of the limit a column cannot be split: a clear error.
    let gpu = gpu(false).with_binding_limit(1 << 4);
    match gpu.ntt(&random_columns(1, 1 << 9), NttDirection::Forward) {
        Err(GpuError::InvalidInput(msg)) => assert!(msg.contains("square of the device's binding limit"), "{msg}"),
        other => panic!("expected a clear error, got {other:?}"),
    }
}
