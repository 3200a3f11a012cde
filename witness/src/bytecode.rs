//! The bytecode table: one row per instruction position of the code each
//! transaction runs, holding (code id, pc, opcode family, n, PUSH immediate).
//!
//! The rows carry no constraints of their own: the verifier recomputes the
//! same tuples from the public code ([`instruction_tuples`]) and a
//! cross-table lookup binds the table to them, while a second lookup, with
//! multiplicities, shows that every step executed an instruction of that
//! code. Push-data bytes are not instruction positions, so a jump into them
//! finds no JUMPDEST; opcodes outside the proven scope have no tuple, so a
//! step can never claim to execute one.

use crate::opcode;
use crate::word::{from_be_bytes, limbs};
use crate::{WitnessError, F};
use plonky2::field::types::Field;
use std::collections::HashMap;

/// Column indices of the bytecode table.
pub mod col {
    use crate::word::LIMBS;

    /// 1 on rows holding an instruction tuple.
    pub const IS_REAL: usize = 0;
    /// Code id (the index of the transaction running the code).
    pub const CODE_ID: usize = 1;
    /// Position of the instruction.
    pub const PC: usize = 2;
    /// Opcode family id (see [`crate::opcode::Family::id`]).
    pub const FAMILY: usize = 3;
    /// Size parameter (n of PUSHn, DUPn, SWAPn).
    pub const N: usize = 4;
    /// PUSHn immediate, byte limbs.
    pub const PUSHV: usize = 5;
    /// How many steps executed this instruction.
    pub const MULT: usize = PUSHV + LIMBS;
    /// Number of columns.
    pub const NUM_COLUMNS: usize = MULT + 1;
    /// Width of an instruction tuple (CODE_ID..MULT).
    pub const TUPLE: usize = MULT - CODE_ID;
}

/// One tuple per in-scope instruction of `code` run under `code_id`, in the
/// column order CODE_ID, PC, FAMILY, N, PUSHV. Execution past the end of the
/// code (or of a truncated PUSH) reads zero bytes, so a STOP tuple sits at the
/// first position after the last instruction.
pub fn instruction_tuples(code_id: u32, code: &[u8]) -> Vec<[F; col::TUPLE]> {
    let mut tuples = Vec::new();
    let mut pc = 0usize;
    let mut emit = |pc: usize, opcode: u8, imm: &[u8]| {
        if let Some((family, n)) = opcode::decode(opcode) {
            let mut t = [F::ZERO; col::TUPLE];
            t[0] = F::from_canonical_u32(code_id);
            t[1] = F::from_canonical_usize(pc);
            t[2] = F::from_canonical_u64(family.id());
            t[3] = F::from_canonical_u64(n);
            if family == opcode::Family::Push {
                for (j, b) in limbs(from_be_bytes(imm)).iter().enumerate() {
                    t[4 + j] = F::from_canonical_u8(*b);
                }
            }
            tuples.push(t);
        }
    };
    while pc < code.len() {
        let op = code[pc];
        let len = opcode::immediate_len(op);
        let mut imm = vec![0u8; len];
        let avail = code.len().saturating_sub(pc + 1).min(len);
        imm[..avail].copy_from_slice(&code[pc + 1..pc + 1 + avail]);
        emit(pc, op, &imm);
        pc += 1 + len;
    }
    emit(pc, 0x00, &[]);
    tuples
}

/// Builds the bytecode table for `codes` (code id, code) with the execution
/// counts `executed[(code id, pc)]`, padded to at least `2^min_rows_log` rows.
pub fn generate(
    codes: &[(u32, &[u8])],
    executed: &HashMap<(u32, u64), u64>,
    min_rows_log: usize,
) -> Result<Vec<[F; col::NUM_COLUMNS]>, WitnessError> {
    let mut rows = Vec::new();
    let mut covered = 0u64;
    for &(id, code) in codes {
        for t in instruction_tuples(id, code) {
            let mut row = [F::ZERO; col::NUM_COLUMNS];
            row[col::IS_REAL] = F::ONE;
            row[col::CODE_ID..col::MULT].copy_from_slice(&t);
            let pc = plonky2::field::types::PrimeField64::to_canonical_u64(&t[1]);
            let count = executed.get(&(id, pc)).copied().unwrap_or(0);
            covered += count;
            row[col::MULT] = F::from_canonical_u64(count);
            rows.push(row);
        }
    }
    let total: u64 = executed.values().sum();
    if covered != total {
        return Err(WitnessError::MalformedTrace {
            tx: codes.first().map_or(0, |c| c.0),
            step: 0,
            reason: "a step executes a position that is not an instruction of its code".into(),
        });
    }
    let height = rows.len().next_power_of_two().max(1 << min_rows_log);
    rows.resize(height, [F::ZERO; col::NUM_COLUMNS]);
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_push_data_and_appends_stop() {
        // PUSH2 0x5b5b; JUMPDEST; BALANCE (out of scope)
        let t = instruction_tuples(3, &[0x61, 0x5b, 0x5b, 0x5b, 0x31]);
        let pcs: Vec<F> = t.iter().map(|t| t[1]).collect();
        assert_eq!(pcs, vec![F::ZERO, F::from_canonical_u64(3), F::from_canonical_u64(5)]);
        assert_eq!(t[0][4], F::from_canonical_u64(0x5b));
        assert_eq!(t[0][5], F::from_canonical_u64(0x5b));
        assert_eq!(t[2][2], F::from_canonical_u64(opcode::Family::Stop.id()));
    }
}
