//! Ethereum commitments over execution results: the MPT state root, the
//! receipts root, the 2048-bit logs bloom, and the ethereum/tests logs hash.

use crate::state::WorldState;
use alloy_rlp::{BufMut, Encodable, Header};
use alloy_trie::root::{ordered_trie_root_with_encoder, state_root_unhashed, storage_root_unhashed};
use alloy_trie::TrieAccount;
use revm::primitives::{keccak256, Log, B256};

/// The 2048-bit bloom filter of a set of logs.
pub type Bloom = [u8; 256];

/// The MPT root of a world state (secure trie: keys are keccak-hashed).
pub fn state_root(state: &WorldState) -> B256 {
    state_root_unhashed(state.accounts.iter().map(|(address, account)| {
        let storage_root = storage_root_unhashed(account.storage.iter().map(|(k, v)| (B256::from(*k), *v)));
        let trie = TrieAccount {
            nonce: account.nonce,
            balance: account.balance,
            storage_root,
            code_hash: account.code_hash,
        };
        (*address, trie)
    }))
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

/// The receipts trie root (EIP-658 status receipts, so Byzantium and later).
pub fn receipts_root(receipts: &[ReceiptFields<'_>]) -> B256 {
    ordered_trie_root_with_encoder(receipts, |r, out| encode_receipt(r, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use revm::primitives::b256;

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
}
