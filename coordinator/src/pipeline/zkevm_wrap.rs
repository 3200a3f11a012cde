//! The zkEVM pipeline's wrap job: the root's proof (a block's aggregated
//! proof, or a batch proof of several blocks) wrapped for
//! L1 ([`verifier_contract::wrap`]), into the same wrap proof file
//! (`ZKRWRAP1`) that `zkr wrap` writes.
//!
//! - **Planned** by a coordinator given wrap settings (chain id, `k`,
//!   lookup bits) and an SRS file: every batch's plan then ends in a wrap
//!   job above the aggregation root.
//! - **Input**: [`WrapJobParams`] (bincode: the settings and the SRS's
//!   fingerprint), then the root's proof.
//! - **Run** by a worker given an SRS file of the same setup (a `.ptau`
//!   ceremony file or halo2 params of at least `2^k` points): it checks the
//!   fingerprint, rebuilds and checks the root circuit, and wraps it on its
//!   backend (the MSMs on the GPU where it has one), then compiles the
//!   verifier with solc-js. The wrap circuit's keys and verifier are kept
//!   while wrap jobs come back to back, so the next block of the same
//!   chunk shapes skips key generation; a job of another kind frees them.
//! - **Output**: the wrap proof file, which becomes the batch's output:
//!   `zkr status --id <batch> --out block.wrap` saves it and
//!   `zkr l1 verify block.wrap` settles it.
//! - **Check**: the coordinator trusts nothing in the file: a
//!   [`WrapChecker`] on its own SRS derives the verifying key and the
//!   verifier (minutes the first time for a root circuit, then kept), and
//!   requires the file's verifier, statement and proof to match. Where the
//!   derivation itself fails (solc, say), the result is unchecked rather
//!   than rejected: the worker is not blamed.

use super::{bad_input, expect_inputs, rejected, run_failed, unchecked, JobSpec, PipelineError};
use halo2_proofs::halo2curves::bn256::Bn256;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use prover::backend::Backend;
use prover::kzg::srs;
use prover::zkevm::aggregate::{RootCircuit, RootProof};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use verifier_contract::artifact::WrapArtifact;
use verifier_contract::solc::Solc;
use verifier_contract::wrap::{wrap_root, KeptKeys, VerifiedRoot, WrapChecker, WrapError, WrapSettings};

/// A wrap job's own input: the settings it is made with, and the
/// fingerprint of the SRS its keys must be on ([`srs::fingerprint`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrapJobParams {
    /// Chain id, `k` and lookup bits.
    pub settings: WrapSettings,
    /// `[τ]G1` of the coordinator's SRS.
    pub srs: Vec<u8>,
}

/// The id a requirement and a worker's capabilities name an SRS by: the
/// first eight bytes of its fingerprint ([`srs::fingerprint`]); the job's
/// input carries the whole fingerprint, which the worker checks.
pub fn srs_id(fingerprint: &[u8]) -> u64 {
    let mut id = [0u8; 8];
    for (to, from) in id.iter_mut().zip(fingerprint) {
        *to = *from;
    }
    u64::from_le_bytes(id)
}

/// What a process needs for the zkEVM pipeline's wrap jobs: the SRS file
/// and its fingerprint, solc-js, and on a coordinator the settings it plans
/// them with.
pub struct ZkevmWrap {
    srs_file: PathBuf,
    fingerprint: Vec<u8>,
    solc: Solc,
    /// A coordinator's settings and checker (on the SRS at the settings' `k`).
    plans: Option<(WrapSettings, WrapChecker)>,
    /// The keys of the last wrap job's circuit (with the SRS they were made
    /// on), while wrap jobs come back to back. A worker holds no SRS besides:
    /// it reads the file at the job's size only to make new keys.
    kept: KeptKeys,
    /// Wrap jobs run with kept keys.
    reused: AtomicU64,
}

/// Memory (MiB) a wrap at `2^k` rows takes, fitted to the 7.7, 12.2 and
/// 20.0 GB measured at k = 21, 22 and 23 on the demo block (bench/RESULTS.md).
pub fn wrap_memory_mb(k: u32) -> u64 {
    3_500 + ((2_100u64 << k.min(40)) >> 20)
}

impl ZkevmWrap {
    /// A worker's: runs wrap jobs at the `k` each asks for, on the SRS in
    /// `srs_file` (its first points read now for the fingerprint, the rest
    /// when a job makes new keys).
    pub fn worker(srs_file: PathBuf) -> Result<Self, String> {
        let fingerprint = srs::fingerprint(&load(&srs_file, 1)?);
        Self::on(srs_file, fingerprint, None)
    }

    /// A coordinator's: plans a wrap job with `settings` above every
    /// batch's root, and checks them on the SRS in `srs_file` (loaded now,
    /// at the settings' size).
    pub fn coordinator(srs_file: PathBuf, settings: WrapSettings) -> Result<Self, String> {
        settings.check().map_err(|e| e.to_string())?;
        let params = Arc::new(load(&srs_file, settings.k)?);
        let fingerprint = srs::fingerprint(&params);
        Self::on(srs_file, fingerprint, Some((settings, params)))
    }

    /// The setup on the SRS in `srs_file` with `fingerprint`, with a
    /// checker on `params` when it plans with the settings beside them.
    fn on(
        srs_file: PathBuf,
        fingerprint: Vec<u8>,
        plans: Option<(WrapSettings, Arc<ParamsKZG<Bn256>>)>,
    ) -> Result<Self, String> {
        let solc = Solc::locate().map_err(|e| format!("wrap jobs compile their verifier: {e}"))?;
        Ok(Self {
            fingerprint,
            srs_file,
            plans: plans.map(|(settings, params)| (settings, WrapChecker::new(params, solc.clone()))),
            solc,
            kept: KeptKeys::default(),
            reused: AtomicU64::new(0),
        })
    }

    /// The id of its SRS, which wrap jobs require and a worker offers.
    pub fn srs_id(&self) -> u64 {
        srs_id(&self.fingerprint)
    }

    /// The settings wrap jobs are planned with (a coordinator's).
    pub fn settings(&self) -> Option<WrapSettings> {
        self.plans.as_ref().map(|(settings, _)| *settings)
    }

    /// The wrap job's own input, on a coordinator.
    pub fn job_input(&self) -> Option<Vec<u8>> {
        let (settings, _) = self.plans.as_ref()?;
        Some(executor::codec::to_bincode(&WrapJobParams {
            settings: *settings,
            srs: self.fingerprint.clone(),
        }))
    }

    /// Runs a wrap job: `inputs` are its parameters and the root's
    /// proof; returns the wrap proof file's bytes.
    pub fn run(
        &self,
        job: &JobSpec,
        inputs: &[Vec<u8>],
        backend: Arc<dyn Backend>,
        root_data: impl FnOnce(&RootProof) -> Result<RootCircuit, String>,
    ) -> Result<Vec<u8>, PipelineError> {
        let (params, root) = decode_inputs(job, inputs)?;
        if self.fingerprint != params.srs {
            return Err(bad_input(
                job,
                format!(
                    "the job's keys are on another SRS than this worker's {} (its [tau]G1 is {}, this one's {})",
                    self.srs_file.display(),
                    short_hex(&params.srs),
                    short_hex(&self.fingerprint)
                ),
            ));
        }
        let data = root_data(&root).map_err(|e| bad_input(job, format!("the root proof: {e}")))?;
        let verified = VerifiedRoot {
            circuit: &data.circuit,
            public_inputs: &data.public_inputs,
            proof: root.proof(),
        };
        let subject = format!("{}, chain {}", root.summary(), params.settings.chain_id);
        let wrapped = wrap_root(
            verified,
            params.settings,
            || srs::load(&self.srs_file, params.settings.k),
            backend,
            &self.solc,
            &self.kept,
            subject,
            &|_| (),
        )
        .map_err(|e| run_failed(job, e.to_string()))?;
        for (stage, time) in &wrapped.stages {
            tracing::info!(stage, seconds = time.as_secs_f64(), "wrap stage done");
        }
        if wrapped.reused_keys {
            self.reused.fetch_add(1, Ordering::Relaxed);
        }
        wrapped.artifact.to_bytes().map_err(|e| run_failed(job, e.to_string()))
    }

    /// How many wrap jobs ran with the keys kept from the one before.
    pub fn reused_keys(&self) -> u64 {
        self.reused.load(Ordering::Relaxed)
    }

    /// Frees the kept wrap keys (gigabytes at `k = 23`): a worker calls it
    /// before a job of another kind.
    pub fn forget_keys(&self) {
        self.kept.forget();
    }

    /// Checks a wrap job's output (a coordinator's check; the root proof in
    /// `inputs` was accepted already, `root_data` gives its circuit).
    pub fn verify(
        &self,
        job: &JobSpec,
        inputs: &[Vec<u8>],
        output: &[u8],
        root_data: impl FnOnce(&RootProof) -> Result<RootCircuit, String>,
    ) -> Result<(), PipelineError> {
        let Some((settings, checker)) = &self.plans else {
            return Err(bad_input(
                job,
                "this process plans no wrap jobs, so it checks none".into(),
            ));
        };
        let (params, root) = decode_inputs(job, inputs)?;
        if params.settings != *settings {
            return Err(bad_input(
                job,
                format!(
                    "the job was planned with {:?}, this coordinator wraps with {settings:?}",
                    params.settings
                ),
            ));
        }
        let artifact =
            WrapArtifact::from_bytes(output, Path::new("wrap job output")).map_err(|e| rejected(job, e.to_string()))?;
        let data = root_data(&root).map_err(|e| bad_input(job, format!("the root proof: {e}")))?;
        let verified = VerifiedRoot {
            circuit: &data.circuit,
            public_inputs: &data.public_inputs,
            proof: root.proof(),
        };
        checker.check(verified, *settings, &artifact).map_err(|e| match e {
            WrapError::Mismatch(_) | WrapError::Rejected(_) => rejected(job, e.to_string()),
            // The root was accepted already and the settings are this
            // coordinator's: anything else failed on this side.
            _ => unchecked(job, e.to_string()),
        })
    }
}

/// The SRS in `file` at `2^k` points.
fn load(file: &Path, k: u32) -> Result<ParamsKZG<Bn256>, String> {
    srs::load(file, k).map_err(|e| format!("the wrap SRS: {e}"))
}

/// A wrap job's parameters and root proof.
fn decode_inputs(job: &JobSpec, inputs: &[Vec<u8>]) -> Result<(WrapJobParams, RootProof), PipelineError> {
    expect_inputs(job, inputs, 2)?;
    let params: WrapJobParams = executor::codec::from_bincode(&inputs[0], Path::new("wrap job input"), "WrapJobParams")
        .map_err(|e| bad_input(job, e.to_string()))?;
    let root = RootProof::from_bytes(&inputs[1]).map_err(|e| bad_input(job, format!("the root proof: {e}")))?;
    Ok((params, root))
}

/// The first bytes of `bytes` in hex, for messages.
fn short_hex(bytes: &[u8]) -> String {
    format!("{}..", hex::encode(&bytes[..bytes.len().min(8)]))
}
