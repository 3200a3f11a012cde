//! An in-process L1: revm (Prague rules) over an in-memory database, with
//! one account that deploys and calls contracts. Every call is a committed
//! transaction, so its gas is what L1 would charge (intrinsic and calldata
//! gas included).

use revm::context::{CfgEnv, Context, TxEnv};
use revm::context_interface::result::ExecutionResult;
use revm::database::InMemoryDB;
use revm::handler::{MainBuilder, MainContext, MainnetContext, MainnetEvm};
use revm::primitives::hardfork::SpecId;
use revm::primitives::{Address, Bytes, Log, TxKind};
use revm::ExecuteCommitEvm;

/// Gas limit of every transaction (an L1 block's worth).
const TX_GAS_LIMIT: u64 = 30_000_000;

/// Why a transaction could not run (it was invalid, not reverted).
#[derive(Debug, thiserror::Error)]
#[error("L1 transaction: {0}")]
pub struct L1Error(String);

/// What one transaction did.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// It returned without reverting or halting.
    pub success: bool,
    /// Gas the transaction used (receipt figure).
    pub gas_used: u64,
    /// Return data, or revert data; empty after a halt.
    pub output: Bytes,
    /// Logs it emitted (none unless it succeeded).
    pub logs: Vec<Log>,
    /// The address of the contract it created, if it was a deployment.
    pub created: Option<Address>,
}

/// The chain.
pub struct L1 {
    evm: MainnetEvm<MainnetContext<InMemoryDB>>,
    sender: Address,
    nonce: u64,
}

impl Default for L1 {
    fn default() -> Self {
        Self::new()
    }
}

impl L1 {
    /// An empty chain under Prague rules (gas price zero, so the sender needs no funds).
    pub fn new() -> Self {
        let evm = Context::mainnet()
            .with_cfg(CfgEnv::new_with_spec(SpecId::PRAGUE))
            .with_db(InMemoryDB::default())
            .build_mainnet();
        Self {
            evm,
            sender: Address::repeat_byte(0x5e),
            nonce: 0,
        }
    }

    /// Runs one transaction from the sender and commits it.
    pub fn transact(&mut self, kind: TxKind, data: Vec<u8>) -> Result<Outcome, L1Error> {
        let tx = TxEnv {
            caller: self.sender,
            gas_limit: TX_GAS_LIMIT,
            gas_price: 0,
            kind,
            data: data.into(),
            nonce: self.nonce,
            ..TxEnv::default()
        };
        let result = self.evm.transact_commit(tx).map_err(|e| L1Error(format!("{e:?}")))?;
        self.nonce += 1;
        let gas_used = result.tx_gas_used();
        let created = result.created_address();
        Ok(match result {
            ExecutionResult::Success { logs, output, .. } => Outcome {
                success: true,
                gas_used,
                output: output.into_data(),
                logs,
                created,
            },
            ExecutionResult::Revert { output, .. } => Outcome {
                success: false,
                gas_used,
                output,
                logs: Vec::new(),
                created: None,
            },
            ExecutionResult::Halt { .. } => Outcome {
                success: false,
                gas_used,
                output: Bytes::new(),
                logs: Vec::new(),
                created: None,
            },
        })
    }

    /// Deploys `creation_code` (constructor arguments appended); the outcome
    /// of a failed deployment is returned as is.
    pub fn deploy(&mut self, creation_code: Vec<u8>) -> Result<Outcome, L1Error> {
        self.transact(TxKind::Create, creation_code)
    }

    /// Calls `to` with `data`.
    pub fn call(&mut self, to: Address, data: Vec<u8>) -> Result<Outcome, L1Error> {
        self.transact(TxKind::Call(to), data)
    }
}
