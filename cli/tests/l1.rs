//! `zkr l1 verify`, `zkr l1 export` and `zkr wrap`'s input checks, on the
//! bundled wrap proof of the demo block (`data/wrap/demo.wrap`), and that
//! this proof's statement is the demo block's; and the bundled wrap proof
//! of the two demo blocks' batch (`data/wrap/demo-batch.wrap`).

use plonky2::field::types::Field;
use prover::wrap::block::{aggregated_public_inputs, batch_public_inputs, BLOCK_LAYOUT};
use prover::wrap::final_layer::F;
use prover::zkevm::aggregate::{BatchBlock, ChunkLayout};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use verifier_contract::artifact::WrapArtifact;

/// The repository root, where the bundled data lives.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn demo_wrap() -> WrapArtifact {
    WrapArtifact::read(&root().join("data/wrap/demo.wrap")).expect("the bundled wrap proof reads")
}

fn zkr(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkr"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("zkr runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The demo block's chain id in the bundled wrap proof.
const DEMO_CHAIN_ID: u64 = 679;
/// The chunk size the bundled wrap proof's aggregated proof was made with.
const DEMO_CHUNK_ROWS_LOG: usize = 8;

/// The chunk layouts of a bundled demo block at the fixtures' chunk size.
fn demo_layouts(file: &str) -> Vec<ChunkLayout> {
    let block = executor::codec::load_block(&root().join(file)).unwrap();
    let options = executor::ExecOptions {
        capture_traces: true,
        sequential: true,
        ..Default::default()
    };
    let trace = executor::execute_block(&block, &options).unwrap().traces.unwrap();
    let pre = witness::PreState::of(&block).unwrap();
    let chunks = witness::build_chunks(&trace, &pre, DEMO_CHUNK_ROWS_LOG).unwrap();
    chunks.iter().map(|c| ChunkLayout::of_witness(c).unwrap()).collect()
}

#[test]
fn bundled_wrap_proof_states_the_demo_blocks_roots_and_digest() {
    let layouts = demo_layouts("data/demo/counter-loop-block.json");
    let mut public_inputs = aggregated_public_inputs(&layouts).unwrap();
    public_inputs.push(F::from_canonical_u64(DEMO_CHAIN_ID));
    let expected = BLOCK_LAYOUT.instances(&public_inputs).unwrap();
    let artifact = demo_wrap();
    assert_eq!(artifact.statement, expected);
    assert_ne!(expected.old_root, expected.new_root, "the demo block changes the state");
}

/// The bundled batch wrap proof (`data/wrap/demo-batch.wrap`) states the
/// two demo blocks' batch: the first block's old root, the second's new
/// root, the batch digest of both blocks' numbers and statements; it settles.
#[test]
fn bundled_batch_wrap_proof_states_the_demo_batch_and_settles() {
    let blocks = [
        (20_000_000, "data/demo/counter-loop-block.json"),
        (20_000_001, "data/demo/counter-loop-next-block.json"),
    ]
    .map(|(number, file)| BatchBlock {
        number,
        chunks: demo_layouts(file),
    });
    let mut public_inputs = batch_public_inputs(&blocks).unwrap();
    public_inputs.push(F::from_canonical_u64(DEMO_CHAIN_ID));
    let expected = BLOCK_LAYOUT.instances(&public_inputs).unwrap();
    let path = root().join("data/wrap/demo-batch.wrap");
    let artifact = WrapArtifact::read(&path).expect("the bundled batch wrap proof reads");
    assert_eq!(artifact.statement, expected);
    assert_eq!(artifact.statement.old_root, demo_wrap().statement.old_root);

    let out = zkr(&["l1", "verify", "data/wrap/demo-batch.wrap"]);
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}
{}",
        text(&out.stderr)
    );
    assert!(stdout.contains("blocks 20000000..20000002"), "{stdout}");
    assert!(stdout.contains("accepted: Rollup at"), "{stdout}");
}

#[test]
fn l1_verify_settles_the_bundled_wrap_proof() {
    let out = zkr(&["l1", "verify"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("accepted: Rollup at"), "{stdout}");
    assert!(stdout.contains("gas: verifier call"), "{stdout}");
    assert!(stdout.contains("chain id        679"), "{stdout}");
}

#[test]
fn l1_verify_rejects_a_corrupted_proof_and_names_a_file_that_is_not_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut artifact = demo_wrap();
    let middle = artifact.proof.len() / 2;
    artifact.proof[middle] ^= 1;
    let corrupted = dir.path().join("corrupted.wrap");
    artifact.write(&corrupted).unwrap();
    let out = zkr(&["l1", "verify", corrupted.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("rejected: the verifier rejected the proof"), "{stdout}");

    let garbage = dir.path().join("garbage.wrap");
    std::fs::write(&garbage, b"not a proof").unwrap();
    let out = zkr(&["l1", "verify", garbage.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("garbage.wrap") && stderr.contains("not a wrap proof"),
        "{stderr}"
    );

    let truncated = dir.path().join("truncated.wrap");
    let bytes = std::fs::read(root().join("data/wrap/demo.wrap")).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let out = zkr(&["l1", "verify", truncated.to_str().unwrap()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("truncated.wrap"), "{stderr}");
}

#[test]
fn l1_export_writes_the_contracts_of_the_bundled_wrap_proof() {
    let dir = tempfile::tempdir().unwrap();
    let out = zkr(&["l1", "export", "--out", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let artifact = demo_wrap();
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    assert_eq!(read("Verifier.sol"), artifact.verifier_source);
    assert_eq!(hex::decode(read("Verifier.bin")).unwrap(), artifact.verifier_bytecode);
    assert!(read("Rollup.sol").contains("contract Rollup"));
    assert!(!hex::decode(read("Rollup.bin")).unwrap().is_empty());
    for abi in ["Verifier.abi.json", "Rollup.abi.json"] {
        serde_json::from_str::<serde_json::Value>(&read(abi)).unwrap();
    }
    let deployment: serde_json::Value = serde_json::from_str(&read("deployment.json")).unwrap();
    assert_eq!(deployment["chainId"], DEMO_CHAIN_ID);
    assert_eq!(
        deployment["genesisRoot"],
        format!("0x{}", hex::encode(artifact.statement.old_root))
    );
}

#[test]
fn wrap_refuses_input_that_is_not_an_aggregated_proof() {
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("out.wrap");
    let chunk = dir.path().join("chunk.proof");
    std::fs::write(&chunk, b"\x00\x01 definitely not a proof").unwrap();
    for (input, expected) in [
        (chunk.clone(), "is neither an aggregated block proof nor a batch proof"),
        (dir.path().join("missing.proof"), "reading"),
    ] {
        let out = zkr(&[
            "wrap",
            input.to_str().unwrap(),
            "--out",
            out_file.to_str().unwrap(),
            "--chain-id",
            "679",
        ]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(input.file_name().unwrap().to_str().unwrap()) && stderr.contains(expected),
            "{stderr}"
        );
        assert!(!out_file.exists(), "nothing is written on bad input");
    }
}

/// Without the Solidity compiler the wrap commands stop before proving
/// (they used to find out after minutes, or most of an hour, of it).
#[test]
fn wrap_commands_without_a_solidity_compiler_stop_before_proving() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-solcjs");
    let out = Command::new(env!("CARGO_BIN_EXE_zkr"))
        .args(["bench", "wrap"])
        .env("ZKR_SOLCJS", &missing)
        .env("ZKR_LOG", "info")
        .current_dir(root())
        .output()
        .expect("zkr runs");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("solcjs not found") && stderr.contains(missing.to_str().unwrap()),
        "{stderr}"
    );
    assert!(!stderr.contains("stage started"), "no stage ran: {stderr}");
}
