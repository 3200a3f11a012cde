//! The BN254 MSM side of the [`Backend`](crate::backend::Backend) seam: a
//! backend prepares a fixed base set once (the SRS, uploaded to the device
//! for the GPU) and then runs MSMs over prefixes of it. CPU: halo2's
//! `best_multiexp`. GPU: `gpu_kernels::bn254::MsmEngine`.

use super::KzgError;
use gpu_kernels::bn254::{GpuBases, MsmEngine};
use halo2_proofs::arithmetic::best_multiexp;
use halo2_proofs::halo2curves::bn256::{Fr, G1Affine, G1};
use std::sync::Arc;

/// A base set ready for MSMs on one backend.
pub trait PreparedBases: Send + Sync {
    /// `sum_i scalars[i] * bases[i]` over the first `scalars.len()` bases.
    fn msm(&self, scalars: &[Fr]) -> Result<G1, KzgError>;
}

/// Bases kept in host memory for halo2's own CPU MSM on all cores.
pub(crate) struct CpuBases(pub(crate) Vec<G1Affine>);

impl PreparedBases for CpuBases {
    fn msm(&self, scalars: &[Fr]) -> Result<G1, KzgError> {
        if scalars.len() > self.0.len() {
            return Err(KzgError::InvalidInput(format!(
                "MSM of {} scalars over {} bases",
                scalars.len(),
                self.0.len()
            )));
        }
        Ok(best_multiexp(scalars, &self.0[..scalars.len()]))
    }
}

/// Bases resident on the device for the WGSL Pippenger MSM.
pub(crate) struct GpuPrepared {
    pub(crate) engine: Arc<MsmEngine>,
    pub(crate) bases: GpuBases,
}

impl PreparedBases for GpuPrepared {
    fn msm(&self, scalars: &[Fr]) -> Result<G1, KzgError> {
        Ok(self.engine.msm(&self.bases, scalars)?)
    }
}
