//! BN254 multi-scalar multiplication on the GPU.
//!
//! WGSL Montgomery arithmetic for the base field Fq and the scalar field Fr
//! (with 64-bit products where the adapter has `SHADER_INT64`, and a
//! 32-bit-only path that builds each 32 x 32-bit product from 16-bit halves),
//! G1 in XYZZ coordinates, and a Pippenger MSM ([`MsmEngine`]) taking
//! halo2curves' `G1Affine` bases and `Fr` scalars and returning the same `G1`
//! as halo2curves' CPU MSM ([`cpu_msm`]). Bases are uploaded once
//! ([`GpuBases`]) and reused.

mod convert;
pub mod msm;
mod reference;
pub mod shader;
#[cfg(test)]
mod tests;

pub use msm::{window_bits, GpuBases, MsmEngine, MsmPlan};
pub use reference::{cpu_msm, edge_scalars, selftest_checks, SampleRng};
