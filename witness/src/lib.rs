//! Turns execution traces into the rows of every proving table, and cuts a
//! block's steps into chunks whose public values link to their neighbours.
//!
//! Milestone-1 slice: the step (CPU) table, the stack read/write table, the
//! bytecode table, the logic table, the arithmetic table, the call-context
//! table, the memory read/write table, the storage read/write table and the
//! exponentiation table for
//! the opcodes listed in [`opcode`]. Every other opcode
//! (and any failed transaction) is rejected with an error naming it; nothing
//! is proven with an unconstrained column. The column layouts live next to
//! the row generators so that the prover's constraints and the witness agree
//! on one definition.

pub mod accounting;
pub mod arith;
pub mod boundary;
pub mod bytecode;
pub mod chunk;
pub mod context;
pub mod cpu;
pub mod error;
pub mod exp;
pub mod logic;
pub mod memory;
pub mod opcode;
pub mod range;
pub mod rw;
pub mod stack;
pub mod state;
pub mod storage;
pub mod word;

pub use chunk::{
    account_changes, build_chunks, chunk_witnesses, describe_accounts, describe_storage, storage_changes, ChunkSize,
    ChunkStatement, ChunkWitness, ChunkWitnesses, TxCall,
};
pub use error::WitnessError;
pub use state::PreState;

/// The field every table is written in (Goldilocks).
pub type F = plonky2::field::goldilocks_field::GoldilocksField;

/// Smallest table height (log2): the byte range-check table column needs 256 rows.
pub const MIN_ROWS_LOG: usize = 8;
