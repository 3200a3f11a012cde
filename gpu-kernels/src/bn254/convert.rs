//! Moving halo2curves values to and from the kernels' word layout. Field
//! elements travel in their Montgomery form (R = 2^256, the same in
//! halo2curves and the kernels), so nothing is converted on the host.

use halo2curves_axiom::bn256::{Fq, Fr, G1Affine, G1};
use halo2curves_axiom::ff::Field;
use halo2curves_axiom::group::Group;
use halo2curves_axiom::serde::SerdeObject;
use rayon::prelude::*;

/// Words of one affine point in a base buffer (x then y, 8 limbs each).
pub const AFFINE_WORDS: usize = 16;
/// Words of one XYZZ point (x, y, zz, zzz).
pub const XYZZ_WORDS: usize = 32;
/// Words of one scalar.
pub const SCALAR_WORDS: usize = 8;

/// Raw Montgomery bytes of affine points, 64 per point; the identity is
/// (0, 0) as in halo2curves.
pub fn bases_to_bytes(bases: &[G1Affine]) -> Vec<u8> {
    let mut out = vec![0u8; bases.len() * AFFINE_WORDS * 4];
    out.par_chunks_mut(AFFINE_WORDS * 4)
        .zip(bases)
        .for_each(|(mut dst, p)| {
            p.x.write_raw(&mut dst).expect("64 bytes hold a point");
            p.y.write_raw(&mut dst).expect("64 bytes hold a point");
        });
    out
}

/// Raw Montgomery bytes of scalars, 32 per scalar.
pub fn scalars_to_bytes(scalars: &[Fr]) -> Vec<u8> {
    let mut out = vec![0u8; scalars.len() * SCALAR_WORDS * 4];
    out.par_chunks_mut(SCALAR_WORDS * 4)
        .zip(scalars)
        .for_each(|(mut dst, s)| {
            s.write_raw(&mut dst).expect("32 bytes hold a scalar");
        });
    out
}

fn fq_from_words(words: &[u32]) -> Fq {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    Fq::from_raw_bytes_unchecked(&bytes)
}

/// An XYZZ point (x = X/ZZ, y = Y/ZZZ) as a halo2curves projective point
/// (x = X'/Z', y = Y'/Z'): X' = X ZZZ, Y' = Y ZZ, Z' = ZZ ZZZ.
pub fn xyzz_to_g1(words: &[u32]) -> G1 {
    let x = fq_from_words(&words[0..8]);
    let y = fq_from_words(&words[8..16]);
    let zz = fq_from_words(&words[16..24]);
    let zzz = fq_from_words(&words[24..32]);
    if bool::from(zz.is_zero()) {
        return G1::identity();
    }
    G1 {
        x: x * zzz,
        y: y * zz,
        z: zz * zzz,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2curves_axiom::group::Curve;
    use halo2curves_axiom::serde::SerdeObject;

    #[test]
    fn affine_point_round_trips_through_xyzz_words() {
        let p = (G1::generator() * Fr::from(7u64)).to_affine();
        let bytes = bases_to_bytes(&[p]);
        let mut words: Vec<u32> = bytes
            .chunks(4)
            .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        // ZZ = ZZZ = 1 in Montgomery form.
        let one = Fq::one().to_raw_bytes();
        for _ in 0..2 {
            words.extend(one.chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())));
        }
        assert_eq!(xyzz_to_g1(&words).to_affine(), p);
        assert_eq!(xyzz_to_g1(&[0u32; 32]), G1::identity());
    }
}
