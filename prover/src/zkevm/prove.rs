//! Proving a chunk: commit to every table, draw the shared cross-table
//! lookup challenges, then prove each table.

use super::arith_stark::ArithStark;
use super::bytecode_stark::BytecodeStark;
use super::context_stark::ContextStark;
use super::cpu_stark::CpuStark;
use super::exp_stark::ExpStark;
use super::logic_stark::LogicStark;
use super::memory_stark::MemoryStark;
use super::proof::{ChunkProof, TableProof, C, D};
use super::stack_stark::StackStark;
use super::statement::{cpu_public_inputs, observe_statement, storage_public_inputs};
use super::storage_stark::StorageStark;
use super::tables::{cross_table_lookups, NUM_TABLES};
use super::{stark_config, ZkevmError};
use crate::backend::Backend;
use plonky2::field::polynomial::PolynomialValues;
use plonky2::fri::oracle::PolynomialBatch;
use plonky2::iop::challenger::Challenger;
use plonky2::plonk::config::GenericConfig;
use plonky2::util::timing::TimingTree;
use rayon::prelude::*;
use starky::config::StarkConfig;
use starky::cross_table_lookup::{get_ctl_data, CtlData};
use starky::lookup::GrandProductChallengeSet;
use starky::stark::Stark;
use witness::{ChunkWitness, F};

type Hasher = <C as GenericConfig<D>>::Hasher;

/// Proves one chunk on the CPU backend. Fails if the witness violates a constraint.
pub fn prove_chunk(witness: ChunkWitness) -> Result<ChunkProof, ZkevmError> {
    prove_chunk_with(witness, &crate::backend::CpuBackend)
}

/// Proves one chunk, committing to the table traces through `backend`.
///
/// The witness is taken by value: each table's rows are freed as soon as
/// they are turned into columns, so the row-major witness and the
/// commitments never coexist (at 2^18 step rows one copy of the step table
/// is about 0.8 GB).
pub fn prove_chunk_with(witness: ChunkWitness, backend: &dyn Backend) -> Result<ChunkProof, ZkevmError> {
    let config = stark_config();
    let ChunkWitness {
        statement,
        state,
        cpu,
        stack,
        bytecode,
        logic,
        context,
        memory,
        arith,
        storage,
        exp,
    } = witness;
    let traces: [Vec<PolynomialValues<F>>; NUM_TABLES] = [
        into_columns(cpu),
        into_columns(stack),
        into_columns(bytecode),
        into_columns(logic),
        into_columns(context),
        into_columns(memory),
        into_columns(arith),
        into_columns(storage),
        into_columns(exp),
    ];
    let mut timing = TimingTree::default();
    let rate_bits = config.fri_config.rate_bits;
    let cap_height = config.fri_config.cap_height;
    let commitments = traces
        .iter()
        .map(|t| backend.commit(t.clone(), rate_bits, false, cap_height, &mut timing))
        .collect::<Result<Vec<PolynomialBatch<F, C, D>>, _>>()
        .map_err(|e| ZkevmError::Prove {
            table: "trace commitment",
            reason: e.to_string(),
        })?;

    let mut challenger = Challenger::<F, Hasher>::new();
    observe_statement(&mut challenger, &statement);
    for c in &commitments {
        challenger.observe_cap(&c.merkle_tree.cap);
    }
    let ctls = cross_table_lookups();
    let (ctl_challenges, ctl_data) = get_ctl_data::<F, C, D, NUM_TABLES>(&config, &traces, &ctls, &mut challenger, 3);

    let job = |i: usize| ProveJob {
        config: &config,
        trace: &traces[i],
        commitment: &commitments[i],
        ctl_data: &ctl_data[i],
        ctl_challenges: &ctl_challenges,
        challenger: challenger.clone(),
    };
    let cpu_pis = cpu_public_inputs(&statement);
    let storage_pis = storage_public_inputs(&statement);
    Ok(ChunkProof {
        statement,
        state,
        cpu: job(0).prove(&CpuStark, "step", &cpu_pis)?,
        stack: job(1).prove(&StackStark, "stack", &[])?,
        bytecode: job(2).prove(&BytecodeStark, "bytecode", &[])?,
        logic: job(3).prove(&LogicStark, "logic", &[])?,
        context: job(4).prove(&ContextStark, "call-context", &[])?,
        memory: job(5).prove(&MemoryStark, "memory", &[])?,
        arith: job(6).prove(&ArithStark, "arithmetic", &[])?,
        storage: job(7).prove(&StorageStark, "storage", &storage_pis)?,
        exp: job(8).prove(&ExpStark, "exponentiation", &[])?,
    })
}

/// The columns of a table given by its rows, freeing the rows.
fn into_columns<const N: usize>(rows: Vec<[F; N]>) -> Vec<PolynomialValues<F>> {
    (0..N)
        .into_par_iter()
        .map(|j| PolynomialValues::new(rows.iter().map(|row| row[j]).collect()))
        .collect()
}

/// What proving one table needs.
struct ProveJob<'a> {
    config: &'a StarkConfig,
    trace: &'a [PolynomialValues<F>],
    commitment: &'a PolynomialBatch<F, C, D>,
    ctl_data: &'a CtlData<'a, F>,
    ctl_challenges: &'a GrandProductChallengeSet<F>,
    /// The transcript after the shared challenges; each table continues its own copy.
    challenger: Challenger<F, Hasher>,
}

impl ProveJob<'_> {
    fn prove<S: Stark<F, D>>(mut self, stark: &S, table: &'static str, pis: &[F]) -> Result<TableProof, ZkevmError> {
        let mut timing = TimingTree::default();
        self.challenger.observe_elements(pis);
        self.config.observe(&mut self.challenger);
        starky::prover::prove_with_commitment(
            stark,
            self.config,
            self.trace,
            self.commitment,
            Some(self.ctl_data),
            Some(self.ctl_challenges),
            &mut self.challenger,
            pis,
            None,
            None,
            &mut timing,
        )
        .map_err(|e| ZkevmError::Prove {
            table,
            reason: format!("{e:#}"),
        })
    }
}
