//! The byte range table every table with range checks carries: a RANGE
//! column holding 0, 1, ..., 255 and then 255 repeated, and a FREQ column
//! counting how often each byte occurs in the table's range-checked cells
//! (the multiplicities of starky's logUp lookup).

use crate::F;
use plonky2::field::types::{Field, PrimeField64};

/// Writes RANGE and FREQ of `rows`, counting the cells of the `checked`
/// columns. A cell that is not a byte is not counted, so the range lookup
/// rejects it.
pub fn fill<const N: usize>(rows: &mut [[F; N]], checked: &[usize], range: usize, freq: usize) {
    let mut counts = [0u64; 256];
    for row in rows.iter() {
        for &c in checked {
            if let Some(n) = counts.get_mut(row[c].to_canonical_u64() as usize) {
                *n += 1;
            }
        }
    }
    for (i, row) in rows.iter_mut().enumerate() {
        row[range] = F::from_canonical_usize(i.min(255));
        row[freq] = F::from_canonical_u64(counts.get(i).copied().unwrap_or(0));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_bytes_and_skips_non_bytes() {
        let mut rows = vec![[F::ZERO; 3]; 256];
        rows[0][0] = F::from_canonical_u64(7);
        rows[1][0] = F::from_canonical_u64(7);
        rows[2][0] = F::from_canonical_u64(300);
        fill(&mut rows, &[0], 1, 2);
        assert_eq!(rows[7][2], F::TWO);
        assert_eq!(rows[0][2], F::from_canonical_u64(253), "the other 253 cells are zero");
        assert_eq!(rows[255][1], F::from_canonical_u64(255));
    }
}
