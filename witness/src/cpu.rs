//! The step (CPU) table: one row per executed instruction.
//!
//! Each row holds the machine state before the instruction (transaction,
//! pc, gas, stack size), one selector per opcode family, the instruction's
//! stack operands and result as byte limbs, and helper columns (carries, an
//! auxiliary word, inverse witnesses, sign-flipped top bytes for the signed
//! comparisons). AND, OR and XOR leave their result to the logic table
//! ([`crate::logic`]); MUL, DIV, MOD, SDIV, SMOD, SHL, SHR, SAR, BYTE,
//! SIGNEXTEND, ADDMOD and MULMOD to the arithmetic table
//! ([`crate::arith`]); EXP to the exponentiation table ([`crate::exp`]),
//! which also proves its dynamic gas (`DGAS`). Stack traffic goes through five channels to the stack
//! read/write table:
//!
//! | channel | kind  | address                         | value  | used by |
//! |---------|-------|---------------------------------|--------|---------|
//! | 0       | read  | `ADDR0` (`sp-1`, `sp-n` for DUP) | `IN0`  | every family that pops, DUP, SWAP |
//! | 1       | read  | `ADDR1` (`sp-2`, `sp-1-n` for SWAP) | `IN1` | binary ops, JUMPI, SWAP |
//! | 2       | write | new top of stack                 | `OUT`  | families that push, SWAP |
//! | 3       | write | `sp-1-n`                          | `IN0`  | SWAP |
//! | 4       | read  | `sp-3`                            | `AUX`  | ADDMOD, MULMOD |
//!
//! The time stamp of channel `c < 4` in row `clk` is `4*clk + 4 + c`
//! ([`stack_ts`]; 0 is left for a resumed transaction's stack); channel 4
//! reads at channel 1's time stamp (another slot), so before channel 2
//! writes the result to the same slot.
//!
//! MLOAD, MSTORE and MSTORE8 access memory bytes through 33 more channels to
//! the memory table ([`crate::memory`]), with time stamp `clk + 1`: channel
//! `i < 32` touches `offset + i` with byte `31 - i` of `OUT` (MLOAD) or `IN1`
//! (MSTORE), channel 32 writes the low byte of `IN1` at `offset` (MSTORE8).
//! CALLDATALOAD reads `CALLDATA_BASE + offset + i` through channels 0..32
//! when its offset is below 2^24 (`RES`, an is-zero test of the offset's high
//! bytes), and pushes zero otherwise.
//! Each row carries the memory size `MEM` and what it has cost (`MCOST`);
//! a memory access that needs more words expands both and pays the
//! difference in gas.
//!
//! SLOAD and SSTORE send (tx, time stamp `clk + 1`, is write, key `IN0`,
//! value `OUT` or `IN1`, gas `DGAS`) to the storage table
//! ([`crate::storage`]), which prices the access; SSTORE's `AUX` holds the
//! gas left above the 2300 sentry.
//!
//! SSTORE also receives from the storage table how it moves the refund
//! counter (`RDELTA`); `REFUND` holds the counter before each step, from
//! zero at the transaction's first step.
//!
//! A transaction's last step (STOP, RETURN, REVERT or INVALID) reads its
//! [`context::REVERTED`] field, which must be 1 exactly for REVERT and
//! INVALID, its [`context::GAS_LEFT`] (the gas left at the end, `OUT`: zero
//! after INVALID, which consumes all the gas) and its [`context::REFUND`]
//! (the final counter); a failed transaction's storage writes are then
//! rolled back, at time stamp `clk + 1` of that step (see
//! [`StorageState::revert_tx`]).
//!
//! A failed transaction that ends on another step ran out of gas there (the
//! executor's trace does not say why it halted; the table proves it): the
//! step's row is built as for its family (operands, stack, memory and
//! storage traffic, memory size and price), marked `OOG`, and holds in
//! `OOG_GAP` the bytes of its cost less its gas less one. Its memory writes
//! and growth are not kept (the transaction ends), and it ends the
//! transaction like INVALID: reverted, no gas left, the refund counter where
//! it was before the step. A halt the table cannot prove that way (a bad
//! jump, a stack error, the SSTORE sentry, running out at RETURN or REVERT)
//! is out of scope ([`WitnessError::UnsupportedFeature`]).
//!
//! A transaction split across chunks ([`crate::boundary`]): the chunk that
//! resumes it starts from its boundary (pc, stack size, gas, memory size and
//! cost, refund counter: public inputs) instead of a fresh start; the chunk
//! that suspends it ends with a step that does not end it, and the row after
//! that step (the first padding row) holds the state the step leaves, pinned
//! to the suspend boundary's public inputs. Its warm storage slots cross
//! the cut in the storage table ([`crate::storage`]).

use crate::accounting::BlockContext;
use crate::arith::ArithOp;
use crate::boundary::Boundary;
use crate::chunk::TxCall;
use crate::context;
use crate::exp::ExpOp;
use crate::logic::LogicOp;
use crate::memory::{self, MemoryAccess};
use crate::opcode::{self, env, Family};
use crate::storage::{self, StorageState};
use crate::word::{limbs, limbs_f, LIMBS};
use crate::{range, WitnessError, F};
use executor::trace::TxTrace;
use plonky2::field::types::Field;
use revm::primitives::U256;
use std::collections::HashMap;

/// Column indices of the step table.
pub mod col {
    use crate::word::LIMBS;

    /// 1 on rows holding an instruction, 0 on padding rows.
    pub const IS_REAL: usize = 0;
    /// Row counter (0, 1, 2, ...), the base of the stack time stamps.
    pub const CLK: usize = 1;
    /// Index of the transaction in its block (also the bytecode id).
    pub const TX: usize = 2;
    /// Program counter.
    pub const PC: usize = 3;
    /// Gas left before the instruction.
    pub const GAS: usize = 4;
    /// Stack size before the instruction.
    pub const SP: usize = 5;
    /// Size parameter: n of PUSHn, DUPn, SWAPn; 0 otherwise.
    pub const N: usize = 6;
    /// Is-zero result: 1 when the tested word (EQ: IN0-IN1, ISZERO: IN0, JUMPI,
    /// RETURN, REVERT: IN1, CALLDATALOAD: IN0's bytes 4..32) is zero.
    pub const RES: usize = 7;
    /// Stack address read by channel 0.
    pub const ADDR0: usize = 8;
    /// Stack address read by channel 1.
    pub const ADDR1: usize = 9;
    /// First family selector; selector `f` is at `SEL + Family::index()`.
    pub const SEL: usize = 10;
    /// Number of family selectors.
    pub const NUM_SEL: usize = crate::opcode::Family::ALL.len();
    /// First operand (popped top of stack; the duplicated item for DUP), byte limbs.
    pub const IN0: usize = SEL + NUM_SEL;
    /// Second operand (second item; the deep item for SWAP), byte limbs.
    pub const IN1: usize = IN0 + LIMBS;
    /// Result written to the new top of stack, byte limbs.
    pub const OUT: usize = IN1 + LIMBS;
    /// Auxiliary word: the wrapped difference for LT/GT, the gas above the
    /// sentry for SSTORE, the modulus (third operand) for ADDMOD/MULMOD; byte limbs.
    pub const AUX: usize = OUT + LIMBS;
    /// Inverse witnesses of the is-zero test.
    pub const INV: usize = AUX + LIMBS;
    /// Carry bits of the byte-wise addition.
    pub const CARRY: usize = INV + LIMBS;
    /// PUSHn immediate, byte limbs (zero for other families).
    pub const PUSHV: usize = CARRY + LIMBS;
    /// SLT/SGT: the top byte of `IN0` with its sign bit flipped (`IN0[31] xor 0x80`).
    pub const FLIP0: usize = PUSHV + LIMBS;
    /// SLT/SGT: the top byte of `IN1` with its sign bit flipped.
    pub const FLIP1: usize = FLIP0 + 1;
    /// Memory size in 32-byte words before the instruction.
    pub const MEM: usize = FLIP1 + 1;
    /// Gas paid so far for the memory: `memory_cost(MEM)`.
    pub const MCOST: usize = MEM + 1;
    /// Memory accesses: bytes of the words the access needs, `ceil((offset + len) / 32)`.
    pub const NEED: usize = MCOST + 1;
    /// Memory accesses: bits of `32 NEED - offset - len` (below 32).
    pub const REM_BITS: usize = NEED + 3;
    /// Memory accesses: 1 when the access expands memory (`NEED > MEM`).
    pub const EXPAND: usize = REM_BITS + 5;
    /// Memory accesses: bytes of `NEED - MEM - 1` when expanding, `MEM - NEED` otherwise.
    pub const MDIFF: usize = EXPAND + 1;
    /// Expansions: `NEED^2 / 512` (rounded down).
    pub const SQ_Q: usize = MDIFF + 3;
    /// Expansions: low byte of `NEED^2 mod 512`.
    pub const SQ_R_LO: usize = SQ_Q + 1;
    /// Expansions: high bit of `NEED^2 mod 512`.
    pub const SQ_R_HI: usize = SQ_R_LO + 1;
    /// 1 on a transaction's first step, whose gas is the call's starting gas.
    pub const IS_START: usize = SQ_R_HI + 1;
    /// Dynamic gas: SLOAD/SSTORE's price from the storage table, EXP's 50
    /// per exponent byte from the exponentiation table; zero otherwise.
    pub const DGAS: usize = IS_START + 1;
    /// SSTORE: how it moves the refund counter (from the storage table); zero otherwise.
    pub const RDELTA: usize = DGAS + 1;
    /// The transaction's refund counter before the step.
    pub const REFUND: usize = RDELTA + 1;
    /// 1 on a step that runs out of gas: the transaction's last, which
    /// halts it exceptionally (its family's reads and writes stand, its gas
    /// transition does not).
    pub const OOG: usize = REFUND + 1;
    /// Out of gas: bytes of the step's cost less its gas less one (so the
    /// cost exceeds the gas), little-endian; zero on other steps.
    pub const OOG_GAP: usize = OOG + 1;
    /// Number of OOG_GAP bytes.
    pub const OOG_GAP_BYTES: usize = 7;
    /// 1 on a JUMPI that does not run out of gas (so jumps or falls through).
    pub const JUMPI_RUNS: usize = OOG_GAP + OOG_GAP_BYTES;
    /// Byte range table: 0, 1, ..., 255, 255, ...
    pub const RANGE: usize = JUMPI_RUNS + 1;
    /// How often each RANGE value is looked up.
    pub const FREQ: usize = RANGE + 1;
    /// Number of columns.
    pub const NUM_COLUMNS: usize = FREQ + 1;

    /// Selector column of a family.
    pub const fn sel(family: crate::opcode::Family) -> usize {
        SEL + family as usize
    }

    /// The columns checked to hold bytes by a lookup into RANGE.
    pub fn range_checked() -> Vec<usize> {
        (0..LIMBS)
            .flat_map(|j| [OUT + j, AUX + j])
            .chain([
                FLIP0,
                FLIP1,
                MDIFF,
                MDIFF + 1,
                MDIFF + 2,
                SQ_R_LO,
                NEED,
                NEED + 1,
                NEED + 2,
            ])
            .chain(OOG_GAP..OOG_GAP + OOG_GAP_BYTES)
            .collect()
    }
}

/// Public inputs of the step table.
pub mod pi {
    use crate::boundary::machine;

    /// Index of the chunk's first transaction (the resumed one, if any).
    pub const FIRST_TX: usize = 0;
    /// One past the index of the chunk's last finished transaction (the
    /// suspended one's index, if any).
    pub const END_TX: usize = 1;
    /// Number of steps (real rows) in the chunk.
    pub const STEPS: usize = 2;
    /// Number of link values (the above), which the aggregation exposes.
    pub const LINKS: usize = 3;
    /// Start of the resume boundary's machine values ([`machine`]).
    pub const RESUME: usize = LINKS;
    /// Start of the suspend boundary's machine values ([`machine`]).
    pub const SUSPEND: usize = RESUME + machine::LEN;
    /// Number of public inputs.
    pub const NUM: usize = SUSPEND + machine::LEN;
}

/// Stack time stamp of channel `channel` in row `clk`: `4 clk + 4 +
/// channel` (time stamp 0 is a resumed transaction's initial stack).
pub fn stack_ts(clk: u64, channel: u64) -> u64 {
    4 * clk + 4 + channel
}

/// One access of the step table to the stack, as the stack table records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StackAccess {
    /// Transaction (each transaction's stack starts empty).
    pub tx: u32,
    /// Stack slot (0 is the bottom).
    pub addr: u64,
    /// Time stamp ([`stack_ts`]; 0 for a resumed transaction's stack).
    pub ts: u64,
    /// Write (true) or read.
    pub write: bool,
    /// Value read or written.
    pub value: U256,
}

/// Rows of the step table and what the other tables need from it.
#[derive(Clone, Debug, Default)]
pub struct CpuWitness {
    /// Table rows (already padded to the table height).
    pub rows: Vec<[F; col::NUM_COLUMNS]>,
    /// Every stack access, in execution order (a resumed transaction's
    /// initial writes first, a suspended one's final reads last).
    pub stack_accesses: Vec<StackAccess>,
    /// How often each instruction `(tx, pc)` was executed.
    pub executed: HashMap<(u32, u64), u64>,
    /// The AND, OR and XOR steps, in execution order, for the logic table.
    pub logic_ops: Vec<LogicOp>,
    /// The steps of the arithmetic families, in execution order, for the arithmetic table.
    pub arith_ops: Vec<ArithOp>,
    /// The EXP steps, in execution order, for the exponentiation table.
    pub exp_ops: Vec<ExpOp>,
    /// How often each call-context field `(tx, field)` was read.
    pub context_reads: HashMap<(u32, u64), u64>,
    /// Every memory byte access, in execution order.
    pub memory_accesses: Vec<MemoryAccess>,
    /// The memory table's public rows of a resumed or suspended transaction
    /// ([`Boundary::memory_accesses`]).
    pub boundary_memory: Vec<MemoryAccess>,
    /// The storage slots the steps touch and every SLOAD and SSTORE.
    pub storage: StorageState,
    /// How each finished transaction ends, in order.
    pub ends: Vec<TxEnd>,
    /// The state the last transaction is suspended in, when the chunk stops it mid-way.
    pub suspend: Option<Boundary>,
}

/// The steps of one transaction that a chunk runs: all of them, or a
/// piece of a transaction split across chunks.
#[derive(Clone, Debug)]
pub struct Piece<'a> {
    /// The transaction's trace.
    pub tx: &'a TxTrace,
    /// The call it makes.
    pub call: TxCall,
    /// The steps this chunk runs; an end below the trace's step count
    /// suspends the transaction before the next step.
    pub steps: std::ops::Range<usize>,
    /// The state the transaction resumes in, when an earlier chunk ran its first steps.
    pub resume: Option<Boundary>,
    /// The value before this chunk of each of the resume boundary's warm
    /// slots, in its order.
    pub warm_values: Vec<U256>,
}

impl Piece<'_> {
    /// Whether the chunk stops the transaction before its end.
    pub fn suspends(&self) -> bool {
        self.steps.end < self.tx.steps.len()
    }
}

/// What a transaction's last step leaves for gas accounting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxEnd {
    /// Gas left after the last step.
    pub gas_left: u64,
    /// The refund counter at the end (before EIP-3529's cap).
    pub refund: u64,
}

/// Simulated machine state of one transaction.
struct TxState<'a> {
    tx: &'a TxTrace,
    call: &'a TxCall,
    block: &'a BlockContext,
    stack: Vec<U256>,
    /// Memory bytes (a whole number of 32-byte words).
    memory: Vec<u8>,
    /// The refund counter.
    refund: i64,
    /// Gas left after the last step, once it has run.
    gas_left: u64,
    /// Whether the next step is the transaction's first (not resumed).
    fresh: bool,
    /// Whether the step being built halts the transaction exceptionally
    /// (the last step of a failed transaction that is not REVERT or INVALID):
    /// it must run out of gas, and its effects on memory are not kept.
    halting: bool,
}

/// Largest memory, in words, the step table supports: `NEED` is three bytes,
/// so memory addresses stay below 2^29, apart from the call data at
/// [`memory::CALLDATA_BASE`] (and far beyond what a block's gas can pay for).
pub const MAX_MEMORY_WORDS: u64 = (1 << 24) - 1;

/// Builds the step table of the transactions' `pieces` (in order; only the
/// first may resume and only the last may suspend) of a block with context `block`,
/// padded to `2^rows_log` rows. The caller checks that the steps fit.
pub fn generate(pieces: &[Piece], block: &BlockContext, rows_log: usize) -> Result<CpuWitness, WitnessError> {
    let height = 1usize << rows_log;
    let mut out = CpuWitness::default();
    for (p, piece) in pieces.iter().enumerate() {
        let Piece {
            tx,
            call,
            steps,
            resume,
            warm_values,
        } = piece;
        let tx_index = tx.tx_index;
        if (p > 0 && resume.is_some()) || (p + 1 < pieces.len() && piece.suspends()) {
            return Err(WitnessError::MalformedTrace {
                tx: tx_index,
                step: steps.start,
                reason: "only a chunk's first transaction resumes and only its last is suspended".into(),
            });
        }
        out.storage.begin_tx();
        let mut state = TxState {
            tx,
            call,
            block,
            stack: Vec::new(),
            memory: Vec::new(),
            refund: 0,
            gas_left: 0,
            fresh: resume.is_none(),
            halting: false,
        };
        match resume {
            None => *out.context_reads.entry((tx_index, context::START_GAS)).or_default() += 1,
            Some(b) => {
                state.stack = b.stack.clone();
                state.memory = b.memory.clone();
                state.refund = i64::try_from(b.refund)
                    .map_err(|_| state.malformed(steps.start, "refund counter beyond 2^63".into()))?;
                out.stack_accesses.extend(b.stack_accesses(tx_index, 0, true));
                out.boundary_memory.extend(b.memory_accesses(tx_index, 0, true));
                if warm_values.len() != b.warm.len() {
                    return Err(state.malformed(steps.start, "a resumed warm slot without its value".into()));
                }
                out.storage.resume_tx(tx_index, &b.warm, warm_values);
            }
        }
        for i in steps.clone() {
            let step = &tx.steps[i];
            let clk = out.rows.len() as u64;
            let next = tx.steps.get(i + 1);
            state.halting = next.is_none() && call.reverted && !ends_failing(step);
            let row = state
                .step_row(i, clk, next.map(|s| (s.pc, s.gas)), &mut out)
                .map_err(|e| match e {
                    WitnessError::MalformedTrace { reason, .. } if state.halting => state.unproven_halt(&reason),
                    e => e,
                })?;
            *out.executed.entry((tx_index, step.pc)).or_default() += 1;
            out.rows.push(row);
        }
        if piece.suspends() {
            out.suspend = Some(state.suspend(steps.end, &mut out)?);
            break;
        }
        for field in [context::REVERTED, context::GAS_LEFT, context::REFUND] {
            *out.context_reads.entry((tx.tx_index, field)).or_default() += 1;
        }
        let refund = u64::try_from(state.refund).map_err(|_| WitnessError::MalformedTrace {
            tx: tx.tx_index,
            step: tx.steps.len(),
            reason: format!("the refund counter ends at {}, below zero", state.refund),
        })?;
        out.ends.push(TxEnd {
            gas_left: state.gas_left,
            refund,
        });
        if call.reverted {
            out.storage.revert_tx(tx.tx_index, out.rows.len() as u64);
        }
    }
    // Each storage row of a transaction (rollbacks and a resumed one's warm
    // initial writes included) looks up its contract and reverted flag.
    let warm_rows = out
        .storage
        .resumed()
        .map(|(tx, warm)| vec![tx; warm.len()])
        .unwrap_or_default();
    for tx in out.storage.accesses().iter().map(|a| a.tx).chain(warm_rows) {
        for field in [env::ADDRESS, context::REVERTED] {
            *out.context_reads.entry((tx, field)).or_default() += 1;
        }
    }
    if out.rows.len() >= height {
        return Err(WitnessError::MalformedTrace {
            tx: pieces.last().map_or(0, |p| p.tx.tx_index),
            step: out.rows.len(),
            reason: format!(
                "{} steps do not fit a table of {height} rows with a padding row",
                out.rows.len()
            ),
        });
    }
    let steps = out.rows.len();
    while out.rows.len() < height {
        let mut row = [F::ZERO; col::NUM_COLUMNS];
        row[col::CLK] = F::from_canonical_usize(out.rows.len());
        row[col::ADDR0] = -F::ONE;
        row[col::ADDR1] = -F::TWO;
        out.rows.push(row);
    }
    // The first padding row holds the state the suspended transaction is left in.
    if let (Some(b), Some(piece)) = (&out.suspend, pieces.last()) {
        let row = &mut out.rows[steps];
        let sp = F::from_canonical_usize(b.stack.len());
        let words = b.memory_words();
        row[col::TX] = F::from_canonical_u32(piece.tx.tx_index);
        row[col::PC] = F::from_canonical_u64(b.pc);
        row[col::GAS] = F::from_canonical_u64(b.gas);
        row[col::SP] = sp;
        row[col::ADDR0] = sp - F::ONE;
        row[col::ADDR1] = sp - F::TWO;
        row[col::MEM] = F::from_canonical_u64(words);
        row[col::MCOST] = F::from_canonical_u64(opcode::memory_cost(words));
        row[col::REFUND] = F::from_canonical_u64(b.refund);
    }
    fill_range_table(&mut out.rows);
    Ok(out)
}

/// Writes the byte range table of the step table (see [`crate::range`]).
pub fn fill_range_table(rows: &mut [[F; col::NUM_COLUMNS]]) {
    range::fill(rows, &col::range_checked(), col::RANGE, col::FREQ);
}

impl TxState<'_> {
    /// Suspends the transaction before step `next` (the chunk's last row
    /// was the step before it): its boundary, with the stack and memory read
    /// back after every step as public rows.
    fn suspend(&self, next: usize, out: &mut CpuWitness) -> Result<Boundary, WitnessError> {
        let step = &self.tx.steps[next];
        let prev = &self.tx.steps[next - 1];
        if matches!(opcode::decode(prev.opcode), Some((Family::Jump | Family::Jumpi, _))) {
            return Err(self.malformed(next, "a split right after a jump".into()));
        }
        let boundary = Boundary {
            pc: step.pc,
            gas: step.gas,
            refund: u64::try_from(self.refund).map_err(|_| self.malformed(next, "negative refund counter".into()))?,
            stack: self.stack.clone(),
            memory: self.memory.clone(),
            warm: out.storage.warm(),
        };
        let steps = out.rows.len() as u64;
        let tx = self.tx.tx_index;
        out.stack_accesses
            .extend(boundary.stack_accesses(tx, crate::boundary::stack_final_ts(steps), false));
        out.boundary_memory
            .extend(boundary.memory_accesses(tx, crate::boundary::memory_final_ts(steps), false));
        Ok(boundary)
    }

    /// A halt of the transaction the tables cannot prove (not out of gas,
    /// or out of gas where the step table cannot price it).
    fn unproven_halt(&self, detail: &str) -> WitnessError {
        WitnessError::UnsupportedFeature {
            tx: self.tx.tx_index,
            feature: format!("an exceptional halt other than out of gas at a priced step: {detail}"),
        }
    }

    fn malformed(&self, step: usize, reason: String) -> WitnessError {
        WitnessError::MalformedTrace {
            tx: self.tx.tx_index,
            step,
            reason,
        }
    }

    fn pop(&mut self, step: usize) -> Result<U256, WitnessError> {
        self.stack
            .pop()
            .ok_or_else(|| self.malformed(step, "stack underflow".into()))
    }

    /// Expands memory for an access of `len` bytes at `offset` (the popped
    /// word) and fills the step's memory-size columns; returns the offset as
    /// an index and the expansion gas.
    fn expand_memory(
        &mut self,
        i: usize,
        row: &mut [F; col::NUM_COLUMNS],
        offset: U256,
        len: u64,
    ) -> Result<(usize, u64), WitnessError> {
        let offset = u64::from(
            u32::try_from(offset)
                .map_err(|_| self.malformed(i, format!("memory offset {offset} is beyond what gas can pay for")))?,
        );
        let words = self.memory.len() as u64 / 32;
        let need = offset.saturating_add(len).div_ceil(32);
        if need > MAX_MEMORY_WORDS {
            return Err(self.malformed(i, format!("a memory of {need} words is beyond what gas can pay for")));
        }
        for k in 0..3 {
            row[col::NEED + k] = F::from_canonical_u64((need >> (8 * k)) & 0xff);
        }
        let rem = 32 * need - offset - len;
        for k in 0..5 {
            row[col::REM_BITS + k] = F::from_canonical_u64((rem >> k) & 1);
        }
        let expand = need > words;
        row[col::EXPAND] = F::from_bool(expand);
        let diff = if expand { need - words - 1 } else { words - need };
        for k in 0..3 {
            row[col::MDIFF + k] = F::from_canonical_u64((diff >> (8 * k)) & 0xff);
        }
        if !expand {
            return Ok((offset as usize, 0));
        }
        let square = need * need;
        row[col::SQ_Q] = F::from_canonical_u64(square / 512);
        let remainder = square % 512;
        row[col::SQ_R_LO] = F::from_canonical_u64(remainder & 0xff);
        row[col::SQ_R_HI] = F::from_canonical_u64(remainder >> 8);
        if !self.halting {
            self.memory.resize(32 * need as usize, 0);
        }
        Ok((offset as usize, opcode::memory_cost(need) - opcode::memory_cost(words)))
    }

    /// The row of step `i`; `next` is the following step's (pc, gas) in the same transaction.
    fn step_row(
        &mut self,
        i: usize,
        clk: u64,
        next: Option<(u64, u64)>,
        out_tables: &mut CpuWitness,
    ) -> Result<[F; col::NUM_COLUMNS], WitnessError> {
        let step = &self.tx.steps[i];
        let tx_index = self.tx.tx_index;
        let Some((family, n)) = opcode::decode(step.opcode) else {
            return Err(WitnessError::UnsupportedOpcode {
                tx: tx_index,
                step: i,
                pc: step.pc,
                opcode: step.opcode,
                name: opcode::name(step.opcode),
            });
        };
        let code_byte = self.call.code.get(step.pc as usize).copied().unwrap_or(0);
        if code_byte != step.opcode {
            return Err(self.malformed(
                i,
                format!(
                    "opcode 0x{:02x} at pc {} but the code has 0x{code_byte:02x}",
                    step.opcode, step.pc
                ),
            ));
        }
        if self.stack.len() < family.pops(n) {
            return Err(self.malformed(
                i,
                format!(
                    "{} needs {} stack items, has {}",
                    opcode::name(step.opcode),
                    family.pops(n),
                    self.stack.len()
                ),
            ));
        }
        if self.halting && family.ends() {
            return Err(self.unproven_halt(&format!("{} halts", opcode::name(step.opcode))));
        }
        let refund_before = self.refund;
        let sp = self.stack.len() as u64;
        let mut row = [F::ZERO; col::NUM_COLUMNS];
        row[col::IS_REAL] = F::ONE;
        row[col::IS_START] = F::from_bool(std::mem::take(&mut self.fresh));
        row[col::CLK] = F::from_canonical_u64(clk);
        row[col::TX] = F::from_canonical_u32(tx_index);
        row[col::PC] = F::from_canonical_u64(step.pc);
        row[col::GAS] = F::from_canonical_u64(step.gas);
        row[col::SP] = F::from_canonical_u64(sp);
        row[col::N] = F::from_canonical_u64(n);
        row[col::sel(family)] = F::ONE;
        row[col::JUMPI_RUNS] = F::from_bool(family == Family::Jumpi);
        row[col::ADDR0] = F::from_canonical_u64(sp) - F::ONE;
        row[col::ADDR1] = F::from_canonical_u64(sp) - F::TWO;
        let words = self.memory.len() as u64 / 32;
        row[col::MEM] = F::from_canonical_u64(words);
        row[col::MCOST] = F::from_canonical_u64(opcode::memory_cost(words));
        row[col::REFUND] = storage::signed(self.refund);

        let read = |addr: u64, channel: u64, value: U256| StackAccess {
            tx: tx_index,
            addr,
            ts: stack_ts(clk, channel),
            write: false,
            value,
        };
        let (mut in0, mut in1, mut out, mut aux) = (U256::ZERO, U256::ZERO, U256::ZERO, U256::ZERO);
        let mut next_pc = step.pc + 1;
        let mut memory_gas = 0;
        let mut dynamic_gas = 0;
        let mut reads = Vec::new();
        let mut writes = Vec::new();
        match family {
            Family::Jumpdest => {}
            // The gas left at the end, shown to be nonnegative by its range-checked bytes.
            Family::Stop => out = U256::from(step.gas),
            // An exceptional halt consumes all the gas: none is left (OUT stays zero).
            Family::Invalid => {}
            Family::Push0 => writes.push((sp, 2, U256::ZERO)),
            Family::Push => {
                let start = step.pc as usize + 1;
                let imm: Vec<u8> = (start..start + n as usize)
                    .map(|k| self.call.code.get(k).copied().unwrap_or(0))
                    .collect();
                out = crate::word::from_be_bytes(&imm);
                for (j, b) in limbs(out).iter().enumerate() {
                    row[col::PUSHV + j] = F::from_canonical_u8(*b);
                }
                next_pc = step.pc + 1 + n;
                writes.push((sp, 2, out));
            }
            Family::Pc => {
                out = U256::from(step.pc);
                writes.push((sp, 2, out));
            }
            Family::Msize => {
                out = U256::from(self.memory.len());
                writes.push((sp, 2, out));
            }
            // (A GAS that runs out pushes nothing; its row holds zero.)
            Family::Gas => {
                let left = step.gas.checked_sub(family.gas()).or(self.halting.then_some(0));
                out = U256::from(left.ok_or_else(|| self.malformed(i, "GAS without gas for itself".into()))?);
                writes.push((sp, 2, out));
            }
            Family::Env => {
                out = context::field_value(self.call, self.block, n);
                *out_tables.context_reads.entry((tx_index, n)).or_default() += 1;
                writes.push((sp, 2, out));
            }
            Family::Dup => {
                row[col::ADDR0] = F::from_canonical_u64(sp - n);
                in0 = self.stack[(sp - n) as usize];
                out = in0;
                reads.push(read(sp - n, 0, in0));
                writes.push((sp, 2, out));
            }
            Family::Swap => {
                let deep = sp - 1 - n;
                row[col::ADDR1] = F::from_canonical_u64(deep);
                in0 = self.stack[(sp - 1) as usize];
                in1 = self.stack[deep as usize];
                out = in1;
                reads.push(read(sp - 1, 0, in0));
                reads.push(read(deep, 1, in1));
                self.stack[(sp - 1) as usize] = in1;
                self.stack[deep as usize] = in0;
                writes.push((sp - 1, 2, in1));
                writes.push((deep, 3, in0));
            }
            // Every other family pops its operands: POP, JUMP, JUMPI, ISZERO, NOT, the binary
            // ones, the memory ones, CALLDATALOAD, RETURN and REVERT.
            _ => {
                in0 = self.pop(i)?;
                reads.push(read(sp - 1, 0, in0));
                if family.pops(n) >= 2 {
                    in1 = self.pop(i)?;
                    reads.push(read(sp - 2, 1, in1));
                }
                // ADDMOD and MULMOD read their modulus into AUX at channel 1's
                // time stamp (another slot), before channel 2 overwrites that slot.
                if family.pops(n) == 3 {
                    aux = self.pop(i)?;
                    reads.push(read(sp - 3, 1, aux));
                }
                match family {
                    Family::Add => out = in0.wrapping_add(in1),
                    Family::Sub => out = in0.wrapping_sub(in1),
                    Family::Lt | Family::Slt => {
                        aux = in0.wrapping_sub(in1);
                        out = U256::from(signed_key(family, in0) < signed_key(family, in1));
                    }
                    Family::Gt | Family::Sgt => {
                        aux = in1.wrapping_sub(in0);
                        out = U256::from(signed_key(family, in0) > signed_key(family, in1));
                    }
                    Family::Eq => out = U256::from(in0 == in1),
                    Family::IsZero => out = U256::from(in0.is_zero()),
                    Family::Not => out = !in0,
                    Family::And | Family::Or | Family::Xor => {
                        let op = LogicOp { family, in0, in1 };
                        out = op.result();
                        out_tables.logic_ops.push(op);
                    }
                    Family::Mul
                    | Family::Div
                    | Family::Mod
                    | Family::Shl
                    | Family::Shr
                    | Family::Sar
                    | Family::Byte
                    | Family::SignExtend
                    | Family::Sdiv
                    | Family::Smod
                    | Family::Addmod
                    | Family::Mulmod => {
                        let op = ArithOp {
                            family,
                            in0,
                            in1,
                            in2: aux,
                        };
                        out = op.result();
                        out_tables.arith_ops.push(op);
                    }
                    Family::Exp => {
                        let op = ExpOp {
                            base: in0,
                            exponent: in1,
                        };
                        out = op.result();
                        dynamic_gas = op.dynamic_gas();
                        out_tables.exp_ops.push(op);
                    }
                    Family::Mload => {
                        let (offset, gas) = self.expand_memory(i, &mut row, in0, 32)?;
                        memory_gas = gas;
                        // Bytes past the memory (not grown by a halting step) read as zero.
                        let bytes: Vec<u8> = (offset..offset + 32)
                            .map(|k| self.memory.get(k).copied().unwrap_or(0))
                            .collect();
                        out = U256::from_be_slice(&bytes);
                        record_memory(
                            &mut out_tables.memory_accesses,
                            tx_index,
                            clk,
                            offset as u64,
                            &bytes,
                            false,
                        );
                    }
                    Family::CallDataLoad => {
                        if let Some(offset) = u32::try_from(in0).ok().filter(|&o| (o as usize) < memory::MAX_CALLDATA) {
                            let data = &self.call.calldata;
                            let bytes: Vec<u8> = (0..LIMBS)
                                .map(|k| data.get(offset as usize + k).copied().unwrap_or(0))
                                .collect();
                            out = U256::from_be_slice(&bytes);
                            let addr = memory::CALLDATA_BASE + u64::from(offset);
                            record_memory(&mut out_tables.memory_accesses, tx_index, clk, addr, &bytes, false);
                        }
                    }
                    Family::Mstore | Family::Mstore8 => {
                        let word = in1.to_be_bytes::<LIMBS>();
                        let bytes = if family == Family::Mstore {
                            &word[..]
                        } else {
                            &word[LIMBS - 1..]
                        };
                        let (offset, gas) = self.expand_memory(i, &mut row, in0, bytes.len() as u64)?;
                        memory_gas = gas;
                        if !self.halting {
                            self.memory[offset..offset + bytes.len()].copy_from_slice(bytes);
                        }
                        record_memory(
                            &mut out_tables.memory_accesses,
                            tx_index,
                            clk,
                            offset as u64,
                            bytes,
                            true,
                        );
                    }
                    Family::Sload | Family::Sstore => {
                        let slot = (self.call.address, in0);
                        let traced = step
                            .storage
                            .iter()
                            .find(|a| (a.address, a.slot) == slot)
                            .ok_or_else(|| self.malformed(i, format!("no storage record of slot {in0}")))?
                            .old;
                        let written = (family == Family::Sstore).then_some(in1);
                        let (current, cost, refund) = out_tables
                            .storage
                            .access((tx_index, clk + 1), slot, traced, written)
                            .map_err(|reason| self.malformed(i, reason))?;
                        dynamic_gas = cost;
                        row[col::RDELTA] = storage::signed(refund);
                        self.refund += refund;
                        if written.is_some() {
                            let above = step.gas.checked_sub(storage::gas::SENTRY + 1);
                            aux = U256::from(above.ok_or_else(|| {
                                self.malformed(i, format!("SSTORE with {} gas, at most the sentry", step.gas))
                            })?);
                        } else {
                            out = current;
                        }
                    }
                    // The gas left after expanding memory to the returned bytes (none when empty).
                    Family::Return | Family::Revert => {
                        let mut left = step.gas;
                        if !in1.is_zero() {
                            let len = u64::try_from(in1).map_err(|_| {
                                self.malformed(i, format!("{in1} bytes of return data are beyond what gas can pay for"))
                            })?;
                            let (_, gas) = self.expand_memory(i, &mut row, in0, len)?;
                            left = left.checked_sub(gas).ok_or_else(|| {
                                self.malformed(i, format!("{gas} gas of memory expansion with {left} left"))
                            })?;
                        }
                        out = U256::from(left);
                    }
                    Family::Jump => next_pc = jump_target(in0),
                    Family::Jumpi if !in1.is_zero() => next_pc = jump_target(in0),
                    _ => {}
                }
                if family.is_binary()
                    || matches!(
                        family,
                        Family::IsZero
                            | Family::Not
                            | Family::Mload
                            | Family::CallDataLoad
                            | Family::Sload
                            | Family::Addmod
                            | Family::Mulmod
                    )
                {
                    let addr = self.stack.len() as u64;
                    writes.push((addr, 2, out));
                }
            }
        }
        row[col::DGAS] = F::from_canonical_u64(dynamic_gas);
        let accesses = &mut out_tables.stack_accesses;
        accesses.extend(reads);
        for (addr, channel, value) in &writes {
            if *channel == 2 && !matches!(family, Family::Swap) {
                self.stack.push(*value);
            }
            accesses.push(StackAccess {
                tx: tx_index,
                addr: *addr,
                ts: stack_ts(clk, *channel),
                write: true,
                value: *value,
            });
        }
        if self.stack.len() > 1024 {
            return Err(self.malformed(i, "stack overflow".into()));
        }
        if let Some(&pushed) = step.stack_out.last().filter(|_| !self.halting) {
            if !matches!(family, Family::Dup | Family::Swap) && pushed != out {
                return Err(self.malformed(
                    i,
                    format!(
                        "{} pushed {pushed} but the tables compute {out}",
                        opcode::name(step.opcode)
                    ),
                ));
            }
        }
        let cost = family.gas() + memory_gas + dynamic_gas;
        match (family.ends(), next) {
            (true, Some(_)) => return Err(self.malformed(i, format!("steps after {}", opcode::name(step.opcode)))),
            (true, None) => self.gas_left = u64::try_from(out).expect("the gas left is below the step's gas"),
            // Out of gas: the step costs more than the gas left; the
            // transaction keeps no gas and its refund counter stays where
            // it was before the step (a failed transaction gets no refund).
            (false, None) if self.halting => {
                let gap = cost
                    .checked_sub(step.gas + 1)
                    .filter(|&g| g < 1 << (8 * col::OOG_GAP_BYTES))
                    .ok_or_else(|| {
                        self.unproven_halt(&format!(
                            "{} with {} gas left, costing {cost}",
                            opcode::name(step.opcode),
                            step.gas
                        ))
                    })?;
                row[col::OOG] = F::ONE;
                row[col::JUMPI_RUNS] = F::ZERO;
                for k in 0..col::OOG_GAP_BYTES {
                    row[col::OOG_GAP + k] = F::from_canonical_u64((gap >> (8 * k)) & 0xff);
                }
                self.gas_left = 0;
                self.refund = refund_before;
            }
            (false, None) => {
                return Err(self.malformed(
                    i,
                    format!(
                        "the transaction ends at {} instead of STOP, RETURN, REVERT or INVALID",
                        opcode::name(step.opcode)
                    ),
                ))
            }
            (false, Some((pc, gas))) => {
                if pc != next_pc {
                    return Err(self.malformed(i, format!("next pc is {pc}, expected {next_pc}")));
                }
                let cold_extra = match family {
                    Family::Sload => storage::gas::COLD_SLOAD_EXTRA,
                    Family::Sstore => storage::gas::COLD_SSTORE_EXTRA,
                    _ => 0,
                };
                let warm_cost = cost.checked_sub(cold_extra).filter(|_| cold_extra > 0);
                if warm_cost.and_then(|c| step.gas.checked_sub(c)) == Some(gas) {
                    return Err(WitnessError::UnsupportedFeature {
                        tx: tx_index,
                        feature: format!("a storage slot ({in0}) warmed by the access list"),
                    });
                }
                if step.gas.checked_sub(cost) != Some(gas) {
                    return Err(self.malformed(
                        i,
                        format!(
                            "gas goes from {} to {gas}; {} costs {cost}",
                            step.gas,
                            opcode::name(step.opcode),
                        ),
                    ));
                }
            }
        }
        for (j, ((a, b), (o, x))) in limbs(in0)
            .iter()
            .zip(limbs(in1))
            .zip(limbs(out).iter().zip(limbs(aux)))
            .enumerate()
        {
            row[col::IN0 + j] = F::from_canonical_u8(*a);
            row[col::IN1 + j] = F::from_canonical_u8(b);
            row[col::OUT + j] = F::from_canonical_u8(*o);
            row[col::AUX + j] = F::from_canonical_u8(x);
        }
        if matches!(family, Family::Slt | Family::Sgt) {
            row[col::FLIP0] = F::from_canonical_u8(limbs(in0)[LIMBS - 1] ^ 0x80);
            row[col::FLIP1] = F::from_canonical_u8(limbs(in1)[LIMBS - 1] ^ 0x80);
        }
        fill_carries(&mut row, family, in0, in1, out, aux);
        fill_is_zero(&mut row, family, in0, in1);
        Ok(row)
    }
}

/// Whether `step` ends its transaction as failed the way the tables prove
/// for REVERT and INVALID: INVALID or an undefined byte, or REVERT with its
/// two operands (on fewer it is a stack underflow).
pub(crate) fn ends_failing(step: &executor::trace::Step) -> bool {
    (step.opcode == 0xfd && step.stack_in.len() == 2) || opcode::decode(step.opcode) == Some((Family::Invalid, 0))
}

/// Records the byte accesses of one memory (or call-data) instruction at
/// step `clk`, from address `addr` on.
fn record_memory(accesses: &mut Vec<MemoryAccess>, tx: u32, clk: u64, addr: u64, bytes: &[u8], write: bool) {
    accesses.extend(bytes.iter().enumerate().map(|(k, &value)| MemoryAccess {
        tx,
        addr: addr + k as u64,
        ts: clk + 1,
        write,
        value,
    }));
}

/// The pc a JUMP to `dest` lands on (an out-of-range destination can never be a JUMPDEST).
fn jump_target(dest: U256) -> u64 {
    u64::try_from(dest).unwrap_or(u64::MAX)
}

/// The word whose unsigned order is the family's order on `value`: the
/// value itself, or with its sign bit flipped for the signed comparisons.
fn signed_key(family: Family, value: U256) -> U256 {
    if matches!(family, Family::Slt | Family::Sgt) {
        value ^ (U256::from(1u8) << 255)
    } else {
        value
    }
}

/// Carries of the byte-wise addition `x + y = z (mod 2^256)` the family checks
/// (SLT/SGT add the sign-flipped operand, which changes only the last carry).
fn fill_carries(row: &mut [F; col::NUM_COLUMNS], family: Family, in0: U256, in1: U256, out: U256, aux: U256) {
    let (x, y) = match family {
        Family::Add => (in0, in1),
        Family::Sub => (out, in1),
        Family::Lt | Family::Slt => (aux, signed_key(family, in1)),
        Family::Gt | Family::Sgt => (aux, signed_key(family, in0)),
        _ => return,
    };
    let (xl, yl) = (limbs(x), limbs(y));
    let mut carry = 0u16;
    for j in 0..LIMBS {
        carry = (u16::from(xl[j]) + u16::from(yl[j]) + carry) >> 8;
        row[col::CARRY + j] = F::from_canonical_u16(carry);
    }
}

/// Result and inverse witnesses of the is-zero test (RETURN and REVERT test
/// their size: empty return data expands no memory).
fn fill_is_zero(row: &mut [F; col::NUM_COLUMNS], family: Family, in0: U256, in1: U256) {
    let diff: [F; LIMBS] = match family {
        Family::Eq => {
            let (a, b) = (limbs_f(in0), limbs_f(in1));
            std::array::from_fn(|j| a[j] - b[j])
        }
        Family::IsZero => limbs_f(in0),
        Family::Jumpi | Family::Return | Family::Revert => limbs_f(in1),
        // CALLDATALOAD tests the offset's high bytes: RES = 1 when it is below 2^24.
        Family::CallDataLoad => {
            let mut high = limbs_f(in0);
            high[..3].fill(F::ZERO);
            high
        }
        _ => return,
    };
    match diff.iter().position(|d| *d != F::ZERO) {
        None => row[col::RES] = F::ONE,
        Some(j) => row[col::INV + j] = diff[j].inverse(),
    }
}
