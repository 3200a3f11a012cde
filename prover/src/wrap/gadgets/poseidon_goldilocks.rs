//! plonky2's Poseidon over Goldilocks (width 12, x^7, 4 + 22 + 4 rounds, the
//! fast partial-round form of `plonky2::hash::poseidon`) in halo2, on
//! extension elements: the Poseidon gate evaluates it at `zeta`, and the
//! wrap hashes the proof's public inputs with it (base elements embedded as
//! `x + 0·X`, which every step keeps of that form).
//!
//! [`PoseidonGoldilocksChip::rounds`] reports every S-box input to a hook,
//! which may replace it: the gate constrains it to its wire and continues
//! from the wire, a plain permutation continues from the value itself.

use super::goldilocks::{AssignedGoldilocks, AssignedGoldilocksExt2, GoldilocksChip};
use crate::wrap::final_layer::F;
use halo2_base::Context;
use halo2_proofs::halo2curves::bn256::Fr;
use plonky2::field::extension::quadratic::QuadraticExtension;
use plonky2::field::types::Field;
use plonky2::hash::poseidon::{Poseidon, ALL_ROUND_CONSTANTS, HALF_N_FULL_ROUNDS, N_PARTIAL_ROUNDS, SPONGE_WIDTH};

/// An assigned extension element.
type AExt = AssignedGoldilocksExt2;
/// The permutation's state.
pub type State = [AExt; SPONGE_WIDTH];

/// plonky2's `PoseidonHash` rate (elements absorbed per permutation).
const RATE: usize = 8;

/// Where an S-box input sits (the Poseidon gate has a wire for each, except
/// in the first full round).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SboxSite {
    /// Full round `round` (1 to 3) of the first half, lane `lane`.
    FirstFull {
        /// The round.
        round: usize,
        /// The lane.
        lane: usize,
    },
    /// Partial round `round` (0 to 21).
    Partial {
        /// The round.
        round: usize,
    },
    /// Full round `round` (0 to 3) of the second half, lane `lane`.
    SecondFull {
        /// The round.
        round: usize,
        /// The lane.
        lane: usize,
    },
}

/// The permutation on the Goldilocks chip.
#[derive(Clone, Debug)]
pub struct PoseidonGoldilocksChip<'a> {
    gl: GoldilocksChip<'a>,
}

impl<'a> PoseidonGoldilocksChip<'a> {
    /// A chip over `gl`.
    pub fn new(gl: GoldilocksChip<'a>) -> Self {
        Self { gl }
    }

    /// The permutation of `state`, passing each S-box input (but those of
    /// the first full round) through `hook`.
    pub fn rounds(
        &self,
        ctx: &mut Context<Fr>,
        mut state: State,
        hook: &mut dyn FnMut(&mut Context<Fr>, SboxSite, AExt) -> AExt,
    ) -> State {
        let gl = &self.gl;
        let mut round = 0;
        for r in 0..HALF_N_FULL_ROUNDS {
            self.add_round_constants(ctx, &mut state, round);
            if r != 0 {
                for (lane, s) in state.iter_mut().enumerate() {
                    *s = hook(ctx, SboxSite::FirstFull { round: r, lane }, *s);
                }
            }
            for s in state.iter_mut() {
                *s = self.sbox(ctx, *s);
            }
            state = self.mds(ctx, &state);
            round += 1;
        }

        for (i, s) in state.iter_mut().enumerate() {
            let c = self.constant(ctx, <F as Poseidon>::FAST_PARTIAL_FIRST_ROUND_CONSTANT[i]);
            *s = gl.ext_add(ctx, *s, c);
        }
        state = self.mds_partial_init(ctx, &state);
        for r in 0..N_PARTIAL_ROUNDS {
            let sbox_in = hook(ctx, SboxSite::Partial { round: r }, state[0]);
            state[0] = self.sbox(ctx, sbox_in);
            if r < N_PARTIAL_ROUNDS - 1 {
                let c = self.constant(ctx, <F as Poseidon>::FAST_PARTIAL_ROUND_CONSTANTS[r]);
                state[0] = gl.ext_add(ctx, state[0], c);
            }
            state = self.mds_partial_fast(ctx, &state, r);
        }
        round += N_PARTIAL_ROUNDS;

        for r in 0..HALF_N_FULL_ROUNDS {
            self.add_round_constants(ctx, &mut state, round);
            for (lane, s) in state.iter_mut().enumerate() {
                *s = hook(ctx, SboxSite::SecondFull { round: r, lane }, *s);
            }
            for s in state.iter_mut() {
                *s = self.sbox(ctx, *s);
            }
            state = self.mds(ctx, &state);
            round += 1;
        }
        state
    }

    /// plonky2's `PoseidonHash::hash_no_pad`: absorb 8 elements at a time
    /// by overwriting, permute after each chunk, output the first four.
    pub fn hash_no_pad(&self, ctx: &mut Context<Fr>, inputs: &[AssignedGoldilocks]) -> [AssignedGoldilocks; 4] {
        let zero = self.constant(ctx, 0);
        let mut state: State = [zero; SPONGE_WIDTH];
        for chunk in inputs.chunks(RATE) {
            for (slot, &x) in state.iter_mut().zip(chunk) {
                *slot = self.gl.ext_from_base(ctx, x);
            }
            state = self.rounds(ctx, state, &mut |_, _, value| value);
        }
        std::array::from_fn(|i| state[i].0[0])
    }

    fn constant(&self, ctx: &mut Context<Fr>, value: u64) -> AExt {
        self.gl
            .load_ext_constant(ctx, QuadraticExtension::from_canonical_u64(value))
    }

    fn add_round_constants(&self, ctx: &mut Context<Fr>, state: &mut State, round: usize) {
        for (i, s) in state.iter_mut().enumerate() {
            let c = self.constant(ctx, ALL_ROUND_CONSTANTS[i + SPONGE_WIDTH * round]);
            *s = self.gl.ext_add(ctx, *s, c);
        }
    }

    /// `x^7`.
    fn sbox(&self, ctx: &mut Context<Fr>, x: AExt) -> AExt {
        let gl = &self.gl;
        let x2 = gl.ext_mul(ctx, x, x);
        let x4 = gl.ext_mul(ctx, x2, x2);
        let x3 = gl.ext_mul(ctx, x, x2);
        gl.ext_mul(ctx, x3, x4)
    }

    /// `Σ_j matrix[j] · state[j]` for base constants `matrix`.
    fn linear(&self, ctx: &mut Context<Fr>, matrix: &[u64], state: &[AExt]) -> AExt {
        let coeffs: Vec<AssignedGoldilocks> = matrix
            .iter()
            .map(|&m| self.gl.load_constant(ctx, F::from_canonical_u64(m)))
            .collect();
        self.gl.ext_base_inner_product(ctx, &coeffs, state)
    }

    /// plonky2's `mds_layer_field`: row `r` is the circulant row shifted by
    /// `r` plus the diagonal entry.
    fn mds(&self, ctx: &mut Context<Fr>, state: &State) -> State {
        let w = SPONGE_WIDTH;
        std::array::from_fn(|r| {
            let mut row = vec![0u64; w];
            for i in 0..w {
                row[(i + r) % w] += <F as Poseidon>::MDS_MATRIX_CIRC[i];
            }
            row[r] += <F as Poseidon>::MDS_MATRIX_DIAG[r];
            self.linear(ctx, &row, state)
        })
    }

    /// plonky2's `mds_partial_layer_init`: keeps `state[0]`, mixes the rest
    /// by the initial matrix (stored by row of the input index).
    fn mds_partial_init(&self, ctx: &mut Context<Fr>, state: &State) -> State {
        std::array::from_fn(|c| {
            if c == 0 {
                return state[0];
            }
            let column: Vec<u64> = (1..SPONGE_WIDTH)
                .map(|r| <F as Poseidon>::FAST_PARTIAL_ROUND_INITIAL_MATRIX[r - 1][c - 1])
                .collect();
            self.linear(ctx, &column, &state[1..])
        })
    }

    /// plonky2's `mds_partial_layer_fast_field` for partial round `r`.
    fn mds_partial_fast(&self, ctx: &mut Context<Fr>, state: &State, r: usize) -> State {
        let mut first = vec![<F as Poseidon>::MDS_MATRIX_CIRC[0] + <F as Poseidon>::MDS_MATRIX_DIAG[0]];
        first.extend_from_slice(&<F as Poseidon>::FAST_PARTIAL_ROUND_W_HATS[r]);
        std::array::from_fn(|i| {
            if i == 0 {
                return self.linear(ctx, &first, state);
            }
            let v = self.gl.load_constant(
                ctx,
                F::from_canonical_u64(<F as Poseidon>::FAST_PARTIAL_ROUND_VS[r][i - 1]),
            );
            let scaled = self.gl.ext_scalar_mul(ctx, v, state[0]);
            self.gl.ext_add(ctx, scaled, state[i])
        })
    }
}
