//! The Solidity verifier of a halo2 KZG (SHPLONK) circuit, generated from its
//! verifying key by snark-verifier's EVM loader, and the calldata it reads.
//!
//! The generated contract (`Halo2Verifier`) has only a fallback function: its
//! calldata is the public inputs, 32 bytes each (big-endian), then the proof
//! as [`prover::kzg::evm::prove_for_evm`] writes it. It returns nothing when
//! the proof verifies and reverts otherwise. It replays the Keccak
//! transcript, recomputes the circuit's constraints at the challenge point
//! and ends with one pairing check (precompile 0x08).

use crate::solc::{Compiled, Solc, SolcError};
use halo2_proofs::halo2curves::bn256::{Bn256, Fq, Fr, G1Affine};
use halo2_proofs::halo2curves::ff::PrimeField;
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::commitment::ParamsProver;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use snark_verifier::loader::evm::EvmLoader;
use snark_verifier::pcs::kzg::{Bdfg21, KzgAs, KzgDecidingKey, LimbsEncoding};
use snark_verifier::system::halo2::transcript::evm::EvmTranscript;
use snark_verifier::system::halo2::{compile, Config};
use snark_verifier::verifier::plonk::PlonkVerifier;
use snark_verifier::verifier::SnarkVerifier;
use std::rc::Rc;

/// The contract name in the generated source.
pub const VERIFIER_CONTRACT: &str = "Halo2Verifier";

/// The source unit (file name) it is compiled as; solc records it in the
/// bytecode's metadata hash, so rebuilding the same bytecode needs it.
pub const VERIFIER_UNIT: &str = "Halo2Verifier.sol";

/// The largest runtime code a contract may have on Ethereum (EIP-170).
pub const MAX_RUNTIME_SIZE: usize = 24_576;

/// SHPLONK (BDFG21) as a KZG accumulation scheme, with snark-verifier's
/// usual limb encoding (unused here: the wrap proof carries no accumulator).
type Shplonk = PlonkVerifier<KzgAs<Bn256, Bdfg21>, LimbsEncoding<3, 88>>;

/// Why the verifier could not be generated.
#[derive(Debug, thiserror::Error)]
#[error("generating the Solidity verifier: {0}")]
pub struct GenerateError(String);

/// The Solidity source of the verifier of proofs for `vk` under `params`,
/// with `num_instances` public inputs in one instance column.
pub fn verifier_solidity(
    params: &ParamsKZG<Bn256>,
    vk: &VerifyingKey<G1Affine>,
    num_instances: usize,
) -> Result<String, GenerateError> {
    let protocol = compile(params, vk, Config::kzg().with_num_instance(vec![num_instances]));
    let deciding_key: KzgDecidingKey<Bn256> = (params.get_g()[0], params.g2(), params.s_g2()).into();
    let loader = EvmLoader::new::<Fq, Fr>();
    let protocol = protocol.loaded(&loader);
    let mut transcript = EvmTranscript::<_, Rc<EvmLoader>, _, _>::new(&loader);
    let instances = transcript.load_instances(vec![num_instances]);
    let proof = Shplonk::read_proof(&deciding_key, &protocol, &instances, &mut transcript)
        .map_err(|e| GenerateError(format!("{e:?}")))?;
    Shplonk::verify(&deciding_key, &protocol, &instances, &proof).map_err(|e| GenerateError(format!("{e:?}")))?;
    Ok(loader.solidity_code())
}

/// The verifier's calldata: each public input as 32 big-endian bytes, then
/// the proof.
pub fn verifier_calldata(instances: &[Fr], proof: &[u8]) -> Vec<u8> {
    let mut data = Vec::with_capacity(32 * instances.len() + proof.len());
    for value in instances {
        data.extend(value.to_repr().iter().rev());
    }
    data.extend_from_slice(proof);
    data
}

/// Why a generated verifier cannot be deployed.
#[derive(Debug, thiserror::Error)]
pub enum CompileVerifierError {
    /// solc failed.
    #[error(transparent)]
    Solc(#[from] SolcError),
    /// The runtime code is over EIP-170's limit.
    #[error(
        "the verifier's runtime code is {runtime_size} bytes, over EIP-170's {MAX_RUNTIME_SIZE}: \
         each advice column adds to it, so wrap with a larger k (the same cells in fewer columns)"
    )]
    TooLarge {
        /// Bytes of runtime code.
        runtime_size: usize,
    },
}

/// Compiles a generated verifier (optimiser off: solc-js runs out of memory
/// optimising it) and checks that it can be deployed on Ethereum.
pub fn compile_verifier(solc: &Solc, source: &str) -> Result<Compiled, CompileVerifierError> {
    let compiled = solc.compile(VERIFIER_UNIT, source, VERIFIER_CONTRACT, false)?;
    if compiled.runtime_size > MAX_RUNTIME_SIZE {
        return Err(CompileVerifierError::TooLarge {
            runtime_size: compiled.runtime_size,
        });
    }
    Ok(compiled)
}
