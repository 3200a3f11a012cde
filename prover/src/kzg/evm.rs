//! Proofs for the EVM: SHPLONK proofs whose Fiat-Shamir transcript is
//! snark-verifier's Keccak transcript, the one the generated Solidity
//! verifier replays. Commitments go through the parameters' backend as in
//! any [`BackendKzg`] proof; only the transcript differs from the Blake2b
//! proofs of [`super::range_check`].

use super::{BackendKzg, BackendParams, BackendShplonk, KzgError};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{create_proof, verify_proof, Circuit, ProvingKey, VerifyingKey};
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::VerifierSHPLONK;
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_proofs::transcript::{TranscriptReadBuffer, TranscriptWriterBuffer};
use rand_core::OsRng;
use snark_verifier::loader::native::NativeLoader;
use snark_verifier::system::halo2::transcript::evm::EvmTranscript;

/// The Keccak transcript writing a proof to bytes.
type KeccakWrite = EvmTranscript<G1Affine, NativeLoader, Vec<u8>, Vec<u8>>;
/// The Keccak transcript reading a proof from bytes.
type KeccakRead<'a> = EvmTranscript<G1Affine, NativeLoader, &'a [u8], Vec<u8>>;

/// Proves `circuit` with the public inputs `instances` (one instance
/// column) for an EVM verifier, every commitment on `params`' backend.
pub fn prove_for_evm<C: Circuit<Fr>>(
    params: &BackendParams,
    pk: &ProvingKey<G1Affine>,
    circuit: C,
    instances: &[Fr],
) -> Result<Vec<u8>, KzgError> {
    let mut transcript = <KeccakWrite as TranscriptWriterBuffer<_, G1Affine, _>>::init(Vec::new());
    create_proof::<BackendKzg, BackendShplonk<'_>, _, _, _, _>(
        params,
        pk,
        &[circuit],
        &[&[instances]],
        OsRng,
        &mut transcript,
    )
    .map_err(|source| KzgError::Halo2 {
        stage: "proving",
        source,
    })?;
    Ok(transcript.finalize())
}

/// Checks an EVM proof natively with halo2's SHPLONK verifier (what the
/// Solidity verifier checks, without the EVM).
pub fn verify_for_evm(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    instances: &[Fr],
    proof: &[u8],
) -> Result<(), KzgError> {
    let mut transcript = <KeccakRead<'_> as TranscriptReadBuffer<_, G1Affine, _>>::init(proof);
    verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, SingleStrategy<'_, Bn256>>(
        params,
        vk,
        SingleStrategy::new(params),
        &[&[instances]],
        &mut transcript,
    )
    .map_err(|source| KzgError::Halo2 {
        stage: "verification",
        source,
    })
}
