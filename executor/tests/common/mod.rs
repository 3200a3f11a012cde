//! Shared helpers of the executor's integration tests.

use std::path::PathBuf;

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
