//! The parallel path: Block-STM over revm, and optimistic ranges.
//!
//! Every transaction runs optimistically against the multi-version memory
//! ([`mv_memory`]) through a database view that records what it read; after
//! it runs, its writes are published and its reads are validated again (by
//! value) once all lower transactions have run. A transaction whose reads
//! changed is re-executed; the [`scheduler`] orders executions and
//! validations over N worker threads. When all transactions are validated,
//! each one's last execution is the one sequential execution would produce.
//!
//! Two kinds of balance updates commute and are recorded as credits rather
//! than absolute values, so they do not make transactions conflict: the
//! beneficiary's fee (revm's reward step is left out and the fee credited
//! afterwards) and the value a plain ETH transfer sends to an account without
//! code (its recipient is read for its code only).
//!
//! A second engine, optimistic ranges ([`ranges`]), executes runs of
//! consecutive transactions without shared bookkeeping and validates them in
//! block order; [`choose`] picks between the two engines when the caller
//! does not.
//!
//! Blocks that neither engine can speed up (one sender's chain, too few
//! transactions) go to the sequential path unless the caller turns
//! `ExecOptions::sequential_fallback` off.

mod fallback;
mod mv_memory;
mod ranges;
mod scheduler;

pub(crate) use fallback::reason_to_run_sequentially;

use crate::block::{ExecError, ParallelEngine, PathResult, TxExecution};
use crate::evm::{tx_env, BlockEnvironment, FeePayment, RunError, TxRun, TxRunner};
use crate::input::{BlockInput, Transaction};
use crate::state::{block_hash, WorldState};
use crate::tracer::{TraceLimit, TraceRecorder};
use mv_memory::{apply_credit, AccountValue, Blocked, Location, MvMemory, ReadValue, TxIdx, Written};
use revm::bytecode::Bytecode;
use revm::context_interface::result::EVMError;
use revm::database_interface::DBErrorMarker;
use revm::primitives::hardfork::SpecId;
use revm::primitives::map::B256Map;
use revm::primitives::{Address, B256, KECCAK_EMPTY, U256};
use revm::state::AccountInfo;
use revm::DatabaseRef;
use scheduler::{Incarnation, Scheduler, Task};
use std::cell::{Cell, RefCell};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

/// Why a read from the multi-version memory failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    /// A lower transaction's write to the location is being re-executed.
    #[error("read depends on transaction {0}, which is being re-executed")]
    Blocked(TxIdx),
}

impl DBErrorMarker for ReadError {}

/// Bytecode by hash, shared by all workers (content-addressed, so writes never conflict).
struct CodeStore {
    codes: RwLock<B256Map<Bytecode>>,
}

impl CodeStore {
    fn get(&self, hash: &B256) -> Option<Bytecode> {
        self.codes.read().expect("code store lock").get(hash).cloned()
    }

    /// Adds a deployed bytecode (once: the write lock is taken only for a new hash).
    fn insert(&self, hash: B256, code: &Bytecode) {
        if !self.codes.read().expect("code store lock").contains_key(&hash) {
            let mut codes = self.codes.write().expect("code store lock");
            codes.entry(hash).or_insert_with(|| code.clone());
        }
    }
}

/// Everything the workers share.
struct Shared<'a> {
    input: &'a BlockInput,
    env: &'a BlockEnvironment,
    memory: MvMemory<'a>,
    codes: CodeStore,
    scheduler: Scheduler,
    /// Last execution of each transaction.
    last: Vec<Mutex<Option<LastExecution>>>,
    /// Per transaction: the recipient whose balance it may credit lazily.
    lazy_recipient: Vec<Option<Address>>,
    executions: AtomicU64,
    /// Trace every final execution, within this limit, when set.
    capture: Option<TraceLimit>,
}

/// The outcome of an incarnation, kept for validation and the final result.
struct LastExecution {
    reads: Vec<(Location, ReadValue)>,
    outcome: Result<TxExecution, String>,
}

/// A worker's view of the state for the incarnation it is running: reads go
/// to the multi-version memory and are recorded for validation. One per
/// worker thread, reset by [`VersionedDb::start`] for each incarnation.
struct VersionedDb<'s, 'a> {
    shared: &'s Shared<'a>,
    tx: Cell<TxIdx>,
    reads: RefCell<Vec<(Location, ReadValue)>>,
    /// Set when the lazy recipient was read for its code only and has none.
    recipient_lazy: Cell<bool>,
}

impl<'s, 'a> VersionedDb<'s, 'a> {
    fn new(shared: &'s Shared<'a>) -> Self {
        Self {
            shared,
            tx: Cell::new(0),
            reads: RefCell::new(Vec::new()),
            recipient_lazy: Cell::new(false),
        }
    }

    /// Prepares the view for an incarnation of transaction `tx`.
    fn start(&self, tx: TxIdx) {
        self.tx.set(tx);
        self.reads.borrow_mut().clear();
        self.recipient_lazy.set(false);
    }
}

/// revm's view of an account value, its code looked up by `code`.
fn account_info(value: Option<AccountValue>, code: impl FnOnce(&B256) -> Option<Bytecode>) -> Option<AccountInfo> {
    value.map(|v| AccountInfo {
        balance: v.balance,
        nonce: v.nonce,
        code_hash: v.code_hash,
        account_id: None,
        code: (v.code_hash != KECCAK_EMPTY).then(|| code(&v.code_hash)).flatten(),
    })
}

/// What a plain transfer's recipient read returns when the recipient has no
/// code (`code_hash` is `None` for an account that does not exist): its
/// balance is never consulted, so an empty account stands in for it, and the
/// value is credited afterwards. `None` when the recipient has code.
fn codeless_recipient(code_hash: Option<B256>) -> Option<Option<AccountInfo>> {
    code_hash
        .is_none_or(|h| h == KECCAK_EMPTY)
        .then(|| code_hash.map(|_| AccountInfo::default()))
}

impl DatabaseRef for VersionedDb<'_, '_> {
    type Error = ReadError;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, ReadError> {
        let memory = &self.shared.memory;
        let location = Location::Account(address);
        let tx = self.tx.get();
        if self.shared.lazy_recipient[tx] == Some(address) {
            let code_hash = memory.read_code_hash(address, tx).map_err(blocked)?;
            if let Some(info) = codeless_recipient(code_hash) {
                self.reads.borrow_mut().push((location, ReadValue::CodeOnly(code_hash)));
                self.recipient_lazy.set(true);
                return Ok(info);
            }
        }
        let value = memory.read_account(address, tx).map_err(blocked)?;
        self.reads.borrow_mut().push((location, ReadValue::Account(value)));
        Ok(account_info(value, |hash| self.shared.codes.get(hash)))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, ReadError> {
        Ok(self.shared.codes.get(&code_hash).unwrap_or_default())
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, ReadError> {
        let value = self
            .shared
            .memory
            .read_slot(address, index, self.tx.get())
            .map_err(blocked)?;
        self.reads
            .borrow_mut()
            .push((Location::Slot(address, index), ReadValue::Slot(value)));
        Ok(value)
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, ReadError> {
        Ok(block_hash(&self.shared.input.block_hashes, number))
    }
}

fn blocked(Blocked(tx): Blocked) -> ReadError {
    ReadError::Blocked(tx)
}

/// The recipient a transaction may credit lazily: a plain value transfer
/// (no call data) to another account that is not the beneficiary.
fn lazy_recipient(tx: &Transaction, beneficiary: Address) -> Option<Address> {
    let to = tx.to?;
    (tx.input.is_empty() && !tx.value.is_zero() && to != tx.from && to != beneficiary && tx.tx_type != 3).then_some(to)
}

/// Turns a finished run of `tx` into the writes it publishes and its
/// final-commit form. `lazy_credit` is the plain transfer's recipient when
/// the run read it for its code only (its value becomes a credit);
/// `new_code` sees each bytecode the run deployed.
///
/// An account the transaction only touched (loaded, marked touched, left
/// as it read it) is not written: a write of the value read changes
/// nothing, and it would make every later reader of a popular contract
/// depend on this transaction.
fn writes_of(
    env: &BlockEnvironment,
    input_tx: &Transaction,
    lazy_credit: Option<Address>,
    mut run: TxRun,
    reads: &[(Location, ReadValue)],
    fee_per_gas: U256,
    mut new_code: impl FnMut(B256, &Bytecode),
) -> (Vec<(Location, Written)>, TxExecution) {
    let spec = env.spec;
    let clears_empty = spec.is_enabled_in(SpecId::SPURIOUS_DRAGON);
    let beneficiary = env.block.beneficiary;
    let fee = fee_per_gas * U256::from(run.result.tx_gas_used());
    let mut credits = Vec::new();
    if let Some(to) = lazy_credit.filter(|_| run.result.is_success()) {
        run.state.remove(&to);
        credits.push((to, input_tx.value));
    }
    let mut writes = Vec::new();
    let mut beneficiary_written = false;
    for (address, account) in &run.state {
        if !account.is_touched() {
            continue;
        }
        if let Some(code) = &account.info.code {
            if account.info.code_hash != KECCAK_EMPTY {
                new_code(account.info.code_hash, code);
            }
        }
        let destroyed = account.is_selfdestructed() || (clears_empty && account.is_empty());
        let mut value = (!destroyed).then_some(AccountValue {
            balance: account.info.balance,
            nonce: account.info.nonce,
            code_hash: account.info.code_hash,
        });
        if *address == beneficiary {
            value = apply_credit(value, fee, spec);
            beneficiary_written = true;
        }
        let read = reads.iter().find_map(|(location, read)| match (location, read) {
            (Location::Account(a), ReadValue::Account(v)) if a == address => Some(*v),
            _ => None,
        });
        let only_touched = !destroyed && !account.is_created() && read == Some(value);
        if !only_touched {
            writes.push((Location::Account(*address), Written::Account(value)));
        }
        if destroyed || account.is_created() {
            writes.push((Location::Wipe(*address), Written::Wipe));
        }
        if !destroyed {
            for (slot, v) in account.changed_storage_slots() {
                writes.push((Location::Slot(*address, *slot), Written::Slot(v.present_value)));
            }
        }
    }
    if !beneficiary_written {
        writes.push((Location::Account(beneficiary), Written::Credit(fee)));
    }
    for (address, amount) in &credits {
        writes.push((Location::Account(*address), Written::Credit(*amount)));
    }
    credits.push((beneficiary, fee));
    let execution = TxExecution {
        result: run.result,
        changes: run.state,
        balance_credits: credits,
        trace: run.trace.map(TraceRecorder::finish),
    };
    (writes, execution)
}

impl Shared<'_> {
    /// Runs one incarnation on the worker's `runner`; returns the next task
    /// (a validation of it, if due).
    fn execute(&self, runner: &mut WorkerRunner<'_, '_>, tx: TxIdx, incarnation: Incarnation) -> Option<Task> {
        self.executions.fetch_add(1, Ordering::Relaxed);
        runner.db().start(tx);
        let recorder = self.capture.map(TraceRecorder::with_limit);
        let input_tx = &self.input.transactions[tx];
        let tx_env = tx_env(input_tx);
        let fee_per_gas = self.env.beneficiary_fee_per_gas(&tx_env);
        let outcome = runner.run(tx_env, FeePayment::Deferred, recorder);
        let db = runner.db();
        let reads = db.reads.take();
        let recipient_lazy = db.recipient_lazy.get();
        let (writes, outcome) = match outcome {
            Err(EVMError::Database(ReadError::Blocked(blocking))) => {
                if self.scheduler.add_dependency(tx, blocking) {
                    return None;
                }
                return Some(Task::Execute(tx, incarnation));
            }
            Err(err) => (Vec::new(), Err(describe(err))),
            Ok(run) => {
                let (writes, execution) = writes_of(
                    self.env,
                    input_tx,
                    self.lazy_recipient[tx].filter(|_| recipient_lazy),
                    run,
                    &reads,
                    fee_per_gas,
                    |hash, code| self.codes.insert(hash, code),
                );
                (writes, Ok(execution))
            }
        };
        let wrote_new = self.memory.record(tx, writes);
        *self.last[tx].lock().expect("result lock") = Some(LastExecution { reads, outcome });
        self.scheduler.finish_execution(tx, incarnation, wrote_new)
    }

    /// Validates one incarnation's reads; returns a re-execution task if it aborted.
    fn validate(&self, tx: TxIdx, incarnation: Incarnation) -> Option<Task> {
        let valid = {
            let last = self.last[tx].lock().expect("result lock");
            last.as_ref().is_some_and(|l| {
                l.reads
                    .iter()
                    .all(|(location, read)| self.memory.reread(location, read, tx).ok() == Some(*read))
            })
        };
        let aborted = !valid && self.scheduler.try_validation_abort(tx, incarnation);
        if aborted {
            self.memory.mark_estimates(tx);
        }
        self.scheduler.finish_validation(tx, aborted)
    }
}

/// A worker thread's reusable EVM over its [`VersionedDb`].
type WorkerRunner<'d, 'a> = TxRunner<&'d VersionedDb<'d, 'a>>;

fn describe(err: RunError<ReadError>) -> String {
    format!("{err:?}")
}

/// Most threads for which optimistic ranges are the default engine. On two
/// cores they beat Block-STM on every synthetic workload (about twice as
/// fast on independent transfers and token transfers) and tie with it on
/// mainnet blocks (bench/RESULTS.md); with more threads Block-STM, which
/// overlaps re-executions where ranges re-execute in order, stays the
/// default until a many-core measurement says otherwise.
const RANGES_MAX_THREADS: usize = 2;

/// The engine for a block on `threads` threads when the caller leaves it open.
pub(crate) fn choose(_input: &BlockInput, threads: NonZeroUsize) -> ParallelEngine {
    if threads.get() <= RANGES_MAX_THREADS {
        ParallelEngine::Ranges
    } else {
        ParallelEngine::BlockStm
    }
}

/// Runs the block's transactions with `engine` on `threads` workers.
pub(crate) fn execute(
    engine: ParallelEngine,
    input: &BlockInput,
    env: &BlockEnvironment,
    initial: &WorldState,
    threads: NonZeroUsize,
    capture: Option<TraceLimit>,
) -> Result<PathResult, ExecError> {
    match engine {
        ParallelEngine::BlockStm => block_stm(input, env, initial, threads, capture),
        ParallelEngine::Ranges => ranges::execute(input, env, initial, threads, capture),
    }
}

/// Runs the block's transactions with Block-STM on `threads` workers.
fn block_stm(
    input: &BlockInput,
    env: &BlockEnvironment,
    initial: &WorldState,
    threads: NonZeroUsize,
    capture: Option<TraceLimit>,
) -> Result<PathResult, ExecError> {
    let n = input.transactions.len();
    let shared = Shared {
        input,
        env,
        memory: MvMemory::new(initial, n, env.spec),
        codes: CodeStore {
            codes: RwLock::new(initial.codes.clone()),
        },
        scheduler: Scheduler::new(n),
        last: (0..n).map(|_| Mutex::new(None)).collect(),
        lazy_recipient: input
            .transactions
            .iter()
            .map(|t| lazy_recipient(t, env.block.beneficiary))
            .collect(),
        executions: AtomicU64::new(0),
        capture,
    };
    let workers = threads.min(NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN));
    std::thread::scope(|scope| {
        for _ in 0..workers.get() {
            scope.spawn(|| {
                let db = VersionedDb::new(&shared);
                let mut runner = TxRunner::new(&db, env);
                let mut task = None;
                while !shared.scheduler.done() {
                    task = match task {
                        Some(Task::Execute(tx, inc)) => shared.execute(&mut runner, tx, inc),
                        Some(Task::Validate(tx, inc)) => shared.validate(tx, inc),
                        None => {
                            let next = shared.scheduler.next_task();
                            if next.is_none() {
                                std::thread::yield_now();
                            }
                            next
                        }
                    };
                }
            });
        }
    });
    let mut txs = Vec::with_capacity(n);
    for (index, slot) in shared.last.into_iter().enumerate() {
        let last = slot.into_inner().expect("result lock");
        match last.map(|l| l.outcome) {
            Some(Ok(execution)) => txs.push(execution),
            Some(Err(reason)) => return Err(ExecError::InvalidTransaction { index, reason }),
            None => {
                return Err(ExecError::InvalidTransaction {
                    index,
                    reason: "never executed".into(),
                })
            }
        }
    }
    let executions = shared.executions.load(Ordering::Relaxed);
    Ok(PathResult {
        txs,
        reexecutions: executions.saturating_sub(n as u64),
        state: None,
    })
}
