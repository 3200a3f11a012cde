//! The arithmetic table: one row per MUL, DIV, MOD, SDIV, SMOD, SHL, SHR,
//! SAR, BYTE, SIGNEXTEND, ADDMOD or MULMOD step, each proven as one 256-bit
//! multiply-add `X * Y + Z = W + 2^256 * overflow` over byte limbs (a 512-bit
//! one for ADDMOD and MULMOD).
//!
//! | family | X        | Y          | Z         | W          | step's (IN0, IN1, OUT) |
//! |--------|----------|------------|-----------|------------|------------------------|
//! | MUL    | a        | b          | 0         | a*b mod 2^256 | (X, Y, W)           |
//! | DIV    | a / b    | b          | a mod b   | a          | (W, Y, X)              |
//! | MOD    | a / b    | b          | a mod b   | a          | (W, Y, Z)              |
//! | SHL    | value    | 2^shift    | 0         | result     | (S, X, W)              |
//! | SHR    | result   | 2^shift    | remainder | value      | (S, W, X)              |
//! | SAR    | result'  | 2^shift    | remainder | value'     | (S, W', X')            |
//! | BYTE   | value / 256^(31-i) | 256^(31-i) | remainder | value | (S, W, X's low byte) |
//! | SIGNEXTEND | value / 256^(b+1) | 256^(b+1) | remainder | value | (S, W, Z sign-extended) |
//! | SDIV   | \|a\| / \|b\| | \|b\|   | \|a\| mod \|b\| | \|a\| | (±W, ±Y, ±X)   |
//! | SMOD   | \|a\| / \|b\| | \|b\|   | \|a\| mod \|b\| | \|a\| | (±W, ±Y, ±Z)   |
//! | ADDMOD | (a+b) / N, low half | N | (a+b) mod N | 0 | (IN0, IN1, Z), N = Y |
//! | MULMOD | (a*b) / N, low half | N | (a*b) mod N | 0 | (IN0, IN1, Z), N = Y |
//!
//! ADDMOD and MULMOD ("ternary" rows) divide the exact sum or product, up
//! to 512 bits: the quotient's high half is in `XH`, and `X * Y + Z + 2^256
//! XH * Y = IN0 * M + ADDMOD * IN1` holds over 64 bytes, where the
//! multiplier `M` is IN1 for MULMOD and 1 for ADDMOD. It is checked per
//! 32-bit group with signed carries (`MCARRY`, two range-checked bytes
//! each, offset by 2^15), the last carry and every partial sum of `XH * Y`
//! past byte 63 zero, and `Z < Y` as on quotient rows. Their third operand
//! `N` is `Y` itself: the step table's lookup of these rows (a cross-table
//! lookup of its own) takes the divisor from `Y`.
//!
//! SAR shifts the one's complement of a negative value (`NEG`, the value's
//! sign bit) and complements the result back (`x' = 255 - x` per byte), since
//! `floor(v / 2^s) = !(!v >> s)` for negative `v`; a nonnegative value is
//! shifted as by SHR.
//!
//! SDIV and SMOD divide the magnitudes. Each signed word and its magnitude
//! are equal, or add up to exactly 2^256 when the flag says the word is the
//! negation (checked per 32-bit group with carry bits `NCARRY`): the
//! dividend's and divisor's flags are their sign bits (`NEGA`, `NEGB`, split
//! off their top bytes as SAR's is), the result's (`NEGO`) is `NEGA xor
//! NEGB` for SDIV and `NEGA` for SMOD, unless the magnitude is zero. So
//! `-2^255 / -1` pushes `2^255 = -2^255`, as the EVM's wrapping defines.
//!
//! EXP is not a row of its own: the exponentiation table ([`crate::exp`])
//! asks for its squares and products as MUL rows flagged `EXPMUL`, which
//! its own cross-table lookup matches instead of the step table's.
//!
//! The step's words are copied into IN0, IN1 and OUT columns, so that one
//! cross-table lookup on (family, IN0, IN1, OUT) serves every family.
//!
//! MUL and SHL ("product" rows) keep the low 256 bits; DIV, MOD, SHR, SAR
//! and BYTE ("quotient" rows) must not overflow and need `Z < Y` (a range-checked
//! difference `D = Y - Z - 1`). A zero divisor makes the quotient and the
//! remainder zero, as the EVM defines; a shift of 256 or more makes
//! `Y = 2^shift` zero, so SHL gives 0 and SHR divides by zero, also 0.
//! The shift's `Y` is built from one-hot columns: `shift = 8 IDX + BIT`,
//! `Y` has byte `IDX` equal to `2^BIT`. BYTE's index `i` (in `S`) splits
//! the same way; below 32 (`BSMALL`), `Y` has byte `31 - i` equal to 1, and
//! from 32 on `Y` is zero, so the quotient and the pushed byte are zero.
//! SIGNEXTEND's `b` (in `S`) splits the same way; below 31 (`XSMALL`), `Y`
//! has byte `b + 1` equal to 1, the remainder's byte `b` (`SELB`) holds the
//! sign bit (`SXNEG`, split off as SAR's is), and the result is the
//! remainder with every byte above `b` set to `255 SXNEG`; from 31 on `Y` is
//! zero and the result is the value.
//!
//! The product is checked per 32-bit group with a 16-bit carry (two
//! range-checked bytes): group sums stay below 2^47, so the field equation
//! is the integer one.

use crate::opcode::Family;
use crate::word::{limbs, LIMBS};
use crate::{range, F};
use plonky2::field::types::Field;
use revm::primitives::alloy_primitives::U512;
use revm::primitives::U256;

/// Number of 32-bit groups of a word (four bytes each).
pub const GROUPS: usize = LIMBS / 4;

/// Column indices of the arithmetic table.
pub mod col {
    use super::GROUPS;
    use crate::opcode::Family;
    use crate::word::LIMBS;

    /// Selector of MUL; DIV, MOD, SHL, SHR, SAR, BYTE and SIGNEXTEND follow (see [`sel`]).
    pub const SEL: usize = 0;
    /// First factor, byte limbs.
    pub const X: usize = SEL + Family::ARITH.len();
    /// Second factor, byte limbs.
    pub const Y: usize = X + LIMBS;
    /// Addend (the remainder of quotient rows), byte limbs.
    pub const Z: usize = Y + LIMBS;
    /// Low 256 bits of the sum, byte limbs.
    pub const W: usize = Z + LIMBS;
    /// Carry out of each 32-bit group, as (low byte, high byte) pairs.
    pub const CARRY: usize = W + LIMBS;
    /// Quotient rows with a nonzero divisor: `Y - Z - 1`, byte limbs.
    pub const D: usize = CARRY + 2 * GROUPS;
    /// Carry bits of `Z + D + 1 = Y` out of the 32-bit groups but the last.
    pub const DCARRY: usize = D + LIMBS;
    /// Inverse witness of the sum of `Y`'s bytes (when nonzero).
    pub const YINV: usize = DCARRY + GROUPS - 1;
    /// 1 when `Y` is zero.
    pub const YZERO: usize = YINV + 1;
    /// 1 on quotient rows whose divisor `Y` is nonzero.
    pub const NZQ: usize = YZERO + 1;
    /// SHL/SHR/SAR: the shift amount; BYTE, SIGNEXTEND: the byte index; byte limbs.
    pub const S: usize = NZQ + 1;
    /// Inverse witness of the sum of `S`'s bytes 1..32 (when nonzero).
    pub const SINV: usize = S + LIMBS;
    /// 1 when `S` is 256 or more.
    pub const SBIG: usize = SINV + 1;
    /// SHL/SHR/SAR with a shift below 256.
    pub const SSMALL: usize = SBIG + 1;
    /// BYTE with an index below 32.
    pub const BSMALL: usize = SSMALL + 1;
    /// SIGNEXTEND with an index below 31.
    pub const XSMALL: usize = BSMALL + 1;
    /// `IDX[3] * BIT[7]`: `S[0]` is 31.
    pub const S31: usize = XSMALL + 1;
    /// The byte of `Z` at index `S[0]` (zero when `S[0]` is 32 or more).
    pub const SELB: usize = S31 + 1;
    /// SIGNEXTEND below 31: the sign bit of `SELB`.
    pub const SXNEG: usize = SELB + 1;
    /// One-hot: `S[0] / 8` (for shifts, the byte of `Y` that is nonzero).
    pub const IDX: usize = SXNEG + 1;
    /// One-hot: `S[0] mod 8` (for shifts, the bit set in that byte).
    pub const BIT: usize = IDX + LIMBS;
    /// SAR: 1 when the value is negative (its top bit is set).
    pub const NEG: usize = BIT + 8;
    /// SAR: the value's top byte less `128 NEG`; SIGNEXTEND: `SELB` less
    /// `128 SXNEG` (below 128).
    pub const TOP_LOW: usize = NEG + 1;
    /// SAR: `TOP_LOW + 128` (a byte only when `TOP_LOW < 128`).
    pub const TOP_LOW_HI: usize = TOP_LOW + 1;
    /// SDIV/SMOD: the dividend's (IN0's) sign bit.
    pub const NEGA: usize = TOP_LOW_HI + 1;
    /// SDIV/SMOD: IN0's top byte less `128 NEGA` (below 128).
    pub const ALOW: usize = NEGA + 1;
    /// `ALOW + 128` (a byte only when `ALOW < 128`).
    pub const ALOW_HI: usize = ALOW + 1;
    /// SDIV/SMOD: the divisor's (IN1's) sign bit.
    pub const NEGB: usize = ALOW_HI + 1;
    /// SDIV/SMOD: IN1's top byte less `128 NEGB` (below 128).
    pub const BLOW: usize = NEGB + 1;
    /// `BLOW + 128` (a byte only when `BLOW < 128`).
    pub const BLOW_HI: usize = BLOW + 1;
    /// The sign a nonzero result takes: `NEGA xor NEGB` for SDIV, `NEGA` for SMOD.
    pub const QSIGN: usize = BLOW_HI + 1;
    /// SDIV/SMOD: 1 when the result's magnitude (X for SDIV, Z for SMOD) is nonzero.
    pub const VNZ: usize = QSIGN + 1;
    /// Inverse witness of the sum of the magnitude's bytes (when nonzero).
    pub const VINV: usize = VNZ + 1;
    /// SDIV/SMOD: 1 when the result is its magnitude's negation (`QSIGN VNZ`).
    pub const NEGO: usize = VINV + 1;
    /// Carry bits of `IN0 + W`, `IN1 + Y` and `OUT + magnitude` (each 2^256
    /// when negated) out of the 32-bit groups but the last, `GROUPS - 1` per sum.
    pub const NCARRY: usize = NEGO + 1;
    /// ADDMOD/MULMOD: the high half of the quotient, byte limbs.
    pub const XH: usize = NCARRY + 3 * (GROUPS - 1);
    /// ADDMOD/MULMOD: what IN0 is multiplied by (IN1 for MULMOD, 1 for
    /// ADDMOD; zero on other rows), byte limbs.
    pub const M: usize = XH + LIMBS;
    /// 1 on ADDMOD/MULMOD rows whose divisor `Y` is nonzero.
    pub const MNZ: usize = M + LIMBS;
    /// Signed carries of the 512-bit check out of its 32-bit groups but
    /// the last, each as (low byte, high byte) of `carry + 2^15`.
    pub const MCARRY: usize = MNZ + 1;
    /// 1 on MUL rows that serve an EXP (a square or a product of the
    /// exponentiation table, see [`crate::exp`]) rather than a MUL step.
    pub const EXPMUL: usize = MCARRY + 2 * (2 * GROUPS - 1);
    /// The step's first operand (a copy of X, W or S, by family), byte limbs.
    pub const IN0: usize = EXPMUL + 1;
    /// The step's second operand (a copy of Y, X or W), byte limbs.
    pub const IN1: usize = IN0 + LIMBS;
    /// The step's result (a copy of W, X or Z), byte limbs.
    pub const OUT: usize = IN1 + LIMBS;
    /// Byte range table: 0, 1, ..., 255, 255, ...
    pub const RANGE: usize = OUT + LIMBS;
    /// How often each RANGE value is looked up.
    pub const FREQ: usize = RANGE + 1;
    /// Number of columns.
    pub const NUM_COLUMNS: usize = FREQ + 1;

    /// Selector column of an arithmetic family.
    pub fn sel(family: Family) -> usize {
        SEL + Family::ARITH
            .iter()
            .position(|&f| f == family)
            .expect("only the arithmetic families have an arithmetic selector")
    }

    /// Columns checked to hold bytes: X, XH, Y, Z, W, D, the carries and
    /// the top-byte splits (S is built from one-hot bits, M from IN1; IN0,
    /// IN1 and OUT are the step table's range-checked words).
    pub fn range_checked() -> Vec<usize> {
        (X..X + LIMBS)
            .chain(Y..Y + LIMBS)
            .chain(Z..Z + LIMBS)
            .chain(W..W + LIMBS)
            .chain(D..D + LIMBS)
            .chain(CARRY..CARRY + 2 * GROUPS)
            .chain(XH..XH + LIMBS)
            .chain(MCARRY..MCARRY + 2 * (2 * GROUPS - 1))
            .chain([TOP_LOW, TOP_LOW_HI, ALOW, ALOW_HI, BLOW, BLOW_HI])
            .collect()
    }
}

/// One arithmetic step, as the step table hands it over (its family is one
/// of [`Family::ARITH`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArithOp {
    /// MUL, DIV, MOD, SDIV, SMOD, SHL, SHR, SAR, BYTE, SIGNEXTEND, ADDMOD or MULMOD.
    pub family: Family,
    /// First operand (top of stack; the shift of SHL/SHR/SAR, the byte index of BYTE and SIGNEXTEND).
    pub in0: U256,
    /// Second operand.
    pub in1: U256,
    /// Third operand: the modulus `N` of ADDMOD and MULMOD, zero for the other families.
    pub in2: U256,
}

/// The multiply-add operands of one row.
struct MulAdd {
    x: U256,
    y: U256,
    z: U256,
    w: U256,
    /// ADDMOD/MULMOD: the quotient's high half.
    xh: U256,
}

impl ArithOp {
    /// Whether SAR shifts a negative value (whose complement the table shifts).
    fn negative(&self) -> bool {
        self.family == Family::Sar && self.in1.bit(255)
    }

    /// `2^shift`, or zero for a shift of 256 or more.
    fn power(&self) -> U256 {
        match usize::try_from(self.in0) {
            Ok(s) if s < 256 => U256::from(1u8) << s,
            _ => U256::ZERO,
        }
    }

    /// BYTE's divisor `256^(31 - i)`, or zero for an index of 32 or more.
    fn byte_divisor(&self) -> U256 {
        match usize::try_from(self.in0) {
            Ok(i) if i < 32 => U256::from(1u8) << (8 * (31 - i)),
            _ => U256::ZERO,
        }
    }

    /// SIGNEXTEND's divisor `256^(b + 1)`, or zero for an index `b` of 31 or more.
    fn extend_divisor(&self) -> U256 {
        match usize::try_from(self.in0) {
            Ok(b) if b < 31 => U256::from(1u8) << (8 * (b + 1)),
            _ => U256::ZERO,
        }
    }

    /// Whether SIGNEXTEND extends a negative value (the top bit of byte `b`, below 31).
    fn extends_negative(&self) -> bool {
        match usize::try_from(self.in0) {
            Ok(b) if self.family == Family::SignExtend && b < 31 => self.in1.bit(8 * b + 7),
            _ => false,
        }
    }

    /// SDIV: whether the quotient is negated; SMOD: whether the remainder is
    /// (when nonzero).
    fn result_sign(&self) -> bool {
        match self.family {
            Family::Sdiv => self.in0.bit(255) ^ self.in1.bit(255),
            _ => self.in0.bit(255),
        }
    }

    /// `(a / b, a mod b)`, both zero when `b` is zero.
    fn div_rem(a: U256, b: U256) -> (U256, U256) {
        if b.is_zero() {
            (U256::ZERO, U256::ZERO)
        } else {
            a.div_rem(b)
        }
    }

    /// ADDMOD/MULMOD: the exact sum or product divided by `N` (quotient and
    /// remainder zero when `N` is zero).
    fn modular(&self) -> MulAdd {
        let (a, b, n) = (U512::from(self.in0), U512::from(self.in1), U512::from(self.in2));
        let total = if self.family == Family::Addmod { a + b } else { a * b };
        let (q, r) = if n.is_zero() {
            (U512::ZERO, U512::ZERO)
        } else {
            total.div_rem(n)
        };
        let half = |v: U512, k: usize| U256::from_limbs(std::array::from_fn(|i| v.as_limbs()[4 * k + i]));
        MulAdd {
            x: half(q, 0),
            y: self.in2,
            z: half(r, 0),
            w: U256::ZERO,
            xh: half(q, 1),
        }
    }

    fn mul_add(&self) -> MulAdd {
        let product = |x: U256, y: U256| MulAdd {
            x,
            y,
            z: U256::ZERO,
            w: x.wrapping_mul(y),
            xh: U256::ZERO,
        };
        let quotient = |w: U256, y: U256| {
            let (x, z) = Self::div_rem(w, y);
            MulAdd {
                x,
                y,
                z,
                w,
                xh: U256::ZERO,
            }
        };
        match self.family {
            Family::Mul => product(self.in0, self.in1),
            Family::Shl => product(self.in1, self.power()),
            Family::Shr => quotient(self.in1, self.power()),
            Family::Sar if self.negative() => quotient(!self.in1, self.power()),
            Family::Sar => quotient(self.in1, self.power()),
            Family::Byte => quotient(self.in1, self.byte_divisor()),
            Family::SignExtend => quotient(self.in1, self.extend_divisor()),
            Family::Sdiv | Family::Smod => quotient(magnitude(self.in0), magnitude(self.in1)),
            Family::Addmod | Family::Mulmod => self.modular(),
            // DIV and MOD, the other arithmetic families.
            _ => quotient(self.in0, self.in1),
        }
    }

    /// The result the step pushes.
    pub fn result(&self) -> U256 {
        let m = self.mul_add();
        match self.family {
            Family::Mul | Family::Shl => m.w,
            Family::Mod | Family::Addmod | Family::Mulmod => m.z,
            Family::Sar if self.negative() => !m.x,
            Family::Byte => m.x & U256::from(0xffu8),
            Family::SignExtend if m.y.is_zero() => self.in1,
            Family::SignExtend if self.extends_negative() => m.z | !(m.y - U256::from(1u8)),
            Family::SignExtend => m.z,
            Family::Sdiv if self.result_sign() => m.x.wrapping_neg(),
            Family::Smod if self.result_sign() => m.z.wrapping_neg(),
            Family::Sdiv => m.x,
            Family::Smod => m.z,
            // DIV, SHR and SAR of a nonnegative value push the quotient.
            _ => m.x,
        }
    }
}

/// The magnitude of a two's-complement word (`2^255` for `-2^255`).
fn magnitude(v: U256) -> U256 {
    if v.bit(255) {
        v.wrapping_neg()
    } else {
        v
    }
}

/// The value of 32-bit group `g` of a word's byte limbs.
fn group(bytes: &[u8; LIMBS], g: usize) -> u64 {
    (0..4).map(|k| u64::from(bytes[4 * g + k]) << (8 * k)).sum()
}

/// SDIV/SMOD: the sign splits, the result's sign flags and the carries of
/// each signed word and its magnitude (`result` is what the step pushes).
fn fill_signed(row: &mut [F; col::NUM_COLUMNS], op: &ArithOp, m: &MulAdd, result: U256) {
    for (word, flag, low, low_hi) in [
        (op.in0, col::NEGA, col::ALOW, col::ALOW_HI),
        (op.in1, col::NEGB, col::BLOW, col::BLOW_HI),
    ] {
        let top = limbs(word)[LIMBS - 1];
        row[flag] = F::from_bool(top >= 128);
        row[low] = F::from_canonical_u8(top & 0x7f);
        row[low_hi] = F::from_canonical_u8((top & 0x7f) + 128);
    }
    let magnitude = if op.family == Family::Sdiv { m.x } else { m.z };
    let sum: u64 = limbs(magnitude).iter().map(|&b| u64::from(b)).sum();
    let sign = op.result_sign();
    row[col::QSIGN] = F::from_bool(sign);
    row[col::VNZ] = F::from_bool(sum != 0);
    if sum != 0 {
        row[col::VINV] = F::from_canonical_u64(sum).inverse();
    }
    let negated_out = sign && sum != 0;
    row[col::NEGO] = F::from_bool(negated_out);
    let pairs = [
        (op.in0, m.w, op.in0.bit(255)),
        (op.in1, m.y, op.in1.bit(255)),
        (result, magnitude, negated_out),
    ];
    for (k, (signed, magnitude, negated)) in pairs.into_iter().enumerate() {
        if !negated {
            continue;
        }
        let (s, v) = (limbs(signed), limbs(magnitude));
        let mut carry = 0u64;
        for g in 0..GROUPS - 1 {
            carry = (group(&s, g) + group(&v, g) + carry) >> 32;
            row[col::NCARRY + k * (GROUPS - 1) + g] = F::from_canonical_u64(carry);
        }
    }
}

/// The partial product sum `sum_{i+j=p} u_i v_j` of byte position `p` (0..63).
fn partial_sum(u: &[u8; LIMBS], v: &[u8; LIMBS], p: usize) -> u128 {
    (p.saturating_sub(LIMBS - 1)..=p.min(LIMBS - 1))
        .map(|i| u128::from(u[i]) * u128::from(v[p - i]))
        .sum()
}

/// ADDMOD/MULMOD: the signed carries of `X * Y + Z + 2^256 XH * Y = IN0 *
/// M + ADDMOD * IN1` per 32-bit group, each stored as two bytes of `carry + 2^15`.
fn fill_modular_carries(row: &mut [F; col::NUM_COLUMNS], op: &ArithOp, m: &MulAdd, multiplier: U256) {
    let (x, xh, y, z) = (limbs(m.x), limbs(m.xh), limbs(m.y), limbs(m.z));
    let (a, b, mult) = (limbs(op.in0), limbs(op.in1), limbs(multiplier));
    let partial = |u: &[u8; LIMBS], v: &[u8; LIMBS], p: usize| partial_sum(u, v, p) as i128;
    let addend = |word: &[u8; LIMBS], p: usize| i128::from(word.get(p).copied().unwrap_or(0));
    let mut carry: i128 = 0;
    for g in 0..2 * GROUPS {
        let mut diff = carry;
        for k in 0..4 {
            let p = 4 * g + k;
            let high = if p >= LIMBS { partial(&xh, &y, p - LIMBS) } else { 0 };
            let lhs = partial(&x, &y, p) + addend(&z, p) + high;
            let sum = if op.family == Family::Addmod { addend(&b, p) } else { 0 };
            let rhs = partial(&a, &mult, p) + sum;
            diff += (lhs - rhs) << (8 * k);
        }
        debug_assert_eq!(diff % (1 << 32), 0, "group {g} of the 512-bit check");
        carry = diff >> 32;
        if g + 1 < 2 * GROUPS {
            let stored = u64::try_from(carry + (1 << 15)).expect("carries stay within 2^15");
            row[col::MCARRY + 2 * g] = F::from_canonical_u64(stored & 0xff);
            row[col::MCARRY + 2 * g + 1] = F::from_canonical_u64(stored >> 8);
        }
    }
    debug_assert_eq!(carry, 0, "the 512-bit check ends without a carry");
}

/// Writes the row of one operation.
fn fill_row(row: &mut [F; col::NUM_COLUMNS], op: &ArithOp) {
    row[col::sel(op.family)] = F::ONE;
    let m = op.mul_add();
    let (x, y, z, w) = (limbs(m.x), limbs(m.y), limbs(m.z), limbs(m.w));
    let result = op.result();
    let step = [limbs(op.in0), limbs(op.in1), limbs(result)];
    for (base, bytes) in [
        (col::X, &x),
        (col::Y, &y),
        (col::Z, &z),
        (col::W, &w),
        (col::IN0, &step[0]),
        (col::IN1, &step[1]),
        (col::OUT, &step[2]),
    ] {
        for (j, b) in bytes.iter().enumerate() {
            row[base + j] = F::from_canonical_u8(*b);
        }
    }
    let quotient_row = matches!(
        op.family,
        Family::Div
            | Family::Mod
            | Family::Sdiv
            | Family::Smod
            | Family::Shr
            | Family::Sar
            | Family::Byte
            | Family::SignExtend
    );
    let product_row = matches!(op.family, Family::Mul | Family::Shl);
    let ternary = Family::TERNARY.contains(&op.family);
    let y_sum: u64 = y.iter().map(|&b| u64::from(b)).sum();
    row[col::YZERO] = F::from_bool(y_sum == 0);
    if y_sum != 0 {
        row[col::YINV] = F::from_canonical_u64(y_sum).inverse();
    }
    let nzq = quotient_row && y_sum != 0;
    row[col::NZQ] = F::from_bool(nzq);
    let mnz = ternary && y_sum != 0;
    row[col::MNZ] = F::from_bool(mnz);

    // Carries of the product, per 32-bit group (none when the product is not checked).
    if product_row || nzq {
        let mut carry: u128 = 0;
        for g in 0..GROUPS {
            let mut sum = carry;
            for k in 0..4 {
                let b = 4 * g + k;
                sum += (partial_sum(&x, &y, b) + u128::from(z[b])) << (8 * k);
            }
            let low: u128 = (0..4).map(|k| u128::from(w[4 * g + k]) << (8 * k)).sum();
            carry = (sum - low) >> 32;
            row[col::CARRY + 2 * g] = F::from_canonical_u64((carry & 0xff) as u64);
            row[col::CARRY + 2 * g + 1] = F::from_canonical_u64((carry >> 8) as u64);
        }
    }
    if ternary {
        let multiplier = if op.family == Family::Mulmod {
            op.in1
        } else {
            U256::from(1u8)
        };
        for (base, word) in [(col::XH, m.xh), (col::M, multiplier)] {
            for (j, b) in limbs(word).iter().enumerate() {
                row[base + j] = F::from_canonical_u8(*b);
            }
        }
        if mnz {
            fill_modular_carries(row, op, &m, multiplier);
        }
    }
    if nzq || mnz {
        let d = limbs(m.y - m.z - U256::from(1u8));
        for (j, b) in d.iter().enumerate() {
            row[col::D + j] = F::from_canonical_u8(*b);
        }
        // Carries of Z + D + 1 = Y per 32-bit group.
        let mut carry = 1u64;
        for g in 0..GROUPS - 1 {
            carry = (group(&z, g) + group(&d, g) + carry) >> 32;
            row[col::DCARRY + g] = F::from_canonical_u64(carry);
        }
    }

    if matches!(op.family, Family::Sdiv | Family::Smod) {
        fill_signed(row, op, &m, result);
    }
    if op.family == Family::Sar {
        let negative = op.negative();
        let top_low = limbs(op.in1)[LIMBS - 1] - if negative { 128 } else { 0 };
        row[col::NEG] = F::from_bool(negative);
        row[col::TOP_LOW] = F::from_canonical_u8(top_low);
        row[col::TOP_LOW_HI] = F::from_canonical_u8(top_low + 128);
    }
    if matches!(
        op.family,
        Family::Shl | Family::Shr | Family::Sar | Family::Byte | Family::SignExtend
    ) {
        let s = limbs(op.in0);
        for (j, b) in s.iter().enumerate() {
            row[col::S + j] = F::from_canonical_u8(*b);
        }
        let high_sum: u64 = s[1..].iter().map(|&b| u64::from(b)).sum();
        if high_sum != 0 {
            row[col::SINV] = F::from_canonical_u64(high_sum).inverse();
        }
        row[col::SBIG] = F::from_bool(high_sum != 0);
        let shift = matches!(op.family, Family::Shl | Family::Shr | Family::Sar);
        row[col::SSMALL] = F::from_bool(shift && high_sum == 0);
        row[col::BSMALL] = F::from_bool(op.family == Family::Byte && high_sum == 0 && s[0] < 32);
        let xsmall = op.family == Family::SignExtend && high_sum == 0 && s[0] < 31;
        row[col::XSMALL] = F::from_bool(xsmall);
        row[col::S31] = F::from_bool(s[0] == 31);
        row[col::IDX + usize::from(s[0] / 8)] = F::ONE;
        row[col::BIT + usize::from(s[0] % 8)] = F::ONE;
        let selected = z.get(usize::from(s[0])).copied().unwrap_or(0);
        row[col::SELB] = F::from_canonical_u8(selected);
        if xsmall {
            let negative = op.extends_negative();
            let low = selected - if negative { 128 } else { 0 };
            row[col::SXNEG] = F::from_bool(negative);
            row[col::TOP_LOW] = F::from_canonical_u8(low);
            row[col::TOP_LOW_HI] = F::from_canonical_u8(low + 128);
        }
    }
}

/// Builds the arithmetic table from the step table's arithmetic steps and
/// then the MUL operations the exponentiation table asks for (`exp_products`,
/// marked `EXPMUL`), padded with all-zero rows (their `YZERO` set) to
/// `2^rows_log` rows or the next power of two that fits.
pub fn generate(ops: &[ArithOp], exp_products: &[ArithOp], rows_log: usize) -> Vec<[F; col::NUM_COLUMNS]> {
    let total = ops.len() + exp_products.len();
    let height = total.next_power_of_two().max(1 << rows_log);
    let mut padding = [F::ZERO; col::NUM_COLUMNS];
    padding[col::YZERO] = F::ONE;
    let mut rows = vec![padding; height];
    let tagged = ops
        .iter()
        .map(|op| (op, false))
        .chain(exp_products.iter().map(|op| (op, true)));
    for (row, (op, serves_exp)) in rows.iter_mut().zip(tagged) {
        *row = [F::ZERO; col::NUM_COLUMNS];
        fill_row(row, op);
        row[col::EXPMUL] = F::from_bool(serves_exp);
    }
    range::fill(&mut rows, &col::range_checked(), col::RANGE, col::FREQ);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(family: Family, in0: U256, in1: U256) -> ArithOp {
        ArithOp {
            family,
            in0,
            in1,
            in2: U256::ZERO,
        }
    }

    fn op3(family: Family, in0: U256, in1: U256, in2: U256) -> ArithOp {
        ArithOp { family, in0, in1, in2 }
    }

    #[test]
    fn results_follow_the_evm() {
        let (a, b) = (U256::from(100u64), U256::from(7u64));
        assert_eq!(op(Family::Mul, a, b).result(), U256::from(700u64));
        assert_eq!(op(Family::Div, a, b).result(), U256::from(14u64));
        assert_eq!(op(Family::Mod, a, b).result(), U256::from(2u64));
        assert_eq!(op(Family::Div, a, U256::ZERO).result(), U256::ZERO);
        assert_eq!(op(Family::Mod, a, U256::ZERO).result(), U256::ZERO);
        assert_eq!(op(Family::Shl, U256::from(4u64), b).result(), U256::from(112u64));
        assert_eq!(op(Family::Shr, U256::from(2u64), a).result(), U256::from(25u64));
        assert_eq!(op(Family::Shl, U256::from(256u64), b).result(), U256::ZERO);
        assert_eq!(op(Family::Shr, U256::from(1u64) << 200, a).result(), U256::ZERO);
        assert_eq!(op(Family::Mul, U256::MAX, U256::MAX).result(), U256::from(1u64));
        let minus_100 = U256::ZERO - U256::from(100u64);
        assert_eq!(
            op(Family::Sar, U256::from(3u64), minus_100).result(),
            U256::ZERO - U256::from(13u64)
        );
        assert_eq!(op(Family::Sar, U256::from(3u64), a).result(), U256::from(12u64));
        assert_eq!(op(Family::Sar, U256::from(256u64), minus_100).result(), U256::MAX);
        let word = U256::from_be_bytes::<32>(std::array::from_fn(|k| k as u8 + 1));
        assert_eq!(op(Family::Byte, U256::ZERO, word).result(), U256::from(1u64));
        assert_eq!(op(Family::Byte, U256::from(31u64), word).result(), U256::from(32u64));
        assert_eq!(op(Family::Byte, U256::from(32u64), word).result(), U256::ZERO);
        let x = U256::from(0x12_80u64);
        assert_eq!(
            op(Family::SignExtend, U256::ZERO, x).result(),
            U256::MAX - U256::from(0x7fu64)
        );
        assert_eq!(op(Family::SignExtend, U256::from(1u64), x).result(), x);
        assert_eq!(op(Family::SignExtend, U256::from(31u64), U256::MAX).result(), U256::MAX);
        assert_eq!(
            op(Family::SignExtend, U256::from(30u64), U256::MAX >> 8).result(),
            U256::MAX
        );
        assert_eq!(
            op(Family::SignExtend, U256::from(30u64), U256::MAX >> 9).result(),
            U256::MAX >> 9
        );
        let neg = |v: u64| U256::ZERO - U256::from(v);
        assert_eq!(op(Family::Sdiv, neg(100), b).result(), neg(14));
        assert_eq!(op(Family::Sdiv, neg(100), neg(7)).result(), U256::from(14u64));
        assert_eq!(op(Family::Sdiv, a, neg(7)).result(), neg(14));
        assert_eq!(
            op(Family::Sdiv, neg(3), b).result(),
            U256::ZERO,
            "truncates toward zero"
        );
        assert_eq!(op(Family::Sdiv, neg(100), U256::ZERO).result(), U256::ZERO);
        let min = U256::from(1u8) << 255;
        assert_eq!(op(Family::Sdiv, min, U256::MAX).result(), min, "-2^255 / -1 wraps");
        assert_eq!(op(Family::Smod, neg(100), b).result(), neg(2));
        assert_eq!(
            op(Family::Smod, a, neg(7)).result(),
            U256::from(2u64),
            "the dividend's sign"
        );
        assert_eq!(op(Family::Smod, neg(100), U256::ZERO).result(), U256::ZERO);
        assert_eq!(op(Family::Smod, neg(98), b).result(), U256::ZERO);
        let n = U256::from(9u64);
        assert_eq!(op3(Family::Addmod, a, b, n).result(), U256::from(107u64 % 9));
        assert_eq!(op3(Family::Mulmod, a, b, n).result(), U256::from(700u64 % 9));
        assert_eq!(op3(Family::Addmod, a, b, U256::ZERO).result(), U256::ZERO);
        assert_eq!(op3(Family::Mulmod, a, b, U256::ZERO).result(), U256::ZERO);
        // The sum and the product are exact, not wrapped at 2^256.
        assert_eq!(
            op3(Family::Addmod, U256::MAX, U256::from(2u64), U256::MAX).result(),
            U256::from(2u64)
        );
        assert_eq!(
            op3(Family::Mulmod, U256::MAX, U256::MAX, neg(2)).result(),
            U256::from(1u64)
        );
        assert_eq!(
            op3(Family::Mulmod, U256::MAX, U256::MAX, U256::from(1u64)).result(),
            U256::ZERO
        );
    }

    #[test]
    fn ternary_rows_split_the_quotient() {
        let big = op3(Family::Mulmod, U256::MAX, U256::MAX, U256::from(1u64));
        let rows = generate(&[big], &[], 8);
        let r = &rows[0];
        assert_eq!(r[col::MNZ], F::ONE);
        assert_eq!(r[col::NZQ], F::ZERO);
        // (2^256 - 1)^2 = 2^512 - 2^257 + 1: the quotient's high half starts with 0xff...fe.
        assert_eq!(r[col::XH], F::from_canonical_u64(0xfe));
        assert_eq!(r[col::XH + LIMBS - 1], F::from_canonical_u64(0xff));
        assert_eq!(r[col::X], F::ONE);
        assert_eq!(r[col::M + 1], F::from_canonical_u64(0xff), "MULMOD multiplies by IN1");
        let add = generate(&[op3(Family::Addmod, U256::MAX, U256::MAX, U256::ZERO)], &[], 8);
        assert_eq!(add[0][col::MNZ], F::ZERO, "a zero modulus is not divided by");
        assert_eq!(add[0][col::M], F::ONE, "ADDMOD multiplies by 1");
    }

    #[test]
    fn rows_hold_the_multiply_add() {
        let rows = generate(&[op(Family::Shr, U256::from(13u64), U256::MAX)], &[], 8);
        assert_eq!(rows.len(), 256);
        let r = &rows[0];
        assert_eq!(r[col::sel(Family::Shr)], F::ONE);
        assert_eq!(r[col::IDX + 1], F::ONE, "13 = 8 * 1 + 5");
        assert_eq!(r[col::BIT + 5], F::ONE);
        assert_eq!(r[col::Y + 1], F::from_canonical_u64(32));
        assert_eq!(r[col::NZQ], F::ONE);
        assert_eq!(r[col::Z], F::from_canonical_u64(255), "MAX mod 2^13 = 2^13 - 1");
        assert_eq!(r[col::Z + 1], F::from_canonical_u64(31));
        assert_eq!(rows[1][col::YZERO], F::ONE);
        assert_eq!(rows[1][col::NZQ], F::ZERO);
    }
}
