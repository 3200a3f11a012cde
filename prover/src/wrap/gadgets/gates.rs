//! plonky2's gate constraints at the challenge point `zeta`, re-computed in
//! halo2: for each gate the wrap supports, the values of
//! `Gate::eval_unfiltered` (before the selector filter) from the opened
//! constants and wires, in plonky2's order, so that the vanishing-polynomial
//! check can combine them exactly as plonky2's verifier does.
//!
//! Wires and constants are extension elements (openings at `zeta`). Gates
//! that work on "extension algebra" elements (`D` wires, each an extension
//! element) multiply them in `F_{p^2}[Y]/(Y^2 - 7)`.
//!
//! Supported: the gates of plonky2's standard recursion configuration that
//! the final layer uses (no-op, constant, public input, base and extension
//! arithmetic, extension multiplication, binary base sum, the reducing
//! gates, random access, the Poseidon gate and the Poseidon MDS gate), and
//! the coset-interpolation gate that recursive verifiers of larger circuits
//! use for FRI folding. Any other gate is an
//! [`UnsupportedGate`] error naming it.

use super::goldilocks::{AssignedGoldilocks, AssignedGoldilocksExt2, GoldilocksChip};
use super::poseidon_goldilocks::{PoseidonGoldilocksChip, SboxSite};
use crate::wrap::final_layer::{D, F};
use halo2_base::Context;
use halo2_proofs::halo2curves::bn256::Fr;
use plonky2::field::extension::quadratic::QuadraticExtension;
use plonky2::field::extension::FieldExtension;
use plonky2::field::types::Field;
use plonky2::gates::arithmetic_base::ArithmeticGate;
use plonky2::gates::arithmetic_extension::ArithmeticExtensionGate;
use plonky2::gates::base_sum::BaseSumGate;
use plonky2::gates::constant::ConstantGate;
use plonky2::gates::coset_interpolation::CosetInterpolationGate;
use plonky2::gates::gate::{AnyGate, GateRef};
use plonky2::gates::multiplication_extension::MulExtensionGate;
use plonky2::gates::noop::NoopGate;
use plonky2::gates::poseidon::PoseidonGate;
use plonky2::gates::poseidon_mds::PoseidonMdsGate;
use plonky2::gates::public_input::PublicInputGate;
use plonky2::gates::random_access::RandomAccessGate;
use plonky2::gates::reducing::ReducingGate;
use plonky2::gates::reducing_extension::ReducingExtensionGate;
use plonky2::hash::poseidon::{Poseidon, HALF_N_FULL_ROUNDS, N_PARTIAL_ROUNDS, SPONGE_WIDTH};

/// The quadratic extension of Goldilocks.
type Ext = QuadraticExtension<F>;
/// An assigned extension element.
type AExt = AssignedGoldilocksExt2;
/// An element of the extension algebra: `D` extension coordinates.
type Algebra = [AExt; D];

/// A gate the wrap cannot evaluate.
#[derive(Debug, thiserror::Error)]
#[error("the wrap cannot evaluate plonky2 gate {0}")]
pub struct UnsupportedGate(pub String);

/// What a gate's constraints read at `zeta`.
#[derive(Clone, Copy, Debug)]
pub struct GateVars<'v> {
    /// The constant polynomials' openings (selectors excluded, as plonky2 passes them).
    pub constants: &'v [AExt],
    /// The wire polynomials' openings.
    pub wires: &'v [AExt],
    /// The hash of the proof's public inputs.
    pub public_inputs_hash: &'v [AssignedGoldilocks; 4],
}

impl GateVars<'_> {
    fn algebra(&self, start: usize) -> Algebra {
        [self.wires[start], self.wires[start + 1]]
    }
}

/// Gate evaluation on the Goldilocks chip.
#[derive(Clone, Debug)]
pub struct GateChip<'a> {
    gl: GoldilocksChip<'a>,
}

impl<'a> GateChip<'a> {
    /// A chip over `gl`.
    pub fn new(gl: GoldilocksChip<'a>) -> Self {
        Self { gl }
    }

    /// `gate.eval_unfiltered(vars)`, constraint by constraint.
    pub fn eval_unfiltered(
        &self,
        ctx: &mut Context<Fr>,
        gate: &GateRef<F, D>,
        vars: &GateVars<'_>,
    ) -> Result<Vec<AExt>, UnsupportedGate> {
        let any = AnyGate::as_any(gate.0.as_ref());
        if any.is::<NoopGate>() {
            return Ok(Vec::new());
        }
        if any.is::<ConstantGate>() {
            // Constant i sits in constant i and wire i.
            let n = gate.0.num_constraints();
            return Ok((0..n)
                .map(|i| self.gl.ext_sub(ctx, vars.constants[i], vars.wires[i]))
                .collect());
        }
        if any.is::<PublicInputGate>() {
            return Ok((0..4)
                .map(|i| {
                    let hash = self.gl.ext_from_base(ctx, vars.public_inputs_hash[i]);
                    self.gl.ext_sub(ctx, vars.wires[i], hash)
                })
                .collect());
        }
        if let Some(g) = any.downcast_ref::<ArithmeticGate>() {
            return Ok(self.arithmetic(ctx, g.num_ops, vars));
        }
        if let Some(g) = any.downcast_ref::<ArithmeticExtensionGate<D>>() {
            return Ok(self.arithmetic_extension(ctx, g.num_ops, vars, true));
        }
        if let Some(g) = any.downcast_ref::<MulExtensionGate<D>>() {
            return Ok(self.arithmetic_extension(ctx, g.num_ops, vars, false));
        }
        if let Some(g) = any.downcast_ref::<BaseSumGate<2>>() {
            return Ok(self.binary_base_sum(ctx, g.num_limbs, vars));
        }
        if let Some(g) = any.downcast_ref::<ReducingGate<D>>() {
            return Ok(self.reducing(ctx, g.num_coeffs, vars, false));
        }
        if let Some(g) = any.downcast_ref::<ReducingExtensionGate<D>>() {
            return Ok(self.reducing(ctx, g.num_coeffs, vars, true));
        }
        if let Some(g) = any.downcast_ref::<RandomAccessGate<F, D>>() {
            return Ok(self.random_access(ctx, g, vars));
        }
        if let Some(g) = any.downcast_ref::<CosetInterpolationGate<F, D>>() {
            return Ok(self.coset_interpolation(ctx, g, vars));
        }
        if any.is::<PoseidonMdsGate<F, D>>() {
            return Ok(self.poseidon_mds(ctx, vars));
        }
        if any.is::<PoseidonGate<F, D>>() {
            return Ok(self.poseidon(ctx, vars));
        }
        Err(UnsupportedGate(gate.0.id()))
    }

    fn constant(&self, ctx: &mut Context<Fr>, value: u64) -> AExt {
        self.gl.load_ext_constant(ctx, Ext::from_canonical_u64(value))
    }

    /// `output - (m0·m1·c0 + addend·c1)` per operation; wires `4i..4i+4`.
    fn arithmetic(&self, ctx: &mut Context<Fr>, num_ops: usize, vars: &GateVars<'_>) -> Vec<AExt> {
        let gl = &self.gl;
        let (c0, c1) = (vars.constants[0], vars.constants[1]);
        (0..num_ops)
            .map(|i| {
                let w = &vars.wires[4 * i..4 * i + 4];
                let product = gl.ext_mul(ctx, w[0], w[1]);
                let computed = gl.ext_inner_product(ctx, &[product, w[2]], &[c0, c1]);
                gl.ext_sub(ctx, w[3], computed)
            })
            .collect()
    }

    /// The extension-algebra version: `output - (m0·m1·c0 + addend·c1)`
    /// (`with_addend`, 4 algebra elements per operation) or `output - m0·m1·c0`
    /// (3 per operation), each constraint split into its `D` coordinates.
    fn arithmetic_extension(
        &self,
        ctx: &mut Context<Fr>,
        num_ops: usize,
        vars: &GateVars<'_>,
        with_addend: bool,
    ) -> Vec<AExt> {
        let gl = &self.gl;
        let (c0, c1) = (vars.constants[0], vars.constants[1]);
        let per_op = if with_addend { 4 } else { 3 };
        let mut constraints = Vec::with_capacity(num_ops * D);
        for i in 0..num_ops {
            let base = per_op * D * i;
            let m0 = vars.algebra(base);
            let m1 = vars.algebra(base + D);
            let output = vars.algebra(base + (per_op - 1) * D);
            let product = self.algebra_mul(ctx, m0, m1);
            for k in 0..D {
                let computed = if with_addend {
                    let addend = vars.wires[base + 2 * D + k];
                    gl.ext_inner_product(ctx, &[product[k], addend], &[c0, c1])
                } else {
                    gl.ext_mul(ctx, product[k], c0)
                };
                constraints.push(gl.ext_sub(ctx, output[k], computed));
            }
        }
        constraints
    }

    /// `Σ limb_i·2^i - sum`, then `limb·(limb - 1)` per limb; wire 0 is the
    /// sum, the limbs follow.
    fn binary_base_sum(&self, ctx: &mut Context<Fr>, num_limbs: usize, vars: &GateVars<'_>) -> Vec<AExt> {
        let gl = &self.gl;
        let limbs = &vars.wires[1..1 + num_limbs];
        let powers: Vec<AssignedGoldilocks> = (0..num_limbs)
            .map(|i| gl.load_constant(ctx, F::TWO.exp_u64(i as u64)))
            .collect();
        let computed = gl.ext_base_inner_product(ctx, &powers, limbs);
        let mut constraints = vec![gl.ext_sub(ctx, computed, vars.wires[0])];
        let one = self.constant(ctx, 1);
        for &limb in limbs {
            let minus_one = gl.ext_sub(ctx, limb, one);
            constraints.push(gl.ext_mul(ctx, limb, minus_one));
        }
        constraints
    }

    /// `acc·alpha + coeff - acc'` per coefficient, in the algebra. Wires:
    /// output (the last accumulator), alpha, the old accumulator, the
    /// coefficients (one wire each, or `D` when `extension_coeffs`), then the
    /// intermediate accumulators.
    fn reducing(
        &self,
        ctx: &mut Context<Fr>,
        num_coeffs: usize,
        vars: &GateVars<'_>,
        extension_coeffs: bool,
    ) -> Vec<AExt> {
        let gl = &self.gl;
        let start_coeffs = 3 * D;
        let coeff_width = if extension_coeffs { D } else { 1 };
        let start_accs = start_coeffs + num_coeffs * coeff_width;
        let alpha = vars.algebra(D);
        let zero = self.constant(ctx, 0);
        let mut acc = vars.algebra(2 * D);
        let mut constraints = Vec::with_capacity(num_coeffs * D);
        for i in 0..num_coeffs {
            let coeff: Algebra = if extension_coeffs {
                vars.algebra(start_coeffs + i * D)
            } else {
                [vars.wires[start_coeffs + i], zero]
            };
            let next = if i == num_coeffs - 1 {
                vars.algebra(0)
            } else {
                vars.algebra(start_accs + D * i)
            };
            let scaled = self.algebra_mul(ctx, acc, alpha);
            for k in 0..D {
                let sum = gl.ext_add(ctx, scaled[k], coeff[k]);
                constraints.push(gl.ext_sub(ctx, sum, next[k]));
            }
            acc = next;
        }
        constraints
    }

    /// Per copy: each index bit is boolean, the bits recompose the index, and
    /// folding the list by the bits gives the claimed element; then each
    /// extra constant equals its wire.
    fn random_access(&self, ctx: &mut Context<Fr>, gate: &RandomAccessGate<F, D>, vars: &GateVars<'_>) -> Vec<AExt> {
        let gl = &self.gl;
        let vec_size = 1usize << gate.bits;
        let routed = (2 + vec_size) * gate.num_copies + gate.num_extra_constants;
        let one = self.constant(ctx, 1);
        let mut constraints = Vec::new();
        for copy in 0..gate.num_copies {
            let start = (2 + vec_size) * copy;
            let (index, claimed) = (vars.wires[start], vars.wires[start + 1]);
            let mut items: Vec<AExt> = vars.wires[start + 2..start + 2 + vec_size].to_vec();
            let bits: Vec<AExt> = (0..gate.bits)
                .map(|i| vars.wires[routed + copy * gate.bits + i])
                .collect();
            for &b in &bits {
                let minus_one = gl.ext_sub(ctx, b, one);
                constraints.push(gl.ext_mul(ctx, b, minus_one));
            }
            let powers: Vec<AssignedGoldilocks> = (0..gate.bits)
                .map(|i| gl.load_constant(ctx, F::TWO.exp_u64(i as u64)))
                .collect();
            let recomposed = gl.ext_base_inner_product(ctx, &powers, &bits);
            constraints.push(gl.ext_sub(ctx, recomposed, index));
            for b in bits {
                items = items
                    .chunks(2)
                    .map(|pair| {
                        let diff = gl.ext_sub(ctx, pair[1], pair[0]);
                        let step = gl.ext_mul(ctx, b, diff);
                        gl.ext_add(ctx, pair[0], step)
                    })
                    .collect();
            }
            constraints.push(gl.ext_sub(ctx, items[0], claimed));
        }
        let extra_start = (2 + vec_size) * gate.num_copies;
        for i in 0..gate.num_extra_constants {
            constraints.push(gl.ext_sub(ctx, vars.constants[i], vars.wires[extra_start + i]));
        }
        constraints
    }

    /// `output_r - (Σ_i circ_i·input_{(i+r) mod 12} + diag_r·input_r)` in the
    /// algebra; inputs are algebra elements `0..12`, outputs `12..24`.
    fn poseidon_mds(&self, ctx: &mut Context<Fr>, vars: &GateVars<'_>) -> Vec<AExt> {
        let gl = &self.gl;
        let inputs: Vec<Algebra> = (0..SPONGE_WIDTH).map(|i| vars.algebra(i * D)).collect();
        let mut constraints = Vec::with_capacity(SPONGE_WIDTH * D);
        for r in 0..SPONGE_WIDTH {
            let mut coeffs: Vec<AssignedGoldilocks> = (0..SPONGE_WIDTH)
                .map(|i| gl.load_constant(ctx, F::from_canonical_u64(<F as Poseidon>::MDS_MATRIX_CIRC[i])))
                .collect();
            coeffs.push(gl.load_constant(ctx, F::from_canonical_u64(<F as Poseidon>::MDS_MATRIX_DIAG[r])));
            let output = vars.algebra((SPONGE_WIDTH + r) * D);
            for k in 0..D {
                let mut column: Vec<AExt> = (0..SPONGE_WIDTH).map(|i| inputs[(i + r) % SPONGE_WIDTH][k]).collect();
                column.push(inputs[r][k]);
                let computed = gl.ext_base_inner_product(ctx, &coeffs, &column);
                constraints.push(gl.ext_sub(ctx, output[k], computed));
            }
        }
        constraints
    }

    /// plonky2's `PoseidonGate`: the swap bit is boolean, the four deltas
    /// are `swap·(rhs - lhs)`, and the permutation matches every S-box input
    /// wire and the outputs. Wires: inputs `0..12`, outputs `12..24`, swap
    /// 24, deltas `25..29`, then the S-box inputs of full rounds 1-3, the 22
    /// partial rounds and the last 4 full rounds.
    fn poseidon(&self, ctx: &mut Context<Fr>, vars: &GateVars<'_>) -> Vec<AExt> {
        let gl = &self.gl;
        let w = SPONGE_WIDTH;
        let (swap_wire, start_delta) = (2 * w, 2 * w + 1);
        let start_full_0 = start_delta + 4;
        let start_partial = start_full_0 + w * (HALF_N_FULL_ROUNDS - 1);
        let start_full_1 = start_partial + N_PARTIAL_ROUNDS;
        let mut constraints = Vec::new();

        let one = self.constant(ctx, 1);
        let swap = vars.wires[swap_wire];
        let swap_minus_one = gl.ext_sub(ctx, swap, one);
        constraints.push(gl.ext_mul(ctx, swap, swap_minus_one));
        let mut state: [AExt; SPONGE_WIDTH] = std::array::from_fn(|i| vars.wires[i]);
        for i in 0..4 {
            let (lhs, rhs, delta) = (vars.wires[i], vars.wires[i + 4], vars.wires[start_delta + i]);
            let diff = gl.ext_sub(ctx, rhs, lhs);
            let expected = gl.ext_mul(ctx, swap, diff);
            constraints.push(gl.ext_sub(ctx, expected, delta));
            state[i] = gl.ext_add(ctx, lhs, delta);
            state[i + 4] = gl.ext_sub(ctx, rhs, delta);
        }
        let poseidon = PoseidonGoldilocksChip::new(gl.clone());
        let output = poseidon.rounds(ctx, state, &mut |ctx, site, value| {
            let wire = match site {
                SboxSite::FirstFull { round, lane } => start_full_0 + w * (round - 1) + lane,
                SboxSite::Partial { round } => start_partial + round,
                SboxSite::SecondFull { round, lane } => start_full_1 + w * round + lane,
            };
            let sbox_in = vars.wires[wire];
            constraints.push(gl.ext_sub(ctx, value, sbox_in));
            sbox_in
        });
        for (i, s) in output.iter().enumerate() {
            constraints.push(gl.ext_sub(ctx, *s, vars.wires[w + i]));
        }
        constraints
    }

    /// plonky2's `CosetInterpolationGate`: the evaluation point is the shift
    /// times the shifted point, and the barycentric interpolation of the
    /// values over the subgroup at the shifted point, accumulated `degree`
    /// points at a time through the intermediate (value, product) wires,
    /// ends at the claimed value. Wires: shift, the values (algebra), the
    /// evaluation point, the evaluation value, the intermediate values, the
    /// intermediate products, the shifted point.
    fn coset_interpolation(
        &self,
        ctx: &mut Context<Fr>,
        gate: &CosetInterpolationGate<F, D>,
        vars: &GateVars<'_>,
    ) -> Vec<AExt> {
        let gl = &self.gl;
        let points = 1usize << gate.subgroup_bits;
        let start_values = 1;
        let start_point = start_values + points * D;
        let start_value = start_point + D;
        let start_intermediates = start_value + D;
        let intermediates = (points - 2) / (gate.degree - 1);
        let start_shifted = start_intermediates + D * 2 * intermediates;
        let mut constraints = Vec::new();

        let shift = vars.wires[0];
        let point = vars.algebra(start_point);
        let shifted = vars.algebra(start_shifted);
        let scaled = [gl.ext_mul(ctx, shifted[0], shift), gl.ext_mul(ctx, shifted[1], shift)];
        constraints.extend(self.algebra_sub(ctx, point, scaled));

        let domain = F::two_adic_subgroup(gate.subgroup_bits);
        let values: Vec<Algebra> = (0..points).map(|i| vars.algebra(start_values + i * D)).collect();
        let zero = self.constant(ctx, 0);
        let one = self.constant(ctx, 1);
        let mut acc = ([zero, zero], [one, zero]);
        let mut range = 0..gate.degree;
        for i in 0..=intermediates {
            acc = self.partial_interpolate(
                ctx,
                &domain[range.clone()],
                &values[range.clone()],
                &gate.barycentric_weights[range],
                shifted,
                acc,
            );
            if i == intermediates {
                break;
            }
            let eval = vars.algebra(start_intermediates + D * i);
            let prod = vars.algebra(start_intermediates + D * (intermediates + i));
            constraints.extend(self.algebra_sub(ctx, eval, acc.0));
            constraints.extend(self.algebra_sub(ctx, prod, acc.1));
            acc = (eval, prod);
            let start = 1 + (gate.degree - 1) * (i + 1);
            range = start..(start + gate.degree - 1).min(points);
        }
        let value = vars.algebra(start_value);
        constraints.extend(self.algebra_sub(ctx, value, acc.0));
        constraints
    }

    /// `a - b` in the algebra.
    fn algebra_sub(&self, ctx: &mut Context<Fr>, a: Algebra, b: Algebra) -> Algebra {
        [self.gl.ext_sub(ctx, a[0], b[0]), self.gl.ext_sub(ctx, a[1], b[1])]
    }

    /// plonky2's `partial_interpolate_ext_algebra`: from `(eval, prod)`, for
    /// each point `x_i` with value `v_i` and weight `w_i`:
    /// `eval <- eval·(x - x_i) + w_i·v_i·prod`, `prod <- prod·(x - x_i)`.
    fn partial_interpolate(
        &self,
        ctx: &mut Context<Fr>,
        domain: &[F],
        values: &[Algebra],
        weights: &[F],
        x: Algebra,
        (mut eval, mut prod): (Algebra, Algebra),
    ) -> (Algebra, Algebra) {
        let gl = &self.gl;
        for ((&x_i, value), &w_i) in domain.iter().zip(values).zip(weights) {
            let x_i = gl.load_ext_constant(ctx, <Ext as FieldExtension<D>>::from_basefield(x_i));
            let term = [gl.ext_sub(ctx, x[0], x_i), x[1]];
            let w_i = gl.load_constant(ctx, w_i);
            let weighted = [
                gl.ext_scalar_mul(ctx, w_i, value[0]),
                gl.ext_scalar_mul(ctx, w_i, value[1]),
            ];
            let scaled_eval = self.algebra_mul(ctx, eval, term);
            let added = self.algebra_mul(ctx, weighted, prod);
            eval = [
                gl.ext_add(ctx, scaled_eval[0], added[0]),
                gl.ext_add(ctx, scaled_eval[1], added[1]),
            ];
            prod = self.algebra_mul(ctx, prod, term);
        }
        (eval, prod)
    }

    /// `a·b` in the algebra: `(a0·b0 + 7·a1·b1) + (a0·b1 + a1·b0)·Y`.
    fn algebra_mul(&self, ctx: &mut Context<Fr>, a: Algebra, b: Algebra) -> Algebra {
        let gl = &self.gl;
        let w = gl.load_constant(ctx, F::from_canonical_u64(super::goldilocks::W));
        let w_b1 = gl.ext_scalar_mul(ctx, w, b[1]);
        [
            gl.ext_inner_product(ctx, &a, &[b[0], w_b1]),
            gl.ext_inner_product(ctx, &a, &[b[1], b[0]]),
        ]
    }
}
