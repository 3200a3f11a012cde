//! The rollup state tree: a Poseidon (Goldilocks) sparse Merkle tree of fixed
//! depth [`DEPTH`] over contract code, storage and account fields (nonce and
//! balance), and the update witnesses (one Merkle path per storage slot and
//! account field a chunk touches, one per contract it calls) with which a
//! chunk proves its old state root -> new state root and that the code it
//! runs is the code the old root holds.
//!
//! - **Keys.** A leaf's key is `Poseidon(kind ‖ address ‖ slot)`: the kind
//!   ([`CODE`], [`STORAGE`] or [`ACCOUNT`]), the address as five 32-bit
//!   limbs and the slot as eight (most significant first; the slot is zero
//!   for code, [`crate::accounting::NONCE`] or
//!   [`crate::accounting::BALANCE`] for account fields).
//! - **Position.** The key's first element, as a canonical 64-bit integer.
//!   Bit `h` of the position says whether the node at height `h` of the
//!   path is a right child (height 0 is the leaf).
//! - **Leaves.** A storage slot or account field holding `v != 0` is
//!   `Poseidon(key ‖ v as eight 32-bit limbs)`; an account with code is
//!   `Poseidon(key ‖ code hash)`, the code hash being `Poseidon(length ‖
//!   bytes)`. A zero value and an account without code are the empty leaf
//!   (four zeros), so the root depends on the state only, not on its history.
//! - **Inner nodes.** Poseidon's two-to-one compression of the two children
//!   (the hash of plonky2's Merkle trees), so that a path costs one Poseidon
//!   gate per level in the aggregation circuit.
//!
//! Two keys at the same position cannot both be in the tree: inserting the
//! second is an error, never a silent overwrite (with 64-bit positions the
//! first such pair is expected near 2^32 leaves).
//!
//! Code leaves cannot change in a proven chunk (contract creation is out of
//! scope).

use crate::storage::StorageSlot;
use crate::{WitnessError, F};
use executor::input::PreAccount;
use plonky2::field::types::{Field, PrimeField64};
use plonky2::hash::hash_types::HashOut;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::plonk::config::Hasher;
use revm::primitives::{Address, Bytes, U256};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

/// Height of the tree: leaf positions are 64-bit integers.
pub const DEPTH: usize = 64;

/// Key kind of a code leaf.
pub const CODE: u64 = 1;
/// Key kind of a storage leaf.
pub const STORAGE: u64 = 2;
/// Key kind of an account-field leaf (nonce or balance).
pub const ACCOUNT: u64 = 3;

/// A state root or any node of the tree.
pub type Digest = HashOut<F>;

/// The siblings of a leaf's path, from height 0 (the leaf's sibling) up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MerklePath(pub Vec<Digest>);

/// What a chunk's state-tree claims are proven with: the path of each
/// called contract's code leaf under the old root (in the order of
/// [`crate::ChunkStatement::callees`]), and the path of each storage slot,
/// then of each account field, taken just before its update (in statement
/// order).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateWitness {
    /// Paths of the called contracts' code leaves.
    pub code: Vec<MerklePath>,
    /// Paths of the storage slots.
    pub storage: Vec<MerklePath>,
    /// Paths of the account fields.
    pub accounts: Vec<MerklePath>,
}

/// The root of every empty subtree, by height.
static EMPTY: LazyLock<Vec<Digest>> = LazyLock::new(|| {
    let mut empty = vec![HashOut::ZERO];
    for h in 0..DEPTH {
        empty.push(PoseidonHash::two_to_one(empty[h], empty[h]));
    }
    empty
});

/// A root as hex: its four elements, 16 digits each.
pub fn root_hex(root: Digest) -> String {
    let digits: String = root
        .elements
        .iter()
        .map(|e| format!("{:016x}", e.to_canonical_u64()))
        .collect();
    format!("0x{digits}")
}

/// Big-endian bytes as `N` 32-bit limbs, most significant first.
fn be_limbs<const N: usize>(bytes: &[u8]) -> [F; N] {
    std::array::from_fn(|i| F::from_canonical_u32(u32::from_be_bytes(bytes[4 * i..4 * i + 4].try_into().unwrap())))
}

/// A word as eight 32-bit limbs, most significant first.
pub fn word_limbs(word: U256) -> [F; 8] {
    be_limbs(&word.to_be_bytes::<32>())
}

/// An address as five 32-bit limbs, most significant first.
pub fn address_limbs(address: Address) -> [F; 5] {
    be_limbs(address.as_slice())
}

/// The key of a leaf.
pub fn key(kind: u64, address: Address, slot: U256) -> Digest {
    let mut input = vec![F::from_canonical_u64(kind)];
    input.extend(address_limbs(address));
    input.extend(word_limbs(slot));
    PoseidonHash::hash_no_pad(&input)
}

/// The position of a key's leaf.
pub fn position(key: Digest) -> u64 {
    key.elements[0].to_canonical_u64()
}

/// The leaf of a storage slot or account field holding `value`.
pub fn value_leaf(key: Digest, value: U256) -> Digest {
    if value.is_zero() {
        return HashOut::ZERO;
    }
    let mut input = key.elements.to_vec();
    input.extend(word_limbs(value));
    PoseidonHash::hash_no_pad(&input)
}

/// The code hash of the state tree: `Poseidon(length ‖ bytes)`.
pub fn code_hash(code: &[u8]) -> Digest {
    let mut input = vec![F::from_canonical_usize(code.len())];
    input.extend(code.iter().map(|&b| F::from_canonical_u8(b)));
    PoseidonHash::hash_no_pad(&input)
}

/// The leaf of an account whose non-empty code has hash `hash`.
pub fn code_hash_leaf(key: Digest, hash: Digest) -> Digest {
    let mut leaf = key.elements.to_vec();
    leaf.extend(hash.elements);
    PoseidonHash::hash_no_pad(&leaf)
}

/// The leaf of an account with `code`.
pub fn code_leaf(key: Digest, code: &[u8]) -> Digest {
    if code.is_empty() {
        return HashOut::ZERO;
    }
    code_hash_leaf(key, code_hash(code))
}

/// The parent of `node` and its `sibling`; `right` says whether `node` is the right child.
fn parent(node: Digest, sibling: Digest, right: bool) -> Digest {
    if right {
        PoseidonHash::two_to_one(sibling, node)
    } else {
        PoseidonHash::two_to_one(node, sibling)
    }
}

/// The root a path leads to from `leaf` at `position`.
pub fn root_of(leaf: Digest, position: u64, path: &MerklePath) -> Digest {
    path.0.iter().enumerate().fold(leaf, |node, (h, &sibling)| {
        parent(node, sibling, position >> h & 1 == 1)
    })
}

/// The state tree: the non-empty nodes and the key of every occupied leaf.
#[derive(Clone, Debug, Default)]
pub struct StateTree {
    /// Non-empty nodes by (height, index at that height).
    nodes: HashMap<(usize, u64), Digest>,
    /// The key whose leaf occupies each non-empty position.
    keys: HashMap<u64, Digest>,
}

impl StateTree {
    /// The tree of a pre-state: every account's code, nonce, balance and
    /// non-zero storage.
    pub fn of_accounts(accounts: &BTreeMap<Address, PreAccount>) -> Result<Self, WitnessError> {
        let mut tree = Self::default();
        for (&address, account) in accounts {
            let k = key(CODE, address, U256::ZERO);
            tree.set(k, code_leaf(k, &account.code))?;
            for (field, value) in account_fields(account) {
                let k = key(ACCOUNT, address, U256::from(field));
                tree.set(k, value_leaf(k, value))?;
            }
            for (&slot, &value) in &account.storage {
                let k = key(STORAGE, address, slot);
                tree.set(k, value_leaf(k, value))?;
            }
        }
        Ok(tree)
    }

    /// The root.
    pub fn root(&self) -> Digest {
        self.node(DEPTH, 0)
    }

    fn node(&self, height: usize, index: u64) -> Digest {
        self.nodes.get(&(height, index)).copied().unwrap_or(EMPTY[height])
    }

    /// The path of the leaf at `position`.
    pub fn path(&self, position: u64) -> MerklePath {
        MerklePath((0..DEPTH).map(|h| self.node(h, (position >> h) ^ 1)).collect())
    }

    /// Puts `leaf` at `key`'s position and rehashes the path to the root.
    fn set(&mut self, key: Digest, leaf: Digest) -> Result<(), WitnessError> {
        let pos = position(key);
        if self.keys.get(&pos).is_some_and(|&other| other != key) {
            return Err(WitnessError::StateTree(format!(
                "two state keys share leaf position {pos:#018x}; the tree cannot hold both"
            )));
        }
        if leaf == HashOut::ZERO {
            self.keys.remove(&pos);
        } else {
            self.keys.insert(pos, key);
        }
        let mut node = leaf;
        for h in 0..DEPTH {
            let index = pos >> h;
            self.store(h, index, node);
            node = parent(node, self.node(h, index ^ 1), index & 1 == 1);
        }
        self.store(DEPTH, 0, node);
        Ok(())
    }

    /// Records a node, keeping only those that differ from the empty subtree.
    fn store(&mut self, height: usize, index: u64, node: Digest) {
        if node == EMPTY[height] {
            self.nodes.remove(&(height, index));
        } else {
            self.nodes.insert((height, index), node);
        }
    }

    /// The paths of the code leaves of `callees`, checking that the tree
    /// holds that code for each (the empty leaf for no code).
    pub fn code_paths(&self, callees: &[(Address, &[u8])]) -> Result<Vec<MerklePath>, WitnessError> {
        callees
            .iter()
            .map(|&(address, code)| {
                let k = key(CODE, address, U256::ZERO);
                if self.node(0, position(k)) != code_leaf(k, code) {
                    return Err(WitnessError::StateTree(format!(
                        "the state tree does not hold the {} code bytes called at {address}",
                        code.len()
                    )));
                }
                Ok(self.path(position(k)))
            })
            .collect()
    }

    /// Applies a chunk's storage slots or account fields (`kind`
    /// [`STORAGE`] or [`ACCOUNT`]), checking that each holds its `before`
    /// value, and returns the path of each, taken just before its update.
    pub fn update_slots(&mut self, kind: u64, slots: &[StorageSlot]) -> Result<Vec<MerklePath>, WitnessError> {
        slots
            .iter()
            .map(|slot| {
                let k = key(kind, slot.address, slot.key);
                let pos = position(k);
                if self.node(0, pos) != value_leaf(k, slot.before) {
                    return Err(WitnessError::StateTree(format!(
                        "{} of {} does not hold {} in the state tree, the value before the chunk",
                        slot_name(kind, slot.key),
                        slot.address,
                        slot.before
                    )));
                }
                let path = self.path(pos);
                self.set(k, value_leaf(k, slot.after))?;
                Ok(path)
            })
            .collect()
    }
}

/// Checks that under `root` each callee's code leaf holds its code (the
/// empty leaf for no code), with `paths`.
pub fn check_code(root: Digest, callees: &[(Address, &[u8])], paths: &[MerklePath]) -> Result<(), String> {
    if callees.len() != paths.len() {
        return Err(format!(
            "{} called contracts but {} code paths",
            callees.len(),
            paths.len()
        ));
    }
    for (&(address, code), path) in callees.iter().zip(paths) {
        let k = key(CODE, address, U256::ZERO);
        if path.0.len() != DEPTH || root_of(code_leaf(k, code), position(k), path) != root {
            return Err(format!(
                "the code path of {address} does not lead from its {} code bytes to the state root",
                code.len()
            ));
        }
    }
    Ok(())
}

/// A storage slot or account field, for messages.
fn slot_name(kind: u64, slot: U256) -> String {
    if kind == ACCOUNT {
        format!("the {}", crate::accounting::field_name(slot.saturating_to()))
    } else {
        format!("slot {slot}")
    }
}

/// An account's fields in the tree: (field, value).
fn account_fields(account: &PreAccount) -> [(u64, U256); 2] {
    [
        (crate::accounting::NONCE, U256::from(account.nonce)),
        (crate::accounting::BALANCE, account.balance),
    ]
}

/// Checks a chunk's state transition through its storage slots or account
/// fields (`kind`): starting from `old_root`, each one's path leads from its
/// `before` leaf to the current root, and its `after` leaf on the same path
/// gives the next root. Returns the last root.
pub fn apply_slots(kind: u64, old_root: Digest, slots: &[StorageSlot], paths: &[MerklePath]) -> Result<Digest, String> {
    if slots.len() != paths.len() {
        return Err(format!(
            "{} updates of kind {kind} but {} state-tree paths",
            slots.len(),
            paths.len()
        ));
    }
    let mut root = old_root;
    for (slot, path) in slots.iter().zip(paths) {
        if path.0.len() != DEPTH {
            return Err(format!(
                "a state-tree path of {} siblings, expected {DEPTH}",
                path.0.len()
            ));
        }
        let k = key(kind, slot.address, slot.key);
        let pos = position(k);
        if root_of(value_leaf(k, slot.before), pos, path) != root {
            return Err(format!(
                "the path of {} of {} does not lead from value {} to the state root",
                slot_name(kind, slot.key),
                slot.address,
                slot.before
            ));
        }
        root = root_of(value_leaf(k, slot.after), pos, path);
    }
    Ok(root)
}

/// What a block's chunks start from: the code, nonce and balance of every
/// account and the state tree.
#[derive(Clone, Debug)]
pub struct PreState {
    /// Bytecode of every account that has code.
    pub codes: HashMap<Address, Bytes>,
    /// Nonce and balance of every account (field [`crate::accounting::NONCE`]
    /// or [`crate::accounting::BALANCE`]); absent ones are zero.
    pub fields: HashMap<(Address, u64), U256>,
    /// The state tree before the block.
    pub tree: StateTree,
}

impl PreState {
    /// The pre-state of a block.
    pub fn of(block: &executor::BlockInput) -> Result<Self, WitnessError> {
        Self::of_accounts(&block.pre_state)
    }

    /// The pre-state of these accounts.
    pub fn of_accounts(accounts: &BTreeMap<Address, PreAccount>) -> Result<Self, WitnessError> {
        Ok(Self {
            codes: accounts
                .iter()
                .filter(|(_, a)| !a.code.is_empty())
                .map(|(addr, a)| (*addr, a.code.clone()))
                .collect(),
            fields: accounts
                .iter()
                .flat_map(|(&address, a)| account_fields(a).map(|(field, value)| ((address, field), value)))
                .collect(),
            tree: StateTree::of_accounts(accounts)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(address: u8, key: u64, before: u64, after: u64) -> StorageSlot {
        StorageSlot {
            address: Address::repeat_byte(address),
            key: U256::from(key),
            before: U256::from(before),
            after: U256::from(after),
        }
    }

    fn accounts(storage: &[(u8, u64, u64)]) -> BTreeMap<Address, PreAccount> {
        let mut accounts: BTreeMap<Address, PreAccount> = BTreeMap::new();
        for &(a, k, v) in storage {
            let account = accounts.entry(Address::repeat_byte(a)).or_insert_with(|| PreAccount {
                balance: U256::ZERO,
                nonce: 0,
                code: Bytes::from(vec![0x60, a, 0x00]),
                storage: BTreeMap::new(),
            });
            account.storage.insert(U256::from(k), U256::from(v));
        }
        accounts
    }

    #[test]
    fn the_root_depends_on_the_state_not_its_history() {
        let mut tree = StateTree::of_accounts(&accounts(&[(1, 0, 5), (1, 2, 7), (2, 9, 1)])).unwrap();
        let direct = StateTree::of_accounts(&accounts(&[(1, 0, 6), (1, 2, 7), (2, 9, 0)])).unwrap();
        assert_ne!(tree.root(), direct.root());
        tree.update_slots(STORAGE, &[slot(1, 0, 5, 6), slot(2, 9, 1, 0)])
            .unwrap();
        assert_eq!(tree.root(), direct.root(), "a zeroed slot is the empty leaf");
        let empty = StateTree::default();
        assert_eq!(empty.root(), EMPTY[DEPTH]);
    }

    #[test]
    fn update_paths_prove_the_transition_and_nothing_else() {
        let mut tree = StateTree::of_accounts(&accounts(&[(1, 0, 5), (1, 2, 7)])).unwrap();
        let old = tree.root();
        let slots = [slot(1, 0, 5, 6), slot(1, 2, 7, 7), slot(1, 3, 0, 4)];
        let paths = tree.update_slots(STORAGE, &slots).unwrap();
        assert_eq!(apply_slots(STORAGE, old, &slots, &paths), Ok(tree.root()));

        let mut wrong_before = slots.clone();
        wrong_before[1].before = U256::from(8u8);
        assert!(apply_slots(STORAGE, old, &wrong_before, &paths).is_err());
        let mut wrong_path = paths.clone();
        wrong_path[2].0[40] = HashOut::from_partial(&[F::ONE]);
        assert!(apply_slots(STORAGE, old, &slots, &wrong_path).is_err());
        assert!(apply_slots(STORAGE, old, &slots[..2], &paths).is_err());
        let err = StateTree::of_accounts(&accounts(&[(1, 0, 5)]))
            .unwrap()
            .update_slots(STORAGE, &[slot(1, 0, 4, 6)])
            .unwrap_err();
        assert!(err.to_string().contains("does not hold 4"), "{err}");
        let nonce = slot(1, crate::accounting::NONCE, 0, 1);
        let root = tree.root();
        let paths = tree.update_slots(ACCOUNT, std::slice::from_ref(&nonce)).unwrap();
        assert_ne!(tree.root(), root);
        assert_eq!(
            apply_slots(ACCOUNT, root, std::slice::from_ref(&nonce), &paths),
            Ok(tree.root())
        );
        assert!(
            apply_slots(STORAGE, root, std::slice::from_ref(&nonce), &paths).is_err(),
            "an account field is not a storage slot"
        );
    }

    #[test]
    fn keys_separate_kinds_accounts_and_slots() {
        let a = Address::repeat_byte(1);
        let keys = [
            key(CODE, a, U256::ZERO),
            key(STORAGE, a, U256::ZERO),
            key(STORAGE, Address::repeat_byte(2), U256::ZERO),
            key(STORAGE, a, U256::from(1u8) << 224),
        ];
        for i in 0..keys.len() {
            for j in i + 1..keys.len() {
                assert_ne!(position(keys[i]), position(keys[j]));
            }
        }
        assert_ne!(
            code_leaf(keys[0], &[0]),
            code_leaf(keys[0], &[0, 0]),
            "the length is hashed"
        );
    }

    #[test]
    fn code_paths_prove_the_called_code() {
        let state = accounts(&[(1, 0, 5), (2, 0, 1)]);
        let tree = StateTree::of_accounts(&state).unwrap();
        let (a, b) = (Address::repeat_byte(1), Address::repeat_byte(2));
        let callees = [(b, &state[&b].code[..]), (a, &state[&a].code[..])];
        let paths = tree.code_paths(&callees).unwrap();
        assert_eq!(check_code(tree.root(), &callees, &paths), Ok(()));
        let other = [(b, &state[&a].code[..]), (a, &state[&a].code[..])];
        assert!(check_code(tree.root(), &other, &paths).is_err(), "another code");
        assert!(tree.code_paths(&other).is_err());
        assert!(check_code(tree.root(), &callees[..1], &paths).is_err());
        assert!(tree.code_paths(&[(Address::repeat_byte(3), &[0x00][..])]).is_err());
        let no_code = [(Address::repeat_byte(3), &[][..])];
        let paths = tree.code_paths(&no_code).unwrap();
        assert_eq!(
            check_code(tree.root(), &no_code, &paths),
            Ok(()),
            "an account without code"
        );
        assert!(
            tree.code_paths(&[(a, &[][..])]).is_err(),
            "a contract passed off as having no code"
        );
        assert!(check_code(tree.root(), &[(a, &[][..])], &tree.code_paths(&callees[1..]).unwrap()).is_err());
    }
}
