//! The revm [`Inspector`] that records a transaction's [`TxTrace`](crate::trace::TxTrace) steps,
//! call frames and logs (see [`crate::trace`] for the format).
//!
//! What a step records, beyond pc/opcode/gas/depth/frame:
//! - stack items popped (top first) and pushed (push order); for the CALL and
//!   CREATE families the pushed item (success flag or created address) is
//!   filled in when the callee returns;
//! - memory reads and writes with their bytes: MLOAD, MSTORE, MSTORE8,
//!   KECCAK256, the *COPY family, MCOPY, LOG*, RETURN, REVERT, call arguments
//!   and init code (reads) and call return data copied back (write);
//! - storage reads (SLOAD) and writes (SSTORE) with old and new values;
//! - account reads by BALANCE, SELFBALANCE and EXTCODEHASH;
//! - account writes by the CALL and CREATE families, on the step that opens
//!   the frame: the value moved between caller and callee (balances), the
//!   creator's nonce, and the created account's nonce, balance and code hash.
//!   Writes of a frame that never started (call depth exceeded, insufficient
//!   balance) are dropped; a started frame that reverts keeps them, and its
//!   [`CallFrame::success`] says they were undone.
//!
//! The gas cost of a CALL or CREATE step excludes the gas handed to the callee.

use crate::trace::{AccountAccess, AccountField, CallFrame, LogRecord, MemoryAccess, Step, StorageAccess, TraceCut};
use revm::bytecode::opcode::{self, OpCode};
use revm::context_interface::{ContextTr, JournalTr};
use revm::inspector::Inspector;
use revm::interpreter::interpreter::EthInterpreter;
use revm::interpreter::interpreter_types::{Jumps, MemoryTr};
use revm::interpreter::{CallInputs, CallOutcome, CreateInputs, CreateOutcome, InstructionResult, Interpreter};
use revm::primitives::{Address, Log, B256, KECCAK_EMPTY, U256};
use revm::state::EvmState;

/// Largest memory access recorded, in bytes; a bigger one cannot be paid for.
const MAX_RECORDED_ACCESS: u64 = 1 << 24;

/// A step whose effects are completed at `step_end`.
#[derive(Debug)]
struct PendingStep {
    /// Index of the step in `steps`.
    index: usize,
    /// Number of stack items the opcode pushes.
    outputs: usize,
    /// Memory region written, as (offset, length).
    write: Option<(u64, u64)>,
    /// For SSTORE: the slot's value before, when the journal already held it.
    sstore_old: Option<Option<U256>>,
}

/// The account writes recorded on the step that opened a frame, so that they
/// can be completed or withdrawn when the frame starts or fails to.
#[derive(Debug)]
struct Opening {
    /// The opening step.
    step: usize,
    /// Its number of account accesses before this frame's were added.
    accounts_before: usize,
    /// For a CREATE: the value endowed, until the created account's writes are recorded.
    pending_creation: Option<U256>,
}

/// The balance of an account the journal holds (zero when not loaded).
fn balance_of(state: &EvmState, address: Address) -> U256 {
    state.get(&address).map(|a| a.info.balance).unwrap_or_default()
}

/// A write of one account field.
fn write(address: Address, field: AccountField, old: U256, new: U256) -> AccountAccess {
    AccountAccess {
        write: true,
        address,
        field,
        old,
        new,
    }
}

/// True when a frame's result means it never started (nothing it would
/// have written happened).
fn never_started(result: InstructionResult) -> bool {
    matches!(
        result,
        InstructionResult::CallTooDeep | InstructionResult::OutOfFunds | InstructionResult::OverflowPayment
    )
}

/// How much of one transaction a recorder keeps: past either bound it stops
/// recording and marks the trace cut ([`TraceCut`]). Execution is not
/// affected. The default keeps everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceLimit {
    /// Most steps recorded.
    pub steps: usize,
    /// Most bytes of memory accesses recorded, over all steps.
    pub memory_bytes: usize,
}

impl Default for TraceLimit {
    fn default() -> Self {
        Self {
            steps: usize::MAX,
            memory_bytes: usize::MAX,
        }
    }
}

/// Records the trace of one transaction. Attach it to the EVM as its inspector.
#[derive(Debug, Default)]
pub struct TraceRecorder {
    limit: TraceLimit,
    /// Bytes of memory accesses recorded so far.
    memory_bytes: usize,
    /// Set once a limit is passed; nothing is recorded after that.
    cut: Option<TraceCut>,
    steps: Vec<Step>,
    calls: Vec<CallFrame>,
    logs: Vec<LogRecord>,
    /// Ids of the frames currently open, innermost last.
    open: Vec<u32>,
    /// Code hash of each open frame, computed on its first step.
    open_code_hash: Vec<Option<B256>>,
    /// Step that opened each open frame (None for the transaction's frame).
    opened_by: Vec<Option<usize>>,
    /// Account writes recorded for each open frame's opening.
    openings: Vec<Option<Opening>>,
    pending: Option<PendingStep>,
    /// Index of the most recent step, for attaching logs and frame openings.
    last_step: Option<usize>,
}

/// A trace recorder's recorded data.
pub struct RecordedTrace {
    /// Every interpreted step.
    pub steps: Vec<Step>,
    /// Every call frame, in order of entry.
    pub calls: Vec<CallFrame>,
    /// Every log emitted.
    pub logs: Vec<LogRecord>,
    /// Which limit stopped the recording, if one did.
    pub cut: Option<TraceCut>,
}

impl TraceRecorder {
    /// A recorder that keeps at most what `limit` allows.
    pub fn with_limit(limit: TraceLimit) -> Self {
        Self {
            limit,
            ..Self::default()
        }
    }

    /// Takes what was recorded.
    pub fn finish(mut self) -> RecordedTrace {
        self.stopped();
        RecordedTrace {
            steps: self.steps,
            calls: self.calls,
            logs: self.logs,
            cut: self.cut,
        }
    }

    /// Marks the trace cut once the memory bytes recorded pass their limit;
    /// true once the trace is cut (every hook then records nothing).
    fn stopped(&mut self) -> bool {
        if self.cut.is_none() && self.memory_bytes > self.limit.memory_bytes {
            self.cut = Some(TraceCut::MemoryBytes(self.limit.memory_bytes));
        }
        self.cut.is_some()
    }

    /// Adds a memory access to `step`, counting its bytes.
    fn record_memory(&mut self, step: usize, access: MemoryAccess) {
        self.memory_bytes = self.memory_bytes.saturating_add(access.bytes.len());
        self.steps[step].memory.push(access);
    }

    fn open_frame(&mut self, kind: u8, caller: Address, address: Address, value: U256, gas: u64) {
        let id = self.calls.len() as u32;
        let opener = if self.open.is_empty() { None } else { self.last_step };
        if let Some(step) = opener.and_then(|i| self.steps.get_mut(i)) {
            step.gas_cost = step.gas_cost.saturating_sub(gas);
        }
        self.calls.push(CallFrame {
            id,
            parent: self.open.last().copied(),
            depth: self.open.len() as u32,
            kind: if self.open.is_empty() { 0 } else { kind },
            caller,
            address,
            value,
            gas,
            first_step: self.steps.len() as u32,
            end_step: self.steps.len() as u32,
            success: false,
            output: Default::default(),
        });
        self.open.push(id);
        self.open_code_hash.push(None);
        self.opened_by.push(opener);
        self.openings.push(opener.map(|step| Opening {
            step,
            accounts_before: self.steps[step].accounts.len(),
            pending_creation: None,
        }));
    }

    /// Adds account writes to the step that opened the innermost frame.
    fn record_opening_writes(&mut self, writes: impl IntoIterator<Item = AccountAccess>) {
        if let Some(Some(opening)) = self.openings.last() {
            self.steps[opening.step].accounts.extend(writes);
        }
    }

    /// Records the created account's nonce and balance once the journal holds
    /// it and before its init code changed anything: at the init code's first
    /// step, or when the frame ends if the init code is empty.
    fn record_creation(&mut self, state: &EvmState, created: Address) {
        let Some(Some(opening)) = self.openings.last_mut() else {
            return;
        };
        let Some(value) = opening.pending_creation.take() else {
            return;
        };
        let Some(account) = state.get(&created) else { return };
        let step = &mut self.steps[opening.step];
        let nonce = account.info.nonce;
        if nonce > 0 {
            step.accounts.push(write(
                created,
                AccountField::Nonce,
                U256::from(nonce - 1),
                U256::from(nonce),
            ));
        }
        if !value.is_zero() {
            let balance = account.info.balance;
            step.accounts
                .push(write(created, AccountField::Balance, balance - value, balance));
        }
    }

    /// Withdraws the opening writes of a frame that never started, keeping
    /// the first `keep` of them.
    fn drop_opening_writes(&mut self, keep: usize) {
        if let Some(Some(opening)) = self.openings.last() {
            self.steps[opening.step]
                .accounts
                .truncate(opening.accounts_before + keep);
        }
    }

    /// Closes the innermost frame and returns the step that opened it.
    fn close_frame(&mut self, success: bool, output: &[u8]) -> Option<usize> {
        let id = self.open.pop()?;
        self.open_code_hash.pop();
        self.openings.pop();
        let opener = self.opened_by.pop().flatten();
        let frame = &mut self.calls[id as usize];
        frame.end_step = self.steps.len() as u32;
        frame.success = success;
        frame.output = output.to_vec().into();
        opener
    }
}

/// The `index`-th stack item from the top, if present.
fn peek(stack: &[U256], index: usize) -> Option<U256> {
    stack.len().checked_sub(index + 1).map(|i| stack[i])
}

/// A (offset, length) memory region from two stack items, if recordable.
fn region(offset: Option<U256>, len: Option<U256>) -> Option<(u64, u64)> {
    let len = u64::try_from(len?)
        .ok()
        .filter(|l| *l > 0 && *l <= MAX_RECORDED_ACCESS)?;
    let offset = u64::try_from(offset?).ok().filter(|o| *o <= u64::MAX - len)?;
    Some((offset, len))
}

/// Bytes of memory in a region; bytes beyond the current size read as zero.
fn read_memory(interp: &Interpreter<EthInterpreter>, (offset, len): (u64, u64)) -> Vec<u8> {
    let size = interp.memory.size() as u64;
    let mut bytes = vec![0u8; len as usize];
    if offset < size {
        let end = (offset + len).min(size);
        bytes[..(end - offset) as usize].copy_from_slice(&interp.memory.slice(offset as usize..end as usize));
    }
    bytes
}

/// A memory region as (offset, length).
type Region = (u64, u64);

/// Memory regions an opcode reads and writes, from its stack inputs.
fn memory_regions(op: u8, s: &[U256]) -> (Option<Region>, Option<Region>) {
    let p = |i: usize| peek(s, i);
    match op {
        opcode::MLOAD => (region(p(0), Some(U256::from(32))), None),
        opcode::MSTORE => (None, region(p(0), Some(U256::from(32)))),
        opcode::MSTORE8 => (None, region(p(0), Some(U256::from(1)))),
        opcode::KECCAK256 | opcode::RETURN | opcode::REVERT => (region(p(0), p(1)), None),
        opcode::LOG0..=opcode::LOG4 => (region(p(0), p(1)), None),
        opcode::CALLDATACOPY | opcode::CODECOPY | opcode::RETURNDATACOPY => (None, region(p(0), p(2))),
        opcode::EXTCODECOPY => (None, region(p(1), p(3))),
        opcode::MCOPY => (region(p(1), p(2)), region(p(0), p(2))),
        opcode::CREATE | opcode::CREATE2 => (region(p(1), p(2)), None),
        opcode::CALL | opcode::CALLCODE => (region(p(3), p(4)), None),
        opcode::DELEGATECALL | opcode::STATICCALL => (region(p(2), p(3)), None),
        _ => (None, None),
    }
}

/// True for opcodes whose pushed value arrives when a callee returns.
fn pushes_on_return(op: u8) -> bool {
    matches!(
        op,
        opcode::CALL | opcode::CALLCODE | opcode::DELEGATECALL | opcode::STATICCALL | opcode::CREATE | opcode::CREATE2
    )
}

impl<CTX> Inspector<CTX, EthInterpreter> for TraceRecorder
where
    CTX: ContextTr<Journal: JournalTr<State = EvmState>>,
{
    fn step(&mut self, interp: &mut Interpreter<EthInterpreter>, context: &mut CTX) {
        if self.cut.is_none() && self.steps.len() >= self.limit.steps {
            self.cut = Some(TraceCut::Steps(self.limit.steps));
        }
        if self.stopped() {
            return;
        }
        let op = interp.bytecode.opcode();
        let info = OpCode::new(op).map(|o| o.info());
        let (inputs, outputs) = info.map_or((0, 0), |i| (usize::from(i.inputs()), usize::from(i.outputs())));
        let stack = interp.stack.data();
        let stack_in: Vec<U256> = (0..inputs.min(stack.len())).filter_map(|i| peek(stack, i)).collect();
        let (read, write) = memory_regions(op, stack);
        let target = interp.input.target_address;
        self.record_creation(context.journal().evm_state(), target);
        let code_hash = match self.open_code_hash.last_mut() {
            Some(Some(hash)) => *hash,
            Some(slot) => *slot.insert(interp.bytecode.get_or_calculate_hash()),
            None => interp.bytecode.get_or_calculate_hash(),
        };
        let mut step = Step {
            pc: interp.bytecode.pc() as u64,
            opcode: op,
            gas: interp.gas.remaining(),
            gas_cost: 0,
            depth: self.open.len().saturating_sub(1) as u32,
            context_id: self.open.last().copied().unwrap_or_default(),
            code_address: interp.input.bytecode_address.unwrap_or(target),
            code_hash,
            memory_size: interp.memory.size() as u64,
            stack_in,
            ..Step::default()
        };
        if let Some(r) = read {
            let bytes = read_memory(interp, r);
            self.memory_bytes = self.memory_bytes.saturating_add(bytes.len());
            step.memory.push(MemoryAccess {
                write: false,
                offset: r.0,
                bytes,
            });
        }
        let mut sstore_old = None;
        if op == opcode::SSTORE {
            if let (Some(slot), Some(new)) = (peek(stack, 0), peek(stack, 1)) {
                let loaded = context
                    .journal()
                    .evm_state()
                    .get(&target)
                    .and_then(|a| a.storage.get(&slot))
                    .map(|s| s.present_value);
                sstore_old = Some(loaded);
                step.storage.push(StorageAccess {
                    write: true,
                    address: target,
                    slot,
                    old: loaded.unwrap_or_default(),
                    new,
                });
            }
        }
        self.steps.push(step);
        let index = self.steps.len() - 1;
        self.last_step = Some(index);
        self.pending = Some(PendingStep {
            index,
            outputs,
            write,
            sstore_old,
        });
    }

    fn step_end(&mut self, interp: &mut Interpreter<EthInterpreter>, context: &mut CTX) {
        let Some(pending) = self.pending.take() else { return };
        let stack = interp.stack.data();
        let target = interp.input.target_address;
        if let Some(w) = pending.write {
            if w.0 + w.1 <= interp.memory.size() as u64 {
                let access = MemoryAccess {
                    write: true,
                    offset: w.0,
                    bytes: read_memory(interp, w),
                };
                self.record_memory(pending.index, access);
            }
        }
        let step = &mut self.steps[pending.index];
        step.gas_cost = step.gas.saturating_sub(interp.gas.remaining());
        let op = step.opcode;
        if !pushes_on_return(op) && stack.len() >= pending.outputs {
            step.stack_out = stack[stack.len() - pending.outputs..].to_vec();
        }
        let top = stack.last().copied().unwrap_or_default();
        let first_in = step.stack_in.first().copied().unwrap_or_default();
        match op {
            opcode::SLOAD => step.storage.push(StorageAccess {
                write: false,
                address: target,
                slot: first_in,
                old: top,
                new: top,
            }),
            opcode::SSTORE => {
                if let (Some(access), Some(None)) = (step.storage.first_mut(), pending.sstore_old) {
                    // The slot was cold: its value before this SSTORE is the transaction-start value.
                    access.old = context
                        .journal()
                        .evm_state()
                        .get(&target)
                        .and_then(|a| a.storage.get(&access.slot))
                        .map(|s| s.original_value)
                        .unwrap_or_default();
                }
            }
            opcode::BALANCE | opcode::EXTCODEHASH => {
                let field = if op == opcode::BALANCE {
                    AccountField::Balance
                } else {
                    AccountField::CodeHash
                };
                let address = Address::from_word(B256::from(first_in));
                step.accounts.push(AccountAccess {
                    write: false,
                    address,
                    field,
                    old: top,
                    new: top,
                });
            }
            opcode::SELFBALANCE => step.accounts.push(AccountAccess {
                write: false,
                address: target,
                field: AccountField::Balance,
                old: top,
                new: top,
            }),
            _ => {}
        }
    }

    fn log(&mut self, _context: &mut CTX, log: Log) {
        if self.stopped() {
            return;
        }
        self.logs.push(LogRecord {
            step: self.last_step.unwrap_or_default() as u32,
            address: log.address,
            topics: log.topics().to_vec(),
            data: log.data.data.clone(),
        });
    }

    fn call(&mut self, context: &mut CTX, inputs: &mut CallInputs) -> Option<CallOutcome> {
        if self.stopped() {
            return None;
        }
        let kind = self.last_step.map(|i| self.steps[i].opcode).unwrap_or_default();
        self.open_frame(
            kind,
            inputs.caller,
            inputs.target_address,
            inputs.value.get(),
            inputs.gas_limit,
        );
        let moved = inputs.value.transfer().filter(|v| !v.is_zero());
        if let Some(value) = moved.filter(|_| inputs.caller != inputs.target_address) {
            let state = context.journal().evm_state();
            let (from, to) = (
                balance_of(state, inputs.caller),
                balance_of(state, inputs.target_address),
            );
            if from >= value {
                self.record_opening_writes([
                    write(inputs.caller, AccountField::Balance, from, from - value),
                    write(
                        inputs.target_address,
                        AccountField::Balance,
                        to,
                        to.saturating_add(value),
                    ),
                ]);
            }
        }
        None
    }

    fn call_end(&mut self, _context: &mut CTX, inputs: &CallInputs, outcome: &mut CallOutcome) {
        if self.stopped() {
            return;
        }
        if never_started(outcome.result.result) {
            self.drop_opening_writes(0);
        }
        let success = outcome.result.is_ok();
        let output = outcome.result.output.clone();
        let Some(opener) = self.close_frame(success, &output).filter(|&i| i < self.steps.len()) else {
            return;
        };
        self.steps[opener].stack_out = vec![U256::from(u8::from(success))];
        let range = &inputs.return_memory_offset;
        let len = range.len().min(output.len());
        if len > 0 {
            let access = MemoryAccess {
                write: true,
                offset: range.start as u64,
                bytes: output[..len].to_vec(),
            };
            self.record_memory(opener, access);
        }
    }

    fn create(&mut self, context: &mut CTX, inputs: &mut CreateInputs) -> Option<CreateOutcome> {
        if self.stopped() {
            return None;
        }
        let kind = self.last_step.map(|i| self.steps[i].opcode).unwrap_or_default();
        self.open_frame(kind, inputs.caller(), Address::ZERO, inputs.value(), inputs.gas_limit());
        let caller = inputs.caller();
        let value = inputs.value();
        let state = context.journal().evm_state();
        let (balance, nonce) = state
            .get(&caller)
            .map(|a| (a.info.balance, a.info.nonce))
            .unwrap_or_default();
        if balance >= value && nonce < u64::MAX {
            let mut writes = vec![write(
                caller,
                AccountField::Nonce,
                U256::from(nonce),
                U256::from(nonce + 1),
            )];
            if !value.is_zero() {
                writes.push(write(caller, AccountField::Balance, balance, balance - value));
            }
            self.record_opening_writes(writes);
            if let Some(Some(opening)) = self.openings.last_mut() {
                opening.pending_creation = Some(value);
            }
        }
        None
    }

    fn create_end(&mut self, context: &mut CTX, _inputs: &CreateInputs, outcome: &mut CreateOutcome) {
        if self.stopped() {
            return;
        }
        if never_started(outcome.result.result) {
            self.drop_opening_writes(0);
        } else if outcome.result.result == InstructionResult::CreateCollision {
            // The creator's nonce was bumped; nothing else happened.
            self.drop_opening_writes(1);
        } else if let Some(address) = outcome.address {
            let state = context.journal().evm_state();
            self.record_creation(state, address);
            let code_hash = state.get(&address).map(|a| a.info.code_hash);
            if let Some(hash) = code_hash.filter(|h| outcome.result.is_ok() && *h != KECCAK_EMPTY) {
                self.record_opening_writes([write(
                    address,
                    AccountField::CodeHash,
                    U256::from_be_bytes(KECCAK_EMPTY.0),
                    U256::from_be_bytes(hash.0),
                )]);
            }
        }
        let success = outcome.result.is_ok();
        let created = outcome.address.filter(|_| success);
        if let (Some(address), Some(id)) = (outcome.address, self.open.last()) {
            self.calls[*id as usize].address = address;
        }
        let output = outcome.result.output.clone();
        if let Some(step) = self.close_frame(success, &output).and_then(|i| self.steps.get_mut(i)) {
            step.stack_out = vec![created.map_or(U256::ZERO, |a| U256::from_be_slice(a.as_slice()))];
        }
    }
}
