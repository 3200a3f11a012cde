//! Proofs for the EVM: SHPLONK proofs whose Fiat-Shamir transcript is
//! snark-verifier's Keccak transcript, the one the generated Solidity
//! verifier replays. Commitments go through the parameters' backend as in
//! any [`BackendKzg`](super::BackendKzg) proof; only the transcript differs from the Blake2b
//! proofs of [`super::range_check`].

use super::shplonk::{prove_on_backend, verify_standard};
use super::{BackendParams, KzgError};
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{Circuit, ProvingKey, VerifyingKey};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::transcript::{TranscriptReadBuffer, TranscriptWriterBuffer};
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
    prove_on_backend(params, pk, &[circuit], instances, &mut transcript)?;
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
    verify_standard(params, vk, instances, &mut transcript)
}
