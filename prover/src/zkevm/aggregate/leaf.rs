//! The chunk leaf circuit: verifies one [`ChunkProof`] (nine STARK proofs
//! with shared cross-table lookup challenges) and its state-tree transition,
//! and exposes its link values, statement digest and state roots.

use super::super::arith_stark::ArithStark;
use super::super::bytecode_stark::BytecodeStark;
use super::super::context_stark::ContextStark;
use super::super::cpu_stark::CpuStark;
use super::super::exp_stark::ExpStark;
use super::super::logic_stark::LogicStark;
use super::super::memory_stark::MemoryStark;
use super::super::proof::{ChunkProof, C, D};
use super::super::stack_stark::StackStark;
use super::super::stark_config;
use super::super::statement::{link_values, public_tuples, statement_elements, PUBLIC_LOOKUPS};
use super::super::storage_stark::StorageStark;
use super::super::tables::{cross_table_lookups, NUM_TABLES};
use super::state::{slot_transition, CodeRead, SLOT_ELEMENTS};
use super::{circuit_config, pi, PlonkProof};
use plonky2::field::types::Field;
use plonky2::hash::hash_types::{HashOut, HashOutTarget};
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::challenger::RecursiveChallenger;
use plonky2::iop::target::Target;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::CircuitData;
use plonky2::plonk::config::{GenericConfig, Hasher as _};
use serde::{Deserialize, Serialize};
use starky::config::StarkConfig;
use starky::cross_table_lookup::{verify_cross_table_lookups_circuit, CrossTableLookup, CtlCheckVarsTarget};
use starky::lookup::{get_grand_product_challenge_set_target, GrandProductChallengeSet};
use starky::proof::StarkProofWithPublicInputsTarget;
use starky::recursive_verifier::{
    add_virtual_stark_proof_with_pis, set_stark_proof_with_pis_target, verify_stark_proof_with_challenges_circuit,
};
use starky::stark::Stark;
use witness::state::{address_limbs, code_hash, MerklePath, ACCOUNT, DEPTH, STORAGE};
use witness::{ChunkStatement, ChunkWitness, F};

type Hasher = <C as GenericConfig<D>>::Hasher;

/// Number of link values at the start of the statement transcript (the
/// first of the step table's public inputs); they are the first public inputs of a leaf.
const LINKS: usize = witness::cpu::pi::LINKS;
const _: () = assert!(LINKS == pi::DIGEST, "a leaf exposes the link values, then the digest");

/// A chunk as the aggregation tree sees it: its statement and the degree
/// (log2 of the rows) of each table proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkLayout {
    /// The chunk's statement.
    pub statement: ChunkStatement,
    /// Degree bits of the table proofs, in table-index order.
    pub degree_bits: [usize; NUM_TABLES],
}

impl ChunkLayout {
    /// The layout of a chunk proof.
    pub fn of(proof: &ChunkProof) -> Self {
        let config = stark_config();
        Self {
            statement: proof.statement.clone(),
            degree_bits: proof.tables().map(|t| t.proof.recover_degree_bits(&config)),
        }
    }

    /// The layout every proof of `witness` has (the table degrees are those
    /// of its row counts); `None` when a row count is not a power of two.
    pub fn of_witness(witness: &ChunkWitness) -> Option<Self> {
        let rows = [
            witness.cpu.len(),
            witness.stack.len(),
            witness.bytecode.len(),
            witness.logic.len(),
            witness.context.len(),
            witness.memory.len(),
            witness.arith.len(),
            witness.storage.len(),
            witness.exp.len(),
        ];
        rows.iter().all(|r| r.is_power_of_two()).then(|| Self {
            statement: witness.statement.clone(),
            degree_bits: rows.map(|r| r.trailing_zeros() as usize),
        })
    }

    /// The shape of the leaf circuit that verifies this chunk.
    pub fn shape(&self) -> LeafShape {
        LeafShape {
            degree_bits: self.degree_bits,
            statement_len: statement_elements(&self.statement).len(),
            num_tuples: public_tuples(&self.statement).map(|t| t.len()),
            slots: self.statement.storage.len(),
            accounts: self.statement.accounts.len(),
            callees: self.statement.callees().len(),
            resume_len: self.statement.resume.as_ref().map_or(0, |b| b.elements().len()),
            suspend_len: self.statement.suspend.as_ref().map_or(0, |b| b.elements().len()),
        }
    }

    /// The public inputs a valid leaf proof of this chunk has.
    pub fn public_inputs(&self) -> Vec<F> {
        let s = &self.statement;
        let mut pis = link_values(s);
        pis.extend(statement_digest(s).elements);
        pis.extend(linked_root(s.old_root, s.resume.as_ref()).elements);
        pis.extend(linked_root(s.new_root, s.suspend.as_ref()).elements);
        pis
    }
}

/// The root a leaf exposes for a state root and the boundary of a
/// transaction split there, if any: the root itself, or Poseidon over the
/// root and the boundary's elements ([`witness::boundary::Boundary::elements`]),
/// so that neighbouring chunks merge only when one resumes where the other
/// suspends.
pub fn linked_root(root: HashOut<F>, boundary: Option<&witness::boundary::Boundary>) -> HashOut<F> {
    match boundary {
        None => root,
        Some(b) => {
            let mut input = root.elements.to_vec();
            input.extend(b.elements());
            PoseidonHash::hash_no_pad(&input)
        }
    }
}

/// What a leaf circuit depends on: table degrees, the number of statement
/// transcript elements and the sizes of the public lookups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LeafShape {
    /// Degree bits of the table proofs, in table-index order.
    pub degree_bits: [usize; NUM_TABLES],
    /// Number of field elements the statement adds to the transcript.
    pub statement_len: usize,
    /// Number of elements of each public lookup's tuples (instruction,
    /// call-context, call-data and storage-slot tuples).
    pub num_tuples: [usize; PUBLIC_LOOKUPS.len()],
    /// Number of storage slots (state-tree updates); with their count and
    /// the account fields after them, they are the last elements of the
    /// statement.
    pub slots: usize,
    /// Number of account fields (state-tree updates after the slots); they
    /// are the last elements of the statement.
    pub accounts: usize,
    /// Number of distinct called contracts (code leaves read).
    pub callees: usize,
    /// Number of elements of the resume boundary (0 for none).
    pub resume_len: usize,
    /// Number of elements of the suspend boundary (0 for none).
    pub suspend_len: usize,
}

impl LeafShape {
    /// Number of statement elements the boundaries take at its end
    /// ([`super::super::statement::boundary_elements`]).
    fn boundary_len(&self) -> usize {
        let both = self.resume_len + self.suspend_len;
        if both == 0 {
            0
        } else {
            2 + both
        }
    }
}

/// The digest a leaf exposes: Poseidon over the statement's transcript
/// elements after the link values, its public lookup tuples, then per
/// called contract its address limbs and code hash ([`code_reads`]).
pub fn statement_digest(statement: &ChunkStatement) -> HashOut<F> {
    let mut input = statement_elements(statement).split_off(LINKS);
    for tuples in public_tuples(statement) {
        input.extend(tuples);
    }
    input.extend(code_reads(statement));
    PoseidonHash::hash_no_pad(&input)
}

/// Per called contract, in the order of [`ChunkStatement::callees`], its
/// address limbs and the code hash of its code: the values the leaf
/// circuit's code reads hold.
pub fn code_reads(statement: &ChunkStatement) -> Vec<F> {
    statement
        .callees()
        .into_iter()
        .flat_map(|(address, code)| {
            let mut read = address_limbs(address).to_vec();
            read.extend(code_hash(code).elements);
            read
        })
        .collect()
}

/// Fills a path's targets.
fn set_path(pw: &mut PartialWitness<F>, targets: &[HashOutTarget], path: &MerklePath) -> Result<(), String> {
    for (&t, &h) in targets.iter().zip(&path.0) {
        pw.set_hash_target(t, h).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A built leaf circuit and the targets its witness fills.
pub struct LeafCircuit {
    /// The circuit.
    pub data: CircuitData<F, C, D>,
    shape: LeafShape,
    statement: Vec<Target>,
    /// The tuples of each public lookup, flattened.
    tuples: [Vec<Target>; PUBLIC_LOOKUPS.len()],
    tables: [StarkProofWithPublicInputsTarget<D>; NUM_TABLES],
    old_root: HashOutTarget,
    /// The code leaf read of each called contract.
    code_reads: Vec<CodeRead>,
    /// The state-tree path of each storage slot.
    paths: Vec<Vec<HashOutTarget>>,
    /// The state-tree path of each account field.
    account_paths: Vec<Vec<HashOutTarget>>,
    zero: Target,
}

/// Virtual targets for one table proof, sized for its degree and CTLs.
fn table_targets<S: Stark<F, D>>(
    b: &mut CircuitBuilder<F, D>,
    stark: &S,
    config: &StarkConfig,
    ctls: &[CrossTableLookup<F>],
    index: usize,
    degree_bits: usize,
) -> StarkProofWithPublicInputsTarget<D> {
    let (helpers, zs, _) =
        CrossTableLookup::num_ctl_helpers_zs_all(ctls, index, config.num_challenges, stark.constraint_degree());
    add_virtual_stark_proof_with_pis(b, stark, config, degree_bits, helpers + zs, zs)
}

/// What verifying one table in-circuit needs.
struct TableCheck<'a> {
    config: &'a StarkConfig,
    ctls: &'a [CrossTableLookup<F>],
    ctl_challenges: &'a GrandProductChallengeSet<Target>,
    /// Sponge state after the shared challenges; each table continues its own copy.
    sponge: <Hasher as plonky2::plonk::config::AlgebraicHasher<F>>::AlgebraicPermutation,
}

impl TableCheck<'_> {
    fn verify<S: Stark<F, D>>(
        &self,
        b: &mut CircuitBuilder<F, D>,
        stark: &S,
        index: usize,
        table: &StarkProofWithPublicInputsTarget<D>,
        degree_bits: usize,
    ) {
        let (helpers, _, helpers_by_ctl) = CrossTableLookup::num_ctl_helpers_zs_all(
            self.ctls,
            index,
            self.config.num_challenges,
            stark.constraint_degree(),
        );
        let ctl_vars = CtlCheckVarsTarget::from_proof(
            index,
            &table.proof,
            self.ctls,
            self.ctl_challenges,
            stark.num_lookup_helper_columns(self.config),
            helpers,
            &helpers_by_ctl,
        );
        let mut challenger = RecursiveChallenger::<F, Hasher, D>::from_state(self.sponge);
        let challenges = table.get_challenges::<F, C, S>(
            stark,
            b,
            &mut challenger,
            Some(self.ctl_challenges),
            Some(&ctl_vars),
            degree_bits,
            true,
            self.config,
        );
        // The proof's degree is fixed by the shape, not chosen by the prover.
        let bits = b.constant(F::from_canonical_usize(degree_bits));
        b.connect(table.proof.degree_bits, bits);
        verify_stark_proof_with_challenges_circuit::<F, C, S, D>(
            b,
            stark,
            &table.proof,
            &table.public_inputs,
            challenges,
            Some(&ctl_vars),
            self.config,
            degree_bits,
            None,
        );
    }
}

impl LeafCircuit {
    /// Builds the leaf circuit for one shape.
    pub fn build(shape: LeafShape) -> Self {
        let config = stark_config();
        let ctls = cross_table_lookups();
        let mut b = CircuitBuilder::<F, D>::new(circuit_config());
        let zero = b.zero();
        let statement = b.add_virtual_targets(shape.statement_len);
        let tuples = shape.num_tuples.map(|n| b.add_virtual_targets(n));
        let [cpu_bits, stack_bits, bytecode_bits, logic_bits, context_bits, memory_bits, arith_bits, storage_bits, exp_bits] =
            shape.degree_bits;
        let tables = [
            table_targets(&mut b, &CpuStark, &config, &ctls, 0, cpu_bits),
            table_targets(&mut b, &StackStark, &config, &ctls, 1, stack_bits),
            table_targets(&mut b, &BytecodeStark, &config, &ctls, 2, bytecode_bits),
            table_targets(&mut b, &LogicStark, &config, &ctls, 3, logic_bits),
            table_targets(&mut b, &ContextStark, &config, &ctls, 4, context_bits),
            table_targets(&mut b, &MemoryStark, &config, &ctls, 5, memory_bits),
            table_targets(&mut b, &ArithStark, &config, &ctls, 6, arith_bits),
            table_targets(&mut b, &StorageStark, &config, &ctls, 7, storage_bits),
            table_targets(&mut b, &ExpStark, &config, &ctls, 8, exp_bits),
        ];

        // Transcript: statement, trace caps, shared CTL challenges.
        let mut challenger = RecursiveChallenger::<F, Hasher, D>::new(&mut b);
        challenger.observe_elements(&statement);
        for t in &tables {
            challenger.observe_cap(&t.proof.trace_cap);
        }
        let ctl_challenges = get_grand_product_challenge_set_target(&mut b, &mut challenger, config.num_challenges);
        let check = TableCheck {
            config: &config,
            ctls: &ctls,
            ctl_challenges: &ctl_challenges,
            sponge: challenger.compact(&mut b),
        };
        check.verify(&mut b, &CpuStark, 0, &tables[0], cpu_bits);
        check.verify(&mut b, &StackStark, 1, &tables[1], stack_bits);
        check.verify(&mut b, &BytecodeStark, 2, &tables[2], bytecode_bits);
        check.verify(&mut b, &LogicStark, 3, &tables[3], logic_bits);
        check.verify(&mut b, &ContextStark, 4, &tables[4], context_bits);
        check.verify(&mut b, &MemoryStark, 5, &tables[5], memory_bits);
        check.verify(&mut b, &ArithStark, 6, &tables[6], arith_bits);
        check.verify(&mut b, &StorageStark, 7, &tables[7], storage_bits);
        check.verify(&mut b, &ExpStark, 8, &tables[8], exp_bits);

        // The step table's public inputs are the statement's link values,
        // then the machine values of each boundary (zero for none).
        let boundaries = &statement[shape.statement_len - shape.boundary_len()..];
        let (resume, suspend) = match boundaries {
            [] => (&boundaries[..0], &boundaries[..0]),
            [_, _, rest @ ..] => rest.split_at(shape.resume_len),
            _ => unreachable!("boundary_len is 0 or at least 2"),
        };
        let cpu_pis = &tables[0].public_inputs;
        for (&p, &s) in cpu_pis.iter().zip(&statement[..LINKS]) {
            b.connect(p, s);
        }
        for (start, elements) in [(witness::cpu::pi::RESUME, resume), (witness::cpu::pi::SUSPEND, suspend)] {
            for k in 0..witness::boundary::machine::LEN {
                let value = elements.get(k).copied().unwrap_or(zero);
                b.connect(cpu_pis[start + k], value);
            }
        }
        // The storage table's: whether the chunk suspends a transaction, and END_TX.
        let storage_pis = &tables[7].public_inputs;
        let suspends = suspend.first().copied().unwrap_or(zero);
        b.connect(storage_pis[0], suspends);
        b.connect(storage_pis[1], statement[witness::cpu::pi::END_TX]);

        // Lookup balances; each public side is the sum of 1/combine(tuple).
        let mut extra_sums = hashbrown::HashMap::new();
        for (lookup, flat) in PUBLIC_LOOKUPS.iter().zip(&tuples) {
            let sums: Vec<Target> = ctl_challenges
                .challenges
                .iter()
                .map(|ch| {
                    let inverses: Vec<Target> = flat
                        .chunks(lookup.width)
                        .map(|t| {
                            let combined = ch.combine_base_circuit(&mut b, t);
                            b.inverse(combined)
                        })
                        .collect();
                    b.add_many(inverses)
                })
                .collect();
            extra_sums.insert(lookup.ctl, sums);
        }
        let zs_first = tables.each_ref().map(|t| {
            t.proof
                .openings
                .ctl_zs_first
                .clone()
                .expect("every chunk table takes part in a cross-table lookup")
        });
        verify_cross_table_lookups_circuit::<F, D, NUM_TABLES>(&mut b, ctls, zs_first, &extra_sums, &config);

        let old_root = b.add_virtual_hash();
        let code_reads: Vec<CodeRead> = (0..shape.callees).map(|_| CodeRead::add_virtual(&mut b)).collect();
        for read in &code_reads {
            read.check(&mut b, old_root);
        }
        let mut digest_input = statement[LINKS..].to_vec();
        digest_input.extend(tuples.iter().flatten());
        for read in &code_reads {
            digest_input.extend(read.values());
        }
        let digest = b.hash_n_to_hash_no_pad::<PoseidonHash>(digest_input);
        let paths: Vec<Vec<HashOutTarget>> = (0..shape.slots).map(|_| b.add_virtual_hashes(DEPTH)).collect();
        let account_paths: Vec<Vec<HashOutTarget>> = (0..shape.accounts).map(|_| b.add_virtual_hashes(DEPTH)).collect();
        // The statement ends with the slots, the number of account fields,
        // the fields, then the boundaries.
        let (rest, field_elements) = statement[..shape.statement_len - shape.boundary_len()]
            .split_at(shape.statement_len - shape.boundary_len() - shape.accounts * SLOT_ELEMENTS);
        let slot_elements = &rest[rest.len() - 1 - shape.slots * SLOT_ELEMENTS..rest.len() - 1];
        let root = slot_transition(&mut b, STORAGE, old_root, slot_elements, &paths);
        let new_root = slot_transition(&mut b, ACCOUNT, root, field_elements, &account_paths);
        let mut linked = |root: HashOutTarget, boundary: &[Target]| {
            if boundary.is_empty() {
                return root;
            }
            let mut input = root.elements.to_vec();
            input.extend(boundary);
            b.hash_n_to_hash_no_pad::<PoseidonHash>(input)
        };
        let (old_linked, new_linked) = (linked(old_root, resume), linked(new_root, suspend));
        b.register_public_inputs(&statement[..LINKS]);
        b.register_public_inputs(&digest.elements);
        b.register_public_inputs(&old_linked.elements);
        b.register_public_inputs(&new_linked.elements);
        Self {
            data: b.build::<C>(),
            shape,
            statement,
            tuples,
            tables,
            old_root,
            code_reads,
            paths,
            account_paths,
            zero,
        }
    }

    /// Proves that `proof` verifies, and checks the result against this circuit.
    pub fn prove(&self, proof: &ChunkProof) -> Result<PlonkProof, String> {
        let layout = ChunkLayout::of(proof);
        if layout.shape() != self.shape {
            return Err(format!(
                "the chunk has shape {:?}, this leaf circuit verifies {:?}",
                layout.shape(),
                self.shape
            ));
        }
        let state = &proof.state;
        if state.storage.len() != self.shape.slots
            || state.accounts.len() != self.shape.accounts
            || state.code.len() != self.shape.callees
            || state
                .storage
                .iter()
                .chain(&state.accounts)
                .chain(&state.code)
                .any(|p| p.0.len() != DEPTH)
        {
            return Err(format!(
                "the chunk has {} storage, {} account and {} code paths for {} storage slots, {} account fields and {} called contracts, each path must have {DEPTH} siblings",
                state.storage.len(),
                state.accounts.len(),
                state.code.len(),
                self.shape.slots,
                self.shape.accounts,
                self.shape.callees
            ));
        }
        let mut pw = PartialWitness::new();
        let statement = statement_elements(&proof.statement);
        let tuples = public_tuples(&proof.statement);
        let tables = proof.tables();
        crate::guard::guarded("filling the leaf witness", || {
            pw.set_target_arr(&self.statement, &statement)
                .map_err(|e| e.to_string())?;
            for (targets, values) in self.tuples.iter().zip(&tuples) {
                pw.set_target_arr(targets, values).map_err(|e| e.to_string())?;
            }
            for ((t, p), bits) in self.tables.iter().zip(tables).zip(self.shape.degree_bits) {
                set_stark_proof_with_pis_target(&mut pw, t, p, bits, self.zero).map_err(|e| e.to_string())?;
            }
            pw.set_hash_target(self.old_root, proof.statement.old_root)
                .map_err(|e| e.to_string())?;
            let reads = code_reads(&proof.statement);
            let values = reads.chunks(CodeRead::VALUES);
            for ((read, values), path) in self.code_reads.iter().zip(values).zip(&proof.state.code) {
                pw.set_target_arr(&read.values(), values).map_err(|e| e.to_string())?;
                set_path(&mut pw, &read.path, path)?;
            }
            let all_paths = self.paths.iter().chain(&self.account_paths);
            for (targets, path) in all_paths.zip(proof.state.storage.iter().chain(&proof.state.accounts)) {
                set_path(&mut pw, targets, path)?;
            }
            Ok(())
        })?;
        let leaf = super::circuits::prove_checked(&self.data, pw)?;
        if leaf.public_inputs != layout.public_inputs() {
            return Err(
                "the leaf proves other link values, digest or state roots than the chunk's statement claims".into(),
            );
        }
        Ok(leaf)
    }
}
