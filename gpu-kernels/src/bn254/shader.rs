//! Assembles the WGSL source of each MSM kernel: the 64-bit or 32-bit-only
//! multiply-accumulate, Montgomery arithmetic instantiated for Fq and Fr with
//! constants taken from halo2curves, the G1 formulas, and the kernel itself.

use halo2curves_axiom::bn256::{Fq, Fr};
use halo2curves_axiom::ff::{Field, PrimeField};
use halo2curves_axiom::serde::SerdeObject;

const MAC_U64: &str = include_str!("wgsl/mac_u64.wgsl");
const MAC_U32: &str = include_str!("wgsl/mac_u32.wgsl");
const FIELD: &str = include_str!("wgsl/field.wgsl");
const CURVE: &str = include_str!("wgsl/curve.wgsl");
const COMMON: &str = include_str!("wgsl/common.wgsl");

/// The five GPU passes of one MSM, in dispatch order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MsmPass {
    /// Scalars out of Montgomery form; bucket counts per window.
    Decompose,
    /// Per-window exclusive prefix sums of the bucket counts.
    Scan,
    /// Counting-sort scatter of (point, sign) into buckets.
    Scatter,
    /// Per-bucket sums of points.
    Accumulate,
    /// Per-segment running sums over buckets.
    Reduce,
}

impl MsmPass {
    /// Every pass, in dispatch order.
    pub const ALL: [MsmPass; 5] = [
        MsmPass::Decompose,
        MsmPass::Scan,
        MsmPass::Scatter,
        MsmPass::Accumulate,
        MsmPass::Reduce,
    ];

    /// Label used for the pipeline.
    pub fn label(self) -> &'static str {
        match self {
            MsmPass::Decompose => "bn254-msm-decompose",
            MsmPass::Scan => "bn254-msm-scan",
            MsmPass::Scatter => "bn254-msm-scatter",
            MsmPass::Accumulate => "bn254-msm-accumulate",
            MsmPass::Reduce => "bn254-msm-reduce",
        }
    }

    fn body(self) -> &'static str {
        match self {
            MsmPass::Decompose => include_str!("wgsl/decompose.wgsl"),
            MsmPass::Scan => include_str!("wgsl/scan.wgsl"),
            MsmPass::Scatter => include_str!("wgsl/scatter.wgsl"),
            MsmPass::Accumulate => include_str!("wgsl/accumulate.wgsl"),
            MsmPass::Reduce => include_str!("wgsl/reduce.wgsl"),
        }
    }
}

/// Little-endian 32-bit limbs of a 32-byte little-endian integer.
fn limbs(bytes: &[u8]) -> [u32; 8] {
    std::array::from_fn(|i| u32::from_le_bytes(bytes[4 * i..4 * i + 4].try_into().expect("4 bytes")))
}

/// The modulus of a prime field as limbs: (0 - 1) + 1 in canonical form.
fn modulus_limbs<F: PrimeField<Repr = [u8; 32]>>() -> [u32; 8] {
    let mut m = limbs(&(-F::ONE).to_repr());
    // p - 1 is even, so adding one never carries.
    m[0] += 1;
    m
}

/// -m^-1 mod 2^32 for odd m0, by Newton iteration.
fn montgomery_inv(m0: u32) -> u32 {
    let mut inv = 1u32;
    for _ in 0..5 {
        inv = inv.wrapping_mul(2u32.wrapping_sub(m0.wrapping_mul(inv)));
    }
    inv.wrapping_neg()
}

fn wgsl_limbs(l: &[u32; 8]) -> String {
    l.iter().map(|x| format!("0x{x:08x}u")).collect::<Vec<_>>().join(", ")
}

fn field_source(prefix: &str, modulus: [u32; 8]) -> String {
    FIELD
        .replace("FIELD_MODULUS_LIMBS", &wgsl_limbs(&modulus))
        .replace("FIELD_INV_VALUE", &format!("0x{:08x}u", montgomery_inv(modulus[0])))
        .replace("FIELD_", &format!("{prefix}_"))
}

/// Arithmetic shared by the kernels and the field self-test: multiply-
/// accumulate, Fq and Fr Montgomery arithmetic, G1 in XYZZ coordinates.
pub fn arithmetic_source(int64: bool) -> String {
    let fq_one = limbs(&Fq::ONE.to_raw_bytes());
    [
        (if int64 { MAC_U64 } else { MAC_U32 }).to_string(),
        field_source("fq", modulus_limbs::<Fq>()),
        field_source("fr", modulus_limbs::<Fr>()),
        CURVE.replace("FQ_ONE_LIMBS", &wgsl_limbs(&fq_one)),
        COMMON.to_string(),
    ]
    .join("\n")
}

/// Complete WGSL source of one pass.
pub fn pass_source(pass: MsmPass, int64: bool) -> String {
    format!("{}\n{}", arithmetic_source(int64), pass.body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn montgomery_constants_match_the_moduli() {
        let q = modulus_limbs::<Fq>();
        assert_eq!(q[7], 0x30644e72, "Fq top limb");
        assert_eq!(q[0], 0xd87cfd47, "Fq bottom limb");
        let r = modulus_limbs::<Fr>();
        assert_eq!(r[0], 0xf0000001, "Fr bottom limb");
        for m in [q[0], r[0]] {
            assert_eq!(m.wrapping_mul(montgomery_inv(m)), u32::MAX, "m * (-m^-1) = -1 mod 2^32");
        }
    }
}
