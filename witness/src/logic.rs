//! The logic table: one row per AND, OR or XOR step, holding both operands
//! as 256 bits each and the result as 32 byte limbs.
//!
//! The bits make the bitwise operation a per-bit polynomial (AND: `ab`,
//! OR: `a + b - ab`, XOR: `a + b - 2ab`), and recomposed into bytes they
//! match the step table's operand limbs through a cross-table lookup on
//! (family id, operand bytes, result bytes). Boolean bits also make every
//! recomposed byte a byte, so the table needs no range lookup.

use crate::opcode::Family;
use crate::word::limbs;
use crate::F;
use plonky2::field::types::Field;
use revm::primitives::U256;

/// Column indices of the logic table.
pub mod col {
    use crate::opcode::Family;
    use crate::word::LIMBS;

    /// Selector of AND; OR and XOR follow (see [`sel`]).
    pub const SEL: usize = 0;
    /// First bit of the first operand (least significant first).
    pub const A_BITS: usize = SEL + Family::LOGIC.len();
    /// First bit of the second operand.
    pub const B_BITS: usize = A_BITS + 256;
    /// Result, byte limbs.
    pub const OUT: usize = B_BITS + 256;
    /// Number of columns.
    pub const NUM_COLUMNS: usize = OUT + LIMBS;

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

/// Builds the logic table from the step table's bitwise steps, padded with
/// all-zero rows to `2^rows_log` rows (or the next power of two that fits).
pub fn generate(ops: &[LogicOp], rows_log: usize) -> Vec<[F; col::NUM_COLUMNS]> {
    let height = ops.len().next_power_of_two().max(1 << rows_log);
    let mut rows = vec![[F::ZERO; col::NUM_COLUMNS]; height];
    for (row, op) in rows.iter_mut().zip(ops) {
        row[col::sel(op.family)] = F::ONE;
        for (base, word) in [(col::A_BITS, op.in0), (col::B_BITS, op.in1)] {
            for bit in 0..256 {
                row[base + bit] = F::from_bool(word.bit(bit));
            }
        }
        for (j, b) in limbs(op.result()).iter().enumerate() {
            row[col::OUT + j] = F::from_canonical_u8(*b);
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
            in0: U256::from(0b1100u64),
            in1: U256::from(0b1010u64),
        };
        let rows = generate(&[op], 8);
        assert_eq!(rows.len(), 256);
        assert_eq!(rows[0][col::sel(Family::Xor)], F::ONE);
        assert_eq!(rows[0][col::A_BITS + 2], F::ONE);
        assert_eq!(rows[0][col::A_BITS + 1], F::ZERO);
        assert_eq!(rows[0][col::OUT], F::from_canonical_u8(0b0110));
        assert!(rows[1].iter().all(|c| *c == F::ZERO));
    }
}
