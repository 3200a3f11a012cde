//! End-to-end chunk proofs of hand-written programs, and negative tests that
//! corrupt one witness cell per table and show that proving or verification fails.

use executor::input::PreAccount;
use executor::trace::{AccountAccess, AccountField, BlockTrace, Step, TxTrace};
use plonky2::field::types::{Field, PrimeField64};
use plonky2::hash::hash_types::HashOut;
use prover::zkevm::{prove_chunk, verify_chunk, verify_chunk_sequence, ChunkProof, ZkevmError};
use revm::primitives::{Address, Bytes, B256, I256, U256};
use std::collections::BTreeMap;
use witness::chunk::{intrinsic_gas, rebuild_chunk};
use witness::opcode::{decode, env, memory_cost, Family};
use witness::state::{StateTree, StateWitness, ACCOUNT, STORAGE};
use witness::{build_chunks, chunk_witnesses, ChunkWitness, PreState, WitnessError, F};

/// Sender of every test transaction.
const SENDER: Address = Address::with_last_byte(0xaa);
/// Value every test transaction sends.
const VALUE: u64 = 7;
/// Call data of every test transaction.
const CALLDATA: [u8; 3] = [1, 2, 3];
/// Gas every test program starts with.
const START_GAS: u64 = 100_000;
/// An account without code that the executor's blocks hold.
const PAYEE: Address = Address::with_last_byte(0xbb);
/// The sender's balance before the test programs' block.
const SENDER_BALANCE: u64 = 1_000_000;

/// Runs `code` with a minimal interpreter for the proven opcodes and records the steps
/// (pc, opcode, gas) the executor would record.
fn run(code: &[u8], tx_index: u32) -> TxTrace {
    let mut stack: Vec<U256> = Vec::new();
    let mut memory: Vec<u8> = Vec::new();
    let mut steps = Vec::new();
    let (mut pc, mut gas) = (0usize, START_GAS);
    loop {
        let op = code.get(pc).copied().unwrap_or(0);
        let (family, n) = decode(op).expect("test programs use proven opcodes");
        steps.push(Step {
            pc: pc as u64,
            opcode: op,
            gas,
            gas_cost: family.gas(),
            ..Default::default()
        });
        gas -= family.gas();
        let mut next = pc + 1;
        match family {
            Family::Stop => break,
            Family::Return => {
                stack.truncate(stack.len() - 2);
                break;
            }
            Family::Push0 => stack.push(U256::ZERO),
            Family::Push => {
                let mut imm = [0u8; 32];
                for k in 0..n as usize {
                    imm[32 - n as usize + k] = code.get(pc + 1 + k).copied().unwrap_or(0);
                }
                stack.push(U256::from_be_bytes(imm));
                next = pc + 1 + n as usize;
            }
            Family::Pop => {
                stack.pop();
            }
            Family::Dup => stack.push(stack[stack.len() - n as usize]),
            Family::Swap => {
                let l = stack.len();
                stack.swap(l - 1, l - 1 - n as usize);
            }
            Family::Pc => stack.push(U256::from(pc)),
            Family::Env => stack.push(match n {
                env::ADDRESS => U256::from_be_slice(contract(tx_index).as_slice()),
                env::CALLER => U256::from_be_slice(SENDER.as_slice()),
                env::CALLVALUE => U256::from(VALUE),
                _ => U256::from(CALLDATA.len()),
            }),
            Family::Jumpdest => {}
            Family::Msize => stack.push(U256::from(memory.len())),
            Family::Gas => stack.push(U256::from(gas)),
            Family::CallDataLoad => {
                let offset = usize::try_from(stack.pop().unwrap()).ok();
                let word: [u8; 32] = std::array::from_fn(|k| {
                    offset
                        .and_then(|o| o.checked_add(k))
                        .and_then(|i| CALLDATA.get(i).copied())
                        .unwrap_or(0)
                });
                stack.push(U256::from_be_bytes(word));
            }
            Family::Mload | Family::Mstore | Family::Mstore8 => {
                let offset = stack.pop().unwrap().to::<usize>();
                let len = if family == Family::Mstore8 { 1 } else { 32 };
                let (words, need) = (memory.len() as u64 / 32, (offset + len).div_ceil(32) as u64);
                if need > words {
                    let expansion = memory_cost(need) - memory_cost(words);
                    gas -= expansion;
                    steps.last_mut().unwrap().gas_cost += expansion;
                    memory.resize(32 * need as usize, 0);
                }
                match family {
                    Family::Mload => stack.push(U256::from_be_slice(&memory[offset..offset + 32])),
                    Family::Mstore => {
                        memory[offset..offset + 32].copy_from_slice(&stack.pop().unwrap().to_be_bytes::<32>())
                    }
                    _ => memory[offset] = stack.pop().unwrap().to_le_bytes::<32>()[0],
                }
            }
            Family::Jump => next = stack.pop().unwrap().to::<usize>(),
            Family::Jumpi => {
                let (dest, cond) = (stack.pop().unwrap(), stack.pop().unwrap());
                if !cond.is_zero() {
                    next = dest.to::<usize>();
                }
            }
            Family::IsZero => {
                let a = stack.pop().unwrap();
                stack.push(U256::from(a.is_zero()));
            }
            Family::Not => {
                let a = stack.pop().unwrap();
                stack.push(!a);
            }
            Family::Exp => {
                let (base, exponent) = (stack.pop().unwrap(), stack.pop().unwrap());
                let dynamic = 50 * exponent.bit_len().div_ceil(8) as u64;
                gas -= dynamic;
                steps.last_mut().unwrap().gas_cost += dynamic;
                stack.push(base.wrapping_pow(exponent));
            }
            Family::Addmod | Family::Mulmod => {
                let (a, b, m) = (stack.pop().unwrap(), stack.pop().unwrap(), stack.pop().unwrap());
                stack.push(if family == Family::Addmod {
                    a.add_mod(b, m)
                } else {
                    a.mul_mod(b, m)
                });
            }
            _ => {
                let (a, b) = (stack.pop().unwrap(), stack.pop().unwrap());
                let signed = |x: U256| x ^ (U256::from(1u8) << 255);
                stack.push(match family {
                    Family::Add => a.wrapping_add(b),
                    Family::Sub => a.wrapping_sub(b),
                    Family::Lt => U256::from(a < b),
                    Family::Gt => U256::from(a > b),
                    Family::Slt => U256::from(signed(a) < signed(b)),
                    Family::Sgt => U256::from(signed(a) > signed(b)),
                    Family::And => a & b,
                    Family::Or => a | b,
                    Family::Xor => a ^ b,
                    Family::Mul => a.wrapping_mul(b),
                    Family::Div => a.checked_div(b).unwrap_or_default(),
                    Family::Mod => a.checked_rem(b).unwrap_or_default(),
                    Family::Shl => usize::try_from(a)
                        .ok()
                        .filter(|&s| s < 256)
                        .map_or(U256::ZERO, |s| b << s),
                    Family::Shr => usize::try_from(a)
                        .ok()
                        .filter(|&s| s < 256)
                        .map_or(U256::ZERO, |s| b >> s),
                    Family::Byte => usize::try_from(a)
                        .ok()
                        .filter(|&i| i < 32)
                        .map_or(U256::ZERO, |i| U256::from(b.byte(31 - i))),
                    Family::Sdiv if b.is_zero() => U256::ZERO,
                    Family::Sdiv => I256::from_raw(a).wrapping_div(I256::from_raw(b)).into_raw(),
                    Family::Smod if b.is_zero() => U256::ZERO,
                    Family::Smod => I256::from_raw(a).wrapping_rem(I256::from_raw(b)).into_raw(),
                    Family::Sar => I256::from_raw(b)
                        .asr(usize::try_from(a).unwrap_or(255).min(255))
                        .into_raw(),
                    Family::SignExtend => usize::try_from(a).ok().filter(|&i| i < 31).map_or(b, |i| {
                        let sign = 8 * i + 7;
                        let mask = (U256::from(1u8) << (sign + 1)) - U256::from(1u8);
                        if b.bit(sign) {
                            b | !mask
                        } else {
                            b & mask
                        }
                    }),
                    _ => U256::from(a == b),
                });
            }
        }
        pc = next;
    }
    TxTrace {
        tx_index,
        from: SENDER,
        to: Some(contract(tx_index)),
        value: U256::from(VALUE),
        input: Bytes::from(CALLDATA.to_vec()),
        gas_limit: START_GAS + intrinsic_gas(&CALLDATA),
        gas_used: START_GAS + intrinsic_gas(&CALLDATA) - gas,
        nonce: tx_index.into(),
        tx_account_ops: value_transfer(tx_index),
        success: true,
        steps,
        ..Default::default()
    }
}

/// What the executor records for transaction `i` of a block of test programs
/// (free gas, each transaction sending [`VALUE`] wei from [`SENDER`] to its
/// own contract): the sender's nonce and balance and the contract's balance.
fn value_transfer(i: u32) -> Vec<AccountAccess> {
    let (i, value) = (u64::from(i), U256::from(VALUE));
    let sender = U256::from(SENDER_BALANCE) - value * U256::from(i);
    let write = |address, field, old, new| AccountAccess {
        write: true,
        address,
        field,
        old,
        new,
    };
    vec![
        write(SENDER, AccountField::Nonce, U256::from(i), U256::from(i + 1)),
        write(SENDER, AccountField::Balance, sender, sender - value),
        write(contract(i as u32), AccountField::Balance, U256::ZERO, value),
    ]
}

fn contract(i: u32) -> Address {
    Address::with_last_byte(0x10 + i as u8)
}

/// Every proven opcode family: arithmetic with wrap-around, unsigned and signed comparisons
/// (both outcomes, equal operands, both signs), bitwise ops, the call context, DUP/SWAP, both
/// JUMPI outcomes, PUSH32.
fn all_ops_program() -> Vec<u8> {
    let mut c = vec![
        0x60, 0x03, 0x60, 0x04, 0x01, // PUSH1 3 PUSH1 4 ADD -> 7
        0x60, 0x07, 0x14, // PUSH1 7 EQ -> 1
        0x5f, 0x03, // PUSH0 SUB -> 0 - 1 = 2^256 - 1
        0x60, 0x01, 0x01, // PUSH1 1 ADD -> 0 (carry out)
        0x15, // ISZERO -> 1
        0x60, 0x05, 0x60, 0x09, 0x10, // PUSH1 5 PUSH1 9 LT -> 9 < 5 = 0
        0x60, 0x05, 0x60, 0x09, 0x11, // GT -> 1
        0x60, 0xf0, 0x60, 0x3c, 0x16, // AND -> 0x30
        0x60, 0x0f, 0x17, // OR -> 0x3f
        0x5f, 0x19, 0x18, // PUSH0 NOT XOR -> (2^256 - 1) ^ 0x3f, negative
        0x60, 0x01, 0x81, 0x12, // PUSH1 1 DUP2 SLT: negative < 1 -> 1
        0x5f, 0x19, 0x60, 0x02, 0x13, // PUSH0 NOT PUSH1 2 SGT: 2 > -1 -> 1
        0x60, 0x05, 0x60, 0x09, 0x12, // SLT: 9 < 5 -> 0
        0x60, 0x05, 0x60, 0x09, 0x13, // SGT: 9 > 5 -> 1
        0x80, 0x13, // DUP1 SGT: 1 > 1 -> 0
        0x5f, 0x19, 0x5f, 0x19, 0x60, 0x01, 0x90, 0x03, // -1 -1 1 SWAP1 SUB: -1 - 1 = -2
        0x12, 0x50, // SLT: -2 < -1 -> 1, POP
        0x50, 0x50, 0x50, 0x50, 0x50, // back to the stack before AND
        0x30, 0x33, 0x34, 0x36, 0x50, 0x50, 0x50, 0x50, // ADDRESS CALLER CALLVALUE CALLDATASIZE, POP x4
        0x81, 0x91, 0x50, 0x50, // DUP2 SWAP2 POP POP
        0x58, 0x50, // PC POP
        0x7f, // PUSH32
    ];
    c.extend((1..=32u8).collect::<Vec<_>>());
    c.extend([0x50, 0x60, 0x00, 0x60, 0x30, 0x57]); // POP PUSH1 0 PUSH1 0x30 JUMPI (not taken)
    let dest = c.len() as u8 + 6;
    c.extend([0x60, 0x01, 0x60, dest, 0x57]); // PUSH1 1 PUSH1 dest JUMPI (taken)
    c.extend([0x00]); // skipped STOP
    assert_eq!(c.len() as u8, dest);
    c.extend([0x5b, 0x60, dest + 7, 0x56, 0x00, 0x00, 0x00, 0x5b, 0x50, 0x00]); // JUMPDEST PUSH1 JUMP .. JUMPDEST POP STOP
    c
}

/// Memory traffic: MSTORE, unaligned MLOAD, MSTORE8 into a word written before,
/// reads of never-written bytes (zero), MSIZE before and after, and expansions by
/// one word, by several words, and far enough that the quadratic cost term is
/// non-zero; and an access inside memory that expands nothing. Then call data:
/// CALLDATALOAD from its start, across its end, past it, at 2^24 - 1 and at 2^32;
/// and GAS; it ends with RETURN.
fn memory_program() -> Vec<u8> {
    let mut c = vec![
        0x59, 0x50, // MSIZE POP: 0
        0x60, 0x2a, 0x5f, 0x52, // PUSH1 42 PUSH0 MSTORE: memory[31] = 42, one word
        0x60, 0x01, 0x51, // PUSH1 1 MLOAD: 42 << 8, expands to two words
        0x59, // MSIZE: 64
        0x7f, // PUSH32 0x01..0x20
    ];
    c.extend(1..=32u8);
    c.extend([
        0x61, 0x01, 0x00, 0x52, // PUSH2 0x100 MSTORE: nine words
        0x60, 0xff, 0x61, 0x01, 0x10, 0x53, // PUSH1 0xff PUSH2 0x110 MSTORE8: inside memory
        0x61, 0x01, 0x08, 0x51, // PUSH2 0x108 MLOAD: bytes 0x09.. with 0xff in the middle
        0x60, 0x05, 0x51, // PUSH1 5 MLOAD: no expansion
        0x62, 0x01, 0x00, 0x00, 0x53, // PUSH3 0x10000 MSTORE8 (of the low byte just loaded): 2049 words
        0x59, // MSIZE
        0x5f, 0x35, // PUSH0 CALLDATALOAD: 0x010203 followed by zeros
        0x60, 0x02, 0x35, // PUSH1 2 CALLDATALOAD: 0x03 followed by zeros
        0x60, 0x64, 0x35, // PUSH1 100 CALLDATALOAD: 0
        0x62, 0xff, 0xff, 0xff, 0x35, // PUSH3 2^24 - 1 CALLDATALOAD: 0 (read from the table)
        0x64, 0x01, 0x00, 0x00, 0x00, 0x00, 0x35, // PUSH5 2^32 CALLDATALOAD: 0 (RES = 0)
        0x5a, // GAS
        0x50, 0x50, 0x50, 0x50, 0x50, 0x50, 0x50, 0x50, // POP x8
        0xf3, // RETURN (offset 64, size 42 << 8: inside memory)
    ]);
    c
}

/// MUL, DIV, MOD, SHL, SHR and SAR: small operands, wrap-around (MAX * MAX),
/// division and remainder by zero, a dividend below the divisor, full-width
/// operands, shifts by 0, 4, 13, 255, 256 and 2^32, arithmetic shifts of
/// negative and nonnegative values, BYTE inside and outside the word.
fn arith_program() -> Vec<u8> {
    let mut c = vec![
        0x60, 0x07, 0x60, 0x64, 0x02, 0x50, // PUSH1 7 PUSH1 100 MUL -> 700, POP
        0x5f, 0x19, 0x80, 0x02, 0x50, // PUSH0 NOT DUP1 MUL -> 1, POP
        0x60, 0x07, 0x60, 0x64, 0x04, 0x50, // DIV: 100 / 7 = 14
        0x60, 0x07, 0x60, 0x64, 0x06, 0x50, // MOD: 100 mod 7 = 2
        0x5f, 0x60, 0x64, 0x04, 0x50, // DIV by zero -> 0
        0x5f, 0x60, 0x64, 0x06, 0x50, // MOD by zero -> 0
        0x60, 0x02, 0x5f, 0x04, 0x50, // DIV: 0 / 2 = 0
        0x60, 0x64, 0x60, 0x07, 0x06, 0x50, // MOD: 7 mod 100 = 7
        0x7f, // PUSH32 0x01..0x20
    ];
    c.extend(1..=32u8);
    c.extend([0x80, 0x5f, 0x19, 0x04, 0x50]); // DUP1 PUSH0 NOT DIV: MAX / b, POP
    c.extend([0x5f, 0x19, 0x06, 0x50]); // PUSH0 NOT MOD: MAX mod b, POP
    c.extend([
        0x5f, 0x19, 0x60, 0x04, 0x1b, 0x50, // PUSH0 NOT PUSH1 4 SHL, POP
        0x60, 0x64, 0x60, 0x0d, 0x1b, 0x50, // 100 << 13
        0x60, 0x01, 0x61, 0x01, 0x00, 0x1b, 0x50, // 1 << 256 = 0
        0x5f, 0x19, 0x60, 0xff, 0x1c, 0x50, // MAX >> 255 = 1
        0x5f, 0x19, 0x5f, 0x1c, 0x50, // MAX >> 0 = MAX
        0x60, 0x64, 0x64, 0x01, 0x00, 0x00, 0x00, 0x00, 0x1c, 0x50, // 100 >> 2^32 = 0
        0x60, 0x64, 0x5f, 0x03, 0x60, 0x03, 0x1d, 0x50, // SAR: -100 >> 3 = -13
        0x60, 0x64, 0x60, 0x03, 0x1d, 0x50, // SAR: 100 >> 3 = 12
        0x60, 0x64, 0x5f, 0x03, 0x61, 0x01, 0x00, 0x1d, 0x50, // SAR: -100 >> 256 = -1
        0x60, 0x64, 0x61, 0x01, 0x00, 0x1d, 0x50, // SAR: 100 >> 256 = 0
        0x5f, 0x19, 0x60, 0x01, 0x1d, 0x50, // SAR: -1 >> 1 = -1
        0x7f, // PUSH32 0x01..0x20, then BYTE 0, 5, 31, 32 and 2^32 of it
    ]);
    c.extend(1..=32u8);
    for index in [
        &[0x5f][..],
        &[0x60, 5],
        &[0x60, 31],
        &[0x60, 32],
        &[0x64, 1, 0, 0, 0, 0],
    ] {
        c.push(0x80); // DUP1
        c.extend(index);
        c.extend([0x1a, 0x50]); // BYTE POP
    }
    c.push(0x50); // POP
    c.extend([
        0x61, 0x12, 0x80, 0x5f, 0x0b, 0x50, // SIGNEXTEND(0, 0x1280) = -128
        0x61, 0x12, 0x80, 0x60, 0x01, 0x0b, 0x50, // SIGNEXTEND(1, 0x1280) = 0x1280
        0x61, 0x12, 0x80, 0x64, 0x01, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x50, // index 2^32: unchanged
        0x5f, 0x19, 0x60, 0x08, 0x1c, 0x60, 0x1e, 0x0b, 0x50, // SIGNEXTEND(30, MAX >> 8) = MAX
        0x5f, 0x19, 0x60, 0x09, 0x1c, 0x60, 0x1e, 0x0b, 0x50, // SIGNEXTEND(30, MAX >> 9) = MAX >> 9
        0x5f, 0x19, 0x60, 0x1f, 0x0b, 0x50, // SIGNEXTEND(31, MAX) = MAX
        0x60, 0x7f, 0x5f, 0x0b, 0x50, // SIGNEXTEND(0, 0x7f) = 0x7f
        0x00, // STOP
    ]);
    c
}

/// The traces of `programs` and a pre-state with each deployed at `contract(i)`.
fn block(programs: &[Vec<u8>]) -> (BlockTrace, PreState) {
    let txs = programs.iter().enumerate().map(|(i, p)| run(p, i as u32)).collect();
    let trace = BlockTrace {
        block_number: 1,
        fork: witness::chunk::PROVEN_FORK,
        beneficiary: Address::with_last_byte(0xcc),
        base_fee: 0,
        txs,
        ..BlockTrace::default()
    };
    (trace, pre_state(programs))
}

/// A pre-state with `programs[i]` deployed at `contract(i)`, without storage,
/// and [`SENDER_BALANCE`] wei at [`SENDER`].
fn pre_state(programs: &[Vec<u8>]) -> PreState {
    let mut accounts: BTreeMap<Address, PreAccount> = programs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let account = PreAccount {
                balance: U256::ZERO,
                nonce: 0,
                code: Bytes::from(p.clone()),
                storage: Default::default(),
            };
            (contract(i as u32), account)
        })
        .collect();
    accounts.insert(
        SENDER,
        PreAccount {
            balance: U256::from(SENDER_BALANCE),
            ..Default::default()
        },
    );
    PreState::of_accounts(&accounts).expect("distinct contracts fit the state tree")
}

fn chunks(programs: &[Vec<u8>], k: usize) -> Vec<ChunkWitness> {
    let (trace, codes) = block(programs);
    build_chunks(&trace, &codes, k).expect("programs are in scope")
}

fn prove_and_verify(w: &ChunkWitness) -> ChunkProof {
    let proof = prove_chunk(w.clone()).expect("proving succeeds");
    verify_chunk(&proof).expect("proof verifies");
    proof
}

#[test]
fn proves_every_family_and_roundtrips_through_bincode() {
    let ws = chunks(&[all_ops_program()], 8);
    assert_eq!(ws.len(), 1);
    let proof = prove_and_verify(&ws[0]);
    let bytes = proof.to_bytes().unwrap();
    let back = ChunkProof::from_bytes(&bytes).unwrap();
    verify_chunk(&back).expect("decoded proof verifies");
    assert!(ChunkProof::from_bytes(&bytes[..bytes.len() / 2]).is_err());
}

#[test]
fn proves_memory_accesses_with_expansion() {
    let ws = chunks(&[memory_program()], 8);
    let w = &ws[0];
    let size = |r: usize| {
        (0..4).fold(0u64, |acc, j| {
            acc + (w.cpu[r][witness::cpu::col::OUT + j].to_canonical_u64() << (8 * j))
        })
    };
    let msizes: Vec<usize> = (0..w.cpu.len())
        .filter(|&r| w.cpu[r][witness::cpu::col::sel(Family::Msize)] == F::ONE)
        .collect();
    assert_eq!(msizes.iter().map(|&r| size(r)).collect::<Vec<_>>(), [0, 64, 2049 * 32]);
    prove_and_verify(w);
}

/// The word a step pushes, read from the step table's OUT limbs.
fn pushed(w: &ChunkWitness, r: usize) -> U256 {
    let bytes: [u8; 32] = std::array::from_fn(|j| w.cpu[r][witness::cpu::col::OUT + j].to_canonical_u64() as u8);
    U256::from_le_bytes(bytes)
}

/// What the steps of `families` push, in step order.
fn results_of(w: &ChunkWitness, families: &[Family]) -> Vec<U256> {
    (0..w.cpu.len())
        .filter(|&r| families.iter().any(|&f| w.cpu[r][witness::cpu::col::sel(f)] == F::ONE))
        .map(|r| pushed(w, r))
        .collect()
}

/// The rows of a table whose column `sel` is set.
fn rows_with<const N: usize>(rows: &[[F; N]], sel: usize) -> Vec<usize> {
    (0..rows.len()).filter(|&r| rows[r][sel] == F::ONE).collect()
}

#[test]
fn proves_arithmetic_and_shifts() {
    let ws = chunks(&[arith_program()], 8);
    let w = &ws[0];
    let results = results_of(w, &Family::ARITH);
    let b = U256::from_be_bytes::<32>(std::array::from_fn(|k| k as u8 + 1));
    let n = U256::from;
    let expected = [
        n(700u64),
        n(1u64),
        n(14u64),
        n(2u64),
        U256::ZERO,
        U256::ZERO,
        U256::ZERO,
        n(7u64),
        U256::MAX / b,
        U256::MAX % b,
        U256::MAX << 4,
        n(100u64 << 13),
        U256::ZERO,
        n(1u64),
        U256::MAX,
        U256::ZERO,
        U256::ZERO - n(13u64),
        n(12u64),
        U256::MAX,
        U256::ZERO,
        U256::MAX,
        n(1u64),
        n(6u64),
        n(32u64),
        U256::ZERO,
        U256::ZERO,
        U256::MAX - n(0x7fu64),
        n(0x1280u64),
        n(0x1280u64),
        U256::MAX >> 8,
        U256::MAX,
        U256::MAX >> 9,
        U256::MAX >> 9,
        U256::MAX,
        n(0x7fu64),
    ];
    assert_eq!(results, expected);
    assert_eq!(rows_with(&w.arith, witness::arith::col::sel(Family::Shr)).len(), 5);
    prove_and_verify(w);
}

/// SDIV and SMOD of every sign combination, by zero, and of -2^255 by -1.
fn signed_division_program() -> Vec<u8> {
    let minus_one = [0x5f, 0x19]; // PUSH0 NOT
    let min: Vec<u8> = [0x7f, 0x80].into_iter().chain([0; 31]).collect(); // PUSH32 -2^255
    let neg = |v: u8| vec![0x60, v, 0x5f, 0x03]; // PUSH1 v PUSH0 SUB
    let pos = |v: u8| vec![0x60, v];
    let cases: Vec<(Vec<u8>, Vec<u8>, u8)> = vec![
        (pos(7), neg(100), 0x05),                // -100 / 7 = -14
        (neg(7), neg(100), 0x05),                // -100 / -7 = 14
        (neg(7), pos(100), 0x05),                // 100 / -7 = -14
        (pos(7), neg(3), 0x05),                  // -3 / 7 = 0 (toward zero)
        (vec![0x5f], neg(100), 0x05),            // -100 / 0 = 0
        (minus_one.to_vec(), min.clone(), 0x05), // -2^255 / -1 = -2^255
        (pos(7), neg(100), 0x07),                // -100 smod 7 = -2
        (neg(7), pos(100), 0x07),                // 100 smod -7 = 2
        (vec![0x5f], neg(100), 0x07),            // -100 smod 0 = 0
        (pos(7), neg(98), 0x07),                 // -98 smod 7 = 0
        (minus_one.to_vec(), min, 0x07),         // -2^255 smod -1 = 0
    ];
    let mut c = Vec::new();
    for (divisor, dividend, op) in cases {
        c.extend(divisor);
        c.extend(dividend);
        c.extend([op, 0x50]);
    }
    c.push(0x00);
    c
}

/// SDIV and SMOD results from the magnitudes, and tampered signs rejected.
#[test]
fn proves_signed_division() {
    use witness::arith::col as a;
    let w = chunks(&[signed_division_program()], 8).remove(0);
    let results = results_of(&w, &[Family::Sdiv, Family::Smod]);
    let neg = |v: u64| U256::ZERO - U256::from(v);
    let min = U256::from(1u8) << 255;
    let zero = U256::ZERO;
    assert_eq!(
        results,
        [
            neg(14),
            U256::from(14u8),
            neg(14),
            zero,
            zero,
            min,
            neg(2),
            U256::from(2u8),
            zero,
            zero,
            zero
        ]
    );
    prove_and_verify(&w);

    // -100 / 7 claimed to be +14 by both tables: the result's sign is not the magnitude's flag.
    let mut claimed = w.clone();
    let s = rows_with(&claimed.cpu, witness::cpu::col::sel(Family::Sdiv))[0];
    let r = rows_with(&claimed.arith, a::sel(Family::Sdiv))[0];
    let fourteen = witness::word::limbs(U256::from(14u8));
    for (j, &byte) in fourteen.iter().enumerate() {
        let delta = F::from_canonical_u8(byte) - claimed.cpu[s][witness::cpu::col::OUT + j];
        if delta != F::ZERO {
            shift_pushed(&mut claimed, s, j, delta);
        }
        claimed.arith[r][a::OUT + j] = F::from_canonical_u8(byte);
    }
    claimed.arith[r][a::NEGO] = F::ZERO;
    for g in 0..7 {
        claimed.arith[r][a::NCARRY + 2 * 7 + g] = F::ZERO;
    }
    refresh_range_frequencies(&mut claimed);
    assert_rejected(&claimed, "SDIV of operands of opposite signs claimed positive");

    // The dividend claimed nonnegative: its top byte no longer splits.
    let mut w2 = w.clone();
    w2.arith[r][a::NEGA] = F::ZERO;
    w2.arith[r][a::QSIGN] = F::ZERO;
    w2.arith[r][a::NEGO] = F::ZERO;
    assert_rejected(&w2, "a negative dividend's sign bit cleared");
}

/// ADDMOD and MULMOD: sums and products past 2^256, quotients past 2^256
/// (moduli 1), zero moduli. Operands are pushed as (N, b, a).
fn modular_program() -> Vec<u8> {
    let max = vec![0x5f, 0x19]; // PUSH0 NOT
    let max_minus_1 = vec![0x60, 0x01, 0x19]; // PUSH1 1 NOT
    let two_128: Vec<u8> = [0x70, 0x01].into_iter().chain([0; 16]).collect(); // PUSH17 2^128
    let small = |v: u8| vec![0x60, v];
    let cases: Vec<([Vec<u8>; 3], u8)> = vec![
        ([small(5), small(4), small(3)], 0x08),             // (3 + 4) mod 5 = 2
        ([max.clone(), small(2), max.clone()], 0x08),       // (MAX + 2) mod MAX = 2
        ([vec![0x5f], small(7), small(100)], 0x08),         // mod 0 = 0
        ([small(1), max.clone(), max.clone()], 0x08),       // quotient 2^257 - 2
        ([small(9), small(7), small(100)], 0x09),           // 700 mod 9 = 7
        ([small(3), two_128.clone(), two_128], 0x09),       // 2^256 mod 3 = 1
        ([max_minus_1, max.clone(), max.clone()], 0x09),    // MAX^2 mod (MAX - 1) = 1
        ([small(1), max.clone(), max.clone()], 0x09),       // quotient MAX^2
        ([vec![0x5f], max.clone(), max.clone()], 0x09),     // mod 0 = 0
        ([vec![0x61, 0x30, 0x39], max.clone(), max], 0x09), // MAX^2 mod 12345
    ];
    let mut c = Vec::new();
    for (operands, op) in cases {
        for operand in operands {
            c.extend(operand);
        }
        c.extend([op, 0x50]);
    }
    c.push(0x00);
    c
}

/// ADDMOD and MULMOD results from the exact sum and product, and tampered rows rejected.
#[test]
fn proves_modular_arithmetic() {
    use witness::arith::col as a;
    use witness::cpu::col;
    let base = chunks(&[modular_program()], 8).remove(0);
    let results = results_of(&base, &Family::TERNARY);
    let n = |v: u64| U256::from(v);
    let max_squared = U256::MAX.mul_mod(U256::MAX, n(12345));
    assert_eq!(
        results,
        [n(2), n(2), n(0), n(0), n(7), n(1), n(1), n(0), n(0), max_squared]
    );
    assert_ne!(max_squared, U256::ZERO);
    let step = |w: &ChunkWitness, family: Family, nth: usize| rows_with(&w.cpu, col::sel(family))[nth];
    let row = |w: &ChunkWitness, family: Family, nth: usize| rows_with(&w.arith, a::sel(family))[nth];
    // MULMOD(MAX, MAX, 1) has a quotient of nearly 2^512: its high half is in XH.
    let big = row(&base, Family::Mulmod, 3);
    assert_eq!(base.arith[big][a::XH + 31], F::from_canonical_u64(0xff));
    prove_and_verify(&base);

    // The pushed result is bound by the arithmetic table's row.
    let mut w = base.clone();
    let s = step(&w, Family::Addmod, 0);
    shift_pushed(&mut w, s, 0, F::ONE);
    assert_rejected(&w, "ADDMOD result the arithmetic table does not hold");

    // (3 + 4) mod 5 claimed to be 7: 0 * 5 + 7 = 3 + 4, but 7 is not below 5.
    let mut w = base.clone();
    let s = step(&w, Family::Addmod, 0);
    shift_pushed(&mut w, s, 0, F::from_canonical_u64(5));
    let r = row(&w, Family::Addmod, 0);
    w.arith[r][a::X] = F::ZERO;
    w.arith[r][a::Z] = F::from_canonical_u64(7);
    w.arith[r][a::D] = -F::from_canonical_u64(3);
    w.arith[r][a::OUT] = F::from_canonical_u64(7);
    refresh_range_frequencies(&mut w);
    assert_rejected(&w, "ADDMOD with a remainder not below the modulus");

    // (3 + 4) mod 6 = 1 proven for a modulus of 5 on the stack: the row's
    // divisor is the step's modulus, which channel 4 reads.
    let mut w = base.clone();
    let s = step(&w, Family::Addmod, 0);
    shift_pushed(&mut w, s, 0, -F::ONE);
    w.cpu[s][col::AUX] = F::from_canonical_u64(6);
    let r = row(&w, Family::Addmod, 0);
    w.arith[r][a::Y] = F::from_canonical_u64(6);
    w.arith[r][a::YINV] = F::from_canonical_u64(6).inverse();
    w.arith[r][a::Z] = F::ONE;
    w.arith[r][a::OUT] = F::ONE;
    w.arith[r][a::D] = F::from_canonical_u64(4);
    refresh_range_frequencies(&mut w);
    assert_rejected(&w, "ADDMOD with a modulus the stack does not hold");

    // (MAX + 2) mod MAX from the sum wrapped at 2^256: 1 instead of 2.
    let mut w = base.clone();
    let s = step(&w, Family::Addmod, 1);
    shift_pushed(&mut w, s, 0, -F::ONE);
    let r = row(&w, Family::Addmod, 1);
    let wrapped = witness::arith::ArithOp {
        family: Family::Addmod,
        in0: U256::from(1u64),
        in1: U256::ZERO,
        in2: U256::MAX,
    };
    let mut fake = witness::arith::generate(&[wrapped], &[], 8)[0];
    let operands = a::IN0..a::IN1 + 32;
    fake[operands.clone()].copy_from_slice(&w.arith[r][operands]);
    w.arith[r] = fake;
    refresh_range_frequencies(&mut w);
    assert_rejected(&w, "ADDMOD of the sum wrapped at 2^256");

    // 2^128 * 2^128 mod 3 from the product wrapped at 2^256: 0 instead of 1.
    let mut w = base.clone();
    let s = step(&w, Family::Mulmod, 1);
    shift_pushed(&mut w, s, 0, -F::ONE);
    let r = row(&w, Family::Mulmod, 1);
    let wrapped = witness::arith::ArithOp {
        family: Family::Mulmod,
        in0: U256::ZERO,
        in1: U256::ZERO,
        in2: U256::from(3u64),
    };
    let mut fake = witness::arith::generate(&[wrapped], &[], 8)[0];
    for kept in [a::IN0..a::IN1 + 32, a::M..a::M + 32] {
        fake[kept.clone()].copy_from_slice(&w.arith[r][kept]);
    }
    w.arith[r] = fake;
    refresh_range_frequencies(&mut w);
    assert_rejected(&w, "MULMOD of the product wrapped at 2^256");

    // 100 + 7 mod 0 claimed to be the sum.
    let mut w = base.clone();
    let s = step(&w, Family::Addmod, 2);
    shift_pushed(&mut w, s, 0, F::from_canonical_u64(107));
    let r = row(&w, Family::Addmod, 2);
    w.arith[r][a::Z] = F::from_canonical_u64(107);
    w.arith[r][a::OUT] = F::from_canonical_u64(107);
    refresh_range_frequencies(&mut w);
    assert_rejected(&w, "ADDMOD by zero pushing the sum");
}

/// EXP: zero and one-byte exponents, zero bases, results past 2^256, two-
/// and three-byte exponents with zero low bytes, 32-byte exponents (256 rows
/// each). Operands are pushed as (exponent, base); 2^256 comes last.
fn exp_program() -> Vec<u8> {
    let max = vec![0x5f, 0x19]; // PUSH0 NOT
    let two_255 = vec![0x60, 0x01, 0x60, 0xff, 0x1b]; // 1 SHL 255
    let small = |v: u8| vec![0x60, v];
    let cases: Vec<[Vec<u8>; 2]> = vec![
        [small(5), small(3)],                                   // 243
        [vec![0x5f], small(2)],                                 // 2^0 = 1
        [vec![0x5f], vec![0x5f]],                               // 0^0 = 1
        [small(7), vec![0x5f]],                                 // 0^7 = 0
        [small(255), small(2)],                                 // 2^255
        [vec![0x61, 0x01, 0x05], small(7)],                     // 7^261, wrapped
        [max.clone(), max],                                     // MAX^MAX = MAX
        [two_255, small(3)],                                    // 3^(2^255), wrapped
        [vec![0x62, 0x01, 0x00, 0x00], vec![0x61, 0x12, 0x35]], // 0x1235^65536, wrapped
        [vec![0x61, 0x01, 0x00], small(2)],                     // 2^256 = 0
    ];
    let mut c = Vec::new();
    for operands in cases {
        for operand in operands {
            c.extend(operand);
        }
        c.extend([0x0a, 0x50]);
    }
    c.push(0x00);
    c
}

/// EXP results and gas from the exponentiation table, and tampered rows rejected.
#[test]
fn proves_exponentiation() {
    use witness::cpu::col;
    use witness::exp::col as e;
    let base = chunks(&[exp_program()], 8).remove(0);
    let n = U256::from;
    let results = results_of(&base, &[Family::Exp]);
    assert_eq!(
        results[..5],
        [n(243u64), n(1u64), n(1u64), n(0u64), U256::from(1u8) << 255]
    );
    assert_eq!(results[6], U256::MAX);
    assert_eq!(results[9], U256::ZERO);
    assert!(results[5] != U256::ZERO && results[7] != U256::ZERO && results[8] != U256::ZERO);
    let steps = rows_with(&base.cpu, col::sel(Family::Exp));
    let gas: Vec<u64> = steps
        .iter()
        .map(|&s| base.cpu[s][col::DGAS].to_canonical_u64())
        .collect();
    assert_eq!(gas, [50, 0, 0, 50, 50, 100, 1600, 1600, 150, 100]);
    assert_eq!(rows_with(&base.exp, e::REAL).len(), 8 * 5 + 16 + 256 + 256 + 24 + 16);
    prove_and_verify(&base);

    // The pushed result is bound by the exponentiation table's last row.
    let mut w = base.clone();
    shift_pushed(&mut w, steps[0], 0, F::ONE);
    assert_rejected(&w, "EXP result the exponentiation table does not hold");

    // 7^261 charged for one exponent byte instead of two.
    let mut w = base.clone();
    w.cpu[steps[5]][col::DGAS] -= F::from_canonical_u64(50);
    add_gas_from(&mut w, steps[5] + 1, 50);
    assert_rejected(&w, "EXP charged for fewer exponent bytes than it has");

    // 3^5 with bit 1 of the exponent claimed set (5 = 0b101).
    let mut w = base.clone();
    w.exp[1][e::BITS + 1] = F::ONE;
    w.exp[1][e::BIT] = F::ONE;
    assert_rejected(&w, "EXP with a bit its exponent does not have");

    // 2^256 stopped after the exponent's low byte (zero): result 1, no gas
    // charged, and every product it asks for is in the arithmetic table.
    let mut w = base.clone();
    let first = *rows_with(&w.exp, e::FIRST).last().unwrap();
    w.exp[first + 7][e::LAST] = F::ONE;
    for r in first + 8..first + 16 {
        w.exp[r] = [F::ZERO; e::NUM_COLUMNS];
    }
    // Its last nine products (the squares of rows 7..14 and bit 8's product) go.
    let expmul = rows_with(&w.arith, witness::arith::col::EXPMUL);
    let mut padding = [F::ZERO; witness::arith::col::NUM_COLUMNS];
    padding[witness::arith::col::YZERO] = F::ONE;
    for &r in &expmul[expmul.len() - 9..] {
        w.arith[r] = padding;
    }
    shift_pushed(&mut w, steps[9], 0, F::ONE);
    w.cpu[steps[9]][col::DGAS] = F::ZERO;
    add_gas_from(&mut w, steps[9] + 1, 100);
    assert_rejected(&w, "EXP ending below its exponent's top byte");
}

#[test]
fn block_spanning_chunks_links_and_broken_links_are_rejected() {
    let prog = all_ops_program();
    let steps = run(&prog, 0).steps.len();
    let programs = vec![prog; 255 / steps + 1];
    let ws = chunks(&programs, 8);
    assert_eq!(
        ws.len(),
        2,
        "{} transactions of {steps} steps need two chunks of at most 255 steps",
        programs.len()
    );
    let proofs: Vec<ChunkProof> = ws.iter().map(prove_and_verify).collect();
    verify_chunk_sequence(&proofs).expect("chunks link");
    let swapped = vec![proofs[1].clone(), proofs[0].clone()];
    assert!(matches!(
        verify_chunk_sequence(&swapped),
        Err(ZkevmError::BrokenLink { .. })
    ));
    // A statement edited to claim a different transaction range no longer verifies.
    let mut forged = proofs[0].clone();
    forged.statement.end_tx += 1;
    forged.statement.calls.push(forged.statement.calls[0].clone());
    forged.statement.calls.last_mut().unwrap().tx = forged.statement.end_tx - 1;
    assert!(verify_chunk(&forged).is_err());
}

#[test]
fn out_of_scope_opcode_is_rejected_with_its_name() {
    let (mut trace, _) = block(&[vec![0x60, 0x01, 0x00]]);
    trace.txs[0].steps[1].opcode = 0x31;
    let pre = pre_state(&[vec![0x60, 0x01, 0x31, 0x00]]);
    let err = build_chunks(&trace, &pre, 8).unwrap_err();
    assert!(
        matches!(err, WitnessError::UnsupportedOpcode { name: "BALANCE", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("BALANCE"));
}

/// Chunk witnesses built one at a time (each transaction's trace freed once
/// its chunk is built) equal those built at once; a chunk that fails to build
/// (an out-of-scope opcode in the second chunk) ends the iteration with its
/// error, after the chunk before it.
#[test]
fn chunk_witnesses_built_one_at_a_time_equal_those_built_at_once() {
    let (block, trace) = storage_block();
    let pre = PreState::of(&block).unwrap();
    let at_once = build_chunks(&trace, &pre, 8).expect("the traces are in scope");
    let one_at_a_time = chunk_witnesses(trace.clone(), &pre, 8).expect("the block is planned");
    assert_eq!(one_at_a_time.len(), 2);
    assert_eq!(at_once.len(), 2);
    for (i, (a, b)) in at_once.iter().zip(one_at_a_time).enumerate() {
        let b = b.expect("the chunk builds");
        assert_eq!(a.statement, b.statement, "chunk {i}");
        assert_eq!(a.cpu, b.cpu, "chunk {i}");
        assert_eq!(a.stack, b.stack, "chunk {i}");
        assert_eq!(a.memory, b.memory, "chunk {i}");
        assert_eq!(a.storage, b.storage, "chunk {i}");
    }

    // A prover sent a chunk's statement, state paths and traces rebuilds the
    // same witness; traces that give another statement are refused.
    let mut planned = chunk_witnesses(trace.clone(), &pre, 8).unwrap();
    let mut i = 0;
    while let Some(built) = planned.next_with_traces() {
        let (w, traces) = built.expect("the chunk builds");
        let again = rebuild_chunk(w.statement.clone(), w.state.clone(), &traces, 8).expect("the traces rebuild it");
        assert_eq!((&again.statement, &again.state), (&w.statement, &w.state), "chunk {i}");
        assert_eq!(
            (&again.cpu, &again.stack, &again.bytecode),
            (&w.cpu, &w.stack, &w.bytecode),
            "chunk {i}"
        );
        assert_eq!(
            (&again.context, &again.memory, &again.storage),
            (&w.context, &w.memory, &w.storage),
            "chunk {i}"
        );
        assert_eq!(
            (&again.logic, &again.arith, &again.exp),
            (&w.logic, &w.arith, &w.exp),
            "chunk {i}"
        );
        let mut other = w.statement.clone();
        other.storage[0].after += U256::from(1);
        let err = rebuild_chunk(other, w.state.clone(), &traces, 8).unwrap_err();
        assert!(matches!(err, WitnessError::StatementMismatch(_)), "{err}");
        let err = rebuild_chunk(w.statement.clone(), w.state.clone(), &traces[1..], 8).unwrap_err();
        assert!(matches!(err, WitnessError::StatementMismatch(_)), "{err}");
        i += 1;
    }
    assert_eq!(i, 2);

    let mut bad = trace;
    let last = bad.txs.len() - 1;
    let sload = bad.txs[last].steps.iter().position(|s| s.opcode == 0x54).unwrap();
    bad.txs[last].steps[sload].opcode = 0x31;
    let mut chunks = chunk_witnesses(bad, &pre, 8).expect("planning does not run the steps");
    assert_eq!(chunks.len(), 2);
    assert!(chunks.next().unwrap().is_ok(), "the first chunk has no BALANCE");
    let err = chunks.next().unwrap().unwrap_err();
    assert!(
        matches!(err, WitnessError::UnsupportedOpcode { name: "BALANCE", .. }),
        "{err}"
    );
    assert_eq!(chunks.len(), 0);
    assert!(chunks.next().is_none(), "nothing is built after a failed chunk");
}

/// Flips one cell and expects proving or verification to fail.
fn assert_rejected(w: &ChunkWitness, what: &str) {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| prove_chunk(w.clone())));
    match outcome {
        Err(_) | Ok(Err(_)) => {}
        Ok(Ok(proof)) => assert!(verify_chunk(&proof).is_err(), "{what}: corrupted witness was accepted"),
    }
}

/// Recomputes the step and memory tables' range-lookup frequencies after a
/// corruption, as a cheating prover would, so that only the constraint under test
/// can catch it.
fn refresh_range_frequencies(w: &mut ChunkWitness) {
    use witness::arith::col as a;
    use witness::memory::col as m;
    witness::cpu::fill_range_table(&mut w.cpu);
    witness::range::fill(&mut w.memory, &m::RANGE_CHECKED, m::RANGE, m::FREQ);
    witness::range::fill(&mut w.arith, &a::range_checked(), a::RANGE, a::FREQ);
}

/// Adds `delta` to limb `limb` of the word step `r` pushes, consistently in the
/// stack table and in every step that reads it back, as a cheating prover would:
/// only what binds the pushed value at its source can catch it.
fn shift_pushed(w: &mut ChunkWitness, r: usize, limb: usize, delta: F) {
    use witness::cpu::col;
    use witness::stack::col as s;
    w.cpu[r][col::OUT + limb] += delta;
    refresh_range_frequencies(w);
    let ts = F::from_canonical_u64(witness::cpu::stack_ts(w.cpu[r][col::CLK].to_canonical_u64(), 2));
    let mut i = w
        .stack
        .iter()
        .position(|row| row[s::TS] == ts)
        .expect("the push is in the stack table");
    w.stack[i][s::VAL + limb] += delta;
    while i + 1 < w.stack.len() && w.stack[i][s::SAME] == F::ONE && w.stack[i + 1][s::IS_WRITE] == F::ZERO {
        i += 1;
        w.stack[i][s::VAL + limb] += delta;
        // Padding rows repeat the last value; only real reads are steps' operands.
        if w.stack[i][s::IS_REAL] == F::ONE {
            let ts = w.stack[i][s::TS].to_canonical_u64();
            let reader = &mut w.cpu[(ts / 4 - 1) as usize];
            // Channel 1's time stamp also reads ADDMOD/MULMOD's modulus, from another slot.
            let operand = match ts % 4 {
                0 => col::IN0,
                _ if reader[col::ADDR1] == w.stack[i][s::ADDR] => col::IN1,
                _ => col::AUX,
            };
            reader[operand + limb] += delta;
        }
    }
}

/// Adds `amount` gas to every step from row `from` on, and to what GAS pushes
/// and what STOP/RETURN hold as the gas left, as a cheating prover would: only
/// the gas step into row `from` (or the starting gas) stays inconsistent.
fn add_gas_from(w: &mut ChunkWitness, from: usize, amount: u64) {
    use witness::cpu::col;
    let delta = F::from_canonical_u64(amount);
    for r in from..w.cpu.len() {
        if w.cpu[r][col::IS_REAL] != F::ONE {
            continue;
        }
        w.cpu[r][col::GAS] += delta;
        if w.cpu[r][col::sel(Family::Gas)] == F::ONE {
            assert!(
                w.cpu[r][col::OUT].to_canonical_u64() + amount < 256,
                "no carry into the next byte"
            );
            shift_pushed(w, r, 0, delta);
        } else if Family::ENDS.iter().any(|&f| w.cpu[r][col::sel(f)] == F::ONE) {
            let left = (0..7).fold(0, |acc, j| acc | w.cpu[r][col::OUT + j].to_canonical_u64() << (8 * j));
            let bytes = (left + amount).to_le_bytes();
            for (cell, &b) in w.cpu[r][col::OUT..col::OUT + 7].iter_mut().zip(&bytes) {
                *cell = F::from_canonical_u8(b);
            }
        }
    }
    refresh_range_frequencies(w);
}

fn find_row(w: &ChunkWitness, family: Family) -> usize {
    w.cpu
        .iter()
        .position(|r| r[witness::cpu::col::sel(family)] == F::ONE)
        .expect("family is executed")
}

#[test]
fn corrupted_cells_are_rejected() {
    use witness::cpu::col;
    let base = &chunks(&[all_ops_program()], 8)[0];
    let bump = |w: &mut ChunkWitness, row: usize, c: usize| w.cpu[row][c] += F::ONE;

    let mut w = base.clone();
    let r = find_row(&w, Family::Add);
    bump(&mut w, r, col::OUT);
    assert_rejected(&w, "wrong ADD result");

    let mut w = base.clone();
    let r = find_row(&w, Family::Lt);
    w.cpu[r][col::OUT] = F::ONE - w.cpu[r][col::OUT];
    assert_rejected(&w, "wrong LT result");

    let mut w = base.clone();
    let r = find_row(&w, Family::Eq);
    bump(&mut w, r, col::IN1 + 3);
    assert_rejected(&w, "wrong stack read");

    let mut w = base.clone();
    let real = w
        .stack
        .iter()
        .position(|r| r[witness::stack::col::IS_WRITE] == F::ZERO)
        .unwrap();
    w.stack[real][witness::stack::col::VAL] += F::ONE;
    assert_rejected(&w, "stack table read returning a different value");

    let mut w = base.clone();
    let r = find_row(&w, Family::Add);
    w.cpu.remove(r);
    w.cpu.push(*w.cpu.last().unwrap());
    assert_rejected(&w, "skipped step");

    let mut w = base.clone();
    let r = find_row(&w, Family::Jump);
    w.cpu[r + 1][col::PC] -= F::ONE;
    assert_rejected(&w, "jump to a non-JUMPDEST");

    let mut w = base.clone();
    let r = find_row(&w, Family::Sub);
    // Out of range limb: OUT_0 + 256 with the next limb one lower keeps the sum but breaks the byte range.
    w.cpu[r][col::OUT] += F::from_canonical_u64(256);
    w.cpu[r][col::OUT + 1] -= F::ONE;
    assert_rejected(&w, "out-of-range limb");

    let mut w = base.clone();
    let r = find_row(&w, Family::Push);
    bump(&mut w, r, col::PUSHV);
    bump(&mut w, r, col::OUT);
    assert_rejected(&w, "PUSH immediate that is not in the code");

    let mut w = base.clone();
    w.statement.calls[0].code[1] = 0x05;
    assert_rejected(&w, "statement with different code");

    let mut w = base.clone();
    let r = (0..w.cpu.len())
        .find(|&r| w.cpu[r][col::sel(Family::Env)] == F::ONE && w.cpu[r][col::N] == F::from_canonical_u64(env::CALLER))
        .expect("CALLER is executed");
    // The pushed value changes consistently in the stack table and in the steps
    // that read it back, so only the lookup into the call-context table can catch it.
    shift_pushed(&mut w, r, 0, F::ONE);
    assert_rejected(&w, "CALLER pushing a value that is not the caller");

    let mut w = base.clone();
    w.statement.calls[0].value += U256::from(1u8);
    assert_rejected(&w, "statement with a different call value");

    let mut w = base.clone();
    let r = find_row(&w, Family::Not);
    bump(&mut w, r, col::OUT);
    assert_rejected(&w, "wrong NOT result");

    let mut w = base.clone();
    let r = find_row(&w, Family::Slt);
    w.cpu[r][col::OUT] = F::ONE - w.cpu[r][col::OUT];
    assert_rejected(&w, "wrong SLT result");

    let mut w = base.clone();
    let r = find_row(&w, Family::Slt);
    w.cpu[r][col::FLIP0] = F::from_canonical_u64(w.cpu[r][col::IN0 + 31].to_canonical_u64());
    assert_rejected(&w, "SLT with the sign bit not flipped");

    // AND's result is only bound by the logic table: the cross-table lookup rejects a
    // step-table result the logic table does not hold, and the logic table's own
    // constraints reject a result its bits do not give.
    let mut w = base.clone();
    let r = find_row(&w, Family::And);
    shift_pushed(&mut w, r, 0, F::ONE);
    assert_rejected(&w, "wrong AND result in the step table");

    use witness::logic::col as lcol;
    w.logic[0][lcol::OUT] += F::ONE;
    assert_rejected(&w, "wrong AND result agreed by both tables");

    // Flipping an operand bit where the other operand's bit is 0 keeps the AND result,
    // so only the lookup against the step table's operand can catch it.
    let mut w = base.clone();
    let k = (0..witness::logic::HALF_BITS)
        .find(|&k| w.logic[0][lcol::B_BITS + k] == F::ZERO)
        .expect("the second operand has a zero bit");
    w.logic[0][lcol::A_BITS + k] = F::ONE - w.logic[0][lcol::A_BITS + k];
    assert_rejected(&w, "logic operand bit that disagrees with the stack");

    // AND's operands are below 2^128: XOR of their zero high halves gives the
    // same bytes, so only the rule that a step's second row keeps its
    // selector catches a high half computed by another operation.
    let mut w = base.clone();
    assert_eq!(w.logic[1][lcol::HIGH], F::ONE);
    assert!((0..witness::logic::HALF_BITS).all(|k| w.logic[1][lcol::A_BITS + k] == F::ZERO));
    w.logic[1][lcol::sel(Family::And)] = F::ZERO;
    w.logic[1][lcol::sel(Family::Xor)] = F::ONE;
    assert_rejected(&w, "logic step whose high half runs another operation");
}

/// A transaction whose statement gives it one gas less than it uses: every step's
/// gas moves down consistently (the step, call-context and statement values agree),
/// so the gas left at its STOP would be -1, which seven range-checked bytes cannot hold.
#[test]
fn a_transaction_running_out_of_gas_is_rejected() {
    use witness::context::col as x;
    use witness::cpu::col;
    let base = &chunks(&[all_ops_program()], 8)[0];
    let end = find_row(base, Family::Stop);
    let left = base.cpu[end][col::GAS];
    assert_eq!(
        (0..7).fold(0u64, |acc, j| acc
            + (base.cpu[end][col::OUT + j].to_canonical_u64() << (8 * j))),
        left.to_canonical_u64(),
        "STOP holds the gas left"
    );
    let mut w = base.clone();
    let delta = -(left + F::ONE);
    for r in 0..=end {
        w.cpu[r][col::GAS] += delta;
    }
    w.statement.calls[0].gas -= left.to_canonical_u64() + 1;
    let start = (0..w.context.len())
        .find(|&r| w.context[r][x::FIELD] == F::from_canonical_u64(witness::context::START_GAS))
        .expect("the starting gas is in the call-context table");
    w.context[start][x::VAL] += delta;
    assert_rejected(&w, "a transaction that runs out of gas");
}

#[test]
fn corrupted_memory_cells_are_rejected() {
    use witness::cpu::col;
    use witness::memory::col as m;
    let base = &chunks(&[memory_program()], 8)[0];
    // The last access of the given kind to an address.
    let memory_row = |w: &ChunkWitness, addr: u64, write: bool| {
        w.memory
            .iter()
            .rposition(|r| r[m::ADDR] == F::from_canonical_u64(addr) && r[m::IS_WRITE] == F::from_bool(write))
            .expect("the address is accessed")
    };

    let mut w = base.clone();
    let i = memory_row(&w, 31, false);
    w.memory[i][m::VAL] += F::ONE;
    assert_rejected(&w, "memory table read returning a different value");

    // MLOAD at 0x108 is the only access to address 0x127, never written: its byte
    // is the loaded word's low limb. Changing it in the step, the stack and the
    // memory table alike leaves only "fresh memory reads as zero" to catch it.
    let mut w = base.clone();
    let r = (find_row(&w, Family::Mload) + 1..w.cpu.len())
        .find(|&r| w.cpu[r][col::sel(Family::Mload)] == F::ONE)
        .expect("a second MLOAD");
    shift_pushed(&mut w, r, 0, F::ONE);
    let i = memory_row(&w, 0x127, false);
    w.memory[i][m::VAL] += F::ONE;
    refresh_range_frequencies(&mut w);
    assert_rejected(&w, "a never-written memory byte read as non-zero");

    // MSTORE8 writes 0xff at 0x110, which MLOAD at 0x108 reads back as limb 23.
    // Lowering the byte in the memory table and in everything that reads it leaves
    // only the lookup against MSTORE8's stack operand to catch it.
    let mut w = base.clone();
    for write in [true, false] {
        let i = memory_row(&w, 0x110, write);
        w.memory[i][m::VAL] -= F::ONE;
    }
    let r = (find_row(&w, Family::Mstore8)..w.cpu.len())
        .find(|&r| w.cpu[r][col::sel(Family::Mload)] == F::ONE)
        .expect("MLOAD after MSTORE8");
    shift_pushed(&mut w, r, 23, -F::ONE);
    assert_rejected(&w, "MSTORE8 writing a byte that is not the stack's");

    let mut w = base.clone();
    let r = (0..w.cpu.len())
        .rfind(|&r| w.cpu[r][col::sel(Family::Msize)] == F::ONE)
        .expect("MSIZE is executed");
    shift_pushed(&mut w, r, 1, F::ONE);
    assert_rejected(&w, "MSIZE pushing a size that is not the memory's");

    // The last expansion charged one gas less: every later step has one more gas.
    let mut w = base.clone();
    let r = (0..w.cpu.len())
        .rfind(|&r| w.cpu[r][col::EXPAND] == F::ONE)
        .expect("memory expands");
    add_gas_from(&mut w, r + 1, 1);
    assert_rejected(&w, "memory expansion charged too little gas");

    // Claiming the expansion's square has a larger remainder (and a smaller
    // quotient) lowers the memory cost; the remainder's range rejects it.
    let mut w = base.clone();
    w.cpu[r][col::SQ_Q] -= F::ONE;
    w.cpu[r][col::SQ_R_HI] += F::TWO;
    for row in &mut w.cpu[r + 1..] {
        if row[col::IS_REAL] == F::ONE {
            row[col::MCOST] -= F::ONE;
            row[col::GAS] += F::ONE;
        }
    }
    assert_rejected(&w, "memory cost with an out-of-range square remainder");

    let cdl_rows: Vec<usize> = (0..base.cpu.len())
        .filter(|&r| base.cpu[r][col::sel(Family::CallDataLoad)] == F::ONE)
        .collect();
    // CALLDATALOAD at 0 pushes the first call-data byte as limb 31; raising it in
    // the step, the stack and the memory table's read leaves only "a read returns
    // the initial write" to catch it.
    let mut w = base.clone();
    shift_pushed(&mut w, cdl_rows[0], 31, F::ONE);
    let i = memory_row(&w, witness::memory::CALLDATA_BASE, false);
    w.memory[i][m::VAL] += F::ONE;
    refresh_range_frequencies(&mut w);
    assert_rejected(&w, "CALLDATALOAD pushing a byte that is not the call data's");

    let mut w = base.clone();
    shift_pushed(&mut w, cdl_rows[4], 0, F::ONE);
    assert_rejected(&w, "CALLDATALOAD at offset 2^32 pushing a non-zero word");

    let mut w = base.clone();
    w.statement.calls[0].calldata[0] ^= 1;
    assert_rejected(&w, "statement with different call data");

    let mut w = base.clone();
    let r = find_row(&w, Family::Return);
    w.cpu[r][col::IN1 + 1] += F::ONE;
    assert_rejected(&w, "RETURN reading a size that is not on the stack");

    let mut w = base.clone();
    let r = find_row(&w, Family::Gas);
    shift_pushed(&mut w, r, 0, F::ONE);
    assert_rejected(&w, "GAS pushing more gas than is left");

    // One more gas on every step (and in what GAS pushes) is consistent
    // everywhere but at the start, which the call context pins.
    let mut w = base.clone();
    add_gas_from(&mut w, 0, 1);
    assert_rejected(&w, "a transaction starting with more gas than the statement's");
}

#[test]
fn corrupted_arith_cells_are_rejected() {
    use witness::arith::col as a;
    use witness::cpu::col;
    let base = &chunks(&[arith_program()], 8)[0];
    let step = |w: &ChunkWitness, family: Family, nth: usize| rows_with(&w.cpu, col::sel(family))[nth];
    let row = |w: &ChunkWitness, family: Family, nth: usize| rows_with(&w.arith, a::sel(family))[nth];
    // A cheating prover keeps the arithmetic row's copy of the step's result in line
    // with the word it comes from, so that only the constraint under test can fail.
    let copy_out = |w: &mut ChunkWitness, r: usize, from: usize| {
        for j in 0..32 {
            w.arith[r][a::OUT + j] = w.arith[r][from + j];
        }
    };

    // MUL's result is bound only by the arithmetic table: through the lookup, and by
    // the product constraint when both tables agree on a wrong result.
    let mut w = base.clone();
    let s = step(&w, Family::Mul, 0);
    shift_pushed(&mut w, s, 0, F::ONE);
    assert_rejected(&w, "MUL result the arithmetic table does not hold");
    let r = row(&w, Family::Mul, 0);
    w.arith[r][a::W] += F::ONE;
    copy_out(&mut w, r, a::W);
    refresh_range_frequencies(&mut w);
    assert_rejected(&w, "wrong MUL result agreed by both tables");

    // 100 / 7 claimed to be 13 remainder 9: 13 * 7 + 9 = 100, but 9 is not below 7.
    let mut w = base.clone();
    let s = step(&w, Family::Div, 0);
    shift_pushed(&mut w, s, 0, -F::ONE);
    let r = row(&w, Family::Div, 0);
    w.arith[r][a::X] = F::from_canonical_u64(13);
    w.arith[r][a::Z] = F::from_canonical_u64(9);
    w.arith[r][a::D] = -F::from_canonical_u64(3);
    copy_out(&mut w, r, a::X);
    refresh_range_frequencies(&mut w);
    assert_rejected(&w, "DIV with a remainder not below the divisor");

    // 100 mod 0 claimed to be 100 (the dividend) instead of 0.
    let mut w = base.clone();
    let s = step(&w, Family::Mod, 1);
    shift_pushed(&mut w, s, 0, F::from_canonical_u64(100));
    let r = row(&w, Family::Mod, 1);
    w.arith[r][a::Z] = F::from_canonical_u64(100);
    copy_out(&mut w, r, a::Z);
    refresh_range_frequencies(&mut w);
    assert_rejected(&w, "MOD by zero pushing the dividend");

    // 0 / 2 claimed to be 2^255: 2^255 * 2 = 0 modulo 2^256, with a carry out of the top.
    let mut w = base.clone();
    let s = step(&w, Family::Div, 2);
    shift_pushed(&mut w, s, 31, F::from_canonical_u64(128));
    let r = row(&w, Family::Div, 2);
    w.arith[r][a::X + 31] = F::from_canonical_u64(128);
    w.arith[r][a::CARRY + 14] = F::ONE;
    copy_out(&mut w, r, a::X);
    refresh_range_frequencies(&mut w);
    assert_rejected(&w, "DIV whose quotient times the divisor wraps around 2^256");

    // 100 << 13 claimed to be 0, as if the shift were 256 or more.
    let mut w = base.clone();
    let s = step(&w, Family::Shl, 1);
    for j in 0..32 {
        let limb = w.cpu[s][col::OUT + j];
        if limb != F::ZERO {
            shift_pushed(&mut w, s, j, -limb);
        }
    }
    let r = row(&w, Family::Shl, 1);
    for c in (a::Y..a::Y + 32).chain(a::W..a::W + 32).chain(a::CARRY..a::D) {
        w.arith[r][c] = F::ZERO;
    }
    w.arith[r][a::YINV] = F::ZERO;
    w.arith[r][a::YZERO] = F::ONE;
    w.arith[r][a::SBIG] = F::ONE;
    w.arith[r][a::SSMALL] = F::ZERO;
    copy_out(&mut w, r, a::W);
    refresh_range_frequencies(&mut w);
    assert_rejected(&w, "SHL claiming a shift of 256 or more");

    // -100 >> 3 shifted as if the value were nonnegative (SHR's row under SAR's selector):
    // only the sign split of the top byte can catch it.
    let mut w = base.clone();
    let s = step(&w, Family::Sar, 0);
    let minus_100 = U256::ZERO - U256::from(100u64);
    let shr = witness::arith::ArithOp {
        family: Family::Shr,
        in0: U256::from(3u64),
        in1: minus_100,
        in2: U256::ZERO,
    };
    let wrong = shr.result().to_le_bytes::<32>();
    for (j, &b) in wrong.iter().enumerate() {
        let delta = F::from_canonical_u8(b) - w.cpu[s][col::OUT + j];
        if delta != F::ZERO {
            shift_pushed(&mut w, s, j, delta);
        }
    }
    let r = row(&w, Family::Sar, 0);
    let mut fake = witness::arith::generate(&[shr], &[], 8)[0];
    fake[a::sel(Family::Shr)] = F::ZERO;
    fake[a::sel(Family::Sar)] = F::ONE;
    fake[a::TOP_LOW] = F::from_canonical_u64(255);
    fake[a::TOP_LOW_HI] = F::from_canonical_u64(255 + 128);
    w.arith[r] = fake;
    refresh_range_frequencies(&mut w);
    assert_rejected(&w, "SAR of a negative value shifted as a nonnegative one");

    // BYTE 5 of the word claimed to be 0, as if the index were 32 or more: the
    // row of an out-of-range index, but with index 5.
    let mut w = base.clone();
    let s = step(&w, Family::Byte, 1);
    shift_pushed(&mut w, s, 0, -F::from_canonical_u64(6));
    let r = row(&w, Family::Byte, 1);
    let word = U256::from_be_bytes::<32>(std::array::from_fn(|k| k as u8 + 1));
    let out_of_range = witness::arith::ArithOp {
        family: Family::Byte,
        in0: U256::from(40u64),
        in1: word,
        in2: U256::ZERO,
    };
    let mut fake = witness::arith::generate(&[out_of_range], &[], 8)[0];
    fake[a::S] = F::from_canonical_u64(5);
    fake[a::IN0] = F::from_canonical_u64(5);
    fake[a::IDX + 5] = F::ZERO;
    fake[a::IDX] = F::ONE;
    fake[a::BIT] = F::ZERO;
    fake[a::BIT + 5] = F::ONE;
    w.arith[r] = fake;
    refresh_range_frequencies(&mut w);
    assert_rejected(&w, "BYTE inside the word claimed to be out of range");

    // SIGNEXTEND(0, 0x1280) claimed to be 0x80, as if byte 0 were nonnegative: only
    // the sign split of the selected byte (128 would need a low part of 128) catches it.
    let mut w = base.clone();
    let s = step(&w, Family::SignExtend, 0);
    for j in 1..32 {
        shift_pushed(&mut w, s, j, -F::from_canonical_u64(255));
    }
    let r = row(&w, Family::SignExtend, 0);
    w.arith[r][a::SXNEG] = F::ZERO;
    w.arith[r][a::TOP_LOW] = F::from_canonical_u64(128);
    w.arith[r][a::TOP_LOW_HI] = F::from_canonical_u64(256);
    for j in 1..32 {
        w.arith[r][a::OUT + j] = F::ZERO;
    }
    refresh_range_frequencies(&mut w);
    assert_rejected(&w, "SIGNEXTEND of a negative byte claimed nonnegative");
}

/// A contract's code and its non-zero storage slots (key, value).
type Contract<'a> = (Vec<u8>, &'a [(u64, u64)]);

/// Executes one transaction per entry of `calls` (an index into `contracts`,
/// each deployed at `contract(i)` with its code and non-zero storage) with the
/// executor, capturing traces, under Cancun rules; every transaction must succeed.
fn execute(contracts: &[Contract], calls: &[u32]) -> (executor::BlockInput, BlockTrace) {
    let (block, trace, success) = execute_with_status(contracts, calls);
    assert!(success.iter().all(|&s| s), "every transaction succeeds");
    (block, trace)
}

/// [`execute`], also returning whether each transaction succeeded.
fn execute_with_status(contracts: &[Contract], calls: &[u32]) -> (executor::BlockInput, BlockTrace, Vec<bool>) {
    let callees: Vec<Address> = calls.iter().map(|&c| contract(c)).collect();
    execute_calls(contracts, &callees)
}

/// Gas limit of the test transactions.
const GAS_LIMIT: u64 = 300_000;

/// [`execute_with_status`] with transactions to any addresses, and an
/// account without code at [`PAYEE`] holding 5 wei.
fn execute_calls(contracts: &[Contract], callees: &[Address]) -> (executor::BlockInput, BlockTrace, Vec<bool>) {
    let txs: Vec<(Address, u64)> = callees.iter().map(|&to| (to, GAS_LIMIT)).collect();
    execute_txs(contracts, &txs)
}

/// [`execute_calls`] with each transaction's (callee, gas limit).
fn execute_txs(contracts: &[Contract], txs: &[(Address, u64)]) -> (executor::BlockInput, BlockTrace, Vec<bool>) {
    use executor::input::{BlockHeader, Transaction};
    use executor::{execute_block, BlockInput, ExecOptions};
    let mut block = BlockInput {
        header: BlockHeader {
            number: 1,
            timestamp: 1_700_000_000,
            gas_limit: 30_000_000,
            base_fee: Some(7),
            chain_id: 1,
            prevrandao: Some(B256::repeat_byte(0x5a)),
            excess_blob_gas: Some(0),
            parent_beacon_block_root: Some(B256::ZERO),
            ..Default::default()
        },
        ..Default::default()
    };
    block.pre_state.insert(
        SENDER,
        PreAccount {
            balance: U256::from(10u64).pow(U256::from(18)),
            ..Default::default()
        },
    );
    for (i, (code, storage)) in contracts.iter().enumerate() {
        block.pre_state.insert(
            contract(i as u32),
            PreAccount {
                code: Bytes::from(code.clone()),
                storage: storage.iter().map(|&(k, v)| (U256::from(k), U256::from(v))).collect(),
                ..Default::default()
            },
        );
    }
    block.pre_state.insert(
        PAYEE,
        PreAccount {
            balance: U256::from(5u8),
            ..Default::default()
        },
    );
    for (nonce, &(callee, gas_limit)) in txs.iter().enumerate() {
        block.transactions.push(Transaction {
            tx_type: 2,
            from: SENDER,
            to: Some(callee),
            nonce: nonce as u64,
            gas_limit,
            gas_price: 10,
            value: U256::from(VALUE),
            input: Bytes::from(CALLDATA.to_vec()),
            chain_id: Some(1),
            ..Default::default()
        });
    }
    let out = execute_block(
        &block,
        &ExecOptions {
            capture_traces: true,
            sequential: true,
            spec: Some(revm::primitives::hardfork::SpecId::CANCUN),
            ..Default::default()
        },
    )
    .expect("block executes");
    let success = out.txs.iter().map(|t| t.success).collect();
    (block, out.traces.expect("traces were captured"), success)
}

/// A block executed by the executor (with trace capture): two transactions calling the
/// all-opcodes contract, one calling the memory contract and one the arithmetic
/// contract, proven from the executor's own traces (so revm's gas, including memory
/// expansion, and revm's results are checked).
#[test]
fn proves_a_block_from_executor_traces() {
    let contracts = [
        (all_ops_program(), &[][..]),
        (memory_program(), &[]),
        (arith_program(), &[]),
    ];
    let (block, trace) = execute(&contracts, &[0, 0, 1, 2]);
    let ws = build_chunks(&trace, &PreState::of(&block).unwrap(), 8).expect("the traces are in scope");
    assert_eq!(ws[0].statement.first_tx, 0);
    assert_eq!(ws.last().unwrap().statement.end_tx, 4);
    let proofs: Vec<ChunkProof> = ws.iter().map(prove_and_verify).collect();
    verify_chunk_sequence(&proofs).expect("chunks link");
}

/// Storage traffic: a cold SLOAD, a first change of the slot, a warm SLOAD, a cold
/// SSTORE of a zero slot, an SSTORE that changes nothing, a reset and a write back
/// to the original value, and a cold SLOAD of a never-written slot; then 35
/// PUSH0 POP pairs so that two transactions fill a chunk of 2^8 rows.
fn storage_program() -> Vec<u8> {
    let mut c = vec![
        0x60, 0x00, 0x54, // PUSH1 0 SLOAD (cold)
        0x60, 0x01, 0x01, // PUSH1 1 ADD
        0x80, 0x60, 0x00, 0x55, // DUP1 PUSH1 0 SSTORE (first change)
        0x60, 0x00, 0x54, 0x50, // PUSH1 0 SLOAD POP (warm)
        0x60, 0x01, 0x55, // PUSH1 1 SSTORE (cold)
        0x60, 0x07, 0x60, 0x02, 0x55, // PUSH1 7 PUSH1 2 SSTORE (cold)
        0x5f, 0x60, 0x02, 0x55, // PUSH0 PUSH1 2 SSTORE (warm)
        0x60, 0x07, 0x60, 0x02, 0x55, // PUSH1 7 PUSH1 2 SSTORE (warm, back to the original)
        0x60, 0x03, 0x54, 0x50, // PUSH1 3 SLOAD POP (cold, never written)
    ];
    for _ in 0..35 {
        c.extend([0x5f, 0x50]);
    }
    c.push(0x00);
    c
}

/// Two contracts with the storage program (the first with slots 0 and 2 set),
/// called four times by the executor, in two chunks.
fn storage_chunks() -> Vec<ChunkWitness> {
    let (block, trace) = storage_block();
    build_chunks(&trace, &PreState::of(&block).unwrap(), 8).expect("the traces are in scope")
}

/// The block of [`storage_chunks`] and its trace.
fn storage_block() -> (executor::BlockInput, BlockTrace) {
    let contracts = [(storage_program(), &[(0, 5), (2, 7)][..]), (storage_program(), &[])];
    execute(&contracts, &[0, 0, 1, 0])
}

/// SLOAD and SSTORE across transactions and chunks, from revm's traces (so revm's
/// values and its EIP-2929/2200 gas are checked), with each chunk's storage slots
/// linking to the next chunk's.
#[test]
fn proves_storage_traffic_across_transactions_and_chunks() {
    let ws = storage_chunks();
    assert_eq!(ws.len(), 2, "two transactions per chunk");
    use witness::storage::col as s;
    let costs: Vec<u64> = ws[0]
        .storage
        .iter()
        .filter(|r| r[s::IS_REAL] == F::ONE && r[s::IS_INIT] == F::ZERO && r[s::IS_FINAL] == F::ZERO)
        .map(|r| r[s::COST].to_canonical_u64())
        .collect();
    // Per slot, in time order: slot 0 (tx 0: cold read, reset, warm read; tx 1 the
    // same), slot 1 (set; then reset), slot 2 (no change, reset, back; then no
    // change, reset, back), slot 3 (cold reads).
    assert_eq!(
        costs,
        [2100, 2900, 100, 2100, 2900, 100, 22_100, 5000, 2200, 2900, 100, 2200, 2900, 100, 2100, 2100]
    );
    let slot0 = &ws[0].statement.storage[0];
    assert_eq!((slot0.before, slot0.after), (U256::from(5u8), U256::from(7u8)));
    assert_eq!(
        ws[1].statement.storage[0].before,
        U256::from(7u8),
        "chunk 1 starts where chunk 0 left"
    );
    let proofs: Vec<ChunkProof> = ws.iter().map(prove_and_verify).collect();
    verify_chunk_sequence(&proofs).expect("chunks link");

    let mut unlinked = proofs.clone();
    unlinked.remove(0);
    let mut first = proofs[0].clone();
    first.statement.storage[0].after = U256::from(6u8);
    unlinked.insert(0, first);
    let err = verify_chunk_sequence(&unlinked).unwrap_err();
    assert!(err.to_string().contains("the earlier chunks left 6"), "{err}");

    // The state tree: each chunk starts from the root the previous one left,
    // and the last root is the tree of the pre-state with the final values.
    let (block, _) = storage_block();
    assert_eq!(proofs[0].statement.old_root, PreState::of(&block).unwrap().tree.root());
    assert_eq!(proofs[0].statement.new_root, proofs[1].statement.old_root);
    let mut post = block.pre_state.clone();
    for slot in witness::storage_changes(proofs.iter().map(|p| &p.statement)) {
        post.get_mut(&slot.address)
            .unwrap()
            .storage
            .insert(slot.key, slot.after);
    }
    for field in witness::account_changes(proofs.iter().map(|p| &p.statement)) {
        let account = post.entry(field.address).or_default();
        if field.key == U256::from(witness::accounting::NONCE) {
            account.nonce = field.after.to();
        } else {
            account.balance = field.after;
        }
    }
    assert_eq!(
        proofs[1].statement.new_root,
        StateTree::of_accounts(&post).unwrap().root()
    );
    assert_ne!(proofs[1].statement.old_root, proofs[1].statement.new_root);

    let mut forged = proofs[1].clone();
    forged.statement.new_root = forged.statement.old_root;
    let err = verify_chunk(&forged).unwrap_err();
    assert!(err.to_string().contains("claimed new root"), "{err}");
    let mut forged = proofs[1].clone();
    forged.state.storage[0].0[7] = HashOut::from_partial(&[F::ONE]);
    let err = verify_chunk(&forged).unwrap_err();
    assert!(err.to_string().contains("does not lead"), "{err}");
    let mut forged = proofs[1].clone();
    forged.state.code[0].0[30] = HashOut::from_partial(&[F::ONE]);
    let err = verify_chunk(&forged).unwrap_err();
    assert!(err.to_string().contains("code path"), "{err}");
    let mut unlinked = proofs.clone();
    unlinked[1].statement.old_root = unlinked[0].statement.old_root;
    let err = verify_chunk_sequence(&unlinked).unwrap_err();
    assert!(err.to_string().contains("another state root"), "{err}");
    let mut unlinked = proofs.clone();
    unlinked[1].statement.block.base_fee += 1;
    let err = verify_chunk_sequence(&unlinked).unwrap_err();
    assert!(err.to_string().contains("another base fee than"), "{err}");
    let mut unlinked = proofs.clone();
    unlinked[1].statement.block.timestamp += 1;
    let err = verify_chunk_sequence(&unlinked).unwrap_err();
    assert!(err.to_string().contains("another timestamp than"), "{err}");
}

/// Gives `w` the state tree of a pre-state holding exactly its called code
/// and its slots' and account fields' `before` values, as a cheating prover
/// would, so that only the tables can catch a forged slot value.
fn restate(w: &mut ChunkWitness) {
    let mut accounts: BTreeMap<Address, PreAccount> = BTreeMap::new();
    let callees = w.statement.callees();
    for &(address, code) in &callees {
        accounts.entry(address).or_default().code = Bytes::from(code.to_vec());
    }
    for slot in &w.statement.storage {
        accounts
            .entry(slot.address)
            .or_default()
            .storage
            .insert(slot.key, slot.before);
    }
    for field in &w.statement.accounts {
        let account = accounts.entry(field.address).or_default();
        if field.key == U256::from(witness::accounting::NONCE) {
            account.nonce = field.before.to();
        } else {
            account.balance = field.before;
        }
    }
    let mut tree = StateTree::of_accounts(&accounts).unwrap();
    let code = tree.code_paths(&callees).unwrap();
    w.statement.old_root = tree.root();
    w.state = StateWitness {
        code,
        storage: tree.update_slots(STORAGE, &w.statement.storage).unwrap(),
        accounts: tree.update_slots(ACCOUNT, &w.statement.accounts).unwrap(),
    };
    w.statement.new_root = tree.root();
}

/// Changes the storage gas of step `r` to `cost`, and the gas of every later step of
/// its transaction with what the step holds from it (SSTORE's gas above the sentry,
/// STOP's gas left), as a cheating prover would.
fn reprice(w: &mut ChunkWitness, r: usize, cost: u64) {
    use witness::cpu::col;
    let old = w.cpu[r][col::DGAS].to_canonical_u64();
    w.cpu[r][col::DGAS] = F::from_canonical_u64(cost);
    let tx = w.cpu[r][col::TX];
    let bytes = |v: u64| (0..7).map(move |k| F::from_canonical_u64((v >> (8 * k)) & 0xff));
    for row in w.cpu[r + 1..]
        .iter_mut()
        .take_while(|row| row[col::TX] == tx && row[col::IS_REAL] == F::ONE)
    {
        let gas = row[col::GAS].to_canonical_u64() + old - cost;
        row[col::GAS] = F::from_canonical_u64(gas);
        assert_eq!(row[col::sel(Family::Gas)], F::ZERO, "no GAS step to repush");
        if row[col::sel(Family::Sstore)] == F::ONE {
            for (k, b) in bytes(gas - 2301).enumerate() {
                row[col::AUX + k] = b;
            }
        }
        if row[col::sel(Family::Stop)] == F::ONE {
            for (k, b) in bytes(gas).enumerate() {
                row[col::OUT + k] = b;
            }
        }
    }
    refresh_range_frequencies(w);
}

/// The storage-table row of step `r`'s access.
fn storage_row(w: &ChunkWitness, r: usize) -> usize {
    use witness::storage::col as s;
    let ts = w.cpu[r][witness::cpu::col::CLK] + F::ONE;
    w.storage
        .iter()
        .position(|row| row[s::TS] == ts && row[s::IS_REAL] == F::ONE)
        .expect("the access is in the storage table")
}

#[test]
fn corrupted_storage_cells_are_rejected() {
    use witness::cpu::col;
    use witness::storage::col as s;
    let base = storage_chunks().remove(0);
    let sloads: Vec<usize> = rows_with(&base.cpu, col::sel(Family::Sload));
    let sstores: Vec<usize> = rows_with(&base.cpu, col::sel(Family::Sstore));
    let warm_sload = sloads[1];

    let mut w = base.clone();
    shift_pushed(&mut w, warm_sload, 0, F::ONE);
    let i = storage_row(&w, warm_sload);
    w.storage[i][s::VAL] += F::ONE;
    witness::storage::fill_comparisons(&mut w.storage);
    assert_rejected(&w, "SLOAD returning another value than the slot holds");

    let mut w = base.clone();
    w.statement.storage[0].before += U256::from(1u8);
    restate(&mut w);
    assert_rejected(&w, "a slot's value before the chunk differing from the statement");

    let mut w = base.clone();
    let i = storage_row(&w, warm_sload);
    w.storage[i][s::COLD] = F::ONE;
    w.storage[i][s::COST] = F::from_canonical_u64(2100);
    for j in 0..32 {
        w.storage[i][s::ORIG + j] = w.storage[i - 1][s::VAL + j];
    }
    witness::storage::fill_comparisons(&mut w.storage);
    reprice(&mut w, warm_sload, 2100);
    assert_rejected(&w, "a warm SLOAD priced as cold");

    let mut w = base.clone();
    let set = sstores[1];
    let i = storage_row(&w, set);
    assert_eq!(
        w.storage[i][s::COST],
        F::from_canonical_u64(22_100),
        "a cold SSTORE of a zero slot"
    );
    w.storage[i][s::ORIG_ZERO] = F::ZERO;
    w.storage[i][s::CREATES] = F::ZERO;
    w.storage[i][s::COST] = F::from_canonical_u64(5000);
    reprice(&mut w, set, 5000);
    assert_rejected(&w, "an SSTORE of a zero slot priced as a reset");

    let mut w = base.clone();
    let sstore = sstores[0];
    w.cpu[sstore][col::AUX + 6] += F::ONE;
    refresh_range_frequencies(&mut w);
    assert_rejected(&w, "SSTORE's gas above the sentry not matching its gas");
}

/// Increments slot 0, sets slot 1 to 9, reads slot 0 back (warm) and slot 2,
/// then reverts.
fn reverting_program() -> Vec<u8> {
    vec![
        0x60, 0x00, 0x54, // PUSH1 0 SLOAD (cold)
        0x60, 0x01, 0x01, // PUSH1 1 ADD
        0x60, 0x00, 0x55, // PUSH1 0 SSTORE (first change)
        0x60, 0x09, 0x60, 0x01, 0x55, // PUSH1 9 PUSH1 1 SSTORE (cold, set)
        0x60, 0x00, 0x54, 0x50, // PUSH1 0 SLOAD POP (warm: the new value)
        0x60, 0x02, 0x54, 0x50, // PUSH1 2 SLOAD POP (read only)
        0x5f, 0x5f, 0xfd, // PUSH0 PUSH0 REVERT
    ]
}

/// The reverting contract (slot 0 holding 3) called before and after a
/// successful storage transaction: one chunk.
fn reverting_chunk() -> ChunkWitness {
    let contracts = [
        (storage_program(), &[(0, 5), (2, 7)][..]),
        (reverting_program(), &[(0, 3)][..]),
    ];
    let (block, trace, success) = execute_with_status(&contracts, &[1, 0, 1]);
    assert_eq!(success, [false, true, false], "the executor's receipts");
    let mut ws = build_chunks(&trace, &PreState::of(&block).unwrap(), 8).expect("reverts are in scope");
    assert_eq!(ws.len(), 1);
    ws.remove(0)
}

/// REVERT from revm's traces: the reverted transactions' writes are rolled back
/// (the second call reads slot 0 at 3 again, cold, and the statement lists the
/// reverting contract's slots unchanged), the statement records which
/// transactions reverted, and the tampered twins are rejected.
#[test]
fn reverted_transactions_roll_back_their_storage() {
    use witness::storage::col as s;
    let base = reverting_chunk();
    let reverted: Vec<bool> = base.statement.calls.iter().map(|c| c.reverted).collect();
    assert_eq!(reverted, [true, false, true]);
    let reverting = contract(1);
    let slots: Vec<(u64, u64, u64)> = base
        .statement
        .storage
        .iter()
        .filter(|slot| slot.address == reverting)
        .map(|slot| (slot.key.to(), slot.before.to(), slot.after.to()))
        .collect();
    assert_eq!(slots, [(0, 3, 3), (1, 0, 0), (2, 0, 0)], "rolled back");
    let rollbacks: Vec<(u64, u64)> = base
        .storage
        .iter()
        .filter(|r| r[s::IS_ROLLBACK] == F::ONE)
        .map(|r| (r[s::TX].to_canonical_u64(), r[s::VAL].to_canonical_u64()))
        .collect();
    assert_eq!(
        rollbacks,
        [(0, 3), (2, 3), (0, 0), (2, 0)],
        "slot 0 back to 3, slot 1 back to 0"
    );
    prove_and_verify(&base);

    let mut w = base.clone();
    w.statement.calls[0].reverted = false;
    assert_rejected(&w, "a reverted transaction claimed successful");

    let mut w = base.clone();
    w.statement
        .storage
        .iter_mut()
        .find(|slot| slot.address == reverting)
        .unwrap()
        .after = U256::from(4u8);
    assert_rejected(&w, "the reverted write claimed to stand");

    let rollback = base.storage.iter().position(|r| r[s::IS_ROLLBACK] == F::ONE).unwrap();
    let mut w = base.clone();
    w.storage[rollback][s::VAL] += F::ONE;
    witness::storage::fill_comparisons(&mut w.storage);
    assert_rejected(&w, "a rollback writing another value than the original");

    let mut w = base.clone();
    w.storage[rollback][s::IS_ROLLBACK] = F::ZERO;
    assert_rejected(&w, "a rollback passed off as a step's write");

    let mut w = base.clone();
    for row in w
        .storage
        .iter_mut()
        .filter(|r| r[s::REV] == F::ONE && r[s::IS_ROLLBACK] == F::ZERO)
    {
        row[s::REV] = F::ZERO;
    }
    assert_rejected(&w, "a reverted transaction's accesses claimed not reverted");
}

/// ORIGIN, GASPRICE, COINBASE, BASEFEE, CODESIZE and RETURNDATASIZE push
/// the sender, the effective gas price, the block's beneficiary and base
/// fee, the code's length and zero (revm's values: the contract stores all
/// but the base fee, and the witness checks each pushed value against the
/// trace). A BASEFEE step pushing another value, alone or with a
/// call-context table that claims it, and a table claiming another code
/// size, are rejected.
#[test]
fn block_and_transaction_context_opcodes_push_the_statement_values() {
    let code = vec![
        0x32, 0x5f, 0x55, // ORIGIN PUSH0 SSTORE
        0x3a, 0x60, 0x01, 0x55, // GASPRICE PUSH1 1 SSTORE
        0x41, 0x60, 0x02, 0x55, // COINBASE PUSH1 2 SSTORE
        0x38, 0x60, 0x03, 0x55, // CODESIZE PUSH1 3 SSTORE
        0x3d, 0x60, 0x01, 0x01, 0x60, 0x04, 0x55, // RETURNDATASIZE PUSH1 1 ADD PUSH1 4 SSTORE
        0x48, 0x50, 0x00, // BASEFEE POP STOP
    ];
    let code_size = code.len();
    let (block, trace) = execute(&[(code, &[])], &[0]);
    let ws = build_chunks(&trace, &PreState::of(&block).unwrap(), 8).expect("the traces are in scope");
    let w = &ws[0];
    let stored = |key: u8| stored_after(w, key);
    assert_eq!(stored(0), U256::from_be_slice(SENDER.as_slice()));
    assert_eq!(stored(1), U256::from(w.statement.calls[0].gas_price));
    assert_eq!(stored(2), U256::from_be_slice(block.header.beneficiary.as_slice()));
    assert_eq!(stored(3), U256::from(code_size));
    assert_eq!(stored(4), U256::from(1), "RETURNDATASIZE pushes zero");
    assert_eq!(w.statement.block.base_fee, 7);
    prove_and_verify(w);

    use witness::context::col as ctx;
    let mut longer = w.clone();
    let size = F::from_canonical_u64(env::CODESIZE);
    let size_row = longer.context.iter_mut().find(|r| r[ctx::FIELD] == size).unwrap();
    size_row[ctx::VAL] += F::ONE;
    assert_rejected(&longer, "a call-context table claiming another code size");

    let row = context_step(w, env::BASEFEE);
    assert_eq!(w.cpu[row][witness::cpu::col::OUT], F::from_canonical_u64(7));
    assert_forged_context_value_rejected(w, env::BASEFEE, "base fee");
}

/// The value the chunk's statement gives storage slot `key` after the chunk.
fn stored_after(w: &ChunkWitness, key: u8) -> U256 {
    w.statement
        .storage
        .iter()
        .find(|s| s.key == U256::from(key))
        .expect("the slot is written")
        .after
}

/// The first step row of `w` that reads call-context field `field`.
fn context_step(w: &ChunkWitness, field: u64) -> usize {
    use witness::cpu::col;
    (0..w.cpu.len())
        .find(|&r| w.cpu[r][col::sel(Family::Env)] == F::ONE && w.cpu[r][col::N] == F::from_canonical_u64(field))
        .expect("the field is read")
}

/// A step reading context field `field` (the block's or transaction's
/// `what`) that pushes another value is rejected, alone and with a
/// call-context table that claims that value.
fn assert_forged_context_value_rejected(w: &ChunkWitness, field: u64, what: &str) {
    use witness::context::col as ctx;
    let mut forged = w.clone();
    shift_pushed(&mut forged, context_step(w, field), 0, F::ONE);
    assert_rejected(&forged, &format!("a step pushing another {what}"));
    let field = F::from_canonical_u64(field);
    let context_row = forged.context.iter_mut().find(|r| r[ctx::FIELD] == field).unwrap();
    context_row[ctx::VAL] += F::ONE;
    assert_rejected(&forged, &format!("a call-context table claiming another {what}"));
}

/// NUMBER, TIMESTAMP, GASLIMIT, CHAINID and PREVRANDAO push the block's
/// values from the statement (revm's values: the contract stores them).
/// The statement holds them only where a call's code can read them, so the
/// statements of other chunks keep their elements and digests. A
/// TIMESTAMP step pushing another value, alone or with a call-context table
/// that claims it, and the proof checked against a statement of another
/// chain, are rejected.
#[test]
fn block_header_opcodes_push_the_statement_values() {
    let code = vec![
        0x43, 0x5f, 0x55, // NUMBER PUSH0 SSTORE
        0x42, 0x60, 0x01, 0x55, // TIMESTAMP PUSH1 1 SSTORE
        0x45, 0x60, 0x02, 0x55, // GASLIMIT PUSH1 2 SSTORE
        0x46, 0x60, 0x03, 0x55, // CHAINID PUSH1 3 SSTORE
        0x44, 0x60, 0x04, 0x55, // PREVRANDAO PUSH1 4 SSTORE
        0x00, // STOP
    ];
    let (block, trace) = execute(&[(code, &[])], &[0]);
    let ws = build_chunks(&trace, &PreState::of(&block).unwrap(), 8).expect("the traces are in scope");
    let w = &ws[0];
    let stored = |key: u8| stored_after(w, key);
    let header = &block.header;
    assert_eq!(stored(0), U256::from(header.number));
    assert_eq!(stored(1), U256::from(header.timestamp));
    assert_eq!(stored(2), U256::from(header.gas_limit));
    assert_eq!(stored(3), U256::from(header.chain_id));
    assert_eq!(stored(4), U256::from_be_bytes(header.prevrandao.unwrap().0));
    assert!(witness::context::reads_header(&w.statement.calls));
    let plain = chunks(&[all_ops_program()], 8);
    assert!(
        !witness::context::reads_header(&plain[0].statement.calls),
        "the all-opcodes program reads no header value"
    );
    let proof = prove_and_verify(w);

    let mut other_chain = proof.clone();
    other_chain.statement.block.chain_id += 1;
    assert!(
        verify_chunk(&other_chain).is_err(),
        "a proof checked against another chain's statement"
    );

    assert_forged_context_value_rejected(w, env::TIMESTAMP, "timestamp");
}

/// A transaction that fails with another exceptional halt than INVALID or
/// running out of gas (a jump to a byte that is not a JUMPDEST; a REVERT on
/// an empty stack, which ends on a REVERT step but is a stack underflow) is
/// out of scope, and says so.
#[test]
fn an_exceptional_halt_other_than_invalid_or_out_of_gas_is_out_of_scope() {
    for code in [vec![0x5f, 0x56], vec![0xfd]] {
        let (block, trace, success) = execute_with_status(&[(code, &[])], &[0]);
        assert_eq!(success, [false]);
        let err = build_chunks(&trace, &PreState::of(&block).unwrap(), 8).unwrap_err();
        assert!(
            err.to_string().contains("exceptional halt other than out of gas"),
            "{err}"
        );
    }
}

/// The chunk `w` of the transactions `trace` holds, three of four failing
/// (`success`: the executor's receipts): each failed one is reverted with no
/// gas left, so its gas used is its gas limit, and its storage write is
/// rolled back (each of the first three contracts writes one slot; the
/// second transaction succeeds and keeps its write of 7).
fn assert_failures_consume_their_gas(w: &ChunkWitness, trace: &BlockTrace, success: &[bool]) {
    assert_eq!(success, [false, true, false, false], "the executor's receipts");
    let calls = &w.statement.calls;
    for (call, &ok) in calls.iter().zip(success) {
        assert_eq!(call.reverted, !ok);
        assert_eq!(call.gas_left == 0, !ok, "a failed transaction keeps no gas");
    }
    let used: Vec<u64> = calls.iter().map(|c| c.gas_used().unwrap()).collect();
    let receipts: Vec<u64> = trace.txs.iter().map(|t| t.gas_used).collect();
    assert_eq!(used, receipts);
    assert_eq!(used[0], calls[0].gas_limit, "all the gas is consumed");
    let slots: Vec<(Address, u64, u64)> = w
        .statement
        .storage
        .iter()
        .map(|slot| (slot.address, slot.before.to(), slot.after.to()))
        .collect();
    assert_eq!(
        slots,
        [(contract(0), 0, 0), (contract(1), 0, 7), (contract(2), 0, 0)],
        "the failed transactions' writes rolled back"
    );
}

/// INVALID and an undefined opcode (0x0C) from revm's traces: each such
/// transaction fails and consumes all its gas (the receipt's gas used is the
/// gas limit; the proven gas left is zero), and its storage write is rolled
/// back, while the successful call between them keeps its own. An INVALID
/// step that keeps gas, with the statement, accounts and state tree forged
/// to match, is rejected.
#[test]
fn invalid_and_undefined_opcodes_fail_the_transaction_and_consume_its_gas() {
    use witness::cpu::col;
    let contracts = [
        (vec![0x60, 0x09, 0x60, 0x01, 0x55, 0xfe], &[][..]), // PUSH1 9 PUSH1 1 SSTORE INVALID
        (vec![0x60, 0x07, 0x60, 0x01, 0x55, 0x00], &[][..]), // PUSH1 7 PUSH1 1 SSTORE STOP
        (vec![0x60, 0x05, 0x60, 0x01, 0x55, 0x0c], &[][..]), // PUSH1 5 PUSH1 1 SSTORE (undefined 0x0C)
    ];
    let (block, trace, success) = execute_with_status(&contracts, &[0, 1, 0, 2]);
    let mut ws = build_chunks(&trace, &PreState::of(&block).unwrap(), 8).expect("INVALID is in scope");
    assert_eq!(ws.len(), 1);
    let base = ws.remove(0);
    assert_failures_consume_their_gas(&base, &trace, &success);
    prove_and_verify(&base);

    let mut kept = base.clone();
    let row = find_row(&kept, Family::Invalid);
    let gas = kept.cpu[row][col::GAS].to_canonical_u64();
    for k in 0..7 {
        kept.cpu[row][col::OUT + k] = F::from_canonical_u64((gas >> (8 * k)) & 0xff);
    }
    refresh_range_frequencies(&mut kept);
    kept.statement.calls[0].gas_left = gas;
    restate_calls(&mut kept);
    assert_rejected(&kept, "INVALID keeping its gas");
}

/// After a change to the statement's calls: their call-context tuples, the
/// account fields their accounting leaves and the state tree follow it, as
/// a cheating prover would make them.
fn restate_calls(w: &mut ChunkWitness) {
    use witness::context::col as ctx;
    for call in &w.statement.calls {
        let tuples = witness::context::context_tuples(call, &w.statement.block);
        for row in &mut w.context {
            if let Some(t) = tuples.iter().find(|t| t[..2] == row[ctx::TX..ctx::FIELD + 1]) {
                row[ctx::TX..ctx::MULT].copy_from_slice(t);
            }
        }
    }
    let before: std::collections::HashMap<(Address, u64), U256> = w
        .statement
        .accounts
        .iter()
        .map(|f| ((f.address, f.key.to()), f.before))
        .collect();
    w.statement.accounts = witness::accounting::replay(&w.statement.calls, &w.statement.block, |a, f| {
        Ok(before.get(&(a, f)).copied().unwrap_or_default())
    })
    .unwrap();
    restate(w);
}

/// The families of the steps of `w` marked as running out of gas, in order.
fn out_of_gas_families(w: &ChunkWitness) -> Vec<Family> {
    use witness::cpu::col;
    rows_with(&w.cpu, col::OOG)
        .into_iter()
        .map(|r| *Family::ALL.iter().find(|&&f| w.cpu[r][col::sel(f)] == F::ONE).unwrap())
        .collect()
}

/// `base` with transaction `tx` given `extra` more gas: its gas limit and
/// starting gas, every step's gas (and SSTORE's gas above the sentry), the
/// statement, accounts and state tree forged to match, as a cheating prover
/// would; a step marked as running out of gas then had the gas it costs.
fn with_more_gas(base: &ChunkWitness, tx: u32, extra: u64) -> ChunkWitness {
    use witness::cpu::col;
    let mut w = base.clone();
    for row in w
        .cpu
        .iter_mut()
        .filter(|r| r[col::IS_REAL] == F::ONE && r[col::TX] == F::from_canonical_u32(tx))
    {
        row[col::GAS] += F::from_canonical_u64(extra);
        if row[col::sel(Family::Sstore)] == F::ONE {
            let above = row[col::GAS].to_canonical_u64() - 2301;
            for k in 0..7 {
                row[col::AUX + k] = F::from_canonical_u64((above >> (8 * k)) & 0xff);
            }
        }
    }
    refresh_range_frequencies(&mut w);
    let call = &mut w.statement.calls[tx as usize];
    call.gas += extra;
    call.gas_limit += extra;
    restate_calls(&mut w);
    w
}

/// Transactions that run out of gas, from revm's traces: at an SSTORE that
/// costs more than the gas left above the sentry, at an MSTORE whose memory
/// expansion costs more than the gas left (after a storage write), and at a
/// PUSH1 with one gas left; a successful transaction runs between them.
/// Each failed one consumes all its gas, its step that ran out ends it
/// with its operands and storage access priced as usual, and its writes
/// are rolled back. Rejected: the out-of-gas SSTORE given the gas it needs
/// (its transaction's gas limit and steps raised, the statement, accounts
/// and state tree forged to match), and a transaction that ran out claiming
/// gas left.
#[test]
fn running_out_of_gas_halts_the_transaction_and_is_proven() {
    let contracts = [
        (vec![0x60, 0x02, 0x5f, 0x55, 0x00], &[][..]), // PUSH1 2 PUSH0 SSTORE STOP
        (vec![0x60, 0x07, 0x60, 0x01, 0x55, 0x00], &[][..]), // PUSH1 7 PUSH1 1 SSTORE STOP
        // PUSH1 5 PUSH1 1 SSTORE PUSH1 1 PUSH4 0x00400000 MSTORE STOP
        (
            vec![
                0x60, 0x05, 0x60, 0x01, 0x55, 0x60, 0x01, 0x63, 0x00, 0x40, 0x00, 0x00, 0x52, 0x00,
            ],
            &[][..],
        ),
        (vec![0x60, 0x07, 0x60, 0x02, 0x55, 0x00], &[][..]), // PUSH1 7 PUSH1 2 SSTORE STOP
    ];
    let intrinsic = {
        let (_, trace) = execute(&contracts[1..2], &[0]);
        GAS_LIMIT - trace.txs[0].steps[0].gas
    };
    let txs = [
        (contract(0), intrinsic + 5 + 5_000),
        (contract(1), GAS_LIMIT),
        (contract(2), GAS_LIMIT),
        (contract(3), intrinsic + 4),
    ];
    let (block, trace, success) = execute_txs(&contracts, &txs);
    let halts: Vec<u8> = trace.txs.iter().map(|t| t.steps.last().unwrap().opcode).collect();
    assert_eq!(
        halts,
        [0x55, 0x00, 0x52, 0x60],
        "SSTORE, MSTORE and PUSH1 run out of gas"
    );
    let mut ws = build_chunks(&trace, &PreState::of(&block).unwrap(), 8).expect("running out of gas is in scope");
    assert_eq!(ws.len(), 1);
    let base = ws.remove(0);
    assert_failures_consume_their_gas(&base, &trace, &success);
    assert_eq!(
        out_of_gas_families(&base),
        [Family::Sstore, Family::Mstore, Family::Push]
    );
    prove_and_verify(&base);

    let had_gas = with_more_gas(&base, 0, 30_000);
    assert_rejected(&had_gas, "an out-of-gas SSTORE that had the gas it costs");

    let mut kept = base;
    kept.statement.calls[3].gas_left = 1;
    restate_calls(&mut kept);
    assert_rejected(&kept, "a transaction that ran out of gas keeping gas");
}

/// Loops that run until their gas is gone, halting at a JUMP, a JUMPI (both
/// then neither jump nor fall through) and a GAS (which pushes nothing): each
/// transaction fails, keeps no gas, and the chunk proves. The JUMPI given
/// the gas it costs is rejected.
#[test]
fn running_out_of_gas_at_a_jump_or_gas_is_proven() {
    let contracts = [
        (vec![0x5b, 0x5f, 0x56], &[][..]),             // JUMPDEST PUSH0 JUMP: 11 gas a turn
        (vec![0x5b, 0x60, 0x01, 0x5f, 0x57], &[][..]), // JUMPDEST PUSH1 1 PUSH0 JUMPI: 16 a turn
        (vec![0x5b, 0x5a, 0x50, 0x5f, 0x56], &[][..]), // JUMPDEST GAS POP PUSH0 JUMP: 15 a turn
        (vec![0x60, 0x07, 0x60, 0x01, 0x55, 0x00], &[][..]), // PUSH1 7 PUSH1 1 SSTORE STOP
    ];
    let intrinsic = {
        let (_, trace) = execute(&contracts[3..], &[0]);
        GAS_LIMIT - trace.txs[0].steps[0].gas
    };
    // Ten turns, then gas for all of a turn but its last (JUMP, JUMPI) or
    // for its JUMPDEST and one more (GAS).
    let txs = [
        (contract(0), intrinsic + 10 * 11 + 5),
        (contract(1), intrinsic + 10 * 16 + 8),
        (contract(2), intrinsic + 10 * 15 + 2),
    ];
    let (block, trace, success) = execute_txs(&contracts, &txs);
    assert_eq!(success, [false, false, false], "the executor's receipts");
    let halts: Vec<u8> = trace.txs.iter().map(|t| t.steps.last().unwrap().opcode).collect();
    assert_eq!(halts, [0x56, 0x57, 0x5a], "JUMP, JUMPI and GAS run out of gas");
    let w = build_chunks(&trace, &PreState::of(&block).unwrap(), 8).expect("running out of gas is in scope");
    assert_eq!(w.len(), 1);
    let base = &w[0];
    assert!(base.statement.calls.iter().all(|c| c.reverted && c.gas_left == 0));
    assert_eq!(out_of_gas_families(base), [Family::Jump, Family::Jumpi, Family::Gas]);
    prove_and_verify(base);
    assert_rejected(
        &with_more_gas(base, 1, 100),
        "an out-of-gas JUMPI that had the gas it costs",
    );
}

/// RETURN and REVERT pay for expanding memory to their data (none when it is
/// empty, whatever the offset), from revm's gas; a gas left that skips the
/// expansion is rejected.
#[test]
fn returned_data_pays_for_its_memory() {
    use witness::cpu::col;
    let contracts = [
        (vec![0x60, 0x40, 0x60, 0x20, 0xf3], &[][..]), // RETURN(0x20, 0x40): 3 words
        (vec![0x5f, 0x5f, 0x19, 0xf3], &[][..]),       // RETURN(2^256 - 1, 0): nothing
        (vec![0x60, 0x20, 0x5f, 0xfd], &[][..]),       // REVERT(0, 0x20): 1 word
    ];
    let (block, trace, success) = execute_with_status(&contracts, &[0, 1, 2]);
    assert_eq!(success, [true, true, false]);
    let w = build_chunks(&trace, &PreState::of(&block).unwrap(), 8)
        .expect("in scope")
        .remove(0);
    let ends: Vec<usize> = (0..w.cpu.len())
        .filter(|&r| Family::ENDS.iter().any(|&f| w.cpu[r][col::sel(f)] == F::ONE))
        .collect();
    let left = |r: usize| {
        (0..7)
            .map(|k| w.cpu[r][col::OUT + k].to_canonical_u64() << (8 * k))
            .sum::<u64>()
    };
    let paid: Vec<u64> = ends
        .iter()
        .map(|&r| w.cpu[r][col::GAS].to_canonical_u64() - left(r))
        .collect();
    assert_eq!(paid, [memory_cost(3), 0, memory_cost(1)]);
    prove_and_verify(&w);

    let mut free = w.clone();
    let gas = w.cpu[ends[0]][col::GAS].to_canonical_u64();
    for k in 0..7 {
        free.cpu[ends[0]][col::OUT + k] = F::from_canonical_u64((gas >> (8 * k)) & 0xff);
    }
    refresh_range_frequencies(&mut free);
    assert_rejected(&free, "RETURN's memory expansion not paid");
}

/// Clears slots 0, 1 and 2 (each nonzero before), then stops.
fn clearing_program() -> Vec<u8> {
    let mut c = Vec::new();
    for slot in 0..3u8 {
        c.extend([0x5f, 0x60, slot, 0x55]); // PUSH0 PUSH1 slot SSTORE
    }
    c.push(0x00);
    c
}

/// The clearing contract (its refund capped at a fifth of the gas spent)
/// and the storage program (clear, then restore: 2800 refunded), from
/// revm's traces: one chunk.
fn refund_chunk() -> (ChunkWitness, BlockTrace) {
    let contracts = [
        (clearing_program(), &[(0, 1), (1, 2), (2, 3)][..]),
        (storage_program(), &[(0, 5), (2, 7)][..]),
    ];
    let (block, trace) = execute(&contracts, &[0, 1]);
    let mut ws = build_chunks(&trace, &PreState::of(&block).unwrap(), 8).expect("refunds are in scope");
    assert_eq!(ws.len(), 1);
    (ws.remove(0), trace)
}

/// Each transaction's gas used, as the receipts say, follows from the proven
/// gas left and refund counter: SSTORE refunds by EIP-3529, capped at a
/// fifth of the gas spent. Forged gas figures in the statement, a refund
/// change the storage table does not compute and a refund counter that
/// skips a change are rejected.
#[test]
fn proves_gas_used_with_refunds() {
    use witness::cpu::col;
    use witness::storage::col as s;
    let (base, trace) = refund_chunk();
    let calls = &base.statement.calls;
    assert_eq!(calls[0].refund, 3 * 4800, "three clears");
    assert_eq!(calls[1].refund, 2800, "a clear undone, then a restore");
    let spent: Vec<u64> = calls.iter().map(|c| c.gas_limit - c.gas_left).collect();
    let used: Vec<u64> = calls.iter().map(|c| c.gas_used().unwrap()).collect();
    assert_eq!(used, [spent[0] - spent[0] / 5, spent[1] - 2800], "the first is capped");
    assert!(spent[0] / 5 < 3 * 4800);
    let receipts: Vec<u64> = trace.txs.iter().map(|t| t.gas_used).collect();
    assert_eq!(used, receipts);
    let proof = prove_and_verify(&base);

    let mut forged = proof.clone();
    forged.statement.calls[1].refund = 0;
    assert!(verify_chunk(&forged).is_err(), "a refund the steps did not earn");
    let mut forged = proof.clone();
    forged.statement.calls[0].gas_left += 1;
    assert!(verify_chunk(&forged).is_err(), "more gas left than the last step has");
    let mut forged = proof.clone();
    forged.statement.calls[0].gas_limit += 1;
    let err = verify_chunk(&forged).unwrap_err();
    assert!(err.to_string().contains("intrinsic gas"), "{err}");

    // The first clear earns nothing in the storage table, the step table
    // and the statement, consistently: only the storage table's refund rule
    // can catch it.
    let first_clear = rows_with(&base.cpu, col::sel(Family::Sstore))[0];
    let clear_refund = F::from_canonical_u64(4800);
    let mut w = base.clone();
    let i = storage_row(&w, first_clear);
    assert_eq!(w.storage[i][s::CLEARS], F::ONE);
    w.storage[i][s::REFUND] = F::ZERO;
    w.cpu[first_clear][col::RDELTA] = F::ZERO;
    lower_refund(&mut w, first_clear + 1, clear_refund);
    assert_rejected(&w, "a clear that earns no refund");

    // The step table's counter skips the first clear's change.
    let mut w = base.clone();
    lower_refund(&mut w, first_clear + 1, clear_refund);
    assert_rejected(&w, "a refund counter skipping a change");
}

/// Lowers transaction 0's refund counter by `by` from step `from` to its
/// last step, in its call-context value and in the statement.
fn lower_refund(w: &mut ChunkWitness, from: usize, by: F) {
    use witness::context::col as c;
    use witness::cpu::col;
    for row in w.cpu[from..]
        .iter_mut()
        .filter(|r| r[col::TX] == F::ZERO && r[col::IS_REAL] == F::ONE)
    {
        row[col::REFUND] -= by;
    }
    let field = F::from_canonical_u64(witness::context::REFUND);
    let row = w
        .context
        .iter_mut()
        .find(|r| r[c::IS_REAL] == F::ONE && r[c::TX] == F::ZERO && r[c::FIELD] == field)
        .expect("transaction 0 has a refund field");
    row[c::VAL] -= by;
    w.statement.calls[0].refund -= by.to_canonical_u64();
}

/// Nonces, balances and fees from revm's traces: the sender buys its gas at
/// the effective price, its nonce goes up, the value reaches the callee, the
/// unused gas is paid back and the beneficiary earns the priority fee; the
/// state tree's new root holds them. A forged balance, a skipped account
/// field, a stale nonce and a forged account path are rejected.
#[test]
fn proves_nonces_balances_and_fees() {
    let (base, trace) = refund_chunk();
    let s = &base.statement;
    let field = |address: Address, f: u64| {
        s.accounts
            .iter()
            .find(|x| x.address == address && x.key == U256::from(f))
            .map(|x| (x.before, x.after))
            .unwrap()
    };
    use witness::accounting::{BALANCE, NONCE};
    assert_eq!(field(SENDER, NONCE), (U256::ZERO, U256::from(2u8)));
    let used: u64 = trace.txs.iter().map(|t| t.gas_used).sum();
    let (before, after) = field(SENDER, BALANCE);
    assert_eq!(
        before - after,
        U256::from(10 * used + 2 * VALUE),
        "gas at 10 wei, and the values"
    );
    let (before, after) = field(s.block.beneficiary, BALANCE);
    assert_eq!(
        after - before,
        U256::from(3 * used),
        "10 - 7 wei of priority fee per gas"
    );
    assert_eq!(field(contract(1), BALANCE), (U256::ZERO, U256::from(VALUE)));
    assert_eq!(
        s.accounts.len(),
        5,
        "sender nonce and balance, two callees, the beneficiary"
    );
    let proof = prove_and_verify(&base);

    let mut forged = proof.clone();
    forged.statement.accounts[0].after += U256::from(1u8);
    let err = verify_chunk(&forged).unwrap_err();
    assert!(err.to_string().contains("accounting"), "{err}");
    let mut forged = proof.clone();
    forged.statement.accounts.pop();
    forged.state.accounts.pop();
    let err = verify_chunk(&forged).unwrap_err();
    assert!(err.to_string().contains("accounting"), "{err}");
    let mut forged = proof.clone();
    forged.statement.calls[1].nonce = 0;
    let err = verify_chunk(&forged).unwrap_err();
    assert!(err.to_string().contains("nonce"), "{err}");
    let mut forged = proof.clone();
    forged.state.accounts[1].0[3] = HashOut::from_partial(&[F::ONE]);
    let err = verify_chunk(&forged).unwrap_err();
    assert!(err.to_string().contains("does not lead"), "{err}");
}

/// Plain transfers from revm's traces, to an account without code and to a
/// fresh address, beside a contract call: each is the STOP of empty code, pays
/// only its intrinsic gas, and moves its value; the state tree shows the
/// recipients hold no code. A transfer whose recipient has code under the
/// old root is rejected, by the witness generator and by the verifier.
#[test]
fn proves_plain_transfers() {
    let fresh = Address::with_last_byte(0xdd);
    let contracts = [(storage_program(), &[(0, 5)][..])];
    let (block, trace, success) = execute_calls(&contracts, &[PAYEE, contract(0), fresh]);
    assert_eq!(success, [true; 3]);
    assert!(
        trace.txs[0].steps.is_empty() && trace.txs[2].steps.is_empty(),
        "revm runs no step"
    );
    let pre = PreState::of(&block).unwrap();
    let mut ws = build_chunks(&trace, &pre, 8).expect("plain transfers are in scope");
    assert_eq!(ws.len(), 1);
    let w = ws.remove(0);
    let s = &w.statement;
    assert!(s.calls[0].code.is_empty() && s.calls[2].code.is_empty());
    assert_eq!(s.calls[0].gas_used(), Some(intrinsic_gas(&CALLDATA)));
    let balance = |address: Address| {
        s.accounts
            .iter()
            .find(|f| f.address == address && f.key == U256::from(witness::accounting::BALANCE))
            .map(|f| (f.before.to::<u64>(), f.after.to::<u64>()))
    };
    assert_eq!(balance(PAYEE), Some((5, 5 + VALUE)));
    assert_eq!(balance(fresh), Some((0, VALUE)));
    assert_eq!(s.steps, 2 + trace.txs[1].steps.len() as u64, "one STOP per transfer");
    let proof = prove_and_verify(&w);

    // The payee with code: the trace ran no step of it.
    let mut with_code = block.clone();
    with_code.pre_state.get_mut(&PAYEE).unwrap().code = Bytes::from(vec![0x00]);
    let err = build_chunks(&trace, &PreState::of(&with_code).unwrap(), 8).unwrap_err();
    assert!(matches!(err, WitnessError::MalformedTrace { tx: 0, .. }), "{err}");
    // A prover claiming the transfer anyway, from that state's root.
    let tree = PreState::of(&with_code).unwrap().tree;
    let mut forged = proof.clone();
    forged.statement.old_root = tree.root();
    let callees = forged.statement.callees();
    forged.state.code = callees
        .iter()
        .map(|&(address, _)| {
            tree.path(witness::state::position(witness::state::key(
                witness::state::CODE,
                address,
                U256::ZERO,
            )))
        })
        .collect();
    let err = verify_chunk(&forged).unwrap_err();
    assert!(err.to_string().contains("code path of"), "{err}");
}

/// A loop that keeps a word on the stack and two words of memory: stores 42
/// at 0, pushes 7, then counts `rounds` down, storing the counter at 0x20
/// each round (10 steps a round); then adds the word at 0 to the 7 and
/// stores the sum in slot 0 (its only storage access, after the loop).
fn memory_loop_program(rounds: u8) -> Vec<u8> {
    vec![
        0x60, 0x2a, 0x60, 0x00, 0x52, // PUSH1 42 PUSH1 0 MSTORE
        0x60, 0x07, 0x60, rounds, // PUSH1 7 PUSH1 rounds
        0x5b,   // 9: JUMPDEST
        0x60, 0x01, 0x90, 0x03, // PUSH1 1 SWAP1 SUB
        0x80, 0x60, 0x20, 0x52, // DUP1 PUSH1 0x20 MSTORE
        0x80, 0x60, 0x09, 0x57, // DUP1 PUSH1 9 JUMPI
        0x50, 0x60, 0x00, 0x51, 0x01, // POP PUSH1 0 MLOAD ADD
        0x60, 0x00, 0x55, 0x00, // PUSH1 0 SSTORE STOP
    ]
}

/// The chunks (2^8 rows) of a block whose first transaction stores a value
/// (4 steps), whose second runs the memory loop for 60 rounds (613 steps)
/// and whose third runs a short program (3 steps).
fn split_block_chunks() -> (Vec<ChunkWitness>, BlockTrace, PreState) {
    let contracts = [
        (vec![0x60, 0x05, 0x60, 0x01, 0x55, 0x00], &[][..]),
        (memory_loop_program(60), &[]),
        (vec![0x60, 0x01, 0x50, 0x00], &[]),
    ];
    let (block, trace) = execute(&contracts, &[0, 1, 2]);
    let pre = PreState::of(&block).unwrap();
    let ws = build_chunks(&trace, &pre, 8).expect("the long transaction is split");
    (ws, trace, pre)
}

/// A transaction longer than a chunk is split over three: each chunk
/// suspends it where the next resumes it (stack, memory, pc, gas), its first
/// piece shares its chunk with the transaction before it and its last with
/// the one after it, the chunks prove and link, and a prover sent a piece's
/// trace rebuilds the same witness. Forged boundaries are rejected: a
/// statement whose suspend boundary differs from what the steps leave (gas,
/// a stack word, a memory byte), a step table edited to leave that forged
/// state, and a sequence whose chunk resumes from another boundary than its
/// predecessor suspends at.
#[test]
fn a_transaction_longer_than_a_chunk_is_split_over_chunks() {
    let (ws, trace, pre) = split_block_chunks();
    let s: Vec<&witness::ChunkStatement> = ws.iter().map(|w| &w.statement).collect();
    assert_eq!(s.len(), 3);
    assert_eq!(
        s.iter().map(|s| (s.first_tx, s.end_tx)).collect::<Vec<_>>(),
        [(0, 1), (1, 1), (1, 3)]
    );
    assert_eq!(
        s.iter().map(|s| s.steps).sum::<u64>(),
        (4 + trace.txs[1].steps.len() + 3) as u64
    );
    assert!(s[0].resume.is_none() && s[2].suspend.is_none());
    assert_eq!(s[1].resume, s[0].suspend);
    assert_eq!(s[2].resume, s[1].suspend);
    let b = s[0].suspend.as_ref().expect("chunk 0 suspends the loop");
    assert_eq!(b.memory.len(), 64);
    assert_eq!(b.memory[31], 42);
    assert_eq!(b.stack[0], U256::from(7u8));
    let next = &trace.txs[1].steps[s[0].steps as usize - 4];
    assert_eq!((b.pc, b.gas), (next.pc, next.gas));
    assert_eq!(s[0].calls[1].gas_left, 0, "a suspended call has no end yet");
    assert_eq!(s[0].finished_calls().len(), 1);
    assert!(s[1].accounts.is_empty(), "accounting waits for the end");
    assert_eq!(s[2].calls[0].gas_used(), Some(trace.txs[1].gas_used));
    assert_eq!(s[2].storage.len(), 1, "the sum is stored after the last cut");
    assert_eq!(s[2].storage[0].after, U256::from(49u8));

    let proofs: Vec<ChunkProof> = ws.iter().map(prove_and_verify).collect();
    verify_chunk_sequence(&proofs).expect("the chunks link");

    let mut planned = chunk_witnesses(trace.clone(), &pre, 8).unwrap();
    for w in &ws {
        let (built, traces) = planned.next_with_traces().unwrap().unwrap();
        let again = rebuild_chunk(built.statement.clone(), built.state, &traces, 8).expect("the pieces rebuild");
        assert_eq!(
            (&again.statement, &again.cpu, &again.stack),
            (&w.statement, &w.cpu, &w.stack)
        );
        assert_eq!(again.memory, w.memory);
    }

    // Statements claiming another suspend boundary than the steps leave.
    let forge = |edit: &dyn Fn(&mut witness::boundary::Boundary)| {
        let mut forged = proofs[0].clone();
        edit(forged.statement.suspend.as_mut().unwrap());
        forged
    };
    for (what, forged) in [
        ("gas", forge(&|b| b.gas += 1)),
        ("stack word", forge(&|b| b.stack[0] += U256::from(1u8))),
        ("memory byte", forge(&|b| b.memory[31] = 43)),
    ] {
        assert!(verify_chunk(&forged).is_err(), "a forged {what} was accepted");
    }
    // The step table edited to leave one more gas, with the statement to match.
    let mut w = ws[0].clone();
    let r = w.statement.steps as usize;
    w.cpu[r][witness::cpu::col::GAS] += F::ONE;
    w.statement.suspend.as_mut().unwrap().gas += 1;
    assert_rejected(&w, "a suspended transaction left with more gas");
    // The boundary stack's final read edited, with the statement to match.
    let mut w = ws[0].clone();
    let ts = F::from_canonical_u64(witness::boundary::stack_final_ts(w.statement.steps));
    let row = w.stack.iter().position(|r| r[witness::stack::col::TS] == ts).unwrap();
    w.stack[row][witness::stack::col::VAL] += F::ONE;
    w.statement.suspend.as_mut().unwrap().stack[0] += U256::from(1u8);
    assert_rejected(&w, "a boundary stack word the steps did not leave");

    // A chunk resuming from another boundary than the previous chunk left.
    let mut resumed = proofs[1].clone();
    resumed.statement.resume.as_mut().unwrap().memory[31] = 43;
    assert!(verify_chunk(&resumed).is_err());
    let err = verify_chunk_sequence(&[proofs[0].clone(), resumed]).unwrap_err();
    assert!(err.to_string().contains("resumes"), "{err}");
    let err = verify_chunk_sequence(&proofs[1..]).unwrap_err();
    assert!(err.to_string().contains("resumes"), "{err}");
    let err = verify_chunk_sequence(&proofs[..2]).unwrap_err();
    assert!(err.to_string().contains("suspends a transaction"), "{err}");
}

/// Stores 5 in slot 1, runs `rounds` loop rounds, reads slot 1 back and
/// reverts: `7 rounds + 11` steps.
fn warm_revert_program(rounds: u8) -> Vec<u8> {
    vec![
        0x60, 0x05, 0x60, 0x01, 0x55, // PUSH1 5 PUSH1 1 SSTORE
        0x60, rounds, // PUSH1 rounds
        0x5b,   // 7: JUMPDEST
        0x60, 0x01, 0x90, 0x03, 0x80, 0x60, 0x07, 0x57, // PUSH1 1 SWAP1 SUB DUP1 PUSH1 7 JUMPI
        0x50, 0x60, 0x01, 0x54, 0x50, // POP PUSH1 1 SLOAD POP
        0x60, 0x00, 0x60, 0x00, 0xfd, // PUSH1 0 PUSH1 0 REVERT
    ]
}

/// A transaction that writes a slot, is split, then reads the slot back and
/// reverts: the slot crosses the cut warm with its value at the
/// transaction's start (the read costs 100 gas, as revm charged), and the
/// last chunk rolls back the write the first chunk made; a prover sent a
/// piece's trace rebuilds each chunk. Rejected: a resumed
/// warm slot claimed with another original value, the warm initial write
/// made cold, and a suspending chunk that leaves the slot out of its boundary.
#[test]
fn a_split_transaction_keeps_its_warm_slots_and_a_revert_rolls_them_back() {
    use witness::storage::{col as s, INIT_TX};
    let contracts = [(warm_revert_program(60), &[(1, 9)][..])];
    let (block, trace, success) = execute_with_status(&contracts, &[0]);
    assert_eq!(success, [false]);
    let pre = PreState::of(&block).unwrap();
    let ws = build_chunks(&trace, &pre, 8).expect("the transaction is split");
    assert_eq!(ws.len(), 2);
    // A prover sent the resuming chunk's statement and piece rebuilds it,
    // the warm slot's value taken from the statement's storage list.
    let mut planned = chunk_witnesses(trace.clone(), &pre, 8).unwrap();
    for w in &ws {
        let (built, traces) = planned.next_with_traces().unwrap().unwrap();
        let again = rebuild_chunk(built.statement, built.state, &traces, 8).expect("the pieces rebuild");
        assert_eq!((&again.statement, &again.storage), (&w.statement, &w.storage));
    }
    let (s0, s1) = (&ws[0].statement, &ws[1].statement);
    let warm = &s0.suspend.as_ref().expect("chunk 0 suspends").warm;
    assert_eq!(warm.len(), 1);
    assert_eq!((warm[0].key, warm[0].original), (U256::from(1u8), U256::from(9u8)));
    assert_eq!(s0.storage[0].after, U256::from(5u8), "the first chunk leaves the write");
    assert_eq!(
        (s1.storage[0].before, s1.storage[0].after),
        (U256::from(5u8), U256::from(9u8)),
        "the last chunk rolls it back"
    );
    assert!(s1.calls[0].reverted);
    assert_eq!(s1.calls[0].gas_used(), Some(trace.txs[0].gas_used));
    let proofs: Vec<ChunkProof> = ws.iter().map(prove_and_verify).collect();
    verify_chunk_sequence(&proofs).expect("the chunks link");

    let mut forged = proofs[1].clone();
    forged.statement.resume.as_mut().unwrap().warm[0].original = U256::from(5u8);
    assert!(
        verify_chunk(&forged).is_err(),
        "a warm slot with another original value"
    );
    let mut w = ws[1].clone();
    let r = w.storage.iter().position(|r| r[s::WARM_INIT] == F::ONE).unwrap();
    w.storage[r][s::WARM_INIT] = F::ZERO;
    w.storage[r][s::TX] = F::from_canonical_u64(INIT_TX);
    assert_rejected(&w, "a warm slot made cold");
    let mut w = ws[0].clone();
    let r = w.storage.iter().position(|r| r[s::WARM_FINAL] == F::ONE).unwrap();
    w.storage[r][s::WARM_FINAL] = F::ZERO;
    w.statement.suspend.as_mut().unwrap().warm.clear();
    assert_rejected(&w, "a warm slot left out of the suspend boundary");
}
