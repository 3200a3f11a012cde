//! Every mainnet block in ../shared/data: both parallel engines equal sequential, and
//! gasUsed, logsBloom and (from Byzantium) receiptsRoot match the header.

mod common;

use executor::fixtures::mainnet;
use executor::{execute_block, ExecOptions, ParallelEngine};
use std::num::NonZeroUsize;

#[test]
fn mainnet_blocks_match_headers_and_sequential() {
    let root = common::data_path("mainnet-blocks");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert_eq!(dirs.len(), 42, "42 blocks expected under {}", root.display());
    let mut failures = Vec::new();
    for dir in &dirs {
        let input = mainnet::load(dir).unwrap_or_else(|e| panic!("{e}"));
        let expected = input.header.expected.clone().expect("headers carry expectations");
        let seq = execute_block(
            &input,
            &ExecOptions {
                sequential: true,
                ..ExecOptions::default()
            },
        );
        let engines = [ParallelEngine::BlockStm, ParallelEngine::Ranges];
        let par: Result<Vec<_>, _> = engines
            .iter()
            .map(|engine| {
                execute_block(
                    &input,
                    &ExecOptions {
                        threads: NonZeroUsize::new(4).unwrap(),
                        sequential_fallback: false,
                        engine: Some(*engine),
                        ..ExecOptions::default()
                    },
                )
            })
            .collect();
        let (seq, par) = match (seq, par) {
            (Ok(s), Ok(p)) => (s, p),
            (s, p) => {
                failures.push(format!(
                    "{}: sequential {:?} parallel {:?}",
                    dir.display(),
                    s.err(),
                    p.err()
                ));
                continue;
            }
        };
        let name = dir.display();
        if seq.gas_used != expected.gas_used {
            failures.push(format!("{name}: gas used {} != {}", seq.gas_used, expected.gas_used));
        }
        if seq.logs_bloom != expected.logs_bloom {
            failures.push(format!("{name}: logs bloom differs"));
        }
        if let Some(r) = seq.receipts_root {
            if r != expected.receipts_root {
                failures.push(format!("{name}: receipts root {r} != {}", expected.receipts_root));
            }
        }
        for (engine, par) in engines.iter().zip(&par) {
            if par.txs != seq.txs || par.post_state != seq.post_state {
                failures.push(format!("{name}: {engine} differs from sequential"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
