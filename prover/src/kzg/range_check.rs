//! A byte-decomposition range-check circuit, written with halo2's plain API,
//! to prove with [`BackendKzg`](super::BackendKzg): each public 64-bit value
//! is rebuilt from eight bytes by a running sum (a custom gate), every byte
//! is looked up in a fixed 0..=255 table, and each final sum is
//! copy-constrained to its instance cell. It exercises every commitment
//! kind of `create_proof`: advice, lookup, permutation and quotient.

use super::scheme::BackendParams;
use super::shplonk::{prove_on_backend, verify_standard};
use super::KzgError;
use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk, Advice, Circuit, Column, ConstraintSystem, Error, Instance, ProvingKey,
    Selector, TableColumn, VerifyingKey,
};
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::Rotation;
use halo2_proofs::transcript::{Blake2bRead, Blake2bWrite, Challenge255, TranscriptReadBuffer, TranscriptWriterBuffer};
use rand_core::OsRng;

/// Bytes per value.
const BYTES: usize = 8;
/// Rows halo2 reserves for blinding at the end of the domain (a safe bound).
const RESERVED_ROWS: usize = 16;

/// Columns and selectors of the circuit.
#[derive(Clone, Debug)]
pub struct RangeCheckConfig {
    byte: Column<Advice>,
    acc: Column<Advice>,
    values: Column<Instance>,
    first: Selector,
    next: Selector,
    lookup: Selector,
    table: TableColumn,
}

/// Proves that every public value fits in 64 bits.
#[derive(Clone, Debug, Default)]
pub struct RangeCheckCircuit {
    values: Vec<u64>,
}

impl RangeCheckCircuit {
    /// A circuit over `values`.
    pub fn new(values: Vec<u64>) -> Self {
        Self { values }
    }

    /// How many values fit in a circuit of 2^k rows.
    pub fn capacity(k: u32) -> usize {
        ((1usize << k) - RESERVED_ROWS) / BYTES
    }

    /// The values it proves in range.
    pub fn values(&self) -> &[u64] {
        &self.values
    }

    /// The public inputs: the values as field elements.
    pub fn instances(&self) -> Vec<Fr> {
        self.values.iter().map(|&v| Fr::from(v)).collect()
    }
}

impl Circuit<Fr> for RangeCheckCircuit {
    type Config = RangeCheckConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = ();

    fn without_witnesses(&self) -> Self {
        Self {
            values: vec![0; self.values.len()],
        }
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> RangeCheckConfig {
        let byte = meta.advice_column();
        let acc = meta.advice_column();
        let values = meta.instance_column();
        meta.enable_equality(acc);
        meta.enable_equality(values);
        let first = meta.selector();
        let next = meta.selector();
        let lookup = meta.complex_selector();
        let table = meta.lookup_table_column();
        meta.create_gate("running sum starts", |m| {
            let q = m.query_selector(first);
            let byte = m.query_advice(byte, Rotation::cur());
            let acc = m.query_advice(acc, Rotation::cur());
            vec![q * (acc - byte)]
        });
        meta.create_gate("running sum step", |m| {
            let q = m.query_selector(next);
            let byte = m.query_advice(byte, Rotation::cur());
            let prev = m.query_advice(acc, Rotation::prev());
            let acc = m.query_advice(acc, Rotation::cur());
            vec![q * (acc - prev * Fr::from(256) - byte)]
        });
        meta.lookup("byte in 0..=255", |m| {
            let q = m.query_selector(lookup);
            let byte = m.query_advice(byte, Rotation::cur());
            vec![(q * byte, table)]
        });
        RangeCheckConfig {
            byte,
            acc,
            values,
            first,
            next,
            lookup,
            table,
        }
    }

    fn synthesize(&self, config: RangeCheckConfig, mut layouter: impl Layouter<Fr>) -> Result<(), Error> {
        layouter.assign_table(
            || "bytes",
            |mut table| {
                for b in 0..256u64 {
                    table.assign_cell(|| "byte", config.table, b as usize, || Value::known(Fr::from(b)))?;
                }
                Ok(())
            },
        )?;
        let mut finals = Vec::with_capacity(self.values.len());
        layouter.assign_region(
            || "values",
            |mut region| {
                for (i, &value) in self.values.iter().enumerate() {
                    let bytes = value.to_be_bytes();
                    let mut acc = 0u64;
                    for (j, &b) in bytes.iter().enumerate() {
                        let row = i * BYTES + j;
                        acc = (acc << 8) | u64::from(b);
                        if j == 0 {
                            config.first.enable(&mut region, row)?;
                        } else {
                            config.next.enable(&mut region, row)?;
                        }
                        config.lookup.enable(&mut region, row)?;
                        region.assign_advice(config.byte, row, Value::known(Fr::from(u64::from(b))));
                        let cell = region.assign_advice(config.acc, row, Value::known(Fr::from(acc)));
                        if j == BYTES - 1 {
                            finals.push(cell.cell());
                        }
                    }
                }
                Ok(())
            },
        )?;
        for (row, cell) in finals.into_iter().enumerate() {
            layouter.constrain_instance(cell, config.values, row);
        }
        Ok(())
    }
}

/// Test-only KZG parameters for 2^k rows from a random secret (a real
/// deployment loads a ceremony SRS instead).
pub fn setup(k: u32) -> ParamsKZG<Bn256> {
    ParamsKZG::setup(k, OsRng)
}

/// Proving and verifying keys from the standard parameters (the usual
/// halo2 keygen; the backend plays no part).
pub fn keygen(
    params: &ParamsKZG<Bn256>,
    circuit: &RangeCheckCircuit,
) -> Result<(VerifyingKey<G1Affine>, ProvingKey<G1Affine>), KzgError> {
    let halo2 = |source| KzgError::Halo2 {
        stage: "keygen",
        source,
    };
    let vk = keygen_vk(params, circuit).map_err(halo2)?;
    let pk = keygen_pk(params, vk.clone(), circuit).map_err(halo2)?;
    Ok((vk, pk))
}

/// A SHPLONK proof with every commitment computed on `params`' backend.
pub fn prove(
    params: &BackendParams,
    pk: &ProvingKey<G1Affine>,
    circuit: &RangeCheckCircuit,
) -> Result<Vec<u8>, KzgError> {
    let mut transcript = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]);
    prove_on_backend(
        params,
        pk,
        std::slice::from_ref(circuit),
        &circuit.instances(),
        &mut transcript,
    )?;
    Ok(transcript.finalize())
}

/// A SHPLONK proof with halo2's own CPU commitments (the baseline).
pub fn prove_cpu(
    params: &ParamsKZG<Bn256>,
    pk: &ProvingKey<G1Affine>,
    circuit: &RangeCheckCircuit,
) -> Result<Vec<u8>, KzgError> {
    use halo2_proofs::poly::kzg::multiopen::ProverSHPLONK;
    let instances = circuit.instances();
    let mut transcript = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(vec![]);
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
        params,
        pk,
        std::slice::from_ref(circuit),
        &[&[&instances]],
        OsRng,
        &mut transcript,
    )
    .map_err(|source| KzgError::Halo2 {
        stage: "proving",
        source,
    })?;
    Ok(transcript.finalize())
}

/// Checks `proof` for the public `values` with halo2's standard SHPLONK
/// verifier and the usual verifying key.
pub fn verify(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    values: &[u64],
    proof: &[u8],
) -> Result<(), KzgError> {
    let instances: Vec<Fr> = values.iter().map(|&v| Fr::from(v)).collect();
    let mut transcript = Blake2bRead::<_, G1Affine, Challenge255<_>>::init(proof);
    verify_standard(params, vk, &instances, &mut transcript)
}
