//! Constraints of the arithmetic table; the column layout and the meaning of
//! `X`, `Y`, `Z`, `W` per family are in [`witness::arith`].
//!
//! Per row: selectors are boolean and at most one is set. Product rows (MUL,
//! SHL) and quotient rows with a nonzero divisor (`NZQ`) satisfy
//! `X * Y + Z = W (mod 2^256)`, checked per 32-bit group with range-checked
//! 16-bit carries; quotient rows also have no overflow (every high partial
//! product sum and the last carry are zero) and `Z + D + 1 = Y` with
//! range-checked `D`, so `Z < Y`. A quotient row with a zero divisor has a
//! zero quotient and remainder; product rows have `Z = 0`. SHL/SHR build `Y`
//! from the shift: zero when any of its bytes 1..32 is nonzero, otherwise
//! `2^BIT` in byte `IDX`, where `S[0] = 8 IDX + BIT` (one-hot columns).
//! SAR is a quotient row on the value's complement when its sign bit `NEG`
//! is set (`top byte = 128 NEG + TOP_LOW`, `TOP_LOW < 128` by two range
//! checks). IN0, IN1 and OUT copy the family's words, in the step table's
//! order (complemented per byte, `255 - x`, for a negative SAR). BYTE is a
//! quotient row dividing by `256^(31 - i)` (`Y` with byte `31 - i` set when
//! `i < 32`, from the same one-hot split of `S[0]`, else zero) and pushes the
//! quotient's low byte. SIGNEXTEND is a quotient row dividing by `256^(b + 1)`
//! when `b < 31` (`XSMALL`); the remainder's byte `b` (`SELB`, selected by
//! the one-hot columns) splits into its sign bit `SXNEG` and seven low bits
//! as SAR's top byte does, and the result is the remainder with every byte
//! above `b` equal to `255 SXNEG`; from 31 on the divisor is zero and the
//! result is the value. SDIV and SMOD are quotient rows on the magnitudes
//! (`W = |a|`, `Y = |b|`); each signed word (IN0, IN1, OUT) equals its
//! magnitude (W, Y, and X for SDIV or Z for SMOD) or, when its flag is set,
//! adds up with it to exactly 2^256, per 32-bit group with carry bits. The
//! flags are IN0's and IN1's sign bits (split off their top bytes) and, for
//! the result, `NEGO = QSIGN VNZ`: the quotient's sign `NEGA xor NEGB` (the
//! remainder's, `NEGA`) unless the magnitude is zero. ADDMOD and MULMOD
//! ("ternary" rows, `MNZ` when the divisor is nonzero) divide the exact sum
//! or product: `X * Y + Z + 2^256 XH * Y = IN0 * M + ADDMOD * IN1` over 64
//! bytes with signed, range-checked carries (`M` = IN1 for MULMOD, 1 for
//! ADDMOD), nothing of `XH * Y` past byte 63, `Z < Y` as above, and OUT =
//! Z; their operands IN0 and IN1 are the check's factors, and the step's
//! modulus is `Y` (a lookup of its own). `EXPMUL` marks MUL rows that
//! serve the exponentiation table instead of a MUL step.

use super::expr::{impl_stark_via_cx, Cx};
use super::rw::{eval_range_column, range_lookup};
use plonky2::field::types::Field;
use starky::lookup::Lookup;
use witness::arith::{col, GROUPS};
use witness::opcode::Family;
use witness::word::LIMBS;

/// The arithmetic table.
#[derive(Clone, Copy, Debug, Default)]
pub struct ArithStark;

/// `sum_k bytes[k] * 256^k` over the four bytes of 32-bit group `g` of the word at `base`.
fn group<C: Cx>(cx: &mut C, lv: &[C::V], base: usize, g: usize) -> C::V {
    let bytes: Vec<C::V> = (0..4).map(|k| lv[base + 4 * g + k]).collect();
    cx.bytes_le(&bytes)
}

/// The partial product sum `sum_{i+j=b} U_i V_j` of the words at `u` and `v`
/// at byte position `b` (0..63).
fn partial_sum<C: Cx>(cx: &mut C, lv: &[C::V], u: usize, v: usize, b: usize) -> C::V {
    let lo = b.saturating_sub(LIMBS - 1);
    let hi = b.min(LIMBS - 1);
    let terms: Vec<C::V> = (lo..=hi).map(|i| cx.mul(lv[u + i], lv[v + b - i])).collect();
    cx.sum(&terms)
}

/// On `gate` rows, the word at `word` equals the magnitude at `magnitude`
/// (`negated` = 0), or the two add up to 2^256 (`negated` = 1): per 32-bit
/// group, `word + (2 negated - 1) magnitude + negated (carry in - 2^32 carry
/// out) = 0`, with boolean carries at `carries` (zero unless negated) and a
/// last carry of 1.
fn eval_negation<C: Cx>(
    cx: &mut C,
    lv: &[C::V],
    word: usize,
    magnitude: usize,
    negated: C::V,
    gate: C::V,
    carries: usize,
) {
    let not_negated = cx.not(negated);
    for g in 0..GROUPS - 1 {
        let carry = lv[carries + g];
        cx.boolean(carry);
        let c = cx.mul(not_negated, carry);
        cx.always(c);
    }
    let mut carry_in = cx.int(0);
    for g in 0..GROUPS {
        let carry_out = if g + 1 < GROUPS { lv[carries + g] } else { cx.int(1) };
        let s = group(cx, lv, word, g);
        let m = group(cx, lv, magnitude, g);
        let sign = cx.scale(negated, 2);
        let sign = cx.add_int(sign, -1);
        let signed_m = cx.mul(sign, m);
        let shifted = cx.scale(carry_out, 1 << 32);
        let flow = cx.sub(carry_in, shifted);
        let flow = cx.mul(negated, flow);
        let total = cx.sum(&[s, signed_m, flow]);
        let c = cx.mul(gate, total);
        cx.always(c);
        if g + 1 < GROUPS {
            carry_in = lv[carries + g];
        }
    }
}

impl ArithStark {
    /// Byte range checks of X, Z, D and the carries.
    pub fn range_lookups<F: Field>(&self) -> Vec<Lookup<F>> {
        range_lookup(&col::range_checked(), col::RANGE, col::FREQ)
    }

    /// All constraints of the table.
    pub fn eval<C: Cx>(&self, cx: &mut C, lv: &[C::V], nv: &[C::V], _pis: &[C::V]) {
        let selectors = Family::ARITH.map(|f| lv[col::sel(f)]);
        let [mul, div, modulo, shl, shr, sar, byte, extend, sdiv, smod, addmod, mulmod] = selectors;
        for s in selectors {
            cx.boolean(s);
        }
        let any = cx.sum(&selectors);
        cx.boolean(any);
        // EXPMUL marks a MUL row that serves the exponentiation table.
        let expmul = lv[col::EXPMUL];
        cx.boolean(expmul);
        let not_mul = cx.not(mul);
        let c = cx.mul(expmul, not_mul);
        cx.always(c);
        let ternary = cx.add(addmod, mulmod);
        let product = cx.add(mul, shl);
        let signed = cx.add(sdiv, smod);
        let quotient = cx.sum(&[div, modulo, shr, sar, byte, extend, signed]);
        let shift = cx.sum(&[shl, shr, sar]);
        let indexed = cx.sum(&[shift, byte, extend]);
        let idx: Vec<C::V> = (0..LIMBS).map(|j| lv[col::IDX + j]).collect();
        let bit: Vec<C::V> = (0..8).map(|k| lv[col::BIT + k]).collect();

        // YZERO = 1 iff Y = 0 (its bytes are nonnegative, so their sum is 0 only then).
        let y_bytes: Vec<C::V> = (0..LIMBS).map(|j| lv[col::Y + j]).collect();
        let y_sum = cx.sum(&y_bytes);
        let y_zero = lv[col::YZERO];
        let c = cx.mul(y_sum, y_zero);
        cx.always(c);
        let t = cx.mul(y_sum, lv[col::YINV]);
        let c = cx.add(t, y_zero);
        let c = cx.add_int(c, -1);
        cx.always(c);
        let nzq = lv[col::NZQ];
        let not_y_zero = cx.not(y_zero);
        let t = cx.mul(quotient, not_y_zero);
        let c = cx.sub(nzq, t);
        cx.always(c);
        let checked = cx.add(product, nzq);

        // MNZ: a ternary row with a nonzero divisor.
        let mnz = lv[col::MNZ];
        let t = cx.mul(ternary, not_y_zero);
        let c = cx.sub(mnz, t);
        cx.always(c);

        // A zero divisor: quotient and remainder are zero. Product rows add nothing.
        let divides = cx.add(quotient, ternary);
        let zero_div = cx.mul(divides, y_zero);
        for j in 0..LIMBS {
            let c = cx.mul(zero_div, lv[col::X + j]);
            cx.always(c);
            let c = cx.mul(zero_div, lv[col::Z + j]);
            cx.always(c);
            let c = cx.mul(product, lv[col::Z + j]);
            cx.always(c);
        }

        // X * Y + Z = W + 2^256 * overflow, per 32-bit group. The partial sums of
        // X * Y by byte position serve the ternary rows' check too.
        let xy: Vec<C::V> = (0..2 * LIMBS).map(|b| partial_sum(cx, lv, col::X, col::Y, b)).collect();
        let mut carry_in = cx.int(0);
        for g in 0..GROUPS {
            let mut lhs = carry_in;
            for k in (0..4).rev() {
                let b = 4 * g + k;
                let column = cx.add(xy[b], lv[col::Z + b]);
                let weighted = cx.scale(column, 1 << (8 * k));
                lhs = cx.add(lhs, weighted);
            }
            let carry = cx.bytes_le(&[lv[col::CARRY + 2 * g], lv[col::CARRY + 2 * g + 1]]);
            let w = group(cx, lv, col::W, g);
            let shifted = cx.scale(carry, 1 << 32);
            let rhs = cx.add(w, shifted);
            let c = cx.sub(lhs, rhs);
            let c = cx.mul(checked, c);
            cx.always(c);
            carry_in = carry;
        }
        // Quotient rows do not overflow: the last carry and every high partial sum are zero.
        let c = cx.mul(nzq, carry_in);
        cx.always(c);
        for &column in &xy[LIMBS..2 * LIMBS - 1] {
            let c = cx.mul(nzq, column);
            cx.always(c);
        }

        // Z + D + 1 = Y on quotient and ternary rows with a nonzero divisor, so Z < Y.
        let remainder_checked = cx.add(nzq, mnz);
        let mut carry_in = cx.int(1);
        for g in 0..GROUPS {
            let z = group(cx, lv, col::Z, g);
            let d = group(cx, lv, col::D, g);
            let y = group(cx, lv, col::Y, g);
            let lhs = cx.sum(&[z, d, carry_in]);
            let rhs = if g + 1 < GROUPS {
                let carry = lv[col::DCARRY + g];
                cx.boolean(carry);
                let shifted = cx.scale(carry, 1 << 32);
                carry_in = carry;
                cx.add(y, shifted)
            } else {
                y
            };
            let c = cx.sub(lhs, rhs);
            let c = cx.mul(remainder_checked, c);
            cx.always(c);
        }

        // SAR's sign: the value's top byte is 128 NEG + TOP_LOW with TOP_LOW < 128.
        let neg = lv[col::NEG];
        cx.boolean(neg);
        let not_sar = cx.not(sar);
        let c = cx.mul(not_sar, neg);
        cx.always(c);
        let top = cx.scale(neg, 128);
        let top = cx.add(top, lv[col::TOP_LOW]);
        let c = cx.sub(lv[col::IN1 + LIMBS - 1], top);
        let c = cx.mul(sar, c);
        cx.always(c);
        let hi = cx.add_int(lv[col::TOP_LOW], 128);
        let c = cx.sub(lv[col::TOP_LOW_HI], hi);
        let split_top = cx.add(sar, lv[col::XSMALL]);
        let c = cx.mul(split_top, c);
        cx.always(c);
        // SIGNEXTEND's sign: SELB is 128 SXNEG + TOP_LOW with TOP_LOW < 128.
        let (xsmall, sxneg) = (lv[col::XSMALL], lv[col::SXNEG]);
        cx.boolean(sxneg);
        let not_xsmall = cx.not(xsmall);
        let c = cx.mul(not_xsmall, sxneg);
        cx.always(c);
        let sel_byte = cx.scale(sxneg, 128);
        let sel_byte = cx.add(sel_byte, lv[col::TOP_LOW]);
        let c = cx.sub(lv[col::SELB], sel_byte);
        let c = cx.mul(xsmall, c);
        cx.always(c);
        let kept = cx.sub(extend, xsmall);

        // The step's words, in the family's order (zero on padding rows); a negative
        // SAR's value and result are the complements of W and X; SDIV and SMOD tie
        // theirs to the magnitudes below, and the ternary rows' operands are
        // factors of their own check (`exempt * word` exempts them here).
        let exempt_in = cx.add(signed, ternary);
        let remainder_out = cx.add(modulo, ternary);
        let div_mod = cx.add(div, modulo);
        let mul_div_mod = cx.add(mul, div_mod);
        let shr_sar = cx.add(shr, sar);
        let shr_sar_byte = cx.sum(&[shr_sar, byte, extend]);
        let div_shr_sar = cx.add(div, shr_sar);
        for j in 0..LIMBS {
            let (x, y, z, w, s) = (
                lv[col::X + j],
                lv[col::Y + j],
                lv[col::Z + j],
                lv[col::W + j],
                lv[col::S + j],
            );
            // NEG * (255 - 2v) turns v into 255 - v on a negative SAR's row.
            let flip = |cx: &mut C, v: C::V| {
                let twice = cx.scale(v, 2);
                let top = cx.int(255);
                let d = cx.sub(top, twice);
                cx.mul(neg, d)
            };
            let flip_w = flip(cx, w);
            let flip_x = flip(cx, x);
            // BYTE pushes the quotient's low byte only.
            let low_byte = if j == 0 { Some(cx.mul(byte, x)) } else { None };
            // SIGNEXTEND pushes the remainder with the bytes above b set to the sign
            // (the remainder's are zero there), or the value itself from b = 31 on.
            let above = {
                let below_j: Vec<C::V> = (0..j).map(|i| cx.mul(idx[i / 8], bit[i % 8])).collect();
                cx.sum(&below_j)
            };
            let sign_fill = cx.mul(sxneg, above);
            let sign_fill = cx.scale(sign_fill, 255);
            let remainder = cx.mul(extend, z);
            let value = cx.mul(kept, lv[col::IN1 + j]);
            let extended = cx.sum(&[sign_fill, remainder, value]);
            let copies = [
                (
                    col::IN0,
                    [(mul, x), (div_mod, w), (indexed, s)],
                    [None, None, None],
                    exempt_in,
                ),
                (
                    col::IN1,
                    [(mul_div_mod, y), (shl, x), (shr_sar_byte, w)],
                    [Some(flip_w), None, None],
                    exempt_in,
                ),
                (
                    col::OUT,
                    [(product, w), (div_shr_sar, x), (remainder_out, z)],
                    [Some(flip_x), low_byte, Some(extended)],
                    signed,
                ),
            ];
            for (target, terms, extra, exempt) in copies {
                let mut terms: Vec<C::V> = terms.iter().map(|&(gate, v)| cx.mul(gate, v)).collect();
                terms.extend(extra.into_iter().flatten());
                terms.push(cx.mul(exempt, lv[target + j]));
                let copy = cx.sum(&terms);
                let c = cx.sub(lv[target + j], copy);
                cx.always(c);
            }
        }

        self.eval_shift(cx, lv, shift, byte, extend);
        self.eval_signed(cx, lv, sdiv, smod);
        self.eval_ternary(cx, lv, &xy, addmod, ternary);
        eval_range_column(cx, lv, nv, col::RANGE);
    }

    /// ADDMOD/MULMOD: `X * Y + Z + 2^256 XH * Y = IN0 * M + ADDMOD * IN1`
    /// over 64 bytes when the divisor is nonzero (`MNZ`), with signed
    /// carries per 32-bit group, no carry out of the last and nothing of
    /// `XH * Y` past byte 63; `M` is IN1 (MULMOD) or 1 (ADDMOD); XH and the
    /// carries are zero, and W is unused, elsewhere.
    /// `xy` holds the partial sums of `X * Y` by byte position (0..64).
    /// `ternary` is the sum of the ADDMOD and MULMOD selectors.
    fn eval_ternary<C: Cx>(&self, cx: &mut C, lv: &[C::V], xy: &[C::V], addmod: C::V, ternary: C::V) {
        let mulmod = cx.sub(ternary, addmod);
        let mnz = lv[col::MNZ];
        let idle = cx.not(mnz);
        for j in 0..LIMBS {
            let multiplier = cx.mul(mulmod, lv[col::IN1 + j]);
            let multiplier = if j == 0 { cx.add(multiplier, addmod) } else { multiplier };
            let c = cx.sub(lv[col::M + j], multiplier);
            cx.always(c);
            let c = cx.mul(idle, lv[col::XH + j]);
            cx.always(c);
            let c = cx.mul(ternary, lv[col::W + j]);
            cx.always(c);
        }
        for k in 0..2 * (2 * GROUPS - 1) {
            let c = cx.mul(idle, lv[col::MCARRY + k]);
            cx.always(c);
        }
        // The signed carry out of group g: two bytes less the offset 2^15.
        let carry = |cx: &mut C, g: usize| {
            let stored = cx.bytes_le(&[lv[col::MCARRY + 2 * g], lv[col::MCARRY + 2 * g + 1]]);
            cx.add_int(stored, -(1 << 15))
        };
        let mut carry_in = cx.int(0);
        for g in 0..2 * GROUPS {
            let mut diff = carry_in;
            for k in 0..4 {
                let b = 4 * g + k;
                let mut terms = vec![xy[b]];
                if b < LIMBS {
                    terms.push(lv[col::Z + b]);
                    let sum = cx.mul(addmod, lv[col::IN1 + b]);
                    let sum = cx.scale(sum, -1);
                    terms.push(sum);
                } else {
                    terms.push(partial_sum(cx, lv, col::XH, col::Y, b - LIMBS));
                }
                let product = partial_sum(cx, lv, col::IN0, col::M, b);
                let product = cx.scale(product, -1);
                terms.push(product);
                let position = cx.sum(&terms);
                let weighted = cx.scale(position, 1 << (8 * k));
                diff = cx.add(diff, weighted);
            }
            let c = if g + 1 < 2 * GROUPS {
                let carry_out = carry(cx, g);
                let shifted = cx.scale(carry_out, 1 << 32);
                carry_in = carry_out;
                cx.sub(diff, shifted)
            } else {
                diff
            };
            let c = cx.mul(mnz, c);
            cx.always(c);
        }
        for b in LIMBS..2 * LIMBS - 1 {
            let high = partial_sum(cx, lv, col::XH, col::Y, b);
            let c = cx.mul(mnz, high);
            cx.always(c);
        }
    }

    /// SDIV/SMOD: the operands' sign bits, the result's sign, and each signed
    /// word against its magnitude.
    fn eval_signed<C: Cx>(&self, cx: &mut C, lv: &[C::V], sdiv: C::V, smod: C::V) {
        let signed = cx.add(sdiv, smod);
        let unsigned = cx.not(signed);
        // The top bytes of IN0 and IN1 are 128 NEG + LOW with LOW < 128 (two range checks).
        for (flag, low, low_hi, word) in [
            (col::NEGA, col::ALOW, col::ALOW_HI, col::IN0),
            (col::NEGB, col::BLOW, col::BLOW_HI, col::IN1),
        ] {
            cx.boolean(lv[flag]);
            for c in [flag, low, low_hi] {
                let c = cx.mul(unsigned, lv[c]);
                cx.always(c);
            }
            let top = cx.scale(lv[flag], 128);
            let top = cx.add(top, lv[low]);
            let c = cx.sub(lv[word + LIMBS - 1], top);
            let c = cx.mul(signed, c);
            cx.always(c);
            let hi = cx.add_int(lv[low], 128);
            let c = cx.sub(lv[low_hi], hi);
            let c = cx.mul(signed, c);
            cx.always(c);
        }
        let (nega, negb) = (lv[col::NEGA], lv[col::NEGB]);
        // QSIGN: NEGA xor NEGB for SDIV, NEGA for SMOD.
        let both = cx.mul(nega, negb);
        let both = cx.scale(both, 2);
        let either = cx.add(nega, negb);
        let xor = cx.sub(either, both);
        let t0 = cx.mul(sdiv, xor);
        let t1 = cx.mul(smod, nega);
        let expected = cx.add(t0, t1);
        let c = cx.sub(lv[col::QSIGN], expected);
        cx.always(c);
        // VNZ = 1 iff the result's magnitude (X for SDIV, Z for SMOD) is nonzero.
        let bytes: Vec<C::V> = (0..LIMBS)
            .map(|j| {
                let x = cx.mul(sdiv, lv[col::X + j]);
                let z = cx.mul(smod, lv[col::Z + j]);
                cx.add(x, z)
            })
            .collect();
        let sum = cx.sum(&bytes);
        let vnz = lv[col::VNZ];
        let not_vnz = cx.not(vnz);
        let c = cx.mul(sum, not_vnz);
        cx.always(c);
        let t = cx.mul(sum, lv[col::VINV]);
        let c = cx.sub(vnz, t);
        cx.always(c);
        let c = cx.mul(unsigned, lv[col::VINV]);
        cx.always(c);
        let t = cx.mul(vnz, lv[col::QSIGN]);
        let c = cx.sub(lv[col::NEGO], t);
        cx.always(c);
        // Each signed word against its magnitude.
        let relations = [
            (col::IN0, col::W, col::NEGA, signed, 0),
            (col::IN1, col::Y, col::NEGB, signed, 1),
            (col::OUT, col::X, col::NEGO, sdiv, 2),
            (col::OUT, col::Z, col::NEGO, smod, 2),
        ];
        for (word, magnitude, flag, gate, k) in relations {
            let carries = col::NCARRY + k * (GROUPS - 1);
            eval_negation(cx, lv, word, magnitude, lv[flag], gate, carries);
        }
    }

    /// SHL/SHR/SAR: `Y = 2^shift` below 256, zero from 256 on; BYTE:
    /// `Y = 256^(31 - i)` below 32, zero from 32 on; SIGNEXTEND: `Y =
    /// 256^(b + 1)` below 31, zero from 31 on; other rows have no `S`.
    fn eval_shift<C: Cx>(&self, cx: &mut C, lv: &[C::V], shift: C::V, byte: C::V, extend: C::V) {
        let indexed = cx.sum(&[shift, byte, extend]);
        let not_indexed = cx.not(indexed);
        for j in 0..LIMBS {
            let c = cx.mul(not_indexed, lv[col::S + j]);
            cx.always(c);
        }
        // SBIG = 1 iff one of S's bytes 1..32 is nonzero.
        let high: Vec<C::V> = (1..LIMBS).map(|j| lv[col::S + j]).collect();
        let high = cx.sum(&high);
        let big = lv[col::SBIG];
        let t = cx.mul(high, lv[col::SINV]);
        let c = cx.sub(big, t);
        cx.always(c);
        let not_big = cx.not(big);
        let c = cx.mul(high, not_big);
        cx.always(c);
        let small = lv[col::SSMALL];
        let t = cx.mul(shift, not_big);
        let c = cx.sub(small, t);
        cx.always(c);

        // S[0] = 8 IDX + BIT with one-hot IDX and BIT on rows with S (all zero elsewhere).
        let idx: Vec<C::V> = (0..LIMBS).map(|j| lv[col::IDX + j]).collect();
        let bit: Vec<C::V> = (0..8).map(|k| lv[col::BIT + k]).collect();
        for &v in idx.iter().chain(&bit) {
            cx.boolean(v);
        }
        for flags in [&idx, &bit] {
            let total = cx.sum(flags);
            let c = cx.sub(total, indexed);
            cx.always(c);
        }
        // BSMALL: a BYTE index below 32 (S[0] / 8 below 4 and no high bytes).
        let ge4 = cx.sum(&idx[4..]);
        let below = cx.not(ge4);
        let t = cx.mul(byte, not_big);
        let t = cx.mul(t, below);
        let c = cx.sub(lv[col::BSMALL], t);
        cx.always(c);
        // XSMALL: a SIGNEXTEND index below 31 (below 32 and not 31).
        let s31 = cx.mul(idx[3], bit[7]);
        let c = cx.sub(lv[col::S31], s31);
        cx.always(c);
        let below31 = cx.sub(below, lv[col::S31]);
        let t = cx.mul(extend, not_big);
        let t = cx.mul(t, below31);
        let c = cx.sub(lv[col::XSMALL], t);
        cx.always(c);
        // SELB: the byte of Z at index S[0].
        let selected: Vec<C::V> = (0..LIMBS)
            .map(|j| {
                let t = cx.mul(idx[j / 8], bit[j % 8]);
                cx.mul(t, lv[col::Z + j])
            })
            .collect();
        let selected = cx.sum(&selected);
        let c = cx.sub(lv[col::SELB], selected);
        cx.always(c);
        let mut low = cx.int(0);
        for (j, &v) in idx.iter().enumerate() {
            let t = cx.scale(v, 8 * j as i64);
            low = cx.add(low, t);
        }
        let mut power = cx.int(0);
        for (k, &v) in bit.iter().enumerate() {
            let t = cx.scale(v, k as i64);
            low = cx.add(low, t);
            let t = cx.scale(v, 1 << k);
            power = cx.add(power, t);
        }
        let c = cx.sub(lv[col::S], low);
        cx.always(c);
        // Y's byte j is 2^BIT when j = IDX and the shift is small; for BYTE it is 1
        // when 8 IDX + BIT = 31 - j and the index is small; else zero.
        for (j, &v) in idx.iter().enumerate() {
            let y = cx.mul(indexed, lv[col::Y + j]);
            let t = cx.mul(small, v);
            let t = cx.mul(t, power);
            let c = cx.sub(y, t);
            let i = LIMBS - 1 - j;
            let t = cx.mul(lv[col::BSMALL], idx[i / 8]);
            let t = cx.mul(t, bit[i % 8]);
            let c = cx.sub(c, t);
            // SIGNEXTEND: byte b + 1 is 1.
            let c = if j >= 1 {
                let t = cx.mul(lv[col::XSMALL], idx[(j - 1) / 8]);
                let t = cx.mul(t, bit[(j - 1) % 8]);
                cx.sub(c, t)
            } else {
                c
            };
            cx.always(c);
        }
    }
}

impl_stark_via_cx!(ArithStark, witness::arith::col::NUM_COLUMNS, 0);
