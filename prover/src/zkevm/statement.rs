//! What a chunk proof's statement contributes to proving and verification:
//! the step table's public inputs, the field elements the transcript absorbs
//! before any challenge, and the public side of the cross-table lookups that
//! pin the bytecode and call-context tables, the memory table's call data and
//! the storage table's slots to the statement.

use super::tables::{CALLDATA_CTL, CODE_CTL, CONTEXT_CTL, SLOTS_CTL};
use plonky2::field::types::Field;
use plonky2::iop::challenger::Challenger;
use plonky2::plonk::config::Hasher;
use witness::bytecode::instruction_tuples;
use witness::context::context_tuples;
use witness::memory::calldata_tuples;
use witness::storage::slot_tuples;
use witness::{ChunkStatement, F};

/// The step table's public inputs for a statement.
pub fn cpu_public_inputs(statement: &ChunkStatement) -> Vec<F> {
    let mut pis = vec![F::ZERO; witness::cpu::pi::NUM];
    pis[witness::cpu::pi::FIRST_TX] = F::from_canonical_u32(statement.first_tx);
    pis[witness::cpu::pi::END_TX] = F::from_canonical_u32(statement.end_tx);
    pis[witness::cpu::pi::STEPS] = F::from_canonical_u64(statement.steps);
    pis
}

/// The elements the chunk transcript absorbs for a statement, in order: the
/// step table's public inputs; the beneficiary (20 bytes) and base fee (8
/// bytes, big-endian); per transaction its id, code length and
/// code bytes, callee and caller (20 bytes each), value (32 bytes,
/// big-endian), call-data length and call-data bytes, starting gas, gas
/// limit, gas left, refund counter, gas price (16 bytes) and nonce (8
/// bytes), whether it reverts; then the number of storage slots and per
/// slot its contract (20 bytes), key, value before and value after (32
/// bytes each, big-endian); then the number of account fields and each as
/// a slot (the field id as its key). The slots come last, where the leaf
/// circuit reads them.
pub fn statement_elements(statement: &ChunkStatement) -> Vec<F> {
    let bytes = |b: &[u8]| b.iter().map(|&x| F::from_canonical_u8(x)).collect::<Vec<F>>();
    let slots = |out: &mut Vec<F>, list: &[witness::storage::StorageSlot]| {
        out.push(F::from_canonical_usize(list.len()));
        for slot in list {
            out.extend(bytes(slot.address.as_slice()));
            for word in [slot.key, slot.before, slot.after] {
                out.extend(bytes(&word.to_be_bytes::<32>()));
            }
        }
    };
    let mut out = cpu_public_inputs(statement);
    out.extend(bytes(statement.fees.beneficiary.as_slice()));
    out.extend(bytes(&statement.fees.base_fee.to_be_bytes()));
    for call in &statement.calls {
        out.push(F::from_canonical_u32(call.tx));
        out.push(F::from_canonical_usize(call.code.len()));
        out.extend(bytes(&call.code));
        out.extend(bytes(call.address.as_slice()));
        out.extend(bytes(call.caller.as_slice()));
        out.extend(bytes(&call.value.to_be_bytes::<32>()));
        out.push(F::from_canonical_usize(call.calldata.len()));
        out.extend(bytes(&call.calldata));
        for gas in [call.gas, call.gas_limit, call.gas_left, call.refund] {
            out.push(F::from_noncanonical_u64(gas));
        }
        out.extend(bytes(&call.gas_price.to_be_bytes()));
        out.extend(bytes(&call.nonce.to_be_bytes()));
        out.push(F::from_bool(call.reverted));
    }
    slots(&mut out, &statement.storage);
    slots(&mut out, &statement.accounts);
    out
}

/// Absorbs the statement into the transcript before any challenge is drawn.
pub(crate) fn observe_statement<H: Hasher<F>>(challenger: &mut Challenger<F, H>, statement: &ChunkStatement) {
    challenger.observe_elements(&statement_elements(statement));
}

/// A cross-table lookup whose looking side the verifier supplies from the
/// statement.
pub struct PublicLookup {
    /// Index of the cross-table lookup.
    pub ctl: usize,
    /// Elements per tuple.
    pub width: usize,
}

/// The public lookups: the instruction tuples of every call's code, the
/// call-context tuples of every call, the call-data bytes of every call, then
/// the initial and final tuples of every storage slot ([`public_tuples`] in
/// the same order).
pub const PUBLIC_LOOKUPS: [PublicLookup; 4] = [
    PublicLookup {
        ctl: CODE_CTL,
        width: witness::bytecode::col::TUPLE,
    },
    PublicLookup {
        ctl: CONTEXT_CTL,
        width: witness::context::col::TUPLE,
    },
    PublicLookup {
        ctl: CALLDATA_CTL,
        width: witness::memory::col::TUPLE,
    },
    PublicLookup {
        ctl: SLOTS_CTL,
        width: witness::storage::col::TUPLE,
    },
];

/// The tuples of each of [`PUBLIC_LOOKUPS`] for a statement, flattened.
pub fn public_tuples(statement: &ChunkStatement) -> [Vec<F>; 4] {
    let calls = &statement.calls;
    [
        calls
            .iter()
            .flat_map(|c| instruction_tuples(c.tx, &c.code))
            .flatten()
            .collect(),
        calls
            .iter()
            .flat_map(|c| context_tuples(c, &statement.fees))
            .flatten()
            .collect(),
        calls
            .iter()
            .flat_map(|c| calldata_tuples(c.tx, &c.calldata))
            .flatten()
            .collect(),
        slot_tuples(&statement.storage).into_iter().flatten().collect(),
    ]
}
