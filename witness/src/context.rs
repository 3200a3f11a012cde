//! The call-context table: one row per (transaction, field) of the chunk's
//! calls, holding the value ADDRESS, CALLER, CALLVALUE, CALLDATASIZE, ORIGIN,
//! GASPRICE, COINBASE, BASEFEE, CODESIZE, RETURNDATASIZE, NUMBER, TIMESTAMP,
//! GASLIMIT, CHAINID or PREVRANDAO push (COINBASE, BASEFEE and the last
//! five the block's, from the statement's block context),
//! the gas the transaction's first step starts with ([`START_GAS`],
//! held as one field element in the first value limb, as the step table's
//! gas column is), whether it reverts ([`REVERTED`], 0 or 1 in the first
//! limb, read by its last step and by its storage accesses), and the gas
//! left after its last step ([`GAS_LEFT`], byte limbs) and its final refund
//! counter ([`REFUND`], the first limb), both read by its last step.
//!
//! Like the bytecode table, the rows carry no constraints of their own: the
//! verifier recomputes the same tuples from the statement's calls
//! ([`context_tuples`]) and a cross-table lookup binds the table to them,
//! while a second lookup, with multiplicities, gives each context step its
//! value.

use crate::accounting::BlockContext;
use crate::chunk::TxCall;
use crate::opcode::env;
use crate::word::limbs;
use crate::F;
use plonky2::field::types::{Field, PrimeField64};
use revm::primitives::{Address, U256};
use std::collections::HashMap;

/// Column indices of the call-context table.
pub mod col {
    use crate::word::LIMBS;

    /// 1 on rows holding a context tuple.
    pub const IS_REAL: usize = 0;
    /// Transaction index.
    pub const TX: usize = 1;
    /// Field id (see [`crate::opcode::env`]).
    pub const FIELD: usize = 2;
    /// The field's value, byte limbs.
    pub const VAL: usize = 3;
    /// How many steps read this field.
    pub const MULT: usize = VAL + LIMBS;
    /// Number of columns.
    pub const NUM_COLUMNS: usize = MULT + 1;
    /// Width of a context tuple (TX..MULT).
    pub const TUPLE: usize = MULT - TX;
}

/// The word an address is pushed as (right-aligned, big-endian).
fn address_word(address: Address) -> U256 {
    U256::from_be_slice(address.as_slice())
}

/// The context field holding the gas available to a transaction's first step.
pub const START_GAS: u64 = 5;

/// The context field saying whether a transaction ends with REVERT.
pub const REVERTED: u64 = 6;

/// The context field holding the gas left after a transaction's last step.
pub const GAS_LEFT: u64 = 7;

/// The context field holding a transaction's refund counter at its end.
pub const REFUND: u64 = 8;

/// The context fields every call has, in table order.
pub const FIELDS: [u64; 8] = [
    env::ADDRESS,
    env::CALLER,
    env::CALLVALUE,
    env::CALLDATASIZE,
    START_GAS,
    REVERTED,
    GAS_LEFT,
    REFUND,
];

/// The context fields a call has only when its code holds the opcode that
/// reads them (anywhere, push data included: a field that is never read
/// costs a row and nothing else), each with that opcode, in table order
/// after [`FIELDS`]. A call whose code cannot read them needs no rows for
/// them, and its tuples (so its chunk's statement digest) stay as they were
/// before these fields existed.
pub const CODE_FIELDS: [(u64, u8); 11] = [
    (env::ORIGIN, 0x32),
    (env::GASPRICE, 0x3a),
    (env::COINBASE, 0x41),
    (env::BASEFEE, 0x48),
    (env::CODESIZE, 0x38),
    (env::RETURNDATASIZE, 0x3d),
    (env::NUMBER, 0x43),
    (env::TIMESTAMP, 0x42),
    (env::GASLIMIT, 0x45),
    (env::CHAINID, 0x46),
    (env::PREVRANDAO, 0x44),
];

/// The [`CODE_FIELDS`] whose values are the block header's (the number,
/// timestamp, gas limit, chain id and randomness the statement holds only
/// when some call can read them: [`reads_header`]).
pub const HEADER_FIELDS: [u64; 5] = [
    env::NUMBER,
    env::TIMESTAMP,
    env::GASLIMIT,
    env::CHAINID,
    env::PREVRANDAO,
];

/// Whether any of `calls` has a code that may read a [`HEADER_FIELDS`] value.
pub fn reads_header(calls: &[TxCall]) -> bool {
    calls
        .iter()
        .any(|call| call_fields(call).any(|field| HEADER_FIELDS.contains(&field)))
}

/// The fields of `call`'s context, in table order: [`FIELDS`], then the
/// [`CODE_FIELDS`] its code may read.
pub fn call_fields(call: &TxCall) -> impl Iterator<Item = u64> + '_ {
    let read_by_code = CODE_FIELDS
        .iter()
        .filter(|(_, opcode)| call.code.contains(opcode))
        .map(|(field, _)| *field);
    FIELDS.iter().copied().chain(read_by_code)
}

/// The value of context field `field` (one of [`env::ALL`] or [`GAS_LEFT`])
/// of a call in a block with context `block`.
pub fn field_value(call: &TxCall, block: &BlockContext, field: u64) -> U256 {
    match field {
        env::ADDRESS => address_word(call.address),
        env::CALLER | env::ORIGIN => address_word(call.caller),
        env::CALLVALUE => call.value,
        env::GASPRICE => U256::from(call.gas_price),
        env::COINBASE => address_word(block.beneficiary),
        env::BASEFEE => U256::from(block.base_fee),
        env::CODESIZE => U256::from(call.code.len()),
        env::RETURNDATASIZE => U256::ZERO,
        env::NUMBER => U256::from(block.number),
        env::TIMESTAMP => U256::from(block.timestamp),
        env::GASLIMIT => U256::from(block.gas_limit),
        env::CHAINID => U256::from(block.chain_id),
        env::PREVRANDAO => block.prevrandao,
        GAS_LEFT => U256::from(call.gas_left),
        // CALLDATASIZE, the last byte-limb field.
        _ => U256::from(call.calldata.len()),
    }
}

/// The tuples (tx, field, value limbs) of the context fields of `call` in a
/// block with context `block`, in [`call_fields`] order.
pub fn context_tuples(call: &TxCall, block: &BlockContext) -> Vec<[F; col::TUPLE]> {
    call_fields(call)
        .map(|field| {
            let mut t = [F::ZERO; col::TUPLE];
            t[0] = F::from_canonical_u32(call.tx);
            t[1] = F::from_canonical_u64(field);
            if field == START_GAS {
                t[2] = F::from_canonical_u64(call.gas);
            } else if field == REVERTED {
                t[2] = F::from_bool(call.reverted);
            } else if field == REFUND {
                t[2] = F::from_canonical_u64(call.refund);
            } else {
                for (j, b) in limbs(field_value(call, block, field)).iter().enumerate() {
                    t[2 + j] = F::from_canonical_u8(*b);
                }
            }
            t
        })
        .collect()
}

/// Builds the table: the context tuples of `calls` (in a block with context `block`)
/// with how often each `(tx, field)` was read (`reads`), padded with zero
/// rows to `2^rows_log` rows (or the next power of two that fits).
pub fn generate(
    calls: &[TxCall],
    block: &BlockContext,
    reads: &HashMap<(u32, u64), u64>,
    rows_log: usize,
) -> Vec<[F; col::NUM_COLUMNS]> {
    let tuples: Vec<[F; col::TUPLE]> = calls.iter().flat_map(|c| context_tuples(c, block)).collect();
    let height = tuples.len().next_power_of_two().max(1 << rows_log);
    let mut rows = vec![[F::ZERO; col::NUM_COLUMNS]; height];
    for (row, t) in rows.iter_mut().zip(&tuples) {
        row[col::IS_REAL] = F::ONE;
        row[col::TX..col::MULT].copy_from_slice(t);
        let key = (t[0].to_canonical_u64() as u32, t[1].to_canonical_u64());
        row[col::MULT] = F::from_canonical_u64(reads.get(&key).copied().unwrap_or(0));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_field_with_read_counts() {
        let call = TxCall {
            tx: 3,
            // CALLER, ORIGIN, GASPRICE, COINBASE, BASEFEE, STOP.
            code: vec![0x33, 0x32, 0x3a, 0x41, 0x48, 0x00],
            address: Address::with_last_byte(0x10),
            caller: Address::with_last_byte(0xaa),
            value: U256::from(500u64),
            calldata: vec![1, 2, 3],
            gas: 70_000,
            gas_limit: 91_000,
            gas_left: 300,
            refund: 4800,
            gas_price: 10,
            nonce: 0,
            reverted: true,
        };
        let reads = HashMap::from([((3, env::CALLER), 2)]);
        let block = BlockContext {
            beneficiary: Address::with_last_byte(0xcb),
            base_fee: 7,
            ..BlockContext::default()
        };
        let rows = generate(std::slice::from_ref(&call), &block, &reads, 8);
        assert_eq!(rows.len(), 256);
        let caller = &rows[1];
        assert_eq!(caller[col::FIELD], F::from_canonical_u64(env::CALLER));
        assert_eq!(caller[col::VAL], F::from_canonical_u8(0xaa));
        assert_eq!(caller[col::MULT], F::TWO);
        assert_eq!(rows[2][col::VAL], F::from_canonical_u64(500 & 0xff));
        assert_eq!(rows[2][col::VAL + 1], F::from_canonical_u64(500 >> 8));
        assert_eq!(rows[3][col::VAL], F::from_canonical_u64(3));
        assert_eq!(rows[0][col::MULT], F::ZERO);
        assert_eq!(rows[4][col::VAL], F::from_canonical_u64(70_000));
        assert_eq!(rows[5][col::FIELD], F::from_canonical_u64(REVERTED));
        assert_eq!(rows[5][col::VAL], F::ONE);
        assert_eq!(rows[6][col::FIELD], F::from_canonical_u64(GAS_LEFT));
        assert_eq!(rows[6][col::VAL + 1], F::from_canonical_u64(1), "300 = 0x012c");
        assert_eq!(rows[7][col::VAL], F::from_canonical_u64(4800));
        assert_eq!(rows[8][col::VAL], F::from_canonical_u8(0xaa), "ORIGIN is the caller");
        assert_eq!(rows[9][col::VAL], F::from_canonical_u64(10));
        assert_eq!(rows[10][col::VAL], F::from_canonical_u8(0xcb));
        assert_eq!(rows[11][col::VAL], F::from_canonical_u64(7));
        assert_eq!(rows[12][col::IS_REAL], F::ZERO);

        // Code that cannot read the block and transaction fields has none of them.
        let plain = TxCall {
            code: vec![0x33, 0x00],
            ..call.clone()
        };
        assert_eq!(call_fields(&plain).collect::<Vec<_>>(), FIELDS);
        assert_eq!(generate(&[plain], &block, &reads, 8)[8][col::IS_REAL], F::ZERO);
        // A byte in push data counts: the field gets a row that nothing reads.
        let pushed = TxCall {
            code: vec![0x60, 0x48, 0x00],
            ..call
        };
        assert_eq!(call_fields(&pushed).last(), Some(env::BASEFEE));
    }
}
