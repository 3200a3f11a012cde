//! Goldilocks (`p = 2^64 - 2^32 + 1`) and its quadratic extension
//! `F_p[X]/(X^2 - 7)` (plonky2's `QuadraticExtension`) emulated in BN254 `Fr`.
//!
//! An [`AssignedGoldilocks`] is an `Fr` cell whose value is constrained to be
//! a canonical Goldilocks element (`< p`). Operations compute the exact
//! integer result in `Fr` (it never wraps: every intermediate is below
//! `2^132`), then reduce it: the chip witnesses `q = ⌊x / p⌋` and
//! `r = x mod p`, range-checks `q` to the bits the operation can produce
//! (minus 63, since `p > 2^63`) and `r < p`, and constrains `x = q·p + r`.
//! Since `q·p + r < 2^133` is far below the BN254 modulus, the equation holds
//! over the integers, so `r` is the unique canonical remainder.

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::utils::{biguint_to_fe, fe_to_biguint};
use halo2_base::{AssignedValue, Context, QuantumCell::Constant};
use halo2_proofs::halo2curves::bn256::Fr;
use plonky2::field::extension::quadratic::QuadraticExtension;
use plonky2::field::extension::FieldExtension;
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::field::types::{Field, Field64, PrimeField64};

/// The Goldilocks modulus.
pub const P: u64 = GoldilocksField::ORDER;
/// The quadratic non-residue `W` of the extension (`X^2 = W`).
pub const W: u64 = 7;
/// Bits of a canonical Goldilocks value.
const GL_BITS: usize = 64;
/// `p > 2^63`: the quotient of an `n`-bit value by `p` has at most `n - 63` bits.
const P_LOG_FLOOR: usize = 63;

/// An `Fr` cell constrained to hold a canonical Goldilocks element.
#[derive(Copy, Clone, Debug)]
pub struct AssignedGoldilocks(AssignedValue<Fr>);

impl AssignedGoldilocks {
    /// The underlying cell.
    pub fn cell(&self) -> AssignedValue<Fr> {
        self.0
    }

    /// The value (for witness generation).
    pub fn value(&self) -> GoldilocksField {
        let v = fe_to_biguint(self.0.value());
        GoldilocksField::from_canonical_u64(v.try_into().expect("a canonical Goldilocks cell fits in u64"))
    }
}

/// An element `c0 + c1·X` of the quadratic extension.
#[derive(Copy, Clone, Debug)]
pub struct AssignedGoldilocksExt2(pub [AssignedGoldilocks; 2]);

impl AssignedGoldilocksExt2 {
    /// The value (for witness generation).
    pub fn value(&self) -> QuadraticExtension<GoldilocksField> {
        QuadraticExtension::from_basefield_array([self.0[0].value(), self.0[1].value()])
    }
}

/// Goldilocks arithmetic on a halo2-base [`RangeChip`] (its lookup table does
/// the range checks).
#[derive(Clone, Debug)]
pub struct GoldilocksChip<'a> {
    range: &'a RangeChip<Fr>,
}

impl<'a> GoldilocksChip<'a> {
    /// A chip over `range`.
    pub fn new(range: &'a RangeChip<Fr>) -> Self {
        Self { range }
    }

    /// The range chip.
    pub fn range(&self) -> &'a RangeChip<Fr> {
        self.range
    }

    /// Constrains an assigned value to be below `p` and returns it as a Goldilocks cell.
    pub fn assert_canonical(&self, ctx: &mut Context<Fr>, x: AssignedValue<Fr>) -> AssignedGoldilocks {
        self.range.check_less_than_safe(ctx, x, P);
        AssignedGoldilocks(x)
    }

    /// A witness element.
    pub fn load_witness(&self, ctx: &mut Context<Fr>, value: GoldilocksField) -> AssignedGoldilocks {
        let x = ctx.load_witness(Fr::from(value.to_canonical_u64()));
        self.assert_canonical(ctx, x)
    }

    /// A constant element (fixed in the circuit, no range check needed).
    pub fn load_constant(&self, ctx: &mut Context<Fr>, value: GoldilocksField) -> AssignedGoldilocks {
        AssignedGoldilocks(ctx.load_constant(Fr::from(value.to_canonical_u64())))
    }

    /// Reduces `x`, whose integer value is known to be below `2^x_bits`, mod `p`.
    pub fn reduce(&self, ctx: &mut Context<Fr>, x: AssignedValue<Fr>, x_bits: usize) -> AssignedGoldilocks {
        let value = fe_to_biguint(x.value());
        let (q, r) = (&value / P, &value % P);
        self.reduce_with_witness(ctx, x, x_bits, biguint_to_fe(&q), biguint_to_fe(&r))
    }

    /// [`reduce`](Self::reduce) with the prover's claimed quotient and
    /// remainder: the constraints accept only `q = ⌊x / p⌋`, `r = x mod p`.
    pub fn reduce_with_witness(
        &self,
        ctx: &mut Context<Fr>,
        x: AssignedValue<Fr>,
        x_bits: usize,
        q: Fr,
        r: Fr,
    ) -> AssignedGoldilocks {
        let q = ctx.load_witness(q);
        let r = ctx.load_witness(r);
        self.range
            .range_check(ctx, q, x_bits.saturating_sub(P_LOG_FLOOR).max(1));
        let r = self.assert_canonical(ctx, r);
        let recomposed = self.range.gate().mul_add(ctx, q, Constant(Fr::from(P)), r.0);
        ctx.constrain_equal(&recomposed, &x);
        r
    }

    /// `a + b mod p`.
    pub fn add(&self, ctx: &mut Context<Fr>, a: AssignedGoldilocks, b: AssignedGoldilocks) -> AssignedGoldilocks {
        let s = self.range.gate().add(ctx, a.0, b.0);
        self.reduce(ctx, s, GL_BITS + 1)
    }

    /// `a - b mod p` (computed as `a + p - b`).
    pub fn sub(&self, ctx: &mut Context<Fr>, a: AssignedGoldilocks, b: AssignedGoldilocks) -> AssignedGoldilocks {
        let gate = self.range.gate();
        let a_plus_p = gate.add(ctx, a.0, Constant(Fr::from(P)));
        let d = gate.sub(ctx, a_plus_p, b.0);
        self.reduce(ctx, d, GL_BITS + 1)
    }

    /// `-a mod p`.
    pub fn neg(&self, ctx: &mut Context<Fr>, a: AssignedGoldilocks) -> AssignedGoldilocks {
        let zero = self.load_constant(ctx, GoldilocksField::ZERO);
        self.sub(ctx, zero, a)
    }

    /// `a·b mod p`.
    pub fn mul(&self, ctx: &mut Context<Fr>, a: AssignedGoldilocks, b: AssignedGoldilocks) -> AssignedGoldilocks {
        let m = self.range.gate().mul(ctx, a.0, b.0);
        self.reduce(ctx, m, 2 * GL_BITS)
    }

    /// `a·b + c mod p`.
    pub fn mul_add(
        &self,
        ctx: &mut Context<Fr>,
        a: AssignedGoldilocks,
        b: AssignedGoldilocks,
        c: AssignedGoldilocks,
    ) -> AssignedGoldilocks {
        let m = self.range.gate().mul_add(ctx, a.0, b.0, c.0);
        self.reduce(ctx, m, 2 * GL_BITS + 1)
    }

    /// Constrains `a = b`.
    pub fn assert_equal(&self, ctx: &mut Context<Fr>, a: AssignedGoldilocks, b: AssignedGoldilocks) {
        ctx.constrain_equal(&a.0, &b.0);
    }

    /// A witness extension element.
    pub fn load_ext_witness(
        &self,
        ctx: &mut Context<Fr>,
        value: QuadraticExtension<GoldilocksField>,
    ) -> AssignedGoldilocksExt2 {
        let [c0, c1] = value.to_basefield_array();
        AssignedGoldilocksExt2([self.load_witness(ctx, c0), self.load_witness(ctx, c1)])
    }

    /// A constant extension element.
    pub fn load_ext_constant(
        &self,
        ctx: &mut Context<Fr>,
        value: QuadraticExtension<GoldilocksField>,
    ) -> AssignedGoldilocksExt2 {
        let [c0, c1] = value.to_basefield_array();
        AssignedGoldilocksExt2([self.load_constant(ctx, c0), self.load_constant(ctx, c1)])
    }

    /// `a + b` in the extension.
    pub fn ext_add(
        &self,
        ctx: &mut Context<Fr>,
        a: AssignedGoldilocksExt2,
        b: AssignedGoldilocksExt2,
    ) -> AssignedGoldilocksExt2 {
        AssignedGoldilocksExt2([self.add(ctx, a.0[0], b.0[0]), self.add(ctx, a.0[1], b.0[1])])
    }

    /// `a - b` in the extension.
    pub fn ext_sub(
        &self,
        ctx: &mut Context<Fr>,
        a: AssignedGoldilocksExt2,
        b: AssignedGoldilocksExt2,
    ) -> AssignedGoldilocksExt2 {
        AssignedGoldilocksExt2([self.sub(ctx, a.0[0], b.0[0]), self.sub(ctx, a.0[1], b.0[1])])
    }

    /// `s·a` for a base-field scalar `s`.
    pub fn ext_scalar_mul(
        &self,
        ctx: &mut Context<Fr>,
        s: AssignedGoldilocks,
        a: AssignedGoldilocksExt2,
    ) -> AssignedGoldilocksExt2 {
        AssignedGoldilocksExt2([self.mul(ctx, s, a.0[0]), self.mul(ctx, s, a.0[1])])
    }

    /// `a·b` in the extension: `(a0·b0 + W·a1·b1) + (a0·b1 + a1·b0)·X`, each
    /// coordinate computed exactly in `Fr` and reduced once.
    pub fn ext_mul(
        &self,
        ctx: &mut Context<Fr>,
        a: AssignedGoldilocksExt2,
        b: AssignedGoldilocksExt2,
    ) -> AssignedGoldilocksExt2 {
        let gate = self.range.gate();
        let [a0, a1] = a.0.map(|x| x.0);
        let [b0, b1] = b.0.map(|x| x.0);
        let a1_w = gate.mul(ctx, a1, Constant(Fr::from(W)));
        let c0 = gate.inner_product(ctx, [a0, a1_w], [b0, b1].map(Into::into));
        let c1 = gate.inner_product(ctx, [a0, a1], [b1, b0].map(Into::into));
        // c0 < p^2 + 7·p^2 < 2^131, c1 < 2·p^2 < 2^129.
        AssignedGoldilocksExt2([
            self.reduce(ctx, c0, 2 * GL_BITS + 3),
            self.reduce(ctx, c1, 2 * GL_BITS + 1),
        ])
    }

    /// Constrains `a = b` in the extension.
    pub fn ext_assert_equal(&self, ctx: &mut Context<Fr>, a: AssignedGoldilocksExt2, b: AssignedGoldilocksExt2) {
        self.assert_equal(ctx, a.0[0], b.0[0]);
        self.assert_equal(ctx, a.0[1], b.0[1]);
    }

    /// `a` if `bit` (a cell constrained to 0 or 1) is one, else `b`: one of
    /// two canonical values, so canonical.
    pub fn select(
        &self,
        ctx: &mut Context<Fr>,
        bit: AssignedValue<Fr>,
        a: AssignedGoldilocks,
        b: AssignedGoldilocks,
    ) -> AssignedGoldilocks {
        AssignedGoldilocks(self.range.gate().select(ctx, a.0, b.0, bit))
    }

    /// `1 / a`: the prover's inverse, constrained by `a · inv = 1` (so no
    /// assignment satisfies the circuit when `a = 0`).
    pub fn inv(&self, ctx: &mut Context<Fr>, a: AssignedGoldilocks) -> AssignedGoldilocks {
        let inverse = self.load_witness(ctx, a.value().try_inverse().unwrap_or(GoldilocksField::ZERO));
        let product = self.mul(ctx, a, inverse);
        let one = self.load_constant(ctx, GoldilocksField::ONE);
        self.assert_equal(ctx, product, one);
        inverse
    }

    /// A base element as an extension element (`a + 0·X`).
    pub fn ext_from_base(&self, ctx: &mut Context<Fr>, a: AssignedGoldilocks) -> AssignedGoldilocksExt2 {
        let zero = self.load_constant(ctx, GoldilocksField::ZERO);
        AssignedGoldilocksExt2([a, zero])
    }

    /// `a / b` in the extension: the prover's quotient, constrained by
    /// `q · b = a` (unsatisfiable when `b = 0` and `a ≠ 0`).
    pub fn ext_div(
        &self,
        ctx: &mut Context<Fr>,
        a: AssignedGoldilocksExt2,
        b: AssignedGoldilocksExt2,
    ) -> AssignedGoldilocksExt2 {
        let quotient = b
            .value()
            .try_inverse()
            .map_or(QuadraticExtension::ZERO, |inv| a.value() * inv);
        let q = self.load_ext_witness(ctx, quotient);
        let product = self.ext_mul(ctx, q, b);
        self.ext_assert_equal(ctx, product, a);
        q
    }

    /// `Σ a_i` in the extension, reduced once.
    pub fn ext_sum(&self, ctx: &mut Context<Fr>, terms: &[AssignedGoldilocksExt2]) -> AssignedGoldilocksExt2 {
        let gate = self.range.gate();
        let bits = GL_BITS + bits_for(terms.len());
        AssignedGoldilocksExt2([0, 1].map(|c| {
            let sum = gate.sum(ctx, terms.iter().map(|t| t.0[c].0));
            self.reduce(ctx, sum, bits)
        }))
    }

    /// `Σ s_i · a_i` for base scalars `s_i`, computed exactly and reduced once.
    pub fn ext_base_inner_product(
        &self,
        ctx: &mut Context<Fr>,
        scalars: &[AssignedGoldilocks],
        a: &[AssignedGoldilocksExt2],
    ) -> AssignedGoldilocksExt2 {
        assert_eq!(scalars.len(), a.len(), "inner product of unequal lengths");
        let gate = self.range.gate();
        let bits = 2 * GL_BITS + bits_for(a.len());
        AssignedGoldilocksExt2([0, 1].map(|c| {
            let sum = gate.inner_product(ctx, scalars.iter().map(|s| s.0), a.iter().map(|x| x.0[c].0.into()));
            self.reduce(ctx, sum, bits)
        }))
    }

    /// `Σ a_i · b_i` in the extension, computed exactly and reduced once per coordinate.
    pub fn ext_inner_product(
        &self,
        ctx: &mut Context<Fr>,
        a: &[AssignedGoldilocksExt2],
        b: &[AssignedGoldilocksExt2],
    ) -> AssignedGoldilocksExt2 {
        assert_eq!(a.len(), b.len(), "inner product of unequal lengths");
        let gate = self.range.gate();
        let mut c0_left = Vec::with_capacity(2 * a.len());
        let mut c0_right = Vec::with_capacity(2 * a.len());
        let mut c1_left = Vec::with_capacity(2 * a.len());
        let mut c1_right = Vec::with_capacity(2 * a.len());
        for (x, y) in a.iter().zip(b) {
            let [x0, x1] = x.0.map(|v| v.0);
            let [y0, y1] = y.0.map(|v| v.0);
            let x1_w = gate.mul(ctx, x1, Constant(Fr::from(W)));
            c0_left.extend([x0, x1_w]);
            c0_right.extend([y0, y1]);
            c1_left.extend([x0, x1]);
            c1_right.extend([y1, y0]);
        }
        let c0 = gate.inner_product(ctx, c0_left, c0_right.into_iter().map(Into::into));
        let c1 = gate.inner_product(ctx, c1_left, c1_right.into_iter().map(Into::into));
        // Each term of c0 is below 8·p^2 < 2^131, of c1 below 2·p^2 < 2^129.
        let n = bits_for(a.len());
        AssignedGoldilocksExt2([
            self.reduce(ctx, c0, 2 * GL_BITS + 3 + n),
            self.reduce(ctx, c1, 2 * GL_BITS + 1 + n),
        ])
    }

    /// `values[i]` where `indicator` is the one-hot vector of `i` (from
    /// `bits_to_indicator`): one of canonical values, so canonical.
    pub fn ext_select_by_indicator(
        &self,
        ctx: &mut Context<Fr>,
        values: &[AssignedGoldilocksExt2],
        indicator: &[AssignedValue<Fr>],
    ) -> AssignedGoldilocksExt2 {
        let gate = self.range.gate();
        AssignedGoldilocksExt2([0, 1].map(|c| {
            AssignedGoldilocks(gate.select_by_indicator(
                ctx,
                values.iter().map(|v| v.0[c].0),
                indicator.iter().copied(),
            ))
        }))
    }
}

/// Bits needed to count to `n` (so a sum of `n` values below `2^b` is below `2^(b + bits_for(n))`).
fn bits_for(n: usize) -> usize {
    (usize::BITS - n.leading_zeros()) as usize
}
