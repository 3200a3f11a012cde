//! The commitment scheme, its prover parameters and the SHPLONK delegate.

use super::backend_msm::PreparedBases;
use super::KzgError;
use crate::backend::{Backend, CpuBackend};
use halo2_proofs::arithmetic::best_multiexp;
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine, G1};
use halo2_proofs::poly::commitment::{Blind, CommitmentScheme, Params, ParamsProver, Prover};
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::msm::MSMKZG;
use halo2_proofs::poly::kzg::multiopen::ProverSHPLONK;
use halo2_proofs::poly::ProverQuery;
use halo2_proofs::poly::{Coeff, LagrangeCoeff, Polynomial};
use halo2_proofs::transcript::{EncodedChallenge, TranscriptWrite};
use halo2_proofs::SerdeFormat;
use rand_core::RngCore;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// KZG over BN254 with commitments computed by a [`Backend`].
#[derive(Debug)]
pub struct BackendKzg;

/// Points of MSM work done through the backend and on the CPU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MsmShare {
    /// Points in MSMs run by the backend (commit and commit_lagrange).
    pub backend_points: u64,
    /// MSMs run by the backend.
    pub backend_msms: u64,
    /// Points in MSMs that stayed on the CPU: SHPLONK's two opening
    /// commitments (n + n - 1 points per proof) and any backend fallback.
    pub cpu_points: u64,
    /// Backend MSMs that failed and were redone on the CPU.
    pub fallbacks: u64,
}

impl MsmShare {
    /// Fraction of all MSM points that went through the backend.
    pub fn backend_fraction(&self) -> f64 {
        let total = self.backend_points + self.cpu_points;
        if total == 0 {
            0.0
        } else {
            self.backend_points as f64 / total as f64
        }
    }
}

#[derive(Default)]
struct Counters {
    backend_points: AtomicU64,
    backend_msms: AtomicU64,
    cpu_points: AtomicU64,
    fallbacks: AtomicU64,
}

/// The SRS prepared on a backend: monomial and Lagrange bases.
struct Prepared {
    backend: Arc<dyn Backend>,
    g: Box<dyn PreparedBases>,
    g_lagrange: Box<dyn PreparedBases>,
}

/// Prover parameters: a standard `ParamsKZG<Bn256>` plus the same SRS
/// prepared on a backend, and counters of the MSM work.
#[derive(Clone)]
pub struct BackendParams {
    inner: ParamsKZG<Bn256>,
    g_lagrange: Arc<Vec<G1Affine>>,
    prepared: Arc<Prepared>,
    counters: Arc<Counters>,
}

/// The Lagrange-basis SRS of `params`. `ParamsKZG` keeps it crate-private,
/// but its raw serialisation is k, then g, then g_lagrange, each point as
/// raw x and y.
fn lagrange_bases(params: &ParamsKZG<Bn256>) -> io::Result<Vec<G1Affine>> {
    use halo2_proofs::halo2curves::serde::SerdeObject;
    let mut raw = Vec::new();
    params.write_custom(&mut raw, SerdeFormat::RawBytesUnchecked)?;
    let n = params.n() as usize;
    let point_bytes = 64;
    let start = 4 + n * point_bytes;
    let end = start + n * point_bytes;
    if raw.len() < end {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "ParamsKZG serialisation is shorter than k, g and g_lagrange",
        ));
    }
    Ok(raw[start..end]
        .chunks(point_bytes)
        .map(G1Affine::from_raw_bytes_unchecked)
        .collect())
}

impl BackendParams {
    /// Wraps `inner`, preparing its SRS on `backend` (for the GPU: one
    /// upload of g and g_lagrange).
    pub fn new(inner: ParamsKZG<Bn256>, backend: Arc<dyn Backend>) -> Result<Self, KzgError> {
        let g_lagrange = lagrange_bases(&inner).map_err(|e| KzgError::InvalidInput(e.to_string()))?;
        let prepared = Prepared {
            g: backend.prepare_bn254_bases(inner.get_g())?,
            g_lagrange: backend.prepare_bn254_bases(&g_lagrange)?,
            backend,
        };
        Ok(Self {
            inner,
            g_lagrange: Arc::new(g_lagrange),
            prepared: Arc::new(prepared),
            counters: Arc::default(),
        })
    }

    /// The wrapped standard parameters (also the verifier parameters).
    pub fn inner(&self) -> &ParamsKZG<Bn256> {
        &self.inner
    }

    /// The backend's name.
    pub fn backend_name(&self) -> String {
        self.prepared.backend.name()
    }

    /// MSM work so far (shared by clones of these parameters).
    pub fn share(&self) -> MsmShare {
        let c = &*self.counters;
        MsmShare {
            backend_points: c.backend_points.load(Ordering::Relaxed),
            backend_msms: c.backend_msms.load(Ordering::Relaxed),
            cpu_points: c.cpu_points.load(Ordering::Relaxed),
            fallbacks: c.fallbacks.load(Ordering::Relaxed),
        }
    }

    /// Runs an MSM on the backend; on a backend error, logs it and redoes
    /// the MSM on the CPU (halo2's commit API cannot return an error).
    fn backend_msm(&self, prepared: &dyn PreparedBases, cpu_bases: &[G1Affine], scalars: &[Fr]) -> G1 {
        assert!(
            scalars.len() <= cpu_bases.len(),
            "polynomial of {} coefficients exceeds the SRS of {} points",
            scalars.len(),
            cpu_bases.len()
        );
        let c = &*self.counters;
        match prepared.msm(scalars) {
            Ok(point) => {
                c.backend_points.fetch_add(scalars.len() as u64, Ordering::Relaxed);
                c.backend_msms.fetch_add(1, Ordering::Relaxed);
                point
            }
            Err(err) => {
                tracing::warn!(%err, points = scalars.len(), "backend MSM failed; using the CPU");
                c.fallbacks.fetch_add(1, Ordering::Relaxed);
                c.cpu_points.fetch_add(scalars.len() as u64, Ordering::Relaxed);
                best_multiexp(scalars, &cpu_bases[..scalars.len()])
            }
        }
    }
}

impl CommitmentScheme for BackendKzg {
    type Scalar = Fr;
    type Curve = G1Affine;
    type ParamsProver = BackendParams;
    type ParamsVerifier = ParamsKZG<Bn256>;

    fn new_params(k: u32) -> Self::ParamsProver {
        BackendParams::new_cpu(ParamsKZG::new(k))
    }

    fn read_params<R: io::Read>(reader: &mut R) -> io::Result<Self::ParamsProver> {
        Ok(BackendParams::new_cpu(ParamsKZG::read(reader)?))
    }
}

impl BackendParams {
    /// `inner` with the CPU backend (halo2's trait constructors, which
    /// cannot fail, use it).
    pub fn new_cpu(inner: ParamsKZG<Bn256>) -> Self {
        Self::new(inner, Arc::new(CpuBackend)).expect("the CPU backend prepares any SRS")
    }
}

impl<'params> Params<'params, G1Affine> for BackendParams {
    type MSM = MSMKZG<Bn256>;

    fn k(&self) -> u32 {
        Params::k(&self.inner)
    }

    fn n(&self) -> u64 {
        Params::n(&self.inner)
    }

    fn downsize(&mut self, k: u32) {
        let mut inner = self.inner.clone();
        inner.downsize(k);
        let backend = self.prepared.backend.clone();
        *self = Self::new(inner.clone(), backend).unwrap_or_else(|err| {
            tracing::warn!(%err, "re-preparing the downsized SRS failed; using the CPU");
            Self::new_cpu(inner)
        });
    }

    fn empty_msm(&'params self) -> MSMKZG<Bn256> {
        self.inner.empty_msm()
    }

    fn commit_lagrange(&self, poly: &Polynomial<Fr, LagrangeCoeff>, _: Blind<Fr>) -> G1 {
        self.backend_msm(&*self.prepared.g_lagrange, &self.g_lagrange, poly)
    }

    fn write<W: io::Write>(&self, writer: &mut W) -> io::Result<()> {
        Params::write(&self.inner, writer)
    }

    fn read<R: io::Read>(reader: &mut R) -> io::Result<Self> {
        Ok(Self::new_cpu(<ParamsKZG<Bn256> as Params<G1Affine>>::read(reader)?))
    }
}

impl<'params> ParamsProver<'params, G1Affine> for BackendParams {
    type ParamsVerifier = ParamsKZG<Bn256>;

    fn new(k: u32) -> Self {
        Self::new_cpu(ParamsKZG::new(k))
    }

    fn commit(&self, poly: &Polynomial<Fr, Coeff>, _: Blind<Fr>) -> G1 {
        self.backend_msm(&*self.prepared.g, self.inner.get_g(), poly)
    }

    fn get_g(&self) -> &[G1Affine] {
        self.inner.get_g()
    }

    fn verifier_params(&'params self) -> &'params ParamsKZG<Bn256> {
        &self.inner
    }
}

/// halo2's SHPLONK multi-open prover over the wrapped parameters.
pub struct BackendShplonk<'params> {
    params: &'params BackendParams,
    inner: ProverSHPLONK<'params, Bn256>,
}

impl<'params> Prover<'params, BackendKzg> for BackendShplonk<'params> {
    const QUERY_INSTANCE: bool =
        <ProverSHPLONK<'params, Bn256> as Prover<'params, KZGCommitmentScheme<Bn256>>>::QUERY_INSTANCE;

    fn new(params: &'params BackendParams) -> Self {
        Self {
            params,
            inner: ProverSHPLONK::new(&params.inner),
        }
    }

    fn create_proof<'com, E: EncodedChallenge<G1Affine>, T: TranscriptWrite<G1Affine, E>, R, I>(
        &self,
        rng: R,
        transcript: &mut T,
        queries: I,
    ) -> io::Result<()>
    where
        I: IntoIterator<Item = ProverQuery<'com, G1Affine>> + Clone,
        R: RngCore,
    {
        // SHPLONK commits h(X) padded to n coefficients, then the quotient
        // of L(X) by (X - u), n - 1 coefficients, both on the CPU.
        let n = Params::n(&self.params.inner);
        self.params.counters.cpu_points.fetch_add(2 * n - 1, Ordering::Relaxed);
        self.inner.create_proof(rng, transcript, queries)
    }
}
