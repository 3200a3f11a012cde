//! EIP-7610: creating a contract at an address whose account already holds
//! storage fails like any other address collision. revm 43 checks the
//! target's nonce and code but not its storage, so the runner checks the
//! storage itself, before revm builds the creation frame.
//!
//! Storage is written only by an account's own code, and since Spurious
//! Dragon (EIP-161) a created account starts with nonce 1, so an account with
//! storage but no code and a zero nonce is never made by executing a block:
//! they exist only in a pre-state (EIP-7610 counts 28 left on mainnet from
//! before that fork; the ethereum/tests suites hold some). The set is
//! therefore taken once from the block's pre-state, and an account of the set
//! collides while it still exists with no code and a zero nonce. The one case
//! this does not follow: such an account with no balance, deleted by EIP-161
//! clearing when a transaction touches it, then funded again and made the
//! target of a creation later in the same block (its storage is gone, yet it
//! would still collide).
//! Every engine applies the same rule, so parallel results still equal
//! sequential ones.

use crate::state::WorldState;
use revm::context_interface::journaled_state::account::JournaledAccountTr;
use revm::context_interface::{ContextTr, JournalTr};
use revm::interpreter::{CreateInputs, CreateOutcome, Gas, InstructionResult, InterpreterResult};
use revm::primitives::constants::CALL_STACK_LIMIT;
use revm::primitives::{Address, Bytes, KECCAK_EMPTY};
use std::sync::Arc;

/// The pre-state's accounts with storage but no code and a zero nonce: the
/// creation targets whose collision revm 43 misses.
#[derive(Clone, Debug, Default)]
pub struct StorageOnlyAccounts(Arc<[Address]>);

impl StorageOnlyAccounts {
    /// The storage-only accounts of `state`, in address order.
    pub fn of(state: &WorldState) -> Self {
        let mut found: Vec<Address> = state
            .accounts
            .iter()
            .filter(|(_, a)| a.nonce == 0 && a.code_hash == KECCAK_EMPTY && !a.storage.is_empty())
            .map(|(address, _)| *address)
            .collect();
        found.sort_unstable();
        Self(found.into())
    }

    /// True when there are none (every mainnet block seen so far): the
    /// runner then leaves creations to revm alone.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Called before revm builds a creation frame. When the creation would
    /// reach revm's collision check (depth, balance and nonce allow it) and
    /// its target is one of these accounts, still existing with no code and
    /// a zero nonce, this does what revm does on a collision (warms the
    /// target, bumps the creator's nonce) and returns revm's collision
    /// outcome: the creation fails and consumes the gas given to it.
    /// Otherwise, or when the database fails (revm then meets the same
    /// failure itself), it returns `None` and revm creates as usual.
    pub fn check_create<CTX: ContextTr>(&self, context: &mut CTX, inputs: &CreateInputs) -> Option<CreateOutcome> {
        if self.is_empty() || context.journal().depth() as u64 > CALL_STACK_LIMIT {
            return None;
        }
        let journal = context.journal_mut();
        let (balance, nonce) = {
            let creator = journal.load_account(inputs.caller()).ok()?.data;
            (creator.info.balance, creator.info.nonce)
        };
        if balance < inputs.value() || nonce == u64::MAX {
            return None;
        }
        let target = inputs.created_address(nonce);
        self.0.binary_search(&target).ok()?;
        let account = journal.load_account(target).ok()?.data;
        let storage_only =
            !account.is_loaded_as_not_existing() && account.info.nonce == 0 && account.info.code_hash == KECCAK_EMPTY;
        if !storage_only {
            return None;
        }
        let mut creator = journal.load_account_mut(inputs.caller()).ok()?.data;
        let bumped = creator.bump_nonce();
        debug_assert!(bumped, "a nonce below u64::MAX bumps");
        let mut outcome = CreateOutcome::new(
            InterpreterResult {
                result: InstructionResult::CreateCollision,
                gas: Gas::new_with_regular_gas_and_reservoir(inputs.gas_limit(), inputs.reservoir()),
                output: Bytes::new(),
            },
            None,
        );
        outcome.charged_create_state_gas = inputs.charged_create_state_gas();
        Some(outcome)
    }
}
