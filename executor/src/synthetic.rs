//! Generated blocks for benchmarks and stress tests (Cancun rules):
//! independent ETH transfers, ERC-20-style token transfers between distinct
//! pairs, swaps against a few constant-product pools, and a fully dependent
//! chain of transfers from one sender. The contracts are hand-assembled EVM
//! bytecode that keeps balances and reserves in storage.

use crate::input::{BlockHeader, BlockInput, PreAccount, Transaction};
use revm::primitives::hardfork::SpecId;
use revm::primitives::{Address, Bytes, B256, U256};
use std::collections::BTreeMap;

/// Token contract. Calldata: `to` (word 0), `amount` (word 1). Balances live in
/// the slot numbered by the holder's address; reverts when the caller's
/// balance is short.
const TOKEN_CODE: &[u8] = &[
    0x60, 0x20, 0x35, // amount
    0x33, 0x54, // caller balance
    0x81, 0x81, 0x10, 0x60, 0x1a, 0x57, // balance < amount -> revert
    0x81, 0x90, 0x03, 0x33, 0x55, // caller balance -= amount
    0x60, 0x00, 0x35, 0x80, 0x54, 0x82, 0x01, 0x90, 0x55, // to balance += amount
    0x00, // stop
    0x5b, 0x60, 0x00, 0x80, 0xfd, // revert
];

/// Constant-product pool. Calldata: `amount_in` (word 0). Reserves in slots 0
/// and 1; `out = r1 * in / (r0 + in)` is credited to the caller's slot.
const POOL_CODE: &[u8] = &[
    0x60, 0x00, 0x35, // in
    0x60, 0x00, 0x54, 0x60, 0x01, 0x54, // r0, r1
    0x82, 0x81, 0x02, // r1 * in
    0x83, 0x83, 0x01, // r0 + in
    0x90, 0x04, // out
    0x80, 0x82, 0x03, 0x60, 0x01, 0x55, // r1 -= out
    0x33, 0x54, 0x01, 0x33, 0x55, // caller += out
    0x50, 0x01, 0x60, 0x00, 0x55, // r0 += in
    0x00,
];

/// Which synthetic workload to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// Independent ETH transfers between distinct accounts.
    Transfers,
    /// Token transfers between distinct sender/recipient pairs.
    Erc20,
    /// Swaps against a few pools (contended).
    Uniswap,
    /// A chain of transfers from one sender (fully dependent).
    Chain,
}

impl Workload {
    /// All workloads.
    pub const ALL: [Workload; 4] = [Workload::Transfers, Workload::Erc20, Workload::Uniswap, Workload::Chain];

    /// The workload's command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Transfers => "transfers",
            Workload::Erc20 => "erc20",
            Workload::Uniswap => "uniswap",
            Workload::Chain => "chain",
        }
    }

    /// Parses a command-line name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.name() == name)
    }
}

/// Number of pools the swap workload spreads over.
const POOLS: u64 = 4;

fn account(tag: u64, index: u64) -> Address {
    let mut bytes = [0u8; 20];
    bytes[4..12].copy_from_slice(&tag.to_be_bytes());
    bytes[12..].copy_from_slice(&index.to_be_bytes());
    Address::from(bytes)
}

fn word(address: Address) -> [u8; 32] {
    B256::left_padding_from(address.as_slice()).0
}

/// A block of `txs` transactions of `workload`, with its full pre-state.
pub fn block(workload: Workload, txs: usize) -> BlockInput {
    block_with(workload, txs, 1)
}

/// Like [`block`], with senders drawn from the address family `sender_tag`.
fn block_with(workload: Workload, txs: usize, sender_tag: u64) -> BlockInput {
    let ether = U256::from(10u128.pow(18));
    let funded = PreAccount {
        balance: ether * U256::from(1000),
        ..PreAccount::default()
    };
    let mut pre_state = BTreeMap::new();
    let mut transactions = Vec::with_capacity(txs);
    let tx = |from: Address, nonce: u64, to: Address, value: U256, input: Vec<u8>, gas_limit: u64| Transaction {
        tx_type: 2,
        from,
        to: Some(to),
        nonce,
        gas_limit,
        gas_price: 20,
        max_priority_fee: Some(2),
        value,
        input: Bytes::from(input),
        chain_id: Some(1),
        ..Transaction::default()
    };
    let token = account(3, 0);
    let mut token_storage = BTreeMap::new();
    for i in 0..txs as u64 {
        let sender = account(sender_tag, i);
        let recipient = account(2, i);
        match workload {
            Workload::Transfers => {
                pre_state.insert(sender, funded.clone());
                transactions.push(tx(sender, 0, recipient, U256::from(1000 + i), Vec::new(), 21_000));
            }
            Workload::Erc20 => {
                pre_state.insert(sender, funded.clone());
                token_storage.insert(U256::from_be_bytes(word(sender)), U256::from(1_000_000));
                let mut input = word(recipient).to_vec();
                input.extend_from_slice(&U256::from(100 + i).to_be_bytes::<32>());
                transactions.push(tx(sender, 0, token, U256::ZERO, input, 100_000));
            }
            Workload::Uniswap => {
                pre_state.insert(sender, funded.clone());
                let pool = account(4, i % POOLS);
                transactions.push(tx(
                    sender,
                    0,
                    pool,
                    U256::ZERO,
                    U256::from(1000 + i).to_be_bytes::<32>().to_vec(),
                    100_000,
                ));
            }
            Workload::Chain => {
                let only = account(sender_tag, 0);
                pre_state.insert(only, funded.clone());
                transactions.push(tx(only, i, recipient, U256::from(1000 + i), Vec::new(), 21_000));
            }
        }
    }
    match workload {
        Workload::Erc20 => {
            pre_state.insert(
                token,
                PreAccount {
                    balance: U256::ZERO,
                    nonce: 1,
                    code: Bytes::from_static(TOKEN_CODE),
                    storage: token_storage,
                },
            );
        }
        Workload::Uniswap => {
            for p in 0..POOLS {
                let reserves = BTreeMap::from([(U256::ZERO, ether), (U256::from(1), ether)]);
                pre_state.insert(
                    account(4, p),
                    PreAccount {
                        balance: U256::ZERO,
                        nonce: 1,
                        code: Bytes::from_static(POOL_CODE),
                        storage: reserves,
                    },
                );
            }
        }
        _ => {}
    }
    BlockInput {
        header: BlockHeader {
            number: 20_000_000,
            timestamp: 1_720_000_000,
            gas_limit: 100_000 * txs as u64 + 1_000_000,
            beneficiary: account(9, 0),
            base_fee: Some(7),
            difficulty: U256::ZERO,
            prevrandao: Some(B256::ZERO),
            excess_blob_gas: Some(0),
            parent_beacon_block_root: None,
            chain_id: 1,
            fork: Some(SpecId::CANCUN),
            expected: None,
        },
        transactions,
        pre_state,
        ..BlockInput::default()
    }
}

/// The bundled sample block (`data/demo/sample-block.json`): four ETH
/// transfers, four token transfers and four swaps on the pools (storage reads
/// and writes, arithmetic, and a real conflict between swaps).
pub fn sample_block() -> BlockInput {
    let mut out = block_with(Workload::Transfers, 4, 1);
    for (workload, tag) in [(Workload::Erc20, 5), (Workload::Uniswap, 6)] {
        let part = block_with(workload, 4, tag);
        out.pre_state.extend(part.pre_state);
        out.transactions.extend(part.transactions);
    }
    out
}

/// The counter-loop contract: `PUSH2 iterations`, then `iterations` rounds of
/// JUMPDEST, PUSH1 1, SWAP1, SUB, DUP1, PUSH1 3, JUMPI (7 steps, 26 gas),
/// then POP, and adds the rounds to the counter in storage slot 0 (PUSH0,
/// SLOAD, PUSH2 iterations, ADD, PUSH0, SSTORE), STOP: `7 iterations + 9`
/// steps. It runs only opcodes the zkEVM's tables prove.
pub fn counter_loop_code(iterations: u16) -> Bytes {
    let [hi, lo] = iterations.to_be_bytes();
    Bytes::from(vec![
        0x61, hi, lo,   // PUSH2 iterations
        0x5b, // 3: JUMPDEST
        0x60, 0x01, 0x90, 0x03, // PUSH1 1 SWAP1 SUB
        0x80, 0x60, 0x03, 0x57, // DUP1 PUSH1 3 JUMPI
        0x50, // POP
        0x5f, 0x54, 0x61, hi, lo, 0x01, // PUSH0 SLOAD PUSH2 iterations ADD
        0x5f, 0x55, 0x00, // PUSH0 SSTORE STOP
    ])
}

/// The counter loop after a store of 1 at memory offset 2^16 (`PUSH1 1
/// PUSH3 0x010000 MSTORE`: 65,568 bytes of memory; then `PUSH2
/// iterations`, the rounds, POP, STOP: `7 iterations + 6` steps): a long
/// transaction holding more memory than the zkEVM carries across a cut
/// (64 KiB), so it cannot be split across chunks.
pub fn memory_first_loop_code(iterations: u16) -> Bytes {
    let [hi, lo] = iterations.to_be_bytes();
    Bytes::from(vec![
        0x60, 0x01, 0x62, 0x01, 0x00, 0x00, 0x52, // PUSH1 1 PUSH3 0x010000 MSTORE
        0x61, hi, lo,   // PUSH2 iterations
        0x5b, // 10: JUMPDEST
        0x60, 0x01, 0x90, 0x03, // PUSH1 1 SWAP1 SUB
        0x80, 0x60, 0x0a, 0x57, // DUP1 PUSH1 10 JUMPI
        0x50, 0x00, // POP STOP
    ])
}

/// A block of `txs` calls from one sender to the counter-loop contract
/// ([`counter_loop_code`]), for proving demos and benchmarks.
pub fn counter_loop_block(txs: usize, iterations: u16) -> BlockInput {
    let sender = Address::with_last_byte(0xaa);
    let contract = Address::with_last_byte(0x10);
    let gas_per_tx = 130_000 + 26 * u64::from(iterations);
    let pre_state = BTreeMap::from([
        (
            sender,
            PreAccount {
                balance: U256::from(10u64).pow(U256::from(24)),
                ..PreAccount::default()
            },
        ),
        (
            contract,
            PreAccount {
                code: counter_loop_code(iterations),
                ..PreAccount::default()
            },
        ),
    ]);
    BlockInput {
        header: BlockHeader {
            // A Cancun-era number and timestamp: the block runs under Cancun by default.
            number: 20_000_000,
            timestamp: 1_720_000_000,
            gas_limit: (gas_per_tx * txs as u64).max(30_000_000),
            base_fee: Some(7),
            chain_id: 1,
            prevrandao: Some(B256::ZERO),
            excess_blob_gas: Some(0),
            parent_beacon_block_root: Some(B256::ZERO),
            ..BlockHeader::default()
        },
        transactions: (0..txs as u64)
            .map(|nonce| Transaction {
                tx_type: 2,
                from: sender,
                to: Some(contract),
                nonce,
                gas_limit: gas_per_tx,
                gas_price: 10,
                chain_id: Some(1),
                ..Transaction::default()
            })
            .collect(),
        pre_state,
        ..BlockInput::default()
    }
}

/// `blocks` consecutive blocks of `txs` counter-loop calls each, the first
/// [`counter_loop_block`], each later one on the state its parent left
/// (its pre-state is the parent's whole post-state) with the sender's next
/// nonces: a batch for proving demos and tests.
pub fn counter_loop_chain(blocks: usize, txs: usize, iterations: u16) -> Vec<BlockInput> {
    let mut chain = vec![counter_loop_block(txs, iterations)];
    while chain.len() < blocks {
        let parent = &chain[chain.len() - 1];
        let output = crate::execute_block(parent, &crate::ExecOptions::default())
            .expect("a generated counter-loop block executes");
        let mut next = parent.clone();
        next.header.number += 1;
        next.header.timestamp += 12;
        for tx in &mut next.transactions {
            tx.nonce += txs as u64;
        }
        next.pre_state = output.post_state.to_pre_state();
        chain.push(next);
    }
    chain
}
