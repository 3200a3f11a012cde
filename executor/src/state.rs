//! The world state the executor reads and writes: accounts with their storage
//! and the bytecode they reference, plus the rules for committing one
//! transaction's changes (self-destruct, EIP-161 empty-account clearing) and
//! for crediting rewards and withdrawals.

use crate::input::PreAccount;
use revm::bytecode::Bytecode;
use revm::primitives::hardfork::SpecId;
use revm::primitives::map::{AddressMap, B256Map, U256Map};
use revm::primitives::{keccak256, Address, B256, KECCAK_EMPTY, U256};
use revm::state::{AccountInfo, EvmState};
use revm::DatabaseRef;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::convert::Infallible;

/// One account of the world state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountState {
    /// Balance in wei.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// Keccak hash of the code ([`KECCAK_EMPTY`] for none).
    pub code_hash: B256,
    /// Non-zero storage slots.
    pub storage: U256Map<U256>,
}

impl AccountState {
    /// An account with no balance, nonce, code or storage.
    pub fn empty() -> Self {
        Self {
            code_hash: KECCAK_EMPTY,
            ..Self::default()
        }
    }

    /// True when balance and nonce are zero and there is no code (EIP-161).
    pub fn is_empty(&self) -> bool {
        self.balance.is_zero() && self.nonce == 0 && self.code_hash == KECCAK_EMPTY
    }
}

/// Accounts by address plus every bytecode by hash. The maps hash their
/// fixed-size keys with alloy's fast hasher (randomly seeded foldhash), as
/// revm's own state does: state lookups are much of the executor's work
/// outside the EVM.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorldState {
    /// Existing accounts.
    pub accounts: AddressMap<AccountState>,
    /// Bytecode by code hash.
    pub codes: B256Map<Bytecode>,
}

impl WorldState {
    /// Builds the state from a block's pre-state.
    pub fn from_pre_state(pre: &BTreeMap<Address, PreAccount>) -> Self {
        let mut state = Self::default();
        for (address, account) in pre {
            let code_hash = if account.code.is_empty() {
                KECCAK_EMPTY
            } else {
                let hash = keccak256(&account.code);
                state.codes.insert(hash, Bytecode::new_raw(account.code.clone()));
                hash
            };
            let storage = account
                .storage
                .iter()
                .filter(|(_, v)| !v.is_zero())
                .map(|(k, v)| (*k, *v))
                .collect();
            state.accounts.insert(
                *address,
                AccountState {
                    balance: account.balance,
                    nonce: account.nonce,
                    code_hash,
                    storage,
                },
            );
        }
        state
    }

    /// Commits one transaction's (or system call's) changes, as revm reports them.
    pub fn commit(&mut self, changes: &EvmState, spec: SpecId) {
        for (address, account) in changes {
            if !account.is_touched() {
                continue;
            }
            if account.is_selfdestructed() || (account.is_empty() && spec.is_enabled_in(SpecId::SPURIOUS_DRAGON)) {
                self.accounts.remove(address);
                continue;
            }
            if let Some(code) = &account.info.code {
                self.codes.entry(account.info.code_hash).or_insert_with(|| code.clone());
            }
            let entry = self.accounts.entry(*address).or_insert_with(AccountState::empty);
            if account.is_created() {
                entry.storage.clear();
            }
            entry.balance = account.info.balance;
            entry.nonce = account.info.nonce;
            entry.code_hash = account.info.code_hash;
            for (slot, value) in account.changed_storage_slots() {
                if value.present_value.is_zero() {
                    entry.storage.remove(slot);
                } else {
                    entry.storage.insert(*slot, value.present_value);
                }
            }
        }
    }

    /// Credits `amount` wei to `address` outside any transaction (block
    /// reward, withdrawal). A zero credit touches nothing.
    pub fn credit(&mut self, address: Address, amount: U256) {
        if amount.is_zero() {
            return;
        }
        let entry = self.accounts.entry(address).or_insert_with(AccountState::empty);
        entry.balance = entry.balance.saturating_add(amount);
    }

    /// The state as a pre-state for the next block.
    pub fn to_pre_state(&self) -> BTreeMap<Address, PreAccount> {
        self.accounts
            .iter()
            .map(|(address, a)| {
                let code = self
                    .codes
                    .get(&a.code_hash)
                    .map(|c| c.original_bytes())
                    .unwrap_or_default();
                let storage = a.storage.iter().map(|(k, v)| (*k, *v)).collect();
                (
                    *address,
                    PreAccount {
                        balance: a.balance,
                        nonce: a.nonce,
                        code,
                        storage,
                    },
                )
            })
            .collect()
    }

    /// revm's view of an account.
    pub fn account_info(&self, address: &Address) -> Option<AccountInfo> {
        self.accounts.get(address).map(|a| AccountInfo {
            balance: a.balance,
            nonce: a.nonce,
            code_hash: a.code_hash,
            account_id: None,
            code: self.codes.get(&a.code_hash).cloned(),
        })
    }
}

/// The hash revm and the ethereum/tests fixtures use for a block hash nobody
/// supplied: keccak of the decimal block number.
pub fn default_block_hash(number: u64) -> B256 {
    keccak256(number.to_string().as_bytes())
}

/// The hash of block `number`: the one supplied in `known`, else [`default_block_hash`].
pub fn block_hash(known: &BTreeMap<u64, B256>, number: u64) -> B256 {
    known
        .get(&number)
        .copied()
        .unwrap_or_else(|| default_block_hash(number))
}

/// A read-only revm database over a [`WorldState`] and known block hashes.
/// The state sits in a `RefCell` so that the sequential path can commit each
/// transaction between runs while one revm instance keeps reading it.
pub struct StateDb<'a> {
    /// The state read.
    pub state: &'a RefCell<WorldState>,
    /// Known block hashes by number.
    pub block_hashes: &'a BTreeMap<u64, B256>,
}

impl DatabaseRef for StateDb<'_> {
    type Error = Infallible;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Infallible> {
        Ok(self.state.borrow().account_info(&address))
    }

    fn code_by_hash_ref(&self, code_hash: B256) -> Result<Bytecode, Infallible> {
        Ok(self.state.borrow().codes.get(&code_hash).cloned().unwrap_or_default())
    }

    fn storage_ref(&self, address: Address, index: U256) -> Result<U256, Infallible> {
        Ok(self
            .state
            .borrow()
            .accounts
            .get(&address)
            .and_then(|a| a.storage.get(&index).copied())
            .unwrap_or_default())
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Infallible> {
        Ok(block_hash(self.block_hashes, number))
    }
}
