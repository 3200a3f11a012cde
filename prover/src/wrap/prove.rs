//! Proving the wrap circuit with KZG for the EVM: its layout in `2^k` rows
//! ([`WrapShape`]), its keys on an SRS ([`WrapKeys`]), and proofs whose
//! commitments go through the `Backend` seam ([`WrapKeys::prove`]).
//!
//! The circuit depends only on the final-layer circuit (its common data and
//! verifier data) and the [`WrapLayout`], never on the proof being wrapped:
//! the keygen assignment may use any valid proof of that final layer, and the
//! keys then serve every later proof of it.

use super::circuit::{assign_wrap, WrapCircuitError, WrapLayout};
use super::final_layer::{FinalLayer, FinalProof};
use super::instances::WrapInstances;
use crate::kzg::evm::{prove_for_evm, verify_for_evm};
use crate::kzg::{BackendParams, KzgError};
use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::BaseCircuitParams;
use halo2_base::gates::flex_gate::MultiPhaseThreadBreakPoints;
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{keygen_pk, keygen_vk, ProvingKey, VerifyingKey};
use halo2_proofs::poly::commitment::Params;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;

/// Rows at the bottom of every column kept for halo2's blinding factors.
const BLINDING_ROWS: usize = 9;

/// What is wrapped: a final-layer circuit, where the statement sits in its
/// public inputs, and one proof of it.
#[derive(Clone, Copy)]
pub struct WrapInput<'a> {
    /// The final-layer circuit.
    pub layer: &'a FinalLayer,
    /// Where the statement sits in its public inputs.
    pub layout: WrapLayout,
    /// A proof of it.
    pub proof: &'a FinalProof,
}

impl WrapInput<'_> {
    fn assign(&self, builder: &mut BaseCircuitBuilder<Fr>) -> Result<WrapInstances, WrapCircuitError> {
        let data = self.layer.circuit_data();
        assign_wrap(builder, &data.common, &data.verifier_only, self.layout, self.proof)
    }
}

/// Why a wrap proof could not be made.
#[derive(Debug, thiserror::Error)]
pub enum WrapProveError {
    /// The final-layer proof does not fit the wrap circuit.
    #[error("wrap circuit: {0}")]
    Circuit(#[from] WrapCircuitError),
    /// Keygen, proving or the native check failed.
    #[error(transparent)]
    Kzg(#[from] KzgError),
    /// The SRS does not have the circuit's size.
    #[error("the SRS has 2^{srs} points, the wrap circuit needs 2^{circuit}")]
    SrsSize {
        /// log2 of the SRS size.
        srs: u32,
        /// log2 of the circuit's rows.
        circuit: u32,
    },
    /// The circuit does not fit in `2^k` rows.
    #[error("the wrap circuit does not fit in 2^{k} rows with a lookup table of 2^{lookup_bits}")]
    TooSmall {
        /// log2 of the rows asked for.
        k: u32,
        /// log2 of the range-check table.
        lookup_bits: usize,
    },
}

/// The wrap circuit laid out in `2^k` rows: its size, and the keygen
/// assignment the keys are generated from.
pub struct WrapShape {
    /// log2 of the rows.
    pub k: u32,
    /// Advice cells used.
    pub advice_cells: usize,
    /// Cells copied into lookup columns (range checks).
    pub lookup_cells: usize,
    /// Advice columns the cells are spread over.
    pub advice_columns: usize,
    builder: BaseCircuitBuilder<Fr>,
    config: BaseCircuitParams,
}

impl WrapShape {
    /// Assigns the wrap circuit of `input` in `2^k` rows with a range-check
    /// table of `2^lookup_bits` entries, and sizes its columns.
    pub fn assign(input: WrapInput<'_>, k: u32, lookup_bits: usize) -> Result<Self, WrapProveError> {
        if lookup_bits as u32 >= k {
            return Err(WrapProveError::TooSmall { k, lookup_bits });
        }
        let mut builder = BaseCircuitBuilder::<Fr>::new(false)
            .use_k(k as usize)
            .use_lookup_bits(lookup_bits)
            .use_instance_columns(1);
        input.assign(&mut builder)?;
        let stats = builder.statistics();
        let config = builder.calculate_params(Some(BLINDING_ROWS));
        Ok(Self {
            k,
            advice_cells: stats.gate.total_advice_per_phase[0],
            lookup_cells: stats.total_lookup_advice_per_phase[0],
            advice_columns: config.num_advice_per_phase[0],
            builder,
            config,
        })
    }
}

impl WrapShape {
    /// The verifying key of this circuit on `params` (which must have
    /// exactly `2^k` points): all that checking its proofs takes, without
    /// the proving key's cost.
    pub fn verifying_key(&self, params: &ParamsKZG<Bn256>) -> Result<VerifyingKey<G1Affine>, WrapProveError> {
        let srs = params.k();
        if srs != self.k {
            return Err(WrapProveError::SrsSize { srs, circuit: self.k });
        }
        keygen_vk(params, &self.builder).map_err(|source| {
            KzgError::Halo2 {
                stage: "keygen_vk",
                source,
            }
            .into()
        })
    }
}

/// The wrap circuit's proving and verifying keys on one SRS.
pub struct WrapKeys {
    /// The SRS.
    pub params: ParamsKZG<Bn256>,
    /// The proving key (its `get_vk()` is the verifying key).
    pub pk: ProvingKey<G1Affine>,
    config: BaseCircuitParams,
    break_points: MultiPhaseThreadBreakPoints,
}

impl WrapKeys {
    /// Generates the keys of `shape`'s circuit on `params` (which must have
    /// exactly `2^shape.k` points).
    pub fn generate(params: ParamsKZG<Bn256>, shape: WrapShape) -> Result<Self, WrapProveError> {
        let vk = shape.verifying_key(&params)?;
        let pk = keygen_pk(&params, vk, &shape.builder).map_err(|source| KzgError::Halo2 {
            stage: "keygen_pk",
            source,
        })?;
        Ok(Self {
            params,
            pk,
            break_points: shape.builder.break_points(),
            config: shape.config,
        })
    }

    /// The verifying key (what the Solidity verifier is generated from).
    pub fn vk(&self) -> &VerifyingKey<G1Affine> {
        self.pk.get_vk()
    }

    /// Proves `input` (a proof of the final layer these keys were made for)
    /// with a Keccak transcript for the EVM, its commitments on `on` (this
    /// SRS prepared on a backend), checks the proof natively, and returns its
    /// statement and bytes.
    pub fn prove(&self, on: &BackendParams, input: WrapInput<'_>) -> Result<(WrapInstances, Vec<u8>), WrapProveError> {
        let mut builder = BaseCircuitBuilder::prover(self.config.clone(), self.break_points.clone());
        let statement = input.assign(&mut builder)?;
        let instances = statement.to_scalars();
        let proof = prove_for_evm(on, &self.pk, builder, &instances)?;
        verify_for_evm(&self.params, self.vk(), &instances, &proof)?;
        Ok((statement, proof))
    }
}
