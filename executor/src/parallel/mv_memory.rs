//! Block-STM's multi-version memory: for every state location, the values
//! written by each transaction index, so that transaction `i` reads the
//! latest write below `i` (or the pre-state).
//!
//! Locations are whole accounts (balance, nonce, code hash), storage slots,
//! and "storage wipes" (an account created or destroyed, which clears its
//! storage). Besides absolute values an account can hold *credits*: balance
//! increments (the beneficiary's fees, plain transfers' value) that commute,
//! so transactions that only credit an account do not conflict with each other.

use crate::state::WorldState;
use revm::primitives::hardfork::SpecId;
use revm::primitives::map::DefaultHashBuilder;
use revm::primitives::{Address, HashMap, B256, KECCAK_EMPTY, U256};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Index of a transaction in the block.
pub(crate) type TxIdx = usize;

/// Number of lock shards of the memory.
const SHARDS: usize = 64;

/// A unit of state that transactions read and write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Location {
    /// An account's balance, nonce and code hash (and existence).
    Account(Address),
    /// One storage slot.
    Slot(Address, U256),
    /// Whether the account's storage was cleared (creation or self-destruct).
    Wipe(Address),
}

/// An account's fields as the memory holds them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AccountValue {
    /// Balance in wei.
    pub balance: U256,
    /// Nonce.
    pub nonce: u64,
    /// Code hash.
    pub code_hash: B256,
}

impl AccountValue {
    fn is_empty(&self) -> bool {
        self.balance.is_zero() && self.nonce == 0 && self.code_hash == KECCAK_EMPTY
    }
}

/// What one transaction wrote to one location.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Written {
    /// The account after the transaction (`None`: it does not exist).
    Account(Option<AccountValue>),
    /// A balance increment on top of whatever the account holds.
    Credit(U256),
    /// A storage value.
    Slot(U256),
    /// The account's storage was cleared.
    Wipe,
}

/// An entry: a value, or a marker that the writer is being re-executed and
/// will probably write here again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entry {
    Value(Written),
    Estimate,
}

/// A value read, as validation compares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReadValue {
    /// A full account read.
    Account(Option<AccountValue>),
    /// An account read for its code only (a plain transfer's recipient),
    /// which ignores balance credits.
    CodeOnly(Option<B256>),
    /// A storage slot read.
    Slot(U256),
}

/// A read that could not complete: a lower transaction's write is pending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Blocked(pub TxIdx);

/// The versions of one location: (writer, entry), sorted by writer. Most
/// locations have one or two writers, so a sorted vector beats a tree.
type Versions = Vec<(TxIdx, Entry)>;

/// The multi-version memory of one block execution.
pub(crate) struct MvMemory<'a> {
    shards: Vec<Mutex<HashMap<Location, Versions>>>,
    hasher: DefaultHashBuilder,
    /// Whether any storage wipe was ever recorded (most blocks have none, and
    /// then a slot read needs no wipe lookup).
    any_wipe: AtomicBool,
    /// Locations each transaction's last incarnation wrote.
    last_written: Vec<Mutex<Vec<Location>>>,
    base: &'a WorldState,
    spec: SpecId,
}

impl<'a> MvMemory<'a> {
    /// An empty memory over the pre-state `base` for `txs` transactions.
    pub fn new(base: &'a WorldState, txs: usize, spec: SpecId) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::default())).collect(),
            hasher: DefaultHashBuilder::default(),
            any_wipe: AtomicBool::new(false),
            last_written: (0..txs).map(|_| Mutex::new(Vec::new())).collect(),
            base,
            spec,
        }
    }

    /// The lock shard holding `location`.
    fn shard(&self, location: &Location) -> std::sync::MutexGuard<'_, HashMap<Location, Versions>> {
        let index = (self.hasher.hash_one(location) >> 32) as usize % SHARDS;
        self.shards[index].lock().expect("mv memory lock")
    }

    /// Visits the entries of `location` below `tx`, newest first, until `visit` says stop.
    fn scan_below(&self, location: &Location, tx: TxIdx, mut visit: impl FnMut(TxIdx, Entry) -> bool) {
        let shard = self.shard(location);
        if let Some(versions) = shard.get(location) {
            let below = versions.partition_point(|(idx, _)| *idx < tx);
            for (idx, entry) in versions[..below].iter().rev() {
                if !visit(*idx, *entry) {
                    return;
                }
            }
        }
    }

    fn base_account(&self, address: &Address) -> Option<AccountValue> {
        account_value(self.base, address)
    }

    /// The account as transaction `tx` sees it, credits included.
    pub fn read_account(&self, address: Address, tx: TxIdx) -> Result<Option<AccountValue>, Blocked> {
        let mut credits = Vec::new();
        let mut found = None;
        let mut blocked = None;
        self.scan_below(&Location::Account(address), tx, |idx, entry| match entry {
            Entry::Estimate => {
                blocked = Some(idx);
                false
            }
            Entry::Value(Written::Credit(amount)) => {
                credits.push(amount);
                true
            }
            Entry::Value(Written::Account(value)) => {
                found = Some(value);
                false
            }
            Entry::Value(_) => true,
        });
        if let Some(idx) = blocked {
            return Err(Blocked(idx));
        }
        let mut account = found.unwrap_or_else(|| self.base_account(&address));
        for amount in credits.into_iter().rev() {
            account = apply_credit(account, amount, self.spec);
        }
        Ok(account)
    }

    /// The account's code hash as `tx` sees it, ignoring balance credits.
    pub fn read_code_hash(&self, address: Address, tx: TxIdx) -> Result<Option<B256>, Blocked> {
        let mut found = None;
        let mut blocked = None;
        self.scan_below(&Location::Account(address), tx, |idx, entry| match entry {
            Entry::Estimate => {
                blocked = Some(idx);
                false
            }
            Entry::Value(Written::Account(value)) => {
                found = Some(value);
                false
            }
            Entry::Value(_) => true,
        });
        if let Some(idx) = blocked {
            return Err(Blocked(idx));
        }
        Ok(found
            .unwrap_or_else(|| self.base_account(&address))
            .map(|a| a.code_hash))
    }

    /// The newest write below `tx` at `location` as (writer, value), or `None` for the pre-state.
    fn latest(&self, location: &Location, tx: TxIdx) -> Result<Option<(TxIdx, Written)>, Blocked> {
        let mut result = Ok(None);
        self.scan_below(location, tx, |idx, entry| {
            result = match entry {
                Entry::Estimate => Err(Blocked(idx)),
                Entry::Value(value) => Ok(Some((idx, value))),
            };
            false
        });
        result
    }

    /// A storage slot as `tx` sees it.
    pub fn read_slot(&self, address: Address, slot: U256, tx: TxIdx) -> Result<U256, Blocked> {
        let written = self.latest(&Location::Slot(address, slot), tx)?;
        let wiped = if self.any_wipe.load(Ordering::Acquire) {
            self.latest(&Location::Wipe(address), tx)?.map(|(idx, _)| idx)
        } else {
            None
        };
        Ok(match (written, wiped) {
            (Some((w, Written::Slot(value))), Some(x)) if w >= x => value,
            (Some((_, Written::Slot(value))), None) => value,
            (_, Some(_)) => U256::ZERO,
            _ => slot_value(self.base, &address, &slot),
        })
    }

    /// Re-reads a location the way it was first read.
    pub fn reread(&self, location: &Location, kind: &ReadValue, tx: TxIdx) -> Result<ReadValue, Blocked> {
        Ok(match (location, kind) {
            (Location::Account(a), ReadValue::CodeOnly(_)) => ReadValue::CodeOnly(self.read_code_hash(*a, tx)?),
            (Location::Account(a), _) => ReadValue::Account(self.read_account(*a, tx)?),
            (Location::Slot(a, s), _) => ReadValue::Slot(self.read_slot(*a, *s, tx)?),
            (Location::Wipe(_), _) => *kind,
        })
    }

    /// Publishes an incarnation's writes, removing its previous incarnation's
    /// stale ones. Returns true when it wrote a location the previous one did not.
    pub fn record(&self, tx: TxIdx, writes: Vec<(Location, Written)>) -> bool {
        let mut previous = self.last_written[tx].lock().expect("mv memory lock");
        let new_locations: Vec<Location> = writes.iter().map(|(l, _)| *l).collect();
        for location in previous.iter().filter(|l| !new_locations.contains(l)) {
            if let Some(versions) = self.shard(location).get_mut(location) {
                versions.retain(|(idx, _)| *idx != tx);
            }
        }
        let wrote_new = new_locations.iter().any(|l| !previous.contains(l));
        for (location, value) in writes {
            if matches!(location, Location::Wipe(_)) {
                self.any_wipe.store(true, Ordering::Release);
            }
            let mut shard = self.shard(&location);
            let versions = shard.entry(location).or_default();
            match versions.binary_search_by_key(&tx, |(idx, _)| *idx) {
                Ok(at) => versions[at].1 = Entry::Value(value),
                Err(at) => versions.insert(at, (tx, Entry::Value(value))),
            }
        }
        *previous = new_locations;
        wrote_new
    }

    /// Marks every location `tx` last wrote as an estimate (it is being re-executed).
    pub fn mark_estimates(&self, tx: TxIdx) {
        let previous = self.last_written[tx].lock().expect("mv memory lock");
        for location in previous.iter() {
            let mut shard = self.shard(location);
            if let Some(versions) = shard.get_mut(location) {
                if let Ok(at) = versions.binary_search_by_key(&tx, |(idx, _)| *idx) {
                    versions[at].1 = Entry::Estimate;
                }
            }
        }
    }
}

/// An account of `state` as the memory holds it (`None`: it does not exist).
pub(crate) fn account_value(state: &WorldState, address: &Address) -> Option<AccountValue> {
    state.accounts.get(address).map(|a| AccountValue {
        balance: a.balance,
        nonce: a.nonce,
        code_hash: a.code_hash,
    })
}

/// A storage slot of `state` (zero where it holds none).
pub(crate) fn slot_value(state: &WorldState, address: &Address, slot: &U256) -> U256 {
    state
        .accounts
        .get(address)
        .and_then(|a| a.storage.get(slot).copied())
        .unwrap_or_default()
}

/// An account after a balance credit, with revm's touch rules: from Spurious
/// Dragon on an empty account is removed, before it a missing one is created.
pub(crate) fn apply_credit(account: Option<AccountValue>, amount: U256, spec: SpecId) -> Option<AccountValue> {
    let clears_empty = spec.is_enabled_in(SpecId::SPURIOUS_DRAGON);
    match account {
        Some(mut a) => {
            a.balance = a.balance.saturating_add(amount);
            (!(clears_empty && a.is_empty())).then_some(a)
        }
        None if !amount.is_zero() || !clears_empty => Some(AccountValue {
            balance: amount,
            nonce: 0,
            code_hash: KECCAK_EMPTY,
        }),
        None => None,
    }
}
