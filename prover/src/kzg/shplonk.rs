//! SHPLONK proving and verification over any transcript: the one place that
//! calls halo2's `create_proof` on a backend and `verify_proof` with the
//! standard verifier. [`super::range_check`] uses Blake2b transcripts,
//! [`super::evm`] snark-verifier's Keccak transcript.

use super::{BackendKzg, BackendParams, BackendShplonk, KzgError};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{create_proof, verify_proof, Circuit, ProvingKey, VerifyingKey};
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::VerifierSHPLONK;
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_proofs::transcript::{EncodedChallenge, TranscriptRead, TranscriptWrite};
use rand_core::OsRng;

/// Writes a proof of `circuit` with the public inputs `instances` (one
/// instance column) to `transcript`, every commitment on `params`' backend.
pub(crate) fn prove_on_backend<C, E, T>(
    params: &BackendParams,
    pk: &ProvingKey<G1Affine>,
    circuit: &[C],
    instances: &[Fr],
    transcript: &mut T,
) -> Result<(), KzgError>
where
    C: Circuit<Fr>,
    E: EncodedChallenge<G1Affine>,
    T: TranscriptWrite<G1Affine, E>,
{
    create_proof::<BackendKzg, BackendShplonk<'_>, _, _, _, _>(params, pk, circuit, &[&[instances]], OsRng, transcript)
        .map_err(|source| KzgError::Halo2 {
            stage: "proving",
            source,
        })
}

/// Checks the proof in `transcript` for `instances` with halo2's standard
/// SHPLONK verifier and the usual verifying key.
pub(crate) fn verify_standard<E, T>(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    instances: &[Fr],
    transcript: &mut T,
) -> Result<(), KzgError>
where
    E: EncodedChallenge<G1Affine>,
    T: TranscriptRead<G1Affine, E>,
{
    verify_proof::<KZGCommitmentScheme<Bn256>, VerifierSHPLONK<'_, Bn256>, _, _, SingleStrategy<'_, Bn256>>(
        params,
        vk,
        SingleStrategy::new(params),
        &[&[instances]],
        transcript,
    )
    .map_err(|source| KzgError::Halo2 {
        stage: "verification",
        source,
    })
}
