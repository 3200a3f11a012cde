//! Optimistic ranges: the block is cut into runs of consecutive
//! transactions, long first and shorter toward the end; worker threads take
//! them in order and execute each run against the pre-state plus the run's
//! own earlier writes, recording every read by value; whichever worker is
//! free validates finished runs in block order against the committed state
//! and commits them. A transaction whose reads no longer hold (an earlier
//! run wrote what it read) is re-executed there, on the committed state, so
//! every committed transaction is exactly the sequential one.
//!
//! Where transactions rarely conflict (transfers, token transfers between
//! distinct pairs, most of a mainnet block) nothing is shared during
//! execution: no multi-version memory, no scheduler, one lock taken per run
//! by whoever validates. Fee payments to the beneficiary and plain
//! transfers' value are credits, as in Block-STM, so they do not conflict.
//! Where they often conflict, re-execution is sequential; Block-STM
//! overlaps it instead (see [`super::choose`]).

use super::mv_memory::{account_value, apply_credit, slot_value, AccountValue, Location, ReadValue, Written};
use super::{account_info, codeless_recipient, lazy_recipient, writes_of};
use crate::block::{touch_credit, ExecError, PathResult, TxExecution};
use crate::evm::{tx_env, BlockEnvironment, FeePayment, TxRunner};
use crate::input::BlockInput;
use crate::state::{block_hash, StateDb, WorldState};
use crate::tracer::{TraceLimit, TraceRecorder};
use revm::bytecode::Bytecode;
use revm::primitives::hardfork::SpecId;
use revm::primitives::{Address, HashMap, HashSet, B256, U256};
use revm::state::AccountInfo;
use revm::DatabaseRef;
use std::cell::{Cell, RefCell};
use std::convert::Infallible;
use std::num::NonZeroUsize;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Each run takes this share of the transactions left, split over the
/// workers (guided self-scheduling): long runs first, where a run's own
/// overlay keeps its transactions consistent with each other, then ever
/// shorter ones so that the workers finish close together.
const RUN_SHARE: usize = 2;

/// The shortest run is this fraction of the block per worker: short enough
/// that the last runs' validation, which nothing overlaps, is a small share
/// of the block.
const SHORTEST_RUN_DIVISOR: usize = 32;

/// One transaction's speculative execution.
struct Speculation {
    /// Every value it read, in order.
    reads: Vec<(Location, ReadValue)>,
    /// Its result, or revm's reason for rejecting it.
    outcome: Result<TxExecution, String>,
}

/// What the run's transactions wrote to one account: the last absolute
/// value (if any) and the sum of the credits since (if any: even a zero
/// credit touches the account, which creates a missing one before Spurious
/// Dragon).
#[derive(Clone, Copy, Default)]
struct AccountWrite {
    value: Option<Option<AccountValue>>,
    credits: Option<U256>,
}

/// What the transactions of the current run wrote.
#[derive(Default)]
struct RunWrites {
    accounts: HashMap<Address, AccountWrite>,
    slots: HashMap<(Address, U256), U256>,
    /// Accounts whose storage a creation or self-destruct cleared.
    wiped: HashSet<Address>,
    codes: HashMap<B256, Bytecode>,
}

impl RunWrites {
    /// The account with the run's credits applied (one sum: credits
    /// commute, and applying their sum touches the account as applying each
    /// would).
    fn account(&self, base: &WorldState, address: &Address, spec: SpecId) -> Option<AccountValue> {
        match self.accounts.get(address) {
            Some(AccountWrite { value, credits }) => {
                let value = value.unwrap_or_else(|| account_value(base, address));
                match credits {
                    Some(credits) => apply_credit(value, *credits, spec),
                    None => value,
                }
            }
            None => account_value(base, address),
        }
    }

    fn slot(&self, base: &WorldState, address: &Address, slot: &U256) -> U256 {
        match self.slots.get(&(*address, *slot)) {
            Some(value) => *value,
            None if self.wiped.contains(address) => U256::ZERO,
            None => slot_value(base, address, slot),
        }
    }

    fn code(&self, base: &WorldState, hash: &B256) -> Option<Bytecode> {
        self.codes.get(hash).or_else(|| base.codes.get(hash)).cloned()
    }

    /// Applies one transaction's writes (in the order `writes_of` lists
    /// them: an account's wipe before its slots).
    fn apply(&mut self, writes: Vec<(Location, Written)>) {
        for (location, written) in writes {
            match (location, written) {
                (Location::Account(a), Written::Account(value)) => {
                    self.accounts.insert(
                        a,
                        AccountWrite {
                            value: Some(value),
                            credits: None,
                        },
                    );
                }
                (Location::Account(a), Written::Credit(amount)) => {
                    let write = self.accounts.entry(a).or_default();
                    write.credits = Some(write.credits.unwrap_or_default().saturating_add(amount));
                }
                (Location::Slot(a, s), Written::Slot(value)) => {
                    self.slots.insert((a, s), value);
                }
                (Location::Wipe(a), _) => {
                    self.wiped.insert(a);
                    self.slots.retain(|(address, _), _| *address != a);
                }
                (location, written) => unreachable!("writes_of never writes {written:?} at {location:?}"),
            }
        }
    }

    fn clear(&mut self) {
        self.accounts.clear();
        self.slots.clear();
        self.wiped.clear();
        self.codes.clear();
    }
}

/// A worker's view of the state while it executes a run: the pre-state
/// under the run's own writes, every read recorded.
struct RunDb<'a> {
    base: &'a WorldState,
    spec: SpecId,
    block_hashes: &'a std::collections::BTreeMap<u64, B256>,
    writes: RefCell<RunWrites>,
    reads: RefCell<Vec<(Location, ReadValue)>>,
    /// The current transaction's recipient it may credit lazily.
    lazy_recipient: Cell<Option<Address>>,
    /// Set when the lazy recipient was read for its code only and has none.
    recipient_lazy: Cell<bool>,
}

impl RunDb<'_> {
    /// Prepares the view for the next transaction of the run.
    fn start(&self, lazy_recipient: Option<Address>) {
        self.reads.borrow_mut().clear();
        self.lazy_recipient.set(lazy_recipient);
        self.recipient_lazy.set(false);
    }
}

impl DatabaseRef for RunDb<'_> {
    type Error = Infallible;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Infallible> {
        let writes = self.writes.borrow();
        let location = Location::Account(address);
        if self.lazy_recipient.get() == Some(address) {
            let code_hash = writes.account(self.base, &address, self.spec).map(|v| v.code_hash);
            if let Some(info) = codeless_recipient(code_hash) {
                self.reads.borrow_mut().push((location, ReadValue::CodeOnly(code_hash)));
                self.recipient_lazy.set(true);
                return Ok(info);
            }
        }
        let value = writes.account(self.base, &address, self.spec);
        self.reads.borrow_mut().push((location, ReadValue::Account(value)));
        Ok(account_info(value, |hash| writes.code(self.base, hash)))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Infallible> {
        Ok(self.writes.borrow().code(self.base, &code_hash).unwrap_or_default())
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Infallible> {
        let value = self.writes.borrow().slot(self.base, &address, &index);
        self.reads
            .borrow_mut()
            .push((Location::Slot(address, index), ReadValue::Slot(value)));
        Ok(value)
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Infallible> {
        Ok(block_hash(self.block_hashes, number))
    }
}

/// Whether every value in `reads` is what `state` holds now.
fn reads_hold(state: &WorldState, reads: &[(Location, ReadValue)]) -> bool {
    reads.iter().all(|(location, read)| match (location, read) {
        (Location::Account(a), ReadValue::Account(value)) => account_value(state, a) == *value,
        (Location::Account(a), ReadValue::CodeOnly(hash)) => state.accounts.get(a).map(|x| x.code_hash) == *hash,
        (Location::Slot(a, s), ReadValue::Slot(value)) => slot_value(state, a, s) == *value,
        _ => false,
    })
}

/// The committed prefix of the block: the state after it and its executions.
struct Committed {
    state: WorldState,
    /// The next run to validate.
    next_run: usize,
    txs: Vec<TxExecution>,
    reexecutions: u64,
    failure: Option<ExecError>,
}

/// Everything the workers share.
struct Shared<'a> {
    input: &'a BlockInput,
    env: &'a BlockEnvironment,
    capture: Option<TraceLimit>,
    lazy_recipients: Vec<Option<Address>>,
    runs: Vec<Range<usize>>,
    /// The next run a worker takes.
    next_run: AtomicUsize,
    /// Each run's speculations, from when it finishes until it is validated.
    finished: Vec<Mutex<Option<Vec<Speculation>>>>,
    committed: Mutex<Committed>,
    /// Set when a transaction is invalid in its place: the block fails.
    abort: AtomicBool,
}

impl Shared<'_> {
    /// Executes the transactions of `run` one after another on `runner`.
    fn speculate(&self, runner: &mut TxRunner<&RunDb<'_>>, run: Range<usize>) -> Vec<Speculation> {
        runner.db().writes.borrow_mut().clear();
        let mut speculations = Vec::with_capacity(run.len());
        for index in run {
            let input_tx = &self.input.transactions[index];
            let lazy = self.lazy_recipients[index];
            runner.db().start(lazy);
            let tx_env = tx_env(input_tx);
            let fee_per_gas = self.env.beneficiary_fee_per_gas(&tx_env);
            let outcome = runner.run(
                tx_env,
                FeePayment::Deferred,
                self.capture.map(TraceRecorder::with_limit),
            );
            let db = runner.db();
            let reads = db.reads.take();
            let outcome = match outcome {
                Ok(run) => {
                    let mut writes = db.writes.borrow_mut();
                    let (written, execution) = writes_of(
                        self.env,
                        input_tx,
                        lazy.filter(|_| db.recipient_lazy.get()),
                        run,
                        &reads,
                        fee_per_gas,
                        |hash, code| {
                            writes.codes.entry(hash).or_insert_with(|| code.clone());
                        },
                    );
                    writes.apply(written);
                    Ok(execution)
                }
                Err(err) => Err(format!("{err:?}")),
            };
            speculations.push(Speculation { reads, outcome });
        }
        speculations
    }

    /// Validates and commits, in block order, every finished run that is
    /// next, re-executing the transactions whose reads no longer hold.
    fn commit_ready(&self, committed: &mut Committed) {
        let state = RefCell::new(std::mem::take(&mut committed.state));
        let mut runner = None;
        while committed.failure.is_none() && committed.next_run < self.runs.len() {
            let Some(speculations) = self.finished[committed.next_run].lock().expect("run lock").take() else {
                break;
            };
            let first = self.runs[committed.next_run].start;
            for (offset, speculation) in speculations.into_iter().enumerate() {
                let index = first + offset;
                let valid = reads_hold(&state.borrow(), &speculation.reads);
                let execution = match speculation.outcome {
                    Ok(execution) if valid => Ok(execution),
                    Err(reason) if valid => Err(ExecError::InvalidTransaction { index, reason }),
                    _ => {
                        committed.reexecutions += 1;
                        let runner = runner.get_or_insert_with(|| {
                            TxRunner::new(
                                StateDb {
                                    state: &state,
                                    block_hashes: &self.input.block_hashes,
                                },
                                self.env,
                            )
                        });
                        runner
                            .run(
                                tx_env(&self.input.transactions[index]),
                                FeePayment::InTransaction,
                                self.capture.map(TraceRecorder::with_limit),
                            )
                            .map(TxExecution::paid_in_transaction)
                            .map_err(|err| ExecError::from_run(index, err))
                    }
                };
                match execution {
                    Ok(execution) => {
                        let mut state = state.borrow_mut();
                        state.commit(&execution.changes, self.env.spec);
                        for (address, amount) in &execution.balance_credits {
                            touch_credit(&mut state, *address, *amount, self.env.spec);
                        }
                        committed.txs.push(execution);
                    }
                    Err(err) => {
                        committed.failure = Some(err);
                        self.abort.store(true, Ordering::Release);
                        break;
                    }
                }
            }
            committed.next_run += 1;
        }
        drop(runner);
        committed.state = state.into_inner();
    }
}

/// Cuts `n` transactions into runs for `threads` workers, longest first.
fn runs(n: usize, threads: usize) -> Vec<Range<usize>> {
    let shortest = n.div_ceil(threads * SHORTEST_RUN_DIVISOR).max(1);
    let mut runs = Vec::new();
    let mut start = 0;
    while start < n {
        let left = n - start;
        let length = left.div_ceil(threads * RUN_SHARE).max(shortest).min(left);
        runs.push(start..start + length);
        start += length;
    }
    runs
}

/// Runs the block's transactions as optimistic ranges on `threads` workers.
pub(crate) fn execute(
    input: &BlockInput,
    env: &BlockEnvironment,
    initial: &WorldState,
    threads: NonZeroUsize,
    capture: Option<TraceLimit>,
) -> Result<PathResult, ExecError> {
    let n = input.transactions.len();
    let runs = runs(n, threads.get());
    let shared = Shared {
        input,
        env,
        capture,
        lazy_recipients: input
            .transactions
            .iter()
            .map(|t| lazy_recipient(t, env.block.beneficiary))
            .collect(),
        next_run: AtomicUsize::new(0),
        finished: runs.iter().map(|_| Mutex::new(None)).collect(),
        runs,
        committed: Mutex::new(Committed {
            state: initial.clone(),
            next_run: 0,
            txs: Vec::with_capacity(n),
            reexecutions: 0,
            failure: None,
        }),
        abort: AtomicBool::new(false),
    };
    let workers = threads.min(NonZeroUsize::new(shared.runs.len()).unwrap_or(NonZeroUsize::MIN));
    std::thread::scope(|scope| {
        for _ in 0..workers.get() {
            scope.spawn(|| {
                let db = RunDb {
                    base: initial,
                    spec: env.spec,
                    block_hashes: &input.block_hashes,
                    writes: RefCell::default(),
                    reads: RefCell::default(),
                    lazy_recipient: Cell::new(None),
                    recipient_lazy: Cell::new(false),
                };
                let mut runner = TxRunner::new(&db, env);
                while !shared.abort.load(Ordering::Acquire) {
                    let run = shared.next_run.fetch_add(1, Ordering::Relaxed);
                    let Some(range) = shared.runs.get(run) else { break };
                    let speculations = shared.speculate(&mut runner, range.clone());
                    *shared.finished[run].lock().expect("run lock") = Some(speculations);
                    if let Ok(mut committed) = shared.committed.try_lock() {
                        shared.commit_ready(&mut committed);
                    }
                }
            });
        }
    });
    let mut committed = shared.committed.lock().expect("commit lock");
    shared.commit_ready(&mut committed);
    if let Some(err) = committed.failure.take() {
        return Err(err);
    }
    Ok(PathResult {
        txs: std::mem::take(&mut committed.txs),
        reexecutions: committed.reexecutions,
        state: Some(std::mem::take(&mut committed.state)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::AccountState;
    use revm::primitives::KECCAK_EMPTY;

    #[test]
    fn a_read_holds_until_the_committed_state_changes_it() {
        let alice = Address::repeat_byte(1);
        let mut state = WorldState::default();
        state.accounts.insert(
            alice,
            AccountState {
                balance: U256::from(5),
                ..AccountState::empty()
            },
        );
        state
            .accounts
            .get_mut(&alice)
            .unwrap()
            .storage
            .insert(U256::from(1), U256::from(9));
        let reads = vec![
            (
                Location::Account(alice),
                ReadValue::Account(account_value(&state, &alice)),
            ),
            (Location::Account(alice), ReadValue::CodeOnly(Some(KECCAK_EMPTY))),
            (Location::Slot(alice, U256::from(1)), ReadValue::Slot(U256::from(9))),
        ];
        assert!(reads_hold(&state, &reads));
        let mut credited = state.clone();
        credited.accounts.get_mut(&alice).unwrap().balance += U256::from(1);
        assert!(!reads_hold(&credited, &reads), "a full account read sees a credit");
        assert!(reads_hold(&credited, &reads[1..]), "a code-only read does not");
        let mut stored = state.clone();
        stored
            .accounts
            .get_mut(&alice)
            .unwrap()
            .storage
            .insert(U256::from(1), U256::from(10));
        assert!(!reads_hold(&stored, &reads));
    }

    #[test]
    fn only_a_credit_recreates_a_destroyed_account_before_spurious_dragon() {
        let spec = SpecId::HOMESTEAD;
        let gone = Address::repeat_byte(3);
        let base = WorldState::default();
        let mut writes = RunWrites::default();
        writes.apply(vec![(Location::Account(gone), Written::Account(None))]);
        assert_eq!(writes.account(&base, &gone, spec), None, "destroyed and not credited");
        writes.apply(vec![(Location::Account(gone), Written::Credit(U256::ZERO))]);
        let empty = AccountValue {
            balance: U256::ZERO,
            nonce: 0,
            code_hash: KECCAK_EMPTY,
        };
        assert_eq!(
            writes.account(&base, &gone, spec),
            Some(empty),
            "a zero credit touches it into existence"
        );
        assert_eq!(
            writes.account(&base, &gone, SpecId::SPURIOUS_DRAGON),
            None,
            "EIP-161 clears it again"
        );
    }

    #[test]
    fn runs_cover_the_block_in_order() {
        for (n, threads) in [(1, 1), (7, 2), (1000, 2), (1000, 16), (5, 16)] {
            let runs = runs(n, threads);
            assert_eq!(runs.first().map(|r| r.start), Some(0));
            assert_eq!(runs.last().map(|r| r.end), Some(n));
            assert!(runs.windows(2).all(|w| w[0].end == w[1].start && !w[0].is_empty()));
            assert!(runs.windows(2).all(|w| w[0].len() >= w[1].len()), "longest first");
            assert!(
                runs.len() <= threads * super::SHORTEST_RUN_DIVISOR,
                "{n} txs: {} runs",
                runs.len()
            );
        }
        assert!(runs(0, 2).is_empty());
    }
}
