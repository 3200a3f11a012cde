//! Constraints of the step (CPU) table; the column layout is
//! [`witness::cpu::col`].
//!
//! Per row: selectors are boolean and exactly one is set on real rows; the
//! stack size, gas and pc follow the opcode family; operands and results obey
//! the family's semantics (byte-wise addition with carries for ADD, SUB and
//! the comparisons, where SLT/SGT add the sign-flipped top bytes; an is-zero
//! test with inverse witnesses for EQ, ISZERO, JUMPI; `255 - x` per byte for
//! NOT); jumps land on a JUMPDEST; memory size and expansion gas follow
//! MLOAD/MSTORE/MSTORE8 and MSIZE pushes the size; results, the comparison
//! difference, the flipped top bytes and the memory witnesses are bytes
//! (range lookup). Columns a family does not use are forced to zero. Stack
//! values, instructions, AND/OR/XOR results, MUL/DIV/MOD/SDIV/SMOD/SHL/SHR/SAR/BYTE/SIGNEXTEND/ADDMOD/MULMOD results,
//! EXP results with their dynamic gas, call-context values, memory bytes
//! and SLOAD values with the storage gas come from the other tables through cross-table lookups; SSTORE checks
//! that more gas than the 2300 sentry is left and adds the refund change the
//! storage table computes (`RDELTA`) to the transaction's refund counter
//! (`REFUND`, zero at its first step), whose final value and the gas left its
//! last step reads from the call-context table.
//!
//! A step that runs out of gas (`OOG`) ends its transaction like INVALID:
//! its family's operands, lookups and memory size columns are those of the
//! step, but its cost (static, memory expansion and dynamic gas) exceeds its
//! gas, and the transaction reads as reverted with no gas left; a JUMP or
//! JUMPI that runs out does not jump, and a GAS that runs out pushes nothing
//! provable (its row holds zero). RETURN and REVERT cannot be such a step.
//!
//! A transaction split across chunks ([`witness::boundary`]): the first
//! row's pc, stack size, memory size and cost, refund counter (and gas, when
//! it resumes) are the resume boundary's public inputs (zero, and a fresh
//! start, when there is none); a suspending chunk's last step is not an
//! ending one and the row after it holds the state the step leaves, equal
//! to the suspend boundary's public inputs.

use super::expr::{impl_stark_via_cx, Cx};
use super::rw::{eval_range_column, range_lookup};
use plonky2::field::types::Field;
use starky::lookup::Lookup;
use witness::boundary::machine;
use witness::cpu::{col, pi};
use witness::opcode::Family;
use witness::word::LIMBS;

/// The step table.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuStark;

/// Families using stack channel 0 (read of `IN0`).
pub(crate) const CHANNEL0: [Family; 38] = with_binary([
    Family::IsZero,
    Family::Not,
    Family::Pop,
    Family::Jump,
    Family::Jumpi,
    Family::Dup,
    Family::Swap,
    Family::Mload,
    Family::Mstore,
    Family::Mstore8,
    Family::CallDataLoad,
    Family::Return,
    Family::Revert,
    Family::Sload,
    Family::Sstore,
    Family::Addmod,
    Family::Mulmod,
]);
/// Families using stack channel 1 (read of `IN1`).
pub(crate) const CHANNEL1: [Family; 30] = with_binary([
    Family::Jumpi,
    Family::Swap,
    Family::Mstore,
    Family::Mstore8,
    Family::Return,
    Family::Revert,
    Family::Sstore,
    Family::Addmod,
    Family::Mulmod,
]);
/// Families using stack channel 2 (write of `OUT`).
pub(crate) const CHANNEL2: [Family; 36] = with_binary([
    Family::IsZero,
    Family::Not,
    Family::Push0,
    Family::Push,
    Family::Dup,
    Family::Pc,
    Family::Swap,
    Family::Env,
    Family::Mload,
    Family::Msize,
    Family::CallDataLoad,
    Family::Gas,
    Family::Sload,
    Family::Addmod,
    Family::Mulmod,
]);

/// The binary families followed by `extra` (`N` must be their total count).
const fn with_binary<const E: usize, const N: usize>(extra: [Family; E]) -> [Family; N] {
    let binary = Family::BINARY;
    assert!(
        N == binary.len() + E,
        "N must count the binary families and the extra ones"
    );
    let mut out = [Family::Stop; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < binary.len() {
            binary[i]
        } else {
            extra[i - binary.len()]
        };
        i += 1;
    }
    out
}

/// The step-table columns a boundary's machine values ([`machine`]) pin.
const MACHINE_COLUMNS: [(usize, usize); 6] = [
    (col::PC, machine::PC),
    (col::SP, machine::SP),
    (col::GAS, machine::GAS),
    (col::MEM, machine::MEM),
    (col::MCOST, machine::MCOST),
    (col::REFUND, machine::REFUND),
];

/// The comparisons: a byte-wise subtraction whose last carry is the result.
const COMPARISONS: [Family; 4] = [Family::Lt, Family::Gt, Family::Slt, Family::Sgt];

impl CpuStark {
    /// The byte range checks: result and difference limbs and the flipped
    /// top bytes against the RANGE column.
    pub fn range_lookups<F: Field>(&self) -> Vec<Lookup<F>> {
        range_lookup(&col::range_checked(), col::RANGE, col::FREQ)
    }

    /// All constraints of the table.
    pub fn eval<C: Cx>(&self, cx: &mut C, lv: &[C::V], nv: &[C::V], pis: &[C::V]) {
        let sel = |f: Family| lv[col::sel(f)];
        let sum_of = |cx: &mut C, fs: &[Family]| {
            let v: Vec<C::V> = fs.iter().map(|&f| sel(f)).collect();
            cx.sum(&v)
        };
        let one = cx.int(1);
        let word = |base: usize, j: usize| lv[base + j];

        // Selectors.
        cx.boolean(lv[col::IS_REAL]);
        for f in Family::ALL {
            cx.boolean(sel(f));
        }
        let all = sum_of(cx, &Family::ALL);
        let c = cx.sub(all, lv[col::IS_REAL]);
        cx.always(c);
        let not_real = cx.not(lv[col::IS_REAL]);
        let c = cx.mul(nv[col::IS_REAL], not_real);
        cx.transition(c);

        // Row counter, boundaries and public inputs.
        cx.first_row(lv[col::CLK]);
        let d = cx.sub(nv[col::CLK], lv[col::CLK]);
        let c = cx.sub(d, one);
        cx.transition(c);
        let c = cx.sub(lv[col::IS_REAL], one);
        cx.first_row(c);
        let c = cx.sub(lv[col::TX], pis[pi::FIRST_TX]);
        cx.first_row(c);
        cx.last_row(lv[col::IS_REAL]);
        // The first row starts from the resume boundary (all zero for a fresh start).
        let resume = |k: usize| pis[pi::RESUME + k];
        let suspend = |k: usize| pis[pi::SUSPEND + k];
        for (column, k) in MACHINE_COLUMNS.into_iter().filter(|&(c, _)| c != col::GAS) {
            let c = cx.sub(lv[column], resume(k));
            cx.first_row(c);
        }
        let gas = cx.sub(lv[col::GAS], resume(machine::GAS));
        let c = cx.mul(resume(machine::FLAG), gas);
        cx.first_row(c);

        // Transaction boundaries: STOP, RETURN, REVERT, INVALID or a step that
        // runs out of gas (`OOG`, on a real step of another family) ends a
        // transaction, the next one starts at pc 0 with an empty stack. (That
        // step's read of the transaction's REVERTED flag is a cross-table lookup.)
        let stop = sum_of(cx, &Family::ENDS);
        let oog = lv[col::OOG];
        cx.boolean(oog);
        let c = cx.mul(oog, stop);
        cx.always(c);
        let c = cx.mul(oog, not_real);
        cx.always(c);
        let not_oog = cx.not(oog);
        let ending = cx.add(stop, oog);
        let next_real = nv[col::IS_REAL];
        let stop_next = cx.mul(ending, next_real);
        let tx_step = cx.sub(nv[col::TX], lv[col::TX]);
        let c = cx.sub(tx_step, one);
        let c = cx.mul(stop_next, c);
        cx.transition(c);
        let c = cx.mul(stop_next, nv[col::PC]);
        cx.transition(c);
        let c = cx.mul(stop_next, nv[col::SP]);
        cx.transition(c);
        let running = cx.sub(lv[col::IS_REAL], ending);
        let next_pad = cx.not(next_real);
        let suspends = suspend(machine::FLAG);
        let not_suspends = cx.not(suspends);
        let c = cx.mul(running, next_pad);
        let c = cx.mul(c, not_suspends);
        cx.transition(c);
        let c = cx.mul(running, tx_step);
        cx.transition(c);
        // A transaction's first step (whose gas the call context pins).
        let start = lv[col::IS_START];
        cx.boolean(start);
        let c = cx.sub(start, one);
        let c = cx.add(c, resume(machine::FLAG));
        cx.first_row(c);
        let c = cx.sub(nv[col::IS_START], stop_next);
        cx.transition(c);
        // The refund counter: zero at the start, moved only by SSTORE.
        let c = cx.mul(start, lv[col::REFUND]);
        cx.always(c);
        let refund_step = cx.sub(nv[col::REFUND], lv[col::REFUND]);
        let refund_step = cx.sub(refund_step, lv[col::RDELTA]);
        let c = cx.mul(running, refund_step);
        cx.transition(c);
        let not_sstore = cx.not(sel(Family::Sstore));
        let c = cx.mul(not_sstore, lv[col::RDELTA]);
        cx.always(c);
        let last = cx.mul(lv[col::IS_REAL], next_pad);
        let end = cx.add(lv[col::TX], not_suspends);
        let end = cx.sub(end, pis[pi::END_TX]);
        let c = cx.mul(last, end);
        cx.transition(c);
        // A suspending chunk's last step does not end its transaction, and
        // the row after it holds the suspend boundary.
        let last_suspends = cx.mul(last, suspends);
        let c = cx.mul(last_suspends, ending);
        cx.transition(c);
        for (column, k) in MACHINE_COLUMNS {
            let d = cx.sub(nv[column], suspend(k));
            let c = cx.mul(last_suspends, d);
            cx.transition(c);
        }
        let steps = cx.sub(nv[col::CLK], pis[pi::STEPS]);
        let c = cx.mul(last, steps);
        cx.transition(c);

        // Stack size and gas.
        let mut delta = cx.int(0);
        let mut cost = cx.int(0);
        for f in Family::ALL {
            let t = cx.scale(sel(f), f.stack_delta());
            delta = cx.add(delta, t);
            let t = cx.scale(sel(f), f.gas() as i64);
            cost = cx.add(cost, t);
        }
        let d = cx.sub(nv[col::SP], lv[col::SP]);
        let d = cx.sub(d, delta);
        let c = cx.mul(running, d);
        cx.transition(c);
        let d = cx.sub(nv[col::GAS], lv[col::GAS]);
        let d = cx.add(d, cost);
        let expansion_gas = cx.sub(nv[col::MCOST], lv[col::MCOST]);
        let d = cx.add(d, expansion_gas);
        let d = cx.add(d, lv[col::DGAS]);
        let c = cx.mul(running, d);
        cx.transition(c);
        // Only SLOAD, SSTORE and EXP have dynamic gas (priced by their tables).
        let dynamic = sum_of(cx, &[Family::Sload, Family::Sstore, Family::Exp]);
        let not_dynamic = cx.not(dynamic);
        let c = cx.mul(not_dynamic, lv[col::DGAS]);
        cx.always(c);
        let expansion = self.eval_memory_size(cx, lv, nv, running, stop_next);

        // Program counter. A JUMP or JUMPI that runs out of gas neither
        // jumps nor falls through (JUMPI_RUNS is JUMPI without OOG).
        let (res, jumpi) = (lv[col::RES], lv[col::JUMPI_RUNS]);
        let c = cx.mul(sel(Family::Jumpi), not_oog);
        let c = cx.sub(jumpi, c);
        cx.always(c);
        let jump = cx.mul(sel(Family::Jump), not_oog);
        let straight = cx.sub(running, jump);
        let straight = cx.sub(straight, jumpi);
        let pc_step = cx.sub(nv[col::PC], lv[col::PC]);
        let pc_step1 = cx.sub(pc_step, one);
        let c = cx.mul(straight, pc_step1);
        let push_n = cx.mul(sel(Family::Push), lv[col::N]);
        let push_n = cx.mul(running, push_n);
        let c = cx.sub(c, push_n);
        cx.transition(c);
        let dest_limbs: Vec<C::V> = (0..4).map(|j| word(col::IN0, j)).collect();
        let dest = cx.bytes_le(&dest_limbs);
        let to_dest = cx.sub(nv[col::PC], dest);
        let not_jumpdest = cx.not(nv[col::sel(Family::Jumpdest)]);
        let c = cx.mul(jump, to_dest);
        cx.transition(c);
        let c = cx.mul(jump, not_jumpdest);
        cx.transition(c);
        let stay = cx.mul(jumpi, res);
        let c = cx.mul(stay, pc_step1);
        cx.transition(c);
        let not_res = cx.not(res);
        let taken = cx.mul(jumpi, not_res);
        let c = cx.mul(taken, to_dest);
        cx.transition(c);
        let c = cx.mul(taken, not_jumpdest);
        cx.transition(c);
        let jumping = cx.add(jump, taken);
        for j in 4..LIMBS {
            let c = cx.mul(jumping, word(col::IN0, j));
            cx.always(c);
        }

        // Stack addresses of channels 0 and 1.
        let n_minus_1 = cx.sub(lv[col::N], one);
        let sp_minus = |cx: &mut C, k: i64| {
            let kk = cx.int(k);
            cx.sub(lv[col::SP], kk)
        };
        let a0 = sp_minus(cx, 1);
        let dup_off = cx.mul(sel(Family::Dup), n_minus_1);
        let a0 = cx.sub(a0, dup_off);
        let c = cx.sub(lv[col::ADDR0], a0);
        cx.always(c);
        let a1 = sp_minus(cx, 2);
        let swap_off = cx.mul(sel(Family::Swap), n_minus_1);
        let a1 = cx.sub(a1, swap_off);
        let c = cx.sub(lv[col::ADDR1], a1);
        cx.always(c);

        // Unused columns are zero.
        let sized = sum_of(cx, &[Family::Push, Family::Dup, Family::Swap, Family::Env]);
        let not_sized = cx.not(sized);
        let c = cx.mul(not_sized, lv[col::N]);
        cx.always(c);
        let idle = |cx: &mut C, fs: &[Family]| {
            let s = sum_of(cx, fs);
            cx.not(s)
        };
        let (act0, act1, act2) = (idle(cx, &CHANNEL0), idle(cx, &CHANNEL1), idle(cx, &CHANNEL2));
        // STOP, RETURN, REVERT and INVALID use OUT for the gas left without pushing it.
        let act2 = cx.sub(act2, stop);
        let cmp = sum_of(cx, &COMPARISONS);
        // SSTORE uses AUX for the gas left above the sentry, ADDMOD and MULMOD
        // for their modulus (read by stack channel 4).
        let sstore = sel(Family::Sstore);
        let ternary = sum_of(cx, &Family::TERNARY);
        let aux_used = cx.sum(&[cmp, sstore, ternary]);
        let not_aux = cx.not(aux_used);
        let signed = sum_of(cx, &[Family::Slt, Family::Sgt]);
        let not_signed = cx.not(signed);
        for c in [col::FLIP0, col::FLIP1] {
            let c = cx.mul(not_signed, lv[c]);
            cx.always(c);
        }
        let zero_test = sum_of(
            cx,
            &[
                Family::Eq,
                Family::IsZero,
                Family::Jumpi,
                Family::CallDataLoad,
                Family::Return,
                Family::Revert,
            ],
        );
        let not_zero_test = cx.not(zero_test);
        let not_push = cx.not(sel(Family::Push));
        let c = cx.mul(not_zero_test, res);
        cx.always(c);
        for j in 0..LIMBS {
            for (gate, base) in [
                (act0, col::IN0),
                (act1, col::IN1),
                (act2, col::OUT),
                (not_aux, col::AUX),
                (not_zero_test, col::INV),
                (not_push, col::PUSHV),
            ] {
                let c = cx.mul(gate, word(base, j));
                cx.always(c);
            }
        }

        // Results that copy or build a word.
        let eq_iszero = sum_of(cx, &[Family::Eq, Family::IsZero]);
        for j in 0..LIMBS {
            let out = word(col::OUT, j);
            for (f, src) in [
                (Family::Push, col::PUSHV),
                (Family::Dup, col::IN0),
                (Family::Swap, col::IN1),
            ] {
                let d = cx.sub(out, word(src, j));
                let c = cx.mul(sel(f), d);
                cx.always(c);
            }
            let c = cx.mul(sel(Family::Push0), out);
            cx.always(c);
            if j >= 4 {
                let c = cx.mul(sel(Family::Pc), out);
                cx.always(c);
            }
            if j >= 1 {
                for gate in [cmp, eq_iszero] {
                    let c = cx.mul(gate, out);
                    cx.always(c);
                }
            }
            let complement = cx.add(out, word(col::IN0, j));
            let top = cx.int(255);
            let d = cx.sub(complement, top);
            let c = cx.mul(sel(Family::Not), d);
            cx.always(c);
        }
        // GAS pushes the gas left after its own cost; STOP, RETURN and REVERT hold the gas left
        // at the end of the transaction in OUT (not pushed), INVALID zero (it consumes all
        // the gas). Seven range-checked bytes make both nonnegative: gas only decreases,
        // by less than 2^62 over a chunk, from at most 2^56 - 1, so a transaction that
        // ran out would end far above 2^56.
        let gas_op = sel(Family::Gas);
        let left_limbs: Vec<C::V> = (0..7).map(|j| word(col::OUT, j)).collect();
        let left = cx.bytes_le(&left_limbs);
        let gas_after = cx.add_int(lv[col::GAS], -(Family::Gas.gas() as i64));
        let d = cx.sub(left, gas_after);
        let c = cx.mul(gas_op, not_oog);
        let c = cx.mul(c, d);
        cx.always(c);
        // STOP, RETURN and REVERT keep the gas they have (RETURN and REVERT
        // first pay for expanding memory to their data); INVALID keeps none.
        let invalid = sel(Family::Invalid);
        let keeps_gas = cx.sub(stop, invalid);
        let d = cx.sub(left, lv[col::GAS]);
        let d = cx.add(d, expansion);
        let c = cx.mul(keeps_gas, d);
        cx.always(c);
        let c = cx.mul(invalid, left);
        cx.always(c);
        let gas_word = cx.add(gas_op, stop);
        for j in 7..LIMBS {
            let c = cx.mul(gas_word, word(col::OUT, j));
            cx.always(c);
        }
        // SSTORE needs more gas left than the sentry: GAS - 2301 is seven bytes.
        let above_limbs: Vec<C::V> = (0..7).map(|j| word(col::AUX, j)).collect();
        let above = cx.bytes_le(&above_limbs);
        let sentry = cx.add_int(lv[col::GAS], -(witness::storage::gas::SENTRY as i64 + 1));
        let d = cx.sub(above, sentry);
        let c = cx.mul(sstore, d);
        cx.always(c);
        for j in 7..LIMBS {
            let c = cx.mul(sstore, word(col::AUX, j));
            cx.always(c);
        }
        // A step that runs out of gas costs more than its gas: its static
        // cost, memory expansion and dynamic gas, less its gas, less one, is
        // the seven range-checked bytes of OOG_GAP (a negative difference
        // would be a field element far above 2^56).
        let gap_bytes: Vec<C::V> = (0..col::OOG_GAP_BYTES).map(|k| lv[col::OOG_GAP + k]).collect();
        let gap = cx.bytes_le(&gap_bytes);
        let step_cost = cx.sum(&[cost, expansion, lv[col::DGAS]]);
        let shortfall = cx.sub(step_cost, lv[col::GAS]);
        let shortfall = cx.add_int(shortfall, -1);
        let c = cx.sub(shortfall, gap);
        let c = cx.mul(oog, c);
        cx.always(c);
        for b in gap_bytes {
            let c = cx.mul(not_oog, b);
            cx.always(c);
        }
        let pc_limbs: Vec<C::V> = (0..4).map(|j| word(col::OUT, j)).collect();
        let pc_word = cx.bytes_le(&pc_limbs);
        let d = cx.sub(pc_word, lv[col::PC]);
        let c = cx.mul(sel(Family::Pc), d);
        cx.always(c);

        // Sign flips: FLIPk = top byte of INk xor 0x80, i.e. top + 128 - FLIPk is 0 or 256
        // (FLIPk is range-checked, so exactly one of the two holds).
        for (top, flip) in [(col::IN0, col::FLIP0), (col::IN1, col::FLIP1)] {
            let shifted = cx.add_int(word(top, LIMBS - 1), 128);
            let d = cx.sub(shifted, lv[flip]);
            let d256 = cx.add_int(d, -256);
            let c = cx.mul(d, d256);
            let c = cx.mul(signed, c);
            cx.always(c);
        }

        // Byte-wise addition x + y = z (mod 2^256) with carries. ADD: in0 + in1 = out;
        // SUB: out + in1 = in0; LT: aux + in1 = in0, GT: aux + in0 = in1, whose last
        // carry is the result; SLT/SGT as LT/GT on the sign-flipped words (only the top
        // byte differs).
        let (add, sub, gt) = (sel(Family::Add), sel(Family::Sub), sel(Family::Gt));
        let (slt, sgt) = (sel(Family::Slt), sel(Family::Sgt));
        let y_from_in1 = sum_of(cx, &[Family::Add, Family::Sub, Family::Lt]);
        let z_from_in0 = sum_of(cx, &[Family::Sub, Family::Lt]);
        let mut carry_in = cx.int(0);
        for j in 0..LIMBS {
            let (i0, i1, o, a) = (
                word(col::IN0, j),
                word(col::IN1, j),
                word(col::OUT, j),
                word(col::AUX, j),
            );
            let (s0, s1) = if j == LIMBS - 1 {
                (lv[col::FLIP0], lv[col::FLIP1])
            } else {
                (i0, i1)
            };
            let x = {
                let t0 = cx.mul(add, i0);
                let t1 = cx.mul(sub, o);
                let t2 = cx.mul(cmp, a);
                let t = cx.add(t0, t1);
                cx.add(t, t2)
            };
            let y = {
                let t0 = cx.mul(y_from_in1, i1);
                let t1 = cx.mul(gt, i0);
                let t2 = cx.mul(slt, s1);
                let t3 = cx.mul(sgt, s0);
                cx.sum(&[t0, t1, t2, t3])
            };
            let z = {
                let t0 = cx.mul(add, o);
                let t1 = cx.mul(z_from_in0, i0);
                let t2 = cx.mul(gt, i1);
                let t3 = cx.mul(slt, s0);
                let t4 = cx.mul(sgt, s1);
                cx.sum(&[t0, t1, t2, t3, t4])
            };
            let carry = word(col::CARRY, j);
            cx.boolean(carry);
            let lhs = cx.add(x, y);
            let lhs = cx.add(lhs, carry_in);
            let rhs = cx.scale(carry, 256);
            let rhs = cx.add(z, rhs);
            let c = cx.sub(lhs, rhs);
            cx.always(c);
            carry_in = carry;
        }
        let d = cx.sub(word(col::OUT, 0), carry_in);
        let c = cx.mul(cmp, d);
        cx.always(c);

        // Is-zero test: RES = 1 iff the tested word is zero. CALLDATALOAD tests
        // its offset's bytes 3..32 (an offset of 2^24 or more reads only zeros: call
        // data is shorter); RETURN and REVERT their size (empty data expands nothing).
        let (eq, iszero, cdl) = (sel(Family::Eq), sel(Family::IsZero), sel(Family::CallDataLoad));
        let in1_tested = sum_of(cx, &[Family::Jumpi, Family::Return, Family::Revert]);
        cx.boolean(res);
        let mut inv_sum = cx.int(0);
        for j in 0..LIMBS {
            let (i0, i1) = (word(col::IN0, j), word(col::IN1, j));
            let diff = cx.sub(i0, i1);
            let t0 = cx.mul(eq, diff);
            let zero_tested = if j < 3 {
                let c = cx.mul(cdl, word(col::INV, j));
                cx.always(c);
                iszero
            } else {
                cx.add(iszero, cdl)
            };
            let t1 = cx.mul(zero_tested, i0);
            let t2 = cx.mul(in1_tested, i1);
            let t = cx.add(t0, t1);
            let tested = cx.add(t, t2);
            let c = cx.mul(res, tested);
            cx.always(c);
            let t = cx.mul(tested, word(col::INV, j));
            inv_sum = cx.add(inv_sum, t);
        }
        let c = cx.mul(zero_test, not_res);
        let c = cx.sub(c, inv_sum);
        cx.always(c);
        let d = cx.sub(word(col::OUT, 0), res);
        let c = cx.mul(eq_iszero, d);
        cx.always(c);
        let beyond = cx.mul(cdl, not_res);
        for j in 0..LIMBS {
            let c = cx.mul(beyond, word(col::OUT, j));
            cx.always(c);
        }

        eval_range_column(cx, lv, nv, col::RANGE);
    }

    /// Memory size and expansion: each transaction starts with an empty
    /// memory; MLOAD/MSTORE/MSTORE8 at an offset below 2^32 need
    /// `NEED = ceil((offset + len) / 32)` words, below 2^24 (three range-checked
    /// bytes, so memory addresses stay below the call data's); when that exceeds `MEM`
    /// (`EXPAND`, decided by a range-checked difference) memory grows to
    /// `NEED` words and `MCOST` to `3 NEED + NEED^2 / 512`, which the gas
    /// transition charges (RETURN and REVERT, which end the transaction, pay it
    /// from the gas they leave); MSIZE pushes `32 MEM`. Returns the expansion
    /// gas, `EXPAND (3 NEED + NEED^2 / 512 - MCOST)`.
    fn eval_memory_size<C: Cx>(&self, cx: &mut C, lv: &[C::V], nv: &[C::V], running: C::V, stop_next: C::V) -> C::V {
        let sel = |f: Family| lv[col::sel(f)];
        // RETURN and REVERT with a nonzero size access their data's memory.
        let returns = cx.add(sel(Family::Return), sel(Family::Revert));
        let not_empty = cx.not(lv[col::RES]);
        let returns_data = cx.mul(returns, not_empty);
        let mem_ops = {
            let v = Family::MEMORY.map(sel);
            let fixed = cx.sum(&v);
            cx.add(fixed, returns_data)
        };
        let need_bytes: Vec<C::V> = (0..3).map(|k| lv[col::NEED + k]).collect();
        let need = cx.bytes_le(&need_bytes);
        let (mem, expand) = (lv[col::MEM], lv[col::EXPAND]);
        cx.boolean(expand);
        cx.boolean(lv[col::SQ_R_HI]);
        let rem_bits: Vec<C::V> = (0..5).map(|k| lv[col::REM_BITS + k]).collect();
        for &b in &rem_bits {
            cx.boolean(b);
        }
        let not_mem = cx.not(mem_ops);
        let access_only = [
            col::NEED,
            col::NEED + 1,
            col::NEED + 2,
            col::EXPAND,
            col::MDIFF,
            col::MDIFF + 1,
            col::MDIFF + 2,
        ];
        for c in access_only.into_iter().chain((0..5).map(|k| col::REM_BITS + k)) {
            let c = cx.mul(not_mem, lv[c]);
            cx.always(c);
        }
        let not_expand = cx.not(expand);
        for c in [col::SQ_Q, col::SQ_R_LO, col::SQ_R_HI] {
            let c = cx.mul(not_expand, lv[c]);
            cx.always(c);
        }

        // 32 NEED = offset + len + rem, rem < 32, offset < 2^32 (and RETURN's size).
        for j in 4..LIMBS {
            let c = cx.mul(mem_ops, lv[col::IN0 + j]);
            cx.always(c);
            let c = cx.mul(returns_data, lv[col::IN1 + j]);
            cx.always(c);
        }
        let offset_bytes: Vec<C::V> = (0..4).map(|j| lv[col::IN0 + j]).collect();
        let offset = cx.bytes_le(&offset_bytes);
        let offset = cx.mul(mem_ops, offset);
        let words = cx.add(sel(Family::Mload), sel(Family::Mstore));
        let len = cx.scale(words, 32);
        let len = cx.add(len, sel(Family::Mstore8));
        let size_bytes: Vec<C::V> = (0..4).map(|j| lv[col::IN1 + j]).collect();
        let size = cx.bytes_le(&size_bytes);
        let size = cx.mul(returns_data, size);
        let len = cx.add(len, size);
        let rem = {
            let mut acc = cx.int(0);
            for &b in rem_bits.iter().rev() {
                let shifted = cx.scale(acc, 2);
                acc = cx.add(shifted, b);
            }
            acc
        };
        let need32 = cx.scale(need, 32);
        let c = cx.sum(&[offset, len, rem]);
        let c = cx.sub(need32, c);
        cx.always(c);

        // EXPAND iff NEED > MEM: NEED - MEM - 1 or MEM - NEED is a 24-bit number.
        let diff_bytes: Vec<C::V> = (0..3).map(|k| lv[col::MDIFF + k]).collect();
        let diff = cx.bytes_le(&diff_bytes);
        let grow = cx.sub(need, mem);
        let keep = cx.sub(mem, need);
        let grow = cx.add_int(grow, -1);
        let grow = cx.mul(expand, grow);
        let kept = cx.sub(mem_ops, expand);
        let keep = cx.mul(kept, keep);
        let c = cx.add(grow, keep);
        let c = cx.sub(c, diff);
        cx.always(c);

        // NEED^2 = 512 SQ_Q + SQ_R with SQ_R < 512.
        let square = cx.mul(need, need);
        let q = cx.scale(lv[col::SQ_Q], 512);
        let r_hi = cx.scale(lv[col::SQ_R_HI], 256);
        let c = cx.sum(&[q, lv[col::SQ_R_LO], r_hi]);
        let c = cx.sub(square, c);
        let c = cx.mul(expand, c);
        cx.always(c);

        // The size and its cost carry over, grow on expansion, and restart
        // with each transaction (the first row's are the resume boundary's).
        for c in [col::MEM, col::MCOST] {
            let c = cx.mul(stop_next, nv[c]);
            cx.transition(c);
        }
        let step = cx.sub(nv[col::MEM], mem);
        let grown = cx.sub(need, mem);
        let grown = cx.mul(expand, grown);
        let c = cx.sub(step, grown);
        let c = cx.mul(running, c);
        cx.transition(c);
        let step = cx.sub(nv[col::MCOST], lv[col::MCOST]);
        let new_cost = cx.scale(need, 3);
        let new_cost = cx.add(new_cost, lv[col::SQ_Q]);
        let expansion = cx.sub(new_cost, lv[col::MCOST]);
        let expansion = cx.mul(expand, expansion);
        let c = cx.sub(step, expansion);
        let c = cx.mul(running, c);
        cx.transition(c);

        // MSIZE pushes 32 MEM (below 2^29, so four bytes).
        let msize = sel(Family::Msize);
        let out_bytes: Vec<C::V> = (0..4).map(|j| lv[col::OUT + j]).collect();
        let out = cx.bytes_le(&out_bytes);
        let size = cx.scale(mem, 32);
        let c = cx.sub(out, size);
        let c = cx.mul(msize, c);
        cx.always(c);
        for j in 4..LIMBS {
            let c = cx.mul(msize, lv[col::OUT + j]);
            cx.always(c);
        }
        expansion
    }
}

impl_stark_via_cx!(CpuStark, witness::cpu::col::NUM_COLUMNS, witness::cpu::pi::NUM);
