//! The root of an aggregation, as the L1 wrap and a proving cluster take
//! it: one block's aggregated proof (or a run of its chunks) or a batch
//! proof of consecutive blocks. Both carry the same statement layout
//! ([`super::pi`]), so whatever takes one takes the other.

use super::super::proof::{C, D};
use super::batch::{verify_batch, BatchProof, BatchVerifierData};
use super::circuits::Circuits;
use super::proof::ProofCodecError;
use super::verify::{verify_aggregated, VerifierData};
use super::{AggregatedProof, AggregationError, PlonkProof};
use plonky2::plonk::circuit_data::VerifierCircuitData;
use witness::F;

/// An aggregated block proof or a batch proof.
#[derive(Clone, Debug)]
pub enum RootProof {
    /// A block's aggregated proof (`ZKRAGG02`).
    Block(Box<AggregatedProof>),
    /// A batch proof of consecutive blocks (`ZKRBAT02`).
    Batch(Box<BatchProof>),
}

/// A root proof's circuit and the public inputs it must have, rebuilt from
/// the chunk layouts the proof lists.
#[derive(Clone, Debug)]
pub struct RootCircuit {
    /// The root circuit.
    pub circuit: VerifierCircuitData<F, C, D>,
    /// Expected public inputs of the root proof.
    pub public_inputs: Vec<F>,
}

impl RootProof {
    /// Whether `bytes` start like either kind.
    pub fn is_root(bytes: &[u8]) -> bool {
        AggregatedProof::is_aggregated(bytes) || BatchProof::is_batch(bytes)
    }

    /// Decodes either kind, told apart by its magic bytes (anything that is
    /// not a batch proof is read as an aggregated proof, whose error names
    /// that magic).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ProofCodecError> {
        if BatchProof::is_batch(bytes) {
            Ok(Self::Batch(Box::new(BatchProof::from_bytes(bytes)?)))
        } else {
            Ok(Self::Block(Box::new(AggregatedProof::from_bytes(bytes)?)))
        }
    }

    /// Serialises with the kind's magic bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ProofCodecError> {
        match self {
            Self::Block(proof) => proof.to_bytes(),
            Self::Batch(proof) => proof.to_bytes(),
        }
    }

    /// Rebuilds the root circuit (reusing those already in `circuits`) and
    /// checks the proof against it.
    pub fn verify(&self, circuits: &mut Circuits) -> Result<RootCircuit, AggregationError> {
        let (circuit, public_inputs) = match self {
            Self::Block(proof) => {
                let data = VerifierData::for_chunks(circuits, &proof.chunks)?;
                verify_aggregated(proof, &data)?;
                (data.circuit, data.public_inputs)
            }
            Self::Batch(proof) => {
                let data = BatchVerifierData::for_blocks(circuits, &proof.blocks)?;
                verify_batch(proof, &data)?;
                (data.circuit, data.public_inputs)
            }
        };
        Ok(RootCircuit { circuit, public_inputs })
    }

    /// The root plonky2 proof.
    pub fn proof(&self) -> &PlonkProof {
        match self {
            Self::Block(proof) => &proof.proof,
            Self::Batch(proof) => &proof.proof,
        }
    }

    /// What it proves, for people.
    pub fn summary(&self) -> String {
        match self {
            Self::Block(proof) => proof.summary(),
            Self::Batch(proof) => proof.summary(),
        }
    }
}
