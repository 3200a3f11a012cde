//! Cutting a block's transactions into chunks and building each chunk's tables.
//!
//! A chunk holds whole transactions whose steps fit `2^k - 1` step rows
//! (one padding row is always left so the last step can be checked to be a
//! STOP, or to leave the state a suspended transaction continues from). A
//! transaction longer than that is split over several chunks
//! ([`crate::boundary`]): the chunk that stops it suspends it at a boundary
//! the next chunk resumes from. Where it cannot be split (it holds more than
//! [`boundary::MAX_MEMORY`] bytes of memory wherever it would be cut), it gets
//! a larger chunk of its own ([`ChunkSize`]). Neighbouring chunks link through their
//! public transaction range (a chunk's `end_tx` is the next chunk's
//! `first_tx`, a suspended transaction's index when it is split) and state
//! roots (mixed with the boundary where a transaction is split).

use crate::accounting::{self, BlockContext};
use crate::boundary::{self, Boundary};
use crate::cpu::Piece;
use crate::state::{Digest, PreState, StateTree, StateWitness, ACCOUNT, STORAGE};
use crate::storage::{self, StorageSlot};
use crate::{arith, bytecode, context, cpu, exp, logic, memory, stack, WitnessError, F, MIN_ROWS_LOG};
use executor::trace::{AccountField, BlockTrace, Step, TxTrace};
use executor::tracer::TraceLimit;
use revm::primitives::hardfork::SpecId;
use revm::primitives::{Address, Bytes, U256};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;

/// Largest supported chunk size (log2 of step rows); stack time stamps must fit 24 bits.
pub const MAX_ROWS_LOG: usize = 22;

/// The trace limit of `2^rows_log - 1` steps per transaction (a chunk's
/// worth): a longer transaction's trace is not recorded whole, and building
/// its chunks refuses it ([`WitnessError::TraceCut`]). [`MAX_ROWS_LOG`]
/// gives the most steps a transaction may run, split over chunks or not.
pub fn chunk_trace_limit(rows_log: usize) -> TraceLimit {
    TraceLimit {
        steps: 1usize.checked_shl(rows_log as u32).map_or(usize::MAX, |rows| rows - 1),
        ..TraceLimit::default()
    }
}

/// Largest starting gas a transaction may have (the step table holds gas
/// amounts in seven bytes; real gas limits are below 2^25).
pub const MAX_START_GAS: u64 = (1 << 56) - 1;

/// The call one transaction makes, part of a chunk's public statement:
/// the code it runs and the call context that code can read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxCall {
    /// Index of the transaction in its block.
    pub tx: u32,
    /// Code of the called contract.
    pub code: Vec<u8>,
    /// The called contract (ADDRESS).
    pub address: Address,
    /// The sender (CALLER).
    pub caller: Address,
    /// The value sent (CALLVALUE).
    pub value: U256,
    /// The call data (its length is CALLDATASIZE).
    pub calldata: Vec<u8>,
    /// Gas available to the first instruction: the gas limit less the
    /// intrinsic gas ([`intrinsic_gas`]).
    pub gas: u64,
    /// The transaction's gas limit.
    pub gas_limit: u64,
    /// Gas left after the last instruction.
    pub gas_left: u64,
    /// The refund counter after the last instruction (SSTORE refunds,
    /// before EIP-3529's cap).
    pub refund: u64,
    /// Effective gas price, in wei per gas.
    pub gas_price: u128,
    /// The sender's nonce the transaction uses.
    pub nonce: u64,
    /// Whether the transaction failed: ended with REVERT, or with INVALID or
    /// an undefined opcode (which also consume all its gas). Its receipt's status is failure
    /// and its storage writes are rolled back.
    pub reverted: bool,
}

/// Gas every transaction pays before its first instruction.
pub const TX_BASE_GAS: u64 = 21_000;

/// Intrinsic gas of a zero call-data byte.
pub const ZERO_BYTE_GAS: u64 = 4;

/// Intrinsic gas of a nonzero call-data byte (EIP-2028).
pub const NONZERO_BYTE_GAS: u64 = 16;

/// Intrinsic gas of a call (not a creation) without an access list.
pub fn intrinsic_gas(calldata: &[u8]) -> u64 {
    let nonzero = calldata.iter().filter(|&&b| b != 0).count() as u64;
    let zero = calldata.len() as u64 - nonzero;
    TX_BASE_GAS + zero * ZERO_BYTE_GAS + nonzero * NONZERO_BYTE_GAS
}

impl TxCall {
    /// The gas the transaction is charged: the gas limit less what is left,
    /// less the refund (none on revert), which is capped at a fifth of the
    /// gas spent (EIP-3529). `None` when more is left than the limit.
    pub fn gas_used(&self) -> Option<u64> {
        let spent = self.gas_limit.checked_sub(self.gas_left)?;
        let refund = if self.reverted {
            0
        } else {
            self.refund.min(spent / crate::storage::gas::MAX_REFUND_QUOTIENT)
        };
        Some(spent - refund)
    }
}

/// What a chunk proof claims: the transactions `first_tx..end_tx` ran
/// `steps` interpreter steps of the given code in the given call context,
/// starting with the given gas and ending with the given gas left and
/// refund counter (so each used [`TxCall::gas_used`]), each step following
/// the EVM rules for its
/// opcode, and every transaction ended with STOP or RETURN, or with REVERT or
/// INVALID where its `reverted` flag says so (return and revert data are not part of
/// the statement yet); the storage slots they touched held the listed values
/// before and after them, a reverted transaction's writes rolled back; and
/// the transactions' accounting ([`crate::accounting`]) under the block's
/// fees took the listed nonces and balances from their values before to
/// their values after; and the state tree ([`crate::state`]) went from
/// `old_root` to `new_root` by those slot changes, then those account-field
/// changes, the called contracts holding the given code under `old_root`.
///
/// A chunk may resume its first transaction from a `resume` boundary and
/// suspend its last one at a `suspend` boundary ([`crate::boundary`]): then
/// that transaction's steps start from (end in) that machine state instead
/// of a fresh start (an ending step). A suspended transaction's call is
/// listed with no end (zero gas left and refund, not reverted) and its
/// accounting is left to the chunk that finishes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkStatement {
    /// Index of the chunk's first transaction in the block.
    pub first_tx: u32,
    /// One past the index of the chunk's last finished transaction (the
    /// suspended transaction's index, when the chunk suspends one).
    pub end_tx: u32,
    /// Number of steps proven.
    pub steps: u64,
    /// The call each transaction makes, in transaction order (the
    /// suspended one's last).
    pub calls: Vec<TxCall>,
    /// The block's beneficiary, base fee and the values its block-context
    /// opcodes push.
    pub block: BlockContext,
    /// The storage slots the chunk touches, sorted by (contract, key).
    pub storage: Vec<StorageSlot>,
    /// The account fields the chunk's transactions touch, as slots (key
    /// [`accounting::NONCE`] or [`accounting::BALANCE`]) sorted by
    /// (account, field): exactly those [`accounting::replay`] touches.
    pub accounts: Vec<StorageSlot>,
    /// The state root before the chunk.
    pub old_root: Digest,
    /// The state root after the chunk: `old_root` with the storage slots,
    /// then the account fields, set to their `after` values, in order.
    pub new_root: Digest,
    /// The state the first transaction resumes in, when an earlier chunk suspended it.
    pub resume: Option<Boundary>,
    /// The state the last transaction is suspended in (call `end_tx`), when it continues in the next chunk.
    pub suspend: Option<Boundary>,
}

impl ChunkStatement {
    /// The calls of the transactions that end in this chunk (all but a suspended one).
    pub fn finished_calls(&self) -> &[TxCall] {
        let n = self.calls.len() - usize::from(self.suspend.is_some() && !self.calls.is_empty());
        &self.calls[..n]
    }

    /// The contracts the chunk's transactions call, each once, in order of
    /// first call, with their code.
    pub fn callees(&self) -> Vec<(Address, &[u8])> {
        statement_callees(&self.calls)
    }
}

/// The distinct callees of `calls` in order of first call, with their code.
fn statement_callees(calls: &[TxCall]) -> Vec<(Address, &[u8])> {
    let mut seen = std::collections::HashSet::new();
    calls
        .iter()
        .filter(|c| seen.insert(c.address))
        .map(|c| (c.address, c.code.as_slice()))
        .collect()
}

/// The storage slots consecutive chunks of a block touch, each with its
/// value before the first of them and after the last, sorted by (contract, key).
pub fn storage_changes<'a>(statements: impl IntoIterator<Item = &'a ChunkStatement>) -> Vec<StorageSlot> {
    merge_changes(statements.into_iter().flat_map(|s| &s.storage))
}

/// The account fields consecutive chunks of a block touch, each with its
/// value before the first of them and after the last, sorted by (account, field).
pub fn account_changes<'a>(statements: impl IntoIterator<Item = &'a ChunkStatement>) -> Vec<StorageSlot> {
    merge_changes(statements.into_iter().flat_map(|s| &s.accounts))
}

/// Slots listed by consecutive chunks, each with its first value before and last value after.
fn merge_changes<'a>(listed: impl Iterator<Item = &'a StorageSlot>) -> Vec<StorageSlot> {
    let mut slots: std::collections::BTreeMap<(Address, U256), StorageSlot> = std::collections::BTreeMap::new();
    for slot in listed {
        slots
            .entry((slot.address, slot.key))
            .and_modify(|s| s.after = slot.after)
            .or_insert_with(|| slot.clone());
    }
    slots.into_values().collect()
}

/// A summary line, then one indented line per storage slot (`contract[key]:
/// before -> after`, or `value (unchanged)`), at most `max` of them.
pub fn describe_storage(slots: &[StorageSlot], max: usize) -> Vec<String> {
    describe(slots, max, "storage", "slots", |s| format!("{}[{}]", s.address, s.key))
}

/// A summary line, then one indented line per account field (`account
/// field: before -> after`, or `value (unchanged)`), at most `max` of them.
pub fn describe_accounts(fields: &[StorageSlot], max: usize) -> Vec<String> {
    describe(fields, max, "accounts", "fields", |s| {
        format!("{} {}", s.address, accounting::field_name(s.key.saturating_to()))
    })
}

fn describe(
    slots: &[StorageSlot],
    max: usize,
    what: &str,
    items: &str,
    name: impl Fn(&StorageSlot) -> String,
) -> Vec<String> {
    let mut lines = vec![format!("{what}: {} {items} (value before -> after)", slots.len())];
    lines.extend(slots.iter().take(max).map(|s| {
        if s.before == s.after {
            // Touched (read, or written back) without a net change.
            format!("  {}: {} (unchanged)", name(s), s.before)
        } else {
            format!("  {}: {} -> {}", name(s), s.before, s.after)
        }
    }));
    if slots.len() > max {
        lines.push(format!("  ... and {} more {items}", slots.len() - max));
    }
    lines
}

/// A chunk's statement and the rows of each of its tables.
#[derive(Clone, Debug)]
pub struct ChunkWitness {
    /// Public statement.
    pub statement: ChunkStatement,
    /// The state-tree paths proving the statement's roots.
    pub state: StateWitness,
    /// Step table rows.
    pub cpu: Vec<[F; cpu::col::NUM_COLUMNS]>,
    /// Stack read/write table rows.
    pub stack: Vec<[F; stack::col::NUM_COLUMNS]>,
    /// Bytecode table rows.
    pub bytecode: Vec<[F; bytecode::col::NUM_COLUMNS]>,
    /// Logic table rows.
    pub logic: Vec<[F; logic::col::NUM_COLUMNS]>,
    /// Call-context table rows.
    pub context: Vec<[F; context::col::NUM_COLUMNS]>,
    /// Memory table rows.
    pub memory: Vec<[F; memory::col::NUM_COLUMNS]>,
    /// Arithmetic table rows.
    pub arith: Vec<[F; arith::col::NUM_COLUMNS]>,
    /// Storage table rows.
    pub storage: Vec<[F; storage::col::NUM_COLUMNS]>,
    /// Exponentiation table rows.
    pub exp: Vec<[F; exp::col::NUM_COLUMNS]>,
}

/// Whether an address is one of the precompiled contracts (0x01 to 0x11,
/// those of Cancun and Prague).
fn is_precompile(address: Address) -> bool {
    let bytes = address.as_slice();
    bytes[..19].iter().all(|&b| b == 0) && (1..=0x11).contains(&bytes[19])
}

/// Whether a trace holds just the STOP that [`plain_transfer`] gives a
/// call without code.
fn is_implicit_stop(tx: &TxTrace) -> bool {
    matches!(&tx.steps[..], [s] if s.pc == 0 && s.opcode == 0x00)
}

/// A call to an account without code runs no interpreter step. The tables
/// see it as the STOP that code of length zero holds at pc 0, reached with
/// the gas the transaction starts with: the trace with that one step, or
/// `None` when the transaction runs code (or creates a contract).
fn plain_transfer(tx: &TxTrace, codes: &HashMap<Address, Bytes>) -> Result<Option<TxTrace>, WitnessError> {
    let Some(to) = tx.to else { return Ok(None) };
    if !tx.steps.is_empty() || codes.contains_key(&to) {
        return Ok(None);
    }
    if is_precompile(to) {
        return Err(WitnessError::UnsupportedFeature {
            tx: tx.tx_index,
            feature: format!("a call to a precompiled contract: {to}"),
        });
    }
    let stop = Step {
        pc: 0,
        opcode: 0x00,
        gas: tx.gas_limit.saturating_sub(intrinsic_gas(&tx.input)),
        ..Default::default()
    };
    Ok(Some(TxTrace {
        steps: vec![stop],
        ..tx.clone()
    }))
}

/// Checks that a transaction is in scope at transaction level and returns its call.
fn tx_call(tx: &TxTrace, codes: &HashMap<Address, Bytes>) -> Result<TxCall, WitnessError> {
    let unsupported = |feature: &str| WitnessError::UnsupportedFeature {
        tx: tx.tx_index,
        feature: feature.into(),
    };
    let Some(to) = tx.to else {
        return Err(unsupported("contract creation"));
    };
    // A failed transaction ends with REVERT or INVALID, or with a step that
    // halts it exceptionally, which the step table proves runs out of gas.
    let reverted = !tx.success;
    let ends_failing = tx
        .steps
        .last()
        .is_some_and(|s| s.depth == 0 && crate::cpu::ends_failing(s));
    if !reverted && ends_failing {
        return Err(WitnessError::MalformedTrace {
            tx: tx.tx_index,
            step: tx.steps.len() - 1,
            reason: "a successful transaction ends with REVERT or INVALID".into(),
        });
    }
    if tx.steps.is_empty() {
        return Err(WitnessError::MalformedTrace {
            tx: tx.tx_index,
            step: 0,
            reason: format!("a call of the code at {to} runs no step"),
        });
    }
    if tx.steps[0].gas > MAX_START_GAS {
        return Err(unsupported(&format!(
            "a starting gas of {} (above 2^56 - 1)",
            tx.steps[0].gas
        )));
    }
    if tx.input.len() >= crate::memory::MAX_CALLDATA {
        return Err(unsupported(&format!("{} bytes of call data", tx.input.len())));
    }
    if tx.calls.len() > 1 || tx.steps.iter().any(|s| s.depth != 0) {
        return Err(unsupported("a call into another contract"));
    }
    let code = match codes.get(&to) {
        Some(code) => code.to_vec(),
        None if is_implicit_stop(tx) => Vec::new(),
        None => {
            return Err(WitnessError::MissingCode {
                tx: tx.tx_index,
                address: to.to_string(),
            })
        }
    };
    let intrinsic = intrinsic_gas(&tx.input);
    if tx.gas_limit.checked_sub(intrinsic) != Some(tx.steps[0].gas) {
        return Err(unsupported(&format!(
            "an access list (intrinsic gas beyond the call data's): gas limit {}, call data's intrinsic gas {intrinsic}, first step's gas {}",
            tx.gas_limit, tx.steps[0].gas
        )));
    }
    Ok(TxCall {
        tx: tx.tx_index,
        code,
        address: to,
        caller: tx.from,
        value: tx.value,
        calldata: tx.input.to_vec(),
        gas: tx.steps[0].gas,
        gas_limit: tx.gas_limit,
        // Both set from the step table once it is built.
        gas_left: 0,
        refund: 0,
        gas_price: tx.gas_price,
        nonce: tx.nonce,
        reverted,
    })
}

/// Cuts `trace` into chunks of `size` ([`ChunkSize`]; a plain `k` for at
/// most `2^k` step rows each) and builds their tables, each with its
/// state-tree transition. `pre` holds the code of each called contract and
/// the state tree before the block. All the witnesses are held at once;
/// [`chunk_witnesses`] builds them one at a time.
pub fn build_chunks(
    trace: &BlockTrace,
    pre: &PreState,
    size: impl Into<ChunkSize>,
) -> Result<Vec<ChunkWitness>, WitnessError> {
    let txs = trace.txs.iter().map(Cow::Borrowed);
    ChunkWitnesses::plan(txs, block_context(trace)?, pre, size.into())?.collect()
}

/// Cuts `trace` into chunks as [`build_chunks`] does, checking every
/// transaction's scope and size now, and returns the chunks' witnesses as an
/// iterator that builds each one when asked, in order, and frees each
/// transaction's trace once its chunk is built: memory holds one chunk's
/// tables and the traces of the chunks not yet built, however many chunks
/// the block has.
pub fn chunk_witnesses(
    trace: BlockTrace,
    pre: &PreState,
    size: impl Into<ChunkSize>,
) -> Result<ChunkWitnesses<'static>, WitnessError> {
    let block = block_context(&trace)?;
    ChunkWitnesses::plan(trace.txs.into_iter().map(Cow::Owned), block, pre, size.into())
}

/// The fork whose rules the tables prove (gas schedule, refunds, opcodes).
pub const PROVEN_FORK: SpecId = SpecId::CANCUN;

/// The block-level values of a traced block, which must have run under the
/// rules the tables prove (Cancun's).
fn block_context(trace: &BlockTrace) -> Result<BlockContext, WitnessError> {
    if trace.fork != PROVEN_FORK {
        return Err(WitnessError::UnprovenFork {
            number: trace.block_number,
            fork: trace.fork,
        });
    }
    Ok(BlockContext {
        beneficiary: trace.beneficiary,
        base_fee: trace.base_fee,
        number: trace.block_number,
        timestamp: trace.timestamp,
        gas_limit: trace.gas_limit,
        chain_id: trace.chain_id,
        prevrandao: trace.prevrandao,
    })
}

/// How big a block's chunks are: each holds at most `2^rows_log` step
/// rows. A transaction longer than that is split over several chunks, or,
/// where it cannot be split, gets a chunk of its own of the smallest size
/// that holds it, up to `2^max_rows_log` rows (chunks of different sizes
/// aggregate like any others). A plain number is a size with no such
/// larger chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkSize {
    /// Log2 of the step rows of an ordinary chunk.
    pub rows_log: usize,
    /// Log2 of the step rows of the largest chunk a long transaction may get.
    pub max_rows_log: usize,
}

impl From<usize> for ChunkSize {
    fn from(rows_log: usize) -> Self {
        Self {
            rows_log,
            max_rows_log: rows_log,
        }
    }
}

/// Steps a chunk of `2^rows_log` rows holds (one row is left for padding).
fn capacity(rows_log: usize) -> usize {
    (1usize << rows_log) - 1
}

/// Part of a transaction planned into one chunk: its trace (shared by the
/// chunks a split transaction runs over), its call and the steps the chunk runs.
struct Planned<'a> {
    tx: Arc<Cow<'a, TxTrace>>,
    call: TxCall,
    steps: Range<usize>,
}

/// The pieces of one planned chunk and its step rows (log2).
type Group<'a> = (usize, Vec<Planned<'a>>);

/// A block's chunk witnesses, built one at a time in chunk order
/// ([`chunk_witnesses`]). After an error it yields nothing more (a chunk's
/// state depends on every chunk before it).
pub struct ChunkWitnesses<'a> {
    /// The chunks not yet built.
    groups: std::vec::IntoIter<Group<'a>>,
    /// The state the next chunk starts from.
    state: BlockState,
    /// The boundary the previous chunk suspended its last transaction at.
    suspended: Option<Boundary>,
}

/// Where a transaction of `tx.steps` steps may be cut, before step `j`
/// (`0 < j < steps`): not right after a jump (the row after a chunk's last
/// step is no JUMPDEST), and with at most [`boundary::MAX_MEMORY`] bytes of
/// memory.
fn may_cut(tx: &TxTrace, j: usize) -> bool {
    let (before, at) = (&tx.steps[j - 1], &tx.steps[j]);
    !matches!(before.opcode, 0x56 | 0x57) && at.memory_size as usize <= boundary::MAX_MEMORY
}

/// The step ranges of a transaction longer than a chunk of `capacity`
/// steps, the first of at most `first` steps, cut as late as [`may_cut`]
/// allows in each; `None` when it cannot be cut so (it holds too much memory).
fn split_ranges(tx: &TxTrace, first: usize, capacity: usize) -> Option<Vec<Range<usize>>> {
    let mut ranges = Vec::new();
    let mut start = 0;
    let mut room = first;
    while tx.steps.len() - start > room {
        let end = (start + 1..=start + room).rev().find(|&j| may_cut(tx, j))?;
        ranges.push(start..end);
        start = end;
        room = capacity;
    }
    ranges.push(start..tx.steps.len());
    Some(ranges)
}

impl<'a> ChunkWitnesses<'a> {
    /// Checks each transaction and groups them into chunks of `size`:
    /// whole transactions while they fit, a transaction longer than a chunk
    /// split over several ([`split_ranges`]; its first piece fills the open
    /// chunk, its last shares its chunk with the transactions after it), or,
    /// where it cannot be split, in a larger chunk of its own.
    fn plan(
        txs: impl ExactSizeIterator<Item = Cow<'a, TxTrace>>,
        block: BlockContext,
        pre: &PreState,
        size: ChunkSize,
    ) -> Result<Self, WitnessError> {
        let ChunkSize { rows_log, max_rows_log } = size;
        for k in [rows_log, max_rows_log] {
            if !(MIN_ROWS_LOG..=MAX_ROWS_LOG).contains(&k) {
                return Err(WitnessError::ChunkSize(k));
            }
        }
        if max_rows_log < rows_log {
            return Err(WitnessError::ChunkSizeOrder { rows_log, max_rows_log });
        }
        if txs.len() == 0 {
            return Err(WitnessError::EmptyBlock);
        }
        let full = capacity(rows_log);
        let mut groups: Vec<Group> = Vec::new();
        // Steps in the open group; a full value makes the next transaction open a new one.
        let mut used = full;
        for tx in txs {
            if let Some(cut) = tx.cut {
                return Err(WitnessError::TraceCut { tx: tx.tx_index, cut });
            }
            let tx = match plain_transfer(&tx, &pre.codes)? {
                Some(stop) => Cow::Owned(stop),
                None => tx,
            };
            let call = tx_call(&tx, &pre.codes)?;
            let steps = tx.steps.len();
            let room = full - used;
            let ranges = if steps <= full {
                std::iter::once(0..steps).collect()
            } else if let Some(ranges) = (room > 0).then(|| split_ranges(&tx, room, full)).flatten() {
                ranges
            } else if let Some(ranges) = split_ranges(&tx, full, full) {
                used = full;
                ranges
            } else {
                let own = (rows_log..=max_rows_log).find(|&k| steps <= capacity(k)).ok_or(
                    WitnessError::TransactionTooLong {
                        tx: tx.tx_index,
                        steps,
                        rows_log: max_rows_log,
                        capacity: capacity(max_rows_log),
                    },
                )?;
                groups.push((
                    own,
                    vec![Planned {
                        tx: Arc::new(tx),
                        call,
                        steps: 0..steps,
                    }],
                ));
                used = full;
                continue;
            };
            let tx = Arc::new(tx);
            let split = ranges.len() > 1;
            for (i, range) in ranges.into_iter().enumerate() {
                if (split && i > 0) || used + range.len() > full {
                    groups.push((rows_log, Vec::new()));
                    used = 0;
                }
                used += range.len();
                let piece = Planned {
                    tx: Arc::clone(&tx),
                    call: call.clone(),
                    steps: range,
                };
                groups.last_mut().expect("a group was opened").1.push(piece);
            }
            if split {
                // Only the last piece's chunk takes more transactions.
                let last = groups.last().expect("a piece was planned");
                used = last.1[0].steps.len();
            }
        }
        Ok(Self {
            groups: groups.into_iter(),
            state: BlockState {
                tree: pre.tree.clone(),
                fields: pre.fields.clone(),
                values: HashMap::new(),
                block,
            },
            suspended: None,
        })
    }
}

/// The trace of a piece of a transaction as a chunk job carries it: the
/// piece's steps, and the next one when it is suspended (whose pc and gas the
/// boundary holds).
fn piece_trace(tx: &TxTrace, steps: &Range<usize>) -> TxTrace {
    let end = (steps.end + 1).min(tx.steps.len());
    TxTrace {
        tx_index: tx.tx_index,
        from: tx.from,
        to: tx.to,
        value: tx.value,
        gas_limit: tx.gas_limit,
        gas_price: tx.gas_price,
        nonce: tx.nonce,
        input: tx.input.clone(),
        gas_used: tx.gas_used,
        success: tx.success,
        output: tx.output.clone(),
        tx_account_ops: tx.tx_account_ops.clone(),
        steps: tx.steps[steps.start..end].to_vec(),
        calls: tx.calls.clone(),
        logs: tx.logs.clone(),
        cut: tx.cut,
    }
}

impl<'a> ChunkWitnesses<'a> {
    /// Builds the next chunk and returns it with its pieces; after an error
    /// nothing more is built.
    fn build_next(&mut self) -> Option<Result<(ChunkWitness, Vec<Planned<'a>>), WitnessError>> {
        let (rows_log, group) = self.groups.next()?;
        let resume = self.suspended.take();
        let values = &self.state.values;
        let pieces: Vec<Piece> = group
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let resume = if i == 0 && p.steps.start > 0 {
                    resume.clone()
                } else {
                    None
                };
                let warm_values = resume
                    .iter()
                    .flat_map(|b| &b.warm)
                    .map(|w| values.get(&(w.address, w.key)).copied().unwrap_or_default());
                Piece {
                    tx: p.tx.as_ref(),
                    call: p.call.clone(),
                    steps: p.steps.clone(),
                    warm_values: warm_values.collect(),
                    resume,
                }
            })
            .collect();
        let built = build_chunk(&pieces, &mut self.state, rows_log);
        drop(pieces);
        match &built {
            Ok(witness) => self.suspended = witness.statement.suspend.clone(),
            Err(_) => self.groups = Vec::new().into_iter(),
        }
        Some(built.map(|witness| (witness, group)))
    }

    /// The next chunk's witness with the traces of its transactions (what
    /// [`rebuild_chunk`] takes: a plain transfer's is the one STOP it is
    /// proven as, a piece of a split transaction's holds the piece's steps
    /// and, when suspended, the next step), or `None` after the last chunk or an error.
    pub fn next_with_traces(&mut self) -> Option<Result<(ChunkWitness, Vec<TxTrace>), WitnessError>> {
        let built = self.build_next()?;
        Some(built.map(|(witness, group)| {
            let traces = group
                .into_iter()
                .map(|p| {
                    if p.steps == (0..p.tx.steps.len()) {
                        Arc::try_unwrap(p.tx).map_or_else(|tx| (*tx).clone().into_owned(), Cow::into_owned)
                    } else {
                        piece_trace(&p.tx, &p.steps)
                    }
                })
                .collect();
            (witness, traces)
        }))
    }
}

impl Iterator for ChunkWitnesses<'_> {
    type Item = Result<ChunkWitness, WitnessError>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.build_next()?.map(|(witness, _)| witness))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.groups.size_hint()
    }
}

impl ExactSizeIterator for ChunkWitnesses<'_> {}

/// The state as a block's chunks are built: the tree, the accounts' nonces
/// and balances, the storage values the chunks so far left, and the block's context.
struct BlockState {
    tree: StateTree,
    fields: HashMap<(Address, u64), U256>,
    values: HashMap<(Address, U256), U256>,
    block: BlockContext,
}

impl BlockState {
    /// Runs the accounting of `calls` (one chunk's finished ones, with their
    /// `traces` in the same order) against the current
    /// values, checking each transaction's changes against its trace; returns
    /// the fields touched with their values before and after the chunk.
    fn account(&mut self, calls: &[TxCall], traces: &[&TxTrace]) -> Result<Vec<StorageSlot>, WitnessError> {
        let mut touched = Vec::new();
        for (call, tx) in calls.iter().zip(traces) {
            let unsupported = |feature: String| WitnessError::UnsupportedFeature {
                tx: tx.tx_index,
                feature,
            };
            let fields = accounting::replay(std::slice::from_ref(call), &self.block, |address, field| {
                Ok(self.fields.get(&(address, field)).copied().unwrap_or_default())
            })
            .map_err(|e| unsupported(format!("accounting that fails: {e}")))?;
            let ours: Vec<(Address, u64, U256)> = fields
                .iter()
                .filter(|f| f.before != f.after)
                .map(|f| (f.address, f.key.to(), f.after))
                .collect();
            let mut traced: Vec<(Address, u64, U256)> = tx
                .tx_account_ops
                .iter()
                .filter(|op| op.write && op.old != op.new)
                .filter_map(|op| match op.field {
                    AccountField::Nonce => Some((op.address, accounting::NONCE, op.new)),
                    AccountField::Balance => Some((op.address, accounting::BALANCE, op.new)),
                    AccountField::CodeHash => None,
                })
                .collect();
            traced.sort();
            if ours != traced {
                return Err(unsupported(format!(
                    "account changes beyond gas, value and priority fee: the trace changes {traced:?}, the accounting {ours:?}"
                )));
            }
            for f in &fields {
                self.fields.insert((f.address, f.key.to()), f.after);
            }
            touched.extend(fields);
        }
        Ok(merge_changes(touched.iter()))
    }
}

/// The rows of a chunk's nine tables.
struct TableRows {
    cpu: Vec<[F; cpu::col::NUM_COLUMNS]>,
    stack: Vec<[F; stack::col::NUM_COLUMNS]>,
    bytecode: Vec<[F; bytecode::col::NUM_COLUMNS]>,
    logic: Vec<[F; logic::col::NUM_COLUMNS]>,
    context: Vec<[F; context::col::NUM_COLUMNS]>,
    memory: Vec<[F; memory::col::NUM_COLUMNS]>,
    arith: Vec<[F; arith::col::NUM_COLUMNS]>,
    storage: Vec<[F; storage::col::NUM_COLUMNS]>,
    exp: Vec<[F; exp::col::NUM_COLUMNS]>,
}

impl TableRows {
    /// The chunk witness of these rows, with its statement and state-tree paths.
    fn into_witness(self, statement: ChunkStatement, state: StateWitness) -> ChunkWitness {
        ChunkWitness {
            statement,
            state,
            cpu: self.cpu,
            stack: self.stack,
            bytecode: self.bytecode,
            logic: self.logic,
            context: self.context,
            memory: self.memory,
            arith: self.arith,
            storage: self.storage,
            exp: self.exp,
        }
    }
}

/// What a chunk's transactions give on their own, without the state tree:
/// the tables, each call with the gas left and refund counter its last step
/// leaves (none for a suspended one), the storage slots touched with their
/// values before and after, and the boundary a suspended transaction is left at.
struct ChunkTables {
    calls: Vec<TxCall>,
    slots: Vec<StorageSlot>,
    suspend: Option<Boundary>,
    rows: TableRows,
}

/// Builds the tables of one chunk of transaction pieces.
fn build_tables(pieces: &[Piece], block: &BlockContext, rows_log: usize) -> Result<ChunkTables, WitnessError> {
    let cpu = cpu::generate(pieces, block, rows_log)?;
    let stack = stack::generate(&cpu.stack_accesses, rows_log_for(cpu.stack_accesses.len()))?;
    let calldata: Vec<(u32, &[u8])> = pieces
        .iter()
        .map(|p| (p.tx.tx_index, p.call.calldata.as_slice()))
        .collect();
    let mut public = memory::calldata_writes(&calldata);
    public.extend_from_slice(&cpu.boundary_memory);
    let memory_log = rows_log_for(public.len() + cpu.memory_accesses.len());
    let memory = memory::generate(&public, &cpu.memory_accesses, memory_log)?;
    let code_list: Vec<(u32, &[u8])> = pieces.iter().map(|p| (p.tx.tx_index, p.call.code.as_slice())).collect();
    let bytecode = bytecode::generate(&code_list, &cpu.executed, MIN_ROWS_LOG)?;
    let logic = logic::generate(&cpu.logic_ops, MIN_ROWS_LOG);
    let exp_products: Vec<arith::ArithOp> = cpu.exp_ops.iter().flat_map(exp::ExpOp::products).collect();
    let arith = arith::generate(&cpu.arith_ops, &exp_products, MIN_ROWS_LOG);
    let exp = exp::generate(&cpu.exp_ops, MIN_ROWS_LOG);
    let mut calls: Vec<TxCall> = pieces.iter().map(|p| p.call.clone()).collect();
    if cpu.suspend.is_some() {
        let last = calls.last_mut().expect("a suspended transaction has a call");
        (last.gas_left, last.refund, last.reverted) = (0, 0, false);
    }
    for ((call, end), piece) in calls.iter_mut().zip(&cpu.ends).zip(pieces) {
        call.gas_left = end.gas_left;
        call.refund = end.refund;
        if call.gas_used() != Some(piece.tx.gas_used) {
            return Err(WitnessError::UnsupportedFeature {
                tx: piece.tx.tx_index,
                feature: format!(
                    "gas accounting beyond intrinsic gas, execution and refunds: the trace's gas used is {}, the tables give {:?}",
                    piece.tx.gas_used,
                    call.gas_used()
                ),
            });
        }
    }
    let context = context::generate(&calls, block, &cpu.context_reads, MIN_ROWS_LOG);
    let slots = cpu.storage.slots();
    let accesses = cpu.storage.accesses();
    let storage_log = rows_log_for(2 * slots.len() + accesses.len());
    let suspended = cpu.suspend.as_ref().map(|_| pieces[pieces.len() - 1].tx.tx_index);
    let storage = storage::generate(&slots, accesses, cpu.storage.split(suspended), storage_log)?;
    Ok(ChunkTables {
        calls,
        slots,
        suspend: cpu.suspend,
        rows: TableRows {
            cpu: cpu.rows,
            stack,
            bytecode,
            logic,
            context,
            memory,
            arith,
            storage,
            exp,
        },
    })
}

/// The statement's transaction range of a chunk of `pieces`: its first
/// transaction and one past its last finished one.
fn tx_range(pieces: &[Piece], suspends: bool) -> (u32, u32) {
    let last = pieces[pieces.len() - 1].tx.tx_index;
    (pieces[0].tx.tx_index, if suspends { last } else { last + 1 })
}

/// Builds the tables of one chunk and applies its storage writes and
/// account changes (those of the transactions it finishes) to `state`.
fn build_chunk(pieces: &[Piece], state: &mut BlockState, rows_log: usize) -> Result<ChunkWitness, WitnessError> {
    let ChunkTables {
        calls,
        slots,
        suspend,
        rows,
    } = build_tables(pieces, &state.block, rows_log)?;
    let finished = calls.len() - usize::from(suspend.is_some());
    let traces: Vec<&TxTrace> = pieces.iter().map(|p| p.tx).collect();
    let accounts = state.account(&calls[..finished], &traces)?;
    state.values.extend(slots.iter().map(|s| ((s.address, s.key), s.after)));
    let tree = &mut state.tree;
    let old_root = tree.root();
    let paths = StateWitness {
        code: tree.code_paths(&statement_callees(&calls))?,
        storage: tree.update_slots(STORAGE, &slots)?,
        accounts: tree.update_slots(ACCOUNT, &accounts)?,
    };
    let (first_tx, end_tx) = tx_range(pieces, suspend.is_some());
    let statement = ChunkStatement {
        first_tx,
        end_tx,
        steps: pieces.iter().map(|p| p.steps.len() as u64).sum(),
        calls,
        block: state.block,
        storage: slots,
        accounts,
        old_root,
        new_root: tree.root(),
        resume: pieces[0].resume.clone(),
        suspend,
    };
    Ok(rows.into_witness(statement, paths))
}

/// Rebuilds the witness of a chunk whose statement and state-tree paths are
/// already known (a cluster's chunk job: the coordinator planned the block
/// and sends each prover only its chunk's traces) from the traces of its
/// transactions, as [`ChunkWitnesses::next_with_traces`] gives them (a
/// suspended transaction's trace holds one step more than the chunk runs).
/// The tables are built again and must give the statement's calls (gas left
/// and refunds included), steps, storage slots and suspend boundary; the
/// proof then shows the rest.
pub fn rebuild_chunk(
    statement: ChunkStatement,
    state: StateWitness,
    traces: &[TxTrace],
    rows_log: usize,
) -> Result<ChunkWitness, WitnessError> {
    let mismatch = |what: String| Err(WitnessError::StatementMismatch(what));
    if !(MIN_ROWS_LOG..=MAX_ROWS_LOG).contains(&rows_log) {
        return Err(WitnessError::ChunkSize(rows_log));
    }
    let ids: Vec<u32> = traces.iter().map(|t| t.tx_index).collect();
    let expected: Vec<u32> = statement.calls.iter().map(|c| c.tx).collect();
    if ids.is_empty() || ids != expected {
        return mismatch(format!(
            "traces of transactions {ids:?}, the statement calls {expected:?}"
        ));
    }
    if let Some(t) = traces.iter().find(|t| t.cut.is_some() || t.steps.is_empty()) {
        return mismatch(format!("transaction {}'s trace is cut short or empty", t.tx_index));
    }
    let before: HashMap<(Address, U256), U256> = statement
        .storage
        .iter()
        .map(|s| ((s.address, s.key), s.before))
        .collect();
    let warm = statement.resume.iter().flat_map(|b| &b.warm);
    let Some(warm_values) = warm
        .map(|w| before.get(&(w.address, w.key)).copied())
        .collect::<Option<Vec<U256>>>()
    else {
        return mismatch("a resumed warm slot is not in the statement's storage".into());
    };
    let last = traces.len() - 1;
    let pieces: Vec<Piece> = traces
        .iter()
        .zip(statement.calls.iter().cloned())
        .enumerate()
        .map(|(i, (tx, call))| {
            let suspended = i == last && statement.suspend.is_some();
            Piece {
                tx,
                call,
                steps: 0..tx.steps.len() - usize::from(suspended),
                resume: statement.resume.clone().filter(|_| i == 0),
                warm_values: if i == 0 { warm_values.clone() } else { Vec::new() },
            }
        })
        .collect();
    let steps: usize = pieces.iter().map(|p| p.steps.len()).sum();
    if steps as u64 != statement.steps || steps > capacity(rows_log) || pieces.iter().any(|p| p.steps.is_empty()) {
        return mismatch(format!(
            "{steps} steps, the statement has {} in a chunk of 2^{rows_log} rows",
            statement.steps
        ));
    }
    let ChunkTables {
        calls,
        slots,
        suspend,
        rows,
    } = build_tables(&pieces, &statement.block, rows_log)?;
    if calls != statement.calls {
        return mismatch("the tables give other calls (gas left or refund counter)".into());
    }
    if slots != statement.storage {
        return mismatch("the tables touch other storage slots or values".into());
    }
    if suspend != statement.suspend {
        return mismatch("the tables leave the suspended transaction in another state".into());
    }
    drop(pieces);
    Ok(rows.into_witness(statement, state))
}

/// The height (log2) of a sorted read/write table holding `accesses` rows
/// and at least one padding row.
fn rows_log_for(accesses: usize) -> usize {
    ((accesses + 1).next_power_of_two().trailing_zeros() as usize).max(MIN_ROWS_LOG)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn described_slots_mark_those_without_a_net_change() {
        let slot = |key: u8, before: u8, after: u8| StorageSlot {
            address: Address::repeat_byte(0x10),
            key: U256::from(key),
            before: U256::from(before),
            after: U256::from(after),
        };
        let lines = describe_storage(&[slot(0, 1, 5), slot(1, 7, 7), slot(2, 0, 1)], 2);
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert_eq!(lines[0], "storage: 3 slots (value before -> after)");
        assert!(lines[1].ends_with("[0]: 1 -> 5"), "{}", lines[1]);
        assert!(lines[2].ends_with("[1]: 7 (unchanged)"), "{}", lines[2]);
        assert_eq!(lines[3], "  ... and 1 more slots");
    }

    #[test]
    fn only_blocks_run_under_the_proven_fork_are_cut_into_chunks() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/demo/counter-loop-block.json");
        let block = executor::codec::load_block(&path).expect("the demo block");
        let pre = PreState::of(&block).expect("its state tree");
        for fork in [SpecId::SHANGHAI, PROVEN_FORK] {
            let options = executor::ExecOptions {
                capture_traces: true,
                spec: Some(fork),
                ..Default::default()
            };
            let trace = executor::execute_block(&block, &options)
                .expect("the demo block runs under both")
                .traces
                .expect("traces");
            match (fork, chunk_witnesses(trace, &pre, 10)) {
                (PROVEN_FORK, Ok(mut chunks)) => assert!(chunks.next().expect("a chunk").is_ok()),
                (SpecId::SHANGHAI, Err(e @ WitnessError::UnprovenFork { .. })) => {
                    assert!(e.to_string().contains("ran under Shanghai rules"), "{e}")
                }
                (fork, other) => panic!("{fork:?}: unexpected {:?}", other.err()),
            }
        }
    }
}
