//! Where a transaction split across chunks stops and resumes.
//!
//! A transaction longer than a chunk runs over several: the chunk that
//! stops it mid-way ends with its machine state, its **suspend boundary**,
//! and the next chunk starts from the same state, its **resume boundary**.
//! A boundary is the state the next step runs in: its pc, gas, refund
//! counter, stack, memory and the storage slots it has touched (warm, with
//! their values at its start; see [`crate::storage`]). The step table's first row (resume) and the
//! row after its last step (suspend) hold the pc, stack size, gas, memory
//! size and cost, and refund counter as public inputs ([`Boundary::machine`]);
//! the stack and memory tables take the stack words and memory bytes as
//! public rows: initial writes on resume ([`Boundary::stack_tuples`],
//! [`Boundary::memory_tuples`]), final reads on suspend, after every step.
//!
//! The aggregation links a suspend boundary to the next chunk's resume
//! boundary through the state roots: a suspending chunk's new root, and a
//! resuming chunk's old root, is the state root mixed with the boundary's
//! elements ([`Boundary::elements`]), so two chunks merge only when the
//! second resumes exactly where the first stopped.

use crate::cpu::StackAccess;
use crate::storage::WarmSlot;
use crate::word::limbs;
use crate::{memory, opcode, stack, F};
use plonky2::field::types::Field;
use revm::primitives::U256;
use serde::{Deserialize, Serialize};

/// Largest memory a boundary may hold, in bytes: its bytes are statement
/// elements and public rows, so a transaction with more memory at a cut is
/// not split there (64 KiB, far above what the transactions that run long
/// in practice hold).
pub const MAX_MEMORY: usize = 1 << 16;

/// The machine state of a transaction between two chunks.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Boundary {
    /// Program counter of the next step.
    pub pc: u64,
    /// Gas left before the next step.
    pub gas: u64,
    /// The transaction's refund counter so far.
    pub refund: u64,
    /// The stack, bottom first.
    pub stack: Vec<U256>,
    /// The memory (a whole number of 32-byte words).
    pub memory: Vec<u8>,
    /// The storage slots the transaction has touched (warm), with their
    /// values at its start, sorted by (contract, key).
    pub warm: Vec<WarmSlot>,
}

/// The step table's public inputs describing a boundary, in order.
pub mod machine {
    /// 1 when the boundary exists (0: every field is zero).
    pub const FLAG: usize = 0;
    /// Program counter.
    pub const PC: usize = 1;
    /// Stack size.
    pub const SP: usize = 2;
    /// Gas left.
    pub const GAS: usize = 3;
    /// Memory size in words.
    pub const MEM: usize = 4;
    /// What the memory has cost.
    pub const MCOST: usize = 5;
    /// Refund counter.
    pub const REFUND: usize = 6;
    /// Number of values.
    pub const LEN: usize = 7;
}

impl Boundary {
    /// Memory size in 32-byte words.
    pub fn memory_words(&self) -> u64 {
        self.memory.len() as u64 / 32
    }

    /// The step table's public inputs for an optional boundary
    /// ([`machine`]); all zero for none.
    pub fn machine(boundary: Option<&Self>) -> [F; machine::LEN] {
        let Some(b) = boundary else {
            return [F::ZERO; machine::LEN];
        };
        let words = b.memory_words();
        [
            F::ONE,
            F::from_canonical_u64(b.pc),
            F::from_canonical_usize(b.stack.len()),
            F::from_canonical_u64(b.gas),
            F::from_canonical_u64(words),
            F::from_canonical_u64(opcode::memory_cost(words)),
            F::from_canonical_u64(b.refund),
        ]
    }

    /// The statement elements of the boundary: its [`Self::machine`]
    /// values, then each stack word (32 bytes, big-endian), each memory
    /// byte, the number of warm slots and each one's contract (20 bytes),
    /// key and value at the transaction's start (32 bytes each).
    pub fn elements(&self) -> Vec<F> {
        let word = |w: &U256| w.to_be_bytes::<32>().map(F::from_canonical_u8);
        let mut out = Self::machine(Some(self)).to_vec();
        for w in &self.stack {
            out.extend(word(w));
        }
        out.extend(self.memory.iter().map(|&b| F::from_canonical_u8(b)));
        out.push(F::from_canonical_usize(self.warm.len()));
        for w in &self.warm {
            out.extend(w.address.as_slice().iter().map(|&b| F::from_canonical_u8(b)));
            out.extend(word(&w.key));
            out.extend(word(&w.original));
        }
        out
    }

    /// The stack table's public rows of the boundary of transaction `tx`:
    /// one access per stack slot at time stamp `ts`, writes (resume, `ts` 0)
    /// or reads (suspend, after every step).
    pub fn stack_accesses(&self, tx: u32, ts: u64, write: bool) -> Vec<StackAccess> {
        self.stack
            .iter()
            .enumerate()
            .map(|(slot, &value)| StackAccess {
                tx,
                addr: slot as u64,
                ts,
                write,
                value,
            })
            .collect()
    }

    /// [`Self::stack_accesses`] as lookup tuples.
    pub fn stack_tuples(&self, tx: u32, ts: u64, write: bool) -> Vec<[F; stack::col::TUPLE]> {
        self.stack_accesses(tx, ts, write)
            .iter()
            .map(|a| {
                let mut t = [F::ZERO; stack::col::TUPLE];
                t[0] = F::from_canonical_u32(a.tx);
                t[1] = F::from_canonical_u64(a.addr);
                t[2] = F::from_canonical_u64(a.ts);
                t[3] = F::from_bool(a.write);
                for (cell, b) in t[4..].iter_mut().zip(limbs(a.value)) {
                    *cell = F::from_canonical_u8(b);
                }
                t
            })
            .collect()
    }

    /// The memory table's public rows of the boundary of transaction `tx`:
    /// one access per memory byte at time stamp `ts`, writes (resume, `ts`
    /// 0) or reads (suspend, after every step).
    pub fn memory_accesses(&self, tx: u32, ts: u64, write: bool) -> Vec<memory::MemoryAccess> {
        self.memory
            .iter()
            .enumerate()
            .map(|(addr, &value)| memory::MemoryAccess {
                tx,
                addr: addr as u64,
                ts,
                write,
                value,
            })
            .collect()
    }

    /// [`Self::memory_accesses`] as lookup tuples.
    pub fn memory_tuples(&self, tx: u32, ts: u64, write: bool) -> Vec<[F; memory::col::TUPLE]> {
        self.memory_accesses(tx, ts, write).iter().map(memory::tuple).collect()
    }
}

/// Time stamp of a suspend boundary's stack reads in a chunk of `steps`
/// steps: channel 0's of the row after the last step.
pub fn stack_final_ts(steps: u64) -> u64 {
    crate::cpu::stack_ts(steps, 0)
}

/// Time stamp of a suspend boundary's memory reads in a chunk of `steps`
/// steps: after the last step's accesses (at `steps`).
pub fn memory_final_ts(steps: u64) -> u64 {
    steps + 1
}
