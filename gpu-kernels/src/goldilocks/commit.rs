//! Polynomial commitment in the shape of plonky2's
//! `PolynomialBatch::from_values`: inverse NTT of each column to
//! coefficients, low-degree extension onto the coset `shift * <w>` of
//! 2^rate_bits times the size (shift = `F::coset_shift()`), leaves = rows of
//! the extension in bit-reversed row order (plus random salt columns when
//! blinding), and the Poseidon Merkle tree of those leaves.
//!
//! The forward NTT of the extension is left in the bit-reversed order its
//! DIF stages produce, which is exactly plonky2's leaf order, so no
//! permutation pass is needed. Columns are processed in batches that fit the
//! device's binding limit; the leaf sponges carry over between batches.

use super::engine::{from_words, to_words, GoldilocksGpu, F};
use super::merkle::{merkle_tree_reference, PoseidonMerkleTree};
use super::ntt::column_log_len;
use super::shaders::Shader;
use super::timings::Timings;
use crate::context::GpuError;
use plonky2::field::polynomial::{PolynomialCoeffs, PolynomialValues};
use plonky2::field::types::{Field, PrimeField64, Sample};
use plonky2::fri::oracle::SALT_SIZE;
use plonky2::util::{reverse_index_bits_in_place, transpose};
use rayon::prelude::*;
use std::time::Instant;

/// What `PolynomialBatch` holds besides its sizes: the coefficients and the
/// Merkle tree over the LDE rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LdeCommitment {
    /// Coefficients of each column's interpolating polynomial.
    pub polynomials: Vec<PolynomialCoeffs<F>>,
    /// Merkle tree over the bit-reversed rows of the LDE.
    pub merkle_tree: PoseidonMerkleTree,
}

/// How to commit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommitParams {
    /// log2 of the blowup factor.
    pub rate_bits: usize,
    /// Append `SALT_SIZE` random columns to every leaf.
    pub blinding: bool,
    /// log2 of the number of cap digests.
    pub cap_height: usize,
}

impl GoldilocksGpu {
    /// Commits to `values` (one column per polynomial, evaluations on the
    /// subgroup of its power-of-two length) like `PolynomialBatch::from_values`.
    pub fn commit(
        &self,
        values: &[PolynomialValues<F>],
        params: CommitParams,
    ) -> Result<(LdeCommitment, Timings), GpuError> {
        let mut timings = Timings::default();
        let start = Instant::now();
        let columns: Vec<Vec<F>> = values.iter().map(|v| v.values.clone()).collect();
        timings.host += start.elapsed();
        let log = column_log_len(&columns, "commit")?;
        let lde_log = log + params.rate_bits;
        let (n, lde_n) = (1usize << log, 1usize << lde_log);
        let limit = self.max_binding_elements();
        if lde_n > limit {
            return Err(GpuError::InvalidInput(format!(
                "commit: LDE columns of 2^{lde_log} elements exceed the device's binding limit of {limit} elements"
            )));
        }
        let salt_cols = if params.blinding { SALT_SIZE } else { 0 };
        let mut tree = self.begin_tree(lde_n, columns.len() + salt_cols, params.cap_height)?;
        let inverse_twiddles = self.twiddles(log, true, &mut timings)?;
        let twiddles = self.twiddles(lde_log, false, &mut timings)?;
        let shift_powers = self.shift_powers(log, &mut timings)?;
        let inv_n = F::inverse_2exp(log).to_canonical_u64();

        let batch_cols = (limit / lde_n).max(1).min(columns.len());
        let x = self.buffer("commit_values", batch_cols * n);
        let coeffs = self.buffer("commit_coeffs", batch_cols * n);
        let lde = self.buffer("commit_lde", batch_cols * lde_n);
        let mut polynomials = Vec::with_capacity(columns.len());
        let mut lde_batches = Vec::new();
        for (b, batch) in columns.chunks(batch_cols).enumerate() {
            let span = tracing::debug_span!("commit batch", batch = b, cols = batch.len());
            let _enter = span.enter();
            let cols = batch.len();
            let start = Instant::now();
            let words: Vec<u64> = batch
                .par_iter()
                .flat_map_iter(|c| c.iter().map(|x| x.to_canonical_u64()))
                .collect();
            timings.host += start.elapsed();
            self.upload(&x, &words, &mut timings)?;
            let mut encoder = self.encoder();
            self.encode_dif(&mut encoder, &x, cols, log, &inverse_twiddles);
            self.dispatch(
                &mut encoder,
                Shader::CosetPad,
                &[&x, &coeffs, &lde, &shift_powers],
                [
                    log as u32,
                    lde_log as u32,
                    (cols * lde_n) as u32,
                    inv_n as u32,
                    (inv_n >> 32) as u32,
                    0,
                    0,
                    0,
                ],
                GoldilocksGpu::groups_for(cols * lde_n),
            );
            self.encode_dif(&mut encoder, &lde, cols, lde_log, &twiddles);
            self.encode_absorb(&mut encoder, &mut tree, &lde, cols);
            self.run(encoder, &mut timings)?;
            let batch_coeffs = self.download(&coeffs, cols * n, &mut timings)?;
            lde_batches.push(self.download(&lde, cols * lde_n, &mut timings)?);
            let start = Instant::now();
            polynomials.extend(batch_coeffs.chunks(n).map(|c| PolynomialCoeffs::new(from_words(c))));
            timings.host += start.elapsed();
        }
        let salt: Vec<Vec<F>> = (0..salt_cols).map(|_| F::rand_vec(lde_n)).collect();
        let mut encoder = self.encoder();
        if salt_cols > 0 {
            let start = Instant::now();
            let words: Vec<u64> = salt.iter().flat_map(|c| to_words(c)).collect();
            timings.host += start.elapsed();
            let salt_buffer = self.buffer("commit_salt", words.len());
            self.upload(&salt_buffer, &words, &mut timings)?;
            self.encode_absorb(&mut encoder, &mut tree, &salt_buffer, salt_cols);
        }
        self.encode_levels(&mut encoder, &tree);
        self.run(encoder, &mut timings)?;

        let start = Instant::now();
        let leaves = rows_of(&lde_batches, &salt, lde_n);
        timings.host += start.elapsed();
        let merkle_tree = self.finish_tree(tree, leaves, &mut timings)?;
        Ok((
            LdeCommitment {
                polynomials,
                merkle_tree,
            },
            timings,
        ))
    }
}

/// Row r of the leaves: element r of every column of every batch (already
/// in bit-reversed row order), then of every salt column.
fn rows_of(lde_batches: &[Vec<u64>], salt: &[Vec<F>], rows: usize) -> Vec<Vec<F>> {
    let width = lde_batches.iter().map(|b| b.len() / rows).sum::<usize>() + salt.len();
    (0..rows)
        .into_par_iter()
        .map(|r| {
            let mut row = Vec::with_capacity(width);
            for batch in lde_batches {
                row.extend(
                    batch[r..]
                        .iter()
                        .step_by(rows)
                        .map(|&w| plonky2::field::goldilocks_field::GoldilocksField(w)),
                );
            }
            row.extend(salt.iter().map(|c| c[r]));
            row
        })
        .collect()
}

/// CPU reference: the steps of `PolynomialBatch::from_values` with plonky2's
/// own functions (columns in parallel on all cores). Blinding salt is random,
/// so the reference takes none.
pub fn commit_reference(values: &[PolynomialValues<F>], rate_bits: usize, cap_height: usize) -> LdeCommitment {
    let polynomials: Vec<PolynomialCoeffs<F>> = values.par_iter().map(|v| v.clone().ifft()).collect();
    let lde: Vec<Vec<F>> = polynomials
        .par_iter()
        .map(|p| p.lde(rate_bits).coset_fft(F::coset_shift()).values)
        .collect();
    let mut leaves = transpose(&lde);
    reverse_index_bits_in_place(&mut leaves);
    LdeCommitment {
        polynomials,
        merkle_tree: merkle_tree_reference(leaves, cap_height),
    }
}
