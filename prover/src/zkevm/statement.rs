//! What a chunk proof's statement contributes to proving and verification:
//! the step table's public inputs, the field elements the transcript absorbs
//! before any challenge, and the public side of the cross-table lookups that
//! pin the bytecode and call-context tables, the memory table's call data and
//! the storage table's slots to the statement.

use super::tables::{CALLDATA_CTL, CODE_CTL, CONTEXT_CTL, SLOTS_CTL, STACK_CTL, WARM_CTL};
use plonky2::field::types::Field;
use plonky2::iop::challenger::Challenger;
use plonky2::plonk::config::Hasher;
use witness::boundary::{memory_final_ts, stack_final_ts, Boundary};
use witness::bytecode::instruction_tuples;
use witness::context::context_tuples;
use witness::memory::calldata_tuples;
use witness::storage::{slot_tuples, warm_tuples};
use witness::{ChunkStatement, F};

/// The link values of a statement (the first of the step table's public
/// inputs, which the aggregation exposes): first transaction, end
/// transaction, steps.
pub fn link_values(statement: &ChunkStatement) -> Vec<F> {
    let mut pis = vec![F::ZERO; witness::cpu::pi::LINKS];
    pis[witness::cpu::pi::FIRST_TX] = F::from_canonical_u32(statement.first_tx);
    pis[witness::cpu::pi::END_TX] = F::from_canonical_u32(statement.end_tx);
    pis[witness::cpu::pi::STEPS] = F::from_canonical_u64(statement.steps);
    pis
}

/// The step table's public inputs for a statement: the link values, then
/// the machine values of the resume and suspend boundaries (zero where there is none).
pub fn cpu_public_inputs(statement: &ChunkStatement) -> Vec<F> {
    let mut pis = link_values(statement);
    pis.extend(Boundary::machine(statement.resume.as_ref()));
    pis.extend(Boundary::machine(statement.suspend.as_ref()));
    pis
}

/// The storage table's public inputs for a statement: whether it suspends
/// a transaction, and `end_tx` (that transaction, when it does).
pub fn storage_public_inputs(statement: &ChunkStatement) -> Vec<F> {
    vec![
        F::from_bool(statement.suspend.is_some()),
        F::from_canonical_u32(statement.end_tx),
    ]
}

/// The statement elements of a split transaction's boundaries, which end
/// the statement's elements: none when the chunk neither resumes nor
/// suspends one; otherwise whether it resumes, whether it suspends, then
/// each boundary's elements ([`Boundary::elements`]).
pub fn boundary_elements(statement: &ChunkStatement) -> Vec<F> {
    let (resume, suspend) = (statement.resume.as_ref(), statement.suspend.as_ref());
    if resume.is_none() && suspend.is_none() {
        return Vec::new();
    }
    let mut out = vec![F::from_bool(resume.is_some()), F::from_bool(suspend.is_some())];
    for b in [resume, suspend].into_iter().flatten() {
        out.extend(b.elements());
    }
    out
}

/// The elements the chunk transcript absorbs for a statement, in order: the
/// link values ([`link_values`]); the beneficiary (20 bytes) and base fee (8
/// bytes, big-endian); where some call's code may read them
/// ([`witness::context::reads_header`]), the block's number, timestamp, gas
/// limit and chain id (8 bytes each, big-endian) and its randomness (32
/// bytes), absent otherwise so that statements without them keep their
/// digests; per transaction its id, code length and
/// code bytes, callee and caller (20 bytes each), value (32 bytes,
/// big-endian), call-data length and call-data bytes, starting gas, gas
/// limit, gas left, refund counter, gas price (16 bytes) and nonce (8
/// bytes), whether it reverts; then the number of storage slots and per
/// slot its contract (20 bytes), key, value before and value after (32
/// bytes each, big-endian); then the number of account fields and each as
/// a slot (the field id as its key); then the boundaries of a split
/// transaction ([`boundary_elements`]). The slots come last but for those,
/// where the leaf circuit reads them.
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
    let mut out = link_values(statement);
    out.extend(bytes(statement.block.beneficiary.as_slice()));
    out.extend(bytes(&statement.block.base_fee.to_be_bytes()));
    if witness::context::reads_header(&statement.calls) {
        let b = &statement.block;
        for value in [b.number, b.timestamp, b.gas_limit, b.chain_id] {
            out.extend(bytes(&value.to_be_bytes()));
        }
        out.extend(bytes(&b.prevrandao.to_be_bytes::<32>()));
    }
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
    out.extend(boundary_elements(statement));
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
/// call-context tuples of every call, the call-data bytes of every call and
/// the boundary memory of a split transaction, the initial and final tuples
/// of every storage slot, the boundary stack of a split transaction, then
/// its warm storage slots ([`public_tuples`] in the same order).
pub const PUBLIC_LOOKUPS: [PublicLookup; 6] = [
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
    PublicLookup {
        ctl: STACK_CTL,
        width: witness::stack::col::TUPLE,
    },
    PublicLookup {
        ctl: WARM_CTL,
        width: witness::storage::WARM_TUPLE,
    },
];

/// The tuples of each of [`PUBLIC_LOOKUPS`] for a statement, flattened.
/// A resumed transaction's boundary rows are initial writes at time stamp
/// 0; a suspended one's are final reads after every step.
pub fn public_tuples(statement: &ChunkStatement) -> [Vec<F>; 6] {
    let calls = &statement.calls;
    let (first, end, steps) = (statement.first_tx, statement.end_tx, statement.steps);
    let mut memory: Vec<F> = Vec::new();
    let mut stack: Vec<F> = Vec::new();
    if let Some(b) = &statement.resume {
        memory.extend(b.memory_tuples(first, 0, true).into_iter().flatten());
        stack.extend(b.stack_tuples(first, 0, true).into_iter().flatten());
    }
    if let Some(b) = &statement.suspend {
        memory.extend(
            b.memory_tuples(end, memory_final_ts(steps), false)
                .into_iter()
                .flatten(),
        );
        stack.extend(b.stack_tuples(end, stack_final_ts(steps), false).into_iter().flatten());
    }
    [
        calls
            .iter()
            .flat_map(|c| instruction_tuples(c.tx, &c.code))
            .flatten()
            .collect(),
        calls
            .iter()
            .flat_map(|c| context_tuples(c, &statement.block))
            .flatten()
            .collect(),
        calls
            .iter()
            .flat_map(|c| calldata_tuples(c.tx, &c.calldata))
            .flatten()
            .chain(memory)
            .collect(),
        slot_tuples(&statement.storage).into_iter().flatten().collect(),
        stack,
        warm_tuples(
            &statement.storage,
            statement.resume.as_ref().map(|b| (first, b.warm.as_slice())),
            statement.suspend.as_ref().map(|b| (end, b.warm.as_slice())),
        )
        .into_iter()
        .flatten()
        .collect(),
    ]
}
