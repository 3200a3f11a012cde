//! zkr's own block format: a block header (the execution environment), its
//! transactions with recovered senders, and the pre-state of every account the
//! block touches.
//!
//! The same types load from the ethereum/tests fixtures and the mainnet block
//! dumps (see [`crate::fixtures`]) and round-trip through JSON and bincode (see
//! [`crate::codec`]). In JSON, quantities of 256 bits and byte strings are hex
//! strings (`"0x.."`), 64-bit quantities are numbers. An example:
//!
//! ```json
//! { "header": { "number": 1, "timestamp": 1000, "gas_limit": 30000000,
//!               "beneficiary": "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba",
//!               "base_fee": 7, "difficulty": "0x0", "prevrandao": "0x00..00",
//!               "excess_blob_gas": 0, "parent_beacon_block_root": null,
//!               "chain_id": 1, "fork": "Cancun", "expected": null },
//!   "transactions": [ { "tx_type": 2, "from": "0x..", "to": "0x..", "nonce": 0,
//!                       "gas_limit": 21000, "gas_price": 10, "max_priority_fee": 1,
//!                       "value": "0x1", "input": "0x", "access_list": [],
//!                       "blob_hashes": [], "max_fee_per_blob_gas": 0 } ],
//!   "pre_state": { "0x..": { "balance": "0xde0b6b3a7640000", "nonce": 0,
//!                            "code": "0x", "storage": {} } },
//!   "block_hashes": {}, "withdrawals": [], "ommers": [] }
//! ```

use revm::primitives::hardfork::SpecId;
use revm::primitives::{Address, Bytes, B256, U256};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A block ready to execute: environment, transactions, and pre-state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockInput {
    /// The block environment.
    pub header: BlockHeader,
    /// Transactions in block order, senders already recovered.
    pub transactions: Vec<Transaction>,
    /// Every account the block may touch, before the block.
    pub pre_state: BTreeMap<Address, PreAccount>,
    /// Hashes of earlier blocks, by number, for the BLOCKHASH opcode.
    #[serde(default)]
    pub block_hashes: BTreeMap<u64, B256>,
    /// Withdrawals credited after the transactions (Shanghai and later).
    #[serde(default)]
    pub withdrawals: Vec<Withdrawal>,
    /// Ommer (uncle) headers' numbers and beneficiaries, for pre-merge block rewards.
    #[serde(default)]
    pub ommers: Vec<Ommer>,
}

/// The header fields execution depends on, plus the values to check against.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockHeader {
    /// Block number.
    pub number: u64,
    /// Unix timestamp in seconds.
    pub timestamp: u64,
    /// Block gas limit.
    pub gas_limit: u64,
    /// Fee recipient (coinbase).
    pub beneficiary: Address,
    /// EIP-1559 base fee per gas; `None` before London.
    pub base_fee: Option<u64>,
    /// Proof-of-work difficulty (zero after the merge).
    pub difficulty: U256,
    /// PREVRANDAO (the mix hash) after the merge; `None` before it.
    pub prevrandao: Option<B256>,
    /// EIP-4844 excess blob gas; `None` before Cancun.
    pub excess_blob_gas: Option<u64>,
    /// EIP-4788 parent beacon block root; `None` before Cancun.
    pub parent_beacon_block_root: Option<B256>,
    /// Chain id transactions are signed for.
    pub chain_id: u64,
    /// The fork whose rules the block runs under, by name (`"Cancun"`,
    /// [`crate::fork::FORK_NAMES`]). Absent, the block follows mainnet's
    /// schedule by its number and timestamp (what mainnet dumps and the
    /// test fixtures want); a rollup's blocks, whose numbers are their own,
    /// name theirs.
    #[serde(default, with = "crate::fork::fork_name")]
    pub fork: Option<SpecId>,
    /// What the header claims the block produces, when known.
    pub expected: Option<ExpectedResults>,
}

/// Header commitments to compare execution results with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpectedResults {
    /// Total gas used by the block.
    pub gas_used: u64,
    /// Root of the receipts trie.
    pub receipts_root: B256,
    /// 2048-bit logs bloom.
    pub logs_bloom: Bytes,
    /// Post-state MPT root (only checkable when the pre-state is complete).
    pub state_root: Option<B256>,
}

/// A transaction with its sender already recovered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// EIP-2718 type: 0 legacy, 1 access list, 2 dynamic fee, 3 blob.
    pub tx_type: u8,
    /// Sender.
    pub from: Address,
    /// Callee; `None` creates a contract.
    pub to: Option<Address>,
    /// Sender nonce.
    pub nonce: u64,
    /// Gas limit.
    pub gas_limit: u64,
    /// Gas price (types 0 and 1) or max fee per gas (types 2 and 3).
    pub gas_price: u128,
    /// Max priority fee per gas (types 2 and 3).
    pub max_priority_fee: Option<u128>,
    /// Wei transferred.
    pub value: U256,
    /// Call data or init code.
    pub input: Bytes,
    /// EIP-2930 access list.
    #[serde(default)]
    pub access_list: Vec<AccessListItem>,
    /// EIP-4844 blob versioned hashes.
    #[serde(default)]
    pub blob_hashes: Vec<B256>,
    /// EIP-4844 max fee per blob gas.
    #[serde(default)]
    pub max_fee_per_blob_gas: u128,
    /// Chain id the transaction is signed for (`None` for pre-EIP-155 legacy).
    #[serde(default)]
    pub chain_id: Option<u64>,
}

/// One EIP-2930 access list entry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessListItem {
    /// Pre-warmed account.
    pub address: Address,
    /// Pre-warmed storage slots of that account.
    pub storage_keys: Vec<B256>,
}

/// An account before the block.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreAccount {
    /// Balance in wei.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// Bytecode (empty for externally owned accounts).
    #[serde(default)]
    pub code: Bytes,
    /// Non-zero storage slots.
    #[serde(default)]
    pub storage: BTreeMap<U256, U256>,
}

/// An EIP-4895 withdrawal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    /// Recipient.
    pub address: Address,
    /// Amount in gwei.
    pub amount_gwei: u64,
}

/// An ommer (uncle) header's reward-relevant fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ommer {
    /// The ommer's block number.
    pub number: u64,
    /// The ommer's beneficiary.
    pub beneficiary: Address,
}
