//! The zkEVM chunk prover: starky tables for the step (CPU), stack,
//! bytecode, logic, call-context, memory, arithmetic, storage and
//! exponentiation tables,
//! proven together with shared cross-table lookup challenges, and their
//! verifier.
//!
//! Entry points: [`prove_chunk`] turns a [`witness::ChunkWitness`] into a
//! [`ChunkProof`]; [`verify_chunk`] checks one proof against its statement;
//! [`verify_chunk_sequence`] also checks that neighbouring chunks link up.

pub mod aggregate;
pub mod arith_stark;
pub mod bytecode_stark;
pub mod context_stark;
pub mod cpu_stark;
pub mod exp_stark;
pub mod expr;
pub mod logic_stark;
pub mod memory_stark;
pub mod proof;
pub mod prove;
pub mod rw;
pub mod stack_stark;
pub mod statement;
pub mod storage_stark;
pub mod tables;
pub mod verify;

pub use proof::{ChunkProof, CodecError};
pub use prove::{prove_chunk, prove_chunk_with};
pub use verify::{verify_chunk, verify_chunk_sequence};

use starky::config::StarkConfig;

/// Errors of chunk proving and verification.
#[derive(Debug, thiserror::Error)]
pub enum ZkevmError {
    /// Proving failed (the witness violates a constraint, or an internal error).
    #[error("proving the {table} table failed: {reason}")]
    Prove {
        /// Table name.
        table: &'static str,
        /// starky's error.
        reason: String,
    },
    /// A table proof does not verify.
    #[error("the {table} table proof does not verify: {reason}")]
    Verify {
        /// Table name.
        table: &'static str,
        /// starky's error.
        reason: String,
    },
    /// The cross-table lookups do not balance.
    #[error("cross-table lookups do not verify: {0}")]
    CrossTable(String),
    /// The statement is inconsistent or does not match the proof.
    #[error("bad statement: {0}")]
    Statement(String),
    /// Neighbouring chunks do not link.
    #[error(
        "chunk {index} starts at transaction {first_tx}, but the previous chunk ended before transaction {expected}"
    )]
    BrokenLink {
        /// Index of the chunk in the sequence.
        index: usize,
        /// Its first transaction.
        first_tx: u32,
        /// The previous chunk's end.
        expected: u32,
    },
}

/// STARK parameters of every chunk table (rate 1/2, 84 queries, 16 bits of grinding).
pub fn stark_config() -> StarkConfig {
    StarkConfig::standard_fast_config()
}

pub use statement::{cpu_public_inputs, statement_elements};
