//! Execution traces: what the witness generator needs from each transaction.
//!
//! A [`BlockTrace`] holds one [`TxTrace`] per transaction, recorded during the
//! transaction's final, validated execution. Each [`Step`] is one EVM
//! instruction with everything it read and wrote, in execution order, so the
//! witness generator can rebuild the step table and the read/write table from
//! it without re-executing anything.
//!
//! Traces serialise with bincode (see the crate's codec) and JSON (serde).

use revm::primitives::hardfork::SpecId;
use revm::primitives::{Address, Bytes, B256, U256};
use serde::{Deserialize, Serialize};

/// Traces of every transaction in a block, in block order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockTrace {
    /// Block number the traces belong to.
    pub block_number: u64,
    /// The fork whose rules the block ran under.
    pub fork: SpecId,
    /// The block's beneficiary (who earns the priority fees).
    pub beneficiary: Address,
    /// The block's base fee per gas; zero before London.
    pub base_fee: u64,
    /// The block's timestamp (what TIMESTAMP pushes).
    pub timestamp: u64,
    /// The block's gas limit (what GASLIMIT pushes).
    pub gas_limit: u64,
    /// The chain id transactions were executed under (what CHAINID pushes).
    pub chain_id: u64,
    /// What PREVRANDAO pushes: the header's prevrandao after the merge,
    /// its difficulty before (the opcode was DIFFICULTY then).
    pub prevrandao: U256,
    /// One entry per transaction, in block order.
    pub txs: Vec<TxTrace>,
}

/// The trace of one transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxTrace {
    /// Index of the transaction in its block.
    pub tx_index: u32,
    /// Sender.
    pub from: Address,
    /// Callee; `None` for contract creation.
    pub to: Option<Address>,
    /// Value transferred.
    pub value: U256,
    /// Gas limit of the transaction.
    pub gas_limit: u64,
    /// Effective gas price paid per unit of gas.
    pub gas_price: u128,
    /// Sender nonce the transaction used.
    pub nonce: u64,
    /// Call data (or init code for a creation).
    pub input: Bytes,
    /// Gas used by the transaction after refunds.
    pub gas_used: u64,
    /// Whether the transaction succeeded (false on revert or halt).
    pub success: bool,
    /// Return data (or revert data).
    pub output: Bytes,
    /// Account-level accesses outside the interpreter: nonce increment, gas
    /// purchase and refund, value transfer, beneficiary fee.
    pub tx_account_ops: Vec<AccountAccess>,
    /// Every interpreted step, in order.
    pub steps: Vec<Step>,
    /// Call frames entered and left, in order of entry.
    pub calls: Vec<CallFrame>,
    /// Logs emitted (also attached to the step that emitted them).
    pub logs: Vec<LogRecord>,
    /// Set when the recorder stopped at its limit: `steps`, `calls` and
    /// `logs` then hold only the start of the execution (which itself ran to
    /// its end), and the trace cannot be proven from.
    pub cut: Option<TraceCut>,
}

/// Which of a recorder's limits ([`crate::tracer::TraceLimit`]) cut a trace short.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TraceCut {
    /// The transaction ran more steps than this.
    Steps(usize),
    /// Its recorded memory accesses held more bytes than this.
    MemoryBytes(usize),
}

impl std::fmt::Display for TraceCut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TraceCut::Steps(limit) => write!(f, "it ran more than {limit} steps"),
            TraceCut::MemoryBytes(limit) => write!(f, "its memory accesses held more than {limit} bytes"),
        }
    }
}

/// One executed EVM instruction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Program counter before the instruction.
    pub pc: u64,
    /// The opcode byte.
    pub opcode: u8,
    /// Gas remaining before the instruction.
    pub gas: u64,
    /// Gas the instruction cost (static plus dynamic, including memory expansion).
    pub gas_cost: u64,
    /// Call depth (0 for the transaction's top frame).
    pub depth: u32,
    /// Identifier of the call frame (index into [`TxTrace::calls`]).
    pub context_id: u32,
    /// Code address whose bytecode is executing.
    pub code_address: Address,
    /// Hash of the bytecode executing.
    pub code_hash: B256,
    /// Memory size in bytes before the instruction.
    pub memory_size: u64,
    /// Stack items popped, top of stack first.
    pub stack_in: Vec<U256>,
    /// Stack items pushed, in push order.
    pub stack_out: Vec<U256>,
    /// Memory reads and writes the instruction made.
    pub memory: Vec<MemoryAccess>,
    /// Storage reads and writes the instruction made.
    pub storage: Vec<StorageAccess>,
    /// Account field reads (BALANCE, SELFBALANCE, EXTCODEHASH) and writes
    /// (value moved by a CALL or CREATE, the creator's and created account's
    /// nonces, the created code hash) the instruction made.
    pub accounts: Vec<AccountAccess>,
}

/// A contiguous memory access.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryAccess {
    /// True for a write, false for a read.
    pub write: bool,
    /// Byte offset in the frame's memory.
    pub offset: u64,
    /// Bytes read, or bytes written.
    pub bytes: Vec<u8>,
}

/// A storage slot access.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageAccess {
    /// True for a write (SSTORE), false for a read (SLOAD).
    pub write: bool,
    /// Account whose storage is accessed.
    pub address: Address,
    /// Storage slot.
    pub slot: U256,
    /// Value before the access.
    pub old: U256,
    /// Value after the access (equals `old` for reads).
    pub new: U256,
}

/// Which account field an [`AccountAccess`] touches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccountField {
    /// Balance in wei.
    #[default]
    Balance,
    /// Nonce.
    Nonce,
    /// Keccak hash of the code.
    CodeHash,
}

/// An account field access.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountAccess {
    /// True for a write, false for a read.
    pub write: bool,
    /// Account accessed.
    pub address: Address,
    /// Field accessed.
    pub field: AccountField,
    /// Value before.
    pub old: U256,
    /// Value after (equals `old` for reads).
    pub new: U256,
}

/// A call frame boundary pair.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallFrame {
    /// Frame id (index in [`TxTrace::calls`]).
    pub id: u32,
    /// Parent frame id, `None` for the top frame.
    pub parent: Option<u32>,
    /// Call depth.
    pub depth: u32,
    /// Opcode that opened the frame (CALL, CREATE, ...); 0 for the transaction itself.
    pub kind: u8,
    /// Caller address.
    pub caller: Address,
    /// Address whose context (storage, balance) the frame runs in.
    pub address: Address,
    /// Value passed.
    pub value: U256,
    /// Gas given to the frame.
    pub gas: u64,
    /// Index of the first step of the frame in [`TxTrace::steps`].
    pub first_step: u32,
    /// Index one past the last step of the frame.
    pub end_step: u32,
    /// Whether the frame returned successfully.
    pub success: bool,
    /// Return or revert data.
    pub output: Bytes,
}

/// A log emitted by a LOG0..LOG4 instruction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRecord {
    /// Index of the emitting step in [`TxTrace::steps`].
    pub step: u32,
    /// Emitting contract.
    pub address: Address,
    /// Topics.
    pub topics: Vec<B256>,
    /// Data.
    pub data: Bytes,
}
