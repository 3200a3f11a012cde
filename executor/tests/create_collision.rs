//! EIP-7610: a creation whose target already holds storage (but no code and
//! a zero nonce) collides, at the top level and from a contract's CREATE, on
//! the sequential path and on both parallel engines, traced or not; the same
//! target without storage is created as usual.

mod common;

use executor::input::{BlockInput, PreAccount, Transaction};
use executor::{execute_block, BlockOutput, ExecOptions, ParallelEngine};
use revm::primitives::{address, Address, Bytes, U256};
use std::num::NonZeroUsize;

const CREATOR: Address = address!("1000000000000000000000000000000000000001");
const CALLER: Address = address!("2000000000000000000000000000000000000002");
const FACTORY: Address = address!("4000000000000000000000000000000000000004");
const GAS_LIMIT: u64 = 1_000_000;

/// Init code: SSTORE(0, 42), then STOP (the created account has no code).
const INIT_CODE: [u8; 6] = [0x60, 0x2a, 0x60, 0x00, 0x55, 0x00];

/// The factory's code: CREATE with `INIT_CODE`, and the created address
/// (zero when the creation fails) stored in slot 0.
fn factory_code() -> Bytes {
    let mut code = vec![0x65];
    code.extend_from_slice(&INIT_CODE);
    code.extend_from_slice(&[
        0x60, 0x00, 0x52, // MSTORE(0, init code): its bytes end at offset 32
        0x60, 0x06, 0x60, 0x1a, 0x60, 0x00, 0xf0, // CREATE(0, 26, 6)
        0x60, 0x00, 0x55, // SSTORE(0, created address)
        0x00,
    ]);
    code.into()
}

/// The account a storage-only target holds in the pre-state.
fn storage_only() -> PreAccount {
    PreAccount {
        storage: [(U256::from(1), U256::from(7))].into(),
        ..PreAccount::default()
    }
}

/// A block whose first transaction creates at `CREATOR.create(0)` and whose
/// second calls the factory, which creates at `FACTORY.create(1)`; with
/// `collide`, both targets already hold storage.
fn block(collide: bool) -> BlockInput {
    let funded = PreAccount {
        balance: U256::from(10u64.pow(18)),
        ..PreAccount::default()
    };
    let mut pre_state: std::collections::BTreeMap<Address, PreAccount> = [
        (CREATOR, funded.clone()),
        (CALLER, funded),
        (
            FACTORY,
            PreAccount {
                nonce: 1,
                code: factory_code(),
                ..PreAccount::default()
            },
        ),
    ]
    .into();
    if collide {
        pre_state.insert(CREATOR.create(0), storage_only());
        pre_state.insert(FACTORY.create(1), storage_only());
    }
    let tx = |from, to, input: Bytes| Transaction {
        tx_type: 2,
        from,
        to,
        gas_limit: GAS_LIMIT,
        gas_price: 20,
        max_priority_fee: Some(2),
        input,
        chain_id: Some(1),
        ..Transaction::default()
    };
    BlockInput {
        header: common::cancun_header(),
        transactions: vec![
            tx(CREATOR, None, INIT_CODE.to_vec().into()),
            tx(CALLER, Some(FACTORY), Bytes::new()),
        ],
        pre_state,
        ..BlockInput::default()
    }
}

/// The block run on every path, traced and not; all runs must agree.
fn run_everywhere(input: &BlockInput) -> BlockOutput {
    let mut runs = Vec::new();
    for capture_traces in [false, true] {
        runs.push(execute_block(
            input,
            &ExecOptions {
                sequential: true,
                capture_traces,
                ..ExecOptions::default()
            },
        ));
        for engine in [ParallelEngine::BlockStm, ParallelEngine::Ranges] {
            runs.push(execute_block(
                input,
                &ExecOptions {
                    sequential: false,
                    sequential_fallback: false,
                    threads: NonZeroUsize::new(2).unwrap(),
                    engine: Some(engine),
                    capture_traces,
                    ..ExecOptions::default()
                },
            ));
        }
    }
    let runs: Vec<BlockOutput> = runs.into_iter().map(|r| r.expect("block executes")).collect();
    for run in &runs[1..] {
        assert_eq!(run.post_state, runs[0].post_state);
        assert_eq!(run.receipts_root, runs[0].receipts_root);
        assert_eq!(run.gas_used, runs[0].gas_used);
    }
    runs.into_iter().next().unwrap()
}

#[test]
fn a_creation_at_an_account_with_storage_collides() {
    let out = run_everywhere(&block(true));
    let state = &out.post_state.accounts;
    // The top-level creation fails and burns its whole gas limit; the
    // creator's nonce still moves, and the target keeps its storage untouched.
    assert!(!out.txs[0].success);
    assert_eq!(out.txs[0].gas_used, GAS_LIMIT);
    assert_eq!(state[&CREATOR].nonce, 1);
    let target = &state[&CREATOR.create(0)];
    assert_eq!((target.nonce, target.storage.len()), (0, 1));
    assert_eq!(target.storage[&U256::from(1)], U256::from(7));
    // The factory's CREATE fails inside a successful call: it pushes zero,
    // its nonce moves, and the target is untouched. (The failed creation
    // keeps the 63/64 of the gas it was given: the 1/64 left must cover
    // SSTORE's 2,300-gas sentry, hence the large gas limit.)
    assert!(out.txs[1].success);
    assert!(out.txs[1].gas_used > GAS_LIMIT * 63 / 64 - 40_000);
    assert_eq!(state[&FACTORY].nonce, 2);
    assert_eq!(state[&FACTORY].storage.get(&U256::ZERO), None);
    assert_eq!(state[&FACTORY.create(1)].nonce, 0);
    assert_eq!(state[&FACTORY.create(1)].storage.get(&U256::ZERO), None);
}

#[test]
fn the_same_creations_without_storage_at_the_targets_succeed() {
    let out = run_everywhere(&block(false));
    let state = &out.post_state.accounts;
    assert!(out.txs[0].success);
    assert!(out.txs[0].gas_used < GAS_LIMIT);
    let created = &state[&CREATOR.create(0)];
    assert_eq!((created.nonce, created.storage[&U256::ZERO]), (1, U256::from(42)));
    assert!(out.txs[1].success);
    let inner = FACTORY.create(1);
    assert_eq!(state[&FACTORY].nonce, 2);
    assert_eq!(
        state[&FACTORY].storage[&U256::ZERO],
        U256::from_be_slice(inner.as_slice())
    );
    assert_eq!(state[&inner].storage[&U256::ZERO], U256::from(42));
}
