//! The storage read/write table: every SLOAD and SSTORE of a chunk, grouped
//! by storage slot and sorted by time stamp, with the gas each one costs.
//!
//! The chunk's statement lists the slots it touches ([`StorageSlot`]: the
//! contract, the key, the value before the chunk and the value after it),
//! sorted by (contract, key); a slot's position in that list is its index
//! `IDX`, the table's sort key. Each slot's rows are:
//!
//! 1. an initial write of its value before the chunk (`IS_INIT`, time stamp 0),
//! 2. the step table's accesses (time stamp `clk + 1`), reads returning the
//!    previous row's value,
//! 3. a final read of its value after the chunk (`IS_FINAL`, time stamp
//!    [`FINAL_TS`]).
//!
//! The initial and final rows are pinned by a lookup to tuples the verifier
//! derives from the statement ([`slot_tuples`]), so the table holds exactly
//! the listed slots, each access row carries its slot's contract and key,
//! and what the chunk reads and leaves behind is what the statement says.
//!
//! Gas (EIP-2929 and EIP-2200 as of Cancun): an access is cold when it is
//! the first to its slot in its transaction (`COLD`: the row above belongs
//! to another transaction, and initial rows belong to none, [`INIT_TX`]);
//! SSTORE's price depends on the slot's value at the start of the
//! transaction (`ORIG`), its current value (the row above) and the new one.
//! The table computes the cost (`COST`) and the step table charges it.
//! SSTORE also moves the transaction's refund counter (EIP-2200 with
//! EIP-3529's figures, [`sstore_refund`]); the table computes the change
//! (`REFUND`) from the same three values and the step table adds it up.
//!
//! Reverts: access rows carry their transaction's [`crate::context::REVERTED`]
//! flag (`REV`, bound by a lookup into the call-context table). A reverted
//! transaction's last row in each slot (`LAST`) must leave the slot at
//! `ORIG`; where it changed the slot, an unpriced rollback write of `ORIG`
//! (`IS_ROLLBACK`, at the time stamp of the accesses of its last step, not
//! matched by any step) ends its rows. The rollback row is the ordering's tie
//! row ([`crate::rw::SortedColumns::tie`]): it may share the time stamp of the
//! row above, an SSTORE that ran out of gas ending the transaction.
//!
//! A transaction split across chunks ([`crate::boundary`]) keeps its warm
//! slots: where a chunk resumes it, the initial write of each slot it has
//! touched is `WARM_INIT` and belongs to it, with the slot's value at its start
//! as `ORIG` (so its next access is warm, priced against `ORIG`, and, when
//! it reverts, rolled back to `ORIG` even if untouched in this chunk: the
//! warm initial row counts as its row for `REV` and `LAST`); where a chunk
//! suspends it, the final read of each slot whose last row is its is
//! `WARM_FINAL`, with that row's transaction and `ORIG`. Both are pinned by
//! a lookup to the boundaries' warm slots ([`warm_tuples`]).

use crate::rw::pad_and_order;
use crate::word::{limbs, LIMBS};
use crate::{range, WitnessError, F};
use plonky2::field::types::Field;
use revm::primitives::{Address, U256};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Column indices of the storage table.
pub mod col {
    use crate::word::LIMBS;

    /// 1 on rows holding an access, an initial write or a final read.
    pub const IS_REAL: usize = 0;
    /// 1 on a slot's initial write (its value before the chunk).
    pub const IS_INIT: usize = 1;
    /// 1 on a slot's final read (its value after the chunk).
    pub const IS_FINAL: usize = 2;
    /// Transaction of an access ([`super::INIT_TX`] on initial writes).
    pub const TX: usize = 3;
    /// Gas the access costs.
    pub const COST: usize = 4;
    /// The slot's index in the statement's list.
    pub const IDX: usize = 5;
    /// Time stamp: the step's row counter plus one; 0 for initial writes,
    /// [`super::FINAL_TS`] for final reads.
    pub const TS: usize = 6;
    /// 1 for a write (SSTORE, initial writes).
    pub const IS_WRITE: usize = 7;
    /// The slot's contract, the little-endian bytes of its word (as ADDRESS pushes it).
    pub const ADDR: usize = 8;
    /// Number of ADDR bytes.
    pub const ADDR_BYTES: usize = 20;
    /// The slot's key, byte limbs.
    pub const KEY: usize = ADDR + ADDR_BYTES;
    /// The value read or written, byte limbs.
    pub const VAL: usize = KEY + LIMBS;
    /// Accesses: the slot's value at the start of the transaction, byte limbs.
    pub const ORIG: usize = VAL + LIMBS;
    /// 1 when the next row has the same slot.
    pub const SAME: usize = ORIG + LIMBS;
    /// 1 when the next row has a later slot.
    pub const NEW_SLOT: usize = SAME + 1;
    /// Bytes of the ordering difference to the next row (minus one).
    pub const DELTA: usize = NEW_SLOT + 1;
    /// Number of DELTA bytes.
    pub const DELTA_BYTES: usize = 4;
    /// 1 on an access that is its transaction's first to the slot.
    pub const COLD: usize = DELTA + DELTA_BYTES;
    /// Inverse of the transaction step from the row above (on cold accesses).
    pub const TX_INV: usize = COLD + 1;
    /// 1 when the value equals the row above's (an SSTORE that changes nothing).
    pub const NOOP: usize = TX_INV + 1;
    /// Inverse witness of NOOP's test.
    pub const NOOP_INV: usize = NOOP + 1;
    /// 1 when ORIG equals the row above's value (a slot not yet changed in the transaction).
    pub const CLEAN: usize = NOOP_INV + 1;
    /// Inverse witness of CLEAN's test.
    pub const CLEAN_INV: usize = CLEAN + 1;
    /// 1 when ORIG is zero.
    pub const ORIG_ZERO: usize = CLEAN_INV + 1;
    /// Inverse witness of ORIG_ZERO's test.
    pub const ORIG_ZERO_INV: usize = ORIG_ZERO + 1;
    /// `(1 - NOOP) * CLEAN`: an SSTORE that pays the set or reset price.
    pub const FIRST_CHANGE: usize = ORIG_ZERO_INV + 1;
    /// `FIRST_CHANGE * ORIG_ZERO`: an SSTORE that pays the set price.
    pub const CREATES: usize = FIRST_CHANGE + 1;
    /// Accesses: 1 when the transaction reverts.
    pub const REV: usize = CREATES + 1;
    /// 1 on a rollback write (a reverted transaction restoring `ORIG`).
    pub const IS_ROLLBACK: usize = REV + 1;
    /// 1 on an access that is its transaction's last to the slot.
    pub const LAST: usize = IS_ROLLBACK + 1;
    /// 1 when VAL is zero (on every row).
    pub const VAL_ZERO: usize = LAST + 1;
    /// Inverse witness of VAL_ZERO's test.
    pub const VAL_ZERO_INV: usize = VAL_ZERO + 1;
    /// 1 when VAL equals ORIG (a write restoring the value at the start of the transaction).
    pub const RESTORE: usize = VAL_ZERO_INV + 1;
    /// Inverse witness of RESTORE's test.
    pub const RESTORE_INV: usize = RESTORE + 1;
    /// `(1 - NOOP) * VAL_ZERO * (1 - ORIG_ZERO)`: a write clearing a slot
    /// that was nonzero at the start of the transaction.
    pub const CLEARS: usize = RESTORE_INV + 1;
    /// `DIRTY * VAL_ZERO(above) * (1 - ORIG_ZERO)`, with `DIRTY = 1 - NOOP -
    /// FIRST_CHANGE`: a write undoing an earlier clear of the slot.
    pub const UNCLEARS: usize = CLEARS + 1;
    /// `DIRTY * RESTORE`: a write putting back the value at the start of the
    /// transaction after an earlier change.
    pub const RESTORES: usize = UNCLEARS + 1;
    /// `RESTORES * ORIG_ZERO`: such a write putting back a zero.
    pub const RESTORES_ZERO: usize = RESTORES + 1;
    /// Change of the transaction's refund counter (SSTORE; zero otherwise).
    pub const REFUND: usize = RESTORES_ZERO + 1;
    /// 1 on the initial write of a slot the resumed transaction has touched
    /// (the row is that transaction's, warm).
    pub const WARM_INIT: usize = REFUND + 1;
    /// 1 on the final read of a slot the suspended transaction touched last.
    pub const WARM_FINAL: usize = WARM_INIT + 1;
    /// Final reads of a suspending chunk: the inverse of the row above's
    /// transaction less the suspended one (when the slot is not warm).
    pub const GAP_INV: usize = WARM_FINAL + 1;
    /// Byte range table.
    pub const RANGE: usize = GAP_INV + 1;
    /// Lookup frequencies of RANGE.
    pub const FREQ: usize = RANGE + 1;
    /// Number of columns.
    pub const NUM_COLUMNS: usize = FREQ + 1;

    /// The columns checked to hold bytes by a lookup into RANGE.
    pub const RANGE_CHECKED: [usize; DELTA_BYTES] = [DELTA, DELTA + 1, DELTA + 2, DELTA + 3];
    /// Width of a slot tuple (IDX..ORIG: index, time stamp, is write, contract, key, value).
    pub const TUPLE: usize = ORIG - IDX;

    /// The key, flag and ordering columns. The slot index is the only key
    /// above the time stamp, so it stands for both the transaction and the
    /// address level of the shared ordering (`NEW_SLOT` is the level change).
    pub const SORTED: crate::rw::SortedColumns = crate::rw::SortedColumns {
        is_real: IS_REAL,
        tx: IDX,
        addr: IDX,
        ts: TS,
        is_write: IS_WRITE,
        same: SAME,
        tx_change: NEW_SLOT,
        delta: DELTA,
        delta_bytes: DELTA_BYTES,
        tie: Some(IS_ROLLBACK),
    };
}

/// The transaction column of initial writes: no transaction has this
/// index, so the first access after an initial write is always cold.
pub const INIT_TX: u64 = 1 << 32;

/// Time stamp of final reads, after every step of a chunk.
pub const FINAL_TS: u64 = (1 << 32) - 1;

/// Storage gas prices (EIP-2929, EIP-2200 with EIP-3529's figures).
pub mod gas {
    /// A warm access: SLOAD, or an SSTORE that changes nothing or a slot already changed.
    pub const WARM: u64 = 100;
    /// Surcharge of a cold SLOAD over a warm one.
    pub const COLD_SLOAD_EXTRA: u64 = 2000;
    /// Surcharge of a cold SSTORE.
    pub const COLD_SSTORE_EXTRA: u64 = 2100;
    /// SSTORE making a slot that was zero at the start of the transaction nonzero.
    pub const SET: u64 = 20_000;
    /// SSTORE first changing a slot that was nonzero at the start of the transaction.
    pub const RESET: u64 = 2900;
    /// SSTORE fails unless more gas than this is left.
    pub const SENTRY: u64 = 2300;
    /// Refund for clearing a slot that was nonzero at the start of the
    /// transaction (EIP-3529: the reset price plus an access-list key).
    pub const CLEAR_REFUND: i64 = 4800;
    /// Refund for putting back a nonzero value: the reset price less the
    /// cold surcharge and a warm access.
    pub const RESTORE_REFUND: i64 = 2800;
    /// Refund for putting back a zero: the set price less a warm access.
    pub const RESTORE_ZERO_REFUND: i64 = 19_900;
    /// At most the gas spent over this is refunded (EIP-3529).
    pub const MAX_REFUND_QUOTIENT: u64 = 5;
}

/// Gas of an SLOAD.
pub fn sload_cost(cold: bool) -> u64 {
    gas::WARM + if cold { gas::COLD_SLOAD_EXTRA } else { 0 }
}

/// Gas of an SSTORE writing `new` over `current`, the slot holding
/// `original` at the start of the transaction.
pub fn sstore_cost(cold: bool, original: U256, current: U256, new: U256) -> u64 {
    let price = if new != current && original == current {
        if original.is_zero() {
            gas::SET
        } else {
            gas::RESET
        }
    } else {
        gas::WARM
    };
    price + if cold { gas::COLD_SSTORE_EXTRA } else { 0 }
}

/// How an SSTORE writing `new` over `current` moves the refund counter,
/// the slot holding `original` at the start of the transaction (EIP-2200
/// with EIP-3529's figures; the counter can fall, undoing an earlier clear).
pub fn sstore_refund(original: U256, current: U256, new: U256) -> i64 {
    if new == current {
        return 0;
    }
    let dirty = original != current;
    let mut refund = 0;
    if !original.is_zero() {
        if new.is_zero() {
            refund += gas::CLEAR_REFUND;
        } else if dirty && current.is_zero() {
            refund -= gas::CLEAR_REFUND;
        }
    }
    if dirty && original == new {
        refund += if original.is_zero() {
            gas::RESTORE_ZERO_REFUND
        } else {
            gas::RESTORE_REFUND
        };
    }
    refund
}

/// A storage slot a chunk touches, part of its public statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageSlot {
    /// The contract owning the slot.
    pub address: Address,
    /// The slot's key.
    pub key: U256,
    /// Its value before the chunk.
    pub before: U256,
    /// Its value after the chunk.
    pub after: U256,
}

/// One SLOAD or SSTORE of the step table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageAccess {
    /// Transaction.
    pub tx: u32,
    /// Time stamp: the step's row counter plus one.
    pub ts: u64,
    /// SSTORE (true) or SLOAD.
    pub write: bool,
    /// The contract whose storage is accessed.
    pub address: Address,
    /// The slot's key.
    pub key: U256,
    /// The value read or written.
    pub value: U256,
    /// Whether it is its transaction's first access to the slot.
    pub cold: bool,
    /// The slot's value at the start of the transaction.
    pub original: U256,
    /// The gas it costs.
    pub cost: u64,
    /// How it moves the refund counter ([`sstore_refund`]; zero for SLOAD).
    pub refund: i64,
    /// Whether its transaction reverts.
    pub reverted: bool,
    /// Whether it is a reverted transaction's rollback of the slot (not a step).
    pub rollback: bool,
}

/// A slot a split transaction touched before its cut, warm where it resumes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WarmSlot {
    /// The contract owning the slot.
    pub address: Address,
    /// The slot's key.
    pub key: U256,
    /// Its value at the start of the transaction.
    pub original: U256,
}

/// The values of the slots a chunk touches as its steps run, and which
/// ones its current transaction has touched (warm) with their values at
/// the start of that transaction.
#[derive(Clone, Debug, Default)]
pub struct StorageState {
    /// (before the chunk, now) of each touched slot.
    slots: BTreeMap<(Address, U256), (U256, U256)>,
    /// Value at the start of the current transaction of each slot it touched.
    original: HashMap<(Address, U256), U256>,
    /// Every access so far.
    accesses: Vec<StorageAccess>,
    /// The resumed transaction's warm slots (their initial writes are its
    /// rows), with whether it reverts in this chunk.
    warm_init: Option<(u32, Vec<WarmSlot>, bool)>,
}

impl StorageState {
    /// Starts a transaction: every slot is cold again.
    pub fn begin_tx(&mut self) {
        self.original.clear();
    }

    /// Resumes transaction `tx` with the slots it has touched warm; `current`
    /// gives each one's value before this chunk (in `warm`'s order).
    pub fn resume_tx(&mut self, tx: u32, warm: &[WarmSlot], current: &[U256]) {
        self.original.clear();
        for (w, &value) in warm.iter().zip(current) {
            self.slots.insert((w.address, w.key), (value, value));
            self.original.insert((w.address, w.key), w.original);
        }
        self.warm_init = Some((tx, warm.to_vec(), false));
    }

    /// The slots the current transaction has touched, with their values at its start, sorted.
    pub fn warm(&self) -> Vec<WarmSlot> {
        let mut out: Vec<WarmSlot> = self
            .original
            .iter()
            .map(|(&(address, key), &original)| WarmSlot { address, key, original })
            .collect();
        out.sort();
        out
    }

    /// The resumed transaction and its warm slots, if any.
    pub fn resumed(&self) -> Option<(u32, &[WarmSlot])> {
        self.warm_init.as_ref().map(|(tx, warm, _)| (*tx, warm.as_slice()))
    }

    /// The split transactions as the table sees them, `suspended` the one
    /// the chunk suspends, if any.
    pub fn split(&self, suspended: Option<u32>) -> SplitTxs<'_> {
        SplitTxs {
            resumed: self
                .warm_init
                .as_ref()
                .map(|(tx, warm, reverted)| (*tx, warm.as_slice(), *reverted)),
            suspended,
        }
    }

    /// Records an access of transaction `tx` at time stamp `ts` to `slot`,
    /// which the trace says held `traced` before it, writing `written` if
    /// any. Returns the value before the access, the gas it costs and how
    /// it moves the refund counter, or a description of how the trace
    /// contradicts earlier accesses.
    pub fn access(
        &mut self,
        (tx, ts): (u32, u64),
        slot: (Address, U256),
        traced: U256,
        written: Option<U256>,
    ) -> Result<(U256, u64, i64), String> {
        let (_, current) = *self.slots.entry(slot).or_insert((traced, traced));
        if current != traced {
            return Err(format!(
                "slot {} of {} holds {current} but the trace reads {traced}",
                slot.1, slot.0
            ));
        }
        let cold = !self.original.contains_key(&slot);
        let original = *self.original.entry(slot).or_insert(current);
        let (cost, refund) = match written {
            None => (sload_cost(cold), 0),
            Some(new) => {
                self.slots.get_mut(&slot).expect("inserted above").1 = new;
                (
                    sstore_cost(cold, original, current, new),
                    sstore_refund(original, current, new),
                )
            }
        };
        self.accesses.push(StorageAccess {
            tx,
            ts,
            write: written.is_some(),
            address: slot.0,
            key: slot.1,
            value: written.unwrap_or(current),
            cold,
            original,
            cost,
            refund,
            reverted: false,
            rollback: false,
        });
        Ok((current, cost, refund))
    }

    /// Ends transaction `tx` as reverted, at time stamp `ts` (after its last
    /// step): marks its accesses, and rolls each slot it changed back to its
    /// value at the start of the transaction with an unpriced write.
    pub fn revert_tx(&mut self, tx: u32, ts: u64) {
        for a in self.accesses.iter_mut().rev().take_while(|a| a.tx == tx) {
            a.reverted = true;
        }
        if let Some((_, _, reverted)) = self.warm_init.as_mut().filter(|(t, _, _)| *t == tx) {
            *reverted = true;
        }
        let mut touched: Vec<((Address, U256), U256)> = self.original.iter().map(|(&k, &v)| (k, v)).collect();
        touched.sort();
        for ((address, key), original) in touched {
            let (_, current) = self.slots.get_mut(&(address, key)).expect("touched slots are recorded");
            if *current == original {
                continue;
            }
            *current = original;
            self.accesses.push(StorageAccess {
                tx,
                ts,
                write: true,
                address,
                key,
                value: original,
                cold: false,
                original,
                cost: 0,
                refund: 0,
                reverted: true,
                rollback: true,
            });
        }
    }

    /// The touched slots in (contract, key) order, with their values before and after.
    pub fn slots(&self) -> Vec<StorageSlot> {
        self.slots
            .iter()
            .map(|(&(address, key), &(before, after))| StorageSlot {
                address,
                key,
                before,
                after,
            })
            .collect()
    }

    /// Every access, in execution order.
    pub fn accesses(&self) -> &[StorageAccess] {
        &self.accesses
    }
}

/// The bytes of `address`'s word, least significant first (the ADDR columns).
fn address_limbs(address: Address) -> [u8; col::ADDR_BYTES] {
    let mut out: [u8; col::ADDR_BYTES] = address.into_array();
    out.reverse();
    out
}

/// The slot tuples (index, time stamp, is write, contract, key, value) of
/// the statement's `slots`: per slot its initial write of `before` and its
/// final read of `after`.
pub fn slot_tuples(slots: &[StorageSlot]) -> Vec<[F; col::TUPLE]> {
    slots
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            [(0, true, s.before), (FINAL_TS, false, s.after)].map(|(ts, write, value)| {
                let mut t = [F::ZERO; col::TUPLE];
                t[0] = F::from_canonical_usize(i);
                t[1] = F::from_canonical_u64(ts);
                t[2] = F::from_bool(write);
                let bytes = address_limbs(s.address)
                    .into_iter()
                    .chain(limbs(s.key))
                    .chain(limbs(value));
                for (cell, b) in t[3..].iter_mut().zip(bytes) {
                    *cell = F::from_canonical_u8(b);
                }
                t
            })
        })
        .collect()
}

/// Width of a warm-slot tuple (index, time stamp, transaction, ORIG limbs).
pub const WARM_TUPLE: usize = 3 + LIMBS;

/// The warm-slot tuples of a chunk whose storage list is `slots`: per slot
/// the `resumed` transaction has touched, its initial write's (index, 0,
/// transaction, value at the transaction's start), and per slot the
/// `suspended` one touched, its final read's (index, [`FINAL_TS`], ...). A
/// slot missing from the list gets index `slots.len()`, which no row has.
pub fn warm_tuples(
    slots: &[StorageSlot],
    resumed: Option<(u32, &[WarmSlot])>,
    suspended: Option<(u32, &[WarmSlot])>,
) -> Vec<[F; WARM_TUPLE]> {
    let index = |w: &WarmSlot| {
        slots
            .iter()
            .position(|s| (s.address, s.key) == (w.address, w.key))
            .unwrap_or(slots.len())
    };
    [(0, resumed), (FINAL_TS, suspended)]
        .into_iter()
        .filter_map(|(ts, side)| side.map(|(tx, warm)| (ts, tx, warm)))
        .flat_map(|(ts, tx, warm)| {
            warm.iter().map(move |w| {
                let mut t = [F::ZERO; WARM_TUPLE];
                t[0] = F::from_canonical_usize(index(w));
                t[1] = F::from_canonical_u64(ts);
                t[2] = F::from_canonical_u32(tx);
                for (cell, b) in t[3..].iter_mut().zip(limbs(w.original)) {
                    *cell = F::from_canonical_u8(b);
                }
                t
            })
        })
        .collect()
}

/// The split transactions of a chunk, as its storage table sees them.
#[derive(Clone, Copy, Debug, Default)]
pub struct SplitTxs<'a> {
    /// The resumed transaction, its warm slots and whether it reverts in this chunk.
    pub resumed: Option<(u32, &'a [WarmSlot], bool)>,
    /// The suspended transaction.
    pub suspended: Option<u32>,
}

/// One row before the gas and helper columns are filled.
fn base_row(idx: usize, slot: &StorageSlot, tx: u64, ts: u64, write: bool, value: U256) -> [F; col::NUM_COLUMNS] {
    let mut row = [F::ZERO; col::NUM_COLUMNS];
    row[col::IS_REAL] = F::ONE;
    row[col::IDX] = F::from_canonical_usize(idx);
    row[col::TX] = F::from_canonical_u64(tx);
    row[col::TS] = F::from_canonical_u64(ts);
    row[col::IS_WRITE] = F::from_bool(write);
    for (j, b) in address_limbs(slot.address).iter().enumerate() {
        row[col::ADDR + j] = F::from_canonical_u8(*b);
    }
    for (j, (k, v)) in limbs(slot.key).iter().zip(limbs(value)).enumerate() {
        row[col::KEY + j] = F::from_canonical_u8(*k);
        row[col::VAL + j] = F::from_canonical_u8(v);
    }
    row
}

/// Builds the storage table of a chunk from its `slots` (see
/// [`StorageState::slots`]) and `accesses` (execution order, priced by
/// [`StorageState::access`]), padded to
/// `2^rows_log` rows.
pub fn generate(
    slots: &[StorageSlot],
    accesses: &[StorageAccess],
    split: SplitTxs,
    rows_log: usize,
) -> Result<Vec<[F; col::NUM_COLUMNS]>, WitnessError> {
    let height = 1usize << rows_log;
    let total = 2 * slots.len() + accesses.len();
    let malformed = |reason: String| WitnessError::MalformedTrace {
        tx: accesses.first().map_or(0, |a| a.tx),
        step: 0,
        reason,
    };
    if total > height {
        return Err(malformed(format!(
            "{total} storage rows do not fit a storage table of {height} rows"
        )));
    }
    let index: HashMap<(Address, U256), usize> =
        slots.iter().enumerate().map(|(i, s)| ((s.address, s.key), i)).collect();
    let mut by_slot: Vec<Vec<&StorageAccess>> = vec![Vec::new(); slots.len()];
    for a in accesses {
        let i = index
            .get(&(a.address, a.key))
            .ok_or_else(|| malformed(format!("slot {} of {} is not in the chunk's list", a.key, a.address)))?;
        by_slot[*i].push(a);
    }
    let mut rows: Vec<[F; col::NUM_COLUMNS]> = Vec::with_capacity(height);
    for (i, (slot, list)) in slots.iter().zip(&by_slot).enumerate() {
        let warm = split.resumed.and_then(|(tx, warm, reverted)| {
            warm.iter()
                .find(|w| (w.address, w.key) == (slot.address, slot.key))
                .map(|w| (tx, w.original, reverted))
        });
        let mut init = match warm {
            None => base_row(i, slot, INIT_TX, 0, true, slot.before),
            Some((tx, original, reverted)) => {
                let mut row = base_row(i, slot, u64::from(tx), 0, true, slot.before);
                row[col::WARM_INIT] = F::ONE;
                row[col::REV] = F::from_bool(reverted);
                for (j, b) in limbs(original).iter().enumerate() {
                    row[col::ORIG + j] = F::from_canonical_u8(*b);
                }
                row
            }
        };
        init[col::IS_INIT] = F::ONE;
        rows.push(init);
        let mut value = slot.before;
        for a in list {
            let mut row = base_row(i, slot, u64::from(a.tx), a.ts, a.write, a.value);
            row[col::COLD] = F::from_bool(a.cold);
            row[col::COST] = F::from_canonical_u64(a.cost);
            row[col::REFUND] = signed(a.refund);
            row[col::REV] = F::from_bool(a.reverted);
            row[col::IS_ROLLBACK] = F::from_bool(a.rollback);
            for (j, b) in limbs(a.original).iter().enumerate() {
                row[col::ORIG + j] = F::from_canonical_u8(*b);
            }
            rows.push(row);
            value = a.value;
        }
        if value != slot.after {
            return Err(malformed(format!(
                "slot {} of {} ends at {value}, the chunk lists {}",
                slot.key, slot.address, slot.after
            )));
        }
        let mut last = base_row(i, slot, 0, FINAL_TS, false, slot.after);
        last[col::IS_FINAL] = F::ONE;
        if let Some(tx) = split.suspended {
            let above = rows.last().expect("the initial write is above");
            let gap = above[col::TX] - F::from_canonical_u32(tx);
            if gap == F::ZERO {
                last[col::WARM_FINAL] = F::ONE;
                last[col::TX] = above[col::TX];
                last[col::ORIG..col::ORIG + LIMBS].copy_from_slice(&above[col::ORIG..col::ORIG + LIMBS]);
            } else {
                last[col::GAP_INV] = gap.inverse();
            }
        }
        rows.push(last);
    }
    let cleared = [
        col::IS_REAL,
        col::IS_INIT,
        col::IS_FINAL,
        col::IS_WRITE,
        col::COLD,
        col::COST,
        col::WARM_INIT,
        col::WARM_FINAL,
    ];
    pad_and_order(&mut rows, height, &col::SORTED, &cleared, "storage")?;
    fill_comparisons(&mut rows);
    range::fill(&mut rows, &col::RANGE_CHECKED, col::RANGE, col::FREQ);
    Ok(rows)
}

/// An integer as a field element (negative ones as `p - |v|`).
pub fn signed(v: i64) -> F {
    if v < 0 {
        -F::from_canonical_u64(v.unsigned_abs())
    } else {
        F::from_canonical_u64(v as u64)
    }
}

/// Sets `flag` to 1 when `sum` is zero and `inv` to its inverse otherwise.
fn set_is_zero(row: &mut [F; col::NUM_COLUMNS], sum: F, flag: usize, inv: usize) {
    row[flag] = F::from_bool(sum == F::ZERO);
    row[inv] = if sum == F::ZERO { F::ZERO } else { sum.inverse() };
}

/// Fills `VAL_ZERO` on every row; on every row after the first, the tests
/// against the row above: the transaction step's inverse on cold accesses,
/// NOOP, CLEAN, ORIG_ZERO, FIRST_CHANGE, CREATES, RESTORE and the refund
/// cases; then `LAST` on every row of a transaction (an access, or a
/// resumed transaction's warm initial write) not followed by a warm access
/// (the same transaction's, to the same slot).
pub fn fill_comparisons(rows: &mut [[F; col::NUM_COLUMNS]]) {
    let access = |r: &[F; col::NUM_COLUMNS]| r[col::IS_REAL] - r[col::IS_INIT] - r[col::IS_FINAL] == F::ONE;
    let owned = |r: &[F; col::NUM_COLUMNS]| access(r) || r[col::WARM_INIT] == F::ONE;
    for i in 0..rows.len() {
        let next_warm = rows.get(i + 1).is_some_and(|n| access(n) && n[col::COLD] == F::ZERO);
        rows[i][col::LAST] = F::from_bool(owned(&rows[i]) && !next_warm);
        let value: F = (0..LIMBS).map(|j| rows[i][col::VAL + j]).sum();
        set_is_zero(&mut rows[i], value, col::VAL_ZERO, col::VAL_ZERO_INV);
    }
    for i in 1..rows.len() {
        let (above, row) = {
            let (head, tail) = rows.split_at_mut(i);
            (&head[i - 1], &mut tail[0])
        };
        if row[col::COLD] == F::ONE {
            row[col::TX_INV] = (row[col::TX] - above[col::TX]).try_inverse().unwrap_or(F::ZERO);
        }
        let squares = |a: usize, b: &[F]| -> F {
            (0..LIMBS)
                .map(|j| {
                    let d = row[a + j] - b[col::VAL + j];
                    d * d
                })
                .sum()
        };
        let noop = squares(col::VAL, above);
        let clean = squares(col::ORIG, above);
        let orig: F = (0..LIMBS).map(|j| row[col::ORIG + j]).sum();
        let restore: F = (0..LIMBS)
            .map(|j| {
                let d = row[col::VAL + j] - row[col::ORIG + j];
                d * d
            })
            .sum();
        set_is_zero(row, noop, col::NOOP, col::NOOP_INV);
        set_is_zero(row, clean, col::CLEAN, col::CLEAN_INV);
        set_is_zero(row, orig, col::ORIG_ZERO, col::ORIG_ZERO_INV);
        set_is_zero(row, restore, col::RESTORE, col::RESTORE_INV);
        let changes = F::ONE - row[col::NOOP];
        let orig_nonzero = F::ONE - row[col::ORIG_ZERO];
        row[col::FIRST_CHANGE] = changes * row[col::CLEAN];
        row[col::CREATES] = row[col::FIRST_CHANGE] * row[col::ORIG_ZERO];
        let dirty = changes - row[col::FIRST_CHANGE];
        row[col::CLEARS] = changes * row[col::VAL_ZERO] * orig_nonzero;
        row[col::UNCLEARS] = dirty * above[col::VAL_ZERO] * orig_nonzero;
        row[col::RESTORES] = dirty * row[col::RESTORE];
        row[col::RESTORES_ZERO] = row[col::RESTORES] * row[col::ORIG_ZERO];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plonky2::field::types::PrimeField64;

    fn slot(key: u64) -> (Address, U256) {
        (Address::with_last_byte(0x10), U256::from(key))
    }

    #[test]
    fn prices_follow_eip_2929_and_2200() {
        let (zero, one, two) = (U256::ZERO, U256::from(1u8), U256::from(2u8));
        assert_eq!(sload_cost(true), 2100);
        assert_eq!(sload_cost(false), 100);
        assert_eq!(sstore_cost(true, zero, zero, one), 22_100);
        assert_eq!(sstore_cost(false, one, one, two), 2900);
        assert_eq!(sstore_cost(false, one, two, zero), 100, "already changed");
        assert_eq!(sstore_cost(true, one, one, one), 2200, "no change");
    }

    #[test]
    fn refunds_follow_eip_3529() {
        let (zero, one, two) = (U256::ZERO, U256::from(1u8), U256::from(2u8));
        assert_eq!(sstore_refund(one, one, zero), 4800, "clears");
        assert_eq!(sstore_refund(one, two, zero), 4800, "clears after a change");
        assert_eq!(sstore_refund(one, zero, one), -4800 + 2800, "undoes a clear, restores");
        assert_eq!(sstore_refund(one, zero, two), -4800, "undoes a clear");
        assert_eq!(sstore_refund(zero, one, zero), 19_900, "restores a zero");
        assert_eq!(sstore_refund(one, two, one), 2800, "restores");
        assert_eq!(sstore_refund(one, one, one), 0, "no change");
        assert_eq!(sstore_refund(zero, zero, one), 0, "sets");
    }

    #[test]
    fn tracks_values_warmth_and_originals_across_transactions() {
        let mut s = StorageState::default();
        s.begin_tx();
        let (v, cost, refund) = s.access((0, 1), slot(5), U256::from(7u8), None).unwrap();
        assert_eq!((v, cost, refund), (U256::from(7u8), 2100, 0));
        let (_, cost, _) = s
            .access((0, 2), slot(5), U256::from(7u8), Some(U256::from(9u8)))
            .unwrap();
        assert_eq!(cost, 2900);
        assert!(
            s.access((0, 3), slot(5), U256::from(7u8), None).is_err(),
            "the trace contradicts the write"
        );
        s.begin_tx();
        let (_, cost, refund) = s.access((1, 4), slot(5), U256::from(9u8), Some(U256::ZERO)).unwrap();
        assert_eq!((cost, refund), (2100 + 2900, 4800), "a cold reset that clears");
        let slots = s.slots();
        assert_eq!(slots.len(), 1);
        assert_eq!((slots[0].before, slots[0].after), (U256::from(7u8), U256::ZERO));

        let rows = generate(&slots, s.accesses(), SplitTxs::default(), 8).unwrap();
        assert_eq!(rows[0][col::IS_INIT], F::ONE);
        assert_eq!(rows[0][col::TX], F::from_canonical_u64(INIT_TX));
        let costs: Vec<u64> = rows[1..4].iter().map(|r| r[col::COST].to_canonical_u64()).collect();
        assert_eq!(costs, [2100, 2900, 5000]);
        let cold: Vec<bool> = rows[1..4].iter().map(|r| r[col::COLD] == F::ONE).collect();
        assert_eq!(cold, [true, false, true]);
        assert_eq!(
            rows[3][col::ORIG],
            F::from_canonical_u64(9),
            "value at the start of tx 1"
        );
        assert_eq!(rows[2][col::FIRST_CHANGE], F::ONE);
        assert_eq!(rows[3][col::CLEARS], F::ONE);
        assert_eq!(rows[3][col::REFUND], F::from_canonical_u64(4800));
        assert_eq!(rows[3][col::VAL_ZERO], F::ONE);
        assert_eq!(rows[2][col::VAL_ZERO], F::ZERO);
        assert_eq!(rows[4][col::IS_FINAL], F::ONE);
        assert_eq!(rows[4][col::TS], F::from_canonical_u64(FINAL_TS));
        assert_eq!(rows[4][col::VAL], F::ZERO);
        assert_eq!(rows[5][col::IS_REAL], F::ZERO);
        assert_eq!(&slot_tuples(&slots)[1][..], &rows[4][col::IDX..col::ORIG]);
    }

    #[test]
    fn a_reverted_transaction_rolls_its_changes_back() {
        let (seven, nine) = (U256::from(7u8), U256::from(9u8));
        let mut s = StorageState::default();
        s.begin_tx();
        s.access((0, 1), slot(5), seven, Some(nine)).unwrap();
        s.access((0, 2), slot(6), U256::ZERO, None).unwrap();
        s.revert_tx(0, 3);
        s.begin_tx();
        let (value, cost, _) = s.access((1, 4), slot(5), seven, None).unwrap();
        assert_eq!((value, cost), (seven, 2100), "back at 7, and cold again");
        let slots = s.slots();
        assert_eq!((slots[0].before, slots[0].after), (seven, seven));
        let a = s.accesses();
        assert_eq!(a.len(), 4, "write, read, one rollback (slot 6 was only read), read");
        assert!(a[0].reverted && a[1].reverted && !a[3].reverted);
        assert!(a[2].rollback && !a[0].rollback);
        assert_eq!(
            (a[2].key, a[2].ts, a[2].value, a[2].cost),
            (U256::from(5u8), 3, seven, 0)
        );

        let rows = generate(&slots, a, SplitTxs::default(), 8).unwrap();
        // Slot 5: initial write, the write, the rollback, tx 1's read, final read.
        let flags = |c: usize| -> Vec<u64> { rows[..5].iter().map(|r| r[c].to_canonical_u64()).collect() };
        assert_eq!(flags(col::IS_ROLLBACK), [0, 0, 1, 0, 0]);
        assert_eq!(flags(col::REV), [0, 1, 1, 0, 0]);
        assert_eq!(flags(col::LAST), [0, 0, 1, 1, 0]);
        assert_eq!(flags(col::VAL), [7, 9, 7, 7, 7]);
    }
}
