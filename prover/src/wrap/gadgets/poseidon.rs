//! The Poseidon-BN254 permutation and the plonky2 hasher built on it
//! ([`crate::wrap::poseidon_bn254`]) as halo2-base gadgets, bit for bit.
//!
//! The permutation follows the native code's optimised schedule (Poseidon
//! paper, appendix B; [`spec`]): each S-box is `x^5 + c` in three gates, a
//! full round's linear layer is three inner products, and a partial round's
//! sparse matrix is one inner product and two multiply-adds: about 2,200
//! advice cells per permutation. Unpacking an `Fr` into Goldilocks elements decomposes it into
//! four 64-bit limbs (range-checked, the top one to 62 bits), proves the
//! decomposition canonical (the limbs spell an integer `<= r - 1`, by a
//! borrow chain subtracting them from `r - 1` limb by limb), and reduces the
//! three low limbs mod `p`.

use super::goldilocks::{AssignedGoldilocks, GoldilocksChip};
use crate::wrap::poseidon_bn254::{
    limbs as native_limbs, spec, CHUNK_GL, GL_PER_FR, TWO_TO_ONE_CAPACITY, WIDTH_FR, WIDTH_GL,
};
use halo2_base::gates::{GateInstructions, RangeInstructions};
use halo2_base::{AssignedValue, Context, QuantumCell::Constant};
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::{Field, PrimeField};

/// Bits of a limb.
const LIMB_BITS: usize = 64;
/// Bits of the top limb of a canonical `Fr` (the modulus is below `2^254`).
const TOP_LIMB_BITS: usize = 62;

/// `2^(64·i)` for the four limbs.
fn limb_shifts() -> [Fr; 4] {
    std::array::from_fn(|i| Fr::from(2).pow_vartime([(LIMB_BITS * i) as u64]))
}

/// An `Fr` cell holding a digest of the BN254 hasher.
pub type AssignedDigest = AssignedValue<Fr>;

/// The Poseidon-BN254 gadgets, on top of a [`GoldilocksChip`].
#[derive(Clone, Debug)]
pub struct PoseidonBn254Chip<'a> {
    gl: GoldilocksChip<'a>,
}

impl<'a> PoseidonBn254Chip<'a> {
    /// A chip over `gl` (whose range chip also serves the limb checks).
    pub fn new(gl: GoldilocksChip<'a>) -> Self {
        Self { gl }
    }

    /// The Goldilocks chip.
    pub fn goldilocks(&self) -> &GoldilocksChip<'a> {
        &self.gl
    }

    /// The permutation over `Fr^3`, in the same optimised schedule as the
    /// native [`permute_fr`](crate::wrap::poseidon_bn254::permute_fr).
    pub fn permute(
        &self,
        ctx: &mut Context<Fr>,
        state: [AssignedValue<Fr>; WIDTH_FR],
    ) -> [AssignedValue<Fr>; WIDTH_FR] {
        let gate = self.gl.range().gate();
        let spec = spec();
        let constants = spec.constants();
        let matrices = spec.mds_matrices();
        let mds = matrices.mds().as_ref();
        let start = constants.start();
        let mut s: [AssignedValue<Fr>; WIDTH_FR] =
            std::array::from_fn(|i| gate.add(ctx, state[i], Constant(start[0][i])));
        for (round, c) in start[1..].iter().enumerate() {
            s = std::array::from_fn(|i| self.sbox_plus(ctx, s[i], c[i]));
            let m = if round + 2 == start.len() {
                matrices.pre_sparse_mds().as_ref()
            } else {
                mds
            };
            s = self.mds_mul(ctx, m, s);
        }
        for (c, sparse) in constants.partial().iter().zip(matrices.sparse_matrices()) {
            let s0 = self.sbox_plus(ctx, s[0], *c);
            let first = gate.inner_product(ctx, [s0, s[1], s[2]], sparse.row().map(Constant));
            let col_hat = sparse.col_hat();
            s = [
                first,
                gate.mul_add(ctx, s0, Constant(col_hat[0]), s[1]),
                gate.mul_add(ctx, s0, Constant(col_hat[1]), s[2]),
            ];
        }
        for c in constants.end().iter().chain([&[Fr::ZERO; WIDTH_FR]]) {
            s = std::array::from_fn(|i| self.sbox_plus(ctx, s[i], c[i]));
            s = self.mds_mul(ctx, mds, s);
        }
        s
    }

    /// `x^5 + c`.
    fn sbox_plus(&self, ctx: &mut Context<Fr>, x: AssignedValue<Fr>, c: Fr) -> AssignedValue<Fr> {
        let gate = self.gl.range().gate();
        let x2 = gate.mul(ctx, x, x);
        let x4 = gate.mul(ctx, x2, x2);
        gate.mul_add(ctx, x4, x, Constant(c))
    }

    /// `m · s`.
    fn mds_mul(
        &self,
        ctx: &mut Context<Fr>,
        m: &[[Fr; WIDTH_FR]; WIDTH_FR],
        s: [AssignedValue<Fr>; WIDTH_FR],
    ) -> [AssignedValue<Fr>; WIDTH_FR] {
        let gate = self.gl.range().gate();
        std::array::from_fn(|i| gate.inner_product(ctx, s, m[i].map(Constant)))
    }

    /// Packs at most three Goldilocks elements into one `Fr` (`g0 + g1·2^64 + g2·2^128`).
    pub fn pack(&self, ctx: &mut Context<Fr>, elems: &[AssignedGoldilocks]) -> AssignedValue<Fr> {
        assert!(elems.len() <= GL_PER_FR, "pack takes at most {GL_PER_FR} elements");
        let gate = self.gl.range().gate();
        if elems.is_empty() {
            return ctx.load_zero();
        }
        gate.inner_product(
            ctx,
            elems.iter().map(|e| e.cell()),
            limb_shifts().into_iter().take(elems.len()).map(Constant),
        )
    }

    /// The four canonical 64-bit limbs of `x` (little-endian), constrained:
    /// range-checked, recomposing to `x`, and spelling an integer below the
    /// BN254 modulus.
    pub fn limbs(&self, ctx: &mut Context<Fr>, x: AssignedValue<Fr>) -> [AssignedValue<Fr>; 4] {
        let claimed = native_limbs(*x.value());
        self.limbs_with_witness(ctx, x, claimed)
    }

    /// [`limbs`](Self::limbs) with the prover's claimed limbs: the constraints
    /// accept only the canonical decomposition.
    pub fn limbs_with_witness(
        &self,
        ctx: &mut Context<Fr>,
        x: AssignedValue<Fr>,
        claimed: [u64; 4],
    ) -> [AssignedValue<Fr>; 4] {
        let range = self.gl.range();
        let gate = range.gate();
        let limbs: [AssignedValue<Fr>; 4] = claimed.map(|l| ctx.load_witness(Fr::from(l)));
        for (i, l) in limbs.iter().enumerate() {
            range.range_check(ctx, *l, if i == 3 { TOP_LIMB_BITS } else { LIMB_BITS });
        }
        let recomposed = gate.inner_product(ctx, limbs, limb_shifts().map(Constant));
        ctx.constrain_equal(&recomposed, &x);
        self.assert_limbs_below_modulus(ctx, &limbs);
        limbs
    }

    /// Constrains `Σ limbs[i]·2^(64·i) <= r - 1` by the borrow chain
    /// `d_i = m_i - l_i - b_(i-1) + b_i·2^64` with `m = r - 1`, every `d_i`
    /// range-checked to 64 bits, every `b_i` a bit, and no final borrow.
    fn assert_limbs_below_modulus(&self, ctx: &mut Context<Fr>, limbs: &[AssignedValue<Fr>; 4]) {
        let range = self.gl.range();
        let gate = range.gate();
        let m = native_limbs(-Fr::ONE);
        let two_64 = Fr::from_u128(1u128 << LIMB_BITS);
        let mut borrow_in: Option<AssignedValue<Fr>> = None;
        let mut borrow_in_value = 0u128;
        for (i, limb) in limbs.iter().enumerate() {
            let mut d = gate.sub(ctx, Constant(Fr::from(m[i])), *limb);
            if let Some(b) = borrow_in {
                d = gate.sub(ctx, d, b);
            }
            if i < 3 {
                let l = native_limbs(*limb.value())[0];
                let borrow_out = u128::from(l) + borrow_in_value > u128::from(m[i]);
                let b_out = ctx.load_witness(Fr::from(u64::from(borrow_out)));
                gate.assert_bit(ctx, b_out);
                d = gate.mul_add(ctx, b_out, Constant(two_64), d);
                borrow_in = Some(b_out);
                borrow_in_value = u128::from(borrow_out);
            }
            range.range_check(ctx, d, LIMB_BITS);
        }
    }

    /// The three Goldilocks elements of `x`: its low limbs, each reduced mod `p`.
    pub fn unpack(&self, ctx: &mut Context<Fr>, x: AssignedValue<Fr>) -> [AssignedGoldilocks; GL_PER_FR] {
        let limbs = self.limbs(ctx, x);
        std::array::from_fn(|i| self.gl.reduce(ctx, limbs[i], LIMB_BITS))
    }

    /// A digest's Goldilocks view (plonky2's `to_vec`): the three low limbs
    /// mod `p` and the top limb.
    pub fn digest_to_goldilocks(&self, ctx: &mut Context<Fr>, digest: AssignedDigest) -> [AssignedGoldilocks; 4] {
        let limbs = self.limbs(ctx, digest);
        let top = self.gl.assert_canonical(ctx, limbs[3]);
        [
            self.gl.reduce(ctx, limbs[0], LIMB_BITS),
            self.gl.reduce(ctx, limbs[1], LIMB_BITS),
            self.gl.reduce(ctx, limbs[2], LIMB_BITS),
            top,
        ]
    }

    /// The challenger's permutation over nine Goldilocks elements.
    pub fn permute_goldilocks(
        &self,
        ctx: &mut Context<Fr>,
        state: &[AssignedGoldilocks; WIDTH_GL],
    ) -> [AssignedGoldilocks; WIDTH_GL] {
        let lanes: [AssignedValue<Fr>; WIDTH_FR] =
            std::array::from_fn(|j| self.pack(ctx, &state[GL_PER_FR * j..GL_PER_FR * (j + 1)]));
        let out = self.permute(ctx, lanes);
        let unpacked: Vec<AssignedGoldilocks> = out.iter().flat_map(|lane| self.unpack(ctx, *lane)).collect();
        unpacked.try_into().expect("WIDTH_FR lanes of GL_PER_FR elements")
    }

    /// `hash_no_pad` of a fixed-length input.
    pub fn hash_no_pad(&self, ctx: &mut Context<Fr>, input: &[AssignedGoldilocks]) -> AssignedDigest {
        let gate = self.gl.range().gate();
        let mut state = [
            ctx.load_constant(Fr::from(input.len() as u64)),
            ctx.load_zero(),
            ctx.load_zero(),
        ];
        if input.is_empty() {
            state = self.permute(ctx, state);
        }
        for chunk in input.chunks(CHUNK_GL) {
            for (lane, part) in state[1..].iter_mut().zip(chunk.chunks(GL_PER_FR)) {
                let packed = self.pack(ctx, part);
                *lane = gate.add(ctx, *lane, packed);
            }
            state = self.permute(ctx, state);
        }
        state[1]
    }

    /// `hash_or_noop`: packing for at most three elements, `hash_no_pad` otherwise.
    pub fn hash_or_noop(&self, ctx: &mut Context<Fr>, input: &[AssignedGoldilocks]) -> AssignedDigest {
        if input.len() <= GL_PER_FR {
            self.pack(ctx, input)
        } else {
            self.hash_no_pad(ctx, input)
        }
    }

    /// `two_to_one(left, right)`.
    pub fn two_to_one(&self, ctx: &mut Context<Fr>, left: AssignedDigest, right: AssignedDigest) -> AssignedDigest {
        let capacity = ctx.load_constant(Fr::from_u128(TWO_TO_ONE_CAPACITY));
        self.permute(ctx, [capacity, left, right])[1]
    }
}
