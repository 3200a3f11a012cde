//! The CPU backend's commitment: plonky2's LDE and Merkle tree, built
//! without holding the whole low-degree extension twice.
//!
//! `PolynomialBatch::from_values` extends every column onto the coset,
//! keeps all those column vectors, then transposes them into the Merkle
//! tree's leaf rows: at its peak it holds the extension twice (four times
//! the trace at rate 1/2) besides the coefficients. Here the leaf rows are
//! allocated once and filled a group of columns at a time, so only one
//! group's extension exists beside them: the commitment's peak heap is
//! about half of `from_values`'s (`cargo bench -p bench --bench
//! cpu_commit`). The same plonky2 functions compute every value, in the
//! same order, so the commitment is bit for bit `from_values`'s (see the
//! tests).

use crate::backend::{C, D, F};
use plonky2::field::polynomial::{PolynomialCoeffs, PolynomialValues};
use plonky2::field::types::Field;
use plonky2::fri::oracle::PolynomialBatch;
use plonky2::hash::merkle_tree::MerkleTree;
use plonky2::util::reverse_index_bits_in_place;
use rayon::prelude::*;

/// Columns extended together: enough to keep every core busy, few enough
/// that one group's extension is small beside the leaf rows.
fn group_size() -> usize {
    (4 * rayon::current_num_threads()).max(8)
}

/// Commits to `values` (unblinded) exactly as `PolynomialBatch::from_values(values,
/// rate_bits, false, cap_height, _, None)` does. The values must be
/// non-empty and of one power-of-two length (the backend checks this).
pub(crate) fn commit_unblinded(
    values: Vec<PolynomialValues<F>>,
    rate_bits: usize,
    cap_height: usize,
) -> PolynomialBatch<F, C, D> {
    let polynomials: Vec<PolynomialCoeffs<F>> = values.into_par_iter().map(|v| v.ifft()).collect();
    let degree = polynomials[0].len();
    let lde_rows = degree << rate_bits;
    let width = polynomials.len();

    let mut leaves: Vec<Vec<F>> = (0..lde_rows)
        .into_par_iter()
        .map(|_| Vec::with_capacity(width))
        .collect();
    for group in polynomials.chunks(group_size()) {
        let extended: Vec<Vec<F>> = group
            .par_iter()
            .map(|p| {
                p.lde(rate_bits)
                    .coset_fft_with_options(F::coset_shift(), Some(rate_bits), None)
                    .values
            })
            .collect();
        leaves
            .par_iter_mut()
            .enumerate()
            .for_each(|(row, leaf)| leaf.extend(extended.iter().map(|column| column[row])));
    }
    reverse_index_bits_in_place(&mut leaves);
    let merkle_tree = MerkleTree::new(leaves, cap_height);

    PolynomialBatch {
        polynomials,
        merkle_tree,
        degree_log: degree.trailing_zeros() as usize,
        rate_bits,
        blinding: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plonky2::field::types::Sample;
    use plonky2::util::timing::TimingTree;

    fn random_values(rows_log: usize, cols: usize) -> Vec<PolynomialValues<F>> {
        (0..cols)
            .map(|_| PolynomialValues::new(F::rand_vec(1 << rows_log)))
            .collect()
    }

    /// Every part of the commitment equals plonky2's: coefficients, leaf
    /// rows, every digest and the cap, over widths below, at and across the
    /// column group size and several rates and cap heights.
    #[test]
    fn equals_plonky2_from_values() {
        let group = group_size();
        let shapes = [
            (0, 1, 1, 0),
            (1, 3, 1, 1),
            (4, group - 1, 1, 2),
            (5, group, 2, 4),
            (6, 2 * group + 3, 1, 4),
            (9, 3 * group + 1, 3, 5),
            (11, 7, 1, 4),
        ];
        for (rows_log, cols, rate_bits, cap_height) in shapes {
            let values = random_values(rows_log, cols);
            let want = PolynomialBatch::<F, C, D>::from_values(
                values.clone(),
                rate_bits,
                false,
                cap_height,
                &mut TimingTree::default(),
                None,
            );
            let got = commit_unblinded(values, rate_bits, cap_height);
            let shape = format!("2^{rows_log} rows x {cols} columns, rate bits {rate_bits}, cap height {cap_height}");
            assert_eq!(got.polynomials, want.polynomials, "{shape}: coefficients");
            assert_eq!(got.merkle_tree.leaves, want.merkle_tree.leaves, "{shape}: leaves");
            assert_eq!(got.merkle_tree.digests, want.merkle_tree.digests, "{shape}: digests");
            assert_eq!(got.merkle_tree.cap, want.merkle_tree.cap, "{shape}: cap");
            assert_eq!(
                (got.degree_log, got.rate_bits, got.blinding),
                (want.degree_log, want.rate_bits, want.blinding),
                "{shape}: parameters"
            );
        }
    }

    /// The check above can fail: one changed value changes the leaves and the cap.
    #[test]
    fn a_changed_value_changes_the_commitment() {
        let values = random_values(6, 10);
        let mut changed = values.clone();
        changed[9].values[17] += F::ONE;
        let a = commit_unblinded(values, 1, 2);
        let b = commit_unblinded(changed, 1, 2);
        assert_ne!(a.merkle_tree.leaves, b.merkle_tree.leaves);
        assert_ne!(a.merkle_tree.cap, b.merkle_tree.cap);
    }
}
