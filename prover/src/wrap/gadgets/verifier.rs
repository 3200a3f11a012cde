//! plonky2's verifier of a final-layer proof, in halo2: everything
//! `plonky2::plonk::verifier::verify` checks, for one fixed circuit whose
//! verifying key (constants-and-sigmas cap, circuit digest) and common data
//! are baked into the halo2 circuit as constants.
//!
//! 1. The public inputs are hashed with plonky2's Goldilocks Poseidon.
//! 2. The transcript (Poseidon over BN254) absorbs the FRI parameters, the
//!    circuit digest, the public-inputs hash and the proof's caps, openings,
//!    folded-oracle caps, final polynomial and proof-of-work witness in
//!    plonky2's order, and yields every challenge.
//! 3. The polynomial identity holds at `zeta` ([`super::vanishing`]).
//! 4. The FRI proof opens every committed polynomial at `zeta` and `g·zeta`
//!    to the claimed values ([`super::fri`]).
//!
//! The proof's shape is checked natively first, so that a malformed proof is
//! an error, not a panic while the circuit is built.

use super::challenger::ChallengerGadget;
use super::fri::{AssignedFriChallenges, FriChip, FriShape, FriShapeError};
use super::gates::UnsupportedGate;
use super::goldilocks::{AssignedGoldilocks, GoldilocksChip};
use super::merkle::MerkleChip;
use super::poseidon::{AssignedDigest, PoseidonBn254Chip};
use super::poseidon_goldilocks::PoseidonGoldilocksChip;
use super::vanishing::{AssignedOpenings, AssignedPlonkChallenges, SelectorGroups, VanishingChip};
use crate::wrap::final_layer::{FinalProof, OuterConfig, D, F};
use crate::wrap::poseidon_bn254::PoseidonBn254Hash;
use halo2_base::gates::RangeChip;
use halo2_base::Context;
use halo2_proofs::halo2curves::bn256::Fr;
use plonky2::field::extension::Extendable;
use plonky2::field::types::Field;
use plonky2::hash::merkle_tree::MerkleCap;
use plonky2::plonk::circuit_data::{CommonCircuitData, VerifierOnlyCircuitData};

/// Why a proof cannot be checked by the circuit.
#[derive(Debug, thiserror::Error)]
pub enum VerifierShapeError {
    /// The circuit uses a gate the wrap does not evaluate.
    #[error(transparent)]
    Gate(#[from] UnsupportedGate),
    /// The FRI proof's shape is wrong.
    #[error(transparent)]
    Fri(#[from] FriShapeError),
    /// A list in the proof has the wrong length.
    #[error("proof shape: {what}: expected {expected}, got {got}")]
    Count {
        /// What was counted.
        what: &'static str,
        /// What the circuit's common data requires.
        expected: usize,
        /// What the proof has.
        got: usize,
    },
}

fn check_count(what: &'static str, expected: usize, got: usize) -> Result<(), VerifierShapeError> {
    if expected == got {
        Ok(())
    } else {
        Err(VerifierShapeError::Count { what, expected, got })
    }
}

/// Verifies `proof` against the circuit described by `common` and
/// `verifier_only`; returns its public inputs as cells.
pub fn verify_final_proof(
    ctx: &mut Context<Fr>,
    range: &RangeChip<Fr>,
    common: &CommonCircuitData<F, D>,
    verifier_only: &VerifierOnlyCircuitData<OuterConfig, D>,
    proof: &FinalProof,
) -> Result<Vec<AssignedGoldilocks>, VerifierShapeError> {
    let shape = FriShape::of_circuit(common)?;
    check_shape(common, &shape, proof)?;
    let selectors = SelectorGroups::of_circuit(common);

    let gl = GoldilocksChip::new(range);
    let bn254 = PoseidonBn254Chip::new(gl.clone());
    let merkle = MerkleChip::new(bn254.clone());
    let fri = FriChip::new(merkle.clone());
    let inner = &proof.proof;

    // Public inputs and their hash.
    let public_inputs: Vec<AssignedGoldilocks> = proof.public_inputs.iter().map(|&x| gl.load_witness(ctx, x)).collect();
    let pi_hash = PoseidonGoldilocksChip::new(gl.clone()).hash_no_pad(ctx, &public_inputs);

    // The proof.
    let constants_sigmas_cap = constant_cap(ctx, &verifier_only.constants_sigmas_cap);
    let wires_cap = merkle.load_cap(ctx, &inner.wires_cap);
    let zs_cap = merkle.load_cap(ctx, &inner.plonk_zs_partial_products_cap);
    let quotient_cap = merkle.load_cap(ctx, &inner.quotient_polys_cap);
    let openings = AssignedOpenings::load(ctx, &gl, &inner.openings);
    let fri_proof = fri.load_proof(ctx, &inner.opening_proof);

    // The transcript.
    let mut transcript = ChallengerGadget::new(ctx, &bn254);
    transcript.observe_fri_params(ctx, &bn254, &common.fri_params);
    let digest = ctx.load_constant(verifier_only.circuit_digest.to_fr());
    transcript.observe_digest(ctx, &bn254, digest);
    transcript.observe_elements(ctx, &bn254, &pi_hash);
    transcript.observe_cap(ctx, &bn254, &wires_cap);
    let n = common.config.num_challenges;
    let betas = transcript.get_n_challenges(ctx, &bn254, n);
    let gammas = transcript.get_n_challenges(ctx, &bn254, n);
    transcript.observe_cap(ctx, &bn254, &zs_cap);
    let alphas = transcript.get_n_challenges(ctx, &bn254, n);
    transcript.observe_cap(ctx, &bn254, &quotient_cap);
    let zeta = transcript.get_extension_challenge(ctx, &bn254);
    let batches = openings.fri_batches();
    for value in batches.iter().flatten() {
        transcript.observe_elements(ctx, &bn254, &value.0);
    }
    let fri_alpha = transcript.get_extension_challenge(ctx, &bn254);
    let fri_betas = fri_proof
        .commit_phase_caps
        .iter()
        .map(|cap| {
            transcript.observe_cap(ctx, &bn254, cap);
            transcript.get_extension_challenge(ctx, &bn254)
        })
        .collect();
    for c in &fri_proof.final_poly {
        transcript.observe_elements(ctx, &bn254, &c.0);
    }
    transcript.observe_element(ctx, &bn254, fri_proof.pow_witness);
    let pow_response = transcript.get_challenge(ctx, &bn254);
    let query_challenges = transcript.get_n_challenges(ctx, &bn254, common.config.fri_config.num_query_rounds);

    // The identity at zeta.
    let plonk_challenges = AssignedPlonkChallenges {
        betas,
        gammas,
        alphas,
        zeta,
    };
    VanishingChip::new(gl.clone()).check(ctx, common, &selectors, &openings, &plonk_challenges, &pi_hash)?;

    // The openings.
    let g = <F as Extendable<D>>::Extension::primitive_root_of_unity(common.degree_bits());
    let g = gl.load_ext_constant(ctx, g);
    let zeta_next = gl.ext_mul(ctx, g, zeta);
    let fri_challenges = AssignedFriChallenges {
        alpha: fri_alpha,
        betas: fri_betas,
        pow_response,
        query_challenges,
    };
    let initial_caps = [constants_sigmas_cap, wires_cap, zs_cap, quotient_cap];
    fri.verify_fri_proof(
        ctx,
        &shape,
        &common.fri_params,
        &[zeta, zeta_next],
        &batches,
        &fri_challenges,
        &initial_caps,
        &fri_proof,
    );
    Ok(public_inputs)
}

/// A cap fixed in the circuit.
fn constant_cap(ctx: &mut Context<Fr>, cap: &MerkleCap<F, PoseidonBn254Hash>) -> Vec<AssignedDigest> {
    cap.0.iter().map(|d| ctx.load_constant(d.to_fr())).collect()
}

/// The counts [`verify_final_proof`] relies on.
fn check_shape(
    common: &CommonCircuitData<F, D>,
    shape: &FriShape,
    proof: &FinalProof,
) -> Result<(), VerifierShapeError> {
    let inner = &proof.proof;
    let o = &inner.openings;
    let n = common.config.num_challenges;
    let cap_len = 1 << common.config.fri_config.cap_height;
    check_count("public inputs", common.num_public_inputs, proof.public_inputs.len())?;
    check_count("wires cap", cap_len, inner.wires_cap.0.len())?;
    check_count(
        "Z and partial products cap",
        cap_len,
        inner.plonk_zs_partial_products_cap.0.len(),
    )?;
    check_count("quotient cap", cap_len, inner.quotient_polys_cap.0.len())?;
    check_count("constant openings", common.num_constants, o.constants.len())?;
    check_count("sigma openings", common.config.num_routed_wires, o.plonk_sigmas.len())?;
    check_count("wire openings", common.config.num_wires, o.wires.len())?;
    check_count("Z openings", n, o.plonk_zs.len())?;
    check_count("next Z openings", n, o.plonk_zs_next.len())?;
    check_count(
        "partial product openings",
        n * common.num_partial_products,
        o.partial_products.len(),
    )?;
    check_count(
        "quotient openings",
        n * common.quotient_degree_factor,
        o.quotient_polys.len(),
    )?;
    shape.check_proof(&inner.opening_proof, &common.fri_params)?;
    Ok(())
}
