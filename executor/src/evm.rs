//! The bridge to revm: block and transaction environments from our input
//! types, and one function that runs a transaction against any read-only
//! database (reusing one revm instance per thread), optionally with the trace recorder attached and optionally with
//! the beneficiary's fee left for the caller to credit (the parallel path
//! credits it lazily so that fee payments do not serialise the block). Every
//! run checks creations against the pre-state's storage-only accounts
//! (EIP-7610, [`crate::collision`]) when the block has any.

use crate::collision::StorageOnlyAccounts;
use crate::input::{BlockHeader, Transaction};
use crate::state::WorldState;
use crate::tracer::TraceRecorder;
use revm::context::{BlockEnv, CfgEnv, Context, TxEnv};
use revm::context_interface::block::BlobExcessGasAndPrice;
use revm::context_interface::result::{EVMError, ExecutionResult, HaltReason, InvalidTransaction};
use revm::context_interface::transaction::{AccessList, AccessListItem};
use revm::context_interface::{ContextTr, JournalTr};
use revm::database_interface::WrapDatabaseRef;
use revm::handler::{
    EthFrame, EvmTr, EvmTrError, FrameResult, Handler, MainBuilder, MainContext, MainnetContext, MainnetEvm,
    MainnetHandler,
};
use revm::inspector::{Inspector, InspectorEvmTr, InspectorHandler};
use revm::interpreter::interpreter::EthInterpreter;
use revm::interpreter::{CallInputs, CallOutcome, CreateInputs, CreateOutcome, Interpreter};
use revm::primitives::hardfork::SpecId;
use revm::primitives::{Log, TxKind, U256};
use revm::state::EvmState;
use revm::{DatabaseRef, ExecuteEvm};
use std::marker::PhantomData;

/// EIP-4844 limit on blobs per transaction under Cancun.
const CANCUN_MAX_BLOBS_PER_TX: u64 = 6;

/// Everything revm needs to know about the block, fixed for all its transactions.
#[derive(Clone, Debug)]
pub struct BlockEnvironment {
    /// The fork rules in force.
    pub spec: SpecId,
    /// revm's block environment.
    pub block: BlockEnv,
    /// revm's configuration (spec, chain id).
    pub cfg: CfgEnv,
    /// The pre-state's accounts that a creation collides with although
    /// revm would not see it (EIP-7610).
    pub storage_only: StorageOnlyAccounts,
}

impl BlockEnvironment {
    /// The environment for a block under `spec` on the pre-state `state`.
    pub fn new(header: &BlockHeader, spec: SpecId, state: &WorldState) -> Self {
        let block = BlockEnv {
            number: U256::from(header.number),
            beneficiary: header.beneficiary,
            timestamp: U256::from(header.timestamp),
            gas_limit: header.gas_limit,
            basefee: header.base_fee.unwrap_or_default(),
            difficulty: header.difficulty,
            prevrandao: if spec.is_enabled_in(SpecId::MERGE) {
                header.prevrandao
            } else {
                None
            },
            blob_excess_gas_and_price: if spec.is_enabled_in(SpecId::CANCUN) {
                Some(BlobExcessGasAndPrice::new_with_spec(
                    header.excess_blob_gas.unwrap_or_default(),
                    spec,
                ))
            } else {
                None
            },
            ..BlockEnv::default()
        };
        let mut cfg = CfgEnv::new_with_spec(spec);
        cfg.chain_id = header.chain_id;
        if spec.is_enabled_in(SpecId::CANCUN) && !spec.is_enabled_in(SpecId::PRAGUE) {
            cfg.set_max_blobs_per_tx(CANCUN_MAX_BLOBS_PER_TX);
        }
        Self {
            spec,
            block,
            cfg,
            storage_only: StorageOnlyAccounts::of(state),
        }
    }

    /// What the beneficiary earns per unit of gas `tx` uses: the whole gas
    /// price before London, the priority part of it from London on.
    pub fn beneficiary_fee_per_gas(&self, tx: &TxEnv) -> U256 {
        use revm::context_interface::Transaction as _;
        let basefee = u128::from(self.block.basefee);
        let price = tx.effective_gas_price(basefee);
        let per_gas = if self.spec.is_enabled_in(SpecId::LONDON) {
            price.saturating_sub(basefee)
        } else {
            price
        };
        U256::from(per_gas)
    }
}

/// revm's transaction environment for one of our transactions.
pub fn tx_env(tx: &Transaction) -> TxEnv {
    TxEnv {
        tx_type: tx.tx_type,
        caller: tx.from,
        gas_limit: tx.gas_limit,
        gas_price: tx.gas_price,
        kind: tx.to.map_or(TxKind::Create, TxKind::Call),
        value: tx.value,
        data: tx.input.clone(),
        nonce: tx.nonce,
        chain_id: tx.chain_id,
        access_list: AccessList(
            tx.access_list
                .iter()
                .map(|i| AccessListItem {
                    address: i.address,
                    storage_keys: i.storage_keys.clone(),
                })
                .collect(),
        ),
        gas_priority_fee: tx.max_priority_fee,
        blob_hashes: tx.blob_hashes.clone(),
        max_fee_per_blob_gas: tx.max_fee_per_blob_gas,
        ..TxEnv::default()
    }
}

/// Who pays the beneficiary its fee.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeePayment {
    /// revm credits the beneficiary inside the transaction (the reference behaviour).
    InTransaction,
    /// The caller credits the fee afterwards (see [`BlockEnvironment::beneficiary_fee_per_gas`]).
    Deferred,
}

/// The mainnet handler with the beneficiary reward left out.
struct DeferredFeeHandler<EVM, ERROR>(PhantomData<(EVM, ERROR)>);

impl<EVM, ERROR> Handler for DeferredFeeHandler<EVM, ERROR>
where
    EVM: EvmTr<Context: ContextTr<Journal: JournalTr<State = EvmState>>, Frame = EthFrame<EthInterpreter>>,
    ERROR: EvmTrError<EVM>,
{
    type Evm = EVM;
    type Error = ERROR;
    type HaltReason = HaltReason;

    fn reward_beneficiary(&self, _evm: &mut EVM, _result: &mut FrameResult) -> Result<(), ERROR> {
        Ok(())
    }
}

impl<EVM, ERROR> InspectorHandler for DeferredFeeHandler<EVM, ERROR>
where
    EVM: InspectorEvmTr<
        Context: ContextTr<Journal: JournalTr<State = EvmState>>,
        Frame = EthFrame<EthInterpreter>,
        Inspector: Inspector<<EVM as EvmTr>::Context, EthInterpreter>,
    >,
    ERROR: EvmTrError<EVM>,
{
    type IT = EthInterpreter;
}

/// What one transaction did: revm's result, its state changes, and its trace
/// when a recorder was attached.
pub struct TxRun {
    /// Result (success, revert or halt) with gas and logs.
    pub result: ExecutionResult,
    /// Every account and slot the transaction loaded, with changes marked.
    pub state: EvmState,
    /// The recorder, holding the trace, when tracing.
    pub trace: Option<TraceRecorder>,
}

/// Errors of one transaction run: invalid transaction, or the database failed.
pub type RunError<E> = EVMError<E, InvalidTransaction>;

/// The inspector a [`TxRunner`] attaches: the trace recorder when tracing,
/// and the EIP-7610 check of creations when the block needs it.
struct RunInspector {
    trace: Option<TraceRecorder>,
    storage_only: StorageOnlyAccounts,
}

impl RunInspector {
    /// True when a run needs revm's inspector hooks at all.
    fn needed(&self) -> bool {
        self.trace.is_some() || !self.storage_only.is_empty()
    }
}

impl<CTX> Inspector<CTX, EthInterpreter> for RunInspector
where
    CTX: ContextTr<Journal: JournalTr<State = EvmState>>,
{
    fn step(&mut self, interp: &mut Interpreter<EthInterpreter>, context: &mut CTX) {
        if let Some(trace) = &mut self.trace {
            trace.step(interp, context);
        }
    }

    fn step_end(&mut self, interp: &mut Interpreter<EthInterpreter>, context: &mut CTX) {
        if let Some(trace) = &mut self.trace {
            trace.step_end(interp, context);
        }
    }

    fn log(&mut self, context: &mut CTX, log: Log) {
        if let Some(trace) = &mut self.trace {
            Inspector::<CTX, EthInterpreter>::log(trace, context, log);
        }
    }

    fn call(&mut self, context: &mut CTX, inputs: &mut CallInputs) -> Option<CallOutcome> {
        self.trace.as_mut().and_then(|trace| trace.call(context, inputs))
    }

    fn call_end(&mut self, context: &mut CTX, inputs: &CallInputs, outcome: &mut CallOutcome) {
        if let Some(trace) = &mut self.trace {
            trace.call_end(context, inputs, outcome);
        }
    }

    /// The recorder sees the creation first, on the state before any
    /// collision bumps the creator's nonce, as it would inside revm.
    fn create(&mut self, context: &mut CTX, inputs: &mut CreateInputs) -> Option<CreateOutcome> {
        let traced = self.trace.as_mut().and_then(|trace| trace.create(context, inputs));
        traced.or_else(|| self.storage_only.check_create(context, inputs))
    }

    fn create_end(&mut self, context: &mut CTX, inputs: &CreateInputs, outcome: &mut CreateOutcome) {
        if let Some(trace) = &mut self.trace {
            trace.create_end(context, inputs, outcome);
        }
    }
}

/// The revm instance a [`TxRunner`] keeps.
type ReusedEvm<DB> = MainnetEvm<MainnetContext<WrapDatabaseRef<DB>>, RunInspector>;

/// Runs transactions one after another against a read-only database without
/// committing anything, reusing one revm instance: its frame stack and
/// interpreter buffers are allocated once per thread, not once per
/// transaction (that allocation costs as much as executing a plain transfer).
pub struct TxRunner<DB: DatabaseRef> {
    evm: ReusedEvm<DB>,
}

impl<DB: DatabaseRef> TxRunner<DB> {
    /// A runner reading `db` under the block environment `env`.
    pub fn new(db: DB, env: &BlockEnvironment) -> Self {
        let ctx = Context::mainnet()
            .with_block(env.block.clone())
            .with_cfg(env.cfg.clone())
            .with_ref_db(db);
        Self {
            evm: ctx.build_mainnet_with_inspector(RunInspector {
                trace: None,
                storage_only: env.storage_only.clone(),
            }),
        }
    }

    /// The database the runner reads.
    pub fn db(&self) -> &DB {
        &self.evm.ctx.journaled_state.database.0
    }

    /// Runs `tx`, with the recorder attached when `trace` is given. revm's
    /// handler cleans the journal and frame stack on errors, so the runner
    /// stays usable after a failed transaction. Runs go through revm's
    /// inspector hooks only when they record a trace or check creations.
    pub fn run(
        &mut self,
        tx: TxEnv,
        fees: FeePayment,
        trace: Option<TraceRecorder>,
    ) -> Result<TxRun, RunError<DB::Error>> {
        let evm = &mut self.evm;
        evm.inspector.trace = trace;
        evm.ctx.tx = tx;
        let outcome = match (fees, evm.inspector.needed()) {
            (FeePayment::InTransaction, false) => {
                MainnetHandler::<_, RunError<DB::Error>, EthFrame<EthInterpreter>>::default().run(evm)
            }
            (FeePayment::InTransaction, true) => {
                MainnetHandler::<_, RunError<DB::Error>, EthFrame<EthInterpreter>>::default().inspect_run(evm)
            }
            (FeePayment::Deferred, false) => DeferredFeeHandler::<_, RunError<DB::Error>>(PhantomData).run(evm),
            (FeePayment::Deferred, true) => DeferredFeeHandler::<_, RunError<DB::Error>>(PhantomData).inspect_run(evm),
        };
        let state = evm.finalize();
        let trace = evm.inspector.trace.take();
        let result = outcome?;
        Ok(TxRun { result, state, trace })
    }
}
