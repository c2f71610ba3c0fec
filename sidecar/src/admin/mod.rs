//! The admin API: bearer-token protected, JSON in and out.
//!
//! - [`auth`]: the token check, as an extractor.
//! - [`token`]: token generation, hashing and storage.
//! - [`clients`]: a client's state; releasing a quarantine.

pub mod auth;
pub mod clients;
pub mod token;

use std::time::{SystemTime, UNIX_EPOCH};

/// Unix milliseconds now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
