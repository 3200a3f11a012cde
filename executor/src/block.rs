//! Executing a whole block: pre-block system updates, the transactions (on the
//! sequential or the parallel path), rewards and withdrawals, and the results
//! and commitments both paths must agree on.

use crate::evm::{BlockEnvironment, RunError, TxRun};
use crate::fork::{block_reward, mainnet_spec, LATEST_EXECUTED};
use crate::input::BlockInput;
use crate::roots::{logs_bloom, receipts_root, state_root, ReceiptFields};
use crate::state::{AccountState, WorldState};
use crate::trace::{AccountAccess, AccountField, BlockTrace, TxTrace};
use crate::tracer::{RecordedTrace, TraceLimit, TraceRecorder};
use crate::{parallel, sequential};
use revm::context_interface::result::{ExecutionResult, Output};
use revm::primitives::hardfork::SpecId;
use revm::primitives::{address, Address, Bytes, Log, B256, U256};
use revm::state::EvmState;
use serde::{Deserialize, Serialize};
use std::fmt::Debug;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

/// EIP-4788 beacon roots contract.
const BEACON_ROOTS_ADDRESS: Address = address!("000F3df6D732807Ef1319fB7B8bB8522d0Beac02");
/// Ring buffer length of the beacon roots contract.
const BEACON_ROOTS_HISTORY: u64 = 8191;

/// How to execute a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecOptions {
    /// Worker threads of the parallel path (ignored when `sequential`).
    pub threads: NonZeroUsize,
    /// Run the sequential reference path instead of the parallel one.
    pub sequential: bool,
    /// Let a parallel run hand the block to the sequential path when
    /// no parallel engine can beat it (one sender's chain of transactions, a
    /// block smaller than 16 transactions, a single thread). On by default;
    /// tests and benchmarks of the engines themselves turn it off.
    pub sequential_fallback: bool,
    /// The parallel path's engine; `None` lets the executor choose per
    /// block (see [`ParallelEngine`]).
    pub engine: Option<ParallelEngine>,
    /// Record a [`TxTrace`] for each transaction's final execution.
    pub capture_traces: bool,
    /// How much of each transaction a trace keeps (everything by default);
    /// a trace cut at the limit says so ([`TxTrace::cut`]).
    pub trace_limit: TraceLimit,
    /// The fork rules; `None` picks mainnet's fork for the block number and timestamp.
    pub spec: Option<SpecId>,
}

impl Default for ExecOptions {
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN),
            sequential: false,
            sequential_fallback: true,
            engine: None,
            capture_traces: false,
            trace_limit: TraceLimit::default(),
            spec: None,
        }
    }
}

/// How the parallel path runs a block's transactions. Both give exactly the
/// sequential results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParallelEngine {
    /// Block-STM: a multi-version memory and a scheduler that validates and
    /// re-executes transactions concurrently.
    BlockStm,
    /// Optimistic ranges: runs of consecutive transactions executed against
    /// the pre-state, validated and committed in block order, the
    /// transactions whose reads changed re-executed there.
    Ranges,
}

impl ParallelEngine {
    /// The engine the executor picks for `input` on `threads` threads when
    /// [`ExecOptions::engine`] leaves it open.
    pub fn for_block(input: &BlockInput, threads: NonZeroUsize) -> Self {
        parallel::choose(input, threads)
    }
}

impl std::fmt::Display for ParallelEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::BlockStm => "Block-STM",
            Self::Ranges => "optimistic ranges",
        })
    }
}

/// Why a block could not be executed.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// A transaction is not valid in its position (nonce, balance, gas limit, fee, ...).
    #[error("transaction {index} is invalid: {reason}")]
    InvalidTransaction {
        /// Index of the transaction in the block.
        index: usize,
        /// revm's reason.
        reason: String,
    },
    /// The block header is not consistent with its fork (e.g. no PREVRANDAO after the merge).
    #[error("block header is invalid: {0}")]
    InvalidHeader(String),
    /// The block runs under a fork the executor does not run yet.
    #[error(
        "block {number} runs under {} ({origin}); the executor runs forks up to {} (Prague's history and request contracts and EIP-7702 transactions are not built)",
        <&'static str>::from(*fork),
        <&'static str>::from(LATEST_EXECUTED)
    )]
    UnsupportedFork {
        /// The block's number.
        number: u64,
        /// The fork it runs under.
        fork: SpecId,
        /// Where that fork came from.
        origin: ForkSource,
    },
}

/// Where a block's fork came from, as messages name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForkSource {
    /// [`ExecOptions::spec`].
    Options,
    /// The header's `fork` field.
    Header,
    /// Mainnet's schedule by the block's number and timestamp.
    MainnetSchedule,
}

impl std::fmt::Display for ForkSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Options => "the executor's options",
            Self::Header => "its header's fork",
            Self::MainnetSchedule => {
                "mainnet's schedule for its number and timestamp; a rollup's block names its fork in header.fork"
            }
        })
    }
}

impl ExecError {
    pub(crate) fn from_run<E: Debug>(index: usize, err: RunError<E>) -> Self {
        Self::InvalidTransaction {
            index,
            reason: format!("{err:?}"),
        }
    }
}

/// What a transaction produced, as its receipt records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxOutcome {
    /// EIP-2718 type.
    pub tx_type: u8,
    /// True on success, false on revert or halt.
    pub success: bool,
    /// Gas used after refunds.
    pub gas_used: u64,
    /// Gas used by the block up to and including this transaction.
    pub cumulative_gas_used: u64,
    /// Logs emitted.
    pub logs: Vec<Log>,
    /// Return data, revert data, or nothing for a halt.
    pub output: Bytes,
    /// Address of the contract created, for a successful creation.
    pub created: Option<Address>,
}

impl TxOutcome {
    /// What its receipt commits to.
    pub fn receipt(&self) -> ReceiptFields<'_> {
        ReceiptFields {
            tx_type: self.tx_type,
            success: self.success,
            cumulative_gas_used: self.cumulative_gas_used,
            logs: &self.logs,
        }
    }
}

/// Everything a block's execution produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockOutput {
    /// Block number.
    pub number: u64,
    /// Fork rules the block ran under.
    pub spec: SpecId,
    /// One outcome per transaction, in block order.
    pub txs: Vec<TxOutcome>,
    /// Total gas used.
    pub gas_used: u64,
    /// Receipts root; `None` before Byzantium, whose receipts commit to intermediate state roots.
    pub receipts_root: Option<B256>,
    /// Logs bloom of the block.
    pub logs_bloom: Bytes,
    /// MPT root of `post_state` (meaningful when the pre-state was complete).
    pub state_root: B256,
    /// Every account after the block.
    pub post_state: WorldState,
    /// Transaction executions beyond the first of each (parallel path only).
    pub reexecutions: u64,
    /// The parallel engine that ran the transactions (`None`: the sequential path did).
    pub engine: Option<ParallelEngine>,
    /// Why a parallel run fell back to the sequential path, if it did.
    pub fallback: Option<String>,
    /// Wall time of the transaction phase.
    pub elapsed: Duration,
    /// Traces, when `capture_traces` was set.
    pub traces: Option<BlockTrace>,
}

/// One transaction's final, validated execution as either path reports it.
pub(crate) struct TxExecution {
    /// revm's result.
    pub result: ExecutionResult,
    /// The state revm loaded and changed, committed as absolute values (the
    /// parallel path leaves lazily credited accounts out).
    pub changes: EvmState,
    /// Balance increments applied after `changes` (the parallel path's lazy
    /// fee and transfer credits), as (account, amount).
    pub balance_credits: Vec<(Address, U256)>,
    /// The trace, when recording.
    pub trace: Option<RecordedTrace>,
}

impl TxExecution {
    /// A run whose fee revm paid inside the transaction (no lazy credits).
    pub(crate) fn paid_in_transaction(run: TxRun) -> Self {
        Self {
            result: run.result,
            changes: run.state,
            balance_credits: Vec::new(),
            trace: run.trace.map(TraceRecorder::finish),
        }
    }
}

/// What a path returns: per-transaction executions plus its re-execution
/// count, and the state after the transactions when the path built it
/// (the sequential path and optimistic ranges commit as they go; Block-STM
/// does not).
pub(crate) struct PathResult {
    pub txs: Vec<TxExecution>,
    pub reexecutions: u64,
    pub state: Option<WorldState>,
}

/// Credits `amount` to `address` as revm's balance increment would: the
/// account is touched even for a zero amount, so an empty account is removed
/// from Spurious Dragon on and created (empty) before it.
pub(crate) fn touch_credit(state: &mut WorldState, address: Address, amount: U256, spec: SpecId) {
    let clears_empty = spec.is_enabled_in(SpecId::SPURIOUS_DRAGON);
    match state.accounts.get_mut(&address) {
        Some(account) => {
            account.balance = account.balance.saturating_add(amount);
            if clears_empty && account.is_empty() {
                state.accounts.remove(&address);
            }
        }
        None if !amount.is_zero() || !clears_empty => {
            state.accounts.insert(
                address,
                AccountState {
                    balance: amount,
                    ..AccountState::empty()
                },
            );
        }
        None => {}
    }
}

/// The EIP-4788 system update: stores the timestamp and parent beacon root in
/// the beacon roots contract's ring buffer (what the system call does).
fn apply_beacon_root(state: &mut WorldState, timestamp: u64, root: B256) {
    let Some(account) = state.accounts.get_mut(&BEACON_ROOTS_ADDRESS) else {
        return;
    };
    let slot = timestamp % BEACON_ROOTS_HISTORY;
    for (key, value) in [
        (slot, U256::from(timestamp)),
        (slot + BEACON_ROOTS_HISTORY, U256::from_be_bytes(root.0)),
    ] {
        if value.is_zero() {
            account.storage.remove(&U256::from(key));
        } else {
            account.storage.insert(U256::from(key), value);
        }
    }
}

/// The state every path starts the transactions from: the pre-state after the
/// pre-block system updates.
pub(crate) fn initial_state(input: &BlockInput, spec: SpecId) -> WorldState {
    let mut state = WorldState::from_pre_state(&input.pre_state);
    if spec.is_enabled_in(SpecId::CANCUN) {
        if let Some(root) = input.header.parent_beacon_block_root {
            apply_beacon_root(&mut state, input.header.timestamp, root);
        }
    }
    state
}

/// An account's nonce, balance and code hash as traces record them (zero
/// for an account that does not exist).
fn account_fields(state: &WorldState, address: &Address) -> [U256; 3] {
    state.accounts.get(address).map_or([U256::ZERO; 3], |a| {
        [U256::from(a.nonce), a.balance, U256::from_be_bytes(a.code_hash.0)]
    })
}

/// The fields of the accounts one transaction touched, before it is committed.
type AccountSnapshot = Vec<(Address, [U256; 3])>;

/// Snapshots the fields of the accounts `exec` touches (once each, in address order).
fn snapshot_touched(state: &WorldState, exec: &TxExecution) -> AccountSnapshot {
    let touched: std::collections::BTreeSet<Address> = exec
        .changes
        .iter()
        .filter(|(_, a)| a.is_touched())
        .map(|(address, _)| *address)
        .chain(exec.balance_credits.iter().map(|(address, _)| *address))
        .collect();
    touched.into_iter().map(|a| (a, account_fields(state, &a))).collect()
}

/// The net account-field changes of one transaction, for its trace: its
/// touched accounts' fields `before` it against `after` it.
fn account_ops(before: &AccountSnapshot, after: &WorldState) -> Vec<AccountAccess> {
    let mut ops = Vec::new();
    for (address, old) in before {
        let new = account_fields(after, address);
        let fields = [AccountField::Nonce, AccountField::Balance, AccountField::CodeHash];
        for (i, field) in fields.into_iter().enumerate() {
            if old[i] != new[i] {
                ops.push(AccountAccess {
                    write: true,
                    address: *address,
                    field,
                    old: old[i],
                    new: new[i],
                });
            }
        }
    }
    ops
}

/// Executes a block: the one entry point of the executor.
pub fn execute_block(input: &BlockInput, options: &ExecOptions) -> Result<BlockOutput, ExecError> {
    let header = &input.header;
    let (spec, origin) = match (options.spec, header.fork) {
        (Some(spec), _) => (spec, ForkSource::Options),
        (None, Some(spec)) => (spec, ForkSource::Header),
        (None, None) => (
            mainnet_spec(header.number, header.timestamp),
            ForkSource::MainnetSchedule,
        ),
    };
    if spec > LATEST_EXECUTED {
        return Err(ExecError::UnsupportedFork {
            number: header.number,
            fork: spec,
            origin,
        });
    }
    if spec.is_enabled_in(SpecId::MERGE) && header.prevrandao.is_none() {
        return Err(ExecError::InvalidHeader(format!(
            "block {} is post-merge but has no prevrandao",
            header.number
        )));
    }
    if let Some(index) = input.transactions.iter().position(|t| t.tx_type == 3 && t.to.is_none()) {
        return Err(ExecError::InvalidTransaction {
            index,
            reason: "a blob transaction (type 3) cannot create a contract".into(),
        });
    }
    let mut state = initial_state(input, spec);
    let env = BlockEnvironment::new(header, spec, &state);
    let started = Instant::now();
    let fallback = if options.sequential || !options.sequential_fallback {
        None
    } else {
        parallel::reason_to_run_sequentially(input, options.threads)
    };
    let capture = options.capture_traces.then_some(options.trace_limit);
    let engine = (!options.sequential && fallback.is_none()).then(|| {
        options
            .engine
            .unwrap_or_else(|| ParallelEngine::for_block(input, options.threads))
    });
    let path = match engine {
        Some(engine) => parallel::execute(engine, input, &env, &state, options.threads, capture),
        None => sequential::execute(input, &env, &state, capture),
    }
    .map_err(|e| match e {
        // A rollup's block that names no fork runs under mainnet's rules
        // for its number: say so, since that is the usual cause.
        ExecError::InvalidTransaction { index, reason } if origin == ForkSource::MainnetSchedule => {
            ExecError::InvalidTransaction {
                index,
                reason: format!("{reason} (under {}, {origin})", <&'static str>::from(spec)),
            }
        }
        other => other,
    })?;
    let elapsed = started.elapsed();

    let mut outcomes = Vec::with_capacity(path.txs.len());
    let mut traces = options.capture_traces.then(|| BlockTrace {
        block_number: header.number,
        fork: spec,
        beneficiary: header.beneficiary,
        base_fee: header.base_fee.unwrap_or(0),
        timestamp: header.timestamp,
        gas_limit: header.gas_limit,
        chain_id: header.chain_id,
        prevrandao: match header.prevrandao {
            Some(randao) if spec.is_enabled_in(SpecId::MERGE) => U256::from_be_bytes(randao.0),
            _ => header.difficulty,
        },
        txs: Vec::new(),
    });
    // Traces record each transaction's account changes, so they need the
    // state between transactions; otherwise the path's final state will do.
    let commit_each = match path.state {
        Some(built) if traces.is_none() => {
            state = built;
            false
        }
        _ => true,
    };
    let mut cumulative = 0u64;
    for (index, exec) in path.txs.into_iter().enumerate() {
        let before = traces.as_ref().map(|_| snapshot_touched(&state, &exec));
        if commit_each {
            state.commit(&exec.changes, spec);
            for (address, amount) in &exec.balance_credits {
                touch_credit(&mut state, *address, *amount, spec);
            }
        }
        let tx = &input.transactions[index];
        let gas_used = exec.result.tx_gas_used();
        cumulative += gas_used;
        let (output, created) = match &exec.result {
            ExecutionResult::Success {
                output: Output::Create(data, address),
                ..
            } => (data.clone(), *address),
            ExecutionResult::Success {
                output: Output::Call(data),
                ..
            } => (data.clone(), None),
            ExecutionResult::Revert { output, .. } => (output.clone(), None),
            ExecutionResult::Halt { .. } => (Bytes::new(), None),
        };
        let outcome = TxOutcome {
            tx_type: tx.tx_type,
            success: exec.result.is_success(),
            gas_used,
            cumulative_gas_used: cumulative,
            logs: exec.result.logs().to_vec(),
            output,
            created,
        };
        if let (Some(traces), Some(before), Some(recorded)) = (traces.as_mut(), before, exec.trace) {
            traces.txs.push(TxTrace {
                tx_index: index as u32,
                from: tx.from,
                to: tx.to,
                value: tx.value,
                gas_limit: tx.gas_limit,
                gas_price: {
                    use revm::context_interface::Transaction as _;
                    crate::evm::tx_env(tx).effective_gas_price(u128::from(env.block.basefee))
                },
                nonce: tx.nonce,
                input: tx.input.clone(),
                gas_used,
                success: outcome.success,
                output: outcome.output.clone(),
                tx_account_ops: account_ops(&before, &state),
                steps: recorded.steps,
                calls: recorded.calls,
                logs: recorded.logs,
                cut: recorded.cut,
            });
        }
        outcomes.push(outcome);
    }

    let reward = block_reward(spec);
    if !reward.is_zero() {
        let per_ommer = reward / U256::from(32);
        state.credit(header.beneficiary, reward + per_ommer * U256::from(input.ommers.len()));
        for ommer in &input.ommers {
            let distance = U256::from(header.number.saturating_sub(ommer.number));
            state.credit(
                ommer.beneficiary,
                reward * (U256::from(8) - distance.min(U256::from(8))) / U256::from(8),
            );
        }
    }
    if spec.is_enabled_in(SpecId::SHANGHAI) {
        for w in &input.withdrawals {
            state.credit(w.address, U256::from(w.amount_gwei) * U256::from(1_000_000_000u64));
        }
    }

    let receipts_root = spec.is_enabled_in(SpecId::BYZANTIUM).then(|| {
        let receipts: Vec<ReceiptFields<'_>> = outcomes.iter().map(TxOutcome::receipt).collect();
        receipts_root(&receipts)
    });
    let bloom = logs_bloom(outcomes.iter().flat_map(|o| o.logs.iter()));
    Ok(BlockOutput {
        number: header.number,
        spec,
        gas_used: cumulative,
        txs: outcomes,
        receipts_root,
        logs_bloom: Bytes::copy_from_slice(&bloom),
        state_root: state_root(&state),
        post_state: state,
        reexecutions: path.reexecutions,
        engine,
        fallback,
        elapsed,
        traces,
    })
}
