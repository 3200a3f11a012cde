//! Real plonky2 proofs of a Poseidon commitment to a batch's bytes.
//!
//! - A chunk proof shows that its public digest is the Poseidon hash of the
//!   chunk's bytes, packed seven to a field element (each element is range
//!   checked to 56 bits, so the packing is unique), followed by the byte length;
//!   its public inputs are `[index, index + 1, digest]`.
//! - An aggregation proof recursively verifies two proofs of the level below,
//!   checks that they cover adjacent ranges (`left.end == right.start`), and
//!   exposes `[left.start, right.end, Poseidon(left.digest || right.digest)]`.
//! - The wrap proof verifies the root proof once more in a final circuit with
//!   the same public inputs (the seat of the BN254 wrap in the full pipeline).
//!
//! The coordinator checks every proof with plonky2's verifier against its own
//! copy of the circuit and recomputes the expected public inputs from the
//! chunk bytes or the children's (already verified) public inputs.

use super::{expect_inputs, JobSpec, PipelineError, ProofPipeline};
use crate::job::{JobKind, Requirement};
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::field::types::{Field, PrimeField64};
use plonky2::hash::hash_types::HashOut;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::target::Target;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::{CircuitConfig, CircuitData};
use plonky2::plonk::config::{Hasher, PoseidonGoldilocksConfig};
use plonky2::plonk::proof::ProofWithPublicInputs;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

type F = GoldilocksField;
type C = PoseidonGoldilocksConfig;
const D: usize = 2;

/// Bytes per chunk.
pub const CHUNK_BYTES: usize = 1024;
/// Bytes packed into one field element (7 bytes < 2^56 < p).
const BYTES_PER_ELEMENT: usize = 7;
/// Field elements hashed per chunk: the packed bytes and the length.
const CHUNK_ELEMENTS: usize = CHUNK_BYTES.div_ceil(BYTES_PER_ELEMENT) + 1;
/// Public inputs of every circuit: start, end, digest (4 elements).
const PUBLIC_INPUTS: usize = 6;

/// Which circuit proves a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum CircuitKey {
    Chunk,
    /// Aggregation at this level (>= 1); its children are at level - 1.
    Aggregate(u32),
    /// Wrap of a root at this level.
    Wrap(u32),
}

impl CircuitKey {
    fn for_job(job: &JobSpec) -> Result<Self, PipelineError> {
        match (job.kind, job.level) {
            (JobKind::Chunk, 0) => Ok(CircuitKey::Chunk),
            (JobKind::Aggregate, l) if l >= 1 => Ok(CircuitKey::Aggregate(l)),
            (JobKind::Wrap, l) if l >= 1 => Ok(CircuitKey::Wrap(l - 1)),
            _ => Err(PipelineError::BadInput {
                job: job.to_string(),
                detail: "no circuit for this kind at this level".into(),
            }),
        }
    }

    /// The circuit of the proofs this one verifies.
    fn child(self) -> Option<CircuitKey> {
        match self {
            CircuitKey::Chunk => None,
            CircuitKey::Aggregate(1) | CircuitKey::Wrap(0) => Some(CircuitKey::Chunk),
            CircuitKey::Aggregate(l) => Some(CircuitKey::Aggregate(l - 1)),
            CircuitKey::Wrap(l) => Some(CircuitKey::Aggregate(l)),
        }
    }
}

/// A built circuit and the targets its witness fills in.
struct Circuit {
    data: CircuitData<F, C, D>,
    /// Chunk circuit: the packed elements, then the start index.
    inputs: Vec<Target>,
    /// Recursive circuits: the child proof targets.
    proofs: Vec<plonky2::plonk::proof::ProofWithPublicInputsTarget<D>>,
}

/// The Poseidon commitment pipeline; circuits are built once per process and cached.
#[derive(Default)]
pub struct PoseidonCommitmentPipeline {
    circuits: Mutex<HashMap<CircuitKey, Arc<Circuit>>>,
}

/// Packs a chunk into the field elements its proof hashes.
fn chunk_elements(chunk: &[u8]) -> Result<Vec<F>, String> {
    if chunk.len() > CHUNK_BYTES {
        return Err(format!("chunk is {} bytes, at most {CHUNK_BYTES} allowed", chunk.len()));
    }
    let mut elems: Vec<F> = chunk
        .chunks(BYTES_PER_ELEMENT)
        .map(|b| {
            let mut word = [0u8; 8];
            word[..b.len()].copy_from_slice(b);
            F::from_canonical_u64(u64::from_le_bytes(word))
        })
        .collect();
    elems.resize(CHUNK_ELEMENTS - 1, F::ZERO);
    elems.push(F::from_canonical_u64(chunk.len() as u64));
    Ok(elems)
}

/// The public inputs of chunk `index`'s proof: `[index, index + 1, digest]`.
fn chunk_public_inputs(index: u32, chunk: &[u8]) -> Result<Vec<F>, String> {
    let h: HashOut<F> = PoseidonHash::hash_no_pad(&chunk_elements(chunk)?);
    let mut pis = vec![F::from_canonical_u32(index), F::from_canonical_u32(index + 1)];
    pis.extend_from_slice(&h.elements);
    Ok(pis)
}

fn digest_of(pis: &[F]) -> [F; 4] {
    [pis[2], pis[3], pis[4], pis[5]]
}

fn combine(left: &[F], right: &[F]) -> Vec<F> {
    let mut both = digest_of(left).to_vec();
    both.extend_from_slice(&digest_of(right));
    let h: HashOut<F> = PoseidonHash::hash_no_pad(&both);
    let mut out = vec![left[0], right[1]];
    out.extend_from_slice(&h.elements);
    out
}

impl PoseidonCommitmentPipeline {
    /// Cuts the batch input into chunks of `CHUNK_BYTES`, padded with
    /// empty chunks to a power of two.
    pub fn chunks(&self, batch_input: &[u8]) -> Result<Vec<Vec<u8>>, PipelineError> {
        if batch_input.is_empty() {
            return Err(PipelineError::BadInput {
                job: "batch".into(),
                detail: "the batch input is empty".into(),
            });
        }
        let mut chunks: Vec<Vec<u8>> = batch_input.chunks(CHUNK_BYTES).map(<[u8]>::to_vec).collect();
        // Aggregation circuits are per level, so the tree must be complete:
        // pad with empty chunks (which commit to their zero length) to a power of two.
        chunks.resize(chunks.len().next_power_of_two(), Vec::new());
        Ok(chunks)
    }

    fn circuit(&self, key: CircuitKey) -> Arc<Circuit> {
        if let Some(c) = self.lock().get(&key) {
            return c.clone();
        }
        let built = Arc::new(match key.child() {
            None => Self::build_chunk(),
            Some(child) => Self::build_recursive(key, &self.circuit(child)),
        });
        self.lock().entry(key).or_insert(built).clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CircuitKey, Arc<Circuit>>> {
        self.circuits.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn build_chunk() -> Circuit {
        let mut b = CircuitBuilder::<F, D>::new(CircuitConfig::standard_recursion_config());
        let elems = b.add_virtual_targets(CHUNK_ELEMENTS);
        for &e in &elems[..CHUNK_ELEMENTS - 1] {
            b.range_check(e, 8 * BYTES_PER_ELEMENT);
        }
        b.range_check(elems[CHUNK_ELEMENTS - 1], 16);
        let start = b.add_virtual_target();
        let one = b.one();
        let end = b.add(start, one);
        let h = b.hash_n_to_hash_no_pad::<PoseidonHash>(elems.clone());
        b.register_public_input(start);
        b.register_public_input(end);
        b.register_public_inputs(&h.elements);
        let mut inputs = elems;
        inputs.push(start);
        Circuit {
            data: b.build::<C>(),
            inputs,
            proofs: Vec::new(),
        }
    }

    fn build_recursive(key: CircuitKey, child: &Circuit) -> Circuit {
        let mut b = CircuitBuilder::<F, D>::new(CircuitConfig::standard_recursion_config());
        let n = if matches!(key, CircuitKey::Aggregate(_)) { 2 } else { 1 };
        let vd = b.constant_verifier_data(&child.data.verifier_only);
        let proofs: Vec<_> = (0..n)
            .map(|_| {
                let p = b.add_virtual_proof_with_pis(&child.data.common);
                b.verify_proof::<C>(&p, &vd, &child.data.common);
                p
            })
            .collect();
        if let [left, right] = proofs.as_slice() {
            let (l, r) = (&left.public_inputs, &right.public_inputs);
            b.connect(l[1], r[0]);
            let h = b.hash_n_to_hash_no_pad::<PoseidonHash>([&l[2..6], &r[2..6]].concat());
            b.register_public_input(l[0]);
            b.register_public_input(r[1]);
            b.register_public_inputs(&h.elements);
        } else {
            b.register_public_inputs(&proofs[0].public_inputs);
        }
        Circuit {
            data: b.build::<C>(),
            inputs: Vec::new(),
            proofs,
        }
    }

    /// Parses and verifies a proof of circuit `key`, returning its public inputs.
    fn check_proof(&self, job: &JobSpec, key: CircuitKey, bytes: &[u8], what: &str) -> Result<Vec<F>, PipelineError> {
        let circuit = self.circuit(key);
        let reject = |detail: String| PipelineError::Rejected {
            job: job.to_string(),
            detail: format!("{what}: {detail}"),
        };
        let proof = ProofWithPublicInputs::<F, C, D>::from_bytes(bytes.to_vec(), &circuit.data.common)
            .map_err(|e| reject(format!("not a proof of this circuit: {e}")))?;
        if proof.public_inputs.len() != PUBLIC_INPUTS {
            return Err(reject(format!(
                "{} public inputs, expected {PUBLIC_INPUTS}",
                proof.public_inputs.len()
            )));
        }
        let pis = proof.public_inputs.clone();
        circuit
            .data
            .verify(proof)
            .map_err(|e| reject(format!("plonky2 verifier rejected it: {e}")))?;
        Ok(pis)
    }

    /// Checks a batch's final output against the batch input itself, trusting
    /// nothing in between: it must be a valid wrap proof for a batch of this
    /// many chunks whose public inputs are `[0, chunks, commitment]`, with the
    /// commitment recomputed here from `batch_input`.
    pub fn verify_final(&self, batch_input: &[u8], output: &[u8]) -> Result<(), PipelineError> {
        let chunks = self.chunks(batch_input)?;
        let mut level = chunks
            .iter()
            .enumerate()
            .map(|(i, c)| chunk_public_inputs(i as u32, c))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|detail| PipelineError::BadInput {
                job: "batch".into(),
                detail,
            })?;
        let mut height = 0;
        while level.len() > 1 {
            // `split` pads to a power of two, so every level pairs up exactly.
            level = level.chunks(2).map(|pair| combine(&pair[0], &pair[1])).collect();
            height += 1;
        }
        let wrap = JobSpec {
            kind: JobKind::Wrap,
            level: height + 1,
            index: 0,
        };
        let actual = self.check_proof(&wrap, CircuitKey::Wrap(height), output, "final proof")?;
        if actual != level[0] {
            return Err(PipelineError::Rejected {
                job: wrap.to_string(),
                detail: "the final proof commits to other bytes than the batch input".into(),
            });
        }
        Ok(())
    }

    /// The public inputs a correct output of `job` must have.
    fn expected_public_inputs(&self, job: &JobSpec, inputs: &[Vec<u8>]) -> Result<Vec<F>, PipelineError> {
        let key = CircuitKey::for_job(job)?;
        let bad = |detail: String| PipelineError::BadInput {
            job: job.to_string(),
            detail,
        };
        match (key, key.child()) {
            (CircuitKey::Chunk, _) => {
                expect_inputs(job, inputs, 1)?;
                chunk_public_inputs(job.index, &inputs[0]).map_err(bad)
            }
            (CircuitKey::Aggregate(_), Some(child)) => {
                expect_inputs(job, inputs, 2)?;
                let l = self.child_public_inputs(job, child, &inputs[0], "left child")?;
                let r = self.child_public_inputs(job, child, &inputs[1], "right child")?;
                if l[1] != r[0] {
                    return Err(bad(format!(
                        "children are not adjacent: left ends at {}, right starts at {}",
                        l[1].to_canonical_u64(),
                        r[0].to_canonical_u64()
                    )));
                }
                Ok(combine(&l, &r))
            }
            (CircuitKey::Wrap(_), Some(child)) => {
                expect_inputs(job, inputs, 1)?;
                self.child_public_inputs(job, child, &inputs[0], "root proof")
            }
            _ => Err(bad("inconsistent circuit key".into())),
        }
    }

    /// Public inputs of a child proof, which must verify as a proof of `child`.
    fn child_public_inputs(
        &self,
        job: &JobSpec,
        child: CircuitKey,
        bytes: &[u8],
        what: &str,
    ) -> Result<Vec<F>, PipelineError> {
        self.check_proof(job, child, bytes, what)
            .map_err(|e| PipelineError::BadInput {
                job: job.to_string(),
                detail: e.to_string(),
            })
    }
}

impl ProofPipeline for PoseidonCommitmentPipeline {
    fn name(&self) -> &'static str {
        "poseidon-commitment"
    }

    fn split(&self, batch_input: &[u8]) -> Result<Vec<Vec<Vec<u8>>>, PipelineError> {
        Ok(vec![self.chunks(batch_input)?])
    }

    fn has_wrap(&self) -> bool {
        true
    }

    fn requirement(&self, _kind: JobKind) -> Requirement {
        Requirement {
            min_memory_mb: 512,
            ..Requirement::default()
        }
    }

    fn run(&self, job: &JobSpec, inputs: &[Vec<u8>]) -> Result<Vec<u8>, PipelineError> {
        let key = CircuitKey::for_job(job)?;
        let circuit = self.circuit(key);
        let fail = |detail: String| PipelineError::Run {
            job: job.to_string(),
            detail,
        };
        let mut pw = PartialWitness::new();
        if key == CircuitKey::Chunk {
            expect_inputs(job, inputs, 1)?;
            let elems = chunk_elements(&inputs[0]).map_err(|detail| PipelineError::BadInput {
                job: job.to_string(),
                detail,
            })?;
            for (t, v) in circuit
                .inputs
                .iter()
                .zip(elems.iter().chain([F::from_canonical_u32(job.index)].iter()))
            {
                pw.set_target(*t, *v).map_err(|e| fail(e.to_string()))?;
            }
        } else {
            let child = key
                .child()
                .ok_or_else(|| fail("recursive circuit without a child".into()))?;
            let child_circuit = self.circuit(child);
            expect_inputs(job, inputs, circuit.proofs.len())?;
            for (target, bytes) in circuit.proofs.iter().zip(inputs) {
                let proof = ProofWithPublicInputs::<F, C, D>::from_bytes(bytes.clone(), &child_circuit.data.common)
                    .map_err(|e| PipelineError::BadInput {
                        job: job.to_string(),
                        detail: format!("child proof does not parse: {e}"),
                    })?;
                pw.set_proof_with_pis_target(target, &proof)
                    .map_err(|e| fail(e.to_string()))?;
            }
        }
        let proof = circuit
            .data
            .prove(pw)
            .map_err(|e| fail(format!("plonky2 prover: {e}")))?;
        Ok(proof.to_bytes())
    }

    fn verify(&self, job: &JobSpec, inputs: &[Vec<u8>], output: &[u8]) -> Result<(), PipelineError> {
        let expected = self.expected_public_inputs(job, inputs)?;
        let actual = self.check_proof(job, CircuitKey::for_job(job)?, output, "proof")?;
        if actual != expected {
            return Err(PipelineError::Rejected {
                job: job.to_string(),
                detail: "the proof's public inputs (range and digest) are not the expected ones".into(),
            });
        }
        Ok(())
    }

    fn describe_output(&self, output: &[u8]) -> String {
        // The final output is a wrap proof; its last four public inputs are the
        // commitment. Parsing needs the circuit, so report size and tail only.
        format!("plonky2 proof of the Poseidon commitment, {} bytes", output.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_packing_is_length_tagged_and_bounded() {
        let a = chunk_elements(b"abc").expect("pack");
        let b = chunk_elements(b"abc\0").expect("pack");
        assert_eq!(a.len(), CHUNK_ELEMENTS);
        assert_ne!(a, b, "trailing zero bytes must change the packing through the length");
        assert!(chunk_elements(&[0u8; CHUNK_BYTES + 1]).is_err());
    }

    #[test]
    fn split_pads_to_a_power_of_two_and_rejects_empty_input() {
        let p = PoseidonCommitmentPipeline::default();
        assert_eq!(p.chunks(&[1u8; CHUNK_BYTES * 3 + 1]).expect("split").len(), 4);
        assert!(p.split(&[]).is_err() && p.chunks(&[]).is_err());
    }
}

#[cfg(test)]
mod proving_tests {
    use super::*;

    #[test]
    fn chunk_aggregate_and_wrap_proofs_verify_and_tampering_is_rejected() {
        let p = PoseidonCommitmentPipeline::default();
        let spec = |kind, level, index| JobSpec { kind, level, index };
        let t = std::time::Instant::now();
        let c0 = p
            .run(&spec(JobKind::Chunk, 0, 0), &[b"left".to_vec()])
            .expect("prove chunk 0");
        let c1 = p
            .run(&spec(JobKind::Chunk, 0, 1), &[b"right".to_vec()])
            .expect("prove chunk 1");
        eprintln!("chunks: {:?}", t.elapsed());
        p.verify(&spec(JobKind::Chunk, 0, 0), &[b"left".to_vec()], &c0)
            .expect("chunk 0 verifies");
        assert!(
            p.verify(&spec(JobKind::Chunk, 0, 0), &[b"lefT".to_vec()], &c0).is_err(),
            "other bytes"
        );
        assert!(
            p.verify(&spec(JobKind::Chunk, 0, 1), &[b"left".to_vec()], &c0).is_err(),
            "other index"
        );
        let agg_spec = spec(JobKind::Aggregate, 1, 0);
        let agg = p.run(&agg_spec, &[c0.clone(), c1.clone()]).expect("aggregate");
        eprintln!("aggregate: {:?}", t.elapsed());
        p.verify(&agg_spec, &[c0.clone(), c1.clone()], &agg)
            .expect("aggregate verifies");
        assert!(
            p.verify(&agg_spec, &[c1.clone(), c0.clone()], &agg).is_err(),
            "swapped children"
        );
        let mut bad = agg.clone();
        bad[agg.len() / 3] ^= 4;
        assert!(p.verify(&agg_spec, &[c0, c1], &bad).is_err(), "flipped byte");
        let wrap_spec = spec(JobKind::Wrap, 2, 0);
        let wrap = p.run(&wrap_spec, std::slice::from_ref(&agg)).expect("wrap");
        eprintln!("wrap: {:?}", t.elapsed());
        p.verify(&wrap_spec, &[agg], &wrap).expect("wrap verifies");
    }

    #[test]
    fn the_final_proof_verifies_against_the_batch_input_and_nothing_else() {
        let p = PoseidonCommitmentPipeline::default();
        let input = b"a one-chunk batch".to_vec();
        let chunks = p.chunks(&input).expect("split");
        assert_eq!(chunks.len(), 1);
        let chunk = p
            .run(
                &JobSpec {
                    kind: JobKind::Chunk,
                    level: 0,
                    index: 0,
                },
                &chunks,
            )
            .expect("prove the chunk");
        let wrap = p
            .run(
                &JobSpec {
                    kind: JobKind::Wrap,
                    level: 1,
                    index: 0,
                },
                std::slice::from_ref(&chunk),
            )
            .expect("prove the wrap");
        p.verify_final(&input, &wrap)
            .expect("the final proof matches its input");
        match p.verify_final(b"a one-chunk batcH", &wrap) {
            Err(PipelineError::Rejected { detail, .. }) => assert!(detail.contains("other bytes"), "{detail}"),
            other => panic!("other input bytes must be rejected, got {other:?}"),
        }
        let mut bad = wrap.clone();
        bad[wrap.len() / 2] ^= 1;
        assert!(p.verify_final(&input, &bad).is_err(), "a flipped byte is rejected");
        assert!(
            p.verify_final(&input, &chunk).is_err(),
            "a chunk proof is not a final proof"
        );
        assert!(
            p.verify_final(&[7u8; CHUNK_BYTES + 1], &wrap).is_err(),
            "a two-chunk batch needs a taller tree's wrap proof"
        );
    }
}
