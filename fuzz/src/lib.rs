//! Fuzz harnesses for msapp-merge. The harness functions live in `harness.rs` so the
//! regression tests of the main crate (`tests/fuzz_regressions.rs`) replay saved inputs
//! through exactly the code the fuzzer ran.

pub mod harness;
