//! The L1 side: the Solidity verifier generated from the wrap circuit's
//! verifying key, the rollup contract that stores state roots and accepts a
//! batch only with a valid proof over the right public inputs, their compiled
//! bytecode, and the harness that deploys and calls them inside revm.
