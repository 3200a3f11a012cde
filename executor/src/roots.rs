//! Ethereum commitments over execution results: the MPT state root, the
//! receipts root, the 2048-bit logs bloom, and the ethereum/tests logs hash.
//!
//! The tries are built on rayon's pool ([`crate::trie`]): the accounts'
//! storage tries and leaves, and the receipts' encodings, in parallel, then
//! each trie's subtries in parallel.

use crate::state::{AccountState, WorldState};
use crate::trie::trie_root;
use alloy_rlp::{BufMut, Encodable, Header};
use alloy_trie::root::adjust_index_for_rlp;
use alloy_trie::TrieAccount;
use rayon::prelude::*;
use revm::primitives::{keccak256, Address, Log, B256};

/// The 2048-bit bloom filter of a set of logs.
pub type Bloom = [u8; 256];

/// Accounts or receipts one rayon task encodes at least (storage slots:
/// four times as many): below this, a task costs more than the encoding.
const MIN_TASK: usize = 64;

/// Bytes of a receipt without logs (its list header, status, cumulative
/// gas and bloom), the buffer each encoding starts with.
const RECEIPT_BYTES: usize = 280;

/// The MPT root of a world state (secure trie: keys are keccak-hashed).
pub fn state_root(state: &WorldState) -> B256 {
    let accounts: Vec<(&Address, &AccountState)> = state.accounts.iter().collect();
    let mut leaves: Vec<(B256, Vec<u8>)> = accounts
        .par_iter()
        .with_min_len(MIN_TASK)
        .map(|(address, account)| (keccak256(address), account_leaf(account)))
        .collect();
    leaves.sort_unstable_by_key(|(key, _)| *key);
    trie_root(&leaves)
}

/// The RLP of an account's leaf in the state trie (its storage root included).
fn account_leaf(account: &AccountState) -> Vec<u8> {
    let slots: Vec<_> = account.storage.iter().collect();
    let mut slots: Vec<_> = slots
        .par_iter()
        .with_min_len(4 * MIN_TASK)
        .map(|(slot, value)| (keccak256(B256::from(**slot)), alloy_rlp::encode_fixed_size(*value)))
        .collect();
    slots.sort_unstable_by_key(|(key, _)| *key);
    let trie = TrieAccount {
        nonce: account.nonce,
        balance: account.balance,
        storage_root: trie_root(&slots),
        code_hash: account.code_hash,
    };
    alloy_rlp::encode(trie)
}

/// Adds one log's address and topics to a bloom.
fn accrue(bloom: &mut Bloom, data: &[u8]) {
    let hash = keccak256(data);
    for i in [0usize, 2, 4] {
        let bit = ((usize::from(hash[i]) << 8) | usize::from(hash[i + 1])) & 2047;
        bloom[255 - bit / 8] |= 1 << (bit % 8);
    }
}

/// The bloom of a list of logs.
pub fn logs_bloom<'a>(logs: impl IntoIterator<Item = &'a Log>) -> Bloom {
    let mut bloom = [0u8; 256];
    for log in logs {
        accrue(&mut bloom, log.address.as_slice());
        for topic in log.topics() {
            accrue(&mut bloom, topic.as_slice());
        }
    }
    bloom
}

/// RLP of a log: `[address, [topics...], data]`.
fn encode_log(log: &Log, out: &mut dyn BufMut) {
    let topics = log.topics();
    let topics_len: usize = topics.iter().map(|t| t.length()).sum();
    let payload = log.address.length()
        + Header {
            list: true,
            payload_length: topics_len,
        }
        .length()
        + topics_len
        + log.data.data.length();
    Header {
        list: true,
        payload_length: payload,
    }
    .encode(out);
    log.address.encode(out);
    Header {
        list: true,
        payload_length: topics_len,
    }
    .encode(out);
    for t in topics {
        t.encode(out);
    }
    log.data.data.encode(out);
}

fn encoded_logs_len(logs: &[Log]) -> usize {
    logs.iter()
        .map(|l| {
            let mut v = Vec::new();
            encode_log(l, &mut v);
            v.len()
        })
        .sum()
}

/// keccak of the RLP list of logs, as the ethereum/tests `logs` field holds.
pub fn logs_hash(logs: &[Log]) -> B256 {
    let mut out = Vec::new();
    Header {
        list: true,
        payload_length: encoded_logs_len(logs),
    }
    .encode(&mut out);
    for log in logs {
        encode_log(log, &mut out);
    }
    keccak256(out)
}

/// What a receipt commits to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptFields<'a> {
    /// EIP-2718 transaction type.
    pub tx_type: u8,
    /// Whether the transaction succeeded (Byzantium and later).
    pub success: bool,
    /// Gas used by the block up to and including this transaction.
    pub cumulative_gas_used: u64,
    /// The transaction's logs.
    pub logs: &'a [Log],
}

/// EIP-2718 envelope of a post-Byzantium receipt.
fn encode_receipt(receipt: &ReceiptFields<'_>, out: &mut Vec<u8>) {
    if receipt.tx_type != 0 {
        out.push(receipt.tx_type);
    }
    let bloom = logs_bloom(receipt.logs);
    let logs_len = encoded_logs_len(receipt.logs);
    let logs_list = Header {
        list: true,
        payload_length: logs_len,
    }
    .length()
        + logs_len;
    let payload =
        receipt.success.length() + receipt.cumulative_gas_used.length() + bloom.as_slice().length() + logs_list;
    Header {
        list: true,
        payload_length: payload,
    }
    .encode(out);
    receipt.success.encode(out);
    receipt.cumulative_gas_used.encode(out);
    bloom.as_slice().encode(out);
    Header {
        list: true,
        payload_length: logs_len,
    }
    .encode(out);
    for log in receipt.logs {
        encode_log(log, out);
    }
}

/// The receipts trie root (EIP-658 status receipts, so Byzantium and later):
/// keyed by the RLP of each receipt's index.
pub fn receipts_root(receipts: &[ReceiptFields<'_>]) -> B256 {
    let n = receipts.len();
    // The i-th key in byte order is the RLP of adjust_index_for_rlp(i, n).
    let leaves: Vec<_> = (0..n)
        .into_par_iter()
        .with_min_len(MIN_TASK)
        .map(|position| {
            let index = adjust_index_for_rlp(position, n);
            let receipt = &receipts[index];
            let mut encoded = Vec::with_capacity(RECEIPT_BYTES);
            encode_receipt(receipt, &mut encoded);
            (alloy_rlp::encode_fixed_size(&index), encoded)
        })
        .collect();
    trie_root(&leaves)
}

#[cfg(test)]
mod tests {
    use super::*;
    use revm::primitives::{b256, U256};

    #[test]
    fn empty_commitments_match_ethereum_constants() {
        let empty_trie = b256!("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421");
        assert_eq!(state_root(&WorldState::default()), empty_trie);
        assert_eq!(receipts_root(&[]), empty_trie);
        // keccak(rlp([])) = keccak(0xc0)
        assert_eq!(
            logs_hash(&[]),
            b256!("1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347")
        );
        assert_eq!(logs_bloom([].iter()), [0u8; 256]);
    }

    /// alloy-trie's sequential state root, the reference.
    fn reference_state_root(state: &WorldState) -> B256 {
        alloy_trie::root::state_root_unhashed(state.accounts.iter().map(|(address, account)| {
            let storage = account.storage.iter().map(|(k, v)| (B256::from(*k), *v));
            let trie = TrieAccount {
                nonce: account.nonce,
                balance: account.balance,
                storage_root: alloy_trie::root::storage_root_unhashed(storage),
                code_hash: account.code_hash,
            };
            (*address, trie)
        }))
    }

    /// A state of `accounts` accounts; every seventh has storage, one of
    /// them `big_storage` slots (a large contract's trie is cut into subtries).
    fn world(accounts: u64, big_storage: u64) -> WorldState {
        let mut state = WorldState::default();
        for i in 0..accounts {
            let seed = keccak256(i.to_be_bytes());
            let mut account = AccountState::empty();
            account.balance = U256::from_be_bytes(seed.0) >> (i % 200);
            account.nonce = i % 5;
            if i % 7 == 3 {
                account.code_hash = keccak256(seed);
                let slots = if i == 3 { big_storage } else { i % 40 };
                for s in 0..slots {
                    account
                        .storage
                        .insert(U256::from(s * 31 + i), U256::from(s + 1) << (s % 250));
                }
            }
            state.accounts.insert(Address::from_slice(&seed[12..]), account);
        }
        state
    }

    #[test]
    fn state_root_matches_the_sequential_builder() {
        for (accounts, big) in [(1, 0), (3, 0), (255, 0), (256, 300), (3_000, 5_000)] {
            let state = world(accounts, big);
            assert_eq!(
                state_root(&state),
                reference_state_root(&state),
                "{accounts} accounts, {big} slots"
            );
        }
        let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let state = world(2_000, 3_000);
        assert_eq!(one_thread.install(|| state_root(&state)), reference_state_root(&state));
    }

    #[test]
    fn receipts_root_matches_the_sequential_builder() {
        let log = Log::new_unchecked(
            Address::repeat_byte(7),
            vec![B256::repeat_byte(1)],
            vec![1, 2, 3].into(),
        );
        let logs = vec![log];
        for n in [1usize, 127, 128, 300, 1_000] {
            let receipts: Vec<ReceiptFields<'_>> = (0..n)
                .map(|i| ReceiptFields {
                    tx_type: (i % 3) as u8,
                    success: i % 5 != 0,
                    cumulative_gas_used: 21_000 * (i as u64 + 1),
                    logs: if i % 2 == 0 { &logs } else { &[] },
                })
                .collect();
            let reference =
                alloy_trie::root::ordered_trie_root_with_encoder(&receipts, |r, out| encode_receipt(r, out));
            assert_eq!(receipts_root(&receipts), reference, "{n} receipts");
        }
    }
}
