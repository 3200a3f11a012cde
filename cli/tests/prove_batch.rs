//! `zkr prove` with several `--block`s proves each block on the state the
//! previous one leaves and aggregates them into `batch.proof`, which `zkr
//! verify` checks; blocks that do not follow each other, and a block whose
//! later chunk is out of scope, are refused before anything is proven or
//! written.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch folder for one test, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("zkr-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn zkr(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkr"))
        .args(args)
        .output()
        .expect("zkr runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Writes `blocks` consecutive counter-loop blocks of one call each; returns their paths.
fn chain_files(dir: &Path, blocks: usize) -> Vec<String> {
    executor::synthetic::counter_loop_chain(blocks, 1, 19)
        .iter()
        .map(|block| {
            let path = dir.join(format!("block-{}.json", block.header.number));
            executor::codec::save_block(block, &path).unwrap();
            path.to_string_lossy().into_owned()
        })
        .collect()
}

#[test]
fn two_blocks_prove_into_a_batch_proof_that_verifies() {
    let scratch = Scratch::new("batch");
    let files = chain_files(&scratch.0, 2);
    let out = scratch.0.join("proofs");
    let out_arg = out.to_string_lossy().into_owned();
    let run = zkr(&[
        "prove",
        "--block",
        &files[0],
        "--block",
        &files[1],
        "--chunk-rows-log",
        "8",
        "--out",
        &out_arg,
    ]);
    let stdout = text(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", text(&run.stderr));
    assert!(stdout.contains("batch proof: blocks 20000000..20000002"), "{stdout}");
    for file in [
        "block-20000000/chunk-0.proof",
        "block-20000000/aggregated.proof",
        "block-20000001/chunk-0.proof",
        "block-20000001/aggregated.proof",
        "batch.proof",
    ] {
        assert!(out.join(file).is_file(), "{file} missing");
    }

    let verify = zkr(&["verify", &out_arg]);
    let stdout = text(&verify.stdout);
    assert!(verify.status.success(), "{stdout}\n{}", text(&verify.stderr));
    assert!(
        stdout.contains("valid batch proof: blocks 20000000..20000002, 2 transactions"),
        "{stdout}"
    );
    assert_eq!(stdout.matches("valid aggregated proof").count(), 2, "{stdout}");

    // The batch proof file alone, then with a flipped byte.
    let batch = out.join("batch.proof");
    let verify = zkr(&["verify", &batch.to_string_lossy()]);
    assert!(verify.status.success(), "{}", text(&verify.stderr));
    let mut bytes = std::fs::read(&batch).unwrap();
    let at = bytes.len() - 100;
    bytes[at] ^= 1;
    std::fs::write(&batch, bytes).unwrap();
    let verify = zkr(&["verify", &batch.to_string_lossy()]);
    assert!(!verify.status.success(), "a corrupted batch proof verified");
    assert!(text(&verify.stderr).contains("batch.proof"), "{}", text(&verify.stderr));
}

#[test]
fn blocks_that_do_not_follow_are_refused_before_proving() {
    let scratch = Scratch::new("broken-chain");
    let files = chain_files(&scratch.0, 2);
    let out = scratch.0.join("proofs");
    let out_arg = out.to_string_lossy().into_owned();

    // The same block twice.
    let run = zkr(&["prove", "--block", &files[0], "--block", &files[0], "--out", &out_arg]);
    let stderr = text(&run.stderr);
    assert!(!run.status.success());
    assert!(
        stderr.contains("block 20000000 does not follow block 20000000") && stderr.contains(&files[0]),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is written");

    // The second block's pre-state disagrees with what the first leaves.
    let mut second = executor::codec::load_block(Path::new(&files[1])).unwrap();
    let sender = revm::primitives::Address::with_last_byte(0xaa);
    second.pre_state.get_mut(&sender).unwrap().balance += revm::primitives::U256::from(1);
    executor::codec::save_block(&second, Path::new(&files[1])).unwrap();
    let run = zkr(&["prove", "--block", &files[0], "--block", &files[1], "--out", &out_arg]);
    let stderr = text(&run.stderr);
    assert!(!run.status.success());
    assert!(
        stderr.contains(&files[1]) && stderr.contains(&format!("account {sender}")),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is written");
}

/// Every chunk witness is built (and dropped) before the first is proven:
/// an out-of-scope opcode in the second of two chunks stops the run before
/// anything is written.
#[test]
fn an_out_of_scope_opcode_in_a_later_chunk_is_refused_before_proving() {
    let scratch = Scratch::new("late-chunk");
    let mut block = executor::synthetic::counter_loop_block(3, 19);
    // At 2^8 rows each counter-loop call (142 steps) fills a chunk; the
    // third call joins the second's chunk and goes to code that reads a
    // balance, which no table proves.
    let reader = revm::primitives::Address::with_last_byte(0x20);
    block.pre_state.insert(
        reader,
        executor::input::PreAccount {
            code: revm::primitives::Bytes::from(vec![0x30, 0x31, 0x00]),
            ..Default::default()
        },
    );
    block.transactions[2].to = Some(reader);
    let file = scratch.0.join("block.json");
    executor::codec::save_block(&block, &file).unwrap();
    let out = scratch.0.join("proofs");
    let run = zkr(&[
        "prove",
        "--block",
        &file.to_string_lossy(),
        "--chunk-rows-log",
        "8",
        "--out",
        &out.to_string_lossy(),
    ]);
    let stderr = text(&run.stderr);
    assert!(!run.status.success());
    assert!(
        stderr.contains("chunk 1") && stderr.contains("BALANCE") && stderr.contains("block.json"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is written");
}

/// A transaction longer than an ordinary chunk is split over chunks, or,
/// where it holds too much memory to cut, gets a larger chunk of its own,
/// up to `--max-chunk-rows-log`; the block's proof aggregates chunks of both
/// sizes and the split transaction's pieces, and verifies. Past that limit
/// the block is refused, naming the transaction, before anything is written.
#[test]
fn a_long_transaction_is_split_or_gets_a_larger_chunk_of_its_own() {
    let scratch = Scratch::new("long-tx");
    let mut block = executor::synthetic::counter_loop_block(3, 19);
    // The middle call stores a word at memory offset 2^16, then runs 40
    // rounds (286 steps): more than 2^8 rows hold, fewer than 2^9, and it
    // holds more memory than a cut carries (64 KiB), so it cannot be split.
    // The last runs 40 rounds of the counter loop (289 steps): it is split
    // over two chunks of 2^8 rows.
    for (byte, code) in [
        (0x20, executor::synthetic::memory_first_loop_code(40)),
        (0x21, executor::synthetic::counter_loop_code(40)),
    ] {
        let address = revm::primitives::Address::with_last_byte(byte);
        block.pre_state.insert(
            address,
            executor::input::PreAccount {
                code,
                ..Default::default()
            },
        );
        block.transactions[usize::from(byte - 0x1f)].to = Some(address);
    }
    let file = scratch.0.join("block.json");
    executor::codec::save_block(&block, &file).unwrap();
    let file = file.to_string_lossy().into_owned();
    let out = scratch.0.join("proofs");
    let out_arg = out.to_string_lossy().into_owned();
    let prove = |max: &str| {
        zkr(&[
            "prove",
            "--block",
            &file,
            "--chunk-rows-log",
            "8",
            "--max-chunk-rows-log",
            max,
            "--out",
            &out_arg,
        ])
    };

    let run = prove("8");
    let stderr = text(&run.stderr);
    assert!(!run.status.success());
    assert!(
        stderr.contains("transaction 1") && stderr.contains("255 steps") && stderr.contains("cannot be split"),
        "{stderr}"
    );
    assert!(!out.exists(), "nothing is written");

    let run = prove("9");
    let stdout = text(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", text(&run.stderr));
    assert!(
        stdout.contains("in 4 chunks of at most 2^8 rows (1 larger, each holding one longer transaction; 1 suspending a longer transaction that the next chunk resumes)"),
        "{stdout}"
    );
    let verify = zkr(&["verify", &out.join("aggregated.proof").to_string_lossy()]);
    let stdout = text(&verify.stdout);
    assert!(verify.status.success(), "{stdout}\n{}", text(&verify.stderr));
    assert!(stdout.contains("4 chunks"), "{stdout}");
}
