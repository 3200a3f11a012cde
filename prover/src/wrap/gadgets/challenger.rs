//! plonky2's Fiat-Shamir challenger over [`PoseidonBn254Permutation`] as a
//! gadget: the transcript the halo2 verifier must replay to derive the final
//! layer's challenges (betas, gammas, alphas, zeta, FRI betas, query indices).
//!
//! It mirrors plonky2's `Challenger` exactly: a nine-element Goldilocks
//! sponge state in overwrite mode; observed elements are buffered and, once
//! [`RATE_GL`] are pending (or when a challenge is asked for with inputs
//! pending or no outputs left), written over the state's first elements,
//! followed by one permutation, after which the rate part becomes the output
//! buffer; challenges are popped from the end of that buffer. A digest is
//! observed through its Goldilocks view (`to_vec`).
//!
//! [`PoseidonBn254Permutation`]: crate::wrap::poseidon_bn254::PoseidonBn254Permutation

use super::goldilocks::{AssignedGoldilocks, AssignedGoldilocksExt2};
use super::poseidon::{AssignedDigest, PoseidonBn254Chip};
use crate::wrap::poseidon_bn254::{RATE_GL, WIDTH_GL};
use halo2_base::Context;
use halo2_proofs::halo2curves::bn256::Fr;
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::field::types::Field;
use plonky2::fri::FriParams;

/// The in-circuit transcript.
#[derive(Clone, Debug)]
pub struct ChallengerGadget {
    state: [AssignedGoldilocks; WIDTH_GL],
    input_buffer: Vec<AssignedGoldilocks>,
    output_buffer: Vec<AssignedGoldilocks>,
}

impl ChallengerGadget {
    /// A fresh transcript (all-zero state), as `Challenger::new`.
    pub fn new(ctx: &mut Context<Fr>, chip: &PoseidonBn254Chip) -> Self {
        let zero = chip.goldilocks().load_constant(ctx, GoldilocksField::ZERO);
        Self {
            state: [zero; WIDTH_GL],
            input_buffer: Vec::with_capacity(RATE_GL),
            output_buffer: Vec::with_capacity(RATE_GL),
        }
    }

    /// Absorbs one element.
    pub fn observe_element(&mut self, ctx: &mut Context<Fr>, chip: &PoseidonBn254Chip, element: AssignedGoldilocks) {
        self.output_buffer.clear();
        self.input_buffer.push(element);
        if self.input_buffer.len() == RATE_GL {
            self.duplexing(ctx, chip);
        }
    }

    /// Absorbs elements in order.
    pub fn observe_elements(
        &mut self,
        ctx: &mut Context<Fr>,
        chip: &PoseidonBn254Chip,
        elements: &[AssignedGoldilocks],
    ) {
        for &e in elements {
            self.observe_element(ctx, chip, e);
        }
    }

    /// Absorbs a digest through its constrained Goldilocks view.
    pub fn observe_digest(&mut self, ctx: &mut Context<Fr>, chip: &PoseidonBn254Chip, digest: AssignedDigest) {
        let view = chip.digest_to_goldilocks(ctx, digest);
        self.observe_elements(ctx, chip, &view);
    }

    /// Absorbs a Merkle cap, entry by entry.
    pub fn observe_cap(&mut self, ctx: &mut Context<Fr>, chip: &PoseidonBn254Chip, cap: &[AssignedDigest]) {
        for &d in cap {
            self.observe_digest(ctx, chip, d);
        }
    }

    /// Absorbs the FRI parameters as constants, as plonky2's `FriParams::observe`
    /// does first in every proof's transcript.
    pub fn observe_fri_params(&mut self, ctx: &mut Context<Fr>, chip: &PoseidonBn254Chip, params: &FriParams) {
        let config = &params.config;
        let mut values = vec![
            GoldilocksField::from_canonical_usize(config.rate_bits),
            GoldilocksField::from_canonical_usize(config.cap_height),
            GoldilocksField::from_canonical_u32(config.proof_of_work_bits),
        ];
        values.extend(config.reduction_strategy.serialize::<GoldilocksField>());
        values.push(GoldilocksField::from_canonical_usize(config.num_query_rounds));
        values.push(GoldilocksField::from_bool(params.hiding));
        values.push(GoldilocksField::from_canonical_usize(params.degree_bits));
        values.extend(
            params
                .reduction_arity_bits
                .iter()
                .map(|&b| GoldilocksField::from_canonical_usize(b)),
        );
        for v in values {
            let c = chip.goldilocks().load_constant(ctx, v);
            self.observe_element(ctx, chip, c);
        }
    }

    /// Squeezes one challenge.
    pub fn get_challenge(&mut self, ctx: &mut Context<Fr>, chip: &PoseidonBn254Chip) -> AssignedGoldilocks {
        if !self.input_buffer.is_empty() || self.output_buffer.is_empty() {
            self.duplexing(ctx, chip);
        }
        self.output_buffer.pop().expect("a duplexing fills the output buffer")
    }

    /// Squeezes `n` challenges.
    pub fn get_n_challenges(
        &mut self,
        ctx: &mut Context<Fr>,
        chip: &PoseidonBn254Chip,
        n: usize,
    ) -> Vec<AssignedGoldilocks> {
        (0..n).map(|_| self.get_challenge(ctx, chip)).collect()
    }

    /// Squeezes an extension challenge (two base challenges, low coordinate first).
    pub fn get_extension_challenge(
        &mut self,
        ctx: &mut Context<Fr>,
        chip: &PoseidonBn254Chip,
    ) -> AssignedGoldilocksExt2 {
        let c0 = self.get_challenge(ctx, chip);
        let c1 = self.get_challenge(ctx, chip);
        AssignedGoldilocksExt2([c0, c1])
    }

    /// Overwrites the state with the pending inputs, permutes, refills the outputs.
    fn duplexing(&mut self, ctx: &mut Context<Fr>, chip: &PoseidonBn254Chip) {
        for (slot, input) in self.state.iter_mut().zip(self.input_buffer.drain(..)) {
            *slot = input;
        }
        self.state = chip.permute_goldilocks(ctx, &self.state);
        self.output_buffer.clear();
        self.output_buffer.extend_from_slice(&self.state[..RATE_GL]);
    }
}
