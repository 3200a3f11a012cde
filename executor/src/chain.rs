//! Consecutive blocks: each block runs on the state its parent left.
//!
//! A batch of blocks is proven as one state transition, so each block's
//! pre-state must be exactly its parent's post-state: every account, not
//! only those the block touches, since the rollup's state tree commits to
//! all of them. [`follow`] puts a block on its parent's post-state and checks
//! that the block's own pre-state agrees wherever it lists an account.

use crate::input::PreAccount;
use crate::{BlockInput, BlockOutput};
use revm::primitives::Address;

/// Why a block cannot follow its parent.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The block's number is not its parent's plus one.
    #[error("block {number} does not follow block {parent}: a batch holds consecutive blocks")]
    NotNext {
        /// The parent's number.
        parent: u64,
        /// The block's number.
        number: u64,
    },
    /// The block's pre-state disagrees with what its parent left.
    #[error(
        "block {number}'s pre-state lists account {address} with {listed}, but block {parent} leaves it with {left}"
    )]
    PreState {
        /// The block's number.
        number: u64,
        /// The parent's number.
        parent: u64,
        /// The account.
        address: Address,
        /// What the block's pre-state lists.
        listed: String,
        /// What the parent's post-state holds.
        left: String,
    },
}

/// An account without zero-valued storage entries (they are absent slots).
fn normalised(account: &PreAccount) -> PreAccount {
    let mut account = account.clone();
    account.storage.retain(|_, v| !v.is_zero());
    account
}

fn describe(account: &PreAccount) -> String {
    format!(
        "balance {}, nonce {}, {} code bytes, {} storage slots",
        account.balance,
        account.nonce,
        account.code.len(),
        account.storage.len()
    )
}

/// `block` on top of its parent: the same block with the parent's
/// post-state (`parent`, the parent's execution output) as its pre-state.
/// Fails unless the block's number follows the parent's and every account
/// the block's own pre-state lists is exactly what the parent left (an
/// account the parent does not leave is empty).
pub fn follow(block: &BlockInput, parent: &BlockOutput) -> Result<BlockInput, ChainError> {
    let number = block.header.number;
    if parent.number.checked_add(1) != Some(number) {
        return Err(ChainError::NotNext {
            parent: parent.number,
            number,
        });
    }
    let pre_state = parent.post_state.to_pre_state();
    for (address, listed) in &block.pre_state {
        let left = pre_state.get(address).map(normalised).unwrap_or_default();
        let listed = normalised(listed);
        if listed != left {
            return Err(ChainError::PreState {
                number,
                parent: parent.number,
                address: *address,
                listed: describe(&listed),
                left: describe(&left),
            });
        }
    }
    Ok(BlockInput {
        pre_state,
        ..block.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::counter_loop_chain;
    use revm::primitives::U256;

    #[test]
    fn a_block_follows_its_parent_and_disagreements_are_named() {
        let chain = counter_loop_chain(2, 2, 5);
        let parent = crate::execute_block(&chain[0], &crate::ExecOptions::default()).unwrap();
        assert_eq!(follow(&chain[1], &parent).unwrap(), chain[1]);
        let output = crate::execute_block(&chain[1], &crate::ExecOptions::default()).unwrap();
        assert!(output.txs.iter().all(|tx| tx.success), "the next block's calls succeed");

        let err = follow(&chain[0], &parent).unwrap_err();
        assert!(
            matches!(
                err,
                ChainError::NotNext {
                    parent: 20_000_000,
                    number: 20_000_000
                }
            ),
            "{err}"
        );

        let mut listed = chain[1].clone();
        let sender = Address::with_last_byte(0xaa);
        listed.pre_state.get_mut(&sender).unwrap().nonce = 0;
        let err = follow(&listed, &parent).unwrap_err().to_string();
        assert!(
            err.contains(&sender.to_string()) && err.contains("nonce 0") && err.contains("nonce 2"),
            "{err}"
        );

        // An account the parent does not leave must be listed empty.
        let mut extra = chain[1].clone();
        extra.pre_state.insert(
            Address::with_last_byte(0xbb),
            PreAccount {
                balance: U256::from(1),
                ..PreAccount::default()
            },
        );
        assert!(follow(&extra, &parent).is_err());
        extra
            .pre_state
            .insert(Address::with_last_byte(0xbb), PreAccount::default());
        assert!(follow(&extra, &parent).is_ok());
    }
}
