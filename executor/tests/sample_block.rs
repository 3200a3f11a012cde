//! The bundled sample block in data/demo/ is zkr's format, equals the
//! generator's output, round-trips through bincode, executes in parallel
//! exactly as sequentially, and yields traces with storage accesses; a
//! corrupted file is rejected with an error naming the file and field. The
//! bundled counter-loop block (what `zkr prove` and `zkr submit` take to
//! show the zkEVM) equals its generator's output, and so does the block that
//! follows it (`counter-loop-next-block.json`, for batches).

use executor::codec;
use executor::synthetic::sample_block;
use executor::{execute_block, ExecOptions};
use std::path::PathBuf;

fn sample_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/demo/sample-block.json")
}

#[test]
fn bundled_sample_block_matches_generator_and_executes() {
    let path = sample_path();
    let block = codec::load_block(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(block, sample_block(), "data/demo/sample-block.json is stale");
    let bytes = codec::to_bincode(&block);
    let back: executor::BlockInput = codec::from_bincode(&bytes, &path, "block").expect("bincode round trip");
    assert_eq!(back, block);

    let parallel = execute_block(
        &block,
        &ExecOptions {
            capture_traces: true,
            sequential_fallback: false,
            ..ExecOptions::default()
        },
    )
    .unwrap();
    let sequential = execute_block(
        &block,
        &ExecOptions {
            sequential: true,
            capture_traces: true,
            ..ExecOptions::default()
        },
    )
    .unwrap();
    assert_eq!(parallel.txs, sequential.txs);
    assert_eq!(parallel.post_state, sequential.post_state);
    assert_eq!(
        parallel.traces, sequential.traces,
        "traces of the final executions are identical"
    );
    let traces = parallel.traces.expect("traces requested");
    assert_eq!(traces.txs.len(), 12);
    let storage_writes = traces
        .txs
        .iter()
        .flat_map(|t| &t.steps)
        .flat_map(|s| &s.storage)
        .filter(|a| a.write)
        .count();
    assert!(
        storage_writes >= 16,
        "token transfers and swaps write storage ({storage_writes})"
    );
    let encoded = codec::encode_traces(&traces);
    assert_eq!(codec::decode_traces(&encoded, &path).unwrap(), traces);
    let mut truncated = encoded.clone();
    truncated.truncate(encoded.len() / 2);
    assert!(
        codec::decode_traces(&truncated, &path).is_err(),
        "truncated traces are rejected"
    );
}

#[test]
fn malformed_block_error_names_file_and_field() {
    let text = std::fs::read_to_string(sample_path()).expect("sample block present");
    let broken = text.replacen("\"gas_limit\": ", "\"gas_limit\": \"not a number\", \"x\": ", 1);
    let err = codec::from_json_str::<executor::BlockInput>(&broken, &sample_path())
        .unwrap_err()
        .to_string();
    assert!(err.contains("sample-block.json") && err.contains("gas_limit"), "{err}");
}

#[test]
fn bundled_counter_loop_block_matches_its_generator() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/demo/counter-loop-block.json");
    let block = codec::load_block(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        block,
        executor::synthetic::counter_loop_block(3, 30),
        "data/demo/counter-loop-block.json is stale"
    );
}

#[test]
fn bundled_next_block_follows_the_counter_loop_block() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/demo/counter-loop-next-block.json");
    let block = codec::load_block(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        block,
        executor::synthetic::counter_loop_chain(2, 3, 30)[1],
        "data/demo/counter-loop-next-block.json is stale"
    );
}
