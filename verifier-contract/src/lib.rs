//! verifier-contract
