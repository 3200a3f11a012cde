//! Batched NTTs over columns of equal power-of-two length, in plonky2's
//! conventions: the forward transform maps coefficients to values at
//! w^0, w^1, ... (natural order, `plonky2::field::fft::fft`) and the inverse
//! maps them back (`ifft`), w = `F::primitive_root_of_unity(log n)`.
//!
//! On the device a transform is a sequence of radix-2 decimation-in-frequency
//! stages: wide stages run one dispatch each over global memory, the last ten
//! run in one dispatch in workgroup memory; the bit-reversed result is then
//! permuted (and scaled by 1/n for the inverse).
//!
//! A column longer than one binding holds is transformed as an `n1 x n2`
//! matrix (the four-step NTT): `n1` transforms of length `n2` over its
//! strided sub-columns, a scaling by `w^(j1 k2)`, `n2` transforms of length
//! `n1`, and a transpose. Every transform then fits a binding; the gathers,
//! the scaling and the transpose run on the host (counted as host time).

use super::engine::{from_words, to_words, GoldilocksGpu, F, NTT_TILE};
use super::shaders::Shader;
use super::timings::Timings;
use crate::context::GpuError;
use plonky2::field::fft::{fft, ifft};
use plonky2::field::polynomial::{PolynomialCoeffs, PolynomialValues};
use plonky2::field::types::{Field, PrimeField64};
use rayon::prelude::*;
use std::time::Instant;

/// Forward (coefficients to values) or inverse (values to coefficients).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NttDirection {
    /// `fft`: coefficients to evaluations.
    Forward,
    /// `ifft`: evaluations to coefficients.
    Inverse,
}

/// Checks that `columns` is non-empty with one power-of-two length and
/// returns log2 of it.
pub(crate) fn column_log_len(columns: &[Vec<F>], what: &str) -> Result<usize, GpuError> {
    let first = columns
        .first()
        .ok_or_else(|| GpuError::InvalidInput(format!("{what}: no columns given")))?;
    let n = first.len();
    if !n.is_power_of_two() {
        return Err(GpuError::InvalidInput(format!(
            "{what}: column length must be a power of two, got {n}"
        )));
    }
    if let Some((i, c)) = columns.iter().enumerate().find(|(_, c)| c.len() != n) {
        return Err(GpuError::InvalidInput(format!(
            "{what}: column {i} has length {}, expected {n} like column 0",
            c.len()
        )));
    }
    Ok(n.trailing_zeros() as usize)
}

impl GoldilocksGpu {
    /// Transforms every column; all columns must have the same power-of-two
    /// length. Columns are processed in batches that fit the device's
    /// binding limit; a column longer than a binding is split (four-step).
    pub fn ntt(&self, columns: &[Vec<F>], direction: NttDirection) -> Result<(Vec<Vec<F>>, Timings), GpuError> {
        let log = column_log_len(columns, "NTT")?;
        if (1usize << log) > self.max_binding_elements() {
            return self.ntt_four_step(columns, log, direction);
        }
        self.ntt_batched(columns, log, direction)
    }

    /// Transforms columns of 2^log elements (each fitting a binding) in
    /// batches of as many columns as a binding holds.
    fn ntt_batched(
        &self,
        columns: &[Vec<F>],
        log: usize,
        direction: NttDirection,
    ) -> Result<(Vec<Vec<F>>, Timings), GpuError> {
        let n = 1usize << log;
        let batch_cols = (self.max_binding_elements() / n).max(1);
        let mut timings = Timings::default();
        let inverse = direction == NttDirection::Inverse;
        let twiddles = self.twiddles(log, inverse, &mut timings)?;
        let scale = if inverse { F::inverse_2exp(log) } else { F::ONE }.to_canonical_u64();
        let mut out = Vec::with_capacity(columns.len());
        for batch in columns.chunks(batch_cols) {
            let start = Instant::now();
            let words: Vec<u64> = batch.iter().flat_map(|c| to_words(c)).collect();
            timings.host += start.elapsed();
            let data = self.buffer("ntt_data", words.len());
            let result = self.buffer("ntt_result", words.len());
            self.upload(&data, &words, &mut timings)?;
            let mut encoder = self.encoder();
            self.encode_dif(&mut encoder, &data, batch.len(), log, &twiddles);
            self.dispatch(
                &mut encoder,
                Shader::BitrevScale,
                &[&data, &result],
                [
                    log as u32,
                    words.len() as u32,
                    scale as u32,
                    (scale >> 32) as u32,
                    0,
                    0,
                    0,
                    0,
                ],
                GoldilocksGpu::groups_for(words.len()),
            );
            self.run(encoder, &mut timings)?;
            let back = self.download(&result, words.len(), &mut timings)?;
            let start = Instant::now();
            out.extend(back.chunks(n).map(from_words));
            timings.host += start.elapsed();
        }
        Ok((out, timings))
    }

    /// Transforms columns of 2^log elements, longer than a binding, as
    /// `n1 x n2` matrices with `n2` the largest power of two a binding holds
    /// (see the module documentation). Fails when `n1` does not fit either.
    fn ntt_four_step(
        &self,
        columns: &[Vec<F>],
        log: usize,
        direction: NttDirection,
    ) -> Result<(Vec<Vec<F>>, Timings), GpuError> {
        let limit = self.max_binding_elements();
        let log2 = limit.ilog2() as usize;
        let log1 = log - log2;
        if (1usize << log1) > limit {
            return Err(GpuError::InvalidInput(format!(
                "NTT: columns of 2^{log} elements exceed the square of the device's binding limit of {limit} elements"
            )));
        }
        let (n1, n2) = (1usize << log1, 1usize << log2);
        let root = F::primitive_root_of_unity(log);
        let w = match direction {
            NttDirection::Forward => root,
            NttDirection::Inverse => root.inverse(),
        };
        let mut timings = Timings::default();
        let mut out = Vec::with_capacity(columns.len());
        for column in columns {
            let start = Instant::now();
            let strided: Vec<Vec<F>> = (0..n1)
                .into_par_iter()
                .map(|j1| (0..n2).map(|j2| column[j1 + n1 * j2]).collect())
                .collect();
            timings.host += start.elapsed();
            let (mut rows, t) = self.ntt_batched(&strided, log2, direction)?;
            timings += t;
            let start = Instant::now();
            rows.par_iter_mut().enumerate().for_each(|(j1, row)| {
                let step = w.exp_u64(j1 as u64);
                let mut factor = F::ONE;
                for v in row.iter_mut() {
                    *v *= factor;
                    factor *= step;
                }
            });
            let transposed: Vec<Vec<F>> = (0..n2)
                .into_par_iter()
                .map(|k2| rows.iter().map(|row| row[k2]).collect())
                .collect();
            timings.host += start.elapsed();
            let (cols, t) = self.ntt_batched(&transposed, log1, direction)?;
            timings += t;
            let start = Instant::now();
            let mut result = vec![F::ZERO; n1 * n2];
            for (k2, col) in cols.iter().enumerate() {
                for (k1, v) in col.iter().enumerate() {
                    result[k2 + n2 * k1] = *v;
                }
            }
            timings.host += start.elapsed();
            out.push(result);
        }
        Ok((out, timings))
    }

    /// Records the DIF stages of a transform of `cols` columns of 2^log
    /// elements stored one after another in `data`; the result is left in
    /// bit-reversed order and unscaled.
    pub(crate) fn encode_dif(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        data: &wgpu::Buffer,
        cols: usize,
        log: usize,
        twiddles: &wgpu::Buffer,
    ) {
        if log == 0 {
            return;
        }
        let n = 1usize << log;
        let total = cols * n;
        let mut half = n / 2;
        while 2 * half > NTT_TILE {
            self.dispatch(
                encoder,
                Shader::NttStage,
                &[data, twiddles],
                [
                    log as u32,
                    half as u32,
                    (total / 2) as u32,
                    (n / (2 * half)) as u32,
                    0,
                    0,
                    0,
                    0,
                ],
                GoldilocksGpu::groups_for(total / 2),
            );
            half /= 2;
        }
        self.dispatch(
            encoder,
            Shader::NttTile,
            &[data, twiddles],
            [log as u32, total as u32, half as u32, 0, 0, 0, 0, 0],
            total.div_ceil(NTT_TILE) as u64,
        );
    }
}

/// CPU reference: plonky2's `fft` / `ifft` on every column (columns in
/// parallel on all cores).
pub fn ntt_reference(columns: &[Vec<F>], direction: NttDirection) -> Vec<Vec<F>> {
    columns
        .par_iter()
        .map(|c| match direction {
            NttDirection::Forward => fft(PolynomialCoeffs::new(c.clone())).values,
            NttDirection::Inverse => ifft(PolynomialValues::new(c.clone())).coeffs,
        })
        .collect()
}
