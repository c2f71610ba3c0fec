//! The admin API: bearer-token protected, JSON in and out.
//!
//! - [`auth`]: the token check, as an extractor.
//! - [`token`]: token generation, hashing and storage.
//! - [`clients`]: a client's state; releasing a quarantine.
//! - [`incidents`]: stored incidents, filtered and paged.
//! - [`policies`]: policy versions: create (validated), list, current.

pub mod auth;
pub mod clients;
pub mod incidents;
pub mod policies;
pub mod token;

use std::time::{SystemTime, UNIX_EPOCH};

/// Unix milliseconds now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}
