//! The pipeline's first stage: executes a block of Ethereum transactions on
//! revm and reports exactly what the chain would (receipts, logs, gas, state
//! diff, Ethereum MPT roots). It owns the block and pre-state input types and
//! their loaders (ethereum/tests fixtures, mainnet block dumps, zkr's own
//! format), a sequential reference path, a parallel path (Block-STM, or
//! optimistic ranges: [`ParallelEngine`]) whose results must equal the
//! sequential ones, and the execution-trace capture
//! ([`trace`]) that the witness generator turns into circuit rows.
//!
//! Entry point: [`execute_block`] with [`ExecOptions`]; it returns a
//! [`BlockOutput`] whose `traces` field holds a [`trace::BlockTrace`] when
//! `capture_traces` is set.
//!
//! # Trace format
//! A [`trace::BlockTrace`] has one [`trace::TxTrace`] per transaction in
//! block order, recorded during the transaction's final execution (on the
//! parallel path: the execution that passed validation). Each
//! [`trace::Step`] is one interpreted instruction (see [`tracer`] for exactly
//! which memory, storage and account accesses a step carries); call frames
//! are numbered in order of entry and `context_id` names the frame a step ran
//! in; `tx_account_ops` are the transaction's net account-field changes (nonce
//! increment, gas purchase and refund, value transfers, beneficiary fee) as
//! (old, new) pairs. Traces serialise with bincode 2 (standard configuration,
//! serde) through [`codec::encode_traces`] / [`codec::decode_traces`], and
//! with JSON through serde.

mod block;
pub mod chain;
pub mod codec;
pub mod collision;
mod evm;
pub mod fixtures;
pub mod fork;
pub mod input;
mod parallel;
pub mod roots;
mod sequential;
pub mod state;
pub mod synthetic;
pub mod trace;
pub mod tracer;
pub mod trie;

pub use block::{execute_block, BlockOutput, ExecError, ExecOptions, ForkSource, ParallelEngine, TxOutcome};
pub use input::BlockInput;
