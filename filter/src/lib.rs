//! Sentinel Mesh proxy-wasm filter.
