//! The BN254 MSM seam: a backend prepares a fixed base set once (the SRS,
//! uploaded to the device for the GPU) and then runs MSMs over prefixes of
//! it. CPU: halo2's `best_multiexp`. GPU: `gpu_kernels::bn254::MsmEngine`.

use super::KzgError;
use gpu_kernels::bn254::{GpuBases, MsmEngine};
use gpu_kernels::GpuContext;
use halo2_proofs::arithmetic::best_multiexp;
use halo2_proofs::halo2curves::bn256::{Fr, G1Affine, G1};
use std::sync::Arc;

/// A device that runs BN254 multi-scalar multiplications.
pub trait Bn254Msm: Send + Sync {
    /// Short name for logs and reports ("cpu", "gpu: <adapter>").
    fn name(&self) -> String;
    /// Prepares `bases` for any number of MSMs over them or a prefix.
    fn prepare(&self, bases: &[G1Affine]) -> Result<Box<dyn PreparedBases>, KzgError>;
}

/// A base set ready for MSMs on one backend.
pub trait PreparedBases: Send + Sync {
    /// sum_i scalars[i] * bases[i] over the first `scalars.len()` bases.
    fn msm(&self, scalars: &[Fr]) -> Result<G1, KzgError>;
}

/// halo2's own CPU MSM on all cores.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuMsm;

struct CpuBases(Vec<G1Affine>);

impl Bn254Msm for CpuMsm {
    fn name(&self) -> String {
        "cpu".into()
    }

    fn prepare(&self, bases: &[G1Affine]) -> Result<Box<dyn PreparedBases>, KzgError> {
        Ok(Box::new(CpuBases(bases.to_vec())))
    }
}

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

/// The WGSL Pippenger MSM on a wgpu device.
pub struct GpuMsm {
    engine: Arc<MsmEngine>,
}

impl GpuMsm {
    /// Compiles the MSM kernels on `ctx`.
    pub fn new(ctx: Arc<GpuContext>) -> Self {
        Self {
            engine: Arc::new(MsmEngine::new(ctx)),
        }
    }
}

struct GpuPrepared {
    engine: Arc<MsmEngine>,
    bases: GpuBases,
}

impl Bn254Msm for GpuMsm {
    fn name(&self) -> String {
        format!("gpu: {}", self.engine.context().adapter.name)
    }

    fn prepare(&self, bases: &[G1Affine]) -> Result<Box<dyn PreparedBases>, KzgError> {
        Ok(Box::new(GpuPrepared {
            engine: self.engine.clone(),
            bases: self.engine.upload_bases(bases),
        }))
    }
}

impl PreparedBases for GpuPrepared {
    fn msm(&self, scalars: &[Fr]) -> Result<G1, KzgError> {
        Ok(self.engine.msm(&self.bases, scalars)?)
    }
}
