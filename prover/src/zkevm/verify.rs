//! Verifying chunk proofs: each table's STARK with the shared cross-table
//! lookup challenges, the lookup balances (including the public-code side
//! that the verifier computes itself), and links between neighbouring chunks.

use super::arith_stark::ArithStark;
use super::bytecode_stark::BytecodeStark;
use super::context_stark::ContextStark;
use super::cpu_stark::CpuStark;
use super::exp_stark::ExpStark;
use super::logic_stark::LogicStark;
use super::memory_stark::MemoryStark;
use super::proof::{ChunkProof, TableProof, C, D};
use super::stack_stark::StackStark;
use super::statement::{cpu_public_inputs, observe_statement, public_tuples, storage_public_inputs, PUBLIC_LOOKUPS};
use super::storage_stark::StorageStark;
use super::tables::{cross_table_lookups, NUM_TABLES};
use super::{stark_config, ZkevmError};
use plonky2::field::types::Field;
use plonky2::iop::challenger::Challenger;
use plonky2::plonk::config::GenericConfig;
use starky::config::StarkConfig;
use starky::cross_table_lookup::{verify_cross_table_lookups, CrossTableLookup, CtlCheckVars};
use starky::lookup::GrandProductChallengeSet;
use starky::stark::Stark;
use witness::state::{apply_slots, ACCOUNT, STORAGE};
use witness::{ChunkStatement, F};

type Hasher = <C as GenericConfig<D>>::Hasher;

/// Verifies one chunk proof against the statement it carries.
pub fn verify_chunk(proof: &ChunkProof) -> Result<(), ZkevmError> {
    let statement = &proof.statement;
    check_statement(statement)?;
    let state_error = |e: String| ZkevmError::Statement(format!("state tree: {e}"));
    witness::state::check_code(statement.old_root, &statement.callees(), &proof.state.code).map_err(state_error)?;
    let root =
        apply_slots(STORAGE, statement.old_root, &statement.storage, &proof.state.storage).map_err(state_error)?;
    let new_root = apply_slots(ACCOUNT, root, &statement.accounts, &proof.state.accounts).map_err(state_error)?;
    if new_root != statement.new_root {
        return Err(ZkevmError::Statement(
            "the storage slots and account fields take the state tree from the old root to another root than the claimed new root".into(),
        ));
    }
    let config = stark_config();
    let ctls = cross_table_lookups();
    let tables = proof.tables();

    let mut challenger = Challenger::<F, Hasher>::new();
    observe_statement(&mut challenger, statement);
    for t in tables {
        challenger.observe_cap(&t.proof.trace_cap);
    }
    let ctl_challenges = starky::lookup::get_grand_product_challenge_set(&mut challenger, config.num_challenges);

    let job = |i: usize| VerifyJob {
        config: &config,
        ctls: &ctls,
        ctl_challenges: &ctl_challenges,
        challenger: challenger.clone(),
        index: i,
    };
    job(0).verify(&CpuStark, "step", tables[0], &cpu_public_inputs(statement))?;
    job(1).verify(&StackStark, "stack", tables[1], &[])?;
    job(2).verify(&BytecodeStark, "bytecode", tables[2], &[])?;
    job(3).verify(&LogicStark, "logic", tables[3], &[])?;
    job(4).verify(&ContextStark, "call-context", tables[4], &[])?;
    job(5).verify(&MemoryStark, "memory", tables[5], &[])?;
    job(6).verify(&ArithStark, "arithmetic", tables[6], &[])?;
    job(7).verify(&StorageStark, "storage", tables[7], &storage_public_inputs(statement))?;
    job(8).verify(&ExpStark, "exponentiation", tables[8], &[])?;

    let zs_first: [Vec<F>; NUM_TABLES] = tables.map(|t| t.proof.openings.ctl_zs_first.clone().unwrap_or_default());
    let extra: hashbrown::HashMap<usize, Vec<F>> = PUBLIC_LOOKUPS
        .iter()
        .zip(public_tuples(statement))
        .map(|(l, tuples)| (l.ctl, public_sums(&tuples, l.width, &ctl_challenges)))
        .collect();
    verify_cross_table_lookups::<F, D, NUM_TABLES>(&ctls, zs_first, &extra, &config)
        .map_err(|e| ZkevmError::CrossTable(format!("{e:#}")))
}

/// Verifies consecutive chunk proofs of one block and that each starts
/// where the previous ended: at the next transaction, with the state root
/// and storage the previous chunks left.
pub fn verify_chunk_sequence(proofs: &[ChunkProof]) -> Result<(), ZkevmError> {
    for (i, pair) in proofs.windows(2).enumerate() {
        if pair[1].statement.first_tx != pair[0].statement.end_tx {
            return Err(ZkevmError::BrokenLink {
                index: i + 1,
                first_tx: pair[1].statement.first_tx,
                expected: pair[0].statement.end_tx,
            });
        }
    }
    check_state_links(proofs.iter().map(|p| &p.statement))?;
    proofs.iter().try_for_each(verify_chunk)
}

/// Each chunk of a block must start from the state root the previous chunk
/// left, its storage slots with the values the earlier chunks left in them,
/// and a split transaction where the previous chunk suspended it (the
/// block's first chunk resumes none, its last suspends none); all chunks of
/// a block share its block context.
pub(crate) fn check_state_links<'a>(
    statements: impl IntoIterator<Item = &'a ChunkStatement>,
) -> Result<(), ZkevmError> {
    let mut left = std::collections::HashMap::new();
    let mut root = None;
    let mut block: Option<witness::accounting::BlockContext> = None;
    let mut suspended = None;
    for (i, s) in statements.into_iter().enumerate() {
        if s.resume.as_ref() != suspended {
            return Err(ZkevmError::Statement(format!(
                "chunk {i} resumes {}, the previous chunk suspends {}",
                describe_boundary(s.resume.as_ref()),
                describe_boundary(suspended)
            )));
        }
        suspended = s.suspend.as_ref();
        if root.is_some_and(|r| r != s.old_root) {
            return Err(ZkevmError::Statement(format!(
                "chunk {i} starts from another state root than the previous chunk ends with"
            )));
        }
        root = Some(s.new_root);
        if let Some(first) = block.filter(|&f| f != s.block) {
            return Err(ZkevmError::Statement(format!(
                "chunk {i} states another {} than the block's first chunk",
                s.block.differences(&first).join(", ")
            )));
        }
        block = Some(s.block);
        for slot in &s.storage {
            if let Some(after) = left.insert((slot.address, slot.key), slot.after) {
                if after != slot.before {
                    return Err(ZkevmError::Statement(format!(
                        "chunk {i} starts slot {} of {} at {}, the earlier chunks left {after}",
                        slot.key, slot.address, slot.before
                    )));
                }
            }
        }
    }
    if suspended.is_some() {
        return Err(ZkevmError::Statement(
            "the block's last chunk suspends a transaction that no chunk finishes".into(),
        ));
    }
    Ok(())
}

/// A split transaction's boundary in a few words.
fn describe_boundary(boundary: Option<&witness::boundary::Boundary>) -> String {
    match boundary {
        None => "no transaction".into(),
        Some(b) => format!(
            "a transaction at pc {} with {} gas, {} stack items and {} memory bytes",
            b.pc,
            b.gas,
            b.stack.len(),
            b.memory.len()
        ),
    }
}

/// Largest refund counter a statement may claim: above any block's gas, and
/// one field element.
const MAX_REFUND: u64 = 1 << 32;

/// The statement must list one call per transaction of its range, in order
/// (and the suspended one's, if any), each with starting gas and call data
/// the tables can hold, starting gas equal to its gas limit less its
/// intrinsic gas, no more gas left than it started with and a refund
/// counter of at most [`MAX_REFUND`] (a suspended call: no end, zero gas
/// left and refund, not reverted); its boundaries must fit the tables; its
/// account fields must be what the accounting of its finished calls gives
/// ([`witness::accounting::check`]), and its storage slots in strictly
/// increasing (contract, key) order.
pub(crate) fn check_statement(s: &ChunkStatement) -> Result<(), ZkevmError> {
    let ids: Vec<u32> = s.calls.iter().map(|c| c.tx).collect();
    let mut expected: Vec<u32> = (s.first_tx..s.end_tx).collect();
    expected.extend(s.suspend.as_ref().map(|_| s.end_tx));
    if ids != expected || ids.is_empty() {
        return Err(ZkevmError::Statement(format!(
            "transactions {}..{} (and a suspended transaction {}: {}) need one call each in order, the statement lists calls for {ids:?}",
            s.first_tx,
            s.end_tx,
            s.end_tx,
            s.suspend.is_some()
        )));
    }
    if let (Some(_), Some(c)) = (&s.suspend, s.calls.last()) {
        if c.gas_left != 0 || c.refund != 0 || c.reverted {
            return Err(ZkevmError::Statement(format!(
                "the suspended transaction {} is listed with an end (gas left {}, refund {}, reverted {})",
                c.tx, c.gas_left, c.refund, c.reverted
            )));
        }
    }
    for (what, b, call) in [
        ("resumes", &s.resume, s.calls.first()),
        ("suspends", &s.suspend, s.calls.last()),
    ] {
        let (Some(b), Some(call)) = (b, call) else { continue };
        let listed =
            |w: &witness::storage::WarmSlot| s.storage.iter().any(|x| (x.address, x.key) == (w.address, w.key));
        if b.warm
            .windows(2)
            .any(|p| (p[0].address, p[0].key) >= (p[1].address, p[1].key))
            || !b.warm.iter().all(listed)
        {
            return Err(ZkevmError::Statement(format!(
                "the chunk {what} transaction {} with warm storage slots that are not distinct, sorted and in its storage list",
                call.tx
            )));
        }
        if b.stack.len() > 1024
            || b.memory.len() % 32 != 0
            || b.memory.len() > witness::boundary::MAX_MEMORY
            || b.gas > call.gas
            || b.refund > MAX_REFUND
        {
            return Err(ZkevmError::Statement(format!(
                "the chunk {what} transaction {} with {} stack items, {} memory bytes, {} gas (of {}) and refund counter {}: at most 1,024 items, whole words up to {} bytes, the starting gas and {MAX_REFUND}",
                call.tx,
                b.stack.len(),
                b.memory.len(),
                b.gas,
                call.gas,
                b.refund,
                witness::boundary::MAX_MEMORY
            )));
        }
    }
    if let Some(c) = s.calls.iter().find(|c| c.gas > witness::chunk::MAX_START_GAS) {
        return Err(ZkevmError::Statement(format!(
            "transaction {} starts with {} gas, the tables take at most {}",
            c.tx,
            c.gas,
            witness::chunk::MAX_START_GAS
        )));
    }
    for c in &s.calls {
        let intrinsic = witness::chunk::intrinsic_gas(&c.calldata);
        if c.gas_limit.checked_sub(intrinsic) != Some(c.gas) {
            return Err(ZkevmError::Statement(format!(
                "transaction {} starts with {} gas, but its gas limit {} less the intrinsic gas {intrinsic} of its call data is not that",
                c.tx, c.gas, c.gas_limit
            )));
        }
        if c.gas_left > c.gas {
            return Err(ZkevmError::Statement(format!(
                "transaction {} ends with {} gas left, more than the {} it starts with",
                c.tx, c.gas_left, c.gas
            )));
        }
        if c.refund > MAX_REFUND {
            return Err(ZkevmError::Statement(format!(
                "transaction {} claims a refund counter of {}, above {MAX_REFUND}",
                c.tx, c.refund
            )));
        }
    }
    if let Some(c) = s
        .calls
        .iter()
        .find(|c| c.calldata.len() >= witness::memory::MAX_CALLDATA)
    {
        return Err(ZkevmError::Statement(format!(
            "transaction {} has {} bytes of call data, the tables take fewer than {}",
            c.tx,
            c.calldata.len(),
            witness::memory::MAX_CALLDATA
        )));
    }
    witness::accounting::check(s.finished_calls(), &s.block, &s.accounts)
        .map_err(|e| ZkevmError::Statement(format!("accounting: {e}")))?;
    if let Some(pair) = s
        .storage
        .windows(2)
        .find(|p| (p[0].address, p[0].key) >= (p[1].address, p[1].key))
    {
        return Err(ZkevmError::Statement(format!(
            "storage slot {} of {} is listed after slot {} of {}: slots must be distinct and sorted",
            pair[1].key, pair[1].address, pair[0].key, pair[0].address
        )));
    }
    Ok(())
}

/// For each challenge, the sum of 1/combine(tuple) over the flattened tuples of `width` elements.
fn public_sums(tuples: &[F], width: usize, challenges: &GrandProductChallengeSet<F>) -> Vec<F> {
    challenges
        .challenges
        .iter()
        .map(|ch| {
            let combined: Vec<F> = tuples.chunks(width).map(|t| ch.combine(t.iter())).collect();
            F::batch_multiplicative_inverse(&combined).into_iter().sum()
        })
        .collect()
}

/// What verifying one table needs.
struct VerifyJob<'a> {
    config: &'a StarkConfig,
    ctls: &'a [CrossTableLookup<F>],
    ctl_challenges: &'a GrandProductChallengeSet<F>,
    challenger: Challenger<F, Hasher>,
    index: usize,
}

impl VerifyJob<'_> {
    fn verify<S: Stark<F, D>>(
        mut self,
        stark: &S,
        table: &'static str,
        proof: &TableProof,
        pis: &[F],
    ) -> Result<(), ZkevmError> {
        let fail = |reason: String| ZkevmError::Verify { table, reason };
        if proof.public_inputs != pis {
            return Err(ZkevmError::Statement(format!(
                "the {table} table's public inputs do not match the statement"
            )));
        }
        if proof.proof.openings.auxiliary_polys.is_none() || proof.proof.openings.ctl_zs_first.is_none() {
            return Err(fail("the proof has no lookup openings".into()));
        }
        let (total_helpers, _, helpers_by_ctl) = CrossTableLookup::num_ctl_helpers_zs_all(
            self.ctls,
            self.index,
            self.config.num_challenges,
            stark.constraint_degree(),
        );
        let ctl_vars = CtlCheckVars::from_proof(
            self.index,
            &proof.proof,
            self.ctls,
            self.ctl_challenges,
            stark.num_lookup_helper_columns(self.config),
            total_helpers,
            &helpers_by_ctl,
        );
        let challenges = proof.get_challenges(
            stark,
            &mut self.challenger,
            Some(self.ctl_challenges),
            Some(&ctl_vars),
            true,
            self.config,
            None,
        );
        starky::verifier::verify_stark_proof_with_challenges(
            stark,
            &proof.proof,
            &challenges,
            Some(&ctl_vars),
            pis,
            self.config,
        )
        .map_err(|e| fail(format!("{e:#}")))
    }
}
