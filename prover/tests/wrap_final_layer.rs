//! The final plonky2 layer: a small aggregation-style inner proof (standard
//! Poseidon-Goldilocks configuration) is re-proved under the BN254 hasher.

use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::RangeChip;
use halo2_base::Context;
use halo2_proofs::dev::MockProver;
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::Field as _;
use plonky2::field::extension::Extendable;
use plonky2::field::types::Field;
use plonky2::fri::structure::{FriBatchInfo, FriInstanceInfo, FriOpeningBatch, FriOpenings, FriOracleInfo};
use plonky2::fri::verifier::verify_fri_proof;
use plonky2::hash::hash_types::HashOut;
use plonky2::hash::merkle_proofs::verify_merkle_proof_to_cap;
use plonky2::plonk::config::Hasher;
use prover::wrap::circuit::{assign_wrap, WrapCircuitError, WrapLayout};
use prover::wrap::final_layer::{FinalLayer, FinalLayerError, FinalProof, InnerProof, OuterConfig, D, F};
use prover::wrap::gadgets::challenger::ChallengerGadget;
use prover::wrap::gadgets::fri::{AssignedFriChallenges, FriChip, FriShape};
use prover::wrap::gadgets::goldilocks::{AssignedGoldilocks, GoldilocksChip};
use prover::wrap::gadgets::merkle::MerkleChip;
use prover::wrap::gadgets::poseidon::PoseidonBn254Chip;
use prover::wrap::gadgets::vanishing::{AssignedOpenings, AssignedPlonkChallenges, SelectorGroups, VanishingChip};
use prover::wrap::instances::WrapInstances;
use prover::wrap::poseidon_bn254::PoseidonBn254Hash;
use prover::wrap::sample::{SampleCircuit, SAMPLE_LAYOUT};
use std::time::Instant;

/// Builds a halo2-base circuit with `build` and runs MockProver on it; `Ok`
/// iff every constraint holds. Prints the cells used.
fn mock(k: u32, build: impl FnOnce(&mut Context<Fr>, &RangeChip<Fr>)) -> Result<(), String> {
    let mut builder = BaseCircuitBuilder::<Fr>::new(false)
        .use_k(k as usize)
        .use_lookup_bits(15);
    let range = builder.range_chip();
    build(builder.main(0), &range);
    let stats = builder.statistics();
    eprintln!(
        "halo2 check: {} advice cells, {} lookup cells",
        stats.gate.total_advice_per_phase[0], stats.total_lookup_advice_per_phase[0]
    );
    builder.calculate_params(Some(9));
    let prover = MockProver::run(k, &builder, vec![]).map_err(|e| format!("synthesis: {e:?}"))?;
    prover
        .verify()
        .map_err(|errors| format!("{} failures, first: {:?}", errors.len(), errors.first()))
}

fn inner_proof(inner: &SampleCircuit) -> InnerProof {
    let old = HashOut::from(std::array::from_fn(|i| F::from_canonical_u64(1 + i as u64)));
    let data = HashOut::from(std::array::from_fn(|i| F::from_canonical_u64(11 + i as u64)));
    let proof = inner.prove(old, data, F::from_canonical_u64(534_352)).unwrap();
    inner.data.verify(proof.clone()).unwrap();
    proof
}

#[test]
fn final_layer_proves_verifies_and_rejects_corruption() {
    let t = Instant::now();
    let inner = SampleCircuit::new();
    let proof = inner_proof(&inner);
    eprintln!("inner proof: {:?}", t.elapsed());

    let t = Instant::now();
    let layer = FinalLayer::build(
        &inner.data.common,
        &inner.data.verifier_only,
        FinalLayer::wrap_config(),
        &[],
    );
    eprintln!(
        "final layer built: degree 2^{} in {:?}",
        layer.circuit_data().common.degree_bits(),
        t.elapsed()
    );

    let t = Instant::now();
    let wrapped = layer.prove(&proof).expect("final-layer proof");
    eprintln!("final layer proved in {:?}", t.elapsed());
    assert_eq!(wrapped.public_inputs, proof.public_inputs);
    layer.verify(&wrapped).expect("final-layer proof verifies");

    // The FRI query's Merkle paths are over the BN254 hasher.
    let query = &wrapped.proof.opening_proof.query_round_proofs[0];
    let (leaf, merkle) = &query.initial_trees_proof.evals_proofs[0];
    let cap = &layer.circuit_data().verifier_only.constants_sigmas_cap;
    let index = layer.fri_query_indices(&wrapped).unwrap()[0];
    verify_merkle_proof_to_cap::<F, PoseidonBn254Hash>(leaf.clone(), index, cap, merkle)
        .expect("the first query's constants/sigmas path opens against the circuit's cap");

    // The same path re-checked by the halo2 Merkle gadget; a flipped sibling fails.
    let t = Instant::now();
    let run = |flip: bool| {
        mock(16, |ctx, range| {
            let gl = GoldilocksChip::new(range);
            let chip = MerkleChip::new(PoseidonBn254Chip::new(gl.clone()));
            let leaf: Vec<AssignedGoldilocks> = leaf.iter().map(|&g| gl.load_witness(ctx, g)).collect();
            let mut siblings = chip.load_proof(ctx, merkle);
            if flip {
                siblings[3] = ctx.load_witness(*siblings[3].value() + Fr::ONE);
            }
            let cap = chip.load_cap(ctx, cap);
            let index = ctx.load_witness(Fr::from(index as u64));
            chip.verify_merkle_proof_to_cap(ctx, &leaf, index, &siblings, &cap);
        })
    };
    assert_eq!(run(false), Ok(()));
    assert!(run(true).is_err(), "a flipped sibling was accepted by the halo2 gadget");
    eprintln!(
        "halo2 Merkle path ({} elements, {} siblings) checked twice in {:?}",
        leaf.len(),
        merkle.siblings.len(),
        t.elapsed()
    );

    // The transcript gadget replays the proof's first challenges (betas and
    // gammas) from the FRI parameters, circuit digest, public-inputs hash and
    // wires cap; a wrong wires-cap entry changes them.
    let challenges = wrapped
        .get_challenges(
            wrapped.get_public_inputs_hash(),
            &layer.circuit_data().verifier_only.circuit_digest,
            &layer.circuit_data().common,
        )
        .unwrap();
    let expected: Vec<F> = [challenges.plonk_betas, challenges.plonk_gammas].concat();
    let transcript = |tamper: bool| {
        mock(16, |ctx, range| {
            let gl = GoldilocksChip::new(range);
            let chip = PoseidonBn254Chip::new(gl.clone());
            let merkle = MerkleChip::new(chip.clone());
            let common = &layer.circuit_data().common;
            let mut challenger = ChallengerGadget::new(ctx, &chip);
            challenger.observe_fri_params(ctx, &chip, &common.fri_params);
            let digest = merkle.load_digest(ctx, layer.circuit_data().verifier_only.circuit_digest);
            challenger.observe_digest(ctx, &chip, digest);
            let pi_hash: Vec<AssignedGoldilocks> = wrapped
                .get_public_inputs_hash()
                .elements
                .iter()
                .map(|&g| gl.load_witness(ctx, g))
                .collect();
            challenger.observe_elements(ctx, &chip, &pi_hash);
            let mut cap = merkle.load_cap(ctx, &wrapped.proof.wires_cap);
            if tamper {
                cap[5] = ctx.load_witness(*cap[5].value() + Fr::ONE);
            }
            challenger.observe_cap(ctx, &chip, &cap);
            let n = common.config.num_challenges;
            let got = challenger.get_n_challenges(ctx, &chip, 2 * n);
            for (g, e) in got.iter().zip(&expected) {
                let e = gl.load_constant(ctx, *e);
                gl.assert_equal(ctx, *g, e);
            }
        })
    };
    assert_eq!(transcript(false), Ok(()));
    assert!(
        transcript(true).is_err(),
        "a tampered wires cap gave the same challenges"
    );

    // A flipped public input is rejected.
    let mut bad = wrapped.clone();
    bad.public_inputs[4] += F::ONE;
    assert!(matches!(layer.verify(&bad), Err(FinalLayerError::Verify(_))));

    // A flipped FRI opening is rejected.
    let mut bad = wrapped.clone();
    bad.proof.opening_proof.query_round_proofs[0]
        .initial_trees_proof
        .evals_proofs[0]
        .0[0] += F::ONE;
    assert!(matches!(layer.verify(&bad), Err(FinalLayerError::Verify(_))));

    // A flipped Merkle cap digest is rejected.
    let mut bad = wrapped.clone();
    bad.proof.wires_cap.0[0] = PoseidonBn254Hash::two_to_one(bad.proof.wires_cap.0[0], bad.proof.wires_cap.0[1]);
    assert!(matches!(layer.verify(&bad), Err(FinalLayerError::Verify(_))));

    // An inner proof with a wrong public input cannot be final-layer proven
    // (or, if the prover gets through, its proof does not verify).
    let mut forged = proof.clone();
    forged.public_inputs[12] += F::ONE;
    assert!(inner.data.verify(forged.clone()).is_err());
    match layer.prove(&forged) {
        Err(FinalLayerError::Prove(_)) => {}
        Err(e) => panic!("unexpected error kind: {e}"),
        Ok(p) => assert!(
            layer.verify(&p).is_err(),
            "a forged inner proof gave a valid final-layer proof"
        ),
    }

    // A proof with the wrong number of public inputs gets a clear error.
    let mut short = proof.clone();
    short.public_inputs.pop();
    assert!(matches!(
        layer.prove(&short),
        Err(FinalLayerError::PublicInputCount { expected: 13, got: 12 })
    ));
}

/// A final layer built to pin the inner proof's last public inputs checks
/// them instead of exposing them: it proves when they hold the pinned
/// values and not otherwise.
#[test]
fn final_layer_checks_pinned_public_inputs_instead_of_exposing_them() {
    let inner = SampleCircuit::new();
    let proof = inner_proof(&inner);
    let config = plonky2::plonk::circuit_data::CircuitConfig::standard_recursion_config();
    let (statement, tail) = proof.public_inputs.split_at(proof.public_inputs.len() - 2);
    let appended = [F::from_canonical_u64(679)];
    let layer = FinalLayer::build_pinned(
        &inner.data.common,
        &inner.data.verifier_only,
        config.clone(),
        tail,
        &appended,
    );
    let wrapped = layer.prove(&proof).expect("the pinned values hold");
    layer.verify(&wrapped).expect("final-layer proof verifies");
    assert_eq!(wrapped.public_inputs, [statement, &appended[..]].concat());

    let mut other = tail.to_vec();
    other[1] += F::ONE;
    let layer = FinalLayer::build_pinned(&inner.data.common, &inner.data.verifier_only, config, &other, &appended);
    match layer.prove(&proof) {
        Err(FinalLayerError::Prove(_)) => {}
        Err(e) => panic!("unexpected error: {e}"),
        Ok(p) => assert!(
            layer.verify(&p).is_err(),
            "a proof with other pinned values was accepted"
        ),
    }
}

/// A final layer over the small inner circuit, and a proof of it.
fn final_layer_proof() -> (FinalLayer, FinalProof) {
    let inner = SampleCircuit::new();
    let proof = inner_proof(&inner);
    let layer = FinalLayer::build(
        &inner.data.common,
        &inner.data.verifier_only,
        FinalLayer::wrap_config(),
        &[],
    );
    let wrapped = layer.prove(&proof).expect("final-layer proof");
    (layer, wrapped)
}

/// What the FRI gadget test corrupts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum FriTamper {
    Nothing,
    /// One opened value at zeta (the combination then misses the first folded value).
    OpeningAtZeta,
    /// The first folding challenge (the interpolation then misses the next value).
    Beta,
    /// One coefficient of the final polynomial.
    FinalPoly,
    /// A proof-of-work response with too few leading zeros.
    PowResponse,
}

#[test]
fn fri_gadget_checks_a_final_layer_proof_and_rejects_tampering() {
    let (layer, wrapped) = final_layer_proof();
    let data = layer.circuit_data();
    let common = &data.common;
    let params = &common.fri_params;
    let challenges = wrapped
        .get_challenges(
            wrapped.get_public_inputs_hash(),
            &data.verifier_only.circuit_digest,
            common,
        )
        .unwrap();
    let fri = &wrapped.proof.opening_proof;

    // Our shape and openings are plonky2's: its own FRI verifier accepts them.
    let shape = FriShape::of_circuit(common).expect("the final layer has no lookups or zero knowledge");
    shape.check_proof(fri, params).expect("the proof has its shape");
    let openings = FriShape::openings(&wrapped.proof.openings);
    let zeta = challenges.plonk_zeta;
    let g = <F as Extendable<D>>::Extension::primitive_root_of_unity(common.degree_bits());
    let points = [zeta, g * zeta];
    let instance = FriInstanceInfo {
        oracles: shape
            .oracle_sizes
            .iter()
            .map(|&num_polys| FriOracleInfo {
                num_polys,
                blinding: false,
            })
            .collect(),
        batches: shape
            .batches
            .iter()
            .zip(points)
            .map(|(polynomials, point)| FriBatchInfo {
                point,
                polynomials: polynomials.clone(),
            })
            .collect(),
    };
    let fri_openings = FriOpenings {
        batches: openings
            .iter()
            .map(|values| FriOpeningBatch { values: values.clone() })
            .collect(),
    };
    let initial_caps = [
        data.verifier_only.constants_sigmas_cap.clone(),
        wrapped.proof.wires_cap.clone(),
        wrapped.proof.plonk_zs_partial_products_cap.clone(),
        wrapped.proof.quotient_polys_cap.clone(),
    ];
    verify_fri_proof::<F, OuterConfig, D>(
        &instance,
        &fri_openings,
        &challenges.fri_challenges,
        &initial_caps,
        fri,
        params,
    )
    .expect("plonky2 accepts the FRI proof with our instance and openings");
    let mut short = fri.clone();
    short.query_round_proofs.pop();
    assert!(
        shape.check_proof(&short, params).is_err(),
        "a missing query round passes the shape check"
    );

    // The gadget on the first query round (every round runs the same code).
    let mut one_round = fri.clone();
    one_round.query_round_proofs.truncate(1);
    let fri_challenges = &challenges.fri_challenges;
    let run = |tamper: FriTamper| {
        mock(17, |ctx, range| {
            let gl = GoldilocksChip::new(range);
            let merkle = MerkleChip::new(PoseidonBn254Chip::new(gl.clone()));
            let chip = FriChip::new(merkle.clone());
            let mut proof = chip.load_proof(ctx, &one_round);
            if tamper == FriTamper::FinalPoly {
                let c = proof.final_poly[0].value() + <F as Extendable<D>>::Extension::ONE;
                proof.final_poly[0] = gl.load_ext_witness(ctx, c);
            }
            let caps: Vec<_> = initial_caps.iter().map(|cap| merkle.load_cap(ctx, cap)).collect();
            let points: Vec<_> = points.iter().map(|&p| gl.load_ext_witness(ctx, p)).collect();
            let assigned_openings: Vec<Vec<_>> = openings
                .iter()
                .enumerate()
                .map(|(b, values)| {
                    values
                        .iter()
                        .enumerate()
                        .map(|(i, &v)| {
                            let bump = tamper == FriTamper::OpeningAtZeta && b == 0 && i == 100;
                            gl.load_ext_witness(ctx, if bump { v + v } else { v })
                        })
                        .collect()
                })
                .collect();
            let mut betas = fri_challenges.fri_betas.clone();
            if tamper == FriTamper::Beta {
                betas[0] += <F as Extendable<D>>::Extension::ONE;
            }
            let pow_response = if tamper == FriTamper::PowResponse {
                F::NEG_ONE
            } else {
                fri_challenges.fri_pow_response
            };
            let assigned = AssignedFriChallenges {
                alpha: gl.load_ext_witness(ctx, fri_challenges.fri_alpha),
                betas: betas.iter().map(|&b| gl.load_ext_witness(ctx, b)).collect(),
                pow_response: gl.load_witness(ctx, pow_response),
                query_challenges: vec![
                    gl.load_witness(ctx, F::from_canonical_usize(fri_challenges.fri_query_indices[0]))
                ],
            };
            chip.verify_fri_proof(
                ctx,
                &shape,
                params,
                &points,
                &assigned_openings,
                &assigned,
                &caps,
                &proof,
            );
        })
    };
    let t = Instant::now();
    assert_eq!(run(FriTamper::Nothing), Ok(()));
    eprintln!("halo2 FRI check of one query round: {:?}", t.elapsed());
    for tamper in [
        FriTamper::OpeningAtZeta,
        FriTamper::Beta,
        FriTamper::FinalPoly,
        FriTamper::PowResponse,
    ] {
        assert!(run(tamper).is_err(), "{tamper:?} was accepted");
    }
}

/// What the identity-check test corrupts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum IdentityTamper {
    Nothing,
    Wire,
    Quotient,
    PublicInputsHash,
    Alpha,
}

#[test]
fn vanishing_gadget_checks_a_final_layer_proof_and_rejects_tampering() {
    let (layer, wrapped) = final_layer_proof();
    let data = layer.circuit_data();
    let common = &data.common;
    let selectors = SelectorGroups::of_circuit(common);
    assert_eq!(
        format!("{:?}", common.selectors_info),
        format!(
            "SelectorsInfo {{ selector_indices: {:?}, groups: {:?} }}",
            selectors.indices, selectors.groups
        ),
        "our selector grouping is plonky2's"
    );
    let challenges = wrapped
        .get_challenges(
            wrapped.get_public_inputs_hash(),
            &data.verifier_only.circuit_digest,
            common,
        )
        .unwrap();
    let pi_hash = wrapped.get_public_inputs_hash();
    let run = |tamper: IdentityTamper| {
        mock(17, |ctx, range| {
            let gl = GoldilocksChip::new(range);
            let mut openings = wrapped.proof.openings.clone();
            let bump = <F as Extendable<D>>::Extension::ONE;
            match tamper {
                IdentityTamper::Wire => openings.wires[7] += bump,
                IdentityTamper::Quotient => openings.quotient_polys[3] += bump,
                _ => {}
            }
            let openings = AssignedOpenings::load(ctx, &gl, &openings);
            let mut hash = pi_hash.elements;
            if tamper == IdentityTamper::PublicInputsHash {
                hash[2] += F::ONE;
            }
            let hash = hash.map(|e| gl.load_witness(ctx, e));
            let mut alphas = challenges.plonk_alphas.clone();
            if tamper == IdentityTamper::Alpha {
                alphas[1] += F::ONE;
            }
            let assigned = AssignedPlonkChallenges {
                betas: challenges
                    .plonk_betas
                    .iter()
                    .map(|&b| gl.load_witness(ctx, b))
                    .collect(),
                gammas: challenges
                    .plonk_gammas
                    .iter()
                    .map(|&g| gl.load_witness(ctx, g))
                    .collect(),
                alphas: alphas.iter().map(|&a| gl.load_witness(ctx, a)).collect(),
                zeta: gl.load_ext_witness(ctx, challenges.plonk_zeta),
            };
            VanishingChip::new(gl.clone())
                .check(ctx, common, &selectors, &openings, &assigned, &hash)
                .expect("every gate of the final layer is supported");
        })
    };
    let t = Instant::now();
    assert_eq!(run(IdentityTamper::Nothing), Ok(()));
    eprintln!("halo2 identity check at zeta: {:?}", t.elapsed());
    for tamper in [
        IdentityTamper::Wire,
        IdentityTamper::Quotient,
        IdentityTamper::PublicInputsHash,
        IdentityTamper::Alpha,
    ] {
        assert!(run(tamper).is_err(), "{tamper:?} was accepted");
    }
}

/// The sample circuit's public inputs as the wrap reads them: old root
/// 0..4, new root 4..8, data hash 8..12, chain id 12.
const LAYOUT: WrapLayout = SAMPLE_LAYOUT;

#[test]
fn wrap_circuit_verifies_a_final_layer_proof_and_exposes_its_statement() {
    let (layer, wrapped) = final_layer_proof();
    let data = layer.circuit_data();
    let statement = LAYOUT.instances(&wrapped.public_inputs).unwrap();
    assert_eq!(statement.chain_id, 534_352);
    assert_eq!(statement.old_root[7], 1, "the first root element is the top 64 bits");
    // MockProver of the whole wrap circuit against the instance column `expected`.
    let run = |proof: &FinalProof, expected: &WrapInstances| -> Result<(), String> {
        let k = 20;
        let mut builder = BaseCircuitBuilder::<Fr>::new(false)
            .use_k(k)
            .use_lookup_bits(15)
            .use_instance_columns(1);
        let claimed = assign_wrap(&mut builder, &data.common, &data.verifier_only, LAYOUT, proof).expect("shape");
        assert_eq!(&claimed, &LAYOUT.instances(&proof.public_inputs).unwrap());
        let stats = builder.statistics();
        eprintln!(
            "wrap circuit: {} advice cells, {} lookup cells",
            stats.gate.total_advice_per_phase[0], stats.total_lookup_advice_per_phase[0]
        );
        builder.calculate_params(Some(9));
        let prover = MockProver::run(k as u32, &builder, vec![expected.to_scalars()]).map_err(|e| format!("{e:?}"))?;
        prover
            .verify()
            .map_err(|errors| format!("{} failures, first: {:?}", errors.len(), errors.first()))
    };
    let t = Instant::now();
    assert_eq!(run(&wrapped, &statement), Ok(()));
    eprintln!("wrap circuit MockProver: {:?}", t.elapsed());

    // A forged public input: the transcript moves and the openings fail,
    // even with the instances of the forged statement.
    let mut forged = wrapped.clone();
    forged.public_inputs[5] += F::ONE;
    let forged_statement = LAYOUT.instances(&forged.public_inputs).unwrap();
    assert_ne!(forged_statement, statement);
    assert!(
        run(&forged, &forged_statement).is_err(),
        "a forged public input was accepted"
    );

    // A malformed proof is an error before any circuit is built.
    let mut short = wrapped.clone();
    short.proof.openings.wires.pop();
    let mut builder = BaseCircuitBuilder::<Fr>::new(false)
        .use_k(20)
        .use_lookup_bits(15)
        .use_instance_columns(1);
    let err = assign_wrap(&mut builder, &data.common, &data.verifier_only, LAYOUT, &short).unwrap_err();
    assert!(err.to_string().contains("wire openings"), "{err}");
    // So is a layout past the public inputs.
    let wide = WrapLayout { chain_id: 13, ..LAYOUT };
    let err = assign_wrap(&mut builder, &data.common, &data.verifier_only, wide, &wrapped).unwrap_err();
    assert!(matches!(err, WrapCircuitError::Layout { needed: 14, has: 13 }), "{err}");
}
