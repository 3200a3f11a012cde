//! Merkle-Patricia trie roots built on rayon's pool.
//!
//! A large trie is cut where its keys fork: the subtries under a branch node
//! are independent, so they are built in parallel (by alloy-trie's
//! [`HashBuilder`] once they are small, or cut again), and the branch and
//! extension nodes above them are encoded here with alloy-trie's node
//! encoders. A child node is referenced by its hash, or embedded when its
//! encoding is shorter than 32 bytes, as in any Ethereum trie, so the root is
//! the one the sequential builder gives for the same leaves (the tests
//! compare them).

use alloy_trie::nodes::{BranchNodeRef, ExtensionNodeRef, LeafNodeRef, RlpNode};
use alloy_trie::{HashBuilder, Nibbles, TrieMask, EMPTY_ROOT_HASH};
use rayon::prelude::*;
use revm::primitives::{keccak256, B256};

/// Subtries with fewer leaves are built by one [`HashBuilder`] on the
/// calling thread: below this, handing them to the pool costs more than it
/// saves.
const PARALLEL_LEAVES: usize = 256;

/// The root of the trie whose leaves are `leaves`: keys of at most 32 bytes
/// in ascending byte order, none a prefix of another (hashed keys and RLP
/// encoded indices both qualify), each with its value as the trie stores it.
pub fn trie_root<K: AsRef<[u8]> + Sync, V: AsRef<[u8]> + Sync>(leaves: &[(K, V)]) -> B256 {
    if leaves.is_empty() {
        return EMPTY_ROOT_HASH;
    }
    let nibbles: Vec<(Nibbles, &[u8])> = leaves
        .par_iter()
        .with_min_len(PARALLEL_LEAVES)
        .map(|(key, value)| (Nibbles::unpack(key), value.as_ref()))
        .collect();
    let root = node(&nibbles, 0);
    root.as_hash().unwrap_or_else(|| keccak256(&root))
}

/// The reference to the node at path `leaves[0].0[..depth]` (shared by every
/// key of `leaves`, which is not empty) in its parent.
fn node(leaves: &[(Nibbles, &[u8])], depth: usize) -> RlpNode {
    if leaves.len() < PARALLEL_LEAVES {
        return built(leaves, depth);
    }
    let (first, last) = (&leaves[0].0, &leaves[leaves.len() - 1].0);
    let shared = first.common_prefix_length(last);
    if shared >= first.len() {
        // A key that ends where the others go on (a value in a branch
        // node): not what this builder is for; build it whole.
        return built(leaves, depth);
    }
    if shared > depth {
        // Every key goes on through the same nibbles: an extension node
        // over the branch where they fork.
        let child = node(leaves, shared);
        return ExtensionNodeRef::new(&first.slice(depth..shared), &child).rlp(&mut Vec::new());
    }
    let mut groups = Vec::with_capacity(16);
    let mut mask = TrieMask::new(0);
    let mut rest = leaves;
    while let Some((key, _)) = rest.first() {
        let nibble = key.get_unchecked(depth);
        let end = rest.partition_point(|(key, _)| key.get_unchecked(depth) == nibble);
        let (group, tail) = rest.split_at(end);
        groups.push(group);
        mask.set_bit(nibble);
        rest = tail;
    }
    let children: Vec<RlpNode> = groups.par_iter().map(|group| node(group, depth + 1)).collect();
    BranchNodeRef::new(&children, mask).rlp(&mut Vec::new())
}

/// The reference to the node at `depth` over `leaves`, built on this thread.
fn built(leaves: &[(Nibbles, &[u8])], depth: usize) -> RlpNode {
    if let [(key, value)] = leaves {
        // A lone leaf; what is left of its key may be empty, which the
        // builder does not take.
        return LeafNodeRef::new(&key.slice(depth..), value).rlp(&mut Vec::new());
    }
    let mut builder = HashBuilder::default();
    for (key, value) in leaves {
        builder.add_leaf(key.slice(depth..), value);
    }
    builder.root();
    builder.stack.pop().expect("a trie with leaves has a root node")
}

#[cfg(test)]
mod tests {
    use super::*;
    use revm::primitives::U256;

    /// alloy-trie's sequential builder over the whole trie, the reference.
    fn reference<K: AsRef<[u8]>, V: AsRef<[u8]>>(leaves: &[(K, V)]) -> B256 {
        let mut builder = HashBuilder::default();
        for (key, value) in leaves {
            builder.add_leaf(Nibbles::unpack(key), value.as_ref());
        }
        builder.root()
    }

    fn sorted<K: AsRef<[u8]> + Ord, V>(mut leaves: Vec<(K, V)>) -> Vec<(K, V)> {
        leaves.sort_by(|a, b| a.0.cmp(&b.0));
        leaves
    }

    #[test]
    fn hashed_keys_give_the_sequential_root() {
        for n in [0u64, 1, 2, 255, 256, 257, 4_096, 20_000] {
            // Short values (one-byte storage words) and long ones (account leaves).
            let short = sorted(
                (0..n)
                    .map(|i| (keccak256(i.to_le_bytes()), alloy_rlp::encode(i % 3 + 1)))
                    .collect(),
            );
            assert_eq!(trie_root(&short), reference(&short), "{n} short leaves");
            let long = sorted(
                (0..n)
                    .map(|i| (keccak256(i.to_be_bytes()), vec![i as u8; 70]))
                    .collect(),
            );
            assert_eq!(trie_root(&long), reference(&long), "{n} long leaves");
        }
    }

    #[test]
    fn index_keys_give_the_sequential_root() {
        // Receipts and transactions tries: RLP-encoded indices, whose
        // nodes near the leaves are short enough to be embedded.
        for n in [1usize, 127, 128, 129, 300, 1_000, 70_000] {
            for width in [1usize, 300] {
                let leaves = sorted(
                    (0..n)
                        .map(|i| (alloy_rlp::encode(i), vec![(i % 251) as u8; width]))
                        .collect(),
                );
                assert_eq!(
                    trie_root(&leaves),
                    reference(&leaves),
                    "{n} indices, {width}-byte values"
                );
            }
        }
    }

    #[test]
    fn keys_sharing_a_long_prefix_go_under_an_extension() {
        // 1,000 keys that agree on their first 20 bytes, then fork.
        let leaves = sorted(
            (0..1_000u64)
                .map(|i| {
                    let mut key = [0x5au8; 32];
                    key[20..].copy_from_slice(&keccak256(i.to_le_bytes())[..12]);
                    (key, alloy_rlp::encode(U256::from(i) << 100))
                })
                .collect(),
        );
        assert_eq!(trie_root(&leaves), reference(&leaves));
        // One leaf changed: another root.
        let mut changed = leaves.clone();
        changed[500].1 = alloy_rlp::encode(U256::from(7));
        assert_ne!(trie_root(&changed), trie_root(&leaves));
    }
}
