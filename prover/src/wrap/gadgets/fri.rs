//! plonky2's FRI verification (`plonky2::fri::verifier::verify_fri_proof`)
//! of a final-layer proof, re-checked in halo2: the proof-of-work bound, and
//! for every query round the initial-tree Merkle openings, the combination
//! of the opened polynomials into the first FRI oracle's value at the query
//! point, each folding step (consistency with the previous step, Lagrange
//! interpolation of the coset at `beta`, the step's Merkle opening) and the
//! final polynomial's value.
//!
//! The challenges (`alpha`, the betas, the proof-of-work response and the
//! query challenges) are inputs: the transcript gadget derives them. A query
//! challenge is used as plonky2 uses it: its low `log2(lde size)` bits are
//! the leaf index.
//!
//! The interpolation at `beta` uses the closed form for a multiplicative
//! coset `{c·g^i}` of size `m`: `P(beta) = (beta^m - c^m) / (m·c^m) ·
//! Σ_i y_i·x_i / (beta - x_i)` (the barycentric weights of such a coset are
//! `x_i / (m·c^m)`), and `c^m` is the next step's point.

use super::goldilocks::{AssignedGoldilocks, AssignedGoldilocksExt2, GoldilocksChip};
use super::merkle::MerkleChip;
use super::poseidon::AssignedDigest;
use crate::wrap::final_layer::{D, F};
use crate::wrap::poseidon_bn254::PoseidonBn254Hash;
use halo2_base::gates::{GateInstructions, RangeInstructions};
use halo2_base::{AssignedValue, Context, QuantumCell::Constant};
use halo2_proofs::halo2curves::bn256::Fr;
use plonky2::field::extension::quadratic::QuadraticExtension;
use plonky2::field::types::Field;
use plonky2::fri::proof::FriProof;
use plonky2::fri::structure::FriPolynomialInfo;
use plonky2::fri::FriParams;
use plonky2::plonk::circuit_data::CommonCircuitData;
use plonky2::plonk::proof::OpeningSet;
use plonky2::util::reverse_index_bits_in_place;

/// The quadratic extension of Goldilocks.
type Ext = QuadraticExtension<F>;

/// Why a FRI proof does not have the shape its parameters require.
#[derive(Debug, thiserror::Error)]
pub enum FriShapeError {
    /// The circuit uses a feature the wrap does not handle.
    #[error("unsupported circuit: {0}")]
    Unsupported(&'static str),
    /// A count in the proof differs from the parameters'.
    #[error("FRI proof shape: {what}: expected {expected}, got {got}")]
    Count {
        /// What was counted.
        what: String,
        /// What the parameters require.
        expected: usize,
        /// What the proof has.
        got: usize,
    },
}

fn check_count(what: impl Into<String>, expected: usize, got: usize) -> Result<(), FriShapeError> {
    if expected == got {
        Ok(())
    } else {
        Err(FriShapeError::Count {
            what: what.into(),
            expected,
            got,
        })
    }
}

/// Which polynomials a plonky2 proof opens, per opening point: plonky2's
/// `FriInstanceInfo` without the (in-circuit) points. Batch 0 is every
/// polynomial at `zeta`, batch 1 the permutation `Z`s at `g·zeta`.
#[derive(Clone, Debug)]
pub struct FriShape {
    /// Polynomials per oracle (constants and sigmas, wires, `Z`s and partial products, quotient).
    pub oracle_sizes: Vec<usize>,
    /// The polynomials of each batch, in opening order.
    pub batches: Vec<Vec<FriPolynomialInfo>>,
}

impl FriShape {
    /// The shape of proofs of a plonky2 circuit without lookups or zero
    /// knowledge (the final layer's configuration), as plonky2's
    /// `CommonCircuitData::get_fri_instance` lays it out.
    pub fn of_circuit(common: &CommonCircuitData<F, D>) -> Result<Self, FriShapeError> {
        if common.num_lookup_polys != 0 {
            return Err(FriShapeError::Unsupported("lookup arguments"));
        }
        if common.fri_params.hiding {
            return Err(FriShapeError::Unsupported("zero-knowledge (salted) commitments"));
        }
        let challenges = common.config.num_challenges;
        let oracle_sizes = vec![
            common.sigmas_range().end,
            common.config.num_wires,
            challenges * (1 + common.num_partial_products),
            challenges * common.quotient_degree_factor,
        ];
        let at_zeta = oracle_sizes
            .iter()
            .enumerate()
            .flat_map(|(oracle, &n)| FriPolynomialInfo::from_range(oracle, 0..n))
            .collect();
        let at_next = FriPolynomialInfo::from_range(2, common.zs_range());
        Ok(Self {
            oracle_sizes,
            batches: vec![at_zeta, at_next],
        })
    }

    /// A proof's opened values per batch, in the order of [`Self::batches`]
    /// (plonky2's `OpeningSet::to_fri_openings` without lookups).
    pub fn openings(openings: &OpeningSet<F, D>) -> Vec<Vec<Ext>> {
        let at_zeta = [
            openings.constants.as_slice(),
            &openings.plonk_sigmas,
            &openings.wires,
            &openings.plonk_zs,
            &openings.partial_products,
            &openings.quotient_polys,
        ]
        .concat();
        vec![at_zeta, openings.plonk_zs_next.clone()]
    }

    /// Checks that `proof` has the shape `params` and this instance require
    /// (what the gadget assumes; plonky2's `validate_fri_proof_shape`).
    pub fn check_proof(
        &self,
        proof: &FriProof<F, PoseidonBn254Hash, D>,
        params: &FriParams,
    ) -> Result<(), FriShapeError> {
        let cap_height = params.config.cap_height;
        let log_n = params.degree_bits + params.config.rate_bits;
        check_count(
            "query rounds",
            params.config.num_query_rounds,
            proof.query_round_proofs.len(),
        )?;
        let steps = params.reduction_arity_bits.len();
        check_count("commit-phase caps", steps, proof.commit_phase_merkle_caps.len())?;
        for (i, cap) in proof.commit_phase_merkle_caps.iter().enumerate() {
            check_count(format!("commit-phase cap {i} entries"), 1 << cap_height, cap.0.len())?;
        }
        let final_bits = log_n - params.config.rate_bits - params.total_arities();
        check_count("final polynomial coefficients", 1 << final_bits, proof.final_poly.len())?;
        for (r, round) in proof.query_round_proofs.iter().enumerate() {
            let initial = &round.initial_trees_proof.evals_proofs;
            check_count(
                format!("round {r} initial trees"),
                self.oracle_sizes.len(),
                initial.len(),
            )?;
            for (o, ((evals, path), &size)) in initial.iter().zip(&self.oracle_sizes).enumerate() {
                check_count(format!("round {r} oracle {o} values"), size, evals.len())?;
                check_count(
                    format!("round {r} oracle {o} siblings"),
                    log_n - cap_height,
                    path.siblings.len(),
                )?;
            }
            check_count(format!("round {r} steps"), steps, round.steps.len())?;
            let mut bits = log_n;
            for (s, (step, &arity_bits)) in round.steps.iter().zip(&params.reduction_arity_bits).enumerate() {
                bits -= arity_bits;
                check_count(format!("round {r} step {s} values"), 1 << arity_bits, step.evals.len())?;
                check_count(
                    format!("round {r} step {s} siblings"),
                    bits - cap_height,
                    step.merkle_proof.siblings.len(),
                )?;
            }
        }
        Ok(())
    }
}

/// One query round's openings, loaded.
#[derive(Clone, Debug)]
pub struct AssignedQueryRound {
    /// Per initial oracle: the opened row and its Merkle siblings.
    pub initial: Vec<(Vec<AssignedGoldilocks>, Vec<AssignedDigest>)>,
    /// Per folding step: the coset's values and their Merkle siblings.
    pub steps: Vec<(Vec<AssignedGoldilocksExt2>, Vec<AssignedDigest>)>,
}

/// A FRI proof, loaded.
#[derive(Clone, Debug)]
pub struct AssignedFriProof {
    /// The caps of the folded oracles.
    pub commit_phase_caps: Vec<Vec<AssignedDigest>>,
    /// The query rounds.
    pub query_rounds: Vec<AssignedQueryRound>,
    /// The final polynomial's coefficients, lowest first.
    pub final_poly: Vec<AssignedGoldilocksExt2>,
    /// The proof-of-work witness (for the transcript).
    pub pow_witness: AssignedGoldilocks,
}

/// The FRI challenges, from the transcript.
#[derive(Clone, Debug)]
pub struct AssignedFriChallenges {
    /// The batching challenge.
    pub alpha: AssignedGoldilocksExt2,
    /// One folding challenge per step.
    pub betas: Vec<AssignedGoldilocksExt2>,
    /// The proof-of-work response.
    pub pow_response: AssignedGoldilocks,
    /// One challenge per query round (its low bits are the leaf index).
    pub query_challenges: Vec<AssignedGoldilocks>,
}

/// FRI verification on the Goldilocks and Merkle chips.
#[derive(Clone, Debug)]
pub struct FriChip<'a> {
    merkle: MerkleChip<'a>,
}

impl<'a> FriChip<'a> {
    /// A chip over `merkle` (whose Poseidon chip holds the Goldilocks chip).
    pub fn new(merkle: MerkleChip<'a>) -> Self {
        Self { merkle }
    }

    fn gl(&self) -> &GoldilocksChip<'a> {
        self.merkle.poseidon().goldilocks()
    }

    /// Loads `proof` as witnesses (its shape checked by [`FriShape::check_proof`]).
    pub fn load_proof(&self, ctx: &mut Context<Fr>, proof: &FriProof<F, PoseidonBn254Hash, D>) -> AssignedFriProof {
        let gl = self.gl();
        let query_rounds = proof
            .query_round_proofs
            .iter()
            .map(|round| AssignedQueryRound {
                initial: round
                    .initial_trees_proof
                    .evals_proofs
                    .iter()
                    .map(|(evals, path)| {
                        let evals = evals.iter().map(|&v| gl.load_witness(ctx, v)).collect();
                        (evals, self.merkle.load_proof(ctx, path))
                    })
                    .collect(),
                steps: round
                    .steps
                    .iter()
                    .map(|step| {
                        let evals = step.evals.iter().map(|&v| gl.load_ext_witness(ctx, v)).collect();
                        (evals, self.merkle.load_proof(ctx, &step.merkle_proof))
                    })
                    .collect(),
            })
            .collect();
        AssignedFriProof {
            commit_phase_caps: proof
                .commit_phase_merkle_caps
                .iter()
                .map(|cap| self.merkle.load_cap(ctx, cap))
                .collect(),
            query_rounds,
            final_poly: proof
                .final_poly
                .coeffs
                .iter()
                .map(|&c| gl.load_ext_witness(ctx, c))
                .collect(),
            pow_witness: gl.load_witness(ctx, proof.pow_witness),
        }
    }

    /// `alpha^0 .. alpha^(n-1)`.
    fn powers(&self, ctx: &mut Context<Fr>, alpha: AssignedGoldilocksExt2, n: usize) -> Vec<AssignedGoldilocksExt2> {
        let gl = self.gl();
        let mut powers = vec![gl.load_ext_constant(ctx, Ext::ONE)];
        while powers.len() < n {
            let next = gl.ext_mul(ctx, *powers.last().expect("non-empty"), alpha);
            powers.push(next);
        }
        powers.truncate(n);
        powers
    }

    /// Verifies a FRI proof: `points` are the batches' opening points,
    /// `openings` their opened values, `initial_caps` the initial oracles'
    /// caps (constants and sigmas from the verifying key, then the proof's).
    ///
    /// # Panics
    /// If the loaded values do not have the shape of `shape` and `params`
    /// (check the native proof with [`FriShape::check_proof`] first).
    #[allow(clippy::too_many_arguments)]
    pub fn verify_fri_proof(
        &self,
        ctx: &mut Context<Fr>,
        shape: &FriShape,
        params: &FriParams,
        points: &[AssignedGoldilocksExt2],
        openings: &[Vec<AssignedGoldilocksExt2>],
        challenges: &AssignedFriChallenges,
        initial_caps: &[Vec<AssignedDigest>],
        proof: &AssignedFriProof,
    ) {
        assert_eq!(points.len(), shape.batches.len(), "one point per batch");
        assert_eq!(openings.len(), shape.batches.len(), "one opening set per batch");
        // Proof of work: the response has `proof_of_work_bits` leading zeros.
        let pow_bits = params.config.proof_of_work_bits as usize;
        self.gl()
            .range()
            .range_check(ctx, challenges.pow_response.cell(), 64 - pow_bits);

        let max_batch = shape.batches.iter().map(Vec::len).max().unwrap_or(0);
        let alpha_powers = self.powers(ctx, challenges.alpha, max_batch + 1);
        let reduced_openings: Vec<AssignedGoldilocksExt2> = openings
            .iter()
            .map(|values| self.gl().ext_inner_product(ctx, values, &alpha_powers[..values.len()]))
            .collect();
        let batches = BatchedOpenings {
            shape,
            points,
            reduced_openings: &reduced_openings,
            alpha_powers: &alpha_powers,
        };
        assert_eq!(
            challenges.query_challenges.len(),
            proof.query_rounds.len(),
            "one challenge per round"
        );
        for (challenge, round) in challenges.query_challenges.iter().zip(&proof.query_rounds) {
            self.verify_query_round(
                ctx,
                params,
                &batches,
                challenges,
                *challenge,
                initial_caps,
                proof,
                round,
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn verify_query_round(
        &self,
        ctx: &mut Context<Fr>,
        params: &FriParams,
        batches: &BatchedOpenings<'_>,
        challenges: &AssignedFriChallenges,
        query_challenge: AssignedGoldilocks,
        initial_caps: &[Vec<AssignedDigest>],
        proof: &AssignedFriProof,
        round: &AssignedQueryRound,
    ) {
        let gl = self.gl();
        let gate = gl.range().gate();
        let log_n = params.degree_bits + params.config.rate_bits;
        // The leaf index: the challenge's low log_n bits (least significant first).
        let all_bits = gate.num_to_bits(ctx, query_challenge.cell(), 64);
        let mut bits: Vec<AssignedValue<Fr>> = all_bits[..log_n].to_vec();

        let index = compose(ctx, gl, &bits);
        for ((evals, siblings), cap) in round.initial.iter().zip(initial_caps) {
            self.merkle.verify_merkle_proof_to_cap(ctx, evals, index, siblings, cap);
        }

        // The query point: g · ω^reverse_bits(index), ω of order 2^log_n.
        let omega = F::primitive_root_of_unity(log_n);
        let mut x = gl.load_constant(ctx, F::MULTIPLICATIVE_GROUP_GENERATOR);
        let one = gl.load_constant(ctx, F::ONE);
        for (k, &bit) in bits.iter().enumerate() {
            let factor = gl.load_constant(ctx, omega.exp_power_of_2(log_n - 1 - k));
            let factor = gl.select(ctx, bit, factor, one);
            x = gl.mul(ctx, x, factor);
        }

        let mut old_eval = self.combine_initial(ctx, batches, round, x);
        for (step, ((evals, siblings), &arity_bits)) in round.steps.iter().zip(&params.reduction_arity_bits).enumerate()
        {
            let (within, coset) = bits.split_at(arity_bits);
            // The value at the query point must be the one derived so far.
            let indicator = gate.bits_to_indicator(ctx, within);
            let opened = gl.ext_select_by_indicator(ctx, evals, &indicator);
            gl.ext_assert_equal(ctx, opened, old_eval);

            let next_x = (0..arity_bits).fold(x, |acc, _| gl.mul(ctx, acc, acc));
            old_eval = self.interpolate_coset(ctx, x, next_x, within, evals, challenges.betas[step]);

            let leaf: Vec<AssignedGoldilocks> = evals.iter().flat_map(|e| e.0).collect();
            let coset_index = compose(ctx, gl, coset);
            self.merkle
                .verify_merkle_proof_to_cap(ctx, &leaf, coset_index, siblings, &proof.commit_phase_caps[step]);
            x = next_x;
            bits = coset.to_vec();
        }

        // The final polynomial at the last point, by Horner's rule.
        let mut acc = *proof.final_poly.last().expect("a final polynomial has coefficients");
        for &c in proof.final_poly.iter().rev().skip(1) {
            let scaled = gl.ext_scalar_mul(ctx, x, acc);
            acc = gl.ext_add(ctx, scaled, c);
        }
        gl.ext_assert_equal(ctx, acc, old_eval);
    }

    /// plonky2's `fri_combine_initial`: `Σ_b alpha^(shift) · (reduced row_b −
    /// reduced opening_b) / (x − point_b)`, batch by batch.
    fn combine_initial(
        &self,
        ctx: &mut Context<Fr>,
        batches: &BatchedOpenings<'_>,
        round: &AssignedQueryRound,
        x: AssignedGoldilocks,
    ) -> AssignedGoldilocksExt2 {
        let gl = self.gl();
        let x_ext = gl.ext_from_base(ctx, x);
        let mut sum = gl.load_ext_constant(ctx, Ext::ZERO);
        for (b, polys) in batches.shape.batches.iter().enumerate() {
            let row: Vec<AssignedGoldilocks> = polys
                .iter()
                .map(|p| round.initial[p.oracle_index].0[p.polynomial_index])
                .collect();
            let reduced = gl.ext_base_inner_product(ctx, &row, &batches.alpha_powers[..row.len()]);
            let numerator = gl.ext_sub(ctx, reduced, batches.reduced_openings[b]);
            let denominator = gl.ext_sub(ctx, x_ext, batches.points[b]);
            let quotient = gl.ext_div(ctx, numerator, denominator);
            let shifted = gl.ext_mul(ctx, sum, batches.alpha_powers[row.len()]);
            sum = gl.ext_add(ctx, shifted, quotient);
        }
        sum
    }

    /// plonky2's `compute_evaluation`: the folded value at `x^arity` from the
    /// coset's values, by interpolation at `beta`. `within` are the low bits
    /// of the index (the position of `x` in its coset), `next_x = x^arity`.
    fn interpolate_coset(
        &self,
        ctx: &mut Context<Fr>,
        x: AssignedGoldilocks,
        next_x: AssignedGoldilocks,
        within: &[AssignedValue<Fr>],
        evals: &[AssignedGoldilocksExt2],
        beta: AssignedGoldilocksExt2,
    ) -> AssignedGoldilocksExt2 {
        let gl = self.gl();
        let arity_bits = within.len();
        let arity = 1usize << arity_bits;
        let g = F::primitive_root_of_unity(arity_bits);
        // The coset starts at x · g^(-reverse_bits(within)).
        let one = gl.load_constant(ctx, F::ONE);
        let mut start = x;
        for (k, &bit) in within.iter().enumerate() {
            let factor = gl.load_constant(ctx, g.inverse().exp_power_of_2(arity_bits - 1 - k));
            let factor = gl.select(ctx, bit, factor, one);
            start = gl.mul(ctx, start, factor);
        }
        let mut ordered = evals.to_vec();
        reverse_index_bits_in_place(&mut ordered);
        let mut terms = Vec::with_capacity(arity);
        let mut g_power = F::ONE;
        for y in ordered {
            let point = if g_power == F::ONE {
                start
            } else {
                let c = gl.load_constant(ctx, g_power);
                gl.mul(ctx, start, c)
            };
            let point_ext = gl.ext_from_base(ctx, point);
            let denominator = gl.ext_sub(ctx, beta, point_ext);
            let numerator = gl.ext_scalar_mul(ctx, point, y);
            terms.push(gl.ext_div(ctx, numerator, denominator));
            g_power *= g;
        }
        let sum = gl.ext_sum(ctx, &terms);
        // (beta^m − c^m) / (m · c^m), with c^m = next_x.
        let beta_m = (0..arity_bits).fold(beta, |acc, _| gl.ext_mul(ctx, acc, acc));
        let next_ext = gl.ext_from_base(ctx, next_x);
        let vanishing = gl.ext_sub(ctx, beta_m, next_ext);
        let m = gl.load_constant(ctx, F::from_canonical_usize(arity));
        let scale = gl.mul(ctx, m, next_x);
        let scale = gl.inv(ctx, scale);
        let factor = gl.ext_scalar_mul(ctx, scale, vanishing);
        gl.ext_mul(ctx, factor, sum)
    }
}

/// What every query round shares: the batches' points, their reduced
/// openings and the powers of alpha.
struct BatchedOpenings<'s> {
    shape: &'s FriShape,
    points: &'s [AssignedGoldilocksExt2],
    reduced_openings: &'s [AssignedGoldilocksExt2],
    alpha_powers: &'s [AssignedGoldilocksExt2],
}

/// `Σ bits_i · 2^i`.
fn compose(ctx: &mut Context<Fr>, gl: &GoldilocksChip<'_>, bits: &[AssignedValue<Fr>]) -> AssignedValue<Fr> {
    let weights = (0..bits.len()).map(|i| Constant(Fr::from(1u64 << i)));
    gl.range().gate().inner_product(ctx, bits.iter().copied(), weights)
}
