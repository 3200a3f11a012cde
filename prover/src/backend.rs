//! The `Backend` seam: where the heavy commitment work of proving runs —
//! Goldilocks polynomial commitments (LDE + Poseidon Merkle tree) for the
//! STARK and plonky2 layers, and BN254 MSMs for the halo2 KZG wrap.
//!
//! [`CpuBackend`] is plonky2's and halo2's own code (the Goldilocks
//! commitment scheduled to need less memory, `cpu_commit`); [`GpuBackend`] runs the
//! `gpu-kernels` kernels and returns the same `PolynomialBatch` and the same
//! MSM results bit for bit, so proofs made with it verify with unmodified
//! starky, plonky2 and halo2 verifiers. [`select_backend`] picks one from `ZKR_BACKEND`
//! (`cpu`, `gpu` or `auto`, the default) and says why.

use crate::kzg::{CpuBases, GpuPrepared, KzgError, PreparedBases};
use gpu_kernels::bn254::MsmEngine;
use gpu_kernels::goldilocks::{CommitParams, GoldilocksGpu};
use gpu_kernels::{GpuContext, GpuError, GpuOptions};
use halo2_proofs::halo2curves::bn256::G1Affine;
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::field::polynomial::PolynomialValues;
use plonky2::fri::oracle::PolynomialBatch;
use plonky2::plonk::config::PoseidonGoldilocksConfig;
use plonky2::util::timing::TimingTree;
use std::sync::{Arc, OnceLock};
use thiserror::Error;

/// The base field of chunk proofs.
pub type F = GoldilocksField;
/// The plonky2 configuration of chunk proofs.
pub type C = PoseidonGoldilocksConfig;
/// The extension degree of chunk proofs.
pub const D: usize = 2;

/// Errors from choosing or using a backend.
#[derive(Debug, Error)]
pub enum BackendError {
    /// The GPU could not be opened or a kernel failed.
    #[error("GPU backend: {0}")]
    Gpu(#[from] GpuError),
    /// `ZKR_BACKEND` holds something other than cpu, gpu or auto.
    #[error("ZKR_BACKEND={0:?} is not one of cpu, gpu, auto")]
    BadPreference(String),
    /// The input to a commitment is malformed.
    #[error("commit: {0}")]
    InvalidInput(String),
}

/// Where proving work runs.
pub trait Backend: Send + Sync {
    /// `"CPU (n threads)"` or `"GPU on <adapter> (<type>, u64|u32-only kernels)"`.
    fn name(&self) -> String;

    /// Whether the work runs on a GPU adapter (software adapters included).
    fn on_gpu(&self) -> bool;

    /// Commits to polynomials given by their values on a power-of-two
    /// subgroup, exactly like `PolynomialBatch::from_values(values,
    /// rate_bits, blinding, cap_height, timing, None)`.
    fn commit(
        &self,
        values: Vec<PolynomialValues<F>>,
        rate_bits: usize,
        blinding: bool,
        cap_height: usize,
        timing: &mut TimingTree,
    ) -> Result<PolynomialBatch<F, C, D>, BackendError>;

    /// Prepares a fixed BN254 base set (a KZG SRS) for any number of MSMs
    /// over it or a prefix of it: the GPU uploads it once.
    fn prepare_bn254_bases(&self, bases: &[G1Affine]) -> Result<Box<dyn PreparedBases>, KzgError>;
}

fn check_values(values: &[PolynomialValues<F>], rate_bits: usize, cap_height: usize) -> Result<usize, BackendError> {
    let n = values
        .first()
        .map(|v| v.values.len())
        .ok_or_else(|| BackendError::InvalidInput("no polynomials given".into()))?;
    if !n.is_power_of_two() {
        return Err(BackendError::InvalidInput(format!(
            "polynomial length {n} is not a power of two"
        )));
    }
    if let Some(i) = values.iter().position(|v| v.values.len() != n) {
        return Err(BackendError::InvalidInput(format!(
            "polynomial {i} has {} values, expected {n} like polynomial 0",
            values[i].values.len()
        )));
    }
    let lde_log = n.trailing_zeros() as usize + rate_bits;
    if cap_height > lde_log {
        return Err(BackendError::InvalidInput(format!(
            "cap height {cap_height} exceeds log2 of the {} LDE rows",
            1usize << lde_log
        )));
    }
    Ok(n)
}

/// plonky2's own commitment code on the CPU (rayon, all cores); unblinded
/// commitments fill the Merkle leaves a column group at a time
/// (`cpu_commit`), bit-identical to `PolynomialBatch::from_values`.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuBackend;

impl Backend for CpuBackend {
    fn name(&self) -> String {
        format!("CPU ({} threads)", rayon::current_num_threads())
    }

    fn on_gpu(&self) -> bool {
        false
    }

    fn commit(
        &self,
        values: Vec<PolynomialValues<F>>,
        rate_bits: usize,
        blinding: bool,
        cap_height: usize,
        timing: &mut TimingTree,
    ) -> Result<PolynomialBatch<F, C, D>, BackendError> {
        check_values(&values, rate_bits, cap_height)?;
        if blinding {
            // Random salt columns: nothing to be bit-identical to.
            return Ok(PolynomialBatch::from_values(
                values, rate_bits, blinding, cap_height, timing, None,
            ));
        }
        Ok(crate::cpu_commit::commit_unblinded(values, rate_bits, cap_height))
    }

    fn prepare_bn254_bases(&self, bases: &[G1Affine]) -> Result<Box<dyn PreparedBases>, KzgError> {
        Ok(Box::new(CpuBases(bases.to_vec())))
    }
}

/// The Goldilocks kernels of `gpu-kernels` on one device.
pub struct GpuBackend {
    goldilocks: GoldilocksGpu,
    /// The BN254 MSM kernels, compiled on first use.
    msm: OnceLock<Arc<MsmEngine>>,
}

impl GpuBackend {
    /// Compiles the Goldilocks kernels on `ctx` (the MSM kernels are compiled
    /// when first needed).
    pub fn new(ctx: Arc<GpuContext>) -> Result<Self, BackendError> {
        Ok(Self {
            goldilocks: GoldilocksGpu::new(ctx)?,
            msm: OnceLock::new(),
        })
    }

    /// The device the backend runs on (for other kernel families, e.g. MSM).
    pub fn context(&self) -> &Arc<GpuContext> {
        self.goldilocks.context()
    }

    /// The Goldilocks kernels themselves.
    pub fn goldilocks(&self) -> &GoldilocksGpu {
        &self.goldilocks
    }
}

impl Backend for GpuBackend {
    fn name(&self) -> String {
        let ctx = self.context();
        format!(
            "GPU on {} ({}, {} kernels)",
            ctx.adapter.name,
            ctx.adapter.device_type,
            if ctx.int64 { "u64" } else { "u32-only" }
        )
    }

    fn on_gpu(&self) -> bool {
        true
    }

    fn commit(
        &self,
        values: Vec<PolynomialValues<F>>,
        rate_bits: usize,
        blinding: bool,
        cap_height: usize,
        _timing: &mut TimingTree,
    ) -> Result<PolynomialBatch<F, C, D>, BackendError> {
        let n = check_values(&values, rate_bits, cap_height)?;
        // The GPU reports its phases (transfers apart from compute) through
        // tracing rather than plonky2's timing tree.
        let result = self.goldilocks.commit(
            &values,
            CommitParams {
                rate_bits,
                blinding,
                cap_height,
            },
        );
        let (commitment, timings) = result?;
        tracing::debug!(%timings, rows = n << rate_bits, cols = values.len(), "GPU commitment");
        Ok(PolynomialBatch {
            polynomials: commitment.polynomials,
            merkle_tree: commitment.merkle_tree,
            degree_log: n.trailing_zeros() as usize,
            rate_bits,
            blinding,
        })
    }

    fn prepare_bn254_bases(&self, bases: &[G1Affine]) -> Result<Box<dyn PreparedBases>, KzgError> {
        let engine = self
            .msm
            .get_or_init(|| Arc::new(MsmEngine::new(self.context().clone())))
            .clone();
        let bases = engine.upload_bases(bases);
        Ok(Box::new(GpuPrepared { engine, bases }))
    }
}

/// What `ZKR_BACKEND` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendPreference {
    /// Always the CPU.
    Cpu,
    /// The GPU, or an error when there is none.
    Gpu,
    /// The GPU when one opens, else the CPU.
    Auto,
}

impl BackendPreference {
    /// Reads `ZKR_BACKEND` (unset means auto).
    pub fn from_env() -> Result<Self, BackendError> {
        match std::env::var("ZKR_BACKEND") {
            Err(_) => Ok(Self::Auto),
            Ok(v) => Self::parse(&v),
        }
    }

    /// Parses cpu, gpu or auto (any case).
    pub fn parse(value: &str) -> Result<Self, BackendError> {
        match value.to_ascii_lowercase().as_str() {
            "cpu" => Ok(Self::Cpu),
            "gpu" => Ok(Self::Gpu),
            "auto" | "" => Ok(Self::Auto),
            _ => Err(BackendError::BadPreference(value.into())),
        }
    }
}

/// The chosen backend and why it was chosen.
pub struct BackendChoice {
    /// The backend to prove with.
    pub backend: Arc<dyn Backend>,
    /// One line for operators.
    pub reason: String,
}

impl BackendChoice {
    /// `"backend: <name> (<reason>)"`.
    pub fn describe(&self) -> String {
        format!("backend: {} ({})", self.backend.name(), self.reason)
    }
}

/// Chooses a backend for `preference`, opening the GPU with `open_gpu`
/// (injectable so that the no-adapter path is testable anywhere).
pub fn select_backend_with(
    preference: BackendPreference,
    open_gpu: impl FnOnce() -> Result<GpuContext, GpuError>,
) -> Result<BackendChoice, BackendError> {
    if preference == BackendPreference::Cpu {
        return Ok(BackendChoice {
            backend: Arc::new(CpuBackend),
            reason: "ZKR_BACKEND=cpu".into(),
        });
    }
    let opened = open_gpu().map_err(BackendError::from);
    if preference == BackendPreference::Auto {
        if let Ok(ctx) = &opened {
            if ctx.adapter.device_type == "Cpu" {
                // A software rasteriser (lavapipe, SwiftShader) runs the
                // kernels correctly but slower than the CPU backend.
                return Ok(BackendChoice {
                    backend: Arc::new(CpuBackend),
                    reason: format!(
                        "the only adapter, {}, is a software device; ZKR_BACKEND=gpu uses it anyway",
                        ctx.adapter.name
                    ),
                });
            }
        }
    }
    let gpu = opened.and_then(|ctx| GpuBackend::new(Arc::new(ctx)));
    match (gpu, preference) {
        (Ok(gpu), _) => Ok(BackendChoice {
            backend: Arc::new(gpu),
            reason: if preference == BackendPreference::Gpu {
                "ZKR_BACKEND=gpu".into()
            } else {
                "a GPU adapter opened".into()
            },
        }),
        (Err(err), BackendPreference::Gpu) => Err(err),
        (Err(err), _) => {
            tracing::warn!(%err, "falling back to the CPU backend");
            Ok(BackendChoice {
                backend: Arc::new(CpuBackend),
                reason: format!("fallback: {err}"),
            })
        }
    }
}

/// Chooses a backend from `ZKR_BACKEND` and the best adapter on this machine.
pub fn select_backend() -> Result<BackendChoice, BackendError> {
    select_backend_with(
        BackendPreference::from_env()?,
        || GpuContext::new(GpuOptions::default()),
    )
}
