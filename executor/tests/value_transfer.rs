//! revm executes a value transfer: balances, nonces and the fee are right,
//! traces record it, and an overdrawn transfer is rejected.

mod common;

use executor::input::{BlockInput, PreAccount, Transaction};
use executor::trace::AccountField;
use executor::{execute_block, ExecError, ExecOptions};
use revm::primitives::{address, U256};

fn transfer_block(value: U256) -> BlockInput {
    let from = address!("1000000000000000000000000000000000000001");
    let to = address!("2000000000000000000000000000000000000002");
    BlockInput {
        header: common::cancun_header(),
        transactions: vec![Transaction {
            tx_type: 2,
            from,
            to: Some(to),
            gas_limit: 21_000,
            gas_price: 15,
            max_priority_fee: Some(3),
            value,
            chain_id: Some(1),
            ..Transaction::default()
        }],
        pre_state: [(
            from,
            PreAccount {
                balance: U256::from(1_000_000_000u64),
                ..PreAccount::default()
            },
        )]
        .into(),
        ..BlockInput::default()
    }
}

#[test]
fn transfer_moves_value_and_pays_fees() {
    let input = transfer_block(U256::from(5_000));
    for sequential in [true, false] {
        let options = ExecOptions {
            sequential,
            sequential_fallback: false,
            capture_traces: true,
            ..ExecOptions::default()
        };
        let out = execute_block(&input, &options).expect("valid transfer");
        let from = &out.post_state.accounts[&input.transactions[0].from];
        let to = &out.post_state.accounts[&input.transactions[0].to.unwrap()];
        let coinbase = &out.post_state.accounts[&input.header.beneficiary];
        // price = min(15, 10 + 3) = 13; 21000 gas
        assert_eq!(from.balance, U256::from(1_000_000_000u64 - 5_000 - 21_000 * 13));
        assert_eq!(from.nonce, 1);
        assert_eq!(to.balance, U256::from(5_000));
        assert_eq!(coinbase.balance, U256::from(21_000 * 3));
        assert_eq!(out.gas_used, 21_000);
        let trace = &out.traces.as_ref().expect("traces requested").txs[0];
        assert!(
            trace.steps.is_empty(),
            "a transfer to an account without code runs no instruction"
        );
        assert!(trace
            .tx_account_ops
            .iter()
            .any(|op| op.field == AccountField::Nonce && op.new == U256::from(1)));
        assert!(trace
            .tx_account_ops
            .iter()
            .any(|op| op.address == input.header.beneficiary
                && op.field == AccountField::Balance
                && op.new == U256::from(21_000 * 3)));
    }
}

#[test]
fn overdrawn_transfer_is_rejected() {
    let input = transfer_block(U256::from(2_000_000_000u64));
    for sequential in [true, false] {
        let options = ExecOptions {
            sequential,
            sequential_fallback: false,
            ..ExecOptions::default()
        };
        let err = execute_block(&input, &options).expect_err("sender cannot pay");
        assert!(matches!(err, ExecError::InvalidTransaction { index: 0, .. }), "{err}");
    }
}
