//! Which rules a block runs under: the fork its header names (a rollup's
//! block numbers are its own), else mainnet's schedule; forks after the last
//! one the executor runs are refused with the reason; a misspelt fork is
//! refused at load, naming the field.

use executor::codec::{from_bincode, from_json_str, to_bincode};
use executor::input::{BlockHeader, BlockInput, PreAccount, Transaction};
use executor::{execute_block, ExecError, ExecOptions};
use revm::primitives::hardfork::SpecId;
use revm::primitives::{address, Address, B256, U256};
use std::path::Path;

const SENDER: Address = address!("1000000000000000000000000000000000000001");

/// A rollup's first block: number 1, an EIP-1559 transfer, under `fork`.
fn rollup_block(fork: Option<SpecId>) -> BlockInput {
    BlockInput {
        header: BlockHeader {
            number: 1,
            timestamp: 1_000,
            gas_limit: 30_000_000,
            beneficiary: address!("3000000000000000000000000000000000000003"),
            base_fee: Some(7),
            prevrandao: Some(B256::ZERO),
            excess_blob_gas: Some(0),
            chain_id: 679,
            fork,
            ..BlockHeader::default()
        },
        transactions: vec![Transaction {
            tx_type: 2,
            from: SENDER,
            to: Some(address!("2000000000000000000000000000000000000002")),
            gas_limit: 21_000,
            gas_price: 10,
            max_priority_fee: Some(1),
            value: U256::from(5),
            chain_id: Some(679),
            ..Transaction::default()
        }],
        pre_state: [(
            SENDER,
            PreAccount {
                balance: U256::from(10u64.pow(18)),
                ..PreAccount::default()
            },
        )]
        .into(),
        ..BlockInput::default()
    }
}

#[test]
fn a_rollup_block_runs_under_the_fork_its_header_names() {
    let out = execute_block(&rollup_block(Some(SpecId::CANCUN)), &ExecOptions::default()).expect("runs under Cancun");
    assert_eq!(out.spec, SpecId::CANCUN);
    assert!(out.txs[0].success);
    // Without a fork, mainnet's schedule puts block 1 under Frontier, where
    // an EIP-1559 transaction is invalid.
    match execute_block(&rollup_block(None), &ExecOptions::default()) {
        Err(ExecError::InvalidTransaction { index: 0, reason }) => assert!(
            reason.contains("Eip1559")
                && reason.contains("under Frontier, mainnet's schedule")
                && reason.contains("header.fork"),
            "{reason}"
        ),
        other => panic!(
            "expected the transaction refused under Frontier, got {:?}",
            other.map(|o| o.spec)
        ),
    }
}

#[test]
fn forks_after_the_last_executed_one_are_refused_with_the_reason() {
    let named = execute_block(&rollup_block(Some(SpecId::PRAGUE)), &ExecOptions::default())
        .expect_err("Prague is refused")
        .to_string();
    assert!(
        named.contains("block 1 runs under Prague (its header's fork)") && named.contains("up to Cancun"),
        "{named}"
    );
    // A mainnet block after Prague's activation, with no fork named.
    let mut mainnet = rollup_block(None);
    mainnet.header.number = 23_000_000;
    mainnet.header.timestamp = 1_750_000_000;
    let scheduled = execute_block(&mainnet, &ExecOptions::default())
        .expect_err("Prague is refused")
        .to_string();
    assert!(
        scheduled.contains("runs under Prague (mainnet's schedule"),
        "{scheduled}"
    );
    // The same block named Cancun runs.
    mainnet.header.fork = Some(SpecId::CANCUN);
    assert!(execute_block(&mainnet, &ExecOptions::default()).is_ok());
}

#[test]
fn the_fork_round_trips_by_name_and_a_misspelt_one_is_refused_at_load() {
    let block = rollup_block(Some(SpecId::CANCUN));
    let json = serde_json::to_string(&block).expect("json");
    assert!(json.contains(r#""fork":"Cancun""#), "{json}");
    let back: BlockInput = from_json_str(&json, Path::new("block.json")).expect("reads back");
    assert_eq!(back, block);
    let from_bin: BlockInput =
        from_bincode(&to_bincode(&block), Path::new("block.bin"), "BlockInput").expect("bincode");
    assert_eq!(from_bin, block);
    // Files that leave the fork out follow mainnet's schedule.
    let without = json.replace(r#""fork":"Cancun","#, "");
    let back: BlockInput = from_json_str(&without, Path::new("block.json")).expect("no fork");
    assert_eq!(back.header.fork, None);

    let misspelt = json.replace(r#""fork":"Cancun""#, r#""fork":"cancun""#);
    let err = from_json_str::<BlockInput>(&misspelt, Path::new("l2/block-1.json"))
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("l2/block-1.json") && err.contains("header.fork") && err.contains("expected one of Frontier"),
        "{err}"
    );
}
