//! Turning a panic inside plonky2 or starky (which some malformed witnesses
//! and proofs provoke instead of returning an error) into an error, so that
//! services and callers are not taken down by bad input.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f`; its error becomes `"{what}: {error}"` and a panic inside it
/// `"{what} failed: {panic message}"`.
pub fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result.map_err(|e| format!("{what}: {e}")),
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("unknown panic");
            Err(format!("{what} failed: {message}"))
        }
    }
}
