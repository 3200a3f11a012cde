//! The zkEVM chunk prover: starky tables for the step (CPU), stack,
//! bytecode and logic tables, proven together with shared cross-table lookup
//! challenges, and their verifier.
//!
//! Entry points: [`prove_chunk`] turns a [`witness::ChunkWitness`] into a
//! [`ChunkProof`]; [`verify_chunk`] checks one proof against its statement;
//! [`verify_chunk_sequence`] also checks that neighbouring chunks link up.

pub mod aggregate;
pub mod bytecode_stark;
pub mod cpu_stark;
pub mod expr;
pub mod logic_stark;
pub mod proof;
pub mod prove;
pub mod stack_stark;
pub mod tables;
pub mod verify;

pub use proof::{ChunkProof, CodecError};
pub use prove::{prove_chunk, prove_chunk_with};
pub use verify::{verify_chunk, verify_chunk_sequence};

use starky::config::StarkConfig;
use witness::{ChunkStatement, F};

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

/// The step table's public inputs for a statement.
pub fn cpu_public_inputs(statement: &ChunkStatement) -> Vec<F> {
    use plonky2::field::types::Field;
    let mut pis = vec![F::ZERO; witness::cpu::pi::NUM];
    pis[witness::cpu::pi::FIRST_TX] = F::from_canonical_u32(statement.first_tx);
    pis[witness::cpu::pi::END_TX] = F::from_canonical_u32(statement.end_tx);
    pis[witness::cpu::pi::STEPS] = F::from_canonical_u64(statement.steps);
    pis
}

/// Absorbs the statement into the transcript before any challenge is drawn.
pub(crate) fn observe_statement<H: plonky2::plonk::config::Hasher<F>>(
    challenger: &mut plonky2::iop::challenger::Challenger<F, H>,
    statement: &ChunkStatement,
) {
    use plonky2::field::types::Field;
    challenger.observe_elements(&cpu_public_inputs(statement));
    for tc in &statement.codes {
        challenger.observe_element(F::from_canonical_u32(tc.tx));
        challenger.observe_element(F::from_canonical_usize(tc.code.len()));
        let bytes: Vec<F> = tc.code.iter().map(|&b| F::from_canonical_u8(b)).collect();
        challenger.observe_elements(&bytes);
    }
}
