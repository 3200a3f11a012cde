//! Shared helpers of the executor's integration tests. Each test file
//! compiles this module on its own and uses part of it.
#![allow(dead_code)]

use executor::input::BlockHeader;
use revm::primitives::hardfork::SpecId;
use revm::primitives::{address, B256};
use std::path::PathBuf;

/// A Cancun block header for hand-made blocks: block 20,000,000, base fee
/// 10, chain 1, beneficiary `0x30..03`.
pub fn cancun_header() -> BlockHeader {
    BlockHeader {
        number: 20_000_000,
        timestamp: 1_720_000_000,
        gas_limit: 30_000_000,
        beneficiary: address!("3000000000000000000000000000000000000003"),
        base_fee: Some(10),
        prevrandao: Some(B256::ZERO),
        excess_blob_gas: Some(0),
        chain_id: 1,
        fork: Some(SpecId::CANCUN),
        ..BlockHeader::default()
    }
}

/// `../shared/data/<rel>` relative to the workspace root; panics naming the path when missing.
pub fn data_path(rel: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(rel);
    assert!(
        path.exists(),
        "test data missing: {} (expected ../shared/data/{rel} next to the repository)",
        path.display()
    );
    path
}
