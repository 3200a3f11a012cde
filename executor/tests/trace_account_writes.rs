//! Traces record the account writes of the CALL and CREATE families on the
//! step that opens the frame, and none for a call the caller cannot pay for.

mod common;

use executor::input::{BlockInput, PreAccount, Transaction};
use executor::trace::{AccountAccess, AccountField, Step};
use executor::{execute_block, ExecOptions};
use revm::bytecode::opcode;
use revm::primitives::{address, keccak256, Address, Bytes, KECCAK_EMPTY, U256};

const SENDER: Address = address!("1000000000000000000000000000000000000001");
const CONTRACT: Address = address!("c000000000000000000000000000000000000001");
const RECIPIENT: Address = address!("2000000000000000000000000000000000000002");

/// Code that sends 7 wei to RECIPIENT, tries to send 5000 wei (more than it
/// holds), then creates a contract with 5 wei whose runtime code is one zero byte.
fn contract_code() -> Bytes {
    let mut code = Vec::new();
    for value in [7u16, 5000] {
        // CALL(gas, RECIPIENT, value, 0, 0, 0, 0), result popped.
        code.extend([0x60, 0, 0x60, 0, 0x60, 0, 0x60, 0, 0x61]);
        code.extend(value.to_be_bytes());
        code.push(0x73);
        code.extend(RECIPIENT.as_slice());
        code.extend([opcode::GAS, opcode::CALL, opcode::POP]);
    }
    // Init code PUSH1 1 PUSH1 0 RETURN, stored at memory[27..32].
    code.extend([0x64, 0x60, 0x01, 0x60, 0x00, 0xf3, 0x60, 0, opcode::MSTORE]);
    // CREATE(value 5, offset 27, size 5), result popped.
    code.extend([0x60, 5, 0x60, 27, 0x60, 5, opcode::CREATE, opcode::POP, opcode::STOP]);
    code.into()
}

fn block() -> BlockInput {
    BlockInput {
        header: common::cancun_header(),
        transactions: vec![Transaction {
            tx_type: 2,
            from: SENDER,
            to: Some(CONTRACT),
            gas_limit: 500_000,
            gas_price: 15,
            max_priority_fee: Some(3),
            chain_id: Some(1),
            ..Transaction::default()
        }],
        pre_state: [
            (
                SENDER,
                PreAccount {
                    balance: U256::from(10u64.pow(18)),
                    ..PreAccount::default()
                },
            ),
            (
                CONTRACT,
                PreAccount {
                    balance: U256::from(1_000),
                    nonce: 1,
                    code: contract_code(),
                    ..PreAccount::default()
                },
            ),
        ]
        .into(),
        ..BlockInput::default()
    }
}

fn writes(step: &Step) -> Vec<(Address, AccountField, U256, U256)> {
    step.accounts
        .iter()
        .filter(|a: &&AccountAccess| a.write)
        .map(|a| (a.address, a.field, a.old, a.new))
        .collect()
}

#[test]
fn call_and_create_record_their_account_writes() {
    let created = CONTRACT.create(1);
    let runtime_hash = keccak256([0u8]);
    for sequential in [true, false] {
        let options = ExecOptions {
            sequential,
            sequential_fallback: false,
            capture_traces: true,
            ..ExecOptions::default()
        };
        let out = execute_block(&block(), &options).expect("block executes");
        assert!(out.txs[0].success);
        let trace = &out.traces.as_ref().expect("traces requested").txs[0];
        let of = |op: u8| -> Vec<&Step> { trace.steps.iter().filter(|s| s.opcode == op).collect() };
        let calls = of(opcode::CALL);
        assert_eq!(calls.len(), 2);
        let u = |v: u64| U256::from(v);
        assert_eq!(
            writes(calls[0]),
            vec![
                (CONTRACT, AccountField::Balance, u(1_000), u(993)),
                (RECIPIENT, AccountField::Balance, u(0), u(7)),
            ]
        );
        assert_eq!(
            writes(calls[1]),
            vec![],
            "a call the caller cannot pay for moves nothing"
        );
        let creates = of(opcode::CREATE);
        assert_eq!(creates.len(), 1);
        assert_eq!(
            writes(creates[0]),
            vec![
                (CONTRACT, AccountField::Nonce, u(1), u(2)),
                (CONTRACT, AccountField::Balance, u(993), u(988)),
                (created, AccountField::Nonce, u(0), u(1)),
                (created, AccountField::Balance, u(0), u(5)),
                (
                    created,
                    AccountField::CodeHash,
                    U256::from_be_bytes(KECCAK_EMPTY.0),
                    U256::from_be_bytes(runtime_hash.0)
                ),
            ]
        );
        let post = &out.post_state.accounts;
        assert_eq!(post[&created].balance, u(5));
        assert_eq!(post[&created].code_hash, runtime_hash);
        assert_eq!(post[&RECIPIENT].balance, u(7));
    }
}
