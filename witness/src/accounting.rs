//! Transaction-level accounting: the nonces and balances a chunk's
//! transactions change, as account fields of the state tree.
//!
//! Each transaction, in order (Cancun rules, as revm applies them):
//! 1. the sender buys its gas limit at the effective gas price, and must
//!    afford it and the value it sends;
//! 2. the sender's nonce, which must equal the transaction's, goes up by one;
//! 3. unless the transaction reverts, the value moves from the sender to
//!    the called contract;
//! 4. the sender gets back the gas it did not use ([`TxCall::gas_used`]) at
//!    the same price;
//! 5. the block's beneficiary earns the priority fee (the price less the
//!    base fee) per gas used; the base fee is burnt.
//!
//! Every field these steps touch is listed, even where it ends unchanged,
//! so the list follows from the statement alone: a verifier replays the same
//! steps from the listed values before and compares the values after.
//! Account fields are state-tree slots of kind [`crate::state::ACCOUNT`]:
//! slot [`NONCE`] and slot [`BALANCE`].

use crate::chunk::TxCall;
use crate::storage::StorageSlot;
use revm::primitives::{Address, U256};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The account-field slot of the nonce.
pub const NONCE: u64 = 0;
/// The account-field slot of the balance.
pub const BALANCE: u64 = 1;

/// The block-level values a chunk's statement holds: what the accounting
/// needs (the beneficiary and base fee) and what the block-context opcodes
/// push.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockContext {
    /// Who earns the priority fees (what COINBASE pushes).
    pub beneficiary: Address,
    /// Base fee per gas (burnt); zero before London.
    pub base_fee: u64,
    /// The block's number.
    pub number: u64,
    /// The block's timestamp.
    pub timestamp: u64,
    /// The block's gas limit.
    pub gas_limit: u64,
    /// The chain id.
    pub chain_id: u64,
    /// What PREVRANDAO (DIFFICULTY before the merge) pushes.
    pub prevrandao: U256,
}

impl BlockContext {
    /// The names of the values in which `self` and `other` differ.
    pub fn differences(&self, other: &Self) -> Vec<&'static str> {
        [
            ("beneficiary", self.beneficiary != other.beneficiary),
            ("base fee", self.base_fee != other.base_fee),
            ("number", self.number != other.number),
            ("timestamp", self.timestamp != other.timestamp),
            ("gas limit", self.gas_limit != other.gas_limit),
            ("chain id", self.chain_id != other.chain_id),
            ("randomness", self.prevrandao != other.prevrandao),
        ]
        .into_iter()
        .filter_map(|(name, differs)| differs.then_some(name))
        .collect()
    }
}

/// The name of an account field.
pub fn field_name(field: u64) -> &'static str {
    match field {
        NONCE => "nonce",
        BALANCE => "balance",
        _ => "unknown field",
    }
}

/// Account fields as they change: each one's value before the replay and now.
struct Ledger<R> {
    fields: BTreeMap<(Address, u64), (U256, U256)>,
    read: R,
}

impl<R: FnMut(Address, u64) -> Result<U256, String>> Ledger<R> {
    fn get(&mut self, address: Address, field: u64) -> Result<U256, String> {
        if let Some(&(_, now)) = self.fields.get(&(address, field)) {
            return Ok(now);
        }
        let value = (self.read)(address, field)?;
        self.fields.insert((address, field), (value, value));
        Ok(value)
    }

    fn set(&mut self, address: Address, field: u64, value: U256) -> Result<(), String> {
        self.get(address, field)?;
        self.fields.get_mut(&(address, field)).expect("read above").1 = value;
        Ok(())
    }

    fn debit(&mut self, tx: u32, address: Address, amount: U256, what: &str) -> Result<(), String> {
        let balance = self.get(address, BALANCE)?;
        let left = balance
            .checked_sub(amount)
            .ok_or_else(|| format!("transaction {tx}: {address} holds {balance} wei, short of {amount} for {what}"))?;
        self.set(address, BALANCE, left)
    }

    fn credit(&mut self, tx: u32, address: Address, amount: U256) -> Result<(), String> {
        let balance = self.get(address, BALANCE)?;
        let sum = balance
            .checked_add(amount)
            .ok_or_else(|| format!("transaction {tx}: crediting {amount} wei to {address} overflows its balance"))?;
        self.set(address, BALANCE, sum)
    }

    fn apply(&mut self, call: &TxCall, block: &BlockContext) -> Result<(), String> {
        let tx = call.tx;
        let price = U256::from(call.gas_price);
        let priority = call.gas_price.checked_sub(u128::from(block.base_fee)).ok_or_else(|| {
            format!(
                "transaction {tx}: gas price {} below the base fee {}",
                call.gas_price, block.base_fee
            )
        })?;
        let used = call
            .gas_used()
            .ok_or_else(|| format!("transaction {tx}: more gas left than its limit"))?;
        let upfront = U256::from(call.gas_limit) * price;
        let balance = self.get(call.caller, BALANCE)?;
        if balance < upfront.saturating_add(call.value) {
            return Err(format!(
                "transaction {tx}: {} holds {balance} wei, short of its gas ({upfront}) and value ({})",
                call.caller, call.value
            ));
        }
        self.debit(tx, call.caller, upfront, "its gas")?;
        let nonce = self.get(call.caller, NONCE)?;
        if nonce != U256::from(call.nonce) {
            return Err(format!(
                "transaction {tx}: nonce {} but {} is at nonce {nonce}",
                call.nonce, call.caller
            ));
        }
        self.set(call.caller, NONCE, nonce + U256::from(1u8))?;
        if !call.reverted {
            self.debit(tx, call.caller, call.value, "its value")?;
        }
        // The callee is listed even when nothing moves.
        let value = if call.reverted { U256::ZERO } else { call.value };
        self.credit(tx, call.address, value)?;
        self.credit(tx, call.caller, U256::from(call.gas_limit - used) * price)?;
        self.credit(tx, block.beneficiary, U256::from(used) * U256::from(priority))
    }
}

/// Replays the accounting of `calls` (in order) in a block with context `block`, reading each
/// field's value before them with `read` (once per field), and returns every
/// field touched with its values before and after, sorted by (account,
/// field), or why the transactions cannot be accounted for.
pub fn replay(
    calls: &[TxCall],
    block: &BlockContext,
    read: impl FnMut(Address, u64) -> Result<U256, String>,
) -> Result<Vec<StorageSlot>, String> {
    let mut ledger = Ledger {
        fields: BTreeMap::new(),
        read,
    };
    for call in calls {
        ledger.apply(call, block)?;
    }
    Ok(ledger
        .fields
        .into_iter()
        .map(|((address, field), (before, after))| StorageSlot {
            address,
            key: U256::from(field),
            before,
            after,
        })
        .collect())
}

/// Checks a statement's listed account fields against a replay of its
/// calls: the same fields, each with the replay's value after.
pub fn check(calls: &[TxCall], block: &BlockContext, listed: &[StorageSlot]) -> Result<(), String> {
    let before: BTreeMap<(Address, U256), U256> = listed.iter().map(|s| ((s.address, s.key), s.before)).collect();
    let replayed = replay(calls, block, |address, field| {
        before
            .get(&(address, U256::from(field)))
            .copied()
            .ok_or_else(|| format!("the {} of {address} is touched but not listed", field_name(field)))
    })?;
    if replayed.len() != listed.len() {
        return Err(format!(
            "{} account fields listed, the transactions touch {}",
            listed.len(),
            replayed.len()
        ));
    }
    for (r, l) in replayed.iter().zip(listed) {
        if (r.address, r.key) != (l.address, l.key) {
            return Err(format!(
                "account fields must be listed in (account, field) order, once each: {} of {} where {} of {} is due",
                l.key, l.address, r.key, r.address
            ));
        }
        if r.after != l.after {
            return Err(format!(
                "the {} of {} ends at {} after the transactions, the statement says {}",
                field_name(r.key.to()),
                r.address,
                r.after,
                l.after
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(tx: u32, reverted: bool) -> TxCall {
        TxCall {
            tx,
            code: vec![0x00],
            address: Address::with_last_byte(0x10),
            caller: Address::with_last_byte(0xaa),
            value: U256::from(1000u64),
            calldata: vec![],
            gas: 79_000,
            gas_limit: 100_000,
            gas_left: 70_000,
            refund: 0,
            gas_price: 10,
            nonce: u64::from(tx),
            reverted,
        }
    }

    const BLOCK: BlockContext = BlockContext {
        beneficiary: Address::with_last_byte(0xcc),
        base_fee: 7,
        number: 1,
        timestamp: 1_700_000_000,
        gas_limit: 30_000_000,
        chain_id: 1,
        prevrandao: U256::ZERO,
    };

    fn start(address: Address, field: u64) -> Result<U256, String> {
        Ok(if address == Address::with_last_byte(0xaa) && field == BALANCE {
            U256::from(10_000_000u64)
        } else {
            U256::ZERO
        })
    }

    #[test]
    fn fees_values_and_nonces_follow_cancun() {
        let calls = [call(0, false), call(1, true)];
        let fields = replay(&calls, &BLOCK, start).unwrap();
        let find = |a: u8, f: u64| {
            fields
                .iter()
                .find(|s| s.address == Address::with_last_byte(a) && s.key == U256::from(f))
                .map(|s| s.after.to::<u64>())
        };
        // Each used 30,000 gas at 10 wei: 3 wei a gas to the beneficiary.
        assert_eq!(find(0xaa, BALANCE), Some(10_000_000 - 2 * 300_000 - 1000));
        assert_eq!(find(0xaa, NONCE), Some(2));
        assert_eq!(find(0x10, BALANCE), Some(1000), "the reverted value stays");
        assert_eq!(find(0xcc, BALANCE), Some(2 * 30_000 * 3));
        assert_eq!(fields.len(), 4);
        assert_eq!(check(&calls, &BLOCK, &fields), Ok(()));

        let mut forged = fields.clone();
        forged[0].after += U256::from(1u8);
        assert!(check(&calls, &BLOCK, &forged).is_err(), "a wrong value after");
        assert!(check(&calls, &BLOCK, &fields[1..]).is_err(), "a field left out");
        let mut stale = calls.clone();
        stale[1].nonce = 0;
        assert!(check(&stale, &BLOCK, &fields).unwrap_err().contains("nonce"));
        let poor = |_: Address, _: u64| Ok(U256::from(5u8));
        assert!(replay(&calls, &BLOCK, poor).unwrap_err().contains("short of"));
        let cheap = BlockContext { base_fee: 11, ..BLOCK };
        assert!(replay(&calls, &cheap, start)
            .unwrap_err()
            .contains("below the base fee"));
    }
}
