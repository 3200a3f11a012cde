//! plonky2's polynomial-identity check at `zeta`, re-computed in halo2: the
//! vanishing polynomial (the `Z(x) = 1` term at the first row, the
//! permutation argument's partial-product checks, every gate's constraints
//! under its selector filter) combined with each challenge `alpha`, against
//! `Z_H(zeta)` times the quotient reassembled from its chunks, as
//! `plonky2::plonk::verifier` does for circuits without lookups.
//!
//! `L_0(zeta) = (zeta^n - 1) / (n·(zeta - 1))` is computed by division, so
//! a proof whose `zeta` is 1 (probability `1/p^2`) cannot be wrapped.

use super::gates::{GateChip, GateVars, UnsupportedGate};
use super::goldilocks::{AssignedGoldilocks, AssignedGoldilocksExt2, GoldilocksChip};
use crate::wrap::final_layer::{D, F};
use halo2_base::Context;
use halo2_proofs::halo2curves::bn256::Fr;
use plonky2::field::extension::quadratic::QuadraticExtension;
use plonky2::field::types::Field;
use plonky2::plonk::circuit_data::CommonCircuitData;
use plonky2::plonk::proof::OpeningSet;
use std::ops::Range;

/// The quadratic extension of Goldilocks.
type Ext = QuadraticExtension<F>;
/// An assigned extension element.
type AExt = AssignedGoldilocksExt2;

/// plonky2's marker for "this gate's selector group does not hold the row".
const UNUSED_SELECTOR: usize = u32::MAX as usize;

/// Which selector polynomial each gate uses and which gates share it:
/// plonky2's `SelectorsInfo` (whose fields are crate-private), recomputed
/// the way plonky2's circuit builder groups the (degree-sorted) gates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectorGroups {
    /// The selector polynomial of each gate.
    pub indices: Vec<usize>,
    /// The gates of each selector polynomial.
    pub groups: Vec<Range<usize>>,
}

impl SelectorGroups {
    /// The grouping of `common`'s gates (plonky2's `selector_polynomials`
    /// with a maximum degree of `quotient_degree_factor + 1`).
    pub fn of_circuit(common: &CommonCircuitData<F, D>) -> Self {
        let degrees: Vec<usize> = common.gates.iter().map(|g| g.0.degree()).collect();
        let max_degree = common.quotient_degree_factor + 1;
        let n = degrees.len();
        let groups = if degrees.last().copied().unwrap_or(0) + n - 1 <= max_degree {
            // One selector polynomial for every gate.
            std::iter::once(0..n).collect()
        } else {
            let mut groups = Vec::new();
            let mut start = 0;
            while start < n {
                let mut size = 0;
                while start + size < n && size + degrees[start + size] < max_degree {
                    size += 1;
                }
                groups.push(start..start + size);
                start += size;
            }
            groups
        };
        let indices = (0..n)
            .map(|i| {
                groups
                    .iter()
                    .position(|g| g.contains(&i))
                    .expect("every gate is in a group")
            })
            .collect();
        Self { indices, groups }
    }
}

/// A proof's openings, loaded.
#[derive(Clone, Debug)]
pub struct AssignedOpenings {
    /// Constants (selectors first) at `zeta`.
    pub constants: Vec<AExt>,
    /// Permutation sigmas at `zeta`.
    pub plonk_sigmas: Vec<AExt>,
    /// Wires at `zeta`.
    pub wires: Vec<AExt>,
    /// Permutation `Z`s at `zeta`.
    pub plonk_zs: Vec<AExt>,
    /// Permutation `Z`s at `g·zeta`.
    pub plonk_zs_next: Vec<AExt>,
    /// Partial products at `zeta`.
    pub partial_products: Vec<AExt>,
    /// Quotient chunks at `zeta`.
    pub quotient_polys: Vec<AExt>,
}

impl AssignedOpenings {
    /// Loads `openings` as witnesses.
    pub fn load(ctx: &mut Context<Fr>, gl: &GoldilocksChip<'_>, openings: &OpeningSet<F, D>) -> Self {
        let mut load = |values: &[Ext]| values.iter().map(|&v| gl.load_ext_witness(ctx, v)).collect::<Vec<_>>();
        Self {
            constants: load(&openings.constants),
            plonk_sigmas: load(&openings.plonk_sigmas),
            wires: load(&openings.wires),
            plonk_zs: load(&openings.plonk_zs),
            plonk_zs_next: load(&openings.plonk_zs_next),
            partial_products: load(&openings.partial_products),
            quotient_polys: load(&openings.quotient_polys),
        }
    }

    /// The values per FRI batch, in [`super::fri::FriShape`]'s order.
    pub fn fri_batches(&self) -> Vec<Vec<AExt>> {
        let at_zeta = [
            self.constants.as_slice(),
            &self.plonk_sigmas,
            &self.wires,
            &self.plonk_zs,
            &self.partial_products,
            &self.quotient_polys,
        ]
        .concat();
        vec![at_zeta, self.plonk_zs_next.clone()]
    }
}

/// The PLONK challenges, from the transcript.
#[derive(Clone, Debug)]
pub struct AssignedPlonkChallenges {
    /// Permutation `beta`s, one per repetition.
    pub betas: Vec<AssignedGoldilocks>,
    /// Permutation `gamma`s.
    pub gammas: Vec<AssignedGoldilocks>,
    /// The constraint-combining `alpha`s.
    pub alphas: Vec<AssignedGoldilocks>,
    /// The evaluation point.
    pub zeta: AExt,
}

/// The identity check on the gate and Goldilocks chips.
#[derive(Clone, Debug)]
pub struct VanishingChip<'a> {
    gl: GoldilocksChip<'a>,
    gates: GateChip<'a>,
}

impl<'a> VanishingChip<'a> {
    /// A chip over `gl`.
    pub fn new(gl: GoldilocksChip<'a>) -> Self {
        Self {
            gates: GateChip::new(gl.clone()),
            gl,
        }
    }

    /// Constrains `vanishing_i(zeta) = Z_H(zeta) · Σ_j t_{i,j}(zeta)·zeta^(n·j)`
    /// for every challenge repetition `i`.
    pub fn check(
        &self,
        ctx: &mut Context<Fr>,
        common: &CommonCircuitData<F, D>,
        selectors: &SelectorGroups,
        openings: &AssignedOpenings,
        challenges: &AssignedPlonkChallenges,
        public_inputs_hash: &[AssignedGoldilocks; 4],
    ) -> Result<(), UnsupportedGate> {
        let gl = &self.gl;
        let zeta = challenges.zeta;
        let one = gl.load_ext_constant(ctx, Ext::ONE);
        let zeta_n = (0..common.degree_bits()).fold(zeta, |acc, _| gl.ext_mul(ctx, acc, acc));
        let z_h = gl.ext_sub(ctx, zeta_n, one);

        // L_0(zeta) · (Z(zeta) - 1) per repetition.
        let n = gl.load_constant(ctx, F::from_canonical_usize(common.degree()));
        let zeta_minus_one = gl.ext_sub(ctx, zeta, one);
        let l0_denominator = gl.ext_scalar_mul(ctx, n, zeta_minus_one);
        let l0 = gl.ext_div(ctx, z_h, l0_denominator);
        let mut terms: Vec<AExt> = openings
            .plonk_zs
            .iter()
            .map(|&z| {
                let z_minus_one = gl.ext_sub(ctx, z, one);
                gl.ext_mul(ctx, l0, z_minus_one)
            })
            .collect();

        // The permutation argument's partial products.
        let routed = common.config.num_routed_wires;
        let num_prods = common.num_partial_products;
        for i in 0..common.config.num_challenges {
            let (beta, gamma) = (challenges.betas[i], challenges.gammas[i]);
            let mut numerators = Vec::with_capacity(routed);
            let mut denominators = Vec::with_capacity(routed);
            for j in 0..routed {
                let wire = openings.wires[j];
                let k = gl.load_constant(ctx, common.k_is[j]);
                let k_beta = gl.mul(ctx, k, beta);
                let shifted_id = gl.ext_scalar_mul(ctx, k_beta, zeta);
                numerators.push(self.plus_wire_and_gamma(ctx, shifted_id, wire, gamma));
                let sigma = gl.ext_scalar_mul(ctx, beta, openings.plonk_sigmas[j]);
                denominators.push(self.plus_wire_and_gamma(ctx, sigma, wire, gamma));
            }
            let partials = &openings.partial_products[i * num_prods..(i + 1) * num_prods];
            let accumulators: Vec<AExt> = std::iter::once(openings.plonk_zs[i])
                .chain(partials.iter().copied())
                .chain(std::iter::once(openings.plonk_zs_next[i]))
                .collect();
            let chunk = common.quotient_degree_factor;
            for ((num_chunk, den_chunk), accs) in numerators
                .chunks(chunk)
                .zip(denominators.chunks(chunk))
                .zip(accumulators.windows(2))
            {
                let num_product = self.product(ctx, num_chunk);
                let den_product = self.product(ctx, den_chunk);
                let left = gl.ext_mul(ctx, accs[0], num_product);
                let right = gl.ext_mul(ctx, accs[1], den_product);
                terms.push(gl.ext_sub(ctx, left, right));
            }
        }

        terms.extend(self.gate_constraints(ctx, common, selectors, openings, public_inputs_hash)?);

        // Σ_k term_k · alpha^k per repetition, against Z_H · t.
        let chunk = common.quotient_degree_factor;
        for (i, &alpha) in challenges.alphas.iter().enumerate() {
            let mut powers = vec![gl.load_constant(ctx, F::ONE)];
            while powers.len() < terms.len() {
                let next = gl.mul(ctx, *powers.last().expect("non-empty"), alpha);
                powers.push(next);
            }
            let vanishing = gl.ext_base_inner_product(ctx, &powers, &terms);
            let quotient_chunks = &openings.quotient_polys[i * chunk..(i + 1) * chunk];
            let mut zeta_n_powers = vec![one];
            while zeta_n_powers.len() < chunk {
                let next = gl.ext_mul(ctx, *zeta_n_powers.last().expect("non-empty"), zeta_n);
                zeta_n_powers.push(next);
            }
            let quotient = gl.ext_inner_product(ctx, quotient_chunks, &zeta_n_powers);
            let expected = gl.ext_mul(ctx, z_h, quotient);
            gl.ext_assert_equal(ctx, vanishing, expected);
        }
        Ok(())
    }

    /// `base + wire + gamma`.
    fn plus_wire_and_gamma(&self, ctx: &mut Context<Fr>, base: AExt, wire: AExt, gamma: AssignedGoldilocks) -> AExt {
        let gl = &self.gl;
        let gamma = gl.ext_from_base(ctx, gamma);
        gl.ext_sum(ctx, &[base, wire, gamma])
    }

    fn product(&self, ctx: &mut Context<Fr>, values: &[AExt]) -> AExt {
        let first = values[0];
        values[1..].iter().fold(first, |acc, &v| self.gl.ext_mul(ctx, acc, v))
    }

    /// Every gate's constraints times its selector filter, summed position
    /// by position (plonky2's `evaluate_gate_constraints`).
    fn gate_constraints(
        &self,
        ctx: &mut Context<Fr>,
        common: &CommonCircuitData<F, D>,
        selectors: &SelectorGroups,
        openings: &AssignedOpenings,
        public_inputs_hash: &[AssignedGoldilocks; 4],
    ) -> Result<Vec<AExt>, UnsupportedGate> {
        let gl = &self.gl;
        let num_selectors = selectors.groups.len();
        let vars = GateVars {
            constants: &openings.constants[num_selectors + common.num_lookup_selectors..],
            wires: &openings.wires,
            public_inputs_hash,
        };
        let mut filtered: Vec<Vec<AExt>> = vec![Vec::new(); common.num_gate_constraints];
        for (row, gate) in common.gates.iter().enumerate() {
            let group = selectors.indices[row];
            let selector = openings.constants[group];
            let mut filter = gl.load_ext_constant(ctx, Ext::ONE);
            let others = selectors.groups[group].clone().filter(|&j| j != row);
            let unused = (num_selectors > 1).then_some(UNUSED_SELECTOR);
            for j in others.chain(unused) {
                let j = gl.load_ext_constant(ctx, Ext::from_canonical_usize(j));
                let factor = gl.ext_sub(ctx, j, selector);
                filter = gl.ext_mul(ctx, filter, factor);
            }
            for (k, c) in self.gates.eval_unfiltered(ctx, gate, &vars)?.into_iter().enumerate() {
                filtered[k].push(gl.ext_mul(ctx, filter, c));
            }
        }
        Ok(filtered
            .iter()
            .map(|parts| {
                if parts.is_empty() {
                    gl.load_ext_constant(ctx, Ext::ZERO)
                } else {
                    gl.ext_sum(ctx, parts)
                }
            })
            .collect())
    }
}
