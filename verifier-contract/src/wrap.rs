//! Wrapping a verified aggregation root for L1 ([`wrap_root`]: the final
//! plonky2 layer, the halo2 wrap proof, its Solidity verifier), and checking
//! a wrap someone else made ([`WrapChecker`]): what `zkr wrap` and the
//! cluster's wrap jobs share.
//!
//! A wrap proof file is only as good as the verifier it carries, so a check
//! trusts nothing in it: the checker derives the verifying key itself (from
//! the root circuit, the chain id, `k` and its own SRS), generates and
//! compiles the verifier from it and requires the file's to be exactly that,
//! then checks the proof and its statement against the root's.

use crate::artifact::WrapArtifact;
use crate::solc::{Compiled, Solc};
use crate::verifier::{compile_verifier, verifier_solidity, CompileVerifierError, GenerateError};
use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::commitment::Params;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use plonky2::field::types::{Field, Field64};
use plonky2::plonk::circuit_data::VerifierCircuitData;
use plonky2::plonk::config::GenericHashOut;
use prover::backend::Backend;
use prover::kzg::evm::verify_for_evm;
use prover::kzg::srs::SrsError;
use prover::kzg::{BackendParams, KzgError};
use prover::wrap::block::{block_final_layer, ChainIdTooLarge, BLOCK_LAYOUT};
use prover::wrap::final_layer::{FinalLayer, FinalLayerError, FinalProof, F};
use prover::wrap::instances::{WrapInstances, NUM_INSTANCES};
use prover::wrap::prove::{WrapInput, WrapKeys, WrapProveError, WrapShape};
use prover::zkevm::aggregate::{pi, PlonkProof};
use prover::zkevm::proof::{C, D};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a wrap is made for: the chain, and the wrap circuit's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WrapSettings {
    /// The rollup's chain id, bound into the keys and the statement.
    pub chain_id: u64,
    /// log2 of the wrap circuit's rows.
    pub k: u32,
    /// Bits of the range-check lookup table (below `k`).
    pub lookup_bits: usize,
}

impl WrapSettings {
    /// Checks that a wrap can be made with these settings: the chain id is a
    /// Goldilocks element and the lookup table is smaller than the circuit.
    pub fn check(&self) -> Result<(), WrapError> {
        if self.chain_id >= F::ORDER {
            return Err(ChainIdTooLarge(self.chain_id).into());
        }
        if self.lookup_bits as u32 >= self.k {
            return Err(WrapProveError::TooSmall {
                k: self.k,
                lookup_bits: self.lookup_bits,
            }
            .into());
        }
        Ok(())
    }
}

/// A root proof that has been checked against its circuit (a block's or a
/// batch's aggregation root).
#[derive(Clone, Copy)]
pub struct VerifiedRoot<'a> {
    /// The root circuit.
    pub circuit: &'a VerifierCircuitData<F, C, D>,
    /// The root circuit's public inputs for this proof (statement, then tree hashes).
    pub public_inputs: &'a [F],
    /// The proof.
    pub proof: &'a PlonkProof,
}

impl VerifiedRoot<'_> {
    /// The statement a wrap of this root on `chain_id` makes public.
    /// `None` when the public inputs are too few or the chain id is not a
    /// Goldilocks element.
    pub fn statement(&self, chain_id: u64) -> Option<WrapInstances> {
        let mut public_inputs = self.public_inputs.get(..pi::NUM)?.to_vec();
        public_inputs.push((chain_id < F::ORDER).then(|| F::from_canonical_u64(chain_id))?);
        BLOCK_LAYOUT.instances(&public_inputs)
    }

    fn final_layer(&self, chain_id: u64) -> Result<FinalLayer, ChainIdTooLarge> {
        block_final_layer(self.circuit, self.public_inputs, chain_id)
    }

    fn final_proof(&self, layer: &FinalLayer) -> Result<FinalProof, FinalLayerError> {
        let proof = layer.prove(self.proof)?;
        layer.verify(&proof)?;
        Ok(proof)
    }
}

/// Why a wrap could not be made or was refused.
#[derive(Debug, thiserror::Error)]
pub enum WrapError {
    /// The chain id does not fit the statement.
    #[error(transparent)]
    ChainId(#[from] ChainIdTooLarge),
    /// The final layer could not prove the root proof.
    #[error("final layer: {0}")]
    FinalLayer(#[from] FinalLayerError),
    /// The wrap circuit, its keys or its proof failed.
    #[error(transparent)]
    Prove(#[from] WrapProveError),
    /// The Solidity verifier could not be generated.
    #[error(transparent)]
    Generate(#[from] GenerateError),
    /// The Solidity verifier could not be compiled or deployed.
    #[error(transparent)]
    Compile(#[from] CompileVerifierError),
    /// The SRS could not be read.
    #[error(transparent)]
    Srs(#[from] SrsError),
    /// The SRS is for another size than the settings' `k`.
    #[error("the SRS has 2^{srs} points, the wrap settings ask for k = {k}")]
    SrsSize {
        /// log2 of the SRS's points.
        srs: u32,
        /// The settings' k.
        k: u32,
    },
    /// The root's public inputs are too few for a statement.
    #[error("the root proof has {0} public inputs, too few for a block or batch statement")]
    PublicInputs(usize),
    /// A checked wrap proof file differs from what the root and settings give.
    #[error("the wrap proof file does not match its root: {0}")]
    Mismatch(String),
    /// A checked wrap proof does not verify.
    #[error("the wrap proof does not verify: {0}")]
    Rejected(KzgError),
}

/// A wrap made by [`wrap_root`]: the proof file, the circuit's size and the
/// time each stage took.
pub struct Wrapped {
    /// The wrap proof file.
    pub artifact: WrapArtifact,
    /// Advice cells of the wrap circuit.
    pub advice_cells: usize,
    /// Cells copied into lookup columns.
    pub lookup_cells: usize,
    /// Advice columns the cells are spread over.
    pub advice_columns: usize,
    /// Each stage's name and duration, in order.
    pub stages: Vec<(&'static str, Duration)>,
    /// Whether the keys and verifier were the ones kept from the last wrap
    /// of this circuit (no keygen stages then).
    pub reused_keys: bool,
}

/// Times stages and announces each as it starts.
struct Stages<'a> {
    announce: &'a dyn Fn(&'static str),
    done: Vec<(&'static str, Duration)>,
}

impl Stages<'_> {
    fn run<T>(&mut self, name: &'static str, stage: impl FnOnce() -> Result<T, WrapError>) -> Result<T, WrapError> {
        (self.announce)(name);
        tracing::info!(stage = name, "wrap stage");
        let start = Instant::now();
        let out = stage()?;
        self.done.push((name, start.elapsed()));
        Ok(out)
    }
}

/// The keys, prepared SRS and Solidity verifier of one wrap circuit.
struct CircuitKeys {
    keys: WrapKeys,
    /// The SRS prepared on the backend the keys prove on.
    on: BackendParams,
    source: String,
    compiled: Compiled,
    advice_cells: usize,
    lookup_cells: usize,
    advice_columns: usize,
}

/// The keys of the last wrap circuit [`wrap_root`] proved with, kept for
/// the next wrap of the same circuit (the same root circuit, tree hashes,
/// chain id, `k` and lookup bits: blocks of the same chunk shapes), which
/// then skips the keygen assignment, key generation, the SRS's preparation
/// on the backend and the verifier's compilation. At `k = 23` a proving key
/// is gigabytes: [`Self::forget`] frees it.
#[derive(Default)]
pub struct KeptKeys {
    last: Mutex<Option<(Vec<u8>, Arc<CircuitKeys>)>>,
}

impl KeptKeys {
    /// The kept keys if they are for `circuit`.
    fn get(&self, circuit: &[u8]) -> Option<Arc<CircuitKeys>> {
        let last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        last.as_ref()
            .filter(|(key, _)| key == circuit)
            .map(|(_, keys)| keys.clone())
    }

    /// Keeps `keys` for `circuit`, in place of any others.
    fn keep(&self, circuit: Vec<u8>, keys: Arc<CircuitKeys>) {
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some((circuit, keys));
    }

    /// Drops the kept keys (a wrap in progress keeps its own reference).
    pub fn forget(&self) {
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

/// What identifies a wrap circuit: the final layer's circuit digest (its
/// root circuit, pinned tree hashes and chain id), `k` and the lookup bits.
fn circuit_key(layer: &FinalLayer, settings: WrapSettings) -> Vec<u8> {
    let mut key = layer.circuit_data().verifier_only.circuit_digest.to_bytes();
    key.extend(settings.k.to_le_bytes());
    key.extend(settings.lookup_bits.to_le_bytes());
    key
}

/// What identifies kept keys: the circuit, and the backend their SRS is
/// prepared on.
fn kept_key(layer: &FinalLayer, settings: WrapSettings, backend: &dyn Backend) -> Vec<u8> {
    let mut key = circuit_key(layer, settings);
    key.extend(backend.name().into_bytes());
    key
}

/// Wraps `root` for L1: re-proves it in the final layer (Poseidon over
/// BN254, the chain id appended), proves the wrap circuit with KZG with its
/// commitments on `backend`, and generates and compiles the Solidity
/// verifier; the keys and verifier come from `kept` when it holds this
/// circuit's, and are kept there for the next wrap. Only new keys need the
/// SRS: `params` gives it then (exactly `2^settings.k` points), and the keys
/// keep it, so a caller that keeps keys need not keep an SRS of its own.
/// `subject` describes the root for people; `announce` is told each stage as
/// it starts.
#[allow(clippy::too_many_arguments)]
pub fn wrap_root(
    root: VerifiedRoot<'_>,
    settings: WrapSettings,
    params: impl FnOnce() -> Result<ParamsKZG<Bn256>, SrsError>,
    backend: Arc<dyn Backend>,
    solc: &Solc,
    kept: &KeptKeys,
    subject: String,
    announce: &dyn Fn(&'static str),
) -> Result<Wrapped, WrapError> {
    settings.check()?;
    let mut stages = Stages {
        announce,
        done: Vec::new(),
    };
    let (layer, final_proof) = stages.run("final layer (Poseidon-BN254): build and prove", || {
        let layer = root.final_layer(settings.chain_id)?;
        let proof = root.final_proof(&layer)?;
        Ok((layer, proof))
    })?;
    let input = WrapInput {
        layer: &layer,
        layout: BLOCK_LAYOUT,
        proof: &final_proof,
    };
    let circuit = kept_key(&layer, settings, backend.as_ref());
    let found = kept.get(&circuit);
    let reused_keys = found.is_some();
    let circuit_keys = match found {
        Some(found) => {
            tracing::info!(
                k = settings.k,
                "wrap keys and verifier kept from the last wrap of this circuit"
            );
            found
        }
        None => {
            // Another circuit's keys would only add to this one's memory.
            kept.forget();
            let params = params()?;
            if params.k() != settings.k {
                return Err(WrapError::SrsSize {
                    srs: params.k(),
                    k: settings.k,
                });
            }
            let made = Arc::new(new_keys(input, settings, params, backend, solc, &mut stages)?);
            kept.keep(circuit, made.clone());
            made
        }
    };
    let (statement, proof) = stages.run("wrap proof (KZG)", || {
        Ok(circuit_keys.keys.prove(&circuit_keys.on, input)?)
    })?;
    Ok(Wrapped {
        artifact: WrapArtifact {
            subject,
            statement,
            proof,
            k: settings.k,
            verifier_source: circuit_keys.source.clone(),
            verifier_bytecode: circuit_keys.compiled.bytecode.clone(),
            verifier_abi: circuit_keys.compiled.abi.to_string(),
        },
        advice_cells: circuit_keys.advice_cells,
        lookup_cells: circuit_keys.lookup_cells,
        advice_columns: circuit_keys.advice_columns,
        stages: stages.done,
        reused_keys,
    })
}

/// Makes the keys of the wrap circuit of `input` on `params`, prepares the
/// SRS on `backend`, and generates and compiles the verifier.
fn new_keys(
    input: WrapInput<'_>,
    settings: WrapSettings,
    params: ParamsKZG<Bn256>,
    backend: Arc<dyn Backend>,
    solc: &Solc,
    stages: &mut Stages<'_>,
) -> Result<CircuitKeys, WrapError> {
    let shape = stages.run("wrap circuit: keygen assignment", || {
        Ok(WrapShape::assign(input, settings.k, settings.lookup_bits)?)
    })?;
    let (advice_cells, lookup_cells, advice_columns) = (shape.advice_cells, shape.lookup_cells, shape.advice_columns);
    tracing::info!(
        advice_cells,
        advice_columns,
        lookup_cells,
        k = settings.k,
        "wrap circuit shape"
    );
    let (keys, on) = stages.run("wrap keys (vk, pk), SRS prepared on the backend", || {
        let keys = WrapKeys::generate(params, shape)?;
        let on = BackendParams::new(keys.params.clone(), backend).map_err(WrapProveError::from)?;
        Ok((keys, on))
    })?;
    let (source, compiled) = stages.run("Solidity verifier: generate and compile", || {
        verifier_of(&keys.params, keys.vk(), solc)
    })?;
    Ok(CircuitKeys {
        keys,
        on,
        source,
        compiled,
        advice_cells,
        lookup_cells,
        advice_columns,
    })
}

/// The Solidity verifier of `vk`, as source and compiled.
fn verifier_of(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    solc: &Solc,
) -> Result<(String, Compiled), WrapError> {
    let source = verifier_solidity(params, vk, NUM_INSTANCES)?;
    let compiled = compile_verifier(solc, &source)?;
    Ok((source, compiled))
}

/// A verifying key derived by a [`WrapChecker`], with its verifier.
struct DerivedVerifier {
    vk: VerifyingKey<G1Affine>,
    source: String,
    bytecode: Vec<u8>,
    abi: String,
}

/// How many derived verifiers a checker keeps (one per final-layer circuit
/// and settings; the oldest is dropped first).
const KEPT_VERIFIERS: usize = 8;

/// Checks wrap proof files made by others against roots it has verified,
/// on its own SRS. Deriving a verifying key re-proves the final layer and
/// assigns the wrap circuit (minutes); the keys are kept per final-layer
/// circuit, so later wraps of the same root circuit check in milliseconds.
pub struct WrapChecker {
    params: Arc<ParamsKZG<Bn256>>,
    solc: Solc,
    derived: Mutex<Vec<(Vec<u8>, Arc<DerivedVerifier>)>>,
}

impl WrapChecker {
    /// A checker on `params` (its size is the `k` it checks), compiling with `solc`.
    pub fn new(params: Arc<ParamsKZG<Bn256>>, solc: Solc) -> Self {
        Self {
            params,
            solc,
            derived: Mutex::new(Vec::new()),
        }
    }

    /// The SRS it checks on.
    pub fn params(&self) -> &ParamsKZG<Bn256> {
        &self.params
    }

    /// Checks that `artifact` wraps `root` with `settings`: its `k` and
    /// statement are the settings' and the root's, its verifier is the one
    /// this checker derives, and its proof verifies.
    pub fn check(
        &self,
        root: VerifiedRoot<'_>,
        settings: WrapSettings,
        artifact: &WrapArtifact,
    ) -> Result<(), WrapError> {
        if self.params.k() != settings.k {
            return Err(WrapError::SrsSize {
                srs: self.params.k(),
                k: settings.k,
            });
        }
        settings.check()?;
        if artifact.k != settings.k {
            return Err(WrapError::Mismatch(format!(
                "it was made at k = {}, the settings ask for {}",
                artifact.k, settings.k
            )));
        }
        let expected = root
            .statement(settings.chain_id)
            .ok_or(WrapError::PublicInputs(root.public_inputs.len()))?;
        if artifact.statement != expected {
            return Err(WrapError::Mismatch(format!(
                "it states {:?}, the root proves {expected:?}",
                artifact.statement
            )));
        }
        let layer = root.final_layer(settings.chain_id)?;
        let derived = self.derived(root, settings, &layer)?;
        if artifact.verifier_source != derived.source
            || artifact.verifier_bytecode != derived.bytecode
            || artifact.verifier_abi != derived.abi
        {
            return Err(WrapError::Mismatch(
                "its Solidity verifier is not the one of the wrap circuit's verifying key".into(),
            ));
        }
        verify_for_evm(&self.params, &derived.vk, &expected.to_scalars(), &artifact.proof).map_err(WrapError::Rejected)
    }

    /// The verifying key and verifier of the wrap of `layer`, derived once.
    fn derived(
        &self,
        root: VerifiedRoot<'_>,
        settings: WrapSettings,
        layer: &FinalLayer,
    ) -> Result<Arc<DerivedVerifier>, WrapError> {
        let key = circuit_key(layer, settings);
        let kept = |derived: &Mutex<Vec<(Vec<u8>, Arc<DerivedVerifier>)>>| {
            let derived = derived.lock().unwrap_or_else(|p| p.into_inner());
            derived.iter().find(|(k, _)| *k == key).map(|(_, d)| d.clone())
        };
        if let Some(found) = kept(&self.derived) {
            return Ok(found);
        }
        let final_proof = root.final_proof(layer)?;
        let input = WrapInput {
            layer,
            layout: BLOCK_LAYOUT,
            proof: &final_proof,
        };
        let vk = WrapShape::assign(input, settings.k, settings.lookup_bits)?.verifying_key(&self.params)?;
        let (source, compiled) = verifier_of(&self.params, &vk, &self.solc)?;
        let derived = Arc::new(DerivedVerifier {
            vk,
            source,
            bytecode: compiled.bytecode,
            abi: compiled.abi.to_string(),
        });
        let mut kept = self.derived.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() == KEPT_VERIFIERS {
            kept.remove(0);
        }
        kept.push((key, derived.clone()));
        Ok(derived)
    }
}
