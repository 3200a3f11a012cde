//! Cutting a block's transactions into chunks and building each chunk's tables.
//!
//! This slice cuts at transaction boundaries: a chunk holds whole
//! transactions whose steps fit `2^k - 1` step rows (one padding row is
//! always left so the last step can be checked to be a STOP). Neighbouring
//! chunks link through their public transaction range: a chunk's `end_tx`
//! is the next chunk's `first_tx`.

use crate::accounting::{self, BlockFees};
use crate::state::{Digest, PreState, StateTree, StateWitness, ACCOUNT, STORAGE};
use crate::storage::{self, StorageSlot};
use crate::{arith, bytecode, context, cpu, exp, logic, memory, stack, WitnessError, F, MIN_ROWS_LOG};
use executor::trace::{AccountField, BlockTrace, Step, TxTrace};
use executor::tracer::TraceLimit;
use revm::primitives::{Address, Bytes, U256};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashMap;

/// Largest supported chunk size (log2 of step rows); stack time stamps must fit 24 bits.
pub const MAX_ROWS_LOG: usize = 22;

/// The trace limit for chunks of `2^rows_log` rows: a transaction's steps
/// must fit one chunk (`2^rows_log - 1` of them), so a longer one's trace
/// need not be recorded whole; building its chunk refuses it
/// ([`WitnessError::TraceCut`]).
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkStatement {
    /// Index of the chunk's first transaction in the block.
    pub first_tx: u32,
    /// One past the index of the chunk's last transaction.
    pub end_tx: u32,
    /// Number of steps proven.
    pub steps: u64,
    /// The call each transaction makes, in transaction order.
    pub calls: Vec<TxCall>,
    /// The block's beneficiary and base fee.
    pub fees: BlockFees,
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
}

impl ChunkStatement {
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
    let reverted = !tx.success;
    // REVERT with its two operands (on fewer it is a stack underflow), or
    // INVALID or an undefined byte (the exceptional halts the tables prove).
    let ends_failing = tx.steps.last().is_some_and(|s| {
        s.depth == 0
            && ((s.opcode == 0xfd && s.stack_in.len() == 2)
                || crate::opcode::decode(s.opcode) == Some((crate::opcode::Family::Invalid, 0)))
    });
    if reverted && !ends_failing {
        return Err(unsupported(
            "a failed transaction (an exceptional halt other than INVALID or an undefined opcode: out of gas, a bad jump, a stack error, ...)",
        ));
    }
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

/// Cuts `trace` into chunks of at most `2^rows_log` step rows and builds
/// their tables, each with its state-tree transition. `pre` holds the code of
/// each called contract and the state tree before the block. All the
/// witnesses are held at once; [`chunk_witnesses`] builds them one at a time.
pub fn build_chunks(trace: &BlockTrace, pre: &PreState, rows_log: usize) -> Result<Vec<ChunkWitness>, WitnessError> {
    let txs = trace.txs.iter().map(Cow::Borrowed);
    ChunkWitnesses::plan(txs, block_fees(trace), pre, rows_log)?.collect()
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
    rows_log: usize,
) -> Result<ChunkWitnesses<'static>, WitnessError> {
    let fees = block_fees(&trace);
    ChunkWitnesses::plan(trace.txs.into_iter().map(Cow::Owned), fees, pre, rows_log)
}

/// The beneficiary and base fee of a traced block.
fn block_fees(trace: &BlockTrace) -> BlockFees {
    BlockFees {
        beneficiary: trace.beneficiary,
        base_fee: trace.base_fee,
    }
}

/// A block's chunk witnesses, built one at a time in chunk order
/// ([`chunk_witnesses`]). After an error it yields nothing more (a chunk's
/// state depends on every chunk before it).
pub struct ChunkWitnesses<'a> {
    /// The transactions of the chunks not yet built, one group per chunk,
    /// each with the call it makes.
    groups: std::vec::IntoIter<Vec<(Cow<'a, TxTrace>, TxCall)>>,
    /// The state the next chunk starts from.
    state: BlockState,
    rows_log: usize,
}

impl<'a> ChunkWitnesses<'a> {
    /// Checks each transaction and groups them into chunks of at most
    /// `2^rows_log - 1` steps, cutting at transaction boundaries.
    fn plan(
        txs: impl ExactSizeIterator<Item = Cow<'a, TxTrace>>,
        fees: BlockFees,
        pre: &PreState,
        rows_log: usize,
    ) -> Result<Self, WitnessError> {
        if !(MIN_ROWS_LOG..=MAX_ROWS_LOG).contains(&rows_log) {
            return Err(WitnessError::ChunkSize(rows_log));
        }
        if txs.len() == 0 {
            return Err(WitnessError::EmptyBlock);
        }
        let capacity = (1usize << rows_log) - 1;
        let mut groups: Vec<Vec<(Cow<TxTrace>, TxCall)>> = vec![Vec::new()];
        let mut used = 0;
        for tx in txs {
            if let Some(cut) = tx.cut {
                return Err(WitnessError::TraceCut { tx: tx.tx_index, cut });
            }
            let tx = match plain_transfer(&tx, &pre.codes)? {
                Some(stop) => Cow::Owned(stop),
                None => tx,
            };
            let call = tx_call(&tx, &pre.codes)?;
            if tx.steps.len() > capacity {
                return Err(WitnessError::TransactionTooLong {
                    tx: tx.tx_index,
                    steps: tx.steps.len(),
                    rows_log,
                    capacity,
                });
            }
            if used + tx.steps.len() > capacity {
                groups.push(Vec::new());
                used = 0;
            }
            used += tx.steps.len();
            groups.last_mut().expect("groups is never empty").push((tx, call));
        }
        Ok(Self {
            groups: groups.into_iter(),
            state: BlockState {
                tree: pre.tree.clone(),
                fields: pre.fields.clone(),
                fees,
            },
            rows_log,
        })
    }
}

/// A built chunk witness and the traces it was built from.
type WithTraces<'a> = (ChunkWitness, Vec<Cow<'a, TxTrace>>);

impl<'a> ChunkWitnesses<'a> {
    /// Builds the next chunk; after an error nothing more is built.
    fn build_next(&mut self) -> Option<Result<WithTraces<'a>, WitnessError>> {
        let (traces, calls): (Vec<Cow<TxTrace>>, Vec<TxCall>) = self.groups.next()?.into_iter().unzip();
        let txs: Vec<(&TxTrace, TxCall)> = traces.iter().map(AsRef::as_ref).zip(calls).collect();
        let built = build_chunk(&txs, &mut self.state, self.rows_log);
        drop(txs);
        if built.is_err() {
            self.groups = Vec::new().into_iter();
        }
        Some(built.map(|witness| (witness, traces)))
    }

    /// The next chunk's witness with the traces of its transactions (what
    /// [`rebuild_chunk`] takes; a plain transfer's is the one STOP it is
    /// proven as), or `None` after the last chunk or an error.
    pub fn next_with_traces(&mut self) -> Option<Result<(ChunkWitness, Vec<TxTrace>), WitnessError>> {
        let built = self.build_next()?;
        Some(built.map(|(witness, traces)| (witness, traces.into_iter().map(Cow::into_owned).collect())))
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
/// and balances, and the block's fees.
struct BlockState {
    tree: StateTree,
    fields: HashMap<(Address, u64), U256>,
    fees: BlockFees,
}

impl BlockState {
    /// Runs the accounting of `calls` (one chunk's) against the current
    /// values, checking each transaction's changes against its trace; returns
    /// the fields touched with their values before and after the chunk.
    fn account(&mut self, calls: &[TxCall], txs: &[(&TxTrace, TxCall)]) -> Result<Vec<StorageSlot>, WitnessError> {
        let mut touched = Vec::new();
        for (call, (tx, _)) in calls.iter().zip(txs) {
            let unsupported = |feature: String| WitnessError::UnsupportedFeature {
                tx: tx.tx_index,
                feature,
            };
            let fields = accounting::replay(std::slice::from_ref(call), &self.fees, |address, field| {
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
/// leaves, and the storage slots touched with their values before and after.
struct ChunkTables {
    calls: Vec<TxCall>,
    slots: Vec<StorageSlot>,
    rows: TableRows,
}

/// Builds the tables of one chunk of whole transactions.
fn build_tables(txs: &[(&TxTrace, TxCall)], fees: &BlockFees, rows_log: usize) -> Result<ChunkTables, WitnessError> {
    let cpu = cpu::generate(txs, fees, rows_log)?;
    let stack = stack::generate(&cpu.stack_accesses, rows_log_for(cpu.stack_accesses.len()))?;
    let calldata: Vec<(u32, &[u8])> = txs.iter().map(|(t, c)| (t.tx_index, c.calldata.as_slice())).collect();
    let inits = memory::calldata_writes(&calldata);
    let memory_log = rows_log_for(inits.len() + cpu.memory_accesses.len());
    let memory = memory::generate(&inits, &cpu.memory_accesses, memory_log)?;
    let code_list: Vec<(u32, &[u8])> = txs.iter().map(|(t, c)| (t.tx_index, c.code.as_slice())).collect();
    let bytecode = bytecode::generate(&code_list, &cpu.executed, MIN_ROWS_LOG)?;
    let logic = logic::generate(&cpu.logic_ops, MIN_ROWS_LOG);
    let exp_products: Vec<arith::ArithOp> = cpu.exp_ops.iter().flat_map(exp::ExpOp::products).collect();
    let arith = arith::generate(&cpu.arith_ops, &exp_products, MIN_ROWS_LOG);
    let exp = exp::generate(&cpu.exp_ops, MIN_ROWS_LOG);
    let mut calls: Vec<TxCall> = txs.iter().map(|(_, c)| c.clone()).collect();
    for ((call, end), (tx, _)) in calls.iter_mut().zip(&cpu.ends).zip(txs) {
        call.gas_left = end.gas_left;
        call.refund = end.refund;
        if call.gas_used() != Some(tx.gas_used) {
            return Err(WitnessError::UnsupportedFeature {
                tx: tx.tx_index,
                feature: format!(
                    "gas accounting beyond intrinsic gas, execution and refunds: the trace's gas used is {}, the tables give {:?}",
                    tx.gas_used,
                    call.gas_used()
                ),
            });
        }
    }
    let context = context::generate(&calls, fees, &cpu.context_reads, MIN_ROWS_LOG);
    let slots = cpu.storage.slots();
    let accesses = cpu.storage.accesses();
    let storage_log = rows_log_for(2 * slots.len() + accesses.len());
    let storage = storage::generate(&slots, accesses, storage_log)?;
    Ok(ChunkTables {
        calls,
        slots,
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

/// Builds the tables of one chunk of whole transactions and applies its
/// storage writes and account changes to `state`.
fn build_chunk(
    txs: &[(&TxTrace, TxCall)],
    state: &mut BlockState,
    rows_log: usize,
) -> Result<ChunkWitness, WitnessError> {
    let ChunkTables { calls, slots, rows } = build_tables(txs, &state.fees, rows_log)?;
    let accounts = state.account(&calls, txs)?;
    let tree = &mut state.tree;
    let old_root = tree.root();
    let paths = StateWitness {
        code: tree.code_paths(&statement_callees(&calls))?,
        storage: tree.update_slots(STORAGE, &slots)?,
        accounts: tree.update_slots(ACCOUNT, &accounts)?,
    };
    let statement = ChunkStatement {
        first_tx: txs[0].0.tx_index,
        end_tx: txs[txs.len() - 1].0.tx_index + 1,
        steps: txs.iter().map(|(t, _)| t.steps.len() as u64).sum(),
        calls,
        fees: state.fees,
        storage: slots,
        accounts,
        old_root,
        new_root: tree.root(),
    };
    Ok(rows.into_witness(statement, paths))
}

/// Rebuilds the witness of a chunk whose statement and state-tree paths are
/// already known (a cluster's chunk job: the coordinator planned the block
/// and sends each prover only its chunk's traces) from the traces of its
/// transactions, as [`chunk_witnesses`] yields them. The tables are built
/// again and must give the statement's calls (gas left and refunds
/// included), steps and storage slots; the proof then shows the rest.
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
    let steps: usize = traces.iter().map(|t| t.steps.len()).sum();
    if steps as u64 != statement.steps || steps >= 1 << rows_log {
        return mismatch(format!(
            "{steps} steps, the statement has {} in a chunk of 2^{rows_log} rows",
            statement.steps
        ));
    }
    if let Some(t) = traces.iter().find(|t| t.cut.is_some() || t.steps.is_empty()) {
        return mismatch(format!("transaction {}'s trace is cut short or empty", t.tx_index));
    }
    let txs: Vec<(&TxTrace, TxCall)> = traces.iter().zip(statement.calls.iter().cloned()).collect();
    let ChunkTables { calls, slots, rows } = build_tables(&txs, &statement.fees, rows_log)?;
    if calls != statement.calls {
        return mismatch("the tables give other calls (gas left or refund counter)".into());
    }
    if slots != statement.storage {
        return mismatch("the tables touch other storage slots or values".into());
    }
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
}
