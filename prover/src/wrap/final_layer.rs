//! The final plonky2 layer: re-proves an aggregation-layer proof (standard
//! [`PoseidonGoldilocksConfig`]) in a circuit whose own proof uses
//! [`PoseidonBn254GoldilocksConfig`], so that its Merkle trees and transcript
//! are cheap to re-check in a halo2 circuit over BN254.
//!
//! The circuit verifies the inner proof with plonky2's in-circuit verifier
//! against the inner circuit's verifier data, which is baked in as constants
//! (the final layer accepts proofs of one fixed inner circuit), and registers
//! the inner proof's public inputs, in order, as its own.
//!
//! # Circuit configuration
//!
//! [`FinalLayer::wrap_config`] is plonky2's `standard_recursion_config` (135
//! wires, 80 routed, degree-8 quotient, cap height 4, 16 proof-of-work bits)
//! with a lower FRI rate: `1/32` (`rate_bits = 5`) and 17 queries instead of
//! `1/8` and 28, for the same conjectured security (`5 * 17 + 16 = 101`
//! bits against `3 * 28 + 16 = 100`). Every FRI query costs the halo2
//! verifier four initial-oracle Merkle paths plus one per folding step, about
//! 85% of the wrap circuit at 28 queries, so 17 queries (each two levels
//! deeper) shrink a block's wrap circuit from 10.2M to 7.3M advice cells:
//! one advice column at k = 23 (two at k = 22) instead of five at k = 21, and
//! a verifier with fewer commitments and openings to check on L1. The price
//! is paid here: four times the LDE and the Merkle hashing with the (native,
//! comparatively slow) BN254 Poseidon, about 90 s for a block's root on two
//! cores.

use super::poseidon_bn254::PoseidonBn254GoldilocksConfig;
use crate::guard::guarded;
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::{CircuitConfig, CircuitData, CommonCircuitData, VerifierOnlyCircuitData};
use plonky2::plonk::config::PoseidonGoldilocksConfig;
use plonky2::plonk::proof::{ProofWithPublicInputs, ProofWithPublicInputsTarget};

/// Extension degree of every layer.
pub const D: usize = 2;
/// The base field.
pub type F = GoldilocksField;
/// The configuration of the proofs the final layer consumes.
pub type InnerConfig = PoseidonGoldilocksConfig;
/// The configuration of the proofs the final layer produces.
pub type OuterConfig = PoseidonBn254GoldilocksConfig;
/// A proof of the final layer.
pub type FinalProof = ProofWithPublicInputs<F, OuterConfig, D>;
/// A proof the final layer consumes.
pub type InnerProof = ProofWithPublicInputs<F, InnerConfig, D>;

/// Why a final-layer proof could not be made or did not verify.
#[derive(Debug, thiserror::Error)]
pub enum FinalLayerError {
    /// The inner proof has the wrong number of public inputs for this circuit.
    #[error("inner proof: expected {expected} public inputs (from the inner circuit's common data), got {got}")]
    PublicInputCount {
        /// What the inner circuit declares.
        expected: usize,
        /// What the proof carries.
        got: usize,
    },
    /// The inner proof does not fit the inner circuit's shape.
    #[error("inner proof does not fit the inner circuit: {0}")]
    Witness(String),
    /// Proving failed (witness generation found an unsatisfied constraint: the inner proof is invalid).
    #[error("final-layer proving failed (is the inner proof valid?): {0}")]
    Prove(String),
    /// The final-layer proof was rejected.
    #[error("final-layer proof rejected: {0}")]
    Verify(String),
}

/// The final-layer circuit for one inner circuit.
pub struct FinalLayer {
    data: CircuitData<F, OuterConfig, D>,
    proof_target: ProofWithPublicInputsTarget<D>,
    inner_public_inputs: usize,
}

impl FinalLayer {
    /// The circuit configuration this layer is meant to use (see the module doc).
    pub fn wrap_config() -> CircuitConfig {
        let mut config = CircuitConfig::standard_recursion_config();
        config.fri_config.rate_bits = 5;
        config.fri_config.num_query_rounds = 17;
        config
    }

    /// Builds the circuit that verifies proofs of the inner circuit described by
    /// `inner_common` and `inner_verifier`, with the given configuration.
    ///
    /// `appended` are constants registered as public inputs after the inner
    /// proof's: values the statement needs that the inner circuit does not
    /// carry (a block proof's chain id), fixed by this circuit and so by
    /// every key derived from it.
    pub fn build(
        inner_common: &CommonCircuitData<F, D>,
        inner_verifier: &VerifierOnlyCircuitData<InnerConfig, D>,
        config: CircuitConfig,
        appended: &[F],
    ) -> Self {
        Self::build_pinned(inner_common, inner_verifier, config, &[], appended)
    }

    /// [`FinalLayer::build`] for inner proofs whose last public inputs are
    /// fixed: they must equal `pinned`, and are checked here instead of
    /// registered (an aggregation root's tree hashes, which the statement
    /// does not carry but the inner circuit's soundness rests on).
    pub fn build_pinned(
        inner_common: &CommonCircuitData<F, D>,
        inner_verifier: &VerifierOnlyCircuitData<InnerConfig, D>,
        config: CircuitConfig,
        pinned: &[F],
        appended: &[F],
    ) -> Self {
        let mut builder = CircuitBuilder::<F, D>::new(config);
        let proof_target = builder.add_virtual_proof_with_pis(inner_common);
        let verifier_target = builder.constant_verifier_data(inner_verifier);
        builder.verify_proof::<InnerConfig>(&proof_target, &verifier_target, inner_common);
        let exposed = proof_target.public_inputs.len().saturating_sub(pinned.len());
        let (statement, fixed) = proof_target.public_inputs.split_at(exposed);
        for (&target, &value) in fixed.iter().zip(pinned) {
            let value = builder.constant(value);
            builder.connect(target, value);
        }
        builder.register_public_inputs(statement);
        for &value in appended {
            let constant = builder.constant(value);
            builder.register_public_input(constant);
        }
        let data = builder.build::<OuterConfig>();
        Self {
            data,
            proof_target,
            inner_public_inputs: inner_common.num_public_inputs,
        }
    }

    /// The circuit data (prover and verifier keys, common data).
    pub fn circuit_data(&self) -> &CircuitData<F, OuterConfig, D> {
        &self.data
    }

    /// Proves that `inner` is a valid proof of the inner circuit; the result's
    /// public inputs are `inner`'s (less the pinned ones), then the appended ones.
    pub fn prove(&self, inner: &InnerProof) -> Result<FinalProof, FinalLayerError> {
        if inner.public_inputs.len() != self.inner_public_inputs {
            return Err(FinalLayerError::PublicInputCount {
                expected: self.inner_public_inputs,
                got: inner.public_inputs.len(),
            });
        }
        let mut pw = PartialWitness::new();
        pw.set_proof_with_pis_target(&self.proof_target, inner)
            .map_err(|e| FinalLayerError::Witness(format!("{e:#}")))?;
        // plonky2's witness generators panic on some inconsistent witnesses,
        // e.g. a forged inner proof: reported as proving failures.
        guarded("proving", || self.data.prove(pw).map_err(|e| format!("{e:#}"))).map_err(FinalLayerError::Prove)
    }

    /// The FRI query indices of a final-layer proof (its leaf indices in the
    /// initial Merkle trees), as the verifier's transcript derives them.
    pub fn fri_query_indices(&self, proof: &FinalProof) -> Result<Vec<usize>, FinalLayerError> {
        let challenges = proof
            .get_challenges(
                proof.get_public_inputs_hash(),
                &self.data.verifier_only.circuit_digest,
                &self.data.common,
            )
            .map_err(|e| FinalLayerError::Verify(format!("{e:#}")))?;
        Ok(challenges.fri_challenges.fri_query_indices)
    }

    /// Verifies a final-layer proof.
    pub fn verify(&self, proof: &FinalProof) -> Result<(), FinalLayerError> {
        self.data
            .verify(proof.clone())
            .map_err(|e| FinalLayerError::Verify(format!("{e:#}")))
    }
}
