//! Stack harness.
