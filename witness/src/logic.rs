//! The logic table: two rows per AND, OR or XOR step, the first holding
//! the low 128 bits of both operands and the low 16 bytes of the result,
//! the second (`HIGH`) the high halves.
//!
//! The bits make the bitwise operation a per-bit polynomial (AND: `ab`,
//! OR: `a + b - ab`, XOR: `a + b - 2ab`), and recomposed into bytes they
//! match the step table's operand limbs through a cross-table lookup on
//! (family id, operand bytes, result bytes) that reads the high halves from
//! the next row. Boolean bits also make every recomposed byte a byte, so the
//! table needs no range lookup. Two rows of half width rather than one of
//! full width keep the table's width, and so the cost of verifying it in the
//! aggregation circuit, down.

use crate::opcode::Family;
use crate::word::limbs;
use crate::F;
use plonky2::field::types::Field;
use revm::primitives::U256;

/// Operand bits per row.
pub const HALF_BITS: usize = 128;
/// Result bytes per row.
pub const HALF_BYTES: usize = HALF_BITS / 8;

/// Column indices of the logic table.
pub mod col {
    use super::{HALF_BITS, HALF_BYTES};
    use crate::opcode::Family;

    /// Selector of AND; OR and XOR follow (see [`sel`]). Set on both rows of a step.
    pub const SEL: usize = 0;
    /// 1 on a step's second row (the high halves).
    pub const HIGH: usize = SEL + Family::LOGIC.len();
    /// First bit of the first operand's half (least significant first).
    pub const A_BITS: usize = HIGH + 1;
    /// First bit of the second operand's half.
    pub const B_BITS: usize = A_BITS + HALF_BITS;
    /// The result's half, byte limbs.
    pub const OUT: usize = B_BITS + HALF_BITS;
    /// Number of columns.
    pub const NUM_COLUMNS: usize = OUT + HALF_BYTES;

    /// Selector column of a logic family.
    pub fn sel(family: Family) -> usize {
        SEL + Family::LOGIC
            .iter()
            .position(|&f| f == family)
            .expect("only AND, OR and XOR have a logic selector")
    }
}

/// One bitwise step, as the step table hands it over (its family is one of [`Family::LOGIC`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogicOp {
    /// AND, OR or XOR.
    pub family: Family,
    /// First operand (top of stack).
    pub in0: U256,
    /// Second operand.
    pub in1: U256,
}

impl LogicOp {
    /// The result of the operation.
    pub fn result(&self) -> U256 {
        match self.family {
            Family::And => self.in0 & self.in1,
            Family::Or => self.in0 | self.in1,
            // XOR, the only other logic family.
            _ => self.in0 ^ self.in1,
        }
    }
}

/// Builds the logic table from the step table's bitwise steps (two rows
/// each), padded with all-zero rows to `2^rows_log` rows (or the next power
/// of two that fits).
pub fn generate(ops: &[LogicOp], rows_log: usize) -> Vec<[F; col::NUM_COLUMNS]> {
    let height = (2 * ops.len()).next_power_of_two().max(1 << rows_log);
    let mut rows = vec![[F::ZERO; col::NUM_COLUMNS]; height];
    for (pair, op) in rows.chunks_mut(2).zip(ops) {
        let result = limbs(op.result());
        for (half, row) in pair.iter_mut().enumerate() {
            row[col::sel(op.family)] = F::ONE;
            row[col::HIGH] = F::from_bool(half == 1);
            for (base, word) in [(col::A_BITS, op.in0), (col::B_BITS, op.in1)] {
                for bit in 0..HALF_BITS {
                    row[base + bit] = F::from_bool(word.bit(half * HALF_BITS + bit));
                }
            }
            for j in 0..HALF_BYTES {
                row[col::OUT + j] = F::from_canonical_u8(result[half * HALF_BYTES + j]);
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_hold_bits_and_result_bytes() {
        let op = LogicOp {
            family: Family::Xor,
            in0: U256::from(0b1100u64) | (U256::from(1u8) << 200),
            in1: U256::from(0b1010u64),
        };
        let rows = generate(&[op], 8);
        assert_eq!(rows.len(), 256);
        assert_eq!(rows[0][col::sel(Family::Xor)], F::ONE);
        assert_eq!(rows[0][col::A_BITS + 2], F::ONE);
        assert_eq!(rows[0][col::A_BITS + 1], F::ZERO);
        assert_eq!(rows[0][col::OUT], F::from_canonical_u8(0b0110));
        assert_eq!(rows[1][col::HIGH], F::ONE);
        assert_eq!(rows[1][col::sel(Family::Xor)], F::ONE);
        assert_eq!(rows[1][col::A_BITS + 200 - HALF_BITS], F::ONE);
        assert_eq!(rows[1][col::OUT + 25 - HALF_BYTES], F::ONE);
        assert!(rows[2].iter().all(|c| *c == F::ZERO));
    }
}
