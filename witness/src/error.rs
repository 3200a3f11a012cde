//! Errors of the witness generator.

use thiserror::Error;

/// Why a trace cannot be turned into table rows.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum WitnessError {
    /// The block ran under other rules than the tables prove.
    #[error(
        "block {number} ran under {} rules; the zkEVM proves blocks under Cancun's (a rollup's block names its fork in header.fork)",
        <&'static str>::from(*fork)
    )]
    UnprovenFork {
        /// The block's number.
        number: u64,
        /// The fork it ran under.
        fork: revm::primitives::hardfork::SpecId,
    },
    /// The trace executes an opcode that the tables do not constrain yet.
    #[error("transaction {tx}, step {step} (pc {pc}): opcode {name} (0x{opcode:02x}) is not in the proven scope")]
    UnsupportedOpcode {
        /// Transaction index in the block.
        tx: u32,
        /// Step index in the transaction.
        step: usize,
        /// Program counter of the step.
        pc: u64,
        /// Opcode byte.
        opcode: u8,
        /// Mnemonic of the opcode.
        name: &'static str,
    },
    /// A transaction feature the tables do not constrain yet.
    #[error("transaction {tx}: {feature} is not in the proven scope")]
    UnsupportedFeature {
        /// Transaction index in the block.
        tx: u32,
        /// What the transaction does that is not supported.
        feature: String,
    },
    /// The trace was cut short by the recorder's limit, so it does not hold
    /// the whole execution.
    #[error("transaction {tx}: its trace stops early because {cut} (the recording limit: a transaction's steps must fit one chunk), so it cannot be proven")]
    TraceCut {
        /// Transaction index in the block.
        tx: u32,
        /// The limit that cut it.
        cut: executor::trace::TraceCut,
    },
    /// The trace contradicts itself (it cannot come from a real execution).
    #[error("transaction {tx}, step {step}: malformed trace: {reason}")]
    MalformedTrace {
        /// Transaction index in the block.
        tx: u32,
        /// Step index in the transaction.
        step: usize,
        /// What is inconsistent.
        reason: String,
    },
    /// One transaction alone needs more step rows than the largest chunk
    /// holds, and cannot be split over chunks.
    #[error("transaction {tx} has {steps} steps, more than a chunk of 2^{rows_log} rows can hold ({capacity} steps), and cannot be split over chunks: it holds more than 64 KiB of memory at every cut")]
    TransactionTooLong {
        /// Transaction index in the block.
        tx: u32,
        /// Its number of steps.
        steps: usize,
        /// Chunk size (log2 of rows).
        rows_log: usize,
        /// Steps a chunk can hold.
        capacity: usize,
    },
    /// The requested chunk size is outside the supported range.
    #[error("chunk size 2^{0} rows is outside the supported range 2^{min}..=2^{max}", min = crate::MIN_ROWS_LOG, max = crate::chunk::MAX_ROWS_LOG)]
    ChunkSize(usize),
    /// The code a transaction calls was not provided.
    #[error("transaction {tx}: no code given for the called contract {address}")]
    MissingCode {
        /// Transaction index in the block.
        tx: u32,
        /// Called address.
        address: String,
    },
    /// The state tree cannot hold the pre-state, or disagrees with the trace.
    #[error("state tree: {0}")]
    StateTree(String),
    /// A chunk size whose largest chunk is smaller than its ordinary one.
    #[error("the largest chunk, 2^{max_rows_log} rows, is smaller than an ordinary one, 2^{rows_log}")]
    ChunkSizeOrder {
        /// Log2 of an ordinary chunk's rows.
        rows_log: usize,
        /// Log2 of the largest chunk's rows.
        max_rows_log: usize,
    },
    /// The block has no transaction with steps to prove.
    #[error("the block trace has no transactions")]
    EmptyBlock,
    /// Traces sent to rebuild a chunk do not give its statement.
    #[error("the traces do not give the chunk's statement: {0}")]
    StatementMismatch(String),
}
